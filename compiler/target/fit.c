/*
 * fit.c - the fit check and latency estimate (see tml/fit.h).
 */
#include <stdio.h>
#include <string.h>

#include "code_sizes.h"
#include "tml/fit.h"
#include "tml/session.h"

static const tml_code_size_t *file_entry(const char *file)
{
    for (unsigned i = 0; i < tml_n_code_sizes; i++)
        if (!strcmp(tml_code_sizes[i].file, file))
            return &tml_code_sizes[i];
    return NULL;
}

/* Bytes of runtime/<file>, 0 if not measured. */
static unsigned file_bytes(const char *file)
{
    const tml_code_size_t *e = file_entry(file);
    return e ? e->bytes : 0;
}

static unsigned file_stack(const char *file)
{
    const tml_code_size_t *e = file_entry(file);
    return e ? e->stack : 0;
}

/* Files of one kernel: kernels/tml_<name>.c and ops/op_<name>.c, named by
 * the kernel's lower-cased name (the runtime's file naming rule). */
static void kernel_files(uint32_t kernel, char *kfile, char *ofile, size_t cap)
{
    char name[64];
    tml_kernel_stem(kernel, name, sizeof(name));
    snprintf(kfile, cap, "kernels/tml_%s.c", name);
    snprintf(ofile, cap, "ops/op_%s.c", name);
}

uint32_t tml_fit_kernel_bytes(uint32_t kernel)
{
    char kfile[96], ofile[96];
    kernel_files(kernel, kfile, ofile, sizeof(kfile));
    return file_bytes(kfile);
}

/* Which entries of tml_code_sizes are one kernel's own files (its kernel
 * or op glue file): own[i] for entry i. Each kernel's two names are made
 * once, not once per file. */
static void kernel_owned(bool own[TML_MAX_CODE_FILES])
{
    memset(own, 0, TML_MAX_CODE_FILES * sizeof(own[0]));
    for (uint32_t k = 0; k < TML_K_COUNT; k++) {
        char kfile[96], ofile[96];
        kernel_files(k, kfile, ofile, sizeof(kfile));
        const tml_code_size_t *e[2] = {file_entry(kfile), file_entry(ofile)};
        for (int j = 0; j < 2; j++)
            if (e[j] && e[j] - tml_code_sizes < TML_MAX_CODE_FILES)
                own[e[j] - tml_code_sizes] = true;
    }
}

uint32_t tml_fit_code_bytes(const tml_lowered_t *lw)
{
    /* Shared code: every runtime file that is not one kernel's own. */
    bool own[TML_MAX_CODE_FILES];
    kernel_owned(own);
    uint32_t bytes = 0;
    for (unsigned i = 0; i < tml_n_code_sizes; i++)
        if (i >= TML_MAX_CODE_FILES || !own[i])
            bytes += tml_code_sizes[i].bytes;
    bool used[TML_K_COUNT] = {false};
    for (int i = 0; i < lw->n_ops; i++)
        if ((unsigned)lw->ops[i].kernel < TML_K_COUNT)
            used[lw->ops[i].kernel] = true;
    for (uint32_t k = 0; k < TML_K_COUNT; k++) {
        if (!used[k])
            continue;
        char kfile[96], ofile[96];
        kernel_files(k, kfile, ofile, sizeof(kfile));
        bytes += file_bytes(kfile) + file_bytes(ofile);
    }
    return bytes;
}

uint32_t tml_fit_runtime_ram(const tml_lowered_t *lw)
{
    if (!tml_n_code_sizes)
        return TML_FIT_RUNTIME_RAM; /* not measured: the fixed allowance */
    /* Two call paths: tml_rt_init (loader -> an op's check -> the shared
     * check helpers, or the digest) and tml_rt_invoke (interpreter, op
     * context included -> an op's eval -> its kernel). */
    bool own[TML_MAX_CODE_FILES];
    kernel_owned(own);
    uint32_t shared = 0, op_glue = 0, kernel = 0;
    for (unsigned i = 0; i < tml_n_code_sizes; i++) {
        const char *f = tml_code_sizes[i].file;
        if ((i >= TML_MAX_CODE_FILES || !own[i]) && strcmp(f, "interp.c") &&
            strcmp(f, "loader.c") && tml_code_sizes[i].stack > shared)
            shared = tml_code_sizes[i].stack;
    }
    for (int i = 0; i < lw->n_ops; i++) {
        char kfile[96], ofile[96];
        kernel_files(lw->ops[i].kernel, kfile, ofile, sizeof(kfile));
        if (file_stack(ofile) > op_glue)
            op_glue = file_stack(ofile);
        if (file_stack(ofile) + file_stack(kfile) > kernel)
            kernel = file_stack(ofile) + file_stack(kfile);
    }
    uint32_t init = file_stack("loader.c") + op_glue + shared;
    uint32_t invoke = file_stack("interp.c") + kernel;
    uint32_t ram = TML_FIT_STATE_RAM + (init > invoke ? init : invoke);
    return (ram + 15u) & ~15u;
}

void tml_fit_check(const tml_compiled_t *c, const tml_target_t *t, tml_fit_t *fit)
{
    memset(fit, 0, sizeof(*fit));
    fit->target = t;
    fit->arena_bytes = c->plan.arena_len;
    fit->runtime_ram_bytes = tml_fit_runtime_ram(&c->lowered);
    fit->ram_bytes = c->plan.arena_len + fit->runtime_ram_bytes;
    fit->package_bytes = (uint32_t)c->pkg_len;
    fit->code_bytes = tml_fit_code_bytes(&c->lowered);
    fit->flash_bytes = fit->package_bytes + fit->code_bytes;
    fit->latency_us = tml_target_latency_us(t, c->macs_executed ? c->macs_executed : c->macs,
                                            c->lowered.n_ops);
    fit->fits = true;
    if (fit->ram_bytes > t->model_ram_bytes) {
        fit->fits = false;
        snprintf(fit->reason, sizeof(fit->reason),
                 "needs %u bytes of RAM (arena %u + runtime %u), %s leaves %u for a model",
                 (unsigned)fit->ram_bytes, (unsigned)fit->arena_bytes,
                 (unsigned)fit->runtime_ram_bytes, t->name,
                 (unsigned)t->model_ram_bytes);
    } else if (fit->flash_bytes > t->model_flash_bytes) {
        fit->fits = false;
        snprintf(fit->reason, sizeof(fit->reason),
                 "needs %u bytes of flash (package %u + code %u), %s leaves %u for a model",
                 (unsigned)fit->flash_bytes, (unsigned)fit->package_bytes, (unsigned)fit->code_bytes,
                 t->name, (unsigned)t->model_flash_bytes);
    }
}
