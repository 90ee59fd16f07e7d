/*
 * server.c - the LwM2M server object: the libcoap context and its UDP and
 * DTLS-PSK endpoints, the step function, device bookkeeping and the
 * deferred freeing that keeps libcoap callbacks from seeing freed state.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "server_internal.h"

uint64_t srv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void srv_event(tml_lwm2m_server_t *srv, tml_lwm2m_event_t ev, srv_dev_t *dev, const char *detail)
{
    TML_LOGI("lwm2m-server", "%s %s%s%s",
             ev == TML_LWM2M_EV_REGISTERED ? "registered" : ev == TML_LWM2M_EV_INFO ? "info"
             : ev == TML_LWM2M_EV_UPDATED ? "updated" : ev == TML_LWM2M_EV_DEREGISTERED ? "deregistered"
             : ev == TML_LWM2M_EV_EXPIRED ? "expired" : "refused",
             dev ? dev->pub.endpoint : "", detail && *detail ? ": " : "", detail ? detail : "");
    if (srv->cfg.on_event)
        srv->cfg.on_event(srv->cfg.event_arg, ev, dev ? &dev->pub : NULL, detail ? detail : "");
}

/* ---- Device bookkeeping ----------------------------------------------------
 * Live devices are on a doubly linked list (newest first), in an endpoint
 * hash and in an expiry min-heap, so lookups, expiry and removal cost the
 * same at ten devices and at a hundred thousand. Removed devices move to
 * srv->dead and are freed at the end of the step. */

/* FNV-1a of p[0..n) from seed, with a final fold of the high bits, which
 * the bucket masks below keep. */
static uint64_t hash_bytes(uint64_t seed, const void *p, size_t n)
{
    uint64_t h = 1469598103934665603ull ^ seed;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
    return h ^ (h >> 29);
}

static uint64_t ep_hash(const char *s)
{
    return hash_bytes(0, s, strlen(s));
}

static uint64_t addr_hash(const coap_address_t *a)
{
    const uint8_t *p;
    size_t n;
    uint16_t port;
    if (a->addr.sa.sa_family == AF_INET6) {
        p = (const uint8_t *)&a->addr.sin6.sin6_addr;
        n = sizeof(a->addr.sin6.sin6_addr);
        port = a->addr.sin6.sin6_port;
    } else {
        p = (const uint8_t *)&a->addr.sin.sin_addr;
        n = sizeof(a->addr.sin.sin_addr);
        port = a->addr.sin.sin_port;
    }
    return hash_bytes(port, p, n);
}

static srv_dev_t *find_dev_by_addr(tml_lwm2m_server_t *srv, const coap_address_t *a)
{
    if (!srv->dev_nbuckets)
        return NULL;
    for (srv_dev_t *d = srv->addr_buckets[addr_hash(a) & (srv->dev_nbuckets - 1)]; d; d = d->anext)
        if (!d->removed && !d->pub.secure && coap_address_equals(&d->addr, a))
            return d;
    return NULL;
}

static void addr_hash_add(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    size_t b = addr_hash(&dev->addr) & (srv->dev_nbuckets - 1);
    dev->anext = srv->addr_buckets[b];
    srv->addr_buckets[b] = dev;
}

static void addr_hash_del(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (!srv->dev_nbuckets)
        return;
    for (srv_dev_t **pp = &srv->addr_buckets[addr_hash(&dev->addr) & (srv->dev_nbuckets - 1)]; *pp;
         pp = &(*pp)->anext) {
        if (*pp == dev) {
            *pp = dev->anext;
            dev->anext = NULL;
            return;
        }
    }
}

void srv_dev_set_addr(tml_lwm2m_server_t *srv, srv_dev_t *dev, const coap_address_t *a)
{
    addr_hash_del(srv, dev);
    coap_address_copy(&dev->addr, a);
    if (!dev->removed)
        addr_hash_add(srv, dev);
}

srv_dev_t *srv_find_dev(tml_lwm2m_server_t *srv, const char *endpoint)
{
    if (!srv->dev_nbuckets)
        return NULL;
    for (srv_dev_t *d = srv->dev_buckets[ep_hash(endpoint) & (srv->dev_nbuckets - 1)]; d; d = d->hnext)
        if (!d->removed && !strcmp(d->pub.endpoint, endpoint))
            return d;
    return NULL;
}

