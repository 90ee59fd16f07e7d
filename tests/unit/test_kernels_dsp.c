/*
 * test_kernels_dsp.c - the int8 kernels for cores with the DSP extension
 * (CONV2D_S8_DSP, CONV2D_DIRECT_S8_DSP, CONV2D_4PX_S8_DSP, CONV2D_4PX_OUT_S8_DSP,
 * CONV2D_1X1_S8_DSP, DWCONV2D_S8_DSP, DWCONV2D_3X3_S8_DSP, FC_S8_DSP, CONV2D_S8_DSPW,
 * CONV2D_1X1_S8_DSPW) equal the
 * reference kernels byte for byte on many random shapes and params
 * (strides, dilations, pads, odd channel counts, positive and negative
 * shifts, activation ranges, absent biases), on the host, where portable C
 * stands in for the SIMD instructions. The weights go through the
 * compiler's own re-ordering and bias folding (tml_lower_dsp_*), and each
 * kernel runs through its op descriptor (check, then eval), so each case
 * also proves the load-time check accepts a consistent op; a few
 * inconsistent ops must be refused.
 */
#include <stdbool.h>

#include "tml_test.h"
#include "tml/kernels.h"
#include "tml/lower.h"
#include "../../runtime/ops/ops.h"

#define N_CASES 400

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}
/* uniform in [lo, hi] */
static int32_t rnd_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1));
}
static void fill_s8(int8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (int8_t)rnd_in(-128, 127);
}

typedef struct call {
    tml_op_ctx_t ctx;
    tml_pkg_tensor_t t[TML_OP_MAX_OPERANDS];
} call_t;

static void arg(call_t *c, uint32_t i, uint32_t dtype, uint32_t elems, void *data, bool constant)
{
    tml_pkg_tensor_t *t = &c->t[i];
    memset(t, 0, sizeof(*t));
    t->dtype = (uint8_t)dtype;
    t->n_dims = 1;
    for (int d = 0; d < TML_PKG_MAX_DIMS; d++)
        t->dims[d] = 1;
    t->dims[0] = (int32_t)elems;
    t->storage = constant ? TML_PKG_CONST : TML_PKG_ARENA;
    t->byte_len = elems * tml_dtype_size(dtype);
    c->ctx.t[i] = t;
    c->ctx.data[i] = data;
}

/* Per-channel requantization params: mult in [2^30, 2^31), mostly
 * right shifts, sometimes left. */
static void fill_requant(int32_t *mult, int32_t *shift, int32_t n)
{
    for (int32_t i = 0; i < n; i++) {
        mult[i] = (int32_t)(0x40000000u + (rnd() << 6 | (rnd() & 63)) % 0x40000000u);
        shift[i] = rnd() % 8 == 0 ? rnd_in(0, 3) : rnd_in(-14, -1);
    }
}

static void act_range(int32_t *lo, int32_t *hi)
{
    *lo = rnd() % 2 ? -128 : rnd_in(-128, 20);
    *hi = rnd() % 2 ? 127 : rnd_in(*lo, 127);
}

/* Geometry of one random axis: out from in, k, stride, dilation, pads. */
static bool axis(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t *pb, int32_t *pa,
                 int32_t *out, bool allow_pad)
{
    int32_t eff = (k - 1) * dil + 1;
    *pb = allow_pad ? rnd_in(0, eff - 1) : 0;
    *pa = allow_pad ? rnd_in(0, eff - 1) : 0;
    int32_t span = in + *pb + *pa;
    if (span < eff)
        return false;
    *out = (span - eff) / stride + 1;
    return true;
}

typedef enum { CONV, CONV_1X1, DWCONV, CONV_DIRECT, CONV_4PX, CONV_4PX_OUT, DWCONV_3X3 } conv_kind_t;

