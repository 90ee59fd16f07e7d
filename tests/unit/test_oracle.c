/*
 * test_oracle.c - oracle tests on real models. tests/models/
 * make_torch_models.py (run here, at test time, into the build tree) trains
 * and exports four PyTorch models (CNN, depthwise-separable, MLP with
 * softmax, residual) and a classifier of scikit-learn's digits;
 * tests/models/ort_reference.js runs them with onnxruntime-node. Our float
 * packages must match both references within 1e-4 (relative + absolute);
 * int8 packages (calibrated on separate inputs) must agree on the top-1
 * class for >= 90% of the test inputs with an output SQNR >= 20 dB; on
 * digits, float vs int8 vs pruned accuracy on the held-out split is printed
 * and bounded (int8 within 2 points of float). tests/models/
 * make_qdq_models.py adds pre-quantized models (QDQ; QLinearConv and
 * QLinearMatMul) that must import as int8 and match onnxruntime.
 */
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <utime.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/npy.h"
#include "tml/prune.h"
#include "tml/quant.h"
#include "tml/session.h"

static char out_dir[1024];
static bool have_ort;

static bool file_exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

static time_t mtime(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? sb.st_mtime : 0;
}

static const char *path_in(const char *model, const char *file)
{
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof(buf[k]), "%s/%s/%s", out_dir, model, file);
    return buf[k];
}

/* Generates the models once per build tree (again when the script
 * changes), and the onnxruntime references when the package is installed. */
static int group_setup(void **state)
{
    (void)state;
    snprintf(out_dir, sizeof(out_dir), "%s/tests/oracle", TML_BINARY_DIR);
    char stamp[1100], script[1100], cmd[4096];
    snprintf(stamp, sizeof(stamp), "%s/stamp.txt", out_dir);
    snprintf(script, sizeof(script), "%s/tests/models/make_torch_models.py", TML_SOURCE_DIR);
    char qdq_script[1100];
    snprintf(qdq_script, sizeof(qdq_script), "%s/tests/models/make_qdq_models.py", TML_SOURCE_DIR);
    if (!file_exists(stamp) || mtime(stamp) < mtime(script) || mtime(stamp) < mtime(qdq_script)) {
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s %s > %s.log 2>&1", script, out_dir,
                 out_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "oracle: %s failed, see %s.log\n", script, out_dir);
            return -1;
        }
        snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s/tests/models/make_qdq_models.py %s >> "
                 "%s.log 2>&1", TML_SOURCE_DIR, out_dir, out_dir);
        if (system(cmd) != 0) {
            fprintf(stderr, "oracle: make_qdq_models.py failed, see %s.log\n", out_dir);
            return -1;
        }
        utime(stamp, NULL); /* both scripts done: the stamp is current */
    }
    char ort[1100];
    snprintf(ort, sizeof(ort), "%s/node_modules/onnxruntime-node/package.json", TML_SOURCE_DIR);
    have_ort = file_exists(ort);
    if (!have_ort) {
        fprintf(stderr, "oracle: onnxruntime-node is not installed (scripts/install-deps.sh); "
                        "comparing with PyTorch only\n");
        return 0;
    }
    const char *models[] = {"cnn", "dsnet", "mlp", "resnet", "qdq", "qlinear"};
    for (int i = 0; i < 6; i++) {
        if (file_exists(path_in(models[i], "ort.npy")) &&
            mtime(path_in(models[i], "ort.npy")) >= mtime(stamp))
            continue;
        snprintf(cmd, sizeof(cmd), "node %s/tests/models/ort_reference.js %s %s %s", TML_SOURCE_DIR,
                 path_in(models[i], "model.onnx"), path_in(models[i], "inputs.npy"),
                 path_in(models[i], "ort.npy"));
        if (system(cmd) != 0) {
            fprintf(stderr, "oracle: %s failed\n", cmd);
            return -1;
        }
    }
    return 0;
}

/* A float32 .npy's values (malloc'd) and count. */
static float *load_npy(const char *path, size_t *n)
{
    size_t len;
    uint8_t *buf = tml_test_read(path, &len);
    tml_npy_t npy;
    TML_ASSERT_OK(tml_npy_parse(buf, len, &npy, NULL));
    assert_string_equal(npy.dtype, "f4");
    *n = npy.data_len / 4;
    float *v = malloc(npy.data_len + 4);
    memcpy(v, npy.data, npy.data_len);
    tml_free(buf);
    return v;
}

