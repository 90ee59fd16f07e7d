/*
 * c_backend.c - the "c" backend (see tml/backend_c.h).
 *
 * Every kernel takes (const params *, operands in package order...), so one
 * generic emitter covers them all; only CONCAT, whose inputs arrive as an
 * array, is emitted differently. The params struct of a kernel is all int32
 * fields, so the package's words initialise it through a union as they stand.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tml/backend_c.h"
#include "tml/session.h"

/* The params struct type of each kernel (see tml/kernels.h). */
static const char *const params_types[] = {
    [TML_K_CONV2D_S8] = "tml_conv_params_t",      [TML_K_CONV2D_F32] = "tml_conv_params_t",
    [TML_K_DWCONV2D_S8] = "tml_conv_params_t",    [TML_K_DWCONV2D_F32] = "tml_conv_params_t",
    [TML_K_FC_S8] = "tml_fc_params_t",            [TML_K_FC_F32] = "tml_fc_params_t",
    [TML_K_AVGPOOL_S8] = "tml_pool_params_t",     [TML_K_AVGPOOL_F32] = "tml_pool_params_t",
    [TML_K_MAXPOOL_S8] = "tml_pool_params_t",     [TML_K_MAXPOOL_F32] = "tml_pool_params_t",
    [TML_K_ADD_S8] = "tml_add_s8_params_t",       [TML_K_ADD_F32] = "tml_binary_f32_params_t",
    [TML_K_MUL_S8] = "tml_mul_s8_params_t",       [TML_K_MUL_F32] = "tml_binary_f32_params_t",
    [TML_K_COPY] = "tml_copy_params_t",
    [TML_K_SOFTMAX_S8] = "tml_softmax_s8_params_t", [TML_K_SOFTMAX_F32] = "tml_softmax_f32_params_t",
    [TML_K_QUANTIZE_F32_S8] = "tml_quant_params_t", [TML_K_DEQUANTIZE_S8_F32] = "tml_quant_params_t",
    [TML_K_REQUANTIZE_S8] = "tml_requant_params_t",
    [TML_K_CONCAT] = "tml_concat_params_t",       [TML_K_PAD] = "tml_pad_params_t",
    [TML_K_MEAN_S8] = "tml_mean_s8_params_t",     [TML_K_MEAN_F32] = "tml_mean_f32_params_t",
    [TML_K_LOGISTIC_S8] = "tml_sigmoid_s8_params_t", [TML_K_LOGISTIC_F32] = "tml_unary_f32_params_t",
    [TML_K_TANH_S8] = "tml_sigmoid_s8_params_t",  [TML_K_TANH_F32] = "tml_unary_f32_params_t",
    [TML_K_RELU_S8] = "tml_relu_s8_params_t",     [TML_K_CLAMP_F32] = "tml_clamp_f32_params_t",
    [TML_K_HARD_SWISH_S8] = "tml_hard_swish_s8_params_t",
    [TML_K_HARD_SWISH_F32] = "tml_unary_f32_params_t",
    [TML_K_SUB_F32] = "tml_binary_f32_params_t",  [TML_K_DIV_F32] = "tml_binary_f32_params_t",
    [TML_K_TRANSPOSE] = "tml_transpose_params_t",
    [TML_K_LEAKY_RELU_F32] = "tml_leaky_relu_f32_params_t",
    [TML_K_PRELU_F32] = "tml_binary_f32_params_t",
    [TML_K_SLICE] = "tml_slice_params_t",
    [TML_K_HARD_SIGMOID_F32] = "tml_hard_sigmoid_f32_params_t",
    [TML_K_CONV2D_S8_DSP] = "tml_conv_params_t",  [TML_K_CONV2D_1X1_S8_DSP] = "tml_conv_params_t",
    [TML_K_DWCONV2D_S8_DSP] = "tml_conv_params_t", [TML_K_FC_S8_DSP] = "tml_fc_params_t",
    [TML_K_CONV2D_DIRECT_S8_DSP] = "tml_conv_params_t",
    [TML_K_ADD_S8_LUT] = "tml_add_s8_params_t",
    [TML_K_CONV2D_1X1_S8_DSPW] = "tml_conv_params_t",
    [TML_K_CONV2D_S8_DSPW] = "tml_conv_params_t",
    [TML_K_DWCONV2D_3X3_S8_DSP] = "tml_conv_params_t",
    [TML_K_CONV2D_S8_INPLACE] = "tml_conv_inplace_params_t",
    [TML_K_DWCONV2D_S8_INPLACE] = "tml_conv_inplace_params_t",
    [TML_K_RESBLOCK_S8] = "tml_resblock_s8_params_t",
    [TML_K_CONV2D_4PX_S8_DSP] = "tml_conv_params_t",
    [TML_K_ADD_S8_DSP] = "tml_add_s8_params_t",
    [TML_K_CONV2D_4PX_OUT_S8_DSP] = "tml_conv_params_t",
};
_Static_assert(sizeof(params_types) / sizeof(params_types[0]) == TML_K_COUNT,
               "params_types must name the params struct of every kernel");

