/*
 * fuzz_lwm2m_spkg.c - fuzz target for the signed-package trailer parser and
 * verifier (a device reads the trailer of whatever it downloaded).
 */
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "tml/signed_pkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t pk[TML_SPKG_PK_LEN] = {1, 2, 3};
    tml_spkg_info_t info;
    if (tml_spkg_verify(data, size, pk, &info, NULL) == TML_OK)
        return 0; /* cannot happen without the secret key */
    if (tml_spkg_parse(data, size, &info, NULL) == TML_OK) {
        volatile size_t sink = strlen(info.name) + strlen(info.version) + info.pkg_len;
        (void)sink;
    }
    return 0;
}
