/*
 * server.c - the LwM2M server object: the libcoap context and its UDP and
 * DTLS-PSK endpoints, the step function, device bookkeeping and the
 * deferred freeing that keeps libcoap callbacks from seeing freed state.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

srv_dev_t *srv_find_dev(tml_lwm2m_server_t *srv, const char *endpoint)
{
    for (srv_dev_t *d = srv->devs; d; d = d->next)
        if (!d->removed && !strcmp(d->pub.endpoint, endpoint))
            return d;
    return NULL;
}

void srv_remove_dev(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    if (dev->removed)
        return;
    dev->removed = true;
    if (dev->res)
        coap_resource_set_userdata(dev->res, NULL);
    srv_fail_requests(srv, dev, TML_ERR_NOT_FOUND, "device is no longer registered");
}

static void free_dev(tml_lwm2m_server_t *srv, srv_dev_t *d)
{
    if (d->res)
        coap_delete_resource(srv->ctx, d->res);
    if (d->session) {
        if (coap_session_get_app_data(d->session) == d)
            coap_session_set_app_data(d->session, NULL);
        coap_session_release(d->session);
    }
    tml_lwm2m_links_free(&d->pub.objects);
    tml_lwm2m_records_free(&d->pub.device_info);
    tml_lwm2m_records_free(&d->pub.ml_caps);
    tml_free(d);
}

void srv_reap(tml_lwm2m_server_t *srv)
{
    srv_free_done(srv);
    srv_dev_t **pp = &srv->devs;
    while (*pp) {
        srv_dev_t *d = *pp;
        if (d->removed) {
            *pp = d->next;
            free_dev(srv, d);
        } else {
            pp = &d->next;
        }
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
        coap_register_response_handler(srv->ctx, srv_on_response);
        coap_register_nack_handler(srv->ctx, srv_on_nack);
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
    for (srv_dev_t *d = srv->devs; d; d = d->next)
        srv_remove_dev(srv, d);
    for (srv_req_t *r = srv->reqs; r; r = r->next)
        r->done = true;
    srv_reap(srv);
    srv_pkgs_free(srv);
    if (srv->ctx)
        coap_free_context(srv->ctx);
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

tml_status_t tml_lwm2m_server_step(tml_lwm2m_server_t *srv, uint32_t timeout_ms)
{
    if (!srv)
        return TML_ERR_ARG;
    if (coap_io_process(srv->ctx, timeout_ms ? timeout_ms : COAP_IO_NO_WAIT) < 0)
        return TML_ERR_IO;
    uint64_t now = srv_now_ms();
    for (srv_dev_t *d = srv->devs; d; d = d->next) {
        if (d->removed)
            continue;
        if (now > d->last_seen_ms + (uint64_t)d->pub.lifetime_s * 1000u + srv->cfg.expiry_grace_ms) {
            srv_event(srv, TML_LWM2M_EV_EXPIRED, d, "lifetime passed without an update");
            srv_remove_dev(srv, d);
        }
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
    size_t n = 0;
    for (srv_dev_t *d = srv ? srv->devs : NULL; d; d = d->next)
        n += !d->removed;
    return n;
}

const tml_lwm2m_device_t *tml_lwm2m_server_device_at(const tml_lwm2m_server_t *srv, size_t i)
{
    for (srv_dev_t *d = srv ? srv->devs : NULL; d; d = d->next)
        if (!d->removed && i-- == 0)
            return &d->pub;
    return NULL;
}

uint64_t tml_lwm2m_server_blocks_served(const tml_lwm2m_server_t *srv)
{
    return srv ? srv->blocks_served : 0;
}
