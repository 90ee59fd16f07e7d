/*
 * loader.c - validates a .tmlm package completely before anything runs.
 *
 * Order matters: the header is checked (CRC, version) before any of its
 * fields is trusted, then the body digest, then every section's bounds, then
 * each tensor, then each op against its kernel's own check. Offsets are added
 * in 64-bit so no crafted value can wrap around. After tml_rt_init succeeds
 * the interpreter may index anything without further checks.
 */
#include "rt_internal.h"

static int range_ok(uint64_t off, uint64_t count, uint64_t elem, uint64_t limit)
{
    return off <= limit && count * elem <= limit - off;
}

uint32_t tml_rt_arena_len(const void *pkg, size_t pkg_len)
{
    const tml_pkg_header_t *hdr = pkg;
    if (!pkg || pkg_len < sizeof(*hdr) || ((uintptr_t)pkg & 3u) || hdr->magic != TML_PKG_MAGIC)
        return 0;
    return hdr->arena_len;
}

static tml_status_t check_header(const tml_pkg_header_t *hdr, size_t pkg_len, uint32_t options,
                                 const uint8_t *base)
{
    if (hdr->magic != TML_PKG_MAGIC)
        return TML_ERR_CORRUPT;
    if (hdr->version_major != TML_PKG_VERSION_MAJOR)
        return TML_ERR_UNSUPPORTED;
    if (hdr->header_len != sizeof(*hdr) || hdr->total_len > pkg_len || hdr->total_len < sizeof(*hdr))
        return TML_ERR_CORRUPT;
    tml_pkg_header_t copy = *hdr;
    copy.header_crc32 = 0;
    if (tml_crc32(0, &copy, sizeof(copy)) != hdr->header_crc32)
        return TML_ERR_CORRUPT;
    if (hdr->flags != 0 || hdr->reserved != 0)
        return TML_ERR_UNSUPPORTED;
    if (!(options & TML_RT_SKIP_BODY_DIGEST)) {
        uint8_t digest[32];
        tml_sha256(base + hdr->header_len, hdr->total_len - hdr->header_len, digest);
        for (int i = 0; i < 32; i++)
            if (digest[i] != hdr->body_sha256[i])
                return TML_ERR_CORRUPT;
    }
    uint64_t total = hdr->total_len;
    /* Sections: in bounds and 16-byte aligned so every record is aligned. */
    struct { uint32_t off, count, elem; } sections[] = {
        {hdr->tensors_off, hdr->n_tensors, sizeof(tml_pkg_tensor_t)},
        {hdr->ops_off, hdr->n_ops, sizeof(tml_pkg_op_t)},
        {hdr->operands_off, hdr->n_operands, 4},
        {hdr->params_off, hdr->n_params, 4},
        {hdr->io_off, hdr->n_inputs + hdr->n_outputs, 4},
        {hdr->strings_off, hdr->strings_len, 1},
        {hdr->const_off, hdr->const_len, 1},
    };
    if ((uint64_t)hdr->n_inputs + hdr->n_outputs > 0xFFFFu)
        return TML_ERR_CORRUPT;
    for (unsigned i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
        if (sections[i].off % TML_PKG_ALIGN || sections[i].off < hdr->header_len ||
            !range_ok(sections[i].off, sections[i].count, sections[i].elem, total))
            return TML_ERR_CORRUPT;
    }
    /* Names are NUL-terminated because the section's last byte is NUL. */
    if (hdr->strings_len == 0 || base[hdr->strings_off + hdr->strings_len - 1] != 0)
        return TML_ERR_CORRUPT;
    if (hdr->name_off != TML_PKG_NONE && hdr->name_off >= hdr->strings_len)
        return TML_ERR_CORRUPT;
    if (hdr->n_inputs == 0 || hdr->n_outputs == 0)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static tml_status_t check_tensor(const tml_pkg_header_t *hdr, const tml_pkg_tensor_t *t)
{
    uint32_t elem = tml_dtype_size(t->dtype);
    if (!elem || t->n_dims > TML_PKG_MAX_DIMS || t->reserved != 0)
        return TML_ERR_CORRUPT;
    uint64_t count = 1;
    for (int d = 0; d < TML_PKG_MAX_DIMS; d++) {
        if (t->dims[d] < 1 || (d >= t->n_dims && t->dims[d] != 1))
            return TML_ERR_CORRUPT;
        count *= (uint64_t)t->dims[d];
        if (count > 0xFFFFFFFFu)
            return TML_ERR_CORRUPT;
    }
    if (count * elem != t->byte_len)
        return TML_ERR_CORRUPT;
    /* 4-byte alignment keeps int32/float accesses aligned on every core. */
    if (t->data_off % 4)
        return TML_ERR_CORRUPT;
    if (t->storage == TML_PKG_ARENA) {
        if (!range_ok(t->data_off, t->byte_len, 1, hdr->arena_len))
            return TML_ERR_CORRUPT;
    } else if (t->storage == TML_PKG_CONST) {
        if (!range_ok(t->data_off, t->byte_len, 1, hdr->const_len))
            return TML_ERR_CORRUPT;
    } else {
        return TML_ERR_CORRUPT;
    }
    if (t->name_off != TML_PKG_NONE && t->name_off >= hdr->strings_len)
        return TML_ERR_CORRUPT;
    return TML_OK;
}

static tml_status_t check_op(const tml_rt_t *rt, uint32_t index)
{
    const tml_pkg_header_t *hdr = rt->hdr;
    const tml_pkg_op_t *op = &rt->ops[index];
    const tml_op_desc_t *desc = tml_op_find(op->kernel);
    if (!desc)
        return TML_ERR_UNSUPPORTED;
    uint32_t n = (uint32_t)op->n_inputs + op->n_outputs;
    if (op->n_inputs < desc->min_inputs || op->n_inputs > desc->max_inputs ||
        op->n_outputs != desc->n_outputs || n > TML_OP_MAX_OPERANDS)
        return TML_ERR_CORRUPT;
    if (!range_ok(op->operands_idx, n, 1, hdr->n_operands) ||
        !range_ok(op->params_idx, op->n_params, 1, hdr->n_params) ||
        op->n_params != desc->n_params)
        return TML_ERR_CORRUPT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ti = rt->operands[op->operands_idx + i];
        if (ti == TML_PKG_NONE) {
            if (i >= op->n_inputs)
                return TML_ERR_CORRUPT; /* outputs are never optional */
            continue;
        }
        if (ti >= hdr->n_tensors)
            return TML_ERR_CORRUPT;
        if (i >= op->n_inputs && rt->tensors[ti].storage != TML_PKG_ARENA)
            return TML_ERR_CORRUPT; /* never write into the package */
    }
    tml_op_ctx_t ctx;
    tml_status_t st = tml_rt_bind_op(rt, index, &ctx);
    if (st != TML_OK)
        return st;
    return desc->check(&ctx);
}

