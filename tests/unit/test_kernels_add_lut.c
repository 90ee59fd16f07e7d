/*
 * test_kernels_add_lut.c - ADD_S8_LUT is ADD_S8 with tabulated input
 * rescales: a large int8 ADD compiles to it, and its outputs equal the
 * plain ADD_S8 kernel run with the very same lowered params, element for
 * element, with and without broadcasting; a package whose table holds an
 * out-of-range entry is refused at load. For a target with the DSP
 * extension a same-shape ADD compiles to ADD_S8_DSP instead, checked the
 * same way, also over many random scales, zero points and activations.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/kernels.h"
#include "tml/session.h"
#include "tml/target.h"

typedef struct quant {
    float sa, sb, sy;
    int32_t za, zb, zy;
    tml_act_t act;
} quant_t;

static void build_add_q(tml_ir_graph_t *g, int32_t c2, quant_t q)
{
    TML_ASSERT_OK(tml_ir_init(g, "add"));
    int32_t da[4] = {1, 16, 16, 8}, db[4] = {1, 16, 16, c2}, a, b, y;
    float sa = q.sa, sb = q.sb, sy = q.sy;
    int32_t za = q.za, zb = q.zb, zy = q.zy;
    TML_ASSERT_OK(tml_ir_add_tensor(g, "a", TML_DT_I8, 4, da, &a));
    TML_ASSERT_OK(tml_ir_add_tensor(g, "b", TML_DT_I8, 4, db, &b));
    TML_ASSERT_OK(tml_ir_add_tensor(g, "y", TML_DT_I8, 4, da, &y));
    TML_ASSERT_OK(tml_ir_set_quant(g, a, 1, &sa, &za, 0));
    TML_ASSERT_OK(tml_ir_set_quant(g, b, 1, &sb, &zb, 0));
    TML_ASSERT_OK(tml_ir_set_quant(g, y, 1, &sy, &zy, 0));
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.act = q.act;
    int32_t ins[2] = {a, b};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, "add", ins, 2, &y, 1, &attrs, NULL));
    int32_t io_in[2] = {a, b};
    TML_ASSERT_OK(tml_ir_set_io(g, io_in, 2, &y, 1));
}

static void build_add(tml_ir_graph_t *g, int32_t c2)
{
    quant_t q = {0.07f, 0.03f, 0.09f, -5, 17, 3, TML_ACT_RELU};
    build_add_q(g, c2, q);
}

/* Compiles g (for target, NULL for none), expects kernel, and checks the
 * outputs against tml_add_s8 with the lowered params on random inputs. */
static void check_add(tml_ir_graph_t *g, int32_t c2, const char *target, uint32_t kernel,
                      tml_compiled_t *c)
{
    tml_err_t err;
    tml_err_clear(&err);
    tml_compile_opts_t opts = {.target = target ? tml_target_find(target) : NULL};
    TML_ASSERT_OK_ERR(tml_compile_graph(g, &opts, c, &err), &err);
    assert_int_equal(c->lowered.n_ops, 1);
    assert_int_equal(c->lowered.ops[0].kernel, kernel);
    const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)c->lowered.ops[0].params;
    tml_session_t s;
    TML_ASSERT_OK_ERR(tml_session_open(&s, c->pkg, c->pkg_len, &err), &err);
    int8_t a[16 * 16 * 8], b[16 * 16 * 8], want[16 * 16 * 8];
    static uint32_t seed = 99;
    for (int trial = 0; trial < 8; trial++) {
        for (size_t i = 0; i < sizeof(a); i++) {
            seed = seed * 1664525u + 1013904223u;
            a[i] = (int8_t)(seed >> 24);
            b[i] = (int8_t)(seed >> 16);
        }
        size_t b_len = (size_t)16 * 16 * c2;
        TML_ASSERT_OK(tml_session_set_input(&s, 0, a, sizeof(a), &err));
        TML_ASSERT_OK(tml_session_set_input(&s, 1, b, b_len, &err));
        TML_ASSERT_OK(tml_session_run(&s, &err));
        const void *got;
        size_t got_len;
        TML_ASSERT_OK(tml_session_output(&s, 0, &got, &got_len, &err));
        tml_add_s8(p, a, b, want);
        assert_int_equal(got_len, sizeof(want));
        assert_memory_equal(got, want, sizeof(want));
    }
    tml_session_close(&s);
}