static bool dev_hash_grow(tml_lwm2m_server_t *srv)
{
    size_t n = srv->dev_nbuckets ? srv->dev_nbuckets * 2 : 1024;
    srv_dev_t **b = tml_calloc(n, sizeof(*b)), **ab = tml_calloc(n, sizeof(*ab));
    if (!b || !ab) {
        tml_free(b);
        tml_free(ab);
        return false;
    }
    for (srv_dev_t *d = srv->devs; d; d = d->next) {
        size_t i = ep_hash(d->pub.endpoint) & (n - 1);
        d->hnext = b[i];
        b[i] = d;
    }
    tml_free(srv->dev_buckets);
    tml_free(srv->addr_buckets);
    srv->dev_buckets = b;
    srv->addr_buckets = ab;
    srv->dev_nbuckets = n;
    for (srv_dev_t *d = srv->devs; d; d = d->next)
        addr_hash_add(srv, d);
    return true;
}

static void dev_hash_del(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (!srv->dev_nbuckets)
        return;
    for (srv_dev_t **pp = &srv->dev_buckets[ep_hash(dev->pub.endpoint) & (srv->dev_nbuckets - 1)]; *pp;
         pp = &(*pp)->hnext) {
        if (*pp == dev) {
            *pp = dev->hnext;
            dev->hnext = NULL;
            return;
        }
    }
}

static void heap_set(tml_lwm2m_server_t *srv, size_t i, srv_dev_t *d)
{
    srv->heap[i] = d;
    d->heap_idx = i;
}

static void heap_up(tml_lwm2m_server_t *srv, size_t i)
{
    srv_dev_t *d = srv->heap[i];
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (srv->heap[p]->expires_ms <= d->expires_ms)
            break;
        heap_set(srv, i, srv->heap[p]);
        i = p;
    }
    heap_set(srv, i, d);
}

static void heap_down(tml_lwm2m_server_t *srv, size_t i)
{
    srv_dev_t *d = srv->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= srv->heap_n)
            break;
        if (c + 1 < srv->heap_n && srv->heap[c + 1]->expires_ms < srv->heap[c]->expires_ms)
            c++;
        if (d->expires_ms <= srv->heap[c]->expires_ms)
            break;
        heap_set(srv, i, srv->heap[c]);
        i = c;
    }
    heap_set(srv, i, d);
}

static void heap_del(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    size_t i = d->heap_idx;
    if (i == SIZE_MAX || i >= srv->heap_n || srv->heap[i] != d)
        return;
    d->heap_idx = SIZE_MAX;
    srv_dev_t *last = srv->heap[--srv->heap_n];
    if (last == d)
        return;
    heap_set(srv, i, last);
    heap_up(srv, i);
    heap_down(srv, last->heap_idx);
}

void srv_dev_touch(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    dev->expires_ms = dev->last_seen_ms + (uint64_t)dev->pub.lifetime_s * 1000u + srv->cfg.expiry_grace_ms;
    if (dev->heap_idx != SIZE_MAX && dev->heap_idx < srv->heap_n && srv->heap[dev->heap_idx] == dev) {
        heap_up(srv, dev->heap_idx);
        heap_down(srv, dev->heap_idx);
    }
}

tml_status_t srv_add_dev(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (srv->n_devs + 1 > srv->dev_nbuckets && !dev_hash_grow(srv) && !srv->dev_nbuckets)
        return TML_ERR_NOMEM;
    if (srv->heap_n == srv->heap_cap) {
        size_t cap = srv->heap_cap ? srv->heap_cap * 2 : 1024;
        srv_dev_t **h = tml_realloc(srv->heap, cap * sizeof(*h));
        if (!h)
            return TML_ERR_NOMEM;
        srv->heap = h;
        srv->heap_cap = cap;
    }
    dev->prev = NULL;
    dev->next = srv->devs;
    if (srv->devs)
        srv->devs->prev = dev;
    srv->devs = dev;
    srv->n_devs++;
    srv->at_dev = NULL;
    size_t b = ep_hash(dev->pub.endpoint) & (srv->dev_nbuckets - 1);
    dev->hnext = srv->dev_buckets[b];
    srv->dev_buckets[b] = dev;
    addr_hash_add(srv, dev);
    dev->heap_idx = srv->heap_n++;
    srv->heap[dev->heap_idx] = dev;
    srv_dev_touch(srv, dev);
    return TML_OK;
}

