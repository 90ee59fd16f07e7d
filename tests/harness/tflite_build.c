/*
 * tflite_build.c - see tflite_build.h.
 *
 * The writer appends objects front to back: a table is written with zeroed
 * slots for its references, and each referenced object is appended later and
 * its slot patched with the (always forward) distance. Every vtable is placed
 * just before its table. Alignment is relative to the buffer start, which is
 * what the reader checks.
 */
#include <string.h>

#include "tflite_build.h"
#include "tml/core.h"

typedef struct writer {
    uint8_t *buf;
    size_t len, cap;
    bool oom;
} writer_t;

typedef struct field {
    int id;
    int size;        /* 1, 4 or 8; references are 4 */
    uint64_t value;
    bool is_ref;     /* the slot is patched later */
} field_t;

#define MAX_FIELDS 16

uint32_t tfb_f32(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, 4);
    return bits;
}

/* Pads to align, appends n zero bytes, returns where they start. */
static size_t reserve(writer_t *w, size_t n, size_t align)
{
    size_t pos = (w->len + align - 1) / align * align;
    if (pos + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < pos + n)
            cap *= 2;
        uint8_t *bigger = tml_realloc(w->buf, cap);
        if (!bigger) {
            w->oom = true;
            return 0;
        }
        memset(bigger + w->cap, 0, cap - w->cap);
        w->buf = bigger;
        w->cap = cap;
    }
    w->len = pos + n;
    return pos;
}

static void put(writer_t *w, size_t pos, uint64_t v, int size)
{
    if (w->oom)
        return;
    for (int i = 0; i < size; i++)
        w->buf[pos + (size_t)i] = (uint8_t)(v >> (8 * i));
}

static void patch(writer_t *w, size_t slot, size_t target)
{
    put(w, slot, (uint64_t)(target - slot), 4);
}

/* Writes a table of n fields; slots[i] receives the position of field i. */
static size_t table(writer_t *w, const field_t *f, int n, size_t *slots)
{
    int max_id = -1;
    for (int i = 0; i < n; i++)
        if (f[i].id > max_id)
            max_id = f[i].id;
    size_t vt_len = 4 + 2 * (size_t)(max_id + 1);
    /* Inline layout: soffset, then each field aligned to its size. */
    size_t offs[MAX_FIELDS];
    size_t obj_len = 4;
    for (int i = 0; i < n; i++) {
        obj_len = (obj_len + (size_t)f[i].size - 1) / (size_t)f[i].size * (size_t)f[i].size;
        offs[i] = obj_len;
        obj_len += (size_t)f[i].size;
    }
    size_t vt = reserve(w, vt_len, 2);
    size_t pos = reserve(w, obj_len, 8);
    if (w->oom)
        return 0;
    put(w, vt, vt_len, 2);
    put(w, vt + 2, obj_len, 2);
    for (int i = 0; i < n; i++)
        put(w, vt + 4 + 2 * (size_t)f[i].id, offs[i], 2);
    put(w, pos, (uint64_t)(pos - vt), 4);
    for (int i = 0; i < n; i++) {
        if (!f[i].is_ref)
            put(w, pos + offs[i], f[i].value, f[i].size);
        if (slots)
            slots[i] = pos + offs[i];
    }
    return pos;
}

/* Writes a vector of n elem-sized items whose data starts data_align-aligned. */
static size_t vector(writer_t *w, const void *data, size_t n, size_t elem, size_t data_align)
{
    if (data_align < 4)
        data_align = 4;
    /* Skip ahead so that the data after the 4-byte length is aligned. */
    size_t pos = (w->len + 3) / 4 * 4;
    while ((pos + 4) % data_align != 0)
        pos += 4;
    reserve(w, pos - w->len, 1);
    pos = reserve(w, 4 + n * elem, 4);
    if (w->oom)
        return 0;
    put(w, pos, n, 4);
    if (n)
        memcpy(w->buf + pos + 4, data, n * elem);
    return pos;
}

static size_t string(writer_t *w, const char *s)
{
    size_t pos = vector(w, s, strlen(s), 1, 4);
    reserve(w, 1, 1); /* the NUL (zeroed) */
    return pos;
}

