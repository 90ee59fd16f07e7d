/*
 * platform_posix.c - the agent's POSIX platform layer: one connected
 * non-blocking UDP socket per channel, CLOCK_MONOTONIC, and storage as
 * files in a state directory (atomic replace through tml_file_write;
 * in-place writes with pwrite for downloads).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tml/agent.h"

#define POSIX_MAX_CHANS 8

struct tml_agent_posix {
    char dir[512];
    int fds[POSIX_MAX_CHANS];
    char psk_identity[64];
    uint8_t psk_key[64];
    size_t psk_key_len;
};

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
    if (secure)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "URI '%s': DTLS is not in this platform layer yet", uri);
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
    int slot = -1;
    for (int i = 0; i < POSIX_MAX_CHANS; i++)
        if (p->fds[i] < 0) {
            slot = i;
            break;
        }
    int fd = slot < 0 ? -1 : socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (fd >= 0)
            close(fd);
        freeaddrinfo(ai);
        return tml_err_set(err, TML_ERR_IO, "URI '%s': cannot open a socket", uri);
    }
    freeaddrinfo(ai);
    p->fds[slot] = fd;
    *chan = slot;
    return TML_OK;
}

static void px_close(void *ctx, int chan)
{
    tml_agent_posix_t *p = ctx;
    if (chan >= 0 && chan < POSIX_MAX_CHANS && p->fds[chan] >= 0) {
        close(p->fds[chan]);
        p->fds[chan] = -1;
    }
}

static tml_status_t px_send(void *ctx, int chan, const uint8_t *data, size_t len)
{
    tml_agent_posix_t *p = ctx;
    if (chan < 0 || chan >= POSIX_MAX_CHANS || p->fds[chan] < 0)
        return TML_ERR_ARG;
    return send(p->fds[chan], data, len, 0) == (ssize_t)len ? TML_OK : TML_ERR_IO;
}

static int px_recv(void *ctx, int chan, uint8_t *buf, size_t cap)
{
    tml_agent_posix_t *p = ctx;
    if (chan < 0 || chan >= POSIX_MAX_CHANS || p->fds[chan] < 0)
        return -1;
    for (;;) {
        ssize_t n = recv(p->fds[chan], buf, cap, MSG_DONTWAIT);
        if (n >= 0)
            return (int)n;
        if (errno == EINTR || errno == ECONNREFUSED)
            continue; /* ICMP port unreachable: the peer is not up yet */
        return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
    }
}

static uint64_t px_now_us(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
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
    struct stat st;
    if (stat(state_dir, &st) != 0 && mkdir(state_dir, 0755) != 0)
        return tml_err_set(err, TML_ERR_IO, "state dir %s: cannot create", state_dir);
    tml_agent_posix_t *p = tml_calloc(1, sizeof(*p));
    if (!p)
        return tml_err_set(err, TML_ERR_NOMEM, "posix platform: out of memory");
    snprintf(p->dir, sizeof(p->dir), "%s", state_dir);
    for (int i = 0; i < POSIX_MAX_CHANS; i++)
        p->fds[i] = -1;
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
        if (p->fds[i] >= 0)
            close(p->fds[i]);
    tml_free(p);
}

size_t tml_agent_posix_fds(const tml_agent_posix_t *p, int *fds, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < POSIX_MAX_CHANS && n < cap; i++)
        if (p->fds[i] >= 0)
            fds[n++] = p->fds[i];
    return n;
}
