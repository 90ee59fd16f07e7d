/*
 * fuzz_lwm2m_senml.c - fuzz target for the LwM2M senml decoder (payloads of
 * Write requests and Read answers come off the network). Byte 0 picks the
 * request path; the rest is the payload.
 */
#include <stdint.h>
#include <stddef.h>

#include "fuzz_lwm2m_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    tml_lwm2m_path_t base = fuzz_base_path(data[0]);
    tml_lwm2m_records_t recs;
    tml_lwm2m_records_init(&recs);
    tml_err_t err;
    tml_err_clear(&err);
    if (tml_lwm2m_decode(TML_LWM2M_CF_SENML_JSON, &base, data + 1, size - 1, &recs, &err) == TML_OK)
        fuzz_exercise(&base, &recs);
    tml_lwm2m_records_free(&recs);
    return 0;
}
