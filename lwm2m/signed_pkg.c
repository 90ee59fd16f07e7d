/*
 * signed_pkg.c - the signed package envelope and the self-test inference
 * (see tml/signed_pkg.h and docs/signed-package.md).
 *
 * Trailer (little-endian, 256 bytes, after the .tmlm bytes):
 *   0 magic "TMLSIGN1" | 8 trailer_len u32 | 12 pkg_len u32 | 16 flags u32 |
 *   20 reserved u32 | 24 name[32] | 56 version[24] | 80 sha256[32] |
 *   112 selftest_sha256[32] | 144 key_id[8] | 152 reserved[40] |
 *   192 Ed25519 signature[64] over bytes [0, 192) of the trailer.
 * The signature covers the package through its digest, so a device can
 * hash while it downloads and verify once at the end.
 */
#include <sodium.h>
#include <string.h>

#include "tml/rt.h"
#include "tml/signed_pkg.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

tml_status_t tml_spkg_keypair(uint8_t pk[TML_SPKG_PK_LEN], uint8_t sk[TML_SPKG_SK_LEN])
{
    if (sodium_init() < 0)
        return TML_ERR_INTERNAL;
    return crypto_sign_keypair(pk, sk) == 0 ? TML_OK : TML_ERR_INTERNAL;
}

tml_status_t tml_spkg_sign(const uint8_t *pkg, size_t pkg_len, const char *name,
                           const char *version, const uint8_t *selftest_sha256,
                           const uint8_t sk[TML_SPKG_SK_LEN], uint8_t **out, size_t *out_len,
                           tml_err_t *err)
{
    if (!pkg || !sk || !out || !out_len)
        return tml_err_set(err, TML_ERR_ARG, "sign: NULL argument");
    if (pkg_len > UINT32_MAX - TML_SPKG_TRAILER_LEN)
        return tml_err_set(err, TML_ERR_ARG, "sign: package too large");
    if (sodium_init() < 0)
        return tml_err_set(err, TML_ERR_INTERNAL, "sign: libsodium did not initialise");
    uint8_t *buf = tml_malloc(pkg_len + TML_SPKG_TRAILER_LEN);
    if (!buf)
        return tml_err_set(err, TML_ERR_NOMEM, "sign: out of memory");
    memcpy(buf, pkg, pkg_len);
    uint8_t *t = buf + pkg_len;
    memset(t, 0, TML_SPKG_TRAILER_LEN);
    memcpy(t, TML_SPKG_MAGIC, 8);
    wr32(t + 8, TML_SPKG_TRAILER_LEN);
    wr32(t + 12, (uint32_t)pkg_len);
    wr32(t + 16, selftest_sha256 ? TML_SPKG_FLAG_SELFTEST : 0);
    if (name)
        strncpy((char *)t + 24, name, 31);
    if (version)
        strncpy((char *)t + 56, version, 23);
    tml_sha256(pkg, pkg_len, t + 80);
    if (selftest_sha256)
        memcpy(t + 112, selftest_sha256, 32);
    memcpy(t + 144, sk + 32, 8); /* libsodium's sk ends with the public key */
    crypto_sign_detached(t + TML_SPKG_SIGNED_LEN, NULL, t, TML_SPKG_SIGNED_LEN, sk);
    *out = buf;
    *out_len = pkg_len + TML_SPKG_TRAILER_LEN;
    return TML_OK;
}

tml_status_t tml_spkg_parse(const uint8_t *data, size_t len, tml_spkg_info_t *info,
                            tml_err_t *err)
{
    if (!data || !info)
        return tml_err_set(err, TML_ERR_ARG, "signed package: NULL argument");
    memset(info, 0, sizeof(*info));
    if (len < TML_SPKG_TRAILER_LEN ||
        memcmp(data + len - TML_SPKG_TRAILER_LEN, TML_SPKG_MAGIC, 8) != 0)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "package has no signature trailer");
    const uint8_t *t = data + len - TML_SPKG_TRAILER_LEN;
    if (rd32(t + 8) != TML_SPKG_TRAILER_LEN)
        return tml_err_set(err, TML_ERR_CORRUPT, "signature trailer length %u, expected %u",
                           rd32(t + 8), TML_SPKG_TRAILER_LEN);
    info->pkg_len = rd32(t + 12);
    if (info->pkg_len != len - TML_SPKG_TRAILER_LEN)
        return tml_err_set(err, TML_ERR_CORRUPT, "trailer says %u package bytes, found %zu",
                           info->pkg_len, len - TML_SPKG_TRAILER_LEN);
    info->flags = rd32(t + 16);
    if (t[24 + 31] != 0 || t[56 + 23] != 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "trailer name or version not terminated");
    memcpy(info->name, t + 24, 32);
    memcpy(info->version, t + 56, 24);
    memcpy(info->sha256, t + 80, 32);
    memcpy(info->selftest_sha256, t + 112, 32);
    memcpy(info->key_id, t + 144, 8);
    return TML_OK;
}

