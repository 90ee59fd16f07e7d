/*
 * onnx_ops_elem.c - elementwise arithmetic with broadcasting, activations,
 * Softmax, QuantizeLinear and DequantizeLinear.
 *
 * Arithmetic on two constants is folded here (models compute shapes and
 * scales that way); everything else becomes one IR node whose output shape
 * is the numpy-style broadcast of the inputs. Opset < 7 models use the old
 * explicit broadcast (attribute broadcast=1 with an axis), which is turned
 * into the numpy form by giving B trailing unit dims.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "onnx_internal.h"

/* Output dims of broadcasting a and b; false when they do not broadcast. */
static bool broadcast(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b, int *n_dims,
                      int32_t *dims)
{
    int n = a->n_dims > b->n_dims ? a->n_dims : b->n_dims;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - a->n_dims), ib = i - (n - b->n_dims);
        int32_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return false;
        dims[i] = da == 1 ? db : da;
    }
    *n_dims = n;
    return true;
}

/* Flat index into t of output element `flat` of a broadcast to dims. */
static size_t broadcast_index(const tml_ir_tensor_t *t, int n_dims, const int32_t *dims,
                              size_t flat)
{
    size_t idx = 0, stride = 1;
    for (int i = n_dims - 1; i >= 0; i--) {
        size_t coord = flat % (size_t)dims[i];
        flat /= (size_t)dims[i];
        int it = i - (n_dims - t->n_dims);
        if (it >= 0) {
            if (t->dims[it] != 1)
                idx += coord * stride;
            stride *= (size_t)t->dims[it];
        }
    }
    return idx;
}

static double load(const tml_ir_tensor_t *t, size_t i)
{
    switch (t->dtype) {
    case TML_DT_F32: { float v; memcpy(&v, t->data + 4 * i, 4); return v; }
    case TML_DT_I32: { int32_t v; memcpy(&v, t->data + 4 * i, 4); return v; }
    case TML_DT_I64: { int64_t v; memcpy(&v, t->data + 8 * i, 8); return (double)v; }
    default: return 0;
    }
}

/* double -> int64 without undefined behaviour for out-of-range values. */
static int64_t to_i64(double v)
{
    if (!(v == v))
        return 0;
    if (v >= 9.2e18)
        return INT64_MAX;
    if (v <= -9.2e18)
        return INT64_MIN;
    return (int64_t)v;
}

static void store(tml_dtype_t dtype, uint8_t *out, size_t i, double v)
{
    switch (dtype) {
    case TML_DT_F32: { float f = (float)v; memcpy(out + 4 * i, &f, 4); break; }
    case TML_DT_I32: {
        int64_t w = to_i64(v);
        int32_t x = w > INT32_MAX ? INT32_MAX : w < INT32_MIN ? INT32_MIN : (int32_t)w;
        memcpy(out + 4 * i, &x, 4);
        break;
    }
    case TML_DT_I64: { int64_t x = to_i64(v); memcpy(out + 8 * i, &x, 8); break; }
    default: break;
    }
}

