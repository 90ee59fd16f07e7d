/*
 * firmware.c - the firmware backend: turns a .tmlm package into a Cortex-M
 * image for one QEMU board, and runs such images.
 *
 * Design: the image is compiled from source for each package, not linked
 * against a prebuilt runtime, so the package's arena and input buffer are
 * plain sized arrays in .bss and the whole image goes through one
 * --gc-sections link (only the kernels the interpreter's registry reaches
 * remain). The package becomes a generated C array in .rodata, i.e. flash:
 * the runtime executes it in place. Compiler and emulator are child
 * processes with time limits; a build works in a temporary directory that
 * is always removed.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware_internal.h"
#include "tml/firmware.h"
#include "tml/pkg.h"

#ifndef TML_SOURCE_DIR
#error "TML_SOURCE_DIR must name the source tree (compiler/CMakeLists.txt defines it)"
#endif

#define MiB (1024u * 1024u)

static const tml_board_t boards[] = {
    {"mps2-an385", "mps2-an385", "cortex-m3", "soft", NULL, 25000000u,
     0x00000000u, 4 * MiB, 0x20000000u, 4 * MiB},
    {"mps2-an386", "mps2-an386", "cortex-m4", "hard", "fpv4-sp-d16", 25000000u,
     0x00000000u, 4 * MiB, 0x20000000u, 4 * MiB},
    {"mps2-an500", "mps2-an500", "cortex-m7", "hard", "fpv5-d16", 25000000u,
     0x00000000u, 4 * MiB, 0x20000000u, 4 * MiB},
    /* TrustZone: secure aliases, and the SSE-200 main clock is 20 MHz. */
    {"mps2-an505", "mps2-an505", "cortex-m33", "hard", "fpv5-sp-d16", 20000000u,
     0x10000000u, 4 * MiB, 0x38000000u, 4 * MiB},
};

#define N_BOARDS (sizeof(boards) / sizeof(boards[0]))

const tml_board_t *tml_firmware_boards(size_t *n)
{
    if (n)
        *n = N_BOARDS;
    return boards;
}

const tml_board_t *tml_firmware_board_find(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < N_BOARDS; i++)
        if (!strcmp(boards[i].name, name))
            return &boards[i];
    return NULL;
}

static tml_status_t unknown_board(const char *name, tml_err_t *err)
{
    char list[256] = "";
    for (size_t i = 0; i < N_BOARDS; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, boards[i].name, sizeof(list) - strlen(list) - 1);
    }
    return tml_err_set(err, TML_ERR_ARG, "unknown board '%s' (boards: %s)", name ? name : "(null)",
                       list);
}

bool tml_firmware_have_tool(const char *name)
{
    if (!name || !*name)
        return false;
    if (strchr(name, '/'))
        return access(name, X_OK) == 0;
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    char buf[PATH_MAX];
    while (*path) {
        const char *end = strchr(path, ':');
        size_t len = end ? (size_t)(end - path) : strlen(path);
        int n = snprintf(buf, sizeof(buf), "%.*s/%s", (int)len, len ? path : ".", name);
        if (n > 0 && (size_t)n < sizeof(buf) && access(buf, X_OK) == 0)
            return true;
        path += len + (end ? 1 : 0);
    }
    return false;
}

/* ---- The package header: what the image needs to know at build time ---- */

typedef struct pkg_info {
    uint32_t arena_len;
    uint32_t input_len;   /* bytes of all graph inputs, concatenated */
    uint32_t output_len;
    uint32_t n_inputs, n_outputs;
} pkg_info_t;

