/*
 * onnx_ops_nn.c - Conv, Gemm, MatMul, the pools and BatchNormalization.
 *
 * Everything here is emitted in ONNX's NCHW form (see tml/pass_layout.h for
 * what the layout pass expects): conv weights stay [C_out, C_in/group, KH, KW],
 * depthwise [C * M, 1, KH, KW]. Padding is resolved to explicit
 * top/left/bottom/right here, auto_pad and ceil_mode included. Conv and
 * fully-connected nodes always carry a bias (zeros when the model has none),
 * which also gives BatchNormalization something to fold into.
 */
#include <math.h>
#include <string.h>

#include "onnx_internal.h"

typedef struct spatial {
    int64_t kernel[2], stride[2], dilation[2];
    int64_t pad_begin[2], pad_end[2];
    int32_t out[2];
} spatial_t;

/* Reads kernel_shape/strides/dilations/pads/auto_pad (and ceil_mode for
 * pools) and computes the output size of the two spatial dims in[0..1]. */
static tml_status_t resolve_spatial(onnx_ctx_t *c, const int32_t in[2], const int64_t kernel[2],
                                    bool pool, spatial_t *s)
{
    int64_t v[4];
    int n;
    tml_status_t st;
    s->kernel[0] = kernel[0];
    s->kernel[1] = kernel[1];
    s->stride[0] = s->stride[1] = 1;
    s->dilation[0] = s->dilation[1] = 1;
    s->pad_begin[0] = s->pad_begin[1] = s->pad_end[0] = s->pad_end[1] = 0;
    if ((st = onnx_attr_ints(c, "strides", v, 2, &n)) != TML_OK)
        return st;
    if (n == 2) {
        s->stride[0] = v[0];
        s->stride[1] = v[1];
    } else if (n >= 0) {
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "strides must have 2 values");
    }
    if ((st = onnx_attr_ints(c, "dilations", v, 2, &n)) != TML_OK)
        return st;
    if (n == 2) {
        s->dilation[0] = v[0];
        s->dilation[1] = v[1];
    } else if (n >= 0) {
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "dilations must have 2 values");
    }
    for (int i = 0; i < 2; i++)
        if (s->stride[i] < 1 || s->stride[i] > 65535 || s->dilation[i] < 1 ||
            s->dilation[i] > 65535 || s->kernel[i] < 1 || s->kernel[i] > 65535)
            return onnx_fail(c, TML_ERR_CORRUPT, "kernel, stride or dilation out of range");
    if (pool && (s->dilation[0] != 1 || s->dilation[1] != 1))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "pooling with dilations is not supported");
    char auto_pad[32];
    if ((st = onnx_attr_string(c, "auto_pad", "NOTSET", auto_pad, sizeof(auto_pad))) != TML_OK)
        return st;
    int64_t ceil_mode = 0;
    if (pool && (st = onnx_attr_int(c, "ceil_mode", 0, &ceil_mode)) != TML_OK)
        return st;
    bool same_upper = !strcmp(auto_pad, "SAME_UPPER"), same_lower = !strcmp(auto_pad, "SAME_LOWER");
    if (!strcmp(auto_pad, "NOTSET")) {
        if ((st = onnx_attr_ints(c, "pads", v, 4, &n)) != TML_OK)
            return st;
        if (n == 4) {
            s->pad_begin[0] = v[0];
            s->pad_begin[1] = v[1];
            s->pad_end[0] = v[2];
            s->pad_end[1] = v[3];
        } else if (n >= 0) {
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "pads must have 4 values");
        }
    } else if (!same_upper && !same_lower && strcmp(auto_pad, "VALID")) {
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "auto_pad '%s' is not supported", auto_pad);
    }
    for (int i = 0; i < 2; i++) {
        int64_t extent = s->dilation[i] * (s->kernel[i] - 1) + 1;
        if (s->pad_begin[i] < 0 || s->pad_end[i] < 0 || s->pad_begin[i] > 65535 ||
            s->pad_end[i] > 65535)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "negative or huge pads");
        int64_t out;
        if (same_upper || same_lower) {
            out = (in[i] + s->stride[i] - 1) / s->stride[i];
            int64_t total = (out - 1) * s->stride[i] + extent - in[i];
            if (total < 0)
                total = 0;
            s->pad_begin[i] = same_upper ? total / 2 : total - total / 2;
            s->pad_end[i] = total - s->pad_begin[i];
        } else {
            int64_t span = in[i] + s->pad_begin[i] + s->pad_end[i] - extent;
            if (span < 0)
                return onnx_fail(c, TML_ERR_CORRUPT, "the kernel (%lld) is larger than the "
                                 "padded input (%lld)", (long long)extent,
                                 (long long)(in[i] + s->pad_begin[i] + s->pad_end[i]));
            out = span / s->stride[i] + 1;
            if (ceil_mode && span % s->stride[i]) {
                out++;
                /* The last window must start inside the input or the
                 * leading pad; its overhang becomes extra end padding. */
                if ((out - 1) * s->stride[i] >= in[i] + s->pad_begin[i])
                    out--;
                int64_t need = (out - 1) * s->stride[i] + extent - in[i] - s->pad_begin[i];
                if (need > s->pad_end[i])
                    s->pad_end[i] = need;
            }
        }
        if ((st = onnx_dim(c, out, "the output size", &s->out[i])) != TML_OK)
            return st;
        if (s->out[i] < 1)
            return onnx_fail(c, TML_ERR_CORRUPT, "empty output");
    }
    return TML_OK;
}

