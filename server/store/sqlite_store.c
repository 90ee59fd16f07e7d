/*
 * sqlite_store.c - the SQLite implementation of tml/store.h.
 *
 * One file under --data DIR, in WAL mode (readers never block the writer),
 * foreign keys on, a busy timeout for other processes reading the file.
 * One connection guarded by one recursive mutex: every call below is short
 * and the service's concurrency is a handful of HTTP and worker threads, so
 * a connection pool would buy nothing. Multi-statement calls run in a
 * BEGIN IMMEDIATE transaction so they stay atomic against another process
 * (e.g. the sqlite3 shell) writing the same file.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sqlite_internal.h"


/* ---- schema, tenants, tokens ------------------------------------------ */

static void sq_close(tml_store_t *s)
{
    if (!s)
        return;
    sqlite3_close(SQ(s)->db);
    pthread_mutex_destroy(&SQ(s)->mu);
    tml_free(s);
}

static tml_status_t sq_schema_version(tml_store_t *s, int *version, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "PRAGMA user_version", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    if (st) {
        if (sqlite3_step(st) == SQLITE_ROW)
            *version = sqlite3_column_int(st, 0);
        else
            r = db_fail(s, err, "store: user_version");
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_tenant_create(tml_store_t *s, const char *name, tml_id_t *id, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "INSERT INTO tenants(name, created_at) VALUES (?, ?)", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, name);
        sqlite3_bind_int64(st, 2, now_s());
        r = step_done(s, st, "tenant", err);
        if (r == TML_OK)
            *id = sqlite3_last_insert_rowid(SQ(s)->db);
        else if (r == TML_ERR_EXISTS)
            tml_err_wrap(err, "tenant '%s' exists", name);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_tenant_count(tml_store_t *s, int64_t *n, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT count(*) FROM tenants", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            *n = sqlite3_column_int64(st, 0);
            r = TML_OK;
        } else {
            r = db_fail(s, err, "store: tenants");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_tenant_list(tml_store_t *s, tml_tenant_cb cb, void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT id, name, created_at FROM tenants ORDER BY id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc;
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_tenant_rec_t t;
        t.id = sqlite3_column_int64(st, 0);
        col_copy(t.name, sizeof(t.name), st, 1);
        t.created_at = sqlite3_column_int64(st, 2);
        if (!cb(ctx, &t))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: tenants");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

static tml_status_t sq_token_create(tml_store_t *s, tml_id_t tenant, const char *name,
                                    const char *hash, bool admin, tml_id_t *id, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "INSERT INTO tokens(tenant_id, name, hash, admin, created_at) "
                               "VALUES (?, ?, ?, ?, ?)", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, name);
        bind_text(st, 3, hash);
        sqlite3_bind_int(st, 4, admin);
        sqlite3_bind_int64(st, 5, now_s());
        r = step_done(s, st, "store: token", err);
        if (r == TML_OK)
            *id = sqlite3_last_insert_rowid(SQ(s)->db);
        else if (r == TML_ERR_STATE) {
            tml_err_clear(err);
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "tenant %lld not found", (long long)tenant);
        }
    }
    unlock(s);
    return r;
}

static void token_row(sqlite3_stmt *st, tml_token_rec_t *t)
{
    t->id = sqlite3_column_int64(st, 0);
    t->tenant_id = sqlite3_column_int64(st, 1);
    col_copy(t->name, sizeof(t->name), st, 2);
    t->admin = sqlite3_column_int(st, 3) != 0;
    t->created_at = sqlite3_column_int64(st, 4);
}

static tml_status_t sq_token_lookup(tml_store_t *s, const char *hash, tml_token_rec_t *out,
                                    tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT id, tenant_id, name, admin, created_at FROM tokens "
                               "WHERE hash = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, hash);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            token_row(st, out);
            r = TML_OK;
        } else if (rc == SQLITE_DONE) {
            r = tml_err_set(err, TML_ERR_AUTH, "unknown token");
        } else {
            r = db_fail(s, err, "store: token");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_token_list(tml_store_t *s, tml_id_t tenant, tml_token_cb cb, void *ctx,
                                  tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT id, tenant_id, name, admin, created_at FROM tokens "
                               "WHERE tenant_id = ? ORDER BY id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st)
        sqlite3_bind_int64(st, 1, tenant);
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_token_rec_t t;
        token_row(st, &t);
        if (!cb(ctx, &t))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: tokens");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

static tml_status_t sq_token_delete(tml_store_t *s, tml_id_t tenant, tml_id_t id, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "DELETE FROM tokens WHERE tenant_id = ? AND id = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        sqlite3_bind_int64(st, 2, id);
        r = step_done(s, st, "store: token", err);
        if (r == TML_OK && sqlite3_changes(SQ(s)->db) == 0)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "token %lld not found", (long long)id);
    }
    unlock(s);
    return r;
}

/* ---- model zoo -------------------------------------------------------- */

#define VERSION_COLS                                                                   \
    "SELECT v.id, v.model_id, m.tenant_id, m.name, v.version, v.format, v.sha256, v.size, " \
    "v.metadata, v.report, v.created_at FROM model_versions v JOIN models m ON m.id = v.model_id "

static tml_status_t version_row(sqlite3_stmt *st, tml_version_rec_t *v, tml_err_t *err)
{
    memset(v, 0, sizeof(*v));
    v->id = sqlite3_column_int64(st, 0);
    v->model_id = sqlite3_column_int64(st, 1);
    v->tenant_id = sqlite3_column_int64(st, 2);
    col_copy(v->model_name, sizeof(v->model_name), st, 3);
    col_copy(v->version, sizeof(v->version), st, 4);
    col_copy(v->format, sizeof(v->format), st, 5);
    col_copy(v->sha256, sizeof(v->sha256), st, 6);
    v->size = sqlite3_column_int64(st, 7);
    v->metadata_json = col_dup(st, 8);
    v->report_json = col_dup(st, 9);
    v->created_at = sqlite3_column_int64(st, 10);
    if (!v->metadata_json || !v->report_json) {
        tml_version_rec_free(v);
        return tml_err_set(err, TML_ERR_NOMEM, "store: out of memory");
    }
    return TML_OK;
}

void tml_version_rec_free(tml_version_rec_t *v)
{
    if (!v)
        return;
    tml_free(v->metadata_json);
    tml_free(v->report_json);
    v->metadata_json = v->report_json = NULL;
}

static tml_status_t sq_version_create(tml_store_t *s, const tml_version_rec_t *v, tml_id_t *id,
                                      tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    if (r == TML_OK) {
        sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO models(tenant_id, name, created_at) "
                                   "VALUES (?, ?, ?)", err);
        r = st ? TML_OK : TML_ERR_IO;
        if (st) {
            sqlite3_bind_int64(st, 1, v->tenant_id);
            bind_text(st, 2, v->model_name);
            sqlite3_bind_int64(st, 3, now_s());
            r = step_done(s, st, "store: model", err);
        }
        if (r == TML_OK) {
            st = prep(s, "INSERT INTO model_versions(model_id, version, format, sha256, size, "
                         "metadata, report, created_at) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM models "
                         "WHERE tenant_id = ? AND name = ?", err);
            r = st ? TML_OK : TML_ERR_IO;
            if (st) {
                bind_text(st, 1, v->version);
                bind_text(st, 2, v->format);
                bind_text(st, 3, v->sha256);
                sqlite3_bind_int64(st, 4, v->size);
                bind_text(st, 5, v->metadata_json ? v->metadata_json : "{}");
                bind_text(st, 6, v->report_json ? v->report_json : "{}");
                sqlite3_bind_int64(st, 7, now_s());
                sqlite3_bind_int64(st, 8, v->tenant_id);
                bind_text(st, 9, v->model_name);
                r = step_done(s, st, "store: model version", err);
                if (r == TML_ERR_EXISTS) {
                    tml_err_clear(err);
                    r = tml_err_set(err, TML_ERR_EXISTS, "model '%s' version '%s' exists",
                                    v->model_name, v->version);
                }
                if (r == TML_OK)
                    *id = sqlite3_last_insert_rowid(SQ(s)->db);
            }
        }
        r = end(s, r, err);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_model_list(tml_store_t *s, tml_id_t tenant, tml_model_cb cb, void *ctx,
                                  tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s,
        "SELECT m.id, m.tenant_id, m.name, m.created_at, "
        "(SELECT count(*) FROM model_versions v WHERE v.model_id = m.id), "
        "COALESCE((SELECT version FROM model_versions v WHERE v.model_id = m.id "
        "ORDER BY v.id DESC LIMIT 1), '') FROM models m WHERE m.tenant_id = ? ORDER BY m.name", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st)
        sqlite3_bind_int64(st, 1, tenant);
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_model_rec_t m;
        m.id = sqlite3_column_int64(st, 0);
        m.tenant_id = sqlite3_column_int64(st, 1);
        col_copy(m.name, sizeof(m.name), st, 2);
        m.created_at = sqlite3_column_int64(st, 3);
        m.n_versions = sqlite3_column_int(st, 4);
        col_copy(m.latest_version, sizeof(m.latest_version), st, 5);
        if (!cb(ctx, &m))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: models");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

static tml_status_t sq_version_list(tml_store_t *s, tml_id_t tenant, const char *model,
                                    tml_version_cb cb, void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, VERSION_COLS "WHERE m.tenant_id = ? AND m.name = ? ORDER BY v.id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE, n = 0;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, model);
    }
    while (r == TML_OK && st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_version_rec_t v;
        n++;
        r = version_row(st, &v, err);
        if (r != TML_OK)
            break;
        bool more = cb(ctx, &v);
        tml_version_rec_free(&v);
        if (!more)
            break;
    }
    if (r == TML_OK && st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: model versions");
    if (r == TML_OK && n == 0)
        r = tml_err_set(err, TML_ERR_NOT_FOUND, "model '%s' not found", model);
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

static tml_status_t sq_version_get(tml_store_t *s, tml_id_t tenant, const char *model,
                                   const char *version, tml_version_rec_t *out, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, VERSION_COLS "WHERE m.tenant_id = ? AND m.name = ? AND v.version = ?",
                            err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, model);
        bind_text(st, 3, version);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = version_row(st, out, err);
        else if (rc == SQLITE_DONE)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "model '%s' version '%s' not found", model,
                            version);
        else
            r = db_fail(s, err, "store: model version");
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_version_delete(tml_store_t *s, tml_id_t tenant, const char *model,
                                      const char *version, tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    if (r != TML_OK) {
        unlock(s);
        return r;
    }
    tml_id_t vid = 0, mid = 0;
    int64_t installed = 0;
    sqlite3_stmt *st = prep(s, "SELECT v.id, m.id, (SELECT count(*) FROM devices d WHERE "
                               "d.installed_version_id = v.id) FROM model_versions v JOIN models m "
                               "ON m.id = v.model_id WHERE m.tenant_id = ? AND m.name = ? AND "
                               "v.version = ?", err);
    r = st ? TML_OK : TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, model);
        bind_text(st, 3, version);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            vid = sqlite3_column_int64(st, 0);
            mid = sqlite3_column_int64(st, 1);
            installed = sqlite3_column_int64(st, 2);
        } else if (rc == SQLITE_DONE) {
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "model '%s' version '%s' not found", model,
                            version);
        } else {
            r = db_fail(s, err, "store: model version");
        }
        sqlite3_finalize(st);
    }
    if (r == TML_OK && installed > 0)
        r = tml_err_set(err, TML_ERR_STATE, "model '%s' version '%s' is installed on %lld device%s",
                        model, version, (long long)installed, installed == 1 ? "" : "s");
    if (r == TML_OK && (st = prep(s, "DELETE FROM model_versions WHERE id = ?", err))) {
        sqlite3_bind_int64(st, 1, vid);
        r = step_done(s, st, "store: model version", err);
    } else if (r == TML_OK) {
        r = TML_ERR_IO;
    }
    if (r == TML_OK && (st = prep(s, "DELETE FROM models WHERE id = ? AND NOT EXISTS "
                                     "(SELECT 1 FROM model_versions WHERE model_id = ?)", err))) {
        sqlite3_bind_int64(st, 1, mid);
        sqlite3_bind_int64(st, 2, mid);
        r = step_done(s, st, "store: model", err);
    } else if (r == TML_OK) {
        r = TML_ERR_IO;
    }
    r = end(s, r, err);
    unlock(s);
    return r;
}

