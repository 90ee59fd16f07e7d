/*
 * test_sim.c - tml-sim's fleet (libtmlsim) against the real LwM2M server
 * library on loopback, both stepped from this thread in loops bounded by
 * time: devices of mixed catalog profiles register and report their
 * profile in ML Capabilities; a signed package is installed and activated
 * on every device through 5% datagram loss while some devices are
 * restarted mid-download and resume; the installed model survives a
 * restart and keeps running; --restart-every restarts the fleet on its own;
 * a state directory works like memory storage.
 */
#include "../integration/lwm2m_harness.h"
#include "../../bench/fleet/fleet_driver.h"
#include "tml/sim.h"

typedef struct fleet {
    tml_lwm2m_server_t *srv;
    tml_sim_t *sim;
    uint8_t pk[32], sk[64];
    int n_registered, n_info;
} fleet_t;

static void on_event(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev, const char *detail)
{
    fleet_t *f = arg;
    (void)dev;
    (void)detail;
    if (ev == TML_LWM2M_EV_REGISTERED)
        f->n_registered++;
    else if (ev == TML_LWM2M_EV_INFO)
        f->n_info++;
}

/* session_cache, session_idle_s: the server's CoAP session working set
 * (0: defaults). */
static void fleet_start(fleet_t *f, tml_sim_config_t *cfg, uint32_t session_cache, uint32_t session_idle_s)
{
    memset(f, 0, sizeof(*f));
    TML_ASSERT_OK(tml_spkg_keypair(f->pk, f->sk));
    tml_lwm2m_server_config_t sc;
    memset(&sc, 0, sizeof(sc));
    sc.on_event = on_event;
    sc.event_arg = f;
    sc.session_cache = session_cache;
    sc.session_idle_s = session_idle_s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_server_create(&sc, &f->srv, &err), &err);
    char uri[64];
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", tml_lwm2m_server_port(f->srv));
    cfg->server_uri = uri;
    cfg->trust_key = f->pk;
    if (!cfg->ack_timeout_ms)
        cfg->ack_timeout_ms = 300;
    TML_ASSERT_OK_ERR(tml_sim_create(cfg, &f->sim, &err), &err);
}

static void fleet_stop(fleet_t *f)
{
    tml_sim_destroy(f->sim);
    tml_lwm2m_server_destroy(f->srv);
}

static void fleet_step(fleet_t *f)
{
    TML_ASSERT_OK(tml_sim_step(f->sim, 0));
    TML_ASSERT_OK(tml_lwm2m_server_step(f->srv, 1));
}

static size_t n_registered_now(fleet_t *f)
{
    tml_sim_stats_t st;
    tml_sim_get_stats(f->sim, &st);
    return st.n_registered;
}

static void run_until_registered(fleet_t *f, size_t n, uint32_t ms)
{
    uint64_t end = h_now_ms() + ms;
    while (h_now_ms() < end) {
        fleet_step(f);
        if ((size_t)f->n_info >= n && n_registered_now(f) == n && tml_lwm2m_server_n_devices(f->srv) == n)
            return;
    }
    fail_msg("%zu of %zu devices registered (%d info reads) after %u ms", n_registered_now(f), n, f->n_info, ms);
}

