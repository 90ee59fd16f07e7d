/*
 * rd.c - the registration interface: POST /rd (register), POST /rd/<id>
 * (update), DELETE /rd/<id> (de-register), plus the security decision
 * (which endpoints must come over DTLS, and with which identity) and the
 * reads of /3/0 and /32101/0 every registration triggers.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "server_internal.h"
#include "tml/coap_msg.h"

static void reply(coap_pdu_t *resp, coap_pdu_code_t code, const char *msg)
{
    coap_pdu_set_code(resp, code);
    if (msg && *msg)
        coap_add_data(resp, strlen(msg), (const uint8_t *)msg);
}

typedef struct reg_query {
    char ep[64], lt[16], lwm2m[8], b[8];
    bool has_ep, has_lt, has_b, q;
} reg_query_t;

/* Splits the '&'-joined Uri-Query options. Returns false on a malformed or
 * oversized parameter. */
static bool parse_query(const coap_string_t *query, reg_query_t *q)
{
    memset(q, 0, sizeof(*q));
    if (!query)
        return true;
    size_t i = 0, n = query->length;
    const char *s = (const char *)query->s;
    while (i < n) {
        size_t j = i;
        while (j < n && s[j] != '&')
            j++;
        const char *kv = s + i;
        size_t kvl = j - i;
        const char *eq = memchr(kv, '=', kvl);
        size_t kl = eq ? (size_t)(eq - kv) : kvl;
        const char *v = eq ? eq + 1 : "";
        size_t vl = eq ? kvl - kl - 1 : 0;
        char *dst = NULL;
        size_t cap = 0;
        if (kl == 2 && !memcmp(kv, "ep", 2)) {
            dst = q->ep, cap = sizeof(q->ep), q->has_ep = true;
        } else if (kl == 2 && !memcmp(kv, "lt", 2)) {
            dst = q->lt, cap = sizeof(q->lt), q->has_lt = true;
        } else if (kl == 5 && !memcmp(kv, "lwm2m", 5)) {
            dst = q->lwm2m, cap = sizeof(q->lwm2m);
        } else if (kl == 1 && kv[0] == 'b') {
            dst = q->b, cap = sizeof(q->b), q->has_b = true;
        } else if (kl == 1 && kv[0] == 'Q') {
            q->q = true;
        }
        if (dst) {
            if (vl >= cap || memchr(v, 0, vl))
                return false;
            memcpy(dst, v, vl);
            dst[vl] = 0;
        }
        i = j + 1;
    }
    return true;
}

static bool parse_lifetime(const char *s, uint32_t *out)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || v == 0 || v > 0xFFFFFFFFul)
        return false;
    *out = (uint32_t)v;
    return true;
}

static void set_binding(srv_dev_t *d, const reg_query_t *q)
{
    if (q->has_b)
        snprintf(d->pub.binding, sizeof(d->pub.binding), "%s", q->b);
    d->pub.queue_mode = q->q || strchr(d->pub.binding, 'Q') != NULL;
}

/* The security rule: endpoints with credentials, or every endpoint when the
 * server requires DTLS, must come over DTLS; over DTLS, an identity bound to
 * an endpoint may only register that endpoint. Fills why on refusal. */
static bool security_allows(tml_lwm2m_server_t *srv, coap_session_t *s, const char *ep,
                            char *identity, size_t id_cap, char *why, size_t why_cap)
{
    identity[0] = 0;
    if (coap_session_get_proto(s) != COAP_PROTO_DTLS) {
        if (srv->cfg.require_dtls) {
            snprintf(why, why_cap, "endpoint '%s': this server requires DTLS", ep);
            return false;
        }
        if (srv->cfg.has_credentials && srv->cfg.has_credentials(srv->cfg.cred_arg, ep)) {
            snprintf(why, why_cap, "endpoint '%s' has credentials: it must register over DTLS", ep);
            return false;
        }
        return true;
    }
    const coap_bin_const_t *id = coap_session_get_psk_identity(s);
    if (!id || id->length == 0 || id->length >= id_cap) {
        snprintf(why, why_cap, "endpoint '%s': DTLS session without a PSK identity", ep);
        return false;
    }
    memcpy(identity, id->s, id->length);
    identity[id->length] = 0;
    uint8_t key[64];
    size_t key_len = sizeof(key);
    char bound[64] = "";
    if (srv->cfg.psk_lookup(srv->cfg.cred_arg, identity, key, &key_len, bound, sizeof(bound)) != TML_OK) {
        snprintf(why, why_cap, "endpoint '%s': identity '%s' is no longer known", ep, identity);
        return false;
    }
    if (bound[0] && strcmp(bound, ep) != 0) {
        snprintf(why, why_cap, "identity '%s' may not register as endpoint '%s'", identity, ep);
        return false;
    }
    return true;
}

