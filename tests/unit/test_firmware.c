/*
 * test_firmware.c - the firmware backend and the images it builds, run in
 * qemu-system-arm with -icount shift=0 (1 instruction = 1 ns):
 *  - the board table, package header checks, ELF size parsing (no tools);
 *  - the self-test image on every board: .data/.bss/FPU start-up, file I/O
 *    over semihosting, exact instruction counts of known loops (also across
 *    SysTick wraps), the exit status of errors and faults, section sizes
 *    against arm-none-eabi-size;
 *  - the model image on every board running real packages from the package
 *    writer, and its error exits;
 *  - clean-up of temporary directories, and run time limits.
 * Without arm-none-eabi-gcc or qemu-system-arm the tool-free tests still run
 * and the binary then exits 77 (CTest SKIP_RETURN_CODE).
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/firmware.h"
#include "tml/package.h"
#include "tml/rt.h"

#define RUN_TIMEOUT_MS 120000
#define SKIP_CODE 77

/* ---- helpers ------------------------------------------------------------- */

static char *make_dir(void)
{
    char tmpl[] = "/tmp/tml-fwtest-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    return tml_strdup(dir);
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)) != NULL)
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void remove_dir(char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        char path[1024];
        while ((ent = readdir(d)) != NULL) {
            if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, ent->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
    tml_free(dir);
}

static const char *in_dir(const char *dir, const char *name)
{
    static char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    TML_ASSERT_OK(tml_file_write(in_dir(dir, name), data, len, NULL));
}

/* The number after `key` at the start of a console line, or -1. */
static int64_t console_value(const char *console, const char *key)
{
    size_t key_len = strlen(key);
    for (const char *p = console; p && *p;) {
        if (!strncmp(p, key, key_len))
            return strtoll(p + key_len, NULL, 10);
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}

static int64_t ns_per_tick(const tml_board_t *b)
{
    return 1000000000 / b->cpu_hz;
}

/* Allowed error of a measured instruction count: one tick of quantisation
 * plus the few instructions of the measurement itself. */
static int64_t tolerance(const tml_board_t *b)
{
    return ns_per_tick(b) + 24;
}

static void assert_near(int64_t got, int64_t want, int64_t tol, const char *what)
{
    if (got < want - tol || got > want + tol)
        fail_msg("%s: %lld instructions, expected %lld +- %lld", what, (long long)got,
                 (long long)want, (long long)tol);
}

static tml_firmware_run_t run_image(const char *elf, const char *board, const char *dir)
{
    tml_firmware_run_t run;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_firmware_run(elf, board, dir, RUN_TIMEOUT_MS, &run, &err), &err);
    return run;
}

/* A graph with zero ops whose inputs are its outputs: x [1,n_x] and,
 * when n_y > 0, y [1,n_y] with outputs (y, x) swapped. */
static uint8_t *io_package(int32_t n_x, int32_t n_y, size_t *len)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, n_y ? "swap" : "passthrough"));
    int32_t dx[2] = {1, n_x}, dy[2] = {1, n_y}, x, y = -1;
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_I8, 2, dx, &x));
    if (n_y) {
        TML_ASSERT_OK(tml_ir_add_tensor(&g, "y", TML_DT_I8, 2, dy, &y));
        int32_t ins[2] = {x, y}, outs[2] = {y, x};
        TML_ASSERT_OK(tml_ir_set_io(&g, ins, 2, outs, 2));
    } else {
        TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, &x, 1));
    }
    tml_lowered_t lw = {0};
    tml_plan_t plan;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_plan_arena(&g, &lw, &plan, &err), &err);
    uint8_t *pkg;
    TML_ASSERT_OK_ERR(tml_package_build(&g, &lw, &plan, &pkg, len, NULL, &err), &err);
    tml_plan_free(&plan);
    tml_ir_free(&g);
    return pkg;
}

/* ---- no tools needed ----------------------------------------------------- */

