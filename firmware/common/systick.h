/*
 * systick.h - counting CPU clock ticks with the SysTick timer.
 *
 * SysTick is a 24-bit down-counter; it runs on the processor clock with a
 * reload of 0xFFFFFF and its interrupt counts the wraps, so a measurement
 * can span any number of wraps. Under QEMU with -icount shift=0 one guest
 * instruction advances virtual time by 1 ns, so ticks * (ns per tick of the
 * board's CPU clock) is the number of instructions executed.
 */
#ifndef TML_FW_SYSTICK_H
#define TML_FW_SYSTICK_H

#include <stdint.h>

/* Resets and starts the counter. */
void tml_systick_start(void);

/* Stops the counter; returns the ticks since tml_systick_start. */
uint64_t tml_systick_stop(void);

/* The SysTick exception handler (referenced by the vector table). */
void SysTick_Handler(void);

#endif /* TML_FW_SYSTICK_H */
