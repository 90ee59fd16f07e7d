/*
 * interp.c - runs a validated package: for each op in order, bind its
 * operands and call its kernel's eval. All decisions were made by the
 * compiler and all checks by the loader, so this loop is short on purpose.
 */
#include "rt_internal.h"

tml_status_t tml_rt_bind_op(const tml_rt_t *rt, uint32_t op_index, tml_op_ctx_t *ctx)
{
    const tml_pkg_op_t *op = &rt->ops[op_index];
    uint32_t n = (uint32_t)op->n_inputs + op->n_outputs;
    if (n > TML_OP_MAX_OPERANDS)
        return TML_ERR_UNSUPPORTED;
    ctx->rt = rt;
    ctx->op = op;
    ctx->params = rt->params + op->params_idx;
    ctx->n_in = op->n_inputs;
    ctx->n_out = op->n_outputs;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ti = rt->operands[op->operands_idx + i];
        if (ti == TML_PKG_NONE) {
            ctx->t[i] = 0;
            ctx->data[i] = 0;
            continue;
        }
        if (ti >= rt->hdr->n_tensors)
            return TML_ERR_CORRUPT;
        ctx->t[i] = &rt->tensors[ti];
        ctx->data[i] = tml_rt_tensor_data(rt, ctx->t[i]);
    }
    for (uint32_t i = n; i < TML_OP_MAX_OPERANDS; i++) {
        ctx->t[i] = 0;
        ctx->data[i] = 0;
    }
    return TML_OK;
}

tml_status_t tml_rt_invoke(tml_rt_t *rt)
{
    if (!rt || !rt->hdr)
        return TML_ERR_STATE;
    for (uint32_t i = 0; i < rt->hdr->n_ops; i++) {
        tml_status_t st = tml_rt_invoke_op(rt, i);
        if (st != TML_OK)
            return st;
    }
    rt->n_invokes++;
    return TML_OK;
}

tml_status_t tml_rt_invoke_op(tml_rt_t *rt, uint32_t op_index)
{
    if (!rt || !rt->hdr)
        return TML_ERR_STATE;
    if (op_index >= rt->hdr->n_ops)
        return TML_ERR_ARG;
    tml_op_ctx_t ctx;
    tml_status_t st = tml_rt_bind_op(rt, op_index, &ctx);
    if (st != TML_OK)
        return st;
    tml_op_find(rt->ops[op_index].kernel)->eval(&ctx);
    return TML_OK;
}

uint32_t tml_rt_n_ops(const tml_rt_t *rt) { return rt->hdr ? rt->hdr->n_ops : 0; }

uint32_t tml_rt_op_kernel(const tml_rt_t *rt, uint32_t op_index)
{
    return rt->hdr && op_index < rt->hdr->n_ops ? rt->ops[op_index].kernel : TML_PKG_NONE;
}

void *tml_rt_tensor_data(const tml_rt_t *rt, const tml_pkg_tensor_t *t)
{
    if (t->storage == TML_PKG_CONST)
        return (void *)(rt->consts + t->data_off);
    return rt->arena + t->data_off;
}

uint32_t tml_rt_n_inputs(const tml_rt_t *rt) { return rt->hdr ? rt->hdr->n_inputs : 0; }
uint32_t tml_rt_n_outputs(const tml_rt_t *rt) { return rt->hdr ? rt->hdr->n_outputs : 0; }

const tml_pkg_tensor_t *tml_rt_input(const tml_rt_t *rt, uint32_t i)
{
    if (!rt->hdr || i >= rt->hdr->n_inputs)
        return 0;
    return &rt->tensors[rt->io[i]];
}

const tml_pkg_tensor_t *tml_rt_output(const tml_rt_t *rt, uint32_t i)
{
    if (!rt->hdr || i >= rt->hdr->n_outputs)
        return 0;
    return &rt->tensors[rt->io[rt->hdr->n_inputs + i]];
}

const char *tml_rt_model_name(const tml_rt_t *rt)
{
    if (!rt->hdr || rt->hdr->name_off == TML_PKG_NONE)
        return "";
    return (const char *)rt->pkg + rt->hdr->strings_off + rt->hdr->name_off;
}
