/*
 * compile_jobs.c - the compile workers (see jobs.h).
 *
 * A job: model blob -> import -> compile -> fit check on the job's target
 * -> report (tml_report_json, the same JSON `tml inspect --json` prints) ->
 * artifacts: the .tmlm package and a tar of the standalone C sources.
 *
 * Which backend, and why: "package" is chosen whenever the model fits,
 * because it installs over the air into the interpreter already on the
 * device (LwM2M Software Management) without reflashing the firmware. "c"
 * is offered as a download for firmware builds: no interpreter, only the
 * kernels used, but shipping it means reflashing the device.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../service_internal.h"
#include "tml/backend_c.h"
#include "tml/compiler.h"
#include "tml/fit.h"
#include "tml/report.h"

void tml_jobs_cache_key(const char *model_sha256, const char *target, const char *options_json,
                        char key[65])
{
    /* Fields separated by NUL bytes so no two different triples collide. */
    size_t a = strlen(model_sha256), b = strlen(target), c = strlen(options_json);
    char buf[512];
    char *p = a + b + c + 3 <= sizeof(buf) ? buf : tml_malloc(a + b + c + 3);
    if (!p) { /* cannot happen for well-formed rows; hash what fits */
        tml_sha256_hex(model_sha256, a, key);
        return;
    }
    memcpy(p, model_sha256, a + 1);
    memcpy(p + a + 1, target, b + 1);
    memcpy(p + a + b + 2, options_json, c + 1);
    tml_sha256_hex(p, a + b + c + 3, key);
    if (p != buf)
        tml_free(p);
}

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[4096];
            snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
            rm_rf(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A C identifier from a model name: [a-z0-9_], not starting with a digit. */
static void c_ident(const char *name, char *out, size_t n)
{
    size_t k = 0;
    if (name[0] >= '0' && name[0] <= '9' && k + 2 < n) {
        out[k++] = 'm';
        out[k++] = '_';
    }
    for (const char *p = name; *p && k + 1 < n; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[k++] = ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    out[k] = '\0';
    if (!k)
        snprintf(out, n, "model");
}

static json_t *fit_json(const tml_fit_t *fit, const tml_target_t *t)
{
    return json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:s}", "target", t->name,
                     "core", t->core, "fits", fit->fits, "ram_bytes", (json_int_t)fit->ram_bytes,
                     "ram_budget", (json_int_t)t->model_ram_bytes, "arena_bytes",
                     (json_int_t)fit->arena_bytes, "flash_bytes", (json_int_t)fit->flash_bytes,
                     "flash_budget", (json_int_t)t->model_flash_bytes, "package_bytes",
                     (json_int_t)fit->package_bytes, "code_bytes", (json_int_t)fit->code_bytes,
                     "latency_ms", fit->latency_us / 1000.0, "reason", fit->reason);
}

static json_t *backend_json(const tml_fit_t *fit, const tml_target_t *t, const char *c_error)
{
    char why[512];
    json_t *chosen;
    if (fit->fits) {
        snprintf(why, sizeof(why),
                 "package: fits %s (RAM %u of %u bytes, flash %u of %u bytes) and installs over the "
                 "air into the device's interpreter with LwM2M Software Management, without "
                 "reflashing the firmware",
                 t->name, (unsigned)fit->ram_bytes, (unsigned)t->model_ram_bytes,
                 (unsigned)fit->flash_bytes, (unsigned)t->model_flash_bytes);
        chosen = json_string("package");
    } else {
        snprintf(why, sizeof(why), "none: the model does not fit %s: %s", t->name, fit->reason);
        chosen = json_null();
    }
    json_t *cands = json_array();
    json_array_append_new(cands, json_pack("{s:s, s:b, s:s, s:s}", "name", "package", "over_the_air", 1,
                                           "artifact", "package", "note",
                                           "a .tmlm package run in place from flash by the on-device "
                                           "interpreter"));
    json_array_append_new(cands, json_pack("{s:s, s:b, s:o, s:s}", "name", "c", "over_the_air", 0,
                                           "artifact", c_error ? json_null() : json_string("c"),
                                           "note", c_error ? c_error
                                                           : "standalone C sources (only the kernels "
                                                             "used, no interpreter) for a firmware "
                                                             "build; installing them needs a reflash"));
    return json_pack("{s:o, s:s, s:o}", "chosen", chosen, "reason", why, "candidates", cands);
}