static const char *c_type(tml_dtype_t dtype)
{
    switch (dtype) {
    case TML_DT_F32: return "float";
    case TML_DT_I8: return "int8_t";
    case TML_DT_U8: return "uint8_t";
    case TML_DT_I16: return "int16_t";
    case TML_DT_I32: return "int32_t";
    case TML_DT_I64: return "int64_t";
    default: return "uint8_t";
    }
}

static tml_status_t make_dir(const char *path, tml_err_t *err)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    return TML_OK;
}

static tml_status_t copy_file(const char *from, const char *to, tml_err_t *err)
{
    uint8_t *data;
    size_t len;
    tml_status_t st = tml_file_read(from, &data, &len, err);
    if (st != TML_OK)
        return st;
    st = tml_file_write(to, data, len, err);
    tml_free(data);
    return st;
}

/* An operand as a C expression of its pointer type. */
static void operand_expr(FILE *f, const tml_compiled_t *c, const char *name, int32_t t, int is_output)
{
    if (t < 0) {
        fputs("0", f);
        return;
    }
    const tml_ir_tensor_t *x = &c->graph.tensors[t];
    if (tml_ir_is_const(x))
        fprintf(f, "(const %s *)%s_c%d", c_type(x->dtype), name, (int)t);
    else
        fprintf(f, "(%s%s *)(a + %" PRIu32 ")", is_output ? "" : "const ", c_type(x->dtype),
                c->plan.offset[t]);
}

