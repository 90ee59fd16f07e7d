/*
 * test_api.c - tmlaasd end to end on loopback: the real daemon binary is
 * started on an ephemeral port with a temporary --data dir and driven over
 * HTTP with the project's client (tml/api_client.h) and with Debian's curl
 * for multipart uploads.
 *
 *  - the zoo and compilations: upload raw and multipart, the stored report
 *    equals a local compile, compile off the request path, the package
 *    artifact is byte-identical to a local compile, the C artifact is a tar,
 *    cache hits (same version joined, same bytes under another version or
 *    tenant copied);
 *  - tenants and tokens: a tenant sees only its own models, devices and
 *    compilations; 401/403 for missing, wrong and non-admin tokens;
 *  - bad requests: malformed JSON, wrong field types, unknown fields,
 *    oversized bodies (declared and chunked), oversized uploads, non-models,
 *    truncated models, bad ids, unknown paths and methods, each a 4xx with
 *    a JSON message naming the fault, and the daemon still answering;
 *  - restart: SIGTERM exits 0, a new daemon on the same --data keeps the
 *    tokens, models, devices and compilations (the SQLite file is reopened).
 */
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/api_client.h"
#include "tml/compiler.h"
#include "tml/fit.h"
#include "zoo/blobs.h"

#define DAEMON TML_BINARY_DIR "/server/tmlaasd"

typedef struct daemon {
    pid_t pid;
    int out_fd;
    int port;
    char token[128];     /* admin token printed on first start, "" otherwise */
    char url[64];
} daemon_t;

static char data_dir[64];
static pid_t live_pid; /* a daemon a failed test left running; killed in teardown */

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts tmlaasd with extra args (NULL-terminated), waits for "ready". */
static void daemon_start(daemon_t *d, const char *const *extra)
{
    memset(d, 0, sizeof(*d));
    const char *argv[32] = {DAEMON, "--data", data_dir, "--http-port", "0", "--lwm2m-port", "0",
                            "--lwm2m-dtls-port", "0"};
    int argc = 9;
    for (int i = 0; extra && extra[i]; i++)
        argv[argc++] = extra[i];
    argv[argc] = NULL;
    char out[4096];
    d->pid = tml_test_spawn(argv, "tmlaasd: ready\n", 20000, &d->out_fd, out, sizeof(out));
    live_pid = d->pid;
    const char *p = strstr(out, "http://127.0.0.1:");
    assert_non_null(p);
    d->port = atoi(p + strlen("http://127.0.0.1:"));
    assert_true(d->port > 0);
    snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d", d->port);
    p = strstr(out, "admin token (shown once): ");
    if (p)
        sscanf(p + strlen("admin token (shown once): "), "%127s", d->token);
}

/* SIGTERM, then the exit status must be 0 within 20 s. */
static void daemon_stop(daemon_t *d)
{
    assert_int_equal(kill(d->pid, SIGTERM), 0);
    int status = 0;
    int64_t deadline = tml_test_now_ms() + 20000;
    pid_t r;
    while ((r = waitpid(d->pid, &status, WNOHANG)) == 0 && tml_test_now_ms() < deadline)
        sleep_ms(20);
    if (r == 0) {
        kill(d->pid, SIGKILL);
        waitpid(d->pid, &status, 0);
        fail_msg("tmlaasd did not stop on SIGTERM");
    }
    close(d->out_fd);
    live_pid = 0;
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static int setup(void **state)
{
    snprintf(data_dir, sizeof(data_dir), "/tmp/tml_api_XXXXXX");
    if (!mkdtemp(data_dir))
        return -1;
    return tml_test_leak_setup(state);
}

static int teardown(void **state)
{
    if (live_pid > 0) {
        kill(live_pid, SIGKILL);
        waitpid(live_pid, NULL, 0);
        live_pid = 0;
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", data_dir);
    if (system(cmd) != 0)
        return -1;
    return tml_test_leak_teardown(state);
}

/* One call; returns the status and (when the body is JSON) the parsed body. */
static int call(const daemon_t *d, const char *token, const char *method, const char *path,
                const char *content_type, const void *body, size_t len, json_t **out)
{
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d->url, token, NULL));
    tml_api_response_t r;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_api_request(&c, method, path, content_type, body, len, NULL, &r, &err), &err);
    if (out) {
        json_error_t je;
        *out = json_loadb((const char *)r.body, r.body_len, 0, &je);
        if (!*out)
            fail_msg("%s %s -> %d, not JSON: %.200s", method, path, r.status, r.body);
    }
    int status = r.status;
    tml_api_response_free(&r);
    return status;
}

