/*
 * compiler.h - the compile driver: model bytes -> IR -> lowered kernels ->
 * arena plan -> package, with what a report needs kept alongside.
 */
#ifndef TML_COMPILER_H
#define TML_COMPILER_H

#include "tml/package.h"
#include "tml/pass_dead_channels.h"
#include "tml/target.h"
#include "tml/passes.h"
#include "tml/prune.h"
#include "tml/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tml_model_format {
    TML_FORMAT_UNKNOWN = 0,
    TML_FORMAT_TFLITE,
    TML_FORMAT_ONNX,
    TML_FORMAT_PACKAGE,
} tml_model_format_t;

typedef struct tml_compile_opts {
    bool keep_dead_channels; /* skip the (exact) dead-channel removal */
    bool no_inplace;         /* no in-place convolutions (exact either way) */
    /* RAM first: portable kernels, which run in place, even where the
     * target's DSP kernels would be faster (they need separate buffers). */
    bool optimize_ram;
    /* The device compiled for: picks kernels for its features (the DSP
     * extension's int8 kernels). NULL: portable reference kernels. */
    const tml_target_t *target;
    bool no_passes;          /* skip the graph passes of tml/passes.h */
    /* Post-training int8 quantization of a float model (tml/quant.h):
     * with quantize set, calib is required; eval (may be NULL) is where
     * the report measures errors and, with labels, accuracy. */
    bool quantize;
    tml_quant_opts_t quant;
    const tml_calib_set_t *calib;
    const tml_calib_set_t *eval;
    tml_prune_opts_t prune;  /* pruning before quantization (tml/prune.h) */
} tml_compile_opts_t;

typedef struct tml_compiled {
    tml_ir_graph_t graph;   /* the graph as lowered (lowering adds constants) */
    tml_lowered_t lowered;
    tml_plan_t plan;
    uint8_t *pkg;           /* the .tmlm bytes */
    size_t pkg_len;
    uint32_t const_bytes;   /* weights, biases and quantization params in the package */
    int64_t macs;           /* the model's MACs, as imported */
    int64_t macs_executed;  /* after graph passes: what the device computes */
    tml_dead_channel_stats_t dead_channels;
    int n_model_ops;        /* IR nodes before lowering */
    tml_pass_stats_t passes; /* what the graph passes did */
    int64_t macs_passes_saved; /* MACs the passes removed (folded, dead) */
    tml_quant_report_t *quant; /* set when quantized (owned) */
    tml_prune_report_t *prune; /* set when pruned (owned) */
} tml_compiled_t;

/* What kind of file buf is, from its bytes (and path's extension for ONNX,
 * whose protobuf has no magic number). */
tml_model_format_t tml_model_sniff(const uint8_t *buf, size_t len, const char *path);

/* Imports a TFLite or ONNX model. path names the model in messages and
 * locates ONNX external data; g is initialised by the call. */
tml_status_t tml_model_import(const uint8_t *buf, size_t len, const char *path,
                              tml_ir_graph_t *g, tml_err_t *err);
tml_status_t tml_model_load(const char *path, tml_ir_graph_t *g, tml_err_t *err);

/* Compiles g, which the call takes over (it is freed on error too). */
tml_status_t tml_compile_graph(tml_ir_graph_t *g, const tml_compile_opts_t *opts,
                               tml_compiled_t *out, tml_err_t *err);
/* tml_model_load + tml_compile_graph. */
tml_status_t tml_compile_file(const char *path, const tml_compile_opts_t *opts,
                              tml_compiled_t *out, tml_err_t *err);
void tml_compiled_free(tml_compiled_t *c);

/* The file name without directories, for messages. */
const char *tml_path_basename(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* TML_COMPILER_H */
