/*
 * fleet_bench.c - tml-fleet-bench: the fleet figures of bench/fleet.sh.
 * Runs the LwM2M server library in this process and tml-sim as a child
 * process (two cores: one each), and measures
 *
 *   register: N devices started at R per second register; registrations
 *             per second at the server, registration latency p50/p99 (from
 *             the simulator: device start to 2.01 Created, retransmissions
 *             included), devices held, memory per device on each side.
 *   rollout:  N registered devices get a signed package (a compiled model)
 *             at the simulator's datagram loss; every device downloads,
 *             installs and activates it (fleet_driver.h); time to all
 *             complete, per-device completion p50/p99, blocks served.
 *
 * Prints one "key value" per line for the script to pick up.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fleet_driver.h"
#include "tml/compiler.h"
#include "tml/rt.h"
#include "tml/signed_pkg.h"

typedef struct bench {
    tml_lwm2m_server_t *srv;
    size_t n_registered;      /* REGISTERED events */
    uint64_t t_first_reg_ms, t_last_reg_ms;
    size_t n_removed;         /* DEREGISTERED and EXPIRED events */
    /* tml-sim children: one per SIM_PER_PROC devices, because a process
     * may hold only RLIMIT_NOFILE sockets (20 000 here, no CAP_SYS_RESOURCE). */
    size_t n_sims;
    struct sim_proc {
        pid_t pid;
        int out;              /* the child's stdout, non-blocking */
        char line[4096], last_json[4096];
        size_t line_len;
        size_t count;
    } sims[64];
} bench_t;

#define SIM_PER_PROC 15000u

static void on_event(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev, const char *detail)
{
    bench_t *b = arg;
    (void)dev;
    (void)detail;
    if (ev == TML_LWM2M_EV_DEREGISTERED || ev == TML_LWM2M_EV_EXPIRED)
        b->n_removed++;
    if (ev != TML_LWM2M_EV_REGISTERED)
        return;
    uint64_t now = fdrv_now_ms();
    if (!b->n_registered)
        b->t_first_reg_ms = now;
    b->t_last_reg_ms = now;
    b->n_registered++;
}

static long rss_kib(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Reads what the children printed; keeps each one's last JSON line. */
static void pump_sims(bench_t *b)
{
    char buf[4096];
    for (size_t k = 0; k < b->n_sims; k++) {
        struct sim_proc *p = &b->sims[k];
        for (;;) {
            ssize_t n = read(p->out, buf, sizeof(buf));
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    p->line[p->line_len] = 0;
                    if (p->line[0] == '{')
                        memcpy(p->last_json, p->line, p->line_len + 1);
                    p->line_len = 0;
                } else if (p->line_len + 1 < sizeof(p->line)) {
                    p->line[p->line_len++] = buf[i];
                }
            }
        }
    }
}

static double json_num(const char *json, const char *key)
{
    char k[64];
    snprintf(k, sizeof(k), "\"%s\":", key);
    const char *p = strstr(json, k);
    return p ? strtod(p + strlen(k), NULL) : -1;
}

static void spawn_sim(bench_t *b, char **argv, size_t count)
{
    int fds[2];
    if (b->n_sims == sizeof(b->sims) / sizeof(b->sims[0]) || pipe(fds) != 0) {
        perror("tml-fleet-bench: pipe");
        exit(1);
    }
    struct sim_proc *p = &b->sims[b->n_sims++];
    p->count = count;
    p->pid = fork();
    if (p->pid < 0) {
        perror("fork");
        exit(1);
    }
    if (p->pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    p->out = fds[0];
    fcntl(p->out, F_SETFL, O_NONBLOCK);
}

/* Stops the children (SIGTERM: each reports, de-registers for at most 2 s). */
static void stop_sims(bench_t *b)
{
    for (size_t k = 0; k < b->n_sims; k++)
        if (b->sims[k].pid > 0)
            kill(b->sims[k].pid, SIGTERM);
    uint64_t end = fdrv_now_ms() + 20000;
    for (size_t k = 0; k < b->n_sims; k++) {
        struct sim_proc *p = &b->sims[k];
        int status;
        while (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == 0 && fdrv_now_ms() < end) {
            tml_lwm2m_server_step(b->srv, 5);
            pump_sims(b);
        }
        if (p->pid > 0 && waitpid(p->pid, &status, WNOHANG) == 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, &status, 0);
        }
        p->pid = 0;
    }
    pump_sims(b);
}

