/*
 * npy.h - reading and writing NumPy .npy files (format versions 1.0-3.0),
 * enough for tensors: little-endian f4, i1, u1, i2, i4, i8, b1; C order.
 */
#ifndef TML_NPY_H
#define TML_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_NPY_MAX_DIMS 8

typedef struct tml_npy {
    char dtype[4];                 /* numpy descr without byte order: "f4", "i1", ... */
    int n_dims;
    int64_t dims[TML_NPY_MAX_DIMS];
    const uint8_t *data;           /* points into the parsed buffer; not owned */
    size_t data_len;               /* bytes = element count * element size */
} tml_npy_t;

/* Parses an .npy image held in buf[0..len). On success npy->data points into
 * buf, which must outlive npy. Rejects big-endian, Fortran order, unknown
 * dtypes and lengths that do not match the shape, with a message in err. */
tml_status_t tml_npy_parse(const uint8_t *buf, size_t len, tml_npy_t *npy, tml_err_t *err);

/* Element size in bytes of an npy dtype string ("f4" -> 4), 0 if unknown. */
size_t tml_npy_dtype_size(const char *dtype);

/* Builds an .npy image for data with the given dtype and shape. On success
 * *out (caller frees with tml_free) holds *out_len bytes. */
tml_status_t tml_npy_build(const char *dtype, const int64_t *dims, int n_dims,
                           const void *data, size_t data_len,
                           uint8_t **out, size_t *out_len, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_NPY_H */
