/*
 * tokens.c - POST/GET/DELETE tokens: a tenant's API tokens. The secret is in
 * the creation response only. An admin token may create tokens for another
 * tenant ("tenant_id") and admin tokens ("admin": true).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../http/auth.h"
#include "api.h"

void tml_api_tokens_create(tml_http_req_t *req, tml_http_resp_t *resp)
{
    static const tml_field_t fields[] = {
        {"name", TML_FIELD_STRING, true},
        {"tenant_id", TML_FIELD_INT, false},
        {"admin", TML_FIELD_BOOL, false},
        {"token", TML_FIELD_STRING, false},
    };
    tml_err_t err;
    tml_err_clear(&err);
    json_t *body;
    if (tml_http_body_json(req, fields, 4, &body, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    json_t *tenant_j = json_object_get(body, "tenant_id");
    tml_id_t tenant = tenant_j ? (tml_id_t)json_integer_value(tenant_j) : req->token.tenant_id;
    bool admin = json_is_true(json_object_get(body, "admin"));
    if (!tml_valid_name(name, TML_STORE_NAME_MAX)) {
        tml_http_error(resp, 400, "token name '%s' must be 1-127 characters of A-Z a-z 0-9 . _ : -", name);
    } else if ((tenant != req->token.tenant_id || admin) && !req->token.admin) {
        tml_http_error(resp, 403, "only an admin token may create tokens for other tenants or admin tokens");
    } else {
        tml_id_t id = 0;
        char secret[TML_TOKEN_MAX] = "";
        if (tml_auth_create_token(req->svc, tenant, name, admin,
                                  json_string_value(json_object_get(body, "token")), secret, &id,
                                  &err) != TML_OK) {
            tml_http_fail(resp, &err);
        } else {
            snprintf(resp->location, sizeof(resp->location), "/api/v1/tokens/%lld", (long long)id);
            tml_http_json(resp, 201, json_pack("{s:I, s:I, s:s, s:b, s:s}", "id", (json_int_t)id,
                                               "tenant_id", (json_int_t)tenant, "name", name, "admin",
                                               admin, "secret", secret));
        }
    }
    json_decref(body);
}

static bool add_token(void *ctx, const tml_token_rec_t *t)
{
    json_array_append_new((json_t *)ctx, json_pack("{s:I, s:s, s:b, s:o}", "id", (json_int_t)t->id,
                                                    "name", t->name, "admin", t->admin, "created_at",
                                                    tml_json_time(t->created_at)));
    return true;
}

void tml_api_tokens_list(tml_http_req_t *req, tml_http_resp_t *resp)
{
    tml_err_t err;
    tml_err_clear(&err);
    json_t *arr = json_array();
    if (tml_store_call(req->svc->store, token_list, req->token.tenant_id, add_token, arr, &err) !=
        TML_OK) {
        json_decref(arr);
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:o}", "tokens", arr));
}

void tml_api_tokens_delete(tml_http_req_t *req, tml_http_resp_t *resp)
{
    char *end = NULL;
    long long id = strtoll(req->params[0], &end, 10);
    if (!*req->params[0] || *end || id <= 0) {
        tml_http_error(resp, 400, "token id '%s' is not a positive integer", req->params[0]);
        return;
    }
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_store_call(req->svc->store, token_delete, req->token.tenant_id, id, &err) != TML_OK) {
        tml_http_fail(resp, &err);
        return;
    }
    tml_http_json(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1));
}
