/*
 * platform_posix.c - the agent's POSIX platform layer: one non-blocking UDP
 * socket per channel, CLOCK_MONOTONIC, storage as files in a state
 * directory (atomic replace through tml_file_write; in-place writes with
 * pwrite for downloads), and DTLS 1.2 PSK (OpenSSL) on coaps:// channels.
 *
 * Sockets are not connected. A plain channel also takes datagrams from
 * other peers (recv_from/send_to), so a CoAP client such as coap-client
 * can read the device as its LwM2M server would; plain UDP authenticates
 * nobody, whoever sends. A DTLS channel takes only its server's records:
 * OpenSSL runs over memory BIOs, each received datagram fed in whole and
 * each flushed write sent as one datagram, so this file owns the socket
 * and nothing blocks. A failed or closed session is set up again by the
 * next send; what the agent sends while a handshake runs waits in a short
 * queue and goes out when it completes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tml/agent.h"

#define POSIX_MAX_CHANS 8
#define POSIX_MAX_OTHERS 8            /* other senders remembered per plain channel */
#define POSIX_HS_QUEUE 4              /* datagrams held while a handshake runs */
#define POSIX_DGRAM_MAX 1536
#define POSIX_HS_GIVEUP_US 30000000u  /* a handshake this old is abandoned */
#define POSIX_LINK_MTU 1500

typedef struct px_addr {
    struct sockaddr_storage sa;
    socklen_t len;
} px_addr_t;

typedef struct px_other {
    px_addr_t addr;
    uint32_t gen;                     /* bumped when the slot is reused */
    bool used;
} px_other_t;

typedef struct px_chan {
    int fd;                           /* -1: free */
    px_addr_t peer;
    bool secure;
    /* DTLS (secure channels). rbio and wbio belong to ssl. */
    SSL *ssl;
    BIO *rbio, *wbio;
    bool hs_done;
    uint64_t hs_start_us;
    uint8_t queue[POSIX_HS_QUEUE][POSIX_DGRAM_MAX];
    size_t queue_len[POSIX_HS_QUEUE];
    int n_queued;
    /* Other senders (plain channels); handles are gen * 16 + slot + 1. */
    px_other_t others[POSIX_MAX_OTHERS];
    unsigned next_other;
} px_chan_t;

struct tml_agent_posix {
    char dir[512];
    px_chan_t ch[POSIX_MAX_CHANS];
    char psk_identity[64];
    uint8_t psk_key[64];
    size_t psk_key_len;
    SSL_CTX *ssl_ctx;                 /* made on the first coaps:// channel */
    char dtls_error[160];             /* the last DTLS failure, for tests and logs */
    uint32_t n_handshakes;            /* completed */
};

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static px_chan_t *chan_get(tml_agent_posix_t *p, int chan)
{
    return chan >= 0 && chan < POSIX_MAX_CHANS && p->ch[chan].fd >= 0 ? &p->ch[chan] : NULL;
}

static bool addr_eq(const px_addr_t *a, const px_addr_t *b)
{
    if (a->sa.ss_family != b->sa.ss_family)
        return false;
    if (a->sa.ss_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)&a->sa, *y = (const void *)&b->sa;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)&a->sa, *y = (const void *)&b->sa;
        return x->sin6_port == y->sin6_port && !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
    }
    return false;
}

/* ---- DTLS ------------------------------------------------------------------ */

static unsigned int psk_client_cb(SSL *ssl, const char *hint, char *identity,
                                  unsigned int max_identity_len, unsigned char *psk,
                                  unsigned int max_psk_len)
{
    (void)hint;
    const tml_agent_posix_t *p = SSL_get_app_data(ssl);
    size_t id_len = p ? strlen(p->psk_identity) : 0;
    if (!p || id_len == 0 || id_len + 1 > max_identity_len || p->psk_key_len > max_psk_len)
        return 0;
    memcpy(identity, p->psk_identity, id_len + 1);
    memcpy(psk, p->psk_key, p->psk_key_len);
    return (unsigned int)p->psk_key_len;
}

static void dtls_flush(px_chan_t *c)
{
    uint8_t buf[4 * POSIX_DGRAM_MAX];
    for (int n = 0; n < 16 && c->wbio && BIO_ctrl_pending(c->wbio) > 0; n++) {
        int got = BIO_read(c->wbio, buf, (int)sizeof(buf));
        if (got <= 0)
            break;
        if (sendto(c->fd, buf, (size_t)got, 0, (const struct sockaddr *)&c->peer.sa, c->peer.len) != got)
            TML_LOGD("agent-posix", "DTLS: sendto failed: %s", strerror(errno));
    }
}

