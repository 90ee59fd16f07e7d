/*
 * agent.c - the agent core's transport: CoAP transactions with
 * retransmission, the registration interface (register, update, queue-mode
 * sleep, de-register), dispatch of the server's requests to the objects
 * (read, write, execute, discover, write-attributes, observe) and sending
 * notifications. Everything runs from tml_agent_step(); nothing blocks.
 */
#include <stdio.h>
#include <string.h>

#include "agent_internal.h"

uint64_t agent_now_us(const tml_agent_t *a)
{
    return a->pf.now_us(a->pf.ctx);
}

void agent_changed(tml_agent_t *a)
{
    a->n_changes++;
}

static uint16_t new_mid(tml_agent_t *a)
{
    return a->next_mid++;
}

static void new_token(tml_agent_t *a, uint8_t token[8])
{
    uint64_t t = ++a->next_token * 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 8; i++)
        token[i] = (uint8_t)(t >> (8 * i));
}

/* Sends to chan's own peer (peer 0) or to another sender the platform
 * named (peer > 0, only with send_to). */
static tml_status_t send_raw(tml_agent_t *a, int chan, int peer, const uint8_t *buf, size_t len)
{
    tml_status_t st = TML_ERR_NOT_FOUND;
    if (peer == 0)
        st = a->pf.send(a->pf.ctx, chan, buf, len);
    else if (a->pf.send_to)
        st = a->pf.send_to(a->pf.ctx, chan, peer, buf, len);
    if (st != TML_OK)
        TML_LOGD("agent", "%s: send on channel %d (peer %d) failed", a->endpoint, chan, peer);
    return st;
}

/* Starts a CON transaction with msg as it is (type, MID and token set). */
static tml_status_t txn_start(tml_agent_t *a, enum txn_kind kind, int chan, int peer,
                              const tml_coap_msg_t *msg, agent_txn_t **out)
{
    agent_txn_t *t = NULL;
    for (int i = 0; i < AGENT_MAX_TXN; i++)
        if (a->txn[i].kind == TXN_NONE) {
            t = &a->txn[i];
            break;
        }
    if (!t)
        return TML_ERR_STATE;
    if (tml_coap_build(msg, t->buf, sizeof(t->buf), &t->len, NULL) != TML_OK)
        return TML_ERR_NOMEM;
    t->kind = kind;
    t->chan = chan;
    t->peer = peer;
    t->obs = -1;
    t->mid = msg->mid;
    memcpy(t->token, msg->token, msg->tkl);
    t->tkl = msg->tkl;
    t->n_retx = 0;
    /* RFC 7252: initial timeout between ACK_TIMEOUT and 1.5 x ACK_TIMEOUT. */
    t->timeout_ms = a->cfg.ack_timeout_ms + (uint32_t)(a->next_token % (a->cfg.ack_timeout_ms / 2 + 1));
    t->next_us = agent_now_us(a) + (uint64_t)t->timeout_ms * 1000u;
    send_raw(a, chan, peer, t->buf, t->len);
    if (out)
        *out = t;
    return TML_OK;
}

tml_status_t agent_send_request(tml_agent_t *a, enum txn_kind kind, int chan, tml_coap_msg_t *msg)
{
    msg->type = TML_COAP_CON;
    msg->mid = new_mid(a);
    msg->tkl = 8;
    new_token(a, msg->token);
    return txn_start(a, kind, chan, 0, msg, NULL);
}

/* Ends observation i, and the CON notification it may have in flight. */
static void obs_end(tml_agent_t *a, int i)
{
    a->obs[i].used = false;
    a->obs[i].con_in_flight = false;
    for (int k = 0; k < AGENT_MAX_TXN; k++)
        if (a->txn[k].kind == TXN_NOTIFY && a->txn[k].obs == i)
            a->txn[k].kind = TXN_NONE;
}

void agent_cancel_txns(tml_agent_t *a, enum txn_kind kind)
{
    for (int i = 0; i < AGENT_MAX_TXN; i++)
        if (a->txn[i].kind == kind)
            a->txn[i].kind = TXN_NONE;
}

static bool txn_pending(const tml_agent_t *a, enum txn_kind kind)
{
    for (int i = 0; i < AGENT_MAX_TXN; i++)
        if (a->txn[i].kind == kind)
            return true;
    return false;
}

/* ---- Registration ---------------------------------------------------------- */