static void board_table_has_the_four_qemu_boards(void **state)
{
    (void)state;
    static const char *const want[][2] = {
        {"mps2-an385", "cortex-m3"}, {"mps2-an386", "cortex-m4"},
        {"mps2-an500", "cortex-m7"}, {"mps2-an505", "cortex-m33"},
    };
    size_t n;
    const tml_board_t *boards = tml_firmware_boards(&n);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < 4; i++) {
        const tml_board_t *b = tml_firmware_board_find(want[i][0]);
        assert_ptr_equal(b, &boards[i]);
        assert_string_equal(b->cpu, want[i][1]);
        assert_string_equal(b->qemu_machine, want[i][0]);
        assert_int_equal(1000000000u % b->cpu_hz, 0); /* whole ns per tick */
        assert_true((b->fpu != NULL) == !strcmp(b->float_abi, "hard"));
    }
    assert_null(tml_firmware_board_find("mps2-an999"));
    assert_null(tml_firmware_board_find(NULL));
    assert_true(tml_firmware_have_tool("sh"));
    assert_false(tml_firmware_have_tool("tml-no-such-tool"));
}

static void build_checks_arguments_and_package_header(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pkg = io_package(6, 0, &len);
    uint8_t *bad = tml_malloc(len);
    assert_non_null(bad);
    tml_err_t err;
    tml_pkg_header_t h;

    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(pkg, len, "nucleo", "/tmp/x.elf", NULL, &err), TML_ERR_ARG);
    assert_non_null(strstr(err.msg, "unknown board 'nucleo'"));
    assert_non_null(strstr(err.msg, "mps2-an505"));
    TML_ASSERT_STATUS(tml_firmware_build(NULL, len, "mps2-an386", "/tmp/x.elf", NULL, NULL), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_firmware_build(pkg, len, "mps2-an386", NULL, NULL, NULL), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_firmware_build_selftest("x", "/tmp/x.elf", NULL, NULL), TML_ERR_ARG);

    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(pkg, 100, "mps2-an386", "/tmp/x.elf", NULL, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "shorter than its header"));
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(pkg, len - 16, "mps2-an386", "/tmp/x.elf", NULL, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "in total"));

    memcpy(bad, pkg, len);
    bad[0] ^= 1;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(bad, len, "mps2-an386", "/tmp/x.elf", NULL, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "magic"));

    memcpy(bad, pkg, len);
    memcpy(&h, bad, sizeof(h));
    h.version_major = 2;
    memcpy(bad, &h, sizeof(h));
    TML_ASSERT_STATUS(tml_firmware_build(bad, len, "mps2-an386", "/tmp/x.elf", NULL, NULL), TML_ERR_UNSUPPORTED);

    memcpy(&h, pkg, sizeof(h));
    h.io_off = (uint32_t)len - 4;
    memcpy(bad, &h, sizeof(h));
    TML_ASSERT_STATUS(tml_firmware_build(bad, len, "mps2-an386", "/tmp/x.elf", NULL, NULL), TML_ERR_CORRUPT);

    memcpy(&h, pkg, sizeof(h));
    uint32_t big_index = 1000;
    memcpy(bad, &h, sizeof(h));
    memcpy(bad + h.io_off, &big_index, 4);
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(bad, len, "mps2-an386", "/tmp/x.elf", NULL, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "tensor 1000"));

    /* An arena larger than the board's RAM is refused before compiling. */
    memcpy(bad, pkg, len);
    memcpy(&h, pkg, sizeof(h));
    h.arena_len = 8u << 20;
    memcpy(bad, &h, sizeof(h));
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build(bad, len, "mps2-an385", "/tmp/x.elf", NULL, &err), TML_ERR_NOFIT);
    assert_non_null(strstr(err.msg, "RAM"));
    tml_free(bad);
    tml_free(pkg);
}

