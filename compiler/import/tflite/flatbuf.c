/*
 * flatbuf.c - the bounds-checked flatbuffer reader (see flatbuf.h).
 *
 * The format in brief: a table starts with a signed 32-bit offset back (or
 * forward) to its vtable; the vtable is a list of 16-bit words: its own size,
 * the table's inline size, then one offset per field (0 = absent) relative to
 * the table start. References to tables, vectors and strings are unsigned
 * 32-bit offsets relative to where the offset itself is stored. Vectors and
 * strings start with a 32-bit element count; strings end with a NUL byte.
 */
#include <string.h>

#include "flatbuf.h"

uint16_t fb_rd_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

uint32_t fb_rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

uint64_t fb_rd_u64(const uint8_t *p)
{
    return (uint64_t)fb_rd_u32(p) | ((uint64_t)fb_rd_u32(p + 4) << 32);
}

static tml_status_t corrupt(const fb_buf_t *fb, size_t pos, const char *what)
{
    return tml_err_set(fb->err, TML_ERR_CORRUPT, "flatbuffer: %s at byte %zu (file is %zu bytes)",
                       what, pos, fb->len);
}

/* Whether [pos, pos + n) lies inside the buffer, without overflow. */
static bool in_bounds(const fb_buf_t *fb, size_t pos, size_t n)
{
    return pos <= fb->len && n <= fb->len - pos;
}

/* Opens the table at pos (already known to be a 4-aligned in-bounds offset
 * target), checking its vtable. */
static tml_status_t open_table(const fb_buf_t *fb, size_t pos, int depth, fb_table_t *t)
{
    if (depth > FB_MAX_DEPTH)
        return corrupt(fb, pos, "tables nested too deeply (an offset cycle?)");
    if (pos % 4 != 0)
        return corrupt(fb, pos, "misaligned table");
    if (!in_bounds(fb, pos, 4))
        return corrupt(fb, pos, "table outside the buffer");
    int32_t soff = (int32_t)fb_rd_u32(fb->data + pos);
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || (uint64_t)vt > fb->len || vt % 2 != 0 || !in_bounds(fb, (size_t)vt, 4))
        return corrupt(fb, pos, "table's vtable offset out of range");
    uint16_t vt_len = fb_rd_u16(fb->data + vt);
    uint16_t obj_len = fb_rd_u16(fb->data + vt + 2);
    if (vt_len < 4 || vt_len % 2 != 0 || !in_bounds(fb, (size_t)vt, vt_len))
        return corrupt(fb, (size_t)vt, "bad vtable size");
    if (obj_len < 4 || !in_bounds(fb, pos, obj_len))
        return corrupt(fb, pos, "table runs past the end of the buffer");
    t->fb = fb;
    t->pos = pos;
    t->vt = (size_t)vt;
    t->vt_len = vt_len;
    t->obj_len = obj_len;
    t->depth = depth;
    return TML_OK;
}

tml_status_t fb_root(const fb_buf_t *fb, fb_table_t *root)
{
    if (fb->len < 8)
        return corrupt(fb, 0, "buffer too short for a root offset and identifier");
    uint32_t off = fb_rd_u32(fb->data);
    if (off >= fb->len)
        return corrupt(fb, 0, "root table offset out of range");
    return open_table(fb, off, 0, root);
}

/* Byte offset of field id within the table, 0 when absent. */
static uint16_t field_off(const fb_table_t *t, int id)
{
    size_t slot = 4 + 2 * (size_t)id;
    if (id < 0 || slot + 2 > t->vt_len)
        return 0;
    return fb_rd_u16(t->fb->data + t->vt + slot);
}

bool fb_has(const fb_table_t *t, int id) { return field_off(t, id) != 0; }

/* Absolute position of a present inline field of size bytes, checked for
 * bounds within the table and for alignment; 0 when absent. */
static tml_status_t field_pos(const fb_table_t *t, int id, size_t size, size_t *pos)
{
    uint16_t off = field_off(t, id);
    *pos = 0;
    if (!off)
        return TML_OK;
    if (off < 4 || (size_t)off + size > t->obj_len)
        return corrupt(t->fb, t->pos, "field lies outside its table");
    size_t p = t->pos + off;
    if (p % size != 0)
        return corrupt(t->fb, p, "misaligned field");
    *pos = p;
    return TML_OK;
}

tml_status_t fb_u8(const fb_table_t *t, int id, uint8_t def, uint8_t *out)
{
    size_t p;
    tml_status_t st = field_pos(t, id, 1, &p);
    if (st)
        return st;
    *out = p ? t->fb->data[p] : def;
    return TML_OK;
}

tml_status_t fb_i8(const fb_table_t *t, int id, int8_t def, int8_t *out)
{
    uint8_t u = 0;
    tml_status_t st = fb_u8(t, id, (uint8_t)def, &u);
    *out = (int8_t)u;
    return st;
}

tml_status_t fb_u32(const fb_table_t *t, int id, uint32_t def, uint32_t *out)
{
    size_t p;
    tml_status_t st = field_pos(t, id, 4, &p);
    if (st)
        return st;
    *out = p ? fb_rd_u32(t->fb->data + p) : def;
    return TML_OK;
}

tml_status_t fb_i32(const fb_table_t *t, int id, int32_t def, int32_t *out)
{
    uint32_t u = 0;
    tml_status_t st = fb_u32(t, id, (uint32_t)def, &u);
    *out = (int32_t)u;
    return st;
}

