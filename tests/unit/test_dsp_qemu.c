/*
 * test_dsp_qemu.c - the MLPerf Tiny int8 models compiled for targets with
 * the DSP extension (so with the *_S8_DSP kernels) are bit-exact against
 * TFLM's reference outputs (../shared/models/mlperf-tiny/<model>/
 * out_seed1.bin, made as that folder's README says): on the host (portable
 * C for the SIMD instructions) and in qemu-system-arm on the Cortex-M4
 * (mps2-an386: every model) and the Cortex-M33 (mps2-an505: all but the
 * long VWW run). The arena of each model stays within its target, and the
 * instruction counts of one inference are printed for the bench (no
 * assertion on them). A small synthetic net runs the 4-pixel convolutions
 * on the shapes the models lack (an odd number of 4-value groups, an odd
 * channel count, stride 2) in QEMU against the reference kernels on the
 * host. Without the models their tests pass saying so;
 * without arm-none-eabi-gcc or qemu-system-arm it exits 77 after the host
 * part (CTest SKIP_RETURN_CODE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/firmware.h"
#include "tml/fit.h"
#include "tml/session.h"

#define SKIP_CODE 77
/* Stack of the image's own frames around the runtime's (bytes). */
#define FW_OWN_STACK 256u
#define MODELS TML_SHARED_DIR "/models/mlperf-tiny"

typedef struct model {
    const char *dir;
    uint32_t max_arena;  /* the arena target (bytes) */
    bool on_m33;         /* also run on mps2-an505 */
} model_t;

static const model_t models[] = {
    {"kws_ref_model", 16000, true},
    {"ad01_int8", 768, true},
    {"pretrainedResnet_quant", 49152, true},
    {"vww_96_int8", 55296, false},
};

static bool have_models(void)
{
    struct stat sb;
    return stat(MODELS "/kws_ref_model/model.tflite", &sb) == 0;
}

static uint8_t *read_case(const char *model, const char *file, size_t *len)
{
    char path[1024];
    uint8_t *buf;
    snprintf(path, sizeof(path), "%s/%s/%s", MODELS, model, file);
    TML_ASSERT_OK(tml_file_read(path, &buf, len, NULL));
    return buf;
}

static void compile_dsp(const char *model, const char *target, tml_compiled_t *c)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/model.tflite", MODELS, model);
    tml_compile_opts_t opts = {.target = tml_target_find(target)};
    assert_non_null(opts.target);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_file(path, &opts, c, &err), &err);
}

/* Host: DSP kernels are used, the arena holds its target, outputs match. */
static void host_bit_exact(void **state)
{
    (void)state;
    if (!have_models()) {
        printf("  (../shared/models absent: skipped)\n");
        return;
    }
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        tml_compiled_t c;
        compile_dsp(models[m].dir, "mps2-an386", &c);
        /* The DSP kernels are the ones named *_DSP or *_DSPW. */
        int n_dsp = 0;
        for (int i = 0; i < c.lowered.n_ops; i++) {
            const char *name = tml_rt_kernel_name(c.lowered.ops[i].kernel);
            n_dsp += name && strstr(name, "_DSP") != NULL;
        }
        assert_true(n_dsp > 0);
        if (c.plan.arena_len > models[m].max_arena)
            fail_msg("%s: arena %u bytes, target %u", models[m].dir, (unsigned)c.plan.arena_len,
                     (unsigned)models[m].max_arena);
        size_t in_len, want_len, out_len;
        uint8_t *in = read_case(models[m].dir, "in_seed1.bin", &in_len);
        uint8_t *want = read_case(models[m].dir, "out_seed1.bin", &want_len);
        tml_session_t s;
        tml_err_t err;
        tml_err_clear(&err);
        TML_ASSERT_OK_ERR(tml_session_open(&s, c.pkg, c.pkg_len, &err), &err);
        TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, in, in_len, &err), &err);
        TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
        const void *out;
        TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &out, &out_len, &err), &err);
        assert_int_equal(out_len, want_len);
        assert_memory_equal(out, want, want_len);
        printf("  host %-24s %d DSP kernels of %d, arena %u bytes: bit-exact\n", models[m].dir,
               n_dsp, c.lowered.n_ops, (unsigned)c.plan.arena_len);
        tml_session_close(&s);
        tml_free(in);
        tml_free(want);
        tml_compiled_free(&c);
    }
}

