/*
 * onnx_ops_shape.c - ops that move or regroup elements without arithmetic:
 * Constant, Identity/Dropout, Reshape, Flatten, Squeeze, Unsqueeze,
 * Transpose, Concat, Pad, Slice, Split, ReduceMean, and the shape plumbing
 * exporters emit (Shape, Gather, Cast), which is only accepted on constants
 * and folded away.
 *
 * Constant inputs are folded with one strided byte copy (gather_bytes), so
 * a Transpose of weights or a Slice of a shape costs no node at run time.
 */
#include <math.h>
#include <string.h>

#include "onnx_internal.h"

#define MAX_LIST 64

/* Copies into dst the elements of a row-major src (dims src_dims) picked by
 * out coordinate o -> src coordinate begin[d] + o[d] * stride[d] after
 * permuting: out dim i walks src dim perm[i]. */
static void gather_bytes(const uint8_t *src, int rank, const int32_t *src_dims,
                         const int32_t *perm, const int32_t *out_dims, const int64_t *begin,
                         const int64_t *stride, size_t elem, uint8_t *dst)
{
    int64_t src_stride[TML_IR_MAX_DIMS];
    int64_t acc = 1;
    for (int d = rank - 1; d >= 0; d--) {
        src_stride[d] = acc;
        acc *= src_dims[d];
    }
    int64_t count = onnx_prod(out_dims, 0, rank);
    int32_t coord[TML_IR_MAX_DIMS] = {0};
    for (int64_t i = 0; i < count; i++) {
        int64_t off = 0;
        for (int d = 0; d < rank; d++) {
            int s = perm[d];
            off += (begin[s] + coord[d] * stride[s]) * src_stride[s];
        }
        memcpy(dst + (size_t)i * elem, src + (size_t)off * elem, elem);
        for (int d = rank - 1; d >= 0; d--) {
            if (++coord[d] < out_dims[d])
                break;
            coord[d] = 0;
        }
    }
}

/* Output 0 (or a copy node) that carries x under the output's name. */
tml_status_t onnx_conv_identity(onnx_ctx_t *c)
{
    int32_t x;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    if (!strcmp(c->node->op_type, "Dropout")) {
        int32_t mode = -1;
        if (c->opset >= 12 && (st = onnx_in(c, 2, &mode)) != TML_OK)
            return st;
        if (mode >= 0) {
            const tml_ir_tensor_t *mt = onnx_t(c, mode);
            if (!tml_ir_is_const(mt) || mt->dtype != TML_DT_BOOL || tml_ir_tensor_elems(mt) != 1)
                return onnx_fail(c, TML_ERR_UNSUPPORTED, "training_mode must be a constant");
            if (mt->data[0])
                return onnx_fail(c, TML_ERR_UNSUPPORTED, "Dropout in training mode");
        }
    }
    /* A graph output keeps its own name and tensor: copy instead. */
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (!onnx_has_out(c, 0))
        return TML_OK;
    if (tml_ir_is_const(xt) || !onnx_is_graph_output(c, c->node->output[0]))
        return onnx_out_alias(c, 0, x);
    int32_t dims[TML_IR_MAX_DIMS], y;
    memcpy(dims, xt->dims, sizeof(dims));
    return onnx_reshape(c, x, xt->n_dims, dims, NULL, &y);
}

static tml_status_t attr_tensor(onnx_ctx_t *c, const onnx_attr_t *a)
{
    int32_t t;
    const char *name = c->node->output[0];
    if (!a->t)
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s holds no tensor", a->name);
    tml_status_t st = onnx_tensor_import(c, a->t, name, &t);
    if (st != TML_OK)
        return st;
    return onnx_out_alias(c, 0, t);
}

