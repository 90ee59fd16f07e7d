/*
 * devices.c - device records: POST/GET devices, GET/DELETE devices/EP,
 * PUT devices/EP/tags, POST devices/EP/psk, GET devices/EP/compatible-models,
 * GET devices/EP/inferences, PUT devices/EP/link.
 *
 * Devices appear when they register over LwM2M; the API can also create a
 * record ahead of time (to provision its PSK before the first
 * registration). Tags are free labels for selecting devices
 * (GET devices?tag=...). A PSK key is shown once, when it is set.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "tml/target.h"

#define MAX_TAGS 32

/* Tags from a JSON array: each a valid name, at most MAX_TAGS. */
static tml_status_t read_tags(json_t *arr, const char **tags, int *n, tml_err_t *err)
{
    *n = 0;
    if (!arr)
        return TML_OK;
    if (json_array_size(arr) > MAX_TAGS)
        return tml_err_set(err, TML_ERR_ARG, "at most %d tags", MAX_TAGS);
    size_t i;
    json_t *t;
    json_array_foreach(arr, i, t) {
        const char *s = json_string_value(t);
        if (!tml_valid_name(s, 64))
            return tml_err_set(err, TML_ERR_ARG, "tag '%s' must be 1-63 characters of A-Z a-z 0-9 . _ : -", s);
        tags[(*n)++] = s;
    }
    return TML_OK;
}

static void reply_device(tml_http_req_t *req, tml_http_resp_t *resp, const char *endpoint, int status)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_device_rec_t d;
    if (tml_store_call(req->svc->store, device_get, req->token.tenant_id, endpoint, &d, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, status, tml_api_device_json(&d));
    tml_device_rec_free(&d);
}

void tml_api_devices_create(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"endpoint", TML_FIELD_STRING, true},
        {"profile", TML_FIELD_STRING, true},
        {"tags", TML_FIELD_STRINGS, false},
    };
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    if (tml_http_body_json(req, fields, 3, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *ep = json_string_value(json_object_get(body, "endpoint"));
    const char *profile = json_string_value(json_object_get(body, "profile"));
    const tml_target_t *t = tml_target_find(profile);
    const char *tags[MAX_TAGS];
    int n_tags = 0;
    if (!tml_valid_name(ep, TML_STORE_NAME_MAX))
        tml_http_error(resp, 400, "endpoint '%s' must be 1-127 characters of A-Z a-z 0-9 . _ : -", ep);
    else if (!t)
        tml_http_error(resp, 400, "unknown profile '%s' (GET /api/v1/targets lists them)", profile);
    else if (read_tags(json_object_get(body, "tags"), tags, &n_tags, &err) != TML_OK ||
             tml_store_call(req->svc->store, device_create, req->token.tenant_id, ep, t->name, tags, n_tags,
                            &err) != TML_OK)
        tml_http_fail(resp, &err);
    else {
        snprintf(resp->location, sizeof(resp->location), "/api/v1/devices/%s", ep);
        reply_device(req, resp, ep, 201);
    }
    json_decref(body);
}

static bool add_device(void *ctx, const tml_device_rec_t *d)
{
    json_array_append_new((json_t *)ctx, tml_api_device_json(d));
    return true;
}

void tml_api_devices_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_device_filter_t f = {tml_http_query(req, "tag"), tml_http_query(req, "profile"),
                             tml_http_query(req, "state")};
    if (f.state && strcmp(f.state, "online") && strcmp(f.state, "offline")) {
        tml_http_error(resp, 400, "state must be 'online' or 'offline', not '%s'", f.state);
        return;
    }
    const tml_target_t *t = NULL;
    if (f.profile && !(t = tml_target_find(f.profile))) {
        tml_http_error(resp, 400, "unknown profile '%s'", f.profile);
        return;
    }
    if (t)
        f.profile = t->name;
    tml_err_t err;
    tml_err_clear(&err);
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, device_list, req->token.tenant_id, &f, add_device, arr, &err) !=
        TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "devices", arr));
}

