/*
 * quant.h - post-training int8 quantization of a float graph (TFLite's
 * scheme), calibration data, and the error the quantization costs.
 *
 * The quantizer is an IR -> IR pass. It runs the float graph on the host
 * runtime over a calibration set, recording every activation (the graph is
 * compiled with each activation as an extra graph output: no hook in the
 * runtime, no change to the package format), picks a range per activation
 * tensor (min/max, a percentile, or the KL-divergence-minimising threshold
 * of TensorRT's entropy calibration), and rewrites the graph:
 *   - activations int8, per tensor, asymmetric: scale = (hi - lo) / 255,
 *     zero point = -128 - lo / scale, with 0 always representable;
 *   - CONV2D / FULLY_CONNECTED weights int8 per output channel (axis 0),
 *     DEPTHWISE_CONV2D per channel on axis 3, symmetric (zero point 0, scale
 *     max|w| / 127); biases int32 with scale input_scale * weight_scale[c];
 *   - other constants an op reads (ADD/MUL operands) int8 per tensor;
 *   - ops whose int8 kernels rescale nothing (RESHAPE, TRANSPOSE, PAD,
 *     SLICE, SPLIT, MAX/AVG pools) give their output their input's params;
 *     SOFTMAX and LOGISTIC outputs get TFLite's fixed 1/256 and -128, TANH
 *     1/128 and 0;
 *   - an op without an int8 kernel (SUB, DIV, PRELU, LEAKY_RELU,
 *     HARD_SIGMOID) stays float between a DEQUANTIZE and a QUANTIZE.
 * The graph's inputs and outputs become int8 with their own params, as
 * TFLite's converter makes them for integer-only models: the device never
 * holds a float buffer (an input is 4x smaller in the arena) or needs float
 * code at the edges, and the params travel in the package, so `tml run`
 * converts .npy float32 data in and out, and so can any caller.
 */
#ifndef TML_QUANT_H
#define TML_QUANT_H

#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tml_calib_method {
    TML_CALIB_MINMAX = 0,     /* the observed range */
    TML_CALIB_PERCENTILE,     /* clip each side at a percentile of the values */
    TML_CALIB_ENTROPY,        /* KL-divergence-minimising clip (TensorRT) */
} tml_calib_method_t;

/* Float32 inputs for running a graph: sample s, input i is
 * data[s * n_inputs + i], holding as many values as graph input i. */
typedef struct tml_calib_set {
    int n_samples, n_inputs;
    float **data;             /* owned, each owned */
    int64_t *labels;          /* n_samples class labels, or NULL; owned */
} tml_calib_set_t;

/* Loads samples for g's inputs from a .npy file ([N, <input shape>] or the
 * input shape itself: float32) or a folder of such files (taken in name
 * order). Models with several inputs are not supported by this loader.
 * labels_path (may be NULL) is an .npy of N integer labels (int64, int32
 * or uint8). */
tml_status_t tml_calib_load(const char *path, const char *labels_path, const tml_ir_graph_t *g,
                            tml_calib_set_t *set, tml_err_t *err);
void tml_calib_free(tml_calib_set_t *set);

typedef struct tml_quant_opts {
    tml_calib_method_t method;
    float percentile;         /* TML_CALIB_PERCENTILE: kept fraction, 0 -> 99.99 % */
} tml_quant_opts_t;

/* Error of one tensor of the quantized graph against the float graph over
 * a sample set. */
typedef struct tml_quant_error {
    double sqnr_db;           /* 10 log10(sum f^2 / sum (f - q)^2); 99 if exact */
    double max_abs_err;
    double mean_abs_err;
} tml_quant_error_t;

typedef struct tml_quant_layer {
    char *name;               /* the node's output tensor; owned */
    tml_ir_op_t op;
    float lo, hi;             /* the range chosen for it */
    bool is_float;            /* left float (no int8 kernel) */
    tml_quant_error_t err;
} tml_quant_layer_t;

typedef struct tml_quant_report {
    tml_calib_method_t method;
    int n_calib;              /* calibration samples */
    int n_eval;               /* samples the errors are measured on */
    int n_layers;
    tml_quant_layer_t *layers; /* owned */
    int n_outputs;
    tml_quant_error_t *outputs; /* owned, per graph output */
    double top1_agreement;    /* output 0: fraction of rows whose argmax agrees */
    int n_float_ops;          /* ops left float */
    bool have_labels;         /* the evaluation set had labels: */
    double accuracy_float, accuracy_int8; /* top-1 accuracy of output 0 */
} tml_quant_report_t;

void tml_quant_report_free(tml_quant_report_t *r);
const char *tml_calib_method_name(tml_calib_method_t m);

/* Quantizes the float graph g in place (its graph passes are run first)
 * with ranges from calib; report (may be NULL) receives per-layer and
 * output errors measured on eval (NULL: on calib). Fails with
 * TML_ERR_ARG if g already has int8 tensors or calib does not fit g. */
tml_status_t tml_quantize(tml_ir_graph_t *g, const tml_calib_set_t *calib,
                          const tml_calib_set_t *eval, const tml_quant_opts_t *opts,
                          tml_quant_report_t *report, tml_err_t *err);

/* Turns a QDQ graph (float ops between DEQUANTIZE and QUANTIZE nodes, as
 * the ONNX importer makes of QuantizeLinear/DequantizeLinear and QLinear*
 * ops) into int8 ops: each float op whose activation inputs all come from
 * a DEQUANTIZE and whose output only feeds a QUANTIZE runs on the int8
 * tensors directly, its weights requantized on the grid they were
 * dequantized from. *n_changed (may be NULL) counts the ops converted. */
tml_status_t tml_quant_fold_qdq(tml_ir_graph_t *g, int *n_changed, tml_err_t *err);

/* Runs graphs over a sample set and compares: the float graph `ref`
 * against `q` (int8 or float), tensor by tensor where names match. Used by
 * the quantizer's report and by pruning's. Fills layers[] for every node
 * output of ref that q has under the same name, and the output errors. */
tml_status_t tml_quant_compare(const tml_ir_graph_t *ref, const tml_ir_graph_t *q,
                               const tml_calib_set_t *set, tml_quant_report_t *r,
                               tml_err_t *err);

/* Top-1 accuracy of g's output 0 (argmax over its last dim) against
 * set->labels, which must be present. */
tml_status_t tml_eval_accuracy(const tml_ir_graph_t *g, const tml_calib_set_t *set,
                               double *accuracy, tml_err_t *err);

/* A deep copy of src into dst (initialised by the call). */
tml_status_t tml_ir_copy(tml_ir_graph_t *dst, const tml_ir_graph_t *src);

#ifdef __cplusplus
}
#endif
#endif /* TML_QUANT_H */
