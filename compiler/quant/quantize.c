/*
 * quantize.c - post-training int8 quantization (see tml/quant.h).
 *
 * Calibrate: run the float graph over the calibration set twice with an
 * observer (min/max first; then, for percentile and entropy, a histogram
 * over that range). Assign: walk the nodes in order, giving each activation
 * its int8 params (propagated through ops that cannot rescale, fixed for
 * softmax/logistic/tanh). Rewrite: constants of int8 nodes become int8
 * (per-channel symmetric weights, int32 biases), ops without int8 kernels
 * are wrapped in DEQUANTIZE/QUANTIZE, and the node list is rebuilt in order.
 */
#include <math.h>
#include <string.h>

#include "quant_internal.h"

const char *tml_calib_method_name(tml_calib_method_t m)
{
    switch (m) {
    case TML_CALIB_MINMAX: return "minmax";
    case TML_CALIB_PERCENTILE: return "percentile";
    case TML_CALIB_ENTROPY: return "entropy";
    }
    return "?";
}

void tml_quant_report_free(tml_quant_report_t *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n_layers; i++)
        tml_free(r->layers[i].name);
    tml_free(r->layers);
    tml_free(r->outputs);
    memset(r, 0, sizeof(*r));
}

/* ---- calibration ---- */

static tml_status_t calibrate(const tml_ir_graph_t *g, const tml_calib_set_t *calib,
                              const tml_quant_opts_t *opts, const int32_t *acts, int n_acts,
                              tml_range_stats_t *stats, tml_err_t *err)
{
    tml_observer_t o;
    tml_status_t st = tml_observer_open(&o, g, acts, n_acts, err);
    if (st != TML_OK)
        return st;
    for (int k = 0; k < n_acts; k++) {
        stats[k].min = INFINITY;
        stats[k].max = -INFINITY;
    }
    bool hist = opts->method != TML_CALIB_MINMAX;
    for (int pass = 0; pass < (hist ? 2 : 1) && st == TML_OK; pass++) {
        for (int s = 0; s < calib->n_samples && st == TML_OK; s++) {
            st = tml_observer_run(&o, calib->data + (size_t)s * calib->n_inputs, err);
            for (int k = 0; k < n_acts && st == TML_OK; k++) {
                tml_range_stats_t *r = &stats[k];
                const float *v = o.values[k];
                if (pass == 0) {
                    for (int64_t e = 0; e < o.counts[k]; e++) {
                        if (v[e] < r->min)
                            r->min = v[e];
                        if (v[e] > r->max)
                            r->max = v[e];
                    }
                    r->n_values += (uint64_t)o.counts[k];
                    continue;
                }
                double width = ((double)r->max - (double)r->min) / TML_HIST_BINS;
                for (int64_t e = 0; e < o.counts[k] && width > 0; e++) {
                    int b = (int)(((double)v[e] - r->min) / width);
                    r->hist[b < 0 ? 0 : b >= TML_HIST_BINS ? TML_HIST_BINS - 1 : b]++;
                }
            }
        }
        for (int k = 0; pass == 0 && hist && k < n_acts && st == TML_OK; k++) {
            if (!isfinite(stats[k].min) || !isfinite(stats[k].max))
                st = tml_err_set(err, TML_ERR_ARG, "tensor '%s' has non-finite values on "
                                 "the calibration set", g->tensors[acts[k]].name);
            else if (!(stats[k].hist = tml_calloc(TML_HIST_BINS, sizeof(uint32_t))))
                st = tml_err_set(err, TML_ERR_NOMEM, "calibration: out of memory");
        }
    }
    tml_observer_close(&o);
    return st;
}

/* ---- which ops run int8 ---- */

