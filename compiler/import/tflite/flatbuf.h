/*
 * flatbuf.h - a small, fully bounds-checked flatbuffer reader (private to the
 * TFLite importer).
 *
 * Design: nothing is trusted. Every table, vtable, field, vector and string is
 * checked against the buffer before it is read, and values are decoded from
 * little-endian bytes with byte shifts, so a hostile file can make a
 * call fail (TML_ERR_CORRUPT with the position) but never read outside
 * [buf, buf + len) or rely on host alignment. Offsets must also be aligned as
 * the format requires (relative to the start of the buffer). Table nesting is
 * bounded (FB_MAX_DEPTH), which also stops offset cycles.
 *
 * The reader keeps no state besides the buffer: tables and vectors are small
 * value types holding positions.
 */
#ifndef TML_TFLITE_FLATBUF_H
#define TML_TFLITE_FLATBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#define FB_MAX_DEPTH 32

typedef struct fb_buf {
    const uint8_t *data;
    size_t len;
    tml_err_t *err;          /* where check failures are reported; may be NULL */
} fb_buf_t;

typedef struct fb_table {
    const fb_buf_t *fb;
    size_t pos;              /* table start (its soffset to the vtable) */
    size_t vt;               /* vtable start */
    uint16_t vt_len;         /* vtable size in bytes */
    uint16_t obj_len;        /* table (inline part) size in bytes */
    int depth;               /* 0 for the root table */
} fb_table_t;

typedef struct fb_vec {
    const fb_buf_t *fb;
    size_t pos;              /* first element */
    uint32_t n;              /* element count */
    size_t elem_size;
    int depth;               /* depth of the table holding the vector */
} fb_vec_t;

/* Little-endian decoding of bytes already known to be in bounds. */
uint16_t fb_rd_u16(const uint8_t *p);
uint32_t fb_rd_u32(const uint8_t *p);
uint64_t fb_rd_u64(const uint8_t *p);

/* Opens the root table of the buffer. Needs len >= 8. */
tml_status_t fb_root(const fb_buf_t *fb, fb_table_t *root);

/* Whether field id is present in the table. */
bool fb_has(const fb_table_t *t, int id);

/* Scalar fields: *out gets the value, or def when the field is absent. */
tml_status_t fb_u8(const fb_table_t *t, int id, uint8_t def, uint8_t *out);
tml_status_t fb_i8(const fb_table_t *t, int id, int8_t def, int8_t *out);
tml_status_t fb_i32(const fb_table_t *t, int id, int32_t def, int32_t *out);
tml_status_t fb_u32(const fb_table_t *t, int id, uint32_t def, uint32_t *out);
tml_status_t fb_u64(const fb_table_t *t, int id, uint64_t def, uint64_t *out);
tml_status_t fb_f32(const fb_table_t *t, int id, float def, float *out);

/* Sub-table field: *present tells whether it exists; *sub is valid if so. */
tml_status_t fb_table(const fb_table_t *t, int id, fb_table_t *sub, bool *present);

/* Vector field of elem_size-byte scalars (or 4-byte offsets for tables and
 * strings). An absent field gives an empty vector (n = 0). */
tml_status_t fb_vector(const fb_table_t *t, int id, size_t elem_size, fb_vec_t *vec);

/* String field: *str points into the buffer (NUL-terminated there, checked),
 * *str_len its length. An absent field gives "" and 0. */
tml_status_t fb_string(const fb_table_t *t, int id, const char **str, uint32_t *str_len);

/* Element i (< vec->n, checked) of a vector of tables. */
tml_status_t fb_vec_table(const fb_vec_t *vec, uint32_t i, fb_table_t *elem);

/* Elements of scalar vectors; i must be < vec->n (callers loop to n). */
int32_t fb_vec_i32(const fb_vec_t *vec, uint32_t i);
int64_t fb_vec_i64(const fb_vec_t *vec, uint32_t i);
float fb_vec_f32(const fb_vec_t *vec, uint32_t i);
const uint8_t *fb_vec_bytes(const fb_vec_t *vec);

#endif /* TML_TFLITE_FLATBUF_H */
