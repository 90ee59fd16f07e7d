/*
 * test_rollout.c - deployments end to end on loopback: the real tmlaasd
 * binary (HTTP and LwM2M on ephemeral ports) and real agents (libtmlagent
 * with the POSIX platform, stepped in this thread), nothing simulated.
 *
 *  - registrations become device records (profile and capabilities from
 *    ML Capabilities), inference results come back through the observed
 *    ML Inference object;
 *  - a dry-run plan (artifact, bytes, CoAP blocks, transfer time, who is
 *    refused and why), then the rollout: a canary whose device refuses
 *    the package (it trusts another key) trips the failure threshold and
 *    pauses the deployment by itself; resume finishes the other batches;
 *    the device the model does not fit is refused with the reason;
 *  - pause, resume and cancel through the API, 409 for a wrong state,
 *    tenant isolation, malformed and wrong bodies refused with a message;
 *  - the daemon is killed (SIGKILL) mid-rollout and restarted on the same
 *    --data and LwM2M port: the rollout finishes.
 */
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tflite_build.h"
#include "tml/agent.h"
#include "tml/api_client.h"
#include "tml/signed_pkg.h"
#include "tml_test.h"

#define DAEMON TML_BINARY_DIR "/server/tmlaasd"
#define TOKEN "tml_rollout_admin_token_0123456789"

typedef struct daemon {
    pid_t pid;
    int out_fd;
    int port, lwm2m_port;
    char url[64];
    char key_hex[65];
} daemon_t;

typedef struct agent {
    char ep[32];
    char dir[160];
    tml_agent_t *a;
    tml_agent_posix_t *px;
    tml_agent_platform_t pf;
} agent_t;

static char data_dir[64];
static pid_t live_pid;

/* sessions: --lwm2m-sessions (the CoAP session working set), 0: the default. */
static void daemon_start(daemon_t *d, int lwm2m_port, int sessions)
{
    memset(d, 0, sizeof(*d));
    char port[16], ws[16];
    snprintf(port, sizeof(port), "%d", lwm2m_port);
    snprintf(ws, sizeof(ws), "%d", sessions);
    const char *argv[] = {DAEMON, "--data", data_dir, "--http-port", "0", "--lwm2m-port", port,
                          "--lwm2m-dtls-port", "-1", "--admin-token", TOKEN,
                          sessions ? "--lwm2m-sessions" : NULL, ws, NULL};
    char out[4096];
    d->pid = tml_test_spawn(argv, "tmlaasd: ready\n", 20000, &d->out_fd, out, sizeof(out));
    live_pid = d->pid;
    const char *p = strstr(out, "http://127.0.0.1:");
    assert_non_null(p);
    d->port = atoi(p + strlen("http://127.0.0.1:"));
    snprintf(d->url, sizeof(d->url), "http://127.0.0.1:%d", d->port);
    p = strstr(out, "lwm2m listening on coap://127.0.0.1:");
    assert_non_null(p);
    d->lwm2m_port = atoi(p + strlen("lwm2m listening on coap://127.0.0.1:"));
    p = strstr(out, "(tml-agent --trust-key): ");
    assert_non_null(p);
    sscanf(p + strlen("(tml-agent --trust-key): "), "%64s", d->key_hex);
}