/* ---- The session working set ------------------------------------------------
 * libcoap 4.3.1 walks every session of an endpoint for each datagram from a
 * new peer (coap_endpoint_get_session counts the idle ones) and for each
 * I/O preparation, so one session per registered device made a fleet of N
 * cost O(N) per new device. The device registry is ours (the hashes
 * above); libcoap keeps a bounded working set of sessions: a plain-UDP
 * device's pointer to its session is weak, libcoap frees idle ones beyond
 * session_cache (the least recently used first) and tells us with
 * COAP_EVENT_SERVER_SESSION_DEL. A session with a confirmable request in
 * flight is referenced by libcoap's send queue, so it is not idle.
 *
 * A request for a device without a session waits while the device is
 * woken: a CoAP ping (an empty CON, answered by a RST) goes to the device
 * from the UDP endpoint's own socket - the server's address and port, as a
 * device behind a NAT expects. Its answer, or any other datagram from the
 * device (an update, a notification), makes libcoap create a session
 * (COAP_EVENT_SERVER_SESSION_NEW), which the address hash maps back to the
 * device; its waiting requests then go out through libcoap as usual. */
#define WAKE_FIRST_MS 2000u
#define WAKE_MAX_TRIES 4u

static void dev_detach(srv_dev_t *d)
{
    if (!d->session)
        return;
    if (coap_session_get_app_data(d->session) == d)
        coap_session_set_app_data(d->session, NULL);
    if (d->pinned)
        coap_session_release(d->session);
    d->session = NULL;
    d->pinned = false;
}

static void wake_stop(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    if (!d->waking)
        return;
    d->waking = false;
    if (d->wprev)
        d->wprev->wnext = d->wnext;
    else
        srv->waking = d->wnext;
    if (d->wnext)
        d->wnext->wprev = d->wprev;
    d->wnext = d->wprev = NULL;
}

void srv_dev_attach(tml_lwm2m_server_t *srv, srv_dev_t *d, coap_session_t *s)
{
    if (d->session != s) {
        dev_detach(d);
        srv_dev_t *o = coap_session_get_app_data(s);
        if (o && o != d && o->session == s)
            dev_detach(o); /* s now speaks for d (a re-registration from o's address) */
        d->session = s;
        d->pinned = d->pub.secure || !srv->working_set;
        if (d->pinned)
            coap_session_reference(s);
        coap_session_set_app_data(s, d);
    }
    if (d->waking) { /* its waiting requests can go out now */
        wake_stop(srv, d);
        d->need_flush = true;
        srv_mark_dirty(srv, d);
    }
}

bool srv_session_is_dev(const srv_dev_t *d, coap_session_t *s)
{
    return s == d->session ||
           (!d->pub.secure && coap_session_get_proto(s) == COAP_PROTO_UDP &&
            coap_address_equals(coap_session_get_addr_remote(s), &d->addr));
}

static void send_ping(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    uint16_t mid = ++srv->wake_mid;
    const uint8_t ping[4] = {0x40, 0x00, (uint8_t)(mid >> 8), (uint8_t)mid}; /* ver 1, CON, 0.00 */
    if (sendto(srv->udp_fd, ping, sizeof(ping), 0, &d->addr.addr.sa, d->addr.size) < 0)
        TML_LOGD("lwm2m-server", "%s: wake ping: %s", d->pub.endpoint, strerror(errno));
    srv->n_wakes++;
    d->wake_next_ms = srv_now_ms() + ((uint64_t)WAKE_FIRST_MS << d->wake_tries);
}

void srv_wake(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    if (d->waking || d->removed || d->session || srv->udp_fd < 0)
        return;
    d->waking = true;
    d->wake_tries = 0;
    d->wprev = NULL;
    d->wnext = srv->waking;
    if (srv->waking)
        srv->waking->wprev = d;
    srv->waking = d;
    send_ping(srv, d);
}

/* Pings again on the CoAP schedule (2, 4, 8, 16 s); a device that never
 * answers has its waiting requests failed, unless it is a queue-mode
 * device, whose requests then wait for its next update. */
