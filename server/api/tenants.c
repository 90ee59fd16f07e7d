/*
 * tenants.c - GET whoami; POST/GET tenants (admin tokens only).
 *
 * A tenant owns models, devices, compilations and tokens; every other call
 * sees only the caller's tenant. Creating a tenant also creates its first
 * token, returned once in the response.
 */
#include <stdio.h>

#include "../http/auth.h"
#include "api.h"

void tml_api_whoami(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_http_json(resp, 200, json_pack("{s:I, s:s, s:I, s:b}", "tenant_id",
                                       (json_int_t)req->token.tenant_id, "token_name", req->token.name,
                                       "token_id", (json_int_t)req->token.id, "admin",
                                       req->token.admin));
}

void tml_api_tenants_create(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"name", TML_FIELD_STRING, true},
        {"token", TML_FIELD_STRING, false},
    };
    if (!tml_api_require_admin(req, resp))
        return;
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    if (tml_http_body_json(req, fields, 2, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *secret = json_string_value(json_object_get(body, "token"));
    if (!tml_valid_name(name, TML_STORE_NAME_MAX)) {
        tml_http_error(resp, 400, "tenant name '%s' must be 1-127 characters of A-Z a-z 0-9 . _ : -",
                       name);
        json_decref(body);
        return;
    }
    tml_id_t tenant = 0, token_id = 0;
    char token[TML_TOKEN_MAX] = "";
    tml_status_t st = tml_store_call(req->svc->store, tenant_create, name, &tenant, &err);
    if (st == TML_OK)
        st = tml_auth_create_token(req->svc, tenant, "initial", false, secret, token, &token_id, &err);
    if (st != TML_OK) {
        tml_http_fail(resp, &err);
    } else {
        snprintf(resp->location, sizeof(resp->location), "/api/v1/tenants/%lld", (long long)tenant);
        tml_http_json(resp, 201, json_pack("{s:I, s:s, s:{s:I, s:s, s:s}}", "id", (json_int_t)tenant,
                                           "name", name, "token", "id", (json_int_t)token_id, "name",
                                           "initial", "secret", token));
    }
    json_decref(body);
}

typedef struct {
    json_t *arr;
} list_ctx_t;

static bool add_tenant(void *ctx, const tml_tenant_rec_t *t)
{
    json_array_append_new(((list_ctx_t *)ctx)->arr,
                          json_pack("{s:I, s:s, s:o}", "id", (json_int_t)t->id, "name", t->name,
                                    "created_at", tml_json_time(t->created_at)));
    return true;
}

void tml_api_tenants_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    if (!tml_api_require_admin(req, resp))
        return;
    tml_err_t err;
    tml_err_clear(&err);
    list_ctx_t ctx = {json_array()};
    if (tml_store_call(req->svc->store, tenant_list, add_tenant, &ctx, &err) != TML_OK) {
        json_decref(ctx.arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "tenants", ctx.arr));
}