static void daemon_kill(daemon_t *d, int sig)
{
    assert_int_equal(kill(d->pid, sig), 0);
    int status = 0;
    waitpid(d->pid, &status, 0);
    close(d->out_fd);
    live_pid = 0;
    if (sig == SIGTERM) {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
}

static int setup(void **state)
{
    snprintf(data_dir, sizeof(data_dir), "/tmp/tml_rollout_XXXXXX");
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

/* ---- agents -------------------------------------------------------------- */

static void agent_start(agent_t *ag, const char *ep, const char *profile, const daemon_t *d, const uint8_t *key)
{
    memset(ag, 0, sizeof(*ag));
    snprintf(ag->ep, sizeof(ag->ep), "%s", ep);
    snprintf(ag->dir, sizeof(ag->dir), "%s/agent-%s", data_dir, ep);
    assert_int_equal(mkdir(ag->dir, 0700), 0);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_agent_posix_create(ag->dir, NULL, NULL, 0, &ag->px, &ag->pf, &err), &err);
    char uri[64];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%d", d->lwm2m_port);
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = ep;
    cfg.server_uri = uri;
    cfg.profile = tml_target_find(profile);
    cfg.trust_key = key;
    cfg.lifetime_s = 4; /* updates every 2 s: a restarted server is found quickly */
    cfg.ack_timeout_ms = 300;
    cfg.infer_period_ms = 200;
    TML_ASSERT_OK_ERR(tml_agent_create(&cfg, &ag->pf, &ag->a, &err), &err);
}

static void agent_stop(agent_t *ag)
{
    tml_agent_destroy(ag->a);
    tml_agent_posix_destroy(ag->px);
}

/* Steps every agent for ms milliseconds. */
static void run_agents(agent_t *ags, int n, int ms)
{
    int64_t end = tml_test_now_ms() + ms;
    while (tml_test_now_ms() < end) {
        for (int i = 0; i < n; i++)
            tml_agent_step(ags[i].a);
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- HTTP ---------------------------------------------------------------- */

static int call(const daemon_t *d, const char *token, const char *method, const char *path, const char *body,
                json_t **out)
{
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d->url, token, NULL));
    tml_api_response_t r;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_api_request(&c, method, path, body ? "application/json" : NULL, body,
                                      body ? strlen(body) : 0, NULL, &r, &err), &err);
    if (out) {
        *out = json_loadb((const char *)r.body, r.body_len, 0, NULL);
        if (!*out)
            fail_msg("%s %s -> %d, not JSON: %.200s", method, path, r.status, r.body);
    }
    int status = r.status;
    tml_api_response_free(&r);
    return status;
}

static void expect_error(const daemon_t *d, const char *token, const char *method, const char *path,
                         const char *body, int want_status, const char *want)
{
    json_t *j;
    int st = call(d, token, method, path, body, &j);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (st != want_status || !msg || !strstr(msg, want))
        fail_msg("%s %s: expected %d '%s', got %d: %s", method, path, want_status, want, st, msg ? msg : "?");
    json_decref(j);
}

static const char *jstr(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "";
}

/* The device entry of a deployment. */
static json_t *dep_device(json_t *dep, const char *ep)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(dep, "devices"), i, e) if (!strcmp(jstr(e, "endpoint"), ep)) return e;
    fail_msg("no device %s in the deployment", ep);
    return NULL;
}

/* Polls GET path while stepping the agents until key has value (or ms pass). */
static json_t *wait_field(const daemon_t *d, agent_t *ags, int n, const char *path, const char *key,
                          const char *value, int ms)
{
    int64_t end = tml_test_now_ms() + ms;
    json_t *j = NULL;
    while (tml_test_now_ms() < end) {
        run_agents(ags, n, 50);
        json_decref(j);
        assert_int_equal(call(d, TOKEN, "GET", path, NULL, &j), 200);
        if (!strcmp(jstr(j, key), value))
            return j;
    }
    char *text = json_dumps(j, JSON_INDENT(1));
    fail_msg("%s: %s stayed '%s', expected '%s': %.3000s", path, key, jstr(j, key), value, text);
    return NULL;
}

/* An int8 ADD of two [1, 110000] tensors: 220 KB of arena, which fits the
 * nRF5340's model RAM (464 KiB) and not the nRF52840's (208 KiB). */