static int call_json(const daemon_t *d, const char *token, const char *method, const char *path,
                     const char *body, json_t **out)
{
    return call(d, token, method, path, body ? "application/json" : NULL, body, body ? strlen(body) : 0, out);
}

/* Asserts a 4xx with {"error": {"message": ...containing want...}}. */
static void expect_error(json_t *j, int status, int want_status, const char *want)
{
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (status != want_status || !msg || (want && !strstr(msg, want)))
        fail_msg("expected %d with '%s', got %d: %s", want_status, want ? want : "", status, msg ? msg : "?");
    json_decref(j);
}

static const char *model_path(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s/model.tflite", tml_test_shared("models/mlperf-tiny"), name);
    return path[k];
}

static int upload(const daemon_t *d, const char *token, const char *model, const char *query, json_t **out)
{
    size_t len;
    uint8_t *bytes = tml_test_read(model_path(model), &len);
    char path[512];
    snprintf(path, sizeof(path), "/api/v1/models?%s", query);
    int st = call(d, token, "POST", path, "application/octet-stream", bytes, len, out);
    tml_free(bytes);
    return st;
}

/* POST a compilation and poll it until done or failed (bounded). */
static json_t *compile_wait(const daemon_t *d, const char *token, const char *body, int *post_status)
{
    json_t *j;
    *post_status = call_json(d, token, "POST", "/api/v1/compilations", body, &j);
    if (*post_status != 200 && *post_status != 202)
        fail_msg("POST compilations -> %d", *post_status);
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld",
             (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    for (int i = 0; i < 600; i++) {
        assert_int_equal(call_json(d, token, "GET", path, NULL, &j), 200);
        const char *state = json_string_value(json_object_get(j, "state"));
        if (!strcmp(state, "done") || !strcmp(state, "failed"))
            return j;
        json_decref(j);
        sleep_ms(50);
    }
    fail_msg("compilation did not finish in 30 s");
    return NULL;
}

static json_int_t jint(json_t *j, const char *path)
{
    /* "a.b.c" */
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = j;
    for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
        cur = json_object_get(cur, tok);
    if (!json_is_integer(cur))
        fail_msg("%s is not an integer", path);
    return json_integer_value(cur);
}

static void zoo_compile_and_cache(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    daemon_t d;
    daemon_start(&d, NULL);
    assert_true(strlen(d.token) > 20);
    const char *tok = d.token;
    json_t *j;

    /* The OpenAPI document is public and is OpenAPI 3. */
    assert_int_equal(call_json(&d, NULL, "GET", "/api/v1/openapi.json", NULL, &j), 200);
    assert_int_equal(strncmp(json_string_value(json_object_get(j, "openapi")), "3.", 2), 0);
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/compilations/{id}"));
    json_decref(j);

    /* Raw upload: the stored report is what a local compile gives. */
    assert_int_equal(upload(&d, tok, "kws_ref_model", "name=kws&version=1&task=keyword-spotting&labels=yes,no", &j),
                     201);
    tml_compiled_t local;
    tml_err_t err;
    tml_err_clear(&err);
    /* The service names the model after its zoo name ("kws.tflite"); the
     * name is part of the package, so compile locally under the same one. */
    size_t kws_len;
    uint8_t *kws_bytes = tml_test_read(model_path("kws_ref_model"), &kws_len);
    tml_ir_graph_t g;
    TML_ASSERT_OK_ERR(tml_model_import(kws_bytes, kws_len, "kws.tflite", &g, &err), &err);
    tml_free(kws_bytes);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &local, &err), &err);
    assert_int_equal(jint(j, "report.arena_bytes"), local.plan.arena_len);
    assert_int_equal(jint(j, "report.package_bytes"), local.pkg_len);
    assert_int_equal(jint(j, "report.macs"), local.macs);
    assert_string_equal(json_string_value(json_object_get(j, "format")), "tflite");
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "metadata"), "task")),
                        "keyword-spotting");
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "metadata"), "labels")), 2);
    assert_true(json_array_size(json_object_get(json_object_get(j, "report"), "targets")) > 4);
    json_decref(j);
    /* The same name and version again is a conflict. */
    int st = upload(&d, tok, "kws_ref_model", "name=kws&version=1", &j);
    expect_error(j, st, 409, "version '1' exists");

    /* Multipart upload with Debian's curl: same bytes as version 2. */
    char cmd[2048], out_path[128];
    snprintf(out_path, sizeof(out_path), "%s/curl.json", data_dir);
    snprintf(cmd, sizeof(cmd),
             "curl -s -o %s -w '%%{http_code}' -H 'Authorization: Bearer %s' -F file=@%s -F name=kws "
             "-F version=2 -F 'metadata={\"accuracy\":0.91}' -F labels=yes,no,up %s/api/v1/models",
             out_path, tok, model_path("kws_ref_model"), d.url);
    FILE *pf = popen(cmd, "r");
    assert_non_null(pf);
    char code[8] = "";
    assert_non_null(fgets(code, sizeof(code), pf));
    assert_int_equal(pclose(pf), 0);
    assert_string_equal(code, "201");
    json_error_t je;
    j = json_load_file(out_path, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "version")), "2");
    assert_int_equal(json_array_size(json_object_get(json_object_get(j, "metadata"), "labels")), 3);
    assert_true(json_number_value(json_object_get(json_object_get(j, "metadata"), "accuracy")) > 0.9);
    json_decref(j);

    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/models", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "models")), 1);
    assert_int_equal(jint(json_array_get(json_object_get(j, "models"), 0), "versions"), 2);
    json_decref(j);

    /* The blob comes back byte for byte. */
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d.url, tok, NULL));
    tml_api_response_t r;
    TML_ASSERT_OK(tml_api_request(&c, "GET", "/api/v1/models/kws/versions/1/blob", NULL, NULL, 0, NULL, &r, NULL));
    size_t model_len;
    uint8_t *model = tml_test_read(model_path("kws_ref_model"), &model_len);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, model_len);
    assert_memory_equal(r.body, model, model_len);
    tml_free(model);
    tml_api_response_free(&r);

    /* Compile for a profile: off the request path (202), then done. */
    int post;
    j = compile_wait(&d, tok, "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"nrf52840\"}", &post);
    assert_int_equal(post, 202);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "done");
    assert_false(json_is_true(json_object_get(j, "cache_hit")));
    /* The service compiles for the job's profile (the nRF52840 is a
     * Cortex-M4 with DSP: DSP kernels), so compare with the same. */
    tml_compiled_t local_nrf;
    tml_compile_opts_t nrf_opts;
    memset(&nrf_opts, 0, sizeof(nrf_opts));
    nrf_opts.target = tml_target_find("nrf52840");
    kws_bytes = tml_test_read(model_path("kws_ref_model"), &kws_len);
    TML_ASSERT_OK_ERR(tml_model_import(kws_bytes, kws_len, "kws.tflite", &g, &err), &err);
    tml_free(kws_bytes);
    TML_ASSERT_OK_ERR(tml_compile_graph(&g, &nrf_opts, &local_nrf, &err), &err);
    tml_fit_t fit;
    tml_fit_check(&local_nrf, tml_target_find("nrf52840"), &fit);
    assert_int_equal(json_is_true(json_object_get(json_object_get(j, "fit"), "fits")), fit.fits);
    assert_int_equal(jint(j, "fit.ram_bytes"), fit.ram_bytes);
    assert_int_equal(jint(j, "fit.flash_bytes"), fit.flash_bytes);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "backend"), "chosen")), "package");
    assert_non_null(strstr(json_string_value(json_object_get(json_object_get(j, "backend"), "reason")),
                           "without reflashing"));
    assert_int_equal(jint(j, "report.arena_bytes"), local_nrf.plan.arena_len);
    long long id1 = jint(j, "id");
    json_decref(j);

    /* The package artifact is what a local compile writes, byte for byte;
     * the C artifact is a ustar archive of the model's sources. */
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld/artifacts/package", id1);
    TML_ASSERT_OK(tml_api_request(&c, "GET", path, NULL, NULL, 0, NULL, &r, NULL));
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, local_nrf.pkg_len);
    assert_memory_equal(r.body, local_nrf.pkg, local_nrf.pkg_len);
    tml_api_response_free(&r);
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld/artifacts/c", id1);
    TML_ASSERT_OK(tml_api_request(&c, "GET", path, NULL, NULL, 0, NULL, &r, NULL));
    assert_int_equal(r.status, 200);
    assert_true(r.body_len > 1024 && r.body_len % 512 == 0);
    assert_memory_equal(r.body + 257, "ustar", 5);
    assert_string_equal((const char *)r.body, "kws/");
    tml_api_response_free(&r);
    tml_compiled_free(&local_nrf);
    tml_compiled_free(&local);

    /* Same request again: this version's compilation is returned (200, cached). */
    assert_int_equal(call_json(&d, tok, "POST", "/api/v1/compilations",
                               "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"NRF52840\",\"options\":{}}", &j),
                     200);
    assert_true(json_is_true(json_object_get(j, "cached")));
    assert_int_equal(jint(j, "id"), id1);
    json_decref(j);
    /* Version 2 has the same bytes: a new compilation, filled from the cache. */
    j = compile_wait(&d, tok, "{\"model\":\"kws\",\"version\":\"2\",\"target\":\"nrf52840\"}", &post);
    assert_int_equal(post, 202);
    assert_true(json_is_true(json_object_get(j, "cache_hit")));
    assert_true(jint(j, "id") != id1);
    assert_string_equal(json_string_value(json_object_get(j, "version")), "2");
    json_decref(j);
    /* Another target is another key: compiled for real. */
    j = compile_wait(&d, tok, "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"rp2040\"}", &post);
    assert_false(json_is_true(json_object_get(j, "cache_hit")));
    assert_string_equal(json_string_value(json_object_get(j, "target")), "rp2040");
    json_decref(j);

    /* A model too big for a small target: done, does not fit, with the reason. */
    assert_int_equal(upload(&d, tok, "vww_96_int8", "name=vww&version=1", &j), 201);
    json_decref(j);
    j = compile_wait(&d, tok, "{\"model\":\"vww\",\"version\":\"1\",\"target\":\"nrf52840\"}", &post);
    json_t *fitj = json_object_get(j, "fit");
    if (!json_is_true(json_object_get(fitj, "fits"))) {
        assert_true(strlen(json_string_value(json_object_get(fitj, "reason"))) > 0);
        assert_true(json_is_null(json_object_get(json_object_get(j, "backend"), "chosen")));
    }
    json_decref(j);

    /* Deleting a version removes its compilations; the model stays with v2. */
    assert_int_equal(call_json(&d, tok, "DELETE", "/api/v1/models/kws/versions/1", NULL, &j), 200);
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld", id1);
    st = call_json(&d, tok, "GET", path, NULL, &j);
    expect_error(j, st, 404, "not found");
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/models/kws", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "versions")), 1);
    json_decref(j);
    daemon_stop(&d);
}