static void set_conv_attrs(tml_ir_conv_t *a, const spatial_t *s, int32_t depth_multiplier)
{
    memset(a, 0, sizeof(*a));
    a->stride_h = (int32_t)s->stride[0];
    a->stride_w = (int32_t)s->stride[1];
    a->dilation_h = (int32_t)s->dilation[0];
    a->dilation_w = (int32_t)s->dilation[1];
    a->pad_top = (int32_t)s->pad_begin[0];
    a->pad_left = (int32_t)s->pad_begin[1];
    a->pad_bottom = (int32_t)s->pad_end[0];
    a->pad_right = (int32_t)s->pad_end[1];
    a->depth_multiplier = depth_multiplier;
    a->act = TML_ACT_NONE;
}

/* A float bias of n values: a copy of the model's (const, [n]) or zeros. */
static tml_status_t make_bias(onnx_ctx_t *c, int32_t b, int32_t n, const char *suffix,
                              int32_t *out)
{
    if (b >= 0) {
        const tml_ir_tensor_t *t = onnx_t(c, b);
        if (t->dtype != TML_DT_F32 || tml_ir_tensor_elems(t) != n || t->n_dims > 1)
            return onnx_fail(c, TML_ERR_CORRUPT, "bias must be float [%d]", (int)n);
        *out = b;
        return TML_OK;
    }
    float *zeros = tml_calloc((size_t)n + 1, sizeof(float));
    if (!zeros)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    tml_status_t st = onnx_const(c, suffix, TML_DT_F32, 1, &n, zeros, (size_t)n * 4, out);
    tml_free(zeros);
    return st;
}

/* Copies rows [from, from + n) of a const float tensor (split along dim 0). */
static tml_status_t slice_rows(onnx_ctx_t *c, int32_t src, int32_t from, int32_t n,
                               const char *suffix, int32_t *out)
{
    const tml_ir_tensor_t *t = onnx_t(c, src);
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, t->dims, sizeof(dims));
    size_t row = (size_t)(tml_ir_tensor_elems(t) / (t->dims[0] ? t->dims[0] : 1)) * 4;
    dims[0] = n;
    int n_dims = t->n_dims;
    uint8_t *copy = tml_malloc(row * (size_t)n + 1);
    if (!copy)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    memcpy(copy, t->data + row * (size_t)from, row * (size_t)n);
    tml_status_t st = onnx_const(c, suffix, TML_DT_F32, n_dims, dims, copy, row * (size_t)n, out);
    tml_free(copy);
    return st;
}

