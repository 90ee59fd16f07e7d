/*
 * report.c - the compile report (see tml/report.h).
 */
#include "tml/report.h"
#include "tml/fit.h"
#include "tml/session.h"

static json_t *shape_json(const tml_ir_tensor_t *t)
{
    json_t *shape = json_array();
    for (int d = 0; d < t->n_dims; d++)
        json_array_append_new(shape, json_integer(t->dims[d]));
    return shape;
}

static json_t *tensor_json(const tml_ir_tensor_t *t)
{
    json_t *j = json_pack("{s:s, s:s, s:o}", "name", t->name, "dtype", tml_dtype_name(t->dtype),
                          "shape", shape_json(t));
    if (t->quant.n == 1) {
        json_object_set_new(j, "scale", json_real(t->quant.scale[0]));
        json_object_set_new(j, "zero_point", json_integer(t->quant.zero_point[0]));
    }
    return j;
}

/* Parameters: elements of the constant tensors the model's own nodes read
 * (not the multiplier tables lowering adds). */
static int64_t count_params(const tml_compiled_t *c)
{
    const tml_ir_graph_t *g = &c->graph;
    uint8_t *seen = tml_calloc((size_t)g->n_tensors + 1, 1);
    int64_t n = 0;
    if (!seen)
        return -1;
    for (int i = 0; i < c->n_model_ops; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) {
            int32_t t = g->nodes[i].in[j];
            if (t >= 0 && tml_ir_is_const(&g->tensors[t]) && !seen[t]) {
                seen[t] = 1;
                n += tml_ir_tensor_elems(&g->tensors[t]);
            }
        }
    tml_free(seen);
    return n;
}

/* Where each arena buffer sits and when it is live: one entry per tensor
 * that owns a buffer (aliases extend their root's life, as in
 * tml_plan_live_bytes), in kernel-call indices. */
static json_t *arena_tensors_json(const tml_compiled_t *c)
{
    const tml_ir_graph_t *g = &c->graph;
    const tml_plan_t *p = &c->plan;
    json_t *arr = json_array();
    for (int t = 0; arr && t < g->n_tensors && t < p->n_tensors; t++) {
        if (p->first[t] < 0 || p->alias_of[t] >= 0 || p->offset[t] == TML_PKG_NONE)
            continue;
        int32_t last = p->last[t];
        for (int u = 0; u < p->n_tensors; u++) {
            int32_t r = u;
            while (p->alias_of[r] >= 0)
                r = p->alias_of[r];
            if (r == t && u != t && p->last[u] > last)
                last = p->last[u];
        }
        json_array_append_new(arr, json_pack("{s:s, s:I, s:I, s:i, s:i}", "name", g->tensors[t].name,
                                             "offset", (json_int_t)p->offset[t], "bytes",
                                             (json_int_t)tml_ir_tensor_bytes(&g->tensors[t]), "first",
                                             (int)p->first[t], "last", (int)last));
    }
    return arr;
}

static json_t *error_json(const tml_quant_error_t *e)
{
    return json_pack("{s:f, s:f, s:f}", "sqnr_db", e->sqnr_db, "max_abs_err", e->max_abs_err,
                     "mean_abs_err", e->mean_abs_err);
}

json_t *tml_report_quant_json(const tml_quant_report_t *q)
{
    json_t *layers = json_array(), *outputs = json_array();
    for (int l = 0; l < q->n_layers; l++) {
        const tml_quant_layer_t *y = &q->layers[l];
        json_t *j = error_json(&y->err);
        json_object_set_new(j, "name", json_string(y->name));
        json_object_set_new(j, "op", json_string(tml_ir_op_name(y->op)));
        json_object_set_new(j, "range", json_pack("[f, f]", (double)y->lo, (double)y->hi));
        json_object_set_new(j, "float", json_boolean(y->is_float));
        json_array_append_new(layers, j);
    }
    for (int k = 0; k < q->n_outputs; k++)
        json_array_append_new(outputs, error_json(&q->outputs[k]));
    json_t *j = json_pack("{s:s, s:s, s:i, s:i, s:i, s:f, s:o, s:o}", "dtype", "int8",
                          "calibration", tml_calib_method_name(q->method), "calibration_samples",
                          q->n_calib, "eval_samples", q->n_eval, "float_ops", q->n_float_ops,
                          "top1_agreement", q->top1_agreement, "layers", layers, "outputs",
                          outputs);
    if (j && q->have_labels) {
        json_object_set_new(j, "accuracy_float", json_real(q->accuracy_float));
        json_object_set_new(j, "accuracy_int8", json_real(q->accuracy_int8));
    }
    return j;
}

json_t *tml_report_prune_json(const tml_prune_report_t *p)
{
    json_t *j = json_pack("{s:f, s:f, s:I, s:I, s:i, s:i, s:I, s:I, s:I, s:I, s:i}",
                          "sparsity", (double)p->sparsity, "channels", (double)p->channels,
                          "weights_total", (json_int_t)p->weights_total,
                          "weights_zero", (json_int_t)p->weights_zero,
                          "layers_structured", p->layers_structured,
                          "channels_removed", p->channels_removed,
                          "macs_before", (json_int_t)p->macs_before,
                          "macs_after", (json_int_t)p->macs_after,
                          "params_before", (json_int_t)p->params_before,
                          "params_after", (json_int_t)p->params_after, "eval_samples", p->n_eval);
    if (j && p->n_eval) {
        json_object_set_new(j, "top1_agreement", json_real(p->top1_agreement));
        json_object_set_new(j, "output_error", error_json(&p->output_err));
    }
    if (j && p->have_labels) {
        json_object_set_new(j, "accuracy_before", json_real(p->accuracy_before));
        json_object_set_new(j, "accuracy_after", json_real(p->accuracy_after));
    }
    return j;
}

