/*
 * records.c - the flat record list every codec reads and writes, and the
 * value accessors that turn untyped (TLV, plain text) values into numbers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tml/lwm2m.h"

void tml_lwm2m_records_init(tml_lwm2m_records_t *r)
{
    memset(r, 0, sizeof(*r));
}

void tml_lwm2m_records_free(tml_lwm2m_records_t *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        tml_free(r->recs[i].v.bytes);
    tml_free(r->recs);
    memset(r, 0, sizeof(*r));
}

static bool type_has_bytes(tml_lwm2m_type_t t)
{
    return t == TML_LWM2M_T_STRING || t == TML_LWM2M_T_OPAQUE || t == TML_LWM2M_T_RAW;
}

tml_status_t tml_lwm2m_records_add(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *path,
                                   const tml_lwm2m_value_t *v)
{
    if (!r || !path || !v || v->type >= TML_LWM2M_T_COUNT)
        return TML_ERR_ARG;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        tml_lwm2m_record_t *grown = tml_realloc(r->recs, cap * sizeof(*grown));
        if (!grown)
            return TML_ERR_NOMEM;
        r->recs = grown;
        r->cap = cap;
    }
    tml_lwm2m_record_t *rec = &r->recs[r->n];
    rec->path = *path;
    rec->v = *v;
    rec->v.bytes = NULL;
    rec->v.len = 0;
    if (type_has_bytes(v->type)) {
        rec->v.bytes = tml_malloc(v->len + 1);
        if (!rec->v.bytes)
            return TML_ERR_NOMEM;
        if (v->len)
            memcpy(rec->v.bytes, v->bytes, v->len);
        rec->v.bytes[v->len] = 0;
        rec->v.len = v->len;
    }
    r->n++;
    return TML_OK;
}

tml_status_t tml_lwm2m_records_add_int(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p, int64_t i)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_INT, .u.i = i};
    return tml_lwm2m_records_add(r, p, &v);
}

tml_status_t tml_lwm2m_records_add_float(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p, double f)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_FLOAT, .u.f = f};
    return tml_lwm2m_records_add(r, p, &v);
}

tml_status_t tml_lwm2m_records_add_bool(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p, bool b)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_BOOL, .u.b = b};
    return tml_lwm2m_records_add(r, p, &v);
}

tml_status_t tml_lwm2m_records_add_str(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p, const char *s)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_STRING, .bytes = (uint8_t *)(uintptr_t)s,
                           .len = s ? strlen(s) : 0};
    return tml_lwm2m_records_add(r, p, &v);
}

tml_status_t tml_lwm2m_records_add_opaque(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                          const void *data, size_t len)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_OPAQUE, .bytes = (uint8_t *)(uintptr_t)data, .len = len};
    return tml_lwm2m_records_add(r, p, &v);
}

tml_status_t tml_lwm2m_records_add_objlnk(tml_lwm2m_records_t *r, const tml_lwm2m_path_t *p,
                                          uint16_t obj, uint16_t inst)
{
    tml_lwm2m_value_t v = {.type = TML_LWM2M_T_OBJLNK};
    v.u.lnk.obj = obj;
    v.u.lnk.inst = inst;
    return tml_lwm2m_records_add(r, p, &v);
}

const tml_lwm2m_record_t *tml_lwm2m_records_find(const tml_lwm2m_records_t *r,
                                                 const tml_lwm2m_path_t *path)
{
    for (size_t i = 0; r && i < r->n; i++)
        if (tml_lwm2m_path_cmp(&r->recs[i].path, path) == 0)
            return &r->recs[i];
    return NULL;
}

void tml_lwm2m_records_sort(tml_lwm2m_records_t *r)
{
    /* Insertion sort: stable, and record lists are short. */
    for (size_t i = 1; i < r->n; i++) {
        tml_lwm2m_record_t key = r->recs[i];
        size_t j = i;
        while (j > 0 && tml_lwm2m_path_cmp(&r->recs[j - 1].path, &key.path) > 0) {
            r->recs[j] = r->recs[j - 1];
            j--;
        }
        r->recs[j] = key;
    }
}

static tml_status_t parse_decimal(const uint8_t *s, size_t len, int64_t *out)
{
    if (len == 0 || len > 20)
        return TML_ERR_CORRUPT;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1)
            return TML_ERR_CORRUPT;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TML_ERR_CORRUPT;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return TML_ERR_CORRUPT;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return TML_ERR_CORRUPT;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return TML_ERR_CORRUPT;
        *out = (int64_t)v;
    }
    return TML_OK;
}