static tml_status_t sq_blob_refs(tml_store_t *s, const char *sha256, int64_t *n, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT (SELECT count(*) FROM model_versions WHERE sha256 = ?1) + "
                               "(SELECT count(*) FROM compilations WHERE pkg_sha256 = ?1 OR "
                               "c_sha256 = ?1)", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, sha256);
        if (sqlite3_step(st) == SQLITE_ROW) {
            *n = sqlite3_column_int64(st, 0);
            r = TML_OK;
        } else {
            r = db_fail(s, err, "store: blob references");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

/* ---- compilations ----------------------------------------------------- */

#define COMPILATION_COLS                                                                     \
    "SELECT c.id, c.tenant_id, c.version_id, m.name, v.version, v.sha256, c.target, c.device, " \
    "c.cache_key, c.options, c.state, c.cache_hit, c.error, c.result, c.pkg_sha256, c.pkg_size, " \
    "c.c_sha256, c.c_size, c.created_at, c.started_at, c.finished_at FROM compilations c "        \
    "JOIN model_versions v ON v.id = c.version_id JOIN models m ON m.id = v.model_id "

static tml_status_t compilation_row(sqlite3_stmt *st, tml_compilation_rec_t *c, tml_err_t *err)
{
    memset(c, 0, sizeof(*c));
    c->id = sqlite3_column_int64(st, 0);
    c->tenant_id = sqlite3_column_int64(st, 1);
    c->version_id = sqlite3_column_int64(st, 2);
    col_copy(c->model_name, sizeof(c->model_name), st, 3);
    col_copy(c->version, sizeof(c->version), st, 4);
    col_copy(c->model_sha256, sizeof(c->model_sha256), st, 5);
    col_copy(c->target, sizeof(c->target), st, 6);
    col_copy(c->device, sizeof(c->device), st, 7);
    col_copy(c->cache_key, sizeof(c->cache_key), st, 8);
    c->options_json = col_dup(st, 9);
    c->state = (tml_job_state_t)sqlite3_column_int(st, 10);
    c->cache_hit = sqlite3_column_int(st, 11) != 0;
    c->error = col_dup(st, 12);
    c->result_json = col_dup(st, 13);
    col_copy(c->pkg_sha256, sizeof(c->pkg_sha256), st, 14);
    c->pkg_size = sqlite3_column_int64(st, 15);
    col_copy(c->c_sha256, sizeof(c->c_sha256), st, 16);
    c->c_size = sqlite3_column_int64(st, 17);
    c->created_at = sqlite3_column_int64(st, 18);
    c->started_at = sqlite3_column_int64(st, 19);
    c->finished_at = sqlite3_column_int64(st, 20);
    if (!c->options_json || !c->error || !c->result_json) {
        tml_compilation_rec_free(c);
        return tml_err_set(err, TML_ERR_NOMEM, "store: out of memory");
    }
    return TML_OK;
}

void tml_compilation_rec_free(tml_compilation_rec_t *c)
{
    if (!c)
        return;
    tml_free(c->options_json);
    tml_free(c->error);
    tml_free(c->result_json);
    c->options_json = c->error = c->result_json = NULL;
}

const char *tml_job_state_name(tml_job_state_t s)
{
    switch (s) {
    case TML_JOB_QUEUED: return "queued";
    case TML_JOB_RUNNING: return "running";
    case TML_JOB_DONE: return "done";
    case TML_JOB_FAILED: return "failed";
    }
    return "unknown";
}

static tml_status_t sq_compilation_create(tml_store_t *s, const tml_compilation_rec_t *c,
                                          tml_id_t *id, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "INSERT INTO compilations(tenant_id, version_id, target, device, "
                               "options, cache_key, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                            err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, c->tenant_id);
        sqlite3_bind_int64(st, 2, c->version_id);
        bind_text(st, 3, c->target);
        bind_text(st, 4, c->device);
        bind_text(st, 5, c->options_json ? c->options_json : "{}");
        bind_text(st, 6, c->cache_key);
        sqlite3_bind_int(st, 7, TML_JOB_QUEUED);
        sqlite3_bind_int64(st, 8, now_s());
        r = step_done(s, st, "store: compilation", err);
        if (r == TML_OK)
            *id = sqlite3_last_insert_rowid(SQ(s)->db);
    }
    unlock(s);
    return r;
}

