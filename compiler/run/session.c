/*
 * session.c - host-side runner over libtmlrt (see tml/session.h).
 */
#include <ctype.h>
#include <string.h>

#include "tml/session.h"
const char *tml_kernel_name(uint32_t kernel)
{
    const char *name = tml_rt_kernel_name(kernel);
    return name ? name : "?";
}

void tml_kernel_stem(uint32_t kernel, char *out, size_t cap)
{
    const char *upper = tml_kernel_name(kernel);
    size_t i = 0;
    for (; upper[i] && i + 1 < cap; i++)
        out[i] = (char)tolower((unsigned char)upper[i]);
    out[i] = '\0';
}

void tml_session_close(tml_session_t *s)
{
    if (!s)
        return;
    tml_free(s->pkg);
    tml_free(s->arena);
    memset(s, 0, sizeof(*s));
}

tml_status_t tml_session_open(tml_session_t *s, const uint8_t *pkg, size_t len, tml_err_t *err)
{
    memset(s, 0, sizeof(*s));
    /* tml_malloc returns 16-byte aligned blocks (max_align_t header). */
    s->pkg = tml_malloc(len ? len : 1);
    if (!s->pkg)
        return tml_err_set(err, TML_ERR_NOMEM, "package: out of memory");
    memcpy(s->pkg, pkg, len);
    s->arena_len = tml_rt_arena_len(s->pkg, len);
    if (s->arena_len > (1u << 30)) {
        tml_session_close(s);
        return tml_err_set(err, TML_ERR_CORRUPT, "package: arena of %u bytes is implausible",
                           (unsigned)tml_rt_arena_len(pkg, len));
    }
    s->arena = tml_calloc(1, s->arena_len ? s->arena_len : 16);
    if (!s->arena) {
        tml_session_close(s);
        return tml_err_set(err, TML_ERR_NOMEM, "package: out of memory for the arena");
    }
    tml_status_t st = tml_rt_init(&s->rt, s->pkg, len, s->arena, s->arena_len ? s->arena_len : 16, 0);
    if (st != TML_OK) {
        if (s->rt.failed_op != TML_PKG_NONE) {
            const tml_pkg_op_t *ops = (const tml_pkg_op_t *)(s->pkg + ((const tml_pkg_header_t *)s->pkg)->ops_off);
            uint32_t kernel = ops[s->rt.failed_op].kernel;
            tml_err_set(err, st, "package: op %u (kernel %u %s): %s", (unsigned)s->rt.failed_op,
                        (unsigned)kernel, tml_kernel_name(kernel),
                        st == TML_ERR_UNSUPPORTED ? "kernel not in this runtime"
                                                  : "operands or params inconsistent");
        } else {
            tml_err_set(err, st, "package: %s (header, digest or section table)", tml_strerror(st));
        }
        tml_session_close(s);
    }
    return st;
}

tml_status_t tml_session_set_input(tml_session_t *s, uint32_t i, const void *data, size_t len,
                                   tml_err_t *err)
{
    const tml_pkg_tensor_t *t = tml_rt_input(&s->rt, i);
    if (!t)
        return tml_err_set(err, TML_ERR_ARG, "model has no input %u", (unsigned)i);
    if (len != t->byte_len)
        return tml_err_set(err, TML_ERR_ARG, "input %u: got %zu bytes, the model takes %u",
                           (unsigned)i, len, (unsigned)t->byte_len);
    memcpy(tml_rt_tensor_data(&s->rt, t), data, len);
    return TML_OK;
}

tml_status_t tml_session_run(tml_session_t *s, tml_err_t *err)
{
    tml_status_t st = tml_rt_invoke(&s->rt);
    if (st != TML_OK)
        return tml_err_set(err, st, "invoke: %s", tml_strerror(st));
    return TML_OK;
}

tml_status_t tml_session_output(tml_session_t *s, uint32_t j, const void **out, size_t *out_len,
                                tml_err_t *err)
{
    const tml_pkg_tensor_t *t = tml_rt_output(&s->rt, j);
    if (!t)
        return tml_err_set(err, TML_ERR_ARG, "model has no output %u", (unsigned)j);
    *out = tml_rt_tensor_data(&s->rt, t);
    *out_len = t->byte_len;
    return TML_OK;
}
