/*
 * tflite.h - the TFLite model importer: a .tflite flatbuffer -> the graph IR.
 *
 * The importer reads subgraph 0 of a TFLite (schema v3) model with a reader
 * that checks every offset, vtable, vector and string against the buffer, so
 * a truncated, corrupt or hostile file gives TML_ERR_CORRUPT with a message,
 * never a crash. Builtin ops are mapped to IR nodes with every attribute
 * resolved (SAME padding made explicit, axes normalised, constant operands
 * such as PAD amounts, MEAN axes and slice bounds moved into attributes);
 * constant tensor data is copied into the IR, so the caller may free buf
 * once the call returns. Quantization (per-tensor and per-channel with its
 * axis) is copied unchanged.
 */
#ifndef TML_TFLITE_H
#define TML_TFLITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tml/core.h"
#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether buf looks like a TFLite model: the flatbuffer file identifier
 * "TFL3" at byte offset 4. Cheap; does not validate anything else. */
bool tml_tflite_sniff(const uint8_t *buf, size_t len);

/* Imports the TFLite model in buf[0..len) into g.
 *   buf, len    the whole .tflite file (borrowed; nothing points into it
 *               after the call). Buffers stored after the flatbuffer (the
 *               Buffer offset/size fields of large models) must lie inside
 *               [0, len).
 *   model_name  used as the graph name and as the first word of error
 *               messages (e.g. "kws.tflite"); NULL gives "model".
 *   g           initialised by the call; on success the caller owns it and
 *               frees it with tml_ir_free; on error it is left freed/empty.
 *   err         optional error detail, e.g. "kws.tflite: operator 3: op LSTM
 *               (code 16, version 1) is not supported".
 * Returns TML_OK; TML_ERR_CORRUPT for malformed bytes or inconsistent
 * shapes; TML_ERR_UNSUPPORTED for an op, op version, dtype or feature the
 * importer does not handle; TML_ERR_NOMEM; TML_ERR_ARG for NULL buf or g.
 * A graph returned with TML_OK has passed tml_ir_validate. */
tml_status_t tml_tflite_import(const uint8_t *buf, size_t len, const char *model_name,
                               tml_ir_graph_t *g, tml_err_t *err);

/* Name of a TFLite builtin operator code ("CONV_2D"), or NULL if unknown. */
const char *tml_tflite_builtin_name(int32_t code);

#ifdef __cplusplus
}
#endif
#endif /* TML_TFLITE_H */
