/*
 * status.h - the one status type every TinyMLaaS module returns.
 *
 * Errors are values: TML_OK is zero, every error is negative, and callers
 * check each call. This header is freestanding (no libc) because the
 * on-device runtime shares it with the host code.
 */
#ifndef TML_STATUS_H
#define TML_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tml_status {
    TML_OK = 0,
    TML_ERR_ARG = -1,         /* a caller passed an invalid argument */
    TML_ERR_NOMEM = -2,       /* an allocation (or a fixed buffer) was too small */
    TML_ERR_CORRUPT = -3,     /* input bytes are malformed or inconsistent */
    TML_ERR_UNSUPPORTED = -4, /* well-formed, but an op/version/feature we lack */
    TML_ERR_IO = -5,          /* file or socket error */
    TML_ERR_TIMEOUT = -6,     /* a deadline passed */
    TML_ERR_AUTH = -7,        /* credentials or signature rejected */
    TML_ERR_NOT_FOUND = -8,   /* a named thing does not exist */
    TML_ERR_EXISTS = -9,      /* a named thing exists already */
    TML_ERR_STATE = -10,      /* the call is not valid in the current state */
    TML_ERR_NOFIT = -11,      /* a model does not fit the target's budget */
    TML_ERR_INTERNAL = -12,   /* a bug: an invariant did not hold */
    TML_STATUS_MIN = -12      /* keep equal to the most negative value */
} tml_status_t;

/* Short English description of a status; never NULL, also for unknown codes. */
const char *tml_strerror(tml_status_t status);

#ifdef __cplusplus
}
#endif
#endif /* TML_STATUS_H */
