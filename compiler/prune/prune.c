/*
 * prune.c - magnitude pruning and the pruning driver with its report (see
 * tml/prune.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "prune_internal.h"

bool tml_prune_wanted(const tml_prune_opts_t *opts)
{
    return opts && (opts->sparsity > 0.0f || opts->channels > 0.0f);
}

void tml_prune_report_free(tml_prune_report_t *r)
{
    (void)r; /* nothing owned yet; kept so the report can grow */
}

static bool is_weighted(const tml_ir_node_t *n)
{
    return (n->op == TML_OP_CONV2D || n->op == TML_OP_DEPTHWISE_CONV2D ||
            n->op == TML_OP_FULLY_CONNECTED) && n->n_in >= 2 && n->in[1] >= 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Zeroes the floor(sparsity * n) smallest-magnitude weights of tensor w. */
static tml_status_t prune_tensor(tml_ir_tensor_t *w, float sparsity)
{
    int64_t n = tml_ir_tensor_elems(w);
    int64_t k = (int64_t)floor((double)sparsity * (double)n);
    if (k <= 0)
        return TML_OK;
    float *mag = tml_malloc((size_t)n * sizeof(float));
    if (!mag)
        return TML_ERR_NOMEM;
    for (int64_t i = 0; i < n; i++) {
        float v;
        if (w->dtype == TML_DT_F32)
            memcpy(&v, w->data + 4 * i, 4);
        else
            v = (float)(int8_t)w->data[i] - (float)(w->quant.n == 1 ? w->quant.zero_point[0] : 0);
        mag[i] = fabsf(v);
    }
    float *sorted = tml_malloc((size_t)n * sizeof(float));
    if (!sorted) {
        tml_free(mag);
        return TML_ERR_NOMEM;
    }
    memcpy(sorted, mag, (size_t)n * sizeof(float));
    qsort(sorted, (size_t)n, sizeof(float), cmp_float);
    float thr = sorted[k - 1];
    int64_t below = 0;
    for (int64_t i = 0; i < n; i++)
        below += mag[i] < thr;
    int64_t ties = k - below; /* weights equal to thr still to zero */
    for (int64_t i = 0; i < n; i++) {
        bool zero = mag[i] < thr || (mag[i] == thr && ties-- > 0);
        if (!zero)
            continue;
        if (w->dtype == TML_DT_F32)
            memset(w->data + 4 * i, 0, 4);
        else
            w->data[i] = (uint8_t)(int8_t)(w->quant.n == 1 ? w->quant.zero_point[0] : 0);
    }
    tml_free(mag);
    tml_free(sorted);
    return TML_OK;
}

static void count_weights(const tml_ir_graph_t *g, int64_t *total, int64_t *zero, int64_t *macs,
                          int64_t *params)
{
    *total = *zero = *macs = *params = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        *macs += tml_ir_node_macs(g, n);
        if (!is_weighted(n))
            continue;
        const tml_ir_tensor_t *w = &g->tensors[n->in[1]];
        int64_t e = tml_ir_tensor_elems(w);
        *total += e;
        *params += e + (n->n_in > 2 && n->in[2] >= 0 ? tml_ir_tensor_elems(&g->tensors[n->in[2]]) : 0);
        for (int64_t k = 0; w->data && k < e; k++) {
            bool z;
            if (w->dtype == TML_DT_F32) {
                float v;
                memcpy(&v, w->data + 4 * k, 4);
                z = v == 0.0f;
            } else {
                z = (int8_t)w->data[k] == (w->quant.n == 1 ? w->quant.zero_point[0] : 0);
            }
            *zero += z;
        }
    }
}

tml_status_t tml_prune(tml_ir_graph_t *g, const tml_prune_opts_t *opts,
                       const tml_calib_set_t *eval, tml_prune_report_t *r, tml_err_t *err)
{
    tml_prune_report_t local;
    if (!r)
        r = &local;
    memset(r, 0, sizeof(*r));
    if (!opts || !(opts->sparsity >= 0.0f && opts->sparsity < 1.0f) ||
        !(opts->channels >= 0.0f && opts->channels < 1.0f))
        return tml_err_set(err, TML_ERR_ARG, "prune: fractions must be in [0, 1)");
    r->sparsity = opts->sparsity;
    r->channels = opts->channels;
    int64_t total, zero;
    count_weights(g, &total, &zero, &r->macs_before, &r->params_before);
    tml_ir_graph_t ref;
    memset(&ref, 0, sizeof(ref));
    tml_status_t st = TML_OK;
    if (eval && tml_ir_copy(&ref, g) != TML_OK)
        return tml_err_set(err, TML_ERR_NOMEM, "prune: out of memory");
    if (opts->channels > 0.0f)
        st = tml_prune_channels(g, opts->channels, &r->layers_structured, &r->channels_removed,
                                err);
    for (int i = 0; i < g->n_nodes && st == TML_OK && opts->sparsity > 0.0f; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (!is_weighted(n) || !tml_ir_is_const(&g->tensors[n->in[1]]))
            continue;
        tml_ir_tensor_t *w = &g->tensors[n->in[1]];
        if (w->dtype != TML_DT_F32 && w->dtype != TML_DT_I8)
            continue;
        if (prune_tensor(w, opts->sparsity) != TML_OK)
            st = tml_err_set(err, TML_ERR_NOMEM, "prune: out of memory");
    }
    if (st == TML_OK)
        count_weights(g, &r->weights_total, &r->weights_zero, &r->macs_after, &r->params_after);
    if (st == TML_OK && eval) {
        r->n_eval = eval->n_samples;
        tml_quant_report_t cmp;
        memset(&cmp, 0, sizeof(cmp));
        st = tml_quant_compare(&ref, g, eval, &cmp, err);
        if (st == TML_OK) {
            r->top1_agreement = cmp.top1_agreement;
            if (cmp.n_outputs > 0)
                r->output_err = cmp.outputs[0];
        }
        tml_quant_report_free(&cmp);
        if (st == TML_OK && eval->labels) {
            r->have_labels = true;
            if ((st = tml_eval_accuracy(&ref, eval, &r->accuracy_before, err)) == TML_OK)
                st = tml_eval_accuracy(g, eval, &r->accuracy_after, err);
        }
    }
    tml_ir_free(&ref);
    if (st == TML_OK)
        st = tml_ir_validate(g, err);
    return st;
}