static void elf_sizes_reject_what_is_not_an_arm_elf(void **state)
{
    (void)state;
    uint8_t buf[256];
    memset(buf, 0, sizeof(buf));
    tml_firmware_sizes_t s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(buf, sizeof(buf), &s, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not an ELF"));
    memcpy(buf, "\177ELF", 4);
    buf[4] = 2; /* 64-bit */
    buf[5] = 1;
    buf[18] = 40;
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(buf, sizeof(buf), &s, NULL), TML_ERR_CORRUPT);
    buf[4] = 1;
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(buf, sizeof(buf), &s, NULL), TML_ERR_CORRUPT); /* no sections */
    buf[32] = 0x40;      /* shoff 0x40 */
    buf[46] = 40;        /* shentsize */
    buf[48] = 8;         /* 8 sections = 320 bytes from 0x40: past the end */
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(buf, sizeof(buf), &s, NULL), TML_ERR_CORRUPT);
    buf[48] = 2;
    buf[50] = 1;         /* names in section 1, whose offset is past the end */
    buf[0x40 + 40 + 16] = 0xFF;
    buf[0x40 + 40 + 20] = 0x10;
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(buf, sizeof(buf), &s, NULL), TML_ERR_CORRUPT);
    TML_ASSERT_STATUS(tml_firmware_sizes_parse(NULL, 0, &s, NULL), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_firmware_sizes_read("/nonexistent.elf", &s, NULL), TML_ERR_IO);
}

/* ---- with the tools ------------------------------------------------------ */

/* Checks our section split against arm-none-eabi-size's Berkeley totals:
 * its text is every allocated read-only section, bss every NOBITS one. */
static void check_sizes_against_size_tool(const char *elf, const tml_firmware_sizes_t *s)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "arm-none-eabi-size -B '%s'", elf);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char header[256];
    unsigned long text = 0, data = 0, bss = 0;
    assert_non_null(fgets(header, sizeof(header), p));
    assert_int_equal(fscanf(p, "%lu %lu %lu", &text, &data, &bss), 3);
    assert_int_equal(pclose(p), 0);
    assert_int_equal(s->text + s->rodata, text);
    assert_int_equal(s->data, data);
    assert_int_equal(s->bss + s->stack, bss);
    assert_int_equal(s->flash, s->text + s->rodata + s->data);
    assert_int_equal(s->ram, s->data + s->bss + s->stack);
}

static void selftest_on(const char *board_name)
{
    const tml_board_t *b = tml_firmware_board_find(board_name);
    char *dir = make_dir();
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/selftest.elf", dir);
    tml_firmware_sizes_t s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_firmware_build_selftest(board_name, elf, &s, &err), &err);
    assert_true(s.text > 1000);
    assert_true(s.rodata >= 16 * 4);      /* at least the vector table */
    assert_true(s.data >= 4);             /* the self-test's initialised word */
    assert_true(s.bss >= 2 * 65536);      /* its input and output buffers */
    assert_int_equal(s.stack, TML_FIRMWARE_STACK_LEN);
    check_sizes_against_size_tool(elf, &s);

    /* A normal run: output.bin is input.bin reversed, loops counted exactly. */
    uint8_t input[1000], want[1000];
    for (size_t i = 0; i < sizeof(input); i++)
        input[i] = (uint8_t)(i * 7 + 3);
    for (size_t i = 0; i < sizeof(input); i++)
        want[i] = input[sizeof(input) - 1 - i];
    write_file(dir, "input.bin", input, sizeof(input));
    tml_firmware_run_t run = run_image(elf, board_name, dir);
    if (run.exit_status != 0)
        fail_msg("%s: exit %d:\n%s", board_name, run.exit_status, run.console);
    size_t out_len;
    uint8_t *out = tml_test_read(in_dir(dir, "output.bin"), &out_len);
    assert_int_equal(out_len, sizeof(want));
    assert_memory_equal(out, want, sizeof(want));
    tml_free(out);
    assert_near(run.instructions, 2000000, tolerance(b), board_name);
    assert_near(console_value(run.console, "loop 1000: instructions "), 2000, tolerance(b), board_name);
    assert_near(console_value(run.console, "loop 1: instructions "), 2, tolerance(b), board_name);
    int64_t stack = console_value(run.console, "stack: ");
    assert_true(stack > 0 && stack < 4096);
    tml_free(run.console);

    /* input.bin missing: a message and exit status 2, no output. */
    unlink(in_dir(dir, "input.bin"));
    unlink(in_dir(dir, "output.bin"));
    run = run_image(elf, board_name, dir);
    assert_int_equal(run.exit_status, 2);
    assert_non_null(strstr(run.console, "input.bin: cannot open"));
    assert_int_equal(run.instructions, -1);
    assert_int_equal(access(in_dir(dir, "output.bin"), F_OK), -1);
    tml_free(run.console);

    /* An undefined instruction: the HardFault handler reports and exits 3. */
    write_file(dir, "input.bin", "FAULT", 5);
    run = run_image(elf, board_name, dir);
    assert_int_equal(run.exit_status, 3);
    assert_non_null(strstr(run.console, "HardFault: pc=0x"));
    assert_non_null(strstr(run.console, "cfsr=0x00010000")); /* UNDEFINSTR */
    tml_free(run.console);
    remove_dir(dir);
}

