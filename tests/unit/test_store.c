/*
 * test_store.c - the SQLite store behind tml/store.h: schema migrations
 * (fresh, from an older version, refusing a newer one), WAL mode, data kept
 * across close/reopen, tenant isolation in every call, the refusal to delete
 * an installed model version, the compile job queue (claim, finish,
 * re-queue after a crash, the cache lookup), PSK lookup, and clean
 * out-of-memory failures of the calls that allocate.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/store.h"

static char dir[64], db_path[128];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/tml_store_XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(db_path, sizeof(db_path), "%s/t.db", dir);
    return tml_test_leak_setup(state);
}

static int teardown(void **state)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0)
        return -1;
    return tml_test_leak_teardown(state);
}

static tml_store_t *open_store(void)
{
    tml_store_t *s = NULL;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_store_open(db_path, &s, &err), &err);
    return s;
}

static void raw_exec(const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static tml_id_t add_version(tml_store_t *s, tml_id_t tenant, const char *model, const char *version,
                            const char *sha)
{
    tml_version_rec_t v;
    memset(&v, 0, sizeof(v));
    v.tenant_id = tenant;
    snprintf(v.model_name, sizeof(v.model_name), "%s", model);
    snprintf(v.version, sizeof(v.version), "%s", version);
    snprintf(v.format, sizeof(v.format), "tflite");
    snprintf(v.sha256, sizeof(v.sha256), "%s", sha);
    v.size = 1234;
    v.metadata_json = (char *)"{\"task\":\"kws\"}";
    v.report_json = (char *)"{\"arena_bytes\":100}";
    tml_id_t id = 0;
    TML_ASSERT_OK(tml_store_call(s, version_create, &v, &id, NULL));
    assert_true(id > 0);
    return id;
}

static void fresh_store_is_migrated_and_in_wal_mode(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    int v = 0;
    TML_ASSERT_OK(tml_store_call(s, schema_version, &v, NULL));
    assert_int_equal(v, TML_STORE_SQLITE_SCHEMA_VERSION);
    tml_store_close(s);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(db_path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void older_schema_is_upgraded_newer_refused(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t t;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "acme", &t, NULL));
    tml_store_close(s);
    /* Make it look like a version-1 database: step 2 not applied yet. */
    raw_exec("DROP TABLE rollout_targets; DROP TABLE deployments; DROP TABLE inferences; "
             "ALTER TABLE devices DROP COLUMN link; DROP TABLE compilations; PRAGMA user_version = 1;");
    s = open_store();
    int v = 0;
    TML_ASSERT_OK(tml_store_call(s, schema_version, &v, NULL));
    assert_int_equal(v, TML_STORE_SQLITE_SCHEMA_VERSION);
    int64_t n = -1;
    TML_ASSERT_OK(tml_store_call(s, compilation_requeue, &n, NULL)); /* the table is back */
    assert_int_equal(n, 0);
    TML_ASSERT_OK(tml_store_call(s, tenant_count, &n, NULL)); /* data of step 1 kept */
    assert_int_equal(n, 1);
    tml_store_close(s);

    raw_exec("PRAGMA user_version = 99;");
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_store_open(db_path, &s, &err), TML_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "newer"));
    assert_null(s);
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_store_open("postgres://x/y", &s, &err), TML_ERR_UNSUPPORTED);
}

static void data_survives_reopen(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t t, tok;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "acme", &t, NULL));
    TML_ASSERT_OK(tml_store_call(s, token_create, t, "ci", "h1", false, &tok, NULL));
    add_version(s, t, "kws", "1", "aa");
    const char *tags[] = {"lab", "eu"};
    TML_ASSERT_OK(tml_store_call(s, device_create, t, "dev-1", "nrf52840", tags, 2, NULL));
    tml_store_close(s);

    s = open_store();
    tml_token_rec_t rec;
    TML_ASSERT_OK(tml_store_call(s, token_lookup, "h1", &rec, NULL));
    assert_int_equal(rec.tenant_id, t);
    assert_string_equal(rec.name, "ci");
    assert_false(rec.admin);
    tml_version_rec_t v;
    TML_ASSERT_OK(tml_store_call(s, version_get, t, "kws", "1", &v, NULL));
    assert_string_equal(v.sha256, "aa");
    assert_string_equal(v.metadata_json, "{\"task\":\"kws\"}");
    tml_version_rec_free(&v);
    tml_device_rec_t d;
    TML_ASSERT_OK(tml_store_call(s, device_get, t, "dev-1", &d, NULL));
    assert_string_equal(d.tags_json, "[\"eu\",\"lab\"]");
    assert_string_equal(d.state, "offline");
    tml_device_rec_free(&d);
    tml_store_close(s);
}

