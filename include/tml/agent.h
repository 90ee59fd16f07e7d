/*
 * agent.h - libtmlagent, the device agent: an LwM2M 1.1 client that reports
 * what the device is (Objects 3 and ML Capabilities), runs the installed
 * model (ML Inference), and installs new models over the air (Object 9
 * Software Management; Object 5 Firmware Update for the runtime image).
 *
 * The core is an instance with no globals, driven by a platform layer
 * (datagram channels, a clock, named blobs of storage) and a non-blocking
 * step function, so one process can run thousands of agents (tml-sim) and
 * the core can move to an RTOS with a different platform layer. The POSIX
 * platform (UDP sockets, optionally DTLS-PSK via OpenSSL, files in a state
 * directory) is provided here too.
 */
#ifndef TML_AGENT_H
#define TML_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"
#include "tml/target.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The platform layer. Every function gets ctx. Channels are datagram
 * associations with one peer: the agent opens channel for the LwM2M server
 * at start and one per package download. */
typedef struct tml_agent_platform {
    void *ctx;
    /* Opens a channel to uri's host and port ("coap://127.0.0.1:5683",
     * "coaps://[::1]:5684/..."); coaps uses the PSK given at creation.
     * Returns the channel number in *chan. TML_ERR_ARG for a URI it cannot
     * use (the agent reports "invalid URI"), TML_ERR_UNSUPPORTED for a
     * scheme it lacks. */
    tml_status_t (*open)(void *ctx, const char *uri, int *chan, tml_err_t *err);
    void (*close)(void *ctx, int chan);
    tml_status_t (*send)(void *ctx, int chan, const uint8_t *data, size_t len);
    /* Non-blocking: bytes received (> 0), 0 when nothing waits, < 0 on error.
     * Only datagrams from the channel's own peer. */
    int (*recv)(void *ctx, int chan, uint8_t *buf, size_t cap);
    /* Optional (NULL: the agent only hears each channel's own peer). Like
     * recv, but a plain channel also hands over datagrams from other
     * senders: *peer is 0 for the channel's peer, > 0 a handle naming the
     * sender, valid for send_to while the platform remembers it. The agent
     * answers such senders' requests as it answers its server's. A secure
     * channel only ever gives *peer = 0. */
    int (*recv_from)(void *ctx, int chan, uint8_t *buf, size_t cap, int *peer);
    /* Optional, with recv_from: send to peer (0: the channel's own).
     * TML_ERR_NOT_FOUND when the handle is forgotten. */
    tml_status_t (*send_to)(void *ctx, int chan, int peer, const uint8_t *data, size_t len);
    /* Monotonic microseconds. */
    uint64_t (*now_us)(void *ctx);
    /* Storage: named blobs. load returns TML_ERR_NOT_FOUND when absent and
     * hands *data (tml_malloc'd, caller frees) otherwise; store replaces
     * atomically; write_at writes into (and extends) a blob in place, for
     * downloads; size gives a blob's length; remove deletes (absent: OK). */
    tml_status_t (*load)(void *ctx, const char *name, uint8_t **data, size_t *len);
    tml_status_t (*store)(void *ctx, const char *name, const uint8_t *data, size_t len);
    tml_status_t (*write_at)(void *ctx, const char *name, size_t off, const uint8_t *data,
                             size_t len);
    tml_status_t (*size)(void *ctx, const char *name, size_t *len);
    tml_status_t (*remove)(void *ctx, const char *name);
} tml_agent_platform_t;

typedef struct tml_agent_config {
    const char *endpoint;        /* client endpoint name */
    const char *server_uri;      /* "coap://127.0.0.1:5683" */
    const tml_target_t *profile; /* what the device reports and the budget it enforces */
    uint32_t lifetime_s;         /* default 300 */
    bool queue_mode;             /* LwM2M 1.1 queue mode: sleeps between updates */
    uint32_t queue_awake_ms;     /* listen this long after each update; default 2000 */
    uint32_t queue_update_ms;    /* update this often in queue mode; default lifetime/2 */
    const uint8_t *trust_key;    /* 32-byte Ed25519 public key, NULL: refuse all packages */
    const char *psk_identity;    /* reported in Object 0 (the platform does DTLS) */
    uint32_t ack_timeout_ms;     /* CoAP ACK_TIMEOUT, default 2000 */
    uint32_t max_retransmit;     /* CoAP MAX_RETRANSMIT, default 4 */
    unsigned block_szx;          /* download block size 16 << szx, default 6 (1 KiB) */
    uint32_t infer_period_ms;    /* run the model this often, 0: only on Execute */
    uint32_t resume_save_blocks; /* save the resume record every N blocks, default 1 */
    /* Every Nth notification of an observation is confirmable (CON, with
     * retransmission; no ACK after max_retransmit ends the observation, as
     * does a Reset). 0: default 16; 1: all. The LwM2M 1.2 attribute con=1
     * (Write-Attributes) makes all of a path's notifications CON. */
    uint32_t notify_con_every;
} tml_agent_config_t;

