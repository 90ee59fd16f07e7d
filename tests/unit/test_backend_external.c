/*
 * test_backend_external.c - the backend choice and the external-compiler
 * contract: configs are checked field by field; a backend runs as a child
 * process within its time limit; its output is judged like our own (the
 * runtime's loader for packages, the C compiler for sources); failures say
 * what the backend printed.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/backend.h"

static char tmp_dir[64];

static int setup_dir(void **state)
{
    snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/tml_extbe_XXXXXX");
    assert_non_null(mkdtemp(tmp_dir));
    return tml_test_leak_setup(state);
}

static int teardown_dir(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp_dir);
    assert_int_equal(system(cmd), 0);
    return tml_test_leak_teardown(state);
}

static const char *write_config(const char *json)
{
    static char path[128];
    snprintf(path, sizeof(path), "%s/backends.json", tmp_dir);
    tml_err_t err;
    TML_ASSERT_OK(tml_file_write(path, json, strlen(json), &err));
    return path;
}

static void configs_are_checked(void **state)
{
    (void)state;
    static const struct { const char *json; const char *says; } bad[] = {
        {"{", "backends.json"},
        {"{\"x\": 1}", "\"backends\" array"},
        {"{\"backends\": [{\"command\": [\"x\"]}]}", "\"name\""},
        {"{\"backends\": [{\"name\": \"a\", \"command\": [], \"accepts\": [\"tflite\"], \"produces\": \"c\", \"targets\": [\"*\"]}]}", "\"command\""},
        {"{\"backends\": [{\"name\": \"a\", \"command\": [\"x\"], \"accepts\": [\"gguf\"], \"produces\": \"c\", \"targets\": [\"*\"]}]}", "gguf"},
        {"{\"backends\": [{\"name\": \"a\", \"command\": [\"x\"], \"accepts\": [\"onnx\"], \"produces\": \"elf\", \"targets\": [\"*\"]}]}", "\"produces\""},
        {"{\"backends\": [{\"name\": \"a\", \"command\": [\"x\"], \"accepts\": [\"onnx\"], \"produces\": \"c\", \"targets\": [\"*\"], \"timeout_s\": 0}]}", "timeout_s"},
        {"{\"backends\": [{\"name\": \"a\", \"command\": [\"x\"], \"accepts\": [\"onnx\"], \"produces\": \"c\", \"targets\": [\"*\"]},"
         " {\"name\": \"a\", \"command\": [\"y\"], \"accepts\": [\"onnx\"], \"produces\": \"c\", \"targets\": [\"*\"]}]}", "twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tml_backend_config_t cfg;
        tml_err_t err;
        tml_err_clear(&err);
        assert_int_not_equal(tml_backend_config_load(write_config(bad[i].json), &cfg, &err), TML_OK);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("config %zu: message '%s' does not mention %s", i, err.msg, bad[i].says);
    }
    /* The shipped config is valid and serves every target. */
    tml_backend_config_t cfg;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_backend_config_load(tml_test_source("config/backends.json"), &cfg, &err), &err);
    assert_true(cfg.n_backends >= 2);
    const tml_external_backend_t *b = tml_backend_config_find(&cfg, "tml-c-isolated");
    assert_non_null(b);
    assert_true(tml_external_serves(b, tml_target_find("rp2040")));
    assert_null(tml_backend_config_find(&cfg, "nope"));
    tml_backend_config_free(&cfg);
}

/* A compiled model small enough to be quick: a float FC from the test graph. */
static void tiny_model(tml_compiled_t *c)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, "tiny"));
    int32_t din[2] = {1, 4}, dw[2] = {2, 4}, dout[2] = {1, 2}, x, w, y;
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_F32, 2, din, &x));
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "w", TML_DT_F32, 2, dw, &w));
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "y", TML_DT_F32, 2, dout, &y));
    const float wd[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    TML_ASSERT_OK(tml_ir_set_data(&g, w, wd, sizeof(wd)));
    int32_t in[2] = {x, w};
    TML_ASSERT_OK(tml_ir_add_node(&g, TML_OP_FULLY_CONNECTED, "fc", in, 2, &y, 1, NULL, NULL));
    TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, &y, 1));
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, c, &err), &err);
}

static tml_status_t run_one(const char *json, const char *name, const tml_compiled_t *c,
                            const char *out, tml_err_t *err)
{
    tml_backend_config_t cfg;
    tml_err_clear(err);
    TML_ASSERT_OK_ERR(tml_backend_config_load(write_config(json), &cfg, err), err);
    tml_external_job_t job = {.model_path = "/nonexistent/model.tflite", .pkg = c->pkg,
                              .pkg_len = c->pkg_len, .target = tml_target_find("nrf52840"),
                              .name = "tiny", .out = out, .tml_path = "tml"};
    tml_status_t st = tml_external_run(tml_backend_config_find(&cfg, name), &job, err);
    tml_backend_config_free(&cfg);
    return st;
}

