/*
 * server_internal.h - the LwM2M server's private state, shared by its
 * files: server.c (context, step, sessions), rd.c (registration
 * interface), dm.c (device management requests and answers) and pkg.c
 * (Block2 package serving).
 */
#ifndef TML_LWM2M_SERVER_INTERNAL_H
#define TML_LWM2M_SERVER_INTERNAL_H

#include <coap3/coap.h>

#include "tml/lwm2m_server.h"

typedef struct srv_dev {
    tml_lwm2m_device_t pub;
    struct tml_lwm2m_server *srv;
    /* The libcoap session to the device's address, if libcoap holds one:
     * a weak pointer (cleared on COAP_EVENT_SERVER_SESSION_DEL) unless
     * pinned. DTLS sessions are pinned (their security state cannot be
     * re-created from this side), and all are when the working set is off. */
    coap_session_t *session;
    bool pinned;               /* session is referenced by us */
    coap_address_t addr;       /* registered remote address (key in the address hash) */
    coap_resource_t *res;      /* rd/<reg_id> */
    uint64_t last_seen_ms;
    uint64_t awake_until_ms;
    uint64_t expires_ms;       /* expiry deadline (key in the expiry heap) */
    size_t heap_idx;           /* position in srv->heap; SIZE_MAX if not in it */
    bool removed;              /* freed at the end of the step */
    bool need_info;            /* send the registration reads this step */
    bool need_flush;           /* send queued requests this step */
    bool dirty;                /* on srv->dirty (need_info or need_flush) */
    int info_pending;
    /* Waking: requests wait for a session; a CoAP ping from the UDP
     * endpoint asks the device for a datagram, which makes libcoap create
     * one (COAP_EVENT_SERVER_SESSION_NEW). */
    bool waking;
    uint8_t wake_tries;
    uint64_t wake_next_ms;
    struct srv_req *reqs, *reqs_tail; /* live requests, oldest first */
    struct srv_dev *next, *prev;      /* srv->devs (live) or srv->dead */
    struct srv_dev *hnext;            /* endpoint hash chain */
    struct srv_dev *anext;            /* address hash chain */
    struct srv_dev *wnext, *wprev;    /* srv->waking list */
    struct srv_dev *dnext;            /* srv->dirty chain */
} srv_dev_t;

typedef struct srv_req {
    uint32_t id;
    srv_dev_t *dev;
    uint8_t token[8];
    uint8_t method;            /* CoAP request code */
    tml_lwm2m_path_t path;
    uint16_t accept;           /* TML_LWM2M_CF_ANY: none */
    uint16_t fmt;              /* content format of payload */
    uint8_t *payload;
    size_t payload_len;
    char *query;               /* Uri-Query options joined by '&' (attributes) */
    int observe;               /* -1 none, 0 register, 1 deregister */
    bool sent, done, first_answered;
    /* A GET answered block-wise (RFC 7959 Block2): the blocks so far, and
     * the next block asked for (sent as a Block2 option when > 0). */
    uint8_t *body;
    size_t body_len;
    uint32_t block_next;
    uint8_t block_szx;
    tml_lwm2m_response_fn cb;
    void *arg;
    /* Live (not done): in dev->reqs and the token and id hashes. Done: on
     * srv->done_reqs, freed at the end of the step. */
    struct srv_req *next, *prev;
    struct srv_req *tnext, *inext;     /* token / id hash chains */
} srv_req_t;

typedef struct srv_pkg {
    char path[72];             /* "pkg/<hex>" without the leading '/' */
    uint8_t *data;
    size_t len;
    uint8_t etag[8];
    coap_resource_t *res;
    struct tml_lwm2m_server *srv;
    struct srv_pkg *next;
} srv_pkg_t;

