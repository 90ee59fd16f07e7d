/*
 * test_resblock.c - the fused residual block (RESBLOCK_S8,
 * tml/kernels/inplace.h) and the --optimize ram rewrite that uses it
 * (compiler/plan/resblock.c).
 *
 * The kernel is run on random geometries (identity and 1x1 projection
 * shortcuts; kernel sizes, pads, strides, dilations along the width,
 * batches) against the reference kernels it replaces, bit for bit, with
 * its output starting at its input wherever tml_resblock_s8_may_overlap()
 * allows it and beside it always; the rule is shown not to be vacuous (the
 * overlaps it refuses do go wrong), and the load check to refuse each way a
 * package could make the kernel unsafe. The rewrite is run on small graphs:
 * it fires on blocks it may fuse, not on the others, and the fused and
 * unfused packages give the same bytes.
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
    int s_first;                  /* the ADD's operand order */
    int8_t *x, *wa, *wb, *ws;
    int32_t *ma, *sa, *ba, *mb, *sb, *bb, *ms, *ss, *bs;
    int32_t lut[512];             /* ADD_S8_LUT's tables for the params */
    size_t x_len, a_len, y_len, scratch_len;
} block_t;

static void conv_common(tml_conv_params_t *p)
{
    p->dilation_h = 1;
    p->dilation_w = 1;
    p->stride_h = 1;
    p->stride_w = 1;
    p->depth_multiplier = 1;
    p->input_offset = rand_in(-127, 128);
    p->output_offset = rand_in(-128, 127);
    p->act_min = rand_in(-128, -20);
    p->act_max = rand_in(20, 127);
}

/* A random geometry where the shapes chain; 0 to retry. */
static int random_geometry(tml_resblock_s8_params_t *p)
{
    tml_conv_params_t *a = &p->conv_a, *b = &p->conv_b, *s = &p->conv_s;
    memset(p, 0, sizeof(*p));
    conv_common(a);
    conv_common(b);
    p->has_proj = (int32_t)(next_rand() & 1);
    a->n = b->n = rand_in(1, 2);
    a->in_h = rand_in(1, 8);
    a->in_w = rand_in(1, 8);
    a->in_c = rand_in(1, 5);
    a->out_c = rand_in(1, 6);
    a->k_h = rand_in(1, 3);
    a->k_w = rand_in(1, 3);
    a->stride_h = rand_in(1, 2);
    a->stride_w = rand_in(1, 2);
    a->dilation_w = rand_in(1, 2);
    a->pad_top = rand_in(0, a->k_h - 1);
    a->pad_bottom = rand_in(0, a->k_h - 1);
    int32_t eff_w = (a->k_w - 1) * a->dilation_w + 1;
    a->pad_left = rand_in(0, eff_w - 1);
    a->pad_right = rand_in(0, eff_w - 1);
    if (a->in_h + a->pad_top + a->pad_bottom < a->k_h || a->in_w + a->pad_left + a->pad_right < eff_w)
        return 0;
    a->out_h = (a->in_h + a->pad_top + a->pad_bottom - a->k_h) / a->stride_h + 1;
    a->out_w = (a->in_w + a->pad_left + a->pad_right - eff_w) / a->stride_w + 1;
    b->in_h = a->out_h;
    b->in_w = a->out_w;
    b->in_c = a->out_c;
    b->k_h = rand_in(1, 3);
    b->k_w = rand_in(1, 3);
    b->dilation_w = rand_in(1, 2);
    int32_t eff_bw = (b->k_w - 1) * b->dilation_w + 1;
    b->pad_top = rand_in(0, b->k_h - 1);
    b->pad_left = rand_in(0, eff_bw - 1);
    if (p->has_proj) {
        /* 'same' conv_b; a 1x1 shortcut whose strides land on its shape. */
        b->out_h = a->out_h;
        b->out_w = a->out_w;
        b->out_c = rand_in(1, 6);
        conv_common(s);
        s->n = a->n;
        s->in_h = a->in_h;
        s->in_w = a->in_w;
        s->in_c = a->in_c;
        s->out_h = b->out_h;
        s->out_w = b->out_w;
        s->out_c = b->out_c;
        s->k_h = s->k_w = 1;
        s->stride_h = rand_in(1, 3);
        s->stride_w = rand_in(1, 3);
        if ((a->in_h - 1) / s->stride_h + 1 != s->out_h || (a->in_w - 1) / s->stride_w + 1 != s->out_w)
            return 0;
    } else {
        b->out_h = a->in_h;
        b->out_w = a->in_w;
        b->out_c = a->in_c;
    }
    b->pad_bottom = b->out_h - 1 - b->in_h - b->pad_top + b->k_h;
    b->pad_right = b->out_w - 1 - b->in_w - b->pad_left + eff_bw;
    return b->pad_bottom >= 0 && b->pad_bottom < b->k_h + 2 && b->pad_right >= 0 &&
           b->pad_right < eff_bw + 2;
}