bool tml_quant_has_int8_kernel(const tml_ir_graph_t *g, const tml_ir_node_t *n)
{
    switch (n->op) {
    case TML_OP_CONV2D:
    case TML_OP_DEPTHWISE_CONV2D:
    case TML_OP_FULLY_CONNECTED:
        return n->n_in >= 2 && n->in[1] >= 0 && tml_ir_is_const(&g->tensors[n->in[1]]) &&
               (n->n_in < 3 || n->in[2] < 0 || tml_ir_is_const(&g->tensors[n->in[2]]));
    case TML_OP_SOFTMAX: {
        const tml_ir_tensor_t *t = &g->tensors[n->in[0]];
        return t->n_dims >= 1 && t->dims[t->n_dims - 1] <= 4095;
    }
    case TML_OP_AVG_POOL2D:
        return !n->attrs.pool.count_include_pad ||
               !(n->attrs.pool.pad_top || n->attrs.pool.pad_left || n->attrs.pool.pad_bottom ||
                 n->attrs.pool.pad_right);
    case TML_OP_MAX_POOL2D: case TML_OP_ADD: case TML_OP_MUL: case TML_OP_RESHAPE:
    case TML_OP_CONCAT: case TML_OP_PAD: case TML_OP_MEAN: case TML_OP_LOGISTIC:
    case TML_OP_TANH: case TML_OP_RELU: case TML_OP_RELU6: case TML_OP_RELU_N1_TO_1:
    case TML_OP_HARD_SWISH: case TML_OP_CLIP: case TML_OP_TRANSPOSE: case TML_OP_SLICE:
    case TML_OP_SPLIT:
        return true;
    default:
        return false;
    }
}

/* Ops whose int8 kernels move bytes (or take a max/mean) without rescaling. */
bool tml_quant_passes_through(tml_ir_op_t op)
{
    return op == TML_OP_RESHAPE || op == TML_OP_TRANSPOSE || op == TML_OP_PAD ||
           op == TML_OP_SLICE || op == TML_OP_SPLIT || op == TML_OP_MAX_POOL2D ||
           op == TML_OP_AVG_POOL2D;
}

/* ---- rewriting ---- */

typedef struct qctx {
    tml_ir_graph_t *g;
    tml_err_t *err;
    float *scale;          /* per original tensor: int8 params once assigned */
    int32_t *zp;
    bool *assigned;
    int32_t *float_twin;   /* DEQUANTIZE output made for an int8 tensor, -1 */
    tml_ir_node_t *order;  /* the rebuilt node list */
    int n_order, cap_order;
} qctx_t;

static tml_status_t nomem(qctx_t *q)
{
    return tml_err_set(q->err, TML_ERR_NOMEM, "quantize: out of memory");
}

/* Appends a node to q->order (the graph's own arrays are rebuilt later). */
static tml_status_t emit(qctx_t *q, tml_ir_op_t op, const int32_t *in, int n_in,
                         const int32_t *out, int n_out, const tml_ir_attrs_t *attrs,
                         const char *name)
{
    if (q->n_order == q->cap_order) {
        int cap = q->cap_order ? q->cap_order * 2 : 32;
        tml_ir_node_t *bigger = tml_realloc(q->order, (size_t)cap * sizeof(*bigger));
        if (!bigger)
            return nomem(q);
        q->order = bigger;
        q->cap_order = cap;
    }
    /* Borrow tml_ir_add_node's copying, then move the node out. */
    int32_t idx;
    if (tml_ir_add_node(q->g, op, name, in, n_in, out, n_out, attrs, &idx) != TML_OK)
        return nomem(q);
    q->order[q->n_order++] = q->g->nodes[idx];
    q->g->n_nodes--;
    return TML_OK;
}

static tml_status_t new_tensor(qctx_t *q, int32_t like, const char *suffix, tml_dtype_t dtype,
                               int32_t *idx)
{
    const tml_ir_tensor_t *t = &q->g->tensors[like];
    char name[512];
    snprintf(name, sizeof(name), "%s/%s", t->name, suffix);
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, t->dims, sizeof(dims));
    if (tml_ir_add_tensor(q->g, name, dtype, t->n_dims, dims, idx) != TML_OK)
        return nomem(q);
    return TML_OK;
}

