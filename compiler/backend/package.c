/*
 * package.c - the .tmlm writer. Two passes: size every section, then fill
 * one zeroed buffer, so padding bytes are always zero and the output is
 * deterministic (the same model compiles to the same bytes, and so to the
 * same digest and signature).
 */
#include <string.h>

#include "tml/package.h"
#include "tml/rt.h"

static uint32_t align16(uint64_t n) { return (uint32_t)((n + 15u) & ~(uint64_t)15u); }

tml_status_t tml_package_build(const tml_ir_graph_t *g, const tml_lowered_t *lw,
                               const tml_plan_t *plan, uint8_t **out, size_t *out_len,
                               uint32_t *const_len_out, tml_err_t *err)
{
    *out = NULL;
    *out_len = 0;
    tml_status_t st = TML_OK;
    int32_t *pkg_index = tml_malloc(((size_t)g->n_tensors + 1) * sizeof(int32_t));
    uint32_t *const_off = tml_malloc(((size_t)g->n_tensors + 1) * sizeof(uint32_t));
    uint32_t *name_off = tml_malloc(((size_t)g->n_tensors + 1) * sizeof(uint32_t));
    uint8_t *buf = NULL;
    if (!pkg_index || !const_off || !name_off) {
        st = tml_err_set(err, TML_ERR_NOMEM, "package: out of memory");
        goto done;
    }
    if (plan->n_tensors != g->n_tensors) {
        st = tml_err_set(err, TML_ERR_INTERNAL, "package: plan is for another graph");
        goto done;
    }

    /* Which tensors go in, and where constants and names land. */
    for (int t = 0; t < g->n_tensors; t++)
        pkg_index[t] = -1;
    uint32_t n_tensors = 0, n_operands = 0, n_params = 0;
    uint64_t const_len = 0;
    uint64_t strings_len = strlen(g->name) + 1;
    for (int i = 0; i < lw->n_ops; i++) {
        n_operands += (uint32_t)(lw->ops[i].n_in + lw->ops[i].n_out);
        n_params += (uint32_t)lw->ops[i].n_params;
        for (int j = 0; j < lw->ops[i].n_in + lw->ops[i].n_out; j++) {
            int32_t t = lw->ops[i].operands[j];
            if (t >= 0 && pkg_index[t] < 0)
                pkg_index[t] = (int32_t)n_tensors++;
        }
    }
    for (int i = 0; i < g->n_inputs + g->n_outputs; i++) {
        int32_t t = i < g->n_inputs ? g->inputs[i] : g->outputs[i - g->n_inputs];
        if (pkg_index[t] < 0)
            pkg_index[t] = (int32_t)n_tensors++;
    }
    for (int t = 0; t < g->n_tensors; t++) {
        if (pkg_index[t] < 0)
            continue;
        const tml_ir_tensor_t *x = &g->tensors[t];
        if (x->n_dims > TML_PKG_MAX_DIMS) {
            st = tml_err_set(err, TML_ERR_UNSUPPORTED, "package: tensor %s has %d dims (max %d)",
                             x->name, x->n_dims, TML_PKG_MAX_DIMS);
            goto done;
        }
        if (tml_ir_is_const(x)) {
            const_off[t] = (uint32_t)const_len;
            const_len = align16(const_len + x->data_len);
        } else if (plan->offset[t] == TML_PKG_NONE) {
            st = tml_err_set(err, TML_ERR_INTERNAL, "package: tensor %s has no arena place", x->name);
            goto done;
        }
        name_off[t] = (uint32_t)strings_len;
        strings_len += strlen(x->name) + 1;
    }

    uint32_t n_io = (uint32_t)(g->n_inputs + g->n_outputs);
    uint64_t off = sizeof(tml_pkg_header_t);
    uint64_t tensors_off = off; off = align16(off + (uint64_t)n_tensors * sizeof(tml_pkg_tensor_t));
    uint64_t ops_off = off; off = align16(off + (uint64_t)lw->n_ops * sizeof(tml_pkg_op_t));
    uint64_t operands_off = off; off = align16(off + (uint64_t)n_operands * 4);
    uint64_t params_off = off; off = align16(off + (uint64_t)n_params * 4);
    uint64_t io_off = off; off = align16(off + (uint64_t)n_io * 4);
    uint64_t strings_off = off; off = align16(off + strings_len);
    uint64_t consts_off = off; off = align16(off + const_len);
    if (off > 0x7FFFFFFFu) {
        st = tml_err_set(err, TML_ERR_NOFIT, "package: %llu bytes is too large", (unsigned long long)off);
        goto done;
    }
    buf = tml_calloc(1, (size_t)off);
    if (!buf) {
        st = tml_err_set(err, TML_ERR_NOMEM, "package: out of memory");
        goto done;
    }

    tml_pkg_tensor_t *tensors = (tml_pkg_tensor_t *)(buf + tensors_off);
    for (int t = 0; t < g->n_tensors; t++) {
        if (pkg_index[t] < 0)
            continue;
        const tml_ir_tensor_t *x = &g->tensors[t];
        tml_pkg_tensor_t *r = &tensors[pkg_index[t]];
        r->dtype = (uint8_t)x->dtype;
        r->n_dims = (uint8_t)x->n_dims;
        for (int d = 0; d < TML_PKG_MAX_DIMS; d++)
            r->dims[d] = d < x->n_dims ? x->dims[d] : 1;
        r->byte_len = (uint32_t)tml_ir_tensor_bytes(x);
        r->storage = tml_ir_is_const(x) ? TML_PKG_CONST : TML_PKG_ARENA;
        r->data_off = tml_ir_is_const(x) ? const_off[t] : plan->offset[t];
        r->scale = x->quant.n > 0 ? x->quant.scale[0] : 0.0f;
        r->zero_point = x->quant.n > 0 ? x->quant.zero_point[0] : 0;
        r->name_off = name_off[t];
        if (tml_ir_is_const(x))
            memcpy(buf + consts_off + const_off[t], x->data, x->data_len);
    }
    tml_pkg_op_t *ops = (tml_pkg_op_t *)(buf + ops_off);
    uint32_t *operands = (uint32_t *)(buf + operands_off);
    int32_t *params = (int32_t *)(buf + params_off);
    uint32_t operand_pos = 0, param_pos = 0;
    for (int i = 0; i < lw->n_ops; i++) {
        const tml_lop_t *op = &lw->ops[i];
        ops[i] = (tml_pkg_op_t){.kernel = (uint16_t)op->kernel, .n_inputs = (uint8_t)op->n_in,
                                .n_outputs = (uint8_t)op->n_out, .operands_idx = operand_pos,
                                .params_idx = param_pos, .n_params = (uint32_t)op->n_params};
        for (int j = 0; j < op->n_in + op->n_out; j++)
            operands[operand_pos++] = op->operands[j] < 0 ? TML_PKG_NONE
                                                          : (uint32_t)pkg_index[op->operands[j]];
        memcpy(params + param_pos, op->params, (size_t)op->n_params * 4);
        param_pos += (uint32_t)op->n_params;
    }
    uint32_t *io = (uint32_t *)(buf + io_off);
    for (int i = 0; i < g->n_inputs; i++)
        io[i] = (uint32_t)pkg_index[g->inputs[i]];
    for (int i = 0; i < g->n_outputs; i++)
        io[g->n_inputs + i] = (uint32_t)pkg_index[g->outputs[i]];
    char *strings = (char *)(buf + strings_off);
    memcpy(strings, g->name, strlen(g->name) + 1);
    for (int t = 0; t < g->n_tensors; t++)
        if (pkg_index[t] >= 0)
            memcpy(strings + name_off[t], g->tensors[t].name, strlen(g->tensors[t].name) + 1);

    tml_pkg_header_t *hdr = (tml_pkg_header_t *)buf;
    hdr->magic = TML_PKG_MAGIC;
    hdr->version_major = TML_PKG_VERSION_MAJOR;
    hdr->version_minor = TML_PKG_VERSION_MINOR;
    hdr->header_len = sizeof(*hdr);
    hdr->total_len = (uint32_t)off;
    hdr->n_tensors = n_tensors;
    hdr->tensors_off = (uint32_t)tensors_off;
    hdr->n_ops = (uint32_t)lw->n_ops;
    hdr->ops_off = (uint32_t)ops_off;
    hdr->n_operands = n_operands;
    hdr->operands_off = (uint32_t)operands_off;
    hdr->n_params = n_params;
    hdr->params_off = (uint32_t)params_off;
    hdr->n_inputs = (uint32_t)g->n_inputs;
    hdr->n_outputs = (uint32_t)g->n_outputs;
    hdr->io_off = (uint32_t)io_off;
    hdr->strings_len = (uint32_t)strings_len;
    hdr->strings_off = (uint32_t)strings_off;
    hdr->name_off = 0;
    hdr->const_len = (uint32_t)const_len;
    hdr->const_off = (uint32_t)consts_off;
    hdr->arena_len = plan->arena_len;
    tml_sha256(buf + hdr->header_len, hdr->total_len - hdr->header_len, hdr->body_sha256);
    hdr->header_crc32 = 0;
    hdr->header_crc32 = tml_crc32(0, hdr, sizeof(*hdr));
    *out = buf;
    *out_len = (size_t)off;
    buf = NULL;
    if (const_len_out)
        *const_len_out = (uint32_t)const_len;

done:
    tml_free(buf);
    tml_free(pkg_index);
    tml_free(const_off);
    tml_free(name_off);
    return st;
}
