/*
 * main.c - tml-sim: N virtual devices in one process, each a real LwM2M
 * client (libtmlagent) on its own UDP socket with a catalog profile.
 *
 *   tml-sim --server coap://HOST:PORT --count N [--profiles LIST] [--loss P]
 *           [--restart-every S] [--rate R] [--trust-key HEX] [--state DIR]
 *           [--prefix NAME] [--lifetime S] [--infer-period MS]
 *           [--ack-timeout MS] [--seed N] [--src-group N] [--report-every S] [--duration S]
 *           [--until-registered] [--json] [--verbose]
 *
 * Prints a summary line every --report-every seconds (registered,
 * downloading, installed, activated, failed, inferences, registration
 * latency percentiles) and a table per profile at the end. Runs until
 * SIGINT/SIGTERM, --duration, or, with --until-registered, until every
 * device has registered once; then de-registers the fleet.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tml/signed_pkg.h"
#include "tml/sim.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage(void)
{
    fprintf(stderr,
            "usage: tml-sim --server coap://HOST:PORT --count N [--profiles LIST] [--loss P]\n"
            "               [--restart-every S] [--rate R] [--trust-key HEX] [--state DIR]\n"
            "               [--prefix NAME] [--lifetime S] [--infer-period MS] [--ack-timeout MS]\n"
            "               [--seed N] [--src-group N] [--report-every S] [--duration S]\n"
            "               [--until-registered] [--json]\n"
            "               [--verbose]\n");
    return 2;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
        rss = 0;
    fclose(f);
    return rss * 4;
}

static void report(tml_sim_t *sim, double t, bool json)
{
    tml_sim_stats_t st;
    tml_sim_get_stats(sim, &st);
    if (json) {
        printf("{\"t\":%.1f,\"started\":%zu,\"registered\":%zu,\"downloading\":%zu,\"delivered\":%zu,"
               "\"installed\":%zu,\"activated\":%zu,\"failed\":%zu,\"inferences\":%llu,\"restarts\":%llu,"
               "\"dropped\":%llu,\"reg_p50_ms\":%.1f,\"reg_p99_ms\":%.1f,\"reg_max_ms\":%.1f,"
               "\"reg_rate\":%.0f,\"rss_kib\":%ld}\n",
               t, st.n_started, st.n_registered, st.n_downloading, st.n_delivered, st.n_installed,
               st.n_activated, st.n_failed, (unsigned long long)st.n_inferences,
               (unsigned long long)st.n_restarts, (unsigned long long)st.n_dropped, st.reg_p50_us / 1e3,
               st.reg_p99_us / 1e3, st.reg_max_us / 1e3, st.first_reg_rate, rss_kib());
    } else {
        printf("[%6.1fs] started %zu registered %zu downloading %zu delivered %zu installed %zu "
               "activated %zu failed %zu inferences %llu restarts %llu | reg p50 %.1f ms p99 %.1f ms "
               "max %.1f ms, %.0f/s | rss %ld MiB\n",
               t, st.n_started, st.n_registered, st.n_downloading, st.n_delivered, st.n_installed,
               st.n_activated, st.n_failed, (unsigned long long)st.n_inferences,
               (unsigned long long)st.n_restarts, st.reg_p50_us / 1e3, st.reg_p99_us / 1e3,
               st.reg_max_us / 1e3, st.first_reg_rate, rss_kib() / 1024);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    tml_sim_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    const char *trust = NULL;
    double report_every = 5, duration = 0;
    bool until_registered = false, json = false, verbose = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--until-registered")) {
            until_registered = true;
            continue;
        }
        if (!strcmp(a, "--json")) {
            json = true;
            continue;
        }
        if (!strcmp(a, "--verbose")) {
            verbose = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--server")) cfg.server_uri = v;
        else if (!strcmp(a, "--count")) cfg.n_devices = strtoul(v, NULL, 10);
        else if (!strcmp(a, "--profiles")) cfg.profiles = v;
        else if (!strcmp(a, "--loss")) cfg.loss = strtod(v, NULL);
        else if (!strcmp(a, "--restart-every")) cfg.restart_every_s = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--rate")) cfg.start_rate = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--trust-key")) trust = v;
        else if (!strcmp(a, "--state")) cfg.state_dir = v;
        else if (!strcmp(a, "--prefix")) cfg.prefix = v;
        else if (!strcmp(a, "--lifetime")) cfg.lifetime_s = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--infer-period")) cfg.infer_period_ms = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--ack-timeout")) cfg.ack_timeout_ms = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--seed")) cfg.seed = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--src-group")) cfg.src_group = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--report-every")) report_every = strtod(v, NULL);
        else if (!strcmp(a, "--duration")) duration = strtod(v, NULL);
        else return usage();
    }
    if (!cfg.server_uri || cfg.n_devices == 0)
        return usage();
    /* Thousands of agents each warning about a lost registration drown the
     * summary; --verbose keeps the agents' warnings. */
    if (!verbose)
        tml_log_set_level(TML_LOG_ERROR);
    if (cfg.loss > 1.0) /* "--loss 5" means 5 % */
        cfg.loss /= 100.0;
    uint8_t key[32];
    if (trust) {
        if (tml_hex_decode(trust, key, 32) != TML_OK) {
            fprintf(stderr, "tml-sim: --trust-key must be 64 hex digits\n");
            return 2;
        }
        cfg.trust_key = key;
    }
    tml_err_t err;
    tml_err_clear(&err);
    tml_sim_t *sim;
    if (tml_sim_create(&cfg, &sim, &err) != TML_OK) {
        fprintf(stderr, "tml-sim: %s\n", tml_err_message(&err));
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    printf("tml-sim: %zu devices, %zu profiles, server %s, loss %.1f%%\n", cfg.n_devices,
           tml_sim_n_profiles(sim), cfg.server_uri, cfg.loss * 100.0);
    fflush(stdout);
    double t0 = now_s(), next_report = t0 + report_every;
    int rc = 0;
    while (!stop_requested) {
        if (tml_sim_step(sim, 200) != TML_OK) {
            fprintf(stderr, "tml-sim: the event loop failed\n");
            rc = 1;
            break;
        }
        double t = now_s();
        if (report_every > 0 && t >= next_report) {
            report(sim, t - t0, json);
            next_report = t + report_every;
        }
        if (duration > 0 && t - t0 >= duration)
            break;
        if (until_registered) {
            tml_sim_stats_t st;
            /* Cheap enough every 200 ms; the full scan is what reports cost. */
            static double next_check;
            if (t >= next_check) {
                next_check = t + 0.2;
                tml_sim_get_stats(sim, &st);
                if (st.n_reg_samples == cfg.n_devices)
                    break;
            }
        }
    }
    report(sim, now_s() - t0, json);
    if (!json) {
        printf("%-12s %8s %11s %10s %7s\n", "profile", "devices", "registered", "activated", "failed");
        for (size_t p = 0; p < tml_sim_n_profiles(sim); p++) {
            const char *name;
            size_t n, r, act, f;
            tml_sim_profile_stats(sim, p, &name, &n, &r, &act, &f);
            printf("%-12s %8zu %11zu %10zu %7zu\n", name, n, r, act, f);
        }
    }
    /* Leave politely: de-register, for at most two seconds. */
    tml_sim_deregister_all(sim);
    double end = now_s() + 2.0;
    while (now_s() < end) {
        tml_sim_step(sim, 20);
        tml_sim_stats_t st;
        tml_sim_get_stats(sim, &st);
        if (st.n_registered == 0)
            break;
    }
    tml_sim_destroy(sim);
    return rc;
}
