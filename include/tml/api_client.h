/*
 * api_client.h - a small blocking HTTP/1.1 client for the tmlaasd API, used
 * by the `tml` CLI's service subcommands and by the tests. One connection
 * per request ("Connection: close"), plain HTTP, Content-Length and chunked
 * responses, a deadline on every socket operation.
 */
#ifndef TML_API_CLIENT_H
#define TML_API_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_api_client {
    char host[256];
    char port[8];
    char prefix[256];      /* path prefix from the URL, "" or "/something" */
    char token[128];       /* bearer token, "" for none */
    int timeout_ms;        /* per socket operation; default 30000 */
} tml_api_client_t;

typedef struct tml_api_response {
    int status;
    char content_type[128];
    char location[256];
    uint8_t *body;         /* owned (tml_free), NUL-terminated, body_len bytes */
    size_t body_len;
} tml_api_response_t;

/* url: "http://HOST[:PORT][/PREFIX]" (PORT defaults to 80); token may be NULL. */
tml_status_t tml_api_client_init(tml_api_client_t *c, const char *url, const char *token, tml_err_t *err);

/* Sends one request. path starts with '/' (e.g. "/api/v1/models"); body may
 * be NULL. extra_headers (may be NULL) are whole lines "Name: value\r\n".
 * Any HTTP status is TML_OK; errors are for connection and protocol faults. */
tml_status_t tml_api_request(const tml_api_client_t *c, const char *method, const char *path,
                             const char *content_type, const void *body, size_t body_len,
                             const char *extra_headers, tml_api_response_t *resp, tml_err_t *err);

/* Sends raw bytes as the whole request (tests use it for malformed
 * requests) and reads the response. */
tml_status_t tml_api_raw(const tml_api_client_t *c, const void *request, size_t len,
                         tml_api_response_t *resp, tml_err_t *err);

void tml_api_response_free(tml_api_response_t *resp);

#ifdef __cplusplus
}
#endif
#endif /* TML_API_CLIENT_H */
