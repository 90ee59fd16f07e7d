/*
 * test_onnx_conformance.c - the ONNX backend test data (Debian's
 * libonnx-testdata: node, pytorch-converted, pytorch-operator, simple) run
 * end to end: import, compile to a package, run on the runtime, compare.
 *
 * A case is "supported" when its model imports and compiles; a model that
 * takes its weights as graph inputs (the node tests do) is imported a
 * second time with inputs 1.. frozen to the test data's constants, and
 * counted as supported that way. Every supported case must pass on every
 * test data set: float outputs within |got - want| <= 1e-4 + 1e-3 * |want|
 * (ONNX's backend tests use rtol 1e-3), other dtypes bit-exact. Cases whose
 * test data does not fit the model's static shapes (a symbolic batch dim
 * imported as 1 but fed larger) are counted as unsupported. Prints
 * "N cases, N supported, N pass" and the unsupported reasons by count.
 */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/onnx.h"
#include "tml/session.h"

#define DATA_ROOT "/usr/share/libonnx-testdata/data"
#define MAX_IO 16
#define RTOL 1e-3
#define ATOL 1e-4

typedef struct stats {
    int n_cases, n_supported, n_frozen, n_pass;
    char failed[4096];
    size_t failed_len;
} stats_t;

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool read_file(const char *path, uint8_t **buf, size_t *len)
{
    return tml_file_read(path, buf, len, NULL) == TML_OK;
}

/* Decodes dir/<prefix>_<k>.pb for k = 0.. into constants of g. */
static int load_set(const char *dir, const char *prefix, tml_ir_graph_t *g, int32_t *idx)
{
    int n = 0;
    for (; n < MAX_IO; n++) {
        char path[4400];
        snprintf(path, sizeof(path), "%s/%s_%d.pb", dir, prefix, n);
        uint8_t *buf;
        size_t len;
        if (!read_file(path, &buf, &len))
            break;
        tml_status_t st = tml_onnx_tensor_decode(buf, len, g, &idx[n], NULL);
        tml_free(buf);
        if (st != TML_OK)
            return -1;
    }
    return n;
}

static bool same_shape(const tml_pkg_tensor_t *t, const tml_ir_tensor_t *x)
{
    if (t->dtype != x->dtype || t->byte_len != tml_ir_tensor_bytes(x))
        return false;
    /* Ranks may differ only by unit dims; the byte order is the same. */
    return true;
}

static bool outputs_match(const tml_pkg_tensor_t *t, const void *got, const tml_ir_tensor_t *want,
                          char *why, size_t why_len)
{
    if (t->dtype != want->dtype || t->byte_len != want->data_len) {
        snprintf(why, why_len, "output is %u bytes of dtype %u, expected %zu of %u",
                 t->byte_len, t->dtype, want->data_len, want->dtype);
        return false;
    }
    if (want->dtype != TML_DT_F32) {
        if (memcmp(got, want->data, want->data_len)) {
            snprintf(why, why_len, "integer output differs");
            return false;
        }
        return true;
    }
    for (size_t i = 0; i < want->data_len / 4; i++) {
        float g, w;
        memcpy(&g, (const uint8_t *)got + 4 * i, 4);
        memcpy(&w, want->data + 4 * i, 4);
        bool ok = (isnan(w) && isnan(g)) || (isinf(w) && g == w) ||
                  fabs((double)g - (double)w) <= ATOL + RTOL * fabs((double)w);
        if (!ok) {
            snprintf(why, why_len, "element %zu is %.7g, expected %.7g", i, (double)g, (double)w);
            return false;
        }
    }
    return true;
}