/* Runs a query returning at most one compilation row (binding done by the caller). */
static tml_status_t one_compilation(tml_store_t *s, sqlite3_stmt *st, tml_compilation_rec_t *out,
                                    const char *missing, tml_err_t *err)
{
    int rc = sqlite3_step(st);
    tml_status_t r;
    if (rc == SQLITE_ROW)
        r = compilation_row(st, out, err);
    else if (rc == SQLITE_DONE)
        r = tml_err_set(err, TML_ERR_NOT_FOUND, "%s", missing);
    else
        r = db_fail(s, err, "store: compilation");
    sqlite3_finalize(st);
    return r;
}

static tml_status_t sq_compilation_get(tml_store_t *s, tml_id_t tenant, tml_id_t id,
                                       tml_compilation_rec_t *out, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, COMPILATION_COLS "WHERE c.id = ?1 AND (?2 = 0 OR c.tenant_id = ?2)", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        char missing[64];
        snprintf(missing, sizeof(missing), "compilation %lld not found", (long long)id);
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, tenant);
        r = one_compilation(s, st, out, missing, err);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_compilation_find(tml_store_t *s, tml_id_t tenant, tml_id_t version_id,
                                        const char *cache_key, tml_compilation_rec_t *out,
                                        tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, COMPILATION_COLS "WHERE c.cache_key = ?1 AND ((?2 <> 0 AND "
                               "c.tenant_id = ?2 AND c.version_id = ?3 AND c.state <> 3) OR "
                               "(?2 = 0 AND c.state = 2)) ORDER BY c.id LIMIT 1", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, cache_key);
        sqlite3_bind_int64(st, 2, tenant);
        sqlite3_bind_int64(st, 3, version_id);
        r = one_compilation(s, st, out, "no cached compilation", err);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_compilation_list(tml_store_t *s, tml_id_t tenant, tml_compilation_cb cb,
                                        void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, COMPILATION_COLS "WHERE c.tenant_id = ? ORDER BY c.id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st)
        sqlite3_bind_int64(st, 1, tenant);
    while (r == TML_OK && st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_compilation_rec_t c;
        r = compilation_row(st, &c, err);
        if (r != TML_OK)
            break;
        bool more = cb(ctx, &c);
        tml_compilation_rec_free(&c);
        if (!more)
            break;
    }
    if (r == TML_OK && st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: compilations");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

static tml_status_t sq_compilation_claim(tml_store_t *s, tml_compilation_rec_t *out, tml_err_t *err)
{
    memset(out, 0, sizeof(*out));
    lock(s);
    tml_status_t r = begin(s, err);
    if (r != TML_OK) {
        unlock(s);
        return r;
    }
    tml_id_t id = 0;
    sqlite3_stmt *st = prep(s, "SELECT id FROM compilations WHERE state = 0 ORDER BY id LIMIT 1", err);
    r = st ? TML_OK : TML_ERR_IO;
    if (st) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            id = sqlite3_column_int64(st, 0);
        else if (rc == SQLITE_DONE)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "no queued compilation");
        else
            r = db_fail(s, err, "store: compilation queue");
        sqlite3_finalize(st);
    }
    if (r == TML_OK) {
        st = prep(s, "UPDATE compilations SET state = 1, started_at = ? WHERE id = ?", err);
        r = st ? TML_OK : TML_ERR_IO;
        if (st) {
            sqlite3_bind_int64(st, 1, now_s());
            sqlite3_bind_int64(st, 2, id);
            r = step_done(s, st, "store: compilation claim", err);
        }
    }
    if (r == TML_OK) {
        st = prep(s, COMPILATION_COLS "WHERE c.id = ?", err);
        r = st ? TML_OK : TML_ERR_IO;
        if (st) {
            sqlite3_bind_int64(st, 1, id);
            r = one_compilation(s, st, out, "claimed compilation vanished", err);
        }
    }
    r = end(s, r, err);
    if (r != TML_OK && out->options_json)
        tml_compilation_rec_free(out);
    unlock(s);
    return r;
}