tml_status_t tml_lwm2m_value_int(const tml_lwm2m_value_t *v, int64_t *out)
{
    switch (v->type) {
    case TML_LWM2M_T_INT:
    case TML_LWM2M_T_TIME:
        *out = v->u.i;
        return TML_OK;
    case TML_LWM2M_T_UINT:
        if (v->u.u > (uint64_t)INT64_MAX)
            return TML_ERR_CORRUPT;
        *out = (int64_t)v->u.u;
        return TML_OK;
    case TML_LWM2M_T_BOOL:
        *out = v->u.b ? 1 : 0;
        return TML_OK;
    case TML_LWM2M_T_FLOAT:
        if (!(v->u.f >= -9.2e18 && v->u.f <= 9.2e18) || v->u.f != floor(v->u.f))
            return TML_ERR_CORRUPT;
        *out = (int64_t)v->u.f;
        return TML_OK;
    case TML_LWM2M_T_RAW: {
        if (v->len != 1 && v->len != 2 && v->len != 4 && v->len != 8)
            return TML_ERR_CORRUPT;
        uint64_t u = 0;
        for (size_t i = 0; i < v->len; i++)
            u = (u << 8) | v->bytes[i];
        int shift = (int)(64 - 8 * v->len);
        /* Sign-extend from the top bit of the first byte. */
        *out = shift ? (int64_t)(u << shift) >> shift : (int64_t)u;
        return TML_OK;
    }
    case TML_LWM2M_T_STRING:
        return parse_decimal(v->bytes, v->len, out);
    default:
        return TML_ERR_CORRUPT;
    }
}

tml_status_t tml_lwm2m_value_float(const tml_lwm2m_value_t *v, double *out)
{
    switch (v->type) {
    case TML_LWM2M_T_FLOAT:
        *out = v->u.f;
        return TML_OK;
    case TML_LWM2M_T_INT:
    case TML_LWM2M_T_TIME:
        *out = (double)v->u.i;
        return TML_OK;
    case TML_LWM2M_T_UINT:
        *out = (double)v->u.u;
        return TML_OK;
    case TML_LWM2M_T_RAW:
        if (v->len == 4) {
            uint32_t u = (uint32_t)v->bytes[0] << 24 | (uint32_t)v->bytes[1] << 16 |
                         (uint32_t)v->bytes[2] << 8 | v->bytes[3];
            float f;
            memcpy(&f, &u, 4);
            *out = f;
            return TML_OK;
        }
        if (v->len == 8) {
            uint64_t u = 0;
            for (int i = 0; i < 8; i++)
                u = (u << 8) | v->bytes[i];
            memcpy(out, &u, 8);
            return TML_OK;
        }
        return TML_ERR_CORRUPT;
    case TML_LWM2M_T_STRING: {
        if (v->len == 0 || v->len > 64)
            return TML_ERR_CORRUPT;
        char tmp[65];
        memcpy(tmp, v->bytes, v->len);
        tmp[v->len] = 0;
        char *end;
        double d = strtod(tmp, &end);
        if (end != tmp + v->len)
            return TML_ERR_CORRUPT;
        *out = d;
        return TML_OK;
    }
    default:
        return TML_ERR_CORRUPT;
    }
}

tml_status_t tml_lwm2m_value_bool(const tml_lwm2m_value_t *v, bool *out)
{
    switch (v->type) {
    case TML_LWM2M_T_BOOL:
        *out = v->u.b;
        return TML_OK;
    case TML_LWM2M_T_INT:
        if (v->u.i != 0 && v->u.i != 1)
            return TML_ERR_CORRUPT;
        *out = v->u.i == 1;
        return TML_OK;
    case TML_LWM2M_T_RAW:
    case TML_LWM2M_T_STRING:
        if (v->len != 1)
            return TML_ERR_CORRUPT;
        if (v->bytes[0] == 0 || v->bytes[0] == '0')
            *out = false;
        else if (v->bytes[0] == 1 || v->bytes[0] == '1')
            *out = true;
        else
            return TML_ERR_CORRUPT;
        if ((v->type == TML_LWM2M_T_RAW) != (v->bytes[0] <= 1))
            return TML_ERR_CORRUPT;
        return TML_OK;
    default:
        return TML_ERR_CORRUPT;
    }
}

tml_status_t tml_lwm2m_value_str(const tml_lwm2m_value_t *v, char *buf, size_t cap)
{
    if (!buf || cap == 0)
        return TML_ERR_ARG;
    buf[0] = 0;
    if (!type_has_bytes(v->type))
        return TML_ERR_CORRUPT;
    if (memchr(v->bytes, 0, v->len))
        return TML_ERR_CORRUPT;
    if (v->len >= cap) {
        memcpy(buf, v->bytes, cap - 1);
        buf[cap - 1] = 0;
        return TML_ERR_NOMEM;
    }
    memcpy(buf, v->bytes, v->len);
    buf[v->len] = 0;
    return TML_OK;
}