static void dtls_drop(px_chan_t *c)
{
    if (c->ssl)
        SSL_free(c->ssl); /* frees rbio and wbio */
    c->ssl = NULL;
    c->rbio = c->wbio = NULL;
    c->hs_done = false;
    c->n_queued = 0;
}

static void dtls_fail(tml_agent_posix_t *p, px_chan_t *c, const char *why)
{
    unsigned long e = ERR_get_error();
    char detail[120] = "";
    if (e)
        ERR_error_string_n(e, detail, sizeof(detail));
    snprintf(p->dtls_error, sizeof(p->dtls_error), "%s%s%s", why, detail[0] ? ": " : "", detail);
    TML_LOGW("agent-posix", "DTLS: %s", p->dtls_error);
    ERR_clear_error();
    dtls_flush(c); /* an alert may be waiting */
    dtls_drop(c);
}

static tml_status_t dtls_ctx(tml_agent_posix_t *p, tml_err_t *err)
{
    if (p->ssl_ctx)
        return TML_OK;
    SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
    if (!ctx)
        return tml_err_set(err, TML_ERR_NOMEM, "DTLS: cannot create an OpenSSL context");
    /* LwM2M's mandatory suite first, then the common PSK ones. */
    if (!SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, "PSK-AES128-CCM8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256")) {
        SSL_CTX_free(ctx);
        ERR_clear_error();
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "DTLS: this OpenSSL lacks the PSK cipher suites");
    }
    SSL_CTX_set_psk_client_callback(ctx, psk_client_cb);
    p->ssl_ctx = ctx;
    return TML_OK;
}

/* Starts a handshake on c: the ClientHello goes out now. */
static tml_status_t dtls_start(tml_agent_posix_t *p, px_chan_t *c)
{
    dtls_drop(c);
    ERR_clear_error();
    c->ssl = SSL_new(p->ssl_ctx);
    BIO *r = BIO_new(BIO_s_mem()), *w = BIO_new(BIO_s_mem());
    if (!c->ssl || !r || !w) {
        BIO_free(r);
        BIO_free(w);
        dtls_fail(p, c, "out of memory");
        return TML_ERR_NOMEM;
    }
    BIO_set_mem_eof_return(r, -1); /* empty means "wait", not end of stream */
    BIO_set_mem_eof_return(w, -1);
    SSL_set_bio(c->ssl, r, w);
    c->rbio = r;
    c->wbio = w;
    SSL_set_app_data(c->ssl, p);
    /* Memory BIOs cannot tell the path MTU. */
    SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
    DTLS_set_link_mtu(c->ssl, POSIX_LINK_MTU);
    SSL_set_connect_state(c->ssl);
    c->hs_done = false;
    c->hs_start_us = now_us();
    SSL_do_handshake(c->ssl);
    dtls_flush(c);
    return TML_OK;
}

/* Writes one datagram into an established session. */
static tml_status_t dtls_write(tml_agent_posix_t *p, px_chan_t *c, const uint8_t *data, size_t len)
{
    ERR_clear_error();
    int n = SSL_write(c->ssl, data, (int)len);
    dtls_flush(c);
    if (n == (int)len)
        return TML_OK;
    dtls_fail(p, c, "write failed");
    return TML_ERR_IO;
}

/* Drives the handshake after input; true once it completed (the queue is
 * sent then). */