static uint8_t *big_add_model(size_t *len)
{
    static const float scale[1] = {0.5f};
    static const int64_t zp[1] = {0};
    tfb_tensor_t t[3];
    const char *names[3] = {"a", "b", "sum"};
    for (int i = 0; i < 3; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        t[i].name = names[i];
        t[i].type = TFB_INT8;
        t[i].n_dims = 2;
        t[i].dims[0] = 1;
        t[i].dims[1] = 110000;
        t[i].n_quant = 1;
        t[i].scale = scale;
        t[i].zero_point = zp;
    }
    tfb_op_t op;
    memset(&op, 0, sizeof(op));
    op.code = 0; /* ADD */
    op.version = 1;
    op.n_in = 2;
    op.in[0] = 0;
    op.in[1] = 1;
    op.n_out = 1;
    op.out[0] = 2;
    tfb_model_t m;
    memset(&m, 0, sizeof(m));
    m.tensors = t;
    m.n_tensors = 3;
    m.ops = &op;
    m.n_ops = 1;
    m.n_inputs = 2;
    m.inputs[0] = 0;
    m.inputs[1] = 1;
    m.n_outputs = 1;
    m.outputs[0] = 2;
    uint8_t *out = NULL;
    TML_ASSERT_OK(tfb_build(&m, &out, len));
    return out;
}

static void upload_model(const daemon_t *d, const char *version)
{
    size_t len;
    uint8_t *model = big_add_model(&len);
    tml_api_client_t c;
    TML_ASSERT_OK(tml_api_client_init(&c, d->url, TOKEN, NULL));
    tml_api_response_t r;
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/models?name=adder&version=%s&format=tflite", version);
    TML_ASSERT_OK(tml_api_request(&c, "POST", path, "application/octet-stream", model, len, NULL, &r, NULL));
    if (r.status != 201)
        fail_msg("upload: %d %.300s", r.status, r.body);
    tml_api_response_free(&r);
    tml_free(model);
}

/* ---- tests ------------------------------------------------------------------ */

