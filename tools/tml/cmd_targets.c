/*
 * cmd_targets.c - `tml targets`: the device catalog.
 */
#include <stdio.h>

#include "commands.h"
#include "tml/target.h"

int tml_cmd_targets(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    size_t n;
    const tml_target_t *t = tml_target_list(&n);
    printf("%-12s %-14s %8s %10s %10s %12s %12s  %s\n", "name", "core", "MHz", "SRAM KiB",
           "flash KiB", "model RAM", "model flash", "part");
    for (size_t i = 0; i < n; i++)
        printf("%-12s %-14s %8u %10u %10u %12u %12u  %s%s%s\n", t[i].name, t[i].core,
               (unsigned)(t[i].clock_hz / 1000000u), (unsigned)(t[i].sram_bytes / 1024u),
               (unsigned)(t[i].flash_bytes / 1024u), (unsigned)t[i].model_ram_bytes,
               (unsigned)t[i].model_flash_bytes, t[i].part,
               t[i].features & TML_FEAT_DSP ? " [DSP]" : "", t[i].qemu_machine ? " [QEMU]" : "");
    return 0;
}
