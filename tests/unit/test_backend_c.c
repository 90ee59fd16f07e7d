/*
 * test_backend_c.c - the "c" backend end to end: compile MLPerf Tiny models
 * to standalone C, build that C with the host compiler through the generated
 * Makefile fragment (with a small driver main), run every reference sample
 * and compare with TensorFlow Lite Micro's outputs byte for byte; then build
 * the same sources for Cortex-M4 with arm-none-eabi-gcc -Werror, proving the
 * output drops into firmware as promised.
 */
#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/backend_c.h"

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        print_error("command failed (%d): %s\n", rc, cmd);
    return rc;
}

static void c_backend_model(const char *model_dir, const char *name, bool optimize_ram)
{
    if (!tml_test_have_shared())
        skip();
    char tmpl[] = "/tmp/tml_cbackend_XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    char path[4096], out_dir[4200], cmd[16384];
    snprintf(path, sizeof(path), "%s/%s/model.tflite", tml_test_shared("models/mlperf-tiny"), model_dir);
    snprintf(out_dir, sizeof(out_dir), "%s/%s", tmpl, name);
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    tml_compile_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.optimize_ram = optimize_ram;
    TML_ASSERT_OK_ERR(tml_compile_file(path, optimize_ram ? &opts : NULL, &c, &err), &err);
    TML_ASSERT_OK_ERR(tml_backend_c_emit(&c, name, out_dir, TML_SOURCE_DIR, &err), &err);
    tml_compiled_free(&c);

    /* Driver and a Makefile that uses only the generated fragment. */
    char upper[64];
    for (size_t i = 0; i <= strlen(name); i++)
        upper[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i]);
    snprintf(path, sizeof(path), "%s/main.c", tmpl);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    /* The driver main: reads input, invokes, writes output. */
    fprintf(f,
    "#include <stdio.h>\n"
    "#include \"%s.h\"\n"
    "static unsigned char arena[%s_ARENA_SIZE] __attribute__((aligned(16)));\n"
    "static unsigned char in[%s_INPUT_SIZE], out[%s_OUTPUT_SIZE];\n"
    "int main(int argc, char **argv)\n"
    "{\n"
    "    if (argc != 3) return 2;\n"
    "    FILE *f = fopen(argv[1], \"rb\");\n"
    "    if (!f || fread(in, 1, sizeof(in), f) != sizeof(in)) return 3;\n"
    "    fclose(f);\n"
    "    %s_invoke(in, out, arena);\n"
    "    f = fopen(argv[2], \"wb\");\n"
    "    if (!f || fwrite(out, 1, sizeof(out), f) != sizeof(out)) return 4;\n"
    "    return fclose(f) != 0;\n"
    "}\n",
            name, upper, upper, upper, name);
    fclose(f);
    snprintf(path, sizeof(path), "%s/Makefile", tmpl);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "include %s/%s.mk\n"
               "prog: main.c $(%s_SRCS)\n"
               "\t$(CC) -O2 -Wall -Wextra -Werror $(%s_CFLAGS) -o $@ main.c $(%s_SRCS) -lm\n",
            out_dir, name, upper, upper, upper);
    fclose(f);
    snprintf(cmd, sizeof(cmd), "make -s -C %s prog CC=cc >/dev/null", tmpl);
    assert_int_equal(run(cmd), 0);

    /* Every sample, bit-exact. */
    char samples[4096];
    snprintf(samples, sizeof(samples), "%s/%s", tml_test_shared("models/mlperf-tiny"), model_dir);
    DIR *d = opendir(samples);
    assert_non_null(d);
    struct dirent *ent;
    int n = 0;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, "in_", 3) != 0)
            continue;
        snprintf(cmd, sizeof(cmd), "%s/prog %s/%s %s/out.bin && cmp -s %s/out.bin %s/out_%s",
                 tmpl, samples, ent->d_name, tmpl, tmpl, samples, ent->d_name + 3);
        if (run(cmd) != 0)
            fail_msg("%s: %s differs from TFLM", name, ent->d_name);
        n++;
    }
    closedir(d);
    assert_true(n >= 4);

    /* The same sources build for Cortex-M4 with warnings as errors. */
    if (system("command -v arm-none-eabi-gcc >/dev/null 2>&1") == 0) {
        snprintf(cmd, sizeof(cmd),
                 "cd %s && arm-none-eabi-gcc -std=c99 -O2 -mcpu=cortex-m4 -mthumb -mfloat-abi=hard "
                 "-mfpu=fpv4-sp-d16 -Wall -Wextra -Werror -I. -c %s.c tml/*.c",
                 out_dir, name);
        assert_int_equal(run(cmd), 0);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
    assert_int_equal(run(cmd), 0);
}

static void kws_as_c_is_bit_exact(void **state)
{
    (void)state;
    c_backend_model("kws_ref_model", "kws", false);
}

static void resnet_as_c_is_bit_exact(void **state)
{
    (void)state;
    c_backend_model("pretrainedResnet_quant", "ic", false);
}

/* --optimize ram: in-place convolutions and the fused residual block
 * (RESBLOCK_S8), its output over its input in the arena. */
static void resnet_ram_as_c_is_bit_exact(void **state)
{
    (void)state;
    c_backend_model("pretrainedResnet_quant", "ic_ram", true);
}

static void ad_float_as_c_matches(void **state)
{
    (void)state;
    c_backend_model("ad01_fp32", "ad_f32", false); /* float FC: TFLM's loop order, exact here */
}

static void bad_names_are_refused(void **state)
{
    (void)state;
    tml_compiled_t c;
    memset(&c, 0, sizeof(c));
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_backend_c_emit(&c, "9lives", "/tmp/unused", TML_SOURCE_DIR, &err), TML_ERR_ARG);
    assert_non_null(strstr(err.msg, "C identifier"));
    TML_ASSERT_STATUS(tml_backend_c_emit(&c, "a-b", "/tmp/unused", TML_SOURCE_DIR, NULL), TML_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(kws_as_c_is_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(resnet_as_c_is_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(resnet_ram_as_c_is_bit_exact, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(ad_float_as_c_matches, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(bad_names_are_refused),
    };
    TML_TEST_MAIN(tests);
}
