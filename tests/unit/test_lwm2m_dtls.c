/*
 * test_lwm2m_dtls.c - transport security and interoperability on loopback,
 * real sockets, everything stepped from this thread in loops bounded by
 * time: our agent over DTLS-PSK (OpenSSL) to our server (libcoap), with a
 * per-device identity and key found through the lookup callback; unknown
 * identities, wrong keys, identities used for another endpoint and
 * credentialed endpoints on plain UDP refused; require_dtls; Debian's
 * coap-client-openssl reading /3/0 and /32101/0 from our agent and
 * registering with our server over DTLS-PSK; confirmable notifications,
 * acknowledged, and retransmitted until the observation ends when nobody
 * acknowledges them.
 */
#include <signal.h>
#include <sys/wait.h>

#include "../integration/lwm2m_harness.h"

#define COAP_CLIENT "/usr/bin/coap-client-openssl"

typedef struct cred {
    const char *identity, *key, *endpoint; /* endpoint "": not bound */
} cred_t;

static const cred_t creds[] = {
    {"id-s1", "key-s1-0123456789", "dev-s1"},
    {"id-open", "key-open-abcdef", ""},
    {"id-cc", "coap-client-key", "foreign-s"},
};
#define N_CREDS (sizeof(creds) / sizeof(creds[0]))

static tml_status_t psk_lookup(void *arg, const char *identity, uint8_t *key, size_t *key_len,
                               char *endpoint, size_t cap)
{
    (void)arg;
    for (size_t i = 0; i < N_CREDS; i++) {
        if (strcmp(creds[i].identity, identity) != 0)
            continue;
        size_t n = strlen(creds[i].key);
        if (n > *key_len)
            return TML_ERR_NOMEM;
        memcpy(key, creds[i].key, n);
        *key_len = n;
        snprintf(endpoint, cap, "%s", creds[i].endpoint);
        return TML_OK;
    }
    return TML_ERR_NOT_FOUND;
}

static bool has_credentials(void *arg, const char *endpoint)
{
    (void)arg;
    for (size_t i = 0; i < N_CREDS; i++)
        if (!strcmp(creds[i].endpoint, endpoint))
            return true;
    return false;
}

typedef struct net {
    tml_lwm2m_server_t *srv;
    tml_agent_t *agent;
    tml_agent_posix_t *px;
    tml_agent_platform_t pf;
    h_relay_t relay;
    bool use_relay;
    char dir[64];
    uint8_t pk[32], sk[64];
    int n_registered, n_info, n_refused;
    char refusals[1024]; /* every refusal reason, one per line */
} net_t;

static void on_event(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev, const char *detail)
{
    net_t *n = arg;
    (void)dev;
    if (ev == TML_LWM2M_EV_REGISTERED)
        n->n_registered++;
    else if (ev == TML_LWM2M_EV_INFO)
        n->n_info++;
    else if (ev == TML_LWM2M_EV_REFUSED) {
        n->n_refused++;
        size_t used = strlen(n->refusals);
        snprintf(n->refusals + used, sizeof(n->refusals) - used, "%s\n", detail);
    }
}

static void net_init(net_t *n, bool require_dtls)
{
    memset(n, 0, sizeof(*n));
    h_tmpdir(n->dir, sizeof(n->dir));
    TML_ASSERT_OK(tml_spkg_keypair(n->pk, n->sk));
    tml_lwm2m_server_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.enable_dtls = true;
    cfg.require_dtls = require_dtls;
    cfg.psk_lookup = psk_lookup;
    cfg.has_credentials = has_credentials;
    cfg.on_event = on_event;
    cfg.event_arg = n;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_server_create(&cfg, &n->srv, &err), &err);
    assert_true(tml_lwm2m_server_dtls_port(n->srv) > 0);
}

typedef struct agent_opts {
    bool secure;
    const char *identity, *key;
    uint32_t notify_con_every, max_retransmit;
} agent_opts_t;

