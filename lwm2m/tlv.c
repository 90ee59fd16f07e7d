/*
 * tlv.c - the OMA-TLV content format (11542).
 *
 * Each TLV is a type byte (bits 7-6: object instance, resource instance,
 * multiple resource, resource with value; bit 5: 16-bit id; bits 4-3: width
 * of the length field, or 0 with the length in bits 2-0), the id, the length
 * and the value. Instances and multiple resources nest their children. The
 * encoder groups a sorted copy of the records by the id at each level; the
 * decoder walks the tree with the nesting rules enforced and every length
 * checked against its parent's remaining bytes.
 */
#include <math.h>
#include <string.h>

#include "buf.h"
#include "tml/lwm2m.h"

enum { TLV_OBJ_INST = 0, TLV_RES_INST = 1, TLV_MULTI_RES = 2, TLV_RES = 3 };

static void put_header(tml_buf_t *b, int kind, uint16_t id, size_t len)
{
    uint8_t h = (uint8_t)(kind << 6);
    uint8_t hdr[6];
    size_t n = 1;
    if (id > 255) {
        h |= 0x20;
        hdr[n++] = (uint8_t)(id >> 8);
    }
    hdr[n++] = (uint8_t)id;
    if (len < 8) {
        h |= (uint8_t)len;
    } else if (len < 0x100) {
        h |= 0x08;
        hdr[n++] = (uint8_t)len;
    } else if (len < 0x10000) {
        h |= 0x10;
        hdr[n++] = (uint8_t)(len >> 8);
        hdr[n++] = (uint8_t)len;
    } else {
        h |= 0x18;
        hdr[n++] = (uint8_t)(len >> 16);
        hdr[n++] = (uint8_t)(len >> 8);
        hdr[n++] = (uint8_t)len;
    }
    hdr[0] = h;
    tml_buf_append(b, hdr, n);
}

/* Value bytes of one record into tmp (up to 8 bytes) or points at its bytes. */
static tml_status_t value_bytes(const tml_lwm2m_value_t *v, uint8_t tmp[8], const uint8_t **data,
                                size_t *len)
{
    switch (v->type) {
    case TML_LWM2M_T_INT:
    case TML_LWM2M_T_TIME:
    case TML_LWM2M_T_UINT: {
        int64_t i = v->type == TML_LWM2M_T_UINT ? (int64_t)v->u.u : v->u.i;
        if (v->type == TML_LWM2M_T_UINT && v->u.u > (uint64_t)INT64_MAX)
            return TML_ERR_UNSUPPORTED;
        size_t n = (i >= INT8_MIN && i <= INT8_MAX) ? 1 : (i >= INT16_MIN && i <= INT16_MAX) ? 2
                   : (i >= INT32_MIN && i <= INT32_MAX) ? 4 : 8;
        uint64_t u = (uint64_t)i;
        for (size_t k = 0; k < n; k++)
            tmp[k] = (uint8_t)(u >> (8 * (n - 1 - k)));
        *data = tmp;
        *len = n;
        return TML_OK;
    }
    case TML_LWM2M_T_FLOAT: {
        float f = (float)v->u.f;
        if ((double)f == v->u.f || isnan(v->u.f)) {
            uint32_t u;
            memcpy(&u, &f, 4);
            for (int k = 0; k < 4; k++)
                tmp[k] = (uint8_t)(u >> (8 * (3 - k)));
            *len = 4;
        } else {
            uint64_t u;
            memcpy(&u, &v->u.f, 8);
            for (int k = 0; k < 8; k++)
                tmp[k] = (uint8_t)(u >> (8 * (7 - k)));
            *len = 8;
        }
        *data = tmp;
        return TML_OK;
    }
    case TML_LWM2M_T_BOOL:
        tmp[0] = v->u.b ? 1 : 0;
        *data = tmp;
        *len = 1;
        return TML_OK;
    case TML_LWM2M_T_OBJLNK:
        tmp[0] = (uint8_t)(v->u.lnk.obj >> 8);
        tmp[1] = (uint8_t)v->u.lnk.obj;
        tmp[2] = (uint8_t)(v->u.lnk.inst >> 8);
        tmp[3] = (uint8_t)v->u.lnk.inst;
        *data = tmp;
        *len = 4;
        return TML_OK;
    case TML_LWM2M_T_STRING:
    case TML_LWM2M_T_OPAQUE:
    case TML_LWM2M_T_RAW:
        *data = v->bytes;
        *len = v->len;
        return TML_OK;
    default:
        return TML_ERR_UNSUPPORTED;
    }
}