static void selftest_mps2_an385(void **state) { (void)state; selftest_on("mps2-an385"); }
static void selftest_mps2_an386(void **state) { (void)state; selftest_on("mps2-an386"); }
static void selftest_mps2_an500(void **state) { (void)state; selftest_on("mps2-an500"); }
static void selftest_mps2_an505(void **state) { (void)state; selftest_on("mps2-an505"); }

static void systick_counts_across_wraps_and_runs_time_out(void **state)
{
    (void)state;
    const char *board = "mps2-an386";
    char *dir = make_dir();
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/selftest.elf", dir);
    TML_ASSERT_OK(tml_firmware_build_selftest(board, elf, NULL, NULL));
    write_file(dir, "input.bin", "WRAP", 4);
    /* 800M instructions = 20M ticks at 40 ns: the 24-bit counter wraps. */
    tml_firmware_run_t run = run_image(elf, board, dir);
    assert_int_equal(run.exit_status, 0);
    assert_near(console_value(run.console, "loop 400000000: instructions "), 800000000,
                tolerance(tml_firmware_board_find(board)), "wrap loop");
    assert_int_equal(run.instructions, console_value(run.console, "loop 400000000: instructions "));
    tml_free(run.console);
    /* The same run with a time limit far too short is killed. */
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_run(elf, board, dir, 50, &run, &err), TML_ERR_TIMEOUT);
    assert_non_null(strstr(err.msg, "time limit"));
    TML_ASSERT_STATUS(tml_firmware_run(elf, board, "/nonexistent", 1000, &run, NULL), TML_ERR_IO);
    TML_ASSERT_STATUS(tml_firmware_run("/nonexistent.elf", board, dir, 1000, &run, NULL), TML_ERR_IO);
    remove_dir(dir);
}

/* The address of a symbol in the image (from arm-none-eabi-nm). */
static unsigned long symbol_address(const char *elf, const char *name)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd), "arm-none-eabi-nm '%s'", elf);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[512], sym[256], type;
    unsigned long addr, found = 0;
    bool seen = false;
    while (fgets(line, sizeof(line), p))
        if (sscanf(line, "%lx %c %255s", &addr, &type, sym) == 3 && !strcmp(sym, name)) {
            found = addr;
            seen = true;
        }
    assert_int_equal(pclose(p), 0);
    if (!seen)
        fail_msg("%s: no symbol %s", elf, name);
    return found;
}