static tml_status_t binary(onnx_ctx_t *c, tml_ir_op_t op)
{
    int32_t a, b;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &a)) || (st = onnx_in_req(c, 1, &b)))
        return st;
    const tml_ir_tensor_t *at = onnx_t(c, a), *bt = onnx_t(c, b);
    if (at->dtype != bt->dtype)
        return onnx_fail(c, TML_ERR_CORRUPT, "inputs are %s and %s", tml_dtype_name(at->dtype),
                         tml_dtype_name(bt->dtype));
    if (c->opset < 7) {
        int64_t bcast, axis;
        if ((st = onnx_attr_int(c, "broadcast", 0, &bcast)) ||
            (st = onnx_attr_int(c, "axis", -1, &axis)))
            return st;
        if (bcast && bt->n_dims < at->n_dims && axis >= 0) {
            /* Legacy: B's dims line up with A's from axis on. */
            int32_t dims[TML_IR_MAX_DIMS];
            int n = at->n_dims - (int)axis;
            if (axis > at->n_dims || n < bt->n_dims)
                return onnx_fail(c, TML_ERR_CORRUPT, "broadcast axis out of range");
            for (int i = 0; i < n; i++)
                dims[i] = i < bt->n_dims ? bt->dims[i] : 1;
            if ((st = onnx_reshape(c, b, n, dims, "b_aligned", &b)) != TML_OK)
                return st;
            at = onnx_t(c, a);
            bt = onnx_t(c, b);
        }
    }
    int n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    if (!broadcast(at, bt, &n_dims, dims))
        return onnx_fail(c, TML_ERR_CORRUPT, "inputs of %d and %d dims do not broadcast",
                         at->n_dims, bt->n_dims);
    tml_dtype_t dtype = at->dtype;
    if (tml_ir_is_const(at) && tml_ir_is_const(bt) &&
        (dtype == TML_DT_F32 || dtype == TML_DT_I32 || dtype == TML_DT_I64)) {
        int64_t count = onnx_prod(dims, 0, n_dims);
        size_t bytes = (size_t)count * tml_dtype_size(dtype);
        uint8_t *out = tml_malloc(bytes + 1);
        if (!out)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        bool is_int = dtype != TML_DT_F32;
        for (int64_t i = 0; i < count; i++) {
            double x = load(at, broadcast_index(at, n_dims, dims, (size_t)i));
            double y = load(bt, broadcast_index(bt, n_dims, dims, (size_t)i));
            double r;
            if (!is_int) {
                float fx = (float)x, fy = (float)y, fr;
                switch (op) {
                case TML_OP_ADD: fr = fx + fy; break;
                case TML_OP_SUB: fr = fx - fy; break;
                case TML_OP_MUL: fr = fx * fy; break;
                default: fr = fx / fy; break;
                }
                r = fr;
            } else {
                int64_t xi = to_i64(x), yi = to_i64(y);
                switch (op) {
                case TML_OP_ADD: r = (double)xi + (double)yi; break;
                case TML_OP_SUB: r = (double)xi - (double)yi; break;
                case TML_OP_MUL: r = (double)xi * (double)yi; break;
                default:
                    r = yi == 0 || (yi == -1 && xi == INT64_MIN) ? 0 : (double)(xi / yi);
                    break;
                }
            }
            store(dtype, out, (size_t)i, r);
        }
        st = onnx_out_const(c, 0, dtype, n_dims, dims, out, bytes);
        tml_free(out);
        return st;
    }
    if (dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%s inputs are supported only as constants",
                         tml_dtype_name(dtype));
    int32_t y;
    if ((st = onnx_out(c, 0, dtype, n_dims, dims, &y)) != TML_OK)
        return st;
    int32_t in[2] = {a, b};
    tml_ir_attrs_t attrs = {.act = TML_ACT_NONE};
    return onnx_node(c, op, in, 2, &y, 1, &attrs);
}

tml_status_t onnx_conv_add(onnx_ctx_t *c) { return binary(c, TML_OP_ADD); }
tml_status_t onnx_conv_sub(onnx_ctx_t *c) { return binary(c, TML_OP_SUB); }
tml_status_t onnx_conv_mul(onnx_ctx_t *c) { return binary(c, TML_OP_MUL); }
tml_status_t onnx_conv_div(onnx_ctx_t *c) { return binary(c, TML_OP_DIV); }

