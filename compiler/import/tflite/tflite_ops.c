/*
 * tflite_ops.c - maps one TFLite builtin operator to IR nodes with every
 * attribute resolved (see tml/ir.h for the attribute conventions).
 *
 * Each mapping checks operand counts and the shapes it relies on against the
 * output tensor TFLite recorded (which is what the runtime will allocate), so
 * an inconsistent file fails here with the operator named, instead of in a
 * kernel. Constant operands that are really attributes (PAD amounts, MEAN
 * axes, TRANSPOSE perm, slice bounds, RESHAPE shape, SPLIT axis) are read
 * into the attributes and dropped from the node's inputs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tflite_internal.h"

enum { TFL_PAD_SAME = 0, TFL_PAD_VALID = 1 };

typedef tfl_tensor_info_t info_t;

static tml_status_t fail(tfl_ctx_t *ctx, tml_status_t status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static tml_status_t fail(tfl_ctx_t *ctx, tml_status_t status, const char *fmt, ...)
{
    char msg[TML_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tml_err_set(ctx->err, status, "%s", msg);
}

/* Checks the operand counts; inputs below n_required must be present. */
static tml_status_t need_io(tfl_ctx_t *ctx, const tfl_op_t *op, int min_in, int max_in,
                            int n_required, int n_out)
{
    if (op->n_in < min_in || op->n_in > max_in) {
        if (min_in == max_in)
            return fail(ctx, TML_ERR_CORRUPT, "%d inputs, expected %d", op->n_in, min_in);
        return fail(ctx, TML_ERR_CORRUPT, "%d inputs, expected %d to %d", op->n_in, min_in,
                    max_in);
    }
    if (op->n_out != n_out)
        return fail(ctx, TML_ERR_CORRUPT, "%d outputs, expected %d", op->n_out, n_out);
    for (int i = 0; i < n_required && i < op->n_in; i++)
        if (op->in[i] < 0)
            return fail(ctx, TML_ERR_CORRUPT, "required input %d is absent", i);
    for (int i = 0; i < op->n_out; i++)
        if (op->out[i] < 0)
            return fail(ctx, TML_ERR_CORRUPT, "output %d is absent", i);
    return TML_OK;
}

/* The options table, checking its union tag; *t is NULL when absent. */
static tml_status_t options(tfl_ctx_t *ctx, const tfl_op_t *op, uint8_t type,
                            const fb_table_t **t)
{
    *t = NULL;
    if (!op->has_opts)
        return TML_OK;
    if (op->opts_type != type)
        return fail(ctx, TML_ERR_CORRUPT, "builtin options of type %u, expected %u",
                    op->opts_type, type);
    *t = &op->opts;
    return TML_OK;
}

static tml_status_t opt_i32(const fb_table_t *t, int id, int32_t def, int32_t *v)
{
    if (!t) {
        *v = def;
        return TML_OK;
    }
    return fb_i32(t, id, def, v);
}

static tml_status_t opt_u8(const fb_table_t *t, int id, uint8_t def, uint8_t *v)
{
    if (!t) {
        *v = def;
        return TML_OK;
    }
    return fb_u8(t, id, def, v);
}

static tml_status_t opt_f32(const fb_table_t *t, int id, float def, float *v)
{
    if (!t) {
        *v = def;
        return TML_OK;
    }
    return fb_f32(t, id, def, v);
}

static tml_status_t map_act(tfl_ctx_t *ctx, uint8_t fused, tml_act_t *act)
{
    switch (fused) {
    case 0: *act = TML_ACT_NONE; return TML_OK;
    case 1: *act = TML_ACT_RELU; return TML_OK;
    case 2: *act = TML_ACT_RELU_N1_TO_1; return TML_OK;
    case 3: *act = TML_ACT_RELU6; return TML_OK;
    case 4: return fail(ctx, TML_ERR_UNSUPPORTED, "fused TANH activation is not supported");
    case 5: return fail(ctx, TML_ERR_UNSUPPORTED, "fused SIGN_BIT activation is not supported");
    default: return fail(ctx, TML_ERR_CORRUPT, "unknown fused activation %u", fused);
    }
}

static tml_status_t info_of(tfl_ctx_t *ctx, int32_t tfl_index, info_t *info)
{
    return tfl_tensor_info(ctx, tfl_index, info);
}

static int64_t elems_of(const info_t *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->n_dims; d++)
        n *= t->dims[d];
    return n;
}

static tml_status_t need_rank(tfl_ctx_t *ctx, const info_t *t, const char *what, int rank)
{
    if (t->n_dims != rank)
        return fail(ctx, TML_ERR_CORRUPT, "%s (%s) has %d dims, expected %d", what, t->name,
                    t->n_dims, rank);
    return TML_OK;
}

static tml_status_t same_elems(tfl_ctx_t *ctx, const info_t *in, const info_t *out)
{
    if (elems_of(in) != elems_of(out))
        return fail(ctx, TML_ERR_CORRUPT, "output (%s) has %lld elements, input (%s) %lld",
                    out->name, (long long)elems_of(out), in->name, (long long)elems_of(in));
    return TML_OK;
}

/* Shapes of an op's first input (x) and first output (y). */
static tml_status_t io_info(tfl_ctx_t *ctx, const tfl_op_t *op, info_t *x, info_t *y)
{
    tml_status_t st = info_of(ctx, op->in[0], x);
    return st ? st : info_of(ctx, op->out[0], y);
}

static tml_status_t same_shape(tfl_ctx_t *ctx, const info_t *in, const info_t *out)
{
    bool same = in->n_dims == out->n_dims;
    for (int d = 0; same && d < in->n_dims; d++)
        same = in->dims[d] == out->dims[d];
    if (!same)
        return fail(ctx, TML_ERR_CORRUPT, "output (%s) shape differs from input (%s)", out->name,
                    in->name);
    return TML_OK;
}

