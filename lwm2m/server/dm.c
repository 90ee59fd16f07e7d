/*
 * dm.c - device management requests from the server to a registered
 * client: build the CoAP request, send it (or keep it in the device's queue
 * while a queue-mode device sleeps), match answers and notifications by
 * token, decode and type their payload, and hand them to the caller.
 */
#include <stdio.h>
#include <string.h>

#include "server_internal.h"
#include "tml/coap_msg.h"

srv_req_t *srv_new_request(tml_lwm2m_server_t *srv, uint8_t method, const char *path,
                           tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    if (!path || !cb) {
        tml_err_set(err, TML_ERR_ARG, "request: NULL path or callback");
        return NULL;
    }
    srv_req_t *r = tml_calloc(1, sizeof(*r));
    if (!r) {
        tml_err_set(err, TML_ERR_NOMEM, "request: out of memory");
        return NULL;
    }
    if (tml_lwm2m_path_parse(path, strlen(path), &r->path, err) != TML_OK) {
        tml_free(r);
        return NULL;
    }
    r->id = ++srv->next_req_id;
    r->method = method;
    r->accept = TML_LWM2M_CF_ANY;
    r->fmt = TML_LWM2M_CF_ANY;
    r->observe = -1;
    r->cb = cb;
    r->arg = arg;
    uint64_t t = ++srv->next_token * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 8; i++)
        r->token[i] = (uint8_t)(t >> (8 * i));
    return r;
}

void srv_req_free(srv_req_t *req)
{
    if (!req)
        return;
    tml_free(req->payload);
    tml_free(req->query);
    tml_free(req);
}

static void deliver(srv_req_t *r, tml_status_t st, uint8_t code, const coap_pdu_t *pdu,
                    const char *detail)
{
    tml_lwm2m_response_t rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.status = st;
    rsp.code = code;
    rsp.content_format = TML_LWM2M_CF_ANY;
    rsp.detail = detail ? detail : "";
    tml_lwm2m_records_t recs;
    tml_lwm2m_records_init(&recs);
    char why[TML_ERR_MSG_MAX];
    why[0] = 0;
    if (pdu) {
        coap_opt_iterator_t it;
        coap_opt_t *o = coap_check_option(pdu, COAP_OPTION_CONTENT_FORMAT, &it);
        if (o)
            rsp.content_format = (uint16_t)coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
        o = coap_check_option(pdu, COAP_OPTION_OBSERVE, &it);
        if (o) {
            rsp.observe_seq = coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
            rsp.notification = r->first_answered;
        }
        coap_get_data(pdu, &rsp.payload_len, &rsp.payload);
        if (code >> 5 != 2) {
            rsp.status = code == TML_COAP_NOT_FOUND ? TML_ERR_NOT_FOUND
                         : code == TML_COAP_UNAUTHORIZED || code == TML_COAP_FORBIDDEN ? TML_ERR_AUTH
                         : code == TML_COAP_METHOD_NOT_ALLOWED ? TML_ERR_STATE
                         : code == TML_COAP_NOT_ACCEPTABLE || code == TML_COAP_UNSUPPORTED_CF ? TML_ERR_UNSUPPORTED
                         : code >> 5 == 4 ? TML_ERR_ARG : TML_ERR_IO;
            snprintf(why, sizeof(why), "device answered %u.%02u%s%.*s", code >> 5, code & 31,
                     rsp.payload_len ? ": " : "", (int)(rsp.payload_len > 200 ? 200 : rsp.payload_len),
                     rsp.payload_len ? (const char *)rsp.payload : "");
            rsp.detail = why;
        } else if (rsp.payload_len && r->method == COAP_REQUEST_CODE_GET &&
                   rsp.content_format != TML_LWM2M_CF_LINK) {
            uint16_t cf = rsp.content_format == TML_LWM2M_CF_ANY ? TML_LWM2M_CF_TEXT : rsp.content_format;
            tml_err_t err;
            tml_err_clear(&err);
            if (tml_lwm2m_decode(cf, &r->path, rsp.payload, rsp.payload_len, &recs, &err) == TML_OK &&
                tml_lwm2m_records_type(&recs, &err) == TML_OK) {
                rsp.records = &recs;
            } else {
                snprintf(why, sizeof(why), "payload in format %u not understood: %s", cf,
                         tml_err_message(&err));
                rsp.detail = why;
            }
        }
    }
    r->first_answered = true;
    r->cb(r->arg, &rsp);
    tml_lwm2m_records_free(&recs);
}

