/*
 * selftest.c - the firmware self-test image: the same startup, semihosting
 * and SysTick code as the model image, with a job whose result is known.
 *
 * It checks that .data was copied and .bss zeroed, does one float operation
 * (faults if the FPU was left off), reads input.bin, writes its bytes
 * reversed to output.bin, and times loops of a known instruction count:
 *   "loop <n>: instructions <m>"  for n iterations of 2 instructions each
 *   "instructions: <m>"           for the largest loop
 * An input.bin starting with "FAULT" executes an undefined instruction (to
 * test the HardFault report); one starting with "WRAP" also times a loop
 * long enough for SysTick to wrap.
 */
#include <stdint.h>

#include "fw.h"
#include "systick.h"

#define SELFTEST_MAX_INPUT 65536u

static uint8_t input[SELFTEST_MAX_INPUT];
static uint8_t output[SELFTEST_MAX_INPUT];
static volatile uint32_t data_word = 0x5EC7DA7Au;
static uint32_t bss_words[64];

/* Exactly 2 instructions per iteration (subs + taken bne); n > 0. */
static __attribute__((noinline)) void spin(uint32_t n)
{
    __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tbne 1b" : "+r"(n) : : "cc");
}

static uint64_t time_loop(uint32_t n)
{
    tml_systick_start();
    spin(n);
    uint64_t ticks = tml_systick_stop();
    uint64_t instructions = ticks * TML_FW_NS_PER_TICK;
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, "loop ");
    tml_fw_line_u64(&line, n);
    tml_fw_line_str(&line, ": instructions ");
    tml_fw_line_u64(&line, instructions);
    tml_fw_line_end(&line);
    return instructions;
}

static int starts_with(const uint8_t *buf, uint32_t len, const char *prefix)
{
    uint32_t i = 0;
    for (; prefix[i]; i++)
        if (i >= len || buf[i] != (uint8_t)prefix[i])
            return 0;
    return 1;
}

int main(void)
{
    if (data_word != 0x5EC7DA7Au) {
        tml_fw_report("selftest", ".data was not initialised");
        return TML_FW_EXIT_FAULT;
    }
    for (uint32_t i = 0; i < sizeof(bss_words) / sizeof(bss_words[0]); i++) {
        if (bss_words[i] != 0) {
            tml_fw_report("selftest", ".bss was not zeroed");
            return TML_FW_EXIT_FAULT;
        }
    }
    uint32_t len = 0;
    int rc = tml_fw_read_file("input.bin", input, sizeof(input), TML_FW_ANY_LEN, &len);
    if (rc != 0)
        return rc;
    if (starts_with(input, len, "FAULT"))
        __asm__ volatile("udf #0");

    /* A VFP instruction on FPU cores: UsageFault (NOCP) if the FPU is off. */
    volatile float scale = (float)len;
    scale = scale * 0.5f + 1.0f;
    if (scale != (float)len * 0.5f + 1.0f)
        return TML_FW_EXIT_FAULT;

    for (uint32_t i = 0; i < len; i++)
        output[i] = input[len - 1 - i];
    int32_t handle;
    rc = tml_fw_create("output.bin", &handle);
    if (rc != 0)
        return rc;
    rc = tml_fw_append(handle, "output.bin", output, len);
    if (rc == 0)
        rc = tml_fw_close(handle, "output.bin");
    else
        tml_sh_close(handle);
    if (rc != 0)
        return rc;

    time_loop(1);
    time_loop(1000);
    uint64_t instructions = time_loop(1000000);
    if (starts_with(input, len, "WRAP"))
        instructions = time_loop(400000000u); /* 800M instructions: > 1 wrap */

    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, "instructions: ");
    tml_fw_line_u64(&line, instructions);
    tml_fw_line_end(&line);
    tml_fw_line_str(&line, "stack: ");
    tml_fw_line_u64(&line, tml_fw_stack_used());
    tml_fw_line_str(&line, " bytes");
    tml_fw_line_end(&line);
    return TML_FW_EXIT_OK;
}