tml_status_t onnx_conv_conv(onnx_ctx_t *c)
{
    int32_t x, w, b;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) || (st = onnx_in_req(c, 1, &w)) || (st = onnx_in(c, 2, &b)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x), *wt = onnx_t(c, w);
    if (xt->n_dims != 4)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only 2-D convolutions (4-D input) are "
                         "supported, the input has %d dims", xt->n_dims);
    if (wt->n_dims != 4 || xt->dtype != TML_DT_F32 || wt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "input and weights must be float, weights 4-D");
    if (!tml_ir_is_const(wt))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "the weights must be a constant");
    int32_t n = xt->dims[0], c_in = xt->dims[1], c_out = wt->dims[0];
    int32_t in_hw[2] = {xt->dims[2], xt->dims[3]};
    int32_t w_cin = wt->dims[1];
    int64_t kernel[2] = {wt->dims[2], wt->dims[3]}, ks[2];
    int n_ks;
    if ((st = onnx_attr_ints(c, "kernel_shape", ks, 2, &n_ks)) != TML_OK)
        return st;
    if (n_ks >= 0 && (n_ks != 2 || ks[0] != kernel[0] || ks[1] != kernel[1]))
        return onnx_fail(c, TML_ERR_CORRUPT, "kernel_shape does not match the weights");
    int64_t group;
    if ((st = onnx_attr_int(c, "group", 1, &group)) != TML_OK)
        return st;
    if (group < 1 || c_in % group || c_out % group || w_cin != c_in / group)
        return onnx_fail(c, TML_ERR_CORRUPT, "group %lld does not fit %d input and %d output "
                         "channels with weights of %d input channels", (long long)group,
                         (int)c_in, (int)c_out, (int)w_cin);
    spatial_t s;
    if ((st = resolve_spatial(c, in_hw, kernel, false, &s)) != TML_OK)
        return st;
    int32_t bias;
    if ((st = make_bias(c, b, c_out, "bias", &bias)) != TML_OK)
        return st;
    int32_t out_dims[4] = {n, c_out, s.out[0], s.out[1]}, y;
    tml_ir_attrs_t attrs;
    if (group == 1 || (group == c_in && w_cin == 1)) {
        bool dw = group != 1;
        set_conv_attrs(&attrs.conv, &s, dw ? c_out / c_in : 0);
        if ((st = onnx_out(c, 0, TML_DT_F32, 4, out_dims, &y)) != TML_OK)
            return st;
        int32_t in[3] = {x, w, bias};
        return onnx_node(c, dw ? TML_OP_DEPTHWISE_CONV2D : TML_OP_CONV2D, in, 3, &y, 1, &attrs);
    }
    /* Grouped: split the input channels, one conv per group, concat. */
    if (group > 64)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "group %lld: at most 64 groups unless "
                         "depthwise", (long long)group);
    int32_t parts[64], convs[64];
    int32_t part_dims[4] = {n, c_in / (int32_t)group, in_hw[0], in_hw[1]};
    int32_t conv_dims[4] = {n, c_out / (int32_t)group, s.out[0], s.out[1]};
    char suffix[48];
    for (int i = 0; i < group; i++) {
        snprintf(suffix, sizeof(suffix), "group%d_in", i);
        if ((st = onnx_tmp(c, suffix, TML_DT_F32, 4, part_dims, &parts[i])) != TML_OK)
            return st;
    }
    tml_ir_attrs_t split = {.axis = {.axis = 1}};
    if ((st = onnx_node(c, TML_OP_SPLIT, &x, 1, parts, (int)group, &split)) != TML_OK)
        return st;
    int32_t per = c_out / (int32_t)group;
    for (int i = 0; i < group; i++) {
        int32_t wi, bi;
        snprintf(suffix, sizeof(suffix), "group%d_weights", i);
        if ((st = slice_rows(c, w, i * per, per, suffix, &wi)) != TML_OK)
            return st;
        snprintf(suffix, sizeof(suffix), "group%d_bias", i);
        if ((st = slice_rows(c, bias, i * per, per, suffix, &bi)) != TML_OK)
            return st;
        snprintf(suffix, sizeof(suffix), "group%d_out", i);
        if ((st = onnx_tmp(c, suffix, TML_DT_F32, 4, conv_dims, &convs[i])) != TML_OK)
            return st;
        set_conv_attrs(&attrs.conv, &s, 0);
        int32_t in[3] = {parts[i], wi, bi};
        if ((st = onnx_node(c, TML_OP_CONV2D, in, 3, &convs[i], 1, &attrs)) != TML_OK)
            return st;
    }
    if ((st = onnx_out(c, 0, TML_DT_F32, 4, out_dims, &y)) != TML_OK)
        return st;
    tml_ir_attrs_t cat = {.axis = {.axis = 1, .act = TML_ACT_NONE}};
    return onnx_node(c, TML_OP_CONCAT, convs, (int)group, &y, 1, &cat);
}

