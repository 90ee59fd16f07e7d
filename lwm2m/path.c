/*
 * path.c - LwM2M paths: /object/instance/resource/resource-instance.
 *
 * A path is four 16-bit ids and a depth; parsing is strict (decimal, no
 * sign, no empty segment, 65535 reserved) because paths come off the wire.
 */
#include <stdio.h>
#include <string.h>

#include "tml/lwm2m.h"

tml_lwm2m_path_t tml_lwm2m_path_make(int n, uint16_t obj, uint16_t inst, uint16_t res,
                                     uint16_t ri)
{
    tml_lwm2m_path_t p = {{obj, inst, res, ri}, (uint8_t)(n < 0 ? 0 : n > 4 ? 4 : n)};
    for (int i = p.len; i < 4; i++)
        p.id[i] = 0;
    return p;
}

tml_status_t tml_lwm2m_path_parse(const char *s, size_t len, tml_lwm2m_path_t *out,
                                  tml_err_t *err)
{
    if (!s || !out)
        return tml_err_set(err, TML_ERR_ARG, "path: NULL argument");
    memset(out, 0, sizeof(*out));
    size_t i = 0;
    if (i < len && s[i] == '/')
        i++;
    if (i == len)
        return TML_OK; /* root */
    for (;;) {
        if (out->len == 4)
            return tml_err_set(err, TML_ERR_CORRUPT, "path '%.*s': more than 4 levels",
                               (int)(len > 64 ? 64 : len), s);
        uint32_t v = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (uint32_t)(s[i] - '0');
            if (v > TML_LWM2M_ID_MAX || i - start > 5)
                return tml_err_set(err, TML_ERR_CORRUPT, "path '%.*s': id above %u",
                                   (int)(len > 64 ? 64 : len), s, TML_LWM2M_ID_MAX);
            i++;
        }
        if (i == start || (i - start > 1 && s[start] == '0'))
            return tml_err_set(err, TML_ERR_CORRUPT, "path '%.*s': segment %d is not a decimal id",
                               (int)(len > 64 ? 64 : len), s, out->len + 1);
        out->id[out->len++] = (uint16_t)v;
        if (i == len)
            return TML_OK;
        if (s[i] != '/')
            return tml_err_set(err, TML_ERR_CORRUPT, "path '%.*s': unexpected character",
                               (int)(len > 64 ? 64 : len), s);
        i++;
        if (i == len) /* one trailing slash is accepted ("/3/0/") */
            return TML_OK;
    }
}

int tml_lwm2m_path_format(const tml_lwm2m_path_t *p, char *buf, size_t cap)
{
    if (p->len == 0)
        return snprintf(buf, cap, "/");
    int n = 0;
    for (int i = 0; i < p->len && i < 4; i++) {
        int w = snprintf(buf ? buf + (n < (int)cap ? n : (int)cap) : NULL,
                         (size_t)n < cap ? cap - (size_t)n : 0, "/%u", p->id[i]);
        n += w;
    }
    return n;
}

bool tml_lwm2m_path_has_prefix(const tml_lwm2m_path_t *p, const tml_lwm2m_path_t *prefix)
{
    if (prefix->len > p->len)
        return false;
    for (int i = 0; i < prefix->len; i++)
        if (p->id[i] != prefix->id[i])
            return false;
    return true;
}

int tml_lwm2m_path_cmp(const tml_lwm2m_path_t *a, const tml_lwm2m_path_t *b)
{
    int n = a->len < b->len ? a->len : b->len;
    for (int i = 0; i < n; i++)
        if (a->id[i] != b->id[i])
            return a->id[i] < b->id[i] ? -1 : 1;
    return a->len == b->len ? 0 : a->len < b->len ? -1 : 1;
}