static void rollout_canary_threshold_refusal_and_inferences(void **state)
{
    (void)state;
    daemon_t d;
    daemon_start(&d, 0, 0);
    json_t *j;
    assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/signing-key", NULL, &j), 200);
    assert_string_equal(jstr(j, "public_key"), d.key_hex);
    json_decref(j);
    uint8_t key[32], other_pk[32], other_sk[64];
    TML_ASSERT_OK(tml_hex_decode(d.key_hex, key, 32));
    TML_ASSERT_OK(tml_spkg_keypair(other_pk, other_sk));
    upload_model(&d, "1");

    agent_t ags[4];
    agent_start(&ags[0], "a-bad", "nrf5340", &d, other_pk); /* trusts another key */
    agent_start(&ags[1], "b-ok", "nrf5340", &d, key);
    agent_start(&ags[2], "c-ok", "nrf5340", &d, key);
    agent_start(&ags[3], "d-small", "nrf52840", &d, key);
    /* Registrations become records: online, with the reported profile. */
    const char *eps[4] = {"a-bad", "b-ok", "c-ok", "d-small"};
    for (int i = 0; i < 4; i++) {
        char path[96];
        snprintf(path, sizeof(path), "/api/v1/devices/%s", eps[i]);
        int64_t end = tml_test_now_ms() + 10000;
        for (;;) {
            run_agents(ags, 4, 50);
            int st = call(&d, TOKEN, "GET", path, NULL, &j);
            if (st == 200 && !strcmp(jstr(j, "state"), "online") && json_object_get(json_object_get(j, "capabilities"), "kernels"))
                break;
            json_decref(j);
            if (tml_test_now_ms() > end)
                fail_msg("%s never registered", eps[i]);
        }
        assert_string_equal(jstr(j, "profile"), i == 3 ? "nrf52840" : "nrf5340");
        assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "capabilities"), "model_ram_bytes")),
                         tml_target_find(jstr(j, "profile"))->model_ram_bytes);
        json_decref(j);
    }
    expect_error(&d, TOKEN, "PUT", "/api/v1/devices/b-ok/link", "{\"link\":\"carrier-pigeon\"}", 400, "unknown link");
    assert_int_equal(call(&d, TOKEN, "PUT", "/api/v1/devices/b-ok/link", "{\"link\":\"nb-iot\"}", NULL), 200);

    /* Compatible models of each device, with the estimates. */
    assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/devices/b-ok/compatible-models", NULL, &j), 200);
    json_t *m = json_array_get(json_object_get(j, "models"), 0);
    assert_non_null(m);
    assert_true(json_integer_value(json_object_get(m, "coap_blocks")) >= 1);
    assert_string_equal(jstr(json_object_get(m, "link"), "name"), "nb-iot");
    json_decref(j);
    assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/devices/d-small/compatible-models", NULL, &j), 200);
    if (json_array_size(json_object_get(j, "models")))
        fail_msg("%s", json_dumps(j, 0));
    assert_int_equal(json_array_size(json_object_get(j, "models")), 0);
    assert_non_null(strstr(jstr(json_array_get(json_object_get(j, "refused"), 0), "reason"), "does not fit"));
    json_decref(j);

    /* The plan first: nothing is created. */
    const char *body = "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"all\":true},"
                       "\"strategy\":{\"canary_share\":0.3,\"batch_size\":1,\"failure_threshold\":0.5}}";
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/deployments?dry_run=1", body, &j), 200);
    json_t *plan = json_object_get(j, "plan");
    assert_int_equal(json_array_size(plan), 4);
    json_t *pb = json_array_get(plan, 1), *ps = json_array_get(plan, 3);
    assert_string_equal(jstr(pb, "endpoint"), "b-ok");
    assert_true(json_is_true(json_object_get(pb, "fits")));
    json_int_t bytes = json_integer_value(json_object_get(json_object_get(pb, "artifact"), "bytes"));
    assert_true(bytes > (json_int_t)TML_SPKG_TRAILER_LEN);
    assert_int_equal(json_integer_value(json_object_get(pb, "coap_blocks")), (bytes + 1023) / 1024);
    assert_true(json_number_value(json_object_get(pb, "transfer_s")) > 1.0); /* nb-iot: 1.5 s round trips */
    assert_false(json_is_true(json_object_get(ps, "fits")));
    assert_non_null(strstr(jstr(ps, "reason"), "nrf52840"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "summary"), "refused")), 1);
    json_decref(j);
    assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/deployments", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "deployments")), 0);
    json_decref(j);

    /* The rollout: a-bad is the canary, refuses the package, and the
     * failure threshold pauses the deployment. */
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/deployments", body, &j), 201);
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/deployments/%lld", (long long)json_integer_value(json_object_get(j, "id")));
    assert_string_equal(jstr(dep_device(j, "d-small"), "stage"), "refused");
    assert_int_equal(json_integer_value(json_object_get(dep_device(j, "a-bad"), "batch")), 0);
    assert_int_equal(json_integer_value(json_object_get(dep_device(j, "c-ok"), "batch")), 2);
    json_decref(j);
    j = wait_field(&d, ags, 4, path, "state", "paused", 30000);
    assert_non_null(strstr(jstr(j, "reason"), "failure threshold"));
    assert_string_equal(jstr(dep_device(j, "a-bad"), "stage"), "failed");
    assert_non_null(strstr(jstr(dep_device(j, "a-bad"), "error"), "53"));
    assert_string_equal(jstr(dep_device(j, "b-ok"), "stage"), "ready");
    json_decref(j);
    char action[96];
    snprintf(action, sizeof(action), "%s/resume", path);
    assert_int_equal(call(&d, TOKEN, "POST", action, NULL, NULL), 200);
    expect_error(&d, TOKEN, "POST", action, NULL, 409, "is running");
    j = wait_field(&d, ags, 4, path, "state", "done", 30000);
    assert_string_equal(jstr(dep_device(j, "b-ok"), "stage"), "done");
    assert_string_equal(jstr(dep_device(j, "c-ok"), "stage"), "done");
    assert_non_null(json_object_get(dep_device(j, "c-ok"), "package"));
    json_decref(j);
    tml_agent_status_t st;
    tml_agent_get_status(ags[2].a, &st);
    assert_string_equal(st.model_name, "adder");
    assert_string_equal(st.model_version, "1");
    assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/devices/c-ok", NULL, &j), 200);
    assert_string_equal(jstr(j, "installed_model"), "adder@1");
    json_decref(j);

    /* Inference results come back through the observation. */
    int64_t end = tml_test_now_ms() + 10000;
    for (;;) {
        run_agents(ags, 4, 100);
        assert_int_equal(call(&d, TOKEN, "GET", "/api/v1/devices/c-ok/inferences?limit=5", NULL, &j), 200);
        json_t *first = json_array_get(json_object_get(j, "inferences"), 0);
        if (first && !strcmp(jstr(first, "model"), "adder")) {
            assert_true(json_integer_value(json_object_get(first, "count")) >= 1);
            assert_true(strlen(jstr(first, "output")) > 0);
            json_decref(j);
            break;
        }
        json_decref(j);
        if (tml_test_now_ms() > end)
            fail_msg("no inference stored for c-ok");
    }
    expect_error(&d, TOKEN, "GET", "/api/v1/devices/c-ok/inferences?limit=0", NULL, 400, "limit");

    for (int i = 0; i < 4; i++)
        agent_stop(&ags[i]);
    daemon_kill(&d, SIGTERM);
}

