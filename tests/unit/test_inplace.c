/*
 * test_inplace.c - the in-place convolution kernels (tml/kernels/inplace.h):
 * tml_conv_inplace_bound() against a brute-force simulation of which input
 * bytes each output reads, and both kernels, run with their output
 * overlapping their input at the bound, against the out-of-place reference
 * kernels on random geometries, bit for bit.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/kernels.h"

static uint32_t rng = 12345u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static int32_t rand_in(int32_t lo, int32_t hi) { return lo + (int32_t)(next_rand() % (uint32_t)(hi - lo + 1)); }

/* A random valid geometry (small enough to brute-force). */
static void random_geometry(tml_conv_params_t *p, int depthwise)
{
    memset(p, 0, sizeof(*p));
    p->n = rand_in(1, 2);
    p->in_h = rand_in(1, 9);
    p->in_w = rand_in(1, 9);
    p->in_c = rand_in(1, 6);
    p->depth_multiplier = depthwise ? rand_in(1, 3) : 1;
    p->out_c = depthwise ? p->in_c * p->depth_multiplier : rand_in(1, 12);
    p->k_h = rand_in(1, 3);
    p->k_w = rand_in(1, 3);
    p->stride_h = rand_in(1, 2);
    p->stride_w = rand_in(1, 2);
    p->dilation_h = rand_in(1, 2);
    p->dilation_w = rand_in(1, 2);
    int32_t eff_h = (p->k_h - 1) * p->dilation_h + 1, eff_w = (p->k_w - 1) * p->dilation_w + 1;
    p->pad_top = rand_in(0, eff_h - 1);
    p->pad_left = rand_in(0, eff_w - 1);
    p->pad_bottom = rand_in(0, eff_h - 1);
    p->pad_right = rand_in(0, eff_w - 1);
    /* The padded input must cover one window. */
    if (p->in_h + p->pad_top + p->pad_bottom < eff_h)
        p->pad_bottom = eff_h - p->in_h - p->pad_top;
    if (p->in_w + p->pad_left + p->pad_right < eff_w)
        p->pad_right = eff_w - p->in_w - p->pad_left;
    p->out_h = (p->in_h + p->pad_top + p->pad_bottom - eff_h) / p->stride_h + 1;
    p->out_w = (p->in_w + p->pad_left + p->pad_right - eff_w) / p->stride_w + 1;
    p->input_offset = rand_in(-127, 128);
    p->output_offset = rand_in(-128, 127);
    p->act_min = rand_in(-128, -20);
    p->act_max = rand_in(20, 127);
}

/* Brute force: reader range of every input element by walking the
 * kernel's loops; returns the bound as tml_conv_inplace_bound defines it. */