static void random_add(tml_resblock_s8_params_t *p)
{
    /* As compiler/lower/lower_add.c computes them from scales. */
    double ss = 0.01 + (next_rand() % 1000) / 10000.0, sb = 0.01 + (next_rand() % 1000) / 10000.0;
    double so = 0.02 + (next_rand() % 1000) / 10000.0, twice_max = 2.0 * (ss > sb ? ss : sb);
    p->s_offset = rand_in(-127, 128);
    p->b_offset = rand_in(-127, 128);
    p->out_offset = rand_in(-128, 127);
    p->left_shift = 20;
    tml_quantize_multiplier(ss / twice_max, &p->s_mult, &p->s_shift);
    tml_quantize_multiplier(sb / twice_max, &p->b_mult, &p->b_shift);
    tml_quantize_multiplier(twice_max / ((double)(1 << 20) * so), &p->out_mult, &p->out_shift);
    p->act_min = rand_in(-128, 0);
    p->act_max = rand_in(0, 127);
}

static void fill_conv(const tml_conv_params_t *c, int8_t **w, int32_t **m, int32_t **s, int32_t **bias)
{
    size_t w_len = (size_t)c->out_c * c->k_h * c->k_w * c->in_c;
    *w = malloc(w_len ? w_len : 1);
    *m = malloc((size_t)c->out_c * 4 + 4);
    *s = malloc((size_t)c->out_c * 4 + 4);
    *bias = malloc((size_t)c->out_c * 4 + 4);
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
        b->lut[v + 128] = tml_mul_by_quantized_mul((v + b->p.s_offset) * (1 << 20), b->p.s_mult,
                                                   b->p.s_shift);
        b->lut[256 + v + 128] = tml_mul_by_quantized_mul((v + b->p.b_offset) * (1 << 20),
                                                         b->p.b_mult, b->p.b_shift);
    }
    b->s_first = (int)(next_rand() & 1);
    const tml_conv_params_t *a = &b->p.conv_a, *cb = &b->p.conv_b;
    b->x_len = (size_t)a->n * a->in_h * a->in_w * a->in_c;
    b->a_len = (size_t)a->n * a->out_h * a->out_w * a->out_c;
    b->y_len = (size_t)cb->n * cb->out_h * cb->out_w * cb->out_c;
    b->scratch_len = (size_t)tml_resblock_s8_scratch_size(&b->p);
    b->x = malloc(b->x_len);
    for (size_t i = 0; i < b->x_len; i++)
        b->x[i] = (int8_t)next_rand();
    fill_conv(&b->p.conv_a, &b->wa, &b->ma, &b->sa, &b->ba);
    fill_conv(&b->p.conv_b, &b->wb, &b->mb, &b->sb, &b->bb);
    fill_conv(&b->p.conv_s, &b->ws, &b->ms, &b->ss, &b->bs);
}

static void free_block(block_t *b)
{
    free(b->x);
    free(b->wa);
    free(b->wb);
    free(b->ws);
    free(b->ma);
    free(b->sa);
    free(b->ba);
    free(b->mb);
    free(b->sb);
    free(b->bb);
    free(b->ms);
    free(b->ss);
    free(b->bs);
}

