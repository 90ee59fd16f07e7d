/*
 * deployments.c - POST/GET deployments, GET deployments/ID,
 * POST deployments/ID/{pause,resume,cancel}, GET signing-key.
 *
 * POST {"model", "version", "selector": {"endpoints" | "tag" | "profile" |
 * "all"}, "strategy": {"canary_share", "batch_size", "failure_threshold"}}
 * resolves the selector to a fixed list of this tenant's devices, plans
 * each one (fits or refused with the reason, artifact, bytes, CoAP blocks,
 * transfer time on its link) and, unless ?dry_run=1, stores the deployment
 * with its batches. The LwM2M thread's rollout engine does the rest; the
 * handlers here only change rows (pause, resume, cancel), so a deployment
 * is driven by the store and survives a restart.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"

#define MAX_TARGETS 100000

static tml_status_t parse_id(const char *s, tml_id_t *id, tml_err_t *err)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return tml_err_set(err, TML_ERR_ARG, "deployment id '%s' is not a positive integer", s);
    *id = v;
    return TML_OK;
}

void tml_api_signing_key(tml_http_req_t *req, tml_http_resp_t *resp)
{
    const tml_fleet_t *f = &req->svc->fleet;
    char key_id[17];
    tml_hex_encode(f->pk, 8, key_id);
    tml_http_json(resp, 200, json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "ed25519", "public_key", f->key_hex,
                                       "key_id", key_id, "usage", "tml-agent --trust-key PUBLIC_KEY"));
}

/* ---- the device list a selector names ---------------------------------------- */

typedef struct {
    tml_device_rec_t *v;
    int n, cap;
    bool oom;
} devs_t;

static bool collect_dev(void *ctx, const tml_device_rec_t *d)
{
    devs_t *ds = ctx;
    if (ds->n == MAX_TARGETS)
        return false;
    if (ds->n == ds->cap) {
        int cap = ds->cap ? ds->cap * 2 : 16;
        void *nv = tml_realloc(ds->v, (size_t)cap * sizeof(*ds->v));
        if (!nv) {
            ds->oom = true;
            return false;
        }
        ds->v = nv;
        ds->cap = cap;
    }
    tml_device_rec_t *c = &ds->v[ds->n];
    *c = *d;
    c->tags_json = tml_strdup(d->tags_json);
    c->capabilities_json = tml_strdup(d->capabilities_json);
    if (!c->tags_json || !c->capabilities_json) {
        tml_device_rec_free(c);
        ds->oom = true;
        return false;
    }
    ds->n++;
    return true;
}

static void devs_free(devs_t *ds)
{
    for (int i = 0; i < ds->n; i++)
        tml_device_rec_free(&ds->v[i]);
    tml_free(ds->v);
}

static tml_status_t resolve(tml_http_req_t *req, json_t *sel, devs_t *ds, tml_err_t *err)
{
    static const tml_field_t fields[] = {
        {"endpoints", TML_FIELD_STRINGS, false},
        {"tag", TML_FIELD_STRING, false},
        {"profile", TML_FIELD_STRING, false},
        {"all", TML_FIELD_BOOL, false},
    };
    tml_status_t st = tml_json_check(sel, "selector", fields, 4, err);
    if (st != TML_OK)
        return st;
    json_t *eps = json_object_get(sel, "endpoints");
    tml_device_filter_t f = {json_string_value(json_object_get(sel, "tag")),
                             json_string_value(json_object_get(sel, "profile")), NULL};
    if (!eps && !f.tag && !f.profile && !json_is_true(json_object_get(sel, "all")))
        return tml_err_set(err, TML_ERR_ARG,
                           "selector: give 'endpoints', 'tag', 'profile' or \"all\": true");
    devs_t all = {NULL, 0, 0, false};
    st = tml_store_call(req->svc->store, device_list, req->token.tenant_id, &f, collect_dev, &all, err);
    if (st == TML_OK && all.oom)
        st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    if (st != TML_OK) {
        devs_free(&all);
        return st;
    }
    if (!eps) {
        *ds = all;
        return TML_OK;
    }
    /* Every named endpoint must be one of this tenant's (matching the
     * other filters too). */
    size_t i;
    json_t *e;
    json_array_foreach(eps, i, e) {
        const char *ep = json_string_value(e);
        int k = 0;
        while (k < all.n && strcmp(all.v[k].endpoint, ep))
            k++;
        if (k == all.n) {
            devs_free(&all);
            devs_free(ds);
            return tml_err_set(err, TML_ERR_ARG, "selector: no device '%s'%s", ep,
                               f.tag || f.profile ? " matching the tag and profile" : "");
        }
        bool dup = false;
        for (int j = 0; j < ds->n; j++)
            dup |= !strcmp(ds->v[j].endpoint, ep);
        if (!dup && !collect_dev(ds, &all.v[k])) {
            devs_free(&all);
            return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
        }
    }
    devs_free(&all);
    return TML_OK;
}

