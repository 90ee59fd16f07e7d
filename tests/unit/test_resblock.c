/*
 * test_resblock.c - the fused residual block (RESBLOCK_S8,
 * tml/kernels/inplace.h) and the --optimize ram rewrite that uses it
 * (compiler/plan/resblock.c).
 *
 * The kernel is run on random geometries (kernel sizes, pads, widths,
 * strides and dilations along the width, batches) against the three
 * reference kernels it replaces, bit for bit, with its output over its
 * input wherever the row rule allows it and beside it otherwise; its load
 * check is shown to refuse each way a package could make it unsafe. The
 * rewrite is run on small graphs: it fires on blocks it may fuse, not on
 * the others, and the fused and unfused packages give the same bytes.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/kernels.h"
#include "tml/lower.h"
#include "tml/session.h"
#include "../../runtime/kernels/tml_fixedpoint.h"
#include "../../runtime/ops/ops.h"

static uint32_t rng = 2463534242u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t rand_in(int32_t lo, int32_t hi) { return lo + (int32_t)(next_rand() % (uint32_t)(hi - lo + 1)); }

/* One block's params and operands. */
typedef struct block {
    tml_resblock_s8_params_t p;
    int x_first;                  /* the ADD's operand order */
    int8_t *x, *wa, *wb;
    int32_t *ma, *sa, *ba, *mb, *sb, *bb;
    int32_t lut_x[256], lut_b[256]; /* ADD_S8_LUT's tables for the params */
    size_t x_len, a_len, ring_len;
} block_t;

/* An axis of a stride-1 conv: pads below the kernel size. */
static void conv_common(tml_conv_params_t *p)
{
    p->stride_h = 1;
    p->dilation_h = 1;
    p->depth_multiplier = 1;
    p->input_offset = rand_in(-127, 128);
    p->output_offset = rand_in(-128, 127);
    p->act_min = rand_in(-128, -20);
    p->act_max = rand_in(20, 127);
}

/* A random geometry where conv_b's output has x's shape; 0 to retry. */
static int random_geometry(tml_resblock_s8_params_t *p)
{
    tml_conv_params_t *a = &p->conv_a, *b = &p->conv_b;
    memset(p, 0, sizeof(*p));
    conv_common(a);
    conv_common(b);
    a->n = b->n = rand_in(1, 2);
    a->in_h = rand_in(1, 7);
    a->in_w = rand_in(1, 7);
    a->in_c = rand_in(1, 5);
    a->out_c = rand_in(1, 6);
    a->k_h = rand_in(1, 3);
    a->k_w = rand_in(1, 3);
    a->pad_top = rand_in(0, a->k_h - 1);
    a->pad_bottom = rand_in(0, a->k_h - 1);
    a->stride_w = rand_in(1, 2);
    a->dilation_w = rand_in(1, 2);
    int32_t eff_w = (a->k_w - 1) * a->dilation_w + 1;
    a->pad_left = rand_in(0, eff_w - 1);
    a->pad_right = rand_in(0, eff_w - 1);
    a->out_h = a->in_h + a->pad_top + a->pad_bottom - a->k_h + 1;
    if (a->out_h < 1 || a->in_w + a->pad_left + a->pad_right < eff_w)
        return 0;
    a->out_w = (a->in_w + a->pad_left + a->pad_right - eff_w) / a->stride_w + 1;
    b->in_h = a->out_h;
    b->in_w = a->out_w;
    b->in_c = a->out_c;
    b->out_h = a->in_h;
    b->out_w = a->in_w;
    b->out_c = a->in_c;
    b->k_h = rand_in(1, 3);
    b->k_w = rand_in(1, 3);
    b->pad_top = rand_in(0, b->k_h - 1);
    b->pad_bottom = b->out_h - 1 - b->in_h - b->pad_top + b->k_h;
    b->stride_w = 1;
    b->dilation_w = rand_in(1, 2);
    int32_t eff_bw = (b->k_w - 1) * b->dilation_w + 1;
    b->pad_left = rand_in(0, eff_bw - 1);
    b->pad_right = b->out_w - 1 - b->in_w - b->pad_left + eff_bw;
    return b->pad_bottom >= 0 && b->pad_bottom < b->k_h + 2 && b->pad_right >= 0 &&
           b->pad_right < eff_bw + 2;
}