static bool random_conv(tml_conv_params_t *p, conv_kind_t kind)
{
    memset(p, 0, sizeof(*p));
    p->n = rnd_in(1, 2);
    p->in_h = rnd_in(1, 9);
    p->in_w = rnd_in(1, 9);
    if (kind == DWCONV_3X3) { /* longer than its tiles (26 or 13) either way */
        p->in_h = rnd() % 4 == 0 ? rnd_in(10, 60) : rnd_in(1, 9);
        p->in_w = rnd() % 4 == 0 ? rnd_in(10, 60) : rnd_in(1, 9);
    }
    p->in_c = kind == CONV || kind == DWCONV || kind == DWCONV_3X3 ? rnd_in(1, 13)
                                                                   : 4 * rnd_in(1, 5);
    if (kind == CONV_DIRECT && rnd() % 3 == 0) /* in_c 4 with k_w * 4 > 64: zp blocks */
        p->in_c = 4 * rnd_in(5, 9);
    const bool px4 = kind == CONV_4PX || kind == CONV_4PX_OUT;
    if (px4 && rnd() % 2) { /* the IC layers: 3x3, pad 1, stride 1 or 2 */
        p->in_h = rnd_in(2, 11);
        p->in_w = rnd_in(2, 11);
        p->in_c = 4 * rnd_in(1, 8);
        p->out_c = rnd_in(1, 20);
        p->k_h = p->k_w = 3;
        p->stride_h = p->stride_w = rnd_in(1, 2);
        p->dilation_h = p->dilation_w = p->depth_multiplier = 1;
        p->pad_top = p->pad_left = 1;
        p->pad_bottom = p->pad_right = rnd_in(0, 1);
        p->out_h = (p->in_h + 1 + p->pad_bottom - 3) / p->stride_h + 1;
        p->out_w = (p->in_w + 1 + p->pad_right - 3) / p->stride_w + 1;
        p->input_offset = rnd_in(-127, 128);
        p->output_offset = rnd_in(-128, 127);
        act_range(&p->act_min, &p->act_max);
        return true;
    }
    p->out_c = kind == DWCONV || kind == DWCONV_3X3 ? p->in_c : rnd_in(1, 11);
    p->k_h = kind == CONV_1X1 ? 1 : rnd_in(1, 4);
    p->k_w = kind == CONV_1X1 ? 1 : rnd_in(1, 4);
    if ((kind == DWCONV && rnd() % 2) || kind == DWCONV_3X3)
        p->k_h = p->k_w = 3;
    const int32_t max_stride = kind == DWCONV_3X3 ? 2 : 3;
    p->stride_h = rnd_in(1, max_stride);
    p->stride_w = rnd_in(1, max_stride);
    const bool no_dil = kind == CONV_1X1 || kind == CONV_DIRECT || px4 || kind == DWCONV_3X3;
    p->dilation_h = no_dil ? 1 : rnd_in(1, 2);
    p->dilation_w = no_dil ? 1 : rnd_in(1, 2);
    p->depth_multiplier = 1;
    bool pad = kind != CONV_1X1;
    if (!axis(p->in_h, p->k_h, p->stride_h, p->dilation_h, &p->pad_top, &p->pad_bottom,
              &p->out_h, pad) ||
        !axis(p->in_w, p->k_w, p->stride_w, p->dilation_w, &p->pad_left, &p->pad_right,
              &p->out_w, pad))
        return false;
    p->input_offset = rnd_in(-127, 128);
    p->output_offset = rnd_in(-128, 127);
    act_range(&p->act_min, &p->act_max);
    return true;
}

