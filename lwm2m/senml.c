/*
 * senml.c - the SenML-JSON content format (110) as LwM2M 1.1 uses it: an
 * array of records with a sticky base name "bn", a name "n" (their
 * concatenation is the path) and one of "v" (number), "vs" (string), "vb"
 * (boolean), "vd" (opaque, base64) or "vlo" (object link "3:0").
 *
 * The decoder is a small bounded JSON reader that understands exactly what
 * SenML needs, skips fields it does not know (nesting bounded), and rejects
 * anything that is not JSON. Strings are unescaped (\uXXXX to UTF-8).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tml/lwm2m.h"

#define SENML_MAX_DEPTH 8
#define SENML_MAX_STR 65536

/* ---- Encoder ----------------------------------------------------------- */

static void put_json_string(tml_buf_t *b, const uint8_t *s, size_t len)
{
    tml_buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            tml_buf_putc(b, '\\');
            tml_buf_putc(b, c);
        } else if (c < 0x20) {
            tml_buf_printf(b, "\\u%04x", c);
        } else {
            tml_buf_putc(b, c);
        }
    }
    tml_buf_putc(b, '"');
}

tml_status_t tml_lwm2m_senml_encode(const tml_lwm2m_path_t *base,
                                    const tml_lwm2m_records_t *recs, uint8_t **out,
                                    size_t *out_len, tml_err_t *err)
{
    if (!base || !recs || !out || !out_len)
        return tml_err_set(err, TML_ERR_ARG, "senml: NULL argument");
    bool all_at_base = true;
    for (size_t i = 0; i < recs->n; i++) {
        if (!tml_lwm2m_path_has_prefix(&recs->recs[i].path, base))
            return tml_err_set(err, TML_ERR_ARG, "senml: a record is not under the base path");
        if (recs->recs[i].path.len != base->len)
            all_at_base = false;
    }
    tml_buf_t b;
    tml_buf_init(&b);
    char bn[32];
    tml_lwm2m_path_format(base, bn, sizeof(bn));
    tml_buf_putc(&b, '[');
    for (size_t i = 0; i < recs->n; i++) {
        const tml_lwm2m_record_t *r = &recs->recs[i];
        tml_buf_putc(&b, '{');
        bool comma = false;
        if (i == 0) {
            if (all_at_base || base->len == 0)
                tml_buf_printf(&b, "\"bn\":\"%s\"", bn);
            else
                tml_buf_printf(&b, "\"bn\":\"%s/\"", bn);
            comma = true;
        }
        if (!all_at_base) {
            tml_buf_printf(&b, "%s\"n\":\"", comma ? "," : "");
            for (int k = base->len; k < r->path.len; k++)
                tml_buf_printf(&b, k > base->len ? "/%u" : "%u", r->path.id[k]);
            tml_buf_putc(&b, '"');
            comma = true;
        }
        const char *sep = comma ? "," : "";
        const tml_lwm2m_value_t *v = &r->v;
        switch (v->type) {
        case TML_LWM2M_T_NONE:
            break;
        case TML_LWM2M_T_STRING:
            tml_buf_printf(&b, "%s\"vs\":", sep);
            put_json_string(&b, v->bytes, v->len);
            break;
        case TML_LWM2M_T_INT:
        case TML_LWM2M_T_TIME:
            tml_buf_printf(&b, "%s\"v\":%lld", sep, (long long)v->u.i);
            break;
        case TML_LWM2M_T_UINT:
            tml_buf_printf(&b, "%s\"v\":%llu", sep, (unsigned long long)v->u.u);
            break;
        case TML_LWM2M_T_FLOAT:
            if (!isfinite(v->u.f)) {
                tml_buf_free(&b);
                return tml_err_set(err, TML_ERR_UNSUPPORTED, "senml: JSON has no NaN or infinity");
            }
            tml_buf_printf(&b, "%s\"v\":%.17g", sep, v->u.f);
            break;
        case TML_LWM2M_T_BOOL:
            tml_buf_printf(&b, "%s\"vb\":%s", sep, v->u.b ? "true" : "false");
            break;
        case TML_LWM2M_T_OBJLNK:
            tml_buf_printf(&b, "%s\"vlo\":\"%u:%u\"", sep, v->u.lnk.obj, v->u.lnk.inst);
            break;
        case TML_LWM2M_T_OPAQUE:
        case TML_LWM2M_T_RAW: {
            char *enc = tml_malloc(4 * ((v->len + 2) / 3) + 1);
            if (!enc) {
                tml_buf_free(&b);
                return TML_ERR_NOMEM;
            }
            size_t n = tml_base64_encode(v->bytes, v->len, enc);
            tml_buf_printf(&b, "%s\"vd\":\"", sep);
            tml_buf_append(&b, enc, n);
            tml_buf_putc(&b, '"');
            tml_free(enc);
            break;
        }
        default:
            tml_buf_free(&b);
            return tml_err_set(err, TML_ERR_ARG, "senml: bad value type");
        }
        tml_buf_putc(&b, '}');
        if (i + 1 < recs->n)
            tml_buf_putc(&b, ',');
    }
    tml_buf_putc(&b, ']');
    return (tml_status_t)tml_buf_take(&b, out, out_len);
}

