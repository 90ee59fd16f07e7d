/*
 * server.c - libmicrohttpd glue: one request's life from headers to response.
 *
 * MHD calls the access handler once with the headers, then once per chunk of
 * body, then once more with no data. Everything that can be decided from the
 * headers is decided on the first call, before any body is read: the route
 * (404/405), the bearer token (401), and the declared Content-Length against
 * the route's limit (413). Answering then means a client sending
 * "Expect: 100-continue" never uploads a body we would refuse. Bodies
 * without a length (chunked) are counted as they arrive; past the limit the
 * rest is read and dropped, and the answer is 413. Handlers run on the last
 * call with the whole body buffered.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../service_internal.h"
#include "auth.h"
#include "router.h"
#include "static.h"

#define API_PREFIX "/api/v1/"

typedef struct conn_state {
    tml_http_req_t req;
    const tml_route_t *route;
    bool answered;          /* a response was queued early */
    tml_http_resp_t early;  /* the early answer, kept until the final call */
    bool have_early;
} conn_state_t;

static void resp_clear(tml_http_resp_t *r)
{
    tml_free(r->body);
    memset(r, 0, sizeof(*r));
}

static enum MHD_Result send_resp(struct MHD_Connection *conn, const tml_http_resp_t *r,
                                 const char *allow, bool auth_challenge)
{
    struct MHD_Response *mr = NULL;
    if (r->file_path[0]) {
        int fd = open(r->file_path, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd >= 0 && fstat(fd, &sb) == 0) {
            mr = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
            if (!mr)
                close(fd);
        } else if (fd >= 0) {
            close(fd);
        }
        if (!mr) {
            static const char gone[] = "{\"error\":{\"status\":500,\"code\":\"internal\","
                                       "\"message\":\"blob file missing\"}}\n";
            mr = MHD_create_response_from_buffer(sizeof(gone) - 1, (void *)gone,
                                                 MHD_RESPMEM_PERSISTENT);
            if (!mr)
                return MHD_NO;
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
            enum MHD_Result ok = MHD_queue_response(conn, 500, mr);
            MHD_destroy_response(mr);
            return ok;
        }
    } else {
        /* The response owns a copy: the request's resp is freed with the
         * connection state, possibly before MHD has sent everything. */
        void *copy = tml_malloc(r->body_len ? r->body_len : 1);
        if (!copy)
            return MHD_NO;
        if (r->body_len)
            memcpy(copy, r->body, r->body_len);
        mr = MHD_create_response_from_buffer_with_free_callback(r->body_len, copy, tml_free);
        if (!mr) {
            tml_free(copy);
            return MHD_NO;
        }
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE,
                            r->content_type ? r->content_type : "application/json");
    if (r->location[0])
        MHD_add_response_header(mr, MHD_HTTP_HEADER_LOCATION, r->location);
    if (r->disposition[0])
        MHD_add_response_header(mr, "Content-Disposition", r->disposition);
    if (allow && *allow)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allow);
    if (auth_challenge)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"tmlaasd\"");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    return ok;
}

static size_t route_limit(const tml_service_t *svc, const tml_route_t *route)
{
    return route && route->body == TML_BODY_UPLOAD ? svc->opts.max_upload_bytes
                                                   : svc->opts.max_body_bytes;
}

/* First call: route, auth and declared length. Returns true when an early
 * answer was prepared in st->early. */
