/*
 * onnx_node.c - what every op converter uses: the current node's inputs,
 * outputs and attributes, node-scoped errors, and constant-input reading.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

static const char *node_name(const onnx_ctx_t *c)
{
    return c->node && c->node->name ? c->node->name : "";
}

static const char *node_type(const onnx_ctx_t *c)
{
    return c->node && c->node->op_type ? c->node->op_type : "?";
}

tml_status_t onnx_fail(onnx_ctx_t *c, tml_status_t status, const char *fmt, ...)
{
    char msg[TML_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return tml_err_set(c->err, status, "node %d '%s' (%s, opset %lld): %s", c->node_idx,
                       node_name(c), node_type(c), (long long)c->opset, msg);
}

int onnx_n_in(const onnx_ctx_t *c)
{
    return (int)c->node->n_input;
}

tml_status_t onnx_in(onnx_ctx_t *c, int i, int32_t *tensor)
{
    *tensor = -1;
    if (i < 0 || (size_t)i >= c->node->n_input || !c->node->input[i] || !c->node->input[i][0])
        return TML_OK;
    onnx_value_t *v = onnx_value_get(c, c->node->input[i]);
    if (!v || v->tensor < 0)
        return onnx_fail(c, TML_ERR_CORRUPT, "input %d '%s' is not computed before this node",
                         i, c->node->input[i]);
    *tensor = v->tensor;
    return TML_OK;
}

tml_status_t onnx_in_req(onnx_ctx_t *c, int i, int32_t *tensor)
{
    tml_status_t st = onnx_in(c, i, tensor);
    if (st == TML_OK && *tensor < 0)
        return onnx_fail(c, TML_ERR_CORRUPT, "input %d is missing", i);
    return st;
}

tml_ir_tensor_t *onnx_t(onnx_ctx_t *c, int32_t tensor)
{
    return &c->g->tensors[tensor];
}

bool onnx_has_out(const onnx_ctx_t *c, int i)
{
    return i >= 0 && (size_t)i < c->node->n_output && c->node->output[i] &&
           c->node->output[i][0];
}

static tml_status_t bind_out(onnx_ctx_t *c, int i, int32_t tensor)
{
    onnx_value_t *v;
    tml_status_t st = onnx_value_add(c, c->node->output[i], &v);
    if (st != TML_OK)
        return onnx_fail(c, st, "out of memory");
    if (v->tensor >= 0)
        return onnx_fail(c, TML_ERR_CORRUPT, "output '%s' is produced twice", v->name);
    v->tensor = tensor;
    return TML_OK;
}

bool onnx_dims_ok(int n_dims, const int32_t *dims)
{
    if (n_dims < 0 || n_dims > TML_IR_MAX_DIMS)
        return false;
    int64_t n = 1;
    for (int d = 0; d < n_dims; d++) {
        if (dims[d] < 0)
            return false;
        if (dims[d] && (n *= dims[d]) > ONNX_MAX_ELEMS)
            return false;
    }
    return true;
}

tml_status_t onnx_out(onnx_ctx_t *c, int i, tml_dtype_t dtype, int n_dims,
                      const int32_t *dims, int32_t *tensor)
{
    if (!onnx_has_out(c, i))
        return onnx_fail(c, TML_ERR_CORRUPT, "output %d is missing", i);
    if (!onnx_dims_ok(n_dims, dims))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "output %d: shape out of range", i);
    tml_status_t st = tml_ir_add_tensor(c->g, c->node->output[i], dtype, n_dims, dims, tensor);
    if (st != TML_OK)
        return onnx_fail(c, st, "cannot add output %d", i);
    return bind_out(c, i, *tensor);
}

tml_status_t onnx_out_const(onnx_ctx_t *c, int i, tml_dtype_t dtype, int n_dims,
                            const int32_t *dims, const void *data, size_t len)
{
    int32_t t;
    tml_status_t st = onnx_out(c, i, dtype, n_dims, dims, &t);
    if (st != TML_OK)
        return st;
    st = tml_ir_set_data(c->g, t, data, len);
    if (st != TML_OK)
        return onnx_fail(c, st, "cannot set constant output %d", i);
    return TML_OK;
}

tml_status_t onnx_out_alias(onnx_ctx_t *c, int i, int32_t tensor)
{
    if (!onnx_has_out(c, i))
        return TML_OK;
    return bind_out(c, i, tensor);
}

tml_status_t onnx_tmp(onnx_ctx_t *c, const char *suffix, tml_dtype_t dtype, int n_dims,
                      const int32_t *dims, int32_t *tensor)
{
    char name[256];
    const char *base = onnx_has_out(c, 0) ? c->node->output[0] : node_name(c);
    snprintf(name, sizeof(name), "%s/%s", base, suffix);
    if (!onnx_dims_ok(n_dims, dims))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "tensor %s: shape out of range", name);
    tml_status_t st = tml_ir_add_tensor(c->g, name, dtype, n_dims, dims, tensor);
    if (st != TML_OK)
        return onnx_fail(c, st, "cannot add tensor %s", name);
    return TML_OK;
}

tml_status_t onnx_const(onnx_ctx_t *c, const char *suffix, tml_dtype_t dtype, int n_dims,
                        const int32_t *dims, const void *data, size_t len, int32_t *tensor)
{
    tml_status_t st = onnx_tmp(c, suffix, dtype, n_dims, dims, tensor);
    if (st == TML_OK && (st = tml_ir_set_data(c->g, *tensor, data, len)) != TML_OK)
        return onnx_fail(c, st, "cannot set constant %s", suffix);
    return st;
}

tml_status_t onnx_node(onnx_ctx_t *c, tml_ir_op_t op, const int32_t *in, int n_in,
                       const int32_t *out, int n_out, const tml_ir_attrs_t *attrs)
{
    /* The runtime has no zero-byte tensors; empty results only exist as
     * folded constants. */
    for (int i = 0; i < n_out; i++)
        if (tml_ir_tensor_elems(onnx_t(c, out[i])) == 0)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "output %d would be an empty tensor", i);
    for (int i = 0; i < n_in; i++)
        if (in[i] >= 0 && tml_ir_tensor_elems(onnx_t(c, in[i])) == 0)
            return onnx_fail(c, TML_ERR_UNSUPPORTED, "input %d is an empty tensor", i);
    tml_status_t st = tml_ir_add_node(c->g, op, node_name(c), in, n_in, out, n_out, attrs, NULL);
    if (st != TML_OK)
        return onnx_fail(c, st, "cannot add node");
    return TML_OK;
}

