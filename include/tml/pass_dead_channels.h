/*
 * pass_dead_channels.h - removes int8 channels that are constant, exactly.
 *
 * A conv, depthwise or fully-connected output channel whose weights are all
 * zero (on every input that is not itself constant) carries one constant
 * value at every pixel. Such a channel need not be computed, stored or read:
 * each consumer that is a convolution or fully-connected layer gets the
 * channel's constant contribution folded into its int32 bias (the same
 * integer sum the kernel would have made, so results are bit-identical),
 * and channel-wise consumers (depthwise conv, pooling, a reshape that keeps
 * the channel axis) pass the removal on. Convolutions with padding only
 * absorb a channel whose constant is the input zero point (the padding value
 * itself), because elsewhere border pixels would differ. Graph inputs and
 * outputs keep every channel. MobileNet-style models trained with weight
 * decay have hundreds of such channels (VWW: 971 of 2,738).
 */
#ifndef TML_PASS_DEAD_CHANNELS_H
#define TML_PASS_DEAD_CHANNELS_H

#include "tml/ir.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_dead_channel_stats {
    int channels_removed;       /* activation channels no longer computed */
    int64_t weight_bytes_saved;
    int64_t macs_saved;
} tml_dead_channel_stats_t;

/* Rewrites g in place; stats may be NULL. Leaves g valid and equivalent bit
 * for bit; graphs without int8 convolutions are left unchanged. */
tml_status_t tml_pass_dead_channels(tml_ir_graph_t *g, tml_dead_channel_stats_t *stats,
                                    tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_PASS_DEAD_CHANNELS_H */
