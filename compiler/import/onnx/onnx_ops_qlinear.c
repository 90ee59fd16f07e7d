/*
 * onnx_ops_qlinear.c - QLinearConv and QLinearMatMul.
 *
 * Each is rewritten as what it means in QDQ form: DequantizeLinear of the
 * activation and of the (constant) weights, the float Conv / MatMul, and
 * QuantizeLinear of the result; the converters of those ops do the work
 * (on stand-in nodes whose value names this file owns), and the driver's
 * QDQ folding (tml_quant_fold_qdq) later turns the group into one int8 op
 * with the model's own scales. The int32 bias of QLinearConv is
 * dequantized with x_scale * w_scale, the scale it is stored in.
 */
#include <stdio.h>
#include <string.h>

#include "onnx_internal.h"

/* A value name owned by the import (freed with the context). */
static char *own_name(onnx_ctx_t *c, const char *suffix)
{
    if (c->n_owned == c->cap_owned) {
        int cap = c->cap_owned ? c->cap_owned * 2 : 16;
        char **bigger = tml_realloc(c->owned, (size_t)cap * sizeof(char *));
        if (!bigger)
            return NULL;
        c->owned = bigger;
        c->cap_owned = cap;
    }
    const char *base = c->node->n_output > 0 && c->node->output[0] ? c->node->output[0] : "q";
    size_t len = strlen(base) + strlen(suffix) + 2;
    char *name = tml_malloc(len);
    if (!name)
        return NULL;
    snprintf(name, len, "%s/%s", base, suffix);
    c->owned[c->n_owned++] = name;
    return name;
}

/* Runs converter fn on a stand-in node with the given inputs, outputs and
 * attributes, named like the real node for messages. */
static tml_status_t run_as(onnx_ctx_t *c, onnx_convert_fn fn, char **in, size_t n_in, char **out,
                           size_t n_out, TmlOnnx__AttributeProto **attrs, size_t n_attrs)
{
    const onnx_node_t *real = c->node;
    onnx_node_t fake = *real;
    fake.input = in;
    fake.n_input = n_in;
    fake.output = out;
    fake.n_output = n_out;
    fake.attribute = attrs;
    fake.n_attribute = n_attrs;
    /* Each input and output is read once more than the table knows. */
    for (size_t i = 0; i < n_in; i++) {
        onnx_value_t *v = in[i][0] ? onnx_value_get(c, in[i]) : NULL;
        if (v)
            v->n_uses++;
    }
    for (size_t i = 0; i < n_out; i++) {
        onnx_value_t *v;
        if (onnx_value_add(c, out[i], &v) != TML_OK)
            return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
        v->n_uses++;
    }
    c->node = &fake;
    tml_status_t st = fn(c);
    c->node = real;
    return st;
}

static char *input_name(const onnx_ctx_t *c, size_t i)
{
    return i < c->node->n_input && c->node->input[i] ? c->node->input[i] : (char *)"";
}

/* DequantizeLinear(in[x], in[s], in[z]) -> a new value named suffix. */
static tml_status_t dequant(onnx_ctx_t *c, size_t x, size_t s, size_t z, int64_t axis,
                            const char *suffix, char **name)
{
    if (!(*name = own_name(c, suffix)))
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    char *in[3] = {input_name(c, x), input_name(c, s), input_name(c, z)};
    TmlOnnx__AttributeProto attr = TML_ONNX__ATTRIBUTE_PROTO__INIT, *attrs[1] = {&attr};
    attr.name = (char *)"axis";
    attr.has_type = 1;
    attr.type = TML_ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    attr.has_i = 1;
    attr.i = axis;
    return run_as(c, onnx_conv_dequantize, in, 3, name, 1, attrs, 1);
}

static tml_status_t requant_out(onnx_ctx_t *c, char *yf, size_t s, size_t z)
{
    char *in[3] = {yf, input_name(c, s), input_name(c, z)};
    char *out[1] = {c->node->output[0]};
    return run_as(c, onnx_conv_quantize, in, 3, out, 1, NULL, 0);
}

