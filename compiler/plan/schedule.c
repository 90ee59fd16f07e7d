/*
 * schedule.c - operator scheduling for a lower arena peak.
 *
 * The lowered ops come in the model's order, which is one topological order
 * of their data dependences among many; which tensors are alive together
 * depends on it. In a residual block with a strided shortcut, for example,
 * running the shortcut conv right after the block's first conv lets it
 * write over the block input, which then dies, before the second conv
 * runs, instead of keeping the input alive beside both convs' outputs.
 * The scheduler builds one more order greedily (of the ops ready to run,
 * the one that adds the fewest live bytes: its outputs minus the inputs it
 * is the last reader of; ties keep the model's order), plans both orders
 * the way compilation will (in-place hints, then the arena plan) and keeps
 * the new one only if its arena is smaller: never worse than before.
 */
#include <string.h>

#include "tml/plan.h"

static uint64_t aligned_bytes(const tml_ir_graph_t *g, int32_t t)
{
    uint64_t n = tml_ir_tensor_bytes(&g->tensors[t]);
    return (n + TML_PLAN_ALIGN - 1) / TML_PLAN_ALIGN * TML_PLAN_ALIGN;
}

static int reads(const tml_lop_t *op, int32_t t)
{
    for (int j = 0; j < op->n_in; j++)
        if (op->operands[j] == t)
            return 1;
    return 0;
}

static int writes(const tml_lop_t *op, int32_t t)
{
    for (int j = op->n_in; j < op->n_in + op->n_out; j++)
        if (op->operands[j] == t)
            return 1;
    return 0;
}

/* Whether op j (after op i in the model's order) must stay after op i: it
 * reads what i writes, or writes what i reads or writes. */
static int depends(const tml_lop_t *i, const tml_lop_t *j)
{
    for (int k = 0; k < i->n_in + i->n_out; k++) {
        int32_t t = i->operands[k];
        if (t < 0)
            continue;
        if (k >= i->n_in && (reads(j, t) || writes(j, t)))
            return 1;
        if (k < i->n_in && writes(j, t))
            return 1;
    }
    return 0;
}

