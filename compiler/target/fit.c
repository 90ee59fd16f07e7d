/*
 * fit.c - the fit check and latency estimate (see tml/fit.h).
 */
#include <stdio.h>
#include <string.h>

#include "code_sizes.h"
#include "tml/fit.h"
#include "tml/session.h"

/* Bytes of runtime/<file>, 0 if not measured. */
static unsigned file_bytes(const char *file)
{
    for (unsigned i = 0; i < tml_n_code_sizes; i++)
        if (!strcmp(tml_code_sizes[i].file, file))
            return tml_code_sizes[i].bytes;
    return 0;
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

uint32_t tml_fit_code_bytes(const tml_lowered_t *lw)
{
    /* Shared code: every runtime file that is not one kernel's own. */
    uint32_t bytes = 0;
    for (unsigned i = 0; i < tml_n_code_sizes; i++) {
        const char *f = tml_code_sizes[i].file;
        int own = 0;
        for (uint32_t k = 0; k < TML_K_COUNT && !own; k++) {
            char kfile[96], ofile[96];
            kernel_files(k, kfile, ofile, sizeof(kfile));
            own = !strcmp(f, kfile) || !strcmp(f, ofile);
        }
        if (!own)
            bytes += tml_code_sizes[i].bytes;
    }
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

void tml_fit_check(const tml_compiled_t *c, const tml_target_t *t, tml_fit_t *fit)
{
    memset(fit, 0, sizeof(*fit));
    fit->target = t;
    fit->arena_bytes = c->plan.arena_len;
    fit->ram_bytes = c->plan.arena_len + TML_FIT_RUNTIME_RAM;
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
                 (unsigned)fit->ram_bytes, (unsigned)fit->arena_bytes, TML_FIT_RUNTIME_RAM, t->name,
                 (unsigned)t->model_ram_bytes);
    } else if (fit->flash_bytes > t->model_flash_bytes) {
        fit->fits = false;
        snprintf(fit->reason, sizeof(fit->reason),
                 "needs %u bytes of flash (package %u + code %u), %s leaves %u for a model",
                 (unsigned)fit->flash_bytes, (unsigned)fit->package_bytes, (unsigned)fit->code_bytes,
                 t->name, (unsigned)t->model_flash_bytes);
    }
}