tml_status_t onnx_conv_constant(onnx_ctx_t *c)
{
    if (!onnx_has_out(c, 0))
        return onnx_fail(c, TML_ERR_CORRUPT, "no output");
    const onnx_attr_t *a;
    if ((a = onnx_attr(c, "value")) != NULL)
        return attr_tensor(c, a);
    int64_t iv;
    float fv;
    if ((a = onnx_attr(c, "value_float")) != NULL) {
        tml_status_t st = onnx_attr_float(c, "value_float", 0, &fv);
        return st ? st : onnx_out_const(c, 0, TML_DT_F32, 0, NULL, &fv, 4);
    }
    if ((a = onnx_attr(c, "value_int")) != NULL) {
        tml_status_t st = onnx_attr_int(c, "value_int", 0, &iv);
        return st ? st : onnx_out_const(c, 0, TML_DT_I64, 0, NULL, &iv, 8);
    }
    if ((a = onnx_attr(c, "value_floats")) != NULL) {
        if (a->n_floats > INT32_MAX)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "too many values");
        int32_t n = (int32_t)a->n_floats;
        return onnx_out_const(c, 0, TML_DT_F32, 1, &n, a->floats, (size_t)n * 4);
    }
    if ((a = onnx_attr(c, "value_ints")) != NULL) {
        if (a->n_ints > INT32_MAX)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "too many values");
        int32_t n = (int32_t)a->n_ints;
        return onnx_out_const(c, 0, TML_DT_I64, 1, &n, a->ints, (size_t)n * 8);
    }
    return onnx_fail(c, TML_ERR_UNSUPPORTED, "only tensor, float(s) and int(s) values are "
                     "supported");
}