/* One float input, same-shape output, one node. */
static tml_status_t unary(onnx_ctx_t *c, tml_ir_op_t op, const tml_ir_attrs_t *attrs)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%s input: only float is supported",
                         tml_dtype_name(xt->dtype));
    int32_t dims[TML_IR_MAX_DIMS];
    int n_dims = xt->n_dims;
    memcpy(dims, xt->dims, sizeof(dims));
    if ((st = onnx_out(c, 0, TML_DT_F32, n_dims, dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, op, &x, 1, &y, 1, attrs);
}

tml_status_t onnx_conv_relu(onnx_ctx_t *c) { return unary(c, TML_OP_RELU, NULL); }
tml_status_t onnx_conv_sigmoid(onnx_ctx_t *c) { return unary(c, TML_OP_LOGISTIC, NULL); }
tml_status_t onnx_conv_tanh(onnx_ctx_t *c) { return unary(c, TML_OP_TANH, NULL); }
tml_status_t onnx_conv_hard_swish(onnx_ctx_t *c) { return unary(c, TML_OP_HARD_SWISH, NULL); }

tml_status_t onnx_conv_leaky_relu(onnx_ctx_t *c)
{
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    tml_status_t st = onnx_attr_float(c, "alpha", 0.01f, &attrs.scalar.alpha);
    return st != TML_OK ? st : unary(c, TML_OP_LEAKY_RELU, &attrs);
}

tml_status_t onnx_conv_hard_sigmoid(onnx_ctx_t *c)
{
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    tml_status_t st;
    if ((st = onnx_attr_float(c, "alpha", 0.2f, &attrs.scalar.alpha)) ||
        (st = onnx_attr_float(c, "beta", 0.5f, &attrs.scalar.beta)))
        return st;
    attrs.scalar.min = 0.0f;
    attrs.scalar.max = 1.0f;
    return unary(c, TML_OP_HARD_SIGMOID, &attrs);
}

tml_status_t onnx_conv_clip(onnx_ctx_t *c)
{
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    float lo = -FLT_MAX, hi = FLT_MAX;
    tml_status_t st;
    if (c->opset < 11) {
        if ((st = onnx_attr_float(c, "min", -FLT_MAX, &lo)) ||
            (st = onnx_attr_float(c, "max", FLT_MAX, &hi)))
            return st;
    } else {
        int32_t tmin, tmax;
        if ((st = onnx_in(c, 1, &tmin)) || (st = onnx_in(c, 2, &tmax)))
            return st;
        if (tmin >= 0 && (st = onnx_const_float(c, tmin, "min", &lo)) != TML_OK)
            return st;
        if (tmax >= 0 && (st = onnx_const_float(c, tmax, "max", &hi)) != TML_OK)
            return st;
    }
    attrs.scalar.min = lo;
    attrs.scalar.max = hi;
    if (lo == 0.0f && hi == 6.0f)
        return unary(c, TML_OP_RELU6, NULL);
    if (lo == 0.0f && hi == FLT_MAX)
        return unary(c, TML_OP_RELU, NULL);
    return unary(c, TML_OP_CLIP, &attrs);
}

tml_status_t onnx_conv_prelu(onnx_ctx_t *c)
{
    int32_t x, slope, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) || (st = onnx_in_req(c, 1, &slope)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x), *stt = onnx_t(c, slope);
    if (xt->dtype != TML_DT_F32 || stt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only float is supported");
    int n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    /* The slope broadcasts to x (one-directional). Opset < 7 models give a
     * per-channel slope [C] for an [N, C, ...] input: align it to dim 1. */
    if (stt->n_dims == 1 && xt->n_dims > 2 && stt->dims[0] == xt->dims[1] && stt->dims[0] != 1 &&
        xt->dims[xt->n_dims - 1] != stt->dims[0]) {
        int32_t sd[TML_IR_MAX_DIMS];
        int rank = xt->n_dims - 1;
        for (int i = 0; i < rank; i++)
            sd[i] = i == 0 ? stt->dims[0] : 1;
        if ((st = onnx_reshape(c, slope, rank, sd, "slope", &slope)) != TML_OK)
            return st;
        xt = onnx_t(c, x);
        stt = onnx_t(c, slope);
    }
    if (!broadcast(xt, stt, &n_dims, dims) || n_dims != xt->n_dims ||
        memcmp(dims, xt->dims, (size_t)n_dims * sizeof(int32_t)))
        return onnx_fail(c, TML_ERR_CORRUPT, "the slope does not broadcast to the input");
    if ((st = onnx_out(c, 0, TML_DT_F32, n_dims, dims, &y)) != TML_OK)
        return st;
    int32_t in[2] = {x, slope};
    return onnx_node(c, TML_OP_PRELU, in, 2, &y, 1, NULL);
}

tml_status_t onnx_conv_softmax(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->dtype != TML_DT_F32 || xt->n_dims < 1)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only float inputs of rank >= 1");
    int rank = xt->n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, xt->dims, sizeof(dims));
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", c->opset < 13 ? 1 : -1, &axis_attr)) != TML_OK)
        return st;
    int32_t axis;
    if ((st = onnx_axis(c, axis_attr, rank, &axis)) != TML_OK)
        return st;
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.softmax.beta = 1.0f;
    if (c->opset < 13 && axis != rank - 1) {
        /* Old semantics: softmax over the flattened dims [axis, rank). */
        int32_t flat_dims[2] = {(int32_t)onnx_prod(dims, 0, axis),
                                (int32_t)onnx_prod(dims, axis, rank)};
        int32_t flat, soft;
        if ((st = onnx_reshape(c, x, 2, flat_dims, "flat", &flat)) ||
            (st = onnx_tmp(c, "softmax", TML_DT_F32, 2, flat_dims, &soft)))
            return st;
        attrs.softmax.axis = 1;
        if ((st = onnx_node(c, TML_OP_SOFTMAX, &flat, 1, &soft, 1, &attrs)) != TML_OK)
            return st;
        return onnx_reshape(c, soft, rank, dims, NULL, &y);
    }
    if (axis == rank - 1 || (rank == 4 && axis == 1)) {
        /* Last axis; or channels of an image, last once in NHWC. */
        attrs.softmax.axis = axis;
        if ((st = onnx_out(c, 0, TML_DT_F32, rank, dims, &y)) != TML_OK)
            return st;
        return onnx_node(c, TML_OP_SOFTMAX, &x, 1, &y, 1, &attrs);
    }
    /* Another axis: move it last, softmax, move it back. */
    tml_ir_attrs_t fwd, back;
    memset(&fwd, 0, sizeof(fwd));
    memset(&back, 0, sizeof(back));
    int32_t tdims[TML_IR_MAX_DIMS];
    for (int i = 0, j = 0; i < rank; i++)
        if (i != axis)
            fwd.transpose.perm[j++] = i;
    fwd.transpose.perm[rank - 1] = axis;
    for (int i = 0; i < rank; i++) {
        tdims[i] = dims[fwd.transpose.perm[i]];
        back.transpose.perm[fwd.transpose.perm[i]] = i;
    }
    int32_t moved, soft;
    if ((st = onnx_tmp(c, "moved", TML_DT_F32, rank, tdims, &moved)) ||
        (st = onnx_node(c, TML_OP_TRANSPOSE, &x, 1, &moved, 1, &fwd)) ||
        (st = onnx_tmp(c, "softmax", TML_DT_F32, rank, tdims, &soft)))
        return st;
    attrs.softmax.axis = rank - 1;
    if ((st = onnx_node(c, TML_OP_SOFTMAX, &moved, 1, &soft, 1, &attrs)) ||
        (st = onnx_out(c, 0, TML_DT_F32, rank, dims, &y)))
        return st;
    return onnx_node(c, TML_OP_TRANSPOSE, &soft, 1, &y, 1, &back);
}

