/*
 * cmd_devices.c - `tml devices ls|show|add|tag|psk|compatible`: the
 * service's device records.
 *   tml devices ls [--tag T] [--profile P] [--state online|offline]
 *   tml devices show EP | add EP PROFILE [TAG...] | tag EP [TAG...] | psk EP [IDENTITY [KEYHEX]]
 *   tml devices compatible EP
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_service.h"
#include "commands.h"

static int usage(void)
{
    fputs("usage: tml devices ls [--tag T] [--profile P] [--state online|offline]\n"
          "       tml devices show EP | add EP PROFILE [TAG...] | tag EP [TAG...] | psk EP [IDENTITY [KEYHEX]]\n"
          "       tml devices compatible EP\n"
          "       (all take --server URL --token T, or TML_SERVER / TML_TOKEN)\n", stderr);
    return 2;
}

static int send_json(const tml_api_client_t *c, const char *method, const char *path, json_t *body, json_t **out)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    int rc = tml_svc_call(c, "devices", method, path, "application/json", text, text ? strlen(text) : 0, out);
    free(text);
    return rc;
}

static void dump(json_t *j)
{
    json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', stdout);
}

int tml_cmd_devices(int argc, char **argv)
{
    tml_api_client_t c;
    int rc = tml_svc_connect(&argc, argv, &c, "devices");
    if (rc)
        return rc;
    if (argc < 2)
        return usage();
    const char *sub = argv[1];
    char path[1024], enc[256];
    json_t *j;
    if (!strcmp(sub, "ls")) {
        snprintf(path, sizeof(path), "/api/v1/devices?");
        for (int i = 2; i < argc; i++) {
            if (i + 1 >= argc || (strcmp(argv[i], "--tag") && strcmp(argv[i], "--profile") && strcmp(argv[i], "--state")))
                return usage();
            tml_svc_urlencode(argv[i + 1], enc, sizeof(enc));
            snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s=%s&", argv[i] + 2, enc);
            i++;
        }
        if ((rc = tml_svc_call(&c, "devices", "GET", path, NULL, NULL, 0, &j)))
            return rc;
        printf("%-24s %-12s %-8s %-20s %s\n", "ENDPOINT", "PROFILE", "STATE", "INSTALLED", "TAGS");
        size_t i, k;
        json_t *d, *t;
        json_array_foreach(json_object_get(j, "devices"), i, d) {
            char tags[256] = "";
            json_array_foreach(json_object_get(d, "tags"), k, t)
                snprintf(tags + strlen(tags), sizeof(tags) - strlen(tags), "%s%s", k ? "," : "", json_string_value(t));
            const char *inst = json_string_value(json_object_get(d, "installed_model"));
            printf("%-24s %-12s %-8s %-20s %s\n", json_string_value(json_object_get(d, "endpoint")),
                   json_string_value(json_object_get(d, "profile")), json_string_value(json_object_get(d, "state")),
                   inst ? inst : "-", tags);
        }
        json_decref(j);
        return 0;
    }
    if (argc < 3)
        return usage();
    const char *ep = argv[2];
    json_t *tags = json_array();
    if (!strcmp(sub, "show") || !strcmp(sub, "compatible")) {
        json_decref(tags);
        snprintf(path, sizeof(path), "/api/v1/devices/%s%s", ep, sub[0] == 'c' ? "/compatible-models" : "");
        rc = tml_svc_call(&c, "devices", "GET", path, NULL, NULL, 0, &j);
    } else if (!strcmp(sub, "add") && argc >= 4) {
        for (int i = 4; i < argc; i++)
            json_array_append_new(tags, json_string(argv[i]));
        rc = send_json(&c, "POST", "/api/v1/devices",
                       json_pack("{s:s, s:s, s:o}", "endpoint", ep, "profile", argv[3], "tags", tags), &j);
    } else if (!strcmp(sub, "tag")) {
        for (int i = 3; i < argc; i++)
            json_array_append_new(tags, json_string(argv[i]));
        snprintf(path, sizeof(path), "/api/v1/devices/%s/tags", ep);
        rc = send_json(&c, "PUT", path, json_pack("{s:o}", "tags", tags), &j);
    } else if (!strcmp(sub, "psk") && argc <= 5) {
        json_decref(tags);
        json_t *body = json_object();
        if (argc >= 4)
            json_object_set_new(body, "identity", json_string(argv[3]));
        if (argc == 5)
            json_object_set_new(body, "key", json_string(argv[4]));
        snprintf(path, sizeof(path), "/api/v1/devices/%s/psk", ep);
        rc = send_json(&c, "POST", path, body, &j);
    } else {
        json_decref(tags);
        return usage();
    }
    if (rc)
        return rc;
    dump(j);
    json_decref(j);
    return 0;
}