static void wake_timers(tml_lwm2m_server_t *srv)
{
    uint64_t now = srv_now_ms();
    for (srv_dev_t *d = srv->waking, *nx; d; d = nx) {
        nx = d->wnext;
        if (now < d->wake_next_ms)
            continue;
        if (++d->wake_tries <= WAKE_MAX_TRIES) {
            send_ping(srv, d);
            continue;
        }
        wake_stop(srv, d);
        if (!d->pub.queue_mode)
            srv_fail_unsent(srv, d, TML_ERR_TIMEOUT, "device did not answer");
    }
}

static int on_coap_event(coap_session_t *s, const coap_event_t ev)
{
    tml_lwm2m_server_t *srv = coap_get_app_data(coap_session_get_context(s));
    if (!srv)
        return 0;
    if (ev == COAP_EVENT_SERVER_SESSION_NEW) {
        srv->n_sessions++;
        if (srv->working_set && coap_session_get_proto(s) == COAP_PROTO_UDP) {
            srv_dev_t *d = find_dev_by_addr(srv, coap_session_get_addr_remote(s));
            if (d && !d->session)
                srv_dev_attach(srv, d, s);
        }
    } else if (ev == COAP_EVENT_SERVER_SESSION_DEL) {
        if (srv->n_sessions)
            srv->n_sessions--;
        srv_dev_t *d = coap_session_get_app_data(s);
        if (d && d->session == s) {
            d->session = NULL; /* libcoap frees it: nothing to release */
            d->pinned = false;
        }
        coap_session_set_app_data(s, NULL);
    }
    return 0;
}

void srv_mark_dirty(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (dev->dirty || dev->removed)
        return;
    dev->dirty = true;
    dev->dnext = srv->dirty;
    srv->dirty = dev;
}

void srv_remove_dev(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (dev->removed)
        return;
    dev->removed = true;
    if (dev->prev)
        dev->prev->next = dev->next;
    else
        srv->devs = dev->next;
    if (dev->next)
        dev->next->prev = dev->prev;
    dev_hash_del(srv, dev);
    addr_hash_del(srv, dev);
    heap_del(srv, dev);
    wake_stop(srv, dev);
    srv->n_devs--;
    srv->at_dev = NULL;
    dev->prev = NULL;
    dev->next = srv->dead;
    srv->dead = dev;
    if (dev->res)
        coap_resource_set_userdata(dev->res, NULL);
    srv_fail_requests(srv, dev, TML_ERR_NOT_FOUND, "device is no longer registered");
}

static void free_dev(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    if (d->res)
        coap_delete_resource(srv->ctx, d->res);
    dev_detach(d);
    tml_lwm2m_links_free(&d->pub.objects);
    tml_lwm2m_records_free(&d->pub.device_info);
    tml_lwm2m_records_free(&d->pub.ml_caps);
    tml_free(d);
}

void srv_reap(tml_lwm2m_server_t *srv)
{
    srv_free_done(srv);
    if (!srv->dead)
        return;
    /* A removed device may still wait on the dirty list: unhook it first. */
    for (srv_dev_t **pp = &srv->dirty; *pp;) {
        if ((*pp)->removed) {
            (*pp)->dirty = false;
            *pp = (*pp)->dnext;
        } else {
            pp = &(*pp)->dnext;
        }
    }
    while (srv->dead) {
        srv_dev_t *d = srv->dead;
        srv->dead = d->next;
        free_dev(srv, d);
    }
}

static void peer_text(coap_session_t *s, char *buf, size_t cap)
{
    buf[0] = 0;
    if (s && !coap_print_addr(coap_session_get_addr_remote(s), (unsigned char *)buf, cap))
        buf[0] = 0;
}

