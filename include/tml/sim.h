/*
 * sim.h - libtmlsim, a fleet of virtual devices in one process (tml-sim).
 *
 * Each device is a real agent (libtmlagent) with its own UDP socket(s), one
 * of the catalog's profiles, and a platform layer of the simulator's: its
 * channels are sockets in one epoll set, its clock is the process's, its
 * storage is named blobs in memory (or files under a state directory), and
 * it can drop a share of the datagrams each way, seeded, to model a lossy
 * radio. The loop steps only the devices that have datagrams or a timer
 * due (an indexed min-heap of due times), so tens of thousands run on one
 * core. Devices can be restarted (the agent destroyed without a goodbye and
 * created again on the same storage), which resumes their downloads.
 *
 * Single-threaded: call tml_sim_step() from one loop.
 */
#ifndef TML_SIM_H
#define TML_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/agent.h"
#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_sim_config {
    const char *server_uri;       /* "coap://127.0.0.1:5683" */
    size_t n_devices;             /* 1 .. 1 000 000 */
    /* Comma-separated catalog names, devices take them in turn; NULL or
     * "": every profile of the catalog that is real silicon, mixed. */
    const char *profiles;
    const char *prefix;           /* endpoint names are <prefix><index>; default "sim-" */
    double loss;                  /* share of datagrams dropped each way, 0 .. 0.9 */
    uint32_t seed;                /* for the loss and restart schedule */
    uint32_t restart_every_s;     /* restart each device about this often, 0: never */
    uint32_t start_rate;          /* devices started per second, 0: all at once */
    const char *state_dir;        /* NULL: storage in memory; else <dir>/<endpoint>/ */
    const uint8_t *trust_key;     /* 32-byte Ed25519 public key, NULL: refuse packages */
    uint32_t lifetime_s;          /* agent registration lifetime, default 300 */
    uint32_t infer_period_ms;     /* run the installed model this often, 0: never */
    uint32_t ack_timeout_ms;      /* CoAP ACK_TIMEOUT of the agents, default 2000 */
    unsigned block_szx;           /* download block size 16 << szx, default 6 */
    /* Against a loopback server, devices bind source addresses 127.1.x.y in
     * groups of 8192 (one address has only the ~28 000 ephemeral ports);
     * this offsets the group number, so several tml-sim processes against
     * one server use distinct addresses. */
    uint32_t src_group;
} tml_sim_config_t;

typedef struct tml_sim tml_sim_t;

/* Creates the fleet (the agents start registering at the start rate from
 * the first tml_sim_step). Raises RLIMIT_NOFILE as far as it may for
 * 2 sockets per device. cfg strings and the key are copied. */
tml_status_t tml_sim_create(const tml_sim_config_t *cfg, tml_sim_t **out, tml_err_t *err);
/* Destroys every agent without de-registering, closes the sockets. */
void tml_sim_destroy(tml_sim_t *sim);

/* Waits for datagrams or timers for at most timeout_ms (0: only what is
 * ready), then steps every device that has something to do. */
tml_status_t tml_sim_step(tml_sim_t *sim, uint32_t timeout_ms);
/* Milliseconds until a device next has something to do. */
uint32_t tml_sim_next_ms(const tml_sim_t *sim);

/* Asks every started device to de-register (the steps carry it out). */
void tml_sim_deregister_all(tml_sim_t *sim);

/* Restarts device i now: destroys its agent and creates it again on the
 * same storage, as a power cycle would. */
tml_status_t tml_sim_restart(tml_sim_t *sim, size_t i, tml_err_t *err);

size_t tml_sim_n_devices(const tml_sim_t *sim);
const char *tml_sim_endpoint(const tml_sim_t *sim, size_t i);
const tml_target_t *tml_sim_profile(const tml_sim_t *sim, size_t i);
/* Status of device i's agent (zeroed, active_slot -1, while not started). */
void tml_sim_device_status(const tml_sim_t *sim, size_t i, tml_agent_status_t *st);

/* Totals over the fleet. */
typedef struct tml_sim_stats {
    size_t n_started, n_registered;
    size_t n_downloading, n_delivered, n_installed, n_activated, n_failed;
    uint64_t n_inferences;
    uint64_t n_restarts;
    uint64_t n_sent, n_received, n_dropped;  /* datagrams */
    /* First registration of each device, from its start: percentiles in
     * microseconds over the devices registered so far. */
    uint64_t reg_p50_us, reg_p99_us, reg_max_us;
    size_t n_reg_samples;
    double first_reg_rate;        /* first registrations per second, start to last */
} tml_sim_stats_t;

void tml_sim_get_stats(const tml_sim_t *sim, tml_sim_stats_t *st);

/* Counts per profile for a summary: for profile index p (0 .. *n_profiles-1)
 * its name, devices, registered and activated. Returns the profile count. */
size_t tml_sim_n_profiles(const tml_sim_t *sim);
void tml_sim_profile_stats(const tml_sim_t *sim, size_t p, const char **name, size_t *n_devices,
                           size_t *n_registered, size_t *n_activated, size_t *n_failed);

#ifdef __cplusplus
}
#endif
#endif /* TML_SIM_H */