static bool count_cb(void *ctx, const tml_device_rec_t *d)
{
    (void)d;
    (*(int *)ctx)++;
    return true;
}

static bool count_models(void *ctx, const tml_model_rec_t *m)
{
    (void)m;
    (*(int *)ctx)++;
    return true;
}

static void tenants_see_only_their_rows(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t a, b, id;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "a", &a, NULL));
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "b", &b, NULL));
    TML_ASSERT_STATUS(tml_store_call(s, tenant_create, "a", &id, NULL), TML_ERR_EXISTS);
    add_version(s, a, "kws", "1", "aa");
    TML_ASSERT_OK(tml_store_call(s, device_create, a, "dev-a", "nrf52840", NULL, 0, NULL));
    /* b sees nothing of a's */
    tml_version_rec_t v;
    TML_ASSERT_STATUS(tml_store_call(s, version_get, b, "kws", "1", &v, NULL), TML_ERR_NOT_FOUND);
    int n = 0;
    TML_ASSERT_OK(tml_store_call(s, model_list, b, count_models, &n, NULL));
    assert_int_equal(n, 0);
    TML_ASSERT_OK(tml_store_call(s, model_list, a, count_models, &n, NULL));
    assert_int_equal(n, 1);
    tml_device_rec_t d;
    TML_ASSERT_STATUS(tml_store_call(s, device_get, b, "dev-a", &d, NULL), TML_ERR_NOT_FOUND);
    n = 0;
    TML_ASSERT_OK(tml_store_call(s, device_list, b, NULL, count_cb, &n, NULL));
    assert_int_equal(n, 0);
    TML_ASSERT_STATUS(tml_store_call(s, device_set_tags, b, "dev-a", NULL, 0, NULL), TML_ERR_NOT_FOUND);
    uint8_t key[16] = {1};
    TML_ASSERT_STATUS(tml_store_call(s, device_set_psk, b, "dev-a", "id", key, 16, NULL), TML_ERR_NOT_FOUND);
    TML_ASSERT_STATUS(tml_store_call(s, device_delete, b, "dev-a", NULL), TML_ERR_NOT_FOUND);
    TML_ASSERT_STATUS(tml_store_call(s, version_delete, b, "kws", "1", NULL), TML_ERR_NOT_FOUND);
    /* endpoints are global: b cannot take a's */
    TML_ASSERT_STATUS(tml_store_call(s, device_create, b, "dev-a", "rp2040", NULL, 0, NULL), TML_ERR_EXISTS);
    /* b may reuse a model name */
    add_version(s, b, "kws", "1", "bb");
    TML_ASSERT_OK(tml_store_call(s, version_get, a, "kws", "1", &v, NULL));
    assert_string_equal(v.sha256, "aa");
    tml_version_rec_free(&v);
    tml_store_close(s);
}

static void device_filters_tags_and_psk(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t t;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "a", &t, NULL));
    const char *lab[] = {"lab"}, *field[] = {"field", "eu"};
    TML_ASSERT_OK(tml_store_call(s, device_create, t, "d1", "nrf52840", lab, 1, NULL));
    TML_ASSERT_OK(tml_store_call(s, device_create, t, "d2", "rp2040", field, 2, NULL));
    TML_ASSERT_OK(tml_store_call(s, device_create, t, "d3", "nrf52840", field, 2, NULL));
    int n = 0;
    tml_device_filter_t f = {"eu", NULL, NULL};
    TML_ASSERT_OK(tml_store_call(s, device_list, t, &f, count_cb, &n, NULL));
    assert_int_equal(n, 2);
    n = 0;
    f = (tml_device_filter_t){"eu", "nrf52840", NULL};
    TML_ASSERT_OK(tml_store_call(s, device_list, t, &f, count_cb, &n, NULL));
    assert_int_equal(n, 1);
    n = 0;
    f = (tml_device_filter_t){NULL, NULL, "online"};
    TML_ASSERT_OK(tml_store_call(s, device_list, t, &f, count_cb, &n, NULL));
    assert_int_equal(n, 0);
    TML_ASSERT_OK(tml_store_call(s, device_set_tags, t, "d1", field, 2, NULL));
    n = 0;
    f = (tml_device_filter_t){"lab", NULL, NULL};
    TML_ASSERT_OK(tml_store_call(s, device_list, t, &f, count_cb, &n, NULL));
    assert_int_equal(n, 0);

    uint8_t key[16], got[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)(i * 7);
    TML_ASSERT_OK(tml_store_call(s, device_set_psk, t, "d1", "psk-d1", key, 16, NULL));
    TML_ASSERT_STATUS(tml_store_call(s, device_set_psk, t, "d2", "psk-d1", key, 16, NULL), TML_ERR_EXISTS);
    char ep[TML_STORE_NAME_MAX];
    size_t got_len = sizeof(got);
    TML_ASSERT_OK(tml_store_call(s, device_psk_lookup, "psk-d1", ep, got, &got_len, NULL));
    assert_string_equal(ep, "d1");
    assert_int_equal(got_len, 16);
    assert_memory_equal(got, key, 16);
    got_len = sizeof(got);
    TML_ASSERT_STATUS(tml_store_call(s, device_psk_lookup, "nobody", ep, got, &got_len, NULL), TML_ERR_AUTH);
    tml_device_rec_t d;
    TML_ASSERT_OK(tml_store_call(s, device_get, t, "d1", &d, NULL));
    assert_string_equal(d.psk_identity, "psk-d1");
    tml_device_rec_free(&d);
    tml_store_close(s);
}