static void random_add(tml_resblock_s8_params_t *p)
{
    /* As compiler/lower/lower_add.c computes them from scales. */
    double sx = 0.01 + (next_rand() % 1000) / 10000.0, sb = 0.01 + (next_rand() % 1000) / 10000.0;
    double so = 0.02 + (next_rand() % 1000) / 10000.0, twice_max = 2.0 * (sx > sb ? sx : sb);
    p->x_offset = rand_in(-127, 128);
    p->b_offset = rand_in(-127, 128);
    p->out_offset = rand_in(-128, 127);
    p->left_shift = 20;
    tml_quantize_multiplier(sx / twice_max, &p->x_mult, &p->x_shift);
    tml_quantize_multiplier(sb / twice_max, &p->b_mult, &p->b_shift);
    tml_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &p->out_mult, &p->out_shift);
    p->act_min = rand_in(-128, 0);
    p->act_max = rand_in(0, 127);
}

static void fill_conv(const tml_conv_params_t *c, int8_t **w, int32_t **m, int32_t **s, int32_t **bias)
{
    size_t w_len = (size_t)c->out_c * c->k_h * c->k_w * c->in_c;
    *w = malloc(w_len);
    *m = malloc((size_t)c->out_c * 4);
    *s = malloc((size_t)c->out_c * 4);
    *bias = malloc((size_t)c->out_c * 4);
    for (size_t i = 0; i < w_len; i++)
        (*w)[i] = (int8_t)next_rand();
    for (int32_t o = 0; o < c->out_c; o++) {
        (*m)[o] = (int32_t)(0x40000000u + next_rand() % 0x3FFFFFFFu);
        (*s)[o] = rand_in(-12, 1);
        (*bias)[o] = rand_in(-5000, 5000);
    }
}

static void random_block(block_t *b)
{
    memset(b, 0, sizeof(*b));
    while (!random_geometry(&b->p))
        ;
    random_add(&b->p);
    /* As compiler/lower/lower_add.c tabulates them. */
    for (int v = -128; v < 128; v++) {
        b->lut_x[v + 128] = tml_mul_by_quantized_mul((v + b->p.x_offset) * (1 << 20), b->p.x_mult,
                                                     b->p.x_shift);
        b->lut_b[v + 128] = tml_mul_by_quantized_mul((v + b->p.b_offset) * (1 << 20), b->p.b_mult,
                                                     b->p.b_shift);
    }
    b->x_first = (int)(next_rand() & 1);
    const tml_conv_params_t *a = &b->p.conv_a;
    b->x_len = (size_t)a->n * a->in_h * a->in_w * a->in_c;
    b->a_len = (size_t)a->n * a->out_h * a->out_w * a->out_c;
    b->ring_len = tml_resblock_s8_scratch_size(&b->p);
    b->x = malloc(b->x_len);
    for (size_t i = 0; i < b->x_len; i++)
        b->x[i] = (int8_t)next_rand();
    fill_conv(&b->p.conv_a, &b->wa, &b->ma, &b->sa, &b->ba);
    fill_conv(&b->p.conv_b, &b->wb, &b->mb, &b->sb, &b->bb);
}

static void free_block(block_t *b)
{
    free(b->x);
    free(b->wa);
    free(b->wb);
    free(b->ma);
    free(b->sa);
    free(b->ba);
    free(b->mb);
    free(b->sb);
    free(b->bb);
}