static tml_status_t write_source(const tml_compiled_t *c, const char *name, const char *upper,
                                 const char *path, tml_err_t *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    const tml_ir_graph_t *g = &c->graph;
    fprintf(f, "/* generated by tml compile --backend c from %s, do not edit */\n", g->name);
    fprintf(f, "#include <stdint.h>\n#include <string.h>\n\n#include \"%s.h\"\n#include \"tml/kernels.h\"\n\n", name);
    fputs("#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__\n"
          "#error \"weights are stored little-endian\"\n#endif\n\n", f);

    /* Constants, each once, 16-byte aligned for SIMD loads. */
    uint8_t *emitted = tml_calloc((size_t)g->n_tensors + 1, 1);
    if (!emitted) {
        fclose(f);
        return tml_err_set(err, TML_ERR_NOMEM, "c backend: out of memory");
    }
    for (int i = 0; i < c->lowered.n_ops; i++) {
        const tml_lop_t *op = &c->lowered.ops[i];
        for (int j = 0; j < op->n_in; j++) {
            int32_t t = op->operands[j];
            if (t < 0 || !tml_ir_is_const(&g->tensors[t]) || emitted[t])
                continue;
            emitted[t] = 1;
            const tml_ir_tensor_t *x = &g->tensors[t];
            fprintf(f, "/* %s */\nstatic const uint8_t %s_c%d[%zu] __attribute__((aligned(16))) = {",
                    x->name, name, (int)t, x->data_len ? x->data_len : 1);
            for (size_t b = 0; b < x->data_len; b++)
                fprintf(f, "%s0x%02x,", b % 16 ? "" : "\n    ", x->data[b]);
            fputs(x->data_len ? "\n};\n" : "0};\n", f);
        }
    }
    tml_free(emitted);

    for (int i = 0; i < c->lowered.n_ops; i++) {
        const tml_lop_t *op = &c->lowered.ops[i];
        /* The package's param words, viewed as the kernel's struct. */
        fprintf(f, "static const union { int32_t w[%d]; %s p; } %s_p%d = {{", op->n_params,
                params_types[op->kernel], name, i);
        for (int w = 0; w < op->n_params; w++)
            fprintf(f, "%s%" PRId32, w ? ", " : "", op->params[w]);
        fputs("}};\n", f);
    }

    int32_t in = g->inputs[0], out = g->outputs[0];
    fprintf(f, "\nint %s_invoke(const void *input, void *output, void *arena)\n{\n"
               "    uint8_t *a = (uint8_t *)arena;\n"
               "    if (input && input != a + %s_INPUT_OFFSET)\n"
               "        memcpy(a + %s_INPUT_OFFSET, input, %s_INPUT_SIZE);\n",
            name, upper, upper, upper);
    for (int i = 0; i < c->lowered.n_ops; i++) {
        const tml_lop_t *op = &c->lowered.ops[i];
        char fn[64];
        tml_kernel_stem(op->kernel, fn, sizeof(fn));
        const tml_ir_node_t *node = &g->nodes[op->node];
        fprintf(f, "    /* %d: %s %s */\n", i, tml_ir_op_name(node->op), node->name);
        if (op->kernel == TML_K_CONCAT) {
            fprintf(f, "    {\n        const void *const in%d[] = {", i);
            for (int j = 0; j < op->n_in; j++) {
                fputs(j ? ", " : "", f);
                operand_expr(f, c, name, op->operands[j], 0);
            }
            fprintf(f, "};\n        tml_concat(&%s_p%d.p, in%d, ", name, i, i);
            operand_expr(f, c, name, op->operands[op->n_in], 1);
            fputs(");\n    }\n", f);
            continue;
        }
        fprintf(f, "    tml_%s(&%s_p%d.p", fn, name, i);
        for (int j = 0; j < op->n_in + op->n_out; j++) {
            fputs(", ", f);
            operand_expr(f, c, name, op->operands[j], j >= op->n_in);
        }
        fputs(");\n", f);
    }
    fprintf(f, "    if (output && output != a + %s_OUTPUT_OFFSET)\n"
               "        memcpy(output, a + %s_OUTPUT_OFFSET, %s_OUTPUT_SIZE);\n"
               "    return 0;\n}\n", upper, upper, upper);
    (void)in;
    (void)out;
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return tml_err_set(err, TML_ERR_IO, "%s: write failed", path);
    return TML_OK;
}

