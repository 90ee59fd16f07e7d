/*
 * tensor_io.h - reading and writing the tensor files `tml run` takes: raw
 * .bin (the model's own dtype, byte for byte) or .npy (float32 for every
 * model: int8 tensors are quantized/dequantized with the model's own scale
 * and zero point; an int8 .npy is also taken as is for an int8 input).
 */
#ifndef TML_CLI_TENSOR_IO_H
#define TML_CLI_TENSOR_IO_H

#include "tml/core.h"
#include "tml/pkg.h"

/* Reads path into the bytes input tensor t takes. *data: caller frees. */
tml_status_t tml_cli_read_input(const char *path, const tml_pkg_tensor_t *t, uint8_t **data,
                                tml_err_t *err);
/* Writes output tensor t's bytes to path in the format its extension names. */
tml_status_t tml_cli_write_output(const char *path, const tml_pkg_tensor_t *t, const void *data,
                                  tml_err_t *err);

#endif /* TML_CLI_TENSOR_IO_H */