static void installed_version_cannot_be_deleted(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t t;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "a", &t, NULL));
    tml_id_t v1 = add_version(s, t, "kws", "1", "aa");
    add_version(s, t, "kws", "2", "bb");
    TML_ASSERT_OK(tml_store_call(s, device_create, t, "d1", "nrf52840", NULL, 0, NULL));
    tml_store_close(s);
    char sql[128];
    snprintf(sql, sizeof(sql), "UPDATE devices SET installed_version_id = %lld", (long long)v1);
    raw_exec(sql); /* until LwM2M installs land, set it by hand */
    s = open_store();
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_store_call(s, version_delete, t, "kws", "1", &err), TML_ERR_STATE);
    assert_non_null(strstr(err.msg, "installed on 1 device"));
    tml_device_rec_t d;
    TML_ASSERT_OK(tml_store_call(s, device_get, t, "d1", &d, NULL));
    assert_string_equal(d.installed_model, "kws@1");
    tml_device_rec_free(&d);
    int64_t refs = 0;
    TML_ASSERT_OK(tml_store_call(s, blob_refs, "bb", &refs, NULL));
    assert_int_equal(refs, 1);
    TML_ASSERT_OK(tml_store_call(s, version_delete, t, "kws", "2", NULL));
    TML_ASSERT_OK(tml_store_call(s, blob_refs, "bb", &refs, NULL));
    assert_int_equal(refs, 0);
    int n = 0;
    TML_ASSERT_OK(tml_store_call(s, model_list, t, count_models, &n, NULL));
    assert_int_equal(n, 1); /* the model stays while a version remains */
    tml_store_close(s);
}

