/*
 * fuzz_pkg.c - fuzz target for the runtime's package loader. Whatever the
 * bytes, tml_rt_init must either refuse them or accept a package that then
 * runs without touching memory outside the package and the arena. Both the
 * digest-checked and the digest-skipped paths are exercised: the latter lets
 * the fuzzer reach the structural checks behind the SHA-256.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tml/rt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The loader requires 4-byte alignment; give it an exact-size copy. */
    uint32_t *pkg = malloc(size ? (size + 3) / 4 * 4 : 4);
    if (!pkg)
        return 0;
    memcpy(pkg, data, size);
    uint32_t arena_len = tml_rt_arena_len(pkg, size);
    if (arena_len > (1u << 22))
        arena_len = 1u << 22; /* bigger claims are refused as too little arena */
    uint8_t *arena = malloc(arena_len ? arena_len : 1);
    if (arena) {
        for (int repaired = 0; repaired <= 1; repaired++) {
            if (repaired) {
                tml_pkg_header_t *hdr = (tml_pkg_header_t *)pkg;
                if (size < sizeof(*hdr) || hdr->total_len < sizeof(*hdr) || hdr->total_len > size)
                    break;
                tml_sha256((uint8_t *)pkg + sizeof(*hdr), hdr->total_len - sizeof(*hdr), hdr->body_sha256);
                hdr->header_len = sizeof(*hdr);
                hdr->header_crc32 = 0;
                hdr->header_crc32 = tml_crc32(0, hdr, sizeof(*hdr));
            }
            tml_rt_t rt;
            if (tml_rt_init(&rt, pkg, size, arena, arena_len, 0) == TML_OK)
                (void)tml_rt_invoke(&rt);
        }
        free(arena);
    }
    free(pkg);
    return 0;
}