/* Runs one test data set on the compiled case; n_fed inputs are fed. */
static bool run_set(const tml_compiled_t *c, const char *set_dir, char *why, size_t why_len,
                    bool *shape_mismatch)
{
    tml_ir_graph_t data;
    TML_ASSERT_OK(tml_ir_init(&data, "data"));
    int32_t in[MAX_IO], out[MAX_IO];
    int n_in = load_set(set_dir, "input", &data, in);
    int n_out = load_set(set_dir, "output", &data, out);
    bool ok = false;
    tml_session_t s;
    tml_err_t err;
    tml_err_clear(&err);
    *shape_mismatch = false;
    if (n_in < 0 || n_out < 0) {
        snprintf(why, why_len, "cannot read the test data");
        goto done;
    }
    if (tml_session_open(&s, c->pkg, c->pkg_len, &err) != TML_OK) {
        snprintf(why, why_len, "session: %s", tml_err_message(&err));
        goto done;
    }
    uint32_t n_model_in = tml_rt_n_inputs(&s.rt), n_model_out = tml_rt_n_outputs(&s.rt);
    if ((int)n_model_out != n_out || (int)n_model_in > n_in) {
        snprintf(why, why_len, "%u inputs / %u outputs, test data has %d / %d", n_model_in,
                 n_model_out, n_in, n_out);
        goto close;
    }
    for (uint32_t i = 0; i < n_model_in; i++) {
        const tml_ir_tensor_t *x = &data.tensors[in[i]];
        if (!same_shape(tml_rt_input(&s.rt, i), x)) {
            *shape_mismatch = true;
            snprintf(why, why_len, "input %u: test data shape differs from the model's", i);
            goto close;
        }
        if (tml_session_set_input(&s, i, x->data, x->data_len, &err) != TML_OK) {
            snprintf(why, why_len, "set input %u: %s", i, tml_err_message(&err));
            goto close;
        }
    }
    if (tml_session_run(&s, &err) != TML_OK) {
        snprintf(why, why_len, "run: %s", tml_err_message(&err));
        goto close;
    }
    ok = true;
    for (int j = 0; j < n_out && ok; j++) {
        const void *got;
        size_t got_len;
        if (tml_session_output(&s, (uint32_t)j, &got, &got_len, &err) != TML_OK) {
            snprintf(why, why_len, "output %d: %s", j, tml_err_message(&err));
            ok = false;
            break;
        }
        ok = outputs_match(tml_rt_output(&s.rt, (uint32_t)j), got, &data.tensors[out[j]], why,
                           why_len);
    }
close:
    tml_session_close(&s);
done:
    tml_ir_free(&data);
    return ok;
}

typedef struct reason {
    char text[96];
    int count;
} reason_t;

static void note_reason(reason_t *reasons, int *n_reasons, const char *msg)
{
    /* Group by the part after the node context: "operator X is not supported". */
    const char *p = strstr(msg, "): ");
    p = p ? p + 3 : msg;
    char key[96];
    snprintf(key, sizeof(key), "%s", p);
    for (int i = 0; i < *n_reasons; i++)
        if (!strcmp(reasons[i].text, key)) {
            reasons[i].count++;
            return;
        }
    if (*n_reasons < 512) {
        snprintf(reasons[*n_reasons].text, sizeof(reasons[0].text), "%s", key);
        reasons[(*n_reasons)++].count = 1;
    }
}

/* Imports (with inputs 1.. frozen when frozen is non-NULL) and compiles. */
static tml_status_t build(const uint8_t *buf, size_t len, const char *path,
                          const tml_ir_graph_t *frozen, tml_compiled_t *c, tml_err_t *err)
{
    tml_ir_graph_t g;
    tml_status_t st = tml_onnx_import_frozen(buf, len, path, frozen, &g, err);
    if (st != TML_OK)
        return st;
    return tml_compile_graph(&g, NULL, c, err);
}

