/*
 * rollout.c - the rollout engine: drives every running deployment, one
 * pass per tick of the LwM2M thread (see fleet.h).
 *
 * A deployment's devices are split into batches when it is created (batch
 * 0 is the canary share, then batch_size devices each). Per device:
 * pending -> compiling (one compilation per profile, through the compile
 * cache) -> ready (signed with the service key, served by hash from the
 * LwM2M server's package table) -> downloading (Package URI written to
 * /9/0/3) -> installing (/9/0/4) -> activating (/9/0/10) -> done; or
 * refused (does not fit, compile failed), failed (the device's result
 * code and reason), cancelled. A batch starts when the previous one has
 * no device left in flight; a failure share above the threshold pauses
 * the deployment.
 *
 * What a device does is never assumed: the engine reads /9/0 (state,
 * result, activation, package name) and acts on what it finds. That is
 * also how it resumes after a restart: the stage in the store says how far
 * the previous run got, the package is served again under the same hash
 * (Ed25519 signatures are deterministic), and /9/0 says what is left.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../api/api.h"
#include "tml/rt.h"

#define DOWNLOAD_TIMEOUT_MS 600000u
#define STEP_TIMEOUT_MS 60000u
#define POLL_MS 250u
#define MAX_URI_WRITES 5

enum { OP_NONE, OP_WRITE, OP_READ, OP_INSTALL, OP_ACTIVATE, OP_CANCEL };

struct fleet_target {
    fleet_target_t *next;
    tml_id_t id;
    int op;                      /* request outstanding */
    bool answered;               /* its answer is waiting to be handled */
    tml_status_t status;
    uint8_t code;
    bool wrote_uri, sent_install, sent_activate;
    uint64_t next_ms, deadline_ms;
    /* the last read of /9/0 */
    bool have_read;
    int64_t sw_state, sw_result;
    bool activated;
    char name[32], version[24], reason[160];
};