/* Whether the float weights t carry a symmetric int8 grid (from a
 * pre-quantized model) of one scale or one per channel. */
static bool usable_grid(const tml_ir_tensor_t *t, int32_t ch)
{
    if (t->quant.n != 1 && t->quant.n != ch)
        return false;
    for (int i = 0; i < t->quant.n; i++)
        if (t->quant.zero_point[i] != 0 || !(t->quant.scale[i] > 0.0f))
            return false;
    return true;
}

/* Per-channel symmetric int8 weights; *scales (owned by the caller) gets
 * one scale per channel. Weights that carry a symmetric grid (use_grid)
 * are put back on it: a pre-quantized model keeps its own int8 values. */
static tml_status_t quant_weights(qctx_t *q, int32_t w, bool depthwise, bool use_grid,
                                  int32_t *out, float **scales, int32_t *n_ch)
{
    const tml_ir_tensor_t *t = &q->g->tensors[w];
    if (t->dtype != TML_DT_F32 || t->n_dims < 2)
        return tml_err_set(q->err, TML_ERR_UNSUPPORTED, "weights '%s': %s with %d dims",
                           t->name, tml_dtype_name(t->dtype), t->n_dims);
    int64_t n = tml_ir_tensor_elems(t);
    int32_t ch = depthwise ? t->dims[t->n_dims - 1] : t->dims[0];
    int64_t inner = ch ? n / ch : 1;
    float *s = tml_calloc((size_t)ch + 1, sizeof(float));
    int32_t *zp = tml_calloc((size_t)ch + 1, sizeof(int32_t));
    int8_t *data = tml_malloc((size_t)n + 1);
    if (!s || !zp || !data) {
        tml_free(s);
        tml_free(zp);
        tml_free(data);
        return nomem(q);
    }
    const float *v = (const float *)(const void *)t->data;
#define CH_OF(k) (depthwise ? (int32_t)((k) % ch) : (int32_t)((k) / inner))
    for (int64_t k = 0; k < n; k++) {
        float a = fabsf(v[k]);
        if (a > s[CH_OF(k)])
            s[CH_OF(k)] = a;
    }
    bool grid = use_grid && usable_grid(t, ch);
    for (int32_t c = 0; c < ch; c++)
        s[c] = grid ? t->quant.scale[t->quant.n == 1 ? 0 : c] : s[c] > 0.0f ? s[c] / 127.0f : 1.0f;
    for (int64_t k = 0; k < n; k++) {
        float r = roundf(v[k] / s[CH_OF(k)]);
        data[k] = (int8_t)(r < (grid ? -128.0f : -127.0f) ? (grid ? -128 : -127) : r > 127.0f ? 127 : r);
    }
#undef CH_OF
    tml_status_t st = new_tensor(q, w, "int8", TML_DT_I8, out);
    if (st == TML_OK && (tml_ir_set_data(q->g, *out, data, (size_t)n) != TML_OK ||
                         tml_ir_set_quant(q->g, *out, ch, s, zp, depthwise ? t->n_dims - 1 : 0)))
        st = nomem(q);
    tml_free(zp);
    tml_free(data);
    if (st != TML_OK) {
        tml_free(s);
        return st;
    }
    *scales = s;
    *n_ch = ch;
    return TML_OK;
}