static void send_register(tml_agent_t *a)
{
    tml_coap_msg_t m;
    tml_coap_init(&m, TML_COAP_CON, TML_COAP_POST, 0);
    char ep[80], lt[24], links[512];
    snprintf(ep, sizeof(ep), "ep=%s", a->endpoint);
    snprintf(lt, sizeof(lt), "lt=%u", a->cfg.lifetime_s);
    agent_object_links(a, links, sizeof(links));
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_PATH, "rd", 2);
    tml_coap_add_uint(&m, TML_COAP_OPT_CONTENT_FORMAT, TML_LWM2M_CF_LINK);
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, ep, strlen(ep));
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, lt, strlen(lt));
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, "lwm2m=1.1", 9);
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, "b=U", 3);
    if (a->cfg.queue_mode)
        tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, "Q", 1);
    m.payload = (const uint8_t *)links;
    m.payload_len = strlen(links);
    if (agent_send_request(a, TXN_REGISTER, a->server_chan, &m) != TML_OK)
        a->reg_retry_us = agent_now_us(a) + 1000000u;
}

static void send_update(tml_agent_t *a)
{
    tml_coap_msg_t m;
    tml_coap_init(&m, TML_COAP_CON, TML_COAP_POST, 0);
    char links[512];
    tml_coap_add_path(&m, TML_COAP_OPT_URI_PATH, a->location);
    char lt[24];
    snprintf(lt, sizeof(lt), "lt=%u", a->cfg.lifetime_s);
    tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, lt, strlen(lt));
    if (a->update_with_objects) {
        agent_object_links(a, links, sizeof(links));
        tml_coap_add_uint(&m, TML_COAP_OPT_CONTENT_FORMAT, TML_LWM2M_CF_LINK);
        m.payload = (const uint8_t *)links;
        m.payload_len = strlen(links);
    }
    if (agent_send_request(a, TXN_UPDATE, a->server_chan, &m) == TML_OK)
        a->update_with_objects = false;
}

static void send_deregister(tml_agent_t *a)
{
    tml_coap_msg_t m;
    tml_coap_init(&m, TML_COAP_CON, TML_COAP_DELETE, 0);
    tml_coap_add_path(&m, TML_COAP_OPT_URI_PATH, a->location);
    agent_send_request(a, TXN_DEREGISTER, a->server_chan, &m);
}

static uint64_t update_interval_us(const tml_agent_t *a)
{
    if (a->cfg.queue_mode && a->cfg.queue_update_ms)
        return (uint64_t)a->cfg.queue_update_ms * 1000u;
    uint64_t half = (uint64_t)a->cfg.lifetime_s * 500000u;
    return half ? half : 1000000u;
}

static void wake(tml_agent_t *a)
{
    a->asleep = false;
    a->awake_until_us = agent_now_us(a) + (uint64_t)a->cfg.queue_awake_ms * 1000u;
}

static void reg_failed(tml_agent_t *a, const char *why)
{
    a->registered = false;
    a->reg_backoff_ms = a->reg_backoff_ms ? a->reg_backoff_ms * 2 : 500;
    if (a->reg_backoff_ms > 30000)
        a->reg_backoff_ms = 30000;
    a->reg_retry_us = agent_now_us(a) + (uint64_t)a->reg_backoff_ms * 1000u;
    TML_LOGW("agent", "%s: registration failed (%s), retry in %u ms", a->endpoint, why, a->reg_backoff_ms);
}

static void on_reg_response(tml_agent_t *a, agent_txn_t *t, const tml_coap_msg_t *m)
{
    enum txn_kind kind = t->kind;
    t->kind = TXN_NONE;
    uint64_t now = agent_now_us(a);
    if (kind == TXN_REGISTER) {
        if (m->code != TML_COAP_CREATED) {
            char why[32];
            snprintf(why, sizeof(why), "server answered %u.%02u", m->code >> 5, m->code & 31);
            reg_failed(a, why);
            return;
        }
        if (tml_coap_get_path(m, TML_COAP_OPT_LOCATION_PATH, a->location, sizeof(a->location)) != TML_OK ||
            !strcmp(a->location, "/")) {
            reg_failed(a, "no usable Location-Path");
            return;
        }
        a->registered = true;
        a->reg_backoff_ms = 0;
        a->n_registrations++;
        a->next_update_us = now + update_interval_us(a);
        wake(a);
        TML_LOGI("agent", "%s: registered at %s", a->endpoint, a->location);
    } else if (kind == TXN_UPDATE) {
        if (m->code == TML_COAP_CHANGED) {
            a->n_updates++;
            a->next_update_us = now + update_interval_us(a);
            wake(a);
        } else { /* 4.04: the server forgot us; register again */
            a->registered = false;
            a->reg_retry_us = now;
        }
    } else if (kind == TXN_DEREGISTER) {
        a->registered = false;
    }
}

void tml_agent_deregister(tml_agent_t *a)
{
    if (a)
        a->want_deregister = true;
}

/* ---- Serving the server's requests ------------------------------------------ */

