/*
 * onnx_tensor.c - ONNX TensorProto -> constant IR tensor.
 *
 * A tensor's elements arrive one of three ways: raw_data (little-endian,
 * fixed width), the typed repeated fields (float_data, int32_data, which
 * also carries int8/uint8/int16/bool, int64_data), or an external file named
 * relative to the model. Each way is checked against the element count the
 * dims promise before a byte is copied, and external locations that are
 * absolute or climb out of the model's folder (.., symlinks) are refused.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Largest constant accepted: far beyond any MCU model, small enough that
 * sizes never overflow. */
#define MAX_TENSOR_BYTES ((size_t)1 << 31)

tml_dtype_t onnx_dtype(int32_t onnx_type)
{
    switch (onnx_type) {
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: return TML_DT_F32;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: return TML_DT_U8;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__INT8: return TML_DT_I8;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__INT16: return TML_DT_I16;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__INT32: return TML_DT_I32;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__INT64: return TML_DT_I64;
    case TML_ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: return TML_DT_BOOL;
    default: return TML_DT_UNKNOWN;
    }
}

const char *onnx_dtype_name(int32_t onnx_type)
{
    static const char *const names[] = {
        "undefined", "float", "uint8", "int8", "uint16", "int16", "int32", "int64",
        "string", "bool", "float16", "double", "uint32", "uint64", "complex64",
        "complex128", "bfloat16",
    };
    if (onnx_type < 0 || (size_t)onnx_type >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[onnx_type];
}

static bool location_is_safe(const char *loc)
{
    if (!loc[0] || loc[0] == '/' || loc[0] == '\\')
        return false;
    /* no ".." path component, no backslash separators */
    for (const char *p = loc; *p; p++) {
        if (*p == '\\')
            return false;
        bool at_start = p == loc || p[-1] == '/';
        if (at_start && p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
            return false;
    }
    return true;
}

/* Reads len bytes at offset of the external file loc into out. */
static tml_status_t read_external(onnx_ctx_t *c, const char *tname, const char *loc,
                                  int64_t offset, int64_t length, size_t want, uint8_t *out)
{
    tml_err_t *err = c->err;
    if (!c->model_path)
        return tml_err_set(err, TML_ERR_ARG,
                           "tensor '%s': stored as external data '%s', but the model's path "
                           "is not known", tname, loc);
    if (!location_is_safe(loc))
        return tml_err_set(err, TML_ERR_CORRUPT,
                           "tensor '%s': external data location '%s' is outside the model's "
                           "folder", tname, loc);
    if (offset < 0 || length < -1 || (length >= 0 && (uint64_t)length != want))
        return tml_err_set(err, TML_ERR_CORRUPT,
                           "tensor '%s': external data offset %lld / length %lld, expected "
                           "%zu bytes", tname, (long long)offset, (long long)length, want);
    char dir[PATH_MAX], path[PATH_MAX], real_dir[PATH_MAX], real_path[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", c->model_path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    if (!dir[0])
        snprintf(dir, sizeof(dir), "/");
    int n = snprintf(path, sizeof(path), "%s/%s", dir, loc);
    if (n < 0 || (size_t)n >= sizeof(path))
        return tml_err_set(err, TML_ERR_ARG, "tensor '%s': external data path too long", tname);
    if (!realpath(dir, real_dir) || !realpath(path, real_path))
        return tml_err_set(err, TML_ERR_IO, "tensor '%s': external data %s: %s", tname, path,
                           strerror(errno));
    size_t dir_len = strlen(real_dir);
    bool inside = strncmp(real_path, real_dir, dir_len) == 0 &&
                  (real_path[dir_len] == '/' || (dir_len == 1 && real_dir[0] == '/'));
    if (!inside)
        return tml_err_set(err, TML_ERR_CORRUPT,
                           "tensor '%s': external data '%s' resolves outside the model's folder",
                           tname, loc);
    FILE *f = fopen(real_path, "rb");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "tensor '%s': cannot open %s: %s", tname, real_path,
                           strerror(errno));
    tml_status_t st = TML_OK;
    if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(out, 1, want, f) != want)
        st = tml_err_set(err, TML_ERR_IO, "tensor '%s': %s holds fewer than %lld + %zu bytes",
                         tname, real_path, (long long)offset, want);
    fclose(f);
    return st;
}

static tml_status_t external_fields(onnx_ctx_t *c, const onnx_tensor_t *t, const char *tname,
                                    const char **loc, int64_t *offset, int64_t *length)
{
    *loc = NULL;
    *offset = 0;
    *length = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const TmlOnnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value)
            continue;
        char *end = NULL;
        if (!strcmp(e->key, "location")) {
            *loc = e->value;
        } else if (!strcmp(e->key, "offset") || !strcmp(e->key, "length")) {
            errno = 0;
            long long v = strtoll(e->value, &end, 10);
            if (errno || end == e->value || *end || v < 0)
                return tml_err_set(c->err, TML_ERR_CORRUPT,
                                   "tensor '%s': external data %s '%s' is not a byte count",
                                   tname, e->key, e->value);
            *(strcmp(e->key, "offset") ? length : offset) = v;
        }
    }
    if (!*loc)
        return tml_err_set(c->err, TML_ERR_CORRUPT,
                           "tensor '%s': external data without a location", tname);
    return TML_OK;
}

