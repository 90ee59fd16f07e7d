/*
 * cmd_compilations.c - `tml compilations create|ls|show|get`: compile zoo
 * models on the service (the local `tml compile` stays as it is).
 *   tml compilations create NAME VERSION (--target PROFILE | --device EP) [--wait]
 *   tml compilations ls
 *   tml compilations show ID
 *   tml compilations get ID (package|c) -o FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd_service.h"
#include "commands.h"

static int usage(void)
{
    fputs("usage: tml compilations create NAME VERSION (--target PROFILE | --device EP) [--wait]\n"
          "       tml compilations ls | show ID | get ID package|c -o FILE\n"
          "       (all take --server URL --token T, or TML_SERVER / TML_TOKEN)\n", stderr);
    return 2;
}

static void print_one(json_t *j)
{
    json_t *fit = json_object_get(j, "fit"), *be = json_object_get(j, "backend");
    printf("compilation %lld: %s@%s for %s: %s%s\n", (long long)json_integer_value(json_object_get(j, "id")),
           json_string_value(json_object_get(j, "model")), json_string_value(json_object_get(j, "version")),
           json_string_value(json_object_get(j, "target")), json_string_value(json_object_get(j, "state")),
           json_is_true(json_object_get(j, "cache_hit")) ? " (cache hit)" : "");
    if (json_object_get(j, "error"))
        printf("  error: %s\n", json_string_value(json_object_get(j, "error")));
    if (json_is_object(fit))
        printf("  %s: RAM %lld / %lld B, flash %lld / %lld B, latency ~%.1f ms%s%s\n",
               json_is_true(json_object_get(fit, "fits")) ? "fits" : "DOES NOT FIT",
               (long long)json_integer_value(json_object_get(fit, "ram_bytes")),
               (long long)json_integer_value(json_object_get(fit, "ram_budget")),
               (long long)json_integer_value(json_object_get(fit, "flash_bytes")),
               (long long)json_integer_value(json_object_get(fit, "flash_budget")),
               json_number_value(json_object_get(fit, "latency_ms")),
               json_is_true(json_object_get(fit, "fits")) ? "" : ": ",
               json_string_value(json_object_get(fit, "reason")));
    if (json_is_object(be))
        printf("  backend: %s\n", json_string_value(json_object_get(be, "reason")));
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(j, "artifacts"), i, a)
        printf("  artifact %-8s %8lld B  %s\n", json_string_value(json_object_get(a, "name")),
               (long long)json_integer_value(json_object_get(a, "size")), json_string_value(json_object_get(a, "url")));
}

static int create(const tml_api_client_t *c, int argc, char **argv)
{
    const char *target = NULL, *device = NULL;
    int wait = 0;
    if (argc < 4)
        return usage();
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--target") && i + 1 < argc)
            target = argv[++i];
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            device = argv[++i];
        else if (!strcmp(argv[i], "--wait"))
            wait = 1;
        else
            return usage();
    }
    if (!target == !device)
        return usage();
    json_t *body = json_pack("{s:s, s:s, s:s}", "model", argv[2], "version", argv[3], target ? "target" : "device",
                             target ? target : device);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *j;
    int rc = tml_svc_call(c, "compilations", "POST", "/api/v1/compilations", "application/json", text,
                          text ? strlen(text) : 0, &j);
    free(text);
    if (rc)
        return rc;
    long long id = json_integer_value(json_object_get(j, "id"));
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/compilations/%lld", id);
    /* --wait: poll for up to 10 minutes */
    for (int tries = 0; wait && tries < 6000; tries++) {
        const char *st = json_string_value(json_object_get(j, "state"));
        if (!strcmp(st, "done") || !strcmp(st, "failed"))
            break;
        json_decref(j);
        struct timespec ts = {0, 100000000};
        nanosleep(&ts, NULL);
        if ((rc = tml_svc_call(c, "compilations", "GET", path, NULL, NULL, 0, &j)))
            return rc;
    }
    print_one(j);
    rc = !strcmp(json_string_value(json_object_get(j, "state")), "failed");
    json_decref(j);
    return rc;
}

int tml_cmd_compilations(int argc, char **argv)
{
    tml_api_client_t c;
    int rc = tml_svc_connect(&argc, argv, &c, "compilations");
    if (rc)
        return rc;
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    char path[256];
    json_t *j;
    if (!strcmp(sub, "create"))
        return create(&c, argc, argv);
    if (!strcmp(sub, "ls") && argc == 2) {
        if ((rc = tml_svc_call(&c, "compilations", "GET", "/api/v1/compilations", NULL, NULL, 0, &j)))
            return rc;
        printf("%6s  %-24s %-10s %-12s %-8s %s\n", "ID", "MODEL", "VERSION", "TARGET", "STATE", "FITS");
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(j, "compilations"), i, x) {
            json_t *fits = json_object_get(json_object_get(x, "fit"), "fits");
            printf("%6lld  %-24s %-10s %-12s %-8s %s\n", (long long)json_integer_value(json_object_get(x, "id")),
                   json_string_value(json_object_get(x, "model")), json_string_value(json_object_get(x, "version")),
                   json_string_value(json_object_get(x, "target")), json_string_value(json_object_get(x, "state")),
                   fits ? (json_is_true(fits) ? "yes" : "no") : "-");
        }
        json_decref(j);
        return 0;
    }
    if (!strcmp(sub, "show") && argc == 3) {
        snprintf(path, sizeof(path), "/api/v1/compilations/%s", argv[2]);
        if ((rc = tml_svc_call(&c, "compilations", "GET", path, NULL, NULL, 0, &j)))
            return rc;
        print_one(j);
        json_decref(j);
        return 0;
    }
    if (!strcmp(sub, "get") && argc == 6 && !strcmp(argv[4], "-o")) {
        snprintf(path, sizeof(path), "/api/v1/compilations/%s/artifacts/%s", argv[2], argv[3]);
        tml_api_response_t r;
        tml_err_t err;
        tml_err_clear(&err);
        if (tml_api_request(&c, "GET", path, NULL, NULL, 0, NULL, &r, &err) != TML_OK) {
            fprintf(stderr, "tml compilations: %s\n", tml_err_message(&err));
            return 1;
        }
        if (r.status != 200) {
            fprintf(stderr, "tml compilations: %s (HTTP %d)\n", (const char *)r.body, r.status);
            tml_api_response_free(&r);
            return 1;
        }
        tml_status_t st = tml_file_write(argv[5], r.body, r.body_len, &err);
        if (st == TML_OK)
            printf("%s: %zu bytes\n", argv[5], r.body_len);
        else
            fprintf(stderr, "tml compilations: %s\n", tml_err_message(&err));
        tml_api_response_free(&r);
        return st == TML_OK ? 0 : 1;
    }
    return usage();
}
