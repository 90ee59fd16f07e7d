/*
 * report.h - the compile report as JSON: what `tml inspect --json` prints and
 * what the service stores with every model version and compilation. Keys:
 * model, path, arena_bytes, arena_bytes_unplanned, weights_bytes,
 * package_bytes, macs, params, tensors, constant_tensors, kernel_calls,
 * ops[] (index, op, name, kernels[], macs, output_shape, output_dtype,
 * arena_live_bytes), inputs[] and outputs[] (name, dtype, shape, scale,
 * zero_point), targets[] (target, core, fits, ram_bytes, ram_budget,
 * flash_bytes, flash_budget, latency_ms, reason), arena_timeline[] (live
 * bytes at each kernel call), arena_tensors[] (name, offset, bytes, first,
 * last: each arena buffer's place and the kernel calls it is live in), planner (the placement order chosen),
 * macs_executed (after graph passes), dead_channels (removed,
 * weight_bytes_saved, macs_saved), passes (what each graph pass did),
 * quantization (when quantized: calibration, per-layer SQNR / max and mean
 * abs error vs float, output errors, top-1 agreement, accuracies) and
 * pruning (when pruned: sparsity, channels removed, MACs, accuracy change).
 */
#ifndef TML_REPORT_H
#define TML_REPORT_H

#include <jansson.h>

#include "tml/compiler.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A new JSON object (caller owns the reference), NULL on out of memory. */
json_t *tml_report_json(const tml_compiled_t *c, const char *path);
/* The "quantization" and "pruning" members on their own. */
json_t *tml_report_quant_json(const tml_quant_report_t *q);
json_t *tml_report_prune_json(const tml_prune_report_t *p);

#ifdef __cplusplus
}
#endif
#endif /* TML_REPORT_H */
