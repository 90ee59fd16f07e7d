/*
 * backend_c.h - the "c" backend: a compiled model as standalone C source.
 *
 * Output (in one folder, ready to drop into a firmware project):
 *   <name>.h        the one-call API, arena/input/output sizes as macros
 *   <name>.c        weights as const arrays, params as const structs, and
 *                   <name>_invoke() calling straight into the kernels
 *   tml/            copies of only the kernels the model uses and their headers
 *   CMakeLists.txt  add_subdirectory() it and link the <name> library
 *   <name>.mk       a Makefile fragment: <NAME>_SRCS and <NAME>_CFLAGS
 * No interpreter, loader or package parsing is linked: flash holds weights,
 * params and exactly the kernel code called.
 */
#ifndef TML_BACKEND_C_H
#define TML_BACKEND_C_H

#include "tml/compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the sources for c into out_dir (created if missing). name must be a
 * C identifier; it prefixes every symbol. Kernel sources are read from
 * source_dir (the TinyMLaaS tree: runtime/ and include/). */
tml_status_t tml_backend_c_emit(const tml_compiled_t *c, const char *name, const char *out_dir,
                                const char *source_dir, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_BACKEND_C_H */