static void run_conv_case(conv_kind_t kind)
{
    tml_conv_params_t p;
    while (!random_conv(&p, kind)) {
    }
    const int32_t taps = p.k_h * p.k_w;
    const bool dw = kind == DWCONV || kind == DWCONV_3X3;
    const int32_t k = dw ? taps : taps * p.in_c;
    const size_t in_len = (size_t)(p.n * p.in_h * p.in_w * p.in_c);
    const size_t out_len = (size_t)(p.n * p.out_h * p.out_w * p.out_c);
    size_t w_len = (size_t)(dw ? taps * p.out_c : p.out_c * k);
    const int32_t k_pad = (k + 3) & ~3;
    int8_t *in = tml_malloc(in_len), *w = tml_malloc(w_len);
    int8_t *want = tml_malloc(out_len), *got = tml_malloc(out_len);
    int32_t *mult = tml_malloc((size_t)p.out_c * 4), *shift = tml_malloc((size_t)p.out_c * 4);
    int32_t *bias = tml_malloc((size_t)p.out_c * 4), *folded = tml_malloc((size_t)p.out_c * 4);
    fill_s8(in, in_len);
    fill_s8(w, w_len);
    fill_requant(mult, shift, p.out_c);
    if (kind == DWCONV_3X3) /* its right shifts: 1..TML_DW3_MAX_RSHIFT */
        for (int32_t i = 0; i < p.out_c; i++)
            shift[i] = rnd() % 8 == 0 ? -rnd_in(15, TML_DW3_MAX_RSHIFT) : rnd_in(-14, -1);
    bool has_bias = rnd() % 4 != 0;
    for (int32_t i = 0; i < p.out_c; i++)
        bias[i] = rnd_in(-100000, 100000);
    if (dw)
        tml_dwconv2d_s8(&p, in, w, mult, shift, has_bias ? bias : NULL, want);
    else
        tml_conv2d_s8(&p, in, w, mult, shift, has_bias ? bias : NULL, want);

    void *wd;
    uint32_t w_dtype, w_elems;
    if (kind == DWCONV_3X3) {
        w_len = (size_t)((p.out_c + 3) / 4 * 48);
        int16_t *w16 = tml_malloc(w_len * 2);
        tml_lower_dsp_dw3x3_weights(w, p.out_c, w16);
        tml_lower_dsp_fold_bias(w, p.out_c, taps, 1, p.out_c, has_bias ? bias : NULL,
                                p.input_offset, folded);
        for (int32_t i = 0; i < p.out_c; i++)
            folded[i] *= 2;
        wd = w16;
        w_dtype = TML_DT_I16;
        w_elems = (uint32_t)w_len;
    } else if (kind == DWCONV) {
        w_len = (size_t)(taps * ((p.out_c + 3) & ~3)); /* padded to 4 channels */
        int16_t *w16 = tml_malloc(w_len * 2);
        tml_lower_dsp_dw_weights(w, taps, p.out_c, w16);
        tml_lower_dsp_fold_bias(w, p.out_c, taps, 1, p.out_c, has_bias ? bias : NULL,
                                p.input_offset, folded);
        wd = w16;
        w_dtype = TML_DT_I16;
        w_elems = (uint32_t)w_len;
    } else {
        int8_t *wi = tml_malloc((size_t)(p.out_c * k_pad));
        if (kind == CONV_4PX || kind == CONV_4PX_OUT)
            tml_lower_dsp_cross(w, p.out_c, k, wi);
        else
            tml_lower_dsp_interleave(w, p.out_c, k, k_pad, 2, wi);
        tml_lower_dsp_fold_bias(w, p.out_c, k, k, 1, has_bias ? bias : NULL, p.input_offset,
                                folded);
        wd = wi;
        w_dtype = TML_DT_I8;
        w_elems = (uint32_t)(p.out_c * k_pad);
    }
    uint32_t kernel = kind == DWCONV_3X3 ? TML_K_DWCONV2D_3X3_S8_DSP
                      : kind == DWCONV ? TML_K_DWCONV2D_S8_DSP
                      : kind == CONV ? TML_K_CONV2D_S8_DSP
                      : kind == CONV_DIRECT ? TML_K_CONV2D_DIRECT_S8_DSP
                      : kind == CONV_4PX    ? TML_K_CONV2D_4PX_S8_DSP
                      : kind == CONV_4PX_OUT ? TML_K_CONV2D_4PX_OUT_S8_DSP
                                     : TML_K_CONV2D_1X1_S8_DSP;
    const tml_op_desc_t *d = tml_op_find(kernel);
    assert_non_null(d);
    call_t c;
    memset(&c, 0, sizeof(c));
    c.ctx.params = (const int32_t *)&p;
    c.ctx.n_in = 5;
    const bool has_scratch = kind == CONV || kind == CONV_4PX;
    c.ctx.n_out = has_scratch ? 2 : 1;
    uint32_t scratch_len = kind == CONV       ? tml_conv2d_s8_dsp_scratch_size(&p)
                           : kind == CONV_4PX ? tml_conv2d_4px_s8_dsp_scratch_size(&p)
                                              : 0;
    int8_t *scratch = tml_malloc(scratch_len ? scratch_len : 1);
    arg(&c, 0, TML_DT_I8, (uint32_t)in_len, in, false);
    arg(&c, 1, w_dtype, w_elems, wd, true);
    arg(&c, 2, TML_DT_I32, (uint32_t)p.out_c, mult, true);
    arg(&c, 3, TML_DT_I32, (uint32_t)p.out_c, shift, true);
    arg(&c, 4, TML_DT_I32, (uint32_t)p.out_c, folded, true);
    arg(&c, 5, TML_DT_I8, (uint32_t)out_len, got, false);
    if (has_scratch)
        arg(&c, 6, TML_DT_I8, scratch_len, scratch, false);
    assert_int_equal(d->check(&c.ctx), TML_OK);
    memset(got, 0x5A, out_len);
    d->eval(&c.ctx);
    if (memcmp(want, got, out_len) != 0) {
        for (size_t i = 0; i < out_len; i++)
            if (want[i] != got[i])
                fail_msg("%s n%d %dx%dx%d -> %dx%dx%d k%dx%d s%d,%d d%d,%d pad %d,%d,%d,%d: "
                         "byte %zu is %d, reference %d",
                         d->name, p.n, p.in_h, p.in_w, p.in_c, p.out_h, p.out_w, p.out_c, p.k_h,
                         p.k_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_top,
                         p.pad_left, p.pad_bottom, p.pad_right, i, want[i], got[i]);
    }

    /* Refusals: no bias; misaligned weights; scratch too small. */
    call_t bad = c;
    bad.ctx.n_in = 4;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    bad = c;
    bad.ctx.data[1] = (int8_t *)wd + 2;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    if (kind == DWCONV_3X3) { /* a shift it cannot take; a bias beyond its bound */
        int32_t keep = shift[0];
        shift[0] = rnd() % 2 ? 0 : -TML_DW3_MAX_RSHIFT - 1;
        assert_int_not_equal(d->check(&c.ctx), TML_OK);
        shift[0] = keep;
        keep = folded[0];
        folded[0] = TML_DW3_MAX_BIAS2 + 1;
        assert_int_not_equal(d->check(&c.ctx), TML_OK);
        folded[0] = keep;
        assert_int_equal(d->check(&c.ctx), TML_OK);
    }
    if (has_scratch) {
        bad = c;
        bad.t[6].byte_len = scratch_len - 1;
        bad.ctx.t[6] = &bad.t[6];
        assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    }
    if (kind == CONV_4PX) { /* the int16 pairs of the scratch need 4-byte alignment */
        bad = c;
        bad.ctx.data[6] = scratch + 2;
        assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    }
    if (kind == CONV_4PX_OUT) { /* and so does the output that holds them */
        bad = c;
        bad.ctx.data[5] = got + 1;
        assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    }
    tml_free(scratch);
    tml_free(wd);
    tml_free(in);
    tml_free(w);
    tml_free(want);
    tml_free(got);
    tml_free(mult);
    tml_free(shift);
    tml_free(bias);
    tml_free(folded);
}

