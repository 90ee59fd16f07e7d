/*
 * sim.c - the fleet: devices started at a rate, one epoll set for all
 * their sockets, and an indexed min-heap of the time each device next has
 * something to do, so a loop round costs the devices that are busy, not
 * the fleet. Statistics are gathered on demand from the agents' status.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sim_internal.h"
#include "tml/lwm2m.h"

/* An agent that reports "now" (a download in flight) is stepped on its
 * datagrams and at least this often, rather than in a busy loop. */
#define SIM_BUSY_US 20000u
#define SIM_MAX_EVENTS 512
#define SIM_STARTS_PER_ROUND 1000u

uint64_t sim_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint32_t sim_rand(tml_sim_t *sim)
{
    /* xorshift32: cheap, seeded, good enough for loss and jitter. */
    uint32_t x = sim->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    sim->rng = x;
    return x;
}

/* ---- The heap of due times ---------------------------------------------- */

static void heap_swap(tml_sim_t *s, size_t i, size_t j)
{
    sim_dev_t *t = s->heap[i];
    s->heap[i] = s->heap[j];
    s->heap[j] = t;
    s->heap[i]->heap_pos = i;
    s->heap[j]->heap_pos = j;
}

static void heap_fix(tml_sim_t *s, size_t i)
{
    while (i > 0 && s->heap[(i - 1) / 2]->due_us > s->heap[i]->due_us) {
        heap_swap(s, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < s->heap_len && s->heap[l]->due_us < s->heap[m]->due_us)
            m = l;
        if (r < s->heap_len && s->heap[r]->due_us < s->heap[m]->due_us)
            m = r;
        if (m == i)
            return;
        heap_swap(s, i, m);
        i = m;
    }
}

static void set_due(tml_sim_t *s, sim_dev_t *d, uint64_t due)
{
    d->due_us = due;
    if (d->heap_pos == SIZE_MAX) {
        d->heap_pos = s->heap_len;
        s->heap[s->heap_len++] = d;
    }
    heap_fix(s, d->heap_pos);
}

/* ---- Devices -------------------------------------------------------------- */

static uint64_t restart_delay_us(tml_sim_t *s)
{
    /* Uniform in [0.5, 1.5] x the period, so restarts do not come in waves. */
    uint64_t period = (uint64_t)s->cfg.restart_every_s * 1000000u;
    return period / 2 + (uint64_t)sim_rand(s) % (period + 1);
}

static tml_status_t start_agent(tml_sim_t *s, sim_dev_t *d, tml_err_t *err)
{
    char ep[64];
    snprintf(ep, sizeof(ep), "%s%u", s->prefix, d->index);
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.endpoint = ep;
    cfg.server_uri = s->server_uri;
    cfg.profile = s->profiles[d->profile_idx];
    cfg.lifetime_s = s->cfg.lifetime_s;
    cfg.trust_key = s->have_trust_key ? s->trust_key : NULL;
    cfg.infer_period_ms = s->cfg.infer_period_ms;
    cfg.ack_timeout_ms = s->cfg.ack_timeout_ms;
    cfg.block_szx = s->cfg.block_szx;
    /* Save the resume record every 8 blocks: a restart re-fetches at most
     * that many, and 100 000 devices do not rewrite it on every block. */
    cfg.resume_save_blocks = 8;
    return tml_agent_create(&cfg, &d->pf, &d->agent, err);
}

static void step_dev(tml_sim_t *s, sim_dev_t *d, uint64_t now)
{
    d->stepped_in = s->round;
    if (now >= d->restart_us) {
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_sim_restart(s, d->index, &err) != TML_OK)
            TML_LOGW("sim", "%s%u: restart: %s", s->prefix, d->index, tml_err_message(&err));
    }
    if (!d->agent) {
        set_due(s, d, now + 1000000u); /* retry the start later */
        return;
    }
    tml_agent_step(d->agent);
    now = sim_now_us();
    if (!d->first_reg_done) {
        tml_agent_status_t st;
        tml_agent_get_status(d->agent, &st);
        if (st.registered) {
            d->first_reg_done = true;
            d->reg_latency_us = now - d->started_us;
            s->last_first_reg_us = now;
        }
    }
    uint32_t ms = tml_agent_next_ms(d->agent);
    uint64_t due = ms ? now + (uint64_t)ms * 1000u : now + SIM_BUSY_US;
    set_due(s, d, due < d->restart_us ? due : d->restart_us);
}

