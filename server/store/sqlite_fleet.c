/*
 * sqlite_fleet.c - the SQLite store's fleet calls: device records fed by
 * LwM2M registrations, inference results, deployments and their per-device
 * rollout targets (see tml/store.h).
 *
 * The rollout engine keeps everything it needs to resume in these rows:
 * a deployment's state and current batch, each target's stage, its
 * compilation and its signed package hash, so a restarted daemon picks up
 * where the previous one stopped.
 */
#include "sqlite_internal.h"

/* ---- devices, from LwM2M ------------------------------------------------ */

tml_status_t tml_sq_device_seen(tml_store_t *s, const char *endpoint, tml_id_t default_tenant,
                                const char *profile, const char *capabilities_json,
                                const char *state, tml_id_t *tenant, tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    sqlite3_stmt *st = NULL;
    if (r == TML_OK && (st = prep(s, "SELECT tenant_id FROM devices WHERE endpoint = ?", err))) {
        bind_text(st, 1, endpoint);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *tenant = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
            st = prep(s, "UPDATE devices SET profile = CASE WHEN ?2 = '' THEN profile ELSE ?2 END, "
                         "capabilities = COALESCE(?3, capabilities), state = ?4, last_seen = ?5 "
                         "WHERE endpoint = ?1", err);
        } else if (rc == SQLITE_DONE) {
            *tenant = default_tenant;
            sqlite3_finalize(st);
            st = prep(s, "INSERT INTO devices(endpoint, profile, capabilities, state, last_seen, "
                         "tenant_id, created_at) VALUES (?1, ?2, COALESCE(?3, '{}'), ?4, ?5, ?6, ?5)",
                      err);
            if (st)
                sqlite3_bind_int64(st, 6, default_tenant);
        } else {
            r = db_fail(s, err, "store: device");
            sqlite3_finalize(st);
            st = NULL;
        }
        if (r == TML_OK && !st)
            r = TML_ERR_IO;
        if (st) {
            bind_text(st, 1, endpoint);
            bind_text(st, 2, profile ? profile : "");
            bind_text(st, 3, capabilities_json);
            bind_text(st, 4, state);
            sqlite3_bind_int64(st, 5, now_s());
            r = step_done(s, st, "store: device registration", err);
        }
    } else if (r == TML_OK) {
        r = TML_ERR_IO;
    }
    if (sqlite3_get_autocommit(SQ(s)->db) == 0)
        r = end(s, r, err);
    unlock(s);
    return r;
}

tml_status_t tml_sq_device_owner(tml_store_t *s, const char *endpoint, tml_id_t *tenant, bool *has_psk,
                                 tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT tenant_id, psk_identity IS NOT NULL FROM devices WHERE endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, endpoint);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            *tenant = sqlite3_column_int64(st, 0);
            *has_psk = sqlite3_column_int(st, 1) != 0;
            r = TML_OK;
        } else if (rc == SQLITE_DONE) {
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
        } else {
            r = db_fail(s, err, "store: device");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

tml_status_t tml_sq_device_set_state(tml_store_t *s, const char *endpoint, const char *state,
                                     tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE devices SET state = ?1, last_seen = CASE WHEN ?1 = 'online' "
                               "THEN ?3 ELSE last_seen END WHERE ?2 IS NULL OR endpoint = ?2", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, state);
        bind_text(st, 2, endpoint);
        sqlite3_bind_int64(st, 3, now_s());
        r = step_done(s, st, "store: device state", err);
    }
    unlock(s);
    return r;
}

tml_status_t tml_sq_device_set_installed(tml_store_t *s, const char *endpoint, tml_id_t version_id,
                                         tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE devices SET installed_version_id = ? WHERE endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        if (version_id > 0)
            sqlite3_bind_int64(st, 1, version_id);
        else
            sqlite3_bind_null(st, 1);
        bind_text(st, 2, endpoint);
        r = step_done(s, st, "store: device installed model", err);
    }
    unlock(s);
    return r;
}

tml_status_t tml_sq_device_set_link(tml_store_t *s, tml_id_t tenant, const char *endpoint,
                                    const char *link, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE devices SET link = ? WHERE tenant_id = ? AND endpoint = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, link);
        sqlite3_bind_int64(st, 2, tenant);
        bind_text(st, 3, endpoint);
        r = step_done(s, st, "store: device link", err);
        if (r == TML_OK && sqlite3_changes(SQ(s)->db) == 0)
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "device '%s' not found", endpoint);
    }
    unlock(s);
    return r;
}

/* ---- inferences ----------------------------------------------------------- */

