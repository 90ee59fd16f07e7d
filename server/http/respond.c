/*
 * respond.c - JSON responses, error bodies, status -> HTTP code mapping, and
 * request body validation against a field table (see http.h).
 *
 * Every error a client can cause comes back as
 *   {"error": {"status": 400, "code": "bad_request", "message": "..."}}
 * with a message naming the field, line or limit at fault.
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "http.h"

void tml_http_json(tml_http_resp_t *resp, int status, json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) : NULL;
    json_decref(j);
    if (!text) {
        resp->status = 500;
        resp->body = tml_strdup("{\"error\":{\"status\":500,\"code\":\"internal\","
                                "\"message\":\"out of memory\"}}");
        resp->body_len = resp->body ? strlen(resp->body) : 0;
        resp->content_type = "application/json";
        return;
    }
    size_t n = strlen(text);
    tml_free(resp->body);
    resp->body = tml_malloc(n + 2);
    if (resp->body) {
        memcpy(resp->body, text, n);
        resp->body[n] = '\n';
        resp->body[n + 1] = '\0';
        resp->body_len = n + 1;
    } else {
        resp->body_len = 0;
        status = 500;
    }
    free(text); /* jansson's own allocation */
    resp->status = status;
    resp->content_type = "application/json";
}

static const char *code_name(int status)
{
    switch (status) {
    case 400: return "bad_request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    case 415: return "unsupported_media_type";
    case 422: return "unprocessable";
    case 503: return "unavailable";
    case 504: return "timeout";
    default: return status >= 500 ? "internal" : "error";
    }
}

void tml_http_error(tml_http_resp_t *resp, int status, const char *fmt, ...)
{
    char msg[TML_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *j = json_pack("{s:{s:i, s:s, s:s}}", "error", "status", status, "code",
                          code_name(status), "message", msg);
    tml_http_json(resp, status, j);
}

int tml_http_error_status(tml_status_t st)
{
    switch (st) {
    case TML_OK: return 200;
    case TML_ERR_ARG:
    case TML_ERR_CORRUPT: return 400;
    case TML_ERR_AUTH: return 401;
    case TML_ERR_NOT_FOUND: return 404;
    case TML_ERR_EXISTS:
    case TML_ERR_STATE: return 409;
    case TML_ERR_UNSUPPORTED:
    case TML_ERR_NOFIT: return 422;
    case TML_ERR_NOMEM: return 503;
    case TML_ERR_TIMEOUT: return 504;
    case TML_ERR_IO:
    case TML_ERR_INTERNAL:
    default: return 500;
    }
}

void tml_http_fail(tml_http_resp_t *resp, const tml_err_t *err)
{
    tml_http_error(resp, tml_http_error_status(err->status), "%s", tml_err_message(err));
}

const char *tml_http_query(const tml_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *tml_http_header(const tml_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static const char *type_name(tml_field_type_t t)
{
    switch (t) {
    case TML_FIELD_STRING: return "a string";
    case TML_FIELD_INT: return "an integer";
    case TML_FIELD_BOOL: return "a boolean";
    case TML_FIELD_OBJECT: return "an object";
    case TML_FIELD_STRINGS: return "an array of strings";
    case TML_FIELD_NUMBER: return "a number";
    }
    return "?";
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

static bool has_type(const json_t *v, tml_field_type_t t)
{
    switch (t) {
    case TML_FIELD_STRING: return json_is_string(v);
    case TML_FIELD_INT: return json_is_integer(v);
    case TML_FIELD_BOOL: return json_is_boolean(v);
    case TML_FIELD_OBJECT: return json_is_object(v);
    case TML_FIELD_NUMBER: return json_is_number(v);
    case TML_FIELD_STRINGS: {
        if (!json_is_array(v))
            return false;
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) if (!json_is_string(e)) return false;
        return true;
    }
    }
    return false;
}

tml_status_t tml_json_check(const json_t *obj, const char *where, const tml_field_t *fields,
                            int n_fields, tml_err_t *err)
{
    if (!json_is_object(obj))
        return tml_err_set(err, TML_ERR_ARG, "%s must be a JSON object, got %s", where, json_kind(obj));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int f = 0;
        while (f < n_fields && strcmp(fields[f].name, key) != 0)
            f++;
        if (f == n_fields)
            return tml_err_set(err, TML_ERR_ARG, "%s: unknown field '%s'", where, key);
        if (!has_type(v, fields[f].type))
            return tml_err_set(err, TML_ERR_ARG, "%s: field '%s' must be %s, got %s", where, key,
                               type_name(fields[f].type), json_kind(v));
    }
    for (int f = 0; f < n_fields; f++)
        if (fields[f].required && !json_object_get(obj, fields[f].name))
            return tml_err_set(err, TML_ERR_ARG, "%s: missing required field '%s'", where,
                               fields[f].name);
    return TML_OK;
}

tml_status_t tml_http_body_json(const tml_http_req_t *req, const tml_field_t *fields, int n_fields,
                                json_t **out, tml_err_t *err)
{
    *out = NULL;
    if (req->body_len == 0)
        return tml_err_set(err, TML_ERR_ARG, "request body is empty; expected a JSON object");
    json_error_t je;
    json_t *j = json_loadb((const char *)req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        return tml_err_set(err, TML_ERR_ARG, "malformed JSON at line %d column %d: %s", je.line,
                           je.column, je.text);
    tml_status_t st = tml_json_check(j, "body", fields, n_fields, err);
    if (st != TML_OK) {
        json_decref(j);
        return st;
    }
    *out = j;
    return TML_OK;
}

bool tml_valid_name(const char *s, size_t max)
{
    if (!s || !*s || *s == '.' || *s == '-')
        return false;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':'))
            return false;
    }
    return n < max;
}

json_t *tml_json_time(int64_t t)
{
    if (t <= 0)
        return json_null();
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];
    gmtime_r(&tt, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return json_string(buf);
}