static void test_conv2d_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(CONV);
}

static void test_conv2d_1x1_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(CONV_1X1);
}

static void test_conv2d_direct_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(CONV_DIRECT);
}

static void test_conv2d_4px_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(CONV_4PX);
}

/* Shapes where the output holds the widened windows (4-pixel groups, then
 * the pixels over them one at a time) and where it is too small for them. */
static void test_conv2d_4px_out_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(CONV_4PX_OUT);
}

static void test_dwconv2d_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_conv_case(DWCONV);
}

/* CONV2D_S8_DSPW (one: false) and CONV2D_1X1_S8_DSPW (one: true) against
 * the reference on random geometry: odd channel counts, k not a multiple
 * of 4 or 8, odd pixel counts, strides, pads, dilations; outputs large
 * enough for the 1x1 kernel to widen in the borrowed end of its output
 * and small ones where every pixel takes its path without widening. The
 * records come from tml_lower_dsp_rq_records (mult >= 2^30, right shifts
 * 1..21, as TFLite's). */
static void run_convw_case(bool one)
{
    tml_conv_params_t p;
    while (!random_conv(&p, one ? CONV_1X1 : CONV)) {
    }
    if (one && rnd() % 2) /* wide rows: k of 4 * 5..16 */
        p.in_c = 4 * rnd_in(5, 16);
    const int32_t k = p.k_h * p.k_w * p.in_c, k_pad = (k + 3) & ~3;
    const size_t in_len = (size_t)(p.n * p.in_h * p.in_w * p.in_c);
    const size_t out_len = (size_t)(p.n * p.out_h * p.out_w * p.out_c);
    int8_t *in = tml_malloc(in_len), *w = tml_malloc((size_t)(p.out_c * k));
    int8_t *wi = tml_malloc((size_t)(p.out_c * k_pad));
    int8_t *want = tml_malloc(out_len), *got = tml_malloc(out_len);
    int32_t *mult = tml_malloc((size_t)p.out_c * 4), *shift = tml_malloc((size_t)p.out_c * 4);
    int32_t *bias = tml_malloc((size_t)p.out_c * 4), *folded = tml_malloc((size_t)p.out_c * 4);
    int32_t *rq = tml_malloc((size_t)p.out_c * TML_DSP_RQ_LEN * 4);
    fill_s8(in, in_len);
    fill_s8(w, (size_t)(p.out_c * k));
    fill_requant(mult, shift, p.out_c);
    for (int32_t i = 0; i < p.out_c; i++)
        shift[i] = rnd_in(-TML_DSP_RQ_MAX_SHIFT, -1);
    bool has_bias = rnd() % 4 != 0;
    for (int32_t i = 0; i < p.out_c; i++)
        bias[i] = rnd_in(-100000, 100000);
    tml_conv2d_s8(&p, in, w, mult, shift, has_bias ? bias : NULL, want);
    tml_lower_dsp_interleave(w, p.out_c, k, k_pad, 2, wi);
    tml_lower_dsp_fold_bias(w, p.out_c, k, k, 1, has_bias ? bias : NULL, p.input_offset, folded);
    assert_true(tml_lower_dsp_rq_records(folded, mult, shift, p.out_c, p.out_c, rq));

    const tml_op_desc_t *d =
        tml_op_find(one ? TML_K_CONV2D_1X1_S8_DSPW : TML_K_CONV2D_S8_DSPW);
    assert_non_null(d);
    call_t c;
    memset(&c, 0, sizeof(c));
    c.ctx.params = (const int32_t *)&p;
    c.ctx.n_in = 3;
    c.ctx.n_out = one ? 1 : 2;
    uint32_t scratch_len = one ? 0 : tml_conv2d_s8_dspw_scratch_size(&p);
    int8_t *scratch = tml_malloc(scratch_len ? scratch_len : 1);
    arg(&c, 0, TML_DT_I8, (uint32_t)in_len, in, false);
    arg(&c, 1, TML_DT_I8, (uint32_t)(p.out_c * k_pad), wi, true);
    arg(&c, 2, TML_DT_I32, (uint32_t)(p.out_c * TML_DSP_RQ_LEN), rq, true);
    arg(&c, 3, TML_DT_I8, (uint32_t)out_len, got, false);
    if (!one)
        arg(&c, 4, TML_DT_I8, scratch_len, scratch, false);
    assert_int_equal(d->check(&c.ctx), TML_OK);
    memset(got, 0x5A, out_len);
    d->eval(&c.ctx);
    for (size_t i = 0; i < out_len; i++)
        if (want[i] != got[i])
            fail_msg("%s n%d %dx%dx%d -> %dx%dx%d k%dx%d s%d,%d d%d,%d pad %d,%d,%d,%d: "
                     "byte %zu is %d, reference %d",
                     d->name, p.n, p.in_h, p.in_w, p.in_c, p.out_h, p.out_w, p.out_c, p.k_h,
                     p.k_w, p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_top,
                     p.pad_left, p.pad_bottom, p.pad_right, i, want[i], got[i]);

    /* Refusals: a record's shift or multiplier out of range, misaligned
     * weights, the old operand list, scratch too small or misaligned. */
    call_t bad = c;
    int32_t r0[TML_DSP_RQ_LEN];
    memcpy(r0, rq, sizeof(r0));
    rq[TML_DSP_RQ_SHIFT] = rnd() % 2 ? 0 : TML_DSP_RQ_MAX_SHIFT + 1;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    memcpy(rq, r0, sizeof(r0));
    rq[TML_DSP_RQ_MULT2] = 0x40000000;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    memcpy(rq, r0, sizeof(r0));
    bad.ctx.data[1] = wi + 2;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    bad = c;
    bad.ctx.n_in = 5;
    assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    if (!one) {
        bad = c;
        bad.t[4].byte_len = scratch_len - 1;
        bad.ctx.t[4] = &bad.t[4];
        assert_int_not_equal(d->check(&bad.ctx), TML_OK);
        bad = c;
        bad.ctx.data[4] = scratch + 1;
        assert_int_not_equal(d->check(&bad.ctx), TML_OK);
    }
    assert_int_equal(d->check(&c.ctx), TML_OK);
    tml_free(scratch);
    tml_free(in);
    tml_free(w);
    tml_free(wi);
    tml_free(want);
    tml_free(got);
    tml_free(mult);
    tml_free(shift);
    tml_free(bias);
    tml_free(folded);
    tml_free(rq);
}

