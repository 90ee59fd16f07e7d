/*
 * models.c - the model zoo: POST/GET models, GET/DELETE models/NAME,
 * GET/DELETE models/NAME/versions/V, GET models/NAME/versions/V/blob.
 *
 * An upload is either the raw model bytes (name, version and metadata in
 * the query: ?name=kws&version=1&task=keyword-spotting&labels=yes,no) or
 * multipart/form-data with a "file" part and "name", "version", "task",
 * "labels", "description" and "metadata" (a JSON object) fields. The bytes
 * are compiled once on upload so the version carries what `tml inspect
 * --json` reports (tml_report_json), including the fit on every catalog
 * target; a model the compiler cannot take yet (an unsupported op, ONNX in
 * a build without the importer) is still stored, with the reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../http/multipart.h"
#include "api.h"
#include "tml/compiler.h"
#include "tml/report.h"

typedef struct upload {
    const char *name, *version, *task, *labels, *description, *metadata, *format, *filename;
    const uint8_t *data;
    size_t len;
    char buf[6][512]; /* NUL-terminated copies of multipart text fields */
} upload_t;

/* Copies a small multipart text field. */
static const char *part_text(const tml_part_t *p, char *buf, size_t n, tml_err_t *err)
{
    if (!p)
        return NULL;
    if (p->len >= n) {
        tml_err_set(err, TML_ERR_ARG, "multipart field '%s' is longer than %zu bytes", p->name, n - 1);
        return NULL;
    }
    memcpy(buf, p->data, p->len);
    buf[p->len] = '\0';
    if (strlen(buf) != p->len) {
        tml_err_set(err, TML_ERR_ARG, "multipart field '%s' contains a NUL byte", p->name);
        return NULL;
    }
    return buf;
}

static tml_status_t read_upload(tml_http_req_t *req, upload_t *u, tml_err_t *err)
{
    memset(u, 0, sizeof(*u));
    const char *ct = tml_http_header(req, "Content-Type");
    if (ct && strncasecmp(ct, "multipart/form-data", 19) == 0) {
        char boundary[80];
        tml_part_t parts[TML_MULTIPART_MAX_PARTS];
        int n = 0;
        tml_status_t st = tml_multipart_boundary(ct, boundary, sizeof(boundary), err);
        if (st == TML_OK)
            st = tml_multipart_parse(boundary, req->body, req->body_len, parts, TML_MULTIPART_MAX_PARTS,
                                     &n, err);
        if (st != TML_OK)
            return st;
        static const char *const known[] = {"file", "name", "version", "task", "labels",
                                            "description", "metadata", "format"};
        for (int i = 0; i < n; i++) {
            size_t k = 0;
            while (k < sizeof(known) / sizeof(known[0]) && strcmp(parts[i].name, known[k]) != 0)
                k++;
            if (k == sizeof(known) / sizeof(known[0]))
                return tml_err_set(err, TML_ERR_ARG, "unknown multipart field '%s'", parts[i].name);
        }
        const tml_part_t *file = tml_multipart_find(parts, n, "file");
        if (!file)
            return tml_err_set(err, TML_ERR_ARG, "multipart upload without a 'file' part");
        u->data = file->data;
        u->len = file->len;
        snprintf(u->buf[5], sizeof(u->buf[5]), "%s", file->filename);
        u->filename = u->buf[5][0] ? u->buf[5] : NULL;
        const char *const fields[] = {"name", "version", "task", "labels", "description"};
        const char **dst[] = {&u->name, &u->version, &u->task, &u->labels, &u->description};
        for (int f = 0; f < 5; f++) {
            const tml_part_t *p = tml_multipart_find(parts, n, fields[f]);
            if (p && !(*dst[f] = part_text(p, u->buf[f], sizeof(u->buf[f]), err)))
                return err ? err->status : TML_ERR_ARG;
        }
        /* metadata and format may be longer/shorter: keep pointers into a copy */
        const tml_part_t *meta = tml_multipart_find(parts, n, "metadata");
        if (meta) {
            char *copy = tml_malloc(meta->len + 1);
            if (!copy)
                return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
            memcpy(copy, meta->data, meta->len);
            copy[meta->len] = '\0';
            u->metadata = copy; /* freed by upload_free */
        }
        const tml_part_t *fmt = tml_multipart_find(parts, n, "format");
        if (fmt) {
            if (fmt->len == 6 && !memcmp(fmt->data, "tflite", 6))
                u->format = "tflite";
            else if (fmt->len == 4 && !memcmp(fmt->data, "onnx", 4))
                u->format = "onnx";
            else
                return tml_err_set(err, TML_ERR_ARG, "format must be 'tflite' or 'onnx'");
        }
    } else {
        u->data = req->body;
        u->len = req->body_len;
        u->name = tml_http_query(req, "name");
        u->version = tml_http_query(req, "version");
        u->task = tml_http_query(req, "task");
        u->labels = tml_http_query(req, "labels");
        u->description = tml_http_query(req, "description");
        u->format = tml_http_query(req, "format");
        u->filename = tml_http_query(req, "filename");
        const char *meta = tml_http_query(req, "metadata");
        if (meta && !(u->metadata = tml_strdup(meta)))
            return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
        if (u->format && strcmp(u->format, "tflite") && strcmp(u->format, "onnx"))
            return tml_err_set(err, TML_ERR_ARG, "format must be 'tflite' or 'onnx'");
    }
    if (!u->name)
        return tml_err_set(err, TML_ERR_ARG, "missing model 'name'");
    if (!u->version)
        return tml_err_set(err, TML_ERR_ARG, "missing model 'version'");
    if (!tml_valid_name(u->name, TML_STORE_NAME_MAX))
        return tml_err_set(err, TML_ERR_ARG,
                           "model name '%s' must be 1-127 characters of A-Z a-z 0-9 . _ : -", u->name);
    if (!tml_valid_name(u->version, TML_STORE_SHORT_MAX))
        return tml_err_set(err, TML_ERR_ARG,
                           "model version '%s' must be 1-63 characters of A-Z a-z 0-9 . _ : -", u->version);
    if (u->len == 0)
        return tml_err_set(err, TML_ERR_ARG, "the model file is empty");
    return TML_OK;
}