static void model_image_on(const char *board)
{
    const tml_board_t *b = tml_firmware_board_find(board);
    char *dir = make_dir();
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/model.elf", dir);
    size_t len;
    uint8_t *pkg = io_package(4, 3, &len);
    tml_firmware_sizes_t s;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_firmware_build(pkg, len, board, elf, &s, &err), &err);
    /* The package is in flash (rodata), the arena and input buffer in bss. */
    assert_true(s.rodata >= len);
    assert_true(s.bss >= tml_rt_arena_len(pkg, len) + 7);
    check_sizes_against_size_tool(elf, &s);
    /* Package in flash, 16-byte aligned (weights are used in place); the
     * arena in RAM. */
    unsigned long pkg_addr = symbol_address(elf, "tml_fw_pkg");
    unsigned long arena_addr = symbol_address(elf, "tml_fw_arena");
    assert_int_equal(pkg_addr % 16, 0);
    assert_true(pkg_addr >= b->flash_base && pkg_addr + len <= b->flash_base + b->flash_len);
    assert_int_equal(arena_addr % 16, 0);
    assert_true(arena_addr >= b->ram_base && arena_addr < b->ram_base + b->ram_len);

    /* Inputs x (4 bytes) then y (3 bytes); outputs are y then x. */
    write_file(dir, "input.bin", "ABCDxyz", 7);
    tml_firmware_run_t run = run_image(elf, board, dir);
    if (run.exit_status != 0)
        fail_msg("%s: exit %d:\n%s", board, run.exit_status, run.console);
    assert_non_null(strstr(run.console, "model: swap\n"));
    assert_true(run.instructions >= 0 && run.instructions < 1000); /* zero ops */
    size_t out_len;
    uint8_t *out = tml_test_read(in_dir(dir, "output.bin"), &out_len);
    assert_int_equal(out_len, 7);
    assert_memory_equal(out, "xyzABCD", 7);
    tml_free(out);
    tml_free(run.console);

    /* input.bin of the wrong size: exit 2 with both sizes named. */
    write_file(dir, "input.bin", "ABCD", 4);
    run = run_image(elf, board, dir);
    assert_int_equal(run.exit_status, 2);
    assert_non_null(strstr(run.console, "input.bin: has 4 bytes, expected 7"));
    tml_free(run.console);

    /* A package corrupted after the host checks is refused on the device by
     * tml_rt_init (the body digest): exit 1. */
    pkg[len - 1] ^= 0x55;
    TML_ASSERT_OK(tml_firmware_build(pkg, len, board, elf, NULL, NULL));
    write_file(dir, "input.bin", "ABCDxyz", 7);
    run = run_image(elf, board, dir);
    assert_int_equal(run.exit_status, 1);
    assert_non_null(strstr(run.console, "tml_rt_init: "));
    tml_free(run.console);
    tml_free(pkg);
    remove_dir(dir);
}

static void model_image_mps2_an385(void **state) { (void)state; model_image_on("mps2-an385"); }
static void model_image_mps2_an386(void **state) { (void)state; model_image_on("mps2-an386"); }
static void model_image_mps2_an500(void **state) { (void)state; model_image_on("mps2-an500"); }
static void model_image_mps2_an505(void **state) { (void)state; model_image_on("mps2-an505"); }

/* An MLPerf Tiny model compiled by the service runs on every board and
 * gives the same bytes as the host runtime (int8: bit-exact). */