/* Encodes recs[i0, i1) (sorted, all sharing ids [0, depth)) grouped by
 * id[depth]. */
static tml_status_t encode_level(tml_buf_t *b, const tml_lwm2m_record_t *recs, size_t i0, size_t i1,
                                 int depth, tml_err_t *err)
{
    size_t i = i0;
    while (i < i1) {
        uint16_t id = recs[i].path.id[depth];
        size_t j = i;
        while (j < i1 && recs[j].path.id[depth] == id)
            j++;
        if (depth == 3 || (depth == 2 && j - i == 1 && recs[i].path.len == 3)) {
            if (j - i != 1 || recs[i].path.len != depth + 1) {
                return tml_err_set(err, TML_ERR_ARG, "tlv: records at one path clash");
            }
            uint8_t tmp[8];
            const uint8_t *data;
            size_t len;
            if (value_bytes(&recs[i].v, tmp, &data, &len) != TML_OK)
                return tml_err_set(err, TML_ERR_UNSUPPORTED, "tlv: record without a value");
            put_header(b, depth == 3 ? TLV_RES_INST : TLV_RES, id, len);
            tml_buf_append(b, data, len);
        } else {
            for (size_t k = i; k < j; k++)
                if (recs[k].path.len <= depth + 1)
                    return tml_err_set(err, TML_ERR_ARG, "tlv: a value and children at one path");
            tml_buf_t child;
            tml_buf_init(&child);
            tml_status_t st = encode_level(&child, recs, i, j, depth + 1, err);
            if (st == TML_OK && child.failed)
                st = TML_ERR_NOMEM;
            if (st == TML_OK) {
                put_header(b, depth == 1 ? TLV_OBJ_INST : TLV_MULTI_RES, id, child.len);
                tml_buf_append(b, child.data, child.len);
            }
            tml_buf_free(&child);
            if (st != TML_OK)
                return st;
        }
        i = j;
    }
    return TML_OK;
}

tml_status_t tml_lwm2m_tlv_encode(const tml_lwm2m_path_t *base, const tml_lwm2m_records_t *recs,
                                  uint8_t **out, size_t *out_len, tml_err_t *err)
{
    if (!base || !recs || !out || !out_len)
        return tml_err_set(err, TML_ERR_ARG, "tlv: NULL argument");
    if (base->len == 0)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "tlv: cannot encode the root");
    tml_lwm2m_records_t sorted = {0};
    if (recs->n) {
        sorted.recs = tml_malloc(recs->n * sizeof(*sorted.recs));
        if (!sorted.recs)
            return TML_ERR_NOMEM;
        memcpy(sorted.recs, recs->recs, recs->n * sizeof(*sorted.recs));
        sorted.n = sorted.cap = recs->n;
    }
    tml_status_t st = TML_OK;
    for (size_t i = 0; i < sorted.n; i++) {
        const tml_lwm2m_path_t *p = &sorted.recs[i].path;
        if (!tml_lwm2m_path_has_prefix(p, base) || p->len < 3 || p->len < base->len) {
            char s[32];
            tml_lwm2m_path_format(p, s, sizeof(s));
            st = tml_err_set(err, TML_ERR_ARG, "tlv: record %s is not a resource under the base", s);
            break;
        }
    }
    tml_buf_t b;
    tml_buf_init(&b);
    if (st == TML_OK) {
        tml_lwm2m_records_sort(&sorted);
        int depth = base->len >= 3 ? base->len - 1 : base->len;
        st = encode_level(&b, sorted.recs, 0, sorted.n, depth, err);
    }
    tml_free(sorted.recs); /* shallow copy: the bytes belong to recs */
    if (st != TML_OK) {
        tml_buf_free(&b);
        return st;
    }
    return (tml_status_t)tml_buf_take(&b, out, out_len);
}

/* Decodes the TLVs in [data, data + len) whose parent is at path parent
 * (depth parent->len); allowed is the mask of kinds valid here. */