static void net_agent(net_t *n, const char *ep, const agent_opts_t *o)
{
    tml_err_t err;
    tml_err_clear(&err);
    size_t key_len = o->key ? strlen(o->key) : 0;
    TML_ASSERT_OK_ERR(tml_agent_posix_create(n->dir, o->identity, (const uint8_t *)o->key, key_len,
                                             &n->px, &n->pf, &err), &err);
    char uri[64];
    uint16_t port = o->secure ? tml_lwm2m_server_dtls_port(n->srv)
                    : n->use_relay ? n->relay.front_port : tml_lwm2m_server_port(n->srv);
    snprintf(uri, sizeof(uri), "%s://127.0.0.1:%u", o->secure ? "coaps" : "coap", port);
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = ep;
    cfg.server_uri = uri;
    cfg.profile = tml_target_find("nrf52840");
    cfg.trust_key = n->pk;
    cfg.psk_identity = o->identity;
    cfg.lifetime_s = 60;
    cfg.ack_timeout_ms = 150;
    cfg.max_retransmit = o->max_retransmit ? o->max_retransmit : 4;
    cfg.notify_con_every = o->notify_con_every;
    cfg.block_szx = 4;
    TML_ASSERT_OK_ERR(tml_agent_create(&cfg, &n->pf, &n->agent, &err), &err);
}

static void net_kill_agent(net_t *n)
{
    h_agent_kill(&n->agent, &n->px);
}

static void net_free(net_t *n)
{
    if (n->agent)
        net_kill_agent(n);
    tml_lwm2m_server_destroy(n->srv);
    if (n->use_relay)
        h_relay_close(&n->relay);
    h_rmdir(n->dir);
}

static void net_step(net_t *n)
{
    h_world_step(n->agent, n->srv, n->use_relay ? &n->relay : NULL);
}

static void net_run_ms(net_t *n, uint32_t ms)
{
    uint64_t end = h_now_ms() + ms;
    while (h_now_ms() < end)
        net_step(n);
}

typedef bool (*cond_fn)(net_t *n, const void *arg);

static void run_until(net_t *n, uint32_t ms, cond_fn cond, const void *arg, const char *what)
{
    uint64_t end = h_now_ms() + ms;
    while (h_now_ms() < end) {
        net_step(n);
        if (cond(n, arg))
            return;
    }
    fail_msg("timed out after %u ms waiting for %s", ms, what);
}

static bool has_device(net_t *n, const void *ep)
{
    return tml_lwm2m_server_device(n->srv, ep) != NULL;
}

static bool n_info_at_least(net_t *n, const void *k)
{
    return n->n_info >= *(const int *)k;
}

static bool refused_with(net_t *n, const void *text)
{
    return strstr(n->refusals, text) != NULL;
}

typedef struct answer {
    int n;
    tml_status_t status;
    uint8_t code;
    char text[256];
} answer_t;

static void on_answer(void *arg, const tml_lwm2m_response_t *rsp)
{
    answer_t *a = arg;
    a->n++;
    a->status = rsp->status;
    a->code = rsp->code;
    size_t k = rsp->payload_len < sizeof(a->text) - 1 ? rsp->payload_len : sizeof(a->text) - 1;
    memcpy(a->text, rsp->payload ? (const char *)rsp->payload : "", k);
    a->text[k] = 0;
}

static bool answered(net_t *n, const void *arg)
{
    (void)n;
    return ((const answer_t *)arg)->n > 0;
}

static void read_text(net_t *n, const char *ep, const char *path, char *out, size_t cap)
{
    answer_t a;
    memset(&a, 0, sizeof(a));
    TML_ASSERT_OK(tml_lwm2m_server_read(n->srv, ep, path, TML_LWM2M_CF_TEXT, on_answer, &a, NULL));
    run_until(n, 5000, answered, &a, path);
    TML_ASSERT_OK(a.status);
    size_t k = strlen(a.text) < cap - 1 ? strlen(a.text) : cap - 1;
    memcpy(out, a.text, k);
    out[k] = 0;
}

/* ---- DTLS-PSK, our agent and our server ---------------------------------------- */

static bool sw_delivered(net_t *n, const void *arg)
{
    (void)arg;
    tml_agent_status_t st;
    tml_agent_get_status(n->agent, &st);
    return st.sw_state == TML_SW_STATE_DELIVERED;
}

