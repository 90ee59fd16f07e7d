/*
 * status.c - names for tml_status_t. Lives in the runtime because the runtime
 * is freestanding and the host links it anyway; one table serves both.
 */
#include "tml/status.h"

static const char *const status_names[] = {
    "ok",
    "invalid argument",
    "out of memory",
    "corrupt or inconsistent data",
    "unsupported",
    "I/O error",
    "timed out",
    "authentication failed",
    "not found",
    "already exists",
    "invalid state",
    "does not fit the target",
    "internal error",
};

_Static_assert(sizeof(status_names) / sizeof(status_names[0]) == 1 - TML_STATUS_MIN,
               "status_names must list every tml_status_t value");

const char *tml_strerror(tml_status_t status)
{
    int index = -(int)status;
    if (index < 0 || index > -TML_STATUS_MIN)
        return "unknown status";
    return status_names[index];
}