tml_status_t fb_u64(const fb_table_t *t, int id, uint64_t def, uint64_t *out)
{
    size_t p;
    tml_status_t st = field_pos(t, id, 8, &p);
    if (st)
        return st;
    *out = p ? fb_rd_u64(t->fb->data + p) : def;
    return TML_OK;
}

tml_status_t fb_f32(const fb_table_t *t, int id, float def, float *out)
{
    uint32_t bits;
    memcpy(&bits, &def, 4);
    tml_status_t st = fb_u32(t, id, bits, &bits);
    memcpy(out, &bits, 4);
    return st;
}

/* Follows the uoffset stored in field id; *target is 0 when absent. */
static tml_status_t follow(const fb_table_t *t, int id, size_t *target)
{
    size_t p;
    tml_status_t st = field_pos(t, id, 4, &p);
    *target = 0;
    if (st || !p)
        return st;
    uint32_t off = fb_rd_u32(t->fb->data + p);
    if (off == 0 || off >= t->fb->len - p)
        return corrupt(t->fb, p, "reference offset out of range");
    *target = p + off;
    return TML_OK;
}

tml_status_t fb_table(const fb_table_t *t, int id, fb_table_t *sub, bool *present)
{
    size_t target;
    *present = false;
    tml_status_t st = follow(t, id, &target);
    if (st || !target)
        return st;
    st = open_table(t->fb, target, t->depth + 1, sub);
    if (st == TML_OK)
        *present = true;
    return st;
}

/* Checks the vector header at target and the extent of its elements. */
static tml_status_t open_vector(const fb_buf_t *fb, size_t target, size_t elem_size, int depth,
                                fb_vec_t *vec)
{
    if (target % 4 != 0)
        return corrupt(fb, target, "misaligned vector");
    if (!in_bounds(fb, target, 4))
        return corrupt(fb, target, "vector length outside the buffer");
    uint32_t n = fb_rd_u32(fb->data + target);
    size_t first = target + 4;
    if ((uint64_t)n * elem_size > fb->len - first)
        return corrupt(fb, target, "vector runs past the end of the buffer");
    if (elem_size > 1 && elem_size <= 8 && first % elem_size != 0)
        return corrupt(fb, target, "misaligned vector elements");
    vec->fb = fb;
    vec->pos = first;
    vec->n = n;
    vec->elem_size = elem_size;
    vec->depth = depth;
    return TML_OK;
}

tml_status_t fb_vector(const fb_table_t *t, int id, size_t elem_size, fb_vec_t *vec)
{
    size_t target;
    memset(vec, 0, sizeof(*vec));
    vec->fb = t->fb;
    vec->elem_size = elem_size;
    vec->depth = t->depth;
    tml_status_t st = follow(t, id, &target);
    if (st || !target)
        return st;
    return open_vector(t->fb, target, elem_size, t->depth, vec);
}

tml_status_t fb_string(const fb_table_t *t, int id, const char **str, uint32_t *str_len)
{
    fb_vec_t vec;
    *str = "";
    *str_len = 0;
    tml_status_t st = fb_vector(t, id, 1, &vec);
    if (st || !vec.pos)
        return st;
    if (vec.n >= t->fb->len - vec.pos || t->fb->data[vec.pos + vec.n] != 0)
        return corrupt(t->fb, vec.pos, "string without its NUL terminator");
    *str = (const char *)t->fb->data + vec.pos;
    *str_len = vec.n;
    return TML_OK;
}

tml_status_t fb_vec_table(const fb_vec_t *vec, uint32_t i, fb_table_t *elem)
{
    if (i >= vec->n || vec->elem_size != 4)
        return tml_err_set(vec->fb->err, TML_ERR_INTERNAL, "flatbuffer: bad vector access");
    size_t p = vec->pos + 4 * (size_t)i;
    uint32_t off = fb_rd_u32(vec->fb->data + p);
    if (off == 0 || off >= vec->fb->len - p)
        return corrupt(vec->fb, p, "vector element offset out of range");
    return open_table(vec->fb, p + off, vec->depth + 1, elem);
}

/* The scalar accessors return 0 for an index or element size the vector was
 * not opened with, so a caller's slip cannot turn into an out-of-bounds read. */
static bool elem_ok(const fb_vec_t *vec, uint32_t i, size_t size)
{
    return i < vec->n && vec->elem_size == size;
}

int32_t fb_vec_i32(const fb_vec_t *vec, uint32_t i)
{
    if (!elem_ok(vec, i, 4))
        return 0;
    return (int32_t)fb_rd_u32(vec->fb->data + vec->pos + 4 * (size_t)i);
}

int64_t fb_vec_i64(const fb_vec_t *vec, uint32_t i)
{
    if (!elem_ok(vec, i, 8))
        return 0;
    return (int64_t)fb_rd_u64(vec->fb->data + vec->pos + 8 * (size_t)i);
}

float fb_vec_f32(const fb_vec_t *vec, uint32_t i)
{
    if (!elem_ok(vec, i, 4))
        return 0.0f;
    uint32_t bits = fb_rd_u32(vec->fb->data + vec->pos + 4 * (size_t)i);
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

const uint8_t *fb_vec_bytes(const fb_vec_t *vec) { return vec->fb->data + vec->pos; }
