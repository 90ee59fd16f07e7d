/*
 * kernels/nn.h - convolution, depthwise convolution, fully-connected and
 * pooling kernels (int8 and float32). See tml/kernels.h for conventions.
 */
#ifndef TML_KERNELS_NN_H
#define TML_KERNELS_NN_H

#include <stdint.h>

#endif /* TML_KERNELS_NN_H */
