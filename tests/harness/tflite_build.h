/*
 * tflite_build.h - a minimal TFLite flatbuffer writer for tests and fuzz
 * seeds: one subgraph, tensors with optional constant data and quantization,
 * operators with scalar builtin options. It writes what the TFLite schema
 * describes (tables with vtables, forward offsets, aligned vectors), front to
 * back, so tests can hand-make exactly the model a case needs, including
 * deliberately odd ones (deprecated op codes only, buffers stored after the
 * flatbuffer, variable tensors).
 */
#ifndef TML_TFLITE_BUILD_H
#define TML_TFLITE_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/status.h"

/* TensorType values of the schema. */
enum {
    TFB_FLOAT32 = 0, TFB_FLOAT16 = 1, TFB_INT32 = 2, TFB_UINT8 = 3, TFB_INT64 = 4,
    TFB_BOOL = 6, TFB_INT16 = 7, TFB_INT8 = 9,
};

#define TFB_MAX_DIMS 8
#define TFB_MAX_IO 16
#define TFB_MAX_OPTS 8

typedef struct tfb_tensor {
    const char *name;
    int type;                     /* TFB_* */
    int n_dims;
    int32_t dims[TFB_MAX_DIMS];
    const void *data;             /* constant contents, or NULL */
    size_t data_len;
    int n_quant;                  /* 0: no quantization table */
    const float *scale;
    const int64_t *zero_point;
    int32_t quant_dim;
    bool is_variable;
} tfb_tensor_t;

typedef struct tfb_opt {          /* one scalar field of the options table */
    int id;                       /* field id in the options table */
    int size;                     /* 1 or 4 bytes */
    uint32_t value;               /* float options: the bit pattern */
} tfb_opt_t;

typedef struct tfb_op {
    int32_t code;                 /* BuiltinOperator */
    int32_t version;              /* 0 leaves the field out (default 1) */
    const char *custom_code;      /* for CUSTOM */
    int n_in, n_out;
    int32_t in[TFB_MAX_IO], out[TFB_MAX_IO];
    uint8_t opts_type;            /* BuiltinOptions tag, 0 for none */
    int n_opts;
    tfb_opt_t opts[TFB_MAX_OPTS];
} tfb_op_t;

typedef struct tfb_model {
    int n_tensors;
    const tfb_tensor_t *tensors;
    int n_ops;
    const tfb_op_t *ops;
    int n_inputs, n_outputs;
    int32_t inputs[TFB_MAX_IO], outputs[TFB_MAX_IO];
    bool deprecated_codes_only;   /* write only the byte-sized deprecated op code */
    bool external_buffers;        /* constant data after the flatbuffer (offset/size) */
} tfb_model_t;

/* Writes the model; *out (free with tml_free) gets *out_len bytes. */
tml_status_t tfb_build(const tfb_model_t *m, uint8_t **out, size_t *out_len);

/* A float option's bit pattern, for tfb_opt_t.value. */
uint32_t tfb_f32(float f);

#endif /* TML_TFLITE_BUILD_H */
