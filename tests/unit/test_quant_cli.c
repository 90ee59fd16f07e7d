/*
 * test_quant_cli.c - `tml compile --quantize int8 --calib ...` and
 * `--prune`, driven through the real tml binary as a user would: the
 * package it writes is int8 at its edges, `tml run` reads and writes .npy
 * float32 for it (quantizing the input and dequantizing the output with the
 * package's own params) and agrees with the float model's output, the JSON
 * report carries the per-layer errors, and wrong use is refused.
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <math.h>

#include "tml_test.h"
#include "tml/npy.h"

static char dir[256];

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char args[2048], cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof(cmd), "%s/tools/tml/tml %s > %s/out.txt 2>&1", TML_BINARY_DIR, args, dir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    char *s = malloc(len + 1);
    memcpy(s, buf, len);
    s[len] = '\0';
    tml_free(buf);
    return s;
}

static void write_npy(const char *name, const int64_t *dims, int n_dims, const float *v)
{
    int64_t n = 1;
    for (int i = 0; i < n_dims; i++)
        n *= dims[i];
    uint8_t *buf;
    size_t len;
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    TML_ASSERT_OK(tml_npy_build("f4", dims, n_dims, v, (size_t)n * 4, &buf, &len, NULL));
    TML_ASSERT_OK(tml_file_write(path, buf, len, NULL));
    tml_free(buf);
}

static float *read_npy(const char *name, size_t *n)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    tml_npy_t npy;
    TML_ASSERT_OK(tml_npy_parse(buf, len, &npy, NULL));
    assert_string_equal(npy.dtype, "f4");
    *n = npy.data_len / 4;
    float *v = malloc(npy.data_len);
    memcpy(v, npy.data, npy.data_len);
    tml_free(buf);
    return v;
}

static void test_cli(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tml_qcli_XXXXXX");
    assert_non_null(mkdtemp(dir));
    const char *model = tml_test_source("tests/models/onnx/conv_bn_relu_pool_fc.onnx");
    /* Calibration: 32 samples [32, 1, 3, 8, 8]; one test input. */
    uint32_t seed = 1;
    float *v = malloc(33 * 192 * 4);
    for (int i = 0; i < 33 * 192; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
    }
    int64_t calib_dims[5] = {32, 1, 3, 8, 8}, x_dims[4] = {1, 3, 8, 8};
    write_npy("calib.npy", calib_dims, 5, v);
    write_npy("x.npy", x_dims, 4, v + 32 * 192);
    free(v);

    assert_int_equal(run("compile %s -o %s/q.tmlm --quantize int8 --calib %s/calib.npy "
                         "--calib-method percentile --report %s/r.json", model, dir, dir, dir), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "quantized int8 (percentile calibration, 32 samples"));
    assert_non_null(strstr(out, "SQNR"));
    free(out);
    char *report = slurp("r.json");
    assert_non_null(strstr(report, "\"quantization\""));
    assert_non_null(strstr(report, "\"sqnr_db\""));
    assert_non_null(strstr(report, "\"dtype\": \"int8\""));
    free(report);

    /* The int8 package reads and writes float32 .npy; so does the model. */
    assert_int_equal(run("run %s/q.tmlm --input %s/x.npy --output %s/yq.npy", dir, dir, dir), 0);
    assert_int_equal(run("run %s --input %s/x.npy --output %s/yf.npy", model, dir, dir), 0);
    size_t nq, nf;
    float *yq = read_npy("yq.npy", &nq), *yf = read_npy("yf.npy", &nf);
    assert_int_equal(nq, 5);
    assert_int_equal(nf, 5);
    for (size_t i = 0; i < 5; i++)
        if (fabsf(yq[i] - yf[i]) > 0.06f) /* softmax output, 1/256 steps */
            fail_msg("output %zu: int8 %g, float %g", i, (double)yq[i], (double)yf[i]);
    free(yq);
    free(yf);

    /* Pruning with an evaluation set: the accuracy change is reported. */
    assert_int_equal(run("compile %s -o %s/p.tmlm --prune 0.5 --eval %s/calib.npy", model, dir, dir), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "pruned: "));
    assert_non_null(strstr(out, "top-1 agreement"));
    free(out);

    /* Refusals: no calibration set; an unknown method; a bad sample shape. */
    assert_int_equal(run("compile %s -o %s/e.tmlm --quantize int8", model, dir), 2);
    assert_int_equal(run("compile %s -o %s/e.tmlm --quantize int8 --calib %s/calib.npy "
                         "--calib-method fancy", model, dir, dir), 2);
    int64_t bad_dims[2] = {1, 7};
    float bad[7] = {0};
    write_npy("bad.npy", bad_dims, 2, bad);
    assert_int_equal(run("compile %s -o %s/e.tmlm --quantize int8 --calib %s/bad.npy", model, dir, dir), 1);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "not whole samples"));
    free(out);

    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
    };
    TML_TEST_MAIN(tests);
}