static void mixed_profiles_register(void **state)
{
    (void)state;
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.n_devices = 28;
    cfg.seed = 1;
    fleet_t f;
    fleet_start(&f, &cfg, 0, 0);
    assert_true(tml_sim_n_profiles(f.sim) >= 4); /* mixed by default: the real chips */
    run_until_registered(&f, 28, 15000);
    size_t distinct = 0;
    const char *seen[16];
    for (size_t i = 0; i < 28; i++) {
        const tml_lwm2m_device_t *d = tml_lwm2m_server_device(f.srv, tml_sim_endpoint(f.sim, i));
        assert_non_null(d);
        assert_true(d->have_ml_caps);
        const tml_lwm2m_record_t *r =
            tml_lwm2m_records_find(&d->ml_caps, &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0, 0, 0}, 3});
        assert_non_null(r);
        const tml_target_t *p = tml_sim_profile(f.sim, i);
        assert_string_equal((const char *)r->v.bytes, p->name);
        r = tml_lwm2m_records_find(&d->ml_caps, &(tml_lwm2m_path_t){{TML_LWM2M_OBJ_ML_CAPS, 0, 4, 0}, 3});
        assert_non_null(r);
        assert_int_equal(r->v.u.i, p->model_ram_bytes);
        bool known = false;
        for (size_t k = 0; k < distinct; k++)
            known |= !strcmp(seen[k], p->name);
        if (!known && distinct < 16)
            seen[distinct++] = p->name;
    }
    assert_true(distinct >= 4);
    tml_sim_stats_t st;
    tml_sim_get_stats(f.sim, &st);
    assert_int_equal(st.n_reg_samples, 28);
    assert_true(st.reg_p99_us > 0 && st.reg_p99_us <= st.reg_max_us);
    /* De-registration empties the server. */
    tml_sim_deregister_all(f.sim);
    uint64_t end = h_now_ms() + 5000;
    while (tml_lwm2m_server_n_devices(f.srv) > 0 && h_now_ms() < end)
        fleet_step(&f);
    assert_int_equal(tml_lwm2m_server_n_devices(f.srv), 0);
    fleet_stop(&f);
}

static void install_to_all_at_5pct_loss(const char *state_dir, uint32_t session_cache)
{
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.n_devices = 20;
    cfg.profiles = "nrf52840,stm32f746,rp2040,esp32c3";
    cfg.loss = 0.05;
    cfg.seed = 42;
    cfg.block_szx = 4; /* 256-byte blocks: more of them, more to lose */
    cfg.state_dir = state_dir;
    fleet_t f;
    fleet_start(&f, &cfg, session_cache, session_cache ? 2 : 0);
    run_until_registered(&f, 20, 30000);
    size_t pkg_len, n;
    uint8_t *pkg = h_model_package("fleet", 4, 150, &pkg_len);
    uint8_t *spkg = h_sign(pkg, pkg_len, "fleet", "1.0", f.sk, true, &n);
    char path[80], uri[160];
    TML_ASSERT_OK(tml_lwm2m_server_add_package(f.srv, spkg, n, path, sizeof(path), NULL));
    snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u%s", tml_lwm2m_server_port(f.srv), path);
    const char *eps[20];
    char names[20][32];
    for (size_t i = 0; i < 20; i++) {
        snprintf(names[i], sizeof(names[i]), "%s", tml_sim_endpoint(f.sim, i));
        eps[i] = names[i];
    }
    fdrv_t drv;
    TML_ASSERT_OK(fdrv_init(&drv, f.srv, uri, eps, 20));
    drv.poll_ms = 200;
    /* Restart devices 0..3 once each when they are a third through. */
    bool restarted[4] = {false};
    uint32_t first_block[4] = {0};
    uint64_t end = h_now_ms() + 45000;
    bool done = false;
    while (!done && h_now_ms() < end) {
        fleet_step(&f);
        done = fdrv_step(&drv);
        for (size_t i = 0; i < 4; i++) {
            tml_agent_status_t st;
            tml_sim_device_status(f.sim, i, &st);
            if (!restarted[i] && st.sw_state == TML_SW_STATE_DOWNLOAD_STARTED && st.download_offset > n / 3) {
                TML_ASSERT_OK(tml_sim_restart(f.sim, i, NULL));
                tml_sim_device_status(f.sim, i, &st);
                first_block[i] = st.download_first_block;
                restarted[i] = true;
            }
        }
    }
    if (!done)
        fail_msg("rollout: %zu done, %zu refused of 20", drv.n_done, drv.n_refused);
    assert_int_equal(drv.n_done, 20);
    tml_sim_stats_t st;
    tml_sim_get_stats(f.sim, &st);
    assert_true(st.n_dropped > 0);
    assert_int_equal(st.n_activated, 20);
    assert_int_equal(st.n_restarts, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_true(restarted[i]);
        /* The resume record is saved every 8 blocks: it picked up there. */
        assert_true(first_block[i] > 0);
    }
    /* The model survives a power cycle and runs on generated input. */
    TML_ASSERT_OK(tml_sim_restart(f.sim, 5, NULL));
    tml_agent_status_t ds;
    tml_sim_device_status(f.sim, 5, &ds);
    assert_string_equal(ds.model_name, "fleet");
    assert_true(ds.active_slot >= 0);
    fdrv_free(&drv);
    tml_free(pkg);
    tml_free(spkg);
    fleet_stop(&f);
}