static void dtls_psk_registers_reads_and_downloads(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, false);
    agent_opts_t o = {.secure = true, .identity = "id-s1", .key = "key-s1-0123456789"};
    net_agent(&n, "dev-s1", &o);
    int one = 1;
    run_until(&n, 8000, n_info_at_least, &one, "registration and reads over DTLS");
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(n.srv, "dev-s1");
    assert_non_null(d);
    assert_true(d->secure);
    assert_string_equal(d->psk_identity, "id-s1");
    assert_true(d->have_device_info);
    assert_true(d->have_ml_caps);
    char s[64];
    read_text(&n, "dev-s1", "/3/0/2", s, sizeof(s));
    assert_string_equal(s, "dev-s1");
    /* A package over coaps://: a second DTLS session, Block2 inside it. */
    size_t pkg_len, spkg_len;
    uint8_t *pkg = h_model_package("secure", 4, 20, &pkg_len);
    uint8_t *spkg = h_sign(pkg, pkg_len, "secure", "1", n.sk, true, &spkg_len);
    char path[80], uri[160];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(n.srv, spkg, spkg_len, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coaps://127.0.0.1:%u%s", tml_lwm2m_server_dtls_port(n.srv), path);
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    TML_ASSERT_OK(tml_lwm2m_records_add_str(&r, &(tml_lwm2m_path_t){{9, 0, 3, 0}, 3}, uri));
    answer_t a;
    memset(&a, 0, sizeof(a));
    TML_ASSERT_OK(tml_lwm2m_server_write(n.srv, "dev-s1", "/9/0/3", TML_LWM2M_CF_TEXT, &r, true,
                                         on_answer, &a, NULL));
    run_until(&n, 5000, answered, &a, "the URI write");
    assert_int_equal(a.code, TML_COAP_CODE(2, 4));
    run_until(&n, 15000, sw_delivered, NULL, "the download over DTLS");
    tml_agent_status_t st;
    tml_agent_get_status(n.agent, &st);
    assert_int_equal(st.sw_result, TML_SW_RESULT_DOWNLOADED_VERIFIED);
    assert_true(tml_lwm2m_server_blocks_served(n.srv) >= (spkg_len + 255) / 256);
    assert_true(tml_agent_posix_n_handshakes(n.px) >= 2);
    assert_string_equal(tml_agent_posix_dtls_error(n.px), "");
    assert_int_equal(n.n_refused, 0);
    tml_lwm2m_records_free(&r);
    tml_free(pkg);
    tml_free(spkg);
    /* De-registration over DTLS, then the session is closed politely. */
    tml_agent_deregister(n.agent);
    uint64_t end = h_now_ms() + 3000;
    while (tml_lwm2m_server_n_devices(n.srv) > 0 && h_now_ms() < end)
        net_step(&n);
    assert_int_equal(tml_lwm2m_server_n_devices(n.srv), 0);
    net_free(&n);
}

/* Starts an agent that must be refused with reason; nothing registers. */
static void expect_refused(net_t *n, const char *ep, const agent_opts_t *o, const char *reason, bool dtls_fails)
{
    n->refusals[0] = 0;
    net_agent(n, ep, o);
    run_until(n, 5000, refused_with, reason, reason);
    net_run_ms(n, 300);
    assert_null(tml_lwm2m_server_device(n->srv, ep));
    tml_agent_status_t st;
    tml_agent_get_status(n->agent, &st);
    assert_false(st.registered);
    if (dtls_fails)
        assert_true(tml_agent_posix_dtls_error(n->px)[0] != 0);
    net_kill_agent(n);
}

static void dtls_refusals(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, false);
    agent_opts_t unknown = {.secure = true, .identity = "nobody", .key = "whatever-key"};
    expect_refused(&n, "dev-x", &unknown, "unknown PSK identity 'nobody'", true);
    /* A wrong key: DTLS drops the Finished that fails to verify, so the
     * handshake never completes (and nothing registers). */
    agent_opts_t wrong_key = {.secure = true, .identity = "id-s1", .key = "key-s1-0123456788"};
    net_agent(&n, "dev-s1", &wrong_key);
    net_run_ms(&n, 2500);
    assert_int_equal(tml_agent_posix_n_handshakes(n.px), 0);
    assert_null(tml_lwm2m_server_device(n.srv, "dev-s1"));
    net_kill_agent(&n);
    /* A good handshake, but the identity belongs to another endpoint. */
    agent_opts_t borrowed = {.secure = true, .identity = "id-s1", .key = "key-s1-0123456789"};
    expect_refused(&n, "dev-other", &borrowed, "identity 'id-s1' may not register as endpoint 'dev-other'",
                   false);
    /* An endpoint with credentials may not come over plain UDP. */
    agent_opts_t plain = {.secure = false};
    expect_refused(&n, "dev-s1", &plain, "endpoint 'dev-s1' has credentials: it must register over DTLS",
                   false);
    assert_int_equal(tml_lwm2m_server_n_devices(n.srv), 0);
    /* One without credentials may. */
    net_agent(&n, "dev-plain", &plain);
    run_until(&n, 5000, has_device, "dev-plain", "a plain registration");
    assert_false(tml_lwm2m_server_device(n.srv, "dev-plain")->secure);
    assert_string_equal(tml_lwm2m_server_device(n.srv, "dev-plain")->psk_identity, "");
    /* coaps:// without a PSK is refused by the platform at once. */
    net_kill_agent(&n);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_agent_posix_create(n.dir, NULL, NULL, 0, &n.px, &n.pf, &err));
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = "dev-nokey";
    cfg.server_uri = "coaps://127.0.0.1:5684";
    cfg.profile = tml_target_find("nrf52840");
    assert_int_equal(tml_agent_create(&cfg, &n.pf, &n.agent, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(tml_err_message(&err), "needs a PSK identity and key"));
    tml_agent_posix_destroy(n.px);
    n.px = NULL;
    /* Half a PSK is an argument error. */
    assert_int_equal(tml_agent_posix_create(n.dir, "id-only", NULL, 0, &n.px, &n.pf, NULL), TML_ERR_ARG);
    net_free(&n);
}