static void start_dev(tml_sim_t *s, sim_dev_t *d, uint64_t now)
{
    tml_err_t err;
    tml_err_clear(&err);
    d->started_us = now;
    d->restart_us = s->cfg.restart_every_s ? now + restart_delay_us(s) : UINT64_MAX;
    if (start_agent(s, d, &err) != TML_OK) {
        TML_LOGW("sim", "%s%u: %s", s->prefix, d->index, tml_err_message(&err));
        d->agent = NULL;
    }
    s->n_started++;
    step_dev(s, d, now);
}

tml_status_t tml_sim_restart(tml_sim_t *s, size_t i, tml_err_t *err)
{
    if (!s || i >= s->cfg.n_devices || i >= s->n_started)
        return tml_err_set(err, TML_ERR_ARG, "sim: no started device %zu", i);
    sim_dev_t *d = &s->devs[i];
    tml_agent_destroy(d->agent);
    d->agent = NULL;
    sim_platform_close_all(d);
    s->n_restarts++;
    uint64_t now = sim_now_us();
    d->restart_us = s->cfg.restart_every_s ? now + restart_delay_us(s) : UINT64_MAX;
    tml_status_t st = start_agent(s, d, err);
    if (st != TML_OK)
        d->agent = NULL;
    set_due(s, d, now);
    return st;
}

/* ---- Life cycle ----------------------------------------------------------- */

static tml_status_t parse_profiles(tml_sim_t *s, const char *list, tml_err_t *err)
{
    size_t n_cat;
    const tml_target_t *cat = tml_target_list(&n_cat);
    s->profiles = tml_calloc(n_cat + 64, sizeof(*s->profiles));
    if (!s->profiles)
        return tml_err_set(err, TML_ERR_NOMEM, "sim: out of memory");
    if (!list || !*list) {
        for (size_t i = 0; i < n_cat; i++)
            if (!cat[i].qemu_machine)
                s->profiles[s->n_profiles++] = &cat[i];
        return s->n_profiles ? TML_OK : tml_err_set(err, TML_ERR_INTERNAL, "sim: empty catalog");
    }
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        char name[64];
        if (n == 0 || n >= sizeof(name) || s->n_profiles == n_cat + 64)
            return tml_err_set(err, TML_ERR_ARG, "sim: bad profile list '%s'", list);
        memcpy(name, p, n);
        name[n] = 0;
        const tml_target_t *t = tml_target_find(name);
        if (!t)
            return tml_err_set(err, TML_ERR_NOT_FOUND, "sim: unknown profile '%s' (see tml targets)", name);
        s->profiles[s->n_profiles++] = t;
        p += n;
        if (*p == ',')
            p++;
    }
    return s->n_profiles ? TML_OK : tml_err_set(err, TML_ERR_ARG, "sim: no profiles in '%s'", list);
}

static void raise_nofile(size_t want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    struct rlimit up = rl;
    up.rlim_cur = want;
    if (up.rlim_max < want)
        up.rlim_max = want; /* allowed with CAP_SYS_RESOURCE */
    if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
        up.rlim_cur = rl.rlim_max;
        up.rlim_max = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &up);
        TML_LOGW("sim", "open files limited to %llu; %zu wanted", (unsigned long long)rl.rlim_max, want);
    }
}