static void complete(srv_req_t *r, tml_status_t st, const char *detail)
{
    if (r->done)
        return;
    r->done = true;
    deliver(r, st, 0, NULL, detail);
}

void srv_fail_requests(tml_lwm2m_server_t *srv, srv_dev_t *dev, tml_status_t st, const char *detail)
{
    for (srv_req_t *r = srv->reqs; r; r = r->next)
        if (r->dev == dev && !r->done)
            complete(r, st, detail);
    if (dev)
        dev->pub.n_queued = 0;
}

void srv_free_done(tml_lwm2m_server_t *srv)
{
    srv_req_t **pp = &srv->reqs;
    while (*pp) {
        srv_req_t *r = *pp;
        if (r->done) {
            *pp = r->next;
            srv_req_free(r);
        } else {
            pp = &r->next;
        }
    }
}

static tml_status_t send_now(tml_lwm2m_server_t *srv, srv_req_t *r)
{
    (void)srv;
    coap_session_t *s = r->dev->session;
    coap_pdu_t *pdu = coap_pdu_init(COAP_MESSAGE_CON, r->method, coap_new_message_id(s),
                                    coap_session_max_pdu_size(s));
    if (!pdu)
        return TML_ERR_NOMEM;
    uint8_t buf[8];
    bool ok = coap_add_token(pdu, sizeof(r->token), r->token);
    if (ok && r->observe >= 0)
        ok = coap_add_option(pdu, COAP_OPTION_OBSERVE,
                             coap_encode_var_safe(buf, sizeof(buf), (unsigned)r->observe), buf) > 0 ||
             r->observe == 0;
    char seg[4][8];
    for (int i = 0; ok && i < r->path.len; i++) {
        int n = snprintf(seg[i], sizeof(seg[i]), "%u", r->path.id[i]);
        ok = coap_add_option(pdu, COAP_OPTION_URI_PATH, (size_t)n, (const uint8_t *)seg[i]) > 0;
    }
    if (ok && r->fmt != TML_LWM2M_CF_ANY)
        ok = coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                             coap_encode_var_safe(buf, sizeof(buf), r->fmt), buf) > 0 || r->fmt == 0;
    if (ok && r->query) {
        const char *q = r->query;
        while (ok && *q) {
            const char *e = strchr(q, '&');
            size_t n = e ? (size_t)(e - q) : strlen(q);
            if (n)
                ok = coap_add_option(pdu, COAP_OPTION_URI_QUERY, n, (const uint8_t *)q) > 0;
            q += n + (e ? 1 : 0);
        }
    }
    if (ok && r->accept != TML_LWM2M_CF_ANY)
        ok = coap_add_option(pdu, COAP_OPTION_ACCEPT, coap_encode_var_safe(buf, sizeof(buf), r->accept),
                             buf) > 0 || r->accept == 0;
    if (ok && r->payload_len)
        ok = coap_add_data(pdu, r->payload_len, r->payload) != 0;
    if (!ok) {
        coap_delete_pdu(pdu);
        return TML_ERR_NOMEM;
    }
    if (coap_send(s, pdu) == COAP_INVALID_MID)
        return TML_ERR_IO;
    r->sent = true;
    return TML_OK;
}