/* Reads a constant int32/int64 tensor of at most max values. */
static tml_status_t const_ints(tfl_ctx_t *ctx, int32_t tfl_index, const char *what,
                               int64_t *vals, int max, int *n, info_t *info)
{
    tml_status_t st = info_of(ctx, tfl_index, info);
    if (st)
        return st;
    if (!info->data)
        return fail(ctx, TML_ERR_UNSUPPORTED, "%s (%s) is not a constant", what, info->name);
    if (info->dtype != TML_DT_I32 && info->dtype != TML_DT_I64)
        return fail(ctx, TML_ERR_CORRUPT, "%s (%s) is %s, expected int32 or int64", what,
                    info->name, tml_dtype_name(info->dtype));
    int64_t count = elems_of(info);
    if (count > max)
        return fail(ctx, TML_ERR_CORRUPT, "%s (%s) has %lld values, at most %d expected", what,
                    info->name, (long long)count, max);
    for (int64_t i = 0; i < count; i++) {
        const uint8_t *p = info->data + i * (int64_t)tml_dtype_size(info->dtype);
        vals[i] = info->dtype == TML_DT_I32 ? (int64_t)(int32_t)fb_rd_u32(p)
                                            : (int64_t)fb_rd_u64(p);
    }
    *n = (int)count;
    return TML_OK;
}

/* Normalises axis (may be negative) against rank into *out. */
static tml_status_t norm_axis(tfl_ctx_t *ctx, int64_t axis, int rank, int32_t *out)
{
    if (axis < -rank || axis >= rank)
        return fail(ctx, TML_ERR_CORRUPT, "axis %lld out of range for %d dims", (long long)axis,
                    rank);
    *out = (int32_t)(axis < 0 ? axis + rank : axis);
    return TML_OK;
}