static tml_status_t pkg_inspect(const uint8_t *pkg, size_t pkg_len, pkg_info_t *info,
                                tml_err_t *err)
{
    tml_pkg_header_t h;
    if (pkg_len < sizeof(h))
        return tml_err_set(err, TML_ERR_CORRUPT, "package: %zu bytes, shorter than its header",
                           pkg_len);
    memcpy(&h, pkg, sizeof(h));
    if (h.magic != TML_PKG_MAGIC)
        return tml_err_set(err, TML_ERR_CORRUPT, "package: bad magic (not a .tmlm package)");
    if (h.version_major != TML_PKG_VERSION_MAJOR)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "package: format version %u.%u, expected %u.x",
                           h.version_major, h.version_minor, TML_PKG_VERSION_MAJOR);
    if (h.header_len != sizeof(h) || h.total_len != pkg_len)
        return tml_err_set(err, TML_ERR_CORRUPT,
                           "package: header says %u header bytes and %u in total, have %zu and %zu",
                           h.header_len, h.total_len, sizeof(h), pkg_len);
    uint64_t io_end = (uint64_t)h.io_off + 4ull * ((uint64_t)h.n_inputs + h.n_outputs);
    uint64_t tensors_end = (uint64_t)h.tensors_off + (uint64_t)h.n_tensors * sizeof(tml_pkg_tensor_t);
    if (io_end > pkg_len || tensors_end > pkg_len || h.io_off % 4 || h.tensors_off % 4)
        return tml_err_set(err, TML_ERR_CORRUPT, "package: I/O or tensor table out of bounds");
    uint64_t totals[2] = {0, 0};
    for (uint64_t i = 0; i < (uint64_t)h.n_inputs + h.n_outputs; i++) {
        uint32_t idx;
        memcpy(&idx, pkg + h.io_off + 4 * i, 4);
        if (idx >= h.n_tensors)
            return tml_err_set(err, TML_ERR_CORRUPT, "package: I/O entry %u names tensor %u of %u",
                               (unsigned)i, idx, h.n_tensors);
        tml_pkg_tensor_t t;
        memcpy(&t, pkg + h.tensors_off + (size_t)idx * sizeof(t), sizeof(t));
        totals[i < h.n_inputs ? 0 : 1] += t.byte_len;
    }
    if (totals[0] > UINT32_MAX || totals[1] > UINT32_MAX)
        return tml_err_set(err, TML_ERR_CORRUPT, "package: I/O tensors larger than 4 GiB");
    info->arena_len = h.arena_len;
    info->input_len = (uint32_t)totals[0];
    info->output_len = (uint32_t)totals[1];
    info->n_inputs = h.n_inputs;
    info->n_outputs = h.n_outputs;
    return TML_OK;
}

/* Rejects what certainly cannot fit before spending a compile on it; the
 * linker has the last word (its "region overflowed" becomes NOFIT too). */
static tml_status_t check_fit(const tml_board_t *board, size_t pkg_len, const pkg_info_t *info,
                              tml_err_t *err)
{
    const uint64_t code_reserve = 64u * 1024u;
    const uint64_t ram_reserve = 16u * 1024u;
    if ((uint64_t)pkg_len + code_reserve > board->flash_len)
        return tml_err_set(err, TML_ERR_NOFIT,
                           "%s: the package (%zu bytes) and code do not fit its %u bytes of flash",
                           board->name, pkg_len, board->flash_len);
    uint64_t ram = (uint64_t)info->arena_len + info->input_len + TML_FIRMWARE_STACK_LEN + ram_reserve;
    if (ram > board->ram_len)
        return tml_err_set(err, TML_ERR_NOFIT,
                           "%s: arena (%u bytes) + input buffer (%u) + stack (%u) do not fit its "
                           "%u bytes of RAM", board->name, info->arena_len, info->input_len,
                           TML_FIRMWARE_STACK_LEN, board->ram_len);
    return TML_OK;
}

/* ---- Building ------------------------------------------------------------ */

static const char *source_dir(void)
{
    const char *env = getenv("TML_SOURCE_DIR");
    return env && *env ? env : TML_SOURCE_DIR;
}

static char *path_join(const char *a, const char *b)
{
    size_t len = strlen(a) + strlen(b) + 2;
    char *p = tml_malloc(len);
    if (p)
        snprintf(p, len, "%s/%s", a, b);
    return p;
}

