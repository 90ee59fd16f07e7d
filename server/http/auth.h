/*
 * auth.h - API tokens: "Authorization: Bearer <token>" -> the token's
 * record (tenant, admin). Secrets are random, shown once when created, and
 * stored only as their SHA-256, so a leaked database holds no usable token.
 */
#ifndef TML_AUTH_H
#define TML_AUTH_H

#include "../service_internal.h"

#define TML_TOKEN_PREFIX "tml_"
#define TML_TOKEN_MAX 80

/* Checks an Authorization header value; AUTH with a message when missing,
 * malformed or unknown. */
tml_status_t tml_auth_check(tml_service_t *svc, const char *header, tml_token_rec_t *out,
                            tml_err_t *err);

/* A new random secret "tml_" + 48 hex digits into secret (TML_TOKEN_MAX bytes). */
void tml_auth_new_secret(char *secret);

/* Creates a token for tenant with the given secret (NULL: a new random one,
 * written back into secret_out when non-NULL). */
tml_status_t tml_auth_create_token(tml_service_t *svc, tml_id_t tenant, const char *name, bool admin,
                                   const char *secret, char *secret_out, tml_id_t *id,
                                   tml_err_t *err);

#endif /* TML_AUTH_H */