/* ---- JSON of a deployment ------------------------------------------------------ */

static json_t *target_json(const tml_rollout_target_rec_t *t)
{
    json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:o, s:i, s:o, s:o}", "endpoint", t->endpoint, "profile",
                          t->profile, "batch", t->batch, "stage", t->stage, "error",
                          t->error[0] ? json_string(t->error) : json_null(), "attempts", t->attempts,
                          "started_at", tml_json_time(t->started_at), "finished_at", tml_json_time(t->finished_at));
    json_object_set_new(j, "compilation_id", t->compilation_id ? json_integer(t->compilation_id) : json_null());
    json_object_set_new(j, "package", t->spkg_sha256[0] ? json_pack("{s:s, s:I}", "sha256", t->spkg_sha256,
                                                                    "bytes", (json_int_t)t->spkg_size)
                                                        : json_null());
    return j;
}

typedef struct {
    json_t *devices, *counts;
    int n, n_done, n_refused, n_terminal, n_batches;
} dep_acc_t;

static bool add_target(void *ctx, const tml_rollout_target_rec_t *t)
{
    dep_acc_t *a = ctx;
    if (a->devices)
        json_array_append_new(a->devices, target_json(t));
    json_t *c = json_object_get(a->counts, t->stage);
    json_object_set_new(a->counts, t->stage, json_integer(c ? json_integer_value(c) + 1 : 1));
    a->n++;
    a->n_done += !strcmp(t->stage, "done");
    a->n_refused += !strcmp(t->stage, "refused");
    a->n_terminal += !strcmp(t->stage, "done") || !strcmp(t->stage, "failed") ||
                     !strcmp(t->stage, "refused") || !strcmp(t->stage, "cancelled");
    if (t->batch + 1 > a->n_batches)
        a->n_batches = t->batch + 1;
    return true;
}

static json_t *deployment_json(tml_service_t *svc, const tml_deployment_rec_t *d, bool with_devices)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:o, s:{s:f, s:i, s:f}, s:i, s:o, s:o}", "id",
                          (json_int_t)d->id, "model", d->model_name, "version", d->version, "state", d->state,
                          "reason", d->reason[0] ? json_string(d->reason) : json_null(), "strategy",
                          "canary_share", d->canary_share, "batch_size", d->batch_size, "failure_threshold",
                          d->failure_threshold, "current_batch", d->current_batch, "created_at",
                          tml_json_time(d->created_at), "updated_at", tml_json_time(d->updated_at));
    if (!j)
        return NULL;
    json_object_set_new(j, "selector", tml_api_parse_stored(d->selector_json));
    dep_acc_t a = {with_devices ? json_array() : NULL, json_object(), 0, 0, 0, 0, 0};
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_store_call(svc->store, rollout_targets, d->id, add_target, &a, &err) != TML_OK)
        json_object_set_new(j, "error", json_string(tml_err_message(&err)));
    int eligible = a.n - a.n_refused;
    json_object_set_new(j, "batches", json_integer(a.n_batches));
    json_object_set_new(j, "progress", json_pack("{s:i, s:i, s:i, s:i, s:f}", "devices", a.n, "eligible", eligible,
                                                 "done", a.n_done, "finished", a.n_terminal, "percent",
                                                 eligible ? floor(1000.0 * a.n_done / eligible) / 10.0 : 100.0));
    json_object_set_new(j, "stages", a.counts);
    if (a.devices)
        json_object_set_new(j, "devices", a.devices);
    return j;
}

/* ---- POST deployments ---------------------------------------------------------- */

static int cmp_endpoint(const void *a, const void *b)
{
    return strcmp(((const tml_device_rec_t *)a)->endpoint, ((const tml_device_rec_t *)b)->endpoint);
}

