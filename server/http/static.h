/*
 * static.h - the dashboard's files: every request outside /api/ is answered
 * from the web/ folder of the source tree, plus the few library files the
 * pages import from node_modules/ (uPlot), without a token. The pages log
 * in themselves and send the bearer token on their API calls.
 */
#ifndef TML_HTTP_STATIC_H
#define TML_HTTP_STATIC_H

#include <microhttpd.h>

#include "../service_internal.h"

/* Queues the answer for a non-API request: 200 with the file, 404 for
 * anything that is not an exact file of the tree (directories, dot files,
 * '..', '%' or '\' in the path, unknown extensions, symlinks leading out of
 * the tree), 405 for methods other than GET and HEAD. url is the decoded
 * path MHD hands the access handler (no query string). */
enum MHD_Result tml_static_serve(tml_service_t *svc, struct MHD_Connection *conn, const char *url,
                                 const char *method);

/* The file a URL path maps to, checked as tml_static_serve does, into out
 * (n bytes) with its content type in *content_type. TML_ERR_NOT_FOUND when
 * the path is not served. Exposed for tests. */
tml_status_t tml_static_resolve(const char *source_dir, const char *url, char *out, size_t n,
                                const char **content_type);

#endif /* TML_HTTP_STATIC_H */
