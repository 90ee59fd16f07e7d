/*
 * coap_msg.h - a small RFC 7252 message codec for the device agent.
 *
 * The server runs on libcoap; the agent carries its own codec so that its
 * core needs nothing but a datagram socket from the platform (an RTOS port
 * brings its own UDP or DTLS transport). Parsing never copies: options and
 * payload point into the datagram, which must outlive the message.
 */
#ifndef TML_COAP_MSG_H
#define TML_COAP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { TML_COAP_CON = 0, TML_COAP_NON = 1, TML_COAP_ACK = 2, TML_COAP_RST = 3 };

#define TML_COAP_CODE(c, d) ((uint8_t)((c) << 5 | (d)))
enum {
    TML_COAP_EMPTY = 0, TML_COAP_GET = 1, TML_COAP_POST = 2, TML_COAP_PUT = 3,
    TML_COAP_DELETE = 4, TML_COAP_FETCH = 5, TML_COAP_PATCH = 6, TML_COAP_IPATCH = 7,
};
#define TML_COAP_CREATED TML_COAP_CODE(2, 1)
#define TML_COAP_DELETED TML_COAP_CODE(2, 2)
#define TML_COAP_VALID TML_COAP_CODE(2, 3)
#define TML_COAP_CHANGED TML_COAP_CODE(2, 4)
#define TML_COAP_CONTENT TML_COAP_CODE(2, 5)
#define TML_COAP_BAD_REQUEST TML_COAP_CODE(4, 0)
#define TML_COAP_UNAUTHORIZED TML_COAP_CODE(4, 1)
#define TML_COAP_BAD_OPTION TML_COAP_CODE(4, 2)
#define TML_COAP_FORBIDDEN TML_COAP_CODE(4, 3)
#define TML_COAP_NOT_FOUND TML_COAP_CODE(4, 4)
#define TML_COAP_METHOD_NOT_ALLOWED TML_COAP_CODE(4, 5)
#define TML_COAP_NOT_ACCEPTABLE TML_COAP_CODE(4, 6)
#define TML_COAP_REQ_ENTITY_INCOMPLETE TML_COAP_CODE(4, 8)
#define TML_COAP_PRECONDITION_FAILED TML_COAP_CODE(4, 12)
#define TML_COAP_REQ_TOO_LARGE TML_COAP_CODE(4, 13)
#define TML_COAP_UNSUPPORTED_CF TML_COAP_CODE(4, 15)
#define TML_COAP_INTERNAL_ERROR TML_COAP_CODE(5, 0)
#define TML_COAP_NOT_IMPLEMENTED TML_COAP_CODE(5, 1)
#define TML_COAP_SERVICE_UNAVAILABLE TML_COAP_CODE(5, 3)

enum {
    TML_COAP_OPT_IF_MATCH = 1, TML_COAP_OPT_URI_HOST = 3, TML_COAP_OPT_ETAG = 4,
    TML_COAP_OPT_OBSERVE = 6, TML_COAP_OPT_URI_PORT = 7, TML_COAP_OPT_LOCATION_PATH = 8,
    TML_COAP_OPT_URI_PATH = 11, TML_COAP_OPT_CONTENT_FORMAT = 12, TML_COAP_OPT_MAX_AGE = 14,
    TML_COAP_OPT_URI_QUERY = 15, TML_COAP_OPT_ACCEPT = 17, TML_COAP_OPT_LOCATION_QUERY = 20,
    TML_COAP_OPT_BLOCK2 = 23, TML_COAP_OPT_BLOCK1 = 27, TML_COAP_OPT_SIZE2 = 28,
    TML_COAP_OPT_SIZE1 = 60,
};

#define TML_COAP_MAX_OPTS 40
#define TML_COAP_MAX_TOKEN 8

typedef struct tml_coap_opt {
    uint16_t num;
    uint16_t len;
    const uint8_t *val;
} tml_coap_opt_t;

typedef struct tml_coap_msg {
    uint8_t type;  /* TML_COAP_CON .. RST */
    uint8_t code;
    uint16_t mid;
    uint8_t tkl;
    uint8_t token[TML_COAP_MAX_TOKEN];
    uint8_t n_opts;
    tml_coap_opt_t opts[TML_COAP_MAX_OPTS]; /* in ascending number order after parse */
    const uint8_t *payload;
    size_t payload_len;
    /* Storage for option values added as integers (tml_coap_add_uint). */
    uint8_t scratch[64];
    uint8_t scratch_used;
} tml_coap_msg_t;

/* Parses a datagram. Rejects a bad version, token length above 8, an
 * option running past the end, reserved nibbles (15) and a payload marker
 * with no payload, naming the problem in err. */
tml_status_t tml_coap_parse(const uint8_t *data, size_t len, tml_coap_msg_t *msg, tml_err_t *err);

/* Serialises msg into buf (cap bytes); options may be in any order, they
 * are written sorted by number (stable for repeats). */
tml_status_t tml_coap_build(const tml_coap_msg_t *msg, uint8_t *buf, size_t cap, size_t *len,
                            tml_err_t *err);

/* Starts a message (no options, no payload). */
void tml_coap_init(tml_coap_msg_t *msg, uint8_t type, uint8_t code, uint16_t mid);
/* Adds an option whose value (len bytes at val) must outlive msg. */
tml_status_t tml_coap_add_opt(tml_coap_msg_t *msg, uint16_t num, const void *val, size_t len);
/* Adds an option with a uint value in its shortest form (value copied). */
tml_status_t tml_coap_add_uint(tml_coap_msg_t *msg, uint16_t num, uint32_t value);
/* Adds a "/"-separated path (copied pointers into path: it must outlive
 * msg) as one option per segment (Uri-Path, Location-Path). */
tml_status_t tml_coap_add_path(tml_coap_msg_t *msg, uint16_t num, const char *path);

/* The first option num at or after index *iter (start with 0); advances
 * *iter past it. NULL when no more. */
const tml_coap_opt_t *tml_coap_find(const tml_coap_msg_t *msg, uint16_t num, size_t *iter);
/* The value of uint option num; returns false if absent or over 4 bytes. */
bool tml_coap_get_uint(const tml_coap_msg_t *msg, uint16_t num, uint32_t *value);
/* Joins the segments of option num with '/' and a leading '/' into buf.
 * Returns TML_ERR_NOMEM if it did not fit, TML_ERR_CORRUPT if a segment
 * holds '/' or NUL. */
tml_status_t tml_coap_get_path(const tml_coap_msg_t *msg, uint16_t num, char *buf, size_t cap);

/* Block1/Block2 option values: num (block index), more, szx (size is
 * 16 << szx, szx 0..6). */
uint32_t tml_coap_block_encode(uint32_t num, bool more, unsigned szx);
bool tml_coap_block_decode(uint32_t value, uint32_t *num, bool *more, unsigned *szx);

#ifdef __cplusplus
}
#endif
#endif /* TML_COAP_MSG_H */
