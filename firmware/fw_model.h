/*
 * fw_model.h - what the generated model_data.c (written by tml firmware for
 * each package) provides to main.c. The package sits in flash and is run in
 * place; the arena and the input buffer are .bss, sized from the package.
 */
#ifndef TML_FW_MODEL_H
#define TML_FW_MODEL_H

#include <stdint.h>

extern const uint8_t tml_fw_pkg[];     /* 16-byte aligned */
extern const uint32_t tml_fw_pkg_len;
extern uint8_t tml_fw_arena[];         /* 16-byte aligned */
extern const uint32_t tml_fw_arena_len;
extern uint8_t tml_fw_input[];         /* the graph inputs, concatenated */
extern const uint32_t tml_fw_input_len;

#endif /* TML_FW_MODEL_H */