typedef struct tml_agent tml_agent_t;

/* Creates an agent. cfg strings and trust_key are copied; platform must
 * outlive the agent. Restores the installed model and any interrupted
 * download from storage. */
tml_status_t tml_agent_create(const tml_agent_config_t *cfg, const tml_agent_platform_t *platform,
                              tml_agent_t **out, tml_err_t *err);
void tml_agent_destroy(tml_agent_t *a);

/* Does everything that is due: reads datagrams, answers the server, sends
 * registrations, updates, notifications, download requests, retransmits,
 * runs periodic inference. Never blocks. */
tml_status_t tml_agent_step(tml_agent_t *a);
/* Milliseconds until the agent next has something to do (for poll()). */
uint32_t tml_agent_next_ms(const tml_agent_t *a);
/* Sends a de-registration (the step function carries it out). */
void tml_agent_deregister(tml_agent_t *a);

/* ---- Inspection (tests, tml-sim) --------------------------------------- */
typedef struct tml_agent_status {
    bool registered;
    bool asleep;                 /* queue mode, between awake windows */
    char location[32];           /* "/rd/1" */
    uint32_t n_registrations, n_updates;
    int sw_state, sw_result;     /* Object 9 /9/0/7 and /9/0/9 */
    bool sw_activated;
    int fw_state, fw_result;     /* Object 5 /5/0/3 and /5/0/5 */
    char status_reason[128];     /* /9/0/16 */
    size_t download_offset;      /* bytes downloaded of the current package */
    uint32_t download_first_block; /* block the current download (re)started at */
    char model_name[32], model_version[24];
    int active_slot;             /* -1: no model */
    uint64_t n_inferences;
    uint32_t n_notify_con, n_notify_acked;  /* CON notifications sent, acknowledged */
    uint32_t n_observations;     /* active observations (any observer) */
    uint32_t last_latency_us;
    int32_t top_class;
    char firmware_version[32];
} tml_agent_status_t;

void tml_agent_get_status(const tml_agent_t *a, tml_agent_status_t *st);

/* ---- POSIX platform layer ------------------------------------------------
 * UDP sockets (IPv4/IPv6), CLOCK_MONOTONIC, files in state_dir. With a PSK
 * identity and key, coaps:// channels run DTLS 1.2 PSK (OpenSSL; suites
 * PSK-AES128-CCM8, -GCM-SHA256, -CBC-SHA256), only with their server.
 * Plain coap:// channels also answer other peers (recv_from/send_to). */
typedef struct tml_agent_posix tml_agent_posix_t;

/* psk_identity (< 64 bytes) and psk_key (1..64 bytes) come together or
 * not at all; both are copied. Without them coaps:// is refused. */
tml_status_t tml_agent_posix_create(const char *state_dir, const char *psk_identity,
                                    const uint8_t *psk_key, size_t psk_key_len,
                                    tml_agent_posix_t **out, tml_agent_platform_t *platform,
                                    tml_err_t *err);
void tml_agent_posix_destroy(tml_agent_posix_t *p);
/* File descriptors of the open channels (for poll()); returns how many. */
size_t tml_agent_posix_fds(const tml_agent_posix_t *p, int *fds, size_t cap);
/* The last DTLS failure ("handshake refused: ...alert..."), "" if none;
 * owned by p. */
const char *tml_agent_posix_dtls_error(const tml_agent_posix_t *p);
/* DTLS handshakes completed so far. */
uint32_t tml_agent_posix_n_handshakes(const tml_agent_posix_t *p);

#ifdef __cplusplus
}
#endif
#endif /* TML_AGENT_H */
