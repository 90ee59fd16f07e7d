/*
 * test_lwm2m_agent.c - our agent against our server on loopback with real
 * sockets, both stepped from this thread in loops bounded by time:
 * registration and the reads it triggers, read/discover/observe, the full
 * over-the-air install with self-test and rollback, the OMA firmware-update
 * error cases and their Software Management equivalents, resume after the
 * agent is killed mid-download, install through a relay that drops 5% of
 * the datagrams, queue mode, and Debian's coap-client-openssl registering
 * against our server.
 */
#include <signal.h>
#include <sys/wait.h>

#include "../integration/lwm2m_harness.h"

typedef struct world {
    tml_lwm2m_server_t *srv;
    tml_agent_t *agent;
    tml_agent_posix_t *px;
    tml_agent_platform_t pf;
    h_relay_t relay;
    bool use_relay;
    char dir[64];
    uint8_t pk[32], sk[64];
    int n_registered, n_info, n_updated, n_dereg, n_refused;
    char last_refusal[256];
} world_t;

static void on_event(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev, const char *detail)
{
    world_t *w = arg;
    (void)dev;
    switch (ev) {
    case TML_LWM2M_EV_REGISTERED: w->n_registered++; break;
    case TML_LWM2M_EV_INFO: w->n_info++; break;
    case TML_LWM2M_EV_UPDATED: w->n_updated++; break;
    case TML_LWM2M_EV_DEREGISTERED: w->n_dereg++; break;
    case TML_LWM2M_EV_REFUSED:
        w->n_refused++;
        snprintf(w->last_refusal, sizeof(w->last_refusal), "%s", detail);
        break;
    default: break;
    }
}

static void world_server(world_t *w, uint32_t awake_ms)
{
    tml_lwm2m_server_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.on_event = on_event;
    cfg.event_arg = w;
    cfg.queue_awake_ms = awake_ms;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_server_create(&cfg, &w->srv, &err), &err);
    assert_true(tml_lwm2m_server_port(w->srv) > 0);
}

static void world_agent(world_t *w, const char *ep, const tml_target_t *profile, bool queue)
{
    tml_err_t err;
    tml_err_clear(&err);
    if (!w->px)
        TML_ASSERT_OK_ERR(tml_agent_posix_create(w->dir, NULL, NULL, 0, &w->px, &w->pf, &err), &err);
    char uri[64];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u",
             w->use_relay ? w->relay.front_port : tml_lwm2m_server_port(w->srv));
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = ep;
    cfg.server_uri = uri;
    cfg.profile = profile ? profile : tml_target_find("nrf52840");
    cfg.trust_key = w->pk;
    cfg.lifetime_s = 60;
    cfg.queue_mode = queue;
    cfg.queue_awake_ms = 300;
    cfg.queue_update_ms = 1500;
    cfg.ack_timeout_ms = 150;
    cfg.max_retransmit = 4;
    cfg.block_szx = 4; /* 256-byte blocks: more of them, more to lose */
    TML_ASSERT_OK_ERR(tml_agent_create(&cfg, &w->pf, &w->agent, &err), &err);
}

static void world_init(world_t *w, bool relay, unsigned drop_permille)
{
    memset(w, 0, sizeof(*w));
    h_tmpdir(w->dir, sizeof(w->dir));
    TML_ASSERT_OK(tml_spkg_keypair(w->pk, w->sk));
    world_server(w, 2000);
    w->use_relay = relay;
    if (relay)
        h_relay_open(&w->relay, tml_lwm2m_server_port(w->srv), drop_permille, 12345);
}

static void world_kill_agent(world_t *w)
{
    h_agent_kill(&w->agent, &w->px);
}

static void world_free(world_t *w)
{
    if (w->agent)
        world_kill_agent(w);
    tml_lwm2m_server_destroy(w->srv);
    if (w->use_relay)
        h_relay_close(&w->relay);
    h_rmdir(w->dir);
}

static void world_step(world_t *w)
{
    h_world_step(w->agent, w->srv, w->use_relay ? &w->relay : NULL);
}

typedef bool (*cond_fn)(world_t *w, void *arg);

/* Steps until cond holds or ms pass; fails the test on timeout. */
static void run_until(world_t *w, uint32_t ms, cond_fn cond, void *arg, const char *what)
{
    uint64_t end = h_now_ms() + ms;
    while (h_now_ms() < end) {
        world_step(w);
        if (cond(w, arg))
            return;
    }
    fail_msg("timed out after %u ms waiting for %s", ms, what);
}

