/*
 * multipart.c - see multipart.h.
 *
 * Shape: "--B\r\n" headers "\r\n\r\n" data "\r\n--B" ("\r\n" next part |
 * "--" end). A preamble before the first delimiter is allowed and skipped,
 * as RFC 2046 says; the epilogue after the closing one is ignored.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "multipart.h"

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const char *needle, size_t n)
{
    if (n == 0 || hay_len < n)
        return NULL;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (hay[i] == (uint8_t)needle[0] && memcmp(hay + i, needle, n) == 0)
            return hay + i;
    return NULL;
}

tml_status_t tml_multipart_boundary(const char *content_type, char *boundary, size_t n, tml_err_t *err)
{
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0)
        return tml_err_set(err, TML_ERR_ARG, "Content-Type is not multipart/form-data");
    const char *p = content_type + 19;
    while (*p) {
        while (*p == ';' || *p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, "boundary=", 9) == 0) {
            p += 9;
            size_t len = 0;
            if (*p == '"') {
                p++;
                while (p[len] && p[len] != '"')
                    len++;
                if (p[len] != '"')
                    return tml_err_set(err, TML_ERR_ARG, "multipart boundary: unterminated quote");
            } else {
                while (p[len] && p[len] != ';' && p[len] != ' ')
                    len++;
            }
            if (len == 0 || len > 70 || len + 1 > n)
                return tml_err_set(err, TML_ERR_ARG, "multipart boundary must be 1-70 characters");
            memcpy(boundary, p, len);
            boundary[len] = '\0';
            return TML_OK;
        }
        while (*p && *p != ';')
            p++;
    }
    return tml_err_set(err, TML_ERR_ARG, "multipart/form-data without a boundary parameter");
}

/* Copies the value of param (name="..." or name=token) from a header line. */
static void header_param(const char *line, size_t line_len, const char *param, char *out, size_t n)
{
    out[0] = '\0';
    size_t plen = strlen(param);
    for (size_t i = 0; i + plen + 1 < line_len; i++) {
        if ((i == 0 || line[i - 1] == ';' || line[i - 1] == ' ') &&
            strncasecmp(line + i, param, plen) == 0 && line[i + plen] == '=') {
            const char *v = line + i + plen + 1;
            size_t rest = line_len - (i + plen + 1), len = 0;
            if (rest && *v == '"') {
                v++;
                rest--;
                while (len < rest && v[len] != '"')
                    len++;
            } else {
                while (len < rest && v[len] != ';' && v[len] != ' ')
                    len++;
            }
            if (len >= n)
                len = n - 1;
            memcpy(out, v, len);
            out[len] = '\0';
            return;
        }
    }
}

static tml_status_t parse_headers(const uint8_t *h, size_t len, tml_part_t *part, int index,
                                  tml_err_t *err)
{
    bool disposition = false;
    size_t i = 0;
    while (i < len) {
        const uint8_t *eol = find(h + i, len - i, "\r\n", 2);
        size_t line_len = eol ? (size_t)(eol - (h + i)) : len - i;
        const char *line = (const char *)h + i;
        if (line_len >= 20 && strncasecmp(line, "Content-Disposition:", 20) == 0) {
            disposition = true;
            header_param(line, line_len, "name", part->name, sizeof(part->name));
            header_param(line, line_len, "filename", part->filename, sizeof(part->filename));
        } else if (line_len >= 13 && strncasecmp(line, "Content-Type:", 13) == 0) {
            size_t k = 13;
            while (k < line_len && line[k] == ' ')
                k++;
            size_t n = line_len - k < sizeof(part->content_type) - 1 ? line_len - k
                                                                      : sizeof(part->content_type) - 1;
            memcpy(part->content_type, line + k, n);
            part->content_type[n] = '\0';
        }
        i += line_len + 2;
    }
    if (!disposition || !part->name[0])
        return tml_err_set(err, TML_ERR_ARG, "multipart part %d has no Content-Disposition name", index + 1);
    return TML_OK;
}

tml_status_t tml_multipart_parse(const char *boundary, const uint8_t *body, size_t len, tml_part_t *parts,
                                 int max, int *n_parts, tml_err_t *err)
{
    char delim[80];
    int dlen = snprintf(delim, sizeof(delim), "\r\n--%s", boundary);
    if (dlen < 5 || (size_t)dlen >= sizeof(delim))
        return tml_err_set(err, TML_ERR_ARG, "multipart boundary too long");
    *n_parts = 0;
    /* The first delimiter may open the body without the leading CRLF. */
    const uint8_t *p;
    if (len >= (size_t)dlen - 2 && memcmp(body, delim + 2, (size_t)dlen - 2) == 0)
        p = body + dlen - 2;
    else if ((p = find(body, len, delim, (size_t)dlen)) != NULL)
        p += dlen;
    else
        return tml_err_set(err, TML_ERR_ARG, "multipart body has no '--%s' delimiter", boundary);
    const uint8_t *end = body + len;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return *n_parts ? TML_OK : tml_err_set(err, TML_ERR_ARG, "multipart body has no parts");
        /* transport padding, then CRLF */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return tml_err_set(err, TML_ERR_ARG, "multipart delimiter not followed by CRLF");
        p += 2;
        if (*n_parts == max)
            return tml_err_set(err, TML_ERR_ARG, "more than %d multipart parts", max);
        const uint8_t *hdr_end = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        const uint8_t *data;
        tml_part_t *part = &parts[*n_parts];
        memset(part, 0, sizeof(*part));
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') { /* no headers at all */
            hdr_end = p - 2;
        }
        if (!hdr_end)
            return tml_err_set(err, TML_ERR_ARG, "multipart part %d: headers not terminated",
                               *n_parts + 1);
        tml_status_t st = parse_headers(p, hdr_end >= p ? (size_t)(hdr_end - p) : 0, part, *n_parts, err);
        if (st != TML_OK)
            return st;
        data = hdr_end + 4;
        const uint8_t *next = find(data, (size_t)(end - data), delim, (size_t)dlen);
        if (!next)
            return tml_err_set(err, TML_ERR_ARG, "multipart part '%s' is not closed by a delimiter",
                               part->name);
        part->data = data;
        part->len = (size_t)(next - data);
        (*n_parts)++;
        p = next + dlen;
    }
}

const tml_part_t *tml_multipart_find(const tml_part_t *parts, int n_parts, const char *name)
{
    for (int i = 0; i < n_parts; i++)
        if (!strcmp(parts[i].name, name))
            return &parts[i];
    return NULL;
}
