/*
 * fuzz_lwm2m_common.h - shared by the LwM2M decoder fuzz targets: the first
 * input byte picks the request path the payload is decoded against, and
 * whatever decodes is typed, re-encoded in every format and its bytes are
 * touched, so ASan sees any lie about a length.
 */
#ifndef FUZZ_LWM2M_COMMON_H
#define FUZZ_LWM2M_COMMON_H

#include <stdint.h>
#include <stddef.h>

#include "tml/lwm2m.h"

static inline tml_lwm2m_path_t fuzz_base_path(uint8_t sel)
{
    static const uint16_t objs[] = {3, 5, 9, 32101, 32102, 1, 0, 4242};
    uint16_t obj = objs[sel & 7];
    int depth = 1 + ((sel >> 3) & 3);
    return tml_lwm2m_path_make(depth, obj, 0, (uint16_t)((sel >> 5) * 3), 1);
}

static inline void fuzz_exercise(const tml_lwm2m_path_t *base, tml_lwm2m_records_t *recs)
{
    volatile uint8_t sink = 0;
    tml_lwm2m_records_type(recs, NULL);
    for (size_t i = 0; i < recs->n; i++) {
        const tml_lwm2m_value_t *v = &recs->recs[i].v;
        for (size_t k = 0; k < v->len; k++)
            sink ^= v->bytes[k];
        int64_t iv;
        double fv;
        bool bv;
        char s[16];
        (void)tml_lwm2m_value_int(v, &iv);
        (void)tml_lwm2m_value_float(v, &fv);
        (void)tml_lwm2m_value_bool(v, &bv);
        (void)tml_lwm2m_value_str(v, s, sizeof(s));
    }
    static const uint16_t fmts[] = {TML_LWM2M_CF_TLV, TML_LWM2M_CF_SENML_JSON, TML_LWM2M_CF_TEXT,
                                    TML_LWM2M_CF_OPAQUE};
    for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        if (tml_lwm2m_encode(fmts[f], base, recs, &out, &out_len, NULL) == TML_OK) {
            for (size_t k = 0; k < out_len; k++)
                sink ^= out[k];
            /* What we encode we must be able to decode again. */
            tml_lwm2m_records_t again;
            tml_lwm2m_records_init(&again);
            (void)tml_lwm2m_decode(fmts[f], base, out, out_len, &again, NULL);
            tml_lwm2m_records_free(&again);
            tml_free(out);
        }
    }
    (void)sink;
}

#endif