static void hnd_update(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                       const coap_string_t *query, coap_pdu_t *resp);
static void hnd_deregister(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                           const coap_string_t *query, coap_pdu_t *resp);

static void hnd_register(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                         const coap_string_t *query, coap_pdu_t *resp)
{
    tml_lwm2m_server_t *srv = coap_resource_get_userdata(r);
    reg_query_t q;
    char why[160];
    if (!parse_query(query, &q) || !q.has_ep || !q.ep[0]) {
        reply(resp, COAP_RESPONSE_CODE_BAD_REQUEST, "registration needs ep=<endpoint>");
        srv_event(srv, TML_LWM2M_EV_REFUSED, NULL, "registration without a valid ep");
        return;
    }
    uint32_t lifetime = 86400;
    if (q.has_lt && !parse_lifetime(q.lt, &lifetime)) {
        reply(resp, COAP_RESPONSE_CODE_BAD_REQUEST, "lt is not a positive integer");
        return;
    }
    char identity[64];
    if (!security_allows(srv, s, q.ep, identity, sizeof(identity), why, sizeof(why))) {
        reply(resp, COAP_RESPONSE_CODE_FORBIDDEN, why);
        srv_event(srv, TML_LWM2M_EV_REFUSED, NULL, why);
        return;
    }
    size_t len = 0;
    const uint8_t *data = NULL;
    coap_get_data(req, &len, &data);
    tml_lwm2m_links_t links;
    tml_lwm2m_links_init(&links);
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_lwm2m_links_parse((const char *)data, len, &links, &err) != TML_OK) {
        snprintf(why, sizeof(why), "object list: %s", tml_err_message(&err));
        reply(resp, COAP_RESPONSE_CODE_BAD_REQUEST, why);
        tml_lwm2m_links_free(&links);
        srv_event(srv, TML_LWM2M_EV_REFUSED, NULL, why);
        return;
    }
    srv_dev_t *old = srv_find_dev(srv, q.ep);
    if (old)
        srv_remove_dev(srv, old); /* a re-registration replaces the old one */
    srv_dev_t *d = tml_calloc(1, sizeof(*d));
    char uri[32];
    if (d) {
        snprintf(uri, sizeof(uri), "rd/%x", ++srv->next_reg);
        d->res = coap_resource_init(coap_new_str_const((const uint8_t *)uri, strlen(uri)),
                                    COAP_RESOURCE_FLAGS_RELEASE_URI);
    }
    if (!d || !d->res) {
        tml_free(d);
        tml_lwm2m_links_free(&links);
        reply(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    d->srv = srv;
    snprintf(d->pub.endpoint, sizeof(d->pub.endpoint), "%s", q.ep);
    snprintf(d->pub.reg_id, sizeof(d->pub.reg_id), "%x", srv->next_reg);
    snprintf(d->pub.version, sizeof(d->pub.version), "%s", q.lwm2m[0] ? q.lwm2m : "1.0");
    snprintf(d->pub.binding, sizeof(d->pub.binding), "U");
    set_binding(d, &q);
    d->pub.lifetime_s = lifetime;
    d->pub.secure = coap_session_get_proto(s) == COAP_PROTO_DTLS;
    snprintf(d->pub.psk_identity, sizeof(d->pub.psk_identity), "%s", identity);
    coap_print_addr(coap_session_get_addr_remote(s), (unsigned char *)d->pub.peer, sizeof(d->pub.peer));
    d->pub.objects = links;
    tml_lwm2m_records_init(&d->pub.device_info);
    tml_lwm2m_records_init(&d->pub.ml_caps);
    d->last_seen_ms = srv_now_ms();
    d->awake_until_ms = d->last_seen_ms + srv->cfg.queue_awake_ms;
    d->heap_idx = SIZE_MAX;
    coap_address_copy(&d->addr, coap_session_get_addr_remote(s));
    if (srv_add_dev(srv, d) != TML_OK) {
        coap_add_resource(srv->ctx, d->res); /* the way to free it */
        coap_delete_resource(srv->ctx, d->res);
        tml_lwm2m_links_free(&d->pub.objects);
        tml_free(d);
        reply(resp, COAP_RESPONSE_CODE_INTERNAL_ERROR, "out of memory");
        return;
    }
    srv_dev_attach(srv, d, s);
    d->need_info = !srv->cfg.skip_info_reads;
    if (d->need_info)
        srv_mark_dirty(srv, d);
    coap_resource_set_userdata(d->res, d);
    coap_register_handler(d->res, COAP_REQUEST_POST, hnd_update);
    coap_register_handler(d->res, COAP_REQUEST_DELETE, hnd_deregister);
    coap_add_resource(srv->ctx, d->res);
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CREATED);
    coap_add_option(resp, COAP_OPTION_LOCATION_PATH, 2, (const uint8_t *)"rd");
    coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(d->pub.reg_id),
                    (const uint8_t *)d->pub.reg_id);
    srv_event(srv, TML_LWM2M_EV_REGISTERED, d, "");
}

