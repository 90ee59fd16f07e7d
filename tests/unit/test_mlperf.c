/*
 * test_mlperf.c - the MLPerf Tiny models from ../shared/models/mlperf-tiny,
 * compiled by our compiler and run by our runtime, against the outputs
 * TensorFlow Lite Micro produced for the same inputs (see that folder's
 * README: tflite-micro 90b983c, reference kernels).
 *
 * int8 models must match byte for byte on every sample. float32 models must
 * match within |ours - ref| <= 1e-5 + 1e-4 * |ref| per element: the reference
 * float kernels are plain loops and our summation order may differ.
 * The planned arena of each int8 model must also stay within its target
 * (8.5 / 37.0 / 33.4 / 0.8 KB for KWS / VWW / IC / AD, with in-place
 * convolutions; plain liveness planning needed 16.0 / 55.3 / 49.2 / 0.8).
 * int8 models are also compiled with --optimize ram (in-place kernels and
 * fused residual blocks), bit-exact too, within 8,448 / 36,880 / 18,432 /
 * 768 bytes.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/session.h"

typedef struct {
    const char *dir;
    uint32_t arena_max; /* bytes; 0: no target */
    uint32_t arena_max_ram; /* bytes with --optimize ram; 0: not compiled so */
} model_case_t;

static const model_case_t models[] = {
    {"kws_ref_model", 8500, 8448},
    {"vww_96_int8", 37000, 36880},
    {"pretrainedResnet_quant", 33400, 18432},
    {"ad01_int8", 800, 768},
    {"str_ww_ref_model", 0, 0},
    {"vww_96_float", 0, 0},
    {"pretrainedResnet", 0, 0},
    {"ad01_fp32", 0, 0},
};

static int compare_outputs(const char *what, const tml_pkg_tensor_t *t, const uint8_t *got,
                           const uint8_t *want)
{
    if (t->dtype != TML_DT_F32) {
        for (uint32_t i = 0; i < t->byte_len; i++)
            if (got[i] != want[i]) {
                print_error("%s: byte %u is %d, TFLM gives %d\n", what, (unsigned)i,
                            (int)(int8_t)got[i], (int)(int8_t)want[i]);
                return 0;
            }
        return 1;
    }
    for (uint32_t i = 0; i < t->byte_len / 4; i++) {
        float a, b;
        memcpy(&a, got + 4 * i, 4);
        memcpy(&b, want + 4 * i, 4);
        if (!(fabsf(a - b) <= 1e-5f + 1e-4f * fabsf(b))) {
            print_error("%s: element %u is %.9g, TFLM gives %.9g\n", what, (unsigned)i, (double)a, (double)b);
            return 0;
        }
    }
    return 1;
}

static void run_model(const model_case_t *m, int ram)
{
    char dir[1024], path[1200];
    snprintf(dir, sizeof(dir), "%s", tml_test_shared("models/mlperf-tiny"));
    snprintf(path, sizeof(path), "%s/%s/model.tflite", dir, m->dir);
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    tml_compile_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    opts.optimize_ram = ram;
    TML_ASSERT_OK_ERR(tml_compile_file(path, ram ? &opts : NULL, &c, &err), &err);
    uint32_t arena_max = ram ? m->arena_max_ram : m->arena_max;
    if (arena_max && c.plan.arena_len > arena_max)
        fail_msg("%s%s: arena %u bytes, target %u", m->dir, ram ? " (ram)" : "",
                 (unsigned)c.plan.arena_len, (unsigned)arena_max);
    tml_session_t s;
    TML_ASSERT_OK_ERR(tml_session_open(&s, c.pkg, c.pkg_len, &err), &err);

    snprintf(path, sizeof(path), "%s/%s", dir, m->dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    struct dirent *ent;
    int n_cases = 0, n_ok = 0;
    while ((ent = readdir(d)) != NULL) {
        if (strncmp(ent->d_name, "in_", 3) != 0)
            continue;
        char in_path[2048], out_path[2048], what[600];
        snprintf(in_path, sizeof(in_path), "%s/%s", path, ent->d_name);
        snprintf(out_path, sizeof(out_path), "%s/out_%s", path, ent->d_name + 3);
        snprintf(what, sizeof(what), "%s%s/%s", m->dir, ram ? " (ram)" : "", ent->d_name);
        size_t in_len, out_len;
        uint8_t *in = tml_test_read(in_path, &in_len);
        uint8_t *want = tml_test_read(out_path, &out_len);
        TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, in, in_len, &err), &err);
        TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
        const void *got;
        size_t got_len;
        TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &got, &got_len, &err), &err);
        assert_int_equal(got_len, out_len);
        n_cases++;
        n_ok += compare_outputs(what, tml_rt_output(&s.rt, 0), got, want);
        tml_free(in);
        tml_free(want);
    }
    closedir(d);
    print_message("%-24s%s arena %6u B  weights %7u B  MACs %9lld  %d/%d samples match\n", m->dir,
                  ram ? " (ram)" : "      ",
                  (unsigned)c.plan.arena_len, (unsigned)c.const_bytes, (long long)c.macs, n_ok, n_cases);
    tml_session_close(&s);
    tml_compiled_free(&c);
    assert_true(n_cases >= 4);
    assert_int_equal(n_ok, n_cases);
}

static void model_test(void **state)
{
    const model_case_t *m = *state;
    if (!tml_test_have_shared()) {
        print_message("skipped: %s not found\n", tml_test_shared("models/mlperf-tiny"));
        skip();
    }
    run_model(m, 0);
    if (m->arena_max_ram)
        run_model(m, 1);
}

int main(void)
{
    struct CMUnitTest tests[sizeof(models) / sizeof(models[0])];
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate_setup_teardown(
            model_test, tml_test_leak_setup, tml_test_leak_teardown, (void *)&models[i]);
        tests[i].name = models[i].dir;
    }
    return _cmocka_run_group_tests("mlperf", tests, sizeof(tests) / sizeof(tests[0]), NULL, NULL);
}