/* The reference kernels, one after another. */
static void reference(const block_t *b, const int32_t *bias_a, const int32_t *bias_b, int8_t *want)
{
    const tml_resblock_s8_params_t *p = &b->p;
    int8_t *a = malloc(b->a_len), *y = malloc(b->y_len), *s = malloc(b->y_len);
    tml_conv2d_s8(&p->conv_a, b->x, b->wa, b->ma, b->sa, bias_a, a);
    tml_conv2d_s8(&p->conv_b, a, b->wb, b->mb, b->sb, bias_b, y);
    if (p->has_proj)
        tml_conv2d_s8(&p->conv_s, b->x, b->ws, b->ms, b->ss, b->bs, s);
    else
        memcpy(s, b->x, b->y_len);
    tml_add_s8_params_t ap;
    memset(&ap, 0, sizeof(ap));
    ap.out_shape[0] = ap.out_shape[1] = ap.out_shape[2] = 1;
    ap.out_shape[3] = (int32_t)b->y_len;
    ap.in1_stride[3] = ap.in2_stride[3] = 1;
    ap.in1_offset = b->s_first ? p->s_offset : p->b_offset;
    ap.in1_mult = b->s_first ? p->s_mult : p->b_mult;
    ap.in1_shift = b->s_first ? p->s_shift : p->b_shift;
    ap.in2_offset = b->s_first ? p->b_offset : p->s_offset;
    ap.in2_mult = b->s_first ? p->b_mult : p->s_mult;
    ap.in2_shift = b->s_first ? p->b_shift : p->s_shift;
    ap.out_offset = p->out_offset;
    ap.left_shift = p->left_shift;
    ap.out_mult = p->out_mult;
    ap.out_shift = p->out_shift;
    ap.act_min = p->act_min;
    ap.act_max = p->act_max;
    if (b->s_first)
        tml_add_s8(&ap, s, y, want);
    else
        tml_add_s8(&ap, y, s, want);
    free(a);
    free(y);
    free(s);
}

/* Runs the kernel with out starting at x's first byte, in one buffer. */
static void run_overlapped(const block_t *b, const int32_t *bias_a, const int32_t *bias_b,
                           const int32_t *lut, int8_t *result)
{
    size_t len = b->x_len > b->y_len ? b->x_len : b->y_len;
    int8_t *buf = malloc(len), *scratch = malloc(b->scratch_len);
    memset(buf, 0x5A, len);
    memcpy(buf, b->x, b->x_len);
    tml_resblock_s8(&b->p, buf, b->wa, b->ma, b->sa, bias_a, b->wb, b->mb, b->sb, bias_b,
                    b->p.has_proj ? b->ws : NULL, b->ms, b->ss, b->bs, lut, buf, scratch);
    memcpy(result, buf, b->y_len);
    free(buf);
    free(scratch);
}

static void kernel_matches_unfused_ops(void **state)
{
    (void)state;
    int n_overlapped[2] = {0, 0}, n_refused = 0;
    for (int iter = 0; iter < 1000; iter++) {
        block_t b;
        random_block(&b);
        const int32_t *bias_a = iter % 3 ? b.ba : NULL, *bias_b = iter % 5 ? b.bb : NULL;
        const int32_t *lut = iter % 2 ? b.lut : NULL;
        int8_t *want = malloc(b.y_len), *got = malloc(b.y_len), *scratch = malloc(b.scratch_len);
        reference(&b, bias_a, bias_b, want);
        /* Beside the input (always allowed). */
        memset(got, 0x5A, b.y_len);
        tml_resblock_s8(&b.p, b.x, b.wa, b.ma, b.sa, bias_a, b.wb, b.mb, b.sb, bias_b,
                        b.p.has_proj ? b.ws : NULL, b.ms, b.ss, b.bs, lut, got, scratch);
        if (memcmp(got, want, b.y_len) != 0)
            fail_msg("iter %d: result beside the input differs", iter);
        /* Starting where the input starts, where the rule allows it. */
        if (tml_resblock_s8_may_overlap(&b.p)) {
            run_overlapped(&b, bias_a, bias_b, lut, got);
            if (memcmp(got, want, b.y_len) != 0)
                fail_msg("iter %d: result over the input differs (proj %d)", iter,
                         (int)b.p.has_proj);
            n_overlapped[b.p.has_proj]++;
        } else {
            n_refused++;
        }
        free(want);
        free(got);
        free(scratch);
        free_block(&b);
    }
    /* Both shortcuts ran over their input; the rule also said no. */
    assert_true(n_overlapped[0] > 100);
    assert_true(n_overlapped[1] > 100);
    assert_true(n_refused > 50);
}

