/*
 * blobs.c - see blobs.h.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blobs.h"

static tml_status_t mkdir_p(const char *path, tml_err_t *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(buf))
        return tml_err_set(err, TML_ERR_ARG, "path too long: %s", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0700) != 0 && errno != EEXIST)
            return tml_err_set(err, TML_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
        buf[i] = c;
    }
    return TML_OK;
}

void tml_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, data, len);
    sodium_bin2hex(hex, 65, d, sizeof(d));
}

int tml_blobs_valid_hash(const char *s)
{
    if (!s)
        return 0;
    size_t i = 0;
    for (; s[i]; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')) || i >= 64)
            return 0;
    return i == 64;
}

tml_status_t tml_blobs_open(tml_blobs_t *b, const char *data_dir, tml_err_t *err)
{
    memset(b, 0, sizeof(*b));
    if (sodium_init() < 0)
        return tml_err_set(err, TML_ERR_INTERNAL, "libsodium failed to initialise");
    size_t n = strlen(data_dir) + sizeof("/blobs/sha256");
    b->root = tml_malloc(n);
    if (!b->root)
        return tml_err_set(err, TML_ERR_NOMEM, "blobs: out of memory");
    snprintf(b->root, n, "%s/blobs/sha256", data_dir);
    tml_status_t st = mkdir_p(b->root, err);
    if (st != TML_OK) {
        tml_free(b->root);
        b->root = NULL;
        return st;
    }
    /* Recursive: put takes it itself (the core's temporary file name is per
     * process, so two threads must not write one blob at once) and callers
     * take it around put + row insert. */
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&b->mu, &attr);
    pthread_mutexattr_destroy(&attr);
    return TML_OK;
}

void tml_blobs_close(tml_blobs_t *b)
{
    if (!b || !b->root)
        return;
    tml_free(b->root);
    b->root = NULL;
    pthread_mutex_destroy(&b->mu);
}

tml_status_t tml_blobs_path(const tml_blobs_t *b, const char *hex, char *buf, size_t n, tml_err_t *err)
{
    if (!tml_blobs_valid_hash(hex))
        return tml_err_set(err, TML_ERR_ARG, "'%s' is not a SHA-256 hex digest", hex ? hex : "");
    int w = snprintf(buf, n, "%s/%.2s/%s", b->root, hex, hex);
    if (w < 0 || (size_t)w >= n)
        return tml_err_set(err, TML_ERR_NOMEM, "blob path too long");
    return TML_OK;
}

tml_status_t tml_blobs_put(tml_blobs_t *b, const void *data, size_t len, char hex[65], tml_err_t *err)
{
    tml_sha256_hex(data, len, hex);
    char path[4096];
    tml_status_t st = tml_blobs_path(b, hex, path, sizeof(path), err);
    if (st != TML_OK)
        return st;
    tml_blobs_lock(b);
    struct stat sb;
    if (stat(path, &sb) != 0 || (size_t)sb.st_size != len) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%.2s", b->root, hex);
        st = mkdir_p(dir, err);
        if (st == TML_OK)
            st = tml_file_write(path, data, len, err);
    } /* else already there: same hash, same bytes */
    tml_blobs_unlock(b);
    return st;
}

tml_status_t tml_blobs_get(tml_blobs_t *b, const char *hex, uint8_t **data, size_t *len,
                           tml_err_t *err)
{
    char path[4096];
    *data = NULL;
    *len = 0;
    tml_status_t st = tml_blobs_path(b, hex, path, sizeof(path), err);
    if (st == TML_OK)
        st = tml_file_read(path, data, len, err);
    if (st != TML_OK)
        return st;
    char got[65];
    tml_sha256_hex(*data, *len, got);
    if (strcmp(got, hex) != 0) {
        tml_free(*data);
        *data = NULL;
        *len = 0;
        return tml_err_set(err, TML_ERR_CORRUPT, "blob %s: content hashes to %s", hex, got);
    }
    return TML_OK;
}

tml_status_t tml_blobs_release(tml_blobs_t *b, tml_store_t *store, const char *hex, int *removed,
                               tml_err_t *err)
{
    if (removed)
        *removed = 0;
    if (!hex || !*hex)
        return TML_OK;
    char path[4096];
    tml_status_t st = tml_blobs_path(b, hex, path, sizeof(path), err);
    if (st != TML_OK)
        return st;
    tml_blobs_lock(b);
    int64_t refs = 0;
    st = tml_store_call(store, blob_refs, hex, &refs, err);
    if (st == TML_OK && refs == 0) {
        if (unlink(path) == 0) {
            if (removed)
                *removed = 1;
        } else if (errno != ENOENT) {
            st = tml_err_set(err, TML_ERR_IO, "unlink %s: %s", path, strerror(errno));
        }
    }
    tml_blobs_unlock(b);
    return st;
}

void tml_blobs_lock(tml_blobs_t *b)
{
    pthread_mutex_lock(&b->mu);
}

void tml_blobs_unlock(tml_blobs_t *b)
{
    pthread_mutex_unlock(&b->mu);
}
