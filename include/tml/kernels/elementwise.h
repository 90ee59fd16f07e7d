/*
 * kernels/elementwise.h - elementwise, activation, softmax, (de)quantize,
 * reshape/concat/pad and reduction kernels (int8 and float32). See
 * tml/kernels.h for conventions.
 */
#ifndef TML_KERNELS_ELEMENTWISE_H
#define TML_KERNELS_ELEMENTWISE_H

#include <stdint.h>

#endif /* TML_KERNELS_ELEMENTWISE_H */