/* Adds one IR node for TFLite operands in[0..n_in) -> out[0..n_out). */
static tml_status_t emit(tfl_ctx_t *ctx, tml_ir_op_t ir_op, const int32_t *in, int n_in,
                         const int32_t *out, int n_out, const tml_ir_attrs_t *attrs)
{
    int32_t ir_in[TFL_MAX_OP_IO], ir_out[TFL_MAX_OP_IO];
    tml_status_t st = tfl_charge(ctx, (uint64_t)(n_in + n_out) * 4 + 64);
    for (int i = 0; i < n_in && !st; i++)
        st = tfl_tensor(ctx, in[i], &ir_in[i]);
    for (int i = 0; i < n_out && !st; i++)
        st = tfl_tensor(ctx, out[i], &ir_out[i]);
    if (st)
        return st;
    const char *name = n_out > 0 ? ctx->g->tensors[ir_out[0]].name : "";
    if (tml_ir_add_node(ctx->g, ir_op, name, ir_in, n_in, ir_out, n_out, attrs, NULL) != TML_OK)
        return fail(ctx, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

/* Explicit padding for one spatial axis, exactly as TFLite derives it, after
 * checking that out is the size TFLite computes for this padding mode. */
static tml_status_t resolve_pad(tfl_ctx_t *ctx, const char *axis, uint8_t padding, int32_t in,
                                int32_t k, int32_t stride, int32_t dilation, int32_t out,
                                int32_t *before, int32_t *after)
{
    if (stride < 1 || dilation < 1)
        return fail(ctx, TML_ERR_CORRUPT, "%s stride %d / dilation %d must be >= 1", axis,
                    stride, dilation);
    if (k < 1)
        return fail(ctx, TML_ERR_CORRUPT, "%s: kernel size %d", axis, k);
    int64_t eff_k = ((int64_t)k - 1) * dilation + 1;
    if (eff_k > INT32_MAX)
        return fail(ctx, TML_ERR_CORRUPT, "%s: dilated kernel of %lld is too large", axis,
                    (long long)eff_k);
    int64_t want;
    if (padding == TFL_PAD_SAME)
        want = ((int64_t)in + stride - 1) / stride;
    else if (padding == TFL_PAD_VALID)
        want = in >= eff_k ? (in - eff_k) / stride + 1 : 0;
    else
        return fail(ctx, TML_ERR_CORRUPT, "unknown padding mode %u", padding);
    if (want < 1 || want != out)
        return fail(ctx, TML_ERR_CORRUPT, "%s: output size %d, expected %lld for input %d, "
                    "kernel %d, stride %d, dilation %d, %s padding", axis, out, (long long)want,
                    in, k, stride, dilation, padding == TFL_PAD_SAME ? "SAME" : "VALID");
    int64_t total = ((int64_t)out - 1) * stride + eff_k - in;
    if (total < 0)
        total = 0;
    *before = (int32_t)(total / 2);
    *after = (int32_t)(total - total / 2);
    return TML_OK;
}

/* ---- Convolutions, pooling, fully connected ---------------------------- */

static tml_status_t map_conv(tfl_ctx_t *ctx, const tfl_op_t *op, bool depthwise)
{
    tml_status_t st = need_io(ctx, op, 2, 3, 2, 1);
    const fb_table_t *o;
    if (!st)
        st = options(ctx, op, depthwise ? TFL_OPT_DEPTHWISE : TFL_OPT_CONV2D, &o);
    if (st)
        return st;
    /* Field ids differ: depthwise has depth_multiplier before the activation. */
    int id_act = depthwise ? 4 : 3, id_dil_w = depthwise ? 5 : 4, id_dil_h = depthwise ? 6 : 5;
    uint8_t padding, fused;
    int32_t multiplier = 0;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    tml_ir_conv_t *c = &a.conv;
    st = opt_u8(o, 0, 0, &padding);
    if (!st)
        st = opt_i32(o, 1, 0, &c->stride_w);
    if (!st)
        st = opt_i32(o, 2, 0, &c->stride_h);
    if (!st && depthwise)
        st = opt_i32(o, 3, 0, &multiplier);
    if (!st)
        st = opt_u8(o, id_act, 0, &fused);
    if (!st)
        st = opt_i32(o, id_dil_w, 1, &c->dilation_w);
    if (!st)
        st = opt_i32(o, id_dil_h, 1, &c->dilation_h);
    if (!st)
        st = map_act(ctx, fused, &c->act);
    if (st)
        return st;

    info_t x, w, y, b;
    if ((st = info_of(ctx, op->in[0], &x)) || (st = info_of(ctx, op->in[1], &w)) ||
        (st = info_of(ctx, op->out[0], &y)))
        return st;
    if ((st = need_rank(ctx, &x, "input", 4)) || (st = need_rank(ctx, &w, "weights", 4)) ||
        (st = need_rank(ctx, &y, "output", 4)))
        return st;
    int32_t c_in = x.dims[3], c_out = y.dims[3];
    if (x.dims[0] != y.dims[0])
        return fail(ctx, TML_ERR_CORRUPT, "batch %d in, %d out", x.dims[0], y.dims[0]);
    if (depthwise) {
        if (w.dims[0] != 1 || w.dims[3] != c_out)
            return fail(ctx, TML_ERR_CORRUPT, "depthwise weights [%d,%d,%d,%d] do not match %d "
                        "output channels", w.dims[0], w.dims[1], w.dims[2], w.dims[3], c_out);
        if (c_in < 1 || c_out % c_in != 0)
            return fail(ctx, TML_ERR_CORRUPT, "%d output channels are not a multiple of %d "
                        "input channels", c_out, c_in);
        /* The option is redundant (newer TFLite ignores it); the shapes rule. */
        if (multiplier != 0 && multiplier != c_out / c_in)
            TML_LOGI("tflite", "%s: operator %d: depth_multiplier %d disagrees with the "
                     "shapes (%d), using the shapes", ctx->model, op->index, multiplier,
                     c_out / c_in);
        c->depth_multiplier = c_out / c_in;
    } else {
        if (w.dims[0] != c_out)
            return fail(ctx, TML_ERR_CORRUPT, "weights have %d filters, output %d channels",
                        w.dims[0], c_out);
        if (w.dims[3] != c_in) {
            if (w.dims[3] > 0 && c_in % w.dims[3] == 0)
                return fail(ctx, TML_ERR_UNSUPPORTED, "grouped convolution (%d input channels, "
                            "%d per filter) is not supported", c_in, w.dims[3]);
            return fail(ctx, TML_ERR_CORRUPT, "weights have %d input channels, input %d",
                        w.dims[3], c_in);
        }
    }
    if (op->n_in == 3 && op->in[2] >= 0) {
        if ((st = info_of(ctx, op->in[2], &b)))
            return st;
        if (b.n_dims != 1 || b.dims[0] != c_out)
            return fail(ctx, TML_ERR_CORRUPT, "bias (%s) does not have %d values", b.name,
                        c_out);
    }
    if ((st = resolve_pad(ctx, "height", padding, x.dims[1], w.dims[1], c->stride_h,
                          c->dilation_h, y.dims[1], &c->pad_top, &c->pad_bottom)) ||
        (st = resolve_pad(ctx, "width", padding, x.dims[2], w.dims[2], c->stride_w,
                          c->dilation_w, y.dims[2], &c->pad_left, &c->pad_right)))
        return st;
    int32_t in[3] = {op->in[0], op->in[1], op->n_in == 3 ? op->in[2] : -1};
    return emit(ctx, depthwise ? TML_OP_DEPTHWISE_CONV2D : TML_OP_CONV2D, in, 3, op->out, 1, &a);
}

static tml_status_t map_pool(tfl_ctx_t *ctx, const tfl_op_t *op, tml_ir_op_t ir_op)
{
    tml_status_t st = need_io(ctx, op, 1, 1, 1, 1);
    const fb_table_t *o;
    if (!st)
        st = options(ctx, op, TFL_OPT_POOL2D, &o);
    if (st)
        return st;
    uint8_t padding, fused;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    tml_ir_pool_t *p = &a.pool;
    st = opt_u8(o, 0, 0, &padding);
    if (!st)
        st = opt_i32(o, 1, 0, &p->stride_w);
    if (!st)
        st = opt_i32(o, 2, 0, &p->stride_h);
    if (!st)
        st = opt_i32(o, 3, 0, &p->filter_w);
    if (!st)
        st = opt_i32(o, 4, 0, &p->filter_h);
    if (!st)
        st = opt_u8(o, 5, 0, &fused);
    if (!st)
        st = map_act(ctx, fused, &p->act);
    if (st)
        return st;
    info_t x, y;
    if ((st = info_of(ctx, op->in[0], &x)) || (st = info_of(ctx, op->out[0], &y)))
        return st;
    if ((st = need_rank(ctx, &x, "input", 4)) || (st = need_rank(ctx, &y, "output", 4)))
        return st;
    if (x.dims[0] != y.dims[0] || x.dims[3] != y.dims[3])
        return fail(ctx, TML_ERR_CORRUPT, "batch or channels differ between input and output");
    p->count_include_pad = false; /* TFLite averages over the valid window only */
    if ((st = resolve_pad(ctx, "height", padding, x.dims[1], p->filter_h, p->stride_h, 1,
                          y.dims[1], &p->pad_top, &p->pad_bottom)) ||
        (st = resolve_pad(ctx, "width", padding, x.dims[2], p->filter_w, p->stride_w, 1,
                          y.dims[2], &p->pad_left, &p->pad_right)))
        return st;
    return emit(ctx, ir_op, op->in, 1, op->out, 1, &a);
}

static tml_status_t map_fully_connected(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 2, 3, 2, 1);
    const fb_table_t *o;
    if (!st)
        st = options(ctx, op, TFL_OPT_FULLY_CONNECTED, &o);
    if (st)
        return st;
    uint8_t fused, format, keep_num_dims;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    st = opt_u8(o, 0, 0, &fused);
    if (!st)
        st = opt_u8(o, 1, 0, &format);
    if (!st)
        st = opt_u8(o, 2, 0, &keep_num_dims);
    if (!st)
        st = map_act(ctx, fused, &a.act);
    if (st)
        return st;
    if (format != 0)
        return fail(ctx, TML_ERR_UNSUPPORTED, "weights format %u is not supported (only "
                    "DEFAULT)", format);
    info_t x, w, y, b;
    if ((st = info_of(ctx, op->in[0], &x)) || (st = info_of(ctx, op->in[1], &w)) ||
        (st = info_of(ctx, op->out[0], &y)))
        return st;
    if ((st = need_rank(ctx, &w, "weights", 2)))
        return st;
    int32_t n_out = w.dims[0], n_in = w.dims[1];
    if (n_in < 1 || x.n_dims < 1 || elems_of(&x) % n_in != 0)
        return fail(ctx, TML_ERR_CORRUPT, "input (%s) of %lld elements is not rows of %d",
                    x.name, (long long)elems_of(&x), n_in);
    int64_t batch = elems_of(&x) / n_in;
    if (y.n_dims < 1 || y.dims[y.n_dims - 1] != n_out || elems_of(&y) != batch * n_out)
        return fail(ctx, TML_ERR_CORRUPT, "output (%s) is not %lld rows of %d", y.name,
                    (long long)batch, n_out);
    if (keep_num_dims && y.n_dims != x.n_dims)
        return fail(ctx, TML_ERR_CORRUPT, "keep_num_dims, but the output has %d dims and the "
                    "input %d", y.n_dims, x.n_dims);
    if (op->n_in == 3 && op->in[2] >= 0) {
        if ((st = info_of(ctx, op->in[2], &b)))
            return st;
        if (elems_of(&b) != n_out)
            return fail(ctx, TML_ERR_CORRUPT, "bias (%s) does not have %d values", b.name, n_out);
    }
    int32_t in[3] = {op->in[0], op->in[1], op->n_in == 3 ? op->in[2] : -1};
    return emit(ctx, TML_OP_FULLY_CONNECTED, in, 3, op->out, 1, &a);
}

/* ---- Element-wise ------------------------------------------------------- */

static tml_status_t map_binary(tfl_ctx_t *ctx, const tfl_op_t *op, tml_ir_op_t ir_op,
                               uint8_t opts_type)
{
    tml_status_t st = need_io(ctx, op, 2, 2, 2, 1);
    const fb_table_t *o;
    uint8_t fused;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    if (!st)
        st = options(ctx, op, opts_type, &o);
    if (!st)
        st = opt_u8(o, 0, 0, &fused);
    if (!st)
        st = map_act(ctx, fused, &a.act);
    if (st)
        return st;
    info_t x0, x1, y;
    if ((st = info_of(ctx, op->in[0], &x0)) || (st = info_of(ctx, op->in[1], &x1)) ||
        (st = info_of(ctx, op->out[0], &y)))
        return st;
    /* Numpy broadcasting, aligned at the last dim: every output dim is the
     * input dim or the input dim is 1 (or missing). */
    for (int i = 0; i < 2; i++) {
        const info_t *x = i ? &x1 : &x0;
        bool ok = x->n_dims <= y.n_dims;
        for (int d = 1; ok && d <= x->n_dims; d++) {
            int32_t xd = x->dims[x->n_dims - d], yd = y.dims[y.n_dims - d];
            ok = xd == yd || xd == 1;
        }
        if (!ok)
            return fail(ctx, TML_ERR_CORRUPT, "input %d (%s) does not broadcast to the output "
                        "(%s)", i, x->name, y.name);
    }
    return emit(ctx, ir_op, op->in, 2, op->out, 1, &a);
}

static tml_status_t map_unary(tfl_ctx_t *ctx, const tfl_op_t *op, tml_ir_op_t ir_op)
{
    tml_status_t st = need_io(ctx, op, 1, 1, 1, 1);
    info_t x, y;
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = same_shape(ctx, &x, &y);
    if (st)
        return st;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    return emit(ctx, ir_op, op->in, 1, op->out, 1, &a);
}

static tml_status_t map_leaky_relu(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    const fb_table_t *o;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    tml_status_t st = need_io(ctx, op, 1, 1, 1, 1);
    info_t x, y;
    if (!st)
        st = options(ctx, op, TFL_OPT_LEAKY_RELU, &o);
    if (!st)
        st = opt_f32(o, 0, 0.0f, &a.scalar.alpha);
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = same_shape(ctx, &x, &y);
    if (st)
        return st;
    return emit(ctx, TML_OP_LEAKY_RELU, op->in, 1, op->out, 1, &a);
}

static tml_status_t map_prelu(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 2, 2, 2, 1);
    info_t x, y;
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = same_shape(ctx, &x, &y);
    if (st)
        return st;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    return emit(ctx, TML_OP_PRELU, op->in, 2, op->out, 1, &a);
}

