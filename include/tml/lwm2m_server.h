/*
 * lwm2m_server.h - the LwM2M server the service (tmlaasd) links, on libcoap.
 *
 * One tml_lwm2m_server_t owns a libcoap context with a plain-UDP endpoint
 * and, optionally, a DTLS-PSK one. It implements the registration interface
 * (register, update, de-register, lifetime expiry), device management (read,
 * write, execute, discover, observe and cancel; answers and notifications
 * go to callbacks), queue mode (requests to a sleeping device wait until its
 * next update), and Block2 serving of packages by content hash with an ETag.
 * On every registration it reads /3/0 and, when registered, /32101/0 (ML
 * Capabilities), in TLV and falling back to SenML-JSON, so standard LwM2M
 * 1.0/1.1 clients are understood as well as ours.
 *
 * Nothing here blocks or starts threads: the owner calls
 * tml_lwm2m_server_step() from its loop; every callback runs inside it.
 */
#ifndef TML_LWM2M_SERVER_H
#define TML_LWM2M_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"
#include "tml/lwm2m.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_lwm2m_server tml_lwm2m_server_t;

/* What the server knows of one registered client. Owned by the server;
 * valid until the device is removed (after DEREGISTERED or EXPIRED events
 * return). */
typedef struct tml_lwm2m_device {
    char endpoint[64];
    char reg_id[16];          /* location /rd/<reg_id> */
    char version[8];          /* "lwm2m" query: "1.0", "1.1" */
    char binding[8];          /* "U", "UQ" */
    uint32_t lifetime_s;
    bool queue_mode;          /* "Q" query (1.1) or binding with Q (1.0) */
    bool secure;              /* registered over DTLS */
    char psk_identity[64];    /* DTLS identity, "" over plain UDP */
    char peer[64];            /* "127.0.0.1:40000" */
    tml_lwm2m_links_t objects;     /* the registered object list */
    /* Read at registration (typed with the object model). */
    bool have_device_info;
    tml_lwm2m_records_t device_info; /* records of /3/0 */
    bool have_ml_caps;
    tml_lwm2m_records_t ml_caps;     /* records of /32101/0 */
    uint16_t info_format;            /* content format the client answered in */
    uint32_t n_updates;
    size_t n_queued;                 /* requests waiting for the device to wake */
} tml_lwm2m_device_t;

typedef enum tml_lwm2m_event {
    TML_LWM2M_EV_REGISTERED,   /* a client registered (or re-registered) */
    TML_LWM2M_EV_INFO,         /* the reads of /3/0 and ML Capabilities finished */
    TML_LWM2M_EV_UPDATED,
    TML_LWM2M_EV_DEREGISTERED,
    TML_LWM2M_EV_EXPIRED,      /* lifetime passed without an update */
    TML_LWM2M_EV_REFUSED,      /* a registration, or a DTLS handshake with an
                                  unknown PSK identity, was refused; dev is NULL.
                                  (A wrong key gives no event: DTLS drops the
                                  records that fail to verify and the handshake
                                  never completes.) */
} tml_lwm2m_event_t;

typedef void (*tml_lwm2m_event_fn)(void *arg, tml_lwm2m_event_t ev, const tml_lwm2m_device_t *dev,
                                   const char *detail);

/* An answer (or notification) to a device-management request. */
typedef struct tml_lwm2m_response {
    tml_status_t status;       /* TML_OK when the device answered 2.xx */
    uint8_t code;              /* CoAP code (class << 5 | detail), 0 if none came */
    uint16_t content_format;   /* 0xFFFF if none */
    const uint8_t *payload;    /* valid during the callback */
    size_t payload_len;
    /* Decoded and typed records when the payload was TLV, SenML-JSON, text
     * or opaque and decoded cleanly; NULL otherwise. */
    const tml_lwm2m_records_t *records;
    bool notification;         /* a notification of an observation */
    uint32_t observe_seq;
    const char *detail;        /* why it failed, "" otherwise */
} tml_lwm2m_response_t;

typedef void (*tml_lwm2m_response_fn)(void *arg, const tml_lwm2m_response_t *rsp);

/* PSK lookup: fill key (at most *key_len bytes; set *key_len) for identity
 * and, when the identity is bound to one endpoint name, copy it into
 * endpoint (cap bytes; "" if not bound). Return TML_ERR_NOT_FOUND for an
 * unknown identity: the handshake is refused. */
typedef tml_status_t (*tml_lwm2m_psk_fn)(void *arg, const char *identity, uint8_t *key,
                                         size_t *key_len, char *endpoint, size_t cap);
/* Whether credentials are provisioned for endpoint: if so it may only
 * register over DTLS. */
typedef bool (*tml_lwm2m_has_creds_fn)(void *arg, const char *endpoint);

typedef struct tml_lwm2m_server_config {
    const char *host;          /* "127.0.0.1" (default) or "::1" */
    uint16_t udp_port;         /* 0: ephemeral (read back with _port) */
    bool enable_dtls;          /* needs psk_lookup */
    uint16_t dtls_port;        /* 0: ephemeral */
    bool require_dtls;         /* refuse every plain-UDP registration (tmlaasd
                                  --require-dtls); needs enable_dtls */
    tml_lwm2m_psk_fn psk_lookup;
    tml_lwm2m_has_creds_fn has_credentials;
    void *cred_arg;
    tml_lwm2m_event_fn on_event;
    void *event_arg;
    uint32_t queue_awake_ms;   /* a queue-mode device listens this long after
                                  an update; default 2000 */
    uint32_t expiry_grace_ms;  /* added to the lifetime; default 1000 */
    bool skip_info_reads;      /* do not read /3/0 and /32101/0 on registration */
    uint32_t session_cache;    /* idle CoAP sessions kept (the working set,
                                  docs/lwm2m.md); 0: TML_LWM2M_SESSION_CACHE;
                                  UINT32_MAX: one pinned session per device */
    uint32_t session_idle_s;   /* an idle session is dropped after this long;
                                  0: libcoap's default (300 s) */
} tml_lwm2m_server_config_t;