/* ADD_S8_DSP on a DSP target: same shapes only (broadcast stays on the
 * tables), equal to ADD_S8 over random quantization and activations. */
static void dsp_add_equals_plain_add(void **state)
{
    (void)state;
    uint32_t r = 7;
    for (int n = 0; n < 60; n++) {
        r = r * 1664525u + 1013904223u;
        quant_t q;
        q.sa = 0.001f + (float)(r >> 8 & 1023) / 4096.0f;
        q.sb = 0.001f + (float)(r >> 18 & 1023) / 4096.0f;
        r = r * 1664525u + 1013904223u;
        q.sy = (q.sa > q.sb ? q.sa : q.sb) * (0.5f + (float)(r >> 8 & 1023) / 512.0f);
        q.za = (int32_t)(r >> 20 & 255) - 128;
        r = r * 1664525u + 1013904223u;
        q.zb = (int32_t)(r >> 8 & 255) - 128;
        q.zy = (int32_t)(r >> 16 & 255) - 128;
        q.act = (r >> 28) % 3 == 0 ? TML_ACT_NONE : (r >> 28) % 3 == 1 ? TML_ACT_RELU : TML_ACT_RELU6;
        const int32_t c2 = n % 5 == 4 ? 1 : 8;
        tml_ir_graph_t g;
        build_add_q(&g, c2, q);
        tml_compiled_t c;
        check_add(&g, c2, "mps2-an386", c2 == 8 ? TML_K_ADD_S8_DSP : TML_K_ADD_S8_LUT, &c);
        tml_compiled_free(&c);
    }
}

static void lut_add_equals_plain_add(void **state)
{
    (void)state;
    for (int32_t c2 = 8; c2 >= 1; c2 -= 7) { /* same shape, then broadcast over channels */
        tml_ir_graph_t g;
        build_add(&g, c2);
        tml_compiled_t c;
        tml_err_t err;
        tml_err_clear(&err);
        TML_ASSERT_OK_ERR(tml_compile_graph(&g, NULL, &c, &err), &err);
        assert_int_equal(c.lowered.n_ops, 1);
        assert_int_equal(c.lowered.ops[0].kernel, TML_K_ADD_S8_LUT);
        const tml_add_s8_params_t *p = (const tml_add_s8_params_t *)c.lowered.ops[0].params;

        tml_session_t s;
        TML_ASSERT_OK_ERR(tml_session_open(&s, c.pkg, c.pkg_len, &err), &err);
        int8_t a[16 * 16 * 8], b[16 * 16 * 8], want[16 * 16 * 8];
        uint32_t seed = 99;
        for (int trial = 0; trial < 8; trial++) {
            for (size_t i = 0; i < sizeof(a); i++) {
                seed = seed * 1664525u + 1013904223u;
                a[i] = (int8_t)(seed >> 24);
                b[i] = (int8_t)(seed >> 16);
            }
            size_t b_len = (size_t)16 * 16 * c2;
            TML_ASSERT_OK(tml_session_set_input(&s, 0, a, sizeof(a), &err));
            TML_ASSERT_OK(tml_session_set_input(&s, 1, b, b_len, &err));
            TML_ASSERT_OK(tml_session_run(&s, &err));
            const void *got;
            size_t got_len;
            TML_ASSERT_OK(tml_session_output(&s, 0, &got, &got_len, &err));
            tml_add_s8(p, a, b, want);
            assert_int_equal(got_len, sizeof(want));
            assert_memory_equal(got, want, sizeof(want));
        }
        tml_session_close(&s);

        /* An out-of-range table entry (with the digest and CRC repaired) is refused. */
        uint8_t *bad = tml_malloc(c.pkg_len);
        memcpy(bad, c.pkg, c.pkg_len);
        tml_pkg_header_t *hdr = (tml_pkg_header_t *)bad;
        int32_t huge = 0x7FFFFFFF;
        memcpy(bad + hdr->const_off, &huge, 4); /* the first constant is lut1 */
        tml_sha256(bad + hdr->header_len, hdr->total_len - hdr->header_len, hdr->body_sha256);
        hdr->header_crc32 = 0;
        hdr->header_crc32 = tml_crc32(0, hdr, sizeof(*hdr));
        TML_ASSERT_STATUS(tml_session_open(&s, bad, c.pkg_len, &err), TML_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "ADD_S8_LUT"));
        tml_free(bad);
        tml_compiled_free(&c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(lut_add_equals_plain_add, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(dsp_add_equals_plain_add, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