static bool dtls_handshake(tml_agent_posix_t *p, px_chan_t *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    dtls_flush(c);
    if (r == 1) {
        c->hs_done = true;
        p->n_handshakes++;
        TML_LOGI("agent-posix", "DTLS: session up (%s)", SSL_get_cipher_name(c->ssl));
        int n = c->n_queued;
        c->n_queued = 0;
        for (int i = 0; i < n && c->ssl; i++)
            dtls_write(p, c, c->queue[i], c->queue_len[i]);
        return c->ssl != NULL;
    }
    int e = SSL_get_error(c->ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
        dtls_fail(p, c, "handshake refused");
    return false;
}

/* Handshake retransmissions and giving up. */
static void dtls_timers(tml_agent_posix_t *p, px_chan_t *c)
{
    if (!c->ssl || c->hs_done)
        return;
    if (now_us() - c->hs_start_us > POSIX_HS_GIVEUP_US) {
        dtls_fail(p, c, "handshake timed out");
        return;
    }
    if (DTLSv1_handle_timeout(c->ssl) < 0)
        dtls_fail(p, c, "handshake retransmission failed");
    else
        dtls_flush(c);
}

/* ---- Channels ------------------------------------------------------------- */

static tml_status_t px_open(void *ctx, const char *uri, int *chan, tml_err_t *err)
{
    tml_agent_posix_t *p = ctx;
    bool secure;
    const char *rest;
    if (!strncmp(uri, "coap://", 7)) {
        secure = false;
        rest = uri + 7;
    } else if (!strncmp(uri, "coaps://", 8)) {
        secure = true;
        rest = uri + 8;
    } else {
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "URI '%s': only coap:// and coaps://", uri);
    }
    if (secure && (!p->psk_identity[0] || !p->psk_key_len))
        return tml_err_set(err, TML_ERR_UNSUPPORTED,
                           "URI '%s': coaps:// needs a PSK identity and key", uri);
    char host[128], port[8];
    const char *h = rest, *he;
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            return tml_err_set(err, TML_ERR_ARG, "URI '%s': unterminated IPv6 address", uri);
        h++;
    } else {
        he = h + strcspn(h, ":/");
    }
    if (he == h || (size_t)(he - h) >= sizeof(host))
        return tml_err_set(err, TML_ERR_ARG, "URI '%s': no host", uri);
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = 0;
    const char *pp = *he == ']' ? he + 1 : he;
    snprintf(port, sizeof(port), "%s", secure ? "5684" : "5683");
    if (*pp == ':') {
        size_t n = strspn(pp + 1, "0123456789");
        if (n == 0 || n >= sizeof(port))
            return tml_err_set(err, TML_ERR_ARG, "URI '%s': bad port", uri);
        memcpy(port, pp + 1, n);
        port[n] = 0;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
        return tml_err_set(err, TML_ERR_ARG, "URI '%s': host is not a numeric address", uri);
    if (ai->ai_addrlen > sizeof(struct sockaddr_storage)) {
        freeaddrinfo(ai);
        return tml_err_set(err, TML_ERR_ARG, "URI '%s': unusable address", uri);
    }
    if (secure && dtls_ctx(p, err) != TML_OK) {
        freeaddrinfo(ai);
        return err ? err->status : TML_ERR_UNSUPPORTED;
    }
    int slot = -1;
    for (int i = 0; i < POSIX_MAX_CHANS; i++)
        if (p->ch[i].fd < 0) {
            slot = i;
            break;
        }
    int fd = slot < 0 ? -1 : socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        freeaddrinfo(ai);
        return tml_err_set(err, TML_ERR_IO, "URI '%s': %s", uri,
                           slot < 0 ? "too many open channels" : "cannot open a socket");
    }
    px_chan_t *c = &p->ch[slot];
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    memcpy(&c->peer.sa, ai->ai_addr, ai->ai_addrlen);
    c->peer.len = ai->ai_addrlen;
    c->secure = secure;
    freeaddrinfo(ai);
    if (secure && dtls_start(p, c) != TML_OK) {
        close(fd);
        c->fd = -1;
        return tml_err_set(err, TML_ERR_NOMEM, "URI '%s': cannot start DTLS", uri);
    }
    *chan = slot;
    return TML_OK;
}

static void px_close(void *ctx, int chan)
{
    tml_agent_posix_t *p = ctx;
    px_chan_t *c = chan_get(p, chan);
    if (!c)
        return;
    if (c->ssl && c->hs_done) { /* close_notify, so the server drops the session */
        SSL_shutdown(c->ssl);
        dtls_flush(c);
    }
    dtls_drop(c);
    ERR_clear_error();
    close(c->fd);
    c->fd = -1;
}

static const px_addr_t *other_addr(const px_chan_t *c, int peer)
{
    unsigned slot = (unsigned)(peer - 1) % 16u, gen = (unsigned)(peer - 1) / 16u;
    if (peer <= 0 || slot >= POSIX_MAX_OTHERS || !c->others[slot].used || c->others[slot].gen != gen)
        return NULL;
    return &c->others[slot].addr;
}

static int other_handle(px_chan_t *c, const px_addr_t *from)
{
    for (unsigned i = 0; i < POSIX_MAX_OTHERS; i++)
        if (c->others[i].used && addr_eq(&c->others[i].addr, from))
            return (int)(c->others[i].gen * 16u + i + 1);
    unsigned i = c->next_other++ % POSIX_MAX_OTHERS;
    px_other_t *o = &c->others[i];
    o->gen = o->used ? (o->gen + 1) & 0xFFFFFFu : 0;
    o->used = true;
    o->addr = *from;
    return (int)(o->gen * 16u + i + 1);
}

