/*
 * tml_nn_f32.h - helpers shared by the float32 nn kernels (private).
 */
#ifndef TML_NN_F32_H
#define TML_NN_F32_H

/* TFLite's ActivationFunctionWithMinMax: min(max(x, lo), hi). A NaN x
 * stays NaN, as with std::max/std::min in that order. */
static inline float tml_clamp_f32(float x, float lo, float hi)
{
    float v = x < lo ? lo : x;
    return hi < v ? hi : v;
}

#endif /* TML_NN_F32_H */