/* The overlaps the rule refuses do go wrong (it is not vacuous): an
 * identity block after a 3x3 conv padded by 2 on top would need
 * k_h(B) - pad_top(B) - pad_top(A) >= 1, here 3 - 1 - 2 = 0. */
static void rule_is_needed(void **state)
{
    (void)state;
    int n_refused = 0, n_differ = 0;
    for (int iter = 0; iter < 3000 && n_differ < 5; iter++) {
        block_t b;
        random_block(&b);
        if (!tml_resblock_s8_may_overlap(&b.p) && b.p.conv_a.n == 1) {
            int8_t *want = malloc(b.y_len), *got = malloc(b.y_len);
            reference(&b, b.ba, b.bb, want);
            run_overlapped(&b, b.ba, b.bb, NULL, got);
            n_differ += memcmp(got, want, b.y_len) != 0;
            n_refused++;
            free(want);
            free(got);
        }
        free_block(&b);
    }
    assert_true(n_refused > 0);
    assert_true(n_differ >= 5);
    /* The closed form for identity blocks of 3x3 convs. */
    tml_resblock_s8_params_t p;
    memset(&p, 0, sizeof(p));
    tml_conv_params_t c3 = {.n = 1, .in_h = 6, .in_w = 5, .in_c = 3, .out_h = 6, .out_w = 5,
                            .out_c = 3, .k_h = 3, .k_w = 3, .stride_h = 1, .stride_w = 1,
                            .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1,
                            .pad_bottom = 1, .pad_right = 1, .depth_multiplier = 1};
    p.conv_a = p.conv_b = c3;
    assert_true(tml_resblock_s8_may_overlap(&p));
    p.conv_a.pad_top = 2;
    p.conv_a.pad_bottom = 0;
    assert_false(tml_resblock_s8_may_overlap(&p));
    /* ResNet-8's strided block: 32x32x16 -> 3x3/2 -> 16x16x32, 1x1/2 shortcut. */
    tml_conv_params_t a = {.n = 1, .in_h = 32, .in_w = 32, .in_c = 16, .out_h = 16, .out_w = 16,
                           .out_c = 32, .k_h = 3, .k_w = 3, .stride_h = 2, .stride_w = 2,
                           .dilation_h = 1, .dilation_w = 1, .pad_bottom = 1, .pad_right = 1,
                           .depth_multiplier = 1};
    tml_conv_params_t b = {.n = 1, .in_h = 16, .in_w = 16, .in_c = 32, .out_h = 16, .out_w = 16,
                           .out_c = 32, .k_h = 3, .k_w = 3, .stride_h = 1, .stride_w = 1,
                           .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1,
                           .pad_bottom = 1, .pad_right = 1, .depth_multiplier = 1};
    tml_conv_params_t s = {.n = 1, .in_h = 32, .in_w = 32, .in_c = 16, .out_h = 16, .out_w = 16,
                           .out_c = 32, .k_h = 1, .k_w = 1, .stride_h = 2, .stride_w = 2,
                           .dilation_h = 1, .dilation_w = 1, .depth_multiplier = 1};
    p.conv_a = a;
    p.conv_b = b;
    p.conv_s = s;
    p.has_proj = 1;
    assert_true(tml_resblock_s8_may_overlap(&p));
    /* One row whose output pixels (2 bytes) are wider than x's (1 byte):
     * writing pixel 0 overwrites x's pixel 1 before the shortcut reads it;
     * as narrow as x's, they may. */
    tml_conv_params_t one = {.n = 1, .in_h = 1, .in_w = 2, .in_c = 1, .out_h = 1, .out_w = 2,
                             .out_c = 2, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                             .dilation_h = 1, .dilation_w = 1, .depth_multiplier = 1};
    tml_resblock_s8_params_t q;
    memset(&q, 0, sizeof(q));
    q.has_proj = 1;
    q.conv_a = q.conv_b = q.conv_s = one;
    q.conv_b.in_c = 2;
    assert_false(tml_resblock_s8_may_overlap(&q));
    q.conv_b.out_c = q.conv_s.out_c = 1;
    assert_true(tml_resblock_s8_may_overlap(&q));
    /* A shortcut reading further down than the output is written is fine;
     * one reading x as a 1x1 stride 1 conv of a 4x wider output is not. */
    p.conv_s.stride_h = p.conv_s.stride_w = 1;
    p.conv_s.in_h = p.conv_a.in_h = 16;
    p.conv_s.in_w = p.conv_a.in_w = 16;
    p.conv_s.in_c = p.conv_a.in_c = 4;
    p.conv_a.stride_h = p.conv_a.stride_w = 1;
    p.conv_a.pad_top = p.conv_a.pad_left = 1;
    assert_false(tml_resblock_s8_may_overlap(&p));
}