static bool have_info(world_t *w, void *arg)
{
    return w->n_info >= *(int *)arg;
}

/* ---- Requests with a synchronous wrapper ------------------------------------- */

typedef struct answer {
    int n;                         /* answers and notifications so far */
    tml_status_t status;
    uint8_t code;
    uint16_t cf;
    tml_lwm2m_records_t recs;
    char text[512];
} answer_t;

static void on_answer(void *arg, const tml_lwm2m_response_t *rsp)
{
    answer_t *a = arg;
    a->n++;
    a->status = rsp->status;
    a->code = rsp->code;
    a->cf = rsp->content_format;
    tml_lwm2m_records_free(&a->recs);
    tml_lwm2m_records_init(&a->recs);
    if (rsp->records)
        for (size_t i = 0; i < rsp->records->n; i++)
            tml_lwm2m_records_add(&a->recs, &rsp->records->recs[i].path, &rsp->records->recs[i].v);
    size_t n = rsp->payload_len < sizeof(a->text) - 1 ? rsp->payload_len : sizeof(a->text) - 1;
    memcpy(a->text, rsp->payload ? (const char *)rsp->payload : "", n);
    a->text[n] = 0;
}

static bool answered(world_t *w, void *arg)
{
    (void)w;
    answer_t *a = arg;
    return a->n > 0;
}

static void answer_reset(answer_t *a)
{
    tml_lwm2m_records_free(&a->recs);
    memset(a, 0, sizeof(*a));
}

static void do_read(world_t *w, const char *ep, const char *path, uint16_t accept, answer_t *a)
{
    answer_reset(a);
    TML_ASSERT_OK(tml_lwm2m_server_read(w->srv, ep, path, accept, on_answer, a, NULL));
    run_until(w, 5000, answered, a, path);
}

static int64_t read_int(world_t *w, const char *ep, const char *path)
{
    answer_t a = {0};
    do_read(w, ep, path, TML_LWM2M_CF_TEXT, &a);
    if (a.status != TML_OK || a.recs.n != 1)
        fail_msg("read %s: %s, %zu records, payload '%s'", path, tml_strerror(a.status), a.recs.n, a.text);
    int64_t v;
    TML_ASSERT_OK(tml_lwm2m_value_int(&a.recs.recs[0].v, &v));
    answer_reset(&a);
    return v;
}

static void read_str(world_t *w, const char *ep, const char *path, char *buf, size_t cap)
{
    answer_t a = {0};
    do_read(w, ep, path, TML_LWM2M_CF_ANY, &a);
    TML_ASSERT_OK(a.status);
    assert_int_equal(a.recs.n, 1);
    TML_ASSERT_OK(tml_lwm2m_value_str(&a.recs.recs[0].v, buf, cap));
    answer_reset(&a);
}

static void do_exec(world_t *w, const char *ep, const char *path, uint8_t want_code)
{
    answer_t a = {0};
    TML_ASSERT_OK(tml_lwm2m_server_execute(w->srv, ep, path, NULL, on_answer, &a, NULL));
    run_until(w, 5000, answered, &a, path);
    if (a.code != want_code)
        fail_msg("execute %s: answer %u.%02u, expected %u.%02u", path, a.code >> 5, a.code & 31,
                 want_code >> 5, want_code & 31);
    answer_reset(&a);
}

static void write_uri(world_t *w, const char *ep, const char *path, const char *uri, uint16_t fmt)
{
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_lwm2m_path_t p;
    TML_ASSERT_OK(tml_lwm2m_path_parse(path, strlen(path), &p, NULL));
    TML_ASSERT_OK(tml_lwm2m_records_add_str(&r, &p, uri));
    answer_t a = {0};
    TML_ASSERT_OK(tml_lwm2m_server_write(w->srv, ep, path, fmt, &r, true, on_answer, &a, NULL));
    run_until(w, 5000, answered, &a, path);
    assert_int_equal(a.code, TML_COAP_CODE(2, 4));
    answer_reset(&a);
    tml_lwm2m_records_free(&r);
}

typedef struct state_wait {
    const char *ep;
    const char *path;
    int64_t want;
} state_wait_t;

