/*
 * startup.c - reset and exceptions for every board: the vector table, the
 * reset handler (FPU on, .data copied from flash, .bss zeroed, stack
 * painted for a watermark, divide-by-zero trapping on), and fault handlers
 * that say what went wrong over semihosting and end the emulation with a
 * non-zero status instead of hanging.
 *
 * The linker script (boards/<board>.ld + sections.ld) provides the symbols
 * below and puts .vectors first in flash, where the core reads its initial
 * SP and PC (VTOR resets to 0x00000000, or 0x10000000 on the AN505's
 * secure side).
 */
#include <stdint.h>

#include "fw.h"
#include "systick.h"

extern uint32_t __data_start[], __data_end[], __data_load[];
extern uint32_t __bss_start[], __bss_end[];
extern uint32_t __stack_limit[], __stack_top[];

#define SCB_CCR (*(volatile uint32_t *)0xE000ED14u)
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)
#define SCB_CPACR (*(volatile uint32_t *)0xE000ED88u)
#define CCR_DIV_0_TRP (1u << 4)

#define STACK_PAINT 0xA5C3A5C3u

void Reset_Handler(void) __attribute__((noreturn));
void HardFault_Handler(void);
void Default_Handler(void);
void tml_fw_fault_report(const uint32_t *frame, uint32_t exc_return) __attribute__((noreturn));

/* 16 system exceptions, then external interrupts. None are enabled, so the
 * IRQ slots only matter if something goes badly wrong. */
#define N_VECTORS (16 + 96)

__attribute__((section(".vectors"), used))
void (*const tml_fw_vectors[N_VECTORS])(void) = {
    [0] = (void (*)(void))__stack_top,
    [1] = Reset_Handler,
    [2] = Default_Handler,   /* NMI */
    [3] = HardFault_Handler,
    [4] = Default_Handler,   /* MemManage */
    [5] = Default_Handler,   /* BusFault */
    [6] = Default_Handler,   /* UsageFault */
    [7] = Default_Handler,   /* SecureFault (v8-M) */
    [11] = Default_Handler,  /* SVCall */
    [12] = Default_Handler,  /* DebugMonitor */
    [14] = Default_Handler,  /* PendSV */
    [15] = SysTick_Handler,
    [16 ... N_VECTORS - 1] = Default_Handler,
};

static uint32_t read_sp(void)
{
    uint32_t sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Full access to CP10/CP11 before any code may touch a VFP register. */
    SCB_CPACR |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
#if defined(__ARM_ARCH_8M_MAIN__)
    /* v8-M checks the stack limit in hardware: an overflow faults. */
    __asm__ volatile("msr msplim, %0" : : "r"(__stack_limit));
#endif
    for (uint32_t *src = __data_load, *dst = __data_start; dst < __data_end;)
        *dst++ = *src++;
    for (uint32_t *p = __bss_start; p < __bss_end;)
        *p++ = 0;
    /* Paint the unused stack below us so the watermark can be measured. */
    uint32_t *paint_end = (uint32_t *)(uintptr_t)(read_sp() - 64u);
    for (volatile uint32_t *p = __stack_limit; p < paint_end;)
        *p++ = STACK_PAINT;
    SCB_CCR |= CCR_DIV_0_TRP;

    int status = main();
    if (tml_fw_stack_overflowed()) {
        tml_fw_report("firmware", "stack overflow (the stack region is too small)");
        status = TML_FW_EXIT_STACK;
    }
    tml_sh_exit(status);
}

uint32_t tml_fw_stack_used(void)
{
    const volatile uint32_t *p = __stack_limit;
    while (p < __stack_top && *p == STACK_PAINT)
        p++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)p);
}

int tml_fw_stack_overflowed(void)
{
    return *(const volatile uint32_t *)__stack_limit != STACK_PAINT;
}

/* Picks the stack the exception frame was pushed on, then reports. */
__attribute__((naked)) void HardFault_Handler(void)
{
    __asm__ volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "mov r1, lr\n\t"
        "b tml_fw_fault_report\n\t");
}

void tml_fw_fault_report(const uint32_t *frame, uint32_t exc_return)
{
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, "HardFault: pc=");
    tml_fw_line_hex(&line, frame[6]);
    tml_fw_line_str(&line, " lr=");
    tml_fw_line_hex(&line, frame[5]);
    tml_fw_line_str(&line, " xpsr=");
    tml_fw_line_hex(&line, frame[7]);
    tml_fw_line_str(&line, " exc_return=");
    tml_fw_line_hex(&line, exc_return);
    tml_fw_line_end(&line);
    tml_fw_line_str(&line, "  cfsr=");
    tml_fw_line_hex(&line, SCB_CFSR);
    tml_fw_line_str(&line, " hfsr=");
    tml_fw_line_hex(&line, SCB_HFSR);
    tml_fw_line_str(&line, " mmfar=");
    tml_fw_line_hex(&line, SCB_MMFAR);
    tml_fw_line_str(&line, " bfar=");
    tml_fw_line_hex(&line, SCB_BFAR);
    tml_fw_line_end(&line);
    tml_sh_exit(TML_FW_EXIT_FAULT);
}

void Default_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, "unexpected exception ");
    tml_fw_line_u64(&line, ipsr & 0x1FFu);
    tml_fw_line_str(&line, " cfsr=");
    tml_fw_line_hex(&line, SCB_CFSR);
    tml_fw_line_end(&line);
    tml_sh_exit(TML_FW_EXIT_FAULT);
}