/* Runs every sample of set through the package; returns outputs (float,
 * dequantized for int8) stacked, *per values per sample. */
static float *run_pkg(const uint8_t *pkg, size_t pkg_len, const tml_calib_set_t *set, size_t *per)
{
    tml_session_t s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_session_open(&s, pkg, pkg_len, &err), &err);
    const tml_pkg_tensor_t *ti = tml_rt_input(&s.rt, 0), *to = tml_rt_output(&s.rt, 0);
    size_t n_in = ti->byte_len / tml_dtype_size(ti->dtype);
    *per = to->byte_len / tml_dtype_size(to->dtype);
    float *all = malloc((size_t)set->n_samples * *per * 4 + 4);
    int8_t *q = malloc(n_in + 1);
    for (int i = 0; i < set->n_samples; i++) {
        const float *x = set->data[i];
        if (ti->dtype == TML_DT_I8) {
            for (size_t k = 0; k < n_in; k++) {
                float r = roundf(x[k] / ti->scale) + (float)ti->zero_point;
                q[k] = (int8_t)(r < -128 ? -128 : r > 127 ? 127 : r);
            }
            TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, q, n_in, &err), &err);
        } else {
            TML_ASSERT_OK_ERR(tml_session_set_input(&s, 0, x, n_in * 4, &err), &err);
        }
        TML_ASSERT_OK_ERR(tml_session_run(&s, &err), &err);
        const void *out;
        size_t out_len;
        TML_ASSERT_OK_ERR(tml_session_output(&s, 0, &out, &out_len, &err), &err);
        for (size_t k = 0; k < *per; k++)
            all[(size_t)i * *per + k] = to->dtype == TML_DT_I8
                ? (float)(((const int8_t *)out)[k] - to->zero_point) * to->scale
                : ((const float *)out)[k];
    }
    free(q);
    tml_session_close(&s);
    return all;
}

/* Compiles model (optionally pruned, quantized with calib) and runs set. */
static float *compile_run(const char *model, const tml_calib_set_t *calib, tml_calib_method_t m,
                          const tml_prune_opts_t *prune, const tml_calib_set_t *set, size_t *per)
{
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_model_load(model, &g, &err), &err);
    tml_compile_opts_t opts = {.quantize = calib != NULL, .calib = calib, .quant = {.method = m}};
    if (prune)
        opts.prune = *prune;
    tml_compiled_t c;
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, &opts, &c, &err), &err);
    float *out = run_pkg(c.pkg, c.pkg_len, set, per);
    tml_compiled_free(&c);
    return out;
}

static tml_calib_set_t load_set(const char *model, const char *file, const char *labels)
{
    tml_ir_graph_t g;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_model_load(model, &g, &err), &err);
    tml_calib_set_t set;
    TML_ASSERT_OK_ERR(tml_calib_load(file, labels, &g, &set, &err), &err);
    tml_ir_free(&g);
    return set;
}

static size_t argmax(const float *v, size_t n)
{
    size_t b = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[b])
            b = i;
    return b;
}

static double max_err(const float *a, const float *b, size_t n, double *rel_bad)
{
    double m = 0;
    *rel_bad = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        m = d > m ? d : m;
        double excess = d - (1e-4 + 1e-4 * fabs(b[i]));
        *rel_bad = excess > *rel_bad ? excess : *rel_bad;
    }
    return m;
}

