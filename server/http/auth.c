/*
 * auth.c - see auth.h.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth.h"

tml_status_t tml_auth_check(tml_service_t *svc, const char *header, tml_token_rec_t *out,
                            tml_err_t *err)
{
    if (!header || !*header)
        return tml_err_set(err, TML_ERR_AUTH, "missing 'Authorization: Bearer <token>' header");
    if (strncasecmp(header, "Bearer ", 7) != 0)
        return tml_err_set(err, TML_ERR_AUTH, "the Authorization header must be 'Bearer <token>'");
    const char *tok = header + 7;
    while (*tok == ' ')
        tok++;
    size_t n = strlen(tok);
    if (n == 0 || n >= TML_TOKEN_MAX)
        return tml_err_set(err, TML_ERR_AUTH, "malformed bearer token");
    char hash[65];
    tml_sha256_hex(tok, n, hash);
    tml_status_t st = tml_store_call(svc->store, token_lookup, hash, out, err);
    if (st == TML_ERR_AUTH) {
        tml_err_clear(err);
        return tml_err_set(err, TML_ERR_AUTH, "invalid or revoked token");
    }
    return st;
}

void tml_auth_new_secret(char *secret)
{
    unsigned char raw[24];
    randombytes_buf(raw, sizeof(raw));
    memcpy(secret, TML_TOKEN_PREFIX, sizeof(TML_TOKEN_PREFIX) - 1);
    sodium_bin2hex(secret + sizeof(TML_TOKEN_PREFIX) - 1, TML_TOKEN_MAX - sizeof(TML_TOKEN_PREFIX),
                   raw, sizeof(raw));
}

tml_status_t tml_auth_create_token(tml_service_t *svc, tml_id_t tenant, const char *name, bool admin,
                                   const char *secret, char *secret_out, tml_id_t *id,
                                   tml_err_t *err)
{
    char fresh[TML_TOKEN_MAX];
    if (!secret) {
        tml_auth_new_secret(fresh);
        secret = fresh;
    }
    size_t n = strlen(secret);
    if (n < 16 || n >= TML_TOKEN_MAX)
        return tml_err_set(err, TML_ERR_ARG, "a token must be 16 to %d characters", TML_TOKEN_MAX - 1);
    for (size_t i = 0; i < n; i++)
        if (secret[i] <= ' ' || secret[i] > '~')
            return tml_err_set(err, TML_ERR_ARG, "a token must be printable ASCII without spaces");
    char hash[65];
    tml_sha256_hex(secret, n, hash);
    tml_status_t st = tml_store_call(svc->store, token_create, tenant, name, hash, admin, id, err);
    if (st == TML_ERR_EXISTS) {
        tml_err_clear(err);
        st = tml_err_set(err, TML_ERR_EXISTS, "that token is already in use");
    }
    if (st == TML_OK && secret_out && secret_out != secret)
        snprintf(secret_out, TML_TOKEN_MAX, "%s", secret);
    return st;
}