static tml_status_t px_send_to(void *ctx, int chan, int peer, const uint8_t *data, size_t len)
{
    tml_agent_posix_t *p = ctx;
    px_chan_t *c = chan_get(p, chan);
    if (!c || len > POSIX_DGRAM_MAX)
        return TML_ERR_ARG;
    if (!c->secure) {
        const px_addr_t *to = peer == 0 ? &c->peer : other_addr(c, peer);
        if (!to)
            return TML_ERR_NOT_FOUND;
        return sendto(c->fd, data, len, 0, (const struct sockaddr *)&to->sa, to->len) == (ssize_t)len
                   ? TML_OK : TML_ERR_IO;
    }
    if (peer != 0)
        return TML_ERR_ARG; /* a DTLS channel talks to its server only */
    if (c->ssl && c->hs_done)
        return dtls_write(p, c, data, len);
    if (!c->ssl && dtls_start(p, c) != TML_OK)
        return TML_ERR_NOMEM;
    if (c->n_queued == POSIX_HS_QUEUE) { /* keep the newest */
        memmove(c->queue[0], c->queue[1], sizeof(c->queue[0]) * (POSIX_HS_QUEUE - 1));
        memmove(c->queue_len, c->queue_len + 1, sizeof(c->queue_len[0]) * (POSIX_HS_QUEUE - 1));
        c->n_queued--;
    }
    memcpy(c->queue[c->n_queued], data, len);
    c->queue_len[c->n_queued++] = len;
    return TML_OK;
}

static tml_status_t px_send(void *ctx, int chan, const uint8_t *data, size_t len)
{
    return px_send_to(ctx, chan, 0, data, len);
}

/* One decrypted datagram from an established session, if one is buffered. */
static int dtls_read(tml_agent_posix_t *p, px_chan_t *c, uint8_t *buf, size_t cap)
{
    ERR_clear_error();
    int r = SSL_read(c->ssl, buf, (int)(cap > 65536 ? 65536 : cap));
    dtls_flush(c);
    if (r > 0)
        return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
        return 0;
    dtls_fail(p, c, e == SSL_ERROR_ZERO_RETURN ? "the server closed the session" : "bad record");
    return 0;
}

static int chan_recv(tml_agent_posix_t *p, int chan, uint8_t *buf, size_t cap, int *peer, bool others)
{
    px_chan_t *c = chan_get(p, chan);
    if (!c)
        return -1;
    *peer = 0;
    if (c->secure) {
        dtls_timers(p, c);
        if (c->ssl && c->hs_done && (SSL_pending(c->ssl) > 0 || BIO_ctrl_pending(c->rbio) > 0)) {
            int r = dtls_read(p, c, buf, cap);
            if (r > 0)
                return r;
        }
    }
    for (int n = 0; n < 64; n++) {
        uint8_t dg[POSIX_DGRAM_MAX];
        px_addr_t from;
        memset(&from, 0, sizeof(from));
        from.len = sizeof(from.sa);
        ssize_t got = recvfrom(c->fd, dg, sizeof(dg), MSG_DONTWAIT, (struct sockaddr *)&from.sa, &from.len);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        }
        bool from_peer = addr_eq(&from, &c->peer);
        if (!c->secure) {
            if (!from_peer && !others)
                continue; /* not for this channel's user */
            if (!from_peer)
                *peer = other_handle(c, &from);
            size_t n_copy = (size_t)got < cap ? (size_t)got : cap;
            memcpy(buf, dg, n_copy);
            return (int)n_copy;
        }
        if (!from_peer || !c->ssl)
            continue; /* DTLS: only the server, only inside a session */
        if (BIO_write(c->rbio, dg, (int)got) != (int)got)
            continue;
        if (!c->hs_done && !dtls_handshake(p, c))
            continue;
        int r = dtls_read(p, c, buf, cap);
        if (r > 0)
            return r;
    }
    return 0;
}

static int px_recv(void *ctx, int chan, uint8_t *buf, size_t cap)
{
    int peer;
    return chan_recv(ctx, chan, buf, cap, &peer, false);
}

static int px_recv_from(void *ctx, int chan, uint8_t *buf, size_t cap, int *peer)
{
    return chan_recv(ctx, chan, buf, cap, peer, true);
}

/* ---- Clock and storage ------------------------------------------------------ */

static uint64_t px_now_us(void *ctx)
{
    (void)ctx;
    return now_us();
}
static bool px_path(tml_agent_posix_t *p, const char *name, char *buf, size_t cap)
{
    if (!name[0] || strchr(name, '/') || name[0] == '.')
        return false;
    return (size_t)snprintf(buf, cap, "%s/%s", p->dir, name) < cap;
}