/* ---- Decoder ----------------------------------------------------------- */

typedef struct jr {
    const uint8_t *s;
    size_t len, off;
    tml_err_t *err;
} jr_t;

static void skip_ws(jr_t *j)
{
    while (j->off < j->len && (j->s[j->off] == ' ' || j->s[j->off] == '\t' ||
                               j->s[j->off] == '\n' || j->s[j->off] == '\r'))
        j->off++;
}

static tml_status_t fail(jr_t *j, const char *what)
{
    return tml_err_set(j->err, TML_ERR_CORRUPT, "senml at byte %zu: %s", j->off, what);
}

static bool peek(jr_t *j, char c)
{
    skip_ws(j);
    return j->off < j->len && j->s[j->off] == (uint8_t)c;
}

static tml_status_t expect(jr_t *j, char c)
{
    if (!peek(j, c)) {
        char msg[32];
        snprintf(msg, sizeof(msg), "expected '%c'", c);
        return fail(j, msg);
    }
    j->off++;
    return TML_OK;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads a JSON string into a tml_malloc'd NUL-terminated buffer (or skips
 * it when out is NULL). */
static tml_status_t read_string(jr_t *j, char **out, size_t *out_len)
{
    if (expect(j, '"') != TML_OK)
        return TML_ERR_CORRUPT;
    tml_buf_t b;
    tml_buf_init(&b);
    while (j->off < j->len && j->s[j->off] != '"') {
        uint8_t c = j->s[j->off++];
        if (c < 0x20) {
            tml_buf_free(&b);
            return fail(j, "control character in string");
        }
        if (c != '\\') {
            if (out)
                tml_buf_putc(&b, c);
            continue;
        }
        if (j->off >= j->len)
            break;
        c = j->s[j->off++];
        uint8_t e;
        switch (c) {
        case '"': e = '"'; break;
        case '\\': e = '\\'; break;
        case '/': e = '/'; break;
        case 'b': e = '\b'; break;
        case 'f': e = '\f'; break;
        case 'n': e = '\n'; break;
        case 'r': e = '\r'; break;
        case 't': e = '\t'; break;
        case 'u': {
            uint32_t cp = 0;
            if (j->len - j->off < 4) {
                tml_buf_free(&b);
                return fail(j, "truncated \\u escape");
            }
            for (int k = 0; k < 4; k++) {
                int h = hexval(j->s[j->off + (size_t)k]);
                if (h < 0) {
                    tml_buf_free(&b);
                    return fail(j, "bad \\u escape");
                }
                cp = cp << 4 | (uint32_t)h;
            }
            j->off += 4;
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = 0xFFFD; /* lone or paired surrogates: replaced, not joined */
            if (out) {
                if (cp < 0x80) {
                    tml_buf_putc(&b, (uint8_t)cp);
                } else if (cp < 0x800) {
                    tml_buf_putc(&b, (uint8_t)(0xC0 | cp >> 6));
                    tml_buf_putc(&b, (uint8_t)(0x80 | (cp & 0x3F)));
                } else {
                    tml_buf_putc(&b, (uint8_t)(0xE0 | cp >> 12));
                    tml_buf_putc(&b, (uint8_t)(0x80 | ((cp >> 6) & 0x3F)));
                    tml_buf_putc(&b, (uint8_t)(0x80 | (cp & 0x3F)));
                }
            }
            continue;
        }
        default:
            tml_buf_free(&b);
            return fail(j, "bad escape");
        }
        if (out)
            tml_buf_putc(&b, e);
        if (b.len > SENML_MAX_STR) {
            tml_buf_free(&b);
            return fail(j, "string too long");
        }
    }
    if (j->off >= j->len) {
        tml_buf_free(&b);
        return fail(j, "unterminated string");
    }
    j->off++;
    if (!out) {
        tml_buf_free(&b);
        return TML_OK;
    }
    if (b.len == 0)
        tml_buf_append(&b, "", 0);
    if (b.failed) {
        tml_buf_free(&b);
        return tml_err_set(j->err, TML_ERR_NOMEM, "senml: out of memory");
    }
    *out = (char *)b.data;
    *out_len = b.len;
    return TML_OK;
}

