/*
 * test_kernels_add_lut.c - ADD_S8_LUT is ADD_S8 with tabulated input
 * rescales: a large int8 ADD compiles to it, and its outputs equal the
 * plain ADD_S8 kernel run with the very same lowered params, element for
 * element, with and without broadcasting; a package whose table holds an
 * out-of-range entry is refused at load.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/compiler.h"
#include "tml/kernels.h"
#include "tml/session.h"

static void build_add(tml_ir_graph_t *g, int32_t c2)
{
    TML_ASSERT_OK(tml_ir_init(g, "add"));
    int32_t da[4] = {1, 16, 16, 8}, db[4] = {1, 16, 16, c2}, a, b, y;
    float sa = 0.07f, sb = 0.03f, sy = 0.09f;
    int32_t za = -5, zb = 17, zy = 3;
    TML_ASSERT_OK(tml_ir_add_tensor(g, "a", TML_DT_I8, 4, da, &a));
    TML_ASSERT_OK(tml_ir_add_tensor(g, "b", TML_DT_I8, 4, db, &b));
    TML_ASSERT_OK(tml_ir_add_tensor(g, "y", TML_DT_I8, 4, da, &y));
    TML_ASSERT_OK(tml_ir_set_quant(g, a, 1, &sa, &za, 0));
    TML_ASSERT_OK(tml_ir_set_quant(g, b, 1, &sb, &zb, 0));
    TML_ASSERT_OK(tml_ir_set_quant(g, y, 1, &sy, &zy, 0));
    tml_ir_attrs_t attrs;
    memset(&attrs, 0, sizeof(attrs));
    attrs.act = TML_ACT_RELU;
    int32_t ins[2] = {a, b};
    TML_ASSERT_OK(tml_ir_add_node(g, TML_OP_ADD, "add", ins, 2, &y, 1, &attrs, NULL));
    int32_t io_in[2] = {a, b};
    TML_ASSERT_OK(tml_ir_set_io(g, io_in, 2, &y, 1));
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
    };
    TML_TEST_MAIN(tests);
}