void tml_api_deployments_create(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"model", TML_FIELD_STRING, true},
        {"version", TML_FIELD_STRING, true},
        {"selector", TML_FIELD_OBJECT, true},
        {"strategy", TML_FIELD_OBJECT, false},
    };
    static const tml_field_t strategy_fields[] = {
        {"canary_share", TML_FIELD_NUMBER, false},
        {"batch_size", TML_FIELD_INT, false},
        {"failure_threshold", TML_FIELD_NUMBER, false},
    };
    tml_service_t *svc = req->svc;
    tml_err_t err;
    tml_err_clear(&err);
    const char *dry = tml_http_query(req, "dry_run");
    bool dry_run = dry && (!strcmp(dry, "1") || !strcmp(dry, "true"));
    json_t *body = NULL, *plans = NULL;
    tml_version_rec_t v;
    memset(&v, 0, sizeof(v));
    devs_t ds = {NULL, 0, 0, false};
    tml_rollout_target_rec_t *targets = NULL;
    if (dry && !dry_run && strcmp(dry, "0") && strcmp(dry, "false")) {
        tml_http_error(resp, 400, "dry_run must be 1 or 0, not '%s'", dry);
        return;
    }
    if (tml_http_body_json(req, fields, 4, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    json_t *strategy = json_object_get(body, "strategy");
    if (strategy && tml_json_check(strategy, "strategy", strategy_fields, 3, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_deployment_rec_t d;
    memset(&d, 0, sizeof(d));
    json_t *x;
    d.canary_share = (x = json_object_get(strategy, "canary_share")) ? json_number_value(x) : 0.1;
    d.batch_size = (x = json_object_get(strategy, "batch_size")) ? (int)json_integer_value(x) : 10;
    d.failure_threshold = (x = json_object_get(strategy, "failure_threshold")) ? json_number_value(x) : 0.2;
    if (!(d.canary_share >= 0 && d.canary_share <= 1)) {
        tml_http_error(resp, 400, "strategy: canary_share must be between 0 and 1 (a share of the devices)");
        goto out;
    }
    if ((x = json_object_get(strategy, "batch_size")) && (json_integer_value(x) < 1 || json_integer_value(x) > MAX_TARGETS)) {
        tml_http_error(resp, 400, "strategy: batch_size must be 1 to %d", MAX_TARGETS);
        goto out;
    }
    if (!(d.failure_threshold >= 0 && d.failure_threshold <= 1)) {
        tml_http_error(resp, 400, "strategy: failure_threshold must be between 0 and 1 (the failed share that pauses)");
        goto out;
    }
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *version = json_string_value(json_object_get(body, "version"));
    if (tml_store_call(svc->store, version_get, req->token.tenant_id, model, version, &v, &err) != TML_OK ||
        resolve(req, json_object_get(body, "selector"), &ds, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    if (ds.n == 0) {
        tml_http_error(resp, 400, "selector: no device of this tenant matches");
        goto out;
    }
    qsort(ds.v, (size_t)ds.n, sizeof(ds.v[0]), cmp_endpoint);
    targets = tml_calloc((size_t)ds.n, sizeof(*targets));
    plans = json_array();
    if (!targets || !plans) {
        tml_http_error(resp, 503, "out of memory");
        goto out;
    }
    int n_fit = 0;
    json_t **plan_of = tml_calloc((size_t)ds.n, sizeof(json_t *));
    if (!plan_of) {
        tml_http_error(resp, 503, "out of memory");
        goto out;
    }
    for (int i = 0; i < ds.n; i++) {
        plan_of[i] = tml_fleet_plan_device(svc, &v, &ds.v[i]);
        n_fit += json_is_true(json_object_get(plan_of[i], "fits"));
    }
    /* Batches over the devices that fit, in endpoint order: the canary
     * share first (at least one device when the share is not 0), then
     * batch_size at a time. */
    int n_canary = d.canary_share > 0 ? (int)ceil(d.canary_share * n_fit) : 0;
    if (n_canary > n_fit)
        n_canary = n_fit;
    int k = 0, n_batches = 0;
    double total_s = 0;
    int64_t total_bytes = 0;
    for (int i = 0; i < ds.n; i++) {
        tml_rollout_target_rec_t *t = &targets[i];
        json_t *p = plan_of[i];
        snprintf(t->endpoint, sizeof(t->endpoint), "%s", ds.v[i].endpoint);
        snprintf(t->profile, sizeof(t->profile), "%s", ds.v[i].profile);
        if (json_is_true(json_object_get(p, "fits"))) {
            t->batch = k < n_canary ? 0 : (n_canary ? 1 : 0) + (k - n_canary) / d.batch_size;
            k++;
            snprintf(t->stage, sizeof(t->stage), "pending");
            total_s += json_number_value(json_object_get(p, "transfer_s"));
            total_bytes += json_integer_value(json_object_get(json_object_get(p, "artifact"), "bytes"));
            if (t->batch + 1 > n_batches)
                n_batches = t->batch + 1;
        } else {
            snprintf(t->stage, sizeof(t->stage), "refused");
            snprintf(t->error, sizeof(t->error), "%s", json_string_value(json_object_get(p, "reason")));
            t->finished_at = (int64_t)time(NULL);
        }
        json_object_set_new(p, "batch", json_is_true(json_object_get(p, "fits")) ? json_integer(t->batch) : json_null());
        json_array_append_new(plans, p);
    }
    tml_free(plan_of);
    json_t *summary = json_pack("{s:i, s:i, s:i, s:i, s:I, s:f}", "devices", ds.n, "fit", n_fit, "refused",
                                ds.n - n_fit, "batches", n_batches, "bytes", (json_int_t)total_bytes,
                                "transfer_s_total", total_s);
    if (dry_run) {
        tml_http_json(resp, 200, json_pack("{s:b, s:s, s:s, s:{s:f, s:i, s:f}, s:o, s:o}", "dry_run", 1, "model",
                                           v.model_name, "version", v.version, "strategy", "canary_share",
                                           d.canary_share, "batch_size", d.batch_size, "failure_threshold",
                                           d.failure_threshold, "summary", summary, "plan", plans));
        plans = NULL;
        goto out;
    }
    if (n_fit == 0) {
        json_decref(summary);
        json_t *j = json_pack("{s:{s:i, s:s, s:s}, s:o}", "error", "status", 422, "code", "unprocessable",
                              "message", "the model fits none of the selected devices (see plan)", "plan", plans);
        plans = NULL;
        tml_http_json(resp, 422, j);
        goto out;
    }
    json_decref(summary);
    d.tenant_id = req->token.tenant_id;
    d.version_id = v.id;
    char *sel = json_dumps(json_object_get(body, "selector"), JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(d.selector_json, sizeof(d.selector_json), "%s", sel ? sel : "{}");
    free(sel);
    snprintf(d.state, sizeof(d.state), "running");
    tml_id_t id = 0;
    if (tml_store_call(svc->store, deployment_create, &d, targets, ds.n, &id, &err) != TML_OK ||
        tml_store_call(svc->store, deployment_get, req->token.tenant_id, id, &d, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    json_t *j = deployment_json(svc, &d, true);
    json_object_set_new(j, "plan", plans);
    plans = NULL;
    snprintf(resp->location, sizeof(resp->location), "/api/v1/deployments/%lld", (long long)id);
    tml_http_json(resp, 201, j);
out:
    json_decref(plans);
    tml_free(targets);
    devs_free(&ds);
    tml_version_rec_free(&v);
    json_decref(body);
}

/* ---- GET ---------------------------------------------------------------------- */

typedef struct {
    tml_service_t *svc;
    json_t *arr;
} list_ctx_t;

static bool add_deployment(void *ctx, const tml_deployment_rec_t *d)
{
    list_ctx_t *lc = ctx;
    json_array_append_new(lc->arr, deployment_json(lc->svc, d, false));
    return true;
}

void tml_api_deployments_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    const char *state = tml_http_query(req, "state");
    tml_err_t err;
    tml_err_clear(&err);
    list_ctx_t lc = {req->svc, json_array()};
    if (tml_store_call(req->svc->store, deployment_list, req->token.tenant_id, state, add_deployment, &lc, &err) !=
        TML_OK) {
        json_decref(lc.arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "deployments", lc.arr));
}

static void reply(tml_http_req_t *req, tml_http_resp_t *resp, tml_id_t id)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_deployment_rec_t d;
    if (tml_store_call(req->svc->store, deployment_get, req->token.tenant_id, id, &d, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, deployment_json(req->svc, &d, true));
}

void tml_api_deployment_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_id_t id;
    if (parse_id(req->params[0], &id, &err) != TML_OK)
        tml_http_fail(resp, &err);
    else
        reply(req, resp, id);
}

/* POST deployments/ID/ACTION: pause, resume, cancel. */
void tml_api_deployment_action(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_id_t id;
    const char *action = req->params[1];
    if (parse_id(req->params[0], &id, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *from, *to, *reason;
    if (!strcmp(action, "pause")) {
        from = "running", to = "paused", reason = "paused through the API";
    } else if (!strcmp(action, "resume")) {
        from = "paused", to = "running", reason = "";
    } else if (!strcmp(action, "cancel")) {
        from = "running|paused", to = "cancelling", reason = "cancelled through the API";
    } else {
        tml_http_error(resp, 404, "no action '%s' (pause, resume or cancel)", action);
        return;
    }
    tml_status_t st = tml_store_call(req->svc->store, deployment_update, req->token.tenant_id, id, from, to, reason,
                                     -1, &err);
    if (st == TML_ERR_STATE) {
        tml_http_error(resp, 409, "cannot %s: %s", action, tml_err_message(&err));
        return;
    }
    if (st != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    reply(req, resp, id);
}
