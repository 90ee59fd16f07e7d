/*
 * coap_msg.c - RFC 7252 message codec (see tml/coap_msg.h).
 *
 * Header: ver(2) type(2) tkl(4) | code | message id; token; options as
 * delta/length nibbles with 13/14 extensions; 0xFF then payload.
 */
#include <string.h>

#include "tml/coap_msg.h"

void tml_coap_init(tml_coap_msg_t *msg, uint8_t type, uint8_t code, uint16_t mid)
{
    memset(msg, 0, sizeof(*msg));
    msg->type = type;
    msg->code = code;
    msg->mid = mid;
}

static tml_status_t ext_value(const uint8_t *data, size_t len, size_t *off, unsigned nib,
                              uint32_t *out)
{
    if (nib < 13) {
        *out = nib;
    } else if (nib == 13) {
        if (*off + 1 > len)
            return TML_ERR_CORRUPT;
        *out = 13u + data[*off];
        *off += 1;
    } else if (nib == 14) {
        if (*off + 2 > len)
            return TML_ERR_CORRUPT;
        *out = 269u + ((uint32_t)data[*off] << 8 | data[*off + 1]);
        *off += 2;
    } else {
        return TML_ERR_CORRUPT;
    }
    return TML_OK;
}

tml_status_t tml_coap_parse(const uint8_t *data, size_t len, tml_coap_msg_t *msg, tml_err_t *err)
{
    if (!data || !msg)
        return tml_err_set(err, TML_ERR_ARG, "coap: NULL argument");
    memset(msg, 0, sizeof(*msg));
    if (len < 4)
        return tml_err_set(err, TML_ERR_CORRUPT, "coap: %zu bytes, shorter than a header", len);
    if (data[0] >> 6 != 1)
        return tml_err_set(err, TML_ERR_CORRUPT, "coap: version %u, expected 1", data[0] >> 6);
    msg->type = (data[0] >> 4) & 3;
    msg->tkl = data[0] & 15;
    msg->code = data[1];
    msg->mid = (uint16_t)(data[2] << 8 | data[3]);
    if (msg->tkl > 8)
        return tml_err_set(err, TML_ERR_CORRUPT, "coap: token length %u above 8", msg->tkl);
    if (len < 4u + msg->tkl)
        return tml_err_set(err, TML_ERR_CORRUPT, "coap: token truncated");
    memcpy(msg->token, data + 4, msg->tkl);
    size_t off = 4u + msg->tkl;
    if (msg->code == TML_COAP_EMPTY && (len != 4 || msg->tkl != 0))
        return tml_err_set(err, TML_ERR_CORRUPT, "coap: empty message with token or body");
    uint32_t num = 0;
    while (off < len) {
        if (data[off] == 0xFF) {
            off++;
            if (off == len)
                return tml_err_set(err, TML_ERR_CORRUPT, "coap: payload marker without payload");
            msg->payload = data + off;
            msg->payload_len = len - off;
            return TML_OK;
        }
        unsigned dn = data[off] >> 4, ln = data[off] & 15;
        size_t opt_at = off;
        off++;
        uint32_t delta, olen;
        if (ext_value(data, len, &off, dn, &delta) != TML_OK ||
            ext_value(data, len, &off, ln, &olen) != TML_OK)
            return tml_err_set(err, TML_ERR_CORRUPT, "coap: option at byte %zu: bad delta or length", opt_at);
        if (olen > len - off)
            return tml_err_set(err, TML_ERR_CORRUPT, "coap: option at byte %zu: %u bytes past the end",
                               opt_at, (unsigned)olen);
        num += delta;
        if (num > 0xFFFF)
            return tml_err_set(err, TML_ERR_CORRUPT, "coap: option number above 65535");
        if (msg->n_opts == TML_COAP_MAX_OPTS)
            return tml_err_set(err, TML_ERR_UNSUPPORTED, "coap: more than %d options", TML_COAP_MAX_OPTS);
        msg->opts[msg->n_opts].num = (uint16_t)num;
        msg->opts[msg->n_opts].len = (uint16_t)olen;
        msg->opts[msg->n_opts].val = data + off;
        msg->n_opts++;
        off += olen;
    }
    return TML_OK;
}

static size_t put_ext(uint8_t *hdr, uint32_t v, unsigned *nib)
{
    if (v < 13) {
        *nib = v;
        return 0;
    }
    if (v < 269) {
        *nib = 13;
        hdr[0] = (uint8_t)(v - 13);
        return 1;
    }
    *nib = 14;
    hdr[0] = (uint8_t)((v - 269) >> 8);
    hdr[1] = (uint8_t)(v - 269);
    return 2;
}