json_t *tml_report_json(const tml_compiled_t *c, const char *path)
{
    const tml_ir_graph_t *g = &c->graph;
    uint32_t *live = NULL;
    if (tml_plan_live_bytes(g, &c->lowered, &c->plan, &live) != TML_OK)
        return NULL;
    json_t *ops = json_array();
    for (int i = 0; i < c->n_model_ops; i++) {
        const tml_ir_node_t *n = &g->nodes[i];
        json_t *kernels = json_array();
        uint32_t peak = 0;
        for (int k = 0; k < c->lowered.n_ops; k++)
            if (c->lowered.ops[k].node == i) {
                json_array_append_new(kernels, json_string(tml_kernel_name(c->lowered.ops[k].kernel)));
                if (live[k] > peak)
                    peak = live[k];
            }
        const tml_ir_tensor_t *out = n->n_out ? &g->tensors[n->out[0]] : NULL;
        json_array_append_new(ops, json_pack("{s:i, s:s, s:s, s:o, s:I, s:o, s:s, s:I}",
            "index", i, "op", tml_ir_op_name(n->op), "name", n->name, "kernels", kernels,
            "macs", (json_int_t)tml_ir_node_macs(g, n),
            "output_shape", out ? shape_json(out) : json_array(),
            "output_dtype", out ? tml_dtype_name(out->dtype) : "",
            "arena_live_bytes", (json_int_t)peak));
    }
    json_t *timeline = json_array();
    for (int k = 0; k < c->lowered.n_ops; k++)
        json_array_append_new(timeline, json_integer(live[k]));
    tml_free(live);
    json_t *inputs = json_array(), *outputs = json_array();
    for (int i = 0; i < g->n_inputs; i++)
        json_array_append_new(inputs, tensor_json(&g->tensors[g->inputs[i]]));
    for (int i = 0; i < g->n_outputs; i++)
        json_array_append_new(outputs, tensor_json(&g->tensors[g->outputs[i]]));
    json_t *targets = json_array();
    size_t n_targets;
    const tml_target_t *catalog = tml_target_list(&n_targets);
    for (size_t i = 0; i < n_targets; i++) {
        tml_fit_t fit;
        tml_fit_check(c, &catalog[i], &fit);
        json_array_append_new(targets, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:f, s:s}",
            "target", catalog[i].name, "core", catalog[i].core, "fits", fit.fits,
            "ram_bytes", (json_int_t)fit.ram_bytes, "ram_budget", (json_int_t)catalog[i].model_ram_bytes,
            "flash_bytes", (json_int_t)fit.flash_bytes, "flash_budget", (json_int_t)catalog[i].model_flash_bytes,
            "latency_ms", fit.latency_us / 1000.0, "reason", fit.reason));
    }
    int n_const = 0;
    for (int t = 0; t < g->n_tensors; t++)
        n_const += tml_ir_is_const(&g->tensors[t]);
    json_t *report = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:o, s:o, s:o, s:o}",
        "model", g->name, "path", path,
        "arena_bytes", (json_int_t)c->plan.arena_len,
        "arena_bytes_unplanned", (json_int_t)c->plan.sum_len,
        "weights_bytes", (json_int_t)c->const_bytes,
        "package_bytes", (json_int_t)c->pkg_len,
        "macs", (json_int_t)c->macs,
        "params", (json_int_t)count_params(c),
        "tensors", g->n_tensors, "constant_tensors", n_const,
        "kernel_calls", c->lowered.n_ops,
        "ops", ops, "inputs", inputs, "outputs", outputs, "targets", targets);
    if (report) {
        json_object_set_new(report, "arena_timeline", timeline);
        json_object_set_new(report, "arena_tensors", arena_tensors_json(c));
        json_object_set_new(report, "planner", json_string(c->plan.strategy ? c->plan.strategy : ""));
        json_object_set_new(report, "macs_executed", json_integer(c->macs_executed));
        json_object_set_new(report, "dead_channels",
                            json_pack("{s:i, s:I, s:I}", "removed", c->dead_channels.channels_removed,
                                      "weight_bytes_saved", (json_int_t)c->dead_channels.weight_bytes_saved,
                                      "macs_saved", (json_int_t)c->dead_channels.macs_saved));
        json_object_set_new(report, "passes",
                            json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}", "constants_folded",
                                      c->passes.const_folded, "identities_removed",
                                      c->passes.identities_removed, "batchnorms_folded",
                                      c->passes.bn_folded, "pads_fused", c->passes.pads_fused,
                                      "activations_fused", c->passes.acts_fused,
                                      "dead_nodes_removed", c->passes.dead_removed));
        if (c->quant)
            json_object_set_new(report, "quantization", tml_report_quant_json(c->quant));
        if (c->prune)
            json_object_set_new(report, "pruning", tml_report_prune_json(c->prune));
    } else {
        json_decref(timeline);
    }
    return report;
}

