/*
 * api.h - the API handlers, one file per resource (api/<resource>.c). Each
 * takes a parsed, authenticated request and fills the response; the route
 * table in http/router.c says which method and path reach which handler.
 */
#ifndef TML_API_H
#define TML_API_H

#include "../http/http.h"
#include "../service_internal.h"

/* openapi.c */
void tml_api_openapi(tml_http_req_t *req, tml_http_resp_t *resp);
/* tenants.c: whoami, tenants (admin tokens only) */
void tml_api_whoami(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_tenants_create(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_tenants_list(tml_http_req_t *req, tml_http_resp_t *resp);
/* tokens.c */
void tml_api_tokens_create(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_tokens_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_tokens_delete(tml_http_req_t *req, tml_http_resp_t *resp);
/* targets.c */
void tml_api_targets_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_targets_get(tml_http_req_t *req, tml_http_resp_t *resp);
/* models.c */
void tml_api_models_upload(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_models_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_model_get(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_model_delete(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_version_get(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_version_delete(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_version_blob(tml_http_req_t *req, tml_http_resp_t *resp);
/* compilations.c */
void tml_api_compilations_create(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_compilations_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_compilation_get(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_compilation_artifact(tml_http_req_t *req, tml_http_resp_t *resp);
/* devices.c */
void tml_api_devices_create(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_devices_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_get(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_delete(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_set_tags(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_set_psk(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_compatible(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_inferences(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_device_set_link(tml_http_req_t *req, tml_http_resp_t *resp);
/* deployments.c */
void tml_api_signing_key(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_deployments_create(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_deployments_list(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_deployment_get(tml_http_req_t *req, tml_http_resp_t *resp);
void tml_api_deployment_action(tml_http_req_t *req, tml_http_resp_t *resp);

/* Shared by the resource files (api/common.c). */
/* A model version as JSON; with_report adds metadata and the report. */
json_t *tml_api_version_json(const tml_version_rec_t *v, bool with_report);
/* A compilation as JSON; full adds the result (report, fit, backend). */
json_t *tml_api_compilation_json(const tml_compilation_rec_t *c, bool full);
/* A device as JSON. */
json_t *tml_api_device_json(const tml_device_rec_t *d);
/* Parses owned JSON text from the store; NULL text or "" gives JSON null. */
json_t *tml_api_parse_stored(const char *text);
/* Requires an admin token; fills a 403 and returns false otherwise. */
bool tml_api_require_admin(tml_http_req_t *req, tml_http_resp_t *resp);
/* Points resp at a blob file to stream. */
void tml_api_send_blob(tml_http_req_t *req, tml_http_resp_t *resp, const char *sha256,
                       const char *content_type, const char *filename);

#endif /* TML_API_H */