/* A JSON number: *is_int when it has no fraction or exponent and fits. */
static tml_status_t read_number(jr_t *j, double *f, int64_t *i, bool *is_int)
{
    skip_ws(j);
    size_t start = j->off;
    if (j->off < j->len && j->s[j->off] == '-')
        j->off++;
    size_t digits = j->off;
    while (j->off < j->len && j->s[j->off] >= '0' && j->s[j->off] <= '9')
        j->off++;
    if (j->off == digits)
        return fail(j, "expected a number");
    if (j->s[digits] == '0' && j->off - digits > 1)
        return fail(j, "leading zero in number");
    *is_int = true;
    if (j->off < j->len && j->s[j->off] == '.') {
        *is_int = false;
        j->off++;
        size_t d = j->off;
        while (j->off < j->len && j->s[j->off] >= '0' && j->s[j->off] <= '9')
            j->off++;
        if (j->off == d)
            return fail(j, "digit expected after '.'");
    }
    if (j->off < j->len && (j->s[j->off] == 'e' || j->s[j->off] == 'E')) {
        *is_int = false;
        j->off++;
        if (j->off < j->len && (j->s[j->off] == '+' || j->s[j->off] == '-'))
            j->off++;
        size_t d = j->off;
        while (j->off < j->len && j->s[j->off] >= '0' && j->s[j->off] <= '9')
            j->off++;
        if (j->off == d)
            return fail(j, "digit expected in exponent");
    }
    size_t n = j->off - start;
    if (n > 400)
        return fail(j, "number too long");
    char tmp[401];
    memcpy(tmp, j->s + start, n);
    tmp[n] = 0;
    *f = strtod(tmp, NULL);
    if (*is_int) {
        if (n > 19) {
            *is_int = false;
        } else {
            *i = strtoll(tmp, NULL, 10);
        }
    }
    return TML_OK;
}

static tml_status_t skip_value(jr_t *j, int depth);

static tml_status_t skip_container(jr_t *j, int depth, char open, char close)
{
    if (depth > SENML_MAX_DEPTH)
        return fail(j, "nesting too deep");
    j->off++; /* open */
    (void)open;
    if (peek(j, close)) {
        j->off++;
        return TML_OK;
    }
    for (;;) {
        if (close == '}') {
            if (read_string(j, NULL, NULL) != TML_OK || expect(j, ':') != TML_OK)
                return TML_ERR_CORRUPT;
        }
        if (skip_value(j, depth + 1) != TML_OK)
            return TML_ERR_CORRUPT;
        if (peek(j, ',')) {
            j->off++;
            continue;
        }
        return expect(j, close);
    }
}

