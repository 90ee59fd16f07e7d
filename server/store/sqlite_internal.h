/*
 * sqlite_internal.h - what the SQLite store's files share.
 */
#ifndef TML_SQLITE_INTERNAL_H
#define TML_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tml/store.h"

/* The store handle and the small helpers every statement uses. */
typedef struct sq_store {
    tml_store_t base;
    sqlite3 *db;
    pthread_mutex_t mu;
} sq_store_t;

#define SQ(s) ((sq_store_t *)(s))

static inline int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

static inline void lock(tml_store_t *s)
{
    pthread_mutex_lock(&SQ(s)->mu);
}

static inline void unlock(tml_store_t *s)
{
    pthread_mutex_unlock(&SQ(s)->mu);
}

/* Maps the connection's last error to a status: unique violations are
 * EXISTS, foreign-key refusals STATE, the rest IO. */
static inline tml_status_t db_fail(tml_store_t *s, tml_err_t *err, const char *what)
{
    sqlite3 *db = SQ(s)->db;
    int code = sqlite3_extended_errcode(db);
    tml_status_t st = TML_ERR_IO;
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
        st = TML_ERR_EXISTS;
    else if (code == SQLITE_CONSTRAINT_FOREIGNKEY)
        st = TML_ERR_STATE;
    else if (code == SQLITE_NOMEM)
        st = TML_ERR_NOMEM;
    return tml_err_set(err, st, "%s: %s", what, sqlite3_errmsg(db));
}

static inline sqlite3_stmt *prep(tml_store_t *s, const char *sql, tml_err_t *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(SQ(s)->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "store: prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

static inline void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static inline void col_copy(char *dst, size_t n, sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    snprintf(dst, n, "%s", v ? (const char *)v : "");
}

/* An owned copy of a text column; NULL only when out of memory. */
static inline char *col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *v = sqlite3_column_text(st, i);
    return tml_strdup(v ? (const char *)v : "");
}

static inline tml_status_t exec(tml_store_t *s, const char *sql, tml_err_t *err)
{
    char *msg = NULL;
    if (sqlite3_exec(SQ(s)->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        tml_status_t st = tml_err_set(err, TML_ERR_IO, "store: %s: %s", sql,
                                      msg ? msg : sqlite3_errmsg(SQ(s)->db));
        sqlite3_free(msg);
        return st;
    }
    return TML_OK;
}

static inline tml_status_t begin(tml_store_t *s, tml_err_t *err)
{
    return exec(s, "BEGIN IMMEDIATE", err);
}

/* Commits on success, rolls back otherwise; returns the final status. */
static inline tml_status_t end(tml_store_t *s, tml_status_t st, tml_err_t *err)
{
    if (st == TML_OK)
        return exec(s, "COMMIT", err);
    sqlite3_exec(SQ(s)->db, "ROLLBACK", NULL, NULL, NULL);
    return st;
}

/* Steps a statement that returns no rows. */
static inline tml_status_t step_done(tml_store_t *s, sqlite3_stmt *st, const char *what, tml_err_t *err)
{
    int rc = sqlite3_step(st);
    tml_status_t r = rc == SQLITE_DONE ? TML_OK : db_fail(s, err, what);
    sqlite3_finalize(st);
    return r;
}

/* Brings db's schema up to TML_STORE_SQLITE_SCHEMA_VERSION (see sqlite_schema.c). */
tml_status_t tml_sqlite_migrate(sqlite3 *db, tml_err_t *err);

/* The fleet calls (sqlite_fleet.c); see tml_store_vt_t. */
tml_status_t tml_sq_device_seen(tml_store_t *s, const char *endpoint, tml_id_t default_tenant,
                                const char *profile, const char *capabilities_json,
                                const char *state, tml_id_t *tenant, tml_err_t *err);
tml_status_t tml_sq_device_owner(tml_store_t *s, const char *endpoint, tml_id_t *tenant, bool *has_psk,
                                 tml_err_t *err);
tml_status_t tml_sq_device_set_state(tml_store_t *s, const char *endpoint, const char *state,
                                     tml_err_t *err);
tml_status_t tml_sq_device_set_installed(tml_store_t *s, const char *endpoint, tml_id_t version_id,
                                         tml_err_t *err);
tml_status_t tml_sq_device_set_link(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                    const char *link, tml_err_t *err);
tml_status_t tml_sq_inference_add(tml_store_t *s, const tml_inference_rec_t *r, int keep,
                                  tml_err_t *err);
tml_status_t tml_sq_inference_list(tml_store_t *s, tml_id_t tenant, const char *endpoint, int limit,
                                   tml_inference_cb cb, void *ctx, tml_err_t *err);
tml_status_t tml_sq_deployment_create(tml_store_t *s, const tml_deployment_rec_t *d,
                                      const tml_rollout_target_rec_t *targets, int n_targets,
                                      tml_id_t *id, tml_err_t *err);
tml_status_t tml_sq_deployment_get(tml_store_t *s, tml_id_t tenant, tml_id_t id,
                                   tml_deployment_rec_t *out, tml_err_t *err);
tml_status_t tml_sq_deployment_list(tml_store_t *s, tml_id_t tenant, const char *state,
                                    tml_deployment_cb cb, void *ctx, tml_err_t *err);
tml_status_t tml_sq_deployment_update(tml_store_t *s, tml_id_t tenant, tml_id_t id, const char *from,
                                      const char *state, const char *reason, int current_batch,
                                      tml_err_t *err);
tml_status_t tml_sq_rollout_targets(tml_store_t *s, tml_id_t deployment, tml_rollout_target_cb cb,
                                    void *ctx, tml_err_t *err);
tml_status_t tml_sq_rollout_target_update(tml_store_t *s, const tml_rollout_target_rec_t *t,
                                          tml_err_t *err);

#endif /* TML_SQLITE_INTERNAL_H */
