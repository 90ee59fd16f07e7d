/*
 * cmd_compile.c - `tml compile MODEL -o OUT [--target NAME] [--backend B]`.
 *
 * Backends: package (default; OUT is a .tmlm), c (OUT is a directory of
 * standalone C), auto (with --target: the one that suits the target, with
 * the reason), or an external compiler declared in a backends file
 * (--backends FILE, else $TML_BACKENDS, else config/backends.json of the
 * source tree). With a target the fit is checked first and a model that does
 * not fit is refused with the reason, writing nothing.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "tml/backend.h"
#include "tml/backend_c.h"
#include "tml/fit.h"
#include "tml/report.h"

static int usage(void)
{
    fputs("usage: tml compile MODEL -o OUT [--target NAME] [--backend package|c|auto|EXTERNAL]\n"
          "                   [--name ID] [--backends FILE] [--optimize ram|speed]\n"
          "                   [--keep-dead-channels]\n"
          "  MODEL      .tflite or .onnx\n"
          "  OUT        a .tmlm file (package) or a directory (c)\n"
          "  --target   a device profile (see `tml targets`): check fit, estimate latency\n"
          "  --backend  package (default), c, auto (needs --target), or an external\n"
          "             compiler from the backends file\n"
          "  --name     C identifier for generated code (default: from the model file name)\n"
          "  --optimize speed (default: the target's fastest kernels) or ram (kernels that\n"
          "             run in place, for the smallest arena)\n"
          "  --quantize int8          post-training int8 quantization of a float model\n"
          "  --calib DIR_OR_NPY       calibration inputs: an .npy [N, <input shape>] or a folder of them\n"
          "  --calib-method M         minmax (default), percentile or entropy\n"
          "  --percentile P           kept percentage for percentile calibration (default 99.99)\n"
          "  --prune SPARSITY         zero this fraction of each layer's weights (magnitude)\n"
          "  --prune-channels F       remove this fraction of output channels where possible\n"
          "  --eval NPY [--eval-labels NPY]  where errors (and accuracy) are measured\n"
          "  --report FILE            write the JSON report (tml inspect --json) with\n"
          "                           the quantization/pruning errors\n",
          stderr);
    return 2;
}

/* A C identifier from a file name: "kws_ref_model/model.tflite" -> "model". */
static void default_name(const char *model, char *name, size_t cap)
{
    const char *base = tml_path_basename(model);
    size_t n = 0;
    for (; base[n] && base[n] != '.' && n + 1 < cap; n++)
        name[n] = isalnum((unsigned char)base[n]) ? base[n] : '_';
    name[n] = '\0';
    if (n == 0 || isdigit((unsigned char)name[0]))
        snprintf(name, cap, "model");
}

