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
#include "tml/report.h"
#include "tml/session.h"

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
    printf("MACs          %lld (%lld executed)\n", (long long)c->macs, (long long)c->macs_executed);
    if (c->dead_channels.channels_removed)
        printf("dead channels %d removed exactly: %lld weight bytes and %lld MACs saved\n",
               c->dead_channels.channels_removed, (long long)c->dead_channels.weight_bytes_saved,
               (long long)c->dead_channels.macs_saved);
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
    json_t *report = tml_report_json(&c, model);
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
