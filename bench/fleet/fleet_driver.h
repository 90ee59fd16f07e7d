/*
 * fleet_driver.h - a minimal rollout driver on the LwM2M server library,
 * for the fleet benchmark and tml-sim's tests: for each device, write the
 * package URI to /9/0/3, poll /9/0 until DELIVERED, execute Install and
 * Activate, and count it done when /9/0/12 (Activated) is true. A download
 * cut by loss (result 52) is resumed by writing the URI again; other
 * failures (no storage, self-test) mark the device refused. Requests that
 * time out are retried. This is what a rollout engine does per device,
 * without the staging; tmlaasd's deployments are the real one.
 *
 * Header-only (static functions) so the bench and the tests share it.
 */
#ifndef TML_FLEET_DRIVER_H
#define TML_FLEET_DRIVER_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tml/lwm2m.h"
#include "tml/lwm2m_server.h"

enum fdrv_state { FDRV_WRITE, FDRV_BUSY, FDRV_POLL, FDRV_DONE, FDRV_REFUSED };

typedef struct fdrv_dev {
    struct fdrv *drv;
    char ep[64];
    enum fdrv_state state;
    uint64_t next_ms;
    uint64_t t_done_ms;
    unsigned n_rewrites;   /* URI written again to resume */
    int last_result;
} fdrv_dev_t;

typedef struct fdrv {
    tml_lwm2m_server_t *srv;
    char uri[256];
    fdrv_dev_t *devs;
    size_t n, n_done, n_refused;
    uint32_t poll_ms;
    uint64_t t0_ms;
    unsigned n_requests, n_failed_requests;
} fdrv_t;

static inline uint64_t fdrv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Sets up a rollout of uri to the endpoints (copied; n of them). */
static inline tml_status_t fdrv_init(fdrv_t *d, tml_lwm2m_server_t *srv, const char *uri,
                                     const char *const *eps, size_t n)
{
    memset(d, 0, sizeof(*d));
    d->srv = srv;
    snprintf(d->uri, sizeof(d->uri), "%s", uri);
    d->devs = tml_calloc(n ? n : 1, sizeof(*d->devs));
    if (!d->devs)
        return TML_ERR_NOMEM;
    d->n = n;
    d->poll_ms = 500;
    d->t0_ms = fdrv_now_ms();
    for (size_t i = 0; i < n; i++) {
        d->devs[i].drv = d;
        snprintf(d->devs[i].ep, sizeof(d->devs[i].ep), "%s", eps[i]);
    }
    return TML_OK;
}

static inline void fdrv_free(fdrv_t *d)
{
    tml_free(d->devs);
    d->devs = NULL;
}

static inline void fdrv_later(fdrv_dev_t *v, enum fdrv_state s, uint32_t ms)
{
    v->state = s;
    v->next_ms = fdrv_now_ms() + ms;
}

static inline void fdrv_finish(fdrv_dev_t *v, bool ok)
{
    v->state = ok ? FDRV_DONE : FDRV_REFUSED;
    v->t_done_ms = fdrv_now_ms();
    if (ok)
        v->drv->n_done++;
    else
        v->drv->n_refused++;
}

static inline void fdrv_on_written(void *arg, const tml_lwm2m_response_t *rsp)
{
    fdrv_dev_t *v = arg;
    if (rsp->status != TML_OK) {
        v->drv->n_failed_requests++;
        fdrv_later(v, FDRV_WRITE, 1000);
        return;
    }
    fdrv_later(v, FDRV_POLL, v->drv->poll_ms);
}

static inline void fdrv_on_exec(void *arg, const tml_lwm2m_response_t *rsp)
{
    fdrv_dev_t *v = arg;
    if (rsp->status != TML_OK)
        v->drv->n_failed_requests++;
    fdrv_later(v, FDRV_POLL, 0); /* the read decides what is next */
}

static inline int64_t fdrv_int(const tml_lwm2m_records_t *r, uint16_t res, int64_t dflt)
{
    for (size_t i = 0; r && i < r->n; i++) {
        const tml_lwm2m_record_t *x = &r->recs[i];
        if (x->path.len >= 3 && x->path.id[2] == res) {
            if (x->v.type == TML_LWM2M_T_BOOL)
                return x->v.u.b;
            int64_t v;
            if (tml_lwm2m_value_int(&x->v, &v) == TML_OK)
                return v;
        }
    }
    return dflt;
}

static inline void fdrv_send(fdrv_dev_t *v, const char *path, bool exec);

static inline void fdrv_on_read(void *arg, const tml_lwm2m_response_t *rsp)
{
    fdrv_dev_t *v = arg;
    if (rsp->status != TML_OK || !rsp->records) {
        v->drv->n_failed_requests++;
        fdrv_later(v, FDRV_POLL, 1000);
        return;
    }
    int64_t state = fdrv_int(rsp->records, 7, -1), result = fdrv_int(rsp->records, 9, -1);
    int64_t activated = fdrv_int(rsp->records, 12, 0);
    v->last_result = (int)result;
    if (state == TML_SW_STATE_INSTALLED && activated && result == TML_SW_RESULT_INSTALLED) {
        fdrv_finish(v, true);
    } else if (state == TML_SW_STATE_DELIVERED) {
        fdrv_send(v, "/9/0/4", true);
    } else if (state == TML_SW_STATE_INSTALLED && !activated) {
        fdrv_send(v, "/9/0/10", true);
    } else if (result == TML_SW_RESULT_CONN_LOST) {
        v->n_rewrites++;
        fdrv_later(v, FDRV_WRITE, 0);
    } else if (result >= 50) {
        fdrv_finish(v, false);
    } else {
        fdrv_later(v, FDRV_POLL, v->drv->poll_ms);
    }
}

static inline void fdrv_send(fdrv_dev_t *v, const char *path, bool exec)
{
    fdrv_t *d = v->drv;
    tml_status_t st;
    v->state = FDRV_BUSY;
    d->n_requests++;
    if (exec) {
        st = tml_lwm2m_server_execute(d->srv, v->ep, path, NULL, fdrv_on_exec, v, NULL);
    } else if (!strcmp(path, "/9/0")) {
        st = tml_lwm2m_server_read(d->srv, v->ep, path, TML_LWM2M_CF_TLV, fdrv_on_read, v, NULL);
    } else {
        tml_lwm2m_records_t r;
        tml_lwm2m_records_init(&r);
        tml_lwm2m_path_t p = tml_lwm2m_path_make(3, 9, 0, 3, 0);
        st = tml_lwm2m_records_add_str(&r, &p, d->uri);
        if (st == TML_OK)
            st = tml_lwm2m_server_write(d->srv, v->ep, path, TML_LWM2M_CF_TEXT, &r, true,
                                        fdrv_on_written, v, NULL);
        tml_lwm2m_records_free(&r);
    }
    if (st != TML_OK) /* not registered (yet, or again): later */
        fdrv_later(v, exec ? FDRV_POLL : FDRV_WRITE, 1000);
}

/* Starts what is due; call after each server step. Returns true when every
 * device is done or refused. */
static inline bool fdrv_step(fdrv_t *d)
{
    uint64_t now = fdrv_now_ms();
    for (size_t i = 0; i < d->n; i++) {
        fdrv_dev_t *v = &d->devs[i];
        if (v->state == FDRV_BUSY || v->state >= FDRV_DONE || now < v->next_ms)
            continue;
        fdrv_send(v, v->state == FDRV_WRITE ? "/9/0/3" : "/9/0", false);
    }
    return d->n_done + d->n_refused == d->n;
}

#endif
