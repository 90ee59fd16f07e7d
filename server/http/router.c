/*
 * router.c - the route table and its matcher (see router.h).
 */
#include <stdio.h>
#include <string.h>

#include "../api/api.h"
#include "router.h"

static const tml_route_t routes[] = {
    {"GET", "openapi.json", tml_api_openapi, TML_BODY_NONE, true},
    {"GET", "whoami", tml_api_whoami, TML_BODY_NONE, false},
    {"POST", "tenants", tml_api_tenants_create, TML_BODY_JSON, false},
    {"GET", "tenants", tml_api_tenants_list, TML_BODY_NONE, false},
    {"POST", "tokens", tml_api_tokens_create, TML_BODY_JSON, false},
    {"GET", "tokens", tml_api_tokens_list, TML_BODY_NONE, false},
    {"DELETE", "tokens/*", tml_api_tokens_delete, TML_BODY_NONE, false},
    {"GET", "targets", tml_api_targets_list, TML_BODY_NONE, false},
    {"GET", "targets/*", tml_api_targets_get, TML_BODY_NONE, false},
    {"POST", "models", tml_api_models_upload, TML_BODY_UPLOAD, false},
    {"GET", "models", tml_api_models_list, TML_BODY_NONE, false},
    {"GET", "models/*", tml_api_model_get, TML_BODY_NONE, false},
    {"DELETE", "models/*", tml_api_model_delete, TML_BODY_NONE, false},
    {"GET", "models/*/versions/*", tml_api_version_get, TML_BODY_NONE, false},
    {"DELETE", "models/*/versions/*", tml_api_version_delete, TML_BODY_NONE, false},
    {"GET", "models/*/versions/*/blob", tml_api_version_blob, TML_BODY_NONE, false},
    {"POST", "compilations", tml_api_compilations_create, TML_BODY_JSON, false},
    {"GET", "compilations", tml_api_compilations_list, TML_BODY_NONE, false},
    {"GET", "compilations/*", tml_api_compilation_get, TML_BODY_NONE, false},
    {"GET", "compilations/*/artifacts/*", tml_api_compilation_artifact, TML_BODY_NONE, false},
    {"POST", "devices", tml_api_devices_create, TML_BODY_JSON, false},
    {"GET", "devices", tml_api_devices_list, TML_BODY_NONE, false},
    {"GET", "devices/*", tml_api_device_get, TML_BODY_NONE, false},
    {"DELETE", "devices/*", tml_api_device_delete, TML_BODY_NONE, false},
    {"PUT", "devices/*/tags", tml_api_device_set_tags, TML_BODY_JSON, false},
    {"POST", "devices/*/psk", tml_api_device_set_psk, TML_BODY_JSON, false},
    {"GET", "devices/*/compatible-models", tml_api_device_compatible, TML_BODY_NONE, false},
    {"GET", "devices/*/inferences", tml_api_device_inferences, TML_BODY_NONE, false},
    {"PUT", "devices/*/link", tml_api_device_set_link, TML_BODY_JSON, false},
    {"GET", "signing-key", tml_api_signing_key, TML_BODY_NONE, false},
    {"POST", "deployments", tml_api_deployments_create, TML_BODY_JSON, false},
    {"GET", "deployments", tml_api_deployments_list, TML_BODY_NONE, false},
    {"GET", "deployments/*", tml_api_deployment_get, TML_BODY_NONE, false},
    {"POST", "deployments/*/*", tml_api_deployment_action, TML_BODY_NONE, false},
};

#define MAX_SEGS 8

/* Whether pattern matches segs; collects '*' segments into params. */
static bool match(const char *pattern, char **segs, int n_segs, const char **params, int *n_params)
{
    int i = 0, np = 0;
    const char *p = pattern;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t len = slash ? (size_t)(slash - p) : strlen(p);
        if (i >= n_segs)
            return false;
        if (len == 1 && p[0] == '*') {
            if (np >= TML_HTTP_MAX_PARAMS)
                return false;
            params[np++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p, len) != 0) {
            return false;
        }
        i++;
        p += len;
        if (*p == '/')
            p++;
    }
    if (i != n_segs)
        return false;
    *n_params = np;
    return true;
}

tml_route_match_t tml_route_find(const char *method, char *path, const tml_route_t **route,
                                 const char **params, int *n_params, char *allow, size_t n)
{
    char *segs[MAX_SEGS];
    int n_segs = 0;
    char *s = path;
    size_t len = strlen(path);
    if (len && path[len - 1] == '/')
        path[len - 1] = '\0'; /* "models/" is "models" */
    while (*s) {
        if (n_segs == MAX_SEGS)
            return TML_ROUTE_NO_PATH;
        segs[n_segs++] = s;
        char *slash = strchr(s, '/');
        if (!slash)
            break;
        *slash = '\0';
        s = slash + 1;
        if (!*s) /* empty segment: "a//b" */
            return TML_ROUTE_NO_PATH;
    }
    for (int k = 0; k < n_segs; k++)
        if (!*segs[k])
            return TML_ROUTE_NO_PATH;
    bool path_known = false;
    if (allow && n)
        allow[0] = '\0';
    for (size_t r = 0; r < sizeof(routes) / sizeof(routes[0]); r++) {
        const char *pp[TML_HTTP_MAX_PARAMS];
        int np = 0;
        if (!match(routes[r].pattern, segs, n_segs, pp, &np))
            continue;
        if (!strcmp(routes[r].method, method)) {
            *route = &routes[r];
            memcpy(params, pp, sizeof(pp[0]) * (size_t)np);
            *n_params = np;
            return TML_ROUTE_FOUND;
        }
        if (allow && n) {
            size_t used = strlen(allow);
            snprintf(allow + used, n - used, "%s%s", used ? ", " : "", routes[r].method);
        }
        path_known = true;
    }
    return path_known ? TML_ROUTE_NO_METHOD : TML_ROUTE_NO_PATH;
}