tml_status_t srv_submit(tml_lwm2m_server_t *srv, srv_dev_t *dev, srv_req_t *req, tml_err_t *err)
{
    req->dev = dev;
    req->next = srv->reqs;
    srv->reqs = req;
    if (dev->pub.queue_mode && srv_now_ms() > dev->awake_until_ms) {
        dev->pub.n_queued++; /* sent when the device next updates */
        return TML_OK;
    }
    tml_status_t st = send_now(srv, req);
    if (st != TML_OK) {
        req->done = true; /* freed at the end of the step, no callback */
        return tml_err_set(err, st, "%s: cannot send the request", dev->pub.endpoint);
    }
    return TML_OK;
}

void srv_flush(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    /* Oldest first: the list is newest first, so walk it into an array. */
    size_t n = 0;
    for (srv_req_t *r = srv->reqs; r; r = r->next)
        n += r->dev == dev && !r->sent && !r->done;
    if (!n)
        return;
    srv_req_t **order = tml_malloc(n * sizeof(*order));
    if (!order)
        return; /* retried on the next update */
    size_t k = n;
    for (srv_req_t *r = srv->reqs; r; r = r->next)
        if (r->dev == dev && !r->sent && !r->done)
            order[--k] = r;
    for (size_t i = 0; i < n; i++) {
        if (send_now(srv, order[i]) != TML_OK)
            complete(order[i], TML_ERR_IO, "cannot send the queued request");
    }
    dev->pub.n_queued = 0;
    tml_free(order);
}

static srv_req_t *find_by_token(tml_lwm2m_server_t *srv, const coap_pdu_t *pdu)
{
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    if (tok.length != 8)
        return NULL;
    for (srv_req_t *r = srv->reqs; r; r = r->next)
        if (!r->done && r->sent && !memcmp(r->token, tok.s, 8))
            return r;
    return NULL;
}

coap_response_t srv_on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcv,
                                const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    srv_dev_t *d = coap_session_get_app_data(s);
    if (!d)
        return COAP_RESPONSE_FAIL;
    srv_req_t *r = find_by_token(d->srv, rcv);
    if (!r)
        return COAP_RESPONSE_FAIL; /* RST: e.g. a notification nobody wants any more */
    uint8_t code = (uint8_t)coap_pdu_get_code(rcv);
    coap_opt_iterator_t it;
    bool observing = r->observe == 0 && code >> 5 == 2 &&
                     coap_check_option(rcv, COAP_OPTION_OBSERVE, &it) != NULL;
    if (!observing)
        r->done = true;
    deliver(r, TML_OK, code, rcv, "");
    return COAP_RESPONSE_OK;
}

void srv_on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                 const coap_mid_t mid)
{
    (void)mid;
    srv_dev_t *d = coap_session_get_app_data(s);
    if (!d || !sent)
        return;
    srv_req_t *r = find_by_token(d->srv, sent);
    if (!r)
        return;
    complete(r, reason == COAP_NACK_RST ? TML_ERR_STATE : TML_ERR_TIMEOUT,
             reason == COAP_NACK_RST ? "device reset the request" : "device did not answer");
}

/* ---- Public requests ------------------------------------------------------ */

static srv_dev_t *dev_or_fail(tml_lwm2m_server_t *srv, const char *endpoint, tml_err_t *err)
{
    srv_dev_t *d = srv && endpoint ? srv_find_dev(srv, endpoint) : NULL;
    if (!d)
        tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' is not registered", endpoint ? endpoint : "");
    return d;
}

