/*
 * compile.c - the compile driver (see tml/compiler.h).
 */
#include <stdio.h>
#include <string.h>

#include "tml/compiler.h"
#include "tml/onnx.h"
#include "tml/tflite.h"

const char *tml_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* A model's display name: its file name, or "folder/file" when the file
 * has a generic name such as model.tflite (as the MLPerf Tiny models do). */
static void model_name(const char *path, char *name, size_t cap)
{
    const char *base = tml_path_basename(path);
    snprintf(name, cap, "%s", base);
    if (strncmp(base, "model.", 6) != 0 || base == path)
        return;
    const char *end = base - 1, *start = end;
    while (start > path && start[-1] != '/')
        start--;
    if (end > start)
        snprintf(name, cap, "%.*s/%s", (int)(end - start), start, base);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

tml_model_format_t tml_model_sniff(const uint8_t *buf, size_t len, const char *path)
{
    if (len >= 4 && buf[0] == 'T' && buf[1] == 'M' && buf[2] == 'L' && buf[3] == 'M')
        return TML_FORMAT_PACKAGE;
    if (tml_tflite_sniff(buf, len))
        return TML_FORMAT_TFLITE;
    if (path && ends_with(path, ".onnx"))
        return TML_FORMAT_ONNX;
    if (tml_onnx_sniff(buf, len))
        return TML_FORMAT_ONNX;
    return TML_FORMAT_UNKNOWN;
}

tml_status_t tml_model_import(const uint8_t *buf, size_t len, const char *path,
                              tml_ir_graph_t *g, tml_err_t *err)
{
    char name[256];
    model_name(path ? path : "model", name, sizeof(name));
    switch (tml_model_sniff(buf, len, path)) {
    case TML_FORMAT_TFLITE:
        return tml_tflite_import(buf, len, name, g, err);
    case TML_FORMAT_ONNX: {
        tml_status_t st = tml_onnx_import(buf, len, path, g, err);
        /* QDQ / QLinear models become int8 ops with their own params. */
        if (st == TML_OK && (st = tml_quant_fold_qdq(g, NULL, err)) != TML_OK)
            tml_ir_free(g);
        if (st != TML_OK)
            tml_err_wrap(err, "%s", name);
        return st;
    }
    case TML_FORMAT_PACKAGE:
        return tml_err_set(err, TML_ERR_ARG, "%s: is a compiled .tmlm package, not a model", name);
    default:
        return tml_err_set(err, TML_ERR_UNSUPPORTED,
                           "%s: not a TFLite (no TFL3 identifier) or ONNX (.onnx) model", name);
    }
}

tml_status_t tml_model_load(const char *path, tml_ir_graph_t *g, tml_err_t *err)
{
    uint8_t *buf;
    size_t len;
    memset(g, 0, sizeof(*g));
    tml_status_t st = tml_file_read(path, &buf, &len, err);
    if (st != TML_OK)
        return st;
    st = tml_model_import(buf, len, path, g, err);
    tml_free(buf);
    return st;
}

void tml_compiled_free(tml_compiled_t *c)
{
    if (!c)
        return;
    tml_ir_free(&c->graph);
    tml_lowered_free(&c->lowered);
    tml_plan_free(&c->plan);
    tml_free(c->pkg);
    tml_quant_report_free(c->quant);
    tml_free(c->quant);
    tml_prune_report_free(c->prune);
    tml_free(c->prune);
    memset(c, 0, sizeof(*c));
}

tml_status_t tml_compile_graph(tml_ir_graph_t *g, const tml_compile_opts_t *opts,
                               tml_compiled_t *out, tml_err_t *err)
{
    memset(out, 0, sizeof(*out));
    out->graph = *g;
    memset(g, 0, sizeof(*g));
    const char *name = out->graph.name;
    tml_status_t st = tml_ir_validate(&out->graph, err);
    if (st == TML_OK) {
        for (int i = 0; i < out->graph.n_nodes; i++)
            out->macs += tml_ir_node_macs(&out->graph, &out->graph.nodes[i]);
        if (!opts || !opts->no_passes)
            st = tml_passes_run(&out->graph, &out->passes, err);
    }
    if (st == TML_OK && opts && tml_prune_wanted(&opts->prune)) {
        if (!(out->prune = tml_calloc(1, sizeof(*out->prune))))
            st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
        else
            st = tml_prune(&out->graph, &opts->prune, opts->eval ? opts->eval : opts->calib,
                           out->prune, err);
    }
    if (st == TML_OK && opts && opts->quantize) {
        if (!(out->quant = tml_calloc(1, sizeof(*out->quant))))
            st = tml_err_set(err, TML_ERR_NOMEM, "out of memory");
        else
            st = tml_quantize(&out->graph, opts->calib, opts->eval, &opts->quant, out->quant,
                              err);
    }
    if (st == TML_OK) {
        int64_t macs_after = 0;
        for (int i = 0; i < out->graph.n_nodes; i++)
            macs_after += tml_ir_node_macs(&out->graph, &out->graph.nodes[i]);
        out->macs_passes_saved = out->macs - macs_after;
        if (!opts || !opts->keep_dead_channels)
            st = tml_pass_dead_channels(&out->graph, &out->dead_channels, err);
    }
    if (st == TML_OK) {
        out->n_model_ops = out->graph.n_nodes;
        out->macs_executed = out->macs - out->macs_passes_saved - out->dead_channels.macs_saved;
        st = tml_lower_graph_for(&out->graph, opts && !opts->optimize_ram ? opts->target : NULL,
                                 &out->lowered, err);
    }
    if (st == TML_OK && opts && opts->optimize_ram && !opts->no_inplace) {
        int n_fused, n_moved;
        st = tml_plan_fuse_resblocks(&out->graph, &out->lowered, &n_fused, err);
        if (st == TML_OK)
            st = tml_plan_schedule(&out->graph, &out->lowered, 1, &n_moved, err);
    }
    if (st == TML_OK && !(opts && opts->no_inplace))
        st = tml_plan_inplace_hints(&out->graph, &out->lowered, err);
    if (st == TML_OK)
        st = tml_plan_arena(&out->graph, &out->lowered, &out->plan, err);
    if (st == TML_OK)
        st = tml_plan_scratch_settle(&out->graph, &out->lowered, &out->plan, err);
    if (st == TML_OK)
        tml_plan_inplace_settle(&out->plan, &out->lowered);
    if (st == TML_OK)
        st = tml_package_build(&out->graph, &out->lowered, &out->plan, &out->pkg, &out->pkg_len,
                               &out->const_bytes, err);
    if (st != TML_OK) {
        tml_err_wrap(err, "%s", name);
        tml_compiled_free(out);
    }
    return st;
}

tml_status_t tml_compile_file(const char *path, const tml_compile_opts_t *opts,
                              tml_compiled_t *out, tml_err_t *err)
{
    tml_ir_graph_t g;
    memset(out, 0, sizeof(*out));
    tml_status_t st = tml_model_load(path, &g, err);
    if (st != TML_OK)
        return st;
    return tml_compile_graph(&g, opts, out, err);
}
