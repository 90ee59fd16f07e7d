/*
 * test_dsp_qemu.c - the MLPerf Tiny int8 models compiled for targets with
 * the DSP extension (so with the *_S8_DSP kernels) are bit-exact against
 * TFLM's reference outputs (../shared/models/mlperf-tiny/<model>/
 * out_seed1.bin, made as that folder's README says): on the host (portable
 * C for the SIMD instructions) and in qemu-system-arm on the Cortex-M4
 * (mps2-an386: every model) and the Cortex-M33 (mps2-an505: all but the
 * long VWW run). The arena of each model stays within its target, and the
 * instruction counts of one inference are printed for the bench (no
 * assertion on them). Without the models the test passes saying so;
 * without arm-none-eabi-gcc or qemu-system-arm it exits 77 after the host
 * part (CTest SKIP_RETURN_CODE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/firmware.h"
#include "tml/session.h"

#define SKIP_CODE 77
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
        int n_dsp = 0;
        for (int i = 0; i < c.lowered.n_ops; i++)
            n_dsp += (c.lowered.ops[i].kernel >= TML_K_CONV2D_S8_DSP &&
                      c.lowered.ops[i].kernel <= TML_K_CONV2D_DIRECT_S8_DSP) ||
                     c.lowered.ops[i].kernel == TML_K_DWCONV2D_3X3_S8_DSP;
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
    };
    return failed + cmocka_run_group_tests_name("DSP kernels in QEMU", qemu, NULL, NULL);
}