static tml_status_t skip_literal(jr_t *j, const char *lit)
{
    size_t n = strlen(lit);
    if (j->len - j->off < n || memcmp(j->s + j->off, lit, n) != 0)
        return fail(j, "unexpected token");
    j->off += n;
    return TML_OK;
}

static tml_status_t skip_value(jr_t *j, int depth)
{
    skip_ws(j);
    if (j->off >= j->len)
        return fail(j, "value expected");
    uint8_t c = j->s[j->off];
    if (c == '"')
        return read_string(j, NULL, NULL);
    if (c == '{')
        return skip_container(j, depth, '{', '}');
    if (c == '[')
        return skip_container(j, depth, '[', ']');
    if (c == 't')
        return skip_literal(j, "true");
    if (c == 'f')
        return skip_literal(j, "false");
    if (c == 'n')
        return skip_literal(j, "null");
    double f;
    int64_t i;
    bool is_int;
    return read_number(j, &f, &i, &is_int);
}

/* One SenML record: fills name (tml_malloc'd, may be NULL), base name
 * update and the value. */
static tml_status_t read_record(jr_t *j, char **bn, char **name, tml_lwm2m_value_t *v,
                                char **vbuf)
{
    if (expect(j, '{') != TML_OK)
        return TML_ERR_CORRUPT;
    memset(v, 0, sizeof(*v));
    int n_values = 0;
    if (peek(j, '}')) {
        j->off++;
        return TML_OK;
    }
    for (;;) {
        char *key = NULL;
        size_t klen;
        tml_status_t st = read_string(j, &key, &klen);
        if (st != TML_OK)
            return st;
        if (expect(j, ':') != TML_OK) {
            tml_free(key);
            return TML_ERR_CORRUPT;
        }
        if (!strcmp(key, "bn") || !strcmp(key, "n") || !strcmp(key, "vs") ||
            !strcmp(key, "vd") || !strcmp(key, "vlo")) {
            char *s;
            size_t slen;
            st = read_string(j, &s, &slen);
            if (st != TML_OK) {
                tml_free(key);
                return st;
            }
            if (key[0] == 'b') {
                tml_free(*bn);
                *bn = s;
            } else if (key[0] == 'n') {
                tml_free(*name);
                *name = s;
            } else {
                n_values++;
                tml_free(*vbuf);
                *vbuf = s;
                v->bytes = (uint8_t *)s;
                v->len = slen;
                v->type = key[1] == 's' ? TML_LWM2M_T_STRING
                          : key[1] == 'd' ? TML_LWM2M_T_OPAQUE : TML_LWM2M_T_OBJLNK;
            }
        } else if (!strcmp(key, "v")) {
            double f;
            int64_t i;
            bool is_int;
            st = read_number(j, &f, &i, &is_int);
            if (st != TML_OK) {
                tml_free(key);
                return st;
            }
            n_values++;
            if (is_int) {
                v->type = TML_LWM2M_T_INT;
                v->u.i = i;
            } else {
                v->type = TML_LWM2M_T_FLOAT;
                v->u.f = f;
            }
        } else if (!strcmp(key, "vb")) {
            skip_ws(j);
            if (j->off < j->len && j->s[j->off] == 't')
                st = skip_literal(j, "true"), v->u.b = true;
            else
                st = skip_literal(j, "false"), v->u.b = false;
            if (st != TML_OK) {
                tml_free(key);
                return st;
            }
            n_values++;
            v->type = TML_LWM2M_T_BOOL;
        } else {
            st = skip_value(j, 1); /* bt, t, bver, ... */
            if (st != TML_OK) {
                tml_free(key);
                return st;
            }
        }
        tml_free(key);
        if (n_values > 1)
            return fail(j, "record has more than one value");
        if (peek(j, ',')) {
            j->off++;
            continue;
        }
        return expect(j, '}');
    }
}