struct tml_lwm2m_server {
    tml_lwm2m_server_config_t cfg;
    char host[64];
    coap_context_t *ctx;
    uint16_t port, dtls_port;
    srv_dev_t *devs;           /* live devices, newest first */
    srv_dev_t *dead;           /* removed, freed at the end of the step */
    size_t n_devs;
    srv_dev_t **dev_buckets;   /* endpoint -> live device */
    srv_dev_t **addr_buckets;  /* remote address -> live plain-UDP device */
    size_t dev_nbuckets;       /* both hashes */
    /* The session working set (see server.c): libcoap keeps at most
     * cfg.session_cache idle server sessions; udp_fd is the UDP endpoint's
     * socket, which the wake pings go out of (-1: unknown, working set off). */
    bool working_set;
    int udp_fd;
    srv_dev_t *waking;         /* devices with a wake ping outstanding */
    uint16_t wake_mid;
    size_t n_sessions;         /* libcoap server sessions alive */
    uint64_t n_wakes;          /* wake pings sent */
    srv_dev_t **heap;          /* expiry min-heap of live devices */
    size_t heap_n, heap_cap;
    srv_dev_t *dirty;          /* devices with need_info / need_flush */
    srv_req_t *done_reqs;      /* done requests, freed at the end of the step */
    srv_req_t **req_tbuckets, **req_ibuckets; /* token / id -> live request */
    size_t req_nbuckets, n_reqs;
    /* tml_lwm2m_server_device_at cursor: sequential walks stay linear. */
    const srv_dev_t *at_dev;
    size_t at_i;
    uint64_t next_prepare_ms;  /* next coap_io_prepare_epoll */
    uint64_t last_prepare_ms;
    int timerfd;               /* libcoap's epoll timer, -1 if unknown */
    struct {                   /* libcoap's endpoint sockets in its epoll set */
        uintptr_t ptr;         /* epoll data: the coap_socket_t */
        int fd;
        unsigned burst;        /* datagrams read per coap_io_do_epoll */
    } socks[4];
    size_t n_socks;
    srv_pkg_t *pkgs;
    uint32_t next_req_id;
    uint64_t next_token;
    uint32_t next_reg;
    uint64_t blocks_served;
    uint8_t psk_key[64];
    coap_bin_const_t psk_bin;
};

uint64_t srv_now_ms(void);
void srv_event(struct tml_lwm2m_server *srv, tml_lwm2m_event_t ev, srv_dev_t *dev,
               const char *detail);
srv_dev_t *srv_find_dev(struct tml_lwm2m_server *srv, const char *endpoint);
/* Adds a new device to the live list, the endpoint hash and the expiry heap. */
tml_status_t srv_add_dev(struct tml_lwm2m_server *srv, srv_dev_t *dev);
/* Recomputes dev->expires_ms after last_seen_ms or the lifetime changed. */
void srv_dev_touch(struct tml_lwm2m_server *srv, srv_dev_t *dev);
/* Queues dev for srv_rd_after_io (set need_info / need_flush first). */
void srv_mark_dirty(struct tml_lwm2m_server *srv, srv_dev_t *dev);
/* Points dev at session s (weak unless dev must pin it), detaching s from
 * any other device and dev from its previous session. */
void srv_dev_attach(struct tml_lwm2m_server *srv, srv_dev_t *dev, coap_session_t *s);
/* Re-keys dev in the address hash after its remote address changed. */
void srv_dev_set_addr(struct tml_lwm2m_server *srv, srv_dev_t *dev, const coap_address_t *a);
/* Whether session s speaks for dev: its own session, or (plain UDP) any
 * session from dev's registered address. */
bool srv_session_is_dev(const srv_dev_t *dev, coap_session_t *s);
/* Starts waking dev (no session): its unsent requests go out once one exists. */
void srv_wake(struct tml_lwm2m_server *srv, srv_dev_t *dev);
/* Marks dev removed, fails its requests; freed by srv_reap. */
void srv_remove_dev(struct tml_lwm2m_server *srv, srv_dev_t *dev);
void srv_reap(struct tml_lwm2m_server *srv);

/* rd.c */
tml_status_t srv_rd_init(struct tml_lwm2m_server *srv, tml_err_t *err);
void srv_rd_after_io(struct tml_lwm2m_server *srv);

/* dm.c */
/* Live request bookkeeping: link into dev->reqs and the hashes; finish
 * marks done and moves to srv->done_reqs (memory stays until the reap). */
tml_status_t srv_req_link(struct tml_lwm2m_server *srv, srv_dev_t *dev, srv_req_t *req);
void srv_req_finish(struct tml_lwm2m_server *srv, srv_req_t *req);
void srv_reqs_destroy(struct tml_lwm2m_server *srv);
tml_status_t srv_submit(struct tml_lwm2m_server *srv, srv_dev_t *dev, srv_req_t *req,
                        tml_err_t *err);
void srv_flush(struct tml_lwm2m_server *srv, srv_dev_t *dev);
void srv_fail_requests(struct tml_lwm2m_server *srv, srv_dev_t *dev, tml_status_t st,
                       const char *detail);
/* Fails dev's requests that were never sent (waiting for a session). */
void srv_fail_unsent(struct tml_lwm2m_server *srv, srv_dev_t *dev, tml_status_t st,
                     const char *detail);
void srv_free_done(struct tml_lwm2m_server *srv);
coap_response_t srv_on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcv,
                                const coap_mid_t mid);
void srv_on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                 const coap_mid_t mid);
srv_req_t *srv_new_request(struct tml_lwm2m_server *srv, uint8_t method, const char *path,
                           tml_lwm2m_response_fn cb, void *arg, tml_err_t *err);
void srv_req_free(srv_req_t *req);

/* pkg.c */
void srv_pkgs_free(struct tml_lwm2m_server *srv);

#endif
