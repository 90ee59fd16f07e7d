/*
 * signed_pkg.h - the signed envelope a model package travels in to a
 * device (docs/signed-package.md): the .tmlm bytes followed by a 256-byte
 * trailer with the package's name, version, SHA-256, an optional self-test
 * digest, and an Ed25519 signature by the service's key over the trailer.
 *
 * The device checks the SHA-256 and the signature (libsodium) against the
 * public key it was provisioned with before it installs anything, then runs
 * the self-test inference (tml_spkg_selftest) before it activates the model.
 */
#ifndef TML_SIGNED_PKG_H
#define TML_SIGNED_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_SPKG_MAGIC "TMLSIGN1"
#define TML_SPKG_TRAILER_LEN 256u
#define TML_SPKG_SIGNED_LEN 192u /* trailer bytes the signature covers */
#define TML_SPKG_PK_LEN 32u
#define TML_SPKG_SK_LEN 64u
#define TML_SPKG_FLAG_SELFTEST 1u

typedef struct tml_spkg_info {
    char name[32];            /* NUL-terminated model name */
    char version[24];         /* NUL-terminated model version */
    uint32_t pkg_len;         /* bytes of the .tmlm before the trailer */
    uint32_t flags;           /* TML_SPKG_FLAG_* */
    uint8_t sha256[32];       /* of the .tmlm bytes */
    uint8_t selftest_sha256[32]; /* expected self-test output digest, if flagged */
    uint8_t key_id[8];        /* first 8 bytes of the signer's public key */
} tml_spkg_info_t;

/* A fresh Ed25519 key pair (libsodium). */
tml_status_t tml_spkg_keypair(uint8_t pk[TML_SPKG_PK_LEN], uint8_t sk[TML_SPKG_SK_LEN]);

/* Wraps pkg (pkg_len bytes) with a signed trailer. selftest_sha256 may be
 * NULL (no output check on the device). name and version are truncated to
 * 31 and 23 bytes. *out (caller frees with tml_free) holds *out_len bytes. */
tml_status_t tml_spkg_sign(const uint8_t *pkg, size_t pkg_len, const char *name,
                           const char *version, const uint8_t *selftest_sha256,
                           const uint8_t sk[TML_SPKG_SK_LEN], uint8_t **out, size_t *out_len,
                           tml_err_t *err);

/* Reads the trailer without checking anything cryptographic: fails with
 * TML_ERR_UNSUPPORTED when data has no trailer (a bare .tmlm or something
 * else), TML_ERR_CORRUPT when the trailer is inconsistent. */
tml_status_t tml_spkg_parse(const uint8_t *data, size_t len, tml_spkg_info_t *info,
                            tml_err_t *err);

/* tml_spkg_parse, then the SHA-256 of the package (TML_ERR_CORRUPT on a
 * mismatch) and the signature with pk (TML_ERR_AUTH when it does not
 * verify). On success the package is data[0, info->pkg_len). */
tml_status_t tml_spkg_verify(const uint8_t *data, size_t len, const uint8_t pk[TML_SPKG_PK_LEN],
                             tml_spkg_info_t *info, tml_err_t *err);

/* The self-test: validates pkg with the runtime in arena (at least
 * tml_rt_arena_len bytes), fills every input with the documented pattern,
 * runs one inference and puts the SHA-256 of all outputs, concatenated in
 * order, in digest. pkg must be 4-byte aligned. */
tml_status_t tml_spkg_selftest(const uint8_t *pkg, size_t pkg_len, void *arena, size_t arena_len,
                               uint8_t digest[32], tml_err_t *err);

/* The self-test input pattern for input index idx of dtype (tml_dtype_t):
 * fills len bytes of buf. Also used by the agent's periodic inference. */
void tml_spkg_fill_input(uint32_t dtype, uint32_t idx, uint32_t seed, uint8_t *buf, size_t len);

/* Hex helpers for keys and digests: hex -> bytes (exactly n bytes) and
 * bytes -> hex (out needs 2n+1). */
tml_status_t tml_hex_decode(const char *hex, uint8_t *out, size_t n);
void tml_hex_encode(const uint8_t *data, size_t n, char *out);

#ifdef __cplusplus
}
#endif
#endif /* TML_SIGNED_PKG_H */
