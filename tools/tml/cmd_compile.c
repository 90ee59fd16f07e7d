/*
 * cmd_compile.c - `tml compile MODEL -o OUT.tmlm [--target NAME]`: write the
 * package. With a target, check that it fits first and refuse (writing
 * nothing) with the reason when it does not.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tml/compiler.h"
#include "tml/fit.h"

int tml_cmd_compile(int argc, char **argv)
{
    const char *model = NULL, *out = NULL, *target_name = NULL;
    int bad = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--target") && i + 1 < argc)
            target_name = argv[++i];
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            fprintf(stderr, "tml compile: unexpected argument '%s'\n", argv[i]);
            bad = 1;
        }
    }
    if (bad || !model || !out) {
        fputs("usage: tml compile MODEL -o OUT.tmlm [--target NAME]\n"
              "  MODEL   .tflite or .onnx\n"
              "  NAME    a device profile (see `tml targets`): check fit, estimate latency\n", stderr);
        return 2;
    }
    const tml_target_t *target = NULL;
    if (target_name && !(target = tml_target_find(target_name))) {
        fprintf(stderr, "tml compile: unknown target '%s' (see `tml targets`)\n", target_name);
        return 2;
    }
    tml_err_t err;
    tml_err_clear(&err);
    tml_compiled_t c;
    tml_compile_opts_t opts = {.target = target};
    tml_status_t st = tml_compile_file(model, &opts, &c, &err);
    if (st != TML_OK) {
        fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
        return 1;
    }
    int code = 0;
    if (target) {
        tml_fit_t fit;
        tml_fit_check(&c, target, &fit);
        printf("target %s (%s, %u MHz): RAM %u / %u bytes, flash %u / %u bytes (code %u), "
               "latency ~%.1f ms\n", target->name, target->core, (unsigned)(target->clock_hz / 1000000u),
               (unsigned)fit.ram_bytes, (unsigned)target->model_ram_bytes, (unsigned)fit.flash_bytes,
               (unsigned)target->model_flash_bytes, (unsigned)fit.code_bytes, fit.latency_us / 1000.0);
        if (!fit.fits) {
            fprintf(stderr, "tml compile: %s does not fit %s: %s\n", c.graph.name, target->name, fit.reason);
            code = 1;
        }
    }
    if (code == 0) {
        st = tml_file_write(out, c.pkg, c.pkg_len, &err);
        if (st == TML_OK)
            printf("%s: %zu bytes (%u weights), arena %u bytes, %lld MACs, %d kernels, backend package\n",
                   out, c.pkg_len, (unsigned)c.const_bytes, (unsigned)c.plan.arena_len,
                   (long long)c.macs, c.lowered.n_ops);
        else {
            fprintf(stderr, "tml compile: %s\n", tml_err_message(&err));
            code = 1;
        }
    }
    tml_compiled_free(&c);
    return code;
}