/* The three reference kernels, one after another. */
static void reference(const block_t *b, const int32_t *bias_a, const int32_t *bias_b, int8_t *want)
{
    const tml_resblock_s8_params_t *p = &b->p;
    int8_t *a = malloc(b->a_len), *y = malloc(b->x_len);
    tml_conv2d_s8(&p->conv_a, b->x, b->wa, b->ma, b->sa, bias_a, a);
    tml_conv2d_s8(&p->conv_b, a, b->wb, b->mb, b->sb, bias_b, y);
    tml_add_s8_params_t ap;
    memset(&ap, 0, sizeof(ap));
    ap.out_shape[0] = ap.out_shape[1] = ap.out_shape[2] = 1;
    ap.out_shape[3] = (int32_t)b->x_len;
    ap.in1_stride[3] = ap.in2_stride[3] = 1;
    ap.in1_offset = b->x_first ? p->x_offset : p->b_offset;
    ap.in1_mult = b->x_first ? p->x_mult : p->b_mult;
    ap.in1_shift = b->x_first ? p->x_shift : p->b_shift;
    ap.in2_offset = b->x_first ? p->b_offset : p->x_offset;
    ap.in2_mult = b->x_first ? p->b_mult : p->x_mult;
    ap.in2_shift = b->x_first ? p->b_shift : p->x_shift;
    ap.out_offset = p->out_offset;
    ap.left_shift = p->left_shift;
    ap.out_mult = p->out_mult;
    ap.out_shift = p->out_shift;
    ap.act_min = p->act_min;
    ap.act_max = p->act_max;
    if (b->x_first)
        tml_add_s8(&ap, b->x, y, want);
    else
        tml_add_s8(&ap, y, b->x, want);
    free(a);
    free(y);
}

static void kernel_matches_unfused_ops(void **state)
{
    (void)state;
    int n_aliased = 0, n_refused = 0;
    for (int iter = 0; iter < 500; iter++) {
        block_t b;
        random_block(&b);
        const int32_t *bias_a = iter % 3 ? b.ba : NULL, *bias_b = iter % 5 ? b.bb : NULL;
        const int32_t *lut_x = iter % 2 ? b.lut_x : NULL, *lut_b = iter % 2 ? b.lut_b : NULL;
        int8_t *want = malloc(b.x_len), *got = malloc(b.x_len), *ring = malloc(b.ring_len);
        reference(&b, bias_a, bias_b, want);
        /* Beside the input (always allowed). */
        memset(got, 0x5A, b.x_len);
        tml_resblock_s8(&b.p, b.x, b.wa, b.ma, b.sa, bias_a, b.wb, b.mb, b.sb, bias_b, lut_x,
                        lut_b, got, ring);
        if (memcmp(got, want, b.x_len) != 0)
            fail_msg("iter %d: result beside the input differs", iter);
        /* Over the input, where the rule allows it. */
        if (tml_resblock_s8_may_alias(&b.p)) {
            memcpy(got, b.x, b.x_len);
            tml_resblock_s8(&b.p, got, b.wa, b.ma, b.sa, bias_a, b.wb, b.mb, b.sb, bias_b, lut_x,
                            lut_b, got, ring);
            if (memcmp(got, want, b.x_len) != 0)
                fail_msg("iter %d: result over the input differs (k_b %d pad_b %d pad_a %d)", iter,
                         (int)b.p.conv_b.k_h, (int)b.p.conv_b.pad_top, (int)b.p.conv_a.pad_top);
            n_aliased++;
        } else {
            n_refused++;
        }
        free(want);
        free(got);
        free(ring);
        free_block(&b);
    }
    /* Both sides of the rule were exercised. */
    assert_true(n_aliased > 200);
    assert_true(n_refused > 20);
}

/* The rule is tight: one row fewer of lookahead and streaming over x reads
 * bytes it has already overwritten. 3x3 'same' conv_a after a 5x5 'same'
 * conv_a would need conv_b.k_h - pads >= 1: here 3 - 1 - 2 = 0. */
static void rule_is_needed(void **state)
{
    (void)state;
    int n_differ = 0;
    for (int iter = 0; iter < 20; iter++) {
        block_t b;
        do {
            random_block(&b);
            if (b.p.conv_a.k_h == 3 && b.p.conv_a.pad_top == 2 && b.p.conv_b.k_h == 3 &&
                b.p.conv_b.pad_top == 1 && b.p.conv_a.in_h >= 3)
                break;
            free_block(&b);
        } while (1);
        assert_false(tml_resblock_s8_may_alias(&b.p));
        int8_t *want = malloc(b.x_len), *got = malloc(b.x_len), *ring = malloc(b.ring_len);
        reference(&b, b.ba, b.bb, want);
        memcpy(got, b.x, b.x_len);
        tml_resblock_s8(&b.p, got, b.wa, b.ma, b.sa, b.ba, b.wb, b.mb, b.sb, b.bb, NULL, NULL, got,
                        ring);
        n_differ += memcmp(got, want, b.x_len) != 0;
        free(want);
        free(got);
        free(ring);
        free_block(&b);
    }
    assert_true(n_differ > 0);
}