static void upload_free(upload_t *u)
{
    tml_free((void *)u->metadata);
    u->metadata = NULL;
}

/* The metadata object: "metadata" JSON plus the task/labels/description
 * shortcuts, with the known keys type-checked. */
static tml_status_t build_metadata(const upload_t *u, json_t **out, tml_err_t *err)
{
    json_t *m;
    if (u->metadata) {
        json_error_t je;
        m = json_loads(u->metadata, JSON_REJECT_DUPLICATES, &je);
        if (!m)
            return tml_err_set(err, TML_ERR_ARG, "metadata: malformed JSON at column %d: %s", je.column,
                               je.text);
        if (!json_is_object(m)) {
            json_decref(m);
            return tml_err_set(err, TML_ERR_ARG, "metadata must be a JSON object");
        }
    } else {
        m = json_object();
    }
    if (u->task)
        json_object_set_new(m, "task", json_string(u->task));
    if (u->description)
        json_object_set_new(m, "description", json_string(u->description));
    if (u->labels) {
        json_t *labels = json_array();
        const char *p = u->labels;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t n = comma ? (size_t)(comma - p) : strlen(p);
            json_array_append_new(labels, json_stringn(p, n));
            p += n + (comma ? 1 : 0);
        }
        json_object_set_new(m, "labels", labels);
    }
    static const struct { const char *key; json_type type; const char *what; } typed[] = {
        {"task", JSON_STRING, "a string"},
        {"description", JSON_STRING, "a string"},
        {"labels", JSON_ARRAY, "an array of strings"},
        {"input_shape", JSON_ARRAY, "an array of integers"},
    };
    for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
        json_t *v = json_object_get(m, typed[i].key);
        if (!v)
            continue;
        bool ok = json_typeof(v) == typed[i].type;
        size_t k;
        json_t *e;
        if (ok && typed[i].type == JSON_ARRAY)
            json_array_foreach(v, k, e) if (!(i == 2 ? json_is_string(e) : json_is_integer(e))) ok = false;
        if (!ok) {
            json_decref(m);
            return tml_err_set(err, TML_ERR_ARG, "metadata: '%s' must be %s", typed[i].key, typed[i].what);
        }
    }
    json_t *acc = json_object_get(m, "accuracy");
    if (acc && !json_is_number(acc)) {
        json_decref(m);
        return tml_err_set(err, TML_ERR_ARG, "metadata: 'accuracy' must be a number");
    }
    *out = m;
    return TML_OK;
}

/* Compiles the model to get its report. Returns the report, or a
 * {"error": "..."} object for models the compiler cannot take yet; CORRUPT
 * and ARG (the bytes are not a valid model) are errors for the caller. */