static size_t vec_i32(writer_t *w, const int32_t *v, int n)
{
    uint8_t bytes[4 * 64];
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 4; b++)
            bytes[4 * i + b] = (uint8_t)((uint32_t)v[i] >> (8 * b));
    return vector(w, bytes, (size_t)n, 4, 4);
}

/* A vector of n table references; slots receive each reference's position. */
static size_t vec_refs(writer_t *w, int n, size_t *slots)
{
    size_t pos = reserve(w, 4 + 4 * (size_t)n, 4);
    put(w, pos, (uint64_t)n, 4);
    for (int i = 0; i < n; i++)
        slots[i] = pos + 4 + 4 * (size_t)i;
    return pos;
}

static void write_quant(writer_t *w, size_t slot, const tfb_tensor_t *t)
{
    field_t f[3] = {
        {2, 4, 0, true}, {3, 4, 0, true}, {6, 4, (uint32_t)t->quant_dim, false},
    };
    size_t s[3];
    size_t pos = table(w, f, 3, s);
    patch(w, slot, pos);
    uint8_t bytes[8 * 64];
    int n = t->n_quant > 64 ? 64 : t->n_quant;
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 4; b++)
            bytes[4 * i + b] = (uint8_t)(tfb_f32(t->scale[i]) >> (8 * b));
    patch(w, s[0], vector(w, bytes, (size_t)n, 4, 4));
    for (int i = 0; i < n; i++)
        for (int b = 0; b < 8; b++)
            bytes[8 * i + b] = (uint8_t)((uint64_t)t->zero_point[i] >> (8 * b));
    patch(w, s[1], vector(w, bytes, (size_t)n, 8, 8));
}

static void write_tensor(writer_t *w, size_t slot, const tfb_tensor_t *t, uint32_t buffer)
{
    field_t f[6] = {
        {0, 4, 0, true}, {1, 1, (uint8_t)t->type, false}, {2, 4, buffer, false},
        {3, 4, 0, true}, {5, 1, t->is_variable, false}, {4, 4, 0, true},
    };
    size_t s[6];
    size_t pos = table(w, f, t->n_quant ? 6 : 5, s);
    patch(w, slot, pos);
    patch(w, s[0], vec_i32(w, t->dims, t->n_dims));
    patch(w, s[3], string(w, t->name ? t->name : ""));
    if (t->n_quant)
        write_quant(w, s[5], t);
}

static void write_op(writer_t *w, size_t slot, const tfb_op_t *op, uint32_t opcode_index)
{
    field_t f[5] = {
        {0, 4, opcode_index, false}, {1, 4, 0, true}, {2, 4, 0, true},
        {3, 1, op->opts_type, false}, {4, 4, 0, true},
    };
    size_t s[5];
    size_t pos = table(w, f, op->opts_type ? 5 : 3, s);
    patch(w, slot, pos);
    patch(w, s[1], vec_i32(w, op->in, op->n_in));
    patch(w, s[2], vec_i32(w, op->out, op->n_out));
    if (op->opts_type) {
        field_t of[TFB_MAX_OPTS];
        for (int i = 0; i < op->n_opts; i++)
            of[i] = (field_t){op->opts[i].id, op->opts[i].size, op->opts[i].value, false};
        patch(w, s[4], table(w, of, op->n_opts, NULL));
    }
}

static void write_opcode(writer_t *w, size_t slot, const tfb_op_t *op, bool deprecated_only)
{
    int32_t dep = op->code < 127 ? op->code : 127;
    field_t f[4];
    int n = 0;
    f[n++] = (field_t){0, 1, (uint8_t)dep, false};
    if (!deprecated_only)
        f[n++] = (field_t){3, 4, (uint32_t)op->code, false};
    if (op->version)
        f[n++] = (field_t){2, 4, (uint32_t)op->version, false};
    if (op->custom_code)
        f[n++] = (field_t){1, 4, 0, true};
    size_t s[4];
    patch(w, slot, table(w, f, n, s));
    if (op->custom_code)
        patch(w, s[n - 1], string(w, op->custom_code));
}

