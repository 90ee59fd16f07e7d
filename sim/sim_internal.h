/*
 * sim_internal.h - tml-sim's private state, shared by sim.c (the fleet, its
 * loop and statistics) and platform_sim.c (the agents' platform layer:
 * sockets in the fleet's epoll set, seeded loss, storage in memory or in a
 * state directory).
 */
#ifndef TML_SIM_INTERNAL_H
#define TML_SIM_INTERNAL_H

#include "tml/sim.h"

#define SIM_CHANS 2        /* the server's channel and one download */

typedef struct sim_blob {
    char name[16];
    uint8_t *data;
    size_t len, cap;
    struct sim_blob *next;
} sim_blob_t;

typedef struct sim_dev {
    struct tml_sim *sim;
    uint32_t index;
    uint16_t profile_idx;
    bool first_reg_done;
    tml_agent_t *agent;            /* NULL until started */
    tml_agent_platform_t pf;       /* ctx is this device */
    int fds[SIM_CHANS];
    sim_blob_t *blobs;             /* memory storage */
    tml_agent_posix_t *px;         /* file storage (--state), NULL otherwise */
    tml_agent_platform_t px_pf;
    uint64_t started_us;           /* first start */
    uint64_t reg_latency_us;       /* first registration after started_us */
    uint64_t restart_us;           /* next restart, UINT64_MAX: none */
    uint64_t due_us;               /* next step */
    size_t heap_pos;               /* SIZE_MAX: not in the heap */
    uint32_t stepped_in;           /* loop round it was last stepped in */
} sim_dev_t;

struct tml_sim {
    tml_sim_config_t cfg;
    char server_uri[256];
    char prefix[32];
    char state_dir[512];
    uint8_t trust_key[32];
    bool have_trust_key;
    const tml_target_t **profiles;
    size_t n_profiles;
    sim_dev_t *devs;
    size_t n_started;
    sim_dev_t **heap;              /* min-heap on due_us */
    size_t heap_len;
    int epfd;
    uint32_t rng;
    uint32_t round;
    uint64_t t0_us;                /* creation */
    uint64_t last_first_reg_us;
    uint64_t n_restarts, n_sent, n_received, n_dropped;
};

uint64_t sim_now_us(void);
uint32_t sim_rand(struct tml_sim *sim);
/* Builds dev's platform layer (storage kept across restarts). */
tml_status_t sim_platform_init(sim_dev_t *dev, tml_err_t *err);
/* Closes dev's sockets (before a restart or at the end). */
void sim_platform_close_all(sim_dev_t *dev);
/* Frees dev's storage. */
void sim_platform_free(sim_dev_t *dev);

#endif