static tml_status_t inspect(const upload_t *u, const char *path, json_t **report, tml_err_t *err)
{
    tml_ir_graph_t g;
    tml_err_t cerr;
    tml_err_clear(&cerr);
    tml_status_t st = tml_model_import(u->data, u->len, path, &g, &cerr);
    tml_compiled_t c;
    if (st == TML_OK)
        st = tml_compile_graph(&g, NULL, &c, &cerr);
    if (st == TML_OK) {
        *report = tml_report_json(&c, path);
        tml_compiled_free(&c);
        return *report ? TML_OK : tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    }
    if (st == TML_ERR_UNSUPPORTED || st == TML_ERR_NOFIT) {
        *report = json_pack("{s:s}", "error", tml_err_message(&cerr));
        return *report ? TML_OK : tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    }
    tml_err_set(err, st == TML_ERR_NOMEM ? TML_ERR_NOMEM : TML_ERR_CORRUPT, "%s", tml_err_message(&cerr));
    return err ? err->status : st;
}

void tml_api_models_upload(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_service_t *svc = req->svc;
    tml_err_t err;
    tml_err_clear(&err);
    upload_t u;
    json_t *meta = NULL, *report = NULL;
    tml_status_t st = read_upload(req, &u, &err);
    if (st == TML_OK)
        st = build_metadata(&u, &meta, &err);
    char path[300];
    tml_model_format_t fmt = TML_FORMAT_UNKNOWN;
    if (st == TML_OK) {
        /* The name the compiler sees: the upload's file name, else name.format. */
        if (u.filename)
            snprintf(path, sizeof(path), "%s", u.filename);
        else
            snprintf(path, sizeof(path), "%s.%s", u.name, u.format && !strcmp(u.format, "onnx") ? "onnx" : "tflite");
        fmt = tml_model_sniff(u.data, u.len, path);
        if (fmt == TML_FORMAT_UNKNOWN && u.format && !strcmp(u.format, "onnx")) {
            snprintf(path, sizeof(path), "%s.onnx", u.name);
            fmt = TML_FORMAT_ONNX;
        }
        if (fmt != TML_FORMAT_TFLITE && fmt != TML_FORMAT_ONNX) {
            tml_http_error(resp, 415, "the upload is not a TFLite model (no TFL3 identifier) or an ONNX "
                                      "model (name it *.onnx or pass format=onnx)");
            goto out;
        }
        if (u.format && strcmp(u.format, fmt == TML_FORMAT_ONNX ? "onnx" : "tflite")) {
            tml_http_error(resp, 415, "format '%s' given, but the bytes are %s", u.format,
                           fmt == TML_FORMAT_ONNX ? "ONNX" : "TFLite");
            goto out;
        }
        st = inspect(&u, path, &report, &err);
        if (st == TML_ERR_CORRUPT) {
            tml_http_error(resp, 422, "model rejected: %s", tml_err_message(&err));
            goto out;
        }
    }
    if (st != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_version_rec_t v;
    memset(&v, 0, sizeof(v));
    v.tenant_id = req->token.tenant_id;
    snprintf(v.model_name, sizeof(v.model_name), "%s", u.name);
    snprintf(v.version, sizeof(v.version), "%s", u.version);
    snprintf(v.format, sizeof(v.format), "%s", fmt == TML_FORMAT_ONNX ? "onnx" : "tflite");
    v.size = (int64_t)u.len;
    v.metadata_json = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    v.report_json = json_dumps(report, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    if (!v.metadata_json || !v.report_json) {
        free(v.metadata_json);
        free(v.report_json);
        tml_http_error(resp, 503, "out of memory");
        goto out;
    }
    tml_id_t id = 0;
    tml_blobs_lock(&svc->blobs);
    st = tml_blobs_put(&svc->blobs, u.data, u.len, v.sha256, &err);
    if (st == TML_OK) {
        st = tml_store_call(svc->store, version_create, &v, &id, &err);
        if (st != TML_OK)
            tml_blobs_release(&svc->blobs, svc->store, v.sha256, NULL, NULL);
    }
    tml_blobs_unlock(&svc->blobs);
    free(v.metadata_json);
    free(v.report_json);
    if (st != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    tml_version_rec_t got;
    if (tml_store_call(svc->store, version_get, v.tenant_id, u.name, u.version, &got, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        goto out;
    }
    snprintf(resp->location, sizeof(resp->location), "/api/v1/models/%s/versions/%s", u.name, u.version);
    tml_http_json(resp, 201, tml_api_version_json(&got, true));
    tml_version_rec_free(&got);
out:
    json_decref(meta);
    json_decref(report);
    upload_free(&u);
}

static bool add_model(void *ctx, const tml_model_rec_t *m)
{
    json_array_append_new((json_t *)ctx, json_pack("{s:s, s:i, s:s, s:o}", "name", m->name, "versions",
                                                   m->n_versions, "latest_version", m->latest_version,
                                                   "created_at", tml_json_time(m->created_at)));
    return true;
}

void tml_api_models_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, model_list, req->token.tenant_id, add_model, arr, &err) != TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "models", arr));
}

static bool add_version(void *ctx, const tml_version_rec_t *v)
{
    json_array_append_new((json_t *)ctx, tml_api_version_json(v, false));
    return true;
}