static tml_status_t map_softmax(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 1, 1, 1, 1);
    const fb_table_t *o;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    info_t x, y;
    if (!st)
        st = options(ctx, op, TFL_OPT_SOFTMAX, &o);
    if (!st)
        st = opt_f32(o, 0, 0.0f, &a.softmax.beta); /* schema default; TFLite's too */
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = same_shape(ctx, &x, &y);
    if (st)
        return st;
    if (x.n_dims < 1)
        return fail(ctx, TML_ERR_CORRUPT, "softmax of a scalar");
    a.softmax.axis = x.n_dims - 1; /* TFLite normalises over the last dim */
    return emit(ctx, TML_OP_SOFTMAX, op->in, 1, op->out, 1, &a);
}

/* ---- Shape and data movement -------------------------------------------- */

/* RESHAPE, SQUEEZE, EXPAND_DIMS: only the data input is kept; the new shape
 * is the output tensor's. */
static tml_status_t map_reshape(tfl_ctx_t *ctx, const tfl_op_t *op, int max_in)
{
    tml_status_t st = need_io(ctx, op, 1, max_in, 1, 1);
    info_t x, y;
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = same_elems(ctx, &x, &y);
    if (st)
        return st;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    return emit(ctx, TML_OP_RESHAPE, op->in, 1, op->out, 1, &a);
}

