/*
 * plan.c - lifetimes, in-place aliasing and greedy-by-size placement.
 *
 * Tensors that share a buffer outright (in-place hints) form one buffer.
 * Buffers joined by overlap hints (an in-place conv's output starting at a
 * fixed distance from its dying input) form a cluster: a set of buffers at
 * fixed offsets from one another, each still with its own lifetime, placed
 * as one unit. Single buffers are placed exactly as before (first or best
 * fit in the gaps); a cluster at the lowest base where no member collides.
 * Placement runs with and without the overlap hints and keeps the smaller
 * peak, so hints never make a plan worse.
 */
#include <stdlib.h>
#include <string.h>

#include "tml/plan.h"

typedef struct buffer {
    int32_t root;        /* representative tensor */
    uint32_t size;       /* bytes, aligned */
    int32_t first, last; /* lifetime of the whole alias group */
    uint32_t offset;
    int32_t cluster;     /* index of its cluster */
    int64_t rel;         /* offset within the cluster, >= 0 once normalised */
} buffer_t;

/* Buffers placed together: members[0 .. n_members) index the buffer array. */
typedef struct cluster {
    uint32_t size;       /* span: the largest member end (sort key) */
    int32_t first, last; /* union of the members' lifetimes */
    int32_t root;        /* smallest member root, for a stable order */
    int32_t *members;
    int n_members;
} cluster_t;

