/*
 * platform_sim.c - the platform layer tml-sim gives each agent: a
 * connected non-blocking UDP socket per channel, registered in the fleet's
 * epoll set with the device index and channel as its key; a share of the
 * datagrams dropped each way from the fleet's seeded generator; storage as
 * named blobs in memory, or, with a state directory, the POSIX platform's
 * files under <dir>/<endpoint>/.
 *
 * Many sockets to one server port need many local ports, and one address
 * has only the ephemeral range (about 28 000 on Linux). For a loopback
 * server each group of SIM_PER_ADDR devices binds its own source address in
 * 127.0.0.0/8, all of which are local; src_group offsets the groups of one
 * process from those of another.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sim_internal.h"

#define SIM_PER_ADDR 8192u

static bool dropped(sim_dev_t *d)
{
    tml_sim_t *s = d->sim;
    if (s->cfg.loss <= 0.0)
        return false;
    bool drop = (double)(sim_rand(s) % 1000000u) < s->cfg.loss * 1e6;
    if (drop)
        s->n_dropped++;
    return drop;
}

static tml_status_t sp_open(void *ctx, const char *uri, int *chan, tml_err_t *err)
{
    sim_dev_t *d = ctx;
    const char *rest;
    if (!strncmp(uri, "coap://", 7))
        rest = uri + 7;
    else if (!strncmp(uri, "coaps://", 8))
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "URI '%s': tml-sim has no DTLS", uri);
    else
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "URI '%s': only coap://", uri);
    char host[128], port[8] = "5683";
    const char *h = rest, *he;
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            return tml_err_set(err, TML_ERR_ARG, "URI '%s': unterminated IPv6 address", uri);
        h++;
    } else {
        he = h + strcspn(h, ":/?");
    }
    if (he == h || (size_t)(he - h) >= sizeof(host))
        return tml_err_set(err, TML_ERR_ARG, "URI '%s': no host", uri);
    memcpy(host, h, (size_t)(he - h));
    host[he - h] = 0;
    const char *pp = *he == ']' ? he + 1 : he;
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
    int slot = -1;
    for (int i = 0; i < SIM_CHANS; i++)
        if (d->fds[i] < 0) {
            slot = i;
            break;
        }
    if (slot < 0) {
        freeaddrinfo(ai);
        return tml_err_set(err, TML_ERR_IO, "URI '%s': no free channel", uri);
    }
    int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    bool ok = fd >= 0;
    if (ok && ai->ai_family == AF_INET &&
        (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127) {
        uint32_t k = 1 + d->sim->cfg.src_group + d->index / SIM_PER_ADDR;
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl((127u << 24) | (1u << 16) | ((k >> 8 & 255u) << 8) | (k & 255u));
        ok = bind(fd, (struct sockaddr *)&src, sizeof(src)) == 0;
    }
    if (ok) {
        /* A burst of registrations answered at once must not overflow. */
        int rcvbuf = 65536;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        ok = connect(fd, ai->ai_addr, ai->ai_addrlen) == 0;
    }
    freeaddrinfo(ai);
    if (ok) {
        struct epoll_event ev = {.events = EPOLLIN};
        ev.data.u64 = (uint64_t)d->index * SIM_CHANS + (uint64_t)slot;
        ok = epoll_ctl(d->sim->epfd, EPOLL_CTL_ADD, fd, &ev) == 0;
    }
    if (!ok) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return tml_err_set(err, TML_ERR_IO, "URI '%s': cannot open a socket: %s", uri, strerror(e));
    }
    d->fds[slot] = fd;
    *chan = slot;
    return TML_OK;
}

static void sp_close(void *ctx, int chan)
{
    sim_dev_t *d = ctx;
    if (chan >= 0 && chan < SIM_CHANS && d->fds[chan] >= 0) {
        close(d->fds[chan]); /* also leaves the epoll set */
        d->fds[chan] = -1;
    }
}

static tml_status_t sp_send(void *ctx, int chan, const uint8_t *data, size_t len)
{
    sim_dev_t *d = ctx;
    if (chan < 0 || chan >= SIM_CHANS || d->fds[chan] < 0)
        return TML_ERR_ARG;
    if (dropped(d))
        return TML_OK; /* lost on the air */
    d->sim->n_sent++;
    return send(d->fds[chan], data, len, 0) == (ssize_t)len ? TML_OK : TML_ERR_IO;
}

static int sp_recv(void *ctx, int chan, uint8_t *buf, size_t cap)
{
    sim_dev_t *d = ctx;
    if (chan < 0 || chan >= SIM_CHANS || d->fds[chan] < 0)
        return -1;
    for (int i = 0; i < 256; i++) {
        ssize_t n = recv(d->fds[chan], buf, cap, MSG_DONTWAIT);
        if (n < 0 && (errno == EINTR || errno == ECONNREFUSED))
            continue; /* ICMP port unreachable: the server is not up yet */
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        if (dropped(d))
            continue;
        d->sim->n_received++;
        return (int)n;
    }
    return 0;
}

static uint64_t sp_now_us(void *ctx)
{
    (void)ctx;
    return sim_now_us();
}

/* ---- Storage in memory ------------------------------------------------------ */

static sim_blob_t *blob_find(sim_dev_t *d, const char *name, bool create)
{
    for (sim_blob_t *b = d->blobs; b; b = b->next)
        if (!strcmp(b->name, name))
            return b;
    if (!create || strlen(name) >= sizeof(((sim_blob_t *)0)->name))
        return NULL;
    sim_blob_t *b = tml_calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->next = d->blobs;
    d->blobs = b;
    return b;
}