static agent_attr_t *find_attr(tml_agent_t *a, const tml_lwm2m_path_t *p, bool create)
{
    for (int i = 0; i < AGENT_MAX_OBS; i++)
        if (a->attrs[i].used && tml_lwm2m_path_cmp(&a->attrs[i].path, p) == 0)
            return &a->attrs[i];
    if (!create)
        return NULL;
    for (int i = 0; i < AGENT_MAX_OBS; i++)
        if (!a->attrs[i].used) {
            memset(&a->attrs[i], 0, sizeof(a->attrs[i]));
            a->attrs[i].used = true;
            a->attrs[i].path = *p;
            return &a->attrs[i];
        }
    return NULL;
}

static uint8_t write_attributes(tml_agent_t *a, const tml_lwm2m_path_t *p, const tml_coap_msg_t *m)
{
    agent_attr_t *at = find_attr(a, p, true);
    if (!at)
        return TML_COAP_INTERNAL_ERROR;
    size_t it = 0;
    const tml_coap_opt_t *o;
    while ((o = tml_coap_find(m, TML_COAP_OPT_URI_QUERY, &it)) != NULL) {
        char q[32];
        if (o->len >= sizeof(q))
            return TML_COAP_BAD_REQUEST;
        memcpy(q, o->val, o->len);
        q[o->len] = 0;
        unsigned v;
        if (sscanf(q, "pmin=%u", &v) == 1)
            at->pmin_s = v;
        else if (sscanf(q, "pmax=%u", &v) == 1)
            at->pmax_s = v;
        else if (!strcmp(q, "con=0") || !strcmp(q, "con=1"))
            at->con = q[4] == '1';
        else if (!strncmp(q, "gt=", 3) || !strncmp(q, "lt=", 3) || !strncmp(q, "st=", 3))
            continue; /* accepted, not evaluated: any change notifies */
        else
            return TML_COAP_BAD_REQUEST;
    }
    return TML_COAP_CHANGED;
}

static uint16_t default_format(const tml_lwm2m_path_t *p, const tml_lwm2m_records_t *r)
{
    if (p->len >= 3 && r->n == 1 && tml_lwm2m_path_cmp(&r->recs[0].path, p) == 0)
        return r->recs[0].v.type == TML_LWM2M_T_OPAQUE ? TML_LWM2M_CF_OPAQUE : TML_LWM2M_CF_TEXT;
    return TML_LWM2M_CF_TLV;
}

/* Reads p and encodes it: *code, and *payload (tml_malloc'd) in *fmt. */
static void read_encoded(tml_agent_t *a, const tml_lwm2m_path_t *p, uint16_t accept, uint8_t *code,
                         uint8_t **payload, size_t *len, uint16_t *fmt)
{
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    *payload = NULL;
    *len = 0;
    *code = agent_read(a, p, &r);
    if (*code == TML_COAP_CONTENT) {
        *fmt = accept != 0xFFFF ? accept : default_format(p, &r);
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_lwm2m_encode(*fmt, p, &r, payload, len, &err) != TML_OK) {
            *code = TML_COAP_NOT_ACCEPTABLE;
            TML_LOGD("agent", "%s: %s", a->endpoint, tml_err_message(&err));
        }
    }
    tml_lwm2m_records_free(&r);
}

static int find_obs(tml_agent_t *a, int peer, const uint8_t *tok, uint8_t tkl)
{
    for (int i = 0; i < AGENT_MAX_OBS; i++)
        if (a->obs[i].used && a->obs[i].peer == peer && a->obs[i].tkl == tkl &&
            !memcmp(a->obs[i].token, tok, tkl))
            return i;
    return -1;
}

/* Puts an answer's payload into rsp: whole, or (RFC 7959) the block the
 * request's Block2 asks for, or block 0 of 1 KiB blocks when it is larger
 * than one. Each block is cut from a fresh encoding, so the
 * requester should read the blocks promptly. Returns the response code. */
static uint8_t add_payload(tml_coap_msg_t *rsp, const tml_coap_msg_t *req, const uint8_t *payload,
                           size_t len, uint16_t fmt)
{
    uint32_t block2 = 0, num = 0;
    bool more;
    unsigned szx = 6;
    bool asked = tml_coap_get_uint(req, TML_COAP_OPT_BLOCK2, &block2);
    if (asked && !tml_coap_block_decode(block2, &num, &more, &szx))
        return TML_COAP_BAD_OPTION;
    tml_coap_add_uint(rsp, TML_COAP_OPT_CONTENT_FORMAT, fmt);
    size_t bs = (size_t)16 << szx;
    /* Whole only when it fits one block: a message stays within the 1152
     * bytes RFC 7252 advises (and libcoap accepts) when the path MTU is
     * unknown. */
    if (!asked && len <= bs) {
        rsp->payload = payload;
        rsp->payload_len = len;
        return TML_COAP_CONTENT;
    }
    if ((uint64_t)num * bs >= len && !(num == 0 && len == 0))
        return TML_COAP_BAD_OPTION; /* past the end */
    size_t off = (size_t)num * bs, n = len - off < bs ? len - off : bs;
    tml_coap_add_uint(rsp, TML_COAP_OPT_BLOCK2, tml_coap_block_encode(num, off + n < len, szx));
    if (num == 0)
        tml_coap_add_uint(rsp, TML_COAP_OPT_SIZE2, (uint32_t)len);
    rsp->payload = payload + off;
    rsp->payload_len = n;
    return TML_COAP_CONTENT;
}