/* Polls a resource through the server (end to end) until it has a value. */
static void wait_value(world_t *w, const char *ep, const char *path, int64_t want, uint32_t ms)
{
    uint64_t end = h_now_ms() + ms;
    int64_t v = -1;
    while (h_now_ms() < end) {
        v = read_int(w, ep, path);
        if (v == want)
            return;
        uint64_t pause = h_now_ms() + 20;
        while (h_now_ms() < pause)
            world_step(w);
    }
    fail_msg("%s stayed %lld, expected %lld", path, (long long)v, (long long)want);
}

/* ---- Tests ------------------------------------------------------------------ */

static void registers_and_server_reads_device_and_caps(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, false, 0);
    world_agent(&w, "dev-1", NULL, false);
    int one = 1;
    run_until(&w, 5000, have_info, &one, "registration reads");
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(w.srv, "dev-1");
    assert_non_null(d);
    assert_string_equal(d->version, "1.1");
    assert_int_equal(d->lifetime_s, 60);
    assert_true(d->have_device_info);
    assert_true(d->have_ml_caps);
    assert_int_equal(d->info_format, TML_LWM2M_CF_TLV);
    const tml_lwm2m_record_t *r = tml_lwm2m_records_find(&d->device_info, &(tml_lwm2m_path_t){{3, 0, 0, 0}, 3});
    assert_non_null(r);
    assert_string_equal((const char *)r->v.bytes, "TinyMLaaS");
    r = tml_lwm2m_records_find(&d->ml_caps, &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0, 4, 0}, 3});
    assert_non_null(r);
    assert_int_equal(r->v.type, TML_LWM2M_T_INT);
    assert_int_equal(r->v.u.i, tml_target_find("nrf52840")->model_ram_bytes);
    r = tml_lwm2m_records_find(&d->ml_caps, &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0, 0, 0}, 3});
    assert_string_equal((const char *)r->v.bytes, "nrf52840");
    /* Every kernel the runtime carries is listed: the object is larger than
     * one 1 KiB block, so this checks the server's Block2 reassembly. */
    for (uint32_t k = 0, i = 0; k < TML_K_COUNT; k++) {
        const char *name = tml_rt_kernel_name(k);
        if (!name)
            continue;
        r = tml_lwm2m_records_find(&d->ml_caps,
                                   &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0, 8, (uint16_t)i++}, 4});
        assert_non_null(r);
        assert_string_equal((const char *)r->v.bytes, name);
    }
    uint8_t *tlv;
    size_t tlv_len;
    TML_ASSERT_OK(tml_lwm2m_encode(TML_LWM2M_CF_TLV, &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0}, 2},
                                   &d->ml_caps, &tlv, &tlv_len, NULL));
    tml_free(tlv);
    assert_true(tlv_len > 1024);
    /* Read /3/0 again in SenML-JSON; text for a single resource. */
    answer_t a = {0};
    do_read(&w, "dev-1", "/3/0", TML_LWM2M_CF_SENML_JSON, &a);
    TML_ASSERT_OK(a.status);
    assert_int_equal(a.cf, TML_LWM2M_CF_SENML_JSON);
    assert_non_null(strstr(a.text, "\"bn\":\"/3/0/\""));
    assert_true(a.recs.n >= 10);
    char s[64];
    read_str(&w, "dev-1", "/3/0/2", s, sizeof(s));
    assert_string_equal(s, "dev-1");
    /* Discover lists the resources. */
    answer_reset(&a);
    TML_ASSERT_OK(tml_lwm2m_server_discover(w.srv, "dev-1", "/3/0", on_answer, &a, NULL));
    run_until(&w, 5000, answered, &a, "discover");
    assert_non_null(strstr(a.text, "</3/0/11>;dim=1"));
    /* Errors come back as statuses with the CoAP code. */
    answer_reset(&a);
    do_read(&w, "dev-1", "/0/0", TML_LWM2M_CF_ANY, &a);
    assert_int_equal(a.status, TML_ERR_AUTH);
    answer_reset(&a);
    do_read(&w, "dev-1", "/3/7", TML_LWM2M_CF_ANY, &a);
    assert_int_equal(a.status, TML_ERR_NOT_FOUND);
    answer_reset(&a);
    do_read(&w, "dev-1", "/3/0/4", TML_LWM2M_CF_ANY, &a);
    assert_int_equal(a.code, TML_COAP_METHOD_NOT_ALLOWED);
    answer_reset(&a);
    /* De-registration removes the device. */
    tml_agent_deregister(w.agent);
    uint64_t end = h_now_ms() + 3000;
    while (w.n_dereg == 0 && h_now_ms() < end)
        world_step(&w);
    assert_int_equal(w.n_dereg, 1);
    assert_null(tml_lwm2m_server_device(w.srv, "dev-1"));
    world_free(&w);
}