/* ---- the load-time check ------------------------------------------------- */

typedef struct call {
    tml_op_ctx_t ctx;
    tml_pkg_tensor_t t[TML_OP_MAX_OPERANDS];
    tml_resblock_s8_params_t p;
} call_t;

static void arg(call_t *c, int i, uint32_t dtype, int n_dims, const int32_t *dims, const void *data,
                int constant, uint32_t off)
{
    tml_pkg_tensor_t *t = &c->t[i];
    memset(t, 0, sizeof(*t));
    t->dtype = (uint8_t)dtype;
    t->n_dims = (uint8_t)n_dims;
    t->storage = constant ? TML_PKG_CONST : TML_PKG_ARENA;
    t->data_off = off;
    uint32_t elems = 1;
    for (int d = 0; d < TML_PKG_MAX_DIMS; d++) {
        t->dims[d] = d < n_dims ? dims[d] : 1;
        if (d < n_dims)
            elems *= (uint32_t)dims[d];
    }
    t->byte_len = elems * tml_dtype_size(dtype);
    c->ctx.t[i] = t;
    c->ctx.data[i] = (void *)(uintptr_t)data;
}

/* A block's call with x at arena offset 0, out at out_off, the ring after. */
static void block_call(call_t *c, const block_t *b, int8_t *out, int8_t *ring, uint32_t out_off)
{
    memset(c, 0, sizeof(*c));
    c->p = b->p;
    c->ctx.params = (const int32_t *)&c->p;
    c->ctx.n_in = 11;
    c->ctx.n_out = 2;
    const tml_conv_params_t *ca = &b->p.conv_a, *cb = &b->p.conv_b;
    const int32_t x_dims[4] = {ca->n, ca->in_h, ca->in_w, ca->in_c};
    const int32_t wa_dims[4] = {ca->out_c, ca->k_h, ca->k_w, ca->in_c};
    const int32_t wb_dims[4] = {cb->out_c, cb->k_h, cb->k_w, cb->in_c};
    arg(c, 0, TML_DT_I8, 4, x_dims, b->x, 0, 0);
    arg(c, 1, TML_DT_I8, 4, wa_dims, b->wa, 1, 0);
    arg(c, 2, TML_DT_I32, 1, &ca->out_c, b->ma, 1, 0);
    arg(c, 3, TML_DT_I32, 1, &ca->out_c, b->sa, 1, 0);
    arg(c, 4, TML_DT_I32, 1, &ca->out_c, b->ba, 1, 0);
    arg(c, 5, TML_DT_I8, 4, wb_dims, b->wb, 1, 0);
    arg(c, 6, TML_DT_I32, 1, &cb->out_c, b->mb, 1, 0);
    arg(c, 7, TML_DT_I32, 1, &cb->out_c, b->sb, 1, 0);
    arg(c, 8, TML_DT_I32, 1, &cb->out_c, b->bb, 1, 0);
    const int32_t lut_dims[1] = {256};
    arg(c, 9, TML_DT_I32, 1, lut_dims, b->lut_x, 1, 0);
    arg(c, 10, TML_DT_I32, 1, lut_dims, b->lut_b, 1, 0);
    arg(c, 11, TML_DT_I8, 4, x_dims, out, 0, out_off);
    const int32_t ring_dims[1] = {(int32_t)b->ring_len};
    arg(c, 12, TML_DT_I8, 1, ring_dims, ring, 0, (uint32_t)(2 * b->x_len + 64));
}