tml_status_t onnx_reshape(onnx_ctx_t *c, int32_t src, int n_dims, const int32_t *dims,
                          const char *suffix, int32_t *dst)
{
    tml_ir_tensor_t *t = onnx_t(c, src);
    tml_dtype_t dtype = t->dtype;
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++)
        n *= dims[i];
    if (n != tml_ir_tensor_elems(t))
        return onnx_fail(c, TML_ERR_CORRUPT, "cannot reshape %lld elements to %lld",
                         (long long)tml_ir_tensor_elems(t), (long long)n);
    tml_status_t st;
    if (tml_ir_is_const(t)) {
        /* Folded: the same bytes under new dims. The source pointer is
         * re-read after adding the tensor (the array may move). */
        st = suffix ? onnx_tmp(c, suffix, dtype, n_dims, dims, dst)
                    : onnx_out(c, 0, dtype, n_dims, dims, dst);
        if (st != TML_OK)
            return st;
        t = onnx_t(c, src);
        st = tml_ir_set_data(c->g, *dst, t->data, t->data_len);
        if (st != TML_OK)
            return onnx_fail(c, st, "out of memory");
        return TML_OK;
    }
    st = suffix ? onnx_tmp(c, suffix, dtype, n_dims, dims, dst)
                : onnx_out(c, 0, dtype, n_dims, dims, dst);
    if (st != TML_OK)
        return st;
    /* Quantization parameters travel with the bytes. */
    t = onnx_t(c, src);
    if (t->quant.n == 1) {
        float scale = t->quant.scale[0];
        int32_t zp = t->quant.zero_point[0];
        if ((st = tml_ir_set_quant(c->g, *dst, 1, &scale, &zp, 0)) != TML_OK)
            return onnx_fail(c, st, "out of memory");
    }
    return onnx_node(c, TML_OP_RESHAPE, &src, 1, dst, 1, NULL);
}

const onnx_attr_t *onnx_attr(const onnx_ctx_t *c, const char *name)
{
    for (size_t i = 0; i < c->node->n_attribute; i++) {
        const onnx_attr_t *a = c->node->attribute[i];
        if (a->name && !strcmp(a->name, name))
            return a;
    }
    return NULL;
}

/* Attributes written before IR version 2 may lack `type`; accept the value
 * field that is present then. */
static bool attr_is(const onnx_attr_t *a, TmlOnnx__AttributeProto__AttributeType type, bool present)
{
    if (a->has_type)
        return a->type == type;
    return present;
}

tml_status_t onnx_attr_int(onnx_ctx_t *c, const char *name, int64_t def, int64_t *v)
{
    const onnx_attr_t *a = onnx_attr(c, name);
    *v = def;
    if (!a)
        return TML_OK;
    if (!attr_is(a, TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a->has_i))
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s is not an int", name);
    *v = a->i;
    return TML_OK;
}

