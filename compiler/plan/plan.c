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

    uint64_t peak = 0;
    for (int b = 0; b < n_buffers; b++) {
        int n_placed = 0;
        for (int p = 0; p < b; p++)
            if (buffers[p].first <= buffers[b].last && buffers[b].first <= buffers[p].last)
                placed[n_placed++] = &buffers[p];
        qsort(placed, (size_t)n_placed, sizeof(placed[0]), by_offset);
        uint64_t offset = 0;
        for (int p = 0; p < n_placed; p++) {
            if (offset + buffers[b].size <= placed[p]->offset)
                break;
            uint64_t end = (uint64_t)placed[p]->offset + placed[p]->size;
            if (end > offset)
                offset = end;
        }
        if (offset + buffers[b].size > 0xFFFFFFF0u) {
            st = tml_err_set(err, TML_ERR_NOFIT, "planner: arena exceeds 4 GiB");
            goto done;
        }
        buffers[b].offset = (uint32_t)offset;
        if (offset + buffers[b].size > peak)
            peak = offset + buffers[b].size;
    }
    for (int b = 0; b < n_buffers; b++)
        buffer_of_root[buffers[b].root] = b;
    for (int t = 0; t < g->n_tensors; t++)
        if (plan->first[t] >= 0)
            plan->offset[t] = buffers[buffer_of_root[find_root(plan->alias_of, t)]].offset;
    plan->arena_len = (uint32_t)peak;

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
