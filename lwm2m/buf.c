/*
 * buf.c - growable byte buffer for the encoders (see buf.h).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tml/core.h"

void tml_buf_init(tml_buf_t *b)
{
    memset(b, 0, sizeof(*b));
}

void tml_buf_free(tml_buf_t *b)
{
    tml_free(b->data);
    memset(b, 0, sizeof(*b));
}

static bool reserve(tml_buf_t *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    uint8_t *grown = tml_realloc(b->data, cap);
    if (!grown) {
        b->failed = true;
        return false;
    }
    b->data = grown;
    b->cap = cap;
    return true;
}

void tml_buf_append(tml_buf_t *b, const void *data, size_t len)
{
    if (!reserve(b, len))
        return;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = 0;
}

void tml_buf_putc(tml_buf_t *b, uint8_t c)
{
    tml_buf_append(b, &c, 1);
}

void tml_buf_printf(tml_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[128];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        tml_buf_append(b, small, (size_t)n);
        return;
    }
    if (!reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

int tml_buf_take(tml_buf_t *b, uint8_t **out, size_t *out_len)
{
    if (b->failed || !reserve(b, 0)) {
        tml_buf_free(b);
        return TML_ERR_NOMEM;
    }
    *out = b->data;
    *out_len = b->len;
    memset(b, 0, sizeof(*b));
    return TML_OK;
}