tml_status_t tfb_build(const tfb_model_t *m, uint8_t **out, size_t *out_len)
{
    writer_t w = {0};
    size_t root_slot = reserve(&w, 8, 4);
    if (!w.oom)
        memcpy(w.buf + root_slot + 4, "TFL3", 4);
    field_t mf[4] = {{0, 4, 3, false}, {1, 4, 0, true}, {2, 4, 0, true}, {4, 4, 0, true}};
    size_t ms[4];
    patch(&w, root_slot, table(&w, mf, 4, ms));

    size_t slots[TFB_MAX_IO * 4 + 64];
    /* Operator codes: one per operator. */
    patch(&w, ms[1], vec_refs(&w, m->n_ops, slots));
    size_t code_slots[64];
    memcpy(code_slots, slots, sizeof(size_t) * (size_t)m->n_ops);
    for (int i = 0; i < m->n_ops; i++)
        write_opcode(&w, code_slots[i], &m->ops[i], m->deprecated_codes_only);

    /* Buffers: 0 is the empty sentinel, then one per constant tensor. */
    uint32_t buffer_of[64];
    int n_buffers = 1;
    for (int i = 0; i < m->n_tensors; i++)
        buffer_of[i] = m->tensors[i].data ? (uint32_t)n_buffers++ : 0;

    /* The subgraph. */
    size_t sg_slot[1];
    patch(&w, ms[2], vec_refs(&w, 1, sg_slot));
    field_t sf[5] = {{0, 4, 0, true}, {1, 4, 0, true}, {2, 4, 0, true}, {3, 4, 0, true},
                     {4, 4, 0, true}};
    size_t ss[5];
    patch(&w, sg_slot[0], table(&w, sf, 5, ss));
    size_t t_slots[64];
    patch(&w, ss[0], vec_refs(&w, m->n_tensors, t_slots));
    for (int i = 0; i < m->n_tensors; i++)
        write_tensor(&w, t_slots[i], &m->tensors[i], buffer_of[i]);
    patch(&w, ss[1], vec_i32(&w, m->inputs, m->n_inputs));
    patch(&w, ss[2], vec_i32(&w, m->outputs, m->n_outputs));
    size_t op_slots[64];
    patch(&w, ss[3], vec_refs(&w, m->n_ops, op_slots));
    for (int i = 0; i < m->n_ops; i++)
        write_op(&w, op_slots[i], &m->ops[i], (uint32_t)i);
    patch(&w, ss[4], string(&w, "main"));

    /* Buffer tables last, so external data can follow the flatbuffer. */
    size_t b_slots[64];
    patch(&w, ms[3], vec_refs(&w, n_buffers, b_slots));
    patch(&w, b_slots[0], table(&w, NULL, 0, NULL));
    size_t ext_slots[64][2];
    for (int i = 0; i < m->n_tensors; i++) {
        const tfb_tensor_t *t = &m->tensors[i];
        if (!t->data)
            continue;
        uint32_t b = buffer_of[i];
        if (m->external_buffers) {
            field_t bf[2] = {{1, 8, 0, false}, {2, 8, t->data_len, false}};
            patch(&w, b_slots[b], table(&w, bf, 2, ext_slots[b]));
        } else {
            field_t bf[1] = {{0, 4, 0, true}};
            size_t bs[1];
            patch(&w, b_slots[b], table(&w, bf, 1, bs));
            patch(&w, bs[0], vector(&w, t->data, t->data_len, 1, 16));
        }
    }
    if (m->external_buffers) {
        for (int i = 0; i < m->n_tensors; i++) {
            const tfb_tensor_t *t = &m->tensors[i];
            if (!t->data)
                continue;
            size_t pos = reserve(&w, t->data_len, 16);
            if (!w.oom)
                memcpy(w.buf + pos, t->data, t->data_len);
            put(&w, ext_slots[buffer_of[i]][0], pos, 8);
        }
    }
    if (w.oom) {
        tml_free(w.buf);
        return TML_ERR_NOMEM;
    }
    *out = w.buf;
    *out_len = w.len;
    return TML_OK;
}
