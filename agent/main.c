/*
 * main.c - tml-agent: the device agent as a Linux process, on the POSIX
 * platform layer. Flags:
 *   --server coap://127.0.0.1:5683 --endpoint NAME --profile nrf52840
 *   --state DIR [--lifetime S] [--queue] [--trust-key PUBKEY_HEX]
 *   [--psk-identity ID --psk-key HEX] [--infer-period MS] [--ack-timeout MS]
 *   [--notify-con-every N]
 * With a PSK, coaps:// URIs run DTLS 1.2 PSK.
 * Runs until SIGINT/SIGTERM, then de-registers.
 */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tml/agent.h"
#include "tml/signed_pkg.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: tml-agent --server URI --endpoint NAME --profile NAME --state DIR\n"
                    "                 [--lifetime S] [--queue] [--trust-key HEX] [--psk-identity ID]\n"
                    "                 [--psk-key HEX] [--infer-period MS] [--ack-timeout MS]\n"
                    "                 [--notify-con-every N]\n");
    return 2;
}

int main(int argc, char **argv)
{
    tml_agent_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    const char *state = NULL, *profile = NULL, *trust = NULL, *psk_id = NULL, *psk_hex = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--queue")) {
            cfg.queue_mode = true;
            continue;
        }
        if (!v)
            return usage();
        i++;
        if (!strcmp(a, "--server")) cfg.server_uri = v;
        else if (!strcmp(a, "--endpoint")) cfg.endpoint = v;
        else if (!strcmp(a, "--profile")) profile = v;
        else if (!strcmp(a, "--state")) state = v;
        else if (!strcmp(a, "--lifetime")) cfg.lifetime_s = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--trust-key")) trust = v;
        else if (!strcmp(a, "--psk-identity")) psk_id = v;
        else if (!strcmp(a, "--psk-key")) psk_hex = v;
        else if (!strcmp(a, "--infer-period")) cfg.infer_period_ms = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--ack-timeout")) cfg.ack_timeout_ms = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(a, "--notify-con-every")) cfg.notify_con_every = (uint32_t)strtoul(v, NULL, 10);
        else return usage();
    }
    if (!cfg.server_uri || !cfg.endpoint || !profile || !state)
        return usage();
    cfg.profile = tml_target_find(profile);
    if (!cfg.profile) {
        fprintf(stderr, "tml-agent: unknown profile '%s'\n", profile);
        return 2;
    }
    uint8_t key[32], psk[64];
    size_t psk_len = 0;
    if (trust) {
        if (tml_hex_decode(trust, key, 32) != TML_OK) {
            fprintf(stderr, "tml-agent: --trust-key must be 64 hex digits\n");
            return 2;
        }
        cfg.trust_key = key;
    }
    if (!psk_id != !psk_hex) {
        fprintf(stderr, "tml-agent: --psk-identity and --psk-key go together\n");
        return 2;
    }
    if (psk_hex) {
        psk_len = strlen(psk_hex) / 2;
        if (psk_len == 0 || strlen(psk_hex) % 2 || psk_len > sizeof(psk) ||
            tml_hex_decode(psk_hex, psk, psk_len) != TML_OK) {
            fprintf(stderr, "tml-agent: --psk-key must be hex, at most 64 bytes\n");
            return 2;
        }
    }
    cfg.psk_identity = psk_id;
    tml_err_t err;
    tml_err_clear(&err);
    tml_agent_posix_t *px;
    tml_agent_platform_t pf;
    if (tml_agent_posix_create(state, psk_id, psk_len ? psk : NULL, psk_len, &px, &pf, &err) != TML_OK) {
        fprintf(stderr, "tml-agent: %s\n", tml_err_message(&err));
        return 1;
    }
    tml_agent_t *agent;
    if (tml_agent_create(&cfg, &pf, &agent, &err) != TML_OK) {
        fprintf(stderr, "tml-agent: %s\n", tml_err_message(&err));
        tml_agent_posix_destroy(px);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stop_requested) {
        tml_agent_step(agent);
        struct pollfd pfds[8];
        int fds[8];
        size_t n = tml_agent_posix_fds(px, fds, 8);
        for (size_t i = 0; i < n; i++) {
            pfds[i].fd = fds[i];
            pfds[i].events = POLLIN;
        }
        uint32_t wait = tml_agent_next_ms(agent);
        poll(pfds, n, (int)(wait > 1000 ? 1000 : wait));
    }
    /* Leave politely: de-register and give it a moment to be acknowledged. */
    tml_agent_deregister(agent);
    for (int i = 0; i < 50; i++) {
        tml_agent_step(agent);
        tml_agent_status_t st;
        tml_agent_get_status(agent, &st);
        if (!st.registered)
            break;
        struct pollfd none;
        poll(&none, 0, 20);
    }
    tml_agent_destroy(agent);
    tml_agent_posix_destroy(px);
    return 0;
}
