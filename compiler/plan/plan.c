/*
 * plan.c - lifetimes, in-place aliasing and greedy-by-size placement.
 */
#include <stdlib.h>
#include <string.h>

#include "tml/plan.h"

typedef struct buffer {
    int32_t root;        /* representative tensor */
    uint32_t size;       /* bytes, aligned */
    int32_t first, last; /* lifetime of the whole alias group */
    uint32_t offset;
} buffer_t;

void tml_plan_free(tml_plan_t *plan)
{
    if (!plan)
        return;
    tml_free(plan->offset);
    tml_free(plan->first);
    tml_free(plan->last);
    tml_free(plan->alias_of);
    memset(plan, 0, sizeof(*plan));
}

static uint32_t align_up(uint64_t n) { return (uint32_t)((n + TML_PLAN_ALIGN - 1) / TML_PLAN_ALIGN * TML_PLAN_ALIGN); }

static int32_t find_root(const int32_t *alias_of, int32_t t)
{
    while (alias_of[t] >= 0)
        t = alias_of[t];
    return t;
}

static int by_size_desc(const void *a_, const void *b_)
{
    const buffer_t *a = a_, *b = b_;
    if (a->size != b->size)
        return a->size < b->size ? 1 : -1;
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->root < b->root ? -1 : (a->root > b->root);
}

static int by_offset(const void *a_, const void *b_)
{
    const buffer_t *a = *(const buffer_t *const *)a_, *b = *(const buffer_t *const *)b_;
    return a->offset < b->offset ? -1 : (a->offset > b->offset);
}

/* Lifetimes of every arena tensor, before aliasing. */
static void compute_lifetimes(const tml_ir_graph_t *g, const tml_lowered_t *lw, tml_plan_t *plan)
{
    for (int t = 0; t < g->n_tensors; t++) {
        plan->first[t] = -1;
        plan->last[t] = -1;
        plan->alias_of[t] = -1;
        plan->offset[t] = TML_PKG_NONE;
    }
    for (int i = 0; i < lw->n_ops; i++) {
        const tml_lop_t *op = &lw->ops[i];
        for (int j = 0; j < op->n_in + op->n_out; j++) {
            int32_t t = op->operands[j];
            if (t < 0 || tml_ir_is_const(&g->tensors[t]))
                continue;
            if (plan->first[t] < 0)
                plan->first[t] = i;
            plan->last[t] = i;
        }
    }
    int32_t end = lw->n_ops > 0 ? lw->n_ops - 1 : 0;
    for (int i = 0; i < g->n_inputs; i++) {
        int32_t t = g->inputs[i];
        plan->first[t] = 0;
        if (plan->last[t] < 0)
            plan->last[t] = 0;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int32_t t = g->outputs[i];
        if (plan->first[t] < 0)
            plan->first[t] = 0;
        plan->last[t] = end;
    }
}

