/*
 * api_client.c - see tml/api_client.h.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tml/api_client.h"

tml_status_t tml_api_client_init(tml_api_client_t *c, const char *url, const char *token, tml_err_t *err)
{
    memset(c, 0, sizeof(*c));
    c->timeout_ms = 30000;
    if (!url || strncmp(url, "http://", 7) != 0)
        return tml_err_set(err, TML_ERR_ARG, "server URL '%s' must start with http://", url ? url : "");
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    size_t hp_len = slash ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hp_len);
    size_t host_len = colon ? (size_t)(colon - h) : hp_len;
    if (host_len == 0 || host_len >= sizeof(c->host))
        return tml_err_set(err, TML_ERR_ARG, "server URL '%s' has no valid host", url);
    memcpy(c->host, h, host_len);
    if (colon) {
        size_t plen = hp_len - host_len - 1;
        if (plen == 0 || plen >= sizeof(c->port))
            return tml_err_set(err, TML_ERR_ARG, "server URL '%s' has a bad port", url);
        memcpy(c->port, colon + 1, plen);
        for (size_t i = 0; i < plen; i++)
            if (c->port[i] < '0' || c->port[i] > '9')
                return tml_err_set(err, TML_ERR_ARG, "server URL '%s' has a bad port", url);
    } else {
        strcpy(c->port, "80");
    }
    if (slash) {
        snprintf(c->prefix, sizeof(c->prefix), "%s", slash);
        size_t n = strlen(c->prefix);
        while (n && c->prefix[n - 1] == '/')
            c->prefix[--n] = '\0';
    }
    if (token && strlen(token) >= sizeof(c->token))
        return tml_err_set(err, TML_ERR_ARG, "token too long");
    if (token)
        snprintf(c->token, sizeof(c->token), "%s", token);
    return TML_OK;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static tml_status_t connect_to(const tml_api_client_t *c, int *fd, tml_err_t *err)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(c->host, c->port, &hints, &res);
    if (rc != 0)
        return tml_err_set(err, TML_ERR_IO, "%s:%s: %s", c->host, c->port, gai_strerror(rc));
    int s = -1, last = 0;
    for (struct addrinfo *ai = res; ai && s < 0; ai = ai->ai_next) {
        s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s < 0)
            continue;
        struct timeval tv = {c->timeout_ms / 1000, (c->timeout_ms % 1000) * 1000};
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
            last = errno;
            close(s);
            s = -1;
        }
    }
    freeaddrinfo(res);
    if (s < 0)
        return tml_err_set(err, TML_ERR_IO, "cannot connect to %s:%s: %s", c->host, c->port, strerror(last));
    *fd = s;
    return TML_OK;
}

/* Sends everything it can; a peer that answers early and closes (413) is
 * not an error here: the response is read next. */
static void send_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static const char *find_header(const char *head, const char *name, size_t *len)
{
    size_t n = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            *len = e ? (size_t)(e - v) : strlen(v);
            return v;
        }
    }
    return NULL;
}

/* Decodes a chunked body in place; returns its length or -1. */
static long dechunk(uint8_t *b, size_t n)
{
    size_t r = 0, w = 0;
    for (;;) {
        char *end = NULL;
        if (r >= n)
            return -1;
        unsigned long sz = strtoul((const char *)b + r, &end, 16);
        const uint8_t *crlf = (const uint8_t *)strstr((const char *)b + r, "\r\n");
        if (!crlf || end == (char *)b + r)
            return -1;
        r = (size_t)(crlf - b) + 2;
        if (sz == 0)
            return (long)w;
        if (r + sz + 2 > n)
            return -1;
        memmove(b + w, b + r, sz);
        w += sz;
        r += sz + 2;
    }
}

/* With expect (the head carries "Expect: 100-continue"), the body is sent
 * only after "100 Continue", or after a second of silence; a final answer
 * instead (401, 413) means the body is never sent. */