static tml_status_t pool(onnx_ctx_t *c, tml_ir_op_t op)
{
    int32_t x;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->n_dims != 4 || xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only 2-D float pooling (4-D input) is "
                         "supported, the input is %s with %d dims", tml_dtype_name(xt->dtype),
                         xt->n_dims);
    int32_t dims[4] = {xt->dims[0], xt->dims[1], xt->dims[2], xt->dims[3]};
    int64_t kernel[2];
    int n;
    if ((st = onnx_attr_ints(c, "kernel_shape", kernel, 2, &n)) != TML_OK)
        return st;
    if (n != 2)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "kernel_shape must have 2 values");
    spatial_t s;
    if ((st = resolve_spatial(c, dims + 2, kernel, true, &s)) != TML_OK)
        return st;
    int64_t count_include_pad = 0;
    if (op == TML_OP_AVG_POOL2D &&
        (st = onnx_attr_int(c, "count_include_pad", 0, &count_include_pad)) != TML_OK)
        return st;
    if (count_include_pad) {
        /* ceil_mode's extra end padding is not part of the divisor in ONNX. */
        int64_t v[4];
        int n_pads;
        char auto_pad[32];
        if ((st = onnx_attr_ints(c, "pads", v, 4, &n_pads)) ||
            (st = onnx_attr_string(c, "auto_pad", "NOTSET", auto_pad, sizeof(auto_pad))))
            return st;
        if (!strcmp(auto_pad, "NOTSET") &&
            (s.pad_end[0] != (n_pads == 4 ? v[2] : 0) || s.pad_end[1] != (n_pads == 4 ? v[3] : 0)))
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "ceil_mode with count_include_pad is "
                             "not supported");
    }
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.pool.filter_h = (int32_t)s.kernel[0];
    attrs.pool.filter_w = (int32_t)s.kernel[1];
    attrs.pool.stride_h = (int32_t)s.stride[0];
    attrs.pool.stride_w = (int32_t)s.stride[1];
    attrs.pool.pad_top = (int32_t)s.pad_begin[0];
    attrs.pool.pad_left = (int32_t)s.pad_begin[1];
    attrs.pool.pad_bottom = (int32_t)s.pad_end[0];
    attrs.pool.pad_right = (int32_t)s.pad_end[1];
    attrs.pool.count_include_pad = count_include_pad != 0;
    attrs.pool.act = TML_ACT_NONE;
    int32_t out_dims[4] = {dims[0], dims[1], s.out[0], s.out[1]}, y;
    if ((st = onnx_out(c, 0, TML_DT_F32, 4, out_dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, op, &x, 1, &y, 1, &attrs);
}

tml_status_t onnx_conv_maxpool(onnx_ctx_t *c)
{
    int64_t storage_order;
    tml_status_t st = onnx_attr_int(c, "storage_order", 0, &storage_order);
    if (st != TML_OK)
        return st;
    return pool(c, TML_OP_MAX_POOL2D);
}

tml_status_t onnx_conv_avgpool(onnx_ctx_t *c)
{
    return pool(c, TML_OP_AVG_POOL2D);
}

static tml_status_t global_pool(onnx_ctx_t *c, bool max)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->n_dims != 4 || xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only float 4-D inputs are supported");
    int32_t out_dims[4] = {xt->dims[0], xt->dims[1], 1, 1};
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    if (max) {
        attrs.pool.filter_h = xt->dims[2];
        attrs.pool.filter_w = xt->dims[3];
        attrs.pool.stride_h = attrs.pool.stride_w = 1;
    } else {
        attrs.reduce.n_axes = 2;
        attrs.reduce.axes[0] = 2;
        attrs.reduce.axes[1] = 3;
        attrs.reduce.keep_dims = true;
    }
    if ((st = onnx_out(c, 0, TML_DT_F32, 4, out_dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, max ? TML_OP_MAX_POOL2D : TML_OP_MEAN, &x, 1, &y, 1, &attrs);
}

tml_status_t onnx_conv_global_avgpool(onnx_ctx_t *c)
{
    return global_pool(c, false);
}

tml_status_t onnx_conv_global_maxpool(onnx_ctx_t *c)
{
    return global_pool(c, true);
}

/* FULLY_CONNECTED of a [M, K] input with weights [N, K] (const) and a bias
 * tensor into out (output 0 when out_tmp is NULL). */
static tml_status_t emit_fc(onnx_ctx_t *c, int32_t x, int32_t w, int32_t bias, int32_t m,
                            int32_t n, const char *out_tmp, int32_t *y)
{
    int32_t dims[2] = {m, n};
    tml_status_t st = out_tmp ? onnx_tmp(c, out_tmp, TML_DT_F32, 2, dims, y)
                              : onnx_out(c, 0, TML_DT_F32, 2, dims, y);
    if (st != TML_OK)
        return st;
    int32_t in[3] = {x, w, bias};
    tml_ir_attrs_t attrs = {.act = TML_ACT_NONE};
    return onnx_node(c, TML_OP_FULLY_CONNECTED, in, 3, y, 1, &attrs);
}

tml_status_t onnx_conv_gemm(onnx_ctx_t *c)
{
    int32_t a, b, cc;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &a)) || (st = onnx_in_req(c, 1, &b)) || (st = onnx_in(c, 2, &cc)))
        return st;
    int64_t trans_a, trans_b;
    float alpha, beta;
    if ((st = onnx_attr_int(c, "transA", 0, &trans_a)) ||
        (st = onnx_attr_int(c, "transB", 0, &trans_b)) ||
        (st = onnx_attr_float(c, "alpha", 1.0f, &alpha)) ||
        (st = onnx_attr_float(c, "beta", 1.0f, &beta)))
        return st;
    const tml_ir_tensor_t *at = onnx_t(c, a), *bt = onnx_t(c, b);
    if (at->n_dims != 2 || bt->n_dims != 2 || at->dtype != TML_DT_F32 || bt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "A and B must be 2-D float");
    if (trans_a)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "transA is not supported");
    if (!tml_ir_is_const(bt))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "B must be a constant (weights)");
    int32_t m = at->dims[0], k = at->dims[1];
    int32_t n = trans_b ? bt->dims[0] : bt->dims[1];
    if ((trans_b ? bt->dims[1] : bt->dims[0]) != k)
        return onnx_fail(c, TML_ERR_CORRUPT, "A is [%d, %d] but B does not have %d rows",
                         (int)m, (int)k, (int)k);
    /* W = alpha * B as [N, K]. */
    size_t count = (size_t)n * (size_t)k;
    float *wdata = tml_malloc(count * 4 + 4);
    float *bdata = tml_calloc((size_t)n + 1, 4);
    if (!wdata || !bdata) {
        tml_free(wdata);
        tml_free(bdata);
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    }
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < k; j++) {
            float v;
            size_t src = trans_b ? (size_t)i * k + j : (size_t)j * n + i;
            memcpy(&v, bt->data + 4 * src, 4);
            wdata[(size_t)i * k + j] = alpha * v;
        }
    /* C folds into the bias when it is a constant the same for every row. */
    bool c_as_bias = cc < 0;
    if (cc >= 0) {
        const tml_ir_tensor_t *ct = onnx_t(c, cc);
        int64_t ce = tml_ir_tensor_elems(ct);
        bool row_const = ct->n_dims <= 1 || ct->dims[0] == 1;
        if (ct->dtype == TML_DT_F32 && tml_ir_is_const(ct) && row_const && (ce == 1 || ce == n)) {
            for (int32_t i = 0; i < n; i++) {
                float v;
                memcpy(&v, ct->data + 4 * (ce == 1 ? 0 : i), 4);
                bdata[i] = beta * v;
            }
            c_as_bias = true;
        }
    }
    int32_t w, bias, wdims[2] = {n, k};
    st = onnx_const(c, "weights", TML_DT_F32, 2, wdims, wdata, count * 4, &w);
    if (st == TML_OK)
        st = onnx_const(c, "bias", TML_DT_F32, 1, &n, bdata, (size_t)n * 4, &bias);
    tml_free(wdata);
    tml_free(bdata);
    if (st != TML_OK)
        return st;
    if (c_as_bias) {
        int32_t y;
        return emit_fc(c, a, w, bias, m, n, NULL, &y);
    }
    /* General C: FC, then ADD of beta * C with broadcasting. */
    if (beta != 1.0f)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "beta != 1 with a non-constant or per-row C");
    int32_t fc, y, dims[2] = {m, n};
    if ((st = emit_fc(c, a, w, bias, m, n, "matmul", &fc)) ||
        (st = onnx_out(c, 0, TML_DT_F32, 2, dims, &y)))
        return st;
    int32_t in[2] = {fc, cc};
    tml_ir_attrs_t attrs = {.act = TML_ACT_NONE};
    return onnx_node(c, TML_OP_ADD, in, 2, &y, 1, &attrs);
}

