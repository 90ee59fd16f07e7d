/*
 * code_sizes.h - Thumb-2 code bytes and stack depth of each runtime source
 * file, measured at build time by scripts/gen-code-sizes.sh (the table is
 * generated into the build tree). Empty when no arm-none-eabi-gcc was found.
 */
#ifndef TML_CODE_SIZES_H
#define TML_CODE_SIZES_H

typedef struct tml_code_size {
    const char *file;   /* relative to runtime/: "kernels/tml_conv2d_s8.c" */
    unsigned bytes;     /* .text + .rodata */
    unsigned stack;     /* deepest frame + next deepest, bytes (gcc -fstack-usage) */
} tml_code_size_t;

/* Room for the runtime's source files in the fit check's per-file flags;
 * files past it count as shared code (more flash, never less). */
#define TML_MAX_CODE_FILES 512u

extern const tml_code_size_t tml_code_sizes[];
extern const unsigned tml_n_code_sizes;

#endif /* TML_CODE_SIZES_H */
