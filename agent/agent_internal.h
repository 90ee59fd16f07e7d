/*
 * agent_internal.h - the agent's private state, shared by its files:
 * agent.c (transport: CoAP transactions, registration, dispatch, observe),
 * objects.c (the objects' resources), install.c (downloads, verification,
 * slots, Object 9 and 5 state machines) and infer.c (the running model).
 */
#ifndef TML_AGENT_INTERNAL_H
#define TML_AGENT_INTERNAL_H

#include "tml/agent.h"
#include "tml/coap_msg.h"
#include "tml/lwm2m.h"
#include "tml/rt.h"
#include "tml/signed_pkg.h"

#define AGENT_MAX_PDU 1280
#define AGENT_MAX_TXN 8
#define AGENT_MAX_OBS 8
#define AGENT_DEDUP 8

enum txn_kind { TXN_NONE, TXN_REGISTER, TXN_UPDATE, TXN_DEREGISTER, TXN_BLOCK, TXN_NOTIFY };

typedef struct agent_txn {
    enum txn_kind kind;
    int chan;
    int peer;                  /* 0: the channel's peer; else a platform handle */
    int obs;                   /* TXN_NOTIFY: index into obs */
    uint16_t mid;
    uint8_t token[8];
    uint8_t tkl;
    uint8_t buf[AGENT_MAX_PDU];
    size_t len;
    uint64_t next_us;          /* next retransmission */
    uint32_t timeout_ms;
    uint32_t n_retx;
} agent_txn_t;

typedef struct agent_obs {
    bool used;
    int peer;                  /* who observes: 0 the server, else a platform handle */
    tml_lwm2m_path_t path;
    uint8_t token[8], tkl;
    uint16_t fmt;
    uint32_t seq;
    uint64_t last_sent_us;
    uint32_t seen_change;      /* a->n_changes when last sent */
    uint8_t last_digest[32];   /* of the last payload sent */
    uint16_t last_mid;
    uint32_t n_sent;           /* notifications sent */
    bool con_in_flight;        /* a CON notification awaits its ACK */
} agent_obs_t;

typedef struct agent_attr {
    bool used;
    tml_lwm2m_path_t path;
    uint32_t pmin_s, pmax_s;
    bool con;                  /* con=1: confirmable notifications */
} agent_attr_t;

typedef struct agent_dedup {
    bool used;
    int peer;
    uint16_t mid;
    uint8_t token[8], tkl;     /* a retransmission repeats the token too */
    size_t len;
    uint8_t buf[AGENT_MAX_PDU];
} agent_dedup_t;

/* A download in progress (for Object 9 or Object 5). */
typedef struct agent_dl {
    bool active;
    uint16_t obj;              /* 9 or 5 */
    char uri[256];
    int chan;
    uint8_t etag[8];
    uint8_t etag_len;
    uint32_t next_block;
    uint32_t first_block;      /* where this run started (resume) */
    unsigned szx;
    size_t offset;             /* bytes written */
    size_t total;              /* Size2, 0 if unknown */
    uint32_t since_save;
} agent_dl_t;

/* A model loaded in RAM: the signed bytes, the runtime bound to its arena. */
typedef struct agent_model {
    bool loaded;
    uint8_t *data;             /* signed package (tml_malloc) */
    size_t len;
    uint8_t *arena;
    size_t arena_len;
    tml_rt_t rt;
    tml_spkg_info_t info;
    int slot;
} agent_model_t;

struct tml_agent {
    tml_agent_config_t cfg;
    char endpoint[64];
    char server_uri[256];
    char psk_identity[64];
    uint8_t trust_key[32];
    bool have_trust_key;
    tml_agent_platform_t pf;
    const tml_target_t *profile;
    int server_chan;
    uint16_t next_mid;
    uint64_t next_token;

    /* Registration. */
    bool registered;
    bool want_deregister;
    char location[32];
    uint64_t next_update_us;
    uint64_t reg_retry_us;
    uint32_t reg_backoff_ms;
    uint32_t n_registrations, n_updates;
    bool update_with_objects;
    uint64_t awake_until_us;   /* queue mode */
    bool asleep;