static void require_dtls_refuses_plain_udp(void **state)
{
    (void)state;
    /* require_dtls without a DTLS endpoint would refuse everyone. */
    tml_lwm2m_server_config_t bad;
    memset(&bad, 0, sizeof(bad));
    bad.require_dtls = true;
    tml_lwm2m_server_t *srv = NULL;
    tml_err_t err;
    tml_err_clear(&err);
    assert_int_equal(tml_lwm2m_server_create(&bad, &srv, &err), TML_ERR_ARG);
    assert_non_null(strstr(tml_err_message(&err), "require_dtls"));
    assert_null(srv);

    net_t n;
    net_init(&n, true);
    agent_opts_t plain = {.secure = false};
    expect_refused(&n, "dev-plain", &plain, "endpoint 'dev-plain': this server requires DTLS", false);
    agent_opts_t open = {.secure = true, .identity = "id-open", .key = "key-open-abcdef"};
    net_agent(&n, "dev-open", &open);
    run_until(&n, 8000, has_device, "dev-open", "a DTLS registration");
    assert_true(tml_lwm2m_server_device(n.srv, "dev-open")->secure);
    assert_string_equal(tml_lwm2m_server_device(n.srv, "dev-open")->psk_identity, "id-open");
    net_free(&n);
}

/* The tml-agent executable with --psk-identity/--psk-key: registers over
 * DTLS, and de-registers on SIGTERM. */
static void tml_agent_process_over_dtls(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, true);
    char server[64], hex[64] = "";
    snprintf(server, sizeof(server), "coaps://127.0.0.1:%u", tml_lwm2m_server_dtls_port(n.srv));
    for (const char *k = "key-open-abcdef"; *k; k++)
        snprintf(hex + strlen(hex), sizeof(hex) - strlen(hex), "%02x", (unsigned char)*k);
    const char *bin = TML_BINARY_DIR "/agent/tml-agent";
    assert_int_equal(access(bin, X_OK), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(bin, "tml-agent", "--server", server, "--endpoint", "dev-proc", "--profile", "nrf52840",
              "--state", n.dir, "--psk-identity", "id-open", "--psk-key", hex, "--ack-timeout", "200",
              (char *)NULL);
        _exit(127);
    }
    uint64_t end = h_now_ms() + 8000;
    while (!tml_lwm2m_server_device(n.srv, "dev-proc") && h_now_ms() < end)
        net_step(&n);
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(n.srv, "dev-proc");
    if (!d) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fail_msg("tml-agent did not register over DTLS: %s", n.refusals);
    }
    assert_true(d->secure);
    assert_string_equal(d->psk_identity, "id-open");
    kill(pid, SIGTERM);
    int status = 0;
    end = h_now_ms() + 5000;
    while (waitpid(pid, &status, WNOHANG) == 0 && h_now_ms() < end)
        net_step(&n);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    net_run_ms(&n, 100);
    assert_null(tml_lwm2m_server_device(n.srv, "dev-proc")); /* de-registered over DTLS */
    net_free(&n);
}

/* ---- coap-client-openssl ------------------------------------------------------ */

/* Runs coap-client-openssl with args (NULL-terminated) while stepping n;
 * its stdout goes to out_file (if not NULL). Returns the exit status. */
