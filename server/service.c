/*
 * service.c - start and stop tmlaasd's parts in order (see tml/service.h).
 *
 * Start: data dir -> store (migrated) -> blobs -> admin bootstrap on an
 * empty store -> re-queue compilations a killed run left "running" ->
 * workers -> LwM2M thread (signing key, server, rollout engine) -> HTTP.
 * Stop runs it backwards: no new requests, the LwM2M thread stops between
 * two steps (rollouts resume from the store), workers finish
 * their current job, then the store closes (SQLite checkpoints its WAL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "http/auth.h"
#include "service_internal.h"

#ifndef TML_SOURCE_DIR
#define TML_SOURCE_DIR "."
#endif

static tml_status_t bootstrap_admin(tml_service_t *svc, tml_err_t *err)
{
    int64_t n = 0;
    tml_status_t st = tml_store_call(svc->store, tenant_count, &n, err);
    if (st != TML_OK || n > 0)
        return st;
    const char *given = svc->opts.admin_token;
    if (!given || !*given)
        given = getenv("TML_ADMIN_TOKEN");
    if (given && !*given)
        given = NULL;
    tml_id_t tenant = 0, token = 0;
    st = tml_store_call(svc->store, tenant_create, "admin", &tenant, err);
    if (st == TML_OK)
        st = tml_auth_create_token(svc, tenant, "admin", true, given, svc->new_admin_token, &token, err);
    if (st != TML_OK)
        return tml_err_wrap(err, "creating the admin token");
    svc->admin_token_generated = given == NULL;
    return TML_OK;
}

tml_status_t tml_service_start(const tml_service_opts_t *opts, tml_service_t **out, tml_err_t *err)
{
    *out = NULL;
    if (!opts || !opts->data_dir || !*opts->data_dir)
        return tml_err_set(err, TML_ERR_ARG, "tmlaasd: --data DIR is required");
    tml_service_t *svc = tml_calloc(1, sizeof(*svc));
    if (!svc)
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    svc->opts = *opts;
    if (!svc->opts.max_body_bytes)
        svc->opts.max_body_bytes = 1u << 20;
    if (!svc->opts.max_upload_bytes)
        svc->opts.max_upload_bytes = 64u << 20;
    if (svc->opts.n_workers <= 0)
        svc->opts.n_workers = 2;
    svc->data_dir = tml_strdup(opts->data_dir);
    svc->source_dir = tml_strdup(opts->source_dir ? opts->source_dir
                                 : getenv("TML_SOURCE_DIR") ? getenv("TML_SOURCE_DIR") : TML_SOURCE_DIR);
    tml_status_t st = svc->data_dir && svc->source_dir ? TML_OK
                                                       : tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    if (st == TML_OK && mkdir(svc->data_dir, 0700) != 0 && errno != EEXIST)
        st = tml_err_set(err, TML_ERR_IO, "mkdir %s: %s", svc->data_dir, strerror(errno));
    if (st == TML_OK) {
        char url[4200];
        if (opts->store_url)
            snprintf(url, sizeof(url), "%s", opts->store_url);
        else
            snprintf(url, sizeof(url), "sqlite:%s/tmlaasd.db", svc->data_dir);
        st = tml_store_open(url, &svc->store, err);
    }
    if (st == TML_OK)
        st = tml_blobs_open(&svc->blobs, svc->data_dir, err);
    if (st == TML_OK)
        st = bootstrap_admin(svc, err);
    int64_t requeued = 0;
    if (st == TML_OK)
        st = tml_store_call(svc->store, compilation_requeue, &requeued, err);
    if (st == TML_OK && requeued)
        TML_LOGI("tmlaasd", "re-queued %lld compilation%s left running", (long long)requeued,
                 requeued == 1 ? "" : "s");
    if (st == TML_OK)
        st = tml_jobs_start(&svc->jobs, svc, svc->opts.n_workers, err);
    if (st == TML_OK)
        st = tml_fleet_start(&svc->fleet, svc, err);
    if (st == TML_OK)
        st = tml_http_start(svc, err);
    if (st != TML_OK) {
        tml_service_stop(svc);
        return st;
    }
    *out = svc;
    return TML_OK;
}

int tml_service_http_port(const tml_service_t *svc)
{
    return svc->http_port;
}

int tml_service_lwm2m_port(const tml_service_t *svc)
{
    return svc->fleet.udp_port;
}

int tml_service_lwm2m_dtls_port(const tml_service_t *svc)
{
    return svc->fleet.dtls_port;
}

const char *tml_service_signing_key(const tml_service_t *svc)
{
    return svc->fleet.key_hex;
}

const char *tml_service_new_admin_token(const tml_service_t *svc)
{
    return svc->new_admin_token[0] ? svc->new_admin_token : NULL;
}

int tml_service_admin_token_generated(const tml_service_t *svc)
{
    return svc->admin_token_generated;
}

void tml_service_stop(tml_service_t *svc)
{
    if (!svc)
        return;
    tml_http_stop(svc);
    tml_fleet_stop(&svc->fleet);
    tml_jobs_stop(&svc->jobs);
    tml_blobs_close(&svc->blobs);
    tml_store_close(svc->store);
    tml_free(svc->data_dir);
    tml_free(svc->source_dir);
    memset(svc->new_admin_token, 0, sizeof(svc->new_admin_token));
    tml_free(svc);
}
