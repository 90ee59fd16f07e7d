/*
 * blobs.h - content-addressed blob storage under DATA/blobs/sha256/.
 *
 * A blob is stored once under the hex SHA-256 of its bytes
 * (blobs/sha256/ab/abcdef...), so an upload of bytes the zoo already holds,
 * or an artifact several compilations produce, costs no space. Files are
 * written through a temporary name and a rename, so a reader never sees half
 * a blob. Rows in the store point at blobs by hash; a blob is removed only
 * when no row references it any more (tml_blobs_release).
 */
#ifndef TML_ZOO_BLOBS_H
#define TML_ZOO_BLOBS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/store.h"

typedef struct tml_blobs {
    char *root;            /* DATA/blobs/sha256, owned */
    pthread_mutex_t mu;    /* held across "write blob + insert row" and "check refs + unlink" */
} tml_blobs_t;

/* Creates data_dir/blobs/sha256 if missing. */
tml_status_t tml_blobs_open(tml_blobs_t *b, const char *data_dir, tml_err_t *err);
void tml_blobs_close(tml_blobs_t *b);

/* Lower-case hex SHA-256 of data into hex (65 bytes with the NUL). */
void tml_sha256_hex(const void *data, size_t len, char hex[65]);
/* Whether s is 64 lower-case hex digits. */
int tml_blobs_valid_hash(const char *s);

/* Stores len bytes; hex receives their hash. Idempotent. Callers that then
 * insert a row referencing the blob hold tml_blobs_lock across both. */
tml_status_t tml_blobs_put(tml_blobs_t *b, const void *data, size_t len, char hex[65], tml_err_t *err);
/* Reads a blob and checks its hash (CORRUPT if the file changed on disk).
 * *data (caller frees with tml_free) holds *len bytes. */
tml_status_t tml_blobs_get(tml_blobs_t *b, const char *hex, uint8_t **data, size_t *len,
                           tml_err_t *err);
/* The file path of a blob (for streaming it out), into buf of n bytes. */
tml_status_t tml_blobs_path(const tml_blobs_t *b, const char *hex, char *buf, size_t n, tml_err_t *err);
/* Removes the blob if the store holds no reference to it. *removed (may be
 * NULL) tells whether it did. */
tml_status_t tml_blobs_release(tml_blobs_t *b, tml_store_t *store, const char *hex, int *removed,
                               tml_err_t *err);

void tml_blobs_lock(tml_blobs_t *b);
void tml_blobs_unlock(tml_blobs_t *b);

#endif /* TML_ZOO_BLOBS_H */
