/*
 * sqlite_internal.h - what the SQLite store's files share.
 */
#ifndef TML_SQLITE_INTERNAL_H
#define TML_SQLITE_INTERNAL_H

#include <sqlite3.h>

#include "tml/store.h"

/* Brings db's schema up to TML_STORE_SQLITE_SCHEMA_VERSION (see sqlite_schema.c). */
tml_status_t tml_sqlite_migrate(sqlite3 *db, tml_err_t *err);

#endif /* TML_SQLITE_INTERNAL_H */