static tml_status_t quant_bias(qctx_t *q, int32_t b, float in_scale, const float *w_scales,
                               int32_t ch, int32_t *out)
{
    const tml_ir_tensor_t *t = &q->g->tensors[b];
    if (t->dtype != TML_DT_F32 || tml_ir_tensor_elems(t) != ch)
        return tml_err_set(q->err, TML_ERR_UNSUPPORTED, "bias '%s': %s, %lld values for %d "
                           "channels", t->name, tml_dtype_name(t->dtype),
                           (long long)tml_ir_tensor_elems(t), (int)ch);
    float *s = tml_malloc((size_t)ch * sizeof(float) + 4);
    int32_t *zp = tml_calloc((size_t)ch + 1, sizeof(int32_t));
    int32_t *data = tml_malloc((size_t)ch * sizeof(int32_t) + 4);
    tml_status_t st = s && zp && data ? TML_OK : nomem(q);
    const float *v = (const float *)(const void *)t->data;
    for (int32_t c = 0; c < ch && st == TML_OK; c++) {
        s[c] = in_scale * w_scales[c];
        double r = round((double)v[c] / (double)s[c]);
        data[c] = (int32_t)(r < -2147483647.0 ? -2147483647.0 : r > 2147483647.0 ? 2147483647.0 : r);
    }
    if (st == TML_OK)
        st = new_tensor(q, b, "int32", TML_DT_I32, out);
    if (st == TML_OK && (tml_ir_set_data(q->g, *out, data, (size_t)ch * 4) != TML_OK ||
                         tml_ir_set_quant(q->g, *out, ch, s, zp, 0) != TML_OK))
        st = nomem(q);
    tml_free(s);
    tml_free(zp);
    tml_free(data);
    return st;
}

/* A float constant read by an int8 op: int8 per tensor over its range. */
static tml_status_t quant_const(qctx_t *q, int32_t c, int32_t *out)
{
    const tml_ir_tensor_t *t = &q->g->tensors[c];
    if (t->dtype != TML_DT_F32) {
        *out = c;
        return TML_OK;
    }
    int64_t n = tml_ir_tensor_elems(t);
    const float *v = (const float *)(const void *)t->data;
    float lo = 0.0f, hi = 0.0f, scale;
    int32_t zp;
    for (int64_t k = 0; k < n; k++) {
        lo = fminf(lo, v[k]);
        hi = fmaxf(hi, v[k]);
    }
    tml_quant_params(lo, hi, &scale, &zp);
    int8_t *data = tml_malloc((size_t)n + 1);
    if (!data)
        return nomem(q);
    for (int64_t k = 0; k < n; k++) {
        float r = roundf(v[k] / scale) + (float)zp;
        data[k] = (int8_t)(r < -128.0f ? -128 : r > 127.0f ? 127 : r);
    }
    tml_status_t st = new_tensor(q, c, "int8", TML_DT_I8, out);
    if (st == TML_OK && (tml_ir_set_data(q->g, *out, data, (size_t)n) != TML_OK ||
                         tml_ir_set_quant(q->g, *out, 1, &scale, &zp, 0) != TML_OK))
        st = nomem(q);
    tml_free(data);
    return st;
}

static void assign(qctx_t *q, int32_t t, float scale, int32_t zp)
{
    q->scale[t] = scale;
    q->zp[t] = zp;
    q->assigned[t] = true;
}

