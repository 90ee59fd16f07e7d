/*
 * scratch.c - scratch that never grows the arena: CONV2D_4PX_S8_DSP keeps
 * its int16 windows in scratch, which is worth it only where the scratch
 * fits under the arena's peak. Starting from every such op on its
 * scratch-free twin (CONV2D_DIRECT_S8_DSP, the same result), each is given
 * its scratch back in turn and keeps it when the re-planned arena is no
 * larger; so the arena is exactly the scratch-free one.
 */
#include "tml/lower.h"
#include "tml/plan.h"

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

tml_status_t tml_plan_scratch_settle(tml_ir_graph_t *g, tml_lowered_t *lw, tml_plan_t *plan,
                                     tml_err_t *err)
{
    int n_fast = 0;
    for (int i = 0; i < lw->n_ops; i++)
        n_fast += lw->ops[i].kernel == TML_K_CONV2D_4PX_S8_DSP;
    if (!n_fast)
        return TML_OK;
    const uint32_t with_all = plan->arena_len;
    tml_status_t st = TML_OK;
    for (int i = 0; i < lw->n_ops && st == TML_OK; i++)
        if (lw->ops[i].kernel == TML_K_CONV2D_4PX_S8_DSP)
            st = tml_lower_dsp_conv_4px_set(g, &lw->ops[i], false);
    if (st == TML_OK)
        st = replan(g, lw, plan, err);
    if (st != TML_OK)
        return tml_err_set(err, st, "scratch settle: %s", tml_strerror(st));
    const uint32_t floor = plan->arena_len;
    if (floor == with_all) { /* no scratch was at a peak: all back */
        for (int i = 0; i < lw->n_ops && st == TML_OK; i++)
            if (lw->ops[i].kernel == TML_K_CONV2D_DIRECT_S8_DSP && lw->ops[i].operands[6] >= 0 &&
                lw->ops[i].n_out == 1)
                st = tml_lower_dsp_conv_4px_set(g, &lw->ops[i], true);
        return st == TML_OK ? replan(g, lw, plan, err) : tml_err_set(err, st, "scratch settle");
    }
    for (int i = 0; i < lw->n_ops; i++) {
        tml_lop_t *op = &lw->ops[i];
        if (op->kernel != TML_K_CONV2D_DIRECT_S8_DSP || op->n_out != 1 || op->operands[6] < 0)
            continue;
        if ((st = tml_lower_dsp_conv_4px_set(g, op, true)) != TML_OK ||
            (st = replan(g, lw, plan, err)) != TML_OK)
            return st;
        if (plan->arena_len > floor &&
            ((st = tml_lower_dsp_conv_4px_set(g, op, false)) != TML_OK ||
             (st = replan(g, lw, plan, err)) != TML_OK))
            return st;
    }
    return TML_OK;
}