tml_status_t tml_coap_build(const tml_coap_msg_t *msg, uint8_t *buf, size_t cap, size_t *len,
                            tml_err_t *err)
{
    if (!msg || !buf || !len || msg->tkl > 8 || msg->type > 3)
        return tml_err_set(err, TML_ERR_ARG, "coap: bad message to build");
    /* Sort option indices by number, stable. */
    uint8_t order[TML_COAP_MAX_OPTS];
    for (uint8_t i = 0; i < msg->n_opts; i++) {
        uint8_t j = i;
        while (j > 0 && msg->opts[order[j - 1]].num > msg->opts[i].num) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    size_t off = 0;
    if (cap < 4u + msg->tkl)
        return tml_err_set(err, TML_ERR_NOMEM, "coap: buffer too small");
    buf[0] = (uint8_t)(1u << 6 | (unsigned)msg->type << 4 | msg->tkl);
    buf[1] = msg->code;
    buf[2] = (uint8_t)(msg->mid >> 8);
    buf[3] = (uint8_t)msg->mid;
    memcpy(buf + 4, msg->token, msg->tkl);
    off = 4u + msg->tkl;
    uint32_t prev = 0;
    for (uint8_t k = 0; k < msg->n_opts; k++) {
        const tml_coap_opt_t *o = &msg->opts[order[k]];
        uint8_t ext[5];
        unsigned dn, ln;
        size_t n = put_ext(ext + 1, o->num - prev, &dn);
        n += put_ext(ext + 1 + n, o->len, &ln);
        ext[0] = (uint8_t)(dn << 4 | ln);
        if (cap - off < 1 + n + o->len)
            return tml_err_set(err, TML_ERR_NOMEM, "coap: buffer too small");
        memcpy(buf + off, ext, 1 + n);
        off += 1 + n;
        if (o->len)
            memcpy(buf + off, o->val, o->len);
        off += o->len;
        prev = o->num;
    }
    if (msg->payload_len) {
        if (cap - off < 1 + msg->payload_len)
            return tml_err_set(err, TML_ERR_NOMEM, "coap: buffer too small for the payload");
        buf[off++] = 0xFF;
        memcpy(buf + off, msg->payload, msg->payload_len);
        off += msg->payload_len;
    }
    *len = off;
    return TML_OK;
}

tml_status_t tml_coap_add_opt(tml_coap_msg_t *msg, uint16_t num, const void *val, size_t len)
{
    if (msg->n_opts == TML_COAP_MAX_OPTS || len > 1034)
        return TML_ERR_NOMEM;
    msg->opts[msg->n_opts].num = num;
    msg->opts[msg->n_opts].len = (uint16_t)len;
    msg->opts[msg->n_opts].val = val;
    msg->n_opts++;
    return TML_OK;
}

tml_status_t tml_coap_add_uint(tml_coap_msg_t *msg, uint16_t num, uint32_t value)
{
    uint8_t n = value > 0xFFFFFF ? 4 : value > 0xFFFF ? 3 : value > 0xFF ? 2 : value ? 1 : 0;
    if ((size_t)msg->scratch_used + n > sizeof(msg->scratch))
        return TML_ERR_NOMEM;
    uint8_t *p = msg->scratch + msg->scratch_used;
    for (uint8_t i = 0; i < n; i++)
        p[i] = (uint8_t)(value >> (8 * (n - 1 - i)));
    msg->scratch_used += n;
    return tml_coap_add_opt(msg, num, p, n);
}

tml_status_t tml_coap_add_path(tml_coap_msg_t *msg, uint16_t num, const char *path)
{
    const char *p = path;
    while (*p == '/')
        p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (tml_coap_add_opt(msg, num, p, n) != TML_OK)
            return TML_ERR_NOMEM;
        p += n;
        if (*p == '/')
            p++;
    }
    return TML_OK;
}

const tml_coap_opt_t *tml_coap_find(const tml_coap_msg_t *msg, uint16_t num, size_t *iter)
{
    size_t start = iter ? *iter : 0;
    for (size_t i = start; i < msg->n_opts; i++) {
        if (msg->opts[i].num == num) {
            if (iter)
                *iter = i + 1;
            return &msg->opts[i];
        }
    }
    if (iter)
        *iter = msg->n_opts;
    return NULL;
}

bool tml_coap_get_uint(const tml_coap_msg_t *msg, uint16_t num, uint32_t *value)
{
    const tml_coap_opt_t *o = tml_coap_find(msg, num, NULL);
    if (!o || o->len > 4)
        return false;
    uint32_t v = 0;
    for (uint16_t i = 0; i < o->len; i++)
        v = v << 8 | o->val[i];
    *value = v;
    return true;
}

tml_status_t tml_coap_get_path(const tml_coap_msg_t *msg, uint16_t num, char *buf, size_t cap)
{
    if (cap < 2)
        return TML_ERR_NOMEM;
    size_t off = 0, it = 0;
    const tml_coap_opt_t *o;
    buf[0] = 0;
    while ((o = tml_coap_find(msg, num, &it)) != NULL) {
        if (memchr(o->val, '/', o->len) || memchr(o->val, 0, o->len))
            return TML_ERR_CORRUPT;
        if (off + 1 + o->len + 1 > cap)
            return TML_ERR_NOMEM;
        buf[off++] = '/';
        memcpy(buf + off, o->val, o->len);
        off += o->len;
    }
    if (off == 0)
        buf[off++] = '/';
    buf[off] = 0;
    return TML_OK;
}

uint32_t tml_coap_block_encode(uint32_t num, bool more, unsigned szx)
{
    return num << 4 | (more ? 8u : 0u) | (szx & 7u);
}

bool tml_coap_block_decode(uint32_t value, uint32_t *num, bool *more, unsigned *szx)
{
    if ((value & 7u) == 7u) /* reserved (BERT only on TCP) */
        return false;
    *num = value >> 4;
    *more = (value & 8u) != 0;
    *szx = value & 7u;
    return true;
}
