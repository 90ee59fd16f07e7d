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
    tml_free(req->body);
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
        if (r->body) { /* the last block: the whole body is what was read */
            rsp.payload = r->body;
            rsp.payload_len = r->body_len;
        }
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

/* ---- Live request bookkeeping -----------------------------------------------
 * A device's live requests are on its own list (oldest first); answers are
 * matched through a token hash, cancellations through an id hash. Nothing
 * here walks every request of the server. */

static uint64_t tok_key(const uint8_t *t)
{
    uint64_t k;
    memcpy(&k, t, 8);
    return k;
}

static size_t tok_slot(const tml_lwm2m_server_t *srv, uint64_t k)
{
    k ^= k >> 31;
    k *= 0x9E3779B97F4A7C15ull;
    return (size_t)(k >> 20) & (srv->req_nbuckets - 1);
}

static size_t id_slot(const tml_lwm2m_server_t *srv, uint32_t id)
{
    return (size_t)((id * 2654435761u) ^ (id >> 16)) & (srv->req_nbuckets - 1);
}

static bool req_hash_grow(tml_lwm2m_server_t *srv)
{
    size_t n = srv->req_nbuckets ? srv->req_nbuckets * 2 : 1024;
    srv_req_t **tb = tml_calloc(n, sizeof(*tb)), **ib = tml_calloc(n, sizeof(*ib));
    if (!tb || !ib) {
        tml_free(tb);
        tml_free(ib);
        return false;
    }
    size_t old_n = srv->req_nbuckets;
    srv_req_t **old = srv->req_tbuckets, **old_ib = srv->req_ibuckets;
    srv->req_tbuckets = tb;
    srv->req_ibuckets = ib;
    srv->req_nbuckets = n;
    for (size_t i = 0; i < old_n; i++) {
        for (srv_req_t *r = old[i], *nx; r; r = nx) {
            nx = r->tnext;
            size_t t = tok_slot(srv, tok_key(r->token)), k = id_slot(srv, r->id);
            r->tnext = tb[t];
            tb[t] = r;
            r->inext = ib[k];
            ib[k] = r;
        }
    }
    tml_free(old);
    tml_free(old_ib);
    return true;
}

tml_status_t srv_req_link(tml_lwm2m_server_t *srv, srv_dev_t *dev, srv_req_t *req)
{
    if (srv->n_reqs + 1 > srv->req_nbuckets && !req_hash_grow(srv) && !srv->req_nbuckets)
        return TML_ERR_NOMEM;
    req->dev = dev;
    req->next = NULL;
    req->prev = dev->reqs_tail;
    if (dev->reqs_tail)
        dev->reqs_tail->next = req;
    else
        dev->reqs = req;
    dev->reqs_tail = req;
    size_t t = tok_slot(srv, tok_key(req->token)), k = id_slot(srv, req->id);
    req->tnext = srv->req_tbuckets[t];
    srv->req_tbuckets[t] = req;
    req->inext = srv->req_ibuckets[k];
    srv->req_ibuckets[k] = req;
    srv->n_reqs++;
    return TML_OK;
}

void srv_req_finish(tml_lwm2m_server_t *srv, srv_req_t *r)
{
    if (r->done)
        return;
    r->done = true;
    srv_dev_t *dev = r->dev;
    if (r->prev)
        r->prev->next = r->next;
    else
        dev->reqs = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        dev->reqs_tail = r->prev;
    for (srv_req_t **pp = &srv->req_tbuckets[tok_slot(srv, tok_key(r->token))]; *pp; pp = &(*pp)->tnext)
        if (*pp == r) {
            *pp = r->tnext;
            break;
        }
    for (srv_req_t **pp = &srv->req_ibuckets[id_slot(srv, r->id)]; *pp; pp = &(*pp)->inext)
        if (*pp == r) {
            *pp = r->inext;
            break;
        }
    srv->n_reqs--;
    r->prev = NULL;
    r->tnext = r->inext = NULL;
    r->next = srv->done_reqs;
    srv->done_reqs = r;
}