void tml_api_device_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    reply_device(req, resp, req->params[0], 200);
}

void tml_api_device_delete(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_store_call(req->svc->store, device_delete, req->token.tenant_id, req->params[0], &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:s, s:b}", "endpoint", req->params[0], "deleted", 1));
}

void tml_api_device_set_tags(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {{"tags", TML_FIELD_STRINGS, true}};
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    const char *tags[MAX_TAGS];
    int n_tags = 0;
    if (tml_http_body_json(req, fields, 1, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    if (read_tags(json_object_get(body, "tags"), tags, &n_tags, &err) != TML_OK ||
        tml_store_call(req->svc->store, device_set_tags, req->token.tenant_id, req->params[0], tags, n_tags,
                       &err) != TML_OK)
        tml_http_fail(resp, &err);
    else
        reply_device(req, resp, req->params[0], 200);
    json_decref(body);
}

void tml_api_device_set_psk(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"identity", TML_FIELD_STRING, false},
        {"key", TML_FIELD_STRING, false},
    };
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    /* An empty body means: generate both. */
    if (req->body_len == 0) {
        body = json_object();
    } else if (tml_http_body_json(req, fields, 2, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *identity = json_string_value(json_object_get(body, "identity"));
    const char *key_hex = json_string_value(json_object_get(body, "key"));
    const char *ep = req->params[0];
    uint8_t key[64];
    size_t key_len = 0;
    char hex[129];
    if (identity && !tml_valid_name(identity, TML_STORE_NAME_MAX)) {
        tml_http_error(resp, 400, "identity '%s' must be 1-127 characters of A-Z a-z 0-9 . _ : -", identity);
        goto out;
    }
    if (key_hex) {
        if (sodium_hex2bin(key, sizeof(key), key_hex, strlen(key_hex), NULL, &key_len, NULL) != 0 ||
            key_len * 2 != strlen(key_hex) || key_len < 16) {
            tml_http_error(resp, 400, "key must be 16 to 64 bytes as hex digits (32 to 128 characters)");
            goto out;
        }
    } else {
        key_len = 16;
        randombytes_buf(key, key_len);
    }
    sodium_bin2hex(hex, sizeof(hex), key, key_len);
    if (tml_store_call(req->svc->store, device_set_psk, req->token.tenant_id, ep, identity ? identity : ep,
                       key, key_len, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_http_json(resp, 200, json_pack("{s:s, s:s, s:s}", "endpoint", ep, "identity", identity ? identity : ep,
                                       "key", hex));
out:
    sodium_memzero(key, sizeof(key));
    json_decref(body);
}

/* For compatible-models: every version of every model of the tenant,
 * planned for the device (tml_fleet_plan_device). */
typedef struct {
    tml_service_t *svc;
    const tml_device_rec_t *dev;
    json_t *fits, *refused;
} compat_t;

static bool compat_version(void *ctx, const tml_version_rec_t *v)
{
    compat_t *cc = ctx;
    json_t *plan = tml_fleet_plan_device(cc->svc, v, cc->dev);
    json_t *item = json_pack("{s:s, s:s, s:s}", "model", v->model_name, "version", v->version, "format",
                             v->format);
    const char *skip[] = {"endpoint", "profile", "state"};
    const char *key;
    json_t *val;
    json_object_foreach(plan, key, val) {
        bool drop = false;
        for (size_t k = 0; k < sizeof(skip) / sizeof(skip[0]); k++)
            drop |= !strcmp(key, skip[k]);
        if (!drop)
            json_object_set(item, key, val);
    }
    json_array_append_new(json_is_true(json_object_get(plan, "fits")) ? cc->fits : cc->refused, item);
    json_decref(plan);
    return true;
}

typedef struct {
    char (*names)[TML_STORE_NAME_MAX];
    int n, cap;
} model_names_t;

static bool compat_model(void *ctx, const tml_model_rec_t *m)
{
    model_names_t *mn = ctx;
    if (mn->n == mn->cap) {
        int cap = mn->cap ? mn->cap * 2 : 16;
        void *nn = tml_realloc(mn->names, (size_t)cap * TML_STORE_NAME_MAX);
        if (!nn)
            return false;
        mn->names = nn;
        mn->cap = cap;
    }
    snprintf(mn->names[mn->n++], TML_STORE_NAME_MAX, "%s", m->name);
    return true;
}

void tml_api_device_compatible(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_device_rec_t d;
    if (tml_store_call(req->svc->store, device_get, req->token.tenant_id, req->params[0], &d, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    compat_t cc = {req->svc, &d, json_array(), json_array()};
    model_names_t mn = {NULL, 0, 0};
    tml_status_t st = tml_store_call(req->svc->store, model_list, req->token.tenant_id, compat_model, &mn, &err);
    for (int i = 0; st == TML_OK && i < mn.n; i++)
        st = tml_store_call(req->svc->store, version_list, req->token.tenant_id, mn.names[i], compat_version,
                            &cc, &err);
    tml_free(mn.names);
    if (st != TML_OK) {
        json_decref(cc.fits);
        json_decref(cc.refused);
        tml_http_fail(resp, &err);
    } else {
        tml_http_json(resp, 200, json_pack("{s:s, s:s, s:o, s:o}", "endpoint", d.endpoint, "profile", d.profile,
                                           "models", cc.fits, "refused", cc.refused));
    }
    tml_device_rec_free(&d);
}

static bool add_inference(void *ctx, const tml_inference_rec_t *i)
{
    json_array_append_new((json_t *)ctx,
                          json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:o}", "id", (json_int_t)i->id, "model",
                                    i->model, "version", i->version, "output", i->output, "top_class",
                                    (json_int_t)i->top_class, "latency_us", (json_int_t)i->latency_us, "count",
                                    (json_int_t)i->count, "at", tml_json_time(i->at)));
    return true;
}

/* GET devices/EP/inferences?limit=N: the newest results first. */
void tml_api_device_inferences(tml_http_req_t *req, tml_http_resp_t *resp)
{
    const char *lim = tml_http_query(req, "limit");
    long limit = 100;
    if (lim) {
        char *end = NULL;
        limit = strtol(lim, &end, 10);
        if (!*lim || *end || limit < 1 || limit > 1000) {
            tml_http_error(resp, 400, "limit must be 1 to 1000, not '%s'", lim);
            return;
        }
    }
    tml_err_t err;
    tml_err_clear(&err);
    tml_device_rec_t d;
    if (tml_store_call(req->svc->store, device_get, req->token.tenant_id, req->params[0], &d, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, inference_list, req->token.tenant_id, req->params[0], (int)limit,
                       add_inference, arr, &err) != TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
    } else {
        tml_http_json(resp, 200, json_pack("{s:s, s:o, s:o, s:o}", "endpoint", d.endpoint, "installed_model",
                                           d.installed_model[0] ? json_string(d.installed_model) : json_null(),
                                           "last_inference_at", tml_json_time(d.last_inference_at),
                                           "inferences", arr));
    }
    tml_device_rec_free(&d);
}

/* PUT devices/EP/link {"link": "lte-m"}: the link kind transfer estimates use. */
void tml_api_device_set_link(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {{"link", TML_FIELD_STRING, true}};
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    if (tml_http_body_json(req, fields, 1, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *link = json_string_value(json_object_get(body, "link"));
    if (!*link || !tml_fleet_link_find(link)) {
        json_t *names = tml_fleet_links_json();
        char list[256] = "";
        size_t i;
        json_t *l;
        json_array_foreach(names, i, l) snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                                                 i ? ", " : "", json_string_value(json_object_get(l, "name")));
        json_decref(names);
        tml_http_error(resp, 400, "unknown link '%s' (one of: %s)", link, list);
    } else if (tml_store_call(req->svc->store, device_set_link, req->token.tenant_id, req->params[0], link, &err) !=
               TML_OK) {
        tml_http_fail(resp, &err);
    } else {
        reply_device(req, resp, req->params[0], 200);
    }
    json_decref(body);
}
