/*
 * inplace.c - in-place convolutions: which int8 convs may write over their
 * dying input, in which direction and at which distance.
 *
 * Before planning, every reference int8 conv / depthwise conv whose input
 * is read by no later op becomes its _INPLACE twin (same arithmetic, a
 * defined output order: tml/kernels/inplace.h) with an overlap hint for the
 * planner. The distance comes from tml_conv_inplace_bound(), the same rule
 * the loader checks, rounded to the planner's alignment; the direction is
 * chosen to keep a chain of in-place ops compact: the planner places a
 * chain as one rigid unit, so the directions along each chain are chosen
 * together for the smallest extent (a small dynamic programme). After planning, ops whose hint the planner did not use go back
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

/* One convertible op: its distances for each direction and its tensors. */
typedef struct cand {
    int32_t op, in, out;
    int64_t d[2];        /* [0] forward (<= 0), [1] reverse (>= 0), aligned */
    int64_t in_len, out_len;
    int32_t next;        /* the candidate reading this one's output, or -1 */
    int has_prev;
    int dir;             /* chosen direction */
} cand_t;

/* A chain's extent seen from its newest tensor: down bytes below its start,
 * up bytes from its start to the top. Only these matter (the planner moves
 * the whole chain), so a state dominates another when both are smaller. */
typedef struct state {
    int64_t down, up;
    int32_t parent;      /* state index in the previous step */
    int dir;
} state_t;

#define MAX_FRONT 64

static int by_span(const void *a_, const void *b_)
{
    const state_t *a = a_, *b = b_;
    int64_t sa = a->down + a->up, sb = b->down + b->up;
    if (sa != sb)
        return sa < sb ? -1 : 1;
    if (a->down != b->down)
        return a->down < b->down ? -1 : 1;
    return a->dir - b->dir;
}

/* Directions for one chain (c[first], c[c[first].next], ...) with the
 * smallest final extent: a dynamic programme over Pareto fronts of
 * (down, up), at most MAX_FRONT states per step (the smallest spans).
 * Step s's front is states[s * 2 * MAX_FRONT ...]. */
static void choose_chain(cand_t *c, int32_t first, int len, state_t *states)
{
    state_t start = {.down = 0, .up = c[first].in_len, .parent = -1, .dir = 0};
    const state_t *prev = &start;
    int n_prev = 1;
    int32_t e = first;
    for (int step = 0; step < len; step++, e = c[e].next) {
        state_t *cur = states + (size_t)step * 2 * MAX_FRONT;
        int n_cur = 0;
        for (int k = 0; k < n_prev; k++)
            for (int dir = 0; dir < 2; dir++) {
                /* Relative to the new tensor's start (d from the old one). */
                int64_t d = c[e].d[dir];
                int64_t down = d + prev[k].down > 0 ? d + prev[k].down : 0;
                int64_t up = prev[k].up - d > c[e].out_len ? prev[k].up - d : c[e].out_len;
                cur[n_cur++] = (state_t){.down = down, .up = up, .parent = k, .dir = dir};
            }
        qsort(cur, (size_t)n_cur, sizeof(state_t), by_span);
        int n_keep = 0;
        for (int k = 0; k < n_cur && n_keep < MAX_FRONT; k++) {
            int dominated = 0;
            for (int j = 0; j < n_keep && !dominated; j++)
                dominated = cur[j].down <= cur[k].down && cur[j].up <= cur[k].up;
            if (!dominated)
                cur[n_keep++] = cur[k];
        }
        prev = cur;
        n_prev = n_keep;
    }
    /* Back from the best final state (fronts are sorted by span). */
    int k = 0;
    for (int step = len - 1; step >= 0; step--) {
        const state_t *front = states + (size_t)step * 2 * MAX_FRONT;
        int32_t x = first;
        for (int j = 0; j < step; j++)
            x = c[x].next;
        c[x].dir = front[k].dir;
        k = front[k].parent;
    }
}

tml_status_t tml_plan_inplace_hints(const tml_ir_graph_t *g, tml_lowered_t *lw, tml_err_t *err)
{
    size_t n = (size_t)g->n_tensors + 1;
    int32_t *last = tml_malloc(n * sizeof(int32_t));
    int32_t *reader = tml_malloc(n * sizeof(int32_t)); /* candidate with this input */
    cand_t *c = tml_malloc(((size_t)lw->n_ops + 1) * sizeof(cand_t));
    state_t *states = tml_malloc(((size_t)lw->n_ops + 1) * 2 * MAX_FRONT * sizeof(state_t));
    /* (chains are at most n_ops long) */
    if (!last || !reader || !c || !states) {
        tml_free(last);
        tml_free(reader);
        tml_free(c);
        tml_free(states);
        return tml_err_set(err, TML_ERR_NOMEM, "in-place hints: out of memory");
    }
    for (int t = 0; t < g->n_tensors; t++) {
        last[t] = -1;
        reader[t] = -1;
    }
    for (int i = 0; i < lw->n_ops; i++)
        for (int j = 0; j < lw->ops[i].n_in + lw->ops[i].n_out; j++)
            if (lw->ops[i].operands[j] >= 0)
                last[lw->ops[i].operands[j]] = i;
    for (int i = 0; i < g->n_outputs; i++)
        last[g->outputs[i]] = lw->n_ops;
    int n_c = 0;
    for (int i = 0; i < lw->n_ops; i++) {
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
        c[n_c] = (cand_t){.op = i, .in = in, .out = out, .d = {d_fwd, d_rev},
                          .in_len = ceil_align((int64_t)tml_ir_tensor_bytes(&g->tensors[in])),
                          .out_len = ceil_align((int64_t)tml_ir_tensor_bytes(&g->tensors[out])),
                          .next = -1, .has_prev = 0, .dir = 0};
        reader[in] = n_c++;
    }
    for (int e = 0; e < n_c; e++)
        if (reader[c[e].out] > e) {
            c[e].next = reader[c[e].out];
            c[c[e].next].has_prev = 1;
        }
    for (int e = 0; e < n_c; e++) {
        if (c[e].has_prev)
            continue;
        int len = 0;
        for (int32_t x = e; x >= 0; x = c[x].next)
            len++;
        choose_chain(c, e, len, states);
    }
    tml_status_t st = TML_OK;
    for (int e = 0; e < n_c && st == TML_OK; e++) {
        tml_lop_t *op = &lw->ops[c[e].op];
        int depthwise = op->kernel == TML_K_DWCONV2D_S8;
        tml_conv_inplace_params_t ip;
        memcpy(&ip.conv, op->params, sizeof(ip.conv));
        ip.reverse = c[e].dir;
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
        op->overlap_off = (int32_t)c[e].d[c[e].dir];
    }
    tml_free(last);
    tml_free(reader);
    tml_free(c);
    tml_free(states);
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
