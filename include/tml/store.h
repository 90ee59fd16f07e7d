/*
 * store.h - tmlaasd's persistent state behind one narrow interface.
 *
 * Everything the service remembers (tenants, API tokens, model versions,
 * compilations, devices) goes through these calls and nothing else touches
 * the database. An implementation is a table of functions (tml_store_vt_t);
 * SQLite is the default ("sqlite:PATH" or a bare path). A PostgreSQL
 * implementation plugs in as another table without the rest of the service
 * changing: calls take plain C values, records are plain structs, lists are
 * delivered through a callback, JSON payloads (metadata, reports) travel as
 * text, and every call is atomic on its own (compilation_claim is the one
 * place where several service nodes compete: it must hand a queued job to
 * exactly one caller, e.g. with SELECT ... FOR UPDATE SKIP LOCKED).
 *
 * Tenancy is enforced here: every call that reads or changes tenant data
 * takes the tenant id and only ever sees that tenant's rows.
 * All calls are thread-safe. Timestamps are Unix seconds (UTC).
 */
#ifndef TML_STORE_H
#define TML_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef int64_t tml_id_t;

#define TML_STORE_NAME_MAX 128   /* names, endpoints, identities incl. NUL */
#define TML_STORE_SHORT_MAX 64   /* versions, targets, formats, states incl. NUL */
#define TML_STORE_HASH_MAX 65    /* SHA-256 as lower-case hex incl. NUL */

typedef struct tml_tenant_rec {
    tml_id_t id;
    char name[TML_STORE_NAME_MAX];
    int64_t created_at;
} tml_tenant_rec_t;

typedef struct tml_token_rec {
    tml_id_t id;
    tml_id_t tenant_id;
    char name[TML_STORE_NAME_MAX];
    bool admin;                  /* may create tenants and their tokens */
    int64_t created_at;
} tml_token_rec_t;

typedef struct tml_model_rec {
    tml_id_t id;
    tml_id_t tenant_id;
    char name[TML_STORE_NAME_MAX];
    int n_versions;
    char latest_version[TML_STORE_SHORT_MAX]; /* most recently uploaded */
    int64_t created_at;
} tml_model_rec_t;

typedef struct tml_version_rec {
    tml_id_t id;
    tml_id_t model_id;
    tml_id_t tenant_id;
    char model_name[TML_STORE_NAME_MAX];
    char version[TML_STORE_SHORT_MAX];
    char format[TML_STORE_SHORT_MAX];        /* "tflite", "onnx" */
    char sha256[TML_STORE_HASH_MAX];         /* the model blob */
    int64_t size;
    char *metadata_json;                     /* owned; object */
    char *report_json;                       /* owned; tml_report_json output */
    int64_t created_at;
} tml_version_rec_t;

typedef enum tml_job_state {
    TML_JOB_QUEUED = 0,
    TML_JOB_RUNNING = 1,
    TML_JOB_DONE = 2,
    TML_JOB_FAILED = 3,
} tml_job_state_t;

const char *tml_job_state_name(tml_job_state_t s);

typedef struct tml_compilation_rec {
    tml_id_t id;
    tml_id_t tenant_id;
    tml_id_t version_id;
    char model_name[TML_STORE_NAME_MAX];
    char version[TML_STORE_SHORT_MAX];
    char model_sha256[TML_STORE_HASH_MAX];
    char target[TML_STORE_SHORT_MAX];        /* catalog profile */
    char device[TML_STORE_NAME_MAX];         /* endpoint it was asked for, or "" */
    char cache_key[TML_STORE_HASH_MAX];      /* SHA-256 of (model hash, target, options) */
    char *options_json;                      /* owned; canonical object text */
    tml_job_state_t state;
    bool cache_hit;                          /* results copied from an earlier compilation */
    char *error;                             /* owned; "" unless failed */
    char *result_json;                       /* owned; report, fit, backend ("" until done) */
    char pkg_sha256[TML_STORE_HASH_MAX];     /* "package" artifact (.tmlm), "" if none */
    int64_t pkg_size;
    char c_sha256[TML_STORE_HASH_MAX];       /* "c" artifact (tar of sources), "" if none */
    int64_t c_size;
    int64_t created_at, started_at, finished_at;
} tml_compilation_rec_t;