void tml_api_model_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, version_list, req->token.tenant_id, req->params[0], add_version,
                       arr, &err) != TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:s, s:o}", "name", req->params[0], "versions", arr));
}

void tml_api_version_get(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_version_rec_t v;
    if (tml_store_call(req->svc->store, version_get, req->token.tenant_id, req->params[0], req->params[1],
                       &v, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, tml_api_version_json(&v, true));
    tml_version_rec_free(&v);
}

void tml_api_version_blob(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_version_rec_t v;
    if (tml_store_call(req->svc->store, version_get, req->token.tenant_id, req->params[0], req->params[1],
                       &v, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    char fname[256];
    snprintf(fname, sizeof(fname), "%.120s-%.60s.%s", v.model_name, v.version, v.format);
    tml_api_send_blob(req, resp, v.sha256, "application/octet-stream", fname);
    tml_version_rec_free(&v);
}

/* Artifact hashes of a version's compilations (deleted with it). */
typedef struct {
    tml_id_t version_id;
    char (*hashes)[TML_STORE_HASH_MAX];
    int n, cap;
} artifacts_t;

static bool collect_artifacts(void *ctx, const tml_compilation_rec_t *c)
{
    artifacts_t *a = ctx;
    if (c->version_id != a->version_id)
        return true;
    const char *h[2] = {c->pkg_sha256, c->c_sha256};
    for (int i = 0; i < 2; i++) {
        if (!h[i][0])
            continue;
        if (a->n == a->cap) {
            int cap = a->cap ? a->cap * 2 : 8;
            void *nh = tml_realloc(a->hashes, (size_t)cap * TML_STORE_HASH_MAX);
            if (!nh)
                return false;
            a->hashes = nh;
            a->cap = cap;
        }
        snprintf(a->hashes[a->n++], TML_STORE_HASH_MAX, "%s", h[i]);
    }
    return true;
}

/* Deletes one version and releases the blobs nothing references any more. */
static tml_status_t delete_version(tml_service_t *svc, tml_id_t tenant, const char *model,
                                   const char *version, tml_err_t *err)
{
    tml_version_rec_t v;
    tml_status_t st = tml_store_call(svc->store, version_get, tenant, model, version, &v, err);
    if (st != TML_OK)
        return st;
    artifacts_t a = {v.id, NULL, 0, 0};
    st = tml_store_call(svc->store, compilation_list, tenant, collect_artifacts, &a, err);
    if (st == TML_OK)
        st = tml_store_call(svc->store, version_delete, tenant, model, version, err);
    if (st == TML_OK) {
        /* Blob removal is best effort: a failure leaves an orphan file, not a
         * dangling row. */
        tml_blobs_release(&svc->blobs, svc->store, v.sha256, NULL, NULL);
        for (int i = 0; i < a.n; i++)
            tml_blobs_release(&svc->blobs, svc->store, a.hashes[i], NULL, NULL);
    }
    tml_free(a.hashes);
    tml_version_rec_free(&v);
    return st;
}

void tml_api_version_delete(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    if (delete_version(req->svc, req->token.tenant_id, req->params[0], req->params[1], &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:s, s:s, s:b}", "model", req->params[0], "version",
                                       req->params[1], "deleted", 1));
}

typedef struct {
    char (*names)[TML_STORE_SHORT_MAX];
    int n, cap;
} names_t;

static bool collect_version(void *ctx, const tml_version_rec_t *v)
{
    names_t *n = ctx;
    if (n->n == n->cap) {
        int cap = n->cap ? n->cap * 2 : 8;
        void *nn = tml_realloc(n->names, (size_t)cap * TML_STORE_SHORT_MAX);
        if (!nn)
            return false;
        n->names = nn;
        n->cap = cap;
    }
    snprintf(n->names[n->n++], TML_STORE_SHORT_MAX, "%s", v->version);
    return true;
}

void tml_api_model_delete(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    names_t names = {NULL, 0, 0};
    tml_status_t st = tml_store_call(req->svc->store, version_list, req->token.tenant_id, req->params[0],
                                     collect_version, &names, &err);
    int deleted = 0;
    for (int i = 0; st == TML_OK && i < names.n; i++) {
        st = delete_version(req->svc, req->token.tenant_id, req->params[0], names.names[i], &err);
        if (st == TML_OK)
            deleted++;
    }
    tml_free(names.names);
    if (st != TML_OK) {
        if (deleted)
            tml_err_wrap(&err, "%d version%s deleted, then", deleted, deleted == 1 ? "" : "s");
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:s, s:i, s:b}", "model", req->params[0], "versions_deleted",
                                       deleted, "deleted", 1));
}