tml_status_t tml_sq_inference_add(tml_store_t *s, const tml_inference_rec_t *r, int keep,
                                  tml_err_t *err)
{
    lock(s);
    tml_status_t rs = begin(s, err);
    sqlite3_stmt *st = NULL;
    if (rs == TML_OK) {
        st = prep(s, "INSERT INTO inferences(device_id, model, version, output, top_class, latency_us, "
                     "count, at) SELECT id, ?, ?, ?, ?, ?, ?, ? FROM devices WHERE endpoint = ?", err);
        rs = st ? TML_OK : TML_ERR_IO;
    }
    if (st) {
        bind_text(st, 1, r->model);
        bind_text(st, 2, r->version);
        bind_text(st, 3, r->output);
        sqlite3_bind_int64(st, 4, r->top_class);
        sqlite3_bind_int64(st, 5, r->latency_us);
        sqlite3_bind_int64(st, 6, r->count);
        sqlite3_bind_int64(st, 7, r->at ? r->at : now_s());
        bind_text(st, 8, r->endpoint);
        rs = step_done(s, st, "store: inference", err);
    }
    if (rs == TML_OK && (st = prep(s, "UPDATE devices SET last_inference_at = ? WHERE endpoint = ?", err))) {
        sqlite3_bind_int64(st, 1, r->at ? r->at : now_s());
        bind_text(st, 2, r->endpoint);
        rs = step_done(s, st, "store: inference", err);
    } else if (rs == TML_OK) {
        rs = TML_ERR_IO;
    }
    if (rs == TML_OK && keep > 0 &&
        (st = prep(s, "DELETE FROM inferences WHERE device_id = (SELECT id FROM devices WHERE endpoint = ?1) "
                      "AND id <= (SELECT id FROM inferences WHERE device_id = (SELECT id FROM devices "
                      "WHERE endpoint = ?1) ORDER BY id DESC LIMIT 1 OFFSET ?2)", err))) {
        bind_text(st, 1, r->endpoint);
        sqlite3_bind_int(st, 2, keep);
        rs = step_done(s, st, "store: inference", err);
    } else if (rs == TML_OK && keep > 0) {
        rs = TML_ERR_IO;
    }
    if (sqlite3_get_autocommit(SQ(s)->db) == 0)
        rs = end(s, rs, err);
    unlock(s);
    return rs;
}

tml_status_t tml_sq_inference_list(tml_store_t *s, tml_id_t tenant, const char *endpoint, int limit,
                                   tml_inference_cb cb, void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT i.id, d.endpoint, i.model, i.version, i.output, i.top_class, "
                               "i.latency_us, i.count, i.at FROM inferences i JOIN devices d ON "
                               "d.id = i.device_id WHERE d.tenant_id = ? AND d.endpoint = ? "
                               "ORDER BY i.id DESC LIMIT ?", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, endpoint);
        sqlite3_bind_int(st, 3, limit > 0 ? limit : 100);
    }
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_inference_rec_t i;
        memset(&i, 0, sizeof(i));
        i.id = sqlite3_column_int64(st, 0);
        col_copy(i.endpoint, sizeof(i.endpoint), st, 1);
        col_copy(i.model, sizeof(i.model), st, 2);
        col_copy(i.version, sizeof(i.version), st, 3);
        col_copy(i.output, sizeof(i.output), st, 4);
        i.top_class = sqlite3_column_int64(st, 5);
        i.latency_us = sqlite3_column_int64(st, 6);
        i.count = sqlite3_column_int64(st, 7);
        i.at = sqlite3_column_int64(st, 8);
        if (!cb(ctx, &i))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: inferences");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

/* ---- deployments ---------------------------------------------------------- */

#define DEPLOYMENT_COLS                                                                          \
    "SELECT d.id, d.tenant_id, d.version_id, m.name, v.version, d.selector, d.canary_share, "    \
    "d.batch_size, d.failure_threshold, d.state, d.reason, d.current_batch, d.created_at, "      \
    "d.updated_at FROM deployments d JOIN model_versions v ON v.id = d.version_id JOIN models m " \
    "ON m.id = v.model_id "

