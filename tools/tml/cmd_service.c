/*
 * cmd_service.c - see cmd_service.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_service.h"

int tml_svc_connect(int *argc, char **argv, tml_api_client_t *c, const char *cmd)
{
    const char *server = getenv("TML_SERVER"), *token = getenv("TML_TOKEN");
    int w = 0;
    for (int i = 0; i < *argc; i++) {
        if ((!strcmp(argv[i], "--server") || !strcmp(argv[i], "--token")) && i + 1 < *argc) {
            if (argv[i][2] == 's')
                server = argv[i + 1];
            else
                token = argv[i + 1];
            i++;
            continue;
        }
        argv[w++] = argv[i];
    }
    *argc = w;
    argv[w] = NULL;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_api_client_init(c, server ? server : "http://127.0.0.1:8080", token, &err) != TML_OK) {
        fprintf(stderr, "tml %s: %s\n", cmd, tml_err_message(&err));
        return 2;
    }
    return 0;
}

int tml_svc_call(const tml_api_client_t *c, const char *cmd, const char *method, const char *path,
                 const char *content_type, const void *body, size_t len, json_t **out)
{
    if (out)
        *out = NULL;
    tml_err_t err;
    tml_err_clear(&err);
    tml_api_response_t r;
    if (tml_api_request(c, method, path, content_type, body, len, NULL, &r, &err) != TML_OK) {
        fprintf(stderr, "tml %s: %s\n", cmd, tml_err_message(&err));
        return 1;
    }
    json_t *j = json_loadb((const char *)r.body, r.body_len, 0, NULL);
    if (r.status < 200 || r.status > 299) {
        const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
        fprintf(stderr, "tml %s: %s (HTTP %d)\n", cmd, msg ? msg : (const char *)r.body, r.status);
        json_decref(j);
        tml_api_response_free(&r);
        return 1;
    }
    tml_api_response_free(&r);
    if (out)
        *out = j;
    else
        json_decref(j);
    return 0;
}

void tml_svc_urlencode(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (; *s && k + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
            ch == '_' || ch == '.' || ch == '~') {
            out[k++] = (char)ch;
        } else {
            out[k++] = '%';
            out[k++] = hex[ch >> 4];
            out[k++] = hex[ch & 15];
        }
    }
    out[k] = '\0';
}
