/*
 * dead_channels.c - exact removal of constant int8 channels (see
 * tml/pass_dead_channels.h).
 *
 * Three phases over the graph:
 *   analyse  forward: the constant value of every channel of every int8
 *            activation (KNONE when it varies), computed with the kernels'
 *            own integer arithmetic;
 *   decide   backward then forward: a constant channel is removed when every
 *            consumer can do without it, and channel-wise ops keep their
 *            input and output channel sets identical;
 *   rewrite  fold removed inputs into consumers' biases, drop removed
 *            weights, biases, per-channel scales and tensor channels.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "tml/lower.h"
#include "tml/pass_dead_channels.h"
#include "../../runtime/kernels/tml_fixedpoint.h"

#define KNONE INT32_MIN

typedef struct pass {
    tml_ir_graph_t *g;
    int32_t **lo, **hi; /* per tensor: per-channel value range, or NULL if not tracked */
    int32_t **kval;    /* per tensor: per-channel constant, or NULL if not tracked */
    uint8_t **remove;  /* per tensor: per-channel removal decision */
    int n_tensors;
} pass_t;

static int is_act_i8(const tml_ir_tensor_t *t)
{
    return t->dtype == TML_DT_I8 && !t->data && t->quant.n == 1 && t->n_dims >= 1;
}

static int32_t channels(const tml_ir_tensor_t *t) { return t->dims[t->n_dims - 1]; }

static int has_pads(const tml_ir_conv_t *c)
{
    return c->pad_top || c->pad_left || c->pad_bottom || c->pad_right;
}

static int is_weighted(tml_ir_op_t op)
{
    return op == TML_OP_CONV2D || op == TML_OP_DEPTHWISE_CONV2D || op == TML_OP_FULLY_CONNECTED;
}

/* A node this pass understands: int8 activations in and out, and for the
 * weighted ops constant int8 weights (and int32 bias) used by this node only. */
static int understood(const pass_t *p, const tml_ir_node_t *n)
{
    const tml_ir_graph_t *g = p->g;
    if (n->n_in < 1 || n->n_out != 1 || n->in[0] < 0 || !is_act_i8(&g->tensors[n->in[0]]) ||
        !is_act_i8(&g->tensors[n->out[0]]))
        return 0;
    switch (n->op) {
    case TML_OP_CONV2D:
    case TML_OP_DEPTHWISE_CONV2D:
    case TML_OP_FULLY_CONNECTED: {
        if (n->n_in < 2 || n->in[1] < 0)
            return 0;
        const tml_ir_tensor_t *w = &g->tensors[n->in[1]];
        if (!w->data || w->dtype != TML_DT_I8 || w->quant.n < 1 ||
            tml_ir_n_consumers(g, n->in[1]) != 1)
            return 0;
        /* FC flattens its input: its input channels must be the last axis. */
        if (n->op == TML_OP_FULLY_CONNECTED &&
            (w->n_dims != 2 || w->dims[1] != channels(&g->tensors[n->in[0]])))
            return 0;
        if (n->op != TML_OP_FULLY_CONNECTED && w->n_dims != 4)
            return 0;
        if (n->n_in > 2 && n->in[2] >= 0) {
            const tml_ir_tensor_t *b = &g->tensors[n->in[2]];
            if (!b->data || b->dtype != TML_DT_I32 || tml_ir_n_consumers(g, n->in[2]) != 1)
                return 0;
        }
        return 1;
    }
    case TML_OP_AVG_POOL2D:
    case TML_OP_MAX_POOL2D:
    case TML_OP_RESHAPE: {
        /* Channel-wise ops that copy values: same channels, same quantization. */
        const tml_ir_tensor_t *in = &g->tensors[n->in[0]], *out = &g->tensors[n->out[0]];
        return channels(in) == channels(out) &&
               in->quant.scale[0] == out->quant.scale[0] &&
               in->quant.zero_point[0] == out->quant.zero_point[0];
    }
    default:
        return 0;
    }
}

/* Weight of output o, window (kh, kw), input channel i. */
static int32_t weight(const tml_ir_tensor_t *w, tml_ir_op_t op, int32_t o, int32_t kh, int32_t kw,
                      int32_t i)
{
    const int8_t *d = (const int8_t *)w->data;
    if (op == TML_OP_FULLY_CONNECTED)
        return d[(int64_t)o * w->dims[1] + i];
    if (op == TML_OP_DEPTHWISE_CONV2D)
        return d[((int64_t)kh * w->dims[2] + kw) * w->dims[3] + o];
    return d[(((int64_t)o * w->dims[1] + kh) * w->dims[2] + kw) * w->dims[3] + i];
}