typedef struct tml_device_rec {
    tml_id_t id;
    tml_id_t tenant_id;
    char endpoint[TML_STORE_NAME_MAX];
    char profile[TML_STORE_SHORT_MAX];       /* catalog profile */
    char state[TML_STORE_SHORT_MAX];         /* "offline", "online" */
    char *tags_json;                         /* owned; array of strings, sorted */
    char *capabilities_json;                 /* owned; object (ML Capabilities, Object 3) */
    tml_id_t installed_version_id;           /* 0: none */
    char installed_model[TML_STORE_NAME_MAX];/* "name@version" or "" */
    char psk_identity[TML_STORE_NAME_MAX];   /* "" when no PSK is provisioned */
    char link[TML_STORE_SHORT_MAX];          /* link kind for transfer estimates ("lte-m", ...) */
    int64_t created_at, last_seen, last_inference_at;
} tml_device_rec_t;

/* One inference result a device reported (ML Inference object 32102). */
typedef struct tml_inference_rec {
    tml_id_t id;
    char endpoint[TML_STORE_NAME_MAX];
    char model[TML_STORE_NAME_MAX];          /* /32102/0/0 */
    char version[TML_STORE_SHORT_MAX];       /* /32102/0/1 */
    char output[512];                        /* /32102/0/2 (truncated) */
    int64_t top_class;                       /* /32102/0/3 */
    int64_t latency_us;                      /* /32102/0/4 */
    int64_t count;                           /* /32102/0/5 */
    int64_t at;
} tml_inference_rec_t;

/* Deployment states: "running", "paused", "cancelled", "done". */
typedef struct tml_deployment_rec {
    tml_id_t id;
    tml_id_t tenant_id;
    tml_id_t version_id;
    char model_name[TML_STORE_NAME_MAX];
    char version[TML_STORE_SHORT_MAX];
    char selector_json[1024];                /* the selector as given */
    double canary_share;                     /* 0..1 of the devices in batch 0 */
    int batch_size;                          /* devices per later batch (>= 1) */
    double failure_threshold;                /* 0..1: failed share that pauses */
    char state[TML_STORE_SHORT_MAX];
    char reason[256];                        /* why paused/cancelled, "" otherwise */
    int current_batch;                       /* batch being installed */
    int64_t created_at, updated_at;
} tml_deployment_rec_t;

/* One device of a deployment. Stages: "pending" (waiting for its batch),
 * "compiling", "ready" (signed package made), "downloading", "installing",
 * "activating", then one of "done", "failed", "refused", "cancelled". */
typedef struct tml_rollout_target_rec {
    tml_id_t id;
    tml_id_t deployment_id;
    char endpoint[TML_STORE_NAME_MAX];
    char profile[TML_STORE_SHORT_MAX];
    int batch;
    char stage[TML_STORE_SHORT_MAX];
    tml_id_t compilation_id;                 /* 0 until queued */
    char spkg_sha256[TML_STORE_HASH_MAX];    /* signed package, "" until signed */
    int64_t spkg_size;
    char error[256];                         /* why refused or failed */
    int attempts;                            /* URI writes */
    int64_t started_at, finished_at, updated_at;
} tml_rollout_target_rec_t;

typedef struct tml_device_filter {
    const char *tag;       /* NULL: any */
    const char *profile;   /* NULL: any */
    const char *state;     /* NULL: any */
} tml_device_filter_t;

/* Result of a compilation as the worker reports it. */
typedef struct tml_compilation_result {
    tml_job_state_t state;      /* TML_JOB_DONE or TML_JOB_FAILED */
    bool cache_hit;
    const char *error;          /* failed: why */
    const char *result_json;    /* done: report, fit, backend */
    const char *pkg_sha256;
    int64_t pkg_size;
    const char *c_sha256;
    int64_t c_size;
} tml_compilation_result_t;

/* List callbacks: return false to stop early. The record is valid only
 * during the call. */
typedef bool (*tml_tenant_cb)(void *ctx, const tml_tenant_rec_t *rec);
typedef bool (*tml_token_cb)(void *ctx, const tml_token_rec_t *rec);
typedef bool (*tml_model_cb)(void *ctx, const tml_model_rec_t *rec);
typedef bool (*tml_version_cb)(void *ctx, const tml_version_rec_t *rec);
typedef bool (*tml_compilation_cb)(void *ctx, const tml_compilation_rec_t *rec);
typedef bool (*tml_device_cb)(void *ctx, const tml_device_rec_t *rec);
typedef bool (*tml_inference_cb)(void *ctx, const tml_inference_rec_t *rec);
typedef bool (*tml_deployment_cb)(void *ctx, const tml_deployment_rec_t *rec);
typedef bool (*tml_rollout_target_cb)(void *ctx, const tml_rollout_target_rec_t *rec);