void srv_reqs_destroy(tml_lwm2m_server_t *srv)
{
    /* Normally empty: removing the devices failed their requests. */
    for (size_t i = 0; i < srv->req_nbuckets; i++)
        while (srv->req_tbuckets[i])
            srv_req_finish(srv, srv->req_tbuckets[i]);
}

static void complete(tml_lwm2m_server_t *srv, srv_req_t *r, tml_status_t st, const char *detail)
{
    if (r->done)
        return;
    srv_req_finish(srv, r);
    deliver(r, st, 0, NULL, detail);
}

void srv_fail_requests(tml_lwm2m_server_t *srv, srv_dev_t *dev, tml_status_t st, const char *detail)
{
    if (!dev)
        return;
    /* Newest first; each is unlinked before its callback runs. */
    while (dev->reqs_tail)
        complete(srv, dev->reqs_tail, st, detail);
    dev->pub.n_queued = 0;
}

void srv_fail_unsent(tml_lwm2m_server_t *srv, srv_dev_t *dev, tml_status_t st, const char *detail)
{
    /* The ones waiting now, oldest first; a callback may submit new ones
     * (they wait for a new wake) or finish others. */
    size_t n = 0;
    for (srv_req_t *r = dev->reqs; r; r = r->next)
        n += !r->sent;
    srv_req_t **order = n ? tml_malloc(n * sizeof(*order)) : NULL;
    if (!order)
        return;
    size_t k = 0;
    for (srv_req_t *r = dev->reqs; r; r = r->next)
        if (!r->sent)
            order[k++] = r;
    dev->pub.n_queued = 0;
    for (size_t i = 0; i < n; i++)
        if (!order[i]->done && !order[i]->sent)
            complete(srv, order[i], st, detail);
    tml_free(order);
}