static char *tenant_token(const daemon_t *d, const char *admin, const char *name)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
    json_t *j;
    assert_int_equal(call_json(d, admin, "POST", "/api/v1/tenants", body, &j), 201);
    const char *secret = json_string_value(json_object_get(json_object_get(j, "token"), "secret"));
    assert_non_null(secret);
    char *out = tml_strdup(secret);
    json_decref(j);
    return out;
}

static void tenants_are_isolated(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    const char *const extra[] = {"--admin-token", "admin-secret-0123456789", NULL};
    daemon_t d;
    daemon_start(&d, extra);
    assert_string_equal(d.token, ""); /* given, so not printed */
    const char *admin = "admin-secret-0123456789";
    json_t *j;
    int st;
    char *a = tenant_token(&d, admin, "acme");
    char *b = tenant_token(&d, admin, "globex");

    st = call_json(&d, admin, "POST", "/api/v1/tenants", "{\"name\":\"acme\"}", &j);
    expect_error(j, st, 409, "exists");
    st = call_json(&d, NULL, "GET", "/api/v1/models", NULL, &j);
    expect_error(j, st, 401, "Authorization");
    st = call_json(&d, "tml_not_a_real_token_000000", "GET", "/api/v1/models", NULL, &j);
    expect_error(j, st, 401, "invalid");
    st = call_json(&d, a, "POST", "/api/v1/tenants", "{\"name\":\"evil\"}", &j);
    expect_error(j, st, 403, "admin");
    st = call_json(&d, a, "GET", "/api/v1/tenants", NULL, &j);
    expect_error(j, st, 403, "admin");
    st = call_json(&d, a, "POST", "/api/v1/tokens", "{\"name\":\"x\",\"admin\":true}", &j);
    expect_error(j, st, 403, "admin");

    /* acme's things */
    assert_int_equal(upload(&d, a, "kws_ref_model", "name=kws&version=1", &j), 201);
    json_decref(j);
    assert_int_equal(call_json(&d, a, "POST", "/api/v1/devices",
                               "{\"endpoint\":\"acme-1\",\"profile\":\"nrf52840\",\"tags\":[\"lab\"]}", &j), 201);
    json_decref(j);
    int post;
    j = compile_wait(&d, a, "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"nrf52840\"}", &post);
    long long cid = jint(j, "id");
    json_decref(j);

    /* globex sees none of it */
    assert_int_equal(call_json(&d, b, "GET", "/api/v1/models", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "models")), 0);
    json_decref(j);
    assert_int_equal(call_json(&d, b, "GET", "/api/v1/devices", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "devices")), 0);
    json_decref(j);
    assert_int_equal(call_json(&d, b, "GET", "/api/v1/compilations", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "compilations")), 0);
    json_decref(j);
    st = call_json(&d, b, "GET", "/api/v1/models/kws/versions/1", NULL, &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "GET", "/api/v1/models/kws/versions/1/blob", NULL, &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "DELETE", "/api/v1/models/kws", NULL, &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "GET", "/api/v1/devices/acme-1", NULL, &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "PUT", "/api/v1/devices/acme-1/tags", "{\"tags\":[\"mine\"]}", &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "POST", "/api/v1/devices/acme-1/psk", "{}", &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "POST", "/api/v1/compilations",
                   "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"nrf52840\"}", &j);
    expect_error(j, st, 404, "not found");
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld", cid);
    st = call_json(&d, b, "GET", path, NULL, &j);
    expect_error(j, st, 404, "not found");
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld/artifacts/package", cid);
    st = call_json(&d, b, "GET", path, NULL, &j);
    expect_error(j, st, 404, "not found");
    st = call_json(&d, b, "POST", "/api/v1/devices", "{\"endpoint\":\"acme-1\",\"profile\":\"rp2040\"}", &j);
    expect_error(j, st, 409, "exists");

    /* globex uploads the same bytes: its compilation is a cache hit on acme's
     * result, and acme still sees only its own. */
    assert_int_equal(upload(&d, b, "kws_ref_model", "name=kws&version=1", &j), 201);
    json_decref(j);
    j = compile_wait(&d, b, "{\"model\":\"kws\",\"version\":\"1\",\"target\":\"nrf52840\"}", &post);
    assert_true(json_is_true(json_object_get(j, "cache_hit")));
    assert_true(jint(j, "id") != cid);
    json_decref(j);
    assert_int_equal(call_json(&d, a, "GET", "/api/v1/compilations", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "compilations")), 1);
    json_decref(j);

    /* Tokens: a tenant lists and revokes its own. */
    assert_int_equal(call_json(&d, a, "POST", "/api/v1/tokens", "{\"name\":\"ci\"}", &j), 201);
    char *ci = tml_strdup(json_string_value(json_object_get(j, "secret")));
    long long ci_id = jint(j, "id");
    json_decref(j);
    assert_int_equal(call_json(&d, ci, "GET", "/api/v1/whoami", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "token_name")), "ci");
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/tokens/%lld", ci_id);
    st = call_json(&d, b, "DELETE", path, NULL, &j);
    expect_error(j, st, 404, "not found");
    assert_int_equal(call_json(&d, a, "DELETE", path, NULL, &j), 200);
    json_decref(j);
    st = call_json(&d, ci, "GET", "/api/v1/whoami", NULL, &j);
    expect_error(j, st, 401, "revoked");
    tml_free(ci);
    tml_free(a);
    tml_free(b);
    daemon_stop(&d);
}