/* Rewrites node i (a copy: q->g->nodes may move) into q->order. */
static tml_status_t rewrite_node(qctx_t *q, tml_ir_node_t n, const float *lo, const float *hi,
                                 bool *is_float)
{
    tml_ir_graph_t *g = q->g;
    int32_t ins[TML_IR_MAX_DIMS * 2 + 16], outs[16];
    if (n.n_in > (int)(sizeof(ins) / sizeof(ins[0])) || n.n_out > 16)
        return tml_err_set(q->err, TML_ERR_UNSUPPORTED, "node '%s': too many operands", n.name);
    memcpy(ins, n.in, (size_t)n.n_in * sizeof(int32_t));
    memcpy(outs, n.out, (size_t)n.n_out * sizeof(int32_t));
    tml_status_t st = TML_OK;
    *is_float = !tml_quant_has_int8_kernel(g, &n);
    /* Output params: fixed, passed through, or from the observed range. */
    for (int j = 0; j < n.n_out; j++) {
        int32_t o = outs[j];
        float s;
        int32_t zp;
        if (!*is_float && (n.op == TML_OP_SOFTMAX || n.op == TML_OP_LOGISTIC)) {
            s = 1.0f / 256.0f;
            zp = -128;
        } else if (!*is_float && n.op == TML_OP_TANH) {
            s = 1.0f / 128.0f;
            zp = 0;
        } else if (!*is_float && tml_quant_passes_through(n.op) && q->assigned[ins[0]]) {
            s = q->scale[ins[0]];
            zp = q->zp[ins[0]];
        } else {
            tml_quant_params(lo[o], hi[o], &s, &zp);
        }
        assign(q, o, s, zp);
    }
    if (*is_float) {
        /* DEQUANTIZE each int8 activation input (once per tensor). */
        for (int j = 0; j < n.n_in && st == TML_OK; j++) {
            int32_t x = ins[j];
            if (x < 0 || tml_ir_is_const(&g->tensors[x]))
                continue;
            if (q->float_twin[x] < 0) {
                int32_t f;
                if ((st = new_tensor(q, x, "dequant", TML_DT_F32, &f)) != TML_OK ||
                    (st = emit(q, TML_OP_DEQUANTIZE, &x, 1, &f, 1, NULL, "")) != TML_OK)
                    break;
                q->float_twin[x] = f;
            }
            ins[j] = q->float_twin[x];
        }
        int32_t fouts[16];
        for (int j = 0; j < n.n_out && st == TML_OK; j++)
            st = new_tensor(q, outs[j], "float", TML_DT_F32, &fouts[j]);
        if (st == TML_OK)
            st = emit(q, n.op, ins, n.n_in, fouts, n.n_out, &n.attrs, n.name);
        for (int j = 0; j < n.n_out && st == TML_OK; j++)
            st = emit(q, TML_OP_QUANTIZE, &fouts[j], 1, &outs[j], 1, NULL, "");
        return st;
    }
    if (n.op == TML_OP_CONV2D || n.op == TML_OP_DEPTHWISE_CONV2D ||
        n.op == TML_OP_FULLY_CONNECTED) {
        float *w_scales = NULL;
        int32_t ch = 0;
        st = quant_weights(q, ins[1], n.op == TML_OP_DEPTHWISE_CONV2D, false, &ins[1], &w_scales,
                           &ch);
        if (st == TML_OK && n.n_in > 2 && ins[2] >= 0)
            st = quant_bias(q, ins[2], q->scale[ins[0]], w_scales, ch, &ins[2]);
        tml_free(w_scales);
    } else {
        for (int j = 0; j < n.n_in && st == TML_OK; j++)
            if (ins[j] >= 0 && tml_ir_is_const(&g->tensors[ins[j]]))
                st = quant_const(q, ins[j], &ins[j]);
    }
    if (st == TML_OK)
        st = emit(q, n.op, ins, n.n_in, outs, n.n_out, &n.attrs, n.name);
    return st;
}

tml_status_t tml_quant_weights(tml_ir_graph_t *g, int32_t w, bool depthwise, bool use_grid,
                               int32_t *out, float **scales, int32_t *n_ch, tml_err_t *err)
{
    qctx_t q = {.g = g, .err = err};
    return quant_weights(&q, w, depthwise, use_grid, out, scales, n_ch);
}

tml_status_t tml_quant_bias(tml_ir_graph_t *g, int32_t b, float in_scale, const float *w_scales,
                            int32_t ch, int32_t *out, tml_err_t *err)
{
    qctx_t q = {.g = g, .err = err};
    return quant_bias(&q, b, in_scale, w_scales, ch, out);
}

tml_status_t tml_quant_const(tml_ir_graph_t *g, int32_t c, int32_t *out, tml_err_t *err)
{
    qctx_t q = {.g = g, .err = err};
    return quant_const(&q, c, out);
}