static tml_status_t map_concat(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    if (op->n_in < 1)
        return fail(ctx, TML_ERR_CORRUPT, "no inputs");
    tml_status_t st = need_io(ctx, op, 1, TFL_MAX_OP_IO, op->n_in, 1);
    const fb_table_t *o;
    int32_t axis;
    uint8_t fused;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    info_t y, x;
    if (!st)
        st = options(ctx, op, TFL_OPT_CONCATENATION, &o);
    if (!st)
        st = opt_i32(o, 0, 0, &axis);
    if (!st)
        st = opt_u8(o, 1, 0, &fused);
    if (!st)
        st = map_act(ctx, fused, &a.axis.act);
    if (!st)
        st = info_of(ctx, op->out[0], &y);
    if (!st)
        st = norm_axis(ctx, axis, y.n_dims, &a.axis.axis);
    if (st)
        return st;
    int64_t sum = 0;
    for (int i = 0; i < op->n_in; i++) {
        if ((st = info_of(ctx, op->in[i], &x)))
            return st;
        bool ok = x.n_dims == y.n_dims;
        for (int d = 0; ok && d < y.n_dims; d++)
            ok = d == a.axis.axis || x.dims[d] == y.dims[d];
        if (!ok)
            return fail(ctx, TML_ERR_CORRUPT, "input %d (%s) does not match the output shape "
                        "off axis %d", i, x.name, a.axis.axis);
        sum += x.dims[a.axis.axis];
    }
    if (sum != y.dims[a.axis.axis])
        return fail(ctx, TML_ERR_CORRUPT, "inputs add up to %lld along axis %d, output has %d",
                    (long long)sum, a.axis.axis, y.dims[a.axis.axis]);
    return emit(ctx, TML_OP_CONCAT, op->in, op->n_in, op->out, 1, &a);
}

static tml_status_t map_pad(tfl_ctx_t *ctx, const tfl_op_t *op, bool v2)
{
    tml_status_t st = need_io(ctx, op, 2, v2 ? 3 : 2, 2, 1);
    info_t x, y, p, v;
    int64_t amounts[2 * TML_IR_MAX_DIMS];
    int n;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = const_ints(ctx, op->in[1], "paddings", amounts, 2 * TML_IR_MAX_DIMS, &n, &p);
    if (st)
        return st;
    if (p.n_dims != 2 || p.dims[0] != x.n_dims || p.dims[1] != 2)
        return fail(ctx, TML_ERR_CORRUPT, "paddings (%s) are not [%d, 2]", p.name, x.n_dims);
    if ((st = need_rank(ctx, &y, "output", x.n_dims)))
        return st;
    for (int d = 0; d < x.n_dims; d++) {
        int64_t before = amounts[2 * d], after = amounts[2 * d + 1];
        if (before < 0 || after < 0 || before > INT32_MAX || after > INT32_MAX ||
            x.dims[d] + before + after != y.dims[d])
            return fail(ctx, TML_ERR_CORRUPT, "dim %d: padding %lld/%lld of %d does not give "
                        "the output's %d", d, (long long)before, (long long)after, x.dims[d],
                        y.dims[d]);
        a.pad.before[d] = (int32_t)before;
        a.pad.after[d] = (int32_t)after;
    }
    if (v2 && op->n_in == 3 && op->in[2] >= 0) {
        if ((st = info_of(ctx, op->in[2], &v)))
            return st;
        if (!v.data || elems_of(&v) != 1 || v.dtype != x.dtype)
            return fail(ctx, TML_ERR_UNSUPPORTED, "pad value (%s) is not a constant %s scalar",
                        v.name, tml_dtype_name(x.dtype));
        int32_t x_ir;
        if ((st = tfl_tensor(ctx, op->in[0], &x_ir)))
            return st;
        const tml_ir_quant_t *q = &ctx->g->tensors[x_ir].quant;
        int32_t zp = q->n == 1 ? q->zero_point[0] : 0;
        switch (v.dtype) {
        case TML_DT_F32: {
            uint32_t bits = fb_rd_u32(v.data);
            memcpy(&a.pad.value, &bits, 4);
            break;
        }
        case TML_DT_I8:
            if ((int8_t)v.data[0] != zp)
                return fail(ctx, TML_ERR_UNSUPPORTED, "int8 pad value %d is not the zero "
                            "point %d", (int8_t)v.data[0], zp);
            break;
        case TML_DT_U8:
            if (v.data[0] != zp)
                return fail(ctx, TML_ERR_UNSUPPORTED, "uint8 pad value %d is not the zero "
                            "point %d", v.data[0], zp);
            break;
        default:
            return fail(ctx, TML_ERR_UNSUPPORTED, "PADV2 on %s is not supported",
                        tml_dtype_name(v.dtype));
        }
    }
    return emit(ctx, TML_OP_PAD, op->in, 1, op->out, 1, &a);
}