static void run_case(const char *case_dir, stats_t *stats, reason_t *reasons, int *n_reasons)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/model.onnx", case_dir);
    uint8_t *buf;
    size_t len;
    if (!read_file(path, &buf, &len))
        return;
    stats->n_cases++;
    tml_compiled_t c;
    memset(&c, 0, sizeof(c));
    tml_err_t err;
    tml_err_clear(&err);
    bool frozen_used = false;
    tml_status_t st = build(buf, len, path, NULL, &c, &err);
    if (st != TML_OK) {
        /* Weights given as inputs: freeze inputs 1.. to test data set 0. */
        tml_ir_graph_t frozen;
        TML_ASSERT_OK(tml_ir_init(&frozen, "frozen"));
        char set0[4200];
        snprintf(set0, sizeof(set0), "%s/test_data_set_0", case_dir);
        int32_t idx[MAX_IO];
        int n = load_set(set0, "input", &frozen, idx);
        if (n > 1) {
            tml_ir_tensor_t *first = &frozen.tensors[idx[0]];
            first->name[0] = '\0'; /* input 0 stays an input */
            tml_err_t err2;
            tml_err_clear(&err2);
            memset(&c, 0, sizeof(c));
            if (build(buf, len, path, &frozen, &c, &err2) == TML_OK) {
                st = TML_OK;
                frozen_used = true;
            }
        }
        tml_ir_free(&frozen);
    }
    tml_free(buf);
    if (st != TML_OK) {
        note_reason(reasons, n_reasons, tml_err_message(&err));
        return;
    }
    /* Every test data set (frozen cases: only set 0, the one frozen). */
    bool pass = true, mismatch = false;
    char why[256] = "";
    for (int k = 0; k < 16 && pass; k++) {
        char set_dir[4200];
        snprintf(set_dir, sizeof(set_dir), "%s/test_data_set_%d", case_dir, k);
        if (!is_dir(set_dir) || (frozen_used && k > 0))
            break;
        pass = run_set(&c, set_dir, why, sizeof(why), &mismatch);
    }
    tml_compiled_free(&c);
    if (mismatch) {
        note_reason(reasons, n_reasons, "test data larger than the static (batch 1) shapes");
        return;
    }
    stats->n_supported++;
    stats->n_frozen += frozen_used;
    if (pass) {
        stats->n_pass++;
        return;
    }
    int n = snprintf(stats->failed + stats->failed_len, sizeof(stats->failed) - stats->failed_len,
                     "  FAIL %s%s: %s\n", case_dir + strlen(DATA_ROOT) + 1,
                     frozen_used ? " (frozen)" : "", why);
    if (n > 0 && stats->failed_len + (size_t)n < sizeof(stats->failed))
        stats->failed_len += (size_t)n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void onnx_backend_test_data_end_to_end(void **state)
{
    (void)state;
    if (!is_dir(DATA_ROOT)) {
        print_message("skipped: %s not installed (libonnx-testdata)\n", DATA_ROOT);
        skip();
    }
    static const char *const suites[] = {"node", "pytorch-converted", "pytorch-operator", "simple"};
    stats_t stats;
    memset(&stats, 0, sizeof(stats));
    static reason_t reasons[512];
    int n_reasons = 0;
    for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
        char suite[1024];
        snprintf(suite, sizeof(suite), "%s/%s", DATA_ROOT, suites[s]);
        DIR *dir = opendir(suite);
        if (!dir)
            continue;
        char *names[2048];
        int n_names = 0;
        struct dirent *ent;
        while ((ent = readdir(dir)) != NULL && n_names < 2048)
            if (ent->d_name[0] != '.')
                names[n_names++] = strdup(ent->d_name);
        closedir(dir);
        qsort(names, (size_t)n_names, sizeof(names[0]), cmp_str);
        for (int i = 0; i < n_names; i++) {
            char case_dir[3200];
            snprintf(case_dir, sizeof(case_dir), "%s/%s", suite, names[i]);
            run_case(case_dir, &stats, reasons, &n_reasons);
            free(names[i]);
        }
    }
    if (getenv("TML_CONFORMANCE_VERBOSE"))
        for (int i = 0; i < n_reasons; i++)
            print_message("  unsupported x%d: %s\n", reasons[i].count, reasons[i].text);
    print_message("%s", stats.failed);
    print_message("onnx conformance: %d cases, %d supported (%d with weight inputs frozen), "
                  "%d pass (float tolerance %g + %g * |expected|)\n", stats.n_cases,
                  stats.n_supported, stats.n_frozen, stats.n_pass, ATOL, RTOL);
    assert_true(stats.n_cases > 0);
    assert_int_equal(stats.n_pass, stats.n_supported);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(onnx_backend_test_data_end_to_end, tml_test_leak_setup,
                                        tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
