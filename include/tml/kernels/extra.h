/*
 * kernels/extra.h - kernels ONNX models need beyond the TFLite set: float
 * SUB, DIV and PRELU with broadcasting, LEAKY_RELU, HARD_SIGMOID, and the
 * byte-wise (any dtype) TRANSPOSE and SLICE (SPLIT lowers to one SLICE per
 * output). See tml/kernels.h for the conventions.
 *
 * Broadcasting and strided access are resolved by the compiler into element
 * strides (0 along a broadcast dim), so the kernels just walk an index.
 * TRANSPOSE and SLICE shapes are padded on the left to TML_XK_MAX_DIMS
 * with 1s.
 */
#ifndef TML_KERNELS_EXTRA_H
#define TML_KERNELS_EXTRA_H

#include <stdint.h>

#include "tml/kernels/elementwise.h"

#define TML_XK_MAX_DIMS 6

/* SUB_F32 (out = a - b), DIV_F32 (out = a / b), PRELU_F32 (out = a >= 0 ?
 * a : a * b) take the 4-D broadcast params of ADD_F32/MUL_F32,
 * tml_binary_f32_params_t (kernels/elementwise.h), output clamp included. */
void tml_sub_f32(const tml_binary_f32_params_t *p, const float *a, const float *b, float *out);
void tml_div_f32(const tml_binary_f32_params_t *p, const float *a, const float *b, float *out);
void tml_prelu_f32(const tml_binary_f32_params_t *p, const float *x, const float *slope,
                   float *out);

/* LEAKY_RELU_F32: out = x >= 0 ? x : alpha * x, n elements. */
typedef struct tml_leaky_relu_f32_params {
    int32_t n;
    int32_t alpha;                       /* float bit pattern */
} tml_leaky_relu_f32_params_t;
_Static_assert(sizeof(tml_leaky_relu_f32_params_t) == 2 * 4, "leaky relu params are 2 words");

void tml_leaky_relu_f32(const tml_leaky_relu_f32_params_t *p, const float *in, float *out);

/* HARD_SIGMOID_F32: out = min(1, max(0, alpha * x + beta)), n elements. */
typedef struct tml_hard_sigmoid_f32_params {
    int32_t n;
    int32_t alpha, beta;                 /* float bit patterns */
} tml_hard_sigmoid_f32_params_t;
_Static_assert(sizeof(tml_hard_sigmoid_f32_params_t) == 3 * 4, "hard sigmoid params are 3 words");

void tml_hard_sigmoid_f32(const tml_hard_sigmoid_f32_params_t *p, const float *in, float *out);

/* TRANSPOSE (any dtype): out is [out_dims] with out dim d walking in dim
 * perm[d]; in_stride[k] is the element stride of in dim k. */
typedef struct tml_transpose_params {
    int32_t elem_size;                   /* bytes: 1, 2, 4 or 8 */
    int32_t out_dims[TML_XK_MAX_DIMS];
    int32_t in_stride[TML_XK_MAX_DIMS];  /* already permuted: stride of in dim perm[d] */
} tml_transpose_params_t;
_Static_assert(sizeof(tml_transpose_params_t) == 13 * 4, "transpose params are 13 words");

void tml_transpose(const tml_transpose_params_t *p, const void *in, void *out);

/* SLICE (any dtype, strided, negative strides allowed): out coordinate c
 * reads in element offset + sum(c_d * in_step[d]). */
typedef struct tml_slice_params {
    int32_t elem_size;
    int32_t offset;                      /* elements: the first element read */
    int32_t out_dims[TML_XK_MAX_DIMS];
    int32_t in_step[TML_XK_MAX_DIMS];    /* elements per step of out dim d (may be < 0) */
} tml_slice_params_t;
_Static_assert(sizeof(tml_slice_params_t) == 14 * 4, "slice params are 14 words");

void tml_slice(const tml_slice_params_t *p, const void *in, void *out);

#endif /* TML_KERNELS_EXTRA_H */