static void deployment_row(sqlite3_stmt *st, tml_deployment_rec_t *d)
{
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->tenant_id = sqlite3_column_int64(st, 1);
    d->version_id = sqlite3_column_int64(st, 2);
    col_copy(d->model_name, sizeof(d->model_name), st, 3);
    col_copy(d->version, sizeof(d->version), st, 4);
    col_copy(d->selector_json, sizeof(d->selector_json), st, 5);
    d->canary_share = sqlite3_column_double(st, 6);
    d->batch_size = sqlite3_column_int(st, 7);
    d->failure_threshold = sqlite3_column_double(st, 8);
    col_copy(d->state, sizeof(d->state), st, 9);
    col_copy(d->reason, sizeof(d->reason), st, 10);
    d->current_batch = sqlite3_column_int(st, 11);
    d->created_at = sqlite3_column_int64(st, 12);
    d->updated_at = sqlite3_column_int64(st, 13);
}

tml_status_t tml_sq_deployment_create(tml_store_t *s, const tml_deployment_rec_t *d,
                                      const tml_rollout_target_rec_t *targets, int n_targets,
                                      tml_id_t *id, tml_err_t *err)
{
    lock(s);
    tml_status_t r = begin(s, err);
    sqlite3_stmt *st = NULL;
    if (r == TML_OK) {
        st = prep(s, "INSERT INTO deployments(tenant_id, version_id, selector, canary_share, batch_size, "
                     "failure_threshold, state, reason, current_batch, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
        r = st ? TML_OK : TML_ERR_IO;
    }
    if (st) {
        int64_t now = now_s();
        sqlite3_bind_int64(st, 1, d->tenant_id);
        sqlite3_bind_int64(st, 2, d->version_id);
        bind_text(st, 3, d->selector_json);
        sqlite3_bind_double(st, 4, d->canary_share);
        sqlite3_bind_int(st, 5, d->batch_size);
        sqlite3_bind_double(st, 6, d->failure_threshold);
        bind_text(st, 7, d->state);
        bind_text(st, 8, d->reason);
        sqlite3_bind_int(st, 9, d->current_batch);
        sqlite3_bind_int64(st, 10, now);
        sqlite3_bind_int64(st, 11, now);
        r = step_done(s, st, "store: deployment", err);
        *id = sqlite3_last_insert_rowid(SQ(s)->db);
    }
    for (int i = 0; r == TML_OK && i < n_targets; i++) {
        const tml_rollout_target_rec_t *t = &targets[i];
        st = prep(s, "INSERT INTO rollout_targets(deployment_id, endpoint, profile, batch, stage, error, "
                     "spkg_size, finished_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", err);
        if (!st) {
            r = TML_ERR_IO;
            break;
        }
        sqlite3_bind_int64(st, 1, *id);
        bind_text(st, 2, t->endpoint);
        bind_text(st, 3, t->profile);
        sqlite3_bind_int(st, 4, t->batch);
        bind_text(st, 5, t->stage);
        bind_text(st, 6, t->error);
        sqlite3_bind_int64(st, 7, t->spkg_size);
        sqlite3_bind_int64(st, 8, t->finished_at);
        sqlite3_bind_int64(st, 9, now_s());
        r = step_done(s, st, "store: rollout target", err);
    }
    if (sqlite3_get_autocommit(SQ(s)->db) == 0)
        r = end(s, r, err);
    unlock(s);
    return r;
}

tml_status_t tml_sq_deployment_get(tml_store_t *s, tml_id_t tenant, tml_id_t id,
                                   tml_deployment_rec_t *out, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, DEPLOYMENT_COLS "WHERE d.id = ?1 AND (?2 = 0 OR d.tenant_id = ?2)", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, tenant);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            deployment_row(st, out);
            r = TML_OK;
        } else if (rc == SQLITE_DONE) {
            r = tml_err_set(err, TML_ERR_NOT_FOUND, "deployment %lld not found", (long long)id);
        } else {
            r = db_fail(s, err, "store: deployment");
        }
        sqlite3_finalize(st);
    }
    unlock(s);
    return r;
}

tml_status_t tml_sq_deployment_list(tml_store_t *s, tml_id_t tenant, const char *state,
                                    tml_deployment_cb cb, void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, DEPLOYMENT_COLS "WHERE (?1 = 0 OR d.tenant_id = ?1) AND "
                                               "(?2 IS NULL OR d.state = ?2) ORDER BY d.id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st) {
        sqlite3_bind_int64(st, 1, tenant);
        bind_text(st, 2, state);
    }
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_deployment_rec_t d;
        deployment_row(st, &d);
        if (!cb(ctx, &d))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: deployments");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

/* Whether state is one of the '|'-separated names in set. */
static bool in_set(const char *state, const char *set)
{
    size_t n = strlen(state);
    for (const char *p = set; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, state, n))
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