static void hnd_update(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                       const coap_string_t *query, coap_pdu_t *resp)
{
    srv_dev_t *d = coap_resource_get_userdata(r);
    if (!d || d->removed) {
        reply(resp, COAP_RESPONSE_CODE_NOT_FOUND, "no such registration");
        return;
    }
    tml_lwm2m_server_t *srv = d->srv;
    /* The update must come from the same security context. */
    bool secure = coap_session_get_proto(s) == COAP_PROTO_DTLS;
    if (secure != d->pub.secure) {
        reply(resp, COAP_RESPONSE_CODE_FORBIDDEN, "update over a different transport security");
        return;
    }
    if (secure) {
        const coap_bin_const_t *id = coap_session_get_psk_identity(s);
        if (!id || id->length != strlen(d->pub.psk_identity) ||
            memcmp(id->s, d->pub.psk_identity, id->length) != 0) {
            reply(resp, COAP_RESPONSE_CODE_FORBIDDEN, "update with a different PSK identity");
            return;
        }
    }
    reg_query_t q;
    uint32_t lifetime = d->pub.lifetime_s;
    if (!parse_query(query, &q) || (q.has_lt && !parse_lifetime(q.lt, &lifetime))) {
        reply(resp, COAP_RESPONSE_CODE_BAD_REQUEST, "bad update parameters");
        return;
    }
    size_t len = 0;
    const uint8_t *data = NULL;
    if (coap_get_data(req, &len, &data) && len > 0) {
        tml_lwm2m_links_t links;
        tml_lwm2m_links_init(&links);
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_lwm2m_links_parse((const char *)data, len, &links, &err) != TML_OK) {
            reply(resp, COAP_RESPONSE_CODE_BAD_REQUEST, tml_err_message(&err));
            tml_lwm2m_links_free(&links);
            return;
        }
        tml_lwm2m_links_free(&d->pub.objects);
        d->pub.objects = links;
    }
    d->pub.lifetime_s = lifetime;
    set_binding(d, &q);
    if (!coap_address_equals(coap_session_get_addr_remote(s), &d->addr)) {
        /* the device came back from a new address */
        srv_dev_set_addr(srv, d, coap_session_get_addr_remote(s));
        coap_print_addr(coap_session_get_addr_remote(s), (unsigned char *)d->pub.peer, sizeof(d->pub.peer));
    }
    srv_dev_attach(srv, d, s);
    d->last_seen_ms = srv_now_ms();
    d->awake_until_ms = d->last_seen_ms + srv->cfg.queue_awake_ms;
    srv_dev_touch(srv, d);
    d->pub.n_updates++;
    d->need_flush = true;
    srv_mark_dirty(srv, d);
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CHANGED);
    srv_event(srv, TML_LWM2M_EV_UPDATED, d, "");
}

static void hnd_deregister(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                           const coap_string_t *query, coap_pdu_t *resp)
{
    (void)req;
    (void)query;
    srv_dev_t *d = coap_resource_get_userdata(r);
    if (!d || d->removed) {
        reply(resp, COAP_RESPONSE_CODE_NOT_FOUND, "no such registration");
        return;
    }
    if ((coap_session_get_proto(s) == COAP_PROTO_DTLS) != d->pub.secure) {
        reply(resp, COAP_RESPONSE_CODE_FORBIDDEN, "de-register over a different transport security");
        return;
    }
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_DELETED);
    srv_event(d->srv, TML_LWM2M_EV_DEREGISTERED, d, "");
    srv_remove_dev(d->srv, d);
}