/* Serves one request from chan's peer or (peer > 0) another sender, the
 * way an LwM2M client serves its server's device management. */
static void handle_request(tml_agent_t *a, int chan, int peer, const tml_coap_msg_t *m)
{
    if (m->type == TML_COAP_CON) {
        for (int i = 0; i < AGENT_DEDUP; i++) {
            const agent_dedup_t *d = &a->dedup[i];
            /* Same sender, MID and token: a retransmission. (A new client
             * on a reused port may repeat a MID, not also the token.) */
            if (d->used && d->peer == peer && d->mid == m->mid && d->tkl == m->tkl &&
                !memcmp(d->token, m->token, m->tkl)) {
                send_raw(a, chan, peer, a->dedup[i].buf, a->dedup[i].len); /* a retransmission */
                return;
            }
        }
    }
    tml_coap_msg_t rsp;
    tml_coap_init(&rsp, m->type == TML_COAP_CON ? TML_COAP_ACK : TML_COAP_NON, TML_COAP_CONTENT,
                  m->type == TML_COAP_CON ? m->mid : new_mid(a));
    rsp.tkl = m->tkl;
    memcpy(rsp.token, m->token, m->tkl);
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    uint16_t fmt = 0xFFFF;
    char pathbuf[64], links[1024];
    tml_lwm2m_path_t p;
    uint8_t code;
    uint32_t accept = 0xFFFF, cf = 0xFFFF, observe = 0xFFFFFFFF;
    tml_coap_get_uint(m, TML_COAP_OPT_ACCEPT, &accept);
    tml_coap_get_uint(m, TML_COAP_OPT_CONTENT_FORMAT, &cf);
    bool has_observe = tml_coap_get_uint(m, TML_COAP_OPT_OBSERVE, &observe);
    if (tml_coap_get_path(m, TML_COAP_OPT_URI_PATH, pathbuf, sizeof(pathbuf)) != TML_OK ||
        tml_lwm2m_path_parse(pathbuf, strlen(pathbuf), &p, NULL) != TML_OK) {
        code = TML_COAP_NOT_FOUND;
    } else if (m->code == TML_COAP_GET && accept == TML_LWM2M_CF_LINK) {
        code = agent_discover(a, &p, links, sizeof(links));
        if (code == TML_COAP_CONTENT) {
            payload = (uint8_t *)tml_strdup(links);
            payload_len = payload ? strlen(links) : 0;
            fmt = TML_LWM2M_CF_LINK;
        }
    } else if (m->code == TML_COAP_GET) {
        read_encoded(a, &p, (uint16_t)accept, &code, &payload, &payload_len, &fmt);
        if (code == TML_COAP_CONTENT && has_observe && observe == 0) {
            int k = find_obs(a, peer, m->token, m->tkl);
            if (k >= 0)
                obs_end(a, k); /* re-registration: start afresh */
            for (int i = 0; k < 0 && i < AGENT_MAX_OBS; i++)
                if (!a->obs[i].used)
                    k = i;
            agent_obs_t *o = k >= 0 ? &a->obs[k] : NULL;
            if (o) {
                memset(o, 0, sizeof(*o));
                o->used = true;
                o->peer = peer;
                o->path = p;
                o->tkl = m->tkl;
                memcpy(o->token, m->token, m->tkl);
                o->fmt = fmt;
                o->seq = 1;
                o->last_sent_us = agent_now_us(a);
                o->seen_change = a->n_changes;
                tml_sha256(payload, payload_len, o->last_digest);
                tml_coap_add_uint(&rsp, TML_COAP_OPT_OBSERVE, o->seq);
            }
        } else if (has_observe && observe == 1) {
            int k = find_obs(a, peer, m->token, m->tkl);
            if (k >= 0)
                obs_end(a, k);
        }
    } else if (m->code == TML_COAP_PUT && m->payload_len == 0 && tml_coap_find(m, TML_COAP_OPT_URI_QUERY, NULL)) {
        code = write_attributes(a, &p, m);
    } else if (m->code == TML_COAP_PUT || (m->code == TML_COAP_POST && p.len != 3)) {
        tml_lwm2m_records_t in;
        tml_lwm2m_records_init(&in);
        tml_err_t err;
        tml_err_clear(&err);
        if (cf == 0xFFFF) {
            code = TML_COAP_UNSUPPORTED_CF;
        } else if (tml_lwm2m_decode((uint16_t)cf, &p, m->payload, m->payload_len, &in, &err) != TML_OK) {
            code = err.status == TML_ERR_UNSUPPORTED ? TML_COAP_UNSUPPORTED_CF : TML_COAP_BAD_REQUEST;
            TML_LOGW("agent", "%s: write %s: %s", a->endpoint, pathbuf, tml_err_message(&err));
        } else if (tml_lwm2m_records_type(&in, &err) != TML_OK) {
            code = TML_COAP_BAD_REQUEST;
            TML_LOGW("agent", "%s: write %s: %s", a->endpoint, pathbuf, tml_err_message(&err));
        } else {
            code = agent_write(a, &p, &in, m->code == TML_COAP_PUT);
        }
        tml_lwm2m_records_free(&in);
    } else if (m->code == TML_COAP_POST) {
        code = agent_execute(a, &p, m->payload, m->payload_len);
    } else {
        code = TML_COAP_METHOD_NOT_ALLOWED;
    }
    if (payload && code == TML_COAP_CONTENT)
        code = add_payload(&rsp, m, payload, payload_len, fmt);
    rsp.code = code;
    uint8_t buf[AGENT_MAX_PDU];
    size_t len;
    if (tml_coap_build(&rsp, buf, sizeof(buf), &len, NULL) != TML_OK) {
        rsp.code = TML_COAP_INTERNAL_ERROR; /* too large for one datagram */
        rsp.payload_len = 0;
        rsp.n_opts = 0;
        tml_coap_build(&rsp, buf, sizeof(buf), &len, NULL);
    }
    send_raw(a, chan, peer, buf, len);
    if (m->type == TML_COAP_CON) {
        agent_dedup_t *d = &a->dedup[a->dedup_next++ % AGENT_DEDUP];
        d->used = true;
        d->peer = peer;
        d->mid = m->mid;
        d->tkl = m->tkl;
        memcpy(d->token, m->token, m->tkl);
        d->len = len;
        memcpy(d->buf, buf, len);
    }
    tml_free(payload);
}