static tml_status_t write_header(const tml_compiled_t *c, const char *name, const char *upper,
                                 const char *path, tml_err_t *err)
{
    const tml_ir_graph_t *g = &c->graph;
    const tml_ir_tensor_t *in = &g->tensors[g->inputs[0]], *out = &g->tensors[g->outputs[0]];
    FILE *f = fopen(path, "w");
    if (!f)
        return tml_err_set(err, TML_ERR_IO, "%s: %s", path, strerror(errno));
    fprintf(f, "/* generated by tml compile --backend c from %s, do not edit */\n"
               "#ifndef %s_H\n#define %s_H\n\n", g->name, upper, upper);
    fprintf(f, "/* Bytes of RAM the model needs, 16-byte aligned; input and output included. */\n"
               "#define %s_ARENA_SIZE %" PRIu32 "u\n", upper, c->plan.arena_len);
    fprintf(f, "#define %s_INPUT_SIZE %zuu   /* %s %s */\n", upper, tml_ir_tensor_bytes(in),
            tml_dtype_name(in->dtype), in->name);
    fprintf(f, "#define %s_INPUT_OFFSET %" PRIu32 "u\n", upper, c->plan.offset[g->inputs[0]]);
    fprintf(f, "#define %s_OUTPUT_SIZE %zuu   /* %s %s */\n", upper, tml_ir_tensor_bytes(out),
            tml_dtype_name(out->dtype), out->name);
    fprintf(f, "#define %s_OUTPUT_OFFSET %" PRIu32 "u\n", upper, c->plan.offset[g->outputs[0]]);
    if (in->quant.n == 1)
        fprintf(f, "#define %s_INPUT_SCALE %.9gf\n#define %s_INPUT_ZERO_POINT %d\n", upper,
                (double)in->quant.scale[0], upper, (int)in->quant.zero_point[0]);
    if (out->quant.n == 1)
        fprintf(f, "#define %s_OUTPUT_SCALE %.9gf\n#define %s_OUTPUT_ZERO_POINT %d\n", upper,
                (double)out->quant.scale[0], upper, (int)out->quant.zero_point[0]);
    fprintf(f, "#define %s_MACS %lldu\n\n", upper, (long long)c->macs);
    fprintf(f, "/* Runs one inference. input (%s_INPUT_SIZE bytes) is copied into the arena and\n"
               " * the result copied to output, unless either already points at its place in\n"
               " * the arena (or is NULL: then write/read arena + %s_INPUT/OUTPUT_OFFSET).\n"
               " * arena: %s_ARENA_SIZE bytes, 16-byte aligned. Returns 0. */\n"
               "int %s_invoke(const void *input, void *output, void *arena);\n\n#endif\n",
            upper, upper, upper, name);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return tml_err_set(err, TML_ERR_IO, "%s: write failed", path);
    return TML_OK;
}

