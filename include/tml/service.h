/*
 * service.h - tmlaasd as a library: start the whole service (store, model
 * zoo, compile workers, HTTP API) in the calling process and stop it again.
 * main.c is a thin command line over this; tests may embed it too.
 */
#ifndef TML_SERVICE_H
#define TML_SERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_service_opts {
    const char *data_dir;        /* required; created if missing */
    const char *store_url;       /* NULL: sqlite:DATA_DIR/tmlaasd.db */
    const char *bind_addr;       /* IPv4 address for HTTP; NULL: 127.0.0.1 */
    int http_port;               /* 0: an ephemeral port (read it back) */
    const char *admin_token;     /* first start only; NULL: generate one */
    int n_workers;               /* compile worker threads; <= 0: 2 */
    size_t max_body_bytes;       /* JSON request bodies; 0: 1 MiB */
    size_t max_upload_bytes;     /* model uploads; 0: 64 MiB */
    const char *source_dir;      /* TinyMLaaS tree for the "c" backend; NULL: built-in path */
    const char *lwm2m_host;      /* LwM2M bind address, also put in package URIs; NULL: 127.0.0.1 */
    int lwm2m_port;              /* LwM2M UDP port; 0: ephemeral; < 0: no LwM2M server */
    int lwm2m_dtls_port;         /* LwM2M DTLS-PSK port; 0: ephemeral; < 0: no DTLS */
    bool require_dtls;           /* refuse plain-UDP registrations */
    uint32_t lwm2m_session_cache; /* idle CoAP sessions kept (docs/lwm2m.md); 0: the default */
} tml_service_opts_t;

typedef struct tml_service tml_service_t;

/* Opens the store (migrating it), bootstraps the admin tenant and token on
 * an empty store, re-queues compilations a previous run left running,
 * starts the compile workers and the HTTP server. */
tml_status_t tml_service_start(const tml_service_opts_t *opts, tml_service_t **out, tml_err_t *err);

/* The HTTP port actually bound. */
int tml_service_http_port(const tml_service_t *svc);

/* The LwM2M ports actually bound (0: that endpoint is off). */
int tml_service_lwm2m_port(const tml_service_t *svc);
int tml_service_lwm2m_dtls_port(const tml_service_t *svc);
/* The package signing public key (Ed25519) as 64 hex digits. */
const char *tml_service_signing_key(const tml_service_t *svc);

/* The admin token this start created, or NULL (store not empty, or the
 * token came from the options). Valid until tml_service_stop. */
const char *tml_service_new_admin_token(const tml_service_t *svc);

/* Whether the admin token this start created was generated (print it). */
int tml_service_admin_token_generated(const tml_service_t *svc);

/* Stops accepting requests, lets running compilations finish, closes the
 * store. NULL is fine. */
void tml_service_stop(tml_service_t *svc);

#ifdef __cplusplus
}
#endif
#endif /* TML_SERVICE_H */