static int is_graph_output(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

/* The greedy order into order[0 .. n_ops). dep is n_ops x n_ops (dep[j * n
 * + i]: j after i); readers_left per tensor, consumed. */
static void greedy_order(const tml_ir_graph_t *g, const tml_lowered_t *lw, const uint8_t *dep,
                         int32_t *readers_left, uint8_t *done, int32_t *order)
{
    const int n = lw->n_ops;
    memset(done, 0, (size_t)n);
    for (int step = 0; step < n; step++) {
        int best = -1;
        int64_t best_delta = 0;
        for (int j = 0; j < n; j++) {
            if (done[j])
                continue;
            int ready = 1;
            for (int i = 0; i < j && ready; i++)
                if (!done[i] && dep[(size_t)j * (size_t)n + (size_t)i])
                    ready = 0;
            if (!ready)
                continue;
            const tml_lop_t *op = &lw->ops[j];
            int64_t delta = 0;
            for (int k = 0; k < op->n_in + op->n_out; k++) {
                int32_t t = op->operands[k];
                if (t < 0 || tml_ir_is_const(&g->tensors[t]))
                    continue;
                /* count each operand tensor once */
                int seen = 0;
                for (int m = 0; m < k; m++)
                    seen |= op->operands[m] == t;
                if (seen)
                    continue;
                if (k >= op->n_in)
                    delta += (int64_t)aligned_bytes(g, t);
                else if (readers_left[t] == 1 && !is_graph_output(g, t))
                    delta -= (int64_t)aligned_bytes(g, t);
            }
            if (best < 0 || delta < best_delta) {
                best = j;
                best_delta = delta;
            }
        }
        /* The dependences are acyclic (edges go forward), so some op is ready. */
        done[best] = 1;
        order[step] = best;
        const tml_lop_t *op = &lw->ops[best];
        for (int k = 0; k < op->n_in; k++) {
            int32_t t = op->operands[k];
            int seen = 0;
            for (int m = 0; m < k; m++)
                seen |= op->operands[m] == t;
            if (t >= 0 && !seen)
                readers_left[t]--;
        }
    }
}

/* A deep copy of lw with its ops in the given order (NULL: as they are). */
static tml_status_t copy_ordered(const tml_lowered_t *lw, const int32_t *order, tml_lowered_t *out)
{
    memset(out, 0, sizeof(*out));
    out->ops = tml_calloc((size_t)lw->n_ops + 1, sizeof(tml_lop_t));
    if (!out->ops)
        return TML_ERR_NOMEM;
    out->cap_ops = lw->n_ops + 1;
    for (int i = 0; i < lw->n_ops; i++) {
        const tml_lop_t *src = &lw->ops[order ? order[i] : i];
        tml_lop_t *dst = &out->ops[i];
        *dst = *src;
        dst->params = tml_malloc(src->n_params ? (size_t)src->n_params * 4 : 4);
        if (!dst->params) {
            out->n_ops = i;
            tml_lowered_free(out);
            return TML_ERR_NOMEM;
        }
        memcpy(dst->params, src->params, (size_t)src->n_params * 4);
        out->n_ops = i + 1;
    }
    return TML_OK;
}

/* The arena the compilation would plan for this order. */
static tml_status_t arena_for(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                              const int32_t *order, int inplace, uint32_t *len, tml_err_t *err)
{
    tml_lowered_t copy;
    if (copy_ordered(lw, order, &copy) != TML_OK)
        return tml_err_set(err, TML_ERR_NOMEM, "scheduler: out of memory");
    tml_status_t st = inplace ? tml_plan_inplace_hints(g, &copy, err) : TML_OK;
    tml_plan_t plan;
    if (st == TML_OK)
        st = tml_plan_arena(g, &copy, &plan, err);
    if (st == TML_OK) {
        *len = plan.arena_len;
        tml_plan_free(&plan);
    }
    tml_lowered_free(&copy);
    return st;
}

tml_status_t tml_plan_schedule(const tml_ir_graph_t *g, tml_lowered_t *lw, int inplace,
                               int *moved, tml_err_t *err)
{
    *moved = 0;
    const int n = lw->n_ops;
    if (n < 3)
        return TML_OK;
    uint8_t *dep = tml_calloc((size_t)n * (size_t)n, 1);
    uint8_t *done = tml_malloc((size_t)n);
    int32_t *readers_left = tml_calloc((size_t)g->n_tensors + 1, sizeof(int32_t));
    int32_t *order = tml_malloc((size_t)n * sizeof(int32_t));
    tml_lop_t *ops = tml_malloc((size_t)n * sizeof(tml_lop_t));
    tml_status_t st = TML_OK;
    if (!dep || !done || !readers_left || !order || !ops) {
        st = tml_err_set(err, TML_ERR_NOMEM, "scheduler: out of memory");
        goto done;
    }
    for (int j = 0; j < n; j++)
        for (int i = 0; i < j; i++)
            dep[(size_t)j * (size_t)n + (size_t)i] = (uint8_t)depends(&lw->ops[i], &lw->ops[j]);
    for (int j = 0; j < n; j++) {
        const tml_lop_t *op = &lw->ops[j];
        for (int k = 0; k < op->n_in; k++) {
            int32_t t = op->operands[k];
            int seen = 0;
            for (int m = 0; m < k; m++)
                seen |= op->operands[m] == t;
            if (t >= 0 && !seen)
                readers_left[t]++;
        }
    }
    greedy_order(g, lw, dep, readers_left, done, order);
    int same = 1;
    for (int i = 0; i < n; i++)
        same &= order[i] == i;
    if (same)
        goto done;
    uint32_t before = 0, after = 0;
    if ((st = arena_for(g, lw, NULL, inplace, &before, err)) != TML_OK ||
        (st = arena_for(g, lw, order, inplace, &after, err)) != TML_OK)
        goto done;
    if (after >= before)
        goto done;
    for (int i = 0; i < n; i++) {
        ops[i] = lw->ops[order[i]];
        *moved += order[i] != i;
    }
    memcpy(lw->ops, ops, (size_t)n * sizeof(tml_lop_t));

done:
    tml_free(dep);
    tml_free(done);
    tml_free(readers_left);
    tml_free(order);
    tml_free(ops);
    return st;
}