/* ---- the load-time check ------------------------------------------------- */

enum { W_S = 9, LUT = 13, OUT = 14, SCRATCH = 15 };

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

static void conv_args(call_t *c, int first, const tml_conv_params_t *p, const int8_t *w,
                      const int32_t *m, const int32_t *s, const int32_t *bias)
{
    const int32_t w_dims[4] = {p->out_c, p->k_h, p->k_w, p->in_c};
    arg(c, first, TML_DT_I8, 4, w_dims, w, 1, 0);
    arg(c, first + 1, TML_DT_I32, 1, &p->out_c, m, 1, 0);
    arg(c, first + 2, TML_DT_I32, 1, &p->out_c, s, 1, 0);
    arg(c, first + 3, TML_DT_I32, 1, &p->out_c, bias, 1, 0);
}

/* A block's call with x at arena offset 0, out at out_off, scratch after
 * both. */
static void block_call(call_t *c, const block_t *b, int8_t *x, int8_t *out, int8_t *scratch,
                       uint32_t out_off)
{
    memset(c, 0, sizeof(*c));
    c->p = b->p;
    c->ctx.params = (const int32_t *)&c->p;
    c->ctx.n_in = 14;
    c->ctx.n_out = 2;
    const tml_conv_params_t *ca = &b->p.conv_a, *cb = &b->p.conv_b;
    const int32_t x_dims[4] = {ca->n, ca->in_h, ca->in_w, ca->in_c};
    const int32_t y_dims[4] = {cb->n, cb->out_h, cb->out_w, cb->out_c};
    arg(c, 0, TML_DT_I8, 4, x_dims, x, 0, 0);
    conv_args(c, 1, ca, b->wa, b->ma, b->sa, b->ba);
    conv_args(c, 5, cb, b->wb, b->mb, b->sb, b->bb);
    if (b->p.has_proj)
        conv_args(c, W_S, &b->p.conv_s, b->ws, b->ms, b->ss, b->bs);
    const int32_t lut_dims[1] = {512};
    arg(c, LUT, TML_DT_I32, 1, lut_dims, b->lut, 1, 0);
    arg(c, OUT, TML_DT_I8, 4, y_dims, out, 0, out_off);
    const int32_t scratch_dims[1] = {(int32_t)b->scratch_len};
    arg(c, SCRATCH, TML_DT_I8, 1, scratch_dims, scratch,
        0, (uint32_t)(2 * (b->x_len + b->y_len) + 64));
}

static void copy_call(call_t *dst, const call_t *src)
{
    *dst = *src;
    dst->ctx.params = (const int32_t *)&dst->p;
    for (int i = 0; i < TML_OP_MAX_OPERANDS; i++)
        if (src->ctx.t[i])
            dst->ctx.t[i] = &dst->t[i];
}

/* A random block with the shortcut asked for, its output allowed over x. */
static void block_that_overlaps(block_t *b, int has_proj)
{
    do {
        random_block(b);
        if (b->p.has_proj == has_proj && tml_resblock_s8_may_overlap(&b->p) && b->x_len > 32 &&
            b->p.conv_a.k_h > 1)
            return;
        free_block(b);
    } while (1);
}