static void kernel_window(const tml_ir_tensor_t *w, tml_ir_op_t op, int32_t *kh, int32_t *kw)
{
    *kh = op == TML_OP_FULLY_CONNECTED ? 1 : w->dims[1];
    *kw = op == TML_OP_FULLY_CONNECTED ? 1 : w->dims[2];
}

/* Input channel of output o's i-th input (depthwise reads one channel). */
static int32_t n_outputs_of(const tml_ir_node_t *n, const tml_ir_tensor_t *w)
{
    if (n->op == TML_OP_DEPTHWISE_CONV2D)
        return w->dims[3];
    return w->dims[0];
}

static int32_t requant(int64_t acc, const tml_ir_tensor_t *in, const tml_ir_tensor_t *w, int32_t o,
                       const tml_ir_tensor_t *out, tml_act_t act)
{
    if (acc < INT32_MIN || acc > INT32_MAX)
        return KNONE; /* the kernel's int32 sum would wrap: leave it alone */
    double eff = (double)in->quant.scale[0] * (double)w->quant.scale[w->quant.n > 1 ? o : 0] /
                 (double)out->quant.scale[0];
    int32_t mult, shift, lo, hi;
    tml_quantize_multiplier(eff, &mult, &shift);
    if (shift > 30 || shift < -31)
        return KNONE;
    tml_lower_act_range_s8(act, out->quant.scale[0], out->quant.zero_point[0], &lo, &hi);
    int32_t v = tml_mul_by_quantized_mul((int32_t)acc, mult, shift) + out->quant.zero_point[0];
    return tml_clamp_i32(v, lo, hi);
}

/* Whether a constant input channel i (value k) contributes the same amount
 * at every output pixel of a weighted node, so that it can be folded. */
static int foldable(const tml_ir_node_t *n, const tml_ir_tensor_t *in, int32_t k)
{
    if (n->op == TML_OP_FULLY_CONNECTED)
        return 1;
    return k == in->quant.zero_point[0] || !has_pads(&n->attrs.conv);
}

/* ---- analyse ---------------------------------------------------------- */

/* Value range [lo, hi] of a weighted node's output channel o, by interval
 * arithmetic over its inputs' ranges: the requantization is monotone in the
 * accumulator, so the ends of the accumulator's range give the ends of the
 * output's. Where the two ends meet, the channel is one constant at every
 * pixel: all-zero weights are the simplest case, a ReLU that every possible
 * input leaves at zero is another. Padding feeds the zero point, so a padded
 * conv lets every input also contribute 0. */
static void analyse_weighted(pass_t *p, const tml_ir_node_t *n, int32_t *lo_out, int32_t *hi_out)
{
    const tml_ir_graph_t *g = p->g;
    const tml_ir_tensor_t *in = &g->tensors[n->in[0]], *w = &g->tensors[n->in[1]];
    const tml_ir_tensor_t *out = &g->tensors[n->out[0]];
    const tml_ir_tensor_t *b = n->n_in > 2 && n->in[2] >= 0 ? &g->tensors[n->in[2]] : NULL;
    const int32_t *lo_in = p->lo[n->in[0]], *hi_in = p->hi[n->in[0]];
    int32_t kh_n, kw_n, n_in_ch = channels(in), n_out = n_outputs_of(n, w);
    kernel_window(w, n->op, &kh_n, &kw_n);
    int32_t in_zp = in->quant.zero_point[0];
    int32_t w_off = n->op == TML_OP_FULLY_CONNECTED && w->quant.n == 1 ? -w->quant.zero_point[0] : 0;
    tml_act_t act = n->op == TML_OP_FULLY_CONNECTED ? n->attrs.act : n->attrs.conv.act;
    int padded = n->op != TML_OP_FULLY_CONNECTED && has_pads(&n->attrs.conv);
    int32_t mult = n->op == TML_OP_DEPTHWISE_CONV2D ? n_out / n_in_ch : 1;
    for (int32_t o = 0; o < n_out; o++) {
        int64_t acc_lo = b ? ((const int32_t *)b->data)[o] : 0, acc_hi = acc_lo;
        int32_t i_first = n->op == TML_OP_DEPTHWISE_CONV2D ? o / mult : 0;
        int32_t i_end = n->op == TML_OP_DEPTHWISE_CONV2D ? i_first + 1 : n_in_ch;
        for (int32_t i = i_first; i < i_end; i++) {
            int64_t d_lo = (int64_t)lo_in[i] - in_zp, d_hi = (int64_t)hi_in[i] - in_zp;
            if (padded && d_lo > 0)
                d_lo = 0;
            if (padded && d_hi < 0)
                d_hi = 0;
            for (int32_t kh = 0; kh < kh_n; kh++)
                for (int32_t kw = 0; kw < kw_n; kw++) {
                    int64_t wv = weight(w, n->op, o, kh, kw, i) + w_off;
                    int64_t a = wv * d_lo, c = wv * d_hi;
                    acc_lo += a < c ? a : c;
                    acc_hi += a < c ? c : a;
                }
        }
        int32_t q_lo = requant(acc_lo, in, w, o, out, act);
        int32_t q_hi = requant(acc_hi, in, w, o, out, act);
        if (q_lo == KNONE || q_hi == KNONE) {
            q_lo = -128; /* an int32 sum that may wrap: know nothing */
            q_hi = 127;
        }
        lo_out[o] = q_lo;
        hi_out[o] = q_hi;
    }
}