static bool observed_n(world_t *w, void *arg)
{
    (void)w;
    return ((answer_t *)arg)->n >= 3;
}

static void install_observe_and_rollback(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, false, 0);
    world_agent(&w, "dev-2", NULL, false);
    int one = 1;
    run_until(&w, 5000, have_info, &one, "registration");
    size_t pkg_len, spkg_len;
    uint8_t *pkg = h_model_package("passthrough", 40, 1, &pkg_len);
    uint8_t *spkg = h_sign(pkg, pkg_len, "passthrough", "1.0", w.sk, true, &spkg_len);
    char path[80], uri[128];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(w.srv, spkg, spkg_len, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(w.srv), path);
    write_uri(&w, "dev-2", "/9/0/3", uri, TML_LWM2M_CF_TLV);
    wait_value(&w, "dev-2", "/9/0/7", TML_SW_STATE_DELIVERED, 5000);
    assert_int_equal(read_int(&w, "dev-2", "/9/0/9"), TML_SW_RESULT_DOWNLOADED_VERIFIED);
    do_exec(&w, "dev-2", "/9/0/4", TML_COAP_CODE(2, 4));
    assert_int_equal(read_int(&w, "dev-2", "/9/0/7"), TML_SW_STATE_INSTALLED);
    do_exec(&w, "dev-2", "/9/0/10", TML_COAP_CODE(2, 4));
    char s[300];
    read_str(&w, "dev-2", "/32102/0/0", s, sizeof(s));
    assert_string_equal(s, "passthrough");
    assert_int_equal(read_int(&w, "dev-2", "/9/0/12"), 1);
    /* Observe the inference count; every Run gives a notification. */
    answer_t obs = {0};
    uint32_t obs_id;
    TML_ASSERT_OK(tml_lwm2m_server_observe(w.srv, "dev-2", "/32102/0/5", TML_LWM2M_CF_TEXT, on_answer,
                                           &obs, &obs_id, NULL));
    run_until(&w, 5000, answered, &obs, "observe");
    int64_t first;
    TML_ASSERT_OK(tml_lwm2m_value_int(&obs.recs.recs[0].v, &first));
    do_exec(&w, "dev-2", "/32102/0/6", TML_COAP_CODE(2, 4));
    do_exec(&w, "dev-2", "/32102/0/6", TML_COAP_CODE(2, 4));
    run_until(&w, 5000, observed_n, &obs, "two notifications");
    int64_t count;
    TML_ASSERT_OK(tml_lwm2m_value_int(&obs.recs.recs[0].v, &count));
    assert_int_equal(count, first + 2);
    /* The last output is the model actually run: the passthrough returns
     * the generated input, dequantized with scale 0.5 and zero point 1. */
    read_str(&w, "dev-2", "/32102/0/2", s, sizeof(s));
    uint8_t in[40];
    tml_spkg_fill_input(TML_DT_I8, 0, (uint32_t)count, in, sizeof(in));
    char want[32];
    snprintf(want, sizeof(want), "%.4g,", ((int8_t)in[0] - 1) * 0.5);
    assert_memory_equal(s, want, strlen(want));
    TML_ASSERT_OK(tml_lwm2m_server_cancel_observe(w.srv, obs_id, NULL));
    int n_before = obs.n;
    do_exec(&w, "dev-2", "/32102/0/6", TML_COAP_CODE(2, 4));
    for (int i = 0; i < 50; i++)
        world_step(&w);
    assert_int_equal(obs.n, n_before);
    answer_reset(&obs);

    /* A second model whose self-test disagrees with the service: it is
     * delivered and installed, activation fails, the first model stays. */
    uint8_t *pkg2 = h_model_package("other", 24, 1, &pkg_len);
    uint8_t *bad = h_sign(pkg2, pkg_len, "other", "2.0", w.sk, false, &spkg_len);
    TML_ASSERT_OK(tml_lwm2m_server_add_package(w.srv, bad, spkg_len, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(w.srv), path);
    write_uri(&w, "dev-2", "/9/0/3", uri, TML_LWM2M_CF_TEXT);
    wait_value(&w, "dev-2", "/9/0/7", TML_SW_STATE_DELIVERED, 5000);
    do_exec(&w, "dev-2", "/9/0/4", TML_COAP_CODE(2, 4));
    do_exec(&w, "dev-2", "/9/0/10", TML_COAP_CODE(2, 4));
    assert_int_equal(read_int(&w, "dev-2", "/9/0/9"), TML_SW_RESULT_INSTALL_FAILED);
    read_str(&w, "dev-2", "/9/0/16", s, sizeof(s));
    assert_non_null(strstr(s, "self-test"));
    read_str(&w, "dev-2", "/32102/0/0", s, sizeof(s));
    assert_string_equal(s, "passthrough");
    tml_agent_status_t st;
    tml_agent_get_status(w.agent, &st);
    assert_int_equal(st.active_slot, 0);
    do_exec(&w, "dev-2", "/32102/0/6", TML_COAP_CODE(2, 4)); /* still runs */
    tml_free(pkg);
    tml_free(spkg);
    tml_free(pkg2);
    tml_free(bad);
    world_free(&w);
}