static void external_backends_are_run_and_judged(void **state)
{
    (void)state;
    tml_compiled_t c;
    tiny_model(&c);
    char out[256];
    tml_err_t err;
    static const char *const cfg =
        "{\"backends\": ["
        "{\"name\": \"copy\", \"command\": [\"cp\", \"{package}\", \"{out}\"], \"accepts\": [\"package\"], \"produces\": \"package\", \"targets\": [\"cortex-m4\"]},"
        "{\"name\": \"junk\", \"command\": [\"sh\", \"-c\", \"echo junk > $0\", \"{out}\"], \"accepts\": [\"package\"], \"produces\": \"package\", \"targets\": [\"*\"]},"
        "{\"name\": \"slow\", \"command\": [\"sleep\", \"30\"], \"accepts\": [\"package\"], \"produces\": \"package\", \"targets\": [\"*\"], \"timeout_s\": 1},"
        "{\"name\": \"fails\", \"command\": [\"sh\", \"-c\", \"echo 'no MOVE op here' >&2; exit 3\"], \"accepts\": [\"package\"], \"produces\": \"c\", \"targets\": [\"*\"]},"
        "{\"name\": \"badc\", \"command\": [\"sh\", \"-c\", \"mkdir -p $0 && echo 'int x = ;' > $0/$1.c && touch $0/$1.h\", \"{out}\", \"{name}\"], \"accepts\": [\"package\"], \"produces\": \"c\", \"targets\": [\"*\"]},"
        "{\"name\": \"missing\", \"command\": [\"no-such-compiler-here\"], \"accepts\": [\"package\"], \"produces\": \"c\", \"targets\": [\"*\"]}"
        "]}";
    snprintf(out, sizeof(out), "%s/copy.tmlm", tmp_dir);
    TML_ASSERT_OK_ERR(run_one(cfg, "copy", &c, out, &err), &err);

    snprintf(out, sizeof(out), "%s/junk.tmlm", tmp_dir);
    assert_int_equal(run_one(cfg, "junk", &c, out, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "refused"));

    TML_ASSERT_STATUS(run_one(cfg, "slow", &c, out, &err), TML_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "1 s limit"));

    snprintf(out, sizeof(out), "%s/c_out", tmp_dir);
    assert_int_not_equal(run_one(cfg, "fails", &c, out, &err), TML_OK);
    assert_non_null(strstr(err.msg, "status 3"));
    assert_non_null(strstr(err.msg, "no MOVE op here"));

    assert_int_equal(run_one(cfg, "badc", &c, out, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "does not compile"));

    assert_int_not_equal(run_one(cfg, "missing", &c, out, &err), TML_OK);
    assert_non_null(strstr(err.msg, "backend missing"));

    /* The shipped xxd backend embeds the package as a C array that compiles. */
    tml_backend_config_t shipped;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_backend_config_load(tml_test_source("config/backends.json"), &shipped, &err));
    snprintf(out, sizeof(out), "%s/xxd", tmp_dir);
    tml_external_job_t job = {.pkg = c.pkg, .pkg_len = c.pkg_len, .name = "tiny_pkg", .out = out};
    TML_ASSERT_OK_ERR(tml_external_run(tml_backend_config_find(&shipped, "xxd-embed"), &job, &err), &err);
    tml_backend_config_free(&shipped);
    tml_compiled_free(&c);
}

static void backend_choice_says_why(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    char path[4096];
    snprintf(path, sizeof(path), "%s/kws_ref_model/model.tflite", tml_test_shared("models/mlperf-tiny"));
    tml_compiled_t c;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_file(path, NULL, &c, &err), &err);
    const tml_target_t *nrf = tml_target_find("nrf52840");
    tml_backend_choice_t choice;
    tml_backend_choose(&c, nrf, true, &choice);
    assert_string_equal(choice.backend, "package");
    assert_non_null(strstr(choice.why, "over the air"));
    assert_true(choice.c_flash < choice.package_flash);
    tml_backend_choose(&c, nrf, false, &choice);
    assert_string_equal(choice.backend, "c");
    /* A device with flash for the C build but not for package + interpreter. */
    tml_target_t tight = *nrf;
    tight.model_flash_bytes = (choice.c_flash + choice.package_flash) / 2;
    tml_backend_choose(&c, &tight, true, &choice);
    assert_string_equal(choice.backend, "c");
    assert_non_null(strstr(choice.why, "firmware update"));
    tml_compiled_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(configs_are_checked, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(external_backends_are_run_and_judged, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(backend_choice_says_why, setup_dir, teardown_dir),
    };
    TML_TEST_MAIN(tests);
}