/* ---- Datagrams ---------------------------------------------------------- */

static agent_txn_t *txn_by(tml_agent_t *a, int chan, int peer, const tml_coap_msg_t *m, bool by_mid)
{
    for (int i = 0; i < AGENT_MAX_TXN; i++) {
        agent_txn_t *t = &a->txn[i];
        if (t->kind == TXN_NONE || t->chan != chan || t->peer != peer)
            continue;
        if (by_mid ? t->mid == m->mid : (t->tkl == m->tkl && !memcmp(t->token, m->token, m->tkl)))
            return t;
    }
    return NULL;
}

static void handle_datagram(tml_agent_t *a, int chan, int peer, const uint8_t *buf, size_t len)
{
    tml_coap_msg_t m;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_coap_parse(buf, len, &m, &err) != TML_OK) {
        TML_LOGD("agent", "%s: dropped a datagram: %s", a->endpoint, tml_err_message(&err));
        return;
    }
    if (m.code == TML_COAP_EMPTY) {
        if (m.type == TML_COAP_CON) { /* CoAP ping */
            tml_coap_msg_t r;
            tml_coap_init(&r, TML_COAP_RST, 0, m.mid);
            uint8_t out[8];
            size_t ol;
            if (tml_coap_build(&r, out, sizeof(out), &ol, NULL) == TML_OK)
                send_raw(a, chan, peer, out, ol);
            return;
        }
        if (m.type == TML_COAP_RST) {
            for (int i = 0; i < AGENT_MAX_OBS; i++)
                if (a->obs[i].used && a->obs[i].peer == peer && a->obs[i].last_mid == m.mid)
                    obs_end(a, i); /* the observer no longer wants them */
            agent_txn_t *t = txn_by(a, chan, peer, &m, true);
            if (t && t->kind == TXN_BLOCK) {
                t->kind = TXN_NONE;
                agent_install_on_block_failed(a);
            } else if (t) {
                t->kind = TXN_NONE;
            }
            return;
        }
        agent_txn_t *t = txn_by(a, chan, peer, &m, true);
        if (t && t->kind == TXN_NOTIFY) { /* a CON notification arrived */
            t->kind = TXN_NONE;
            if (t->obs >= 0 && t->obs < AGENT_MAX_OBS)
                a->obs[t->obs].con_in_flight = false;
            a->n_notify_acked++;
        } else if (t) { /* empty ACK: a separate response follows; stop retransmitting */
            t->next_us = agent_now_us(a) + 60000000u;
        }
        return;
    }
    if (m.code < 32) {
        if (chan == a->server_chan)
            handle_request(a, chan, peer, &m);
        return;
    }
    /* A response: piggybacked (ACK) or separate (CON/NON) - match by token. */
    agent_txn_t *t = txn_by(a, chan, peer, &m, false);
    if (m.type == TML_COAP_CON) {
        tml_coap_msg_t ack;
        tml_coap_init(&ack, t ? TML_COAP_ACK : TML_COAP_RST, 0, m.mid);
        uint8_t out[8];
        size_t ol;
        if (tml_coap_build(&ack, out, sizeof(out), &ol, NULL) == TML_OK)
            send_raw(a, chan, peer, out, ol);
    }
    if (!t)
        return;
    switch (t->kind) {
    case TXN_REGISTER:
    case TXN_UPDATE:
    case TXN_DEREGISTER:
        on_reg_response(a, t, &m);
        break;
    case TXN_BLOCK:
        t->kind = TXN_NONE;
        agent_install_on_block(a, &m);
        break;
    default:
        t->kind = TXN_NONE;
        break;
    }
}