static void check_refuses_unsafe_packages(void **state)
{
    (void)state;
    const tml_op_desc_t *d = tml_op_find(TML_K_RESBLOCK_S8);
    assert_non_null(d);
    assert_string_equal(d->name, "RESBLOCK_S8");
    for (int has_proj = 0; has_proj < 2; has_proj++) {
        block_t b;
        block_that_overlaps(&b, has_proj);
        size_t len = b.x_len > b.y_len ? b.x_len : b.y_len;
        int8_t *want = malloc(b.y_len), *buf = malloc(len), *scratch = malloc(b.scratch_len);
        reference(&b, b.ba, b.bb, want);
        memcpy(buf, b.x, b.x_len);
        call_t good, c;
        /* Over x: accepted, and eval gives the reference bytes. */
        block_call(&good, &b, buf, buf, scratch, 0);
        TML_ASSERT_OK(d->check(&good.ctx));
        d->eval(&good.ctx);
        assert_memory_equal(buf, want, b.y_len);
        /* Beside x: accepted too. */
        block_call(&c, &b, buf, buf, scratch, (uint32_t)b.x_len);
        TML_ASSERT_OK(d->check(&c.ctx));
#define REJECT(what, mutation)                                                 \
    do {                                                                       \
        copy_call(&c, &good);                                                  \
        mutation;                                                              \
        if (d->check(&c.ctx) == TML_OK)                                        \
            fail_msg("check accepted (proj %d): %s", has_proj, what);          \
    } while (0)
        REJECT("out partly over x", c.t[OUT].data_off = 16);
        REJECT("scratch over x", c.t[SCRATCH].data_off = 8);
        REJECT("scratch over out", (c.t[OUT].data_off = (uint32_t)len + 16,
                                    c.t[SCRATCH].data_off = (uint32_t)len + 20));
        REJECT("scratch one byte short", c.t[SCRATCH].byte_len--);
        REJECT("scratch int32", c.t[SCRATCH].dtype = TML_DT_I32);
        REJECT("table short", (c.t[LUT].dims[0] = 511, c.t[LUT].byte_len = 2044));
        REJECT("table in the arena", c.t[LUT].storage = TML_PKG_ARENA);
        int32_t big[512];
        memcpy(big, b.lut, sizeof(big));
        big[300] = (1 << 30) + 1;
        REJECT("table entry past 2^30", c.ctx.data[LUT] = big);
        REJECT("conv_a dilation_h 2", c.p.conv_a.dilation_h = 2);
        REJECT("conv_b stride_h 2", c.p.conv_b.stride_h = 2);
        REJECT("conv_b dilation_h 2", c.p.conv_b.dilation_h = 2);
        REJECT("conv_b input differs from conv_a output", c.p.conv_b.in_w++);
        REJECT("out one byte short", c.t[OUT].byte_len--);
        REJECT("x absent", c.ctx.t[0] = NULL);
        REJECT("weights_b short", c.t[5].byte_len--);
        REJECT("mult_a in the arena", c.t[2].storage = TML_PKG_ARENA);
        REJECT("shift_b out of range", c.ctx.data[7] = (void *)(const int32_t[64]){40});
        REJECT("add left shift 23", c.p.left_shift = 23);
        REJECT("add output shift positive", c.p.out_shift = 1);
        REJECT("add shortcut offset beyond int8", c.p.s_offset = 129);
        REJECT("add act_min > act_max", (c.p.act_min = 5, c.p.act_max = 4));
        REJECT("conv_a act beyond int8", c.p.conv_a.act_max = 128);
        REJECT("has_proj 2", c.p.has_proj = 2);
        REJECT("thirteen inputs", c.ctx.n_in = 13);
        if (has_proj) {
            REJECT("no projection named, its operands given", c.p.has_proj = 0);
            REJECT("projection weights absent", c.ctx.t[W_S] = NULL);
            REJECT("projection padded", (c.p.conv_s.pad_bottom = 1));
            REJECT("projection 3x3", (c.p.conv_s.k_h = 3, c.p.conv_s.pad_top = 1,
                                      c.p.conv_s.pad_bottom = 1));
            REJECT("projection from another input", c.p.conv_s.in_c++);
        } else {
            REJECT("a projection named, none given", c.p.has_proj = 1);
            REJECT("out channels differ from x's", c.p.conv_b.out_c++);
        }
#undef REJECT
        free(want);
        free(buf);
        free(scratch);
        free_block(&b);
    }

    /* A geometry whose output cannot stream over x: beside x only. */
    block_t b;
    do {
        random_block(&b);
        if (!tml_resblock_s8_may_overlap(&b.p))
            break;
        free_block(&b);
    } while (1);
    size_t len = b.x_len > b.y_len ? b.x_len : b.y_len;
    int8_t *buf = malloc(len), *scratch = malloc(b.scratch_len);
    call_t c;
    block_call(&c, &b, buf, buf, scratch, (uint32_t)b.x_len);
    TML_ASSERT_OK(d->check(&c.ctx));
    block_call(&c, &b, buf, buf, scratch, 0);
    if (d->check(&c.ctx) == TML_OK)
        fail_msg("check accepted: out over x where it cannot stream");
    free(buf);
    free(scratch);
    free_block(&b);
}