static tml_status_t finish_value(jr_t *j, tml_lwm2m_value_t *v, uint8_t **decoded)
{
    if (v->type == TML_LWM2M_T_OPAQUE) {
        size_t cap = v->len * 3 / 4 + 3;
        *decoded = tml_malloc(cap);
        if (!*decoded)
            return tml_err_set(j->err, TML_ERR_NOMEM, "senml: out of memory");
        size_t n;
        if (tml_base64_decode((const char *)v->bytes, v->len, *decoded, cap, &n) != TML_OK)
            return fail(j, "\"vd\" is not base64");
        v->bytes = *decoded;
        v->len = n;
    } else if (v->type == TML_LWM2M_T_OBJLNK) {
        unsigned a, b;
        int used = 0;
        if (sscanf((const char *)v->bytes, "%5u:%5u%n", &a, &b, &used) != 2 ||
            (size_t)used != v->len || a > 65535 || b > 65535)
            return fail(j, "\"vlo\" is not an object link \"obj:inst\"");
        v->bytes = NULL;
        v->len = 0;
        v->u.lnk.obj = (uint16_t)a;
        v->u.lnk.inst = (uint16_t)b;
    }
    return TML_OK;
}

tml_status_t tml_lwm2m_senml_decode(const tml_lwm2m_path_t *base, const uint8_t *data,
                                    size_t len, tml_lwm2m_records_t *out, tml_err_t *err)
{
    if (!base || (!data && len) || !out)
        return tml_err_set(err, TML_ERR_ARG, "senml: NULL argument");
    jr_t j = {data, len, 0, err};
    size_t n0 = out->n;
    char *bn = NULL, *name = NULL, *vbuf = NULL;
    uint8_t *decoded = NULL;
    tml_status_t st = expect(&j, '[');
    bool first = true;
    while (st == TML_OK) {
        if (first && peek(&j, ']')) {
            j.off++;
            break;
        }
        first = false;
        tml_lwm2m_value_t v;
        tml_free(name);
        name = NULL;
        st = read_record(&j, &bn, &name, &v, &vbuf);
        if (st != TML_OK)
            break;
        st = finish_value(&j, &v, &decoded);
        if (st != TML_OK)
            break;
        /* The record's path is bn + n. */
        size_t bl = bn ? strlen(bn) : 0, nl = name ? strlen(name) : 0;
        if (bl + nl == 0) {
            st = fail(&j, "record without a name");
            break;
        }
        if (bl + nl > 64) {
            st = fail(&j, "name too long for a path");
            break;
        }
        char full[65];
        memcpy(full, bn ? bn : "", bl);
        memcpy(full + bl, name ? name : "", nl);
        full[bl + nl] = 0;
        tml_lwm2m_path_t p;
        st = tml_lwm2m_path_parse(full, bl + nl, &p, err);
        if (st != TML_OK)
            break;
        if (!tml_lwm2m_path_has_prefix(&p, base)) {
            st = tml_err_set(err, TML_ERR_CORRUPT, "senml: record '%s' is outside %u-level request path",
                             full, base->len);
            break;
        }
        st = tml_lwm2m_records_add(out, &p, &v);
        if (st != TML_OK) {
            tml_err_set(err, st, "senml: out of memory");
            break;
        }
        tml_free(decoded);
        decoded = NULL;
        if (peek(&j, ',')) {
            j.off++;
            continue;
        }
        st = expect(&j, ']');
        break;
    }
    if (st == TML_OK) {
        skip_ws(&j);
        if (j.off != j.len)
            st = fail(&j, "bytes after the array");
    }
    tml_free(bn);
    tml_free(name);
    tml_free(vbuf);
    tml_free(decoded);
    if (st != TML_OK) {
        for (size_t i = n0; i < out->n; i++)
            tml_free(out->recs[i].v.bytes);
        out->n = n0;
    }
    return st;
}