#define TML_LWM2M_SESSION_CACHE 256u

tml_status_t tml_lwm2m_server_create(const tml_lwm2m_server_config_t *cfg,
                                     tml_lwm2m_server_t **out, tml_err_t *err);
void tml_lwm2m_server_destroy(tml_lwm2m_server_t *srv);

/* The bound ports (after ephemeral binding). 0 if that endpoint is off. */
uint16_t tml_lwm2m_server_port(const tml_lwm2m_server_t *srv);
uint16_t tml_lwm2m_server_dtls_port(const tml_lwm2m_server_t *srv);

/* Runs I/O for at most timeout_ms (0: only what is ready), then timers:
 * lifetime expiry, queue flushing. Callbacks run from here. */
tml_status_t tml_lwm2m_server_step(tml_lwm2m_server_t *srv, uint32_t timeout_ms);

/* Registered devices. */
const tml_lwm2m_device_t *tml_lwm2m_server_device(const tml_lwm2m_server_t *srv,
                                                  const char *endpoint);
size_t tml_lwm2m_server_n_devices(const tml_lwm2m_server_t *srv);
const tml_lwm2m_device_t *tml_lwm2m_server_device_at(const tml_lwm2m_server_t *srv, size_t i);

/* Device management. Each sends (or, for a sleeping queue-mode device,
 * queues) one request and calls cb exactly once with its answer, or with
 * TML_ERR_TIMEOUT / TML_ERR_NOT_FOUND when no answer can come. path is a
 * string such as "/3/0/1". accept is a content format, or 0xFFFF for the
 * client's choice. */
#define TML_LWM2M_CF_ANY 0xFFFFu
tml_status_t tml_lwm2m_server_read(tml_lwm2m_server_t *srv, const char *endpoint,
                                   const char *path, uint16_t accept,
                                   tml_lwm2m_response_fn cb, void *arg, tml_err_t *err);
/* Write recs (all under path) in fmt; replace selects PUT (replace) over
 * POST (partial update) for object instances. */
tml_status_t tml_lwm2m_server_write(tml_lwm2m_server_t *srv, const char *endpoint,
                                    const char *path, uint16_t fmt,
                                    const tml_lwm2m_records_t *recs, bool replace,
                                    tml_lwm2m_response_fn cb, void *arg, tml_err_t *err);
tml_status_t tml_lwm2m_server_execute(tml_lwm2m_server_t *srv, const char *endpoint,
                                      const char *path, const char *args,
                                      tml_lwm2m_response_fn cb, void *arg, tml_err_t *err);
/* Answer payload is link format (rsp->records is NULL). */
tml_status_t tml_lwm2m_server_discover(tml_lwm2m_server_t *srv, const char *endpoint,
                                       const char *path, tml_lwm2m_response_fn cb, void *arg,
                                       tml_err_t *err);
/* Write-Attributes, e.g. attrs "pmin=1&pmax=10". */
tml_status_t tml_lwm2m_server_write_attrs(tml_lwm2m_server_t *srv, const char *endpoint,
                                          const char *path, const char *attrs,
                                          tml_lwm2m_response_fn cb, void *arg, tml_err_t *err);
/* Observe: cb gets the first answer and then every notification until the
 * observation is cancelled or the device goes away. *obs_id names it. */
tml_status_t tml_lwm2m_server_observe(tml_lwm2m_server_t *srv, const char *endpoint,
                                      const char *path, uint16_t accept,
                                      tml_lwm2m_response_fn cb, void *arg, uint32_t *obs_id,
                                      tml_err_t *err);
/* Cancels an observation (a GET with Observe=1 to the device); cb is not
 * called again for it. */
tml_status_t tml_lwm2m_server_cancel_observe(tml_lwm2m_server_t *srv, uint32_t obs_id,
                                             tml_err_t *err);

/* Serves data (copied) at coap[s]://host:port/pkg/<sha256 hex> with Block2
 * and an ETag (the first 8 bytes of the SHA-256). uri_path receives
 * "/pkg/<hex>" (cap at least 70). Adding the same bytes twice is fine. */
tml_status_t tml_lwm2m_server_add_package(tml_lwm2m_server_t *srv, const uint8_t *data,
                                          size_t len, char *uri_path, size_t cap,
                                          tml_err_t *err);
/* Stops serving a package. */
tml_status_t tml_lwm2m_server_remove_package(tml_lwm2m_server_t *srv, const char *uri_path);
/* Block2 requests served so far (all packages), for tests and metrics. */
uint64_t tml_lwm2m_server_blocks_served(const tml_lwm2m_server_t *srv);
/* CoAP server sessions libcoap holds now (bounded by the working set), and
 * wake pings sent so far to devices whose session had been dropped. */
size_t tml_lwm2m_server_n_sessions(const tml_lwm2m_server_t *srv);
uint64_t tml_lwm2m_server_wakes(const tml_lwm2m_server_t *srv);

#ifdef __cplusplus
}
#endif
#endif /* TML_LWM2M_SERVER_H */
