/*
 * lower_add.c - ADD and MUL -> TML_K_ADD_S8/F32, TML_K_MUL_S8/F32.
 *
 * int8 params are computed as TFLM's add_common.cc / mul_common.cc Prepare:
 * ADD: left_shift 20, twice_max_input_scale = 2 * max(s1, s2), input
 * multipliers s_i / twice_max (below one), output multiplier twice_max /
 * (2^20 * s_out); MUL: one multiplier s1 * s2 / s_out. All in double from
 * the float scales; activation range as CalculateActivationRangeQuantized.
 */
#include <stdbool.h>
#include <string.h>

#include "lower_elem.h"
#include "../../runtime/kernels/tml_fixedpoint.h"

/* From this many output elements on, int8 ADD uses tabulated input rescales:
 * 2 KiB of tables buy two fixed-point multiplies per element. */
#define TML_ADD_LUT_MIN_ELEMS 1024

/* The output may take over an input of its own shape and dtype: element i
 * of that input is read only to produce element i of the output. */
static int32_t same_shape_input(const tml_ir_graph_t *g, const tml_ir_node_t *node)
{
    const tml_ir_tensor_t *o = &g->tensors[node->out[0]];
    for (int i = 0; i < 2; i++) {
        const tml_ir_tensor_t *t = &g->tensors[node->in[i]];
        if (t->dtype == o->dtype && t->n_dims == o->n_dims &&
            memcmp(t->dims, o->dims, sizeof(int32_t) * (size_t)o->n_dims) == 0 && !tml_ir_is_const(t))
            return i;
    }
    return -1;
}

/* Both strides of the output's dense layout (any on a dimension of 1). */
static bool dense(const int32_t *shape, const int32_t *stride)
{
    int32_t step = 1;
    for (int i = 3; i >= 0; i--) {
        if (shape[i] != 1 && stride[i] != step)
            return false;
        step *= shape[i];
    }
    return true;
}

/* ADD_S8_DSP's premises (tml/kernels/elementwise.h): a DSP target, dense
 * operands, tables within +-2^29, an output right shift of 1..21 and a
 * normalized output multiplier (>= 2^30, as TFLite makes them). */
static bool dsp_add_ok(const tml_lower_ctx_t *ctx, const tml_add_s8_params_t *p,
                       int32_t lut[2][256])
{
    if (!ctx->target || !(ctx->target->features & TML_FEAT_DSP) ||
        !dense(p->out_shape, p->in1_stride) || !dense(p->out_shape, p->in2_stride) ||
        p->out_shift < -21 || p->out_shift > -1 || p->out_mult < (1 << 30))
        return false;
    for (int i = 0; i < 2; i++)
        for (int v = 0; v < 256; v++)
            if (lut[i][v] > (1 << 29) || lut[i][v] < -(1 << 29))
                return false;
    return true;
}