static void retransmit(tml_agent_t *a, uint64_t now)
{
    for (int i = 0; i < AGENT_MAX_TXN; i++) {
        agent_txn_t *t = &a->txn[i];
        if (t->kind == TXN_NONE || now < t->next_us)
            continue;
        if (t->n_retx >= a->cfg.max_retransmit) {
            enum txn_kind kind = t->kind;
            t->kind = TXN_NONE;
            if (kind == TXN_REGISTER || kind == TXN_UPDATE)
                reg_failed(a, "no answer");
            else if (kind == TXN_DEREGISTER)
                a->registered = false;
            else if (kind == TXN_BLOCK)
                agent_install_on_block_failed(a);
            else if (kind == TXN_NOTIFY && t->obs >= 0 && t->obs < AGENT_MAX_OBS) {
                /* RFC 7641 4.5: an unacknowledged CON notification means
                 * the observer is gone. */
                TML_LOGI("agent", "%s: CON notification unacknowledged, observation ended", a->endpoint);
                obs_end(a, t->obs);
            }
            continue;
        }
        t->n_retx++;
        t->timeout_ms *= 2;
        t->next_us = now + (uint64_t)t->timeout_ms * 1000u;
        send_raw(a, t->chan, t->peer, t->buf, t->len);
    }
}

/* ---- Observations --------------------------------------------------------- */

static void notify_step(tml_agent_t *a, uint64_t now)
{
    if (!a->registered || a->asleep)
        return;
    for (int i = 0; i < AGENT_MAX_OBS; i++) {
        agent_obs_t *o = &a->obs[i];
        if (!o->used || o->con_in_flight)
            continue; /* a change while a CON is in flight goes out after its ACK */
        const agent_attr_t *at = find_attr(a, &o->path, false);
        uint64_t pmin = at ? (uint64_t)at->pmin_s * 1000000u : 0;
        uint64_t pmax = at ? (uint64_t)at->pmax_s * 1000000u : 0;
        uint64_t since = now - o->last_sent_us;
        bool changed = o->seen_change != a->n_changes && since >= pmin;
        bool due = pmax && since >= pmax;
        if (!changed && !due)
            continue;
        o->seen_change = a->n_changes;
        uint8_t code, *payload;
        size_t len;
        uint16_t fmt;
        read_encoded(a, &o->path, o->fmt, &code, &payload, &len, &fmt);
        if (code != TML_COAP_CONTENT) {
            tml_free(payload);
            obs_end(a, i); /* the resource went away */
            continue;
        }
        uint8_t digest[32];
        tml_sha256(payload, len, digest);
        if (!due && !memcmp(digest, o->last_digest, 32)) {
            tml_free(payload);
            continue;
        }
        memcpy(o->last_digest, digest, 32);
        /* Every Nth notification, or all with con=1, is confirmable. */
        bool con = (at && at->con) || (o->n_sent + 1) % a->cfg.notify_con_every == 0;
        tml_coap_msg_t m;
        tml_coap_init(&m, con ? TML_COAP_CON : TML_COAP_NON, TML_COAP_CONTENT, new_mid(a));
        m.tkl = o->tkl;
        memcpy(m.token, o->token, o->tkl);
        o->seq = (o->seq + 1) & 0xFFFFFF;
        tml_coap_add_uint(&m, TML_COAP_OPT_OBSERVE, o->seq);
        tml_coap_add_uint(&m, TML_COAP_OPT_CONTENT_FORMAT, fmt);
        m.payload = payload;
        m.payload_len = len;
        agent_txn_t *t = NULL;
        if (con && txn_start(a, TXN_NOTIFY, a->server_chan, o->peer, &m, &t) == TML_OK) {
            t->obs = i;
            o->con_in_flight = true;
            a->n_notify_con++;
            o->last_mid = m.mid;
            o->last_sent_us = now;
            o->n_sent++;
        } else { /* NON, or CON without a free transaction: send once */
            uint8_t buf[AGENT_MAX_PDU];
            size_t bl;
            if (tml_coap_build(&m, buf, sizeof(buf), &bl, NULL) == TML_OK) {
                send_raw(a, a->server_chan, o->peer, buf, bl);
                o->last_mid = m.mid;
                o->last_sent_us = now;
                o->n_sent++;
            }
        }
        tml_free(payload);
    }
}