/* One OMA-style case: serve bytes (or not), write the URI, wait for the
 * result resource. */
static void expect_result(world_t *w, const char *ep, uint16_t obj, const uint8_t *data, size_t len,
                          const char *uri_override, int want_result)
{
    char path[80], uri[160], res_path[16], uri_path[16];
    if (data) {
        TML_ASSERT_OK(tml_lwm2m_server_add_package(w->srv, data, len, path, sizeof(path), NULL));
        snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(w->srv), path);
    }
    snprintf(uri_path, sizeof(uri_path), "/%u/0/%u", obj, obj == 9 ? 3 : 1);
    snprintf(res_path, sizeof(res_path), "/%u/0/%u", obj, obj == 9 ? 9 : 5);
    write_uri(w, ep, uri_path, uri_override ? uri_override : uri, TML_LWM2M_CF_TEXT);
    wait_value(w, ep, res_path, want_result, 8000);
}

static void oma_update_error_cases(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, false, 0);
    /* A profile with room for a small model only. */
    tml_target_t small = *tml_target_find("nrf52840");
    small.model_flash_bytes = 600;
    small.model_ram_bytes = 64;
    world_agent(&w, "dev-3", &small, false);
    int one = 1;
    run_until(&w, 5000, have_info, &one, "registration");
    size_t pkg_len, n;
    uint8_t *pkg = h_model_package("m", 8, 1, &pkg_len);
    uint8_t *good = h_sign(pkg, pkg_len, "m", "1", w.sk, true, &n);
    /* Integrity: one flipped package byte after signing. */
    uint8_t *flip = tml_malloc(n);
    memcpy(flip, good, n);
    flip[200] ^= 0x40;
    expect_result(&w, "dev-3", 9, flip, n, NULL, TML_SW_RESULT_INTEGRITY);
    /* Unsigned: a bare .tmlm. */
    expect_result(&w, "dev-3", 9, pkg, pkg_len, NULL, TML_SW_RESULT_INTEGRITY);
    /* Signed by someone else. */
    uint8_t pk2[32], sk2[64];
    TML_ASSERT_OK(tml_spkg_keypair(pk2, sk2));
    size_t n2;
    uint8_t *other = h_sign(pkg, pkg_len, "m", "1", sk2, true, &n2);
    expect_result(&w, "dev-3", 9, other, n2, NULL, TML_SW_RESULT_INTEGRITY);
    /* Unsupported type: neither signed nor a package. */
    uint8_t junk[300];
    memset(junk, 'j', sizeof(junk));
    expect_result(&w, "dev-3", 9, junk, sizeof(junk), NULL, TML_SW_RESULT_UNSUPPORTED_TYPE);
    /* Out of memory: the model's arena exceeds the profile's RAM. */
    size_t big_len, big_n;
    uint8_t *big = h_model_package("big", 2000, 1, &big_len);
    uint8_t *bigs = h_sign(big, big_len, "big", "1", w.sk, true, &big_n);
    expect_result(&w, "dev-3", 9, bigs, big_n, NULL, TML_SW_RESULT_NO_MEMORY);
    /* Not enough storage: larger than the profile's flash for models
     * (refused from the Size2 of the first block, before downloading). */
    uint8_t *huge = tml_calloc(1, 4000), *huges;
    size_t huges_n;
    TML_ASSERT_OK(tml_spkg_sign(huge, 4000, "huge", "1", NULL, w.sk, &huges, &huges_n, NULL));
    expect_result(&w, "dev-3", 9, huges, huges_n, NULL, TML_SW_RESULT_NO_STORAGE);
    tml_free(huge);
    tml_free(huges);
    /* Invalid URIs. */
    expect_result(&w, "dev-3", 9, NULL, 0, "http://127.0.0.1/x", TML_SW_RESULT_INVALID_URI);
    expect_result(&w, "dev-3", 9, NULL, 0, "coap://", TML_SW_RESULT_INVALID_URI);
    char nf[96];
    snprintf(nf, sizeof(nf), "coap://127.0.0.1:%u/pkg/none", tml_lwm2m_server_port(w.srv));
    expect_result(&w, "dev-3", 9, NULL, 0, nf, TML_SW_RESULT_INVALID_URI);
    /* Connection lost: nothing answers at that port. */
    int dead = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(dead, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t al = sizeof(a);
    getsockname(dead, (struct sockaddr *)&a, &al);
    char lost[96];
    snprintf(lost, sizeof(lost), "coap://127.0.0.1:%u/pkg/x", ntohs(a.sin_port));
    expect_result(&w, "dev-3", 9, NULL, 0, lost, TML_SW_RESULT_CONN_LOST);
    /* Cancel: a download to the silent port, then Uninstall. */
    write_uri(&w, "dev-3", "/9/0/3", lost, TML_LWM2M_CF_TEXT);
    assert_int_equal(read_int(&w, "dev-3", "/9/0/7"), TML_SW_STATE_DOWNLOAD_STARTED);
    do_exec(&w, "dev-3", "/9/0/6", TML_COAP_CODE(2, 4));
    assert_int_equal(read_int(&w, "dev-3", "/9/0/7"), TML_SW_STATE_INITIAL);
    assert_int_equal(read_int(&w, "dev-3", "/9/0/9"), TML_SW_RESULT_INITIAL);
    /* Install before anything was delivered is refused. */
    do_exec(&w, "dev-3", "/9/0/4", TML_COAP_METHOD_NOT_ALLOWED);

    /* Object 5, the firmware-update cases of the OMA test specification. */
    expect_result(&w, "dev-3", 5, flip, n, NULL, TML_FW_RESULT_INTEGRITY);
    expect_result(&w, "dev-3", 5, junk, sizeof(junk), NULL, TML_FW_RESULT_UNSUPPORTED_TYPE);
    expect_result(&w, "dev-3", 5, NULL, 0, "coap://[::1", TML_FW_RESULT_INVALID_URI);
    expect_result(&w, "dev-3", 5, NULL, 0, "http://127.0.0.1/fw", TML_FW_RESULT_UNSUPPORTED_PROTOCOL);
    expect_result(&w, "dev-3", 5, NULL, 0, lost, TML_FW_RESULT_CONN_LOST);
    /* An image bigger than the firmware's share of flash. */
    size_t fw_len = small.flash_bytes - small.model_flash_bytes + 64, fws_n;
    uint8_t *fw = tml_calloc(1, fw_len);
    uint8_t *fws;
    TML_ASSERT_OK(tml_spkg_sign(fw, fw_len, "runtime", "9.9", NULL, w.sk, &fws, &fws_n, NULL));
    expect_result(&w, "dev-3", 5, fws, fws_n, NULL, TML_FW_RESULT_NO_STORAGE);
    /* Success: download, Update, the new firmware version is reported. */
    uint8_t *fw_ok;
    size_t fw_ok_n;
    TML_ASSERT_OK(tml_spkg_sign(fw, 1000, "runtime", "tml-agent 9.9", NULL, w.sk, &fw_ok, &fw_ok_n, NULL));
    char path[80], uri[160];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(w.srv, fw_ok, fw_ok_n, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(w.srv), path);
    write_uri(&w, "dev-3", "/5/0/1", uri, TML_LWM2M_CF_TEXT);
    wait_value(&w, "dev-3", "/5/0/3", TML_FW_STATE_DOWNLOADED, 5000);
    do_exec(&w, "dev-3", "/5/0/2", TML_COAP_CODE(2, 4));
    assert_int_equal(read_int(&w, "dev-3", "/5/0/5"), TML_FW_RESULT_SUCCESS);
    char s[64];
    read_str(&w, "dev-3", "/3/0/3", s, sizeof(s));
    assert_string_equal(s, "tml-agent 9.9");
    /* Cancel for Object 5: writing an empty URI resets to Idle. */
    write_uri(&w, "dev-3", "/5/0/1", lost, TML_LWM2M_CF_TEXT);
    write_uri(&w, "dev-3", "/5/0/1", "", TML_LWM2M_CF_TEXT);
    assert_int_equal(read_int(&w, "dev-3", "/5/0/3"), TML_FW_STATE_IDLE);
    close(dead);
    tml_free(fw);
    tml_free(fws);
    tml_free(fw_ok);
    tml_free(pkg);
    tml_free(good);
    tml_free(flip);
    tml_free(other);
    tml_free(big);
    tml_free(bigs);
    world_free(&w);
}

