/*
 * http.h - the HTTP edge of tmlaasd: one request as the API handlers see it,
 * the response they fill in, and the helpers they share.
 *
 * Handlers never see libmicrohttpd: they read a buffered, size-limited body,
 * path parameters and query arguments, and the authenticated token, and fill
 * a response (JSON, or a blob file to stream). Statuses turn into HTTP codes
 * here and only here (tml_http_error_status).
 */
#ifndef TML_HTTP_H
#define TML_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "tml/store.h"

struct MHD_Connection;
typedef struct tml_service tml_service_t;

#define TML_HTTP_MAX_PARAMS 4

typedef struct tml_http_req {
    struct MHD_Connection *conn;
    const char *method;
    char *path;                        /* owned copy of the path after /api/v1/ */
    const char *params[TML_HTTP_MAX_PARAMS]; /* the '*' segments of the route, in order */
    int n_params;
    uint8_t *body;                     /* owned, NUL-terminated, body_len bytes */
    size_t body_len, body_cap, limit;
    bool too_large;
    tml_token_rec_t token;             /* who is calling (when the route needs auth) */
    tml_service_t *svc;
} tml_http_req_t;

typedef struct tml_http_resp {
    int status;                        /* HTTP status code */
    char *body;                        /* owned (tml_malloc) */
    size_t body_len;
    const char *content_type;          /* static string */
    char file_path[4096];              /* non-empty: stream this file instead of body */
    char location[256];                /* Location header when non-empty */
    char disposition[256];             /* Content-Disposition when non-empty */
} tml_http_resp_t;

typedef void (*tml_http_handler_fn)(tml_http_req_t *req, tml_http_resp_t *resp);

/* ---- responses ---- */
/* JSON response; takes the reference to j (NULL: 500 out of memory). */
void tml_http_json(tml_http_resp_t *resp, int status, json_t *j);
/* {"error": {"status": N, "code": "...", "message": "..."}}. */
void tml_http_error(tml_http_resp_t *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error response from a status and its message. */
void tml_http_fail(tml_http_resp_t *resp, const tml_err_t *err);
/* The HTTP code for a status. */
int tml_http_error_status(tml_status_t st);

/* ---- requests ---- */
/* A query argument ("?name=value"), NULL when absent. */
const char *tml_http_query(const tml_http_req_t *req, const char *name);
/* A request header, NULL when absent. */
const char *tml_http_header(const tml_http_req_t *req, const char *name);

/* Body schemas: which fields an object may have, their types, which are
 * required. Unknown fields and wrong types are refused by name. */
typedef enum tml_field_type {
    TML_FIELD_STRING,
    TML_FIELD_INT,
    TML_FIELD_BOOL,
    TML_FIELD_OBJECT,
    TML_FIELD_STRINGS, /* array of strings */
    TML_FIELD_NUMBER,  /* integer or real */
} tml_field_type_t;

typedef struct tml_field {
    const char *name;
    tml_field_type_t type;
    bool required;
} tml_field_t;

/* Parses the body as one JSON object and checks it against fields. On
 * success *out is a new reference; otherwise err says what is wrong. */
tml_status_t tml_http_body_json(const tml_http_req_t *req, const tml_field_t *fields, int n_fields,
                                json_t **out, tml_err_t *err);
/* Checks an already parsed object (where = "body", "metadata", ...). */
tml_status_t tml_json_check(const json_t *obj, const char *where, const tml_field_t *fields,
                            int n_fields, tml_err_t *err);

/* Names of models, versions, tenants, tokens, endpoints, tags: 1..127 of
 * [A-Za-z0-9._:-], not starting with '.' or '-'. */
bool tml_valid_name(const char *s, size_t max);

/* "2024-05-01T12:00:00Z" (0 -> JSON null). */
json_t *tml_json_time(int64_t t);

#endif /* TML_HTTP_H */