tml_status_t tml_lwm2m_server_read(tml_lwm2m_server_t *srv, const char *endpoint, const char *path,
                                   uint16_t accept, tml_lwm2m_response_fn cb, void *arg,
                                   tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    srv_req_t *r = srv_new_request(srv, COAP_REQUEST_CODE_GET, path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    r->accept = accept;
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_write(tml_lwm2m_server_t *srv, const char *endpoint, const char *path,
                                    uint16_t fmt, const tml_lwm2m_records_t *recs, bool replace,
                                    tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    if (!recs)
        return tml_err_set(err, TML_ERR_ARG, "write: no records");
    srv_req_t *r = srv_new_request(srv, replace || 0 ? COAP_REQUEST_CODE_PUT : COAP_REQUEST_CODE_POST,
                                   path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    /* A single resource is always replaced (PUT); POST is the partial
     * update of an object instance. */
    if (r->path.len >= 3)
        r->method = COAP_REQUEST_CODE_PUT;
    r->fmt = fmt;
    tml_status_t st = tml_lwm2m_encode(fmt, &r->path, recs, &r->payload, &r->payload_len, err);
    if (st != TML_OK) {
        srv_req_free(r);
        return st;
    }
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_execute(tml_lwm2m_server_t *srv, const char *endpoint,
                                      const char *path, const char *args,
                                      tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    srv_req_t *r = srv_new_request(srv, COAP_REQUEST_CODE_POST, path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    if (r->path.len != 3) {
        srv_req_free(r);
        return tml_err_set(err, TML_ERR_ARG, "execute: '%s' is not a resource path", path);
    }
    if (args && *args) {
        r->payload_len = strlen(args);
        r->payload = (uint8_t *)tml_strdup(args);
        if (!r->payload) {
            srv_req_free(r);
            return tml_err_set(err, TML_ERR_NOMEM, "execute: out of memory");
        }
        r->fmt = TML_LWM2M_CF_TEXT;
    }
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_discover(tml_lwm2m_server_t *srv, const char *endpoint,
                                       const char *path, tml_lwm2m_response_fn cb, void *arg,
                                       tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    srv_req_t *r = srv_new_request(srv, COAP_REQUEST_CODE_GET, path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    r->accept = TML_LWM2M_CF_LINK;
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_write_attrs(tml_lwm2m_server_t *srv, const char *endpoint,
                                          const char *path, const char *attrs,
                                          tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    srv_req_t *r = srv_new_request(srv, COAP_REQUEST_CODE_PUT, path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    r->query = tml_strdup(attrs ? attrs : "");
    if (!r->query) {
        srv_req_free(r);
        return tml_err_set(err, TML_ERR_NOMEM, "write-attributes: out of memory");
    }
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_observe(tml_lwm2m_server_t *srv, const char *endpoint,
                                      const char *path, uint16_t accept,
                                      tml_lwm2m_response_fn cb, void *arg, uint32_t *obs_id,
                                      tml_err_t *err)
{
    srv_dev_t *d = dev_or_fail(srv, endpoint, err);
    if (!d)
        return TML_ERR_NOT_FOUND;
    srv_req_t *r = srv_new_request(srv, COAP_REQUEST_CODE_GET, path, cb, arg, err);
    if (!r)
        return err ? err->status : TML_ERR_ARG;
    r->accept = accept;
    r->observe = 0;
    if (obs_id)
        *obs_id = r->id;
    return srv_submit(srv, d, r, err);
}

static void ignore_answer(void *arg, const tml_lwm2m_response_t *rsp)
{
    (void)arg;
    (void)rsp;
}

tml_status_t tml_lwm2m_server_cancel_observe(tml_lwm2m_server_t *srv, uint32_t obs_id,
                                             tml_err_t *err)
{
    srv_req_t *obs = NULL;
    for (srv_req_t *r = srv ? srv->reqs : NULL; r; r = r->next)
        if (r->id == obs_id && r->observe == 0 && !r->done)
            obs = r;
    if (!obs)
        return tml_err_set(err, TML_ERR_NOT_FOUND, "no observation %u", obs_id);
    obs->done = true; /* no more callbacks; later notifications get a RST */
    if (!obs->sent)
        return TML_OK;
    /* A GET with Observe=1 and the observation's token deregisters it. */
    srv_req_t *c = tml_calloc(1, sizeof(*c));
    if (!c)
        return tml_err_set(err, TML_ERR_NOMEM, "cancel: out of memory");
    *c = *obs;
    c->payload = NULL;
    c->query = NULL;
    c->id = ++srv->next_req_id;
    c->observe = 1;
    c->done = false;
    c->sent = false;
    c->first_answered = false;
    c->cb = ignore_answer;
    c->arg = NULL;
    c->next = NULL;
    return srv_submit(srv, obs->dev, c, err);
}