static void test_conv2d_dspw(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_convw_case(false);
}

static void test_conv2d_1x1_dspw(void **state)
{
    (void)state;
    for (int i = 0; i < N_CASES; i++)
        run_convw_case(true);
}

/* Records exist only for TFLite-range multipliers and right shifts. */
static void test_rq_records_ranges(void **state)
{
    (void)state;
    const int32_t folded[1] = {1000};
    int32_t rq[TML_DSP_RQ_LEN];
    int32_t mult = 0x40000000, shift = -1;
    assert_true(tml_lower_dsp_rq_records(folded, &mult, &shift, 1, 1, rq));
    assert_int_equal(rq[TML_DSP_RQ_BIAS], 1000);
    assert_int_equal(rq[TML_DSP_RQ_MULT2], INT32_MIN);
    assert_int_equal(rq[TML_DSP_RQ_ROUND], 1);
    assert_int_equal(rq[TML_DSP_RQ_SHIFT], 1);
    shift = -TML_DSP_RQ_MAX_SHIFT;
    assert_true(tml_lower_dsp_rq_records(folded, &mult, &shift, 1, 1, rq));
    assert_int_equal(rq[TML_DSP_RQ_ROUND], 1 << 29);
    shift = -TML_DSP_RQ_MAX_SHIFT - 1;
    assert_false(tml_lower_dsp_rq_records(folded, &mult, &shift, 1, 1, rq));
    shift = 0;
    assert_false(tml_lower_dsp_rq_records(folded, &mult, &shift, 1, 1, rq));
    shift = -3;
    mult = 0x3FFFFFFF;
    assert_false(tml_lower_dsp_rq_records(folded, &mult, &shift, 1, 1, rq));
}