static void analyse(pass_t *p)
{
    tml_ir_graph_t *g = p->g;
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (!understood(p, n))
            continue;
        int32_t t_out = n->out[0], t_in = n->in[0];
        const tml_ir_tensor_t *out = &g->tensors[t_out];
        if (is_weighted(n->op)) {
            analyse_weighted(p, n, p->lo[t_out], p->hi[t_out]);
        } else {
            /* Pools keep values within their input's range (avg of a constant
             * k: (k*n +- n/2)/n == k), then the fused activation clamps; a
             * channel-keeping reshape copies. */
            int32_t lo = INT32_MIN, hi = INT32_MAX;
            if (n->op != TML_OP_RESHAPE)
                tml_lower_act_range_s8(n->attrs.pool.act, out->quant.scale[0],
                                       out->quant.zero_point[0], &lo, &hi);
            for (int32_t c = 0; c < channels(out); c++) {
                p->lo[t_out][c] = tml_clamp_i32(p->lo[t_in][c], lo, hi);
                p->hi[t_out][c] = tml_clamp_i32(p->hi[t_in][c], lo, hi);
            }
        }
        for (int32_t c = 0; c < channels(out); c++)
            p->kval[t_out][c] = p->lo[t_out][c] == p->hi[t_out][c] ? p->lo[t_out][c] : KNONE;
    }
}

/* ---- decide ----------------------------------------------------------- */

static int is_graph_io(const tml_ir_graph_t *g, int32_t t)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == t)
            return 1;
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

/* Channel c of tensor t may go if every consumer copes without it. */
static int consumers_allow(const pass_t *p, int32_t t, int32_t c)
{
    const tml_ir_graph_t *g = p->g;
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        for (int j = 0; j < n->n_in; j++) {
            if (n->in[j] != t)
                continue;
            if (j != 0 || !understood(p, n))
                return 0;
            const uint8_t *rm_out = p->remove[n->out[0]];
            if (n->op == TML_OP_CONV2D || n->op == TML_OP_FULLY_CONNECTED) {
                if (!foldable(n, &g->tensors[t], p->kval[t][c]))
                    return 0;
            } else if (n->op == TML_OP_DEPTHWISE_CONV2D) {
                const tml_ir_tensor_t *w = &g->tensors[n->in[1]];
                int32_t m = w->dims[3] / channels(&g->tensors[t]);
                for (int32_t k = 0; k < m; k++)
                    if (!rm_out || !rm_out[c * m + k])
                        return 0;
            } else if (!rm_out || !rm_out[c]) {
                return 0; /* pools and reshapes keep channel sets in step */
            }
        }
    }
    return 1;
}