static const coap_bin_const_t *psk_validate(coap_bin_const_t *identity, coap_session_t *session,
                                            void *arg)
{
    tml_lwm2m_server_t *srv = arg;
    char id[64] = "", peer[64], why[200];
    if (identity && identity->length > 0 && identity->length < sizeof(id)) {
        memcpy(id, identity->s, identity->length);
        id[identity->length] = 0;
        for (char *c = id; *c; c++)
            if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
                *c = '?'; /* the identity goes into logs and events */
    }
    size_t key_len = sizeof(srv->psk_key);
    char ep[64];
    if (!id[0] || !srv->cfg.psk_lookup ||
        srv->cfg.psk_lookup(srv->cfg.cred_arg, id, srv->psk_key, &key_len, ep, sizeof(ep)) != TML_OK ||
        key_len == 0 || key_len > sizeof(srv->psk_key)) {
        peer_text(session, peer, sizeof(peer));
        snprintf(why, sizeof(why), "DTLS from %s: unknown PSK identity '%s'", peer, id);
        srv_event(srv, TML_LWM2M_EV_REFUSED, NULL, why);
        return NULL;
    }
    srv->psk_bin.s = srv->psk_key;
    srv->psk_bin.length = key_len;
    return &srv->psk_bin; /* libcoap copies it */
}

static tml_status_t bind_endpoint(tml_lwm2m_server_t *srv, uint16_t port, coap_proto_t proto,
                                  uint16_t *bound, tml_err_t *err)
{
    coap_address_t a;
    coap_address_init(&a);
    if (strchr(srv->host, ':')) {
        a.addr.sin6.sin6_family = AF_INET6;
        a.addr.sin6.sin6_port = htons(port);
        if (inet_pton(AF_INET6, srv->host, &a.addr.sin6.sin6_addr) != 1)
            return tml_err_set(err, TML_ERR_ARG, "server: bad IPv6 address '%s'", srv->host);
        a.size = sizeof(a.addr.sin6);
    } else {
        a.addr.sin.sin_family = AF_INET;
        a.addr.sin.sin_port = htons(port);
        if (inet_pton(AF_INET, srv->host, &a.addr.sin.sin_addr) != 1)
            return tml_err_set(err, TML_ERR_ARG, "server: bad IPv4 address '%s'", srv->host);
        a.size = sizeof(a.addr.sin);
    }
    coap_endpoint_t *ep = coap_new_endpoint(srv->ctx, &a, proto);
    if (!ep)
        return tml_err_set(err, TML_ERR_IO, "server: cannot bind %s port %u on %s",
                           proto == COAP_PROTO_DTLS ? "DTLS" : "UDP", port, srv->host);
    /* libcoap records the address it bound; its text form ends in ":port". */
    const char *s = coap_endpoint_str(ep);
    const char *colon = s ? strrchr(s, ':') : NULL;
    unsigned p = 0;
    if (!colon || sscanf(colon + 1, "%u", &p) != 1 || p == 0 || p > 65535)
        return tml_err_set(err, TML_ERR_INTERNAL, "server: cannot read the bound port from '%s'",
                           s ? s : "");
    *bound = (uint16_t)p;
    return TML_OK;
}

static void scan_coap_fds(tml_lwm2m_server_t *srv, int epfd);

/* The working set needs the UDP endpoint's socket for the wake pings: the
 * socket libcoap polls that is bound to the UDP port. Without it every
 * device pins its session, as before. */
static void start_working_set(tml_lwm2m_server_t *srv)
{
    for (size_t i = 0; i < srv->n_socks; i++) {
        struct sockaddr_storage a;
        socklen_t al = sizeof(a);
        int type = 0;
        socklen_t tl = sizeof(type);
        if (getsockname(srv->socks[i].fd, (struct sockaddr *)&a, &al) != 0 ||
            getsockopt(srv->socks[i].fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM)
            continue;
        uint16_t port = a.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&a)->sin6_port)
                        : a.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&a)->sin_port) : 0;
        if (port == srv->port)
            srv->udp_fd = srv->socks[i].fd;
    }
    if (srv->udp_fd < 0 || srv->cfg.session_cache == UINT32_MAX)
        return;
    srv->working_set = true;
    coap_context_set_max_idle_sessions(srv->ctx, srv->cfg.session_cache ? srv->cfg.session_cache
                                                                        : TML_LWM2M_SESSION_CACHE);
    if (srv->cfg.session_idle_s)
        coap_context_set_session_timeout(srv->ctx, srv->cfg.session_idle_s);
}

