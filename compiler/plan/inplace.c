/*
 * inplace.c - in-place convolutions: which int8 convs may write over their
 * dying input, in which direction and at which distance.
 *
 * Before planning, every reference int8 conv / depthwise conv whose input
 * is read by no later op becomes its _INPLACE twin (same arithmetic, a
 * defined output order: tml/kernels/inplace.h) with an overlap hint for the
 * planner. The distance comes from tml_conv_inplace_bound(), the same rule
 * the loader checks, rounded to the planner's alignment; the direction is
 * chosen to keep a chain of in-place ops from drifting: each output's
 * position relative to the chain's first tensor is tracked, and the
 * direction that ends nearer that origin wins (ties: the smaller move, then
 * forward). After planning, ops whose hint the planner did not use go back
 * to the plain kernel, so packages only change where memory is saved.
 */
#include <stdlib.h>
#include <string.h>

#include "tml/plan.h"

static int64_t floor_align(int64_t v)
{
    int64_t a = TML_PLAN_ALIGN;
    return v >= 0 ? v / a * a : -((-v + a - 1) / a * a);
}

static int64_t ceil_align(int64_t v) { return -floor_align(-v); }

static int64_t abs64(int64_t v) { return v < 0 ? -v : v; }

tml_status_t tml_plan_inplace_hints(const tml_ir_graph_t *g, tml_lowered_t *lw, tml_err_t *err)
{
    size_t n = (size_t)g->n_tensors + 1;
    int32_t *last = tml_malloc(n * sizeof(int32_t));
    int64_t *drift = tml_calloc(n, sizeof(int64_t));
    if (!last || !drift) {
        tml_free(last);
        tml_free(drift);
        return tml_err_set(err, TML_ERR_NOMEM, "in-place hints: out of memory");
    }
    for (int t = 0; t < g->n_tensors; t++)
        last[t] = -1;
    for (int i = 0; i < lw->n_ops; i++)
        for (int j = 0; j < lw->ops[i].n_in + lw->ops[i].n_out; j++)
            if (lw->ops[i].operands[j] >= 0)
                last[lw->ops[i].operands[j]] = i;
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = lw->n_ops;
    tml_status_t st = TML_OK;
    for (int i = 0; i < lw->n_ops && st == TML_OK; i++) {
        tml_lop_t *op = &lw->ops[i];
        int depthwise = op->kernel == TML_K_DWCONV2D_S8;
        if ((op->kernel != TML_K_CONV2D_S8 && !depthwise) || op->n_out != 1 ||
            op->n_params != (int)(sizeof(tml_conv_params_t) / 4))
            continue;
        int32_t in = op->operands[0], out = op->operands[op->n_in];
        if (in < 0 || out < 0 || tml_ir_is_const(&g->tensors[in]) || last[in] != i)
            continue;
        const tml_conv_params_t *p = (const tml_conv_params_t *)op->params;
        int64_t fwd = tml_conv_inplace_bound(p, depthwise, 0);
        int64_t rev = tml_conv_inplace_bound(p, depthwise, 1);
        /* Any distance up to fwd (from rev) is safe; 0 overlaps most. */
        int64_t d_fwd = floor_align(fwd < 0 ? fwd : 0), d_rev = ceil_align(rev > 0 ? rev : 0);
        if (d_fwd < INT32_MIN || d_rev > INT32_MAX)
            continue;
        int64_t at_fwd = drift[in] + d_fwd, at_rev = drift[in] + d_rev;
        int reverse = abs64(at_rev) < abs64(at_fwd) ||
                      (abs64(at_rev) == abs64(at_fwd) && abs64(d_rev) < abs64(d_fwd));
        tml_conv_inplace_params_t ip;
        memcpy(&ip.conv, p, sizeof(ip.conv));
        ip.reverse = reverse;
        int32_t *params = tml_realloc(op->params, sizeof(ip));
        if (!params) {
            st = tml_err_set(err, TML_ERR_NOMEM, "in-place hints: out of memory");
            break;
        }
        memcpy(params, &ip, sizeof(ip));
        op->params = params;
        op->n_params = (int)(sizeof(ip) / 4);
        op->kernel = depthwise ? TML_K_DWCONV2D_S8_INPLACE : TML_K_CONV2D_S8_INPLACE;
        op->overlap_input = 0;
        op->overlap_off = (int32_t)(reverse ? d_rev : d_fwd);
        drift[out] = reverse ? at_rev : at_fwd;
    }
    tml_free(last);
    tml_free(drift);
    return st;
}

void tml_plan_inplace_settle(const tml_plan_t *plan, tml_lowered_t *lw)
{
    for (int i = 0; i < lw->n_ops; i++) {
        tml_lop_t *op = &lw->ops[i];
        if ((op->kernel != TML_K_CONV2D_S8_INPLACE && op->kernel != TML_K_DWCONV2D_S8_INPLACE) ||
            op->overlap_input < 0)
            continue;
        int32_t out = op->operands[op->n_in];
        if (out >= 0 && out < plan->n_tensors && plan->overlap_of[out] >= 0)
            continue;
        /* The params struct starts with the plain kernel's. */
        op->kernel = op->kernel == TML_K_CONV2D_S8_INPLACE ? TML_K_CONV2D_S8 : TML_K_DWCONV2D_S8;
        op->n_params = (int)(sizeof(tml_conv_params_t) / 4);
        op->overlap_input = -1;
        op->overlap_off = 0;
    }
}