void tml_plan_free(tml_plan_t *plan)
{
    if (!plan)
        return;
    tml_free(plan->offset);
    tml_free(plan->first);
    tml_free(plan->last);
    tml_free(plan->alias_of);
    tml_free(plan->overlap_of);
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
    const cluster_t *a = a_, *b = b_;
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
        plan->overlap_of[t] = -1;
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

static int by_u64(const void *a_, const void *b_)
{
    uint64_t a = *(const uint64_t *)a_, b = *(const uint64_t *)b_;
    return a < b ? -1 : (a > b);
}

static int lives_overlap(const buffer_t *a, const buffer_t *b)
{
    return a->first <= b->last && b->first <= a->last;
}

/* Whether cluster c's members, at base, stay clear of the placed buffers. */
static int cluster_fits(const cluster_t *c, const buffer_t *buffers, uint64_t base,
                        buffer_t *const *placed, int n_placed)
{
    for (int m = 0; m < c->n_members; m++) {
        const buffer_t *b = &buffers[c->members[m]];
        uint64_t lo = base + (uint64_t)b->rel, hi = lo + b->size;
        for (int p = 0; p < n_placed; p++)
            if (lives_overlap(b, placed[p]) && lo < (uint64_t)placed[p]->offset + placed[p]->size &&
                placed[p]->offset < hi)
                return 0;
    }
    return 1;
}

/* Places clusters in the given order. A single buffer goes at the lowest
 * offset (first fit) or in the smallest gap (best fit) clear of every
 * already placed buffer whose lifetime overlaps; a cluster at the lowest
 * base where all its members are clear. Returns the peak, or UINT64_MAX
 * past 4 GiB. placed holds a pointer per buffer; cand a uint64 per pair of
 * buffers plus one. */
static uint64_t place_in_order(cluster_t *clusters, buffer_t *buffers, const int *order, int n,
                               int best_fit, buffer_t **placed, uint64_t *cand)
{
    uint64_t peak = 0;
    int n_done = 0; /* placed[0 .. n_done): every buffer placed so far */
    buffer_t **near = placed + n_done;
    for (int i = 0; i < n; i++) {
        cluster_t *c = &clusters[order[i]];
        near = placed + n_done;
        int n_near = 0;
        for (int j = 0; j < n_done; j++)
            if (placed[j]->first <= c->last && c->first <= placed[j]->last)
                near[n_near++] = placed[j];
        uint64_t best = 0;
        if (c->n_members == 1) {
            buffer_t *b = &buffers[c->members[0]];
            qsort(near, (size_t)n_near, sizeof(near[0]), by_offset);
            /* The space past the last placed buffer is an unbounded gap, so
             * a place is always found. */
            uint64_t offset = 0, best_gap = 0;
            int found = 0;
            for (int p = 0; p <= n_near; p++) {
                uint64_t gap_end = p < n_near ? near[p]->offset : UINT64_MAX;
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
                if (p < n_near) {
                    uint64_t end = (uint64_t)near[p]->offset + near[p]->size;
                    if (end > offset)
                        offset = end;
                }
            }
        } else {
            /* The lowest feasible base is 0 or puts some member right past
             * some placed buffer. */
            int n_cand = 0;
            cand[n_cand++] = 0;
            for (int m = 0; m < c->n_members; m++) {
                const buffer_t *b = &buffers[c->members[m]];
                for (int p = 0; p < n_near; p++) {
                    uint64_t end = (uint64_t)near[p]->offset + near[p]->size;
                    if (lives_overlap(b, near[p]) && end >= (uint64_t)b->rel)
                        cand[n_cand++] = end - (uint64_t)b->rel;
                }
            }
            qsort(cand, (size_t)n_cand, sizeof(cand[0]), by_u64);
            best = UINT64_MAX;
            for (int k = 0; k < n_cand && best == UINT64_MAX; k++)
                if (cluster_fits(c, buffers, cand[k], near, n_near))
                    best = cand[k];
        }
        for (int m = 0; m < c->n_members; m++) {
            buffer_t *b = &buffers[c->members[m]];
            uint64_t off = best + (uint64_t)b->rel;
            if (best == UINT64_MAX || off + b->size > 0xFFFFFFF0u)
                return UINT64_MAX;
            b->offset = (uint32_t)off;
            if (off + b->size > peak)
                peak = off + b->size;
        }
        /* near[] is scratch above placed[n_done]; appending overwrites it. */
        for (int m = 0; m < c->n_members; m++)
            placed[n_done++] = &buffers[c->members[m]];
    }
    return peak;
}

static const cluster_t *sort_base;

static int cmp_first_use(const void *a_, const void *b_)
{
    const cluster_t *a = &sort_base[*(const int *)a_], *b = &sort_base[*(const int *)b_];
    if (a->first != b->first)
        return a->first < b->first ? -1 : 1;
    return a->size > b->size ? -1 : (a->size < b->size);
}

static int cmp_last_use_desc(const void *a_, const void *b_)
{
    const cluster_t *a = &sort_base[*(const int *)a_], *b = &sort_base[*(const int *)b_];
    if (a->last != b->last)
        return a->last > b->last ? -1 : 1;
    return a->size > b->size ? -1 : (a->size < b->size);
}

/* Tries several placement orders and keeps the smallest peak: greedy by
 * size (the classic heuristic, so the result is never worse than it), by
 * first use, by last use, by "breadth" (the buffers of the busiest op
 * first), each with first fit and best fit, then seeded perturbations of the
 * size order. buffers must be sorted by size, descending. */
static tml_status_t place_best(cluster_t *clusters, int n, buffer_t *buffers, int n_ops,
                               buffer_t **placed, uint64_t *cand, uint32_t *arena_len,
                               const char **strategy, tml_err_t *err)
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
        for (int32_t k = clusters[i].first; k <= clusters[i].last && k < n_ops; k++)
            op_live[k] += clusters[i].size;
    uint64_t best = UINT64_MAX;
    int best_fit_mode = 0;
    const char *best_name = names[0];
    uint32_t seed = 0x2545F491u;
    for (int attempt = 0; attempt < 4 * 2 + 32; attempt++) {
        int kind = attempt < 8 ? attempt / 2 : -1, fit = attempt % 2;
        for (int i = 0; i < n; i++)
            order[i] = i;
        sort_base = clusters;
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
                    if (!taken[i] && clusters[i].first <= busiest && busiest <= clusters[i].last) {
                        taken[i] = 1;
                        order[pos++] = i;
                    }
                op_live[busiest] = 0;
            }
            for (int i = 0; i < n; i++)
                if (!taken[i])
                    order[pos++] = i;
            for (int i = 0; i < n; i++)
                for (int32_t k = clusters[i].first; k <= clusters[i].last && k < n_ops; k++)
                    op_live[k] += clusters[i].size;
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
        uint64_t peak = place_in_order(clusters, buffers, order, n, fit, placed, cand);
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
        place_in_order(clusters, buffers, best_order, n, best_fit_mode, placed, cand);
    *arena_len = best == UINT64_MAX ? 0 : (uint32_t)best;
    *strategy = best_name;
    tml_free(order);
    tml_free(best_order);
    tml_free(op_live);
    tml_free(taken);
    return st;
}

/* Joins buffers into clusters along the ops' overlap hints (links[k] =
 * {op, in buffer, out buffer}) or, with n_links 0, one cluster per buffer;
 * sorts the clusters by size. member_ix holds n_buffers ints. Returns the
 * number of clusters and the largest membership in *max_members. */
