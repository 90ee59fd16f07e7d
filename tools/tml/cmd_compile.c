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
          "             run in place, for the smallest arena)\n",
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
    tml_compiled_t c;
    opts.target = target;
    if (tml_compile_file(model, &opts, &c, &err) != TML_OK) {
        fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
        return 1;
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
            printf("%s: %zu bytes (%u weights), arena %u bytes, %lld MACs, %d kernels, backend package\n",
                   out, c.pkg_len, (unsigned)c.const_bytes, (unsigned)c.plan.arena_len,
                   (long long)c.macs, c.lowered.n_ops);
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