static void test_dwconv2d_3x3_dsp(void **state)
{
    (void)state;
    for (int i = 0; i < 2 * N_CASES; i++)
        run_conv_case(DWCONV_3X3);
}

static void test_fc_dsp(void **state)
{
    (void)state;
    for (int n = 0; n < N_CASES; n++) {
        tml_fc_params_t p = {.batches = rnd_in(1, 3), .n_in = 4 * rnd_in(1, 40),
                             .n_out = rnd_in(1, 13)};
        p.per_channel = (int32_t)(rnd() % 2);
        p.input_offset = rnd_in(-127, 128);
        p.output_offset = rnd_in(-128, 127);
        act_range(&p.act_min, &p.act_max);
        const size_t in_len = (size_t)(p.batches * p.n_in), out_len = (size_t)(p.batches * p.n_out);
        const size_t w_len = (size_t)(p.n_in * p.n_out);
        const int32_t n_q = p.per_channel ? p.n_out : 1;
        int8_t *in = tml_malloc(in_len), *w = tml_malloc(w_len), *wi = tml_malloc(w_len);
        int8_t *want = tml_malloc(out_len), *got = tml_malloc(out_len);
        int32_t *mult = tml_malloc((size_t)n_q * 4), *shift = tml_malloc((size_t)n_q * 4);
        int32_t *bias = tml_malloc((size_t)p.n_out * 4), *folded = tml_malloc((size_t)p.n_out * 4);
        fill_s8(in, in_len);
        fill_s8(w, w_len);
        fill_requant(mult, shift, n_q);
        bool has_bias = rnd() % 4 != 0;
        for (int32_t i = 0; i < p.n_out; i++)
            bias[i] = rnd_in(-100000, 100000);
        tml_fc_s8(&p, in, w, mult, shift, has_bias ? bias : NULL, want);
        tml_lower_dsp_interleave(w, p.n_out, p.n_in, p.n_in, 4, wi);
        tml_lower_dsp_fold_bias(w, p.n_out, p.n_in, p.n_in, 1, has_bias ? bias : NULL,
                                p.input_offset, folded);
        const tml_op_desc_t *d = tml_op_find(TML_K_FC_S8_DSP);
        assert_non_null(d);
        call_t c;
        memset(&c, 0, sizeof(c));
        c.ctx.params = (const int32_t *)&p;
        c.ctx.n_in = 5;
        c.ctx.n_out = 1;
        arg(&c, 0, TML_DT_I8, (uint32_t)in_len, in, false);
        arg(&c, 1, TML_DT_I8, (uint32_t)w_len, wi, true);
        arg(&c, 2, TML_DT_I32, (uint32_t)n_q, mult, true);
        arg(&c, 3, TML_DT_I32, (uint32_t)n_q, shift, true);
        arg(&c, 4, TML_DT_I32, (uint32_t)p.n_out, folded, true);
        arg(&c, 5, TML_DT_I8, (uint32_t)out_len, got, false);
        assert_int_equal(d->check(&c.ctx), TML_OK);
        d->eval(&c.ctx);
        assert_memory_equal(want, got, out_len);
        /* weights_offset is not supported: refused */
        tml_fc_params_t q = p;
        q.weights_offset = 3;
        c.ctx.params = (const int32_t *)&q;
        assert_int_not_equal(d->check(&c.ctx), TML_OK);
        tml_free(in);
        tml_free(w);
        tml_free(wi);
        tml_free(want);
        tml_free(got);
        tml_free(mult);
        tml_free(shift);
        tml_free(bias);
        tml_free(folded);
    }
}