static bool blob_reserve(sim_blob_t *b, size_t n)
{
    if (n <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < n)
        cap *= 2;
    uint8_t *p = tml_realloc(b->data, cap);
    if (!p)
        return false;
    b->data = p;
    b->cap = cap;
    return true;
}

static tml_status_t mem_load(void *ctx, const char *name, uint8_t **data, size_t *len)
{
    sim_blob_t *b = blob_find(ctx, name, false);
    if (!b)
        return TML_ERR_NOT_FOUND;
    *data = tml_malloc(b->len ? b->len : 1);
    if (!*data)
        return TML_ERR_NOMEM;
    if (b->len)
        memcpy(*data, b->data, b->len);
    *len = b->len;
    return TML_OK;
}

static tml_status_t mem_store(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    sim_blob_t *b = blob_find(ctx, name, true);
    if (!b)
        return TML_ERR_NOMEM;
    /* Exact size: stored blobs (models, records) are not grown later. */
    uint8_t *p = tml_malloc(len ? len : 1);
    if (!p)
        return TML_ERR_NOMEM;
    if (len)
        memcpy(p, data, len);
    tml_free(b->data);
    b->data = p;
    b->len = b->cap = len;
    return TML_OK;
}

static tml_status_t mem_write_at(void *ctx, const char *name, size_t off, const uint8_t *data,
                                 size_t len)
{
    sim_blob_t *b = blob_find(ctx, name, true);
    if (!b || off + len < off || !blob_reserve(b, off + len))
        return TML_ERR_NOMEM;
    if (off > b->len)
        memset(b->data + b->len, 0, off - b->len);
    memcpy(b->data + off, data, len);
    if (off + len > b->len)
        b->len = off + len;
    return TML_OK;
}

static tml_status_t mem_size(void *ctx, const char *name, size_t *len)
{
    sim_blob_t *b = blob_find(ctx, name, false);
    if (!b)
        return TML_ERR_NOT_FOUND;
    *len = b->len;
    return TML_OK;
}

static tml_status_t mem_remove(void *ctx, const char *name)
{
    sim_dev_t *d = ctx;
    for (sim_blob_t **pp = &d->blobs; *pp; pp = &(*pp)->next) {
        if (!strcmp((*pp)->name, name)) {
            sim_blob_t *b = *pp;
            *pp = b->next;
            tml_free(b->data);
            tml_free(b);
            break;
        }
    }
    return TML_OK;
}

/* ---- Storage in files, through the POSIX platform -------------------------- */

static tml_status_t px_load(void *ctx, const char *name, uint8_t **data, size_t *len)
{
    sim_dev_t *d = ctx;
    return d->px_pf.load(d->px_pf.ctx, name, data, len);
}

static tml_status_t px_store(void *ctx, const char *name, const uint8_t *data, size_t len)
{
    sim_dev_t *d = ctx;
    return d->px_pf.store(d->px_pf.ctx, name, data, len);
}

static tml_status_t px_write_at(void *ctx, const char *name, size_t off, const uint8_t *data, size_t len)
{
    sim_dev_t *d = ctx;
    return d->px_pf.write_at(d->px_pf.ctx, name, off, data, len);
}

static tml_status_t px_size(void *ctx, const char *name, size_t *len)
{
    sim_dev_t *d = ctx;
    return d->px_pf.size(d->px_pf.ctx, name, len);
}

static tml_status_t px_remove(void *ctx, const char *name)
{
    sim_dev_t *d = ctx;
    return d->px_pf.remove(d->px_pf.ctx, name);
}

tml_status_t sim_platform_init(sim_dev_t *d, tml_err_t *err)
{
    for (int i = 0; i < SIM_CHANS; i++)
        d->fds[i] = -1;
    memset(&d->pf, 0, sizeof(d->pf));
    d->pf.ctx = d;
    d->pf.open = sp_open;
    d->pf.close = sp_close;
    d->pf.send = sp_send;
    d->pf.recv = sp_recv;
    d->pf.now_us = sp_now_us;
    if (d->sim->state_dir[0]) {
        char dir[700];
        snprintf(dir, sizeof(dir), "%s/%s%u", d->sim->state_dir, d->sim->prefix, d->index);
        tml_status_t st = tml_agent_posix_create(dir, NULL, NULL, 0, &d->px, &d->px_pf, err);
        if (st != TML_OK)
            return st;
        d->pf.load = px_load;
        d->pf.store = px_store;
        d->pf.write_at = px_write_at;
        d->pf.size = px_size;
        d->pf.remove = px_remove;
    } else {
        d->pf.load = mem_load;
        d->pf.store = mem_store;
        d->pf.write_at = mem_write_at;
        d->pf.size = mem_size;
        d->pf.remove = mem_remove;
    }
    return TML_OK;
}

void sim_platform_close_all(sim_dev_t *d)
{
    for (int i = 0; i < SIM_CHANS; i++)
        sp_close(d, i);
}

void sim_platform_free(sim_dev_t *d)
{
    sim_platform_close_all(d);
    while (d->blobs) {
        sim_blob_t *b = d->blobs;
        d->blobs = b->next;
        tml_free(b->data);
        tml_free(b);
    }
    if (d->px) {
        tml_agent_posix_destroy(d->px);
        d->px = NULL;
    }
}
