/*
 * onnx.h - the ONNX importer: an .onnx model (float32, opsets 1..TML_ONNX_MAX_OPSET
 * of the default domain) into the graph IR (tml/ir.h).
 *
 * ONNX is NCHW; the importer translates the model faithfully in NCHW first
 * (shape inference for every op, since files often lack value_info; a
 * symbolic or missing batch dim becomes 1), folds BatchNormalization into
 * the preceding Conv/Gemm where it can, and then converts the graph to the
 * IR's NHWC conventions with tml_pass_layout_nhwc (tml/pass_layout.h). The
 * graph's inputs and outputs keep the ONNX layout and names the user gives
 * and expects; TRANSPOSE nodes appear only at those edges and where an op's
 * semantics need the NCHW order (a Flatten or Reshape of a 4-D tensor).
 */
#ifndef TML_ONNX_H
#define TML_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"
#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TML_ONNX_MAX_OPSET 21 /* newest default-domain opset accepted */

/* Imports the serialized ModelProto buf[0..len) into *g, which this
 * initialises (the caller frees it with tml_ir_free, also after an error).
 * model_path is the file buf was read from; it is used only to resolve
 * tensors stored as external data, relative to the model's folder (a
 * location that is absolute or leaves that folder is refused). It may be
 * NULL when the model has no external data. buf is not kept.
 * Returns TML_ERR_CORRUPT for malformed bytes, TML_ERR_UNSUPPORTED naming
 * the op, opset and node for what the importer lacks, TML_ERR_IO for
 * unreadable external data, TML_ERR_NOMEM. */
tml_status_t tml_onnx_import(const uint8_t *buf, size_t len, const char *model_path,
                             tml_ir_graph_t *g, tml_err_t *err);

/* As tml_onnx_import but stops before the layout conversion: 4-D
 * activations stay NCHW, conv weights [C_out, C_in, KH, KW], depthwise
 * weights [C * M, 1, KH, KW] (the input contract of tml_pass_layout_nhwc).
 * For tests and for inspecting what the importer made of a model. */
tml_status_t tml_onnx_import_nchw(const uint8_t *buf, size_t len, const char *model_path,
                                  tml_ir_graph_t *g, tml_err_t *err);

/* As tml_onnx_import, but every graph input named like a constant tensor of
 * frozen (an initialised graph holding named constants, e.g. from
 * tml_onnx_tensor_decode; may be NULL) is replaced by a copy of that
 * constant: weights a model takes as inputs become constants. */
tml_status_t tml_onnx_import_frozen(const uint8_t *buf, size_t len, const char *model_path,
                                    const tml_ir_graph_t *frozen, tml_ir_graph_t *g,
                                    tml_err_t *err);

/* Decodes one serialized TensorProto (the format of the ONNX test data's
 * input_N.pb / output_N.pb) into a constant tensor appended to g, which
 * must be initialised; *tensor receives its index. Same dtypes as model
 * initializers; external data is not followed. */
tml_status_t tml_onnx_tensor_decode(const uint8_t *buf, size_t len, tml_ir_graph_t *g,
                                    int32_t *tensor, tml_err_t *err);

/* Whether buf plausibly holds an ONNX ModelProto (cheap: looks at the
 * leading protobuf fields only; no allocation). */
bool tml_onnx_sniff(const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif /* TML_ONNX_H */