    agent_txn_t txn[AGENT_MAX_TXN];
    agent_obs_t obs[AGENT_MAX_OBS];
    agent_attr_t attrs[AGENT_MAX_OBS];
    agent_dedup_t dedup[AGENT_DEDUP];
    unsigned dedup_next;
    uint32_t n_changes;        /* bumped when any observable value changes */
    uint32_t n_notify_con, n_notify_acked;

    /* Object 9 (instance 0) and Object 5. */
    int sw_state, sw_result;
    bool sw_activated;
    char sw_name[32], sw_version[24];
    char sw_uri[256];
    char status_reason[128];
    int fw_state, fw_result;
    char fw_uri[256];
    char fw_name[32], fw_version[24];
    char firmware_version[32];
    int active_slot;           /* slot of the activated model, -1: none */
    int staged_slot;           /* slot of a delivered/installed package, -1: none */
    agent_dl_t dl;

    /* The running model and its statistics. */
    agent_model_t model;
    uint64_t n_inferences;
    uint32_t last_latency_us;
    int32_t top_class;
    char last_output[256];
    uint8_t last_output_raw[64];
    size_t last_output_raw_len;
    uint32_t infer_period_ms;
    uint64_t next_infer_us;
};

uint64_t agent_now_us(const struct tml_agent *a);
void agent_changed(struct tml_agent *a);

/* objects.c: read a path into records, write records, execute a resource.
 * They return a CoAP response code. */
uint8_t agent_read(struct tml_agent *a, const tml_lwm2m_path_t *p, tml_lwm2m_records_t *out);
uint8_t agent_write(struct tml_agent *a, const tml_lwm2m_path_t *p, const tml_lwm2m_records_t *in,
                    bool replace);
uint8_t agent_execute(struct tml_agent *a, const tml_lwm2m_path_t *p, const uint8_t *args,
                      size_t args_len);
/* The registration object list (link format), NUL-terminated in buf. */
void agent_object_links(const struct tml_agent *a, char *buf, size_t cap);
/* Discover answer for p into buf. Returns a CoAP code. */
uint8_t agent_discover(struct tml_agent *a, const tml_lwm2m_path_t *p, char *buf, size_t cap);

/* install.c */
void agent_install_restore(struct tml_agent *a);
void agent_install_step(struct tml_agent *a);
void agent_install_on_block(struct tml_agent *a, const tml_coap_msg_t *m);
void agent_install_on_block_failed(struct tml_agent *a);
uint8_t agent_sw_set_uri(struct tml_agent *a, const char *uri);
uint8_t agent_sw_push(struct tml_agent *a, const uint8_t *data, size_t len);
uint8_t agent_sw_install(struct tml_agent *a);
uint8_t agent_sw_uninstall(struct tml_agent *a);
uint8_t agent_sw_activate(struct tml_agent *a);
uint8_t agent_sw_deactivate(struct tml_agent *a);
uint8_t agent_fw_set_uri(struct tml_agent *a, const char *uri);
uint8_t agent_fw_push(struct tml_agent *a, const uint8_t *data, size_t len);
uint8_t agent_fw_update(struct tml_agent *a);
void agent_save_state(struct tml_agent *a);

/* agent.c: starts a CON request on chan; msg is built into the txn. */
tml_status_t agent_send_request(struct tml_agent *a, enum txn_kind kind, int chan,
                                tml_coap_msg_t *msg);
void agent_cancel_txns(struct tml_agent *a, enum txn_kind kind);

/* infer.c */
void agent_model_unload(agent_model_t *m);
/* Validates data (a verified signed package) with the runtime and runs the
 * self-test into *m. Fills why on failure. */
tml_status_t agent_model_load(struct tml_agent *a, uint8_t *data, size_t len, int slot,
                              agent_model_t *m, char *why, size_t why_cap);
tml_status_t agent_infer(struct tml_agent *a);
void agent_infer_step(struct tml_agent *a);

#endif
