/*
 * router.h - the API's route table: method + path pattern -> handler.
 *
 * Patterns are paths under /api/v1/ whose '*' segments match one segment
 * each and become the request's params, in order. The table (router.c) is
 * the one list of every endpoint; docs/openapi.json describes the same set.
 */
#ifndef TML_ROUTER_H
#define TML_ROUTER_H

#include "http.h"

typedef enum tml_body_kind {
    TML_BODY_NONE,     /* no body expected (GET, DELETE): the JSON limit applies */
    TML_BODY_JSON,     /* a JSON object: --max-body */
    TML_BODY_UPLOAD,   /* a model file: --max-upload */
} tml_body_kind_t;

typedef struct tml_route {
    const char *method;
    const char *pattern;
    tml_http_handler_fn handler;
    tml_body_kind_t body;
    bool public;       /* no token needed */
} tml_route_t;

typedef enum tml_route_match {
    TML_ROUTE_FOUND,
    TML_ROUTE_NO_PATH,     /* 404 */
    TML_ROUTE_NO_METHOD,   /* 405; allow lists the methods the path has */
} tml_route_match_t;

/* Matches method and path (without the /api/v1/ prefix, no query); on
 * TML_ROUTE_FOUND *route is set and params point into path, whose '/' are
 * replaced by NULs. allow (n bytes) receives "GET, POST" for a 405. */
tml_route_match_t tml_route_find(const char *method, char *path, const tml_route_t **route,
                                 const char **params, int *n_params, char *allow, size_t n);

#endif /* TML_ROUTER_H */
