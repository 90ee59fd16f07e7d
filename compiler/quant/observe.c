/*
 * observe.c - running a graph with every activation readable (see
 * quant_internal.h), and the deep graph copy it needs.
 */
#include <math.h>
#include <string.h>

#include "quant_internal.h"

tml_status_t tml_ir_copy(tml_ir_graph_t *dst, const tml_ir_graph_t *src)
{
    tml_status_t st = tml_ir_init(dst, src->name);
    for (int i = 0; i < src->n_tensors && st == TML_OK; i++) {
        const tml_ir_tensor_t *t = &src->tensors[i];
        int32_t idx;
        st = tml_ir_add_tensor(dst, t->name, t->dtype, t->n_dims, t->dims, &idx);
        if (st == TML_OK && t->data)
            st = tml_ir_set_data(dst, idx, t->data, t->data_len);
        if (st == TML_OK && t->quant.n)
            st = tml_ir_set_quant(dst, idx, t->quant.n, t->quant.scale, t->quant.zero_point,
                                  t->quant.axis);
    }
    for (int i = 0; i < src->n_nodes && st == TML_OK; i++) {
        const tml_ir_node_t *n = &src->nodes[i];
        st = tml_ir_add_node(dst, n->op, n->name, n->in, n->n_in, n->out, n->n_out, &n->attrs,
                             NULL);
    }
    if (st == TML_OK)
        st = tml_ir_set_io(dst, src->inputs, src->n_inputs, src->outputs, src->n_outputs);
    if (st != TML_OK)
        tml_ir_free(dst);
    return st;
}

tml_status_t tml_quant_activations(const tml_ir_graph_t *g, int32_t **out, int *n)
{
    int cap = g->n_inputs;
    for (int i = 0; i < g->n_nodes; i++)
        cap += g->nodes[i].n_out;
    int32_t *list = tml_malloc(((size_t)cap + 1) * sizeof(int32_t));
    if (!list)
        return TML_ERR_NOMEM;
    int k = 0;
    for (int i = 0; i < g->n_inputs; i++)
        list[k++] = g->inputs[i];
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_out; j++)
            list[k++] = g->nodes[i].out[j];
    *out = list;
    *n = k;
    return TML_OK;
}

void tml_observer_close(tml_observer_t *o)
{
    if (o->opened)
        tml_session_close(&o->s);
    tml_compiled_free(&o->c);
    for (int k = 0; o->values && k < o->n; k++)
        tml_free(o->values[k]);
    tml_free(o->values);
    tml_free(o->counts);
    tml_free(o->tensors);
    tml_free(o->source);
    tml_free(o->in_tensors);
    memset(o, 0, sizeof(*o));
}

tml_status_t tml_observer_open(tml_observer_t *o, const tml_ir_graph_t *g,
                               const int32_t *tensors, int n, tml_err_t *err)
{
    memset(o, 0, sizeof(*o));
    o->n = n;
    o->tensors = tml_malloc(((size_t)n + 1) * sizeof(int32_t));
    o->source = tml_malloc(((size_t)n + 1) * sizeof(int));
    o->values = tml_calloc((size_t)n + 1, sizeof(float *));
    o->counts = tml_calloc((size_t)n + 1, sizeof(int64_t));
    int32_t *outs = tml_malloc(((size_t)n + 1) * sizeof(int32_t));
    tml_ir_graph_t copy;
    memset(&copy, 0, sizeof(copy));
    tml_status_t st = (o->tensors && o->source && o->values && o->counts && outs)
                          ? tml_ir_copy(&copy, g) : TML_ERR_NOMEM;
    int n_outs = 0;
    for (int k = 0; k < n && st == TML_OK; k++) {
        o->tensors[k] = tensors[k];
        o->source[k] = -1;
        for (int i = 0; i < g->n_inputs; i++)
            if (g->inputs[i] == tensors[k])
                o->source[k] = i;
        if (o->source[k] < 0)
            outs[n_outs++] = tensors[k];
        o->counts[k] = tml_ir_tensor_elems(&g->tensors[tensors[k]]);
        o->values[k] = tml_malloc((size_t)o->counts[k] * sizeof(float) + 4);
        if (!o->values[k])
            st = TML_ERR_NOMEM;
    }
    if (st == TML_OK)
        st = tml_ir_set_io(&copy, g->inputs, g->n_inputs, outs, n_outs);
    tml_free(outs);
    if (st != TML_OK) {
        tml_ir_free(&copy);
        tml_observer_close(o);
        return tml_err_set(err, st, "observer: out of memory");
    }
    tml_compile_opts_t opts = {.keep_dead_channels = true, .no_passes = true};
    if ((st = tml_compile_graph(&copy, &opts, &o->c, err)) != TML_OK ||
        (st = tml_session_open(&o->s, o->c.pkg, o->c.pkg_len, err)) != TML_OK) {
        tml_observer_close(o);
        return st;
    }
    o->opened = true;
    o->n_inputs = g->n_inputs;
    o->in_tensors = tml_calloc((size_t)g->n_inputs + 1, sizeof(*o->in_tensors));
    if (!o->in_tensors) {
        tml_observer_close(o);
        return tml_err_set(err, TML_ERR_NOMEM, "observer: out of memory");
    }
    for (int i = 0; i < g->n_inputs; i++)
        o->in_tensors[i] = &o->c.graph.tensors[g->inputs[i]];
    return TML_OK;
}

