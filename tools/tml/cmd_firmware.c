/*
 * cmd_firmware.c - `tml firmware`: build a Cortex-M image that runs a
 * package under QEMU, report its flash and RAM, and optionally run it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_model.h"
#include "commands.h"
#include "tml/target.h"
#include "tml/firmware.h"

static int usage(FILE *out)
{
    size_t n;
    const tml_board_t *boards = tml_firmware_boards(&n);
    fputs("usage: tml firmware MODEL_OR_PACKAGE --board BOARD -o OUT.elf [--run DIR] [--timeout SEC] [--profile]\n"
          "       tml firmware --selftest --board BOARD -o OUT.elf [--run DIR] [--timeout SEC]\n"
          "Builds a firmware image that runs the model on BOARD's Cortex-M core in\n"
          "qemu-system-arm, and prints its section sizes. MODEL_OR_PACKAGE is a .tflite or\n"
          ".onnx model (compiled first, for BOARD's profile) or a compiled .tmlm package.\n"
          "Run the image in a directory holding input.bin (the model inputs' bytes):\n"
          "  qemu-system-arm -M BOARD -nographic -semihosting -icount shift=0 -kernel OUT.elf\n"
          "It writes output.bin, prints \"instructions: N\" for one inference and exits 0.\n"
          "options:\n"
          "  --board BOARD   the target board:\n", out);
    for (size_t i = 0; i < n; i++)
        fprintf(out, "                    %-12s %s%s\n", boards[i].name, boards[i].cpu,
                boards[i].fpu ? " + FPU" : "");
    fputs("  -o OUT.elf      the image to write\n"
          "  --run DIR       also run it in DIR (with -icount shift=0) and show its output\n"
          "  --timeout SEC   time limit of that run (default 600)\n"
          "  --selftest      build the firmware self-test image instead of a model image\n"
          "  --profile       the image also times each op (\"op I KERNEL: N\" after the total)\n",
          out);
    return out == stderr ? 2 : 0;
}

static void print_sizes(const char *elf, const tml_board_t *board, const tml_firmware_sizes_t *s)
{
    printf("%s: %s (%s)\n", elf, board->name, board->cpu);
    printf("  %-8s %10u bytes  flash\n", "text", s->text);
    printf("  %-8s %10u bytes  flash (vectors, constants, the package)\n", "rodata", s->rodata);
    printf("  %-8s %10u bytes  flash + RAM\n", "data", s->data);
    printf("  %-8s %10u bytes  RAM (arena, input buffer)\n", "bss", s->bss);
    printf("  %-8s %10u bytes  RAM\n", "stack", s->stack);
    printf("  flash %u bytes, RAM %u bytes\n", s->flash, s->ram);
}

int tml_cmd_firmware(int argc, char **argv)
{
    const char *pkg_path = NULL, *board_name = NULL, *out = NULL, *run_dir = NULL;
    bool selftest = false, profile = false;
    long timeout_s = 600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            return usage(stdout);
        if (!strcmp(a, "--profile")) {
            profile = true;
        } else if (!strcmp(a, "--selftest")) {
            selftest = true;
        } else if ((!strcmp(a, "--board") || !strcmp(a, "-o") || !strcmp(a, "--run") ||
                    !strcmp(a, "--timeout")) && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--board")) {
                board_name = v;
            } else if (!strcmp(a, "-o")) {
                out = v;
            } else if (!strcmp(a, "--run")) {
                run_dir = v;
            } else {
                char *end;
                timeout_s = strtol(v, &end, 10);
                if (*end || timeout_s <= 0 || timeout_s > 86400) {
                    fprintf(stderr, "tml firmware: bad --timeout '%s'\n", v);
                    return 2;
                }
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "tml firmware: unknown option or missing value: %s\n", a);
            return usage(stderr);
        } else if (!pkg_path) {
            pkg_path = a;
        } else {
            fprintf(stderr, "tml firmware: one package only (got '%s' and '%s')\n", pkg_path, a);
            return 2;
        }
    }
    if (!board_name || !out || (selftest == (pkg_path != NULL))) {
        fprintf(stderr, "tml firmware: need %s, --board and -o\n",
                selftest ? "no MODEL_OR_PACKAGE with --selftest" : "a MODEL_OR_PACKAGE (or --selftest)");
        return usage(stderr);
    }
    const tml_board_t *board = tml_firmware_board_find(board_name);
    tml_err_t err;
    tml_err_clear(&err);
    tml_firmware_sizes_t sizes;
    tml_status_t st;
    if (selftest) {
        st = tml_firmware_build_selftest(board_name, out, &sizes, &err);
    } else {
        uint8_t *pkg = NULL;
        size_t pkg_len = 0;
        /* A model is compiled for the board's own profile first. */
        tml_compile_opts_t opts;
        memset(&opts, 0, sizeof(opts));
        opts.target = tml_target_find(board_name); /* the QEMU boards are catalog targets */
        st = tml_cli_load_package(pkg_path, &opts, &pkg, &pkg_len, &err);
        if (st == TML_OK) {
            st = tml_firmware_build_flags(pkg, pkg_len, board_name, out,
                                          profile ? TML_FIRMWARE_PROFILE : 0u, &sizes, &err);
            if (st != TML_OK)
                tml_err_wrap(&err, "%s", pkg_path);
        }
        tml_free(pkg);
    }
    if (st != TML_OK) {
        fprintf(stderr, "tml firmware: %s\n", tml_err_message(&err));
        return 1;
    }
    print_sizes(out, board, &sizes);
    if (!run_dir) {
        printf("run: qemu-system-arm -M %s -nographic -semihosting -icount shift=0 -kernel %s\n",
               board->qemu_machine, out);
        return 0;
    }
    tml_firmware_run_t run;
    st = tml_firmware_run(out, board_name, run_dir, (int)timeout_s * 1000, &run, &err);
    if (st != TML_OK) {
        fprintf(stderr, "tml firmware: run: %s\n", tml_err_message(&err));
        return 1;
    }
    fputs(run.console, stdout);
    int rc = run.exit_status == 0 ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "tml firmware: the image exited with status %d\n", run.exit_status);
    tml_free(run.console);
    return rc;
}
