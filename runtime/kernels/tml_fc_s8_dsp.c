/*
 * tml_fc_s8_dsp.c - int8 fully-connected layer (weights_offset 0, n_in a
 * multiple of 4) for cores with the DSP extension (see tml/kernels/nn.h,
 * tml_dsp.h).
 *
 * Each input word is widened once and used for four output rows, whose
 * weights (quad-interleaved offline) are two LDRDs per 4 inputs: 16 MACs
 * per 21 instructions. The n_out % 4 last rows go one at a time.
 */
#include "tml/kernels/nn.h"
#include "tml_dsp.h"

static inline void mac_1x4(const int8_t *x, const int8_t *w, int32_t k, uint32_t *acc)
{
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    const int8_t *x_end = x + k;
    while (x != x_end) {
        uint32_t v = tml_dsp_load32(x);
        x += 4;
        uint32_t xa = tml_sxtb16(v), xb = tml_sxtb16_ror8(v);
        uint32_t w0, w1, w2, w3;
        tml_dsp_load64(w, &w0, &w1);
        tml_dsp_load64(w + 8, &w2, &w3);
        w += 16;
        a0 = tml_smlad(xa, tml_sxtb16(w0), a0);
        a0 = tml_smlad(xb, tml_sxtb16_ror8(w0), a0);
        a1 = tml_smlad(xa, tml_sxtb16(w1), a1);
        a1 = tml_smlad(xb, tml_sxtb16_ror8(w1), a1);
        a2 = tml_smlad(xa, tml_sxtb16(w2), a2);
        a2 = tml_smlad(xb, tml_sxtb16_ror8(w2), a2);
        a3 = tml_smlad(xa, tml_sxtb16(w3), a3);
        a3 = tml_smlad(xb, tml_sxtb16_ror8(w3), a3);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

static inline uint32_t mac_1x1(const int8_t *x, const int8_t *w, int32_t k, uint32_t acc)
{
    const int8_t *x_end = x + k;
    while (x != x_end) {
        uint32_t v = tml_dsp_load32(x), u = tml_dsp_load32(w);
        x += 4;
        w += 4;
        acc = tml_smlad(tml_sxtb16(v), tml_sxtb16(u), acc);
        acc = tml_smlad(tml_sxtb16_ror8(v), tml_sxtb16_ror8(u), acc);
    }
    return acc;
}

void tml_fc_s8_dsp(const tml_fc_params_t *p, const int8_t *input, const int8_t *weights,
                   const int32_t *mult, const int32_t *shift, const int32_t *bias,
                   int8_t *output)
{
    const int32_t n_in = p->n_in, n_out = p->n_out, pc = p->per_channel ? 1 : 0;
    const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
    for (int32_t b = 0; b < p->batches; b++) {
        const int8_t *x = input + b * n_in;
        int8_t *out = output + b * n_out;
        const int8_t *w = weights;
        int32_t o = 0;
        for (; o + 4 <= n_out; o += 4, w += 4 * n_in) {
            uint32_t acc[4] = {(uint32_t)bias[o], (uint32_t)bias[o + 1], (uint32_t)bias[o + 2],
                               (uint32_t)bias[o + 3]};
            mac_1x4(x, w, n_in, acc);
            for (int32_t i = 0; i < 4; i++)
                out[o + i] = tml_dsp_rq(acc[i], mult[pc * (o + i)], shift[pc * (o + i)],
                                             out_off, lo, hi);
        }
        for (; o < n_out; o++, w += n_in) {
            uint32_t acc = mac_1x1(x, w, n_in, (uint32_t)bias[o]);
            out[o] = tml_dsp_rq(acc, mult[pc * o], shift[pc * o], out_off, lo, hi);
        }
    }
}