static void decide(pass_t *p)
{
    tml_ir_graph_t *g = p->g;
    /* Backward: consumers first, so each tensor sees its consumers' choice. */
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        const tml_ir_node_t *n = &g->nodes[i];
        int32_t t = n->out[0];
        if (n->n_out != 1 || !p->kval[t] || is_graph_io(g, t))
            continue;
        int32_t n_ch = channels(&g->tensors[t]), kept = 0;
        for (int32_t c = 0; c < n_ch; c++) {
            p->remove[t][c] = p->kval[t][c] != KNONE && consumers_allow(p, t, c);
            kept += !p->remove[t][c];
        }
        if (kept == 0)
            p->remove[t][0] = 0; /* a tensor keeps at least one channel */
    }
    /* Forward: a channel-wise op removes an output channel only if its input
     * channel goes too (the backward rule gave the converse). */
    for (int i = 0; i < g->n_nodes; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (!understood(p, n) || n->op == TML_OP_CONV2D || n->op == TML_OP_FULLY_CONNECTED)
            continue;
        uint8_t *rm_in = p->remove[n->in[0]], *rm_out = p->remove[n->out[0]];
        int32_t n_out = channels(&g->tensors[n->out[0]]);
        int32_t m = n_out / channels(&g->tensors[n->in[0]]);
        for (int32_t o = 0; o < n_out; o++)
            rm_out[o] = rm_out[o] && rm_in && rm_in[o / m];
    }
}

/* ---- rewrite ---------------------------------------------------------- */

/* Copies the kept slices of constant tensor idx along axis (keep[k] for
 * each index of that axis) and shrinks the axis. */
static tml_status_t shrink_const(tml_ir_graph_t *g, int32_t idx, int axis, const uint8_t *keep)
{
    tml_ir_tensor_t *t = &g->tensors[idx];
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= t->dims[d];
    for (int d = axis + 1; d < t->n_dims; d++)
        inner *= t->dims[d];
    size_t elem = tml_dtype_size(t->dtype);
    int32_t n = t->dims[axis], n_kept = 0;
    for (int32_t k = 0; k < n; k++)
        n_kept += keep[k] != 0;
    size_t len = (size_t)(outer * n_kept * inner) * elem;
    uint8_t *data = tml_malloc(len ? len : 1);
    if (!data)
        return TML_ERR_NOMEM;
    size_t pos = 0, slice = (size_t)inner * elem;
    for (int64_t o = 0; o < outer; o++)
        for (int32_t k = 0; k < n; k++)
            if (keep[k]) {
                memcpy(data + pos, t->data + ((size_t)(o * n + k) * slice), slice);
                pos += slice;
            }
    t->dims[axis] = n_kept;
    tml_status_t st = tml_ir_set_data(g, idx, data, len);
    tml_free(data);
    if (st == TML_OK && t->quant.n > 1 && t->quant.axis == axis) {
        float *s = tml_malloc((size_t)n_kept * sizeof(float) + 1);
        int32_t *z = tml_malloc((size_t)n_kept * sizeof(int32_t) + 1);
        if (!s || !z) {
            st = TML_ERR_NOMEM;
        } else {
            int32_t j = 0;
            for (int32_t k = 0; k < n; k++)
                if (keep[k]) {
                    s[j] = t->quant.scale[k];
                    z[j++] = t->quant.zero_point[k];
                }
            st = tml_ir_set_quant(g, idx, n_kept, s, z, axis);
        }
        tml_free(s);
        tml_free(z);
    }
    return st;
}

/* Gives a weighted node an all-zero int32 bias if it has none, so that
 * constant contributions have somewhere to go. */