/* The float bias B * x_scale * w_scale[c] as a new constant value. */
static tml_status_t bias(onnx_ctx_t *c, char **name)
{
    int32_t b, xs, ws;
    tml_status_t st;
    if ((st = onnx_in_req(c, 8, &b)) || (st = onnx_in_req(c, 1, &xs)) || (st = onnx_in_req(c, 4, &ws)))
        return st;
    const tml_ir_tensor_t *bt = onnx_t(c, b), *xt = onnx_t(c, xs), *wt = onnx_t(c, ws);
    int64_t n = tml_ir_tensor_elems(bt), n_w = tml_ir_tensor_elems(wt);
    if (!tml_ir_is_const(bt) || bt->dtype != TML_DT_I32 || bt->n_dims != 1 ||
        !tml_ir_is_const(xt) || xt->dtype != TML_DT_F32 || tml_ir_tensor_elems(xt) != 1 ||
        !tml_ir_is_const(wt) || wt->dtype != TML_DT_F32 || (n_w != 1 && n_w != n))
        return onnx_fail(c, TML_ERR_UNSUPPORTED, "the bias must be a constant int32 vector "
                         "and the scales float constants (x per tensor)");
    float *v = tml_malloc((size_t)n * 4 + 4);
    if (!v)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    float x_scale, w_scale;
    memcpy(&x_scale, xt->data, 4);
    for (int64_t i = 0; i < n; i++) {
        int32_t q;
        memcpy(&q, bt->data + 4 * i, 4);
        memcpy(&w_scale, wt->data + 4 * (n_w == 1 ? 0 : i), 4);
        v[i] = (float)q * (x_scale * w_scale);
    }
    int32_t dims[1] = {(int32_t)n}, t;
    st = onnx_const(c, "bias", TML_DT_F32, 1, dims, v, (size_t)n * 4, &t);
    tml_free(v);
    if (st != TML_OK)
        return st;
    onnx_value_t *val;
    if (!(*name = own_name(c, "bias")) || onnx_value_add(c, *name, &val) != TML_OK)
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    val->tensor = t;
    return TML_OK;
}

tml_status_t onnx_conv_qlinear_conv(onnx_ctx_t *c)
{
    /* x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp[, B] */
    if (c->node->n_input < 8 || c->node->n_output != 1)
        return onnx_fail(c, TML_ERR_CORRUPT, "QLinearConv takes 8 or 9 inputs and one output");
    char *xf, *wf, *bf = (char *)"", *yf;
    tml_status_t st;
    if ((st = dequant(c, 0, 1, 2, 1, "x_float", &xf)) ||
        (st = dequant(c, 3, 4, 5, 0, "w_float", &wf)))
        return st;
    if (c->node->n_input > 8 && c->node->input[8] && c->node->input[8][0] &&
        (st = bias(c, &bf)) != TML_OK)
        return st;
    if (!(yf = own_name(c, "y_float")))
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    char *in[3] = {xf, wf, bf};
    if ((st = run_as(c, onnx_conv_conv, in, bf[0] ? 3 : 2, &yf, 1, c->node->attribute,
                     c->node->n_attribute)) != TML_OK)
        return st;
    return requant_out(c, yf, 6, 7);
}

tml_status_t onnx_conv_qlinear_matmul(onnx_ctx_t *c)
{
    /* a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp */
    if (c->node->n_input != 8 || c->node->n_output != 1)
        return onnx_fail(c, TML_ERR_CORRUPT, "QLinearMatMul takes 8 inputs and one output");
    char *af, *bf, *yf;
    tml_status_t st;
    /* b's per-column scales run along its last axis (1 for 2-D b). */
    if ((st = dequant(c, 0, 1, 2, 1, "a_float", &af)) ||
        (st = dequant(c, 3, 4, 5, -1, "b_float", &bf)))
        return st;
    if (!(yf = own_name(c, "y_float")))
        return onnx_fail(c, TML_ERR_NOMEM, "out of memory");
    char *in[2] = {af, bf};
    if ((st = run_as(c, onnx_conv_matmul, in, 2, &yf, 1, NULL, 0)) != TML_OK)
        return st;
    return requant_out(c, yf, 6, 7);
}