/* The requantization shortcut of tml_dsp.h ((a * b + 2^30) >> 31 for
 * SaturatingRoundingDoublingHighMul) on extreme accumulators: INT32_MIN,
 * INT32_MAX and values around them, through a 1x1 FC; with TFLite's
 * normalized multipliers (2^30 .. 2^31 - 1) and with the smaller ones a
 * package may also hold (0 included), per tensor and per channel. */
static void test_requant_extremes(void **state)
{
    (void)state;
    static const int32_t accs[] = {INT32_MIN, INT32_MIN + 1, -65536, -1, 0, 1, 65535,
                                   INT32_MAX - 1, INT32_MAX};
    static const int32_t shifts[] = {-31, -20, -3, -1, 0, 1, 30};
    static const int32_t small_mults[] = {0, 1, 0x12345, 0x20000000, 0x3FFFFFFF};
    for (size_t a = 0; a < sizeof(accs) / sizeof(accs[0]); a++)
        for (size_t s = 0; s < sizeof(shifts) / sizeof(shifts[0]); s++)
            for (size_t m = 0; m <= sizeof(small_mults) / sizeof(small_mults[0]); m++)
                for (int32_t pc = 0; pc < 2; pc++) {
                    tml_fc_params_t p = {.batches = 1, .n_in = 4, .n_out = 1, .act_min = -128,
                                         .act_max = 127, .per_channel = pc};
                    int8_t in[4] = {0}, w[4] = {0}, want, got;
                    int32_t mult = m < sizeof(small_mults) / sizeof(small_mults[0])
                                       ? small_mults[m]
                                       : 0x40000000 + (int32_t)(rnd() % 0x3FFFFFFF);
                    int32_t shift = shifts[s], bias = accs[a];
                    tml_fc_s8(&p, in, w, &mult, &shift, &bias, &want);
                    tml_fc_s8_dsp(&p, in, w, &mult, &shift, &bias, &got);
                    if (want != got)
                        fail_msg("acc %d mult %d shift %d per_channel %d: %d, want %d",
                                 (int)accs[a], (int)mult, (int)shift, (int)pc, got, want);
                }
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, tml_test_leak_setup, tml_test_leak_teardown)
    const struct CMUnitTest tests[] = {
        T(test_conv2d_dsp), T(test_conv2d_1x1_dsp), T(test_conv2d_direct_dsp),
        T(test_conv2d_4px_dsp), T(test_conv2d_4px_out_dsp), T(test_dwconv2d_dsp),
        T(test_dwconv2d_3x3_dsp), T(test_fc_dsp), T(test_requant_extremes), T(test_conv2d_dspw),
        T(test_conv2d_1x1_dspw), T(test_rq_records_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
