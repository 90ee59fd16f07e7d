/*
 * npy.c - NumPy .npy parsing and building.
 *
 * The header is a Python dict literal; we accept only the shape numpy itself
 * writes ({'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }) with
 * any spacing, and check every length against the buffer before use.
 */
#include <stdio.h>
#include <string.h>

#include "tml/npy.h"

static const char magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

size_t tml_npy_dtype_size(const char *dtype)
{
    static const struct { const char *name; size_t size; } types[] = {
        {"f4", 4}, {"f8", 8}, {"i1", 1}, {"u1", 1}, {"i2", 2},
        {"u2", 2}, {"i4", 4}, {"u4", 4}, {"i8", 8}, {"b1", 1},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dtype, types[i].name))
            return types[i].size;
    return 0;
}

/* Finds the value text following 'key': inside the header; NULL if absent. */
static const char *find_key(const char *hdr, size_t hdr_len, const char *key)
{
    size_t key_len = strlen(key);
    for (size_t i = 0; i + key_len + 2 <= hdr_len; i++) {
        if (hdr[i] == '\'' && !memcmp(hdr + i + 1, key, key_len) && hdr[i + 1 + key_len] == '\'') {
            const char *p = hdr + i + key_len + 2;
            const char *end = hdr + hdr_len;
            while (p < end && (*p == ' ' || *p == ':'))
                p++;
            return p < end ? p : NULL;
        }
    }
    return NULL;
}

tml_status_t tml_npy_parse(const uint8_t *buf, size_t len, tml_npy_t *npy, tml_err_t *err)
{
    memset(npy, 0, sizeof(*npy));
    if (len < 10 || memcmp(buf, magic, sizeof(magic)) != 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: missing magic \\x93NUMPY");
    int major = buf[6];
    size_t hdr_len, hdr_off;
    if (major == 1) {
        hdr_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        hdr_off = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return tml_err_set(err, TML_ERR_CORRUPT, "npy: truncated header");
        hdr_len = (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        hdr_off = 12;
    } else {
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: format version %d", major);
    }
    if (hdr_len > len - hdr_off)
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: header length %zu past end of file", hdr_len);
    const char *hdr = (const char *)buf + hdr_off;

    const char *descr = find_key(hdr, hdr_len, "descr");
    if (!descr || descr + 5 > hdr + hdr_len || descr[0] != '\'')
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: header has no 'descr'");
    char order = descr[1];
    size_t type_len = 0;
    while (descr + 2 + type_len < hdr + hdr_len && descr[2 + type_len] != '\'' && type_len < 3)
        type_len++;
    if (type_len != 2 || descr + 2 + type_len >= hdr + hdr_len || descr[2 + type_len] != '\'')
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: dtype descr not understood");
    memcpy(npy->dtype, descr + 2, 2);
    size_t elem = tml_npy_dtype_size(npy->dtype);
    if (!elem)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: dtype '%s' not supported", npy->dtype);
    if (order == '>' && elem > 1)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: big-endian data not supported");
    if (order != '<' && order != '|' && order != '>')
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: bad byte order '%c'", order);

    const char *fortran = find_key(hdr, hdr_len, "fortran_order");
    if (!fortran)
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: header has no 'fortran_order'");
    if ((size_t)(hdr + hdr_len - fortran) >= 4 && !memcmp(fortran, "True", 4))
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: Fortran order not supported");

    const char *shape = find_key(hdr, hdr_len, "shape");
    if (!shape || *shape != '(')
        return tml_err_set(err, TML_ERR_CORRUPT, "npy: header has no 'shape' tuple");
    const char *p = shape + 1, *end = hdr + hdr_len;
    uint64_t count = 1;
    for (;;) {
        while (p < end && (*p == ' ' || *p == ','))
            p++;
        if (p >= end)
            return tml_err_set(err, TML_ERR_CORRUPT, "npy: unterminated shape");
        if (*p == ')')
            break;
        if (*p < '0' || *p > '9')
            return tml_err_set(err, TML_ERR_CORRUPT, "npy: bad character in shape");
        int64_t d = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            d = d * 10 + (*p - '0');
            if (d > ((int64_t)1 << 40))
                return tml_err_set(err, TML_ERR_CORRUPT, "npy: dimension too large");
            p++;
        }
        if (npy->n_dims == TML_NPY_MAX_DIMS)
            return tml_err_set(err, TML_ERR_UNSUPPORTED, "npy: more than %d dims", TML_NPY_MAX_DIMS);
        npy->dims[npy->n_dims++] = d;
        if (d != 0 && count > ((uint64_t)1 << 40) / (uint64_t)d)
            return tml_err_set(err, TML_ERR_CORRUPT, "npy: shape too large");
        count *= (uint64_t)d;
    }
    size_t data_off = hdr_off + hdr_len;
    if (count * elem != len - data_off)
        return tml_err_set(err, TML_ERR_CORRUPT,
                           "npy: shape needs %llu bytes of data, file has %zu",
                           (unsigned long long)(count * elem), len - data_off);
    npy->data = buf + data_off;
    npy->data_len = len - data_off;
    return TML_OK;
}

tml_status_t tml_npy_build(const char *dtype, const int64_t *dims, int n_dims,
                           const void *data, size_t data_len,
                           uint8_t **out, size_t *out_len, tml_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    size_t elem = tml_npy_dtype_size(dtype);
    if (!elem || n_dims < 0 || n_dims > TML_NPY_MAX_DIMS)
        return tml_err_set(err, TML_ERR_ARG, "npy: cannot write dtype '%s' with %d dims", dtype, n_dims);
    char hdr[512];
    int n = snprintf(hdr, sizeof(hdr), "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                     elem == 1 ? '|' : '<', dtype);
    uint64_t count = 1;
    for (int i = 0; i < n_dims; i++) {
        n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "%lld%s", (long long)dims[i],
                      n_dims == 1 ? "," : (i + 1 < n_dims ? ", " : ""));
        count *= (uint64_t)dims[i];
    }
    n += snprintf(hdr + n, sizeof(hdr) - (size_t)n, "), }");
    if (count * elem != data_len)
        return tml_err_set(err, TML_ERR_ARG, "npy: shape holds %llu bytes, data has %zu",
                           (unsigned long long)(count * elem), data_len);
    /* Pad with spaces and a newline so the data starts 64-byte aligned. */
    size_t total_hdr = 10 + (size_t)n + 1;
    size_t padded = (total_hdr + 63) / 64 * 64;
    size_t len = padded + data_len;
    uint8_t *buf = tml_malloc(len);
    if (!buf)
        return tml_err_set(err, TML_ERR_NOMEM, "npy: out of memory");
    memcpy(buf, magic, 6);
    buf[6] = 1;
    buf[7] = 0;
    size_t dict_len = padded - 10;
    buf[8] = (uint8_t)(dict_len & 0xff);
    buf[9] = (uint8_t)(dict_len >> 8);
    memcpy(buf + 10, hdr, (size_t)n);
    memset(buf + 10 + n, ' ', dict_len - (size_t)n);
    buf[padded - 1] = '\n';
    if (data_len)
        memcpy(buf + padded, data, data_len);
    *out = buf;
    *out_len = len;
    return TML_OK;
}
