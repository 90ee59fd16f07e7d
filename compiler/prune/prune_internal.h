/*
 * prune_internal.h - shared by compiler/prune/.
 */
#ifndef TML_PRUNE_INTERNAL_H
#define TML_PRUNE_INTERNAL_H

#include "tml/prune.h"

/* Channel pruning (channels.c): removes fraction of the output channels of
 * each qualifying layer; counts into *layers and *removed. */
tml_status_t tml_prune_channels(tml_ir_graph_t *g, float fraction, int *layers, int *removed,
                                tml_err_t *err);

#endif /* TML_PRUNE_INTERNAL_H */