/* Sends raw request bytes and returns the status and parsed JSON body. */
static int raw(const daemon_t *d, const char *req, json_t **out)
{
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d->url, NULL, NULL));
    tml_api_response_t r;
    TML_ASSERT_OK(tml_api_raw(&c, req, strlen(req), &r, NULL));
    *out = json_loadb((const char *)r.body, r.body_len, 0, NULL); /* NULL if not JSON */
    int st = r.status;
    tml_api_response_free(&r);
    return st;
}

static void bad_requests_get_4xx_with_a_message(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    const char *const extra[] = {"--max-body", "4096", "--max-upload", "200000", NULL};
    daemon_t d;
    daemon_start(&d, extra);
    const char *tok = d.token;
    json_t *j;
    int st;

    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"model\": \"kws\", ", &j);
    expect_error(j, st, 400, "malformed JSON");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "[1,2]", &j);
    expect_error(j, st, 400, "must be a JSON object");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "", &j);
    expect_error(j, st, 400, "empty");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"model\":\"a\",\"model\":\"b\"}", &j);
    expect_error(j, st, 400, "malformed JSON");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"model\":7,\"version\":\"1\"}", &j);
    expect_error(j, st, 400, "field 'model' must be a string, got an integer");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"model\":\"k\",\"version\":\"1\",\"tagret\":\"x\"}", &j);
    expect_error(j, st, 400, "unknown field 'tagret'");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"version\":\"1\"}", &j);
    expect_error(j, st, 400, "missing required field 'model'");
    st = call_json(&d, tok, "POST", "/api/v1/compilations", "{\"model\":\"k\",\"version\":\"1\"}", &j);
    expect_error(j, st, 400, "exactly one of");
    st = call_json(&d, tok, "POST", "/api/v1/compilations",
                   "{\"model\":\"k\",\"version\":\"1\",\"target\":\"z80\"}", &j);
    expect_error(j, st, 400, "unknown target 'z80'");
    st = call_json(&d, tok, "POST", "/api/v1/compilations",
                   "{\"model\":\"k\",\"version\":\"1\",\"target\":\"rp2040\",\"options\":{\"prune\":1}}", &j);
    expect_error(j, st, 400, "unknown option 'prune'");
    st = call_json(&d, tok, "POST", "/api/v1/devices", "{\"endpoint\":\"a b\",\"profile\":\"rp2040\"}", &j);
    expect_error(j, st, 400, "endpoint 'a b'");
    st = call_json(&d, tok, "POST", "/api/v1/devices", "{\"endpoint\":\"e1\",\"profile\":\"rp2040\",\"tags\":[1]}", &j);
    expect_error(j, st, 400, "array of strings");
    st = call_json(&d, tok, "GET", "/api/v1/devices?state=sleepy", NULL, &j);
    expect_error(j, st, 400, "state must be");
    st = call_json(&d, tok, "GET", "/api/v1/compilations/abc", NULL, &j);
    expect_error(j, st, 400, "not a positive integer");
    st = call_json(&d, tok, "DELETE", "/api/v1/tokens/-4", NULL, &j);
    expect_error(j, st, 400, "not a positive integer");
    st = call_json(&d, tok, "GET", "/api/v1/compilations/999", NULL, &j);
    expect_error(j, st, 404, "compilation 999 not found");
    st = call_json(&d, tok, "GET", "/api/v1/nothing", NULL, &j);
    expect_error(j, st, 404, "no such path");
    st = call_json(&d, tok, "GET", "/elsewhere", NULL, &j);
    expect_error(j, st, 404, "/api/v1/");
    st = call_json(&d, tok, "PATCH", "/api/v1/models", "{}", &j);
    expect_error(j, st, 405, "allowed: POST, GET");

    /* Oversized JSON: declared (refused before the body is sent), and
     * chunked without a length (counted as it arrives). */
    char *big = tml_malloc(100000);
    memset(big, ' ', 100000);
    big[0] = '{';
    big[99999] = '}';
    st = call(&d, tok, "POST", "/api/v1/compilations", "application/json", big, 100000, &j);
    expect_error(j, st, 413, "exceeds the limit of 4096 bytes");
    tml_free(big);
    char chunked[12000];
    int n = snprintf(chunked, sizeof(chunked), "POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                               "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n",
                     tok);
    for (int k = 0; k < 5; k++) {
        n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "7d0\r\n");
        memset(chunked + n, ' ', 2000);
        n += 2000;
        n += snprintf(chunked + n, sizeof(chunked) - (size_t)n, "\r\n");
    }
    snprintf(chunked + n, sizeof(chunked) - (size_t)n, "0\r\n\r\n");
    st = raw(&d, chunked, &j);
    expect_error(j, st, 413, "exceeds the limit");
    /* A Content-Length that is not a number. */
    char bad_len[512];
    snprintf(bad_len, sizeof(bad_len), "POST /api/v1/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                       "Authorization: Bearer %s\r\nContent-Length: 12abc\r\n\r\n{}", tok);
    st = raw(&d, bad_len, &j);
    assert_int_equal(st, 400); /* libmicrohttpd refuses it before our handler runs */
    json_decref(j);

    /* Uploads: too big for --max-upload, not a model, a truncated model. */
    st = upload(&d, tok, "vww_96_int8", "name=vww&version=1", &j);
    expect_error(j, st, 413, "exceeds the limit of 200000 bytes");
    st = call(&d, tok, "POST", "/api/v1/models?name=x&version=1", "application/octet-stream", "hello world", 11, &j);
    expect_error(j, st, 415, "not a TFLite");
    size_t len;
    uint8_t *kws = tml_test_read(model_path("kws_ref_model"), &len);
    st = call(&d, tok, "POST", "/api/v1/models?name=x&version=1", "application/octet-stream", kws, 4000, &j);
    expect_error(j, st, 422, "model rejected");
    st = call(&d, tok, "POST", "/api/v1/models?version=1", "application/octet-stream", kws, len, &j);
    expect_error(j, st, 400, "missing model 'name'");
    st = call(&d, tok, "POST", "/api/v1/models?name=../etc&version=1", "application/octet-stream", kws, len, &j);
    expect_error(j, st, 400, "model name '../etc'");
    st = call(&d, tok, "POST", "/api/v1/models?name=x&version=1&metadata=%7Bnope", "application/octet-stream", kws,
              len, &j);
    expect_error(j, st, 400, "metadata: malformed JSON");
    st = call(&d, tok, "POST", "/api/v1/models?name=x&version=1&metadata=%7B%22labels%22%3A3%7D",
              "application/octet-stream", kws, len, &j);
    expect_error(j, st, 400, "'labels' must be an array of strings");
    st = call(&d, tok, "POST", "/api/v1/models", "multipart/form-data; boundary=XyZ", "--XyZ\r\nnothing", 15, &j);
    expect_error(j, st, 400, "multipart");
    const char *mp = "--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--XyZ--\r\n";
    st = call(&d, tok, "POST", "/api/v1/models", "multipart/form-data; boundary=XyZ", mp, strlen(mp), &j);
    expect_error(j, st, 400, "without a 'file' part");
    mp = "--XyZ\r\nContent-Disposition: form-data; name=\"evil\"\r\n\r\nx\r\n--XyZ--\r\n";
    st = call(&d, tok, "POST", "/api/v1/models", "multipart/form-data; boundary=XyZ", mp, strlen(mp), &j);
    expect_error(j, st, 400, "unknown multipart field 'evil'");
    tml_free(kws);

    /* After all that, the daemon still serves. */
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/whoami", NULL, &j), 200);
    json_decref(j);
    daemon_stop(&d);
}