static int make_clusters(buffer_t *buffers, int n_buffers, const int32_t (*links)[3],
                         int n_links, const tml_lowered_t *lw, cluster_t *clusters,
                         int32_t *member_ix, int *max_members)
{
    for (int b = 0; b < n_buffers; b++) {
        buffers[b].cluster = b;
        buffers[b].rel = 0;
    }
    /* Links come in op order and each output buffer starts at its link's op,
     * so an input buffer's position is final when its link is reached. */
    for (int k = 0; k < n_links; k++) {
        buffer_t *in = &buffers[links[k][1]], *out = &buffers[links[k][2]];
        out->cluster = in->cluster;
        out->rel = in->rel + lw->ops[links[k][0]].overlap_off;
    }
    /* Renumber clusters densely; members contiguous in member_ix. */
    int n_clusters = 0;
    int32_t *dense = member_ix; /* reused: first pass maps old id -> new id */
    for (int b = 0; b < n_buffers; b++)
        dense[b] = -1;
    for (int b = 0; b < n_buffers; b++)
        if (dense[buffers[b].cluster] < 0)
            dense[buffers[b].cluster] = n_clusters++;
    for (int b = 0; b < n_buffers; b++)
        buffers[b].cluster = dense[buffers[b].cluster];
    for (int c = 0; c < n_clusters; c++)
        clusters[c] = (cluster_t){.size = 0, .first = INT32_MAX, .last = -1, .root = INT32_MAX,
                                  .members = NULL, .n_members = 0};
    for (int b = 0; b < n_buffers; b++)
        clusters[buffers[b].cluster].n_members++;
    int pos = 0;
    for (int c = 0; c < n_clusters; c++) {
        clusters[c].members = member_ix + pos;
        pos += clusters[c].n_members;
        clusters[c].n_members = 0;
    }
    *max_members = 1;
    for (int b = 0; b < n_buffers; b++) {
        cluster_t *c = &clusters[buffers[b].cluster];
        c->members[c->n_members++] = b;
        if (c->n_members > *max_members)
            *max_members = c->n_members;
    }
    for (int c = 0; c < n_clusters; c++) {
        cluster_t *cl = &clusters[c];
        int64_t lo = INT64_MAX;
        for (int m = 0; m < cl->n_members; m++)
            if (buffers[cl->members[m]].rel < lo)
                lo = buffers[cl->members[m]].rel;
        uint64_t span = 0;
        for (int m = 0; m < cl->n_members; m++) {
            buffer_t *bf = &buffers[cl->members[m]];
            bf->rel -= lo;
            if ((uint64_t)bf->rel + bf->size > span)
                span = (uint64_t)bf->rel + bf->size;
            if (bf->first < cl->first)
                cl->first = bf->first;
            if (bf->last > cl->last)
                cl->last = bf->last;
            if (bf->root < cl->root)
                cl->root = bf->root;
        }
        cl->size = span > 0xFFFFFFFFu ? 0xFFFFFFFFu : (uint32_t)span;
    }
    qsort(clusters, (size_t)n_clusters, sizeof(cluster_t), by_size_desc);
    return n_clusters;
}

/* The overlap hints the planner can honour: the hinted input's buffer dies
 * at the op, the output's buffer starts there, and no other operand of the
 * op lives in either. Fills links (op, in buffer, out buffer) in op order. */