static int64_t simulated_bound(const tml_conv_params_t *p, int depthwise, int reverse)
{
    int64_t in_len = (int64_t)p->n * p->in_h * p->in_w * p->in_c;
    int64_t *lo = malloc((size_t)in_len * sizeof(int64_t)), *hi = malloc((size_t)in_len * sizeof(int64_t));
    for (int64_t i = 0; i < in_len; i++) {
        lo[i] = INT64_MAX;
        hi[i] = -1;
    }
    for (int32_t b = 0; b < p->n; b++)
        for (int32_t oy = 0; oy < p->out_h; oy++)
            for (int32_t ox = 0; ox < p->out_w; ox++)
                for (int32_t oc = 0; oc < p->out_c; oc++) {
                    int64_t o = (((int64_t)b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc;
                    for (int32_t ky = 0; ky < p->k_h; ky++)
                        for (int32_t kx = 0; kx < p->k_w; kx++) {
                            int32_t y = oy * p->stride_h - p->pad_top + ky * p->dilation_h;
                            int32_t x = ox * p->stride_w - p->pad_left + kx * p->dilation_w;
                            if (y < 0 || y >= p->in_h || x < 0 || x >= p->in_w)
                                continue;
                            for (int32_t c = 0; c < p->in_c; c++) {
                                if (depthwise && c != oc / p->depth_multiplier)
                                    continue;
                                int64_t i = (((int64_t)b * p->in_h + y) * p->in_w + x) * p->in_c + c;
                                if (o < lo[i])
                                    lo[i] = o;
                                if (o > hi[i])
                                    hi[i] = o;
                            }
                        }
                }
    int64_t dist = INT64_MIN;
    for (int64_t i = 0; i < in_len; i++) {
        if (hi[i] < 0)
            continue;
        int64_t d = reverse ? i - lo[i] : hi[i] - i;
        if (d > dist)
            dist = d;
    }
    free(lo);
    free(hi);
    if (dist == INT64_MIN)
        return reverse ? INT64_MIN : INT64_MAX;
    return reverse ? dist : -dist;
}

static void bound_matches_simulation(void **state)
{
    (void)state;
    for (int iter = 0; iter < 400; iter++) {
        int depthwise = iter & 1;
        tml_conv_params_t p;
        random_geometry(&p, depthwise);
        for (int reverse = 0; reverse < 2; reverse++) {
            int64_t want = simulated_bound(&p, depthwise, reverse);
            int64_t got = tml_conv_inplace_bound(&p, depthwise, reverse);
            if (got != want)
                fail_msg("iter %d dw %d rev %d: bound %lld, simulation %lld", iter, depthwise,
                         reverse, (long long)got, (long long)want);
        }
    }
}

/* Runs the in-place kernel with its output delta bytes from its input. */
static void run_overlapped(const tml_conv_inplace_params_t *ip, int depthwise, int64_t delta,
                           const int8_t *input, const int8_t *weights, const int32_t *mult,
                           const int32_t *shift, const int32_t *bias, int8_t *result)
{
    const tml_conv_params_t *p = &ip->conv;
    int64_t in_len = (int64_t)p->n * p->in_h * p->in_w * p->in_c;
    int64_t out_len = (int64_t)p->n * p->out_h * p->out_w * p->out_c;
    int64_t in_off = delta < 0 ? -delta : 0, out_off = in_off + delta;
    int64_t len = (in_off + in_len > out_off + out_len ? in_off + in_len : out_off + out_len);
    int8_t *arena = malloc((size_t)len);
    memset(arena, 0x5A, (size_t)len);
    memcpy(arena + in_off, input, (size_t)in_len);
    if (depthwise)
        tml_dwconv2d_s8_inplace(ip, arena + in_off, weights, mult, shift, bias, arena + out_off);
    else
        tml_conv2d_s8_inplace(ip, arena + in_off, weights, mult, shift, bias, arena + out_off);
    memcpy(result, arena + out_off, (size_t)out_len);
    free(arena);
}

static void kernels_match_reference_when_overlapped(void **state)
{
    (void)state;
    int n_overlapping = 0;
    for (int iter = 0; iter < 600; iter++) {
        int depthwise = iter & 1;
        tml_conv_inplace_params_t ip;
        random_geometry(&ip.conv, depthwise);
        const tml_conv_params_t *p = &ip.conv;
        size_t in_len = (size_t)p->n * p->in_h * p->in_w * p->in_c;
        size_t out_len = (size_t)p->n * p->out_h * p->out_w * p->out_c;
        size_t w_len = (size_t)p->k_h * p->k_w * p->out_c * (depthwise ? 1 : p->in_c);
        int8_t *input = malloc(in_len), *weights = malloc(w_len);
        int8_t *want = malloc(out_len), *got = malloc(out_len);
        int32_t *mult = malloc((size_t)p->out_c * 4), *shift = malloc((size_t)p->out_c * 4);
        int32_t *bias = malloc((size_t)p->out_c * 4);
        for (size_t i = 0; i < in_len; i++)
            input[i] = (int8_t)next_rand();
        for (size_t i = 0; i < w_len; i++)
            weights[i] = (int8_t)next_rand();
        for (int32_t c = 0; c < p->out_c; c++) {
            mult[c] = (int32_t)(0x40000000u + next_rand() % 0x3FFFFFFFu);
            shift[c] = rand_in(-12, 1);
            bias[c] = rand_in(-5000, 5000);
        }
        const int32_t *b = iter % 3 ? bias : NULL;
        if (depthwise)
            tml_dwconv2d_s8(p, input, weights, mult, shift, b, want);
        else
            tml_conv2d_s8(p, input, weights, mult, shift, b, want);
        for (int reverse = 0; reverse < 2; reverse++) {
            ip.reverse = reverse;
            int64_t bound = tml_conv_inplace_bound(p, depthwise, reverse);
            /* The tightest overlap allowed, and the compiler's choice. */
            int64_t tight = bound == INT64_MAX || bound == INT64_MIN ? 0 : bound;
            int64_t chosen = reverse ? (bound > 0 ? bound : 0) : (bound < 0 ? bound : 0);
            int64_t deltas[2] = {tight, chosen};
            for (int k = 0; k < 2; k++) {
                memset(got, 0, out_len);
                run_overlapped(&ip, depthwise, deltas[k], input, weights, mult, shift, b, got);
                if (memcmp(got, want, out_len) != 0)
                    fail_msg("iter %d dw %d rev %d delta %lld: in-place result differs", iter,
                             depthwise, reverse, (long long)deltas[k]);
                if (deltas[k] < (int64_t)in_len && -deltas[k] < (int64_t)out_len)
                    n_overlapping++;
            }
        }
        free(input);
        free(weights);
        free(want);
        free(got);
        free(mult);
        free(shift);
        free(bias);
    }
    /* The buffers really overlapped in most runs. */
    assert_true(n_overlapping > 1500);
}

/* The cases the compiler relies on, in closed form (tml/kernels/inplace.h). */
static void bound_of_common_layers(void **state)
{
    (void)state;
    /* pointwise 25x5: 64 -> 64 forward: one pixel minus one byte. */
    tml_conv_params_t pw = {.n = 1, .in_h = 25, .in_w = 5, .in_c = 64, .out_h = 25, .out_w = 5,
                            .out_c = 64, .k_h = 1, .k_w = 1, .stride_h = 1, .stride_w = 1,
                            .dilation_h = 1, .dilation_w = 1, .depth_multiplier = 1};
    assert_int_equal(tml_conv_inplace_bound(&pw, 0, 0), -63);
    assert_int_equal(tml_conv_inplace_bound(&pw, 0, 1), 63);
    /* 48x48: 8 -> 16: the input at the tail of the output. */
    pw.in_h = pw.in_w = pw.out_h = pw.out_w = 48;
    pw.in_c = 8;
    pw.out_c = 16;
    assert_int_equal(tml_conv_inplace_bound(&pw, 0, 0), -(2303 * 8 + 15));
    /* depthwise 3x3 stride 1 'same' at 25x5x64: one row and one pixel. */
    tml_conv_params_t dw = {.n = 1, .in_h = 25, .in_w = 5, .in_c = 64, .out_h = 25, .out_w = 5,
                            .out_c = 64, .k_h = 3, .k_w = 3, .stride_h = 1, .stride_w = 1,
                            .dilation_h = 1, .dilation_w = 1, .pad_top = 1, .pad_left = 1,
                            .pad_bottom = 1, .pad_right = 1, .depth_multiplier = 1};
    assert_int_equal(tml_conv_inplace_bound(&dw, 1, 0), -(6 * 64));
    assert_int_equal(tml_conv_inplace_bound(&dw, 1, 1), 6 * 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bound_of_common_layers, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(bound_matches_simulation, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(kernels_match_reference_when_overlapped, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
