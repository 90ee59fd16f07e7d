/*
 * test_ram_qemu.c - the MLPerf Tiny int8 models compiled with --optimize ram
 * (in-place convolutions, fused residual blocks: RESBLOCK_S8) are bit-exact
 * against TFLM's reference outputs (../shared/models/mlperf-tiny/<model>/
 * out_seed1.bin, made as that folder's README says) in qemu-system-arm on
 * the Cortex-M4 (mps2-an386), the way `tml firmware --run` runs them, with
 * their arena within its target. The instruction count of one inference is
 * printed for the bench (no assertion on it). Without the models the test
 * passes saying so; without arm-none-eabi-gcc or qemu-system-arm it exits
 * 77 (CTest SKIP_RETURN_CODE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/firmware.h"

#define SKIP_CODE 77
#define MODELS TML_SHARED_DIR "/models/mlperf-tiny"
#define BOARD "mps2-an386"

typedef struct model {
    const char *dir;
    uint32_t max_arena; /* bytes, with --optimize ram */
} model_t;

static const model_t models[] = {
    {"pretrainedResnet_quant", 18432},
    {"kws_ref_model", 8448},
    {"ad01_int8", 768},
    {"vww_96_int8", 36880},
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

static void run_model(const model_t *m, const char *dir)
{
    char path[1100], elf[1100];
    snprintf(path, sizeof(path), "%s/%s/model.tflite", MODELS, m->dir);
    snprintf(elf, sizeof(elf), "%s/fw.elf", dir);
    tml_compile_opts_t opts = {.target = tml_target_find(BOARD), .optimize_ram = true};
    assert_non_null(opts.target);
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    TML_ASSERT_OK_ERR(tml_compile_file(path, &opts, &c, &err), &err);
    if (c.plan.arena_len > m->max_arena)
        fail_msg("%s: arena %u bytes, target %u", m->dir, (unsigned)c.plan.arena_len,
                 (unsigned)m->max_arena);
    size_t in_len, want_len, out_len;
    uint8_t *in = read_case(m->dir, "in_seed1.bin", &in_len);
    uint8_t *want = read_case(m->dir, "out_seed1.bin", &want_len);
    snprintf(path, sizeof(path), "%s/input.bin", dir);
    TML_ASSERT_OK(tml_file_write(path, in, in_len, NULL));
    TML_ASSERT_OK_ERR(tml_firmware_build(c.pkg, c.pkg_len, BOARD, elf, NULL, &err), &err);
    tml_firmware_run_t run;
    TML_ASSERT_OK_ERR(tml_firmware_run(elf, BOARD, dir, 120000, &run, &err), &err);
    if (run.exit_status != 0)
        fail_msg("%s: exit %d: %s", m->dir, run.exit_status, run.console);
    uint8_t *out;
    snprintf(path, sizeof(path), "%s/output.bin", dir);
    TML_ASSERT_OK(tml_file_read(path, &out, &out_len, NULL));
    assert_int_equal(out_len, want_len);
    assert_memory_equal(out, want, want_len);
    printf("  %s %-24s %10lld instructions, arena %u bytes (--optimize ram): bit-exact\n", BOARD,
           m->dir, (long long)run.instructions, (unsigned)c.plan.arena_len);
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

static void qemu_m4_ram_bit_exact(void **state)
{
    (void)state;
    if (!have_models()) {
        print_message("skipped: %s not found\n", MODELS);
        return;
    }
    char tmpl[] = "/tmp/tml-ramqemu-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++)
        run_model(&models[m], dir);
    rmdir(dir);
}

int main(void)
{
    if (!tml_firmware_have_tool("arm-none-eabi-gcc") || !tml_firmware_have_tool("qemu-system-arm")) {
        printf("SKIP: arm-none-eabi-gcc or qemu-system-arm missing: QEMU runs not tested\n");
        return SKIP_CODE;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(qemu_m4_ram_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