tml_status_t tml_rt_init(tml_rt_t *rt, const void *pkg, size_t pkg_len,
                         void *arena, size_t arena_len, uint32_t options)
{
    if (!rt)
        return TML_ERR_ARG;
    rt->hdr = 0;
    rt->failed_op = TML_PKG_NONE;
    rt->n_invokes = 0;
    if (!pkg || ((uintptr_t)pkg & 3u) || pkg_len < sizeof(tml_pkg_header_t) || pkg_len > 0xFFFFFFFFu)
        return pkg && pkg_len < sizeof(tml_pkg_header_t) ? TML_ERR_CORRUPT : TML_ERR_ARG;
    const uint8_t *base = pkg;
    const tml_pkg_header_t *hdr = pkg;
    tml_status_t st = check_header(hdr, pkg_len, options, base);
    if (st != TML_OK)
        return st;
    if (!arena || arena_len < hdr->arena_len || ((uintptr_t)arena & 3u))
        return TML_ERR_NOMEM;

    rt->pkg = base;
    rt->pkg_len = hdr->total_len;
    rt->tensors = (const tml_pkg_tensor_t *)(base + hdr->tensors_off);
    rt->ops = (const tml_pkg_op_t *)(base + hdr->ops_off);
    rt->operands = (const uint32_t *)(base + hdr->operands_off);
    rt->params = (const int32_t *)(base + hdr->params_off);
    rt->io = (const uint32_t *)(base + hdr->io_off);
    rt->consts = base + hdr->const_off;
    rt->arena = arena;
    rt->arena_len = (uint32_t)arena_len;
    rt->hdr = hdr; /* provisional: cleared again below on any failure */

    for (uint32_t i = 0; i < hdr->n_tensors && st == TML_OK; i++)
        st = check_tensor(hdr, &rt->tensors[i]);
    for (uint32_t i = 0; i < hdr->n_inputs + hdr->n_outputs && st == TML_OK; i++)
        if (rt->io[i] >= hdr->n_tensors || rt->tensors[rt->io[i]].storage != TML_PKG_ARENA)
            st = TML_ERR_CORRUPT;
    for (uint32_t i = 0; i < hdr->n_ops && st == TML_OK; i++) {
        st = check_op(rt, i);
        if (st != TML_OK)
            rt->failed_op = i;
    }
    if (st != TML_OK)
        rt->hdr = 0;
    return st;
}