void srv_free_done(tml_lwm2m_server_t *srv)
{
    while (srv->done_reqs) {
        srv_req_t *r = srv->done_reqs;
        srv->done_reqs = r->next;
        srv_req_free(r);
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
    if (ok && r->block_next > 0)
        ok = coap_add_option(pdu, COAP_OPTION_BLOCK2,
                             coap_encode_var_safe(buf, sizeof(buf),
                                                  r->block_next << 4 | r->block_szx), buf) > 0;
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
    if (srv_req_link(srv, dev, req) != TML_OK) {
        srv_req_free(req);
        return tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", dev->pub.endpoint);
    }
    if (dev->pub.queue_mode && srv_now_ms() > dev->awake_until_ms) {
        dev->pub.n_queued++; /* sent when the device next updates */
        return TML_OK;
    }
    if (!dev->session) { /* dropped from the working set: sent once woken */
        dev->pub.n_queued++;
        srv_wake(srv, dev);
        return TML_OK;
    }
    tml_status_t st = send_now(srv, req);
    if (st != TML_OK) {
        srv_req_finish(srv, req); /* freed at the end of the step, no callback */
        return tml_err_set(err, st, "%s: cannot send the request", dev->pub.endpoint);
    }
    return TML_OK;
}

void srv_flush(tml_lwm2m_server_t *srv, srv_dev_t *dev)
{
    /* Oldest first: the device's list is in submission order. */
    size_t n = 0;
    for (srv_req_t *r = dev->reqs; r; r = r->next)
        n += !r->sent;
    if (!n)
        return;
    if (!dev->session) {
        srv_wake(srv, dev);
        return;
    }
    srv_req_t **order = tml_malloc(n * sizeof(*order));
    if (!order)
        return; /* retried on the next update */
    size_t k = 0;
    for (srv_req_t *r = dev->reqs; r; r = r->next)
        if (!r->sent)
            order[k++] = r;
    for (size_t i = 0; i < n; i++) {
        if (order[i]->done || order[i]->sent)
            continue; /* a callback of an earlier one finished it */
        if (send_now(srv, order[i]) != TML_OK)
            complete(srv, order[i], TML_ERR_IO, "cannot send the queued request");
    }
    dev->pub.n_queued = 0;
    tml_free(order);
}

/* Largest body a block-wise answer may add up to: an object's records, not
 * a package (packages go the other way). */
#define SRV_MAX_BODY (64u * 1024u)

/* For an answer carrying Block2 (RFC 7959): keeps its block and, when more
 * follow, asks for the next one (same token) and returns true. Returns
 * false with *why set when the block is not the one asked for or the body
 * grows too large, and false with *why NULL when this answer is the whole
 * body or its last block (r->body then holds everything). */
static bool next_block(tml_lwm2m_server_t *srv, srv_req_t *r, const coap_pdu_t *rcv,
                       const char **why)
{
    coap_opt_iterator_t it;
    coap_opt_t *o = coap_check_option(rcv, COAP_OPTION_BLOCK2, &it);
    if (!o)
        return false;
    const uint32_t v = coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
    const uint32_t num = v >> 4, szx = v & 7u;
    const bool more = (v & 8u) != 0;
    size_t len = 0;
    const uint8_t *data = NULL;
    coap_get_data(rcv, &len, &data);
    if (szx == 7u || num != r->block_next || (more && len != (16u << szx)) ||
        (r->body_len && szx != r->block_szx)) {
        *why = "device answered with a block other than the one asked for";
        return false;
    }
    if (!more && !r->body)
        return false; /* one block of one: the answer as it is */
    if (r->body_len + len > SRV_MAX_BODY) {
        *why = "device's block-wise answer is larger than 64 KiB";
        return false;
    }
    uint8_t *body = tml_realloc(r->body, r->body_len + len + 1);
    if (!body) {
        *why = "out of memory for a block-wise answer";
        return false;
    }
    if (len)
        memcpy(body + r->body_len, data, len);
    r->body = body;
    r->body_len += len;
    if (!more)
        return false;
    r->block_next = num + 1;
    r->block_szx = (uint8_t)szx;
    if (send_now(srv, r) != TML_OK) {
        *why = "cannot ask for the next block";
        return false;
    }
    return true;
}

static srv_req_t *find_by_token(tml_lwm2m_server_t *srv, const coap_pdu_t *pdu)
{
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    if (tok.length != 8 || !srv->req_nbuckets)
        return NULL;
    for (srv_req_t *r = srv->req_tbuckets[tok_slot(srv, tok_key(tok.s))]; r; r = r->tnext)
        if (!r->done && r->sent && !memcmp(r->token, tok.s, 8))
            return r;
    return NULL;
}

/* Answers are matched by token, on whatever session they arrive: a
 * notification may come after the device's session left the working set
 * (libcoap then made a new one). It must come from the device's session or,
 * for a plain-UDP device, from its registered address. */
coap_response_t srv_on_response(coap_session_t *s, const coap_pdu_t *sent, const coap_pdu_t *rcv,
                                const coap_mid_t mid)
{
    (void)sent;
    (void)mid;
    tml_lwm2m_server_t *srv = coap_get_app_data(coap_session_get_context(s));
    srv_req_t *r = srv ? find_by_token(srv, rcv) : NULL;
    if (!r || !srv_session_is_dev(r->dev, s))
        return COAP_RESPONSE_FAIL; /* RST: e.g. a notification nobody wants any more */
    srv_dev_t *d = r->dev;
    uint8_t code = (uint8_t)coap_pdu_get_code(rcv);
    coap_opt_iterator_t it;
    if (code == TML_COAP_CONTENT && r->method == COAP_REQUEST_CODE_GET && r->observe < 0) {
        const char *why = NULL;
        if (next_block(srv, r, rcv, &why))
            return COAP_RESPONSE_OK; /* the next block was asked for */
        if (why) {
            complete(srv, r, TML_ERR_CORRUPT, why);
            return COAP_RESPONSE_OK;
        }
    }
    bool observing = r->observe == 0 && code >> 5 == 2 &&
                     coap_check_option(rcv, COAP_OPTION_OBSERVE, &it) != NULL;
    if (!observing)
        srv_req_finish(d->srv, r);
    deliver(r, TML_OK, code, rcv, "");
    return COAP_RESPONSE_OK;
}

void srv_on_nack(coap_session_t *s, const coap_pdu_t *sent, const coap_nack_reason_t reason,
                 const coap_mid_t mid)
{
    (void)mid;
    tml_lwm2m_server_t *srv = coap_get_app_data(coap_session_get_context(s));
    srv_req_t *r = srv && sent ? find_by_token(srv, sent) : NULL;
    if (!r || !srv_session_is_dev(r->dev, s))
        return;
    complete(srv, r, reason == COAP_NACK_RST ? TML_ERR_STATE : TML_ERR_TIMEOUT,
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

/* The start of every device-management call: the registered device and a
 * new request to it. The status is exact even when err is NULL. */
static tml_status_t begin_request(tml_lwm2m_server_t *srv, const char *endpoint, uint8_t method,
                                  const char *path, tml_lwm2m_response_fn cb, void *arg,
                                  srv_dev_t **d, srv_req_t **r, tml_err_t *err)
{
    tml_err_t local;
    tml_err_clear(&local);
    *r = NULL;
    *d = dev_or_fail(srv, endpoint, &local);
    if (*d)
        *r = srv_new_request(srv, method, path, cb, arg, &local);
    if (*r)
        return TML_OK;
    return tml_err_set(err, local.status, "%s", local.msg);
}


tml_status_t tml_lwm2m_server_read(tml_lwm2m_server_t *srv, const char *endpoint, const char *path,
                                   uint16_t accept, tml_lwm2m_response_fn cb, void *arg,
                                   tml_err_t *err)
{
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint, COAP_REQUEST_CODE_GET, path, cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
    r->accept = accept;
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_write(tml_lwm2m_server_t *srv, const char *endpoint, const char *path,
                                    uint16_t fmt, const tml_lwm2m_records_t *recs, bool replace,
                                    tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    if (!recs)
        return tml_err_set(err, TML_ERR_ARG, "write: no records");
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint,
                                    replace ? COAP_REQUEST_CODE_PUT : COAP_REQUEST_CODE_POST, path,
                                    cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
    /* A single resource is always replaced (PUT); POST is the partial
     * update of an object instance. */
    if (r->path.len >= 3)
        r->method = COAP_REQUEST_CODE_PUT;
    r->fmt = fmt;
    st = tml_lwm2m_encode(fmt, &r->path, recs, &r->payload, &r->payload_len, err);
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
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint, COAP_REQUEST_CODE_POST, path, cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
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
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint, COAP_REQUEST_CODE_GET, path, cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
    r->accept = TML_LWM2M_CF_LINK;
    return srv_submit(srv, d, r, err);
}

tml_status_t tml_lwm2m_server_write_attrs(tml_lwm2m_server_t *srv, const char *endpoint,
                                          const char *path, const char *attrs,
                                          tml_lwm2m_response_fn cb, void *arg, tml_err_t *err)
{
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint, COAP_REQUEST_CODE_PUT, path, cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
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
    srv_dev_t *d;
    srv_req_t *r;
    tml_status_t st = begin_request(srv, endpoint, COAP_REQUEST_CODE_GET, path, cb, arg, &d, &r, err);
    if (st != TML_OK)
        return st;
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
    if (srv && srv->req_nbuckets)
        for (srv_req_t *r = srv->req_ibuckets[id_slot(srv, obs_id)]; r; r = r->inext)
            if (r->id == obs_id && r->observe == 0 && !r->done)
                obs = r;
    if (!obs)
        return tml_err_set(err, TML_ERR_NOT_FOUND, "no observation %u", obs_id);
    srv_req_finish(srv, obs); /* no more callbacks; later notifications get a RST */
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
    c->next = c->prev = c->tnext = c->inext = NULL;
    return srv_submit(srv, obs->dev, c, err);
}