static int find_links(const tml_ir_graph_t *g, const tml_lowered_t *lw, const tml_plan_t *plan,
                      const buffer_t *buffers, const int32_t *buffer_of_root, int32_t (*links)[3])
{
    int n_links = 0;
    for (int i = 0; i < lw->n_ops; i++) {
        const tml_lop_t *op = &lw->ops[i];
        if (op->overlap_input < 0 || op->overlap_input >= op->n_in || op->n_out < 1 ||
            op->overlap_off % (int32_t)TML_PLAN_ALIGN)
            continue;
        int32_t in = op->operands[op->overlap_input], out = op->operands[op->n_in];
        if (in < 0 || out < 0 || in == out || plan->first[in] < 0 || plan->first[out] < 0 ||
            tml_ir_is_const(&g->tensors[in]) || is_graph_output(g, in))
            continue;
        int32_t bin = buffer_of_root[find_root(plan->alias_of, in)];
        int32_t bout = buffer_of_root[find_root(plan->alias_of, out)];
        if (bin == bout || buffers[bin].last != i || buffers[bout].first != i)
            continue;
        int clash = 0;
        for (int j = 0; j < op->n_in + op->n_out; j++) {
            int32_t other = op->operands[j];
            if (j == op->overlap_input || j == op->n_in || other < 0 ||
                tml_ir_is_const(&g->tensors[other]) || plan->first[other] < 0)
                continue;
            int32_t bo = buffer_of_root[find_root(plan->alias_of, other)];
            if (bo == bin || bo == bout)
                clash = 1;
        }
        if (clash)
            continue;
        links[n_links][0] = i;
        links[n_links][1] = bin;
        links[n_links][2] = bout;
        n_links++;
    }
    return n_links;
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
    plan->overlap_of = tml_malloc(n * sizeof(int32_t));
    int32_t *group_last = tml_malloc(n * sizeof(int32_t));
    buffer_t *buffers = tml_malloc(n * sizeof(buffer_t));
    cluster_t *clusters = tml_malloc(n * sizeof(cluster_t));
    int32_t *member_ix = tml_malloc(n * sizeof(int32_t));
    buffer_t **placed = tml_malloc(2 * n * sizeof(buffer_t *));
    int32_t *buffer_of_root = tml_malloc(n * sizeof(int32_t));
    int32_t (*links)[3] = tml_malloc((size_t)(lw->n_ops + 1) * sizeof(*links));
    uint32_t *saved = tml_malloc(n * sizeof(uint32_t));
    uint64_t *cand = NULL;
    tml_status_t st = TML_OK;
    if (!plan->offset || !plan->first || !plan->last || !plan->alias_of || !plan->overlap_of ||
        !group_last || !buffers || !clusters || !member_ix || !placed || !buffer_of_root ||
        !links || !saved) {
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
    int n_links = find_links(g, lw, plan, buffers, buffer_of_root, links);

    /* Without overlap hints (single buffers: the classic placement), then,
     * if there are any, with them; the smaller peak wins. */
    int max_members = 1, n_clusters;
    uint32_t best_len = 0;
    const char *best_strategy = NULL;
    int use_links = 0;
    for (int pass = 0; pass < (n_links ? 2 : 1); pass++) {
        n_clusters = make_clusters(buffers, n_buffers, links, pass ? n_links : 0, lw, clusters,
                                   member_ix, &max_members);
        tml_free(cand);
        cand = tml_malloc(((size_t)max_members * (size_t)n_buffers + 1) * sizeof(uint64_t));
        if (!cand) {
            st = tml_err_set(err, TML_ERR_NOMEM, "planner: out of memory");
            goto done;
        }
        uint32_t len = 0;
        const char *strategy = NULL;
        st = place_best(clusters, n_clusters, buffers, lw->n_ops, placed, cand, &len, &strategy,
                        err);
        if (st != TML_OK)
            goto done;
        if (pass == 0 || len < best_len) {
            best_len = len;
            best_strategy = strategy;
            use_links = pass;
            for (int b = 0; b < n_buffers; b++)
                saved[b] = buffers[b].offset;
        }
    }
    plan->arena_len = best_len;
    plan->strategy = best_strategy;
    for (int b = 0; b < n_buffers; b++)
        buffers[b].offset = saved[b];
    for (int t = 0; t < g->n_tensors; t++)
        if (plan->first[t] >= 0)
            plan->offset[t] = buffers[buffer_of_root[find_root(plan->alias_of, t)]].offset;
    for (int k = 0; use_links && k < n_links; k++) {
        const tml_lop_t *op = &lw->ops[links[k][0]];
        plan->overlap_of[op->operands[op->n_in]] = op->operands[op->overlap_input];
    }

done:
    tml_free(group_last);
    tml_free(buffers);
    tml_free(clusters);
    tml_free(member_ix);
    tml_free(placed);
    tml_free(buffer_of_root);
    tml_free(links);
    tml_free(saved);
    tml_free(cand);
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
    /* An output overlapping its dying input shares those bytes at its first op. */
    for (int t = 0; t < g->n_tensors && t < plan->n_tensors; t++) {
        int32_t u = plan->overlap_of ? plan->overlap_of[t] : -1;
        if (u < 0 || plan->first[t] < 0 || plan->first[t] >= lw->n_ops)
            continue;
        uint64_t t_lo = plan->offset[t], u_lo = plan->offset[u];
        uint64_t t_hi = t_lo + align_up(tml_ir_tensor_bytes(&g->tensors[t]));
        uint64_t u_hi = u_lo + align_up(tml_ir_tensor_bytes(&g->tensors[u]));
        uint64_t lo = t_lo > u_lo ? t_lo : u_lo, hi = t_hi < u_hi ? t_hi : u_hi;
        if (hi > lo && (*live)[plan->first[t]] >= hi - lo)
            (*live)[plan->first[t]] -= (uint32_t)(hi - lo);
    }
    return TML_OK;
}