static int cmp_i32(const void *l, const void *r)
{
    int32_t a = *(const int32_t *)l, b = *(const int32_t *)r;
    return (a > b) - (a < b);
}

static tml_status_t map_mean(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 2, 2, 2, 1);
    const fb_table_t *o;
    uint8_t keep;
    info_t x, y, ax;
    int64_t axes[TML_IR_MAX_DIMS];
    int n;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    if (!st)
        st = options(ctx, op, TFL_OPT_REDUCER, &o);
    if (!st)
        st = opt_u8(o, 0, 0, &keep);
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = const_ints(ctx, op->in[1], "axes", axes, TML_IR_MAX_DIMS, &n, &ax);
    if (st)
        return st;
    a.reduce.keep_dims = keep != 0;
    bool reduced[TML_IR_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int32_t axis = 0;
        if ((st = norm_axis(ctx, axes[i], x.n_dims, &axis)))
            return st;
        if (!reduced[axis])
            a.reduce.axes[a.reduce.n_axes++] = axis;
        reduced[axis] = true;
    }
    qsort(a.reduce.axes, (size_t)a.reduce.n_axes, sizeof(int32_t), cmp_i32);
    /* The output shape this implies must be the recorded one. */
    int32_t want[TML_IR_MAX_DIMS];
    int n_want = 0;
    for (int d = 0; d < x.n_dims; d++) {
        if (!reduced[d])
            want[n_want++] = x.dims[d];
        else if (keep)
            want[n_want++] = 1;
    }
    bool ok = y.n_dims == n_want;
    for (int d = 0; ok && d < n_want; d++)
        ok = y.dims[d] == want[d];
    if (!ok)
        return fail(ctx, TML_ERR_CORRUPT, "output (%s) shape does not match the reduction",
                    y.name);
    return emit(ctx, TML_OP_MEAN, op->in, 1, op->out, 1, &a);
}

static tml_status_t map_transpose(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 2, 2, 2, 1);
    info_t x, y, pi;
    int64_t perm[TML_IR_MAX_DIMS];
    int n;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = const_ints(ctx, op->in[1], "perm", perm, TML_IR_MAX_DIMS, &n, &pi);
    if (st)
        return st;
    if (n != x.n_dims || y.n_dims != x.n_dims)
        return fail(ctx, TML_ERR_CORRUPT, "perm of %d values for %d dims", n, x.n_dims);
    bool seen[TML_IR_MAX_DIMS] = {false};
    for (int d = 0; d < n; d++) {
        if (perm[d] < 0 || perm[d] >= n || seen[perm[d]])
            return fail(ctx, TML_ERR_CORRUPT, "perm is not a permutation of 0..%d", n - 1);
        seen[perm[d]] = true;
        a.transpose.perm[d] = (int32_t)perm[d];
        if (y.dims[d] != x.dims[perm[d]])
            return fail(ctx, TML_ERR_CORRUPT, "output dim %d is %d, input dim %lld is %d", d,
                        y.dims[d], (long long)perm[d], x.dims[perm[d]]);
    }
    return emit(ctx, TML_OP_TRANSPOSE, op->in, 1, op->out, 1, &a);
}

/* Emits a SLICE whose output has the input's rank; when the recorded output
 * has another rank (shrunk axes) the slice goes to a new tensor of the full
 * rank followed by a RESHAPE to the recorded output. size[] is per input
 * dim. */
static tml_status_t emit_slice(tfl_ctx_t *ctx, const tfl_op_t *op, const info_t *x,
                               const info_t *y, const int32_t *size, const tml_ir_attrs_t *a)
{
    int64_t n = 1;
    for (int d = 0; d < x->n_dims; d++)
        n *= size[d];
    if (n != elems_of(y))
        return fail(ctx, TML_ERR_CORRUPT, "slice of %lld elements, output (%s) has %lld",
                    (long long)n, y->name, (long long)elems_of(y));
    bool same = y->n_dims == x->n_dims;
    for (int d = 0; same && d < x->n_dims; d++)
        same = y->dims[d] == size[d];
    if (same)
        return emit(ctx, TML_OP_SLICE, op->in, 1, op->out, 1, a);

    int32_t x_ir, y_ir, mid;
    tml_status_t st = tfl_tensor(ctx, op->in[0], &x_ir);
    if (!st)
        st = tfl_tensor(ctx, op->out[0], &y_ir);
    if (!st)
        st = tfl_charge(ctx, 256);
    if (st)
        return st;
    char name[TML_ERR_MSG_MAX];
    snprintf(name, sizeof(name), "%s/slice", ctx->g->tensors[y_ir].name);
    if (tml_ir_add_tensor(ctx->g, name, ctx->g->tensors[y_ir].dtype, x->n_dims, size, &mid))
        return fail(ctx, TML_ERR_NOMEM, "out of memory");
    const tml_ir_quant_t *q = &ctx->g->tensors[y_ir].quant;
    if (q->n == 1 && tml_ir_set_quant(ctx->g, mid, 1, q->scale, q->zero_point, 0))
        return fail(ctx, TML_ERR_NOMEM, "out of memory");
    tml_ir_attrs_t none;
    memset(&none, 0, sizeof(none));
    if (tml_ir_add_node(ctx->g, TML_OP_SLICE, name, &x_ir, 1, &mid, 1, a, NULL) ||
        tml_ir_add_node(ctx->g, TML_OP_RESHAPE, ctx->g->tensors[y_ir].name, &mid, 1, &y_ir, 1,
                        &none, NULL))
        return fail(ctx, TML_ERR_NOMEM, "out of memory");
    return TML_OK;
}