static int run_external(const char *backend, const char *backends_file, const char *model,
                        const char *out, const char *name, const tml_target_t *target,
                        const tml_compiled_t *c)
{
    char default_file[4096];
    if (!backends_file)
        backends_file = getenv("TML_BACKENDS");
    if (!backends_file) {
        const char *src = getenv("TML_SOURCE_DIR");
        snprintf(default_file, sizeof(default_file), "%s/config/backends.json", src ? src : TML_SOURCE_DIR);
        backends_file = default_file;
    }
    tml_err_t err;
    tml_err_clear(&err);
    tml_backend_config_t cfg;
    if (tml_backend_config_load(backends_file, &cfg, &err) != TML_OK) {
        fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
        return 1;
    }
    int code = 1;
    const tml_external_backend_t *b = tml_backend_config_find(&cfg, backend);
    tml_model_format_t format = tml_model_sniff((const uint8_t *)"", 0, model);
    uint8_t *head = NULL;
    size_t head_len = 0;
    if (tml_file_read(model, &head, &head_len, NULL) == TML_OK)
        format = tml_model_sniff(head, head_len, model);
    tml_free(head);
    if (!b) {
        fprintf(stderr, "tml compile: unknown backend '%s' (built in: package, c, auto; %s declares %d more)\n",
                backend, backends_file, cfg.n_backends);
    } else if (target && !tml_external_serves(b, target)) {
        fprintf(stderr, "tml compile: backend %s does not serve %s (%s)\n", b->name, target->name, target->core);
    } else if (!(b->accepts_package || (format == TML_FORMAT_TFLITE && b->accepts_tflite) ||
                 (format == TML_FORMAT_ONNX && b->accepts_onnx))) {
        fprintf(stderr, "tml compile: backend %s does not accept this kind of model\n", b->name);
    } else {
        char self[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        self[n > 0 ? n : 0] = '\0';
        tml_external_job_t job = {.model_path = model, .pkg = c->pkg, .pkg_len = c->pkg_len,
                                  .target = target, .name = name, .out = out,
                                  .tml_path = n > 0 ? self : "tml"};
        if (tml_external_run(b, &job, &err) == TML_OK) {
            printf("%s: produced by external backend %s (%s), output checked\n", out, b->name,
                   b->produces_package ? "package" : "c");
            code = 0;
        } else {
            fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
        }
    }
    tml_backend_config_free(&cfg);
    return code;
}

int tml_cmd_compile(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *target_name = NULL, *backend = "package";
    const char *backends_file = NULL, *name_arg = NULL;
    const char *calib_path = NULL, *eval_path = NULL, *labels_path = NULL, *report_path = NULL;
    tml_compile_opts_t opts;
    memset(&opts, 0, sizeof(opts));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && has_value)
            out = argv[++i];
        else if (!strcmp(a, "--target") && has_value)
            target_name = argv[++i];
        else if (!strcmp(a, "--backend") && has_value)
            backend = argv[++i];
        else if (!strcmp(a, "--backends") && has_value)
            backends_file = argv[++i];
        else if (!strcmp(a, "--name") && has_value)
            name_arg = argv[++i];
        else if (!strcmp(a, "--keep-dead-channels"))
            opts.keep_dead_channels = true;
        else if (!strcmp(a, "--optimize") && has_value) {
            const char *v = argv[++i];
            if (strcmp(v, "ram") && strcmp(v, "speed")) {
                fprintf(stderr, "tml compile: --optimize takes ram or speed\n");
                return 2;
            }
            opts.optimize_ram = !strcmp(v, "ram");
        }
        else if (!strcmp(a, "--quantize") && has_value) {
            if (strcmp(argv[++i], "int8")) {
                fprintf(stderr, "tml compile: --quantize takes int8 (got '%s')\n", argv[i]);
                return 2;
            }
            opts.quantize = true;
        } else if (!strcmp(a, "--calib") && has_value)
            calib_path = argv[++i];
        else if (!strcmp(a, "--calib-method") && has_value) {
            const char *m = argv[++i];
            if (!strcmp(m, "minmax"))
                opts.quant.method = TML_CALIB_MINMAX;
            else if (!strcmp(m, "percentile"))
                opts.quant.method = TML_CALIB_PERCENTILE;
            else if (!strcmp(m, "entropy") || !strcmp(m, "kl"))
                opts.quant.method = TML_CALIB_ENTROPY;
            else {
                fprintf(stderr, "tml compile: unknown --calib-method '%s' (minmax, percentile, entropy)\n", m);
                return 2;
            }
        } else if (!strcmp(a, "--percentile") && has_value)
            opts.quant.percentile = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--prune") && has_value)
            opts.prune.sparsity = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--prune-channels") && has_value)
            opts.prune.channels = strtof(argv[++i], NULL);
        else if (!strcmp(a, "--eval") && has_value)
            eval_path = argv[++i];
        else if (!strcmp(a, "--eval-labels") && has_value)
            labels_path = argv[++i];
        else if (!strcmp(a, "--report") && has_value)
            report_path = argv[++i];
        else if (a[0] != '-' && !model)
            model = a;
        else {
            fprintf(stderr, "tml compile: unexpected argument '%s'\n", a);
            return usage();
        }
    }
    if (!model || !out)
        return usage();
    const tml_target_t *target = NULL;
    if (target_name && !(target = tml_target_find(target_name))) {
        fprintf(stderr, "tml compile: unknown target '%s' (see `tml targets`)\n", target_name);
        return 2;
    }
    if (!strcmp(backend, "auto") && !target) {
        fprintf(stderr, "tml compile: --backend auto needs --target\n");
        return 2;
    }
    char name[128];
    if (name_arg)
        snprintf(name, sizeof(name), "%s", name_arg);
    else
        default_name(model, name, sizeof(name));

    tml_err_t err;
    tml_err_clear(&err);
    if (opts.quantize && !calib_path) {
        fprintf(stderr, "tml compile: --quantize int8 needs --calib DIR_OR_NPY\n");
        return 2;
    }
    if (labels_path && !eval_path) {
        fprintf(stderr, "tml compile: --eval-labels needs --eval\n");
        return 2;
    }
    tml_compiled_t c;
    opts.target = target;
    tml_calib_set_t calib, eval;
    memset(&calib, 0, sizeof(calib));
    memset(&eval, 0, sizeof(eval));
    tml_ir_graph_t g;
    tml_status_t st = tml_model_load(model, &g, &err);
    if (st == TML_OK && calib_path && (st = tml_calib_load(calib_path, NULL, &g, &calib, &err)) == TML_OK)
        opts.calib = &calib;
    if (st == TML_OK && eval_path &&
        (st = tml_calib_load(eval_path, labels_path, &g, &eval, &err)) == TML_OK)
        opts.eval = &eval;
    if (st == TML_OK)
        st = tml_compile_graph(&g, &opts, &c, &err);
    else
        tml_ir_free(&g);
    tml_calib_free(&calib);
    tml_calib_free(&eval);
    if (st != TML_OK) {
        fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
        return 1;
    }
    if (c.prune) {
        const tml_prune_report_t *p = c.prune;
        printf("pruned: %lld of %lld weights zero, %d channels removed in %d layers, MACs %lld -> %lld\n",
               (long long)p->weights_zero, (long long)p->weights_total, p->channels_removed,
               p->layers_structured, (long long)p->macs_before, (long long)p->macs_after);
        if (p->n_eval)
            printf("pruned vs unpruned on %d samples: top-1 agreement %.2f%%, output max abs error %.4g\n",
                   p->n_eval, 100.0 * p->top1_agreement, p->output_err.max_abs_err);
        if (p->have_labels)
            printf("accuracy: %.2f%% unpruned, %.2f%% pruned\n", 100.0 * p->accuracy_before,
                   100.0 * p->accuracy_after);
    }
    if (c.quant) {
        const tml_quant_report_t *q = c.quant;
        printf("quantized int8 (%s calibration, %d samples; %d ops left float)\n",
               tml_calib_method_name(q->method), q->n_calib, q->n_float_ops);
        for (int l = 0; l < q->n_layers; l++)
            printf("  %-16s %-40s SQNR %6.1f dB  max abs err %.4g\n", tml_ir_op_name(q->layers[l].op),
                   q->layers[l].name, q->layers[l].err.sqnr_db, q->layers[l].err.max_abs_err);
        if (q->n_outputs)
            printf("output vs float on %d samples: SQNR %.1f dB, max abs err %.4g, top-1 agreement %.2f%%\n",
                   q->n_eval, q->outputs[0].sqnr_db, q->outputs[0].max_abs_err, 100.0 * q->top1_agreement);
        if (q->have_labels)
            printf("accuracy: %.2f%% float, %.2f%% int8\n", 100.0 * q->accuracy_float,
                   100.0 * q->accuracy_int8);
    }
    if (report_path) {
        json_t *report = tml_report_json(&c, model);
        char *text = report ? json_dumps(report, JSON_INDENT(2)) : NULL;
        if (!text || tml_file_write(report_path, text, strlen(text), &err) != TML_OK) {
            fprintf(stderr, "tml compile: cannot write the report %s\n", report_path);
            free(text);
            json_decref(report);
            tml_compiled_free(&c);
            return 1;
        }
        free(text);
        json_decref(report);
    }
    int code = 0;
    if (target) {
        tml_fit_t fit;
        tml_fit_check(&c, target, &fit);
        tml_backend_choice_t choice;
        tml_backend_choose(&c, target, true, &choice);
        printf("target %s (%s, %u MHz): RAM %u / %u bytes, flash %u / %u bytes (code %u), "
               "latency ~%.1f ms\n", target->name, target->core, (unsigned)(target->clock_hz / 1000000u),
               (unsigned)fit.ram_bytes, (unsigned)target->model_ram_bytes, (unsigned)fit.flash_bytes,
               (unsigned)target->model_flash_bytes, (unsigned)fit.code_bytes, fit.latency_us / 1000.0);
        if (!strcmp(backend, "auto")) {
            backend = choice.backend;
            printf("backend %s\n", choice.why);
        }
        bool fits = !strcmp(backend, "c") ? choice.c_flash <= target->model_flash_bytes &&
                                                fit.ram_bytes <= target->model_ram_bytes
                                          : fit.fits;
        if (!fits) {
            fprintf(stderr, "tml compile: %s does not fit %s: %s\n", c.graph.name, target->name,
                    fit.reason[0] ? fit.reason : "not enough flash");
            code = 1;
        }
    }
    if (code == 0 && !strcmp(backend, "package")) {
        if (tml_file_write(out, c.pkg, c.pkg_len, &err) == TML_OK)
            printf("%s: %zu bytes (%u weights), arena %u bytes, %lld MACs (%lld executed), %d kernels, backend package\n",
                   out, c.pkg_len, (unsigned)c.const_bytes, (unsigned)c.plan.arena_len,
                   (long long)c.macs, (long long)c.macs_executed, c.lowered.n_ops);
        else
            code = 1;
    } else if (code == 0 && !strcmp(backend, "c")) {
        const char *src = getenv("TML_SOURCE_DIR");
        if (tml_backend_c_emit(&c, name, out, src ? src : TML_SOURCE_DIR, &err) == TML_OK)
            printf("%s/: %s.c, %s.h and the kernels they call, about %u bytes of flash, arena %u bytes, "
                   "backend c\n", out, name, name, (unsigned)tml_backend_c_flash(&c),
                   (unsigned)c.plan.arena_len);
        else
            code = 1;
    } else if (code == 0) {
        code = run_external(backend, backends_file, model, out, name, target, &c);
    }
    if (code == 1 && err.status != TML_OK)
        fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
    tml_compiled_free(&c);
    return code;
}
