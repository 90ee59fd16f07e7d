/*
 * tensor_io.c - see tensor_io.h.
 */
#include <math.h>
#include <string.h>

#include "tensor_io.h"
#include "tml/npy.h"

static int is_npy(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".npy");
}

static uint32_t elems_of(const tml_pkg_tensor_t *t)
{
    return t->byte_len / tml_dtype_size(t->dtype);
}

static int8_t quantize_s8(float x, float scale, int32_t zero_point)
{
    /* TFLite's AffineQuantize: round half away from zero, then clamp. */
    float q = roundf(x / scale) + (float)zero_point;
    if (q < -128.0f)
        return -128;
    if (q > 127.0f)
        return 127;
    return (int8_t)q;
}

tml_status_t tml_cli_read_input(const char *path, const tml_pkg_tensor_t *t, uint8_t **data,
                                tml_err_t *err)
{
    uint8_t *buf;
    size_t len;
    *data = NULL;
    tml_status_t st = tml_file_read(path, &buf, &len, err);
    if (st != TML_OK)
        return st;
    if (!is_npy(path)) {
        if (len != t->byte_len) {
            tml_free(buf);
            return tml_err_set(err, TML_ERR_ARG, "%s: %zu bytes, the model's input takes %u",
                               path, len, (unsigned)t->byte_len);
        }
        *data = buf;
        return TML_OK;
    }
    tml_npy_t npy;
    st = tml_npy_parse(buf, len, &npy, err);
    if (st != TML_OK) {
        tml_err_wrap(err, "%s", path);
        tml_free(buf);
        return st;
    }
    uint32_t n = elems_of(t);
    size_t npy_elems = npy.data_len / tml_npy_dtype_size(npy.dtype);
    uint8_t *out = NULL;
    if (npy_elems != n) {
        st = tml_err_set(err, TML_ERR_ARG, "%s: %zu elements, the model's input takes %u",
                         path, npy_elems, (unsigned)n);
    } else if (t->dtype == TML_DT_F32 && !strcmp(npy.dtype, "f4")) {
        out = tml_malloc(t->byte_len);
        if (out)
            memcpy(out, npy.data, t->byte_len);
    } else if (t->dtype == TML_DT_I8 && !strcmp(npy.dtype, "i1")) {
        out = tml_malloc(t->byte_len);
        if (out)
            memcpy(out, npy.data, t->byte_len);
    } else if (t->dtype == TML_DT_I8 && !strcmp(npy.dtype, "f4")) {
        if (t->scale <= 0.0f) {
            st = tml_err_set(err, TML_ERR_ARG, "%s: the int8 input has no quantization scale", path);
        } else if ((out = tml_malloc(n)) != NULL) {
            for (uint32_t i = 0; i < n; i++) {
                float x;
                memcpy(&x, npy.data + 4 * (size_t)i, 4);
                ((int8_t *)out)[i] = quantize_s8(x, t->scale, t->zero_point);
            }
        }
    } else {
        st = tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: npy dtype %s for a %s input", path,
                         npy.dtype, t->dtype == TML_DT_I8 ? "int8" : t->dtype == TML_DT_F32 ? "float32" : "other");
    }
    tml_free(buf);
    if (st == TML_OK && !out)
        st = tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", path);
    *data = out;
    return st;
}

tml_status_t tml_cli_write_output(const char *path, const tml_pkg_tensor_t *t, const void *data,
                                  tml_err_t *err)
{
    if (!is_npy(path))
        return tml_file_write(path, data, t->byte_len, err);
    uint32_t n = elems_of(t);
    float *values = tml_malloc(n ? (size_t)n * 4 : 4);
    if (!values)
        return tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", path);
    tml_status_t st = TML_OK;
    if (t->dtype == TML_DT_F32) {
        memcpy(values, data, t->byte_len);
    } else if (t->dtype == TML_DT_I8) {
        for (uint32_t i = 0; i < n; i++)
            values[i] = ((float)((const int8_t *)data)[i] - (float)t->zero_point) * t->scale;
    } else {
        st = tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: cannot write dtype %u as npy", path, t->dtype);
    }
    if (st == TML_OK) {
        int64_t dims[TML_PKG_MAX_DIMS];
        for (int d = 0; d < t->n_dims; d++)
            dims[d] = t->dims[d];
        uint8_t *npy;
        size_t npy_len;
        st = tml_npy_build("f4", dims, t->n_dims, values, (size_t)n * 4, &npy, &npy_len, err);
        if (st == TML_OK) {
            st = tml_file_write(path, npy, npy_len, err);
            tml_free(npy);
        }
    }
    tml_free(values);
    return st;
}
