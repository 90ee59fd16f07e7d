/*
 * sqlite_schema.c - the SQLite store's schema as a list of migrations.
 *
 * PRAGMA user_version holds the number of migrations applied. Opening a
 * store applies the missing ones in order, each in its own transaction
 * together with the user_version bump, so a crash leaves the database at a
 * whole step. Never edit a released step: add a new one at the end.
 */
#include <sqlite3.h>
#include <stdio.h>

#include "sqlite_internal.h"

static const char *const migrations[] = {
    /* 1: tenants, tokens, the model zoo, devices. */
    "CREATE TABLE tenants ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE tokens ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  hash TEXT NOT NULL UNIQUE," /* SHA-256 of the secret; the secret is never stored */
    "  admin INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL);"
    "CREATE TABLE models ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE model_versions ("
    "  id INTEGER PRIMARY KEY,"
    "  model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,"
    "  version TEXT NOT NULL,"
    "  format TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  size INTEGER NOT NULL,"
    "  metadata TEXT NOT NULL,"
    "  report TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE (model_id, version));"
    "CREATE INDEX model_versions_sha ON model_versions(sha256);"
    "CREATE TABLE devices ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
    "  endpoint TEXT NOT NULL UNIQUE," /* LwM2M endpoint names are global to a server */
    "  profile TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'offline',"
    "  capabilities TEXT NOT NULL DEFAULT '{}',"
    "  installed_version_id INTEGER REFERENCES model_versions(id) ON DELETE RESTRICT,"
    "  psk_identity TEXT UNIQUE,"
    "  psk_key BLOB,"
    "  created_at INTEGER NOT NULL,"
    "  last_seen INTEGER NOT NULL DEFAULT 0,"
    "  last_inference_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX devices_tenant ON devices(tenant_id, profile, state);"
    "CREATE TABLE device_tags ("
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  tag TEXT NOT NULL,"
    "  PRIMARY KEY (device_id, tag));"
    "CREATE INDEX device_tags_tag ON device_tags(tag);",

    /* 2: compilations (the job queue and the compile cache). */
    "CREATE TABLE compilations ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
    "  version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,"
    "  target TEXT NOT NULL,"
    "  device TEXT NOT NULL DEFAULT '',"
    "  options TEXT NOT NULL,"
    "  cache_key TEXT NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  cache_hit INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  result TEXT NOT NULL DEFAULT '',"
    "  pkg_sha256 TEXT NOT NULL DEFAULT '',"
    "  pkg_size INTEGER NOT NULL DEFAULT 0,"
    "  c_sha256 TEXT NOT NULL DEFAULT '',"
    "  c_size INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  started_at INTEGER NOT NULL DEFAULT 0,"
    "  finished_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX compilations_key ON compilations(cache_key, state);"
    "CREATE INDEX compilations_queue ON compilations(state, id);"
    "CREATE INDEX compilations_pkg ON compilations(pkg_sha256);"
    "CREATE INDEX compilations_c ON compilations(c_sha256);",

    /* 3: the fleet: device links, inference results, deployments. */
    "ALTER TABLE devices ADD COLUMN link TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE inferences ("
    "  id INTEGER PRIMARY KEY,"
    "  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,"
    "  model TEXT NOT NULL,"
    "  version TEXT NOT NULL,"
    "  output TEXT NOT NULL,"
    "  top_class INTEGER NOT NULL,"
    "  latency_us INTEGER NOT NULL,"
    "  count INTEGER NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX inferences_device ON inferences(device_id, id);"
    "CREATE TABLE deployments ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,"
    "  version_id INTEGER NOT NULL REFERENCES model_versions(id) ON DELETE RESTRICT,"
    "  selector TEXT NOT NULL,"
    "  canary_share REAL NOT NULL,"
    "  batch_size INTEGER NOT NULL,"
    "  failure_threshold REAL NOT NULL,"
    "  state TEXT NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  current_batch INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL);"
    "CREATE INDEX deployments_state ON deployments(state, id);"
    "CREATE TABLE rollout_targets ("
    "  id INTEGER PRIMARY KEY,"
    "  deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,"
    "  endpoint TEXT NOT NULL,"
    "  profile TEXT NOT NULL,"
    "  batch INTEGER NOT NULL,"
    "  stage TEXT NOT NULL,"
    "  compilation_id INTEGER NOT NULL DEFAULT 0,"
    "  spkg_sha256 TEXT NOT NULL DEFAULT '',"
    "  spkg_size INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  started_at INTEGER NOT NULL DEFAULT 0,"
    "  finished_at INTEGER NOT NULL DEFAULT 0,"
    "  updated_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX rollout_targets_dep ON rollout_targets(deployment_id, batch, id);",
};

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == TML_STORE_SQLITE_SCHEMA_VERSION,
               "one migration per schema version");

tml_status_t tml_sqlite_migrate(sqlite3 *db, tml_err_t *err)
{
    int version = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return tml_err_set(err, TML_ERR_IO, "store: reading user_version: %s", sqlite3_errmsg(db));
    }
    version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (version > TML_STORE_SQLITE_SCHEMA_VERSION)
        return tml_err_set(err, TML_ERR_UNSUPPORTED,
                           "store: schema version %d is newer than this tmlaasd (%d)", version,
                           TML_STORE_SQLITE_SCHEMA_VERSION);
    for (int v = version; v < TML_STORE_SQLITE_SCHEMA_VERSION; v++) {
        char bump[64];
        snprintf(bump, sizeof(bump), "PRAGMA user_version = %d", v + 1);
        char *msg = NULL;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, migrations[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            tml_err_set(err, TML_ERR_IO, "store: migration %d: %s", v + 1,
                        msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return TML_ERR_IO;
        }
        TML_LOGI("store", "applied schema migration %d", v + 1);
    }
    return TML_OK;
}