static int is_graph_output(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

/* Joins an op's output with the input it may overwrite when the input's
 * whole alias group is dead after this op. */
static void apply_inplace(const tml_ir_graph_t *g, const tml_lowered_t *lw, tml_plan_t *plan,
                          int32_t *group_last)
{
    for (int t = 0; t < g->n_tensors; t++)
        group_last[t] = plan->last[t];
    for (int i = 0; i < lw->n_ops; i++) {
        const tml_lop_t *op = &lw->ops[i];
        if (op->inplace_input < 0 || op->inplace_input >= op->n_in)
            continue;
        int32_t in = op->operands[op->inplace_input];
        int32_t out = op->operands[op->n_in];
        if (in < 0 || out < 0 || in == out || tml_ir_is_const(&g->tensors[in]))
            continue;
        if (plan->first[out] != i || plan->alias_of[out] >= 0)
            continue;
        if (tml_ir_tensor_bytes(&g->tensors[in]) != tml_ir_tensor_bytes(&g->tensors[out]))
            continue;
        int32_t root = find_root(plan->alias_of, in);
        if (group_last[root] != i || is_graph_output(g, in))
            continue;
        /* No other operand of this op may live in the same group. */
        int clash = 0;
        for (int j = 0; j < op->n_in + op->n_out; j++) {
            int32_t other = op->operands[j];
            if (j != op->inplace_input && other >= 0 && other != in &&
                !tml_ir_is_const(&g->tensors[other]) && find_root(plan->alias_of, other) == root)
                clash = 1;
        }
        if (clash)
            continue;
        plan->alias_of[out] = in;
        group_last[root] = plan->last[out];
    }
}

/* Places buffers in the given order, each at the lowest offset (first fit)
 * or in the smallest gap (best fit) clear of every already placed buffer
 * whose lifetime overlaps. Returns the peak, or UINT64_MAX past 4 GiB. */
static uint64_t place_in_order(buffer_t *buffers, const int *order, int n, int best_fit,
                               buffer_t **placed)
{
    uint64_t peak = 0;
    for (int i = 0; i < n; i++) {
        buffer_t *b = &buffers[order[i]];
        int n_placed = 0;
        for (int j = 0; j < i; j++) {
            buffer_t *p = &buffers[order[j]];
            if (p->first <= b->last && b->first <= p->last)
                placed[n_placed++] = p;
        }
        qsort(placed, (size_t)n_placed, sizeof(placed[0]), by_offset);
        /* The space past the last placed buffer is an unbounded gap, so a
         * place is always found. */
        uint64_t offset = 0, best = 0, best_gap = 0;
        int found = 0;
        for (int p = 0; p <= n_placed; p++) {
            uint64_t gap_end = p < n_placed ? placed[p]->offset : UINT64_MAX;
            if (gap_end >= offset + b->size) {
                uint64_t gap = gap_end - offset;
                if (!found || gap < best_gap) {
                    found = 1;
                    best_gap = gap;
                    best = offset;
                }
                if (!best_fit)
                    break;
            }
            if (p < n_placed) {
                uint64_t end = (uint64_t)placed[p]->offset + placed[p]->size;
                if (end > offset)
                    offset = end;
            }
        }
        if (best + b->size > 0xFFFFFFF0u)
            return UINT64_MAX;
        b->offset = (uint32_t)best;
        if (best + b->size > peak)
            peak = best + b->size;
    }
    return peak;
}

static const buffer_t *sort_base;

static int cmp_first_use(const void *a_, const void *b_)
{
    const buffer_t *a = &sort_base[*(const int *)a_], *b = &sort_base[*(const int *)b_];
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->size > b->size ? -1 : (a->size < b->size);
}

static int cmp_last_use_desc(const void *a_, const void *b_)
{
    const buffer_t *a = &sort_base[*(const int *)a_], *b = &sort_base[*(const int *)b_];
    if (a->last != b->last)
        return a->last > b->last ? -1 : 1;
    return a->size > b->size ? -1 : (a->size < b->size);
}

/* Tries several placement orders and keeps the smallest peak: greedy by
 * size (the classic heuristic, so the result is never worse than it), by
 * first use, by last use, by "breadth" (the buffers of the busiest op
 * first), each with first fit and best fit, then seeded perturbations of the
 * size order. buffers must be sorted by size, descending. */
static tml_status_t place_best(buffer_t *buffers, int n, int n_ops, buffer_t **placed,
                               uint32_t *arena_len, const char **strategy, tml_err_t *err)
{
    static const char *const names[] = {"greedy by size", "first use", "last use", "breadth"};
    int *order = tml_malloc(((size_t)n + 1) * sizeof(int));
    int *best_order = tml_malloc(((size_t)n + 1) * sizeof(int));
    uint64_t *op_live = tml_calloc((size_t)n_ops + 1, sizeof(uint64_t));
    uint8_t *taken = tml_malloc((size_t)n + 1);
    if (!order || !best_order || !op_live || !taken) {
        tml_free(order);
        tml_free(best_order);
        tml_free(op_live);
        tml_free(taken);
        return tml_err_set(err, TML_ERR_NOMEM, "planner: out of memory");
    }
    for (int i = 0; i < n; i++)
        for (int32_t k = buffers[i].first; k <= buffers[i].last && k < n_ops; k++)
            op_live[k] += buffers[i].size;
    uint64_t best = UINT64_MAX;
    int best_fit_mode = 0;
    const char *best_name = names[0];
    uint32_t seed = 0x2545F491u;
    for (int attempt = 0; attempt < 4 * 2 + 32; attempt++) {
        int kind = attempt < 8 ? attempt / 2 : -1, fit = attempt % 2;
        for (int i = 0; i < n; i++)
            order[i] = i;
        sort_base = buffers;
        if (kind == 1)
            qsort(order, (size_t)n, sizeof(int), cmp_first_use);
        else if (kind == 2)
            qsort(order, (size_t)n, sizeof(int), cmp_last_use_desc);
        else if (kind == 3) {
            /* Buffers live at the busiest op first, then the next busiest... */
            int pos = 0;
            memset(taken, 0, (size_t)n);
            for (;;) {
                int32_t busiest = -1;
                for (int k = 0; k < n_ops; k++)
                    if (op_live[k] && (busiest < 0 || op_live[k] > op_live[busiest]))
                        busiest = k;
                if (busiest < 0)
                    break;
                for (int i = 0; i < n; i++)
                    if (!taken[i] && buffers[i].first <= busiest && busiest <= buffers[i].last) {
                        taken[i] = 1;
                        order[pos++] = i;
                    }
                op_live[busiest] = 0;
            }
            for (int i = 0; i < n; i++)
                if (!taken[i])
                    order[pos++] = i;
            for (int i = 0; i < n; i++)
                for (int32_t k = buffers[i].first; k <= buffers[i].last && k < n_ops; k++)
                    op_live[k] += buffers[i].size;
        } else if (kind < 0) {
            /* Swap a few neighbours of the size order (xorshift, fixed seed). */
            for (int s = 0; s < n / 4 + 1 && n > 1; s++) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                int i = (int)(seed % (uint32_t)(n - 1));
                int tmp = order[i];
                order[i] = order[i + 1];
                order[i + 1] = tmp;
            }
        }
        uint64_t peak = place_in_order(buffers, order, n, fit, placed);
        if (peak < best) {
            best = peak;
            best_fit_mode = fit;
            memcpy(best_order, order, (size_t)n * sizeof(int));
            best_name = kind >= 0 ? names[kind] : "perturbed size order";
        }
    }
    tml_status_t st = TML_OK;
    if (best == UINT64_MAX)
        st = tml_err_set(err, TML_ERR_NOFIT, "planner: arena exceeds 4 GiB");
    else
        place_in_order(buffers, best_order, n, best_fit_mode, placed);
    *arena_len = best == UINT64_MAX ? 0 : (uint32_t)best;
    *strategy = best_name;
    tml_free(order);
    tml_free(best_order);
    tml_free(op_live);
    tml_free(taken);
    return st;
}