/* Emits the "c" backend into a temporary folder and tars it. */
static tml_status_t c_artifact(tml_service_t *svc, const tml_compiled_t *comp, const char *model,
                               uint8_t **tar, size_t *tar_len, tml_err_t *err)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s/tmp", svc->data_dir);
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return tml_err_set(err, TML_ERR_IO, "mkdir %s: %s", tmp, strerror(errno));
    snprintf(tmp, sizeof(tmp), "%s/tmp/c-XXXXXX", svc->data_dir);
    if (!mkdtemp(tmp))
        return tml_err_set(err, TML_ERR_IO, "mkdtemp %s: %s", tmp, strerror(errno));
    char ident[64], out_dir[4200];
    c_ident(model, ident, sizeof(ident));
    snprintf(out_dir, sizeof(out_dir), "%s/%s", tmp, ident);
    tml_status_t st = tml_backend_c_emit(comp, ident, out_dir, svc->source_dir, err);
    if (st == TML_OK)
        st = tml_tar_dir(out_dir, tar, tar_len, err);
    rm_rf(tmp);
    return st;
}

static void finish_failed(tml_service_t *svc, tml_id_t id, const char *msg)
{
    tml_compilation_result_t r = {.state = TML_JOB_FAILED, .error = msg};
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_store_call(svc->store, compilation_finish, id, &r, &err) != TML_OK)
        TML_LOGW("jobs", "compilation %lld: %s", (long long)id, tml_err_message(&err));
}

static void run_job(tml_jobs_t *jobs, tml_compilation_rec_t *c)
{
    tml_service_t *svc = jobs->svc;
    tml_err_t err;
    tml_err_clear(&err);

    /* The compile cache: a finished compilation with the same key (this
     * tenant's or another's: same bytes, same target, same options give the
     * same result) is copied instead of compiled again. */
    tml_compilation_rec_t prev;
    if (tml_store_call(svc->store, compilation_find, 0, 0, c->cache_key, &prev, &err) == TML_OK) {
        tml_compilation_result_t r = {.state = TML_JOB_DONE, .cache_hit = true,
                                      .result_json = prev.result_json, .pkg_sha256 = prev.pkg_sha256,
                                      .pkg_size = prev.pkg_size, .c_sha256 = prev.c_sha256,
                                      .c_size = prev.c_size};
        tml_status_t st = tml_store_call(svc->store, compilation_finish, c->id, &r, &err);
        tml_compilation_rec_free(&prev);
        if (st == TML_OK) {
            pthread_mutex_lock(&jobs->mu);
            jobs->n_cache_hits++;
            pthread_mutex_unlock(&jobs->mu);
            TML_LOGI("jobs", "compilation %lld: cache hit", (long long)c->id);
            return;
        }
        TML_LOGW("jobs", "compilation %lld: %s", (long long)c->id, tml_err_message(&err));
        return;
    }
    tml_err_clear(&err);

    const tml_target_t *t = tml_target_find(c->target);
    if (!t) {
        finish_failed(svc, c->id, "unknown target");
        return;
    }
    uint8_t *model = NULL;
    size_t model_len = 0;
    tml_compiled_t comp;
    json_t *report = NULL, *result = NULL;
    char *result_text = NULL;
    uint8_t *tar = NULL;
    size_t tar_len = 0;
    char path[300];
    tml_status_t st = tml_blobs_get(&svc->blobs, c->model_sha256, &model, &model_len, &err);
    if (st == TML_OK) {
        tml_model_format_t f = tml_model_sniff(model, model_len, NULL);
        snprintf(path, sizeof(path), "%s.%s", c->model_name, f == TML_FORMAT_TFLITE ? "tflite" : "onnx");
        tml_ir_graph_t g;
        st = tml_model_import(model, model_len, path, &g, &err);
        /* For the job's device: DSP cores get the DSP kernels. */
        tml_compile_opts_t copts;
        memset(&copts, 0, sizeof(copts));
        copts.target = t;
        if (st == TML_OK)
            st = tml_compile_graph(&g, &copts, &comp, &err);
    }
    tml_free(model);
    if (st != TML_OK) {
        finish_failed(svc, c->id, tml_err_message(&err));
        return;
    }
    tml_fit_t fit;
    tml_fit_check(&comp, t, &fit);
    report = tml_report_json(&comp, path);
    tml_err_t cerr;
    tml_err_clear(&cerr);
    tml_status_t cst = c_artifact(svc, &comp, c->model_name, &tar, &tar_len, &cerr);
    char c_error[600] = "";
    if (cst != TML_OK) {
        snprintf(c_error, sizeof(c_error), "c backend failed: %s", tml_err_message(&cerr));
        TML_LOGW("jobs", "compilation %lld: %s", (long long)c->id, c_error);
    }
    result = json_pack("{s:o, s:o, s:o}", "fit", fit_json(&fit, t), "backend",
                       backend_json(&fit, t, cst == TML_OK ? NULL : c_error), "report",
                       report ? report : json_null());
    result_text = result ? json_dumps(result, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9)) : NULL;
    if (!result_text) {
        st = tml_err_set(&err, TML_ERR_NOMEM, "out of memory building the report");
    } else {
        char pkg_hash[65] = "", c_hash[65] = "";
        tml_blobs_lock(&svc->blobs);
        st = tml_blobs_put(&svc->blobs, comp.pkg, comp.pkg_len, pkg_hash, &err);
        if (st == TML_OK && tar)
            st = tml_blobs_put(&svc->blobs, tar, tar_len, c_hash, &err);
        if (st == TML_OK) {
            tml_compilation_result_t r = {.state = TML_JOB_DONE, .result_json = result_text,
                                          .pkg_sha256 = pkg_hash, .pkg_size = (int64_t)comp.pkg_len,
                                          .c_sha256 = c_hash, .c_size = (int64_t)tar_len};
            st = tml_store_call(svc->store, compilation_finish, c->id, &r, &err);
            if (st != TML_OK) { /* the row went away (its model was deleted) */
                tml_blobs_release(&svc->blobs, svc->store, pkg_hash, NULL, NULL);
                tml_blobs_release(&svc->blobs, svc->store, c_hash, NULL, NULL);
            }
        }
        tml_blobs_unlock(&svc->blobs);
    }
    if (st == TML_OK) {
        pthread_mutex_lock(&jobs->mu);
        jobs->n_compiled++;
        pthread_mutex_unlock(&jobs->mu);
        TML_LOGI("jobs", "compilation %lld: %s on %s: %s", (long long)c->id, c->model_name, t->name,
                 fit.fits ? "fits" : fit.reason);
    } else if (st != TML_ERR_NOT_FOUND) {
        finish_failed(svc, c->id, tml_err_message(&err));
    }
    free(result_text);
    json_decref(result);
    tml_free(tar);
    tml_compiled_free(&comp);
}