tml_status_t tml_sim_create(const tml_sim_config_t *cfg, tml_sim_t **out, tml_err_t *err)
{
    if (!cfg || !out || !cfg->server_uri || cfg->n_devices == 0 || cfg->n_devices > 1000000 ||
        cfg->loss < 0.0 || cfg->loss > 0.9)
        return tml_err_set(err, TML_ERR_ARG, "sim: server URI, 1..1000000 devices and loss 0..0.9 needed");
    if (strlen(cfg->server_uri) >= 256 || (cfg->prefix && strlen(cfg->prefix) >= 32) ||
        (cfg->state_dir && strlen(cfg->state_dir) >= 512))
        return tml_err_set(err, TML_ERR_ARG, "sim: server URI, prefix or state dir too long");
    *out = NULL;
    tml_sim_t *s = tml_calloc(1, sizeof(*s));
    if (!s)
        return tml_err_set(err, TML_ERR_NOMEM, "sim: out of memory");
    s->cfg = *cfg;
    s->epfd = -1;
    snprintf(s->server_uri, sizeof(s->server_uri), "%s", cfg->server_uri);
    snprintf(s->prefix, sizeof(s->prefix), "%s", cfg->prefix ? cfg->prefix : "sim-");
    snprintf(s->state_dir, sizeof(s->state_dir), "%s", cfg->state_dir ? cfg->state_dir : "");
    s->cfg.server_uri = s->server_uri;
    s->cfg.prefix = s->prefix;
    s->cfg.state_dir = s->state_dir[0] ? s->state_dir : NULL;
    s->cfg.profiles = NULL;
    if (cfg->trust_key) {
        memcpy(s->trust_key, cfg->trust_key, 32);
        s->have_trust_key = true;
    }
    s->cfg.trust_key = NULL;
    s->rng = cfg->seed ? cfg->seed : 0x7e57u;
    tml_status_t st = parse_profiles(s, cfg->profiles, err);
    if (st == TML_OK) {
        s->devs = tml_calloc(cfg->n_devices, sizeof(*s->devs));
        s->heap = tml_calloc(cfg->n_devices, sizeof(*s->heap));
        if (!s->devs || !s->heap)
            st = tml_err_set(err, TML_ERR_NOMEM, "sim: out of memory for %zu devices", cfg->n_devices);
    }
    if (st == TML_OK) {
        s->epfd = epoll_create1(EPOLL_CLOEXEC);
        if (s->epfd < 0)
            st = tml_err_set(err, TML_ERR_IO, "sim: epoll: %s", strerror(errno));
    }
    if (st == TML_OK && s->state_dir[0] && mkdir(s->state_dir, 0755) != 0 && errno != EEXIST)
        st = tml_err_set(err, TML_ERR_IO, "sim: state dir %s: %s", s->state_dir, strerror(errno));
    for (size_t i = 0; st == TML_OK && i < cfg->n_devices; i++) {
        sim_dev_t *d = &s->devs[i];
        d->sim = s;
        d->index = (uint32_t)i;
        d->profile_idx = (uint16_t)(i % s->n_profiles);
        d->heap_pos = SIZE_MAX;
        d->restart_us = UINT64_MAX;
        st = sim_platform_init(d, err);
    }
    if (st != TML_OK) {
        tml_sim_destroy(s);
        return st;
    }
    raise_nofile(cfg->n_devices * SIM_CHANS + 256);
    s->t0_us = sim_now_us();
    *out = s;
    return TML_OK;
}

void tml_sim_destroy(tml_sim_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->devs && i < s->cfg.n_devices; i++) {
        tml_agent_destroy(s->devs[i].agent);
        s->devs[i].agent = NULL;
        if (s->devs[i].sim)
            sim_platform_free(&s->devs[i]);
    }
    if (s->epfd >= 0)
        close(s->epfd);
    tml_free(s->devs);
    tml_free(s->heap);
    tml_free(s->profiles);
    tml_free(s);
}

/* ---- The loop -------------------------------------------------------------- */

static uint64_t next_start_us(const tml_sim_t *s)
{
    if (s->n_started >= s->cfg.n_devices)
        return UINT64_MAX;
    if (!s->cfg.start_rate)
        return s->t0_us;
    return s->t0_us + (uint64_t)s->n_started * 1000000u / s->cfg.start_rate;
}

uint32_t tml_sim_next_ms(const tml_sim_t *s)
{
    uint64_t now = sim_now_us(), next = next_start_us(s);
    if (s->heap_len && s->heap[0]->due_us < next)
        next = s->heap[0]->due_us;
    if (next <= now)
        return 0;
    uint64_t ms = (next - now + 999) / 1000;
    return ms > 1000 ? 1000 : (uint32_t)ms;
}

tml_status_t tml_sim_step(tml_sim_t *s, uint32_t timeout_ms)
{
    if (!s)
        return TML_ERR_ARG;
    s->round++;
    uint64_t now = sim_now_us();
    for (unsigned k = 0; k < SIM_STARTS_PER_ROUND && next_start_us(s) <= now; k++)
        start_dev(s, &s->devs[s->n_started], now);
    uint32_t wait = tml_sim_next_ms(s);
    if (wait > timeout_ms)
        wait = timeout_ms;
    struct epoll_event evs[SIM_MAX_EVENTS];
    int n = epoll_wait(s->epfd, evs, SIM_MAX_EVENTS, (int)wait);
    if (n < 0 && errno != EINTR)
        return TML_ERR_IO;
    for (int i = 0; i < n; i++) {
        uint64_t idx = evs[i].data.u64 / SIM_CHANS;
        if (idx >= s->cfg.n_devices)
            continue;
        sim_dev_t *d = &s->devs[idx];
        if (d->stepped_in != s->round)
            step_dev(s, d, sim_now_us());
    }
    /* Timers: every device due by now, each at most once this round. */
    now = sim_now_us();
    for (size_t k = 0; k < s->cfg.n_devices && s->heap_len && s->heap[0]->due_us <= now; k++) {
        sim_dev_t *d = s->heap[0];
        if (d->stepped_in == s->round) {
            set_due(s, d, now + 1000u); /* again next round */
            continue;
        }
        step_dev(s, d, now);
    }
    return TML_OK;
}