static void restart_keeps_everything(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    daemon_t d;
    daemon_start(&d, NULL);
    char tok[128];
    snprintf(tok, sizeof(tok), "%s", d.token);
    json_t *j;
    assert_int_equal(upload(&d, tok, "kws_ref_model", "name=kws&version=1&task=kws", &j), 201);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "POST", "/api/v1/devices",
                               "{\"endpoint\":\"dev-1\",\"profile\":\"nrf52840\",\"tags\":[\"lab\",\"eu\"]}", &j),
                     201);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "POST", "/api/v1/devices/dev-1/psk", "{\"identity\":\"dev-1-psk\"}", &j), 200);
    assert_int_equal(strlen(json_string_value(json_object_get(j, "key"))), 32);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "POST", "/api/v1/devices", "{\"endpoint\":\"dev-2\",\"profile\":\"rp2040\"}", &j),
                     201);
    json_decref(j);
    int post;
    j = compile_wait(&d, tok, "{\"model\":\"kws\",\"device\":\"dev-1\",\"version\":\"1\"}", &post);
    assert_string_equal(json_string_value(json_object_get(j, "target")), "nrf52840");
    assert_string_equal(json_string_value(json_object_get(j, "device")), "dev-1");
    long long cid = jint(j, "id");
    char *pkg_sha = tml_strdup(json_string_value(json_object_get(json_array_get(json_object_get(j, "artifacts"), 0), "sha256")));
    json_decref(j);
    daemon_stop(&d);

    char db[128];
    snprintf(db, sizeof(db), "%s/tmlaasd.db", data_dir);
    struct stat sb;
    assert_int_equal(stat(db, &sb), 0);

    daemon_start(&d, NULL);
    assert_string_equal(d.token, ""); /* the store is not empty: no new admin token */
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/models/kws/versions/1", NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "metadata"), "task")), "kws");
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/devices?tag=eu", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "devices")), 1);
    json_t *dev = json_array_get(json_object_get(j, "devices"), 0);
    assert_string_equal(json_string_value(json_object_get(dev, "endpoint")), "dev-1");
    assert_string_equal(json_string_value(json_object_get(dev, "psk_identity")), "dev-1-psk");
    assert_null(json_object_get(dev, "key")); /* never shown again */
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/devices?profile=rp2040", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "devices")), 1);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "PUT", "/api/v1/devices/dev-2/tags", "{\"tags\":[\"eu\"]}", &j), 200);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/devices?tag=eu&state=offline", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "devices")), 2);
    json_decref(j);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld", cid);
    assert_int_equal(call_json(&d, tok, "GET", path, NULL, &j), 200);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "done");
    json_decref(j);
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld/artifacts/package", cid);
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d.url, tok, NULL));
    tml_api_response_t r;
    TML_ASSERT_OK(tml_api_request(&c, "GET", path, NULL, NULL, 0, NULL, &r, NULL));
    assert_int_equal(r.status, 200);
    char sha[65];
    tml_sha256_hex(r.body, r.body_len, sha);
    assert_string_equal(sha, pkg_sha);
    tml_api_response_free(&r);
    tml_free(pkg_sha);
    /* compatible models of dev-1 (nrf52840): kws fits */
    assert_int_equal(call_json(&d, tok, "GET", "/api/v1/devices/dev-1/compatible-models", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "models")), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(j, "models"), 0), "model")),
                        "kws");
    assert_true(json_integer_value(json_object_get(json_array_get(json_object_get(j, "models"), 0), "ram_bytes")) > 0);
    json_decref(j);
    assert_int_equal(call_json(&d, tok, "DELETE", "/api/v1/devices/dev-2", NULL, &j), 200);
    json_decref(j);
    int st = call_json(&d, tok, "GET", "/api/v1/devices/dev-2", NULL, &j);
    expect_error(j, st, 404, "not found");
    daemon_stop(&d);
}