static void *worker(void *arg)
{
    tml_jobs_t *jobs = arg;
    for (;;) {
        pthread_mutex_lock(&jobs->mu);
        bool stop = jobs->stop;
        uint64_t gen = jobs->gen;
        pthread_mutex_unlock(&jobs->mu);
        if (stop)
            break;
        tml_compilation_rec_t c;
        tml_err_t err;
        tml_err_clear(&err);
        tml_status_t st = tml_store_call(jobs->svc->store, compilation_claim, &c, &err);
        if (st == TML_OK) {
            run_job(jobs, &c);
            tml_compilation_rec_free(&c);
            continue;
        }
        if (st != TML_ERR_NOT_FOUND)
            TML_LOGW("jobs", "claiming a compilation: %s", tml_err_message(&err));
        /* Nothing queued: sleep until notified, or poll again in a second
         * (another node may have queued work in a shared store). */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += 1;
        pthread_mutex_lock(&jobs->mu);
        while (!jobs->stop && jobs->gen == gen &&
               pthread_cond_timedwait(&jobs->cv, &jobs->mu, &until) == 0) {
        }
        pthread_mutex_unlock(&jobs->mu);
    }
    return NULL;
}

tml_status_t tml_jobs_start(tml_jobs_t *jobs, tml_service_t *svc, int n_threads, tml_err_t *err)
{
    memset(jobs, 0, sizeof(*jobs));
    jobs->svc = svc;
    pthread_mutex_init(&jobs->mu, NULL);
    pthread_cond_init(&jobs->cv, NULL);
    jobs->threads = tml_calloc((size_t)n_threads, sizeof(pthread_t));
    if (!jobs->threads)
        return tml_err_set(err, TML_ERR_NOMEM, "jobs: out of memory");
    for (int i = 0; i < n_threads; i++) {
        if (pthread_create(&jobs->threads[i], NULL, worker, jobs) != 0) {
            tml_jobs_stop(jobs);
            return tml_err_set(err, TML_ERR_INTERNAL, "jobs: cannot start worker thread %d", i);
        }
        jobs->n_threads++;
    }
    return TML_OK;
}

void tml_jobs_notify(tml_jobs_t *jobs)
{
    pthread_mutex_lock(&jobs->mu);
    jobs->gen++;
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
}

void tml_jobs_stop(tml_jobs_t *jobs)
{
    if (!jobs->svc)
        return;
    pthread_mutex_lock(&jobs->mu);
    jobs->stop = true;
    pthread_cond_broadcast(&jobs->cv);
    pthread_mutex_unlock(&jobs->mu);
    for (int i = 0; i < jobs->n_threads; i++)
        pthread_join(jobs->threads[i], NULL);
    tml_free(jobs->threads);
    jobs->threads = NULL;
    jobs->n_threads = 0;
    pthread_mutex_destroy(&jobs->mu);
    pthread_cond_destroy(&jobs->cv);
    jobs->svc = NULL;
}