static int run_coap_client(net_t *n, const char *out_file, const char *const *args)
{
    if (access(COAP_CLIENT, X_OK) != 0)
        fail_msg("%s is not installed (libcoap3-bin)", COAP_CLIENT);
    const char *argv[24];
    int argc = 0;
    argv[argc++] = "coap-client-openssl";
    for (int i = 0; args[i] && argc < 23; i++)
        argv[argc++] = args[i];
    argv[argc] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        int out = out_file ? open(out_file, O_WRONLY | O_CREAT | O_TRUNC, 0644) : null;
        dup2(out, 1);
        dup2(out, 2); /* coap-client reports error codes on stderr */
        execv(COAP_CLIENT, (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    int status = 0;
    uint64_t end = h_now_ms() + 10000;
    while (waitpid(pid, &status, WNOHANG) == 0 && h_now_ms() < end)
        net_step(n);
    if (waitpid(pid, &status, WNOHANG) == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        fail_msg("coap-client did not finish in 10 s");
    }
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void read_file_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t k = fread(buf, 1, cap - 1, f);
    buf[k] = 0;
    fclose(f);
}

static void coap_client_reads_our_agent(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, false);
    agent_opts_t plain = {.secure = false};
    net_agent(&n, "dev-read", &plain);
    run_until(&n, 5000, has_device, "dev-read", "registration");
    /* Where the device is, as the server saw it: its one socket. */
    char peer[64], uri[160], out[128], text[16384];
    snprintf(peer, sizeof(peer), "%s", tml_lwm2m_server_device(n.srv, "dev-read")->peer);
    snprintf(out, sizeof(out), "%s/coap-client.out", n.dir);
    snprintf(uri, sizeof(uri), "coap://%s/3/0", peer);
    const char *get_dev[] = {"-m", "get", "-A", "110", "-B", "5", uri, NULL};
    assert_int_equal(run_coap_client(&n, out, get_dev), 0);
    read_file_text(out, text, sizeof(text));
    assert_non_null(strstr(text, "\"bn\":\"/3/0/\""));
    assert_non_null(strstr(text, "\"TinyMLaaS\""));
    assert_non_null(strstr(text, "\"dev-read\""));
    snprintf(uri, sizeof(uri), "coap://%s/32101/0", peer);
    const char *get_caps[] = {"-m", "get", "-A", "110", "-B", "5", uri, NULL};
    assert_int_equal(run_coap_client(&n, out, get_caps), 0);
    read_file_text(out, text, sizeof(text));
    if (!strstr(text, "\"nrf52840\""))
        fail_msg("GET /32101/0 gave '%s'", text);
    /* Larger than one datagram: it came in Block2 blocks, all of them. */
    size_t text_len = strlen(text);
    if (text_len < 1100 || memcmp(text + text_len - 2, "]\n", 2) != 0)
        fail_msg("GET /32101/0: %zu bytes, ending '%s'", text_len, text + (text_len > 200 ? text_len - 200 : 0));
    /* A single resource in plain text. */
    snprintf(uri, sizeof(uri), "coap://%s/3/0/0", peer);
    const char *get_res[] = {"-m", "get", "-A", "0", "-B", "5", uri, NULL};
    assert_int_equal(run_coap_client(&n, out, get_res), 0);
    read_file_text(out, text, sizeof(text));
    assert_string_equal(text, "TinyMLaaS\n"); /* coap-client ends the text with a newline */
    /* The agent still serves its own server afterwards. */
    char s[64];
    read_text(&n, "dev-read", "/3/0/0", s, sizeof(s));
    assert_string_equal(s, "TinyMLaaS");
    net_free(&n);
}

static void coap_client_registers_over_dtls_psk(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, true);
    char uri[160];
    snprintf(uri, sizeof(uri), "coaps://127.0.0.1:%u/rd?ep=foreign-s&lt=30&lwm2m=1.0&b=U",
             tml_lwm2m_server_dtls_port(n.srv));
    const char *reg[] = {"-m", "post", "-u", "id-cc", "-k", "coap-client-key", "-t", "40",
                         "-e", "</1/0>,</3/0>", "-B", "3", uri, NULL};
    int rc = run_coap_client(&n, NULL, reg);
    const tml_lwm2m_device_t *d = tml_lwm2m_server_device(n.srv, "foreign-s");
    if (!d)
        fail_msg("coap-client over DTLS did not register (exit %d): %s", rc, n.refusals);
    assert_true(d->secure);
    assert_string_equal(d->psk_identity, "id-cc");
    assert_int_equal(d->objects.n, 2);
    /* The wrong key: the handshake fails, nothing registers. */
    snprintf(uri, sizeof(uri), "coaps://127.0.0.1:%u/rd?ep=foreign-t&lt=30&b=U",
             tml_lwm2m_server_dtls_port(n.srv));
    const char *bad[] = {"-m", "post", "-u", "id-cc", "-k", "not-the-key", "-B", "2", uri, NULL};
    run_coap_client(&n, NULL, bad);
    assert_null(tml_lwm2m_server_device(n.srv, "foreign-t"));
    /* And an identity the server does not know is refused with a reason. */
    const char *unknown[] = {"-m", "post", "-u", "id-zz", "-k", "coap-client-key", "-B", "2", uri, NULL};
    run_coap_client(&n, NULL, unknown);
    assert_null(tml_lwm2m_server_device(n.srv, "foreign-t"));
    assert_non_null(strstr(n.refusals, "unknown PSK identity 'id-zz'"));
    net_free(&n);
}