/* Writes the package as a C array, plus the arena and input buffer. */
static tml_status_t write_model_source(const char *path, const uint8_t *pkg, size_t pkg_len,
                                       const pkg_info_t *info, tml_err_t *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "cannot create %s", path);
    fprintf(f,
            "/* generated by tml firmware, do not edit.\n"
            " * A .tmlm package of %zu bytes (in flash, run in place), its arena of %u\n"
            " * bytes and a buffer for its %u input(s), %u bytes in all. */\n"
            "#include \"fw_model.h\"\n\n"
            "const uint32_t tml_fw_pkg_len = %zuu;\n"
            "const uint8_t tml_fw_pkg[%zu] __attribute__((aligned(16))) = {\n",
            pkg_len, info->arena_len, info->n_inputs, info->input_len, pkg_len, pkg_len);
    static const char hex[] = "0123456789abcdef";
    char line[16 * 6 + 8];
    for (size_t i = 0; i < pkg_len; i += 16) {
        size_t n = 0;
        line[n++] = ' ';
        for (size_t j = i; j < pkg_len && j < i + 16; j++) {
            line[n++] = ' ';
            line[n++] = '0';
            line[n++] = 'x';
            line[n++] = hex[pkg[j] >> 4];
            line[n++] = hex[pkg[j] & 15];
            line[n++] = ',';
        }
        line[n++] = '\n';
        fwrite(line, 1, n, f);
    }
    /* Zero-length arrays are not C: keep one byte, the _len stays exact. */
    fprintf(f,
            "};\n\n"
            "const uint32_t tml_fw_arena_len = %uu;\n"
            "uint8_t tml_fw_arena[%u] __attribute__((aligned(16)));\n\n"
            "const uint32_t tml_fw_input_len = %uu;\n"
            "uint8_t tml_fw_input[%u] __attribute__((aligned(16)));\n",
            info->arena_len, info->arena_len ? info->arena_len : 1u, info->input_len,
            info->input_len ? info->input_len : 1u);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed)
        return tml_err_set(err, TML_ERR_IO, "cannot write %s", path);
    return TML_OK;
}

static tml_status_t add_compile_args(tml_argv_t *argv, const tml_board_t *board, const char *src,
                                     const char *tmp, uint32_t flags)
{
    static const char *const fixed[] = {
        "-mthumb", "-std=c99", "-O2", "-g",
        "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes", "-Wmissing-prototypes",
        "-Wpointer-arith", "-Wformat=2", "-Wvla", "-Werror",
        "-ffreestanding", "-fno-common", "-ffunction-sections", "-fdata-sections",
    };
    tml_status_t st = tml_argv_add(argv, "arm-none-eabi-gcc");
    if (st == TML_OK)
        st = tml_argv_add(argv, "-mcpu=%s", board->cpu);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-mfloat-abi=%s", board->float_abi);
    if (st == TML_OK && board->fpu)
        st = tml_argv_add(argv, "-mfpu=%s", board->fpu);
    for (size_t i = 0; st == TML_OK && i < sizeof(fixed) / sizeof(fixed[0]); i++)
        st = tml_argv_add(argv, "%s", fixed[i]);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-DTML_FW_NS_PER_TICK=%u", 1000000000u / board->cpu_hz);
    if (st == TML_OK && (flags & TML_FIRMWARE_PROFILE))
        st = tml_argv_add(argv, "-DTML_FW_PROFILE=1");
    if (st == TML_OK)
        st = tml_argv_add(argv, "-I%s/include", src);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-I%s/runtime", src);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-I%s/firmware", src);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-I%s/firmware/common", src);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-o%s/fw.elf", tmp);
    return st;
}

static tml_status_t add_link_args(tml_argv_t *argv, const tml_board_t *board, const char *src,
                                  const char *tmp)
{
    tml_status_t st = tml_argv_add(argv, "-nostartfiles");
    if (st == TML_OK)
        st = tml_argv_add(argv, "--specs=nano.specs");
    if (st == TML_OK)
        st = tml_argv_add(argv, "-Wl,--gc-sections");
    if (st == TML_OK)
        st = tml_argv_add(argv, "-Wl,-Map=%s/fw.map", tmp);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-Wl,--defsym=__stack_size=%u", TML_FIRMWARE_STACK_LEN);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-L%s/firmware/boards", src);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-T%s.ld", board->name);
    if (st == TML_OK)
        st = tml_argv_add(argv, "-lm");
    return st;
}

/* Builds an image from firmware/common + app (a file under firmware/), plus
 * the runtime and the generated package source when pkg is not NULL. */