static bool sims_alive(bench_t *b)
{
    for (size_t k = 0; k < b->n_sims; k++) {
        int status;
        if (b->sims[k].pid <= 0 || waitpid(b->sims[k].pid, &status, WNOHANG) != 0)
            return false;
    }
    return true;
}

static long sims_rss_kib(bench_t *b)
{
    long sum = 0;
    for (size_t k = 0; k < b->n_sims; k++)
        sum += rss_kib(b->sims[k].pid);
    return sum;
}

static int usage(void)
{
    fprintf(stderr, "usage: tml-fleet-bench --sim PATH (--register | --rollout) --count N [--rate R]\n"
                    "                       [--loss P] [--model FILE] [--profiles LIST] [--timeout S]\n"
                    "                       [--no-info] [--session-cache N]\n");
    return 2;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Compiles model (TFLite or ONNX) and signs it with a self-test digest. */
static uint8_t *make_package(const char *model, const uint8_t sk[64], size_t *len, size_t *tmlm_len)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    if (tml_compile_file(model, NULL, &c, &err) != TML_OK) {
        fprintf(stderr, "tml-fleet-bench: %s\n", tml_err_message(&err));
        return NULL;
    }
    uint32_t arena_len = tml_rt_arena_len(c.pkg, c.pkg_len);
    uint8_t *arena = tml_malloc(arena_len ? arena_len : 16);
    uint8_t digest[32], *out = NULL;
    if (!arena || tml_spkg_selftest(c.pkg, c.pkg_len, arena, arena_len, digest, &err) != TML_OK ||
        tml_spkg_sign(c.pkg, c.pkg_len, tml_path_basename(model), "1.0", digest, sk, &out, len, &err) != TML_OK)
        fprintf(stderr, "tml-fleet-bench: %s\n", tml_err_message(&err));
    *tmlm_len = c.pkg_len;
    tml_free(arena);
    tml_compiled_free(&c);
    return out;
}

