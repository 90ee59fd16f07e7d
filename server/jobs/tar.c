/*
 * tar.c - a minimal ustar writer for the "c" artifact: regular files and
 * directories under one folder, names up to 255 bytes (prefix + name),
 * fixed mode and owner so the same sources give the same archive bytes
 * (and so the same blob hash). Entries are sorted by name for the same
 * reason.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jobs.h"

typedef struct buf {
    uint8_t *data;
    size_t len, cap;
} buf_t;

static tml_status_t buf_grow(buf_t *b, size_t more, tml_err_t *err)
{
    if (b->len + more <= b->cap)
        return TML_OK;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *n = tml_realloc(b->data, cap);
    if (!n)
        return tml_err_set(err, TML_ERR_NOMEM, "tar: out of memory");
    b->data = n;
    b->cap = cap;
    return TML_OK;
}

static void octal(char *dst, size_t n, unsigned long long v)
{
    snprintf(dst, n, "%0*llo", (int)(n - 1), v);
}

static tml_status_t header(buf_t *b, const char *name, char type, size_t size, tml_err_t *err)
{
    tml_status_t st = buf_grow(b, 512, err);
    if (st != TML_OK)
        return st;
    char *h = (char *)b->data + b->len;
    memset(h, 0, 512);
    size_t n = strlen(name);
    if (n <= 100) {
        memcpy(h, name, n);
    } else {
        /* split at a '/' so that prefix <= 155 and name <= 100 */
        const char *cut = NULL;
        for (const char *p = name; *p; p++)
            if (*p == '/' && (size_t)(p - name) <= 155 && strlen(p + 1) <= 100)
                cut = p;
        if (!cut)
            return tml_err_set(err, TML_ERR_UNSUPPORTED, "tar: path too long: %s", name);
        memcpy(h + 345, name, (size_t)(cut - name));
        memcpy(h, cut + 1, strlen(cut + 1));
    }
    octal(h + 100, 8, type == '5' ? 0755 : 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, size);
    octal(h + 136, 12, 0);
    memset(h + 148, ' ', 8);
    h[156] = type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += (unsigned char)h[i];
    snprintf(h + 148, 8, "%06o", sum);
    h[155] = ' ';
    b->len += 512;
    return TML_OK;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds dir (on disk at path) as arc_name/ and everything under it. */
static tml_status_t add_dir(buf_t *b, const char *path, const char *arc_name, int depth, tml_err_t *err)
{
    if (depth > 16)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "tar: directories nest too deep");
    char name[1024];
    snprintf(name, sizeof(name), "%s/", arc_name);
    tml_status_t st = header(b, name, '5', 0, err);
    if (st != TML_OK)
        return st;
    DIR *d = opendir(path);
    if (!d)
        return tml_err_set(err, TML_ERR_IO, "tar: opendir %s: %s", path, strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while (st == TML_OK && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            char **nn = tml_realloc(names, cap * sizeof(*names));
            if (!nn) {
                st = tml_err_set(err, TML_ERR_NOMEM, "tar: out of memory");
                break;
            }
            names = nn;
        }
        if (!(names[n] = tml_strdup(e->d_name)))
            st = tml_err_set(err, TML_ERR_NOMEM, "tar: out of memory");
        else
            n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof(*names), cmp_names);
    for (size_t i = 0; st == TML_OK && i < n; i++) {
        char sub[2048], arc[1024];
        snprintf(sub, sizeof(sub), "%s/%s", path, names[i]);
        snprintf(arc, sizeof(arc), "%s/%s", arc_name, names[i]);
        struct stat sb;
        if (lstat(sub, &sb) != 0) {
            st = tml_err_set(err, TML_ERR_IO, "tar: stat %s: %s", sub, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            st = add_dir(b, sub, arc, depth + 1, err);
        } else if (S_ISREG(sb.st_mode)) {
            uint8_t *data;
            size_t len;
            st = tml_file_read(sub, &data, &len, err);
            if (st == TML_OK)
                st = header(b, arc, '0', len, err);
            size_t padded = (len + 511) / 512 * 512;
            if (st == TML_OK)
                st = buf_grow(b, padded, err);
            if (st == TML_OK) {
                memcpy(b->data + b->len, data, len);
                memset(b->data + b->len + len, 0, padded - len);
                b->len += padded;
            }
            tml_free(data);
        } /* anything else (links, sockets) is skipped */
    }
    for (size_t i = 0; i < n; i++)
        tml_free(names[i]);
    tml_free(names);
    return st;
}

tml_status_t tml_tar_dir(const char *dir, uint8_t **out, size_t *out_len, tml_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    buf_t b = {NULL, 0, 0};
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    tml_status_t st = add_dir(&b, dir, base, 0, err);
    if (st == TML_OK)
        st = buf_grow(&b, 1024, err);
    if (st != TML_OK) {
        tml_free(b.data);
        return st;
    }
    memset(b.data + b.len, 0, 1024); /* two zero blocks end the archive */
    b.len += 1024;
    *out = b.data;
    *out_len = b.len;
    return TML_OK;
}