tml_status_t tml_plan_arena(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                            tml_plan_t *plan, tml_err_t *err)
{
    memset(plan, 0, sizeof(*plan));
    size_t n = (size_t)g->n_tensors + 1;
    plan->n_tensors = g->n_tensors;
    plan->offset = tml_malloc(n * sizeof(uint32_t));
    plan->first = tml_malloc(n * sizeof(int32_t));
    plan->last = tml_malloc(n * sizeof(int32_t));
    plan->alias_of = tml_malloc(n * sizeof(int32_t));
    int32_t *group_last = tml_malloc(n * sizeof(int32_t));
    buffer_t *buffers = tml_malloc(n * sizeof(buffer_t));
    buffer_t **placed = tml_malloc(n * sizeof(buffer_t *));
    int32_t *buffer_of_root = tml_malloc(n * sizeof(int32_t));
    tml_status_t st = TML_OK;
    if (!plan->offset || !plan->first || !plan->last || !plan->alias_of || !group_last ||
        !buffers || !placed || !buffer_of_root) {
        st = tml_err_set(err, TML_ERR_NOMEM, "planner: out of memory");
        goto done;
    }
    compute_lifetimes(g, lw, plan);
    apply_inplace(g, lw, plan, group_last);

    /* One buffer per alias group. */
    int n_buffers = 0;
    for (int t = 0; t < g->n_tensors; t++)
        buffer_of_root[t] = -1;
    for (int t = 0; t < g->n_tensors; t++) {
        if (plan->first[t] < 0)
            continue;
        int32_t root = find_root(plan->alias_of, t);
        uint64_t bytes = tml_ir_tensor_bytes(&g->tensors[t]);
        if (bytes > 0x7FFFFFFFu) {
            st = tml_err_set(err, TML_ERR_NOFIT, "planner: tensor %s is %llu bytes",
                             g->tensors[t].name, (unsigned long long)bytes);
            goto done;
        }
        if (plan->alias_of[t] < 0)
            plan->sum_len += align_up(bytes);
        int32_t b = buffer_of_root[root];
        if (b < 0) {
            b = buffer_of_root[root] = n_buffers++;
            buffers[b] = (buffer_t){.root = root, .size = 0, .first = plan->first[t],
                                    .last = plan->last[t], .offset = 0};
        }
        buffer_t *buf = &buffers[b];
        if (align_up(bytes) > buf->size)
            buf->size = align_up(bytes);
        if (plan->first[t] < buf->first)
            buf->first = plan->first[t];
        if (plan->last[t] > buf->last)
            buf->last = plan->last[t];
    }
    qsort(buffers, (size_t)n_buffers, sizeof(buffer_t), by_size_desc);
    st = place_best(buffers, n_buffers, lw->n_ops, placed, &plan->arena_len, &plan->strategy, err);
    if (st != TML_OK)
        goto done;
    for (int b = 0; b < n_buffers; b++)
        buffer_of_root[buffers[b].root] = b;
    for (int t = 0; t < g->n_tensors; t++)
        if (plan->first[t] >= 0)
            plan->offset[t] = buffers[buffer_of_root[find_root(plan->alias_of, t)]].offset;

done:
    tml_free(group_last);
    tml_free(buffers);
    tml_free(placed);
    tml_free(buffer_of_root);
    if (st != TML_OK)
        tml_plan_free(plan);
    return st;
}

tml_status_t tml_plan_live_bytes(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                                 const tml_plan_t *plan, uint32_t **live)
{
    *live = tml_calloc(lw->n_ops > 0 ? (size_t)lw->n_ops : 1, sizeof(uint32_t));
    if (!*live)
        return TML_ERR_NOMEM;
    for (int t = 0; t < g->n_tensors && t < plan->n_tensors; t++) {
        if (plan->first[t] < 0 || plan->alias_of[t] >= 0)
            continue;
        /* An alias group counts once, over the group's whole life. */
        int32_t first = plan->first[t], last = plan->last[t];
        for (int u = 0; u < plan->n_tensors; u++)
            if (plan->alias_of[u] >= 0 && find_root(plan->alias_of, u) == t && plan->last[u] > last)
                last = plan->last[u];
        uint32_t bytes = align_up(tml_ir_tensor_bytes(&g->tensors[t]));
        for (int32_t i = first; i <= last && i < lw->n_ops; i++)
            (*live)[i] += bytes;
    }
    return TML_OK;
}