tml_status_t onnx_conv_reshape(onnx_ctx_t *c)
{
    int32_t x, shape, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    int64_t v[TML_IR_MAX_DIMS];
    int n;
    if (c->opset < 5) {
        if ((st = onnx_attr_ints(c, "shape", v, TML_IR_MAX_DIMS, &n)) != TML_OK)
            return st;
        if (n < 0)
            return onnx_fail(c, TML_ERR_CORRUPT, "no shape attribute");
    } else {
        if ((st = onnx_in_req(c, 1, &shape)) ||
            (st = onnx_const_ints(c, shape, "the shape input", v, TML_IR_MAX_DIMS, &n)))
            return st;
    }
    int64_t allow_zero;
    if ((st = onnx_attr_int(c, "allowzero", 0, &allow_zero)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int64_t total = tml_ir_tensor_elems(xt), known = 1;
    int32_t dims[TML_IR_MAX_DIMS];
    int infer = -1;
    for (int i = 0; i < n; i++) {
        if (v[i] == 0 && !allow_zero) {
            if (i >= xt->n_dims)
                return onnx_fail(c, TML_ERR_CORRUPT, "shape copies dim %d of a rank %d input",
                                 i, xt->n_dims);
            v[i] = xt->dims[i];
        }
        if (v[i] == -1) {
            if (infer >= 0)
                return onnx_fail(c, TML_ERR_CORRUPT, "two -1 dims in the shape");
            infer = i;
            dims[i] = 1;
            continue;
        }
        if ((st = onnx_dim(c, v[i], "a dim", &dims[i])) != TML_OK)
            return st;
        if (dims[i])
            known *= dims[i];
        if (known > ONNX_MAX_ELEMS)
            return onnx_fail(c, TML_ERR_CORRUPT, "shape too large");
    }
    if (infer >= 0) {
        if (known == 0 || total % known)
            return onnx_fail(c, TML_ERR_CORRUPT, "cannot infer the -1 dim of %lld elements",
                             (long long)total);
        dims[infer] = (int32_t)(total / known);
    }
    return onnx_reshape(c, x, n, dims, NULL, &y);
}

tml_status_t onnx_conv_flatten(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", 1, &axis_attr)) != TML_OK)
        return st;
    int rank = xt->n_dims;
    if (axis_attr < -rank || axis_attr > rank)
        return onnx_fail(c, TML_ERR_CORRUPT, "axis %lld out of range", (long long)axis_attr);
    int axis = (int)(axis_attr < 0 ? axis_attr + rank : axis_attr);
    int32_t dims[2] = {(int32_t)onnx_prod(xt->dims, 0, axis),
                       (int32_t)onnx_prod(xt->dims, axis, rank)};
    return onnx_reshape(c, x, 2, dims, NULL, &y);
}

/* Reads axes from the attribute (opset < since) or input 1. */
static tml_status_t read_axes(onnx_ctx_t *c, int64_t since, int64_t *axes, int *n)
{
    if (c->opset < since)
        return onnx_attr_ints(c, "axes", axes, TML_IR_MAX_DIMS, n);
    int32_t t;
    tml_status_t st = onnx_in(c, 1, &t);
    *n = -1;
    if (st != TML_OK || t < 0)
        return st;
    return onnx_const_ints(c, t, "the axes input", axes, TML_IR_MAX_DIMS, n);
}

tml_status_t onnx_conv_squeeze(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    int64_t axes[TML_IR_MAX_DIMS];
    int n;
    if ((st = onnx_in_req(c, 0, &x)) || (st = read_axes(c, 13, axes, &n)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    bool drop[TML_IR_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int32_t a;
        if ((st = onnx_axis(c, axes[i], xt->n_dims, &a)) != TML_OK)
            return st;
        if (xt->dims[a] != 1)
            return onnx_fail(c, TML_ERR_CORRUPT, "cannot squeeze dim %d of size %d", (int)a,
                             (int)xt->dims[a]);
        drop[a] = true;
    }
    int32_t dims[TML_IR_MAX_DIMS];
    int rank = 0;
    for (int i = 0; i < xt->n_dims; i++)
        if (!(n < 0 ? xt->dims[i] == 1 : drop[i]))
            dims[rank++] = xt->dims[i];
    return onnx_reshape(c, x, rank, dims, NULL, &y);
}

tml_status_t onnx_conv_unsqueeze(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    int64_t axes[TML_IR_MAX_DIMS];
    int n;
    if ((st = onnx_in_req(c, 0, &x)) || (st = read_axes(c, 13, axes, &n)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (n < 0)
        return onnx_fail(c, TML_ERR_CORRUPT, "no axes");
    int rank = xt->n_dims + n;
    if (rank > TML_IR_MAX_DIMS)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "more than %d dims", TML_IR_MAX_DIMS);
    bool add[TML_IR_MAX_DIMS] = {false};
    for (int i = 0; i < n; i++) {
        int32_t a;
        if ((st = onnx_axis(c, axes[i], rank, &a)) != TML_OK)
            return st;
        if (add[a])
            return onnx_fail(c, TML_ERR_CORRUPT, "axis %d given twice", (int)a);
        add[a] = true;
    }
    int32_t dims[TML_IR_MAX_DIMS];
    for (int i = 0, j = 0; i < rank; i++)
        dims[i] = add[i] ? 1 : xt->dims[j++];
    return onnx_reshape(c, x, rank, dims, NULL, &y);
}

tml_status_t onnx_conv_transpose(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int64_t perm[TML_IR_MAX_DIMS];
    int n;
    if ((st = onnx_attr_ints(c, "perm", perm, TML_IR_MAX_DIMS, &n)) != TML_OK)
        return st;
    if (n < 0) {
        n = rank;
        for (int i = 0; i < rank; i++)
            perm[i] = rank - 1 - i;
    }
    if (n != rank)
        return onnx_fail(c, TML_ERR_CORRUPT, "perm has %d entries for rank %d", n, rank);
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    bool seen[TML_IR_MAX_DIMS] = {false};
    int32_t dims[TML_IR_MAX_DIMS];
    for (int i = 0; i < rank; i++) {
        if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
            return onnx_fail(c, TML_ERR_CORRUPT, "perm is not a permutation");
        seen[perm[i]] = true;
        attrs.transpose.perm[i] = (int32_t)perm[i];
        dims[i] = xt->dims[perm[i]];
    }
    if (tml_ir_is_const(xt)) {
        int64_t begin[TML_IR_MAX_DIMS] = {0}, stride[TML_IR_MAX_DIMS];
        for (int i = 0; i < rank; i++)
            stride[i] = 1;
        size_t elem = tml_dtype_size(xt->dtype);
        uint8_t *out = tml_malloc(xt->data_len + 1);
        if (!out)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        gather_bytes(xt->data, rank, xt->dims, attrs.transpose.perm, dims, begin, stride, elem, out);
        st = onnx_out_const(c, 0, xt->dtype, rank, dims, out, xt->data_len);
        tml_free(out);
        return st;
    }
    if ((st = onnx_out(c, 0, xt->dtype, rank, dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, TML_OP_TRANSPOSE, &x, 1, &y, 1, &attrs);
}

tml_status_t onnx_conv_concat(onnx_ctx_t *c)
{
    int n_in = onnx_n_in(c);
    if (n_in < 1 || n_in > MAX_LIST)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%d inputs (1..%d supported)", n_in,
                         MAX_LIST);
    int32_t in[MAX_LIST];
    tml_status_t st;
    for (int i = 0; i < n_in; i++)
        if ((st = onnx_in_req(c, i, &in[i])) != TML_OK)
            return st;
    const tml_ir_tensor_t *t0 = onnx_t(c, in[0]);
    int rank = t0->n_dims;
    tml_dtype_t dtype = t0->dtype;
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", c->opset < 4 ? 1 : INT64_MAX, &axis_attr)) != TML_OK)
        return st;
    if (axis_attr == INT64_MAX)
        return onnx_fail(c, TML_ERR_CORRUPT, "no axis attribute");
    int32_t axis;
    if ((st = onnx_axis(c, axis_attr, rank, &axis)) != TML_OK)
        return st;
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, t0->dims, sizeof(dims));
    dims[axis] = 0;
    bool all_const = true;
    for (int i = 0; i < n_in; i++) {
        const tml_ir_tensor_t *t = onnx_t(c, in[i]);
        if (t->n_dims != rank || t->dtype != dtype)
            return onnx_fail(c, TML_ERR_CORRUPT, "input %d differs in rank or type", i);
        for (int d = 0; d < rank; d++)
            if (d != axis && t->dims[d] != dims[d])
                return onnx_fail(c, TML_ERR_CORRUPT, "input %d: dim %d is %d, expected %d", i,
                                 d, (int)t->dims[d], (int)dims[d]);
        if ((int64_t)dims[axis] + t->dims[axis] > INT32_MAX)
            return onnx_fail(c, TML_ERR_CORRUPT, "too large");
        dims[axis] += t->dims[axis];
        all_const &= tml_ir_is_const(t);
    }
    if (!onnx_dims_ok(rank, dims))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "output too large");
    if (all_const) {
        size_t elem = tml_dtype_size(dtype);
        int64_t outer = onnx_prod(dims, 0, axis), inner = onnx_prod(dims, axis + 1, rank);
        size_t bytes = (size_t)onnx_prod(dims, 0, rank) * elem, off = 0;
        uint8_t *out = tml_malloc(bytes + 1);
        if (!out)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        for (int64_t o = 0; o < outer; o++)
            for (int i = 0; i < n_in; i++) {
                const tml_ir_tensor_t *t = onnx_t(c, in[i]);
                size_t chunk = (size_t)(t->dims[axis] * inner) * elem;
                memcpy(out + off, t->data + (size_t)o * chunk, chunk);
                off += chunk;
            }
        st = onnx_out_const(c, 0, dtype, rank, dims, out, bytes);
        tml_free(out);
        return st;
    }
    int32_t y;
    if ((st = onnx_out(c, 0, dtype, rank, dims, &y)) != TML_OK)
        return st;
    tml_ir_attrs_t attrs = {.axis = {.axis = axis, .act = TML_ACT_NONE}};
    return onnx_node(c, TML_OP_CONCAT, in, n_in, &y, 1, &attrs);
}

tml_status_t onnx_conv_pad(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    char mode[32];
    if ((st = onnx_attr_string(c, "mode", "constant", mode, sizeof(mode))) != TML_OK)
        return st;
    if (strcmp(mode, "constant"))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "pad mode '%s' (only constant)", mode);
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int64_t pads[2 * TML_IR_MAX_DIMS], axes[TML_IR_MAX_DIMS];
    int n_pads, n_axes = -1;
    float value = 0.0f;
    if (c->opset < 11) {
        if ((st = onnx_attr_ints(c, c->opset < 2 ? "paddings" : "pads", pads,
                                 2 * TML_IR_MAX_DIMS, &n_pads)) ||
            (st = onnx_attr_float(c, "value", 0.0f, &value)))
            return st;
    } else {
        int32_t tp, tv, ta;
        if ((st = onnx_in_req(c, 1, &tp)) || (st = onnx_in(c, 2, &tv)) || (st = onnx_in(c, 3, &ta)) ||
            (st = onnx_const_ints(c, tp, "pads", pads, 2 * TML_IR_MAX_DIMS, &n_pads)))
            return st;
        if (tv >= 0) {
            const tml_ir_tensor_t *vt = onnx_t(c, tv);
            if (tml_ir_tensor_elems(vt) == 1 && vt->dtype == TML_DT_F32 && tml_ir_is_const(vt))
                memcpy(&value, vt->data, 4);
            else if (tml_ir_tensor_elems(vt) != 0)
                return onnx_fail(c, TML_ERR_UNSUPPORTED, "constant_value must be a float constant");
        }
        if (ta >= 0 && (st = onnx_const_ints(c, ta, "axes", axes, TML_IR_MAX_DIMS, &n_axes)))
            return st;
    }
    int n_spec = n_axes >= 0 ? n_axes : rank;
    if (n_pads != 2 * n_spec)
        return onnx_fail(c, TML_ERR_CORRUPT, "%d pads for %d axes", n_pads, n_spec);
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.pad.value = value;
    for (int i = 0; i < n_spec; i++) {
        int32_t a = i;
        if (n_axes >= 0 && (st = onnx_axis(c, axes[i], rank, &a)) != TML_OK)
            return st;
        int64_t before = pads[i], after = pads[i + n_spec];
        if (before < 0 || after < 0 || before > 65535 || after > 65535)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "negative or huge pads");
        attrs.pad.before[a] = (int32_t)before;
        attrs.pad.after[a] = (int32_t)after;
    }
    int32_t dims[TML_IR_MAX_DIMS];
    for (int i = 0; i < rank; i++)
        dims[i] = xt->dims[i] + attrs.pad.before[i] + attrs.pad.after[i];
    if ((st = onnx_out(c, 0, xt->dtype, rank, dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, TML_OP_PAD, &x, 1, &y, 1, &attrs);
}

tml_status_t onnx_conv_reduce_mean(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    int64_t axes[TML_IR_MAX_DIMS], keep, noop;
    int n;
    if ((st = onnx_in_req(c, 0, &x)) || (st = read_axes(c, 18, axes, &n)) ||
        (st = onnx_attr_int(c, "keepdims", 1, &keep)) ||
        (st = onnx_attr_int(c, "noop_with_empty_axes", 0, &noop)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (xt->dtype != TML_DT_F32)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "only float inputs");
    int rank = xt->n_dims;
    int32_t xdims[TML_IR_MAX_DIMS];
    memcpy(xdims, xt->dims, sizeof(xdims));
    if (n <= 0 && noop)
        return onnx_reshape(c, x, rank, xdims, NULL, &y);
    bool red[TML_IR_MAX_DIMS] = {false};
    for (int i = 0; i < (n <= 0 ? rank : n); i++) {
        int32_t a = i;
        if (n > 0 && (st = onnx_axis(c, axes[i], rank, &a)) != TML_OK)
            return st;
        red[a] = true;
    }
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.reduce.keep_dims = keep != 0;
    int32_t dims[TML_IR_MAX_DIMS];
    int out_rank = 0;
    for (int i = 0; i < rank; i++) {
        if (red[i])
            attrs.reduce.axes[attrs.reduce.n_axes++] = i;
        if (!red[i] || keep)
            dims[out_rank++] = red[i] ? 1 : xdims[i];
    }
    if ((st = onnx_out(c, 0, TML_DT_F32, out_rank, dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, TML_OP_MEAN, &x, 1, &y, 1, &attrs);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

tml_status_t onnx_conv_slice(onnx_ctx_t *c)
{
    int32_t x, y;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    int64_t starts[TML_IR_MAX_DIMS], ends[TML_IR_MAX_DIMS], axes[TML_IR_MAX_DIMS],
        steps[TML_IR_MAX_DIMS];
    int n_starts, n_ends, n_axes = -1, n_steps = -1;
    if (c->opset < 10) {
        if ((st = onnx_attr_ints(c, "starts", starts, TML_IR_MAX_DIMS, &n_starts)) ||
            (st = onnx_attr_ints(c, "ends", ends, TML_IR_MAX_DIMS, &n_ends)) ||
            (st = onnx_attr_ints(c, "axes", axes, TML_IR_MAX_DIMS, &n_axes)))
            return st;
    } else {
        int32_t t[4];
        for (int i = 0; i < 4; i++)
            if ((st = onnx_in(c, i + 1, &t[i])) != TML_OK)
                return st;
        if (t[0] < 0 || t[1] < 0)
            return onnx_fail(c, TML_ERR_CORRUPT, "starts and ends are required");
        if ((st = onnx_const_ints(c, t[0], "starts", starts, TML_IR_MAX_DIMS, &n_starts)) ||
            (st = onnx_const_ints(c, t[1], "ends", ends, TML_IR_MAX_DIMS, &n_ends)) ||
            (t[2] >= 0 && (st = onnx_const_ints(c, t[2], "axes", axes, TML_IR_MAX_DIMS, &n_axes))) ||
            (t[3] >= 0 && (st = onnx_const_ints(c, t[3], "steps", steps, TML_IR_MAX_DIMS, &n_steps))))
            return st;
    }
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    if (n_starts < 0 || n_starts != n_ends || (n_axes >= 0 && n_axes != n_starts) ||
        (n_steps >= 0 && n_steps != n_starts))
        return onnx_fail(c, TML_ERR_CORRUPT, "starts, ends, axes and steps differ in length");
    int64_t begin[TML_IR_MAX_DIMS], stride[TML_IR_MAX_DIMS];
    int32_t dims[TML_IR_MAX_DIMS], perm[TML_IR_MAX_DIMS];
    bool seen[TML_IR_MAX_DIMS] = {false};
    for (int d = 0; d < rank; d++) {
        begin[d] = 0;
        stride[d] = 1;
        dims[d] = xt->dims[d];
        perm[d] = d;
    }
    for (int i = 0; i < n_starts; i++) {
        int32_t a = i;
        if (n_axes >= 0 && (st = onnx_axis(c, axes[i], rank, &a)) != TML_OK)
            return st;
        if (seen[a])
            return onnx_fail(c, TML_ERR_CORRUPT, "axis %d given twice", (int)a);
        seen[a] = true;
        int64_t dim = xt->dims[a], step = n_steps >= 0 ? steps[i] : 1;
        if (step == 0 || step < -INT32_MAX || step > INT32_MAX)
            return onnx_fail(c, TML_ERR_CORRUPT, "step %lld", (long long)step);
        int64_t s = starts[i], e = ends[i];
        if (s < 0)
            s += dim;
        if (e < 0)
            e += dim;
        int64_t len;
        if (step > 0) {
            s = clamp64(s, 0, dim);
            e = clamp64(e, 0, dim);
            len = e > s ? (e - s + step - 1) / step : 0;
        } else {
            s = clamp64(s, -1, dim - 1);
            e = clamp64(e, -1, dim - 1);
            len = s > e ? (s - e + (-step) - 1) / (-step) : 0;
        }
        begin[a] = len ? s : 0;
        stride[a] = step;
        dims[a] = (int32_t)len;
    }
    if (tml_ir_is_const(xt)) {
        size_t elem = tml_dtype_size(xt->dtype);
        size_t bytes = (size_t)onnx_prod(dims, 0, rank) * elem;
        uint8_t *out = tml_malloc(bytes + 1);
        if (!out)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        gather_bytes(xt->data, rank, xt->dims, perm, dims, begin, stride, elem, out);
        st = onnx_out_const(c, 0, xt->dtype, rank, dims, out, bytes);
        tml_free(out);
        return st;
    }
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    for (int d = 0; d < rank; d++) {
        attrs.slice.begin[d] = (int32_t)begin[d];
        attrs.slice.stride[d] = (int32_t)stride[d];
    }
    if ((st = onnx_out(c, 0, xt->dtype, rank, dims, &y)) != TML_OK)
        return st;
    return onnx_node(c, TML_OP_SLICE, &x, 1, &y, 1, &attrs);
}

tml_status_t onnx_conv_split(onnx_ctx_t *c)
{
    int32_t x;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    int n_out = (int)c->node->n_output;
    if (n_out < 1 || n_out > MAX_LIST)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%d outputs (1..%d supported)", n_out,
                         MAX_LIST);
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", 0, &axis_attr)) != TML_OK)
        return st;
    int32_t axis;
    if ((st = onnx_axis(c, axis_attr, rank, &axis)) != TML_OK)
        return st;
    int64_t split[MAX_LIST];
    int n_split = -1;
    if (c->opset < 13) {
        if ((st = onnx_attr_ints(c, "split", split, MAX_LIST, &n_split)) != TML_OK)
            return st;
        if (n_split < 0 && c->opset < 2) {
            int32_t ts;
            if ((st = onnx_in(c, 1, &ts)) != TML_OK)
                return st;
            if (ts >= 0 && (st = onnx_const_ints(c, ts, "split", split, MAX_LIST, &n_split)))
                return st;
        }
    } else {
        int32_t ts;
        if ((st = onnx_in(c, 1, &ts)) != TML_OK)
            return st;
        if (ts >= 0 && (st = onnx_const_ints(c, ts, "split", split, MAX_LIST, &n_split)))
            return st;
    }
    int32_t dim = xt->dims[axis];
    if (n_split < 0) {
        /* Equal parts; opset 18's num_outputs lets the last be smaller. */
        int64_t part = ((int64_t)dim + n_out - 1) / n_out;
        for (int i = 0; i < n_out; i++) {
            int64_t left = (int64_t)dim - part * i;
            split[i] = left < part ? (left > 0 ? left : 0) : part;
        }
        n_split = n_out;
    }
    if (n_split != n_out)
        return onnx_fail(c, TML_ERR_CORRUPT, "%d split sizes for %d outputs", n_split, n_out);
    int64_t sum = 0;
    for (int i = 0; i < n_out; i++) {
        if (split[i] < 0 || split[i] > dim)
            return onnx_fail(c, TML_ERR_CORRUPT, "split size %lld", (long long)split[i]);
        sum += split[i];
    }
    if (sum != dim)
        return onnx_fail(c, TML_ERR_CORRUPT, "split sizes add up to %lld, not %d",
                         (long long)sum, (int)dim);
    int32_t dims[TML_IR_MAX_DIMS], outs[MAX_LIST];
    tml_dtype_t dtype = xt->dtype;
    memcpy(dims, xt->dims, sizeof(dims));
    for (int i = 0; i < n_out; i++) {
        dims[axis] = (int32_t)split[i];
        if (!onnx_has_out(c, i)) {
            if ((st = onnx_tmp(c, "unused", dtype, rank, dims, &outs[i])) != TML_OK)
                return st;
        } else if ((st = onnx_out(c, i, dtype, rank, dims, &outs[i])) != TML_OK) {
            return st;
        }
    }
    tml_ir_attrs_t attrs = {.axis = {.axis = axis, .act = TML_ACT_NONE}};
    return onnx_node(c, TML_OP_SPLIT, &x, 1, outs, n_out, &attrs);
}

tml_status_t onnx_conv_shape(onnx_ctx_t *c)
{
    int32_t x;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) != TML_OK)
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    int rank = xt->n_dims;
    int64_t start, end;
    if ((st = onnx_attr_int(c, "start", 0, &start)) || (st = onnx_attr_int(c, "end", rank, &end)))
        return st;
    if (start < 0)
        start += rank;
    if (end < 0)
        end += rank;
    start = clamp64(start, 0, rank);
    end = clamp64(end, start, rank);
    int64_t v[TML_IR_MAX_DIMS];
    int32_t n = (int32_t)(end - start);
    for (int i = 0; i < n; i++)
        v[i] = xt->dims[start + i];
    /* Shapes are static: the answer is a constant. */
    return onnx_out_const(c, 0, TML_DT_I64, 1, &n, v, (size_t)n * 8);
}

tml_status_t onnx_conv_gather(onnx_ctx_t *c)
{
    int32_t x, idx;
    tml_status_t st;
    if ((st = onnx_in_req(c, 0, &x)) || (st = onnx_in_req(c, 1, &idx)))
        return st;
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (!tml_ir_is_const(xt))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "Gather is supported only on constants");
    int64_t ind[MAX_LIST];
    int n_ind;
    if ((st = onnx_const_ints(c, idx, "the indices", ind, MAX_LIST, &n_ind)) != TML_OK)
        return st;
    const tml_ir_tensor_t *it = onnx_t(c, idx);
    int64_t axis_attr;
    if ((st = onnx_attr_int(c, "axis", 0, &axis_attr)) != TML_OK)
        return st;
    int rank = xt->n_dims;
    int32_t axis;
    if ((st = onnx_axis(c, axis_attr, rank, &axis)) != TML_OK)
        return st;
    int out_rank = rank - 1 + it->n_dims;
    if (out_rank > TML_IR_MAX_DIMS)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "too many dims");
    int32_t dims[TML_IR_MAX_DIMS];
    int r = 0;
    for (int i = 0; i < axis; i++)
        dims[r++] = xt->dims[i];
    for (int i = 0; i < it->n_dims; i++)
        dims[r++] = it->dims[i];
    for (int i = axis + 1; i < rank; i++)
        dims[r++] = xt->dims[i];
    int64_t dim = xt->dims[axis];
    for (int i = 0; i < n_ind; i++) {
        if (ind[i] < -dim || ind[i] >= dim)
            return onnx_fail(c, TML_ERR_CORRUPT, "index %lld out of range", (long long)ind[i]);
        if (ind[i] < 0)
            ind[i] += dim;
    }
    size_t elem = tml_dtype_size(xt->dtype);
    int64_t outer = onnx_prod(xt->dims, 0, axis), inner = onnx_prod(xt->dims, axis + 1, rank);
    size_t chunk = (size_t)inner * elem, bytes = (size_t)outer * (size_t)n_ind * chunk;
    uint8_t *out = tml_malloc(bytes + 1);
    if (!out)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    size_t off = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int i = 0; i < n_ind; i++) {
            memcpy(out + off, xt->data + ((size_t)o * (size_t)dim + (size_t)ind[i]) * chunk, chunk);
            off += chunk;
        }
    st = onnx_out_const(c, 0, xt->dtype, out_rank, dims, out, bytes);
    tml_free(out);
    return st;
}

tml_status_t onnx_conv_cast(onnx_ctx_t *c)
{
    int32_t x;
    tml_status_t st;
    int64_t to;
    if ((st = onnx_in_req(c, 0, &x)) || (st = onnx_attr_int(c, "to", 0, &to)))
        return st;
    tml_dtype_t dtype = onnx_dtype((int32_t)to);
    const tml_ir_tensor_t *xt = onnx_t(c, x);
    if (dtype == xt->dtype)
        return onnx_out_alias(c, 0, x);
    bool numeric = dtype == TML_DT_F32 || dtype == TML_DT_I32 || dtype == TML_DT_I64;
    bool from_numeric = xt->dtype == TML_DT_F32 || xt->dtype == TML_DT_I32 ||
                        xt->dtype == TML_DT_I64;
    if (!tml_ir_is_const(xt) || !numeric || !from_numeric)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "Cast is supported only on constants between "
                         "float, int32 and int64");
    int64_t count = tml_ir_tensor_elems(xt);
    size_t bytes = (size_t)count * tml_dtype_size(dtype);
    uint8_t *out = tml_malloc(bytes + 1);
    if (!out)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    for (int64_t i = 0; i < count; i++) {
        double v;
        if (xt->dtype == TML_DT_F32) {
            float f;
            memcpy(&f, xt->data + 4 * i, 4);
            v = f;
        } else if (xt->dtype == TML_DT_I32) {
            int32_t w;
            memcpy(&w, xt->data + 4 * i, 4);
            v = w;
        } else {
            int64_t w;
            memcpy(&w, xt->data + 8 * i, 8);
            v = (double)w;
        }
        if (dtype == TML_DT_F32) {
            float f = (float)(fabs(v) > 3.4e38 ? (v > 0 ? 3.4e38 : -3.4e38) : v);
            memcpy(out + 4 * i, &f, 4);
        } else {
            if (!(v == v))
                v = 0;
            double lo = dtype == TML_DT_I32 ? -2147483648.0 : -9.2e18;
            double hi = dtype == TML_DT_I32 ? 2147483647.0 : 9.2e18;
            v = v < lo ? lo : v > hi ? hi : v;
            if (dtype == TML_DT_I32) {
                int32_t w = (int32_t)v;
                memcpy(out + 4 * i, &w, 4);
            } else {
                int64_t w = (int64_t)v;
                memcpy(out + 8 * i, &w, 8);
            }
        }
    }
    int32_t dims[TML_IR_MAX_DIMS];
    memcpy(dims, xt->dims, sizeof(dims));
    st = onnx_out_const(c, 0, dtype, xt->n_dims, dims, out, bytes);
    tml_free(out);
    return st;
}
