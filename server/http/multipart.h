/*
 * multipart.h - a parser for multipart/form-data bodies (RFC 7578) over a
 * buffered body: the parts' names, file names and content types, and their
 * bytes as pointers into the body. Untrusted input: every malformed shape
 * is an error naming what is wrong, never an out-of-bounds read.
 */
#ifndef TML_MULTIPART_H
#define TML_MULTIPART_H

#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#define TML_MULTIPART_MAX_PARTS 16

typedef struct tml_part {
    char name[128];
    char filename[256];       /* "" when the part is not a file */
    char content_type[128];   /* "" when not given */
    const uint8_t *data;      /* into the body */
    size_t len;
} tml_part_t;

/* Extracts the boundary from a Content-Type value "multipart/form-data;
 * boundary=..." (quoted or not) into boundary (71 bytes max). ARG if the
 * type is not multipart/form-data or has no valid boundary. */
tml_status_t tml_multipart_boundary(const char *content_type, char *boundary, size_t n, tml_err_t *err);

/* Splits body into at most max parts; *n_parts receives the count. */
tml_status_t tml_multipart_parse(const char *boundary, const uint8_t *body, size_t len, tml_part_t *parts,
                                 int max, int *n_parts, tml_err_t *err);

/* The first part called name, or NULL. */
const tml_part_t *tml_multipart_find(const tml_part_t *parts, int n_parts, const char *name);

#endif /* TML_MULTIPART_H */