static tml_status_t decode_level(const uint8_t *data, size_t len, const tml_lwm2m_path_t *parent,
                                 unsigned allowed, tml_lwm2m_records_t *out, tml_err_t *err)
{
    size_t off = 0;
    while (off < len) {
        size_t start = off;
        uint8_t h = data[off++];
        int kind = h >> 6;
        size_t id_len = (h & 0x20) ? 2 : 1;
        size_t len_len = (h >> 3) & 3;
        if (len - off < id_len + len_len)
            return tml_err_set(err, TML_ERR_CORRUPT, "tlv at byte %zu: header truncated", start);
        uint16_t id = data[off];
        if (id_len == 2)
            id = (uint16_t)(id << 8 | data[off + 1]);
        off += id_len;
        size_t vlen = 0;
        if (len_len == 0) {
            vlen = h & 7;
        } else {
            for (size_t k = 0; k < len_len; k++)
                vlen = vlen << 8 | data[off + k];
            off += len_len;
        }
        if (vlen > len - off)
            return tml_err_set(err, TML_ERR_CORRUPT,
                               "tlv at byte %zu: length %zu exceeds the %zu bytes left", start, vlen,
                               len - off);
        if (!(allowed & (1u << kind)))
            return tml_err_set(err, TML_ERR_CORRUPT, "tlv at byte %zu: %s not allowed here", start,
                               kind == TLV_OBJ_INST ? "object instance"
                               : kind == TLV_RES_INST ? "resource instance"
                               : kind == TLV_MULTI_RES ? "multiple resource" : "resource");
        if (id > TML_LWM2M_ID_MAX)
            return tml_err_set(err, TML_ERR_CORRUPT, "tlv at byte %zu: id 65535 is reserved", start);
        tml_lwm2m_path_t p = *parent;
        p.id[p.len++] = id;
        tml_status_t st;
        if (kind == TLV_OBJ_INST) {
            st = decode_level(data + off, vlen, &p, 1u << TLV_RES | 1u << TLV_MULTI_RES, out, err);
        } else if (kind == TLV_MULTI_RES) {
            st = decode_level(data + off, vlen, &p, 1u << TLV_RES_INST, out, err);
        } else {
            tml_lwm2m_value_t v = {.type = TML_LWM2M_T_RAW, .bytes = (uint8_t *)(uintptr_t)(data + off),
                                   .len = vlen};
            st = tml_lwm2m_records_add(out, &p, &v);
            if (st != TML_OK)
                tml_err_set(err, st, "tlv: out of memory");
        }
        if (st != TML_OK)
            return st;
        off += vlen;
    }
    return TML_OK;
}

tml_status_t tml_lwm2m_tlv_decode(const tml_lwm2m_path_t *base, const uint8_t *data, size_t len,
                                  tml_lwm2m_records_t *out, tml_err_t *err)
{
    if (!base || (!data && len) || !out)
        return tml_err_set(err, TML_ERR_ARG, "tlv: NULL argument");
    if (base->len == 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "tlv: a payload needs at least an object path");
    size_t n0 = out->n;
    tml_lwm2m_path_t parent = *base;
    unsigned allowed;
    /* What may stand at the top depends on the request's path. A resource
     * at /o/i/r may come as that resource or as one of its instances. */
    if (base->len == 1) {
        allowed = 1u << TLV_OBJ_INST;
    } else if (base->len == 2) {
        allowed = 1u << TLV_RES | 1u << TLV_MULTI_RES;
    } else if (base->len == 3) {
        parent.len = 2;
        allowed = 1u << TLV_RES | 1u << TLV_MULTI_RES;
    } else {
        parent.len = 3;
        allowed = 1u << TLV_RES_INST;
    }
    tml_status_t st = decode_level(data, len, &parent, allowed, out, err);
    if (st == TML_OK) {
        for (size_t i = n0; i < out->n; i++) {
            if (!tml_lwm2m_path_has_prefix(&out->recs[i].path, base)) {
                st = tml_err_set(err, TML_ERR_CORRUPT, "tlv: id %u does not match the request path",
                                 out->recs[i].path.id[base->len - 1]);
                break;
            }
        }
    }
    if (st != TML_OK) {
        for (size_t i = n0; i < out->n; i++)
            tml_free(out->recs[i].v.bytes);
        out->n = n0;
    }
    return st;
}
