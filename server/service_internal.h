/*
 * service_internal.h - the running service: what every API handler and
 * worker reaches through the request's svc pointer.
 */
#ifndef TML_SERVICE_INTERNAL_H
#define TML_SERVICE_INTERNAL_H

#include "fleet/fleet.h"
#include "jobs/jobs.h"
#include "tml/service.h"
#include "tml/store.h"
#include "zoo/blobs.h"

struct MHD_Daemon;

struct tml_service {
    tml_service_opts_t opts;      /* strings point into the caller's options */
    char *data_dir;               /* owned copy */
    char *source_dir;             /* owned copy */
    tml_store_t *store;
    tml_blobs_t blobs;
    tml_jobs_t jobs;
    tml_fleet_t fleet;            /* LwM2M thread, signing key, rollouts */
    struct MHD_Daemon *http;
    int http_port;
    char new_admin_token[80];     /* "" unless this start created it */
    int admin_token_generated;
};

/* The HTTP server (http/server.c). */
tml_status_t tml_http_start(tml_service_t *svc, tml_err_t *err);
void tml_http_stop(tml_service_t *svc);

#endif /* TML_SERVICE_INTERNAL_H */