static tml_status_t px_load(void *ctx, const char *name, uint8_t **data, size_t *len)
{
    char path[640];
    if (!px_path(ctx, name, path, sizeof(path)))
        return TML_ERR_ARG;
    if (access(path, F_OK) != 0)
        return TML_ERR_NOT_FOUND;
    return tml_file_read(path, data, len, NULL);
}

static tml_status_t px_store(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    char path[640];
    if (!px_path(ctx, name, path, sizeof(path)))
        return TML_ERR_ARG;
    return tml_file_write(path, data, len, NULL);
}

static tml_status_t px_write_at(void *ctx, const char *name, size_t off, const uint8_t *data, size_t len)
{
    char path[640];
    if (!px_path(ctx, name, path, sizeof(path)))
        return TML_ERR_ARG;
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return TML_ERR_IO;
    ssize_t n = pwrite(fd, data, len, (off_t)off);
    int rc = fsync(fd);
    close(fd);
    return n == (ssize_t)len && rc == 0 ? TML_OK : TML_ERR_IO;
}

static tml_status_t px_size(void *ctx, const char *name, size_t *len)
{
    char path[640];
    struct stat st;
    if (!px_path(ctx, name, path, sizeof(path)))
        return TML_ERR_ARG;
    if (stat(path, &st) != 0)
        return TML_ERR_NOT_FOUND;
    *len = (size_t)st.st_size;
    return TML_OK;
}

static tml_status_t px_remove(void *ctx, const char *name)
{
    char path[640];
    if (!px_path(ctx, name, path, sizeof(path)))
        return TML_ERR_ARG;
    return unlink(path) == 0 || errno == ENOENT ? TML_OK : TML_ERR_IO;
}

tml_status_t tml_agent_posix_create(const char *state_dir, const char *psk_identity,
                                    const uint8_t *psk_key, size_t psk_key_len,
                                    tml_agent_posix_t **out, tml_agent_platform_t *platform,
                                    tml_err_t *err)
{
    if (!state_dir || !out || !platform || psk_key_len > 64)
        return tml_err_set(err, TML_ERR_ARG, "posix platform: bad argument");
    if (psk_identity && strlen(psk_identity) >= 64)
        return tml_err_set(err, TML_ERR_ARG, "posix platform: PSK identity longer than 63 bytes");
    if ((psk_identity && psk_identity[0]) != (psk_key && psk_key_len))
        return tml_err_set(err, TML_ERR_ARG, "posix platform: a PSK needs both identity and key");
    struct stat st;
    if (stat(state_dir, &st) != 0 && mkdir(state_dir, 0755) != 0)
        return tml_err_set(err, TML_ERR_IO, "state dir %s: cannot create", state_dir);
    tml_agent_posix_t *p = tml_calloc(1, sizeof(*p));
    if (!p)
        return tml_err_set(err, TML_ERR_NOMEM, "posix platform: out of memory");
    snprintf(p->dir, sizeof(p->dir), "%s", state_dir);
    for (int i = 0; i < POSIX_MAX_CHANS; i++)
        p->ch[i].fd = -1;
    snprintf(p->psk_identity, sizeof(p->psk_identity), "%s", psk_identity ? psk_identity : "");
    if (psk_key && psk_key_len)
        memcpy(p->psk_key, psk_key, psk_key_len);
    p->psk_key_len = psk_key_len;
    memset(platform, 0, sizeof(*platform));
    platform->ctx = p;
    platform->open = px_open;
    platform->close = px_close;
    platform->send = px_send;
    platform->recv = px_recv;
    platform->send_to = px_send_to;
    platform->recv_from = px_recv_from;
    platform->now_us = px_now_us;
    platform->load = px_load;
    platform->store = px_store;
    platform->write_at = px_write_at;
    platform->size = px_size;
    platform->remove = px_remove;
    *out = p;
    return TML_OK;
}

void tml_agent_posix_destroy(tml_agent_posix_t *p)
{
    if (!p)
        return;
    for (int i = 0; i < POSIX_MAX_CHANS; i++)
        px_close(p, i);
    SSL_CTX_free(p->ssl_ctx);
    OPENSSL_cleanse(p->psk_key, sizeof(p->psk_key));
    tml_free(p);
}

size_t tml_agent_posix_fds(const tml_agent_posix_t *p, int *fds, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < POSIX_MAX_CHANS && n < cap; i++)
        if (p->ch[i].fd >= 0)
            fds[n++] = p->ch[i].fd;
    return n;
}

const char *tml_agent_posix_dtls_error(const tml_agent_posix_t *p)
{
    return p ? p->dtls_error : "";
}

uint32_t tml_agent_posix_n_handshakes(const tml_agent_posix_t *p)
{
    return p ? p->n_handshakes : 0;
}