static bool decide_early(tml_service_t *svc, conn_state_t *st, const char *url, const char *method,
                         char *allow, size_t allow_n, bool *challenge)
{
    tml_http_req_t *req = &st->req;
    tml_http_resp_t *r = &st->early;
    if (strncmp(url, API_PREFIX, sizeof(API_PREFIX) - 1) != 0) {
        tml_http_error(r, 404, "no such path '%s' (the API lives under " API_PREFIX ")", url);
        return true;
    }
    req->path = tml_strdup(url + sizeof(API_PREFIX) - 1);
    if (!req->path) {
        tml_http_error(r, 503, "out of memory");
        return true;
    }
    char shown[256];
    snprintf(shown, sizeof(shown), "%s", url);
    tml_route_match_t m = tml_route_find(method, req->path, &st->route, req->params, &req->n_params,
                                         allow, allow_n);
    if (m == TML_ROUTE_NO_PATH) {
        tml_http_error(r, 404, "no such path '%s'", shown);
        return true;
    }
    if (m == TML_ROUTE_NO_METHOD) {
        tml_http_error(r, 405, "method %s not allowed on '%s' (allowed: %s)", method, shown, allow);
        return true;
    }
    if (!st->route->public) {
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_auth_check(svc, tml_http_header(req, MHD_HTTP_HEADER_AUTHORIZATION), &req->token,
                           &err) != TML_OK) {
            if (err.status == TML_ERR_AUTH) {
                tml_http_error(r, 401, "%s", tml_err_message(&err));
                *challenge = true;
            } else {
                tml_http_fail(r, &err);
            }
            return true;
        }
    }
    req->limit = route_limit(svc, st->route);
    const char *cl = tml_http_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl) {
        char *end = NULL;
        unsigned long long n = strtoull(cl, &end, 10);
        if (end == cl || *end) {
            tml_http_error(r, 400, "Content-Length '%s' is not a number", cl);
            return true;
        }
        if (n > req->limit) {
            tml_http_error(r, 413, "request body of %llu bytes exceeds the limit of %zu bytes for %s %s",
                           n, req->limit, method, shown);
            return true;
        }
    }
    return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    tml_service_t *svc = cls;
    conn_state_t *st = *con_cls;
    if (!st) {
        st = tml_calloc(1, sizeof(*st));
        if (!st)
            return MHD_NO;
        *con_cls = st;
        st->req.conn = conn;
        st->req.method = method;
        st->req.svc = svc;
        if (strncmp(url, "/api/", 5) != 0) { /* the dashboard's files (static.c) */
            st->answered = true;
            return tml_static_serve(svc, conn, url, method);
        }
        char allow[64] = "";
        bool challenge = false;
        if (decide_early(svc, st, url, method, allow, sizeof(allow), &challenge)) {
            st->answered = true;
            return send_resp(conn, &st->early, allow, challenge);
        }
        return MHD_YES;
    }
    if (st->answered) {
        *upload_data_size = 0; /* drop whatever still arrives */
        return MHD_YES;
    }
    tml_http_req_t *req = &st->req;
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->too_large || req->body_len + n > req->limit) {
            req->too_large = true;
            return MHD_YES;
        }
        if (req->body_len + n + 1 > req->body_cap) {
            size_t cap = req->body_cap ? req->body_cap : 4096;
            while (cap < req->body_len + n + 1)
                cap *= 2;
            uint8_t *nb = tml_realloc(req->body, cap);
            if (!nb) {
                req->too_large = true; /* answered as 413 below: we cannot hold it */
                return MHD_YES;
            }
            req->body = nb;
            req->body_cap = cap;
        }
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        req->body[req->body_len] = '\0';
        return MHD_YES;
    }
    tml_http_resp_t resp;
    memset(&resp, 0, sizeof(resp));
    if (req->too_large) {
        tml_http_error(&resp, 413, "request body exceeds the limit of %zu bytes for %s /api/v1/%s",
                       req->limit, method, st->route->pattern);
    } else {
        if (!req->body) {
            req->body = tml_calloc(1, 1);
            if (!req->body)
                return MHD_NO;
        }
        st->route->handler(req, &resp);
        if (!resp.status)
            tml_http_error(&resp, 500, "handler produced no response");
    }
    TML_LOGD("http", "%s %s -> %d", method, url, resp.status);
    enum MHD_Result ok = send_resp(conn, &resp, NULL, false);
    resp_clear(&resp);
    st->answered = true;
    return ok;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    conn_state_t *st = *con_cls;
    if (!st)
        return;
    tml_free(st->req.path);
    tml_free(st->req.body);
    resp_clear(&st->early);
    tml_free(st);
    *con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    TML_LOGD("http", "%s", msg);
}

tml_status_t tml_http_start(tml_service_t *svc, tml_err_t *err)
{
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)svc->opts.http_port);
    const char *bind_addr = svc->opts.bind_addr ? svc->opts.bind_addr : "127.0.0.1";
    if (inet_pton(AF_INET, bind_addr, &addr.sin_addr) != 1)
        return tml_err_set(err, TML_ERR_ARG, "http: '%s' is not an IPv4 address", bind_addr);
    svc->http = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, (uint16_t)svc->opts.http_port, NULL, NULL,
        on_request, svc,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)4,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)60,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, svc,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, svc,
        MHD_OPTION_END);
    if (!svc->http)
        return tml_err_set(err, TML_ERR_IO, "http: cannot listen on %s:%d", bind_addr,
                           svc->opts.http_port);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(svc->http, MHD_DAEMON_INFO_BIND_PORT);
    svc->http_port = info ? info->port : svc->opts.http_port;
    return TML_OK;
}

void tml_http_stop(tml_service_t *svc)
{
    if (svc->http) {
        MHD_stop_daemon(svc->http);
        svc->http = NULL;
    }
}
