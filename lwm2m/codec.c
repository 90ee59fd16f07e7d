/*
 * codec.c - content-format dispatch, plain text (0), opaque (42) and base64.
 *
 * Plain text and opaque carry one value, so they only apply to a single
 * resource or resource instance; plain text of a number is its shortest
 * decimal form that reads back to the same value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tml/lwm2m.h"

tml_status_t tml_lwm2m_text_encode(const tml_lwm2m_value_t *v, uint8_t **out, size_t *out_len,
                                   tml_err_t *err)
{
    tml_buf_t b;
    tml_buf_init(&b);
    switch (v->type) {
    case TML_LWM2M_T_STRING:
        tml_buf_append(&b, v->bytes, v->len);
        break;
    case TML_LWM2M_T_INT:
    case TML_LWM2M_T_TIME:
        tml_buf_printf(&b, "%lld", (long long)v->u.i);
        break;
    case TML_LWM2M_T_UINT:
        tml_buf_printf(&b, "%llu", (unsigned long long)v->u.u);
        break;
    case TML_LWM2M_T_FLOAT: {
        if (!isfinite(v->u.f))
            return tml_err_set(err, TML_ERR_UNSUPPORTED, "text: no form for NaN or infinity");
        char tmp[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, v->u.f);
            if (strtod(tmp, NULL) == v->u.f)
                break;
        }
        tml_buf_append(&b, tmp, strlen(tmp));
        break;
    }
    case TML_LWM2M_T_BOOL:
        tml_buf_putc(&b, v->u.b ? '1' : '0');
        break;
    case TML_LWM2M_T_OBJLNK:
        tml_buf_printf(&b, "%u:%u", v->u.lnk.obj, v->u.lnk.inst);
        break;
    default:
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "text: opaque values need content format 42");
    }
    return (tml_status_t)tml_buf_take(&b, out, out_len);
}

static tml_status_t single(const tml_lwm2m_path_t *base, const tml_lwm2m_records_t *recs,
                           const char *fmt, tml_err_t *err)
{
    if (base->len < 3)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: only for a single resource", fmt);
    if (recs->n != 1 || tml_lwm2m_path_cmp(&recs->recs[0].path, base) != 0)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: needs exactly one value at the path", fmt);
    return TML_OK;
}

tml_status_t tml_lwm2m_encode(uint16_t fmt, const tml_lwm2m_path_t *base,
                              const tml_lwm2m_records_t *recs, uint8_t **out, size_t *out_len,
                              tml_err_t *err)
{
    if (!base || !recs || !out || !out_len)
        return tml_err_set(err, TML_ERR_ARG, "encode: NULL argument");
    tml_status_t st;
    switch (fmt) {
    case TML_LWM2M_CF_TLV:
        return tml_lwm2m_tlv_encode(base, recs, out, out_len, err);
    case TML_LWM2M_CF_SENML_JSON:
        return tml_lwm2m_senml_encode(base, recs, out, out_len, err);
    case TML_LWM2M_CF_TEXT:
        if ((st = single(base, recs, "text", err)) != TML_OK)
            return st;
        return tml_lwm2m_text_encode(&recs->recs[0].v, out, out_len, err);
    case TML_LWM2M_CF_OPAQUE: {
        if ((st = single(base, recs, "opaque", err)) != TML_OK)
            return st;
        const tml_lwm2m_value_t *v = &recs->recs[0].v;
        if (v->type != TML_LWM2M_T_OPAQUE && v->type != TML_LWM2M_T_RAW)
            return tml_err_set(err, TML_ERR_UNSUPPORTED, "opaque: the resource is not opaque");
        tml_buf_t b;
        tml_buf_init(&b);
        tml_buf_append(&b, v->bytes, v->len);
        return (tml_status_t)tml_buf_take(&b, out, out_len);
    }
    default:
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "content format %u is not supported", fmt);
    }
}

tml_status_t tml_lwm2m_decode(uint16_t fmt, const tml_lwm2m_path_t *base, const uint8_t *data,
                              size_t len, tml_lwm2m_records_t *out, tml_err_t *err)
{
    if (!base || (!data && len) || !out)
        return tml_err_set(err, TML_ERR_ARG, "decode: NULL argument");
    switch (fmt) {
    case TML_LWM2M_CF_TLV:
        return tml_lwm2m_tlv_decode(base, data, len, out, err);
    case TML_LWM2M_CF_SENML_JSON:
        return tml_lwm2m_senml_decode(base, data, len, out, err);
    case TML_LWM2M_CF_TEXT:
    case TML_LWM2M_CF_OPAQUE: {
        if (base->len < 3)
            return tml_err_set(err, TML_ERR_CORRUPT, "%s payload for %s: only for a single resource",
                               fmt ? "opaque" : "text", base->len ? "an object or instance" : "the root");
        tml_lwm2m_value_t v = {.type = fmt == TML_LWM2M_CF_TEXT ? TML_LWM2M_T_STRING : TML_LWM2M_T_OPAQUE,
                               .bytes = (uint8_t *)(uintptr_t)data, .len = len};
        if (fmt == TML_LWM2M_CF_TEXT && len && memchr(data, 0, len))
            return tml_err_set(err, TML_ERR_CORRUPT, "text payload holds a NUL byte");
        tml_status_t st = tml_lwm2m_records_add(out, base, &v);
        return st == TML_OK ? st : tml_err_set(err, st, "decode: out of memory");
    }
    default:
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "content format %u is not supported", fmt);
    }
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t tml_base64_encode(const uint8_t *data, size_t len, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < len)
            v |= data[i + 2];
        out[o++] = b64url[v >> 18 & 63];
        out[o++] = b64url[v >> 12 & 63];
        if (i + 1 < len)
            out[o++] = b64url[v >> 6 & 63];
        if (i + 2 < len)
            out[o++] = b64url[v & 63];
    }
    out[o] = 0;
    return o;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

tml_status_t tml_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    while (len && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return TML_ERR_CORRUPT;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(s[i]);
        if (v < 0)
            return TML_ERR_CORRUPT;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o >= cap)
                return TML_ERR_NOMEM;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (acc & ((1u << bits) - 1)) /* non-zero leftover bits: not canonical */
        return TML_ERR_CORRUPT;
    *out_len = o;
    return TML_OK;
}