static tml_status_t map_slice(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 3, 3, 3, 1);
    info_t x, y, bi, si;
    int64_t begin[TML_IR_MAX_DIMS], size[TML_IR_MAX_DIMS];
    int n_begin, n_size;
    if (!st)
        st = io_info(ctx, op, &x, &y);
    if (!st)
        st = const_ints(ctx, op->in[1], "begin", begin, TML_IR_MAX_DIMS, &n_begin, &bi);
    if (!st)
        st = const_ints(ctx, op->in[2], "size", size, TML_IR_MAX_DIMS, &n_size, &si);
    if (st)
        return st;
    if (n_begin != x.n_dims || n_size != x.n_dims)
        return fail(ctx, TML_ERR_CORRUPT, "begin/size have %d/%d values for %d dims", n_begin,
                    n_size, x.n_dims);
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    int32_t out_size[TML_IR_MAX_DIMS];
    for (int d = 0; d < x.n_dims; d++) {
        int64_t sz = -1;
        if (begin[d] >= 0 && begin[d] <= x.dims[d])
            sz = size[d] == -1 ? x.dims[d] - begin[d] : size[d];
        if (sz < 0 || sz > x.dims[d] - begin[d])
            return fail(ctx, TML_ERR_CORRUPT, "dim %d: begin %lld size %lld outside %d", d,
                        (long long)begin[d], (long long)size[d], x.dims[d]);
        a.slice.begin[d] = (int32_t)begin[d];
        a.slice.stride[d] = 1;
        out_size[d] = (int32_t)sz;
    }
    return emit_slice(ctx, op, &x, &y, out_size, &a);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

static tml_status_t map_strided_slice(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    tml_status_t st = need_io(ctx, op, 4, 4, 4, 1);
    const fb_table_t *o;
    int32_t begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask;
    uint8_t offset;
    if (!st)
        st = options(ctx, op, TFL_OPT_STRIDED_SLICE, &o);
    if (!st)
        st = opt_i32(o, 0, 0, &begin_mask);
    if (!st)
        st = opt_i32(o, 1, 0, &end_mask);
    if (!st)
        st = opt_i32(o, 2, 0, &ellipsis_mask);
    if (!st)
        st = opt_i32(o, 3, 0, &new_axis_mask);
    if (!st)
        st = opt_i32(o, 4, 0, &shrink_mask);
    if (!st)
        st = opt_u8(o, 5, 0, &offset);
    if (st)
        return st;
    if (ellipsis_mask || new_axis_mask || offset)
        return fail(ctx, TML_ERR_UNSUPPORTED, "ellipsis_mask, new_axis_mask and offset are not "
                    "supported");
    info_t x, y, bi, ei, si;
    int64_t begin[TML_IR_MAX_DIMS], end[TML_IR_MAX_DIMS], stride[TML_IR_MAX_DIMS];
    int n_begin, n_end, n_stride;
    if ((st = info_of(ctx, op->in[0], &x)) || (st = info_of(ctx, op->out[0], &y)) ||
        (st = const_ints(ctx, op->in[1], "begin", begin, TML_IR_MAX_DIMS, &n_begin, &bi)) ||
        (st = const_ints(ctx, op->in[2], "end", end, TML_IR_MAX_DIMS, &n_end, &ei)) ||
        (st = const_ints(ctx, op->in[3], "strides", stride, TML_IR_MAX_DIMS, &n_stride, &si)))
        return st;
    if (n_begin != n_end || n_begin != n_stride || n_begin > x.n_dims)
        return fail(ctx, TML_ERR_CORRUPT, "begin/end/strides have %d/%d/%d values for %d dims",
                    n_begin, n_end, n_stride, x.n_dims);
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    int32_t size[TML_IR_MAX_DIMS];
    for (int d = 0; d < x.n_dims; d++) {
        int64_t dim = x.dims[d];
        /* Dims past the given vectors are taken whole. */
        int64_t s = d < n_begin ? stride[d] : 1;
        if (s == 0)
            return fail(ctx, TML_ERR_CORRUPT, "dim %d: stride 0", d);
        if (s > INT32_MAX || s < -INT32_MAX)
            return fail(ctx, TML_ERR_CORRUPT, "dim %d: stride %lld out of range", d,
                        (long long)s);
        int64_t b, e;
        if (d >= n_begin || (begin_mask >> d) & 1) {
            b = s > 0 ? 0 : dim - 1;
        } else {
            b = begin[d] < 0 ? begin[d] + dim : begin[d];
            b = s > 0 ? clamp64(b, 0, dim) : clamp64(b, -1, dim - 1);
        }
        if ((shrink_mask >> d) & 1 && d < n_begin) {
            /* A shrunk axis takes exactly the element at begin. */
            b = begin[d] < 0 ? begin[d] + dim : begin[d];
            if (b < 0 || b >= dim)
                return fail(ctx, TML_ERR_CORRUPT, "dim %d: shrunk index %lld outside %lld", d,
                            (long long)begin[d], (long long)dim);
            e = b + 1;
            s = 1;
        } else if (d >= n_begin || (end_mask >> d) & 1) {
            e = s > 0 ? dim : -1;
        } else {
            e = end[d] < 0 ? end[d] + dim : end[d];
            e = s > 0 ? clamp64(e, 0, dim) : clamp64(e, -1, dim - 1);
        }
        int64_t n = s > 0 ? (e - b + s - 1) / s : (b - e + (-s) - 1) / (-s);
        if (n < 0)
            n = 0;
        if (n > 0 && (b < 0 || b >= dim))
            return fail(ctx, TML_ERR_CORRUPT, "dim %d: begin %lld outside %lld", d,
                        (long long)b, (long long)dim);
        a.slice.begin[d] = (int32_t)(n > 0 ? b : 0);
        a.slice.stride[d] = (int32_t)s;
        size[d] = (int32_t)n;
    }
    return emit_slice(ctx, op, &x, &y, size, &a);
}