static bool download_past(world_t *w, void *arg)
{
    tml_agent_status_t st;
    tml_agent_get_status(w->agent, &st);
    return st.download_offset >= *(size_t *)arg;
}

static bool sw_delivered(world_t *w, void *arg)
{
    (void)arg;
    tml_agent_status_t st;
    tml_agent_get_status(w->agent, &st);
    return st.sw_state == TML_SW_STATE_DELIVERED;
}

static void killed_mid_download_resumes(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, false, 0);
    world_agent(&w, "dev-4", NULL, false);
    int one = 1;
    run_until(&w, 5000, have_info, &one, "registration");
    size_t pkg_len, n;
    uint8_t *pkg = h_model_package("resumable", 4, 300, &pkg_len);
    uint8_t *spkg = h_sign(pkg, pkg_len, "resumable", "1", w.sk, true, &n);
    char path[80], uri[160];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(w.srv, spkg, n, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(w.srv), path);
    write_uri(&w, "dev-4", "/9/0/3", uri, TML_LWM2M_CF_TEXT);
    size_t third = n / 3;
    run_until(&w, 10000, download_past, &third, "a third of the download");
    uint64_t served_before = tml_lwm2m_server_blocks_served(w.srv);
    /* Kill the agent (no de-registration, no goodbye) and start a new one
     * on the same state directory. */
    world_kill_agent(&w);
    world_agent(&w, "dev-4", NULL, false);
    tml_agent_status_t st;
    tml_agent_get_status(w.agent, &st);
    assert_true(st.download_first_block > 0);
    assert_true(st.download_first_block * 256u <= served_before * 256u);
    run_until(&w, 15000, sw_delivered, NULL, "the resumed download");
    uint64_t n_blocks = (n + 255) / 256;
    /* Each block fetched about once: far fewer than a restart would take. */
    assert_true(tml_lwm2m_server_blocks_served(w.srv) < n_blocks + n_blocks / 3);
    do_exec(&w, "dev-4", "/9/0/4", TML_COAP_CODE(2, 4));
    do_exec(&w, "dev-4", "/9/0/10", TML_COAP_CODE(2, 4));
    char s[64];
    read_str(&w, "dev-4", "/32102/0/0", s, sizeof(s));
    assert_string_equal(s, "resumable");
    tml_free(pkg);
    tml_free(spkg);
    world_free(&w);
}