tml_status_t tml_sq_deployment_update(tml_store_t *s, tml_id_t tenant, tml_id_t id, const char *from,
                                      const char *state, const char *reason, int current_batch,
                                      tml_err_t *err)
{
    lock(s);
    tml_deployment_rec_t d;
    tml_status_t r = begin(s, err);
    if (r == TML_OK)
        r = tml_sq_deployment_get(s, tenant, id, &d, err);
    if (r == TML_OK && from && !in_set(d.state, from))
        r = tml_err_set(err, TML_ERR_STATE, "deployment %lld is %s", (long long)id, d.state);
    sqlite3_stmt *st = NULL;
    if (r == TML_OK) {
        st = prep(s, "UPDATE deployments SET state = ?, reason = ?, current_batch = CASE WHEN ? < 0 THEN "
                     "current_batch ELSE ?4 END, updated_at = ? WHERE id = ?", err);
        r = st ? TML_OK : TML_ERR_IO;
    }
    if (st) {
        bind_text(st, 1, state ? state : d.state);
        bind_text(st, 2, reason ? reason : d.reason);
        sqlite3_bind_int(st, 3, current_batch);
        sqlite3_bind_int(st, 4, current_batch);
        sqlite3_bind_int64(st, 5, now_s());
        sqlite3_bind_int64(st, 6, id);
        r = step_done(s, st, "store: deployment", err);
    }
    if (sqlite3_get_autocommit(SQ(s)->db) == 0)
        r = end(s, r, err);
    unlock(s);
    return r;
}

tml_status_t tml_sq_rollout_targets(tml_store_t *s, tml_id_t deployment, tml_rollout_target_cb cb,
                                    void *ctx, tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "SELECT id, deployment_id, endpoint, profile, batch, stage, compilation_id, "
                               "spkg_sha256, spkg_size, error, attempts, started_at, finished_at, updated_at "
                               "FROM rollout_targets WHERE deployment_id = ? ORDER BY batch, id", err);
    tml_status_t r = st ? TML_OK : TML_ERR_IO;
    int rc = SQLITE_DONE;
    if (st)
        sqlite3_bind_int64(st, 1, deployment);
    while (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tml_rollout_target_rec_t t;
        memset(&t, 0, sizeof(t));
        t.id = sqlite3_column_int64(st, 0);
        t.deployment_id = sqlite3_column_int64(st, 1);
        col_copy(t.endpoint, sizeof(t.endpoint), st, 2);
        col_copy(t.profile, sizeof(t.profile), st, 3);
        t.batch = sqlite3_column_int(st, 4);
        col_copy(t.stage, sizeof(t.stage), st, 5);
        t.compilation_id = sqlite3_column_int64(st, 6);
        col_copy(t.spkg_sha256, sizeof(t.spkg_sha256), st, 7);
        t.spkg_size = sqlite3_column_int64(st, 8);
        col_copy(t.error, sizeof(t.error), st, 9);
        t.attempts = sqlite3_column_int(st, 10);
        t.started_at = sqlite3_column_int64(st, 11);
        t.finished_at = sqlite3_column_int64(st, 12);
        t.updated_at = sqlite3_column_int64(st, 13);
        if (!cb(ctx, &t))
            break;
    }
    if (st && rc != SQLITE_ROW && rc != SQLITE_DONE)
        r = db_fail(s, err, "store: rollout targets");
    sqlite3_finalize(st);
    unlock(s);
    return r;
}

tml_status_t tml_sq_rollout_target_update(tml_store_t *s, const tml_rollout_target_rec_t *t,
                                          tml_err_t *err)
{
    lock(s);
    sqlite3_stmt *st = prep(s, "UPDATE rollout_targets SET stage = ?, compilation_id = ?, spkg_sha256 = ?, "
                               "spkg_size = ?, error = ?, attempts = ?, started_at = ?, finished_at = ?, "
                               "updated_at = ? WHERE id = ?", err);
    tml_status_t r = TML_ERR_IO;
    if (st) {
        bind_text(st, 1, t->stage);
        sqlite3_bind_int64(st, 2, t->compilation_id);
        bind_text(st, 3, t->spkg_sha256);
        sqlite3_bind_int64(st, 4, t->spkg_size);
        bind_text(st, 5, t->error);
        sqlite3_bind_int(st, 6, t->attempts);
        sqlite3_bind_int64(st, 7, t->started_at);
        sqlite3_bind_int64(st, 8, t->finished_at);
        sqlite3_bind_int64(st, 9, now_s());
        sqlite3_bind_int64(st, 10, t->id);
        r = step_done(s, st, "store: rollout target", err);
    }
    unlock(s);
    return r;
}