static void run_on(const char *board, bool all)
{
    char tmpl[] = "/tmp/tml-dspqemu-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char elf[1100], path[1100];
    snprintf(elf, sizeof(elf), "%s/fw.elf", dir);
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        if (!all && !models[m].on_m33)
            continue;
        tml_compiled_t c;
        compile_dsp(models[m].dir, board, &c);
        size_t in_len, want_len, out_len;
        uint8_t *in = read_case(models[m].dir, "in_seed1.bin", &in_len);
        uint8_t *want = read_case(models[m].dir, "out_seed1.bin", &want_len);
        snprintf(path, sizeof(path), "%s/input.bin", dir);
        TML_ASSERT_OK(tml_file_write(path, in, in_len, NULL));
        tml_err_t err;
        tml_err_clear(&err);
        TML_ASSERT_OK_ERR(tml_firmware_build(c.pkg, c.pkg_len, board, elf, NULL, &err), &err);
        tml_firmware_run_t run;
        TML_ASSERT_OK_ERR(tml_firmware_run(elf, board, dir, 120000, &run, &err), &err);
        if (run.exit_status != 0)
            fail_msg("%s on %s: exit %d: %s", models[m].dir, board, run.exit_status, run.console);
        uint8_t *out;
        snprintf(path, sizeof(path), "%s/output.bin", dir);
        TML_ASSERT_OK(tml_file_read(path, &out, &out_len, NULL));
        assert_int_equal(out_len, want_len);
        assert_memory_equal(out, want, want_len);
        printf("  %s %-24s %10lld instructions (%.2f per MAC), arena %u bytes: bit-exact\n",
               board, models[m].dir, (long long)run.instructions,
               (double)run.instructions / (double)c.macs, (unsigned)c.plan.arena_len);
        /* The fit check's runtime RAM (frames measured at build time) covers
         * the stack the image really used, less the image's own frames
         * (reset, main, semihosting: FW_OWN_STACK), without padding it much. */
        const char *st = strstr(run.console, "stack: ");
        assert_non_null(st);
        const uint32_t used = (uint32_t)strtoul(st + 7, NULL, 10);
        const uint32_t runtime = tml_fit_runtime_ram(&c.lowered);
        printf("    stack used %u bytes, fit check's runtime RAM %u bytes\n", (unsigned)used,
               (unsigned)runtime);
        if (used > runtime + FW_OWN_STACK || runtime > used + 512u)
            fail_msg("%s on %s: stack %u bytes, runtime RAM estimate %u", models[m].dir, board,
                     (unsigned)used, (unsigned)runtime);
        unlink(path);
        snprintf(path, sizeof(path), "%s/input.bin", dir);
        unlink(path);
        unlink(elf);
        tml_free(out);
        tml_free(run.console);
        tml_free(in);
        tml_free(want);
        tml_compiled_free(&c);
    }
    rmdir(dir);
}

/* An int8 activation [1, h, w, c]. */
static int32_t syn_act(tml_ir_graph_t *g, const char *name, int32_t h, int32_t w, int32_t c,
                       float scale, int32_t zp)
{
    int32_t dims[4] = {1, h, w, c}, idx;
    TML_ASSERT_OK(tml_ir_add_tensor(g, name, TML_DT_I8, 4, dims, &idx));
    TML_ASSERT_OK(tml_ir_set_quant(g, idx, 1, &scale, &zp, 0));
    return idx;
}

