/*
 * kernels.h - every kernel of libtmlrt with its params struct.
 *
 * Conventions (all kernels):
 *  - Params structs hold only int32_t fields, so their layout is the same on
 *    every target and the package stores them verbatim as int32 words; the
 *    interpreter points at them in place, generated C declares them const.
 *    Each has a _Static_assert on its size.
 *  - Tensors are row-major, NHWC for images. Conv weights are [C_out, KH, KW,
 *    C_in], depthwise [1, KH, KW, C_in * M], fully-connected [N_out, N_in].
 *  - int8 kernels follow the TFLite quantization spec bit for bit:
 *    per-channel multiplier/shift arrays are separate operands computed by
 *    the compiler; offsets are folded as TFLite does (input_offset =
 *    -input_zero_point, output_offset = +output_zero_point).
 *  - A kernel never fails at run time: the loader has validated shapes.
 *  - Kernels needing scratch have a _scratch_size() companion.
 */
#ifndef TML_KERNELS_H
#define TML_KERNELS_H

#include "tml/kernels/nn.h"
#include "tml/kernels/elementwise.h"
#include "tml/kernels/extra.h"
#include "tml/kernels/inplace.h"

#endif /* TML_KERNELS_H */