/* ---- Life cycle -------------------------------------------------------------- */

tml_status_t tml_agent_create(const tml_agent_config_t *cfg, const tml_agent_platform_t *platform,
                              tml_agent_t **out, tml_err_t *err)
{
    if (!cfg || !platform || !out || !cfg->endpoint || !cfg->server_uri || !cfg->profile)
        return tml_err_set(err, TML_ERR_ARG, "agent: endpoint, server URI and profile are required");
    if (strlen(cfg->endpoint) >= 64 || strlen(cfg->server_uri) >= 256 || !cfg->endpoint[0])
        return tml_err_set(err, TML_ERR_ARG, "agent: endpoint or server URI too long");
    if (!platform->open || !platform->send || !platform->recv || !platform->now_us || !platform->load ||
        !platform->store || !platform->write_at || !platform->size || !platform->remove)
        return tml_err_set(err, TML_ERR_ARG, "agent: the platform layer is incomplete");
    *out = NULL;
    tml_agent_t *a = tml_calloc(1, sizeof(*a));
    if (!a)
        return tml_err_set(err, TML_ERR_NOMEM, "agent: out of memory");
    a->cfg = *cfg;
    a->pf = *platform;
    a->profile = cfg->profile;
    snprintf(a->endpoint, sizeof(a->endpoint), "%s", cfg->endpoint);
    snprintf(a->server_uri, sizeof(a->server_uri), "%s", cfg->server_uri);
    snprintf(a->psk_identity, sizeof(a->psk_identity), "%s", cfg->psk_identity ? cfg->psk_identity : "");
    a->cfg.endpoint = a->endpoint;
    a->cfg.server_uri = a->server_uri;
    a->cfg.psk_identity = a->psk_identity;
    if (cfg->trust_key) {
        memcpy(a->trust_key, cfg->trust_key, 32);
        a->have_trust_key = true;
    }
    a->cfg.trust_key = NULL;
    if (!a->cfg.lifetime_s)
        a->cfg.lifetime_s = 300;
    if (!a->cfg.queue_awake_ms)
        a->cfg.queue_awake_ms = 2000;
    if (!a->cfg.ack_timeout_ms)
        a->cfg.ack_timeout_ms = 2000;
    if (!a->cfg.max_retransmit)
        a->cfg.max_retransmit = 4;
    if (!a->cfg.block_szx || a->cfg.block_szx > 6)
        a->cfg.block_szx = 6;
    if (!a->cfg.resume_save_blocks)
        a->cfg.resume_save_blocks = 1;
    if (!a->cfg.notify_con_every)
        a->cfg.notify_con_every = 16;
    a->infer_period_ms = a->cfg.infer_period_ms;
    uint64_t seed = a->pf.now_us(a->pf.ctx);
    for (const char *p = a->endpoint; *p; p++)
        seed = seed * 131 + (uint8_t)*p;
    a->next_mid = (uint16_t)seed;
    a->next_token = seed;
    a->server_chan = -1;
    a->dl.chan = -1;
    a->model.slot = -1;
    a->active_slot = -1;
    a->staged_slot = -1;
    snprintf(a->firmware_version, sizeof(a->firmware_version), "tml-agent %d.%d.%d", TML_RT_VERSION_MAJOR,
             TML_RT_VERSION_MINOR, TML_RT_VERSION_PATCH);
    tml_status_t st = a->pf.open(a->pf.ctx, a->server_uri, &a->server_chan, err);
    if (st != TML_OK) {
        tml_err_wrap(err, "agent %s: server %s", a->endpoint, a->server_uri);
        tml_free(a);
        return st;
    }
    agent_install_restore(a);
    a->reg_retry_us = agent_now_us(a);
    a->next_infer_us = agent_now_us(a) + (uint64_t)a->infer_period_ms * 1000u;
    *out = a;
    return TML_OK;
}

void tml_agent_destroy(tml_agent_t *a)
{
    if (!a)
        return;
    if (a->dl.chan >= 0 && a->dl.chan != a->server_chan && a->pf.close)
        a->pf.close(a->pf.ctx, a->dl.chan);
    if (a->server_chan >= 0 && a->pf.close)
        a->pf.close(a->pf.ctx, a->server_chan);
    agent_model_unload(&a->model);
    tml_free(a);
}