/* ---- the rewrite ----------------------------------------------------------- */

typedef struct geom {
    int32_t k_a, k_b;       /* square kernels, TFLite 'same' pads */
    int proj;               /* conv_a stride 2 and a k_s x k_s stride 2 shortcut conv */
    int32_t k_s;            /* the shortcut's kernel (1 to be fused) */
    int shortcut_first;     /* the shortcut conv comes before conv_a */
    int x_read_later;       /* something else reads x after the block */
} geom_t;

static int32_t add_act(tml_ir_graph_t *g, const char *name, int32_t h, int32_t w, int32_t c,
                       float scale, int32_t zp)
{
    int32_t idx, dims[4] = {1, h, w, c};
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_I8, 4, dims, &idx));
    TML_ASSERT_OK(tml_ir_set_quant(g, idx, 1, &scale, &zp, 0));
    return idx;
}

/* A k x k conv with TFLite 'same' padding; returns its output tensor. */
static int32_t add_conv(tml_ir_graph_t *g, const char *name, int32_t in, int32_t k,
                        int32_t stride, int32_t out_c, tml_act_t act)
{
    const tml_ir_tensor_t *ti = &g->tensors[in];
    int32_t h = ti->dims[1], w = ti->dims[2], in_c = ti->dims[3];
    int32_t oh = (h + stride - 1) / stride, ow = (w + stride - 1) / stride;
    int32_t pad_h = (oh - 1) * stride + k - h, pad_w = (ow - 1) * stride + k - w;
    pad_h = pad_h > 0 ? pad_h : 0;
    pad_w = pad_w > 0 ? pad_w : 0;
    float in_scale = ti->quant.scale[0];
    int32_t wd[4] = {out_c, k, k, in_c}, bd[1] = {out_c}, wi, bi;
    size_t w_len = (size_t)out_c * k * k * in_c;
    int8_t *wv = malloc(w_len);
    int32_t *bv = malloc((size_t)out_c * 4), *zps = calloc((size_t)out_c, 4);
    float *ws = malloc((size_t)out_c * 4), *bs = malloc((size_t)out_c * 4);
    for (size_t i = 0; i < w_len; i++)
        wv[i] = (int8_t)rand_in(-127, 127);
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
    int32_t out = add_act(g, name, oh, ow, out_c, 0.05f, rand_in(-20, 20));
    tml_ir_attrs_t at;
    memset(&at, 0, sizeof(at));
    at.conv.stride_h = at.conv.stride_w = stride;
    at.conv.dilation_h = at.conv.dilation_w = 1;
    at.conv.pad_top = pad_h / 2;
    at.conv.pad_bottom = pad_h - pad_h / 2;
    at.conv.pad_left = pad_w / 2;
    at.conv.pad_right = pad_w - pad_w / 2;
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

static int32_t add_add(tml_ir_graph_t *g, const char *name, int32_t in1, int32_t in2, tml_act_t act)
{
    const tml_ir_tensor_t *t = &g->tensors[in1];
    int32_t out = add_act(g, name, t->dims[1], t->dims[2], t->dims[3], 0.06f, -5);
    tml_ir_attrs_t at;
    memset(&at, 0, sizeof(at));
    at.act = act;
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, name, (const int32_t[]){in1, in2}, 2, &out, 1, &at,
                                  NULL));
    return out;
}