/* Scale and zero point of a (de)quantize node: per tensor (scalar) or per
 * axis (1-D, one per slice of `axis`). */
typedef struct qparams {
    int n;
    int32_t axis;
    float *scale;
    int32_t *zero_point;
    tml_dtype_t dtype;          /* of the quantized side */
} qparams_t;

static void qparams_free(qparams_t *q)
{
    tml_free(q->scale);
    tml_free(q->zero_point);
}

static tml_status_t read_qparams(onnx_ctx_t *c, int32_t x_quant_rank, qparams_t *q)
{
    memset(q, 0, sizeof(*q));
    int32_t ts, tz;
    tml_status_t st;
    if ((st = onnx_in_req(c, 1, &ts)) || (st = onnx_in(c, 2, &tz)))
        return st;
    const tml_ir_tensor_t *s = onnx_t(c, ts);
    if (!tml_ir_is_const(s) || s->dtype != TML_DT_F32 || s->n_dims > 1)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "the scale must be a float constant scalar "
                         "or 1-D");
    int64_t n = tml_ir_tensor_elems(s);
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", 1, &axis_attr)) != TML_OK)
        return st;
    q->dtype = TML_DT_U8;
    const tml_ir_tensor_t *z = tz >= 0 ? onnx_t(c, tz) : NULL;
    if (z) {
        if (!tml_ir_is_const(z) || tml_ir_tensor_elems(z) != n ||
            (z->dtype != TML_DT_I8 && z->dtype != TML_DT_U8 && z->dtype != TML_DT_I32))
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "the zero point must be an int8/uint8/int32 "
                             "constant shaped like the scale");
        q->dtype = z->dtype;
    }
    if (s->n_dims == 1 && n > 1) {
        if ((st = onnx_axis(c, axis_attr, x_quant_rank, &q->axis)) != TML_OK)
            return st;
    }
    q->n = (int)n;
    q->scale = tml_malloc((size_t)n * 4 + 4);
    q->zero_point = tml_calloc((size_t)n + 1, 4);
    if (!q->scale || !q->zero_point) {
        qparams_free(q);
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    }
    memcpy(q->scale, s->data, (size_t)n * 4);
    for (int64_t i = 0; z && i < n; i++) {
        if (z->dtype == TML_DT_I8)
            q->zero_point[i] = (int8_t)z->data[i];
        else if (z->dtype == TML_DT_U8)
            q->zero_point[i] = z->data[i];
        else
            memcpy(&q->zero_point[i], z->data + 4 * i, 4);
    }
    for (int64_t i = 0; i < n; i++)
        if (!(q->scale[i] > 0.0f) || !isfinite(q->scale[i])) {
            qparams_free(q);
            return onnx_fail(c, TML_ERR_CORRUPT, "scale %lld is not a positive number",
                             (long long)i);
        }
    return TML_OK;
}