/* out = conv(in) with random per-channel weights [o, k, k, i] and bias. */
static void syn_conv(tml_ir_graph_t *g, const char *name, int32_t in, int32_t out, int32_t o,
                     int32_t k, int32_t i, int32_t stride, float in_scale, uint32_t *seed)
{
    int32_t wd[4] = {o, k, k, i}, bd[1] = {o}, w, b;
    char nm[64];
    snprintf(nm, sizeof(nm), "%s_w", name);
    TML_ASSERT_OK(tml_ir_add_tensor(g, nm, TML_DT_I8, 4, wd, &w));
    snprintf(nm, sizeof(nm), "%s_b", name);
    TML_ASSERT_OK(tml_ir_add_tensor(g, nm, TML_DT_I32, 1, bd, &b));
    const size_t n = (size_t)(o * k * k * i);
    int8_t *wv = tml_malloc(n);
    int32_t *bv = tml_malloc((size_t)o * 4), *zps = tml_malloc((size_t)o * 4);
    float *ws = tml_malloc((size_t)o * 4), *bs = tml_malloc((size_t)o * 4);
    for (size_t j = 0; j < n; j++) {
        *seed = *seed * 1664525u + 1013904223u;
        wv[j] = (int8_t)(*seed >> 24);
    }
    for (int32_t c = 0; c < o; c++) {
        *seed = *seed * 1664525u + 1013904223u;
        bv[c] = (int32_t)(*seed >> 20) - 2048;
        zps[c] = 0;
        ws[c] = 0.002f + 0.0007f * (float)(c % 3);
        bs[c] = ws[c] * in_scale;
    }
    TML_ASSERT_OK(tml_ir_set_data(g, w, wv, n));
    TML_ASSERT_OK(tml_ir_set_quant(g, w, o, ws, zps, 0));
    TML_ASSERT_OK(tml_ir_set_data(g, b, bv, (size_t)o * 4));
    TML_ASSERT_OK(tml_ir_set_quant(g, b, o, bs, zps, 0));
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    const int32_t pad = k / 2;
    attrs.conv = (tml_ir_conv_t){.stride_h = stride, .stride_w = stride, .dilation_h = 1,
                                 .dilation_w = 1, .pad_top = pad, .pad_left = pad,
                                 .pad_bottom = pad, .pad_right = pad, .depth_multiplier = 1,
                                 .act = TML_ACT_RELU};
    int32_t ins[3] = {in, w, b};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_CONV2D, name, ins, 3, &out, 1, &attrs, NULL));
    tml_free(wv);
    tml_free(bv);
    tml_free(zps);
    tml_free(ws);
    tml_free(bs);
}

/* x [16,16,8] -1x1-> [16,16,4] -3x3 s2-> [8,8,8] -3x3-> [8,8,5]: the big
 * first tensors set the arena's peak, so both 3x3 convs keep the scratch
 * of CONV2D_4PX_S8_DSP; the first has 9 groups of 4 values per window. */
static void build_syn(tml_ir_graph_t *g)
{
    uint32_t seed = 4242;
    TML_ASSERT_OK(tml_ir_init(g, "syn4px"));
    int32_t x = syn_act(g, "x", 16, 16, 8, 0.05f, -3);
    int32_t t1 = syn_act(g, "t1", 16, 16, 4, 0.04f, -128);
    int32_t t2 = syn_act(g, "t2", 8, 8, 8, 0.05f, -128);
    int32_t y = syn_act(g, "y", 8, 8, 5, 0.06f, -128);
    syn_conv(g, "c1", x, t1, 4, 1, 8, 1, 0.05f, &seed);
    syn_conv(g, "c2", t1, t2, 8, 3, 4, 2, 0.04f, &seed);
    syn_conv(g, "c3", t2, y, 5, 3, 8, 1, 0.05f, &seed);
    TML_ASSERT_OK(tml_ir_set_io(g, &x, 1, &y, 1));
}

