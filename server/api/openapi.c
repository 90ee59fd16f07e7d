/*
 * openapi.c - GET openapi.json: the OpenAPI 3 description of this API
 * (server/openapi.json, compiled in by server/embed.cmake). Served without a
 * token: it is documentation, not tenant data.
 */
#include <string.h>

#include "api.h"

extern const unsigned char tml_openapi_json[];
extern const size_t tml_openapi_json_len;

void tml_api_openapi(tml_http_req_t *req, tml_http_resp_t *resp)
{
    (void)req;
    resp->body = tml_malloc(tml_openapi_json_len + 1);
    if (!resp->body) {
        tml_http_error(resp, 503, "out of memory");
        return;
    }
    memcpy(resp->body, tml_openapi_json, tml_openapi_json_len + 1);
    resp->body_len = tml_openapi_json_len;
    resp->status = 200;
    resp->content_type = "application/json";
}
