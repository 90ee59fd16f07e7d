/*
 * main.c - tmlaasd, the TinyMLaaS daemon: parse the command line, start the
 * service (tml/service.h), print where it listens, wait for SIGTERM or
 * SIGINT, stop cleanly.
 *
 * The signals are blocked before any thread starts, so every thread
 * inherits the mask and only sigwait() below ever sees them: shutdown runs
 * in plain code, not in a signal handler.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tml/service.h"

static void usage(FILE *f)
{
    fputs("usage: tmlaasd --data DIR [--http-port N] [--lwm2m-port N] [--lwm2m-dtls-port N]\n"
          "               [--admin-token T] [--bind ADDR] [--workers N] [--max-body BYTES]\n"
          "               [--max-upload BYTES] [--store URL] [--lwm2m-host ADDR] [--require-dtls]\n"
          "               [--lwm2m-sessions N]\n"
          "  --data DIR          where the store (DIR/tmlaasd.db) and blobs (DIR/blobs) live\n"
          "  --http-port N       HTTP API port (0: any free port; default 8080)\n"
          "  --lwm2m-port N      LwM2M server UDP port (0: any free port; -1: off; default 5683)\n"
          "  --lwm2m-dtls-port N LwM2M DTLS-PSK port (0: any free port; -1: off; default 5684)\n"
          "  --lwm2m-host ADDR   LwM2M bind address, also used in package URIs (default 127.0.0.1)\n"
          "  --require-dtls      refuse LwM2M registrations over plain UDP\n"
          "  --lwm2m-sessions N  idle CoAP sessions kept for plain-UDP devices (the working\n"
          "                      set; the device registry holds every device; default 256)\n"
          "  --admin-token T     admin token created on first start (else TML_ADMIN_TOKEN,\n"
          "                      else a generated one is printed)\n"
          "  --bind ADDR         IPv4 address to listen on (default 127.0.0.1)\n"
          "  --workers N         compile worker threads (default 2)\n"
          "  --max-body BYTES    largest JSON request body (default 1 MiB)\n"
          "  --max-upload BYTES  largest model upload (default 64 MiB)\n"
          "  --store URL         store URL (default sqlite:DIR/tmlaasd.db)\n", f);
}

static int parse_int(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    tml_service_opts_t opts = {0};
    opts.http_port = 8080;
    opts.lwm2m_port = 5683;
    opts.lwm2m_dtls_port = 5684;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--require-dtls")) {
            opts.require_dtls = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "tmlaasd: %s needs a value\n", a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--data"))
            opts.data_dir = v;
        else if (!strcmp(a, "--admin-token"))
            opts.admin_token = v;
        else if (!strcmp(a, "--bind"))
            opts.bind_addr = v;
        else if (!strcmp(a, "--store"))
            opts.store_url = v;
        else if (!strcmp(a, "--http-port") && !parse_int(v, 0, 65535, &n))
            opts.http_port = (int)n;
        else if (!strcmp(a, "--lwm2m-host"))
            opts.lwm2m_host = v;
        else if (!strcmp(a, "--lwm2m-port") && !parse_int(v, -1, 65535, &n))
            opts.lwm2m_port = (int)n;
        else if (!strcmp(a, "--lwm2m-dtls-port") && !parse_int(v, -1, 65535, &n))
            opts.lwm2m_dtls_port = (int)n;
        else if (!strcmp(a, "--lwm2m-sessions") && !parse_int(v, 1, 1L << 30, &n))
            opts.lwm2m_session_cache = (uint32_t)n;
        else if (!strcmp(a, "--workers") && !parse_int(v, 1, 64, &n))
            opts.n_workers = (int)n;
        else if (!strcmp(a, "--max-body") && !parse_int(v, 1, 1L << 30, &n))
            opts.max_body_bytes = (size_t)n;
        else if (!strcmp(a, "--max-upload") && !parse_int(v, 1, 1L << 30, &n))
            opts.max_upload_bytes = (size_t)n;
        else {
            fprintf(stderr, "tmlaasd: bad option or value: %s %s\n", a, v);
            usage(stderr);
            return 2;
        }
    }
    if (!opts.data_dir) {
        fputs("tmlaasd: --data DIR is required\n", stderr);
        usage(stderr);
        return 2;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    tml_err_t err;
    tml_err_clear(&err);
    tml_service_t *svc = NULL;
    if (tml_service_start(&opts, &svc, &err) != TML_OK) {
        fprintf(stderr, "tmlaasd: %s\n", tml_err_message(&err));
        return 1;
    }
    printf("tmlaasd: data in %s\n", opts.data_dir);
    printf("tmlaasd: http listening on http://%s:%d/api/v1 (OpenAPI at /api/v1/openapi.json)\n",
           opts.bind_addr ? opts.bind_addr : "127.0.0.1", tml_service_http_port(svc));
    const char *lhost = opts.lwm2m_host ? opts.lwm2m_host : "127.0.0.1";
    if (tml_service_lwm2m_port(svc))
        printf("tmlaasd: lwm2m listening on coap://%s:%d%s\n", lhost, tml_service_lwm2m_port(svc),
               opts.require_dtls ? " (registrations need DTLS)" : "");
    if (tml_service_lwm2m_dtls_port(svc))
        printf("tmlaasd: lwm2m dtls-psk listening on coaps://%s:%d\n", lhost, tml_service_lwm2m_dtls_port(svc));
    printf("tmlaasd: package signing key (tml-agent --trust-key): %s\n", tml_service_signing_key(svc));
    if (tml_service_new_admin_token(svc)) {
        if (tml_service_admin_token_generated(svc))
            printf("tmlaasd: admin token (shown once): %s\n", tml_service_new_admin_token(svc));
        else
            printf("tmlaasd: admin token set from %s\n", opts.admin_token ? "--admin-token" : "TML_ADMIN_TOKEN");
    }
    printf("tmlaasd: ready\n");
    fflush(stdout);

    int sig = 0;
    sigwait(&sigs, &sig);
    printf("tmlaasd: %s, shutting down\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    fflush(stdout);
    tml_service_stop(svc);
    printf("tmlaasd: stopped\n");
    return 0;
}
