/*
 * cli_model.h - what several commands share: turning the MODEL argument
 * (.tflite, .onnx or an already compiled .tmlm) into package bytes.
 */
#ifndef TML_CLI_MODEL_H
#define TML_CLI_MODEL_H

#include "tml/compiler.h"

/* Reads path; a model is compiled in memory with opts (NULL: defaults).
 * *pkg (caller frees with tml_free) holds *pkg_len bytes. */
tml_status_t tml_cli_load_package(const char *path, const tml_compile_opts_t *opts,
                                  uint8_t **pkg, size_t *pkg_len, tml_err_t *err);

#endif /* TML_CLI_MODEL_H */