tml_status_t onnx_conv_matmul(onnx_ctx_t *c)
{
    int32_t a, b;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &a)) || (st = onnx_in_req(c, 1, &b)))
        return st;
    const tml_ir_tensor_t *at = onnx_t(c, a), *bt = onnx_t(c, b);
    if (!tml_ir_is_const(bt) || bt->n_dims != 2)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only MatMul by a constant 2-D matrix is "
                         "supported");
    if (at->dtype != TML_DT_F32 || bt->dtype != TML_DT_F32 || at->n_dims < 1)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "A and B must be float");
    int32_t k = bt->dims[0], n = bt->dims[1];
    int a_rank = at->n_dims;
    if (at->dims[a_rank - 1] != k)
        return onnx_fail(c, TML_ERR_CORRUPT, "A's last dim %d does not match B's %d rows",
                         (int)at->dims[a_rank - 1], (int)k);
    int32_t a_dims[TML_IR_MAX_DIMS];
    memcpy(a_dims, at->dims, sizeof(a_dims));
    int32_t m = (int32_t)onnx_prod(at->dims, 0, a_rank - 1);
    size_t count = (size_t)n * (size_t)k;
    float *wdata = tml_malloc(count * 4 + 4);
    float *bdata = tml_calloc((size_t)n + 1, 4);
    if (!wdata || !bdata) {
        tml_free(wdata);
        tml_free(bdata);
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    }
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < k; j++)
            memcpy(&wdata[(size_t)i * k + j], bt->data + 4 * ((size_t)j * n + i), 4);
    int32_t w, bias, wdims[2] = {n, k};
    st = onnx_const(c, "weights", TML_DT_F32, 2, wdims, wdata, count * 4, &w);
    if (st == TML_OK)
        st = onnx_const(c, "bias", TML_DT_F32, 1, &n, bdata, (size_t)n * 4, &bias);
    tml_free(wdata);
    tml_free(bdata);
    if (st != TML_OK)
        return st;
    int32_t y;
    if (a_rank == 2)
        return emit_fc(c, a, w, bias, m, n, NULL, &y);
    /* Other ranks: flatten the leading dims, then restore them. */
    int32_t flat, fc, flat_dims[2] = {m, k};
    if ((st = onnx_reshape(c, a, 2, flat_dims, "rows", &flat)) ||
        (st = emit_fc(c, flat, w, bias, m, n, "matmul", &fc)))
        return st;
    int32_t out_dims[TML_IR_MAX_DIMS];
    memcpy(out_dims, a_dims, sizeof(out_dims));
    out_dims[a_rank - 1] = n;
    return onnx_reshape(c, fc, a_rank == 1 ? 1 : a_rank, a_rank == 1 ? &n : out_dims, NULL, &y);
}