static void check_model(const char *name)
{
    char model[1200];
    snprintf(model, sizeof(model), "%s", path_in(name, "model.onnx"));
    tml_calib_set_t inputs = load_set(model, path_in(name, "inputs.npy"), NULL);
    tml_calib_set_t calib = load_set(model, path_in(name, "calib.npy"), NULL);
    size_t n_ref, per, per_q;
    float *ref = load_npy(path_in(name, "torch.npy"), &n_ref);
    float *ours = compile_run(model, NULL, TML_CALIB_MINMAX, NULL, &inputs, &per);
    assert_int_equal(n_ref, per * (size_t)inputs.n_samples);
    double bad, e_torch = max_err(ours, ref, n_ref, &bad);
    if (bad > 0)
        fail_msg("%s float: max abs error %g vs PyTorch, beyond 1e-4 + 1e-4|ref|", name, e_torch);
    double e_ort = -1;
    if (have_ort) {
        size_t n_ort;
        float *ort = load_npy(path_in(name, "ort.npy"), &n_ort);
        assert_int_equal(n_ort, n_ref);
        e_ort = max_err(ours, ort, n_ref, &bad);
        if (bad > 0)
            fail_msg("%s float: max abs error %g vs onnxruntime", name, e_ort);
        free(ort);
    }
    const tml_calib_method_t methods[3] = {TML_CALIB_MINMAX, TML_CALIB_PERCENTILE, TML_CALIB_ENTROPY};
    for (int m = 0; m < 3; m++) {
        float *q = compile_run(model, &calib, methods[m], NULL, &inputs, &per_q);
        assert_int_equal(per_q, per);
        int agree = 0;
        double sf = 0, se = 0, me = 0;
        for (int s = 0; s < inputs.n_samples; s++) {
            agree += argmax(q + s * per, per) == argmax(ref + s * per, per);
            for (size_t k = 0; k < per; k++) {
                double d = (double)q[s * per + k] - ref[s * per + k];
                sf += (double)ref[s * per + k] * ref[s * per + k];
                se += d * d;
                me = fabs(d) > me ? fabs(d) : me;
            }
        }
        double sqnr = se > 0 ? 10 * log10(sf / se) : 99;
        double top1 = (double)agree / inputs.n_samples;
        printf("oracle %-7s float max err %.2e (torch) %.2e (onnxruntime) | int8 %-10s top-1 "
               "agreement %5.1f%%, SQNR %5.1f dB, max abs err %.4f\n", name, e_torch, e_ort,
               tml_calib_method_name(methods[m]), 100 * top1, sqnr, me);
        if (top1 < 0.9 || sqnr < 20.0)
            fail_msg("%s int8 (%s): top-1 agreement %.2f, SQNR %.1f dB", name,
                     tml_calib_method_name(methods[m]), top1, sqnr);
        free(q);
    }
    free(ref);
    free(ours);
    tml_calib_free(&inputs);
    tml_calib_free(&calib);
}

static void test_cnn(void **state) { (void)state; check_model("cnn"); }
static void test_dsnet(void **state) { (void)state; check_model("dsnet"); }
static void test_mlp(void **state) { (void)state; check_model("mlp"); }
static void test_resnet(void **state) { (void)state; check_model("resnet"); }

static double accuracy(const float *out, size_t per, const tml_calib_set_t *set)
{
    int right = 0;
    for (int s = 0; s < set->n_samples; s++)
        right += (int64_t)argmax(out + (size_t)s * per, per) == set->labels[s];
    return (double)right / set->n_samples;
}

