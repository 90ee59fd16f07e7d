/*
 * dead_nodes.c - dead-node removal (see tml/passes.h).
 *
 * One backward sweep: a tensor is live when a graph output or a live node
 * reads it, a node is live when one of its outputs is; the rest goes, and
 * tml_ir_compact then drops tensors nothing refers to.
 */
#include "pass_util.h"
#include "tml/passes.h"

tml_status_t tml_pass_dead_nodes(tml_ir_graph_t *g, int *n_changed, tml_err_t *err)
{
    if (n_changed)
        *n_changed = 0;
    bool *keep = tml_pu_keep_all(g);
    if (!keep)
        return tml_err_set(err, TML_ERR_NOMEM, "dead-node removal: out of memory");
    int n = tml_pu_mark_dead(g, keep);
    if (n < 0) {
        tml_free(keep);
        return tml_err_set(err, TML_ERR_NOMEM, "dead-node removal: out of memory");
    }
    if (n_changed)
        *n_changed = n;
    return tml_pu_finish(g, keep, "dead-node removal", err);
}