/* Runs a tml CLI command with TML_SERVER/TML_TOKEN set; returns its exit
 * code and its stdout in out. */
static int tml_cli(const daemon_t *d, const char *token, const char *args, char *out, size_t n)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "TML_SERVER=%s TML_TOKEN=%s %s/tools/tml/tml %s 2>&1", d->url, token,
             TML_BINARY_DIR, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    int rc = pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void cli_drives_the_service(void **state)
{
    (void)state;
    if (!tml_test_have_shared())
        skip();
    daemon_t d;
    daemon_start(&d, NULL);
    char out[16384], args[1024];
    snprintf(args, sizeof(args), "models push %s --name kws --version 3 --task kws --labels yes,no",
             model_path("kws_ref_model"));
    assert_int_equal(tml_cli(&d, d.token, args, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "kws@3: tflite, 53936 bytes"));
    assert_int_equal(tml_cli(&d, d.token, "models ls", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "kws"));
    assert_int_equal(tml_cli(&d, d.token, "compilations create kws 3 --target stm32f746 --wait", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "for stm32f746: done"));
    assert_non_null(strstr(out, "fits: RAM"));
    assert_non_null(strstr(out, "artifact package"));
    assert_int_equal(tml_cli(&d, d.token, "compilations ls", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "stm32f746"));
    char file[128];
    snprintf(file, sizeof(file), "compilations get 1 package -o %s/k.tmlm", data_dir);
    assert_int_equal(tml_cli(&d, d.token, file, out, sizeof(out)), 0);
    snprintf(file, sizeof(file), "%s/k.tmlm", data_dir);
    struct stat sb;
    assert_int_equal(stat(file, &sb), 0);
    assert_true(sb.st_size > 1000);
    assert_int_equal(tml_cli(&d, d.token, "devices add cli-1 rp2040 lab", out, sizeof(out)), 0);
    assert_int_equal(tml_cli(&d, d.token, "devices ls --tag lab", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "cli-1"));
    /* errors come back as the server's message and a non-zero exit */
    assert_int_equal(tml_cli(&d, d.token, "models show nope", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "model 'nope' not found (HTTP 404)"));
    assert_int_equal(tml_cli(&d, "wrong-token-xxxxxxxx", "models ls", out, sizeof(out)), 1);
    assert_non_null(strstr(out, "HTTP 401"));
    daemon_stop(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(zoo_compile_and_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(tenants_are_isolated, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_requests_get_4xx_with_a_message, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(cli_drives_the_service, setup, teardown),
    };
    TML_TEST_MAIN(tests);
}