static int8_t quantize_one(float x, float scale, int32_t zp)
{
    float q = roundf(x / scale) + (float)zp;
    return (int8_t)(q < -128.0f ? -128 : q > 127.0f ? 127 : q);
}

tml_status_t tml_observer_run(tml_observer_t *o, float *const *inputs, tml_err_t *err)
{
    tml_status_t st = TML_OK;
    for (int i = 0; i < o->n_inputs && st == TML_OK; i++) {
        const tml_ir_tensor_t *t = o->in_tensors[i];
        int64_t n = tml_ir_tensor_elems(t);
        if (t->dtype == TML_DT_F32) {
            st = tml_session_set_input(&o->s, (uint32_t)i, inputs[i], (size_t)n * 4, err);
        } else if (t->dtype == TML_DT_I8 && t->quant.n == 1) {
            int8_t *q = tml_malloc((size_t)n + 1);
            if (!q)
                return tml_err_set(err, TML_ERR_NOMEM, "observer: out of memory");
            for (int64_t k = 0; k < n; k++)
                q[k] = quantize_one(inputs[i][k], t->quant.scale[0], t->quant.zero_point[0]);
            st = tml_session_set_input(&o->s, (uint32_t)i, q, (size_t)n, err);
            tml_free(q);
        } else {
            st = tml_err_set(err, TML_ERR_UNSUPPORTED, "input %d: %s inputs cannot be fed "
                             "float data", i, tml_dtype_name(t->dtype));
        }
    }
    if (st == TML_OK)
        st = tml_session_run(&o->s, err);
    uint32_t j = 0;
    for (int k = 0; k < o->n && st == TML_OK; k++) {
        const tml_ir_tensor_t *t = &o->c.graph.tensors[o->tensors[k]];
        float scale = t->quant.n ? t->quant.scale[0] : 1.0f;
        int32_t zp = t->quant.n ? t->quant.zero_point[0] : 0;
        const void *data;
        size_t len;
        if (o->source[k] >= 0) {
            const float *x = inputs[o->source[k]];
            for (int64_t e = 0; e < o->counts[k]; e++)
                o->values[k][e] = t->dtype == TML_DT_I8
                                      ? (float)(quantize_one(x[e], scale, zp) - zp) * scale
                                      : x[e];
            continue;
        }
        if ((st = tml_session_output(&o->s, j++, &data, &len, err)) != TML_OK)
            break;
        if (t->dtype == TML_DT_F32) {
            memcpy(o->values[k], data, (size_t)o->counts[k] * 4);
        } else if (t->dtype == TML_DT_I8) {
            for (int64_t e = 0; e < o->counts[k]; e++)
                o->values[k][e] = (float)(((const int8_t *)data)[e] - zp) * scale;
        } else {
            for (int64_t e = 0; e < o->counts[k]; e++)
                o->values[k][e] = 0.0f; /* int32/bool tensors: not compared */
        }
    }
    return st;
}
