/*
 * common.c - JSON shapes and checks the resource files share.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"

json_t *tml_api_parse_stored(const char *text)
{
    if (!text || !*text)
        return json_null();
    json_t *j = json_loads(text, 0, NULL);
    return j ? j : json_null();
}

json_t *tml_api_version_json(const tml_version_rec_t *v, bool with_report)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "model", v->model_name, "version",
                          v->version, "format", v->format, "sha256", v->sha256, "size",
                          (json_int_t)v->size, "created_at", tml_json_time(v->created_at));
    if (!j)
        return NULL;
    json_t *meta = tml_api_parse_stored(v->metadata_json);
    json_t *report = tml_api_parse_stored(v->report_json);
    /* A model the compiler cannot take yet (an ONNX op, say) is kept with
     * the reason instead of a report. */
    json_t *report_error = json_object_get(report, "error");
    if (json_is_string(report_error)) {
        json_object_set(j, "report_error", report_error);
        json_decref(report);
        report = json_null();
    }
    if (with_report) {
        json_object_set_new(j, "metadata", meta);
        json_object_set_new(j, "report", report);
    } else {
        json_t *summary = json_object();
        const char *keys[] = {"arena_bytes", "weights_bytes", "package_bytes", "macs", "params"};
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            json_t *x = json_object_get(report, keys[i]);
            if (x)
                json_object_set(summary, keys[i], x);
        }
        json_object_set_new(j, "metadata", meta);
        json_object_set_new(j, "summary", summary);
        json_decref(report);
    }
    return j;
}

json_t *tml_api_compilation_json(const tml_compilation_rec_t *c, bool full)
{
    json_t *j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:b, s:o, s:o, s:o}", "id",
                          (json_int_t)c->id, "model", c->model_name, "version", c->version, "model_sha256",
                          c->model_sha256, "target", c->target, "device",
                          c->device[0] ? json_string(c->device) : json_null(), "state",
                          tml_job_state_name(c->state), "cache_hit", c->cache_hit, "created_at",
                          tml_json_time(c->created_at), "started_at", tml_json_time(c->started_at),
                          "finished_at", tml_json_time(c->finished_at));
    if (!j)
        return NULL;
    json_object_set_new(j, "options", tml_api_parse_stored(c->options_json));
    if (c->state == TML_JOB_FAILED)
        json_object_set_new(j, "error", json_string(c->error));
    json_t *result = tml_api_parse_stored(c->result_json);
    if (json_is_object(result)) {
        json_object_set(j, "fit", json_object_get(result, "fit"));
        json_object_set(j, "backend", json_object_get(result, "backend"));
        if (full)
            json_object_set(j, "report", json_object_get(result, "report"));
    }
    json_decref(result);
    json_t *arts = json_array();
    char url[128];
    if (c->pkg_sha256[0]) {
        snprintf(url, sizeof(url), "/api/v1/compilations/%lld/artifacts/package", (long long)c->id);
        json_array_append_new(arts, json_pack("{s:s, s:s, s:I, s:s, s:s}", "name", "package",
                                              "sha256", c->pkg_sha256, "size", (json_int_t)c->pkg_size,
                                              "content_type", "application/vnd.tinymlaas.tmlm",
                                              "url", url));
    }
    if (c->c_sha256[0]) {
        snprintf(url, sizeof(url), "/api/v1/compilations/%lld/artifacts/c", (long long)c->id);
        json_array_append_new(arts, json_pack("{s:s, s:s, s:I, s:s, s:s}", "name", "c", "sha256",
                                              c->c_sha256, "size", (json_int_t)c->c_size,
                                              "content_type", "application/x-tar", "url", url));
    }
    json_object_set_new(j, "artifacts", arts);
    return j;
}

json_t *tml_api_device_json(const tml_device_rec_t *d)
{
    json_t *j = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "endpoint",
                          d->endpoint, "profile", d->profile, "state", d->state, "tags",
                          tml_api_parse_stored(d->tags_json), "capabilities",
                          tml_api_parse_stored(d->capabilities_json), "installed_model",
                          d->installed_model[0] ? json_string(d->installed_model) : json_null(),
                          "psk_identity", d->psk_identity[0] ? json_string(d->psk_identity) : json_null(),
                          "created_at", tml_json_time(d->created_at), "last_seen",
                          tml_json_time(d->last_seen), "last_inference_at",
                          tml_json_time(d->last_inference_at));
    if (j)
        json_object_set_new(j, "link", d->link[0] ? json_string(d->link) : json_null());
    return j;
}

bool tml_api_require_admin(tml_http_req_t *req, tml_http_resp_t *resp)
{
    if (req->token.admin)
        return true;
    tml_http_error(resp, 403, "this call needs an admin token");
    return false;
}

void tml_api_send_blob(tml_http_req_t *req, tml_http_resp_t *resp, const char *sha256,
                       const char *content_type, const char *filename)
{
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_blobs_path(&req->svc->blobs, sha256, resp->file_path, sizeof(resp->file_path), &err) !=
        TML_OK) {
        resp->file_path[0] = '\0';
        tml_http_fail(resp, &err);
        return;
    }
    resp->status = 200;
    resp->content_type = content_type;
    if (filename)
        snprintf(resp->disposition, sizeof(resp->disposition), "attachment; filename=\"%s\"", filename);
}
