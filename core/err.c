/*
 * err.c - first-error-wins detail messages with context added on the way up.
 */
#include <stdio.h>
#include <string.h>

#include "tml/core.h"

void tml_err_clear(tml_err_t *err)
{
    if (!err)
        return;
    err->status = TML_OK;
    err->msg[0] = '\0';
}

tml_status_t tml_err_set(tml_err_t *err, tml_status_t status, const char *fmt, ...)
{
    if (!err || err->status != TML_OK || status == TML_OK)
        return status;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return status;
}

tml_status_t tml_err_wrap(tml_err_t *err, const char *fmt, ...)
{
    if (!err || err->status == TML_OK)
        return err ? err->status : TML_OK;
    char prefix[TML_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return err->status;
    const char *old = err->msg[0] ? err->msg : tml_strerror(err->status);
    /* Join by hand: the result is cut at TML_ERR_MSG_MAX on purpose. */
    char joined[TML_ERR_MSG_MAX];
    size_t n_prefix = strlen(prefix), n_old = strlen(old), cap = sizeof(joined) - 1;
    size_t pos = 0;
    for (size_t i = 0; i < n_prefix && pos < cap; i++)
        joined[pos++] = prefix[i];
    for (size_t i = 0; i < 2 && pos < cap; i++)
        joined[pos++] = ": "[i];
    for (size_t i = 0; i < n_old && pos < cap; i++)
        joined[pos++] = old[i];
    joined[pos] = '\0';
    memcpy(err->msg, joined, pos + 1);
    return err->status;
}

const char *tml_err_message(const tml_err_t *err)
{
    if (!err)
        return "";
    if (err->msg[0])
        return err->msg;
    return tml_strerror(err->status);
}