static void install_at_loss_in_memory(void **state)
{
    (void)state;
    install_to_all_at_5pct_loss(NULL, 0);
}

static void install_at_loss_in_state_dir(void **state)
{
    (void)state;
    char dir[64];
    h_tmpdir(dir, sizeof(dir));
    install_to_all_at_5pct_loss(dir, 0);
    h_rmdir(dir);
}

/* The same rollout with a working set of 4 CoAP sessions for 20 devices:
 * the server keeps dropping sessions and waking devices mid-rollout. */
static void install_at_loss_with_small_working_set(void **state)
{
    (void)state;
    install_to_all_at_5pct_loss(NULL, 4);
}

typedef struct wk_answer {
    int n, n_notif;
    tml_status_t status;
    char text[64];
} wk_answer_t;

static void wk_on_answer(void *arg, const tml_lwm2m_response_t *rsp)
{
    wk_answer_t *a = arg;
    a->n++;
    a->n_notif += rsp->notification;
    a->status = rsp->status;
    if (rsp->status == TML_OK && rsp->records && rsp->records->n == 1 &&
        tml_lwm2m_value_str(&rsp->records->recs[0].v, a->text, sizeof(a->text)) != TML_OK)
        a->text[0] = 0;
}

static void step_for(fleet_t *f, uint32_t ms)
{
    uint64_t end = h_now_ms() + ms;
    while (h_now_ms() < end)
        fleet_step(f);
}

/* 40 devices, a working set of 8 sessions idle for at most 2 s: the server
 * holds every device while libcoap drops their sessions; a read of each
 * device wakes it and is answered; an observation keeps notifying, matched
 * by token, after its device's session was dropped and re-created; the
 * sessions come back under the cap. */