static void install_through_lossy_relay(void **state)
{
    (void)state;
    world_t w;
    world_init(&w, true, 50); /* 5% of datagrams dropped, each way */
    world_agent(&w, "dev-5", NULL, false);
    int one = 1;
    run_until(&w, 15000, have_info, &one, "registration through the relay");
    size_t pkg_len, n;
    uint8_t *pkg = h_model_package("lossy", 4, 150, &pkg_len);
    uint8_t *spkg = h_sign(pkg, pkg_len, "lossy", "1", w.sk, true, &n);
    char path[80], uri[160];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(w.srv, spkg, n, path, sizeof(path), NULL));
    /* The package comes through the relay too. */
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", w.relay.front_port, path);
    answer_t a = {0};
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_lwm2m_path_t p = tml_lwm2m_path_make(3, 9, 0, 3, 0);
    TML_ASSERT_OK(tml_lwm2m_records_add_str(&r, &p, uri));
    TML_ASSERT_OK(tml_lwm2m_server_write(w.srv, "dev-5", "/9/0/3", TML_LWM2M_CF_TEXT, &r, true, on_answer, &a, NULL));
    run_until(&w, 20000, answered, &a, "write through the relay");
    run_until(&w, 60000, sw_delivered, NULL, "download at 5% loss");
    assert_true(w.relay.n_dropped > 0);
    tml_agent_status_t st;
    tml_agent_get_status(w.agent, &st);
    assert_int_equal(st.sw_result, TML_SW_RESULT_DOWNLOADED_VERIFIED);
    answer_reset(&a);
    tml_lwm2m_records_free(&r);
    tml_free(pkg);
    tml_free(spkg);
    world_free(&w);
}

