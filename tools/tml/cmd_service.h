/*
 * cmd_service.h - what the service subcommands (models, compilations,
 * devices) share: finding the server and token (--server/--token, else
 * TML_SERVER/TML_TOKEN, else http://127.0.0.1:8080), calling the API, and
 * printing its error messages as "tml <cmd>: <message> (HTTP <code>)".
 */
#ifndef TML_CLI_SERVICE_H
#define TML_CLI_SERVICE_H

#include <jansson.h>

#include "tml/api_client.h"

/* Takes --server URL and --token T out of argv (shifting the rest down,
 * updating *argc) and initialises c. Returns 0, or 2 on a usage error. */
int tml_svc_connect(int *argc, char **argv, tml_api_client_t *c, const char *cmd);

/* One API call. On a 2xx with a JSON body *out (may be NULL) receives it
 * and 0 is returned; otherwise the error is printed and 1 returned. */
int tml_svc_call(const tml_api_client_t *c, const char *cmd, const char *method, const char *path,
                 const char *content_type, const void *body, size_t len, json_t **out);

/* Percent-encodes s into out (n bytes) for a query string. */
void tml_svc_urlencode(const char *s, char *out, size_t n);

#endif /* TML_CLI_SERVICE_H */
