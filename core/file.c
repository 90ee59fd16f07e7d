/*
 * file.c - whole-file read and crash-safe whole-file write.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tml/core.h"

tml_status_t tml_file_read(const char *path, uint8_t **data, size_t *len, tml_err_t *err)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    uint8_t *buf = tml_malloc(cap);
    if (!buf) {
        fclose(f);
        return tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            uint8_t *bigger = tml_realloc(buf, cap * 2);
            if (!bigger) {
                tml_free(buf);
                fclose(f);
                return tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", path);
            }
            buf = bigger;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        tml_free(buf);
        return tml_err_set(err, TML_ERR_IO, "%s: read error", path);
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return TML_OK;
}

tml_status_t tml_file_write(const char *path, const void *data, size_t len, tml_err_t *err)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
        return tml_err_set(err, TML_ERR_ARG, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fflush(f) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return tml_err_set(err, TML_ERR_IO, "%s: write failed: %s", path, strerror(e));
    }
    return TML_OK;
}
