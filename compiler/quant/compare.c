/*
 * compare.c - error of a quantized (or pruned) graph against its float
 * reference, tensor by tensor, and top-1 accuracy on a labelled set.
 *
 * Both graphs run side by side through observers, one sample at a time,
 * so nothing but running sums is kept. Tensors are matched by name: the
 * quantizer keeps every activation's name, and what it adds (weights,
 * DEQUANTIZE/QUANTIZE twins) has names of its own.
 */
#include <math.h>
#include <string.h>

#include "quant_internal.h"

typedef struct err_acc {
    double sum_f2, sum_e2, sum_abs, max_abs;
    int64_t n;
} err_acc_t;

static void acc_add(err_acc_t *a, const float *f, const float *q, int64_t n)
{
    for (int64_t e = 0; e < n; e++) {
        double d = (double)f[e] - (double)q[e];
        a->sum_f2 += (double)f[e] * f[e];
        a->sum_e2 += d * d;
        a->sum_abs += fabs(d);
        if (fabs(d) > a->max_abs)
            a->max_abs = fabs(d);
    }
    a->n += n;
}

static tml_quant_error_t acc_result(const err_acc_t *a)
{
    tml_quant_error_t r;
    r.sqnr_db = a->sum_e2 > 0 ? 10.0 * log10(a->sum_f2 / a->sum_e2) : 99.0;
    if (r.sqnr_db > 99.0)
        r.sqnr_db = 99.0;
    r.max_abs_err = a->max_abs;
    r.mean_abs_err = a->n ? a->sum_abs / (double)a->n : 0.0;
    return r;
}

static int32_t find_name(const tml_ir_graph_t *g, const char *name)
{
    for (int t = 0; t < g->n_tensors; t++)
        if (!strcmp(g->tensors[t].name, name))
            return t;
    return -1;
}