tml_status_t tml_lwm2m_server_create(const tml_lwm2m_server_config_t *cfg,
                                     tml_lwm2m_server_t **out, tml_err_t *err)
{
    if (!cfg || !out)
        return tml_err_set(err, TML_ERR_ARG, "server: NULL argument");
    if (cfg->enable_dtls && !cfg->psk_lookup)
        return tml_err_set(err, TML_ERR_ARG, "server: DTLS needs a PSK lookup callback");
    if (cfg->require_dtls && !cfg->enable_dtls)
        return tml_err_set(err, TML_ERR_ARG, "server: require_dtls without enable_dtls refuses everyone");
    *out = NULL;
    coap_startup();
    coap_set_log_level(tml_log_get_level() >= TML_LOG_DEBUG ? LOG_INFO : LOG_EMERG);
    coap_dtls_set_log_level(LOG_EMERG);
    tml_lwm2m_server_t *srv = tml_calloc(1, sizeof(*srv));
    if (!srv)
        return tml_err_set(err, TML_ERR_NOMEM, "server: out of memory");
    srv->cfg = *cfg;
    /* Registration ids start at a random point: a restarted server must not
     * hand out /rd/1 again while a client of the previous run still updates
     * /rd/1 (it would update someone else's registration, not re-register). */
    srv->next_reg = randombytes_uniform(0x40000000u);
    snprintf(srv->host, sizeof(srv->host), "%s", cfg->host ? cfg->host : "127.0.0.1");
    srv->cfg.host = srv->host;
    if (!srv->cfg.queue_awake_ms)
        srv->cfg.queue_awake_ms = 2000;
    if (!srv->cfg.expiry_grace_ms)
        srv->cfg.expiry_grace_ms = 1000;
    srv->next_token = ((uint64_t)srv_now_ms() << 20) ^ (uint64_t)(uintptr_t)srv;
    srv->ctx = coap_new_context(NULL);
    tml_status_t st = TML_OK;
    if (!srv->ctx)
        st = tml_err_set(err, TML_ERR_NOMEM, "server: cannot create a CoAP context");
    if (st == TML_OK) {
        coap_set_app_data(srv->ctx, srv);
        coap_register_response_handler(srv->ctx, srv_on_response);
        coap_register_nack_handler(srv->ctx, srv_on_nack);
        coap_register_event_handler(srv->ctx, on_coap_event);
        st = bind_endpoint(srv, cfg->udp_port, COAP_PROTO_UDP, &srv->port, err);
    }
    if (st == TML_OK && cfg->enable_dtls) {
        if (!coap_dtls_is_supported()) {
            st = tml_err_set(err, TML_ERR_UNSUPPORTED, "server: this libcoap has no DTLS");
        } else {
            coap_dtls_spsk_t spsk;
            memset(&spsk, 0, sizeof(spsk));
            spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
            spsk.validate_id_call_back = psk_validate;
            spsk.id_call_back_arg = srv;
            spsk.psk_info.hint.s = (const uint8_t *)"tmlaas";
            spsk.psk_info.hint.length = 6;
            if (!coap_context_set_psk2(srv->ctx, &spsk))
                st = tml_err_set(err, TML_ERR_INTERNAL, "server: cannot set up DTLS-PSK");
            else
                st = bind_endpoint(srv, cfg->dtls_port, COAP_PROTO_DTLS, &srv->dtls_port, err);
        }
    }
    if (st == TML_OK)
        st = srv_rd_init(srv, err);
    srv->timerfd = -1;
    srv->udp_fd = -1;
    if (st == TML_OK && coap_context_get_coap_fd(srv->ctx) >= 0)
        scan_coap_fds(srv, coap_context_get_coap_fd(srv->ctx));
    if (st == TML_OK)
        start_working_set(srv);
    if (st != TML_OK) {
        tml_lwm2m_server_destroy(srv);
        return st;
    }
    *out = srv;
    return TML_OK;
}

void tml_lwm2m_server_destroy(tml_lwm2m_server_t *srv)
{
    if (!srv)
        return;
    while (srv->devs)
        srv_remove_dev(srv, srv->devs);
    srv_reqs_destroy(srv);
    srv_reap(srv);
    srv_pkgs_free(srv);
    if (srv->ctx)
        coap_free_context(srv->ctx);
    tml_free(srv->dev_buckets);
    tml_free(srv->addr_buckets);
    tml_free(srv->heap);
    tml_free(srv->req_tbuckets);
    tml_free(srv->req_ibuckets);
    tml_free(srv);
}

