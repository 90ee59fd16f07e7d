/*
 * passes.c - the graph pass pipeline the driver runs (see tml/passes.h).
 */
#include "tml/passes.h"

tml_status_t tml_passes_run(tml_ir_graph_t *g, tml_pass_stats_t *stats, tml_err_t *err)
{
    tml_pass_stats_t local = {0};
    tml_pass_stats_t *s = stats ? stats : &local;
    *s = local;
    tml_status_t st;
    if ((st = tml_pass_const_fold(g, &s->const_folded, err)) != TML_OK ||
        (st = tml_pass_identity(g, &s->identities_removed, err)) != TML_OK ||
        (st = tml_pass_bn_fold(g, &s->bn_folded, err)) != TML_OK ||
        (st = tml_pass_pad_fusion(g, &s->pads_fused, err)) != TML_OK ||
        (st = tml_pass_act_fusion(g, &s->acts_fused, err)) != TML_OK ||
        (st = tml_pass_dead_nodes(g, &s->dead_removed, err)) != TML_OK)
        return st;
    return tml_ir_validate(g, err);
}