static tml_status_t check_float(const tml_ir_graph_t *g, tml_err_t *err)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (n->op == TML_OP_QUANTIZE || n->op == TML_OP_DEQUANTIZE)
            return tml_err_set(err, TML_ERR_ARG, "the model is already quantized (node %d is "
                               "%s)", i, tml_ir_op_name(n->op));
        for (int j = 0; j < n->n_out; j++)
            if (g->tensors[n->out[j]].dtype != TML_DT_F32)
                return tml_err_set(err, TML_ERR_ARG, "the model is already quantized or not float32 "
                                   "(tensor '%s' is %s)", g->tensors[n->out[j]].name,
                                   tml_dtype_name(g->tensors[n->out[j]].dtype));
    }
    for (int i = 0; i < g->n_inputs; i++)
        if (g->tensors[g->inputs[i]].dtype != TML_DT_F32)
            return tml_err_set(err, TML_ERR_ARG, "input '%s' is %s, not float32",
                               g->tensors[g->inputs[i]].name,
                               tml_dtype_name(g->tensors[g->inputs[i]].dtype));
    return TML_OK;
}

static tml_status_t check_set(const tml_ir_graph_t *g, const tml_calib_set_t *set,
                              const char *what, tml_err_t *err)
{
    if (!set || set->n_samples < 1)
        return tml_err_set(err, TML_ERR_ARG, "the %s set is empty", what);
    if (set->n_inputs != g->n_inputs)
        return tml_err_set(err, TML_ERR_ARG, "the %s set has %d inputs per sample, the model "
                           "takes %d", what, set->n_inputs, g->n_inputs);
    return TML_OK;
}

/* The rewrite proper, on g whose ranges lo/hi (per tensor) are chosen. */
static tml_status_t rewrite(tml_ir_graph_t *g, const float *lo, const float *hi, int *n_float,
                            bool *node_float, tml_err_t *err)
{
    int n_orig = g->n_tensors;
    qctx_t q = {.g = g, .err = err};
    q.scale = tml_calloc((size_t)n_orig + 1, sizeof(float));
    q.zp = tml_calloc((size_t)n_orig + 1, sizeof(int32_t));
    q.assigned = tml_calloc((size_t)n_orig + 1, sizeof(bool));
    q.float_twin = tml_malloc(((size_t)n_orig + 1) * sizeof(int32_t));
    tml_status_t st = q.scale && q.zp && q.assigned && q.float_twin ? TML_OK : nomem(&q);
    for (int t = 0; t < n_orig && st == TML_OK; t++)
        q.float_twin[t] = -1;
    for (int i = 0; i < g->n_inputs && st == TML_OK; i++) {
        float s;
        int32_t zp;
        tml_quant_params(lo[g->inputs[i]], hi[g->inputs[i]], &s, &zp);
        assign(&q, g->inputs[i], s, zp);
    }
    int n_nodes = g->n_nodes;
    *n_float = 0;
    for (int i = 0; i < n_nodes && st == TML_OK; i++) {
        bool is_float = false;
        st = rewrite_node(&q, g->nodes[i], lo, hi, &is_float);
        *n_float += is_float;
        node_float[i] = is_float;
    }
    if (st == TML_OK) {
        /* Swap in the rebuilt node list and make activations int8. */
        for (int i = 0; i < n_nodes; i++) {
            tml_free(g->nodes[i].name);
            tml_free(g->nodes[i].in);
            tml_free(g->nodes[i].out);
        }
        tml_free(g->nodes);
        g->nodes = q.order;
        g->n_nodes = q.n_order;
        g->cap_nodes = q.cap_order;
        q.order = NULL;
        q.n_order = 0;
        for (int t = 0; t < n_orig && st == TML_OK; t++) {
            if (!q.assigned[t])
                continue;
            g->tensors[t].dtype = TML_DT_I8;
            if (tml_ir_set_quant(g, t, 1, &q.scale[t], &q.zp[t], 0) != TML_OK)
                st = nomem(&q);
        }
    }
    for (int i = 0; i < q.n_order; i++) {
        tml_free(q.order[i].name);
        tml_free(q.order[i].in);
        tml_free(q.order[i].out);
    }
    tml_free(q.order);
    tml_free(q.scale);
    tml_free(q.zp);
    tml_free(q.assigned);
    tml_free(q.float_twin);
    if (st == TML_OK && (st = tml_ir_compact(g, NULL)) != TML_OK)
        st = tml_err_set(err, st, "quantize: out of memory");
    if (st == TML_OK)
        st = tml_ir_validate(g, err);
    return st;
}