/* Identity: x [1, 6, 5, 3] -> conv k_a (-> 4) -> conv k_b (-> 3), + x.
 * Projection: x [1, 8, 6, 3] -> conv k_a /2 (-> 4) -> conv k_b (-> 5),
 * + conv k_s /2 (-> 5) of x. With x_read_later, one more op reads x. */
static void build_block(tml_ir_graph_t *g, const geom_t *geom)
{
    TML_ASSERT_OK(tml_ir_init(g, "block"));
    int32_t x = geom->proj ? add_act(g, "x", 8, 6, 3, 0.04f, 3) : add_act(g, "x", 6, 5, 3, 0.04f, 3);
    int32_t s = x, a, b, out;
    if (geom->proj && geom->shortcut_first)
        s = add_conv(g, "s", x, geom->k_s, 2, 5, TML_ACT_NONE);
    a = add_conv(g, "a", x, geom->k_a, geom->proj ? 2 : 1, 4, TML_ACT_RELU);
    b = add_conv(g, "b", a, geom->k_b, 1, geom->proj ? 5 : 3, TML_ACT_NONE);
    if (geom->proj && !geom->shortcut_first)
        s = add_conv(g, "s", x, geom->k_s, 2, 5, TML_ACT_NONE);
    out = add_add(g, "y", b, s, TML_ACT_RELU);
    if (geom->x_read_later)
        out = add_add(g, "z", out, geom->proj ? add_conv(g, "t", x, 1, 2, 5, TML_ACT_NONE) : x,
                      TML_ACT_NONE);
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
 * on random inputs and the RAM arena is no larger (smaller when fused). */
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
    const tml_ir_tensor_t *ti = &ram.graph.tensors[ram.graph.inputs[0]];
    const tml_ir_tensor_t *to = &ram.graph.tensors[ram.graph.outputs[0]];
    size_t in_len = tml_ir_tensor_bytes(ti), out_len = tml_ir_tensor_bytes(to);
    int8_t *in = malloc(in_len), *want = malloc(out_len), *got = malloc(out_len);
    for (int k = 0; k < 8; k++) {
        for (size_t i = 0; i < in_len; i++)
            in[i] = (int8_t)next_rand();
        run_package(&plain, in, in_len, want, out_len);
        run_package(&ram, in, in_len, got, out_len);
        assert_memory_equal(got, want, out_len);
    }
    if (n)
        assert_true(ram.plan.arena_len < plain.plan.arena_len);
    free(in);
    free(want);
    free(got);
    tml_compiled_free(&plain);
    tml_compiled_free(&ram);
    return n;
}

static void rewrite_fires_only_where_legal(void **state)
{
    (void)state;
    /* Identity, 3x3 then 3x3 'same': 3 - 1 - 1 >= 1. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3}), 1);
    /* 3x3 then 5x5: 5 - 2 - 1 >= 1; 1x1 then 3x3: 3 - 1 - 0 >= 1. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 5}), 1);
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 1, .k_b = 3}), 1);
    /* 5x5 then 3x3: 3 - 1 - 2 = 0, x's rows would be overwritten too soon. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 5, .k_b = 3}), 0);
    /* x still needed after the block: its buffer cannot take the output. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .x_read_later = 1}), 0);
    /* Projection shortcuts (ResNet's strided blocks), either op order. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .proj = 1, .k_s = 1}), 1);
    assert_int_equal(
        fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .proj = 1, .k_s = 1, .shortcut_first = 1}), 1);
    /* A 3x3 shortcut is not a 1x1 projection; x read later. */
    assert_int_equal(fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .proj = 1, .k_s = 3}), 0);
    assert_int_equal(
        fused_blocks(&(geom_t){.k_a = 3, .k_b = 3, .proj = 1, .k_s = 1, .x_read_later = 1}), 0);
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