/* Reads what waits on chan; others: also from other senders (server
 * channel with a platform that has recv_from). */
static void drain(tml_agent_t *a, int chan, bool keep, bool others)
{
    uint8_t buf[AGENT_MAX_PDU + 64];
    for (int n = 0; n < 64; n++) {
        int peer = 0;
        int got = others && a->pf.recv_from && a->pf.send_to
                      ? a->pf.recv_from(a->pf.ctx, chan, buf, sizeof(buf), &peer)
                      : a->pf.recv(a->pf.ctx, chan, buf, sizeof(buf));
        if (got <= 0)
            return;
        if (keep)
            handle_datagram(a, chan, peer, buf, (size_t)got);
    }
}

tml_status_t tml_agent_step(tml_agent_t *a)
{
    if (!a)
        return TML_ERR_ARG;
    uint64_t now = agent_now_us(a);
    /* A sleeping queue-mode device has its radio off: what arrives is lost. */
    drain(a, a->server_chan, !a->asleep, true);
    if (a->dl.active && a->dl.chan >= 0 && a->dl.chan != a->server_chan)
        drain(a, a->dl.chan, true, false);
    now = agent_now_us(a);
    retransmit(a, now);
    if (a->want_deregister) {
        if (a->registered && !txn_pending(a, TXN_DEREGISTER)) {
            agent_cancel_txns(a, TXN_UPDATE);
            a->asleep = false;
            send_deregister(a);
        }
        return TML_OK;
    }
    if (!a->registered && !txn_pending(a, TXN_REGISTER) && now >= a->reg_retry_us) {
        a->asleep = false;
        send_register(a);
    } else if (a->registered && !txn_pending(a, TXN_UPDATE) && now >= a->next_update_us) {
        a->asleep = false;
        send_update(a);
    }
    if (a->registered && a->cfg.queue_mode && !a->asleep && now > a->awake_until_us &&
        !txn_pending(a, TXN_UPDATE) && !a->dl.active)
        a->asleep = true;
    agent_install_step(a);
    agent_infer_step(a);
    notify_step(a, agent_now_us(a));
    return TML_OK;
}

uint32_t tml_agent_next_ms(const tml_agent_t *a)
{
    if (!a)
        return 1000;
    uint64_t now = agent_now_us(a), next = now + 1000000u;
    for (int i = 0; i < AGENT_MAX_TXN; i++)
        if (a->txn[i].kind != TXN_NONE && a->txn[i].next_us < next)
            next = a->txn[i].next_us;
    if (!a->registered && a->reg_retry_us < next)
        next = a->reg_retry_us;
    if (a->registered && a->next_update_us < next)
        next = a->next_update_us;
    if (a->infer_period_ms && a->model.loaded && a->next_infer_us < next)
        next = a->next_infer_us;
    for (int i = 0; i < AGENT_MAX_OBS; i++)
        if (a->obs[i].used)
            next = now + 50000u < next ? now + 50000u : next;
    if (a->dl.active)
        next = now;
    return next <= now ? 0 : (uint32_t)((next - now + 999) / 1000);
}

void tml_agent_get_status(const tml_agent_t *a, tml_agent_status_t *st)
{
    memset(st, 0, sizeof(*st));
    st->registered = a->registered;
    st->asleep = a->asleep;
    snprintf(st->location, sizeof(st->location), "%s", a->location);
    st->n_registrations = a->n_registrations;
    st->n_updates = a->n_updates;
    st->sw_state = a->sw_state;
    st->sw_result = a->sw_result;
    st->sw_activated = a->sw_activated;
    st->fw_state = a->fw_state;
    st->fw_result = a->fw_result;
    snprintf(st->status_reason, sizeof(st->status_reason), "%s", a->status_reason);
    st->download_offset = a->dl.offset;
    st->download_first_block = a->dl.first_block;
    if (a->model.loaded) {
        snprintf(st->model_name, sizeof(st->model_name), "%s", a->model.info.name);
        snprintf(st->model_version, sizeof(st->model_version), "%s", a->model.info.version);
    }
    st->active_slot = a->model.loaded ? a->model.slot : -1;
    st->n_inferences = a->n_inferences;
    st->n_notify_con = a->n_notify_con;
    st->n_notify_acked = a->n_notify_acked;
    for (int i = 0; i < AGENT_MAX_OBS; i++)
        st->n_observations += a->obs[i].used;
    st->last_latency_us = a->last_latency_us;
    st->top_class = a->top_class;
    snprintf(st->firmware_version, sizeof(st->firmware_version), "%s", a->firmware_version);
}