static tml_status_t sq_compilation_finish(tml_store_t *s, tml_id_t id,
                                          const tml_compilation_result_t *res, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE compilations SET state = ?, cache_hit = ?, error = ?, "
                               "result = ?, pkg_sha256 = ?, pkg_size = ?, c_sha256 = ?, c_size = ?, "
                               "finished_at = ? WHERE id = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int(st, 1, res->state);
        sqlite3_bind_int(st, 2, res->cache_hit);
        bind_text(st, 3, res->error ? res->error : "");
        bind_text(st, 4, res->result_json ? res->result_json : "");
        bind_text(st, 5, res->pkg_sha256 ? res->pkg_sha256 : "");
        sqlite3_bind_int64(st, 6, res->pkg_size);
        bind_text(st, 7, res->c_sha256 ? res->c_sha256 : "");
        sqlite3_bind_int64(st, 8, res->c_size);
        sqlite3_bind_int64(st, 9, now_s());
        sqlite3_bind_int64(st, 10, id);
        r = step_done(s, st, "store: compilation result", err);
        if (r == TML_OK && sqlite3_changes(SQ(s)->db) == 0)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "compilation %lld not found", (long long)id);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_compilation_requeue(tml_store_t *s, int64_t *n, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE compilations SET state = 0, started_at = 0 WHERE state = 1", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        r = step_done(s, st, "store: requeue", err);
        if (r == TML_OK)
            *n = sqlite3_changes(SQ(s)->db);
    }
    unlock(s);
    return r;
}

