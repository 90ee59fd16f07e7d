/*
 * cmd_deploy.c - `tml deploy` (start a deployment and follow it with a
 * live progress bar) and `tml deployments ls|show|pause|resume|cancel`.
 *   tml deploy MODEL VERSION (--all | --tag T | --profile P | --device EP...)
 *              [--canary SHARE] [--batch N] [--threshold SHARE] [--dry-run] [--no-wait]
 *   tml deployments ls [--state S] | show ID | pause ID | resume ID | cancel ID
 * The progress bar redraws one line while stdout is a terminal and prints
 * a line per change otherwise (logs, CI).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_service.h"
#include "commands.h"

static int deploy_usage(void)
{
    fputs("usage: tml deploy MODEL VERSION (--all | --tag T | --profile P | --device EP...)\n"
          "                  [--canary SHARE] [--batch N] [--threshold SHARE] [--dry-run] [--no-wait]\n"
          "  --canary SHARE     share of the devices in the first batch (0..1, default 0.1)\n"
          "  --batch N          devices per later batch (default 10)\n"
          "  --threshold SHARE  failed share of finished devices that pauses it (default 0.2)\n"
          "  --dry-run          print the plan (artifact, bytes, CoAP blocks, transfer time, refusals)\n"
          "  (--server URL --token T, or TML_SERVER / TML_TOKEN)\n", stderr);
    return 2;
}

static int deployments_usage(void)
{
    fputs("usage: tml deployments ls [--state S] | show ID | pause ID | resume ID | cancel ID\n"
          "       (--server URL --token T, or TML_SERVER / TML_TOKEN)\n", stderr);
    return 2;
}

static const char *jstr(json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s ? s : "-";
}

static void print_plan(json_t *j)
{
    printf("%-24s %-12s %-6s %10s %7s %10s  %s\n", "ENDPOINT", "PROFILE", "BATCH", "BYTES", "BLOCKS", "TRANSFER",
           "LINK / REFUSED BECAUSE");
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(j, "plan"), i, p) {
        if (json_is_true(json_object_get(p, "fits")))
            printf("%-24s %-12s %-6lld %10lld %7lld %9.2fs  %s\n", jstr(p, "endpoint"), jstr(p, "profile"),
                   (long long)json_integer_value(json_object_get(p, "batch")),
                   (long long)json_integer_value(json_object_get(json_object_get(p, "artifact"), "bytes")),
                   (long long)json_integer_value(json_object_get(p, "coap_blocks")),
                   json_number_value(json_object_get(p, "transfer_s")), jstr(json_object_get(p, "link"), "name"));
        else
            printf("%-24s %-12s %-6s %10s %7s %10s  refused: %s\n", jstr(p, "endpoint"), jstr(p, "profile"), "-",
                   "-", "-", "-", jstr(p, "reason"));
    }
    json_t *s = json_object_get(j, "summary");
    if (s)
        printf("%lld devices: %lld fit, %lld refused, %lld batches, %lld bytes, %.1f s of transfer in all\n",
               (long long)json_integer_value(json_object_get(s, "devices")),
               (long long)json_integer_value(json_object_get(s, "fit")),
               (long long)json_integer_value(json_object_get(s, "refused")),
               (long long)json_integer_value(json_object_get(s, "batches")),
               (long long)json_integer_value(json_object_get(s, "bytes")),
               json_number_value(json_object_get(s, "transfer_s_total")));
}

static void print_deployment(json_t *j)
{
    json_t *pr = json_object_get(j, "progress");
    printf("deployment %lld: %s@%s %s%s%s, batch %lld of %lld, %lld/%lld done\n",
           (long long)json_integer_value(json_object_get(j, "id")), jstr(j, "model"), jstr(j, "version"),
           jstr(j, "state"), json_is_string(json_object_get(j, "reason")) ? " - " : "",
           json_is_string(json_object_get(j, "reason")) ? jstr(j, "reason") : "",
           (long long)json_integer_value(json_object_get(j, "current_batch")) + 1,
           (long long)json_integer_value(json_object_get(j, "batches")),
           (long long)json_integer_value(json_object_get(pr, "done")),
           (long long)json_integer_value(json_object_get(pr, "eligible")));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(j, "devices"), i, d)
        printf("  %-24s %-12s batch %-3lld %-12s %s\n", jstr(d, "endpoint"), jstr(d, "profile"),
               (long long)json_integer_value(json_object_get(d, "batch")), jstr(d, "stage"),
               json_is_string(json_object_get(d, "error")) ? jstr(d, "error") : "");
}

static bool finished(const char *state)
{
    return !strcmp(state, "done") || !strcmp(state, "cancelled");
}

/* Polls the deployment, drawing a bar, until it finishes or pauses. */
static int follow(const tml_api_client_t *c, long long id)
{
    char path[64], last[256] = "";
    snprintf(path, sizeof(path), "/api/v1/deployments/%lld", id);
    bool tty = isatty(1);
    for (;;) {
        json_t *j;
        if (tml_svc_call(c, "deploy", "GET", path, NULL, NULL, 0, &j))
            return 1;
        json_t *pr = json_object_get(j, "progress");
        long long done = json_integer_value(json_object_get(pr, "done"));
        long long eligible = json_integer_value(json_object_get(pr, "eligible"));
        json_t *stages = json_object_get(j, "stages");
        char stage_txt[160] = "";
        const char *k;
        json_t *v;
        json_object_foreach(stages, k, v) snprintf(stage_txt + strlen(stage_txt), sizeof(stage_txt) - strlen(stage_txt),
                                                   "%s%s %lld", stage_txt[0] ? ", " : "", k,
                                                   (long long)json_integer_value(v));
        const int width = 30;
        int filled = eligible ? (int)(width * done / eligible) : width;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '-';
        bar[width] = '\0';
        char line[256];
        snprintf(line, sizeof(line), "[%s] %lld/%lld %-9s %s", bar, done, eligible, jstr(j, "state"), stage_txt);
        if (tty) {
            printf("\r%-120s", line);
            fflush(stdout);
        } else if (strcmp(line, last)) {
            printf("%s\n", line);
            fflush(stdout);
        }
        snprintf(last, sizeof(last), "%s", line);
        const char *state = jstr(j, "state");
        if (finished(state) || !strcmp(state, "paused")) {
            if (tty)
                printf("\n");
            print_deployment(j);
            int rc = !strcmp(state, "done") && json_integer_value(json_object_get(stages, "failed")) == 0 ? 0 : 1;
            json_decref(j);
            return rc;
        }
        json_decref(j);
        struct timespec ts = {0, 500 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

int tml_cmd_deploy(int argc, char **argv)
{
    tml_api_client_t c;
    int rc = tml_svc_connect(&argc, argv, &c, "deploy");
    if (rc)
        return rc;
    if (argc < 3)
        return deploy_usage();
    json_t *sel = json_object(), *strategy = json_object(), *eps = json_array();
    bool dry = false, wait = true;
    for (int i = 3; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--all"))
            json_object_set_new(sel, "all", json_true());
        else if (!strcmp(a, "--dry-run"))
            dry = true;
        else if (!strcmp(a, "--no-wait"))
            wait = false;
        else if (v && !strcmp(a, "--tag") && ++i)
            json_object_set_new(sel, "tag", json_string(v));
        else if (v && !strcmp(a, "--profile") && ++i)
            json_object_set_new(sel, "profile", json_string(v));
        else if (v && !strcmp(a, "--device") && ++i)
            json_array_append_new(eps, json_string(v));
        else if (v && !strcmp(a, "--canary") && ++i)
            json_object_set_new(strategy, "canary_share", json_real(atof(v)));
        else if (v && !strcmp(a, "--threshold") && ++i)
            json_object_set_new(strategy, "failure_threshold", json_real(atof(v)));
        else if (v && !strcmp(a, "--batch") && ++i)
            json_object_set_new(strategy, "batch_size", json_integer(atoll(v)));
        else {
            json_decref(sel);
            json_decref(strategy);
            json_decref(eps);
            return deploy_usage();
        }
    }
    if (json_array_size(eps))
        json_object_set(sel, "endpoints", eps);
    json_decref(eps);
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "model", argv[1], "version", argv[2], "selector", sel,
                             "strategy", strategy);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    json_t *j = NULL;
    rc = tml_svc_call(&c, "deploy", "POST", dry ? "/api/v1/deployments?dry_run=1" : "/api/v1/deployments",
                      "application/json", text, text ? strlen(text) : 0, &j);
    free(text);
    if (rc)
        return rc;
    print_plan(j);
    long long id = json_integer_value(json_object_get(j, "id"));
    json_decref(j);
    if (dry)
        return 0;
    printf("deployment %lld started\n", id);
    return wait ? follow(&c, id) : 0;
}

int tml_cmd_deployments(int argc, char **argv)
{
    tml_api_client_t c;
    int rc = tml_svc_connect(&argc, argv, &c, "deployments");
    if (rc)
        return rc;
    if (argc < 2)
        return deployments_usage();
    const char *sub = argv[1];
    char path[256];
    json_t *j;
    if (!strcmp(sub, "ls")) {
        char enc[64] = "";
        if (argc == 4 && !strcmp(argv[2], "--state"))
            tml_svc_urlencode(argv[3], enc, sizeof(enc));
        else if (argc != 2)
            return deployments_usage();
        snprintf(path, sizeof(path), "/api/v1/deployments%s%s", enc[0] ? "?state=" : "", enc);
        if ((rc = tml_svc_call(&c, "deployments", "GET", path, NULL, NULL, 0, &j)))
            return rc;
        printf("%-6s %-28s %-11s %-8s %s\n", "ID", "MODEL", "STATE", "DONE", "REASON");
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(j, "deployments"), i, d) {
            char model[160], done[32];
            snprintf(model, sizeof(model), "%s@%s", jstr(d, "model"), jstr(d, "version"));
            json_t *pr = json_object_get(d, "progress");
            snprintf(done, sizeof(done), "%lld/%lld", (long long)json_integer_value(json_object_get(pr, "done")),
                     (long long)json_integer_value(json_object_get(pr, "eligible")));
            printf("%-6lld %-28s %-11s %-8s %s\n", (long long)json_integer_value(json_object_get(d, "id")), model,
                   jstr(d, "state"), done, json_is_string(json_object_get(d, "reason")) ? jstr(d, "reason") : "");
        }
        json_decref(j);
        return 0;
    }
    if (argc != 3)
        return deployments_usage();
    char *end = NULL;
    long long id = strtoll(argv[2], &end, 10);
    if (!*argv[2] || *end || id <= 0) {
        fprintf(stderr, "tml deployments: '%s' is not a deployment id\n", argv[2]);
        return 2;
    }
    if (!strcmp(sub, "show")) {
        snprintf(path, sizeof(path), "/api/v1/deployments/%lld", id);
        if ((rc = tml_svc_call(&c, "deployments", "GET", path, NULL, NULL, 0, &j)))
            return rc;
    } else if (!strcmp(sub, "pause") || !strcmp(sub, "resume") || !strcmp(sub, "cancel")) {
        snprintf(path, sizeof(path), "/api/v1/deployments/%lld/%s", id, sub);
        if ((rc = tml_svc_call(&c, "deployments", "POST", path, NULL, NULL, 0, &j)))
            return rc;
    } else {
        return deployments_usage();
    }
    print_deployment(j);
    json_decref(j);
    return 0;
}
