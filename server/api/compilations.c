/*
 * compilations.c - POST/GET compilations, GET compilations/ID,
 * GET compilations/ID/artifacts/{package,c}.
 *
 * POST {"model": NAME, "version": V, "target": PROFILE | "device": ENDPOINT,
 * "options": {}} answers at once: 202 with the queued compilation, which a
 * worker runs off the request path, or 200 with an earlier one of this
 * tenant for the same (model hash, target, options) ("cached": true).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "tml/target.h"

static tml_status_t parse_id(const char *s, tml_id_t *id, tml_err_t *err)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || v <= 0)
        return tml_err_set(err, TML_ERR_ARG, "compilation id '%s' is not a positive integer", s);
    *id = v;
    return TML_OK;
}

void tml_api_compilations_create(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"model", TML_FIELD_STRING, true},
        {"version", TML_FIELD_STRING, true},
        {"target", TML_FIELD_STRING, false},
        {"device", TML_FIELD_STRING, false},
        {"options", TML_FIELD_OBJECT, false},
    };
    tml_service_t *svc = req->svc;
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    if (tml_http_body_json(req, fields, 5, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *model = json_string_value(json_object_get(body, "model"));
    const char *version = json_string_value(json_object_get(body, "version"));
    const char *target_name = json_string_value(json_object_get(body, "target"));
    const char *device = json_string_value(json_object_get(body, "device"));
    json_t *options = json_object_get(body, "options");
    tml_version_rec_t v;
    memset(&v, 0, sizeof(v));
    char *options_text = NULL;
    if (!!target_name == !!device) {
        tml_http_error(resp, 400, "give exactly one of 'target' (a profile) or 'device' (an endpoint)");
        goto out;
    }
    /* No compile options exist yet; refuse any so a typo is not silently
     * cached as a different key. */
    if (options && json_object_size(options)) {
        const char *key = json_object_iter_key(json_object_iter(options));
        tml_http_error(resp, 400, "options: unknown option '%s' (none are supported yet)", key);
        goto out;
    }
    char profile[TML_STORE_SHORT_MAX];
    if (device) {
        tml_device_rec_t d;
        if (tml_store_call(svc->store, device_get, req->token.tenant_id, device, &d, &err) != TML_OK) {
            tml_http_fail(resp, &err);
            goto out;
        }
        snprintf(profile, sizeof(profile), "%s", d.profile);
        tml_device_rec_free(&d);
    } else {
        snprintf(profile, sizeof(profile), "%s", target_name);
    }
    const tml_target_t *t = tml_target_find(profile);
    if (!t) {
        tml_http_error(resp, 400, "unknown target '%s' (GET /api/v1/targets lists them)", profile);
        goto out;
    }
    if (tml_store_call(svc->store, version_get, req->token.tenant_id, model, version, &v, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    json_t *opts = options ? json_incref(options) : json_object();
    options_text = json_dumps(opts, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(opts);
    if (!options_text) {
        tml_http_error(resp, 503, "out of memory");
        goto out;
    }
    tml_compilation_rec_t c;
    memset(&c, 0, sizeof(c));
    tml_jobs_cache_key(v.sha256, t->name, options_text, c.cache_key);
    tml_status_t st = tml_store_call(svc->store, compilation_find, req->token.tenant_id, v.id, c.cache_key,
                                     &c, &err);
    if (st == TML_OK) {
        json_t *j = tml_api_compilation_json(&c, false);
        json_object_set_new(j, "cached", json_true());
        snprintf(resp->location, sizeof(resp->location), "/api/v1/compilations/%lld", (long long)c.id);
        tml_http_json(resp, 200, j);
        tml_compilation_rec_free(&c);
        goto out;
    }
    if (st != TML_ERR_NOT_FOUND) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_err_clear(&err);
    c.tenant_id = req->token.tenant_id;
    c.version_id = v.id;
    snprintf(c.target, sizeof(c.target), "%s", t->name);
    snprintf(c.device, sizeof(c.device), "%s", device ? device : "");
    c.options_json = options_text;
    tml_id_t id = 0;
    if (tml_store_call(svc->store, compilation_create, &c, &id, &err) != TML_OK ||
        tml_store_call(svc->store, compilation_get, req->token.tenant_id, id, &c, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_jobs_notify(&svc->jobs);
    json_t *j = tml_api_compilation_json(&c, false);
    json_object_set_new(j, "cached", json_false());
    snprintf(resp->location, sizeof(resp->location), "/api/v1/compilations/%lld", (long long)id);
    tml_http_json(resp, 202, j);
    tml_compilation_rec_free(&c);
out:
    free(options_text);
    tml_version_rec_free(&v);
    json_decref(body);
}

static bool add_compilation(void *ctx, const tml_compilation_rec_t *c)
{
    json_array_append_new((json_t *)ctx, tml_api_compilation_json(c, false));
    return true;
}

void tml_api_compilations_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, compilation_list, req->token.tenant_id, add_compilation, arr,
                       &err) != TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "compilations", arr));
}

void tml_api_compilation_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_id_t id;
    tml_compilation_rec_t c;
    if (parse_id(req->params[0], &id, &err) != TML_OK ||
        tml_store_call(req->svc->store, compilation_get, req->token.tenant_id, id, &c, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, tml_api_compilation_json(&c, true));
    tml_compilation_rec_free(&c);
}

void tml_api_compilation_artifact(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_id_t id;
    tml_compilation_rec_t c;
    if (parse_id(req->params[0], &id, &err) != TML_OK ||
        tml_store_call(req->svc->store, compilation_get, req->token.tenant_id, id, &c, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *which = req->params[1];
    char fname[256];
    if (c.state != TML_JOB_DONE) {
        tml_http_error(resp, 409, "compilation %lld is %s; artifacts exist once it is done", (long long)id,
                       tml_job_state_name(c.state));
    } else if (!strcmp(which, "package") && c.pkg_sha256[0]) {
        snprintf(fname, sizeof(fname), "%.100s-%.50s-%s.tmlm", c.model_name, c.version, c.target);
        tml_api_send_blob(req, resp, c.pkg_sha256, "application/vnd.tinymlaas.tmlm", fname);
    } else if (!strcmp(which, "c") && c.c_sha256[0]) {
        snprintf(fname, sizeof(fname), "%.100s-%.50s-%s-c.tar", c.model_name, c.version, c.target);
        tml_api_send_blob(req, resp, c.c_sha256, "application/x-tar", fname);
    } else {
        tml_http_error(resp, 404, "compilation %lld has no artifact '%s' (artifacts: package, c)",
                       (long long)id, which);
    }
    tml_compilation_rec_free(&c);
}