/* ---- devices ---------------------------------------------------------- */

#define DEVICE_COLS                                                                              \
    "SELECT d.id, d.tenant_id, d.endpoint, d.profile, d.state, (SELECT json_group_array(tag) FROM " \
    "(SELECT tag FROM device_tags t WHERE t.device_id = d.id ORDER BY tag)), d.capabilities, "      \
    "COALESCE(d.installed_version_id, 0), COALESCE(m.name || '@' || v.version, ''), "                \
    "COALESCE(d.psk_identity, ''), d.created_at, d.last_seen, d.last_inference_at, d.link FROM devices d "  \
    "LEFT JOIN model_versions v ON v.id = d.installed_version_id LEFT JOIN models m ON "            \
    "m.id = v.model_id "

static tml_status_t device_row(sqlite3_stmt *st, tml_device_rec_t *d, tml_err_t *err)
{
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->tenant_id = sqlite3_column_int64(st, 1);
    col_copy(d->endpoint, sizeof(d->endpoint), st, 2);
    col_copy(d->profile, sizeof(d->profile), st, 3);
    col_copy(d->state, sizeof(d->state), st, 4);
    d->tags_json = col_dup(st, 5);
    d->capabilities_json = col_dup(st, 6);
    d->installed_version_id = sqlite3_column_int64(st, 7);
    col_copy(d->installed_model, sizeof(d->installed_model), st, 8);
    col_copy(d->psk_identity, sizeof(d->psk_identity), st, 9);
    d->created_at = sqlite3_column_int64(st, 10);
    d->last_seen = sqlite3_column_int64(st, 11);
    d->last_inference_at = sqlite3_column_int64(st, 12);
    col_copy(d->link, sizeof(d->link), st, 13);
    if (!d->tags_json || !d->capabilities_json) {
        tml_device_rec_free(d);
        return tml_err_set(err, TML_ERR_NOMEM, "store: out of memory");
    }
    return TML_OK;
}

