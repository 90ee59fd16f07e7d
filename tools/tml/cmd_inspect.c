/*
 * cmd_inspect.c - `tml inspect MODEL [--json]`: what a model is and what it
 * will cost on a device: ops, tensors, parameters, MACs, the planned arena
 * (graph inputs and outputs included) and the weights bytes. The numbers come
 * from actually compiling the model, so they are the ones a device gets.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tml/compiler.h"
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

static json_t *build_report(const tml_compiled_t *c, const char *path)
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
    return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:i, s:o, s:o, s:o, s:o}",
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
}

static void print_tensor_line(const char *what, const tml_ir_tensor_t *t)
{
    printf("%-8s %s %s [", what, t->name, tml_dtype_name(t->dtype));
    for (int d = 0; d < t->n_dims; d++)
        printf(d ? ",%d" : "%d", (int)t->dims[d]);
    printf("]");
    if (t->quant.n == 1)
        printf(" scale %g zero_point %d", (double)t->quant.scale[0], (int)t->quant.zero_point[0]);
    printf("\n");
}

static void print_text(const tml_compiled_t *c, json_t *report)
{
    const tml_ir_graph_t *g = &c->graph;
    printf("model    %s\n", g->name);
    for (int i = 0; i < g->n_inputs; i++)
        print_tensor_line("input", &g->tensors[g->inputs[i]]);
    for (int i = 0; i < g->n_outputs; i++)
        print_tensor_line("output", &g->tensors[g->outputs[i]]);
    printf("\n  %-4s %-18s %-22s %-18s %12s %10s\n", "#", "op", "kernels", "output", "MACs", "live B");
    size_t i;
    json_t *op;
    json_array_foreach(json_object_get(report, "ops"), i, op) {
        char kernels[128] = "", shape[64] = "";
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(op, "kernels"), k, v)
            snprintf(kernels + strlen(kernels), sizeof(kernels) - strlen(kernels), "%s%s",
                     k ? "+" : "", json_string_value(v));
        json_array_foreach(json_object_get(op, "output_shape"), k, v)
            snprintf(shape + strlen(shape), sizeof(shape) - strlen(shape), "%s%lld",
                     k ? "x" : "", (long long)json_integer_value(v));
        printf("  %-4zu %-18s %-22s %-18s %12lld %10lld\n", i, json_string_value(json_object_get(op, "op")),
               kernels, shape, (long long)json_integer_value(json_object_get(op, "macs")),
               (long long)json_integer_value(json_object_get(op, "arena_live_bytes")));
    }
    printf("\nops           %d (%d kernel calls)\n", c->n_model_ops, c->lowered.n_ops);
    printf("tensors       %d (%lld constant)\n", g->n_tensors,
           (long long)json_integer_value(json_object_get(report, "constant_tensors")));
    printf("params        %lld\n", (long long)json_integer_value(json_object_get(report, "params")));
    printf("MACs          %lld\n", (long long)c->macs);
    printf("arena bytes   %u (planned peak, input and output included; %llu unplanned)\n",
           (unsigned)c->plan.arena_len, (unsigned long long)c->plan.sum_len);
    printf("weights bytes %u\n", (unsigned)c->const_bytes);
    printf("package bytes %zu\n", c->pkg_len);
}

int tml_cmd_inspect(int argc, char **argv)
{
    const char *model = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            as_json = 1;
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            fprintf(stderr, "tml inspect: unexpected argument '%s'\n", argv[i]);
            model = NULL;
            break;
        }
    }
    if (!model) {
        fputs("usage: tml inspect MODEL [--json]\n", stderr);
        return 2;
    }
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    if (tml_compile_file(model, NULL, &c, &err) != TML_OK) {
        fprintf(stderr, "tml inspect: %s\n", tml_err_message(&err));
        return 1;
    }
    json_t *report = build_report(&c, model);
    if (!report) {
        tml_compiled_free(&c);
        fprintf(stderr, "tml inspect: out of memory\n");
        return 1;
    }
    if (as_json) {
        json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
    } else {
        print_text(&c, report);
    }
    json_decref(report);
    tml_compiled_free(&c);
    return 0;
}