static void mlperf_model_matches_the_host_on_every_board(void **state)
{
    (void)state;
    if (!tml_test_have_shared()) {
        printf("  (../shared/models absent: skipped)\n");
        return;
    }
    tml_compiled_t c;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_compile_file(tml_test_shared("models/mlperf-tiny/ad01_int8/model.tflite"),
                                       NULL, &c, &err), &err);
    /* The host reference: the same package on the host runtime. */
    uint32_t arena_len = tml_rt_arena_len(c.pkg, c.pkg_len);
    uint8_t *arena = tml_malloc(arena_len);
    assert_non_null(arena);
    tml_rt_t rt;
    TML_ASSERT_OK(tml_rt_init(&rt, c.pkg, c.pkg_len, arena, arena_len, 0));
    assert_int_equal(tml_rt_n_inputs(&rt), 1);
    assert_int_equal(tml_rt_n_outputs(&rt), 1);
    const tml_pkg_tensor_t *in = tml_rt_input(&rt, 0);
    const tml_pkg_tensor_t *out = tml_rt_output(&rt, 0);
    uint8_t *input = tml_malloc(in->byte_len);
    assert_non_null(input);
    uint32_t seed = 12345;
    for (uint32_t i = 0; i < in->byte_len; i++) {
        seed = seed * 1103515245u + 12345u;
        input[i] = (uint8_t)(seed >> 16);
    }
    memcpy(tml_rt_tensor_data(&rt, in), input, in->byte_len);
    TML_ASSERT_OK(tml_rt_invoke(&rt));
    const uint8_t *want = tml_rt_tensor_data(&rt, out);

    char *dir = make_dir();
    write_file(dir, "input.bin", input, in->byte_len);
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/ad01.elf", dir);
    size_t n_boards;
    const tml_board_t *boards = tml_firmware_boards(&n_boards);
    int64_t first = -1;
    for (size_t i = 0; i < n_boards; i++) {
        tml_firmware_sizes_t s;
        TML_ASSERT_OK_ERR(tml_firmware_build(c.pkg, c.pkg_len, boards[i].name, elf, &s, &err), &err);
        assert_true(s.rodata >= c.pkg_len);
        unlink(in_dir(dir, "output.bin"));
        tml_firmware_run_t run = run_image(elf, boards[i].name, dir);
        if (run.exit_status != 0)
            fail_msg("%s: exit %d:\n%s", boards[i].name, run.exit_status, run.console);
        size_t got_len;
        uint8_t *got = tml_test_read(in_dir(dir, "output.bin"), &got_len);
        assert_int_equal(got_len, out->byte_len);
        assert_memory_equal(got, want, out->byte_len);
        tml_free(got);
        /* A real inference: about 2M instructions; the cores differ only by
         * a little (instruction selection per core). */
        assert_true(run.instructions > 100000);
        if (first < 0)
            first = run.instructions;
        assert_true(run.instructions > first / 2 && run.instructions < first * 2);
        tml_free(run.console);
    }

    /* --profile: the same output, then one line per op whose counts add up
     * to the whole inference, give or take the timing of each op (a SysTick
     * tick is 40 instructions, plus the start and stop calls). */
    TML_ASSERT_OK_ERR(tml_firmware_build_flags(c.pkg, c.pkg_len, "mps2-an386", elf,
                                               TML_FIRMWARE_PROFILE, NULL, &err), &err);
    unlink(in_dir(dir, "output.bin"));
    tml_firmware_run_t run = run_image(elf, "mps2-an386", dir);
    if (run.exit_status != 0)
        fail_msg("profile: exit %d:\n%s", run.exit_status, run.console);
    size_t got_len;
    uint8_t *got = tml_test_read(in_dir(dir, "output.bin"), &got_len);
    assert_int_equal(got_len, out->byte_len);
    assert_memory_equal(got, want, out->byte_len);
    tml_free(got);
    int64_t sum = 0;
    for (uint32_t i = 0; i < tml_rt_n_ops(&rt); i++) {
        char key[64];
        snprintf(key, sizeof(key), "op %u %s: ", i, tml_rt_kernel_name(tml_rt_op_kernel(&rt, i)));
        int64_t n = console_value(run.console, key);
        assert_true(n > 0);
        sum += n;
    }
    int64_t slack = 200 * (int64_t)tml_rt_n_ops(&rt);
    if (sum > run.instructions + slack || sum < run.instructions - slack)
        fail_msg("profile: ops add up to %lld, the inference is %lld", (long long)sum,
                 (long long)run.instructions);
    tml_free(run.console);
    remove_dir(dir);
    tml_free(input);
    tml_free(arena);
    tml_compiled_free(&c);
}