static tml_status_t exchange(const tml_api_client_t *c, const uint8_t *head, size_t head_len,
                             const uint8_t *body, size_t body_len, int expect,
                             tml_api_response_t *resp, tml_err_t *err)
{
    memset(resp, 0, sizeof(*resp));
    int fd = -1;
    tml_status_t st = connect_to(c, &fd, err);
    if (st != TML_OK)
        return st;
    size_t cap = 16384, len = 0;
    uint8_t *buf = tml_malloc(cap);
    if (!buf) {
        close(fd);
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    }
    send_all(fd, head, head_len);
    if (body && body_len && expect) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int send_body = 1;
        if (poll(&pfd, 1, 1000) == 1) {
            ssize_t r = recv(fd, buf, cap - 1, 0);
            if (r > 0) {
                len = (size_t)r;
                buf[len] = '\0';
                char *e = strstr((char *)buf, "\r\n\r\n");
                if (!strncmp((char *)buf, "HTTP/1.1 100", 12) && e) {
                    size_t drop = (size_t)(e + 4 - (char *)buf);
                    memmove(buf, buf + drop, len - drop);
                    len -= drop;
                } else {
                    send_body = 0;
                }
            }
        }
        if (send_body)
            send_all(fd, body, body_len);
    } else if (body && body_len) {
        send_all(fd, body, body_len);
    }
    int64_t deadline = now_ms() + c->timeout_ms;
    for (;;) {
        if (len + 1 >= cap) {
            uint8_t *nb = tml_realloc(buf, cap * 2);
            if (!nb) {
                st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r > 0) {
            len += (size_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR && now_ms() < deadline)
            continue;
        if (r < 0 && len == 0)
            st = tml_err_set(err, errno == EAGAIN || errno == EWOULDBLOCK ? TML_ERR_TIMEOUT : TML_ERR_IO,
                             "reading the response from %s:%s: %s", c->host, c->port, strerror(errno));
        break;
    }
    close(fd);
    if (st != TML_OK) {
        tml_free(buf);
        return st;
    }
    buf[len] = '\0';
    char *end = strstr((char *)buf, "\r\n\r\n");
    if (!end || sscanf((char *)buf, "HTTP/1.%*d %d", &resp->status) != 1) {
        tml_free(buf);
        return tml_err_set(err, TML_ERR_CORRUPT, "malformed HTTP response from %s:%s", c->host, c->port);
    }
    *end = '\0';
    size_t vlen;
    const char *v;
    if ((v = find_header((char *)buf, "Content-Type", &vlen)))
        snprintf(resp->content_type, sizeof(resp->content_type), "%.*s", (int)vlen, v);
    if ((v = find_header((char *)buf, "Location", &vlen)))
        snprintf(resp->location, sizeof(resp->location), "%.*s", (int)vlen, v);
    int chunked = (v = find_header((char *)buf, "Transfer-Encoding", &vlen)) && vlen >= 7 &&
                  strncasecmp(v, "chunked", 7) == 0;
    long cl = -1;
    if ((v = find_header((char *)buf, "Content-Length", &vlen)))
        cl = strtol(v, NULL, 10);
    uint8_t *b = (uint8_t *)end + 4;
    size_t blen = len - (size_t)(b - buf);
    if (chunked) {
        long n = dechunk(b, blen);
        if (n < 0) {
            tml_free(buf);
            return tml_err_set(err, TML_ERR_CORRUPT, "malformed chunked response");
        }
        blen = (size_t)n;
    } else if (cl >= 0) {
        if ((size_t)cl > blen) {
            tml_free(buf);
            return tml_err_set(err, TML_ERR_IO, "response truncated: %zu of %ld bytes", blen, cl);
        }
        blen = (size_t)cl;
    }
    resp->body = tml_malloc(blen + 1);
    if (!resp->body) {
        tml_free(buf);
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    }
    memcpy(resp->body, b, blen);
    resp->body[blen] = '\0';
    resp->body_len = blen;
    tml_free(buf);
    return TML_OK;
}

tml_status_t tml_api_request(const tml_api_client_t *c, const char *method, const char *path,
                             const char *content_type, const void *body, size_t body_len,
                             const char *extra_headers, tml_api_response_t *resp, tml_err_t *err)
{
    size_t n = strlen(method) + strlen(c->prefix) + strlen(path) + strlen(c->host) + strlen(c->token) +
               (content_type ? strlen(content_type) : 0) + (extra_headers ? strlen(extra_headers) : 0) + 256;
    char *head = tml_malloc(n);
    if (!head)
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    int w = snprintf(head, n, "%s %s%s HTTP/1.1\r\nHost: %s:%s\r\nConnection: close\r\n", method, c->prefix,
                     path, c->host, c->port);
    if (c->token[0])
        w += snprintf(head + w, n - (size_t)w, "Authorization: Bearer %s\r\n", c->token);
    if (content_type)
        w += snprintf(head + w, n - (size_t)w, "Content-Type: %s\r\n", content_type);
    if (body || strcmp(method, "GET"))
        w += snprintf(head + w, n - (size_t)w, "Content-Length: %zu\r\n", body ? body_len : 0);
    int expect = body && body_len > 1024;
    if (expect)
        w += snprintf(head + w, n - (size_t)w, "Expect: 100-continue\r\n");
    w += snprintf(head + w, n - (size_t)w, "%s\r\n", extra_headers ? extra_headers : "");
    tml_status_t st = exchange(c, (const uint8_t *)head, (size_t)w, body, body ? body_len : 0, expect, resp, err);
    tml_free(head);
    return st;
}

tml_status_t tml_api_raw(const tml_api_client_t *c, const void *request, size_t len,
                         tml_api_response_t *resp, tml_err_t *err)
{
    return exchange(c, request, len, NULL, 0, 0, resp, err);
}

void tml_api_response_free(tml_api_response_t *resp)
{
    if (!resp)
        return;
    tml_free(resp->body);
    resp->body = NULL;
    resp->body_len = 0;
}