tml_status_t tml_spkg_verify(const uint8_t *data, size_t len, const uint8_t pk[TML_SPKG_PK_LEN],
                             tml_spkg_info_t *info, tml_err_t *err)
{
    tml_status_t st = tml_spkg_parse(data, len, info, err);
    if (st != TML_OK)
        return st;
    if (!pk)
        return tml_err_set(err, TML_ERR_AUTH, "no trusted key provisioned");
    if (sodium_init() < 0)
        return tml_err_set(err, TML_ERR_INTERNAL, "libsodium did not initialise");
    uint8_t digest[32];
    tml_sha256(data, info->pkg_len, digest);
    if (sodium_memcmp(digest, info->sha256, 32) != 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "package SHA-256 does not match its trailer");
    const uint8_t *t = data + info->pkg_len;
    if (crypto_sign_verify_detached(t + TML_SPKG_SIGNED_LEN, t, TML_SPKG_SIGNED_LEN, pk) != 0)
        return tml_err_set(err, TML_ERR_AUTH, "package signature does not verify with the trusted key");
    return TML_OK;
}

void tml_spkg_fill_input(uint32_t dtype, uint32_t idx, uint32_t seed, uint8_t *buf, size_t len)
{
    uint32_t size = tml_dtype_size(dtype);
    if (size == 0) {
        memset(buf, 0, len);
        return;
    }
    for (size_t k = 0; k * size + size <= len; k++) {
        uint32_t r = (uint32_t)k * 37u + 11u + 13u * idx + 101u * seed;
        switch (dtype) {
        case TML_DT_F32: {
            float f = (float)((int)(r % 201u) - 100) / 100.0f;
            memcpy(buf + k * 4, &f, 4);
            break;
        }
        case TML_DT_BOOL:
            buf[k] = (uint8_t)(r & 1u);
            break;
        case TML_DT_I8:
        case TML_DT_U8:
            buf[k] = (uint8_t)r;
            break;
        default: { /* small little-endian integers */
            int64_t v = (int64_t)(r % 17u) - 8;
            for (uint32_t b = 0; b < size; b++)
                buf[k * size + b] = (uint8_t)((uint64_t)v >> (8 * b));
            break;
        }
        }
    }
}

tml_status_t tml_spkg_selftest(const uint8_t *pkg, size_t pkg_len, void *arena, size_t arena_len,
                               uint8_t digest[32], tml_err_t *err)
{
    tml_rt_t rt;
    tml_status_t st = tml_rt_init(&rt, pkg, pkg_len, arena, arena_len, 0);
    if (st != TML_OK) {
        if (rt.failed_op != TML_PKG_NONE)
            return tml_err_set(err, st, "self-test: package refused by the runtime at op %u: %s",
                               rt.failed_op, tml_strerror(st));
        return tml_err_set(err, st, "self-test: package refused by the runtime: %s", tml_strerror(st));
    }
    for (uint32_t i = 0; i < tml_rt_n_inputs(&rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_input(&rt, i);
        tml_spkg_fill_input(t->dtype, i, 0, tml_rt_tensor_data(&rt, t), t->byte_len);
    }
    st = tml_rt_invoke(&rt);
    if (st != TML_OK)
        return tml_err_set(err, st, "self-test: inference failed: %s", tml_strerror(st));
    crypto_hash_sha256_state h;
    if (sodium_init() < 0)
        return tml_err_set(err, TML_ERR_INTERNAL, "libsodium did not initialise");
    crypto_hash_sha256_init(&h);
    for (uint32_t i = 0; i < tml_rt_n_outputs(&rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_output(&rt, i);
        crypto_hash_sha256_update(&h, tml_rt_tensor_data(&rt, t), t->byte_len);
    }
    crypto_hash_sha256_final(&h, digest);
    return TML_OK;
}

tml_status_t tml_hex_decode(const char *hex, uint8_t *out, size_t n)
{
    if (!hex || strlen(hex) != 2 * n)
        return TML_ERR_CORRUPT;
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = hex[2 * i + (size_t)k];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0)
                return TML_ERR_CORRUPT;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return TML_OK;
}

void tml_hex_encode(const uint8_t *data, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * n] = 0;
}