static tml_status_t lower_binary(tml_lower_ctx_t *ctx, const tml_ir_node_t *node, int is_mul)
{
    int32_t in1, out;
    tml_status_t st = tml_lower_elem_io(ctx, node, 2, &in1, &out);
    if (st != TML_OK)
        return st;
    int32_t in2 = node->in[1];
    tml_dtype_t dtype = ctx->g->tensors[out].dtype;
    if (dtype != TML_DT_I8 && dtype != TML_DT_F32)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED, "no kernel for %s", tml_dtype_name(dtype));
    if ((st = tml_lower_elem_dtype(ctx, in1, dtype, "input 0")) != TML_OK ||
        (st = tml_lower_elem_dtype(ctx, in2, dtype, "input 1")) != TML_OK)
        return st;
    int32_t shape[4], s1[4], s2[4];
    if ((st = tml_lower_elem_bcast(ctx, in1, in2, out, shape, s1, s2)) != TML_OK)
        return st;
    const int32_t ins[2] = {in1, in2};
    const int32_t inplace = same_shape_input(ctx->g, node);
    tml_act_t act = node->attrs.act;

    if (dtype == TML_DT_F32) {
        tml_binary_f32_params_t p;
        memset(&p, 0, sizeof(p));
        memcpy(p.out_shape, shape, sizeof(shape));
        memcpy(p.in1_stride, s1, sizeof(s1));
        memcpy(p.in2_stride, s2, sizeof(s2));
        float lo, hi;
        tml_lower_act_range_f32(act, &lo, &hi);
        p.act_min_bits = tml_lower_f32_word(lo);
        p.act_max_bits = tml_lower_f32_word(hi);
        return tml_lower_emit(ctx, is_mul ? TML_K_MUL_F32 : TML_K_ADD_F32, ins, 2, &out, 1, &p,
                              sizeof(p), inplace);
    }

    float sc1, sc2, sco;
    int32_t zp1, zp2, zpo;
    if ((st = tml_lower_elem_quant(ctx, in1, "input 0", &sc1, &zp1)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, in2, "input 1", &sc2, &zp2)) != TML_OK ||
        (st = tml_lower_elem_quant(ctx, out, "output", &sco, &zpo)) != TML_OK)
        return st;
    int32_t act_min, act_max;
    tml_lower_act_range_s8(act, sco, zpo, &act_min, &act_max);

    if (is_mul) {
        tml_mul_s8_params_t p;
        memset(&p, 0, sizeof(p));
        memcpy(p.out_shape, shape, sizeof(shape));
        memcpy(p.in1_stride, s1, sizeof(s1));
        memcpy(p.in2_stride, s2, sizeof(s2));
        p.in1_offset = -zp1;
        p.in2_offset = -zp2;
        p.out_offset = zpo;
        tml_quantize_multiplier((double)sc1 * (double)sc2 / (double)sco, &p.out_mult, &p.out_shift);
        if (p.out_shift > 14)
            return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                                  "output scale too small for the inputs' (multiplier shift %d)",
                                  (int)p.out_shift);
        p.act_min = act_min;
        p.act_max = act_max;
        return tml_lower_emit(ctx, TML_K_MUL_S8, ins, 2, &out, 1, &p, sizeof(p), inplace);
    }

    tml_add_s8_params_t p;
    memset(&p, 0, sizeof(p));
    memcpy(p.out_shape, shape, sizeof(shape));
    memcpy(p.in1_stride, s1, sizeof(s1));
    memcpy(p.in2_stride, s2, sizeof(s2));
    p.in1_offset = -zp1;
    p.in2_offset = -zp2;
    p.out_offset = zpo;
    p.left_shift = 20;
    const double twice_max = 2.0 * (double)(sc1 > sc2 ? sc1 : sc2);
    tml_quantize_multiplier((double)sc1 / twice_max, &p.in1_mult, &p.in1_shift);
    tml_quantize_multiplier((double)sc2 / twice_max, &p.in2_mult, &p.in2_shift);
    tml_quantize_multiplier(twice_max / ((double)(1 << p.left_shift) * (double)sco), &p.out_mult,
                            &p.out_shift);
    if (p.out_shift > 0)
        return tml_lower_fail(ctx, TML_ERR_UNSUPPORTED,
                              "output scale %g too small for input scales %g, %g", (double)sco,
                              (double)sc1, (double)sc2);
    p.act_min = act_min;
    p.act_max = act_max;
    int64_t n = (int64_t)shape[0] * shape[1] * shape[2] * shape[3];
    if (n < TML_ADD_LUT_MIN_ELEMS)
        return tml_lower_emit(ctx, TML_K_ADD_S8, ins, 2, &out, 1, &p, sizeof(p), inplace);
    /* Large adds: rescale each input's 256 possible values here, once,
     * exactly as the kernel would per element (2 KiB of tables). */
    int32_t lut[2][256], lut_idx[2], dims[1] = {256};
    for (int v = -128; v < 128; v++) {
        lut[0][v + 128] = tml_mul_by_quantized_mul((v + p.in1_offset) * (1 << p.left_shift),
                                                   p.in1_mult, p.in1_shift);
        lut[1][v + 128] = tml_mul_by_quantized_mul((v + p.in2_offset) * (1 << p.left_shift),
                                                   p.in2_mult, p.in2_shift);
    }
    st = tml_lower_add_const(ctx, "lut1", TML_DT_I32, 1, dims, lut[0], sizeof(lut[0]), &lut_idx[0]);
    if (st == TML_OK)
        st = tml_lower_add_const(ctx, "lut2", TML_DT_I32, 1, dims, lut[1], sizeof(lut[1]), &lut_idx[1]);
    if (st != TML_OK)
        return st;
    int32_t ins4[4] = {ins[0], ins[1], lut_idx[0], lut_idx[1]};
    const tml_kernel_t kernel = dsp_add_ok(ctx, &p, lut) ? TML_K_ADD_S8_DSP : TML_K_ADD_S8_LUT;
    return tml_lower_emit(ctx, kernel, ins4, 4, &out, 1, &p, sizeof(p), inplace);
}

tml_status_t tml_lower_add(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_binary(ctx, node, 0);
}

tml_status_t tml_lower_mul(tml_lower_ctx_t *ctx, const tml_ir_node_t *node)
{
    return lower_binary(ctx, node, 1);
}
