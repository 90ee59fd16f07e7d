/*
 * scratch.c - scratch that never grows the arena: CONV2D_4PX_S8_DSP keeps
 * its int16 windows in scratch, which is worth it only where the scratch
 * fits under the arena's peak. Starting from every such op on a
 * scratch-free twin (the same result), each is given its scratch back in
 * turn and keeps it when the re-planned arena is no larger; so the arena is
 * exactly the scratch-free one. The twin is CONV2D_4PX_OUT_S8_DSP, which
 * borrows the output's tail, where the output is large beside the scratch
 * (so that few pixels take its slow path), else CONV2D_DIRECT_S8_DSP.
 */
#include "tml/lower.h"
#include "tml/plan.h"

/* Output bytes per scratch byte from which CONV2D_4PX_OUT_S8_DSP is used. */
#define OUT_MIN_RATIO 8u

static tml_status_t replan(const tml_ir_graph_t *g, const tml_lowered_t *lw, tml_plan_t *plan,
                           tml_err_t *err)
{
    tml_plan_t next;
    tml_status_t st = tml_plan_arena(g, lw, &next, err);
    if (st != TML_OK)
        return st;
    tml_plan_free(plan);
    *plan = next;
    return TML_OK;
}

static tml_kernel_t twin(const tml_lop_t *op)
{
    const tml_conv_params_t *p = (const tml_conv_params_t *)op->params;
    const uint64_t out_len =
        (uint64_t)p->n * (uint64_t)p->out_h * (uint64_t)p->out_w * (uint64_t)p->out_c;
    return out_len >= OUT_MIN_RATIO * (uint64_t)tml_conv2d_4px_s8_dsp_scratch_size(p)
               ? TML_K_CONV2D_4PX_OUT_S8_DSP
               : TML_K_CONV2D_DIRECT_S8_DSP;
}

tml_status_t tml_plan_scratch_settle(tml_ir_graph_t *g, tml_lowered_t *lw, tml_plan_t *plan,
                                     tml_err_t *err)
{
    int n_fast = 0;
    for (int i = 0; i < lw->n_ops; i++)
        n_fast += lw->ops[i].kernel == TML_K_CONV2D_4PX_S8_DSP;
    if (!n_fast)
        return TML_OK;
    int *fast = tml_malloc((size_t)n_fast * sizeof(int)); /* their op indices */
    if (!fast)
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    tml_status_t st = TML_OK;
    for (int i = 0, j = 0; i < lw->n_ops && st == TML_OK; i++)
        if (lw->ops[i].kernel == TML_K_CONV2D_4PX_S8_DSP) {
            fast[j++] = i;
            st = tml_lower_dsp_conv_4px_set(g, &lw->ops[i], twin(&lw->ops[i]));
        }
    if (st == TML_OK)
        st = replan(g, lw, plan, err);
    const uint32_t floor = plan->arena_len;
    for (int j = 0; j < n_fast && st == TML_OK; j++) {
        tml_lop_t *op = &lw->ops[fast[j]];
        const tml_kernel_t back = op->kernel;
        if ((st = tml_lower_dsp_conv_4px_set(g, op, TML_K_CONV2D_4PX_S8_DSP)) == TML_OK &&
            (st = replan(g, lw, plan, err)) == TML_OK && plan->arena_len > floor &&
            (st = tml_lower_dsp_conv_4px_set(g, op, back)) == TML_OK)
            st = replan(g, lw, plan, err);
    }
    tml_free(fast);
    if (st != TML_OK && (!err || err->status == TML_OK))
        return tml_err_set(err, st, "scratch settle: %s", tml_strerror(st));
    return st;
}