int main(int argc, char **argv)
{
    const char *sim_path = NULL, *model = NULL, *profiles = NULL;
    size_t count = 0;
    unsigned rate = 1000;
    double loss = 0, timeout_s = 600;
    bool rollout = false, reg = false, no_info = false;
    uint32_t session_cache = 0; /* the server's default */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--register")) { reg = true; continue; }
        if (!strcmp(a, "--rollout")) { rollout = true; continue; }
        if (!strcmp(a, "--no-info")) { no_info = true; continue; }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--sim")) sim_path = v;
        else if (!strcmp(a, "--count")) count = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rate")) rate = (unsigned)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--loss")) loss = strtod(v, NULL);
        else if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--profiles")) profiles = v;
        else if (!strcmp(a, "--timeout")) timeout_s = strtod(v, NULL);
        else if (!strcmp(a, "--session-cache")) session_cache = (uint32_t)strtoul(v, NULL, 10);
        else return usage();
    }
    if (!sim_path || !count || reg == rollout || (rollout && !model))
        return usage();
    tml_log_set_level(TML_LOG_ERROR);
    struct rlimit rl = {.rlim_cur = count * 2 + 1024, .rlim_max = count * 2 + 1024};
    struct rlimit cur;
    if (getrlimit(RLIMIT_NOFILE, &cur) == 0 && cur.rlim_cur < rl.rlim_cur)
        setrlimit(RLIMIT_NOFILE, &rl);

    bench_t b;
    memset(&b, 0, sizeof(b));
    tml_lwm2m_server_config_t sc;
    memset(&sc, 0, sizeof(sc));
    sc.on_event = on_event;
    sc.event_arg = &b;
    sc.skip_info_reads = no_info;
    sc.session_cache = session_cache;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_lwm2m_server_create(&sc, &b.srv, &err) != TML_OK) {
        fprintf(stderr, "tml-fleet-bench: %s\n", tml_err_message(&err));
        return 1;
    }
    long srv_rss0 = rss_kib(getpid());

    uint8_t pk[32], sk[64];
    char pk_hex[65];
    tml_spkg_keypair(pk, sk);
    tml_hex_encode(pk, 32, pk_hex);
    uint8_t *spkg = NULL;
    size_t spkg_len = 0, tmlm_len = 0;
    if (rollout && !(spkg = make_package(model, sk, &spkg_len, &tmlm_len)))
        return 1;

    char server_uri[64], rate_s[24], loss_s[24];
    snprintf(server_uri, sizeof(server_uri), "coap://127.0.0.1:%u", tml_lwm2m_server_port(b.srv));
    size_t n_procs = (count + SIM_PER_PROC - 1) / SIM_PER_PROC;
    snprintf(rate_s, sizeof(rate_s), "%u", (unsigned)((rate + n_procs - 1) / n_procs));
    snprintf(loss_s, sizeof(loss_s), "%g", loss);
    uint64_t t0 = fdrv_now_ms(), deadline = t0 + (uint64_t)(timeout_s * 1000);
    for (size_t p = 0; p < n_procs; p++) {
        char count_s[24], prefix[24], group_s[24];
        size_t share = count / n_procs + (p < count % n_procs);
        snprintf(count_s, sizeof(count_s), "%zu", share);
        snprintf(prefix, sizeof(prefix), "s%zu-", p);
        /* Each child its own source addresses (a group holds 8192 devices). */
        snprintf(group_s, sizeof(group_s), "%zu", p * ((SIM_PER_PROC + 8191) / 8192));
        char *sim_argv[32];
        int k = 0;
        sim_argv[k++] = (char *)sim_path;
        sim_argv[k++] = "--server", sim_argv[k++] = server_uri;
        sim_argv[k++] = "--count", sim_argv[k++] = count_s;
        sim_argv[k++] = "--prefix", sim_argv[k++] = prefix;
        sim_argv[k++] = "--src-group", sim_argv[k++] = group_s;
        sim_argv[k++] = "--rate", sim_argv[k++] = rate_s;
        sim_argv[k++] = "--loss", sim_argv[k++] = loss_s;
        sim_argv[k++] = "--trust-key", sim_argv[k++] = pk_hex;
        sim_argv[k++] = "--lifetime", sim_argv[k++] = "3600";
        sim_argv[k++] = "--report-every", sim_argv[k++] = "1";
        sim_argv[k++] = "--json";
        if (profiles)
            sim_argv[k++] = "--profiles", sim_argv[k++] = (char *)profiles;
        sim_argv[k] = NULL;
        spawn_sim(&b, sim_argv, share);
    }

    /* Phase 1: every device registered (and, unless --no-info, read). */
    /* Ask tml_lwm2m_server_n_devices 5 times a second
     * (events overcount: a lost 2.01 makes a re-registration). */
    uint64_t next_count = 0;
    while (fdrv_now_ms() < deadline && sims_alive(&b)) {
        tml_lwm2m_server_step(b.srv, 5);
        pump_sims(&b);
        if (fdrv_now_ms() >= next_count) {
            next_count = fdrv_now_ms() + 200;
            if (tml_lwm2m_server_n_devices(b.srv) >= count)
                break;
        }
    }
    /* Let the answers of the registration reads settle, then measure. */
    uint64_t settle = fdrv_now_ms() + 2000;
    while (fdrv_now_ms() < settle) {
        tml_lwm2m_server_step(b.srv, 5);
        pump_sims(&b);
    }
    size_t held = tml_lwm2m_server_n_devices(b.srv);
    long srv_rss = rss_kib(getpid()), sim_rss = sims_rss_kib(&b);
    double reg_s = b.n_registered > 1 ? (b.t_last_reg_ms - b.t_first_reg_ms) / 1000.0 : 0;
    printf("devices %zu\n", count);
    printf("held %zu\n", held);
    printf("sim_processes %zu\n", b.n_sims);
    printf("server_sessions %zu\n", tml_lwm2m_server_n_sessions(b.srv));
    printf("server_wakes %llu\n", (unsigned long long)tml_lwm2m_server_wakes(b.srv));
    printf("registered_in_s %.2f\n", (b.t_last_reg_ms - t0) / 1000.0);
    printf("reg_per_s %.0f\n", reg_s > 0 ? (double)(b.n_registered - 1) / reg_s : 0.0);
    printf("server_kib_per_device %.2f\n", held ? (double)(srv_rss - srv_rss0) / (double)held : 0.0);
    printf("sim_kib_per_device %.2f\n", (double)sim_rss / (double)count);
    int rc = held == count ? 0 : 1;

    if (rollout && rc == 0) {
        char path[80], uri[160];
        tml_lwm2m_server_add_package(b.srv, spkg, spkg_len, path, sizeof(path), NULL);
        snprintf(uri, sizeof(uri), "%s%s", server_uri, path);
        const char **eps = tml_calloc(count, sizeof(*eps));
        char (*names)[48] = tml_calloc(count, sizeof(*names));
        for (size_t p = 0, i = 0; p < b.n_sims; p++)
            for (size_t j = 0; j < b.sims[p].count; j++, i++) {
                snprintf(names[i], sizeof(names[i]), "s%zu-%zu", p, j);
                eps[i] = names[i];
            }
        fdrv_t drv;
        fdrv_init(&drv, b.srv, uri, eps, count);
        drv.poll_ms = 1000;
        uint64_t r0 = fdrv_now_ms();
        uint64_t blocks0 = tml_lwm2m_server_blocks_served(b.srv);
        bool done = false;
        while (!done && fdrv_now_ms() < deadline && sims_alive(&b)) {
            tml_lwm2m_server_step(b.srv, 2);
            pump_sims(&b);
            done = fdrv_step(&drv);
        }
        uint64_t r1 = fdrv_now_ms();
        uint64_t *t = tml_calloc(count, sizeof(*t));
        size_t n_t = 0;
        unsigned rewrites = 0;
        for (size_t i = 0; i < count; i++) {
            if (drv.devs[i].state == FDRV_DONE)
                t[n_t++] = drv.devs[i].t_done_ms - r0;
            rewrites += drv.devs[i].n_rewrites;
        }
        qsort(t, n_t, sizeof(*t), cmp_u64);
        printf("package_bytes %zu\n", spkg_len);
        printf("rollout_complete %zu\n", drv.n_done);
        printf("rollout_refused %zu\n", drv.n_refused);
        printf("rollout_s %.1f\n", (r1 - r0) / 1000.0);
        printf("rollout_p50_s %.1f\n", n_t ? t[(n_t - 1) / 2] / 1000.0 : 0.0);
        printf("rollout_p99_s %.1f\n", n_t ? t[(n_t * 99 + 99) / 100 - 1] / 1000.0 : 0.0);
        printf("rollout_mib_per_s %.2f\n", (double)spkg_len * (double)drv.n_done / 1048576.0 /
                                               ((r1 - r0) / 1000.0 + 1e-9));
        printf("blocks_served %llu\n", (unsigned long long)(tml_lwm2m_server_blocks_served(b.srv) - blocks0));
        printf("uri_rewrites %u\n", rewrites);
        printf("server_requests %u\n", drv.n_requests);
        printf("server_requests_failed %u\n", drv.n_failed_requests);
        printf("rollout_server_wakes %llu\n", (unsigned long long)tml_lwm2m_server_wakes(b.srv));
        printf("rollout_server_sessions %zu\n", tml_lwm2m_server_n_sessions(b.srv));
        if (drv.n_done != count)
            rc = 1;
        fdrv_free(&drv);
        tml_free(t);
        tml_free(eps);
        tml_free(names);
    }
    stop_sims(&b);
    /* Percentiles per process; the fleet's are their maximum (an upper
     * bound of the pooled figure). */
    double p50 = 0, p99 = 0, mx = 0, dropped = 0;
    for (size_t p = 0; p < b.n_sims; p++) {
        const char *j = b.sims[p].last_json;
        if (!j[0])
            continue;
        p50 = json_num(j, "reg_p50_ms") > p50 ? json_num(j, "reg_p50_ms") : p50;
        p99 = json_num(j, "reg_p99_ms") > p99 ? json_num(j, "reg_p99_ms") : p99;
        mx = json_num(j, "reg_max_ms") > mx ? json_num(j, "reg_max_ms") : mx;
        dropped += json_num(j, "dropped");
    }
    printf("reg_p50_ms %.1f\n", p50);
    printf("reg_p99_ms %.1f\n", p99);
    printf("reg_max_ms %.1f\n", mx);
    printf("sim_dropped %.0f\n", dropped);
    tml_free(spkg);
    tml_lwm2m_server_destroy(b.srv);
    return rc;
}
