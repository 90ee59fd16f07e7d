/*
 * plan.h - the arena memory planner.
 *
 * Every non-constant tensor a lowered op touches (graph inputs and outputs
 * and kernel scratch included) gets an offset in one arena. A tensor lives
 * from the op that first touches it to the op that last reads it (graph
 * inputs from the start, graph outputs to the end); two tensors may share
 * bytes when their lifetimes do not overlap. Ops may let their output take
 * over an input's buffer (tml_lop_t.inplace_input) when that input dies
 * there, which makes RESHAPE free, and may start their output at a fixed
 * distance inside a dying input (tml_lop_t.overlap_input: in-place
 * convolutions): such buffers are placed together, and the plan is made
 * with and without these overlaps, keeping the smaller. Placement tries several orders (greedy
 * by size, by first use, by last use, by breadth; first fit and best fit;
 * seeded perturbations) and keeps the smallest peak, so it is never worse
 * than greedy by size. Offsets are 16-byte aligned.
 */
#ifndef TML_PLAN_H
#define TML_PLAN_H

#include "tml/lower.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_PLAN_ALIGN 16u

typedef struct tml_plan {
    int n_tensors;        /* graph tensors when planned */
    uint32_t *offset;     /* per tensor: arena offset, TML_PKG_NONE if not in the arena */
    int32_t *first;       /* per tensor: first lowered op touching it, -1 if none */
    int32_t *last;        /* per tensor: last lowered op touching it */
    int32_t *alias_of;    /* per tensor: tensor whose buffer it shares, or -1 */
    int32_t *overlap_of;  /* per tensor: the dying input whose bytes it overlaps
                           * (tml_lop_t.overlap_input honoured), or -1 */
    uint32_t arena_len;   /* the peak: bytes the arena needs */
    uint64_t sum_len;     /* all planned tensors side by side, for comparison */
    const char *strategy; /* the placement order that gave the smallest peak */
} tml_plan_t;

/* Plans g's activations for the op order of lw. Free with tml_plan_free. */
tml_status_t tml_plan_arena(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                            tml_plan_t *plan, tml_err_t *err);
void tml_plan_free(tml_plan_t *plan);

/* In-place convolutions (compiler/plan/inplace.c): turns each reference
 * int8 conv / depthwise conv whose input no later op reads into its
 * _INPLACE kernel with an overlap hint (direction and distance from
 * tml_conv_inplace_bound), before tml_plan_arena. */
tml_status_t tml_plan_inplace_hints(const tml_ir_graph_t *g, tml_lowered_t *lw, tml_err_t *err);
/* After tml_plan_arena: ops whose hint the plan did not use go back to the
 * plain kernel (same params prefix, same result). */
void tml_plan_inplace_settle(const tml_plan_t *plan, tml_lowered_t *lw);

/* Residual blocks (compiler/plan/resblock.c): replaces each run of
 * CONV2D_S8 (x -> a), CONV2D_S8 (a -> b), [a 1x1 CONV2D_S8 (x -> s)],
 * ADD_S8[_LUT] (shortcut + b) whose intermediates have no other reader,
 * whose x dies at the ADD and whose output can stream over x
 * (tml/kernels/inplace.h) by one RESBLOCK_S8 with a scratch tensor (added
 * to g), its output taking x's buffer or starting at its first byte. For
 * --optimize ram, before tml_plan_inplace_hints. *n_fused counts blocks. */
tml_status_t tml_plan_fuse_resblocks(tml_ir_graph_t *g, tml_lowered_t *lw, int *n_fused,
                                     tml_err_t *err);

/* Operator scheduling (compiler/plan/schedule.c): reorders lw's ops into
 * another order their data dependences allow (greedy: the ready op that
 * adds the fewest live bytes first) when planning that order (with the
 * in-place hints if inplace) gives a smaller arena than the current one;
 * otherwise leaves lw as it is. *moved counts ops that changed place. */
tml_status_t tml_plan_schedule(const tml_ir_graph_t *g, tml_lowered_t *lw, int inplace,
                               int *moved, tml_err_t *err);

/* After tml_plan_arena (compiler/plan/scratch.c): each CONV2D_4PX_S8_DSP
 * op whose scratch would raise the arena's peak goes back to its
 * scratch-free twin CONV2D_DIRECT_S8_DSP (weights re-laid in g), and plan
 * is redone; the arena is then what it would be with no such scratch. */
tml_status_t tml_plan_scratch_settle(tml_ir_graph_t *g, tml_lowered_t *lw, tml_plan_t *plan,
                                     tml_err_t *err);

/* Live bytes at each lowered op (n_ops entries, caller frees): the arena
 * timeline a report plots. */
tml_status_t tml_plan_live_bytes(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                                 const tml_plan_t *plan, uint32_t **live);

#ifdef __cplusplus
}
#endif
#endif /* TML_PLAN_H */