static void api_pause_resume_cancel_tenants_and_bad_bodies(void **state)
{
    (void)state;
    daemon_t d;
    daemon_start(&d, 0, 0);
    upload_model(&d, "1");
    /* Devices created ahead of registration stay offline: the rollout
     * waits for them, which leaves time to pause, resume and cancel. */
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/devices", "{\"endpoint\":\"off-1\",\"profile\":\"nrf5340\",\"tags\":[\"lab\"]}", NULL), 201);
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/devices", "{\"endpoint\":\"off-2\",\"profile\":\"nrf5340\"}", NULL), 201);
    const char *body = "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"tag\":\"lab\"}}";
    json_t *j;
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/deployments", body, &j), 201);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "progress"), "devices")), 1);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    char path[64], action[96];
    snprintf(path, sizeof(path), "/api/v1/deployments/%lld", id);
    j = NULL;
    /* Compiled and signed, then it waits for the device. */
    int64_t end = tml_test_now_ms() + 20000;
    for (;;) {
        assert_int_equal(call(&d, TOKEN, "GET", path, NULL, &j), 200);
        if (!strcmp(jstr(dep_device(j, "off-1"), "stage"), "ready"))
            break;
        json_decref(j);
        if (tml_test_now_ms() > end)
            fail_msg("never ready");
        run_agents(NULL, 0, 50);
    }
    assert_non_null(json_object_get(dep_device(j, "off-1"), "package"));
    json_decref(j);
    snprintf(action, sizeof(action), "%s/pause", path);
    assert_int_equal(call(&d, TOKEN, "POST", action, NULL, &j), 200);
    assert_string_equal(jstr(j, "state"), "paused");
    json_decref(j);
    expect_error(&d, TOKEN, "POST", action, NULL, 409, "is paused");
    snprintf(action, sizeof(action), "%s/resume", path);
    assert_int_equal(call(&d, TOKEN, "POST", action, NULL, NULL), 200);
    snprintf(action, sizeof(action), "%s/cancel", path);
    assert_int_equal(call(&d, TOKEN, "POST", action, NULL, NULL), 200);
    j = wait_field(&d, NULL, 0, path, "state", "cancelled", 10000);
    assert_string_equal(jstr(dep_device(j, "off-1"), "stage"), "cancelled");
    json_decref(j);
    expect_error(&d, TOKEN, "POST", action, NULL, 409, "is cancelled");
    snprintf(action, sizeof(action), "%s/explode", path);
    expect_error(&d, TOKEN, "POST", action, NULL, 404, "no action");

    /* Another tenant sees none of it. */
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/tenants", "{\"name\":\"other\"}", &j), 201);
    char other[128];
    snprintf(other, sizeof(other), "%s", jstr(json_object_get(j, "token"), "secret"));
    if (!other[0])
        snprintf(other, sizeof(other), "%s", jstr(j, "token"));
    json_decref(j);
    assert_true(other[0] != '\0');
    expect_error(&d, other, "GET", path, NULL, 404, "not found");
    assert_int_equal(call(&d, other, "GET", "/api/v1/deployments", NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "deployments")), 0);
    json_decref(j);
    expect_error(&d, other, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"endpoints\":[\"off-1\"]}}", 404, "adder");
    expect_error(&d, other, "GET", "/api/v1/devices/off-1/inferences", NULL, 404, "not found");

    /* Bad bodies: each a 4xx naming the fault. */
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments", "{\"model\":", 400, "malformed JSON");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments", "{\"model\":\"adder\",\"version\":\"1\"}", 400,
                 "missing required field 'selector'");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"colour\":\"red\"}}", 400, "unknown field 'colour'");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{}}", 400, "selector: give");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"endpoints\":[\"nobody\"]}}", 400, "no device 'nobody'");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"all\":true},\"strategy\":{\"canary_share\":2}}",
                 400, "canary_share");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments",
                 "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"all\":true},\"strategy\":{\"batch_size\":\"x\"}}",
                 400, "'batch_size' must be an integer");
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments?dry_run=maybe", body, 400, "dry_run");
    expect_error(&d, TOKEN, "GET", "/api/v1/deployments/abc", NULL, 400, "not a positive integer");
    expect_error(&d, TOKEN, "GET", "/api/v1/deployments/999", NULL, 404, "not found");
    /* Over --max-body (1 MiB). */
    size_t big = (1u << 20) + 10;
    char *huge = tml_malloc(big + 1);
    memset(huge, ' ', big);
    huge[0] = '{';
    huge[big - 1] = '}';
    huge[big] = '\0';
    expect_error(&d, TOKEN, "POST", "/api/v1/deployments", huge, 413, "");
    tml_free(huge);
    daemon_kill(&d, SIGTERM);
}