static void copy_call(call_t *dst, const call_t *src)
{
    *dst = *src;
    dst->ctx.params = (const int32_t *)&dst->p;
    for (int i = 0; i < TML_OP_MAX_OPERANDS; i++)
        if (src->ctx.t[i])
            dst->ctx.t[i] = &dst->t[i];
}

static void check_refuses_unsafe_packages(void **state)
{
    (void)state;
    const tml_op_desc_t *d = tml_op_find(TML_K_RESBLOCK_S8);
    assert_non_null(d);
    assert_string_equal(d->name, "RESBLOCK_S8");
    block_t b;
    do {
        random_block(&b);
        if (tml_resblock_s8_may_alias(&b.p) && b.p.conv_a.k_h == 3 && b.p.conv_a.in_h > 2 &&
            b.x_len > 32)
            break;
        free_block(&b);
    } while (1);
    int8_t *want = malloc(b.x_len), *got = malloc(b.x_len), *ring = malloc(b.ring_len);
    reference(&b, b.ba, b.bb, want);
    memcpy(got, b.x, b.x_len);
    call_t good, c;
    /* Over x: accepted, and eval gives the reference bytes. */
    block_call(&good, &b, got, ring, 0);
    good.ctx.data[0] = got;
    TML_ASSERT_OK(d->check(&good.ctx));
    d->eval(&good.ctx);
    assert_memory_equal(got, want, b.x_len);
    /* Beside x: accepted too. */
    block_call(&c, &b, got, ring, (uint32_t)b.x_len);
    TML_ASSERT_OK(d->check(&c.ctx));

#define REJECT(what, mutation)                                                 \
    do {                                                                       \
        copy_call(&c, &good);                                                  \
        mutation;                                                              \
        if (d->check(&c.ctx) == TML_OK)                                        \
            fail_msg("check accepted: %s", what);                              \
    } while (0)
    REJECT("out partly over x", c.t[11].data_off = 16);
    REJECT("ring over x", c.t[12].data_off = 8);
    REJECT("ring over out", (c.t[11].data_off = (uint32_t)b.x_len + 16,
                             c.t[12].data_off = (uint32_t)b.x_len + 20));
    REJECT("ring one byte short", c.t[12].byte_len--);
    REJECT("ring int32", c.t[12].dtype = TML_DT_I32);
    REJECT("one table absent", c.ctx.t[10] = NULL);
    REJECT("table short", (c.t[9].dims[0] = 255, c.t[9].byte_len = 1020));
    REJECT("table in the arena", c.t[10].storage = TML_PKG_ARENA);
    int32_t big[256];
    memcpy(big, b.lut_x, sizeof(big));
    big[7] = (1 << 30) + 1;
    REJECT("table entry past 2^30", c.ctx.data[9] = big);
    REJECT("conv_a stride_h 2", c.p.conv_a.stride_h = 2);
    REJECT("conv_b dilation_h 2", c.p.conv_b.dilation_h = 2);
    REJECT("conv_b output channels differ from x's", c.p.conv_b.out_c++);
    REJECT("conv_b input differs from conv_a output", c.p.conv_b.in_w++);
    REJECT("out one byte short", c.t[11].byte_len--);
    REJECT("x absent", c.ctx.t[0] = NULL);
    REJECT("weights_b short", c.t[5].byte_len--);
    REJECT("mult_a in the arena", c.t[2].storage = TML_PKG_ARENA);
    REJECT("shift_b out of range", c.ctx.data[7] = (void *)(const int32_t[64]){40});
    REJECT("add left shift 23", c.p.left_shift = 23);
    REJECT("add output shift positive", c.p.out_shift = 1);
    REJECT("add x offset beyond int8", c.p.x_offset = 129);
    REJECT("add act_min > act_max", (c.p.act_min = 5, c.p.act_max = 4));
    REJECT("conv_a act beyond int8", c.p.conv_a.act_max = 128);
    REJECT("ten inputs", c.ctx.n_in = 10);
#undef REJECT
    free(want);
    free(got);
    free(ring);
    free_block(&b);

    /* A geometry whose rows cannot stream over x: beside x only. */
    do {
        random_block(&b);
        if (!tml_resblock_s8_may_alias(&b.p))
            break;
        free_block(&b);
    } while (1);
    got = malloc(b.x_len);
    ring = malloc(b.ring_len);
    block_call(&c, &b, got, ring, (uint32_t)b.x_len);
    TML_ASSERT_OK(d->check(&c.ctx));
    block_call(&c, &b, got, ring, 0);
    if (d->check(&c.ctx) == TML_OK)
        fail_msg("check accepted: out over x where rows cannot stream");
    free(got);
    free(ring);
    free_block(&b);
}

