/*
 * buf.h - a growable byte buffer for the encoders (private to lwm2m/).
 * Errors stick: after a failed append every later one is a no-op, so an
 * encoder checks `b.failed` once at the end.
 */
#ifndef TML_LWM2M_BUF_H
#define TML_LWM2M_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tml_buf {
    uint8_t *data;
    size_t len, cap;
    bool failed;
} tml_buf_t;

void tml_buf_init(tml_buf_t *b);
void tml_buf_free(tml_buf_t *b);
void tml_buf_append(tml_buf_t *b, const void *data, size_t len);
void tml_buf_putc(tml_buf_t *b, uint8_t c);
void tml_buf_printf(tml_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes (NUL-terminated, not counted) to the caller; the buffer
 * is empty afterwards. Returns TML_ERR_NOMEM if any append failed. */
int tml_buf_take(tml_buf_t *b, uint8_t **out, size_t *out_len);

#endif