tml_status_t onnx_attr_float(onnx_ctx_t *c, const char *name, float def, float *v)
{
    const onnx_attr_t *a = onnx_attr(c, name);
    *v = def;
    if (!a)
        return TML_OK;
    if (!attr_is(a, TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a->has_f))
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s is not a float", name);
    *v = a->f;
    return TML_OK;
}

tml_status_t onnx_attr_ints(onnx_ctx_t *c, const char *name, int64_t *v, int max, int *n)
{
    const onnx_attr_t *a = onnx_attr(c, name);
    *n = -1;
    if (!a)
        return TML_OK;
    if (!attr_is(a, TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a->n_ints > 0))
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s is not a list of ints", name);
    if (a->n_ints > (size_t)max)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "attribute %s has %zu values, at most %d",
                         name, a->n_ints, max);
    for (size_t i = 0; i < a->n_ints; i++)
        v[i] = a->ints[i];
    *n = (int)a->n_ints;
    return TML_OK;
}

tml_status_t onnx_attr_floats(onnx_ctx_t *c, const char *name, float *v, int max, int *n)
{
    const onnx_attr_t *a = onnx_attr(c, name);
    *n = -1;
    if (!a)
        return TML_OK;
    if (!attr_is(a, TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, a->n_floats > 0))
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s is not a list of floats", name);
    if (a->n_floats > (size_t)max)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "attribute %s has %zu values, at most %d",
                         name, a->n_floats, max);
    for (size_t i = 0; i < a->n_floats; i++)
        v[i] = a->floats[i];
    *n = (int)a->n_floats;
    return TML_OK;
}

tml_status_t onnx_attr_string(onnx_ctx_t *c, const char *name, const char *def, char *buf,
                              size_t buf_len)
{
    const onnx_attr_t *a = onnx_attr(c, name);
    if (!a) {
        snprintf(buf, buf_len, "%s", def);
        return TML_OK;
    }
    if (!attr_is(a, TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a->has_s))
        return onnx_fail(c, TML_ERR_CORRUPT, "attribute %s is not a string", name);
    size_t n = a->s.len < buf_len - 1 ? a->s.len : buf_len - 1;
    if (n)
        memcpy(buf, a->s.data, n);
    buf[n] = '\0';
    return TML_OK;
}

tml_status_t onnx_const_ints(onnx_ctx_t *c, int32_t tensor, const char *what, int64_t *v,
                             int max, int *n)
{
    const tml_ir_tensor_t *t = onnx_t(c, tensor);
    if (!tml_ir_is_const(t))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%s must be a constant", what);
    if (t->dtype != TML_DT_I64 && t->dtype != TML_DT_I32)
        return onnx_fail(c, TML_ERR_CORRUPT, "%s must be int64 or int32, not %s", what,
                         tml_dtype_name(t->dtype));
    int64_t count = tml_ir_tensor_elems(t);
    if (count > max)
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%s has %lld values, at most %d", what,
                         (long long)count, max);
    for (int64_t i = 0; i < count; i++) {
        if (t->dtype == TML_DT_I64) {
            memcpy(&v[i], t->data + 8 * i, 8);
        } else {
            int32_t x;
            memcpy(&x, t->data + 4 * i, 4);
            v[i] = x;
        }
    }
    *n = (int)count;
    return TML_OK;
}

tml_status_t onnx_const_float(onnx_ctx_t *c, int32_t tensor, const char *what, float *v)
{
    const tml_ir_tensor_t *t = onnx_t(c, tensor);
    if (!tml_ir_is_const(t))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "%s must be a constant", what);
    if (t->dtype != TML_DT_F32 || tml_ir_tensor_elems(t) != 1)
        return onnx_fail(c, TML_ERR_CORRUPT, "%s must be one float", what);
    memcpy(v, t->data, 4);
    return TML_OK;
}

tml_status_t onnx_axis(onnx_ctx_t *c, int64_t axis, int rank, int32_t *out)
{
    if (axis < -rank || axis >= (rank > 0 ? rank : 1))
        return onnx_fail(c, TML_ERR_CORRUPT, "axis %lld is out of range for rank %d",
                         (long long)axis, rank);
    *out = (int32_t)(axis < 0 ? axis + rank : axis);
    return TML_OK;
}

int64_t onnx_prod(const int32_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= dims[i];
    return p;
}

tml_status_t onnx_dim(onnx_ctx_t *c, int64_t v, const char *what, int32_t *out)
{
    if (v < 0 || v > INT32_MAX)
        return onnx_fail(c, TML_ERR_CORRUPT, "%s would be %lld", what, (long long)v);
    *out = (int32_t)v;
    return TML_OK;
}
