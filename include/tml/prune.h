/*
 * prune.h - pruning: magnitude (unstructured) and channel (structured).
 *
 * Magnitude pruning zeroes, in every CONV2D, DEPTHWISE_CONV2D and
 * FULLY_CONNECTED weight tensor, the given fraction of weights with the
 * smallest magnitude (layer by layer, so every layer keeps its share).
 * The package stores weights densely, so this alone saves no flash; what it
 * buys is channels that become all-zero, which the dead-channel pass then
 * removes after quantization, and a model ready for a sparse backend.
 *
 * Channel pruning removes whole output channels of a CONV2D or
 * FULLY_CONNECTED layer (those with the smallest L1 weight norm) together
 * with the matching inputs of the next CONV2D or FULLY_CONNECTED layer: the
 * weights, the bias and every tensor between the two shrink, so MACs,
 * flash and arena all go down. A layer qualifies when its output reaches
 * exactly one next layer through channel-wise ops only (activations,
 * pools, spatial PAD) and, for a fully-connected next layer, a flatten
 * (RESHAPE, possibly after the TRANSPOSE an ONNX Flatten of NCHW makes).
 * Residual connections (a tensor with two readers) disqualify it.
 *
 * Both work on float graphs (magnitude also on int8 weights); the accuracy
 * they cost is measured on an evaluation set and reported.
 */
#ifndef TML_PRUNE_H
#define TML_PRUNE_H

#include "tml/ir.h"
#include "tml/quant.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_prune_opts {
    float sparsity;         /* 0 <= s < 1: weights zeroed per layer (magnitude) */
    float channels;         /* 0 <= c < 1: output channels removed per qualifying layer */
} tml_prune_opts_t;

typedef struct tml_prune_report {
    float sparsity, channels;           /* as asked */
    int64_t weights_total, weights_zero;/* conv/fc weights after pruning */
    int layers_structured;              /* layers that lost channels */
    int channels_removed;
    int64_t macs_before, macs_after;
    int64_t params_before, params_after;
    int n_eval;                         /* evaluation samples (0: none given) */
    bool have_labels;
    double accuracy_before, accuracy_after; /* with labels */
    double top1_agreement;              /* output 0 argmax, pruned vs not */
    tml_quant_error_t output_err;       /* output 0, pruned vs not */
} tml_prune_report_t;

/* Whether opts asks for any pruning. */
bool tml_prune_wanted(const tml_prune_opts_t *opts);

/* Prunes g in place; eval (may be NULL) measures what it costs; r may be
 * NULL. TML_ERR_ARG for fractions outside [0, 1), or channel pruning of a
 * graph that is not float. */
tml_status_t tml_prune(tml_ir_graph_t *g, const tml_prune_opts_t *opts,
                       const tml_calib_set_t *eval, tml_prune_report_t *r, tml_err_t *err);

void tml_prune_report_free(tml_prune_report_t *r);

#ifdef __cplusplus
}
#endif
#endif /* TML_PRUNE_H */