/* Index of the largest of v[0..n). */
static int64_t argmax(const float *v, int64_t n)
{
    int64_t best = 0;
    for (int64_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return best;
}

tml_status_t tml_quant_compare(const tml_ir_graph_t *ref, const tml_ir_graph_t *q,
                               const tml_calib_set_t *set, tml_quant_report_t *r,
                               tml_err_t *err)
{
    /* Observed pairs: every node output of ref that q has by name (and
     * size); graph outputs first, in order, so they are pairs 0..n_out. */
    int cap = ref->n_outputs;
    for (int i = 0; i < ref->n_nodes; i++)
        cap += ref->nodes[i].n_out;
    int32_t *ta = tml_malloc(((size_t)cap + 1) * sizeof(int32_t));
    int32_t *tb = tml_malloc(((size_t)cap + 1) * sizeof(int32_t));
    int *node_of = tml_malloc(((size_t)cap + 1) * sizeof(int));
    err_acc_t *acc = tml_calloc((size_t)cap + 1, sizeof(err_acc_t));
    if (!ta || !tb || !node_of || !acc) {
        tml_free(ta);
        tml_free(tb);
        tml_free(node_of);
        tml_free(acc);
        return tml_err_set(err, TML_ERR_NOMEM, "compare: out of memory");
    }
    int n = 0;
    tml_status_t st = TML_OK;
    for (int i = 0; i < ref->n_outputs && st == TML_OK; i++) {
        int32_t b = find_name(q, ref->tensors[ref->outputs[i]].name);
        if (b < 0 || tml_ir_tensor_elems(&q->tensors[b]) !=
                         tml_ir_tensor_elems(&ref->tensors[ref->outputs[i]]))
            st = tml_err_set(err, TML_ERR_ARG, "compare: output '%s' is missing or reshaped",
                             ref->tensors[ref->outputs[i]].name);
        ta[n] = ref->outputs[i];
        tb[n] = b;
        node_of[n++] = -1;
    }
    for (int i = 0; i < ref->n_nodes && st == TML_OK; i++) {
        int32_t a = ref->nodes[i].out[0];
        bool is_out = false;
        for (int k = 0; k < ref->n_outputs; k++)
            is_out |= ref->outputs[k] == a;
        int32_t b = find_name(q, ref->tensors[a].name);
        if (b < 0 || tml_ir_tensor_elems(&q->tensors[b]) != tml_ir_tensor_elems(&ref->tensors[a]))
            continue;
        if (is_out) {
            for (int k = 0; k < ref->n_outputs; k++)
                if (ta[k] == a)
                    node_of[k] = i;
            continue;
        }
        ta[n] = a;
        tb[n] = b;
        node_of[n++] = i;
    }
    tml_observer_t oa, ob;
    memset(&oa, 0, sizeof(oa));
    memset(&ob, 0, sizeof(ob));
    if (st == TML_OK && (st = tml_observer_open(&oa, ref, ta, n, err)) == TML_OK)
        st = tml_observer_open(&ob, q, tb, n, err);
    int64_t rows = 0, agree = 0;
    for (int s = 0; s < set->n_samples && st == TML_OK; s++) {
        float *const *inputs = set->data + (size_t)s * set->n_inputs;
        if ((st = tml_observer_run(&oa, inputs, err)) != TML_OK ||
            (st = tml_observer_run(&ob, inputs, err)) != TML_OK)
            break;
        for (int k = 0; k < n; k++)
            acc_add(&acc[k], oa.values[k], ob.values[k], oa.counts[k]);
        if (ref->n_outputs > 0) {
            const tml_ir_tensor_t *t = &ref->tensors[ref->outputs[0]];
            int64_t depth = t->n_dims ? t->dims[t->n_dims - 1] : 1;
            for (int64_t row = 0; depth > 0 && row + depth <= oa.counts[0]; row += depth) {
                agree += argmax(oa.values[0] + row, depth) == argmax(ob.values[0] + row, depth);
                rows++;
            }
        }
    }
    tml_observer_close(&oa);
    tml_observer_close(&ob);
    if (st == TML_OK) {
        r->n_eval = set->n_samples;
        r->top1_agreement = rows ? (double)agree / (double)rows : 0.0;
        r->n_outputs = ref->n_outputs;
        r->outputs = tml_calloc((size_t)ref->n_outputs + 1, sizeof(tml_quant_error_t));
        r->layers = tml_calloc((size_t)n + 1, sizeof(tml_quant_layer_t));
        if (!r->outputs || !r->layers)
            st = tml_err_set(err, TML_ERR_NOMEM, "compare: out of memory");
        for (int k = 0; k < ref->n_outputs && st == TML_OK; k++)
            r->outputs[k] = acc_result(&acc[k]);
        /* Layers in node order, graph outputs included where a node makes them. */
        for (int i = 0; i < ref->n_nodes && st == TML_OK; i++) {
            for (int k = 0; k < n; k++) {
                if (node_of[k] != i)
                    continue;
                tml_quant_layer_t *l = &r->layers[r->n_layers];
                l->name = tml_strdup(ref->tensors[ta[k]].name);
                if (!l->name) {
                    st = tml_err_set(err, TML_ERR_NOMEM, "compare: out of memory");
                    break;
                }
                l->op = ref->nodes[i].op;
                l->err = acc_result(&acc[k]);
                r->n_layers++;
                break;
            }
        }
    }
    tml_free(ta);
    tml_free(tb);
    tml_free(node_of);
    tml_free(acc);
    return st;
}

tml_status_t tml_eval_accuracy(const tml_ir_graph_t *g, const tml_calib_set_t *set,
                               double *accuracy, tml_err_t *err)
{
    *accuracy = 0.0;
    if (!set->labels || g->n_outputs < 1)
        return tml_err_set(err, TML_ERR_ARG, "accuracy: no labels");
    int32_t out = g->outputs[0];
    tml_observer_t o;
    tml_status_t st = tml_observer_open(&o, g, &out, 1, err);
    int64_t right = 0;
    for (int s = 0; s < set->n_samples && st == TML_OK; s++) {
        if ((st = tml_observer_run(&o, set->data + (size_t)s * set->n_inputs, err)) != TML_OK)
            break;
        right += argmax(o.values[0], o.counts[0]) == set->labels[s];
    }
    tml_observer_close(&o);
    if (st == TML_OK)
        *accuracy = set->n_samples ? (double)right / set->n_samples : 0.0;
    return st;
}