static tml_status_t ensure_bias(tml_ir_graph_t *g, int node_idx)
{
    tml_ir_node_t *n = &g->nodes[node_idx];
    if (n->n_in > 2 && n->in[2] >= 0)
        return TML_OK;
    const tml_ir_tensor_t *w = &g->tensors[n->in[1]], *in = &g->tensors[n->in[0]];
    int32_t n_out = n_outputs_of(n, w), dims[1] = {n_out}, idx;
    char name[300];
    snprintf(name, sizeof(name), "%s/bias", n->name);
    tml_status_t st = tml_ir_add_tensor(g, name, TML_DT_I32, 1, dims, &idx);
    int32_t *zeros = st == TML_OK ? tml_calloc((size_t)n_out, sizeof(int32_t)) : NULL;
    if (st == TML_OK && !zeros)
        st = TML_ERR_NOMEM;
    if (st == TML_OK)
        st = tml_ir_set_data(g, idx, zeros, (size_t)n_out * sizeof(int32_t));
    tml_free(zeros);
    /* The bias scale is input scale x weight scale, per channel like them. */
    w = &g->tensors[g->nodes[node_idx].in[1]];
    in = &g->tensors[g->nodes[node_idx].in[0]];
    float *s = st == TML_OK ? tml_malloc((size_t)n_out * sizeof(float)) : NULL;
    int32_t *z = st == TML_OK ? tml_calloc((size_t)n_out, sizeof(int32_t)) : NULL;
    if (st == TML_OK && (!s || !z))
        st = TML_ERR_NOMEM;
    if (st == TML_OK) {
        for (int32_t o = 0; o < n_out; o++)
            s[o] = in->quant.scale[0] * w->quant.scale[w->quant.n > 1 ? o : 0];
        st = tml_ir_set_quant(g, idx, n_out, s, z, 0);
    }
    tml_free(s);
    tml_free(z);
    if (st != TML_OK)
        return st;
    n = &g->nodes[node_idx];
    if (n->n_in < 3) {
        int32_t *in3 = tml_realloc(n->in, 3 * sizeof(int32_t));
        if (!in3)
            return TML_ERR_NOMEM;
        n->in = in3;
        n->n_in = 3;
    }
    n->in[2] = idx;
    return TML_OK;
}

/* Folds the removed input channels' constant contributions into the bias of
 * conv/fc node i, then drops those input channels from its weights. */
static tml_status_t absorb_inputs(pass_t *p, int i)
{
    tml_ir_graph_t *g = p->g;
    tml_status_t st = ensure_bias(g, i);
    if (st != TML_OK)
        return st;
    const tml_ir_node_t *n = &g->nodes[i];
    const tml_ir_tensor_t *in = &g->tensors[n->in[0]], *w = &g->tensors[n->in[1]];
    int32_t *bias = (int32_t *)g->tensors[n->in[2]].data;
    const int32_t *kin = p->kval[n->in[0]];
    const uint8_t *rm = p->remove[n->in[0]];
    int32_t kh_n, kw_n, n_in_ch = channels(in), n_out = n_outputs_of(n, w);
    kernel_window(w, n->op, &kh_n, &kw_n);
    int32_t w_off = n->op == TML_OP_FULLY_CONNECTED && w->quant.n == 1 ? -w->quant.zero_point[0] : 0;
    uint8_t *keep = tml_malloc((size_t)n_in_ch);
    if (!keep)
        return TML_ERR_NOMEM;
    for (int32_t c = 0; c < n_in_ch; c++) {
        keep[c] = !rm[c];
        if (keep[c])
            continue;
        int64_t k = (int64_t)kin[c] - in->quant.zero_point[0];
        for (int32_t o = 0; o < n_out; o++) {
            int64_t wsum = 0;
            for (int32_t kh = 0; kh < kh_n; kh++)
                for (int32_t kw = 0; kw < kw_n; kw++)
                    wsum += weight(w, n->op, o, kh, kw, c) + w_off;
            bias[o] = (int32_t)(bias[o] + wsum * k);
        }
    }
    st = shrink_const(g, n->in[1], n->op == TML_OP_FULLY_CONNECTED ? 1 : 3, keep);
    tml_free(keep);
    return st;
}

/* Drops removed output channels from a weighted node's weights and bias. */
static tml_status_t drop_outputs(pass_t *p, int i, const uint8_t *rm_out)
{
    tml_ir_graph_t *g = p->g;
    const tml_ir_node_t *n = &g->nodes[i];
    int32_t n_out = n_outputs_of(n, &g->tensors[n->in[1]]);
    uint8_t *keep = tml_malloc((size_t)n_out);
    if (!keep)
        return TML_ERR_NOMEM;
    for (int32_t o = 0; o < n_out; o++)
        keep[o] = !rm_out[o];
    tml_status_t st = shrink_const(g, n->in[1], n->op == TML_OP_DEPTHWISE_CONV2D ? 3 : 0, keep);
    n = &g->nodes[i];
    if (st == TML_OK && n->n_in > 2 && n->in[2] >= 0)
        st = shrink_const(g, n->in[2], 0, keep);
    tml_free(keep);
    return st;
}