/* ---- Confirmable notifications ---------------------------------------------------- */

static bool acked_at_least(net_t *n, const void *k)
{
    tml_agent_status_t st;
    tml_agent_get_status(n->agent, &st);
    return st.n_notify_acked >= *(const uint32_t *)k;
}

static bool no_observations(net_t *n, const void *arg)
{
    (void)arg;
    tml_agent_status_t st;
    tml_agent_get_status(n->agent, &st);
    return st.n_observations == 0;
}

static void write_attrs(net_t *n, const char *ep, const char *path, const char *attrs)
{
    answer_t a;
    memset(&a, 0, sizeof(a));
    TML_ASSERT_OK(tml_lwm2m_server_write_attrs(n->srv, ep, path, attrs, on_answer, &a, NULL));
    run_until(n, 5000, answered, &a, attrs);
    assert_int_equal(a.code, TML_COAP_CODE(2, 4));
}

static void con_notifications_acked_then_retransmitted(void **state)
{
    (void)state;
    net_t n;
    net_init(&n, false);
    n.use_relay = true;
    h_relay_open(&n.relay, tml_lwm2m_server_port(n.srv), 0, 777);
    agent_opts_t o = {.secure = false, .notify_con_every = 2, .max_retransmit = 2};
    net_agent(&n, "dev-con", &o);
    int one = 1;
    run_until(&n, 5000, n_info_at_least, &one, "registration");
    /* pmax=1: a notification every second even without a change. */
    write_attrs(&n, "dev-con", "/3/0/0", "pmax=1");
    answer_t obs;
    memset(&obs, 0, sizeof(obs));
    uint32_t obs_id;
    TML_ASSERT_OK(tml_lwm2m_server_observe(n.srv, "dev-con", "/3/0/0", TML_LWM2M_CF_TEXT, on_answer, &obs,
                                           &obs_id, NULL));
    uint32_t want = 1;
    run_until(&n, 5000, acked_at_least, &want, "an acknowledged CON notification");
    tml_agent_status_t st;
    tml_agent_get_status(n.agent, &st);
    assert_true(obs.n >= 2); /* the first answer and at least one NON before the CON */
    assert_int_equal(st.n_notify_acked, st.n_notify_con);
    assert_int_equal(st.n_observations, 1);
    /* con=1: every notification confirmable. */
    write_attrs(&n, "dev-con", "/3/0/0", "con=1");
    uint32_t con_before = st.n_notify_con;
    want = st.n_notify_acked + 2;
    run_until(&n, 5000, acked_at_least, &want, "two more acknowledged notifications");
    tml_agent_get_status(n.agent, &st);
    assert_true(st.n_notify_con >= con_before + 2);
    assert_int_equal(obs.status, TML_OK);
    /* Now nothing gets through: the CON notification is sent and resent
     * (max_retransmit 2), then the observation ends. */
    unsigned dropped_before = n.relay.n_dropped;
    n.relay.drop_permille = 1000;
    run_until(&n, 8000, no_observations, NULL, "the unacknowledged observation to end");
    assert_true(n.relay.n_dropped - dropped_before >= 3);
    tml_agent_get_status(n.agent, &st);
    assert_int_equal(st.n_notify_acked + 1, st.n_notify_con);
    TML_ASSERT_OK(tml_lwm2m_server_cancel_observe(n.srv, obs_id, NULL));
    net_free(&n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(dtls_psk_registers_reads_and_downloads, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(dtls_refusals, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(require_dtls_refuses_plain_udp, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(tml_agent_process_over_dtls, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(coap_client_reads_our_agent, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(coap_client_registers_over_dtls_psk, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(con_notifications_acked_then_retransmitted, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
