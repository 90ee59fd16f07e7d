/*
 * jobs.h - compile workers: threads that take queued compilations from the
 * store, compile off the request path, and record the results.
 *
 * The queue is the store itself (compilation_claim hands a job to exactly
 * one worker), so queued jobs survive a restart and several tmlaasd nodes
 * can share one queue; the condition variable only wakes local workers
 * early. Results are cached by (model hash, target, options): a job whose
 * key some earlier compilation already finished copies that result and its
 * artifact hashes instead of compiling again.
 */
#ifndef TML_JOBS_H
#define TML_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tml/store.h"

typedef struct tml_service tml_service_t;

typedef struct tml_jobs {
    tml_service_t *svc;
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t gen;           /* bumped by tml_jobs_notify */
    uint64_t n_compiled;    /* compilations actually run (not cache hits) */
    uint64_t n_cache_hits;
} tml_jobs_t;

tml_status_t tml_jobs_start(tml_jobs_t *jobs, tml_service_t *svc, int n_threads, tml_err_t *err);
/* Wakes a worker: a compilation was queued. */
void tml_jobs_notify(tml_jobs_t *jobs);
/* Lets running jobs finish, then joins the workers. */
void tml_jobs_stop(tml_jobs_t *jobs);

/* The cache key of a compilation: hex SHA-256 over the model hash, the
 * target name and the canonical options text. */
void tml_jobs_cache_key(const char *model_sha256, const char *target, const char *options_json,
                        char key[65]);

/* Writes a ustar archive of the files under dir (names relative to dir's
 * parent, so the archive unpacks into one folder). *out (tml_free) holds
 * *out_len bytes. */
tml_status_t tml_tar_dir(const char *dir, uint8_t **out, size_t *out_len, tml_err_t *err);

#endif /* TML_JOBS_H */