static tml_status_t map_split(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    if (op->n_out < 1)
        return fail(ctx, TML_ERR_CORRUPT, "no outputs");
    tml_status_t st = need_io(ctx, op, 2, 2, 2, op->n_out);
    const fb_table_t *o;
    int32_t num_splits;
    info_t ai, x, y;
    int64_t axis = 0;
    int n;
    tml_ir_attrs_t a;
    memset(&a, 0, sizeof(a));
    if (!st)
        st = options(ctx, op, TFL_OPT_SPLIT, &o);
    if (!st)
        st = opt_i32(o, 0, 0, &num_splits);
    /* TFLite's SPLIT takes the axis first, then the data. */
    if (!st)
        st = const_ints(ctx, op->in[0], "axis", &axis, 1, &n, &ai);
    if (!st)
        st = info_of(ctx, op->in[1], &x);
    if (st)
        return st;
    if (n != 1)
        return fail(ctx, TML_ERR_CORRUPT, "axis (%s) is empty", ai.name);
    if (num_splits != op->n_out)
        return fail(ctx, TML_ERR_CORRUPT, "num_splits %d but %d outputs", num_splits, op->n_out);
    if ((st = norm_axis(ctx, axis, x.n_dims, &a.axis.axis)))
        return st;
    int32_t dim = x.dims[a.axis.axis];
    if (dim % num_splits != 0)
        return fail(ctx, TML_ERR_CORRUPT, "dim %d of %d does not split in %d", a.axis.axis, dim,
                    num_splits);
    for (int i = 0; i < op->n_out; i++) {
        if ((st = info_of(ctx, op->out[i], &y)))
            return st;
        bool ok = y.n_dims == x.n_dims;
        for (int d = 0; ok && d < x.n_dims; d++)
            ok = y.dims[d] == (d == a.axis.axis ? dim / num_splits : x.dims[d]);
        if (!ok)
            return fail(ctx, TML_ERR_CORRUPT, "output %d (%s) is not 1/%d of the input", i,
                        y.name, num_splits);
    }
    return emit(ctx, TML_OP_SPLIT, &op->in[1], 1, op->out, op->n_out, &a);
}

tml_status_t tfl_convert_op(tfl_ctx_t *ctx, const tfl_op_t *op)
{
    switch (op->code) {
    case TFL_CONV_2D: return map_conv(ctx, op, false);
    case TFL_DEPTHWISE_CONV_2D: return map_conv(ctx, op, true);
    case TFL_FULLY_CONNECTED: return map_fully_connected(ctx, op);
    case TFL_AVERAGE_POOL_2D: return map_pool(ctx, op, TML_OP_AVG_POOL2D);
    case TFL_MAX_POOL_2D: return map_pool(ctx, op, TML_OP_MAX_POOL2D);
    case TFL_ADD: return map_binary(ctx, op, TML_OP_ADD, TFL_OPT_ADD);
    case TFL_SUB: return map_binary(ctx, op, TML_OP_SUB, TFL_OPT_SUB);
    case TFL_MUL: return map_binary(ctx, op, TML_OP_MUL, TFL_OPT_MUL);
    case TFL_DIV: return map_binary(ctx, op, TML_OP_DIV, TFL_OPT_DIV);
    case TFL_RESHAPE: return map_reshape(ctx, op, 2);
    case TFL_SQUEEZE: return map_reshape(ctx, op, 1);
    case TFL_EXPAND_DIMS: return map_reshape(ctx, op, 2);
    case TFL_SOFTMAX: return map_softmax(ctx, op);
    case TFL_QUANTIZE: return map_unary(ctx, op, TML_OP_QUANTIZE);
    case TFL_DEQUANTIZE: return map_unary(ctx, op, TML_OP_DEQUANTIZE);
    case TFL_LOGISTIC: return map_unary(ctx, op, TML_OP_LOGISTIC);
    case TFL_TANH: return map_unary(ctx, op, TML_OP_TANH);
    case TFL_RELU: return map_unary(ctx, op, TML_OP_RELU);
    case TFL_RELU6: return map_unary(ctx, op, TML_OP_RELU6);
    case TFL_RELU_N1_TO_1: return map_unary(ctx, op, TML_OP_RELU_N1_TO_1);
    case TFL_HARD_SWISH: return map_unary(ctx, op, TML_OP_HARD_SWISH);
    case TFL_LEAKY_RELU: return map_leaky_relu(ctx, op);
    case TFL_PRELU: return map_prelu(ctx, op);
    case TFL_CONCATENATION: return map_concat(ctx, op);
    case TFL_PAD: return map_pad(ctx, op, false);
    case TFL_PADV2: return map_pad(ctx, op, true);
    case TFL_MEAN: return map_mean(ctx, op);
    case TFL_TRANSPOSE: return map_transpose(ctx, op);
    case TFL_SLICE: return map_slice(ctx, op);
    case TFL_STRIDED_SLICE: return map_strided_slice(ctx, op);
    case TFL_SPLIT: return map_split(ctx, op);
    default:
        return fail(ctx, TML_ERR_INTERNAL, "op %s (code %d) has a version entry but no mapping",
                    op->name, op->code);
    }
}