tml_status_t tml_backend_c_emit(const tml_compiled_t *c, const char *name, const char *out_dir,
                                const char *source_dir, tml_err_t *err)
{
    const tml_ir_graph_t *g = &c->graph;
    char upper[128], path[4096], from[4096];
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(upper) || !(isalpha((unsigned char)name[0]) || name[0] == '_'))
        return tml_err_set(err, TML_ERR_ARG, "c backend: '%s' is not a C identifier", name);
    for (size_t i = 0; i <= n; i++) {
        if (name[i] && !isalnum((unsigned char)name[i]) && name[i] != '_')
            return tml_err_set(err, TML_ERR_ARG, "c backend: '%s' is not a C identifier", name);
        upper[i] = (char)toupper((unsigned char)name[i]);
    }
    if (g->n_inputs != 1 || g->n_outputs != 1)
        return tml_err_set(err, TML_ERR_UNSUPPORTED,
                           "c backend: models with %d inputs and %d outputs (one of each only)",
                           g->n_inputs, g->n_outputs);
    tml_status_t st = make_dir(out_dir, err);
    snprintf(path, sizeof(path), "%s/tml", out_dir);
    if (st == TML_OK)
        st = make_dir(path, err);
    snprintf(path, sizeof(path), "%s/tml/kernels", out_dir);
    if (st == TML_OK)
        st = make_dir(path, err);

    /* Headers every kernel may include, then each used kernel's source. */
    static const char *const headers[] = {
        "include/tml/kernels.h", "include/tml/kernels/nn.h", "include/tml/kernels/elementwise.h",
        "runtime/kernels/tml_fixedpoint.h", "runtime/kernels/tml_fixedpoint_ext.h",
        "runtime/kernels/tml_nn_f32.h", "runtime/kernels/tml_dsp.h",
        "include/tml/kernels/extra.h", "runtime/kernels/tml_binary_walk.h",
        "include/tml/kernels/inplace.h",
    };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]) && st == TML_OK; i++) {
        snprintf(from, sizeof(from), "%s/%s", source_dir, headers[i]);
        const char *base = strrchr(headers[i], '/') + 1;
        int in_kernels_dir = strstr(headers[i], "include/tml/kernels/") != NULL;
        int is_umbrella = !strcmp(headers[i], "include/tml/kernels.h");
        snprintf(path, sizeof(path), "%s/tml/%s%s", out_dir,
                 in_kernels_dir ? "kernels/" : "", is_umbrella ? "kernels.h" : base);
        struct stat sb;
        if (stat(from, &sb) == 0)
            st = copy_file(from, path, err);
    }
    FILE *mk = NULL, *cm = NULL;
    char mk_path[4096], cm_path[4096];
    snprintf(mk_path, sizeof(mk_path), "%s/%s.mk", out_dir, name);
    snprintf(cm_path, sizeof(cm_path), "%s/CMakeLists.txt", out_dir);
    if (st == TML_OK && (!(mk = fopen(mk_path, "w")) || !(cm = fopen(cm_path, "w"))))
        st = tml_err_set(err, TML_ERR_IO, "%s: cannot write build files: %s", out_dir, strerror(errno));
    if (st == TML_OK) {
        fprintf(mk, "# generated by tml compile --backend c, do not edit\n"
                    "# include this file, then add $(%s_SRCS) to your sources and $(%s_CFLAGS) to CFLAGS\n"
                    "%s_DIR := $(dir $(lastword $(MAKEFILE_LIST)))\n"
                    "%s_CFLAGS := -I$(%s_DIR) -I$(%s_DIR)tml -std=c99\n"
                    "%s_SRCS := $(%s_DIR)%s.c",
                upper, upper, upper, upper, upper, upper, upper, upper, name);
        fprintf(cm, "# generated by tml compile --backend c, do not edit\n"
                    "cmake_minimum_required(VERSION 3.13)\n"
                    "add_library(%s STATIC %s.c", name, name);
    }
    bool used[TML_K_COUNT] = {false};
    for (int i = 0; i < c->lowered.n_ops; i++)
        used[c->lowered.ops[i].kernel] = true;
    for (uint32_t k = 0; k < TML_K_COUNT && st == TML_OK; k++) {
        if (!used[k])
            continue;
        char lower[64];
        tml_kernel_stem(k, lower, sizeof(lower));
        snprintf(from, sizeof(from), "%s/runtime/kernels/tml_%s.c", source_dir, lower);
        snprintf(path, sizeof(path), "%s/tml/tml_%s.c", out_dir, lower);
        st = copy_file(from, path, err);
        fprintf(mk, " \\\n    $(%s_DIR)tml/tml_%s.c", upper, lower);
        fprintf(cm, "\n    tml/tml_%s.c", lower);
    }
    if (mk) {
        fputc('\n', mk);
        if (fclose(mk) != 0 && st == TML_OK)
            st = tml_err_set(err, TML_ERR_IO, "%s: write failed", mk_path);
    }
    if (cm) {
        fprintf(cm, ")\ntarget_include_directories(%s PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} "
                    "${CMAKE_CURRENT_SOURCE_DIR}/tml)\nset_target_properties(%s PROPERTIES C_STANDARD 99)\n",
                name, name);
        if (fclose(cm) != 0 && st == TML_OK)
            st = tml_err_set(err, TML_ERR_IO, "%s: write failed", cm_path);
    }
    snprintf(path, sizeof(path), "%s/%s.h", out_dir, name);
    if (st == TML_OK)
        st = write_header(c, name, upper, path, err);
    snprintf(path, sizeof(path), "%s/%s.c", out_dir, name);
    if (st == TML_OK)
        st = write_source(c, name, upper, path, err);
    return st;
}