/* Builds leave nothing in $TMPDIR, on success and on a compiler failure. */
static void builds_remove_their_temporary_directory(void **state)
{
    (void)state;
    char *tmp = make_dir();
    char *out_dir = make_dir();
    const char *old = getenv("TMPDIR");
    char *saved = old ? tml_strdup(old) : NULL;
    setenv("TMPDIR", tmp, 1);
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/x.elf", out_dir);
    TML_ASSERT_OK(tml_firmware_build_selftest("mps2-an500", elf, NULL, NULL));
    assert_int_equal(count_entries(tmp), 0);
    /* Sources that do not compile: point TML_SOURCE_DIR at an empty tree
     * that still has the marker file, so gcc itself fails. */
    char *fake = make_dir();
    char path[1024];
    snprintf(path, sizeof(path), "%s/firmware", fake);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/firmware/common", fake);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/firmware/common/startup.c", fake);
    TML_ASSERT_OK(tml_file_write(path, "this is not C\n", 14, NULL));
    setenv("TML_SOURCE_DIR", fake, 1);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_firmware_build_selftest("mps2-an500", elf, NULL, &err), TML_ERR_IO);
    assert_non_null(strstr(err.msg, "arm-none-eabi-gcc exited with status"));
    assert_non_null(strstr(err.msg, "startup.c")); /* the compiler's own words */
    assert_int_equal(count_entries(tmp), 0);
    unsetenv("TML_SOURCE_DIR");
    unlink(path);
    snprintf(path, sizeof(path), "%s/firmware/common", fake);
    rmdir(path);
    snprintf(path, sizeof(path), "%s/firmware", fake);
    rmdir(path);
    remove_dir(fake);
    if (saved)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    tml_free(saved);
    remove_dir(tmp);
    remove_dir(out_dir);
}

typedef struct {
    const char *elf;
} walk_ctx_t;

static tml_status_t walk_build(void *ctx)
{
    return tml_firmware_build_selftest("mps2-an385", ((walk_ctx_t *)ctx)->elf, NULL, NULL);
}

static void walk_cleanup(void *ctx)
{
    unlink(((walk_ctx_t *)ctx)->elf);
}

/* Every allocation of a build may fail: each failure is a clean NOMEM. */
static void build_survives_every_allocation_failure(void **state)
{
    (void)state;
    char *dir = make_dir();
    char elf[1024];
    snprintf(elf, sizeof(elf), "%s/walk.elf", dir);
    walk_ctx_t ctx = {elf};
    unsigned n = tml_test_alloc_walk(walk_build, walk_cleanup, &ctx);
    assert_true(n > 10);
    remove_dir(dir);
}

int main(void)
{
    const struct CMUnitTest basic[] = {
        cmocka_unit_test_setup_teardown(board_table_has_the_four_qemu_boards, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(build_checks_arguments_and_package_header, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(elf_sizes_reject_what_is_not_an_arm_elf, tml_test_leak_setup, tml_test_leak_teardown),
    };
    int failed = cmocka_run_group_tests_name("firmware (no tools)", basic, NULL, NULL);
    const char *missing = !tml_firmware_have_tool("arm-none-eabi-gcc") ? "arm-none-eabi-gcc"
                          : !tml_firmware_have_tool("qemu-system-arm") ? "qemu-system-arm"
                                                                       : NULL;
    if (missing) {
        printf("SKIP: %s is not installed; the image builds and QEMU runs were not tested\n",
               missing);
        return failed ? failed : SKIP_CODE;
    }
    const struct CMUnitTest tools[] = {
        cmocka_unit_test_setup_teardown(selftest_mps2_an385, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(selftest_mps2_an386, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(selftest_mps2_an500, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(selftest_mps2_an505, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(systick_counts_across_wraps_and_runs_time_out, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(model_image_mps2_an385, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(model_image_mps2_an386, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(model_image_mps2_an500, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(model_image_mps2_an505, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(mlperf_model_matches_the_host_on_every_board, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(builds_remove_their_temporary_directory, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(build_survives_every_allocation_failure, tml_test_leak_setup, tml_test_leak_teardown),
    };
    return failed + cmocka_run_group_tests_name("firmware (arm-none-eabi-gcc + qemu-system-arm)", tools, NULL, NULL);
}