static void test_digits(void **state)
{
    (void)state;
    char model[1200];
    snprintf(model, sizeof(model), "%s", path_in("digits", "model.onnx"));
    tml_calib_set_t test = load_set(model, path_in("digits", "test_x.npy"), path_in("digits", "test_y.npy"));
    tml_calib_set_t calib = load_set(model, path_in("digits", "calib.npy"), NULL);
    size_t per;
    float *f = compile_run(model, NULL, TML_CALIB_MINMAX, NULL, &test, &per);
    float *q = compile_run(model, &calib, TML_CALIB_MINMAX, NULL, &test, &per);
    float *qe = compile_run(model, &calib, TML_CALIB_ENTROPY, NULL, &test, &per);
    tml_prune_opts_t mag = {.sparsity = 0.5f}, chan = {.channels = 0.25f};
    float *pm = compile_run(model, NULL, TML_CALIB_MINMAX, &mag, &test, &per);
    float *pc = compile_run(model, NULL, TML_CALIB_MINMAX, &chan, &test, &per);
    float *pq = compile_run(model, &calib, TML_CALIB_MINMAX, &mag, &test, &per);
    double acc_f = accuracy(f, per, &test), acc_q = accuracy(q, per, &test);
    double acc_qe = accuracy(qe, per, &test), acc_pm = accuracy(pm, per, &test);
    double acc_pc = accuracy(pc, per, &test), acc_pq = accuracy(pq, per, &test);
    char buf[64] = "";
    FILE *fp = fopen(path_in("digits", "torch_acc.txt"), "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof(buf), fp));
    fclose(fp);
    double acc_torch = atof(buf);
    printf("digits (sklearn, %d held-out images): PyTorch %.2f%%, float %.2f%%, int8 minmax "
           "%.2f%%, int8 entropy %.2f%%, pruned 50%% magnitude %.2f%%, pruned 25%% channels "
           "%.2f%%, pruned 50%% + int8 %.2f%%\n", test.n_samples, 100 * acc_torch, 100 * acc_f,
           100 * acc_q, 100 * acc_qe, 100 * acc_pm, 100 * acc_pc, 100 * acc_pq);
    assert_true(acc_torch > 0.9);
    assert_true(fabs(acc_f - acc_torch) <= 0.005);   /* same predictions, up to ties */
    assert_true(acc_q >= acc_f - 0.02);
    assert_true(acc_qe >= acc_f - 0.02);
    assert_true(acc_pm >= acc_f - 0.10);
    assert_true(acc_pc >= acc_f - 0.25);
    assert_true(acc_pq >= acc_pm - 0.03);
    free(f);
    free(q);
    free(qe);
    free(pm);
    free(pc);
    free(pq);
    tml_calib_free(&test);
    tml_calib_free(&calib);
}

/* Pre-quantized ONNX (QDQ pairs; QLinearConv / QLinearMatMul with uint8
 * activations) imports as int8 ops: no float conv or fully-connected
 * kernel is left, and results agree with onnxruntime running the model's
 * own int8 arithmetic within 2 steps of the output scale. */
static void check_prequantized(const char *name, float out_scale)
{
    char model[1200];
    snprintf(model, sizeof(model), "%s", path_in(name, "model.onnx"));
    tml_compiled_t c;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_file(model, NULL, &c, &err), &err);
    int n_int8 = 0;
    for (int k = 0; k < c.lowered.n_ops; k++) {
        const char *kn = tml_kernel_name(c.lowered.ops[k].kernel);
        if (!strcmp(kn, "CONV2D_F32") || !strcmp(kn, "FC_F32"))
            fail_msg("%s: kernel %d is %s", name, k, kn);
        n_int8 += !strcmp(kn, "CONV2D_S8") || !strcmp(kn, "FC_S8");
    }
    assert_int_equal(n_int8, 2);
    tml_calib_set_t inputs = load_set(model, path_in(name, "inputs.npy"), NULL);
    size_t per;
    float *ours = run_pkg(c.pkg, c.pkg_len, &inputs, &per);
    tml_compiled_free(&c);
    if (have_ort) {
        size_t n_ort;
        float *ort = load_npy(path_in(name, "ort.npy"), &n_ort);
        assert_int_equal(n_ort, per * (size_t)inputs.n_samples);
        double m = 0;
        for (size_t i = 0; i < n_ort; i++)
            m = fmax(m, fabs((double)ours[i] - ort[i]));
        printf("oracle %-7s pre-quantized, int8 kernels: max abs err vs onnxruntime %.4f "
               "(%.1f output steps)\n", name, m, m / out_scale);
        if (m > 2.01 * out_scale)
            fail_msg("%s: max abs error %g vs onnxruntime, over 2 output steps", name, m);
        free(ort);
    }
    free(ours);
    tml_calib_free(&inputs);
}

/* Importing a QLinear model (the QDQ rewrite and folding included) with
 * each allocation failing in turn: clean errors, no leaks. */
typedef struct {
    const char *path;
    tml_ir_graph_t g;
} load_walk_t;

static tml_status_t load_op(void *p)
{
    load_walk_t *w = p;
    return tml_model_load(w->path, &w->g, NULL);
}

static void load_cleanup(void *p)
{
    tml_ir_free(&((load_walk_t *)p)->g);
}

static void test_qlinear_alloc_failures(void **state)
{
    (void)state;
    char path[1200];
    snprintf(path, sizeof(path), "%s", path_in("qlinear", "model.onnx"));
    load_walk_t w = {.path = path};
    assert_true(tml_test_alloc_walk(load_op, load_cleanup, &w) > 20);
}

static void test_qdq(void **state) { (void)state; check_prequantized("qdq", 6.0f / 255); }
static void test_qlinear(void **state) { (void)state; check_prequantized("qlinear", 4.0f / 255); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cnn),
        cmocka_unit_test(test_dsnet),
        cmocka_unit_test(test_mlp),
        cmocka_unit_test(test_resnet),
        cmocka_unit_test(test_digits),
        cmocka_unit_test(test_qdq),
        cmocka_unit_test(test_qlinear),
        cmocka_unit_test(test_qlinear_alloc_failures),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