static void qemu_syn_4px(void **state)
{
    (void)state;
    tml_err_t err;
    tml_err_clear(&err);
    tml_ir_graph_t g;
    tml_compiled_t ref, dsp;
    build_syn(&g);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &ref, &err), &err);
    build_syn(&g);
    tml_compile_opts_t opts = {.target = tml_target_find("mps2-an386")};
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, &opts, &dsp, &err), &err);
    int n_4px = 0;
    for (int i = 0; i < dsp.lowered.n_ops; i++)
        n_4px += dsp.lowered.ops[i].kernel == TML_K_CONV2D_4PX_S8_DSP;
    assert_int_equal(n_4px, 2);

    uint8_t in[16 * 16 * 8];
    uint32_t seed = 77;
    for (size_t i = 0; i < sizeof(in); i++) {
        seed = seed * 1664525u + 1013904223u;
        in[i] = (uint8_t)(seed >> 24);
    }
    tml_session_t s;
    TML_ASSERT_OK_ERR(tml_session_open(&s, ref.pkg, ref.pkg_len, &err), &err);
    TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, in, sizeof(in), &err), &err);
    TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
    const void *want;
    size_t want_len;
    TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &want, &want_len, &err), &err);

    char tmpl[] = "/tmp/tml-dspqemu-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char elf[1100], path[1100];
    snprintf(elf, sizeof(elf), "%s/fw.elf", dir);
    snprintf(path, sizeof(path), "%s/input.bin", dir);
    TML_ASSERT_OK(tml_file_write(path, in, sizeof(in), NULL));
    TML_ASSERT_OK_ERR(tml_firmware_build(dsp.pkg, dsp.pkg_len, "mps2-an386", elf, NULL, &err), &err);
    tml_firmware_run_t run;
    TML_ASSERT_OK_ERR(tml_firmware_run(elf, "mps2-an386", dir, 60000, &run, &err), &err);
    if (run.exit_status != 0)
        fail_msg("syn4px: exit %d: %s", run.exit_status, run.console);
    uint8_t *out;
    size_t out_len;
    snprintf(path, sizeof(path), "%s/output.bin", dir);
    TML_ASSERT_OK(tml_file_read(path, &out, &out_len, NULL));
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    printf("  mps2-an386 syn4px (2 CONV2D_4PX_S8_DSP): bit-exact with the reference kernels\n");
    unlink(path);
    snprintf(path, sizeof(path), "%s/input.bin", dir);
    unlink(path);
    unlink(elf);
    rmdir(dir);
    tml_free(out);
    tml_free(run.console);
    tml_session_close(&s);
    tml_compiled_free(&ref);
    tml_compiled_free(&dsp);
}

static void qemu_m4_bit_exact(void **state)
{
    (void)state;
    if (have_models())
        run_on("mps2-an386", true);
}

static void qemu_m33_bit_exact(void **state)
{
    (void)state;
    if (have_models())
        run_on("mps2-an505", false);
}

int main(void)
{
    const struct CMUnitTest host[] = {
        cmocka_unit_test_setup_teardown(host_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
    };
    int failed = cmocka_run_group_tests_name("DSP kernels on the host", host, NULL, NULL);
    if (!tml_firmware_have_tool("arm-none-eabi-gcc") || !tml_firmware_have_tool("qemu-system-arm")) {
        printf("SKIP: arm-none-eabi-gcc or qemu-system-arm missing: QEMU runs not tested\n");
        return failed ? failed : SKIP_CODE;
    }
    const struct CMUnitTest qemu[] = {
        cmocka_unit_test_setup_teardown(qemu_m4_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(qemu_m33_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(qemu_syn_4px, tml_test_leak_setup, tml_test_leak_teardown),
    };
    return failed + cmocka_run_group_tests_name("DSP kernels in QEMU", qemu, NULL, NULL);
}
