/*
 * store.c - picking a store implementation from a URL (see tml/store.h).
 * A new backend adds one branch here and its own file; nothing else in the
 * service names an implementation.
 */
#include <string.h>

#include "tml/store.h"

tml_status_t tml_store_open(const char *url, tml_store_t **out, tml_err_t *err)
{
    *out = NULL;
    if (!url || !*url)
        return tml_err_set(err, TML_ERR_ARG, "store: empty URL");
    if (!strncmp(url, "sqlite:", 7))
        return tml_store_sqlite_open(url + 7, out, err);
    if (strstr(url, "://"))
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "store: unsupported URL '%s' (this build has sqlite:)",
                           url);
    return tml_store_sqlite_open(url, out, err);
}

void tml_store_close(tml_store_t *s)
{
    if (s)
        s->vt->close(s);
}