static tml_status_t rewrite(pass_t *p, tml_dead_channel_stats_t *stats)
{
    tml_ir_graph_t *g = p->g;
    tml_status_t st = TML_OK;
    for (int i = 0; i < g->n_nodes && st == TML_OK; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        if (!understood(p, n))
            continue;
        const uint8_t *rm_in = p->remove[n->in[0]], *rm_out = p->remove[n->out[0]];
        int any_in = 0, any_out = 0;
        for (int32_t c = 0; rm_in && c < channels(&g->tensors[n->in[0]]); c++)
            any_in |= rm_in[c];
        for (int32_t c = 0; rm_out && c < channels(&g->tensors[n->out[0]]); c++)
            any_out |= rm_out[c];
        if (any_in && (n->op == TML_OP_CONV2D || n->op == TML_OP_FULLY_CONNECTED))
            st = absorb_inputs(p, i);
        if (st == TML_OK && any_out && is_weighted(g->nodes[i].op))
            st = drop_outputs(p, i, rm_out);
    }
    if (st != TML_OK)
        return st;
    /* Shrink the activations last: the rewrites above read their old shapes. */
    for (int t = 0; t < g->n_tensors; t++) {
        if (!p->remove[t])
            continue;
        int32_t n_ch = channels(&g->tensors[t]), kept = 0;
        for (int32_t c = 0; c < n_ch; c++)
            kept += !p->remove[t][c];
        if (stats)
            stats->channels_removed += n_ch - kept;
        g->tensors[t].dims[g->tensors[t].n_dims - 1] = kept;
    }
    return TML_OK;
}

static int64_t total_macs(const tml_ir_graph_t *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += tml_ir_node_macs(g, &g->nodes[i]);
    return n;
}

static int64_t const_bytes(const tml_ir_graph_t *g)
{
    int64_t n = 0;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].data && tml_ir_n_consumers(g, t) > 0)
            n += (int64_t)g->tensors[t].data_len;
    return n;
}

tml_status_t tml_pass_dead_channels(tml_ir_graph_t *g, tml_dead_channel_stats_t *stats,
                                    tml_err_t *err)
{
    if (stats)
        memset(stats, 0, sizeof(*stats));
    pass_t p = {.g = g, .n_tensors = g->n_tensors};
    p.kval = tml_calloc((size_t)g->n_tensors + 1, sizeof(*p.kval));
    p.remove = tml_calloc((size_t)g->n_tensors + 1, sizeof(*p.remove));
    p.lo = tml_calloc((size_t)g->n_tensors + 1, sizeof(*p.lo));
    p.hi = tml_calloc((size_t)g->n_tensors + 1, sizeof(*p.hi));
    tml_status_t st = p.kval && p.remove && p.lo && p.hi ? TML_OK : TML_ERR_NOMEM;
    for (int t = 0; t < g->n_tensors && st == TML_OK; t++) {
        if (!is_act_i8(&g->tensors[t]))
            continue;
        int32_t n = channels(&g->tensors[t]);
        p.kval[t] = tml_malloc((size_t)n * sizeof(int32_t) + 1);
        p.remove[t] = tml_calloc((size_t)n + 1, 1);
        p.lo[t] = tml_malloc((size_t)n * sizeof(int32_t) + 1);
        p.hi[t] = tml_malloc((size_t)n * sizeof(int32_t) + 1);
        if (!p.kval[t] || !p.remove[t] || !p.lo[t] || !p.hi[t])
            st = TML_ERR_NOMEM;
        else
            for (int32_t c = 0; c < n; c++) {
                p.kval[t][c] = KNONE;
                p.lo[t][c] = -128;
                p.hi[t][c] = 127;
            }
    }
    int64_t bytes_before = st == TML_OK ? const_bytes(g) : 0;
    int64_t macs_before = st == TML_OK ? total_macs(g) : 0;
    if (st == TML_OK) {
        analyse(&p);
        decide(&p);
        st = rewrite(&p, stats);
    }
    if (st == TML_OK && stats) {
        stats->weight_bytes_saved = bytes_before - const_bytes(g);
        stats->macs_saved = macs_before - total_macs(g);
    }
    for (int t = 0; t < p.n_tensors && p.kval && p.remove && p.lo && p.hi; t++) {
        tml_free(p.kval[t]);
        tml_free(p.remove[t]);
        tml_free(p.lo[t]);
        tml_free(p.hi[t]);
    }
    tml_free(p.kval);
    tml_free(p.remove);
    tml_free(p.lo);
    tml_free(p.hi);
    if (st != TML_OK)
        return tml_err_set(err, st, "dead-channel pass: %s", tml_strerror(st));
    return tml_ir_validate(g, err);
}