static tml_status_t build_image(const tml_board_t *board, const char *app, const uint8_t *pkg,
                                size_t pkg_len, const pkg_info_t *info, uint32_t flags,
                                const char *out_elf, tml_firmware_sizes_t *sizes,
                                tml_err_t *err)
{
    const char *src = source_dir();
    char *tmp = NULL, *log = NULL, *elf_path = NULL, *model_src = NULL, *dir = NULL;
    uint8_t *elf = NULL;
    size_t elf_len = 0;
    tml_argv_t argv = {0};
    tml_firmware_sizes_t got;
    struct stat sb;

    tml_status_t st = TML_OK;
    dir = path_join(src, "firmware/common/startup.c");
    if (!dir) {
        st = TML_ERR_NOMEM;
        goto done;
    }
    if (stat(dir, &sb) != 0) {
        st = tml_err_set(err, TML_ERR_NOT_FOUND,
                         "firmware sources not found under %s (set TML_SOURCE_DIR)", src);
        goto done;
    }
    tml_free(dir);
    dir = NULL;

    st = tml_tmpdir_create("tml-fw", &tmp, err);
    if (st != TML_OK)
        goto done;
    log = path_join(tmp, "build.log");
    elf_path = path_join(tmp, "fw.elf");
    if (!log || !elf_path) {
        st = TML_ERR_NOMEM;
        goto done;
    }
    st = add_compile_args(&argv, board, src, tmp, flags);
    if (st != TML_OK)
        goto done;
    if (pkg) {
        model_src = path_join(tmp, "model_data.c");
        if (!model_src) {
            st = TML_ERR_NOMEM;
            goto done;
        }
        st = write_model_source(model_src, pkg, pkg_len, info, err);
        if (st == TML_OK)
            st = tml_argv_add(&argv, "%s", model_src);
        if (st == TML_OK && !(dir = path_join(src, "runtime")))
            st = TML_ERR_NOMEM;
        if (st == TML_OK)
            st = tml_collect_sources(dir, &argv, err);
        tml_free(dir);
        dir = NULL;
        if (st != TML_OK)
            goto done;
    }
    if (!(dir = path_join(src, "firmware/common"))) {
        st = TML_ERR_NOMEM;
        goto done;
    }
    st = tml_collect_sources(dir, &argv, err);
    if (st == TML_OK)
        st = tml_argv_add(&argv, "%s/firmware/%s", src, app);
    if (st == TML_OK)
        st = add_link_args(&argv, board, src, tmp);
    if (st != TML_OK)
        goto done;

    int status = 0;
    st = tml_proc_run(&argv, NULL, log, TML_FIRMWARE_BUILD_TIMEOUT_MS, &status, err);
    if (st != TML_OK)
        goto done;
    if (status != 0) {
        char *tail = tml_file_tail(log, 2000);
        if (!tail) {
            st = TML_ERR_NOMEM;
            goto done;
        }
        bool overflow = strstr(tail, "overflowed") != NULL;
        st = tml_err_set(err, overflow ? TML_ERR_NOFIT : TML_ERR_IO,
                         "arm-none-eabi-gcc exited with status %d building for %s%s:\n%s", status,
                         board->name, overflow ? " (the image does not fit)" : "", tail);
        tml_free(tail);
        goto done;
    }
    st = tml_file_read(elf_path, &elf, &elf_len, err);
    if (st == TML_OK)
        st = tml_firmware_sizes_parse(elf, elf_len, &got, err);
    if (st == TML_OK)
        st = tml_file_write(out_elf, elf, elf_len, err);
    if (st == TML_OK && sizes)
        *sizes = got;
done:
    tml_tmpdir_remove(tmp);
    tml_argv_free(&argv);
    tml_free(elf);
    tml_free(dir);
    tml_free(model_src);
    tml_free(elf_path);
    tml_free(log);
    tml_free(tmp);
    return st;
}

tml_status_t tml_firmware_build(const uint8_t *pkg, size_t pkg_len, const char *board,
                                const char *out_elf, tml_firmware_sizes_t *sizes,
                                tml_err_t *err)
{
    return tml_firmware_build_flags(pkg, pkg_len, board, out_elf, 0, sizes, err);
}

tml_status_t tml_firmware_build_flags(const uint8_t *pkg, size_t pkg_len, const char *board,
                                      const char *out_elf, uint32_t flags,
                                      tml_firmware_sizes_t *sizes, tml_err_t *err)
{
    if (!pkg || !out_elf)
        return tml_err_set(err, TML_ERR_ARG, "firmware: NULL package or output path");
    const tml_board_t *b = tml_firmware_board_find(board);
    if (!b)
        return unknown_board(board, err);
    pkg_info_t info;
    tml_status_t st = pkg_inspect(pkg, pkg_len, &info, err);
    if (st == TML_OK)
        st = check_fit(b, pkg_len, &info, err);
    if (st == TML_OK)
        st = build_image(b, "main.c", pkg, pkg_len, &info, flags, out_elf, sizes, err);
    return st;
}