/* ---- the rewrite ----------------------------------------------------------- */

typedef struct geom {
    int32_t k_a, k_b;       /* square kernels, 'same' pads (k - 1) / 2 */
    int x_read_later;       /* a second ADD reads x after the block */
    int stride_a;           /* conv_a stride (2 makes shapes disagree: a plain ADD cannot follow) */
} geom_t;

static int32_t add_act(tml_ir_graph_t *g, const char *name, int32_t h, int32_t w, int32_t c,
                       float scale, int32_t zp)
{
    int32_t idx, dims[4] = {1, h, w, c};
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_I8, 4, dims, &idx));
    TML_ASSERT_OK(tml_ir_set_quant(g, idx, 1, &scale, &zp, 0));
    return idx;
}

static int32_t add_conv(tml_ir_graph_t *g, const char *name, int32_t in, int32_t in_c, int32_t k,
                        int32_t out_c, int32_t h, int32_t w, tml_act_t act)
{
    int32_t wd[4] = {out_c, k, k, in_c}, bd[1] = {out_c}, wi, bi;
    size_t w_len = (size_t)out_c * k * k * in_c;
    int8_t *wv = malloc(w_len);
    int32_t *bv = malloc((size_t)out_c * 4), *zps = calloc((size_t)out_c, 4);
    float *ws = malloc((size_t)out_c * 4), *bs = malloc((size_t)out_c * 4);
    for (size_t i = 0; i < w_len; i++)
        wv[i] = (int8_t)rand_in(-127, 127);
    float in_scale = g->tensors[in].quant.scale[0];
    for (int32_t o = 0; o < out_c; o++) {
        bv[o] = rand_in(-2000, 2000);
        ws[o] = 0.002f + 0.0001f * (float)rand_in(0, 20);
        bs[o] = ws[o] * in_scale;
    }
    char wn[64], bn[64];
    snprintf(wn, sizeof(wn), "%s/w", name);
    snprintf(bn, sizeof(bn), "%s/b", name);
    TML_ASSERT_OK(tml_ir_add_tensor(g, wn, TML_DT_I8, 4, wd, &wi));
    TML_ASSERT_OK(tml_ir_set_data(g, wi, wv, w_len));
    TML_ASSERT_OK(tml_ir_set_quant(g, wi, out_c, ws, zps, 0));
    TML_ASSERT_OK(tml_ir_add_tensor(g, bn, TML_DT_I32, 1, bd, &bi));
    TML_ASSERT_OK(tml_ir_set_data(g, bi, bv, (size_t)out_c * 4));
    TML_ASSERT_OK(tml_ir_set_quant(g, bi, out_c, bs, zps, 0));
    int32_t out = add_act(g, name, h, w, out_c, 0.05f, rand_in(-20, 20));
    tml_ir_attrs_t at;
    memset(&at, 0, sizeof(at));
    at.conv.stride_h = at.conv.stride_w = 1;
    at.conv.dilation_h = at.conv.dilation_w = 1;
    at.conv.pad_top = at.conv.pad_left = (k - 1) / 2;
    at.conv.pad_bottom = at.conv.pad_right = k - 1 - (k - 1) / 2;
    at.conv.depth_multiplier = 1;
    at.conv.act = act;
    const int32_t ins[3] = {in, wi, bi};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_CONV2D, name, ins, 3, &out, 1, &at, NULL));
    free(wv);
    free(bv);
    free(zps);
    free(ws);
    free(bs);
    return out;
}

/* x [1, 6, 5, 3] -> conv k_a (3 -> 4) -> conv k_b (4 -> 3) -> ADD(x) -> y,
 * and, with x_read_later, y + x -> z. */