typedef struct tml_store tml_store_t;

/* The implementation's table. Every function returns TML_OK or an error
 * with a message in err: NOT_FOUND (no such row for this tenant), EXISTS
 * (a unique name taken), STATE (refused in the current state, e.g. a model
 * version still installed on a device), IO (the database failed). */
typedef struct tml_store_vt {
    const char *name;
    void (*close)(tml_store_t *s);
    tml_status_t (*schema_version)(tml_store_t *s, int *version, tml_err_t *err);

    tml_status_t (*tenant_create)(tml_store_t *s, const char *name, tml_id_t *id, tml_err_t *err);
    tml_status_t (*tenant_count)(tml_store_t *s, int64_t *n, tml_err_t *err);
    tml_status_t (*tenant_list)(tml_store_t *s, tml_tenant_cb cb, void *ctx, tml_err_t *err);

    tml_status_t (*token_create)(tml_store_t *s, tml_id_t tenant, const char *name,
                                 const char *hash, bool admin, tml_id_t *id, tml_err_t *err);
    tml_status_t (*token_lookup)(tml_store_t *s, const char *hash, tml_token_rec_t *out,
                                 tml_err_t *err);
    tml_status_t (*token_list)(tml_store_t *s, tml_id_t tenant, tml_token_cb cb, void *ctx,
                               tml_err_t *err);
    tml_status_t (*token_delete)(tml_store_t *s, tml_id_t tenant, tml_id_t id, tml_err_t *err);

    tml_status_t (*version_create)(tml_store_t *s, const tml_version_rec_t *v, tml_id_t *id,
                                   tml_err_t *err);
    tml_status_t (*model_list)(tml_store_t *s, tml_id_t tenant, tml_model_cb cb, void *ctx,
                               tml_err_t *err);
    tml_status_t (*version_list)(tml_store_t *s, tml_id_t tenant, const char *model,
                                 tml_version_cb cb, void *ctx, tml_err_t *err);
    tml_status_t (*version_get)(tml_store_t *s, tml_id_t tenant, const char *model,
                                const char *version, tml_version_rec_t *out, tml_err_t *err);
    tml_status_t (*version_delete)(tml_store_t *s, tml_id_t tenant, const char *model,
                                   const char *version, tml_err_t *err);
    tml_status_t (*blob_refs)(tml_store_t *s, const char *sha256, int64_t *n, tml_err_t *err);

    tml_status_t (*compilation_create)(tml_store_t *s, const tml_compilation_rec_t *c,
                                       tml_id_t *id, tml_err_t *err);
    tml_status_t (*compilation_get)(tml_store_t *s, tml_id_t tenant, tml_id_t id,
                                    tml_compilation_rec_t *out, tml_err_t *err);
    /* tenant != 0: that tenant's compilation of version_id with this key
     * that has not failed (queued or running ones are joined, not repeated);
     * tenant == 0: any finished compilation with this key (the shared
     * compile cache; version_id is ignored). */
    tml_status_t (*compilation_find)(tml_store_t *s, tml_id_t tenant, tml_id_t version_id,
                                     const char *cache_key, tml_compilation_rec_t *out,
                                     tml_err_t *err);
    tml_status_t (*compilation_list)(tml_store_t *s, tml_id_t tenant, tml_compilation_cb cb,
                                     void *ctx, tml_err_t *err);
    tml_status_t (*compilation_claim)(tml_store_t *s, tml_compilation_rec_t *out, tml_err_t *err);
    tml_status_t (*compilation_finish)(tml_store_t *s, tml_id_t id,
                                       const tml_compilation_result_t *r, tml_err_t *err);
    tml_status_t (*compilation_requeue)(tml_store_t *s, int64_t *n, tml_err_t *err);

    tml_status_t (*device_create)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                  const char *profile, const char *const *tags, int n_tags,
                                  tml_err_t *err);
    tml_status_t (*device_get)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                               tml_device_rec_t *out, tml_err_t *err);
    tml_status_t (*device_list)(tml_store_t *s, tml_id_t tenant, const tml_device_filter_t *f,
                                tml_device_cb cb, void *ctx, tml_err_t *err);
    tml_status_t (*device_set_tags)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                    const char *const *tags, int n_tags, tml_err_t *err);
    tml_status_t (*device_set_psk)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                   const char *identity, const uint8_t *key, size_t key_len,
                                   tml_err_t *err);
    tml_status_t (*device_psk_lookup)(tml_store_t *s, const char *identity, char *endpoint,
                                      uint8_t *key, size_t *key_len, tml_err_t *err);
    tml_status_t (*device_delete)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                  tml_err_t *err);

    /* ---- fed by LwM2M (any tenant: endpoints are global) ---- */
    /* A registration: the record of endpoint is updated (profile when not
     * "", capabilities when not NULL, state, last_seen) or, when none
     * exists, created in default_tenant. *tenant receives its tenant. */
    tml_status_t (*device_seen)(tml_store_t *s, const char *endpoint, tml_id_t default_tenant,
                                const char *profile, const char *capabilities_json,
                                const char *state, tml_id_t *tenant, tml_err_t *err);
    /* The tenant of endpoint and whether it has a PSK; NOT_FOUND if no record. */
    tml_status_t (*device_owner)(tml_store_t *s, const char *endpoint, tml_id_t *tenant,
                                 bool *has_psk, tml_err_t *err);
    /* Sets the state of endpoint ("online"/"offline"); endpoint NULL: all. */
    tml_status_t (*device_set_state)(tml_store_t *s, const char *endpoint, const char *state,
                                     tml_err_t *err);
    tml_status_t (*device_set_installed)(tml_store_t *s, const char *endpoint,
                                         tml_id_t version_id, tml_err_t *err);
    tml_status_t (*device_set_link)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                    const char *link, tml_err_t *err);
    /* Stores one result (keeps the newest keep per device). */
    tml_status_t (*inference_add)(tml_store_t *s, const tml_inference_rec_t *r, int keep,
                                  tml_err_t *err);
    /* Newest first, at most limit. */
    tml_status_t (*inference_list)(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                   int limit, tml_inference_cb cb, void *ctx, tml_err_t *err);

    /* ---- deployments ---- */
    tml_status_t (*deployment_create)(tml_store_t *s, const tml_deployment_rec_t *d,
                                      const tml_rollout_target_rec_t *targets, int n_targets,
                                      tml_id_t *id, tml_err_t *err);
    /* tenant 0: any tenant (the rollout engine). */
    tml_status_t (*deployment_get)(tml_store_t *s, tml_id_t tenant, tml_id_t id,
                                   tml_deployment_rec_t *out, tml_err_t *err);
    /* tenant 0: every tenant's; state NULL: any. Oldest first. */
    tml_status_t (*deployment_list)(tml_store_t *s, tml_id_t tenant, const char *state,
                                    tml_deployment_cb cb, void *ctx, tml_err_t *err);
    /* Changes state (and reason, current_batch) of a deployment of tenant
     * (0: any) when its state is one of from ("running|paused"); STATE
     * otherwise. current_batch < 0 keeps it. */
    tml_status_t (*deployment_update)(tml_store_t *s, tml_id_t tenant, tml_id_t id, const char *from,
                                      const char *state, const char *reason, int current_batch,
                                      tml_err_t *err);
    tml_status_t (*rollout_targets)(tml_store_t *s, tml_id_t deployment, tml_rollout_target_cb cb,
                                    void *ctx, tml_err_t *err);
    /* Writes stage, compilation, package, error, attempts and times of t (by t->id). */
    tml_status_t (*rollout_target_update)(tml_store_t *s, const tml_rollout_target_rec_t *t,
                                          tml_err_t *err);
} tml_store_vt_t;

/* Every implementation's handle starts with this. */
struct tml_store {
    const tml_store_vt_t *vt;
};

/* Opens a store from a URL: "sqlite:PATH" or a plain PATH (SQLite; the file
 * is created and migrated to the current schema). *out is closed with
 * tml_store_close. */
tml_status_t tml_store_open(const char *url, tml_store_t **out, tml_err_t *err);
void tml_store_close(tml_store_t *s);

/* The SQLite implementation directly. */
tml_status_t tml_store_sqlite_open(const char *path, tml_store_t **out, tml_err_t *err);
#define TML_STORE_SQLITE_SCHEMA_VERSION 3

/* Frees what a record owns (its JSON and message strings), not the record. */
void tml_version_rec_free(tml_version_rec_t *v);
void tml_compilation_rec_free(tml_compilation_rec_t *c);
void tml_device_rec_free(tml_device_rec_t *d);

/* Thin dispatchers: tml_store_<call>(s, ...) is s->vt-><call>(s, ...). */
#define tml_store_call(s, fn, ...) ((s)->vt->fn((s), __VA_ARGS__))

#ifdef __cplusplus
}
#endif
#endif /* TML_STORE_H */