uint16_t tml_lwm2m_server_port(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->port : 0;
}

uint16_t tml_lwm2m_server_dtls_port(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->dtls_port : 0;
}

/* ---- I/O -------------------------------------------------------------------
 * libcoap 4.3.1's coap_io_process() runs coap_io_prepare_epoll() (which
 * walks every session of every endpoint: idle timeouts, DTLS and Block
 * timers, retransmissions) and then reads one datagram. At a hundred
 * thousand sessions that walk, per datagram, is the cost. Here the step
 * drives libcoap's epoll interface itself: it reads up to IO_BATCH datagrams
 * per step and prepares (walks) at most every PREPARE_MIN_MS and at least
 * every PREPARE_MAX_MS, or when libcoap asked for sooner. libcoap arms its
 * timerfd for the head of its retransmission queue and does not disarm it
 * when that message is acknowledged, so at a thousand requests a second it
 * fires about once per request; a firing inside PREPARE_MIN_MS is drained
 * here instead of walking the sessions again. */
#define IO_BATCH 256
#define IO_BURST_MAX 64u
#define PREPARE_MIN_MS 20u
#define PREPARE_MAX_MS 100u

static void prepare_io(tml_lwm2m_server_t *srv)
{
    coap_tick_t now;
    coap_ticks(&now);
    unsigned t = coap_io_prepare_epoll(srv->ctx, now);
    if (t == 0 || t > PREPARE_MAX_MS)
        t = PREPARE_MAX_MS;
    if (t < PREPARE_MIN_MS)
        t = PREPARE_MIN_MS;
    srv->last_prepare_ms = srv_now_ms();
    srv->next_prepare_ms = srv->last_prepare_ms + t;
}

/* libcoap's epoll set, from /proc/self/fdinfo/<epfd> ("tfd: <fd> events:
 * <mask> data: <hex>"): its timerfd is the entry with data 0, the endpoint
 * sockets the entries whose data is their coap_socket_t. Without it (no
 * procfs) every timer firing prepares and every readable socket reads one
 * datagram per coap_io_do_epoll, as coap_io_process does. */
static void scan_coap_fds(tml_lwm2m_server_t *srv, int epfd)
{
    char path[64], line[256];
    srv->timerfd = -1;
    srv->n_socks = 0;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", epfd);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        int fd;
        unsigned ev;
        unsigned long long data;
        if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &ev, &data) != 3)
            continue;
        char link[64], target[64] = "";
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n <= 0)
            continue;
        if (data == 0 && strstr(target, "timerfd")) {
            srv->timerfd = fd;
        } else if (data != 0 && !strncmp(target, "socket:", 7) &&
                   srv->n_socks < sizeof(srv->socks) / sizeof(srv->socks[0])) {
            srv->socks[srv->n_socks].ptr = (uintptr_t)data;
            srv->socks[srv->n_socks].fd = fd;
            srv->socks[srv->n_socks].burst = 1;
            srv->n_socks++;
        }
    }
    fclose(f);
}