void tml_sim_deregister_all(tml_sim_t *s)
{
    for (size_t i = 0; s && i < s->n_started; i++)
        if (s->devs[i].agent) {
            tml_agent_deregister(s->devs[i].agent);
            set_due(s, &s->devs[i], sim_now_us());
        }
}

/* ---- Inspection ------------------------------------------------------------ */

size_t tml_sim_n_devices(const tml_sim_t *s)
{
    return s ? s->cfg.n_devices : 0;
}

const char *tml_sim_endpoint(const tml_sim_t *s, size_t i)
{
    static _Thread_local char buf[64];
    if (!s || i >= s->cfg.n_devices)
        return NULL;
    snprintf(buf, sizeof(buf), "%s%zu", s->prefix, i);
    return buf;
}

const tml_target_t *tml_sim_profile(const tml_sim_t *s, size_t i)
{
    return s && i < s->cfg.n_devices ? s->profiles[s->devs[i].profile_idx] : NULL;
}

void tml_sim_device_status(const tml_sim_t *s, size_t i, tml_agent_status_t *st)
{
    if (s && i < s->cfg.n_devices && s->devs[i].agent) {
        tml_agent_get_status(s->devs[i].agent, st);
        return;
    }
    memset(st, 0, sizeof(*st));
    st->active_slot = -1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool failed(const tml_agent_status_t *st)
{
    /* Object 9 results 50 and up are failures (55 and 56 included). */
    return st->sw_result >= 50;
}

void tml_sim_get_stats(const tml_sim_t *s, tml_sim_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!s)
        return;
    out->n_started = s->n_started;
    out->n_restarts = s->n_restarts;
    out->n_sent = s->n_sent;
    out->n_received = s->n_received;
    out->n_dropped = s->n_dropped;
    uint64_t *lat = tml_malloc((s->n_started ? s->n_started : 1) * sizeof(uint64_t));
    for (size_t i = 0; i < s->n_started; i++) {
        const sim_dev_t *d = &s->devs[i];
        if (lat && d->first_reg_done)
            lat[out->n_reg_samples++] = d->reg_latency_us;
        if (!d->agent)
            continue;
        tml_agent_status_t st;
        tml_agent_get_status(d->agent, &st);
        out->n_registered += st.registered;
        out->n_downloading += st.sw_state == TML_SW_STATE_DOWNLOAD_STARTED && st.sw_result == TML_SW_RESULT_DOWNLOADING;
        out->n_delivered += st.sw_state == TML_SW_STATE_DELIVERED;
        out->n_installed += st.sw_state == TML_SW_STATE_INSTALLED;
        out->n_activated += st.sw_activated;
        out->n_failed += failed(&st);
        out->n_inferences += st.n_inferences;
    }
    if (lat && out->n_reg_samples) {
        qsort(lat, out->n_reg_samples, sizeof(uint64_t), cmp_u64);
        size_t n = out->n_reg_samples;
        out->reg_p50_us = lat[(n - 1) / 2];
        out->reg_p99_us = lat[(n * 99 + 99) / 100 - 1];
        out->reg_max_us = lat[n - 1];
        uint64_t span = s->last_first_reg_us > s->t0_us ? s->last_first_reg_us - s->t0_us : 1;
        out->first_reg_rate = (double)n * 1e6 / (double)span;
    }
    tml_free(lat);
}

size_t tml_sim_n_profiles(const tml_sim_t *s)
{
    return s ? s->n_profiles : 0;
}

void tml_sim_profile_stats(const tml_sim_t *s, size_t p, const char **name, size_t *n_devices,
                           size_t *n_registered, size_t *n_activated, size_t *n_failed)
{
    *name = p < s->n_profiles ? s->profiles[p]->name : "";
    *n_devices = *n_registered = *n_activated = *n_failed = 0;
    for (size_t i = 0; i < s->cfg.n_devices; i++) {
        const sim_dev_t *d = &s->devs[i];
        if (d->profile_idx != p)
            continue;
        (*n_devices)++;
        if (!d->agent)
            continue;
        tml_agent_status_t st;
        tml_agent_get_status(d->agent, &st);
        *n_registered += st.registered;
        *n_activated += st.sw_activated;
        *n_failed += failed(&st);
    }
}