static void job_queue_claim_finish_requeue_cache(void **state)
{
    (void)state;
    tml_store_t *s = open_store();
    tml_id_t a, b;
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "a", &a, NULL));
    TML_ASSERT_OK(tml_store_call(s, tenant_create, "b", &b, NULL));
    tml_id_t va = add_version(s, a, "kws", "1", "aa");
    tml_id_t vb = add_version(s, b, "kws", "1", "aa");
    tml_compilation_rec_t c;
    memset(&c, 0, sizeof(c));
    c.tenant_id = a;
    c.version_id = va;
    snprintf(c.target, sizeof(c.target), "nrf52840");
    snprintf(c.cache_key, sizeof(c.cache_key), "k1");
    c.options_json = (char *)"{}";
    tml_id_t id1, id2;
    TML_ASSERT_OK(tml_store_call(s, compilation_create, &c, &id1, NULL));
    c.tenant_id = b;
    c.version_id = vb;
    TML_ASSERT_OK(tml_store_call(s, compilation_create, &c, &id2, NULL));

    /* a's own queued compilation is found for a (joined), not for b */
    tml_compilation_rec_t got;
    TML_ASSERT_OK(tml_store_call(s, compilation_find, a, va, "k1", &got, NULL));
    assert_int_equal(got.id, id1);
    assert_int_equal(got.state, TML_JOB_QUEUED);
    tml_compilation_rec_free(&got);
    TML_ASSERT_STATUS(tml_store_call(s, compilation_get, b, id1, &got, NULL), TML_ERR_NOT_FOUND);
    /* nothing finished yet: no shared cache entry */
    TML_ASSERT_STATUS(tml_store_call(s, compilation_find, 0, 0, "k1", &got, NULL), TML_ERR_NOT_FOUND);

    TML_ASSERT_OK(tml_store_call(s, compilation_claim, &got, NULL));
    assert_int_equal(got.id, id1);
    assert_int_equal(got.state, TML_JOB_RUNNING);
    assert_string_equal(got.model_sha256, "aa");
    tml_compilation_rec_free(&got);
    /* a crash now: the running job is re-queued on the next start */
    tml_store_close(s);
    s = open_store();
    int64_t n = 0;
    TML_ASSERT_OK(tml_store_call(s, compilation_requeue, &n, NULL));
    assert_int_equal(n, 1);
    TML_ASSERT_OK(tml_store_call(s, compilation_claim, &got, NULL));
    assert_int_equal(got.id, id1);
    tml_compilation_rec_free(&got);
    tml_compilation_result_t r = {.state = TML_JOB_DONE, .result_json = "{\"fit\":{}}",
                                  .pkg_sha256 = "p1", .pkg_size = 10, .c_sha256 = "c1", .c_size = 20};
    TML_ASSERT_OK(tml_store_call(s, compilation_finish, id1, &r, NULL));
    TML_ASSERT_OK(tml_store_call(s, compilation_find, 0, 0, "k1", &got, NULL));
    assert_int_equal(got.id, id1);
    assert_string_equal(got.pkg_sha256, "p1");
    assert_string_equal(got.result_json, "{\"fit\":{}}");
    tml_compilation_rec_free(&got);
    int64_t refs = 0;
    TML_ASSERT_OK(tml_store_call(s, blob_refs, "c1", &refs, NULL));
    assert_int_equal(refs, 1);

    TML_ASSERT_OK(tml_store_call(s, compilation_claim, &got, NULL));
    assert_int_equal(got.id, id2);
    tml_compilation_rec_free(&got);
    TML_ASSERT_STATUS(tml_store_call(s, compilation_claim, &got, NULL), TML_ERR_NOT_FOUND);
    r = (tml_compilation_result_t){.state = TML_JOB_FAILED, .error = "boom"};
    TML_ASSERT_OK(tml_store_call(s, compilation_finish, id2, &r, NULL));
    /* a failed compilation is not joined: b may try again */
    TML_ASSERT_STATUS(tml_store_call(s, compilation_find, b, vb, "k1", &got, NULL), TML_ERR_NOT_FOUND);
    TML_ASSERT_OK(tml_store_call(s, compilation_get, b, id2, &got, NULL));
    assert_string_equal(got.error, "boom");
    assert_int_equal(got.state, TML_JOB_FAILED);
    tml_compilation_rec_free(&got);
    /* deleting the version deletes its compilations */
    TML_ASSERT_OK(tml_store_call(s, version_delete, a, "kws", "1", NULL));
    TML_ASSERT_STATUS(tml_store_call(s, compilation_get, a, id1, &got, NULL), TML_ERR_NOT_FOUND);
    TML_ASSERT_OK(tml_store_call(s, blob_refs, "c1", &refs, NULL));
    assert_int_equal(refs, 0);
    tml_store_close(s);
}

typedef struct {
    tml_store_t *s;
    tml_id_t t;
    tml_version_rec_t v;
    tml_device_rec_t d;
} walk_ctx_t;

static tml_status_t walk_gets(void *p)
{
    walk_ctx_t *w = p;
    tml_status_t st = tml_store_call(w->s, version_get, w->t, "kws", "1", &w->v, NULL);
    if (st != TML_OK)
        return st;
    st = tml_store_call(w->s, device_get, w->t, "d1", &w->d, NULL);
    if (st != TML_OK)
        tml_version_rec_free(&w->v);
    return st;
}

static void walk_cleanup(void *p)
{
    walk_ctx_t *w = p;
    tml_version_rec_free(&w->v);
    tml_device_rec_free(&w->d);
}

static void reads_fail_cleanly_out_of_memory(void **state)
{
    (void)state;
    walk_ctx_t w;
    memset(&w, 0, sizeof(w));
    w.s = open_store();
    TML_ASSERT_OK(tml_store_call(w.s, tenant_create, "a", &w.t, NULL));
    add_version(w.s, w.t, "kws", "1", "aa");
    TML_ASSERT_OK(tml_store_call(w.s, device_create, w.t, "d1", "rp2040", NULL, 0, NULL));
    unsigned n = tml_test_alloc_walk(walk_gets, walk_cleanup, &w);
    assert_int_equal(n, 4); /* metadata, report, tags, capabilities */
    tml_store_close(w.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fresh_store_is_migrated_and_in_wal_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(older_schema_is_upgraded_newer_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(data_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(tenants_see_only_their_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(device_filters_tags_and_psk, setup, teardown),
        cmocka_unit_test_setup_teardown(installed_version_cannot_be_deleted, setup, teardown),
        cmocka_unit_test_setup_teardown(job_queue_claim_finish_requeue_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(reads_fail_cleanly_out_of_memory, setup, teardown),
    };
    TML_TEST_MAIN(tests);
}