static void build_block(tml_ir_graph_t *g, const geom_t *geom)
{
    const int32_t h = 6, w = 5, c = 3;
    TML_ASSERT_OK(tml_ir_init(g, "block"));
    int32_t x = add_act(g, "x", h, w, c, 0.04f, 3);
    int32_t a = add_conv(g, "a", x, c, geom->k_a, 4, h, w, TML_ACT_RELU);
    int32_t b = add_conv(g, "b", a, 4, geom->k_b, c, h, w, TML_ACT_NONE);
    int32_t y = add_act(g, "y", h, w, c, 0.06f, -5), out = y;
    tml_ir_attrs_t at;
    memset(&at, 0, sizeof(at));
    at.act = TML_ACT_RELU;
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, "y", (const int32_t[]){b, x}, 2, &y, 1, &at, NULL));
    if (geom->x_read_later) {
        out = add_act(g, "z", h, w, c, 0.08f, 1);
        at.act = TML_ACT_NONE;
        TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, "z", (const int32_t[]){y, x}, 2, &out, 1, &at,
                                      NULL));
    }
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &out, 1));
}

static int count_kernel(const tml_compiled_t *c, tml_kernel_t k)
{
    int n = 0;
    for (int i = 0; i < c->lowered.n_ops; i++)
        n += c->lowered.ops[i].kernel == k;
    return n;
}

static void run_package(const tml_compiled_t *c, const int8_t *in, size_t in_len, int8_t *out,
                        size_t out_len)
{
    tml_session_t s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_session_open(&s, c->pkg, c->pkg_len, &err), &err);
    TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, in, in_len, &err), &err);
    TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
    const void *got;
    size_t got_len;
    TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &got, &got_len, &err), &err);
    assert_int_equal(got_len, out_len);
    memcpy(out, got, out_len);
    tml_session_close(&s);
}

/* Compiles the block for speed (no fusion) and for RAM; returns how many
 * RESBLOCK_S8 the RAM package has, after checking both give the same bytes
 * on random inputs and the RAM arena is no larger. */
static int fused_blocks(const geom_t *geom)
{
    tml_compiled_t plain, ram;
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    uint32_t seed = rng;
    build_block(&g, geom);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &plain, &err), &err);
    rng = seed; /* the same weights */
    build_block(&g, geom);
    tml_compile_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.optimize_ram = true;
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, &opts, &ram, &err), &err);
    assert_int_equal(count_kernel(&plain, TML_K_RESBLOCK_S8), 0);
    int n = count_kernel(&ram, TML_K_RESBLOCK_S8);
    assert_true(ram.plan.arena_len <= plain.plan.arena_len);
    int8_t in[6 * 5 * 3], want[6 * 5 * 3], got[6 * 5 * 3];
    for (int k = 0; k < 8; k++) {
        for (size_t i = 0; i < sizeof(in); i++)
            in[i] = (int8_t)next_rand();
        run_package(&plain, in, sizeof(in), want, sizeof(want));
        run_package(&ram, in, sizeof(in), got, sizeof(got));
        assert_memory_equal(got, want, sizeof(want));
    }
    if (n)
        assert_true(ram.plan.arena_len < plain.plan.arena_len);
    tml_compiled_free(&plain);
    tml_compiled_free(&ram);
    return n;
}

static void rewrite_fires_only_where_legal(void **state)
{
    (void)state;
    /* 3x3 then 3x3 'same': 3 - 1 - 1 >= 1. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3}), 1);
    /* 3x3 then 5x5: 5 - 2 - 1 >= 1; 1x1 then 3x3: 3 - 1 - 0 >= 1. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 5}), 1);
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 1, .k_b = 3}), 1);
    /* 5x5 then 3x3: 3 - 1 - 2 = 0, x's rows would be overwritten too soon. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 5, .k_b = 3}), 0);
    /* x still needed after the block: its buffer cannot take the output. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .x_read_later = 1}), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kernel_matches_unfused_ops, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(rule_is_needed, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(check_refuses_unsafe_packages, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(rewrite_fires_only_where_legal, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
