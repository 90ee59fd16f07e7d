/*
 * link.c - CoRE link format (RFC 6690) as LwM2M uses it: the object list a
 * client registers with and the answer to Discover. Links are separated by
 * commas outside quotes; attributes follow ';'. An entry whose rt is
 * "oma.lwm2m" names the client's alternate path for the objects that follow.
 */
#include <string.h>

#include "tml/lwm2m.h"

void tml_lwm2m_links_init(tml_lwm2m_links_t *l)
{
    memset(l, 0, sizeof(*l));
}

void tml_lwm2m_links_free(tml_lwm2m_links_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        tml_free(l->links[i].uri);
        tml_free(l->links[i].attrs);
    }
    tml_free(l->links);
    memset(l, 0, sizeof(*l));
}

static char *dup_range(const char *s, size_t len)
{
    char *d = tml_malloc(len + 1);
    if (d) {
        memcpy(d, s, len);
        d[len] = 0;
    }
    return d;
}

tml_status_t tml_lwm2m_link_attr(const char *attrs, const char *name, char *buf, size_t cap)
{
    if (!attrs || !name || !buf || cap == 0)
        return TML_ERR_ARG;
    size_t nl = strlen(name);
    const char *p = attrs;
    while (*p) {
        const char *end = p;
        bool q = false;
        while (*end && (q || *end != ';')) {
            if (*end == '"')
                q = !q;
            end++;
        }
        if ((size_t)(end - p) >= nl && !strncmp(p, name, nl) && (p[nl] == '=' || p + nl == end)) {
            const char *v = p + nl;
            size_t vl = 0;
            if (*v == '=') {
                v++;
                vl = (size_t)(end - v);
                if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
                    v++;
                    vl -= 2;
                }
            }
            if (vl >= cap)
                return TML_ERR_NOMEM;
            memcpy(buf, v, vl);
            buf[vl] = 0;
            return TML_OK;
        }
        p = *end ? end + 1 : end;
    }
    return TML_ERR_NOT_FOUND;
}

static tml_status_t add_link(tml_lwm2m_links_t *out, const char *uri, size_t ul, const char *attrs,
                             size_t al)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        tml_lwm2m_link_t *g = tml_realloc(out->links, cap * sizeof(*g));
        if (!g)
            return TML_ERR_NOMEM;
        out->links = g;
        out->cap = cap;
    }
    tml_lwm2m_link_t *l = &out->links[out->n];
    memset(l, 0, sizeof(*l));
    l->uri = dup_range(uri, ul);
    l->attrs = dup_range(attrs, al);
    if (!l->uri || !l->attrs) {
        tml_free(l->uri);
        tml_free(l->attrs);
        return TML_ERR_NOMEM;
    }
    out->n++;
    char rt[32];
    if (tml_lwm2m_link_attr(l->attrs, "rt", rt, sizeof(rt)) == TML_OK && !strcmp(rt, "oma.lwm2m")) {
        size_t n = ul;
        while (n > 1 && uri[n - 1] == '/')
            n--;
        if (n == 1 && uri[0] == '/')
            n = 0; /* "</>" is the default, no alternate path */
        if (n < sizeof(out->alt_path)) {
            memcpy(out->alt_path, uri, n);
            out->alt_path[n] = 0;
        }
        return TML_OK;
    }
    const char *p = uri;
    size_t pl = ul;
    size_t al_path = strlen(out->alt_path);
    if (al_path && pl >= al_path && !strncmp(p, out->alt_path, al_path)) {
        p += al_path;
        pl -= al_path;
    }
    if (pl > 0 && tml_lwm2m_path_parse(p, pl, &l->path, NULL) == TML_OK && l->path.len > 0)
        l->has_path = true;
    return TML_OK;
}

tml_status_t tml_lwm2m_links_parse(const char *s, size_t len, tml_lwm2m_links_t *out,
                                   tml_err_t *err)
{
    if ((!s && len) || !out)
        return tml_err_set(err, TML_ERR_ARG, "link: NULL argument");
    size_t i = 0;
    while (i < len) {
        while (i < len && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t'))
            i++;
        if (i == len)
            break;
        if (s[i] != '<')
            return tml_err_set(err, TML_ERR_CORRUPT, "link at byte %zu: expected '<'", i);
        size_t u0 = ++i;
        while (i < len && s[i] != '>' && s[i] != ',' && s[i] != '<')
            i++;
        if (i == len || s[i] != '>')
            return tml_err_set(err, TML_ERR_CORRUPT, "link at byte %zu: unterminated '<'", u0 - 1);
        size_t ul = i - u0;
        i++;
        size_t a0 = i;
        bool quoted = false;
        while (i < len && (quoted || s[i] != ',')) {
            if (s[i] == '"')
                quoted = !quoted;
            else if (s[i] == 0)
                return tml_err_set(err, TML_ERR_CORRUPT, "link at byte %zu: NUL byte", i);
            i++;
        }
        if (quoted)
            return tml_err_set(err, TML_ERR_CORRUPT, "link at byte %zu: unterminated quote", a0);
        size_t al = i - a0;
        if (al && s[a0] != ';')
            return tml_err_set(err, TML_ERR_CORRUPT, "link at byte %zu: expected ';' or ','", a0);
        if (al) {
            a0++;
            al--;
        }
        if (add_link(out, s + u0, ul, s + a0, al) != TML_OK)
            return tml_err_set(err, TML_ERR_NOMEM, "link: out of memory");
        if (i < len)
            i++; /* ',' */
    }
    return TML_OK;
}
