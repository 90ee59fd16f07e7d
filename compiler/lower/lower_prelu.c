/*
 * lower_prelu.c - PRELU, LEAKY_RELU and HARD_SIGMOID (float32) ->
 * TML_K_PRELU_F32 (the slope broadcast to x like an ADD_F32 operand),
 * TML_K_LEAKY_RELU_F32, TML_K_HARD_SIGMOID_F32. Also the shared broadcast
 * helper of lower_extra.h.
 */
#include <string.h>

#include "lower_elem.h"
#include "lower_extra.h"

tml_status_t tml_lower_extra_binary(tml_lower_ctx_t *ctx, const tml_ir_node_t *node,
                                    tml_kernel_t kernel, tml_act_t act)
{
    int32_t in1, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 2, &in1, &out);
    if (st != TML_OK)
        return st;
    int32_t in2 = node->in[1];
    if ((st = tml_lower_elem_dtype(ctx, out, TML_DT_F32, "output")) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, in1, TML_DT_F32, "input 0")) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, in2, TML_DT_F32, "input 1")) != TML_OK)
        return st;
    tml_binary_f32_params_t p;
    memset(&p, 0, sizeof(p));
    if ((st = tml_lower_elem_bcast(ctx, in1, in2, out, p.out_shape, p.in1_stride,
                                   p.in2_stride)) != TML_OK)
        return st;
    float lo, hi;
    tml_lower_act_range_f32(act, &lo, &hi);
    p.act_min_bits = tml_lower_f32_word(lo);
    p.act_max_bits = tml_lower_f32_word(hi);
    /* Output element i reads element i of a same-shaped input first. */
    const tml_ir_tensor_t *o = &ctx->g->tensors[out];
    int32_t inplace = -1;
    for (int i = 0; i < 2 && inplace < 0; i++) {
        const tml_ir_tensor_t *t = &ctx->g->tensors[node->in[i]];
        if (!tml_ir_is_const(t) && t->n_dims == o->n_dims &&
            memcmp(t->dims, o->dims, sizeof(int32_t) * (size_t)o->n_dims) == 0)
            inplace = i;
    }
    int32_t ins[2] = {in1, in2};
    return tml_lower_emit(ctx, kernel, ins, 2, &out, 1, &p, sizeof(p), inplace);
}

tml_status_t tml_lower_prelu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return tml_lower_extra_binary(ctx, node, TML_K_PRELU_F32, TML_ACT_NONE);
}

/* One float32 input and output of n elements. */
static tml_status_t unary_io(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, int32_t *in,
                             int32_t *out, int32_t *n)
{
    tml_status_t st = tml_lower_elem_io(ctx, node, 1, in, out);
    if (st == TML_OK)
        st = tml_lower_elem_dtype(ctx, *in, TML_DT_F32, "input");
    if (st == TML_OK)
        st = tml_lower_elem_dtype(ctx, *out, TML_DT_F32, "output");
    if (st == TML_OK)
        st = tml_lower_elem_count(ctx, *out, n);
    int32_t n_in;
    if (st == TML_OK && (st = tml_lower_elem_count(ctx, *in, &n_in)) == TML_OK && n_in != *n)
        st = tml_lower_fail(ctx, TML_ERR_CORRUPT, "input has %d elements, output %d",
                            (int)n_in, (int)*n);
    return st;
}

tml_status_t tml_lower_leaky_relu(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, n;
    tml_status_t st = unary_io(ctx, node, &in, &out, &n);
    if (st != TML_OK)
        return st;
    tml_leaky_relu_f32_params_t p = {.n = n, .alpha = tml_lower_f32_word(node->attrs.scalar.alpha)};
    return tml_lower_emit(ctx, TML_K_LEAKY_RELU_F32, &in, 1, &out, 1, &p, sizeof(p), 0);
}

tml_status_t tml_lower_hard_sigmoid(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    int32_t in, out, n;
    tml_status_t st = unary_io(ctx, node, &in, &out, &n);
    if (st != TML_OK)
        return st;
    tml_hard_sigmoid_f32_params_t p = {.n = n,
                                       .alpha = tml_lower_f32_word(node->attrs.scalar.alpha),
                                       .beta = tml_lower_f32_word(node->attrs.scalar.beta)};
    return tml_lower_emit(ctx, TML_K_HARD_SIGMOID_F32, &in, 1, &out, 1, &p, sizeof(p), 0);
}