static bool sock_readable(int fd)
{
    int n = 0;
    return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

static tml_status_t run_io(tml_lwm2m_server_t *srv, uint32_t timeout_ms)
{
    int fd = coap_context_get_coap_fd(srv->ctx);
    if (fd < 0) /* libcoap without epoll */
        return coap_io_process(srv->ctx, timeout_ms ? timeout_ms : COAP_IO_NO_WAIT) < 0 ? TML_ERR_IO : TML_OK;
    uint64_t now = srv_now_ms();
    if (now >= srv->next_prepare_ms)
        prepare_io(srv);
    uint64_t until = srv->next_prepare_ms > now ? srv->next_prepare_ms - now : 0;
    int wait = (int)(timeout_ms < until ? timeout_ms : until);
    struct epoll_event ev[8], batch[IO_BURST_MAX * 4 + 8];
    for (int done = 0; done < IO_BATCH;) {
        int n = epoll_wait(fd, ev, (int)(sizeof(ev) / sizeof(ev[0])), wait);
        if (n < 0) {
            if (errno == EINTR)
                break;
            return TML_ERR_IO;
        }
        if (n == 0)
            break;
        /* coap_io_do_epoll reads one datagram per endpoint event and then
         * walks every session (coap_io_prepare_epoll); an endpoint event
         * repeated k times reads k datagrams for one walk. k adapts: it
         * doubles while the socket still has datagrams after a batch and
         * halves when it ran dry. */
        size_t nb = 0;
        bool timer = false;
        for (int i = 0; i < n; i++) {
            timer |= ev[i].data.ptr == NULL;
            unsigned k = 1;
            for (size_t j = 0; j < srv->n_socks; j++)
                if ((uintptr_t)ev[i].data.ptr == srv->socks[j].ptr && (ev[i].events & EPOLLIN))
                    k = srv->socks[j].burst;
            for (unsigned r = 0; r < k && nb < sizeof(batch) / sizeof(batch[0]); r++)
                batch[nb++] = ev[i];
        }
        coap_io_do_epoll(srv->ctx, batch, nb);
        now = srv_now_ms();
        if (timer) { /* libcoap's timerfd: something may be due */
            if (srv->timerfd < 0 || now >= srv->last_prepare_ms + PREPARE_MIN_MS) {
                prepare_io(srv); /* re-arms (and so drains) the timer */
            } else {
                uint64_t ticks;
                if (read(srv->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
                    srv->timerfd = -1;
                if (srv->next_prepare_ms > srv->last_prepare_ms + PREPARE_MIN_MS)
                    srv->next_prepare_ms = srv->last_prepare_ms + PREPARE_MIN_MS;
            }
        } else {
            srv->last_prepare_ms = now; /* coap_io_do_epoll just walked */
        }
        for (size_t j = 0; j < srv->n_socks; j++) {
            if (sock_readable(srv->socks[j].fd)) {
                if (srv->socks[j].burst < IO_BURST_MAX)
                    srv->socks[j].burst *= 2;
            } else if (srv->socks[j].burst > 1) {
                srv->socks[j].burst /= 2;
            }
        }
        done += (int)nb;
        wait = 0;
    }
    if (srv_now_ms() >= srv->next_prepare_ms)
        prepare_io(srv);
    return TML_OK;
}

tml_status_t tml_lwm2m_server_step(tml_lwm2m_server_t *srv, uint32_t timeout_ms)
{
    if (!srv)
        return TML_ERR_ARG;
    if (run_io(srv, timeout_ms) != TML_OK)
        return TML_ERR_IO;
    if (srv->waking)
        wake_timers(srv);
    uint64_t now = srv_now_ms();
    while (srv->heap_n && now > srv->heap[0]->expires_ms) {
        srv_dev_t *d = srv->heap[0];
        srv_event(srv, TML_LWM2M_EV_EXPIRED, d, "lifetime passed without an update");
        srv_remove_dev(srv, d);
    }
    srv_rd_after_io(srv);
    srv_reap(srv);
    return TML_OK;
}

const tml_lwm2m_device_t *tml_lwm2m_server_device(const tml_lwm2m_server_t *srv,
                                                  const char *endpoint)
{
    srv_dev_t *d = srv && endpoint ? srv_find_dev((tml_lwm2m_server_t *)(uintptr_t)srv, endpoint) : NULL;
    return d ? &d->pub : NULL;
}

size_t tml_lwm2m_server_n_devices(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->n_devs : 0;
}

const tml_lwm2m_device_t *tml_lwm2m_server_device_at(const tml_lwm2m_server_t *srv, size_t i)
{
    if (!srv || i >= srv->n_devs)
        return NULL;
    tml_lwm2m_server_t *m = (tml_lwm2m_server_t *)(uintptr_t)srv;
    const srv_dev_t *d;
    if (m->at_dev && i == m->at_i) {
        d = m->at_dev;
    } else if (m->at_dev && i == m->at_i + 1) {
        d = m->at_dev->next;
    } else {
        d = m->devs;
        for (size_t k = 0; d && k < i; k++)
            d = d->next;
    }
    m->at_dev = d;
    m->at_i = i;
    return d ? &d->pub : NULL;
}

size_t tml_lwm2m_server_n_sessions(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->n_sessions : 0;
}

uint64_t tml_lwm2m_server_wakes(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->n_wakes : 0;
}

uint64_t tml_lwm2m_server_blocks_served(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->blocks_served : 0;
}
