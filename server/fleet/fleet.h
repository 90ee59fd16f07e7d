/*
 * fleet.h - tmlaasd's side of LwM2M: the LwM2M server in its own thread,
 * device records fed from registrations, inference results from the
 * observed ML Inference object, the signing key, deployment plans and the
 * rollout engine.
 *
 * One thread owns the tml_lwm2m_server_t and is the only one that calls
 * it: it steps the server, handles its events and answers, and ticks the
 * rollout engine. HTTP handlers never talk to devices; they change rows in
 * the store (a deployment's state) and the thread acts on the rows, so a
 * restarted daemon resumes from the store alone.
 */
#ifndef TML_FLEET_H
#define TML_FLEET_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tml/lwm2m_server.h"
#include "tml/signed_pkg.h"
#include "tml/store.h"

typedef struct tml_service tml_service_t;
typedef struct fleet_dev fleet_dev_t;
typedef struct fleet_target fleet_target_t;
typedef struct fleet_pkg fleet_pkg_t;

typedef struct tml_fleet {
    tml_service_t *svc;
    tml_lwm2m_server_t *srv;
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;          /* guards stop */
    bool stop;
    tml_id_t default_tenant;     /* where unknown endpoints' records go (admin) */
    uint8_t pk[TML_SPKG_PK_LEN], sk[TML_SPKG_SK_LEN];
    char key_hex[2 * TML_SPKG_PK_LEN + 1];
    uint16_t udp_port, dtls_port;
    fleet_dev_t *devs;           /* per endpoint seen: observation state */
    fleet_target_t *targets;     /* per rollout target in flight */
    fleet_pkg_t *pkgs;           /* signed packages being served */
    uint64_t next_tick_ms;
} tml_fleet_t;

/* Loads or creates the signing key (DATA/signing-key), starts the LwM2M
 * server and its thread. */
tml_status_t tml_fleet_start(tml_fleet_t *f, tml_service_t *svc, tml_err_t *err);
/* Stops the thread and the server. Safe on a fleet that never started. */
void tml_fleet_stop(tml_fleet_t *f);

/* ---- plans (plan.c) ------------------------------------------------------ */
#define TML_FLEET_BLOCK_BYTES 1024 /* Block2 size the agents ask for (SZX 6) */

/* Transfer estimate of n bytes on a link kind ("" : the default, lte-m). */
typedef struct tml_fleet_link {
    const char *name;
    double rtt_ms;
    double kbps;
} tml_fleet_link_t;
const tml_fleet_link_t *tml_fleet_link_find(const char *name);
json_t *tml_fleet_links_json(void);

/* The plan of installing version v on device d (same tenant): whether it
 * fits (the version's report on the device's profile, the budgets and the
 * kernels the device reported), the artifact with its size, the CoAP
 * blocks and the transfer time on the device's link. New reference. */
json_t *tml_fleet_plan_device(tml_service_t *svc, const tml_version_rec_t *v, const tml_device_rec_t *d);

/* ---- rollout (rollout.c) -------------------------------------------------- */
/* One engine pass over the running, paused and cancelling deployments. */
void tml_rollout_tick(tml_fleet_t *f);
/* Frees the engine's in-memory state (after the LwM2M server is gone). */
void tml_rollout_free(tml_fleet_t *f);
/* Serves the signed package of a compilation to devices: signs it (the
 * same bytes every time: Ed25519 is deterministic), adds it to the LwM2M
 * server and fills uri_path and the signed hash and size. */
tml_status_t tml_rollout_package(tml_fleet_t *f, tml_id_t tenant, tml_id_t compilation_id,
                                 char *uri_path, size_t cap, char spkg_sha256[65], int64_t *size,
                                 tml_err_t *err);

#endif /* TML_FLEET_H */