/* BatchNormalization: y = (x - mean) / sqrt(var + eps) * scale + b along
 * dim 1, i.e. y = x * s + t. Folded into a preceding conv/FC whose output
 * nothing else reads, else a MUL and an ADD with constants. */
tml_status_t onnx_conv_batchnorm(onnx_ctx_t *c)
{
    int32_t x, in[5];
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    for (int i = 1; i < 5; i++)
        if ((st = onnx_in_req(c, i, &in[i])) != TML_OK)
            return st;
    float eps;
    int64_t training, spatial;
    if ((st = onnx_attr_float(c, "epsilon", 1e-5f, &eps)) ||
        (st = onnx_attr_int(c, "training_mode", 0, &training)) ||
        (st = onnx_attr_int(c, "spatial", 1, &spatial)))
        return st;
    if (training || !spatial)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "training mode / non-spatial batch norm");
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->n_dims < 2 || xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "input must be float with >= 2 dims");
    int32_t ch = xt->dims[1];
    int rank = xt->n_dims;
    int32_t x_dims[TML_IR_MAX_DIMS];
    memcpy(x_dims, xt->dims, sizeof(x_dims));
    const float *p[5];
    for (int i = 1; i < 5; i++) {
        const tml_ir_tensor_t *t = onnx_t(c, in[i]);
        if (!tml_ir_is_const(t) || t->dtype != TML_DT_F32 || tml_ir_tensor_elems(t) != ch)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "scale, B, mean and var must be float "
                             "constants of %d values", (int)ch);
    }
    float *s = tml_malloc((size_t)ch * 4 + 4), *t = tml_malloc((size_t)ch * 4 + 4);
    if (!s || !t) {
        tml_free(s);
        tml_free(t);
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    }
    for (int i = 1; i < 5; i++)
        p[i] = (const float *)(const void *)onnx_t(c, in[i])->data;
    for (int32_t i = 0; i < ch; i++) {
        float scale, bias, mean, var;
        memcpy(&scale, &p[1][i], 4);
        memcpy(&bias, &p[2][i], 4);
        memcpy(&mean, &p[3][i], 4);
        memcpy(&var, &p[4][i], 4);
        s[i] = scale / sqrtf(var + eps);
        t[i] = bias - mean * s[i];
    }

    /* Fold when x comes straight from a conv/FC with constant weights and
     * bias, and this node is its only reader. */
    int32_t prod = tml_ir_producer(c->g, x);
    onnx_value_t *xv = onnx_value_get(c, c->node->input[0]);
    const tml_ir_node_t *pn = prod >= 0 ? &c->g->nodes[prod] : NULL;
    bool foldable = pn && xv && xv->n_uses == 1 && !onnx_is_graph_output(c, c->node->input[0]) &&
                    (pn->op == TML_OP_CONV2D || pn->op == TML_OP_DEPTHWISE_CONV2D ||
                     pn->op == TML_OP_FULLY_CONNECTED) &&
                    pn->n_in == 3 && pn->in[2] >= 0 && tml_ir_is_const(onnx_t(c, pn->in[1])) &&
                    tml_ir_is_const(onnx_t(c, pn->in[2])) && onnx_t(c, pn->in[1])->dims[0] == ch;
    if (foldable) {
        const tml_ir_tensor_t *wt = onnx_t(c, pn->in[1]), *bt = onnx_t(c, pn->in[2]);
        int32_t wdims[TML_IR_MAX_DIMS];
        memcpy(wdims, wt->dims, sizeof(wdims));
        int w_rank = wt->n_dims;
        size_t w_len = wt->data_len, per = (size_t)(tml_ir_tensor_elems(wt) / ch);
        float *wd = tml_malloc(w_len + 4), *bd = tml_malloc((size_t)ch * 4 + 4);
        if (!wd || !bd) {
            tml_free(wd);
            tml_free(bd);
            tml_free(s);
            tml_free(t);
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        }
        memcpy(wd, wt->data, w_len);
        memcpy(bd, bt->data, (size_t)ch * 4);
        for (int32_t o = 0; o < ch; o++) {
            for (size_t j = 0; j < per; j++)
                wd[(size_t)o * per + j] *= s[o];
            bd[o] = bd[o] * s[o] + t[o];
        }
        int32_t nw = -1, nb = -1;
        st = onnx_const(c, "folded_weights", TML_DT_F32, w_rank, wdims, wd, w_len, &nw);
        if (st == TML_OK)
            st = onnx_const(c, "folded_bias", TML_DT_F32, 1, &ch, bd, (size_t)ch * 4, &nb);
        tml_free(wd);
        tml_free(bd);
        tml_free(s);
        tml_free(t);
        if (st != TML_OK)
            return st;
        tml_ir_node_t *node = &c->g->nodes[prod];
        node->in[1] = nw;
        node->in[2] = nb;
        /* The conv's output now is the batch norm's, under its name. */
        char *name = tml_strdup(c->node->output[0]);
        if (!name)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        tml_free(c->g->tensors[x].name);
        c->g->tensors[x].name = name;
        return onnx_out_alias(c, 0, x);
    }

    int32_t cdims[TML_IR_MAX_DIMS];
    for (int i = 0; i < rank; i++)
        cdims[i] = i == 1 ? ch : 1;
    int32_t sc, sh, mid, y;
    st = onnx_const(c, "scale", TML_DT_F32, rank, cdims, s, (size_t)ch * 4, &sc);
    if (st == TML_OK)
        st = onnx_const(c, "shift", TML_DT_F32, rank, cdims, t, (size_t)ch * 4, &sh);
    tml_free(s);
    tml_free(t);
    if (st != TML_OK)
        return st;
    if ((st = onnx_tmp(c, "scaled", TML_DT_F32, rank, x_dims, &mid)) ||
        (st = onnx_out(c, 0, TML_DT_F32, rank, x_dims, &y)))
        return st;
    tml_ir_attrs_t attrs = {.act = TML_ACT_NONE};
    int32_t mul_in[2] = {x, sc}, add_in[2] = {mid, sh};
    if ((st = onnx_node(c, TML_OP_MUL, mul_in, 2, &mid, 1, &attrs)) != TML_OK)
        return st;
    return onnx_node(c, TML_OP_ADD, add_in, 2, &y, 1, &attrs);
}
