/*
 * quant_internal.h - shared by the quantizer's files (compiler/quant/).
 */
#ifndef TML_QUANT_INTERNAL_H
#define TML_QUANT_INTERNAL_H

#include "tml/compiler.h"
#include "tml/quant.h"
#include "tml/session.h"

/* Runs a graph on the host runtime with every tensor of interest readable
 * as float32 after each run: the graph is copied with those tensors as its
 * outputs and compiled without passes (so tensor indices and names stay).
 * Float inputs are quantized for int8 inputs; int8 tensors are dequantized. */
typedef struct tml_observer {
    tml_compiled_t c;
    tml_session_t s;
    bool opened;
    int n;                      /* observed tensors */
    int32_t *tensors;           /* their indices in the observed graph */
    int *source;                /* >= 0: graph input number (read from the inputs) */
    float **values;             /* values[k]: the last run's tensor k */
    int64_t *counts;            /* elements of tensor k */
    int n_inputs;
    const tml_ir_tensor_t **in_tensors;
} tml_observer_t;

/* tensors: indices into g (activations or graph inputs), n of them. */
tml_status_t tml_observer_open(tml_observer_t *o, const tml_ir_graph_t *g,
                               const int32_t *tensors, int n, tml_err_t *err);
/* inputs[i]: float data of graph input i. */
tml_status_t tml_observer_run(tml_observer_t *o, float *const *inputs, tml_err_t *err);
void tml_observer_close(tml_observer_t *o);

/* Every tensor a node writes, plus the graph inputs (no constants), in
 * node order; *out owned by the caller. */
tml_status_t tml_quant_activations(const tml_ir_graph_t *g, int32_t **out, int *n);

/* Range of one tensor from its statistics. */
typedef struct tml_range_stats {
    float min, max;
    uint32_t *hist;             /* TML_HIST_BINS over [min, max] (second pass) */
    uint64_t n_values;
} tml_range_stats_t;

#define TML_HIST_BINS 2048
void tml_range_choose(const tml_range_stats_t *s, const tml_quant_opts_t *opts, float *lo,
                      float *hi);
/* int8 asymmetric params for [lo, hi] (0 is made representable). */
void tml_quant_params(float lo, float hi, float *scale, int32_t *zero_point);

/* Whether node n can run on int8 kernels (weights constant, ...). */
bool tml_quant_has_int8_kernel(const tml_ir_graph_t *g, const tml_ir_node_t *n);
/* Ops whose int8 kernels do not rescale: output params = input params. */
bool tml_quant_passes_through(tml_ir_op_t op);
/* New int8 tensors for float constants (see quantize.c): per-channel
 * symmetric weights (axis 0, or the last axis when depthwise; on their own
 * grid if use_grid and they carry a symmetric one), the int32 bias with
 * scale in_scale * w_scales[c], and a per-tensor int8 constant. */
tml_status_t tml_quant_weights(tml_ir_graph_t *g, int32_t w, bool depthwise, bool use_grid,
                               int32_t *out, float **scales, int32_t *n_ch, tml_err_t *err);
tml_status_t tml_quant_bias(tml_ir_graph_t *g, int32_t b, float in_scale, const float *w_scales,
                            int32_t ch, int32_t *out, tml_err_t *err);
tml_status_t tml_quant_const(tml_ir_graph_t *g, int32_t c, int32_t *out, tml_err_t *err);

#endif /* TML_QUANT_INTERNAL_H */