void tml_device_rec_free(tml_device_rec_t *d)
{
    if (!d)
        return;
    tml_free(d->tags_json);
    tml_free(d->capabilities_json);
    d->tags_json = d->capabilities_json = NULL;
}

static tml_status_t insert_tags(tml_store_t *s, tml_id_t device, const char *const *tags,
                                int n_tags, tml_err_t *err)
{
    for (int i = 0; i < n_tags; i++) {
        sqlite3_stmt *st = prep(s, "INSERT OR IGNORE INTO device_tags(device_id, tag) VALUES (?, ?)", err);
        if (!st)
            return TML_ERR_IO;
        sqlite3_bind_int64(st, 1, device);
        bind_text(st, 2, tags[i]);
        tml_status_t r = step_done(s, st, "store: device tag", err);
        if (r != TML_OK)
            return r;
    }
    return TML_OK;
}

static tml_status_t sq_device_create(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                     const char *profile, const char *const *tags, int n_tags,
                                     tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    if (r == TML_OK) {
        sqlite3_stmt *st = prep(s, "INSERT INTO devices(tenant_id, endpoint, profile, created_at) "
                                   "VALUES (?, ?, ?, ?)", err);
        r = st ? TML_OK : TML_ERR_IO;
        if (st) {
            sqlite3_bind_int64(st, 1, tenant);
            bind_text(st, 2, endpoint);
            bind_text(st, 3, profile);
            sqlite3_bind_int64(st, 4, now_s());
            r = step_done(s, st, "store: device", err);
            if (r == TML_ERR_EXISTS) {
                tml_err_clear(err);
                r = tml_err_set(err, TML_ERR_EXISTS, "device '%s' exists", endpoint);
            }
        }
        if (r == TML_OK)
            r = insert_tags(s, sqlite3_last_insert_rowid(SQ(s)->db), tags, n_tags, err);
        r = end(s, r, err);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_device_get(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                  tml_device_rec_t *out, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, DEVICE_COLS "WHERE d.tenant_id = ? AND d.endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, endpoint);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            r = device_row(st, out, err);
        else if (rc == SQLITE_DONE)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
        else
            r = db_fail(s, err, "store: device");
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_device_list(tml_store_t *s, tml_id_t tenant, const tml_device_filter_t *f,
                                   tml_device_cb cb, void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, DEVICE_COLS "WHERE d.tenant_id = ?1 AND (?2 IS NULL OR EXISTS "
                               "(SELECT 1 FROM device_tags t WHERE t.device_id = d.id AND t.tag = ?2)) "
                               "AND (?3 IS NULL OR d.profile = ?3) AND (?4 IS NULL OR d.state = ?4) "
                               "ORDER BY d.endpoint", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, f ? f->tag : NULL);
        bind_text(st, 3, f ? f->profile : NULL);
        bind_text(st, 4, f ? f->state : NULL);
    }
    while (r == TML_OK && st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_device_rec_t d;
        r = device_row(st, &d, err);
        if (r != TML_OK)
            break;
        bool more = cb(ctx, &d);
        tml_device_rec_free(&d);
        if (!more)
            break;
    }
    if (r == TML_OK && st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: devices");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

/* The id of a tenant's device, NOT_FOUND otherwise. */
static tml_status_t device_id(tml_store_t *s, tml_id_t tenant, const char *endpoint, tml_id_t *id,
                              tml_err_t *err)
{
    sqlite3_stmt *st = prep(s, "SELECT id FROM devices WHERE tenant_id = ? AND endpoint = ?", err);
    if (!st)
        return TML_ERR_IO;
    sqlite3_bind_int64(st, 1, tenant);
    bind_text(st, 2, endpoint);
    int rc = sqlite3_step(st);
    tml_status_t r = TML_OK;
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
    else
        r = db_fail(s, err, "store: device");
    sqlite3_finalize(st);
    return r;
}

static tml_status_t sq_device_set_tags(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                       const char *const *tags, int n_tags, tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    if (r == TML_OK) {
        tml_id_t id = 0;
        r = device_id(s, tenant, endpoint, &id, err);
        sqlite3_stmt *st = NULL;
        if (r == TML_OK && (st = prep(s, "DELETE FROM device_tags WHERE device_id = ?", err))) {
            sqlite3_bind_int64(st, 1, id);
            r = step_done(s, st, "store: device tags", err);
        } else if (r == TML_OK) {
            r = TML_ERR_IO;
        }
        if (r == TML_OK)
            r = insert_tags(s, id, tags, n_tags, err);
        r = end(s, r, err);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_device_set_psk(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                      const char *identity, const uint8_t *key, size_t key_len,
                                      tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE devices SET psk_identity = ?, psk_key = ? WHERE "
                               "tenant_id = ? AND endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, identity);
        sqlite3_bind_blob(st, 2, key, (int)key_len, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, tenant);
        bind_text(st, 4, endpoint);
        r = step_done(s, st, "store: device PSK", err);
        if (r == TML_ERR_EXISTS) {
            tml_err_clear(err);
            r = tml_err_set(err, TML_ERR_EXISTS, "PSK identity '%s' is taken", identity);
        } else if (r == TML_OK && sqlite3_changes(SQ(s)->db) == 0) {
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
        }
    }
    unlock(s);
    return r;
}

static tml_status_t sq_device_psk_lookup(tml_store_t *s, const char *identity, char *endpoint,
                                         uint8_t *key, size_t *key_len, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT endpoint, psk_key FROM devices WHERE psk_identity = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, identity);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_bytes(st, 1);
            if (n > *key_len) {
                r = tml_err_set(err, TML_ERR_NOMEM, "PSK of '%s' is %zu bytes, buffer %zu",
                                identity, n, *key_len);
            } else {
                col_copy(endpoint, TML_STORE_NAME_MAX, st, 0);
                if (n)
                    memcpy(key, sqlite3_column_blob(st, 1), n);
                *key_len = n;
                r = TML_OK;
            }
        } else if (rc == SQLITE_DONE) {
            r = tml_err_set(err, TML_ERR_AUTH, "unknown PSK identity '%s'", identity);
        } else {
            r = db_fail(s, err, "store: PSK");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

static tml_status_t sq_device_delete(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                     tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "DELETE FROM devices WHERE tenant_id = ? AND endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, endpoint);
        r = step_done(s, st, "store: device", err);
        if (r == TML_OK && sqlite3_changes(SQ(s)->db) == 0)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
    }
    unlock(s);
    return r;
}

static const tml_store_vt_t sqlite_vt = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .tenant_create = sq_tenant_create,
    .tenant_count = sq_tenant_count,
    .tenant_list = sq_tenant_list,
    .token_create = sq_token_create,
    .token_lookup = sq_token_lookup,
    .token_list = sq_token_list,
    .token_delete = sq_token_delete,
    .version_create = sq_version_create,
    .model_list = sq_model_list,
    .version_list = sq_version_list,
    .version_get = sq_version_get,
    .version_delete = sq_version_delete,
    .blob_refs = sq_blob_refs,
    .compilation_create = sq_compilation_create,
    .compilation_get = sq_compilation_get,
    .compilation_find = sq_compilation_find,
    .compilation_list = sq_compilation_list,
    .compilation_claim = sq_compilation_claim,
    .compilation_finish = sq_compilation_finish,
    .compilation_requeue = sq_compilation_requeue,
    .device_create = sq_device_create,
    .device_get = sq_device_get,
    .device_list = sq_device_list,
    .device_set_tags = sq_device_set_tags,
    .device_set_psk = sq_device_set_psk,
    .device_psk_lookup = sq_device_psk_lookup,
    .device_delete = sq_device_delete,
    .device_seen = tml_sq_device_seen,
    .device_owner = tml_sq_device_owner,
    .device_set_state = tml_sq_device_set_state,
    .device_set_installed = tml_sq_device_set_installed,
    .device_set_link = tml_sq_device_set_link,
    .inference_add = tml_sq_inference_add,
    .inference_list = tml_sq_inference_list,
    .deployment_create = tml_sq_deployment_create,
    .deployment_get = tml_sq_deployment_get,
    .deployment_list = tml_sq_deployment_list,
    .deployment_update = tml_sq_deployment_update,
    .rollout_targets = tml_sq_rollout_targets,
    .rollout_target_update = tml_sq_rollout_target_update,
};

tml_status_t tml_store_sqlite_open(const char *path, tml_store_t **out, tml_err_t *err)
{
    *out = NULL;
    sq_store_t *s = tml_calloc(1, sizeof(*s));
    if (!s)
        return tml_err_set(err, TML_ERR_NOMEM, "store: out of memory");
    s->base.vt = &sqlite_vt;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&s->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        tml_err_set(err, TML_ERR_IO, "store %s: %s", path,
                    s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
        sq_close(&s->base);
        return TML_ERR_IO;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* WAL: one writer and many readers at once, and a crash never leaves
     * half a transaction. synchronous=NORMAL is durable across process
     * crashes in WAL mode (only an OS crash may lose the last commits). */
    tml_status_t st = exec(&s->base, "PRAGMA journal_mode = WAL", err);
    if (st == TML_OK)
        st = exec(&s->base, "PRAGMA synchronous = NORMAL", err);
    if (st == TML_OK)
        st = exec(&s->base, "PRAGMA foreign_keys = ON", err);
    if (st == TML_OK)
        st = tml_sqlite_migrate(s->db, err);
    if (st != TML_OK) {
        tml_err_wrap(err, "store %s", path);
        sq_close(&s->base);
        return st;
    }
    *out = &s->base;
    return TML_OK;
}