tml_status_t onnx_conv_quantize(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, xt->dims, sizeof(dims));
    if (xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only float inputs");
    qparams_t q;
    if ((st = read_qparams(c, rank, &q)) != TML_OK)
        return st;
    if (q.n > 1 && dims[q.axis] != q.n)
        st = onnx_fail(c, TML_ERR_CORRUPT, "%d scales for %d channels", q.n, (int)dims[q.axis]);
    if (st == TML_OK && q.dtype == TML_DT_I32)
        st = onnx_fail(c, TML_ERR_UNSUPPORTED, "int32 quantization");
    if (st == TML_OK)
        st = onnx_out(c, 0, q.dtype, rank, dims, &y);
    if (st == TML_OK && tml_ir_set_quant(c->g, y, q.n, q.scale, q.zero_point, q.axis) != TML_OK)
        st = onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    qparams_free(&q);
    if (st != TML_OK)
        return st;
    return onnx_node(c, TML_OP_QUANTIZE, &x, 1, &y, 1, NULL);
}

tml_status_t onnx_conv_dequantize(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, xt->dims, sizeof(dims));
    qparams_t q;
    if ((st = read_qparams(c, rank, &q)) != TML_OK)
        return st;
    xt = onnx_t(c, x);
    if (xt->dtype != TML_DT_I8 && xt->dtype != TML_DT_U8 && xt->dtype != TML_DT_I32)
        st = onnx_fail(c, TML_ERR_UNSUPPORTED, "%s input", tml_dtype_name(xt->dtype));
    else if (q.n > 1 && dims[q.axis] != q.n)
        st = onnx_fail(c, TML_ERR_CORRUPT, "%d scales for %d channels", q.n, (int)dims[q.axis]);
    else if (tml_ir_tensor_elems(xt) > 0 && q.dtype != xt->dtype && c->node->n_input > 2 &&
             c->node->input[2][0])
        st = onnx_fail(c, TML_ERR_CORRUPT, "zero point and input types differ");
    if (st != TML_OK) {
        qparams_free(&q);
        return st;
    }
    if (tml_ir_is_const(xt)) {
        /* Quantized weights: dequantized here, the graph stays float. */
        int64_t count = tml_ir_tensor_elems(xt);
        int64_t inner = q.n > 1 ? onnx_prod(dims, q.axis + 1, rank) : 1;
        float *out = tml_malloc((size_t)count * 4 + 4);
        if (!out) {
            qparams_free(&q);
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        }
        for (int64_t i = 0; i < count; i++) {
            int ch = q.n > 1 ? (int)((i / inner) % q.n) : 0;
            int32_t v;
            if (xt->dtype == TML_DT_I8)
                v = (int8_t)xt->data[i];
            else if (xt->dtype == TML_DT_U8)
                v = xt->data[i];
            else
                memcpy(&v, xt->data + 4 * i, 4);
            out[i] = (float)((int64_t)v - q.zero_point[ch]) * q.scale[ch];
        }
        st = onnx_out_const(c, 0, TML_DT_F32, rank, dims, out, (size_t)count * 4);
        tml_free(out);
        /* The float weights remember the grid they came from, so QDQ
         * folding can restore the model's own int8 values. */
        onnx_value_t *ov = st == TML_OK ? onnx_value_get(c, c->node->output[0]) : NULL;
        if (ov && ov->tensor >= 0 &&
            tml_ir_set_quant(c->g, ov->tensor, q.n, q.scale, q.zero_point, q.axis) != TML_OK)
            st = onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        qparams_free(&q);
        return st;
    }
    /* An activation: its quantization is what this node says. */
    const tml_ir_tensor_t *cur = onnx_t(c, x);
    if (cur->quant.n && (cur->quant.n != q.n || cur->quant.scale[0] != q.scale[0] ||
                         cur->quant.zero_point[0] != q.zero_point[0]))
        st = onnx_fail(c, TML_ERR_UNSUPPORTED, "the input is dequantized with two different "
                       "scales");
    else if (!cur->quant.n && tml_ir_set_quant(c->g, x, q.n, q.scale, q.zero_point, q.axis))
        st = onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    qparams_free(&q);
    if (st == TML_OK)
        st = onnx_out(c, 0, TML_DT_F32, rank, dims, &y);
    if (st != TML_OK)
        return st;
    return onnx_node(c, TML_OP_DEQUANTIZE, &x, 1, &y, 1, NULL);
}