static bool asleep(world_t *w, void *arg)
{
    (void)arg;
    tml_agent_status_t st;
    tml_agent_get_status(w->agent, &st);
    return st.asleep;
}

static void queue_mode_holds_requests_until_update(void **state)
{
    (void)state;
    world_t w;
    memset(&w, 0, sizeof(w));
    h_tmpdir(w.dir, sizeof(w.dir));
    TML_ASSERT_OK(tml_spkg_keypair(w.pk, w.sk));
    world_server(&w, 300);
    world_agent(&w, "dev-6", NULL, true);
    int one = 1;
    run_until(&w, 5000, have_info, &one, "registration");
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(w.srv, "dev-6");
    assert_true(d->queue_mode);
    run_until(&w, 5000, asleep, NULL, "the agent to sleep");
    /* Past the server's awake window: the read waits in the queue. */
    uint64_t t = h_now_ms() + 400;
    while (h_now_ms() < t)
        world_step(&w);
    answer_t a = {0};
    TML_ASSERT_OK(tml_lwm2m_server_read(w.srv, "dev-6", "/3/0/0", TML_LWM2M_CF_TEXT, on_answer, &a, NULL));
    assert_int_equal(d->n_queued, 1);
    int updates = w.n_updated;
    run_until(&w, 5000, answered, &a, "the queued read");
    assert_true(w.n_updated > updates); /* answered only after the device woke */
    TML_ASSERT_OK(a.status);
    assert_string_equal(a.text, "TinyMLaaS");
    answer_reset(&a);
    world_free(&w);
}

static bool registered_foreign(world_t *w, void *arg)
{
    return tml_lwm2m_server_device(w->srv, (const char *)arg) != NULL;
}

static void coap_client_openssl_registers(void **state)
{
    (void)state;
    if (access("/usr/bin/coap-client-openssl", X_OK) != 0)
        fail_msg("coap-client-openssl is not installed (libcoap3-bin)");
    world_t w;
    world_init(&w, false, 0);
    char uri[128];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u/rd?ep=foreign-1&lt=30&lwm2m=1.0&b=U",
             tml_lwm2m_server_port(w.srv));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/usr/bin/coap-client-openssl", "coap-client-openssl", "-m", "post", "-t", "40", "-e",
              "</1/0>,</3/0>", "-B", "3", uri, (char *)NULL);
        _exit(127);
    }
    run_until(&w, 8000, registered_foreign, "foreign-1", "coap-client's registration");
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(w.srv, "foreign-1");
    assert_string_equal(d->version, "1.0");
    assert_int_equal(d->lifetime_s, 30);
    assert_int_equal(d->objects.n, 2);
    assert_int_equal(d->objects.links[1].path.id[0], 3);
    int status;
    uint64_t end = h_now_ms() + 8000;
    while (waitpid(pid, &status, WNOHANG) == 0 && h_now_ms() < end)
        world_step(&w);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* A registration without ep is refused with a reason. */
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u/rd?lt=30", tml_lwm2m_server_port(w.srv));
    pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl("/usr/bin/coap-client-openssl", "coap-client-openssl", "-m", "post", "-B", "3", uri, (char *)NULL);
        _exit(127);
    }
    end = h_now_ms() + 8000;
    while (waitpid(pid, &status, WNOHANG) == 0 && h_now_ms() < end)
        world_step(&w);
    assert_int_equal(w.n_refused, 1);
    assert_non_null(strstr(w.last_refusal, "ep"));
    world_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(registers_and_server_reads_device_and_caps, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(install_observe_and_rollback, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(oma_update_error_cases, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(killed_mid_download_resumes, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(install_through_lossy_relay, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(queue_mode_holds_requests_until_update, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(coap_client_openssl_registers),
    };
    TML_TEST_MAIN(tests);
}