static int32_t find_name(const tml_ir_graph_t *g, const char *name)
{
    for (int t = 0; t < g->n_tensors; t++)
        if (!strcmp(g->tensors[t].name, name))
            return t;
    return -1;
}

tml_status_t tml_quantize(tml_ir_graph_t *g, const tml_calib_set_t *calib,
                          const tml_calib_set_t *eval, const tml_quant_opts_t *opts,
                          tml_quant_report_t *report, tml_err_t *err)
{
    tml_quant_opts_t defaults = {.method = TML_CALIB_MINMAX};
    if (!opts)
        opts = &defaults;
    if (report)
        memset(report, 0, sizeof(*report));
    tml_status_t st;
    if ((st = tml_ir_validate(g, err)) != TML_OK || (st = check_float(g, err)) != TML_OK ||
        (st = check_set(g, calib, "calibration", err)) != TML_OK ||
        (eval && (st = check_set(g, eval, "evaluation", err)) != TML_OK) ||
        (st = tml_passes_run(g, NULL, err)) != TML_OK)
        return st;
    int32_t *acts = NULL;
    int n_acts = 0;
    if (tml_quant_activations(g, &acts, &n_acts) != TML_OK)
        return tml_err_set(err, TML_ERR_NOMEM, "quantize: out of memory");
    tml_range_stats_t *stats = tml_calloc((size_t)n_acts + 1, sizeof(*stats));
    float *lo = tml_calloc((size_t)g->n_tensors + 1, sizeof(float));
    float *hi = tml_calloc((size_t)g->n_tensors + 1, sizeof(float));
    bool *node_float = tml_calloc((size_t)g->n_nodes + 1, sizeof(bool));
    tml_ir_graph_t ref;
    memset(&ref, 0, sizeof(ref));
    st = stats && lo && hi && node_float ? TML_OK
                                          : tml_err_set(err, TML_ERR_NOMEM, "quantize: out of memory");
    if (st == TML_OK)
        st = calibrate(g, calib, opts, acts, n_acts, stats, err);
    for (int k = 0; k < n_acts && st == TML_OK; k++)
        tml_range_choose(&stats[k], opts, &lo[acts[k]], &hi[acts[k]]);
    if (st == TML_OK && report && tml_ir_copy(&ref, g) != TML_OK)
        st = tml_err_set(err, TML_ERR_NOMEM, "quantize: out of memory");
    int n_float = 0;
    if (st == TML_OK)
        st = rewrite(g, lo, hi, &n_float, node_float, err);
    if (st == TML_OK && report) {
        report->method = opts->method;
        report->n_calib = calib->n_samples;
        report->n_float_ops = n_float;
        st = tml_quant_compare(&ref, g, eval ? eval : calib, report, err);
        for (int l = 0; l < report->n_layers && st == TML_OK; l++) {
            int32_t t = find_name(&ref, report->layers[l].name);
            report->layers[l].lo = t >= 0 ? lo[t] : 0.0f;
            report->layers[l].hi = t >= 0 ? hi[t] : 0.0f;
            int32_t p = t >= 0 ? tml_ir_producer(&ref, t) : -1;
            report->layers[l].is_float = p >= 0 && node_float[p];
        }
        const tml_calib_set_t *set = eval ? eval : calib;
        if (st == TML_OK && set->labels) {
            report->have_labels = true;
            if ((st = tml_eval_accuracy(&ref, set, &report->accuracy_float, err)) == TML_OK)
                st = tml_eval_accuracy(g, set, &report->accuracy_int8, err);
        }
    }
    for (int k = 0; k < n_acts && stats; k++)
        tml_free(stats[k].hist);
    tml_free(stats);
    tml_free(acts);
    tml_free(lo);
    tml_free(hi);
    tml_free(node_float);
    tml_ir_free(&ref);
    if (st != TML_OK && report)
        tml_quant_report_free(report);
    return st;
}
