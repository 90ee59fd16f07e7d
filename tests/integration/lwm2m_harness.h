/*
 * lwm2m_harness.h - helpers for the loopback LwM2M tests: a server and
 * agents stepped in one thread with bounded loops, a lossy UDP relay, test
 * packages (a real .tmlm built with the compiler's package writer, signed).
 * Header-only so each test binary includes what it uses.
 */
#ifndef TML_LWM2M_HARNESS_H
#define TML_LWM2M_HARNESS_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/agent.h"
#include "tml/coap_msg.h"
#include "tml/ir.h"
#include "tml/lwm2m_server.h"
#include "tml/package.h"
#include "tml/plan.h"
#include "tml/rt.h"
#include "tml/signed_pkg.h"

static inline uint64_t h_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A lossy relay: agents talk to its front port; like a NAT it gives each
 * agent-side address its own socket towards the server port, and drops
 * drop_permille of the datagrams each way. */
#define H_RELAY_PEERS 4
typedef struct h_relay {
    int front;
    uint16_t front_port, server_port;
    int back[H_RELAY_PEERS];
    struct sockaddr_in peer[H_RELAY_PEERS];
    int n_peers;
    unsigned drop_permille;
    uint32_t rng;
    unsigned n_dropped, n_forwarded;
} h_relay_t;

static inline void h_relay_open(h_relay_t *r, uint16_t server_port, unsigned drop_permille, uint32_t seed)
{
    memset(r, 0, sizeof(*r));
    r->drop_permille = drop_permille;
    r->rng = seed;
    r->server_port = server_port;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    r->front = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(r->front >= 0);
    assert_int_equal(bind(r->front, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    getsockname(r->front, (struct sockaddr *)&a, &len);
    r->front_port = ntohs(a.sin_port);
}

static inline bool h_relay_drop(h_relay_t *r)
{
    r->rng = r->rng * 1103515245u + 12345u;
    return ((r->rng >> 8) % 1000u) < r->drop_permille;
}

static inline int h_relay_peer(h_relay_t *r, const struct sockaddr_in *from)
{
    for (int i = 0; i < r->n_peers; i++)
        if (r->peer[i].sin_port == from->sin_port && r->peer[i].sin_addr.s_addr == from->sin_addr.s_addr)
            return i;
    if (r->n_peers == H_RELAY_PEERS)
        return -1;
    int i = r->n_peers++;
    r->peer[i] = *from;
    r->back[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in s = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons(r->server_port)};
    assert_int_equal(connect(r->back[i], (struct sockaddr *)&s, sizeof(s)), 0);
    return i;
}

static inline void h_relay_pump(h_relay_t *r)
{
    uint8_t buf[2048];
    for (int i = 0; i < 64; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(r->front, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            break;
        int k = h_relay_peer(r, &from);
        if (k < 0 || h_relay_drop(r)) {
            r->n_dropped++;
            continue;
        }
        r->n_forwarded++;
        send(r->back[k], buf, (size_t)n, 0);
    }
    for (int k = 0; k < r->n_peers; k++) {
        for (int i = 0; i < 64; i++) {
            ssize_t n = recv(r->back[k], buf, sizeof(buf), 0);
            if (n <= 0)
                break;
            if (h_relay_drop(r)) {
                r->n_dropped++;
                continue;
            }
            r->n_forwarded++;
            sendto(r->front, buf, (size_t)n, 0, (struct sockaddr *)&r->peer[k], sizeof(r->peer[k]));
        }
    }
}

/* One step of a loopback world: the agent (if any), the relay (if any, on
 * both sides of the server's step) and the server. */
static inline void h_world_step(tml_agent_t *agent, tml_lwm2m_server_t *srv, h_relay_t *relay)
{
    if (agent)
        tml_agent_step(agent);
    if (relay)
        h_relay_pump(relay);
    tml_lwm2m_server_step(srv, 2);
    if (relay)
        h_relay_pump(relay);
}

/* An in-process agent and its POSIX platform, destroyed; both set NULL. */
static inline void h_agent_kill(tml_agent_t **agent, tml_agent_posix_t **px)
{
    tml_agent_destroy(*agent);
    *agent = NULL;
    tml_agent_posix_destroy(*px);
    *px = NULL;
}

static inline void h_relay_close(h_relay_t *r)
{
    close(r->front);
    for (int k = 0; k < r->n_peers; k++)
        close(r->back[k]);
}

/* A real .tmlm built with the compiler's planner and package writer: n_io
 * int8 tensors of n elements, each both a graph input and output (so the
 * model runs without kernels other engineers are still writing; many of
 * them make a bigger package). */
static inline uint8_t *h_model_package(const char *name, int32_t n, int n_io, size_t *len)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, name));
    int32_t *io = tml_malloc((size_t)n_io * sizeof(int32_t));
    for (int i = 0; i < n_io; i++) {
        int32_t dims[2] = {1, n};
        char tn[16];
        snprintf(tn, sizeof(tn), "x%d", i);
        TML_ASSERT_OK(tml_ir_add_tensor(&g, tn, TML_DT_I8, 2, dims, &io[i]));
        float scale = 0.5f;
        int32_t zp = 1;
        TML_ASSERT_OK(tml_ir_set_quant(&g, io[i], 1, &scale, &zp, 0));
    }
    TML_ASSERT_OK(tml_ir_set_io(&g, io, n_io, io, n_io));
    tml_free(io);
    tml_lowered_t lw = {0};
    tml_plan_t plan;
    TML_ASSERT_OK(tml_plan_arena(&g, &lw, &plan, NULL));
    uint8_t *pkg;
    TML_ASSERT_OK(tml_package_build(&g, &lw, &plan, &pkg, len, NULL, NULL));
    tml_plan_free(&plan);
    tml_ir_free(&g);
    return pkg;
}

/* Signs a package; with good_selftest the expected self-test digest is
 * computed here on the host, otherwise a wrong one is put in. */
static inline uint8_t *h_sign(const uint8_t *pkg, size_t pkg_len, const char *name, const char *version,
                              const uint8_t sk[64], bool good_selftest, size_t *out_len)
{
    uint32_t arena_len = tml_rt_arena_len(pkg, pkg_len);
    uint8_t *arena = tml_malloc(arena_len ? arena_len : 16);
    uint8_t digest[32];
    TML_ASSERT_OK(tml_spkg_selftest(pkg, pkg_len, arena, arena_len, digest, NULL));
    tml_free(arena);
    if (!good_selftest)
        digest[0] ^= 1;
    uint8_t *out;
    TML_ASSERT_OK(tml_spkg_sign(pkg, pkg_len, name, version, digest, sk, &out, out_len, NULL));
    return out;
}

/* A fresh state directory under /tmp. */
static inline void h_tmpdir(char *buf, size_t cap)
{
    snprintf(buf, cap, "/tmp/tml_lwm2m_XXXXXX");
    assert_non_null(mkdtemp(buf));
}

static inline void h_rmdir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

#endif