/* Copies typed-field values into out (n elements of dtype). */
static tml_status_t copy_typed(onnx_ctx_t *c, const onnx_tensor_t *t, const char *tname,
                               tml_dtype_t dtype, size_t n, uint8_t *out)
{
    size_t have;
    switch (dtype) {
    case TML_DT_F32: have = t->n_float_data; break;
    case TML_DT_I64: have = t->n_int64_data; break;
    default: have = t->n_int32_data; break;
    }
    if (have != n)
        return tml_err_set(c->err, TML_ERR_CORRUPT,
                           "tensor '%s': %zu values stored for a shape of %zu elements",
                           tname, have, n);
    for (size_t i = 0; i < n; i++) {
        switch (dtype) {
        case TML_DT_F32: memcpy(out + 4 * i, &t->float_data[i], 4); break;
        case TML_DT_I64: memcpy(out + 8 * i, &t->int64_data[i], 8); break;
        case TML_DT_I32: memcpy(out + 4 * i, &t->int32_data[i], 4); break;
        case TML_DT_I16: {
            int16_t v = (int16_t)t->int32_data[i];
            memcpy(out + 2 * i, &v, 2);
            break;
        }
        case TML_DT_I8: out[i] = (uint8_t)(int8_t)t->int32_data[i]; break;
        case TML_DT_BOOL: out[i] = t->int32_data[i] != 0; break;
        default: out[i] = (uint8_t)t->int32_data[i]; break;
        }
    }
    return TML_OK;
}

tml_status_t onnx_tensor_import(onnx_ctx_t *c, const onnx_tensor_t *t, const char *name,
                                int32_t *tensor)
{
    const char *tname = name && name[0] ? name : "(unnamed)";
    tml_dtype_t dtype = onnx_dtype(t->data_type);
    if (dtype == TML_DT_UNKNOWN)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "tensor '%s': element type %s (%d) "
                           "is not supported", tname, onnx_dtype_name(t->data_type),
                           (int)t->data_type);
    if (t->n_dims > TML_IR_MAX_DIMS)
        return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "tensor '%s': %zu dims, at most %d",
                           tname, t->n_dims, TML_IR_MAX_DIMS);
    int32_t dims[TML_IR_MAX_DIMS];
    size_t n_elems = 1, elem_size = tml_dtype_size(dtype);
    for (size_t i = 0; i < t->n_dims; i++) {
        if (t->dims[i] < 0 || t->dims[i] > INT32_MAX)
            return tml_err_set(c->err, TML_ERR_CORRUPT, "tensor '%s': dim %zu is %lld", tname, i,
                               (long long)t->dims[i]);
        dims[i] = (int32_t)t->dims[i];
        if (dims[i] && n_elems > MAX_TENSOR_BYTES / elem_size / (size_t)dims[i])
            return tml_err_set(c->err, TML_ERR_UNSUPPORTED, "tensor '%s': too large", tname);
        n_elems *= (size_t)dims[i];
    }
    size_t bytes = n_elems * elem_size;
    uint8_t *data = tml_malloc(bytes ? bytes : 1);
    if (!data)
        return tml_err_set(c->err, TML_ERR_NOMEM, "tensor '%s': out of memory", tname);
    tml_status_t st = TML_OK;
    if (t->has_data_location && t->data_location == TML_ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
        const char *loc;
        int64_t offset, length;
        st = external_fields(c, t, tname, &loc, &offset, &length);
        if (st == TML_OK)
            st = read_external(c, tname, loc, offset, length, bytes, data);
    } else if (t->has_raw_data) {
        if (t->raw_data.len != bytes)
            st = tml_err_set(c->err, TML_ERR_CORRUPT,
                             "tensor '%s': %zu raw bytes for a shape of %zu bytes", tname,
                             t->raw_data.len, bytes);
        else if (bytes)
            memcpy(data, t->raw_data.data, bytes);
    } else {
        st = copy_typed(c, t, tname, dtype, n_elems, data);
    }
    if (st == TML_OK) {
        st = tml_ir_add_tensor(c->g, name, dtype, (int)t->n_dims, dims, tensor);
        if (st == TML_OK)
            st = tml_ir_set_data(c->g, *tensor, data, bytes);
        if (st != TML_OK)
            st = tml_err_set(c->err, st, "tensor '%s': out of memory", tname);
    }
    tml_free(data);
    return st;
}