static void restart_mid_rollout(void **state)
{
    (void)state;
    daemon_t d;
    daemon_start(&d, 0, 1); /* one idle session kept: devices are woken as needed */
    int lport = d.lwm2m_port;
    uint8_t key[32];
    TML_ASSERT_OK(tml_hex_decode(d.key_hex, key, 32));
    upload_model(&d, "1");
    agent_t ags[3];
    agent_start(&ags[0], "r1", "nrf5340", &d, key);
    agent_start(&ags[1], "r2", "nrf5340", &d, key);
    agent_start(&ags[2], "r3", "nrf5340", &d, key);
    run_agents(ags, 3, 1500);
    const char *body = "{\"model\":\"adder\",\"version\":\"1\",\"selector\":{\"endpoints\":[\"r1\",\"r2\",\"r3\"]},"
                       "\"strategy\":{\"canary_share\":0,\"batch_size\":1}}";
    json_t *j;
    assert_int_equal(call(&d, TOKEN, "POST", "/api/v1/deployments", body, &j), 201);
    char path[64];
    snprintf(path, sizeof(path), "/api/v1/deployments/%lld", (long long)json_integer_value(json_object_get(j, "id")));
    json_decref(j);
    /* Kill it hard as soon as a device is past "ready", before the last is done. */
    int64_t end = tml_test_now_ms() + 30000;
    for (;;) {
        run_agents(ags, 3, 20);
        assert_int_equal(call(&d, TOKEN, "GET", path, NULL, &j), 200);
        const char *s1 = jstr(dep_device(j, "r1"), "stage");
        bool moving = strcmp(s1, "pending") && strcmp(s1, "compiling") && strcmp(s1, "ready");
        json_decref(j);
        if (moving)
            break;
        if (tml_test_now_ms() > end)
            fail_msg("the rollout never started");
    }
    daemon_kill(&d, SIGKILL);
    run_agents(ags, 3, 500);
    daemon_start(&d, lport, 1);
    j = wait_field(&d, ags, 3, path, "state", "done", 60000);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(jstr(dep_device(j, ags[i].ep), "stage"), "done");
        tml_agent_status_t st;
        tml_agent_get_status(ags[i].a, &st);
        assert_string_equal(st.model_name, "adder");
        assert_true(st.sw_activated);
    }
    json_decref(j);
    for (int i = 0; i < 3; i++)
        agent_stop(&ags[i]);
    daemon_kill(&d, SIGTERM);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rollout_canary_threshold_refusal_and_inferences, setup, teardown),
        cmocka_unit_test_setup_teardown(api_pause_resume_cancel_tenants_and_bad_bodies, setup, teardown),
        cmocka_unit_test_setup_teardown(restart_mid_rollout, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
