/*
 * systick.c - SysTick as a 64-bit tick counter: hardware counts the low
 * 24 bits, the interrupt counts wraps. Reading across a wrap is made exact
 * by stopping the counter with interrupts masked and folding in a wrap that
 * is pending but not yet taken.
 */
#include "systick.h"

#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
#define SCB_ICSR (*(volatile uint32_t *)0xE000ED04u)

#define CSR_ENABLE (1u << 0)
#define CSR_TICKINT (1u << 1)
#define CSR_CLKSOURCE_CPU (1u << 2)
#define ICSR_PENDSTSET (1u << 26)
#define ICSR_PENDSTCLR (1u << 25)

#define SYST_PERIOD (1ull << 24) /* reload 0xFFFFFF: 2^24 ticks per wrap */

static volatile uint32_t n_wraps;
static uint32_t start_count;

void SysTick_Handler(void)
{
    /* Runs on each 1 -> 0 transition of the counter. */
    n_wraps++;
}

void tml_systick_start(void)
{
    SYST_CSR = CSR_CLKSOURCE_CPU;
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0; /* any write clears the count (and COUNTFLAG) */
    SCB_ICSR = ICSR_PENDSTCLR;
    SYST_CSR = CSR_CLKSOURCE_CPU | CSR_TICKINT | CSR_ENABLE;
    /* From 0 the counter reloads on the next tick without an interrupt;
     * wait for that so every later pass through 0 is a counted wrap. */
    uint32_t count;
    while ((count = SYST_CVR) == 0)
        ;
    n_wraps = 0;
    start_count = count;
}

uint64_t tml_systick_stop(void)
{
    __asm__ volatile("cpsid i" ::: "memory");
    /* Stop, keeping the clock source: QEMU rescales the current count when
     * CLKSOURCE changes, even on a stopped counter. The count and a pending
     * wrap then stay as they are. */
    SYST_CSR = CSR_CLKSOURCE_CPU;
    uint32_t count = SYST_CVR;
    uint64_t wraps = n_wraps;
    if (SCB_ICSR & ICSR_PENDSTSET) {
        wraps++;
        SCB_ICSR = ICSR_PENDSTCLR;
    }
    __asm__ volatile("cpsie i" ::: "memory");
    /* A count of 0 means the wrap interrupt for it was already counted but
     * the reload to 0xFFFFFF has not happened yet: that is 2^24 from the
     * next wrap's point of view. */
    uint64_t now = count == 0 ? SYST_PERIOD : count;
    return wraps * SYST_PERIOD + start_count - now;
}