tml_status_t tml_firmware_build_selftest(const char *board, const char *out_elf,
                                         tml_firmware_sizes_t *sizes, tml_err_t *err)
{
    if (!out_elf)
        return tml_err_set(err, TML_ERR_ARG, "firmware: NULL output path");
    const tml_board_t *b = tml_firmware_board_find(board);
    if (!b)
        return unknown_board(board, err);
    return build_image(b, "selftest.c", NULL, 0, NULL, 0, out_elf, sizes, err);
}

/* ---- Running ------------------------------------------------------------- */

/* The value of the last line "instructions: N", or -1. */
static int64_t parse_instructions(const char *console)
{
    static const char key[] = "instructions: ";
    int64_t value = -1;
    for (const char *p = console; p && *p;) {
        if (!strncmp(p, key, sizeof(key) - 1)) {
            const char *digits = p + sizeof(key) - 1;
            char *end;
            long long v = strtoll(digits, &end, 10);
            if (end != digits && v >= 0 && (*end == '\n' || *end == '\r' || *end == '\0'))
                value = v;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return value;
}

tml_status_t tml_firmware_run(const char *elf, const char *board, const char *workdir,
                              int timeout_ms, tml_firmware_run_t *run, tml_err_t *err)
{
    if (!elf || !workdir || !run || timeout_ms <= 0)
        return tml_err_set(err, TML_ERR_ARG, "firmware run: bad arguments");
    run->exit_status = -1;
    run->instructions = -1;
    run->console = NULL;
    const tml_board_t *b = tml_firmware_board_find(board);
    if (!b)
        return unknown_board(board, err);
    /* QEMU runs in workdir: a relative image path must be made absolute. */
    char abs_elf[PATH_MAX];
    char cwd[PATH_MAX];
    int n = elf[0] == '/' ? snprintf(abs_elf, sizeof(abs_elf), "%s", elf)
            : getcwd(cwd, sizeof(cwd)) ? snprintf(abs_elf, sizeof(abs_elf), "%s/%s", cwd, elf)
                                       : -1;
    if (n < 0 || (size_t)n >= sizeof(abs_elf))
        return tml_err_set(err, TML_ERR_IO, "%s: cannot make the path absolute", elf);
    struct stat sb;
    if (stat(abs_elf, &sb) != 0 || !S_ISREG(sb.st_mode))
        return tml_err_set(err, TML_ERR_IO, "%s: no such image", elf);
    if (stat(workdir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return tml_err_set(err, TML_ERR_IO, "%s: not a directory", workdir);

    char *tmp = NULL, *log = NULL;
    uint8_t *console = NULL;
    size_t console_len = 0;
    tml_argv_t argv = {0};
    tml_status_t st = tml_tmpdir_create("tml-qemu", &tmp, err);
    if (st != TML_OK)
        return st;
    if (!(log = path_join(tmp, "console.log"))) {
        st = TML_ERR_NOMEM;
        goto done;
    }
    const char *args[] = {"qemu-system-arm", "-M", b->qemu_machine, "-nographic", "-semihosting",
                          "-icount", "shift=0", "-kernel", abs_elf};
    for (size_t i = 0; st == TML_OK && i < sizeof(args) / sizeof(args[0]); i++)
        st = tml_argv_add(&argv, "%s", args[i]);
    if (st != TML_OK)
        goto done;
    int status = 0;
    st = tml_proc_run(&argv, workdir, log, timeout_ms, &status, err);
    if (st != TML_OK)
        goto done;
    st = tml_file_read(log, &console, &console_len, err);
    if (st != TML_OK)
        goto done;
    run->exit_status = status;
    run->instructions = parse_instructions((const char *)console);
    run->console = (char *)console;
    console = NULL;
done:
    tml_tmpdir_remove(tmp);
    tml_argv_free(&argv);
    tml_free(console);
    tml_free(log);
    tml_free(tmp);
    return st;
}