tml_status_t srv_rd_init(tml_lwm2m_server_t *srv, tml_err_t *err)
{
    coap_resource_t *rd = coap_resource_init(coap_new_str_const((const uint8_t *)"rd", 2),
                                             COAP_RESOURCE_FLAGS_RELEASE_URI);
    if (!rd)
        return tml_err_set(err, TML_ERR_NOMEM, "server: cannot create /rd");
    coap_resource_set_userdata(rd, srv);
    coap_register_handler(rd, COAP_REQUEST_POST, hnd_register);
    coap_add_resource(srv->ctx, rd);
    return TML_OK;
}

/* ---- Registration reads ---------------------------------------------------
 * /3/0 and /32101/0 are read in TLV first (every LwM2M 1.0 client speaks
 * it), then SenML-JSON, then whatever the client prefers. */
typedef struct info_read {
    srv_dev_t *dev;
    bool caps;
    int attempt;
} info_read_t;

static const uint16_t info_formats[] = {TML_LWM2M_CF_TLV, TML_LWM2M_CF_SENML_JSON, TML_LWM2M_CF_ANY};

static void info_done(info_read_t *ir)
{
    srv_dev_t *d = ir->dev;
    tml_free(ir);
    if (--d->info_pending == 0 && !d->removed)
        srv_event(d->srv, TML_LWM2M_EV_INFO, d, "");
}

static void send_info_read(srv_dev_t *d, info_read_t *ir);

static void on_info(void *arg, const tml_lwm2m_response_t *rsp)
{
    info_read_t *ir = arg;
    srv_dev_t *d = ir->dev;
    if (rsp->status == TML_OK && rsp->records) {
        tml_lwm2m_records_t *dst = ir->caps ? &d->pub.ml_caps : &d->pub.device_info;
        tml_lwm2m_records_free(dst);
        tml_lwm2m_records_init(dst);
        bool ok = true;
        for (size_t i = 0; i < rsp->records->n && ok; i++)
            ok = tml_lwm2m_records_add(dst, &rsp->records->recs[i].path, &rsp->records->recs[i].v) == TML_OK;
        if (ok) {
            if (ir->caps)
                d->pub.have_ml_caps = true;
            else
                d->pub.have_device_info = true;
            d->pub.info_format = rsp->content_format;
        }
        info_done(ir);
        return;
    }
    /* Unacceptable format, or an answer we could not decode: next format. */
    bool retry = rsp->code == TML_COAP_NOT_ACCEPTABLE || rsp->code == TML_COAP_UNSUPPORTED_CF ||
                 rsp->code == TML_COAP_BAD_REQUEST || (rsp->status == TML_OK && !rsp->records);
    if (retry && !d->removed && ir->attempt + 1 < (int)(sizeof(info_formats) / sizeof(info_formats[0]))) {
        ir->attempt++;
        send_info_read(d, ir);
        return;
    }
    TML_LOGW("lwm2m-server", "%s: reading %s failed: %s", d->pub.endpoint, ir->caps ? "/32101/0" : "/3/0",
             rsp->detail);
    info_done(ir);
}

static void send_info_read(srv_dev_t *d, info_read_t *ir)
{
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_lwm2m_server_read(d->srv, d->pub.endpoint, ir->caps ? "/32101/0" : "/3/0",
                              info_formats[ir->attempt], on_info, ir, &err) != TML_OK) {
        TML_LOGW("lwm2m-server", "%s: %s", d->pub.endpoint, tml_err_message(&err));
        info_done(ir);
    }
}

void srv_rd_after_io(tml_lwm2m_server_t *srv)
{
    /* Only the devices that registered or updated this step. */
    while (srv->dirty) {
        srv_dev_t *d = srv->dirty;
        srv->dirty = d->dnext;
        d->dnext = NULL;
        d->dirty = false;
        if (d->removed)
            continue;
        if (d->need_info) {
            d->need_info = false;
            bool has_caps = false;
            for (size_t i = 0; i < d->pub.objects.n; i++)
                if (d->pub.objects.links[i].has_path && d->pub.objects.links[i].path.id[0] == TML_LWM2M_OBJ_ML_CAPS)
                    has_caps = true;
            d->info_pending = 1 + has_caps;
            for (int k = 0; k < 1 + has_caps; k++) {
                info_read_t *ir = tml_calloc(1, sizeof(*ir));
                if (!ir) {
                    d->info_pending--;
                    continue;
                }
                ir->dev = d;
                ir->caps = k == 1;
                send_info_read(d, ir);
            }
        }
        if (d->need_flush && !d->removed) {
            d->need_flush = false;
            srv_flush(srv, d);
        }
    }
}
