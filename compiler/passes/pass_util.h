/*
 * pass_util.h - helpers shared by the graph passes (private to compiler/).
 */
#ifndef TML_PASS_UTIL_H
#define TML_PASS_UTIL_H

#include "tml/ir.h"

bool tml_pu_is_output(const tml_ir_graph_t *g, int32_t t);
bool tml_pu_is_input(const tml_ir_graph_t *g, int32_t t);
/* Node inputs (not graph outputs) reading t. */
int tml_pu_node_readers(const tml_ir_graph_t *g, int32_t t);
/* Makes every node input reading from read to instead. */
void tml_pu_replace_reads(tml_ir_graph_t *g, int32_t from, int32_t to);
/* Whether two tensors have the same dtype, shape and quantization. */
bool tml_pu_same_shape(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b);
bool tml_pu_same_quant(const tml_ir_tensor_t *a, const tml_ir_tensor_t *b);
/* Takes node `node` (reading x, writing y, which compute the same values)
 * out of the graph: readers of y read x, or, when y is a graph output, the
 * producer of x writes y instead. Marks keep[node] false. Returns false
 * (changing nothing) when neither is possible. */
bool tml_pu_bypass(tml_ir_graph_t *g, int32_t node, int32_t x, int32_t y, bool *keep);
/* A keep[] array of g->n_nodes entries, all true (NULL when out of memory). */
bool *tml_pu_keep_all(const tml_ir_graph_t *g);
/* Marks nodes none of whose outputs reach a graph output as not kept (on
 * top of what keep[] already drops); returns how many it marked. */
int tml_pu_mark_dead(const tml_ir_graph_t *g, bool *keep);
/* Compacts g by keep (tml_ir_compact) and frees keep; an error message on
 * out of memory. */
tml_status_t tml_pu_finish(tml_ir_graph_t *g, bool *keep, const char *pass, tml_err_t *err);

#endif /* TML_PASS_UTIL_H */
