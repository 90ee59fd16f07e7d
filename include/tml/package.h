/*
 * package.h - the "package" backend: writes a .tmlm (format in tml/pkg.h and
 * docs/package-format.md) from a lowered, planned graph.
 */
#ifndef TML_PACKAGE_H
#define TML_PACKAGE_H

#include "tml/plan.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Serialises g's tensors that lw uses (constants into the const section,
 * activations at their planned arena offsets), lw's ops and params, and the
 * graph's inputs and outputs. On success *out (caller frees with tml_free)
 * holds *out_len bytes; *const_len (may be NULL) receives the constant bytes. */
tml_status_t tml_package_build(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                               const tml_plan_t *plan, uint8_t **out, size_t *out_len,
                               uint32_t *const_len, tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_PACKAGE_H */
