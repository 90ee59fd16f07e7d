/*
 * lower.c - the lowering driver and the helpers every lowering function uses.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "lower_ops.h"

void tml_lowered_free(tml_lowered_t *lw)
{
    if (!lw)
        return;
    for (int i = 0; i < lw->n_ops; i++)
        tml_free(lw->ops[i].params);
    tml_free(lw->ops);
    memset(lw, 0, sizeof(*lw));
}

tml_status_t tml_lower_fail(tml_lower_ctx_t *ctx, tml_status_t status, const char *fmt, ...)
{
    char msg[TML_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const tml_ir_node_t *n = &ctx->g->nodes[ctx->node];
    return tml_err_set(ctx->err, status, "node %d (%s%s%s): %s", (int)ctx->node,
                       tml_ir_op_name(n->op), n->name[0] ? " " : "", n->name, msg);
}

tml_status_t tml_lower_emit(tml_lower_ctx_t *ctx, tml_kernel_t kernel,
                            const int32_t *in, int n_in, const int32_t *out, int n_out,
                            const void *params, size_t params_len, int32_t inplace_input)
{
    if (n_in < 0 || n_out < 1 || n_in + n_out > TML_LOP_MAX_OPERANDS || params_len % 4)
        return tml_lower_fail(ctx, TML_ERR_INTERNAL, "bad lowered op shape");
    tml_lowered_t *lw = ctx->out;
    if (lw->n_ops == lw->cap_ops) {
        int cap = lw->cap_ops ? lw->cap_ops * 2 : 32;
        tml_lop_t *bigger = tml_realloc(lw->ops, (size_t)cap * sizeof(*bigger));
        if (!bigger)
            return tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
        lw->ops = bigger;
        lw->cap_ops = cap;
    }
    tml_lop_t *op = &lw->ops[lw->n_ops];
    memset(op, 0, sizeof(*op));
    op->params = tml_malloc(params_len ? params_len : 4);
    if (!op->params)
        return tml_lower_fail(ctx, TML_ERR_NOMEM, "out of memory");
    if (params_len)
        memcpy(op->params, params, params_len);
    op->n_params = (int)(params_len / 4);
    op->kernel = kernel;
    op->n_in = n_in;
    op->n_out = n_out;
    for (int i = 0; i < n_in; i++)
        op->operands[i] = in[i];
    for (int i = 0; i < n_out; i++)
        op->operands[n_in + i] = out[i];
    op->node = ctx->node;
    op->inplace_input = inplace_input;
    op->overlap_input = -1;
    lw->n_ops++;
    return TML_OK;
}

tml_status_t tml_lower_add_const(tml_lower_ctx_t *ctx, const char *suffix, tml_dtype_t dtype,
                                 int n_dims, const int32_t *dims, const void *data,
                                 size_t len, int32_t *index)
{
    const tml_ir_node_t *n = &ctx->g->nodes[ctx->node];
    char name[256];
    snprintf(name, sizeof(name), "%s/%s", n->name[0] ? n->name : tml_ir_op_name(n->op), suffix);
    tml_status_t st = tml_ir_add_tensor(ctx->g, name, dtype, n_dims, dims, index);
    if (st == TML_OK)
        st = tml_ir_set_data(ctx->g, *index, data, len);
    if (st != TML_OK)
        return tml_lower_fail(ctx, st, "cannot add constant %s", suffix);
    return TML_OK;
}

tml_status_t tml_lower_add_scratch(tml_lower_ctx_t *ctx, uint32_t bytes, int32_t *index)
{
    const tml_ir_node_t *n = &ctx->g->nodes[ctx->node];
    char name[256];
    snprintf(name, sizeof(name), "%s/scratch", n->name[0] ? n->name : tml_ir_op_name(n->op));
    int32_t dims[1] = {(int32_t)bytes};
    tml_status_t st = tml_ir_add_tensor(ctx->g, name, TML_DT_I8, 1, dims, index);
    if (st != TML_OK)
        return tml_lower_fail(ctx, st, "cannot add scratch");
    return TML_OK;
}

void tml_quantize_multiplier(double real, int32_t *mult, int32_t *shift)
{
    if (real == 0.0) {
        *mult = 0;
        *shift = 0;
        return;
    }
    int exp;
    double q = frexp(real, &exp);
    int64_t q_fixed = (int64_t)llround(q * (double)(1ll << 31));
    if (q_fixed == (1ll << 31)) {
        q_fixed /= 2;
        exp++;
    }
    if (exp < -31) {
        exp = 0;
        q_fixed = 0;
    }
    /* TFLite also clamps shifts above 30 (multipliers >= 2^30 never occur in
     * practice); keep the value exact and let the kernel's checks cope. */
    *mult = (int32_t)q_fixed;
    *shift = exp;
}

void tml_lower_act_range_s8(tml_act_t act, float scale, int32_t zero_point,
                            int32_t *act_min, int32_t *act_max)
{
    int32_t qmin = -128, qmax = 127;
    /* TFLite quantizes the real bound with round-to-nearest on scale. */
    #define Q(x) (zero_point + (int32_t)lroundf((x) / scale))
    switch (act) {
    case TML_ACT_RELU:
        *act_min = Q(0.0f) > qmin ? Q(0.0f) : qmin;
        *act_max = qmax;
        break;
    case TML_ACT_RELU6:
        *act_min = Q(0.0f) > qmin ? Q(0.0f) : qmin;
        *act_max = Q(6.0f) < qmax ? Q(6.0f) : qmax;
        break;
    case TML_ACT_RELU_N1_TO_1:
        *act_min = Q(-1.0f) > qmin ? Q(-1.0f) : qmin;
        *act_max = Q(1.0f) < qmax ? Q(1.0f) : qmax;
        break;
    default:
        *act_min = qmin;
        *act_max = qmax;
        break;
    }
    #undef Q
}

void tml_lower_act_range_f32(tml_act_t act, float *act_min, float *act_max)
{
    switch (act) {
    case TML_ACT_RELU: *act_min = 0.0f; *act_max = FLT_MAX; break;
    case TML_ACT_RELU6: *act_min = 0.0f; *act_max = 6.0f; break;
    case TML_ACT_RELU_N1_TO_1: *act_min = -1.0f; *act_max = 1.0f; break;
    default: *act_min = -FLT_MAX; *act_max = FLT_MAX; break;
    }
}

int32_t tml_lower_f32_word(float value)
{
    int32_t word;
    memcpy(&word, &value, sizeof(word));
    return word;
}

tml_status_t tml_lower_graph(tml_ir_graph_t *g, tml_lowered_t *out, tml_err_t *err)
{
    return tml_lower_graph_for(g, NULL, out, err);
}

tml_status_t tml_lower_graph_for(tml_ir_graph_t *g, const tml_target_t *target,
                                 tml_lowered_t *out, tml_err_t *err)
{
    memset(out, 0, sizeof(*out));
    tml_lower_ctx_t ctx = {.g = g, .out = out, .err = err, .node = 0, .target = target};
    int n_nodes = g->n_nodes;
    for (int i = 0; i < n_nodes; i++) {
        ctx.node = i;
        tml_ir_op_t op = g->nodes[i].op;
        tml_lower_fn fn = (unsigned)op < TML_OP_COUNT ? tml_lower_table[op] : NULL;
        tml_status_t st = fn ? fn(&ctx, &g->nodes[i])
                             : tml_lower_fail(&ctx, TML_ERR_UNSUPPORTED,
                                              "no runtime kernel for this op");
        if (st != TML_OK) {
            tml_lowered_free(out);
            return st;
        }
    }
    return TML_OK;
}
