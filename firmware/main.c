/*
 * main.c - the model image: runs the embedded .tmlm package once on
 * input.bin and writes output.bin, all over semihosting.
 *
 *   input.bin  -> the graph inputs' bytes, concatenated in input order
 *   tml_rt_init (validates the whole package, binds the arena)
 *   inputs copied to their places in the arena
 *   tml_rt_invoke, timed with SysTick -> "instructions: N"
 *   output.bin <- the graph outputs' bytes, concatenated in output order
 *   with TML_FW_PROFILE (tml firmware --profile): the inputs copied again
 *   and the ops run once more one at a time, "op I KERNEL: N" for each
 *
 * Every failure prints what went wrong and returns a non-zero status, which
 * the startup code hands to the emulator as its exit status.
 */
#include <string.h>

#include "fw.h"
#include "fw_model.h"
#include "systick.h"
#include "tml/rt.h"

static tml_rt_t rt;

static int model_error(const char *what, tml_status_t status)
{
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, what);
    tml_fw_line_str(&line, ": ");
    tml_fw_line_str(&line, tml_strerror(status));
    if (rt.failed_op != TML_PKG_NONE) {
        tml_fw_line_str(&line, " (op ");
        tml_fw_line_u64(&line, rt.failed_op);
        tml_fw_line_str(&line, ")");
    }
    tml_fw_line_end(&line);
    return TML_FW_EXIT_MODEL;
}

static int copy_inputs(void)
{
    uint32_t off = 0;
    for (uint32_t i = 0; i < tml_rt_n_inputs(&rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_input(&rt, i);
        uint8_t *dst = t ? tml_rt_tensor_data(&rt, t) : NULL;
        if (!dst || t->byte_len > tml_fw_input_len - off) {
            tml_fw_report("firmware", "graph inputs do not match the input buffer");
            return TML_FW_EXIT_MODEL;
        }
        memcpy(dst, tml_fw_input + off, t->byte_len);
        off += t->byte_len;
    }
    if (off != tml_fw_input_len) {
        tml_fw_report("firmware", "graph inputs do not match the input buffer");
        return TML_FW_EXIT_MODEL;
    }
    return 0;
}

static int write_outputs(void)
{
    int32_t handle;
    int rc = tml_fw_create("output.bin", &handle);
    if (rc != 0)
        return rc;
    for (uint32_t i = 0; rc == 0 && i < tml_rt_n_outputs(&rt); i++) {
        const tml_pkg_tensor_t *t = tml_rt_output(&rt, i);
        const void *src = t ? tml_rt_tensor_data(&rt, t) : NULL;
        if (!src) {
            tml_fw_report("firmware", "graph output without data");
            rc = TML_FW_EXIT_MODEL;
            break;
        }
        rc = tml_fw_append(handle, "output.bin", src, t->byte_len);
    }
    int close_rc = tml_fw_close(handle, "output.bin");
    return rc != 0 ? rc : close_rc;
}

#if defined(TML_FW_PROFILE) && TML_FW_PROFILE
/* A second inference, timed op by op. The first one's output is what was
 * written, so in-place ops overwriting the inputs do not matter here. */
static int profile_ops(void)
{
    int rc = copy_inputs();
    for (uint32_t i = 0; rc == 0 && i < tml_rt_n_ops(&rt); i++) {
        tml_systick_start();
        tml_status_t st = tml_rt_invoke_op(&rt, i);
        uint64_t ticks = tml_systick_stop();
        if (st != TML_OK)
            return model_error("tml_rt_invoke_op", st);
        const char *name = tml_rt_kernel_name(tml_rt_op_kernel(&rt, i));
        tml_fw_line_t line = {.len = 0};
        tml_fw_line_str(&line, "op ");
        tml_fw_line_u64(&line, i);
        tml_fw_line_str(&line, " ");
        tml_fw_line_str(&line, name ? name : "?");
        tml_fw_line_str(&line, ": ");
        tml_fw_line_u64(&line, ticks * TML_FW_NS_PER_TICK);
        tml_fw_line_end(&line);
    }
    return rc;
}
#endif

int main(void)
{
    uint32_t len = 0;
    rt.failed_op = TML_PKG_NONE;
    int rc = tml_fw_read_file("input.bin", tml_fw_input, tml_fw_input_len, tml_fw_input_len,
                              &len);
    if (rc != 0)
        return rc;
    tml_status_t st = tml_rt_init(&rt, tml_fw_pkg, tml_fw_pkg_len, tml_fw_arena,
                                  tml_fw_arena_len, 0);
    if (st != TML_OK)
        return model_error("tml_rt_init", st);
    rc = copy_inputs();
    if (rc != 0)
        return rc;

    tml_systick_start();
    st = tml_rt_invoke(&rt);
    uint64_t ticks = tml_systick_stop();
    if (st != TML_OK)
        return model_error("tml_rt_invoke", st);

    rc = write_outputs();
    if (rc != 0)
        return rc;
    tml_fw_line_t line = {.len = 0};
    tml_fw_line_str(&line, "model: ");
    tml_fw_line_str(&line, tml_rt_model_name(&rt));
    tml_fw_line_end(&line);
    tml_fw_line_str(&line, "instructions: ");
    tml_fw_line_u64(&line, ticks * TML_FW_NS_PER_TICK);
    tml_fw_line_end(&line);
    tml_fw_line_str(&line, "stack: ");
    tml_fw_line_u64(&line, tml_fw_stack_used());
    tml_fw_line_str(&line, " bytes");
    tml_fw_line_end(&line);
#if defined(TML_FW_PROFILE) && TML_FW_PROFILE
    rc = profile_ops();
    if (rc != 0)
        return rc;
#endif
    return TML_FW_EXIT_OK;
}