static void working_set_bounds_sessions(void **state)
{
    (void)state;
    enum { N = 40, CAP = 8 };
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.n_devices = N;
    cfg.seed = 7;
    fleet_t f;
    fleet_start(&f, &cfg, CAP, 2);
    run_until_registered(&f, N, 20000);
    step_for(&f, 3000); /* every session idles out */
    assert_int_equal(tml_lwm2m_server_n_sessions(f.srv), 0);
    assert_int_equal(tml_lwm2m_server_n_devices(f.srv), N);

    /* Observe /3/0/2 (its serial number) on device 0, notified every
     * second (pmax) although it does not change. */
    const char *ep0 = tml_sim_endpoint(f.sim, 0);
    uint64_t wakes0 = tml_lwm2m_server_wakes(f.srv);
    wk_answer_t attr = {0}, obs = {0};
    TML_ASSERT_OK(tml_lwm2m_server_write_attrs(f.srv, ep0, "/3/0/2", "pmax=1", wk_on_answer, &attr, NULL));
    uint64_t end = h_now_ms() + 10000;
    while (attr.n == 0 && h_now_ms() < end)
        fleet_step(&f);
    assert_int_equal(attr.status, TML_OK);
    assert_int_equal(tml_lwm2m_server_wakes(f.srv), wakes0 + 1);
    uint32_t obs_id = 0;
    TML_ASSERT_OK(tml_lwm2m_server_observe(f.srv, ep0, "/3/0/2", TML_LWM2M_CF_ANY, wk_on_answer, &obs,
                                           &obs_id, NULL));
    end = h_now_ms() + 10000;
    while (obs.n_notif < 1 && h_now_ms() < end)
        fleet_step(&f);
    assert_true(obs.n_notif >= 1);

    /* Right after a notification, read the serial number of every other
     * device: each is woken, and the new sessions push device 0's (the
     * least recently used idle one) out. */
    wakes0 = tml_lwm2m_server_wakes(f.srv);
    static wk_answer_t ans[N];
    memset(ans, 0, sizeof(ans));
    for (size_t i = 1; i < N; i++)
        TML_ASSERT_OK(tml_lwm2m_server_read(f.srv, tml_sim_endpoint(f.sim, i), "/3/0/2", TML_LWM2M_CF_ANY,
                                            wk_on_answer, &ans[i], NULL));
    end = h_now_ms() + 20000;
    size_t n_ans = 0;
    while (n_ans < N - 1 && h_now_ms() < end) {
        fleet_step(&f);
        n_ans = 0;
        for (size_t i = 1; i < N; i++)
            n_ans += ans[i].n > 0;
    }
    assert_int_equal(n_ans, N - 1);
    for (size_t i = 1; i < N; i++) {
        assert_int_equal(ans[i].status, TML_OK);
        assert_string_equal(ans[i].text, tml_sim_endpoint(f.sim, i));
    }
    assert_true(tml_lwm2m_server_wakes(f.srv) - wakes0 >= N - 1);

    /* Device 0 keeps notifying, on a fresh session. */
    int seen = obs.n_notif;
    end = h_now_ms() + 10000;
    while (obs.n_notif < seen + 3 && h_now_ms() < end)
        fleet_step(&f);
    assert_true(obs.n_notif >= seen + 3);
    assert_int_equal(obs.status, TML_OK);
    step_for(&f, 3000);
    assert_true(tml_lwm2m_server_n_sessions(f.srv) <= CAP); /* device 0's, notifying */
    TML_ASSERT_OK(tml_lwm2m_server_cancel_observe(f.srv, obs_id, NULL));
    assert_int_equal(tml_lwm2m_server_n_devices(f.srv), N);
    fleet_stop(&f);
}

static void restart_every_restarts_and_reregisters(void **state)
{
    (void)state;
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.n_devices = 8;
    cfg.restart_every_s = 1;
    cfg.seed = 7;
    fleet_t f;
    fleet_start(&f, &cfg, 0, 0);
    uint64_t end = h_now_ms() + 3500;
    while (h_now_ms() < end)
        fleet_step(&f);
    tml_sim_stats_t st;
    tml_sim_get_stats(f.sim, &st);
    assert_true(st.n_restarts >= 8);
    /* Every restart registers again (a new registration replaces the old). */
    assert_true(f.n_registered >= 8 + 4);
    run_until_registered(&f, 8, 5000);
    fleet_stop(&f);
}

static void rejects_bad_configs(void **state)
{
    (void)state;
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    tml_sim_t *sim;
    tml_err_t err;
    tml_err_clear(&err);
    cfg.server_uri = "coap://127.0.0.1:5683";
    assert_int_equal(tml_sim_create(&cfg, &sim, &err), TML_ERR_ARG); /* no devices */
    cfg.n_devices = 2;
    cfg.profiles = "nrf52840,z80";
    tml_err_clear(&err);
    assert_int_equal(tml_sim_create(&cfg, &sim, &err), TML_ERR_NOT_FOUND);
    assert_non_null(strstr(tml_err_message(&err), "z80"));
    cfg.profiles = NULL;
    cfg.loss = 1.5;
    assert_int_equal(tml_sim_create(&cfg, &sim, NULL), TML_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mixed_profiles_register, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(install_at_loss_in_memory, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(install_at_loss_in_state_dir, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(install_at_loss_with_small_working_set, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(working_set_bounds_sessions, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(restart_every_restarts_and_reregisters, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(rejects_bad_configs, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
