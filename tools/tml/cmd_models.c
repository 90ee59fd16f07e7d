/*
 * cmd_models.c - `tml models push|ls|show|rm`: the service's model zoo.
 *   tml models push FILE --name N --version V [--task T] [--labels a,b] [--metadata JSON]
 *   tml models ls
 *   tml models show NAME [VERSION]
 *   tml models rm NAME [VERSION]
 * Server and token: --server/--token or TML_SERVER/TML_TOKEN.
 */
#include <stdio.h>
#include <string.h>

#include "cmd_service.h"
#include "commands.h"

static int usage(void)
{
    fputs("usage: tml models push FILE --name N --version V [--task T] [--labels a,b] [--metadata JSON]\n"
          "       tml models ls | show NAME [VERSION] | rm NAME [VERSION]\n"
          "       (all take --server URL --token T, or TML_SERVER / TML_TOKEN)\n", stderr);
    return 2;
}

static int push(const tml_api_client_t *c, int argc, char **argv)
{
    const char *file = NULL, *keys[] = {"name", "version", "task", "labels", "metadata", "format"};
    const char *vals[6] = {0};
    for (int i = 2; i < argc; i++) {
        int k = -1;
        for (int j = 0; j < 6; j++)
            if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, keys[j]))
                k = j;
        if (k >= 0 && i + 1 < argc)
            vals[k] = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return usage();
    }
    if (!file || !vals[0] || !vals[1])
        return usage();
    uint8_t *data;
    size_t len;
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_file_read(file, &data, &len, &err) != TML_OK) {
        fprintf(stderr, "tml models: %s\n", tml_err_message(&err));
        return 1;
    }
    char path[4096] = "/api/v1/models?", enc[1024];
    const char *base = strrchr(file, '/');
    tml_svc_urlencode(base ? base + 1 : file, enc, sizeof(enc));
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "filename=%s", enc);
    for (int j = 0; j < 6; j++) {
        if (!vals[j])
            continue;
        tml_svc_urlencode(vals[j], enc, sizeof(enc));
        snprintf(path + strlen(path), sizeof(path) - strlen(path), "&%s=%s", keys[j], enc);
    }
    json_t *j;
    int rc = tml_svc_call(c, "models", "POST", path, "application/octet-stream", data, len, &j);
    tml_free(data);
    if (rc)
        return rc;
    json_t *rep = json_object_get(j, "report");
    printf("%s@%s: %s, %lld bytes, sha256 %s\n", json_string_value(json_object_get(j, "model")),
           json_string_value(json_object_get(j, "version")), json_string_value(json_object_get(j, "format")),
           (long long)json_integer_value(json_object_get(j, "size")),
           json_string_value(json_object_get(j, "sha256")));
    if (json_is_object(rep))
        printf("  arena %lld B, weights %lld B, package %lld B, %lld MACs\n",
               (long long)json_integer_value(json_object_get(rep, "arena_bytes")),
               (long long)json_integer_value(json_object_get(rep, "weights_bytes")),
               (long long)json_integer_value(json_object_get(rep, "package_bytes")),
               (long long)json_integer_value(json_object_get(rep, "macs")));
    else if (json_object_get(j, "report_error"))
        printf("  not compilable yet: %s\n", json_string_value(json_object_get(j, "report_error")));
    json_decref(j);
    return 0;
}

int tml_cmd_models(int argc, char **argv)
{
    tml_api_client_t c;
    int rc = tml_svc_connect(&argc, argv, &c, "models");
    if (rc)
        return rc;
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    char path[1024];
    json_t *j;
    if (!strcmp(sub, "push"))
        return push(&c, argc, argv);
    if (!strcmp(sub, "ls") && argc == 2) {
        if ((rc = tml_svc_call(&c, "models", "GET", "/api/v1/models", NULL, NULL, 0, &j)))
            return rc;
        printf("%-32s %8s  %s\n", "NAME", "VERSIONS", "LATEST");
        size_t i;
        json_t *m;
        json_array_foreach(json_object_get(j, "models"), i, m)
            printf("%-32s %8lld  %s\n", json_string_value(json_object_get(m, "name")),
                   (long long)json_integer_value(json_object_get(m, "versions")),
                   json_string_value(json_object_get(m, "latest_version")));
        json_decref(j);
        return 0;
    }
    if ((!strcmp(sub, "show") || !strcmp(sub, "rm")) && (argc == 3 || argc == 4)) {
        if (argc == 4)
            snprintf(path, sizeof(path), "/api/v1/models/%s/versions/%s", argv[2], argv[3]);
        else
            snprintf(path, sizeof(path), "/api/v1/models/%s", argv[2]);
        if ((rc = tml_svc_call(&c, "models", sub[0] == 's' ? "GET" : "DELETE", path, NULL, NULL, 0, &j)))
            return rc;
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(j);
        return 0;
    }
    return usage();
}