struct fleet_pkg {
    fleet_pkg_t *next;
    tml_id_t compilation_id;
    char uri_path[80];
    char sha256[65];
    int64_t size;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static bool terminal(const char *stage)
{
    return !strcmp(stage, "done") || !strcmp(stage, "failed") || !strcmp(stage, "refused") ||
           !strcmp(stage, "cancelled");
}

static bool in_flight(const char *stage)
{
    return !strcmp(stage, "downloading") || !strcmp(stage, "installing") || !strcmp(stage, "activating");
}

static fleet_target_t *rt_get(tml_fleet_t *f, tml_id_t id)
{
    for (fleet_target_t *t = f->targets; t; t = t->next)
        if (t->id == id)
            return t;
    fleet_target_t *t = tml_calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->id = id;
    t->next = f->targets;
    f->targets = t;
    return t;
}

/* Drops the state of targets that finished and wait for no answer. */
static void rt_drop(tml_fleet_t *f, tml_id_t id)
{
    for (fleet_target_t **p = &f->targets; *p; p = &(*p)->next) {
        if ((*p)->id == id) {
            if ((*p)->op != OP_NONE)
                return; /* its callback still holds the pointer */
            fleet_target_t *dead = *p;
            *p = dead->next;
            tml_free(dead);
            return;
        }
    }
}

void tml_rollout_free(tml_fleet_t *f)
{
    while (f->targets) {
        fleet_target_t *t = f->targets;
        f->targets = t->next;
        tml_free(t);
    }
    while (f->pkgs) {
        fleet_pkg_t *p = f->pkgs;
        f->pkgs = p->next;
        tml_free(p);
    }
}

/* ---- signed packages --------------------------------------------------------- */

/* The self-test digest goes in only for outputs that are bit-exact across
 * hosts (8-bit integers). */
static bool exact_outputs(const char *result_json)
{
    json_t *res = tml_api_parse_stored(result_json);
    json_t *outs = json_object_get(json_object_get(res, "report"), "outputs");
    bool exact = json_array_size(outs) > 0;
    size_t i;
    json_t *o;
    json_array_foreach(outs, i, o) {
        const char *dt = json_string_value(json_object_get(o, "dtype"));
        if (!dt || (strcmp(dt, "int8") && strcmp(dt, "uint8")))
            exact = false;
    }
    json_decref(res);
    return exact;
}

tml_status_t tml_rollout_package(tml_fleet_t *f, tml_id_t tenant, tml_id_t compilation_id,
                                 char *uri_path, size_t cap, char spkg_sha256[65], int64_t *size,
                                 tml_err_t *err)
{
    for (fleet_pkg_t *p = f->pkgs; p; p = p->next) {
        if (p->compilation_id == compilation_id) {
            snprintf(uri_path, cap, "%s", p->uri_path);
            memcpy(spkg_sha256, p->sha256, 65);
            *size = p->size;
            return TML_OK;
        }
    }
    tml_service_t *svc = f->svc;
    tml_compilation_rec_t c;
    tml_status_t st = tml_store_call(svc->store, compilation_get, tenant, compilation_id, &c, err);
    if (st != TML_OK)
        return st;
    uint8_t *pkg = NULL, *spkg = NULL, *arena = NULL;
    size_t pkg_len = 0, spkg_len = 0;
    uint8_t digest[32];
    const uint8_t *selftest = NULL;
    if (!c.pkg_sha256[0])
        st = tml_err_set(err, TML_ERR_STATE, "compilation %lld has no package", (long long)compilation_id);
    if (st == TML_OK)
        st = tml_blobs_get(&svc->blobs, c.pkg_sha256, &pkg, &pkg_len, err);
    if (st == TML_OK && exact_outputs(c.result_json)) {
        uint32_t arena_len = tml_rt_arena_len(pkg, pkg_len);
        arena = tml_malloc(arena_len ? arena_len : 16);
        if (!arena)
            st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
        else if ((st = tml_spkg_selftest(pkg, pkg_len, arena, arena_len, digest, err)) == TML_OK)
            selftest = digest;
        else
            tml_err_wrap(err, "self-test of %s@%s on the service", c.model_name, c.version);
    }
    if (st == TML_OK)
        st = tml_spkg_sign(pkg, pkg_len, c.model_name, c.version, selftest, f->sk, &spkg, &spkg_len, err);
    fleet_pkg_t *p = NULL;
    if (st == TML_OK && !(p = tml_calloc(1, sizeof(*p))))
        st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    if (st == TML_OK)
        st = tml_lwm2m_server_add_package(f->srv, spkg, spkg_len, p->uri_path, sizeof(p->uri_path), err);
    if (st == TML_OK) {
        p->compilation_id = compilation_id;
        tml_sha256_hex(spkg, spkg_len, p->sha256);
        p->size = (int64_t)spkg_len;
        p->next = f->pkgs;
        f->pkgs = p;
        snprintf(uri_path, cap, "%s", p->uri_path);
        memcpy(spkg_sha256, p->sha256, 65);
        *size = p->size;
        TML_LOGI("rollout", "serving %s@%s for %s (%zu bytes signed) at %s", c.model_name, c.version, c.target,
                 spkg_len, p->uri_path);
    } else {
        tml_free(p);
    }
    tml_free(pkg);
    tml_free(spkg);
    tml_free(arena);
    tml_compilation_rec_free(&c);
    return st;
}

/* ---- device requests ----------------------------------------------------------- */

static void on_answer(void *arg, const tml_lwm2m_response_t *rsp)
{
    fleet_target_t *t = arg;
    t->status = rsp->status;
    t->code = rsp->code;
    if (t->op == OP_READ && rsp->status == TML_OK && rsp->records) {
        const tml_lwm2m_records_t *r = rsp->records;
        t->have_read = true;
        t->name[0] = t->version[0] = t->reason[0] = '\0';
        t->activated = false;
        for (size_t i = 0; i < r->n; i++) {
            const tml_lwm2m_record_t *rec = &r->recs[i];
            if (rec->path.len < 3)
                continue;
            switch (rec->path.id[2]) {
            case 0: tml_lwm2m_value_str(&rec->v, t->name, sizeof(t->name)); break;
            case 1: tml_lwm2m_value_str(&rec->v, t->version, sizeof(t->version)); break;
            case 7: tml_lwm2m_value_int(&rec->v, &t->sw_state); break;
            case 9: tml_lwm2m_value_int(&rec->v, &t->sw_result); break;
            case 12: tml_lwm2m_value_bool(&rec->v, &t->activated); break;
            case 16: tml_lwm2m_value_str(&rec->v, t->reason, sizeof(t->reason)); break;
            default: break;
            }
        }
    }
    t->answered = true;
}

static void on_ignored(void *arg, const tml_lwm2m_response_t *rsp)
{
    (void)arg;
    (void)rsp;
}

static tml_status_t write_uri(tml_fleet_t *f, fleet_target_t *rt, const char *endpoint, const char *uri,
                              tml_err_t *err)
{
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_lwm2m_path_t p = tml_lwm2m_path_make(3, TML_LWM2M_OBJ_SOFTWARE, 0, 3, 0);
    tml_status_t st = tml_lwm2m_records_add_str(&r, &p, uri);
    if (st == TML_OK)
        st = tml_lwm2m_server_write(f->srv, endpoint, "/9/0/3", TML_LWM2M_CF_TEXT, &r, true,
                                    rt ? on_answer : on_ignored, rt, err);
    tml_lwm2m_records_free(&r);
    if (st == TML_OK && rt)
        rt->op = OP_WRITE;
    return st;
}

/* ---- one deployment -------------------------------------------------------------- */

typedef struct {
    tml_rollout_target_rec_t *v;
    int n, cap;
} targets_t;

static bool collect_target(void *ctx, const tml_rollout_target_rec_t *t)
{
    targets_t *ts = ctx;
    if (ts->n == ts->cap) {
        int cap = ts->cap ? ts->cap * 2 : 16;
        void *nv = tml_realloc(ts->v, (size_t)cap * sizeof(*ts->v));
        if (!nv)
            return false;
        ts->v = nv;
        ts->cap = cap;
    }
    ts->v[ts->n++] = *t;
    return true;
}

static void set_stage(tml_rollout_target_rec_t *t, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_stage(tml_rollout_target_rec_t *t, const char *stage, const char *fmt, ...)
{
    snprintf(t->stage, sizeof(t->stage), "%s", stage);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(t->error, sizeof(t->error), fmt, ap);
        va_end(ap);
    }
    if (terminal(stage))
        t->finished_at = now_s();
}

/* pending: find or queue this profile's compilation. */
static void start_compile(tml_fleet_t *f, const tml_deployment_rec_t *d, const tml_version_rec_t *v,
                          tml_rollout_target_rec_t *t, tml_err_t *err)
{
    tml_compilation_rec_t c;
    memset(&c, 0, sizeof(c));
    tml_jobs_cache_key(v->sha256, t->profile, "{}", c.cache_key);
    tml_status_t st = tml_store_call(f->svc->store, compilation_find, d->tenant_id, v->id, c.cache_key, &c, err);
    if (st == TML_OK) {
        t->compilation_id = c.id;
        tml_compilation_rec_free(&c);
    } else if (st == TML_ERR_NOT_FOUND) {
        tml_err_clear(err);
        c.tenant_id = d->tenant_id;
        c.version_id = v->id;
        snprintf(c.target, sizeof(c.target), "%s", t->profile);
        c.options_json = (char *)"{}";
        tml_id_t id = 0;
        if (tml_store_call(f->svc->store, compilation_create, &c, &id, err) != TML_OK) {
            set_stage(t, "refused", "queueing the compilation: %s", tml_err_message(err));
            return;
        }
        tml_jobs_notify(&f->svc->jobs);
        t->compilation_id = id;
    } else {
        return; /* store trouble: try again next tick */
    }
    set_stage(t, "compiling", "%s", "");
}

/* compiling: wait for the compilation, check the fit, sign. */
static void check_compile(tml_fleet_t *f, const tml_deployment_rec_t *d, tml_rollout_target_rec_t *t,
                          tml_err_t *err)
{
    tml_compilation_rec_t c;
    if (tml_store_call(f->svc->store, compilation_get, d->tenant_id, t->compilation_id, &c, err) != TML_OK) {
        set_stage(t, "refused", "compilation %lld: %s", (long long)t->compilation_id, tml_err_message(err));
        return;
    }
    if (c.state == TML_JOB_FAILED) {
        set_stage(t, "refused", "compilation for %s failed: %s", t->profile, c.error);
    } else if (c.state == TML_JOB_DONE) {
        json_t *res = tml_api_parse_stored(c.result_json);
        json_t *fit = json_object_get(res, "fit");
        if (!json_is_true(json_object_get(fit, "fits"))) {
            const char *why = json_string_value(json_object_get(fit, "reason"));
            set_stage(t, "refused", "does not fit %s: %s", t->profile, why ? why : "over budget");
        } else {
            char path[80];
            tml_status_t st = tml_rollout_package(f, d->tenant_id, c.id, path, sizeof(path), t->spkg_sha256,
                                                  &t->spkg_size, err);
            if (st == TML_OK)
                set_stage(t, "ready", "%s", "");
            else
                set_stage(t, "refused", "signing the package: %s", tml_err_message(err));
        }
        json_decref(res);
    }
    tml_compilation_rec_free(&c);
}

/* ready, in its batch and online: serve and write the Package URI. */
static void start_download(tml_fleet_t *f, const tml_deployment_rec_t *d, tml_rollout_target_rec_t *t,
                           fleet_target_t *rt, tml_err_t *err)
{
    const tml_lwm2m_device_t *dev = tml_lwm2m_server_device(f->srv, t->endpoint);
    if (!dev || rt->op != OP_NONE)
        return;
    char path[80], uri[200];
    if (tml_rollout_package(f, d->tenant_id, t->compilation_id, path, sizeof(path), t->spkg_sha256,
                            &t->spkg_size, err) != TML_OK) {
        set_stage(t, "failed", "serving the package: %s", tml_err_message(err));
        return;
    }
    const char *host = f->svc->opts.lwm2m_host ? f->svc->opts.lwm2m_host : "127.0.0.1";
    if (dev->secure && f->dtls_port)
        snprintf(uri, sizeof(uri), "coaps://%s:%u%s", host, f->dtls_port, path);
    else
        snprintf(uri, sizeof(uri), "coap://%s:%u%s", host, f->udp_port, path);
    if (write_uri(f, rt, t->endpoint, uri, err) != TML_OK)
        return;
    rt->wrote_uri = true;
    rt->sent_install = rt->sent_activate = false;
    rt->deadline_ms = mono_ms() + DOWNLOAD_TIMEOUT_MS;
    t->attempts++;
    if (!t->started_at)
        t->started_at = now_s();
    set_stage(t, "downloading", "%s", "");
}

static void send_exec(tml_fleet_t *f, tml_rollout_target_rec_t *t, fleet_target_t *rt, int op)
{
    tml_err_t err;
    tml_err_clear(&err);
    const char *path = op == OP_INSTALL ? "/9/0/4" : "/9/0/10";
    if (tml_lwm2m_server_execute(f->srv, t->endpoint, path, NULL, on_answer, rt, &err) == TML_OK) {
        rt->op = op;
        if (op == OP_INSTALL) {
            rt->sent_install = true;
            set_stage(t, "installing", "%s", "");
        } else {
            rt->sent_activate = true;
            set_stage(t, "activating", "%s", "");
        }
        rt->deadline_ms = mono_ms() + STEP_TIMEOUT_MS;
    }
}

/* Whether the device's Object 9 names this deployment's package. */
static bool ours(const fleet_target_t *rt, const tml_deployment_rec_t *d)
{
    /* The envelope keeps 31 and 23 bytes of them. */
    return !strncmp(rt->name, d->model_name, sizeof(rt->name) - 1) &&
           !strncmp(rt->version, d->version, sizeof(rt->version) - 1);
}

/* downloading, installing, activating: act on the device's /9/0. */
static void drive(tml_fleet_t *f, const tml_deployment_rec_t *d, tml_rollout_target_rec_t *t,
                  fleet_target_t *rt, tml_err_t *err)
{
    uint64_t now = mono_ms();
    if (rt->op != OP_NONE && !rt->answered)
        return;
    if (!rt->deadline_ms) /* first pass of this run (e.g. after a restart) */
        rt->deadline_ms = now + (!strcmp(t->stage, "downloading") ? DOWNLOAD_TIMEOUT_MS : STEP_TIMEOUT_MS);
    if (rt->answered) {
        int op = rt->op;
        rt->answered = false;
        rt->op = OP_NONE;
        if (rt->status != TML_OK && rt->status != TML_ERR_NOT_FOUND && rt->status != TML_ERR_TIMEOUT &&
            op != OP_READ) {
            set_stage(t, "failed", "%s answered %u.%02u",
                      op == OP_WRITE ? "Package URI write" : op == OP_INSTALL ? "Install" : "Activate",
                      rt->code >> 5, rt->code & 31);
            return;
        }
        if (rt->status != TML_OK) {
            /* gone or silent: try again when it is back */
            if (op == OP_WRITE)
                rt->wrote_uri = false;
            if (op == OP_INSTALL)
                rt->sent_install = false;
            if (op == OP_ACTIVATE)
                rt->sent_activate = false;
            rt->next_ms = now + 1000;
        } else if (op == OP_READ) {
            int64_t state = rt->sw_state, result = rt->sw_result;
            if (rt->activated && ours(rt, d) && state == TML_SW_STATE_INSTALLED) {
                set_stage(t, "done", "%s", "");
                if (tml_store_call(f->svc->store, device_set_installed, t->endpoint, d->version_id, err) != TML_OK)
                    TML_LOGW("rollout", "%s: %s", t->endpoint, tml_err_message(err));
                return;
            }
            if (result >= 50 && result != TML_SW_RESULT_CONN_LOST) {
                set_stage(t, "failed", "device result %lld%s%s", (long long)result, rt->reason[0] ? ": " : "",
                          rt->reason);
                return;
            }
            if (!strcmp(t->stage, "downloading")) {
                if (state == TML_SW_STATE_DELIVERED) {
                    send_exec(f, t, rt, OP_INSTALL);
                    return;
                }
                bool idle = state == TML_SW_STATE_INITIAL || state == TML_SW_STATE_INSTALLED;
                if (result == TML_SW_RESULT_CONN_LOST || (idle && !rt->wrote_uri)) {
                    if (t->attempts >= MAX_URI_WRITES) {
                        set_stage(t, "failed", "download failed %d times (device result %lld)", t->attempts,
                                  (long long)result);
                        return;
                    }
                    start_download(f, d, t, rt, err); /* resumes where the device stopped */
                    return;
                }
            } else if (!strcmp(t->stage, "installing")) {
                if (state == TML_SW_STATE_INSTALLED) {
                    send_exec(f, t, rt, OP_ACTIVATE);
                    return;
                }
                if (state == TML_SW_STATE_DELIVERED && !rt->sent_install) {
                    send_exec(f, t, rt, OP_INSTALL);
                    return;
                }
            } else if (!strcmp(t->stage, "activating")) {
                if (state == TML_SW_STATE_INSTALLED && !rt->sent_activate) {
                    send_exec(f, t, rt, OP_ACTIVATE);
                    return;
                }
                if (state == TML_SW_STATE_DELIVERED && !rt->sent_install) {
                    send_exec(f, t, rt, OP_INSTALL);
                    return;
                }
            }
            rt->next_ms = now + POLL_MS;
        } else {
            rt->next_ms = now; /* read what the write or execute did */
        }
    }
    if (now > rt->deadline_ms) {
        set_stage(t, "failed", "timed out while %s", t->stage);
        return;
    }
    if (now < rt->next_ms || !tml_lwm2m_server_device(f->srv, t->endpoint))
        return;
    /* Serve the package again before anything: after a restart the device
     * may still be fetching blocks of it. */
    char path[80];
    if (!strcmp(t->stage, "downloading") &&
        tml_rollout_package(f, d->tenant_id, t->compilation_id, path, sizeof(path), t->spkg_sha256,
                            &t->spkg_size, err) != TML_OK) {
        set_stage(t, "failed", "serving the package: %s", tml_err_message(err));
        return;
    }
    if (tml_lwm2m_server_read(f->srv, t->endpoint, "/9/0", TML_LWM2M_CF_ANY, on_answer, rt, err) == TML_OK)
        rt->op = OP_READ;
    else
        rt->next_ms = now + 1000;
}

static void run_deployment(tml_fleet_t *f, tml_deployment_rec_t *d)
{
    tml_service_t *svc = f->svc;
    tml_err_t err;
    tml_err_clear(&err);
    targets_t ts = {NULL, 0, 0};
    if (tml_store_call(svc->store, rollout_targets, d->id, collect_target, &ts, &err) != TML_OK) {
        TML_LOGW("rollout", "deployment %lld: %s", (long long)d->id, tml_err_message(&err));
        tml_free(ts.v);
        return;
    }
    tml_version_rec_t v;
    memset(&v, 0, sizeof(v));
    bool have_v = tml_store_call(svc->store, version_get, d->tenant_id, d->model_name, d->version, &v, &err) ==
                  TML_OK;
    bool cancelling = !strcmp(d->state, "cancelling");
    bool running = !strcmp(d->state, "running");
    int new_failures = 0, max_batch = 0;
    for (int i = 0; i < ts.n; i++) {
        tml_rollout_target_rec_t *t = &ts.v[i];
        if (t->batch > max_batch)
            max_batch = t->batch;
        if (terminal(t->stage))
            continue;
        tml_rollout_target_rec_t before = *t;
        fleet_target_t *rt = rt_get(f, t->id);
        if (!rt)
            continue;
        tml_err_clear(&err);
        if (cancelling) {
            if (!strcmp(t->stage, "downloading") && tml_lwm2m_server_device(f->srv, t->endpoint))
                write_uri(f, NULL, t->endpoint, "", &err); /* an empty URI cancels the download */
            set_stage(t, "cancelled", "%s", d->reason);
        } else if (!strcmp(t->stage, "pending")) {
            if (have_v)
                start_compile(f, d, &v, t, &err);
        } else if (!strcmp(t->stage, "compiling")) {
            check_compile(f, d, t, &err);
        } else if (!strcmp(t->stage, "ready")) {
            if (running && t->batch <= d->current_batch)
                start_download(f, d, t, rt, &err);
        } else if (in_flight(t->stage)) {
            drive(f, d, t, rt, &err);
        }
        if (memcmp(&before, t, sizeof(*t)) != 0) {
            if (!strcmp(t->stage, "failed"))
                new_failures++;
            if (strcmp(before.stage, t->stage))
                TML_LOGI("rollout", "deployment %lld: %s %s -> %s%s%s", (long long)d->id, t->endpoint,
                         before.stage, t->stage, t->error[0] ? ": " : "", t->error);
            tml_err_clear(&err);
            if (tml_store_call(svc->store, rollout_target_update, t, &err) != TML_OK)
                TML_LOGW("rollout", "%s: %s", t->endpoint, tml_err_message(&err));
        }
        if (terminal(t->stage))
            rt_drop(f, t->id);
    }
    tml_version_rec_free(&v);

    int n_done = 0, n_failed = 0;
    bool batch_open = false;
    for (int i = 0; i < ts.n; i++) {
        n_done += !strcmp(ts.v[i].stage, "done");
        n_failed += !strcmp(ts.v[i].stage, "failed");
        if (ts.v[i].batch <= d->current_batch && !terminal(ts.v[i].stage))
            batch_open = true;
    }
    tml_err_clear(&err);
    tml_status_t st = TML_OK;
    if (cancelling) {
        st = tml_store_call(svc->store, deployment_update, 0, d->id, "cancelling", "cancelled", NULL, -1, &err);
    } else if (running && new_failures && (double)n_failed > d->failure_threshold * (double)(n_done + n_failed)) {
        char why[256];
        snprintf(why, sizeof(why), "failure threshold: %d of %d finished devices failed (threshold %.0f%%)",
                 n_failed, n_done + n_failed, d->failure_threshold * 100.0);
        TML_LOGW("rollout", "deployment %lld paused: %s", (long long)d->id, why);
        st = tml_store_call(svc->store, deployment_update, 0, d->id, "running", "paused", why, -1, &err);
    } else if (running && !batch_open) {
        if (d->current_batch < max_batch)
            st = tml_store_call(svc->store, deployment_update, 0, d->id, "running", NULL, NULL,
                                d->current_batch + 1, &err);
        else
            st = tml_store_call(svc->store, deployment_update, 0, d->id, "running", "done", "", -1, &err);
    }
    if (st != TML_OK && st != TML_ERR_STATE)
        TML_LOGW("rollout", "deployment %lld: %s", (long long)d->id, tml_err_message(&err));
    tml_free(ts.v);
}

typedef struct {
    tml_deployment_rec_t *v;
    int n, cap;
} deps_t;

static bool collect_dep(void *ctx, const tml_deployment_rec_t *d)
{
    deps_t *ds = ctx;
    if (ds->n == ds->cap) {
        int cap = ds->cap ? ds->cap * 2 : 8;
        void *nv = tml_realloc(ds->v, (size_t)cap * sizeof(*ds->v));
        if (!nv)
            return false;
        ds->v = nv;
        ds->cap = cap;
    }
    ds->v[ds->n++] = *d;
    return true;
}

void tml_rollout_tick(tml_fleet_t *f)
{
    static const char *const states[] = {"cancelling", "running", "paused"};
    for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
        deps_t ds = {NULL, 0, 0};
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_store_call(f->svc->store, deployment_list, 0, states[s], collect_dep, &ds, &err) != TML_OK)
            TML_LOGW("rollout", "listing deployments: %s", tml_err_message(&err));
        for (int i = 0; i < ds.n; i++)
            run_deployment(f, &ds.v[i]);
        tml_free(ds.v);
    }
}
