/*
 * test_runtime.c - the runtime's own pieces that need no kernel: CRC-32 and
 * SHA-256 against published vectors, and the loader on a package whose
 * graph passes its input straight through (zero ops), including every kind
 * of corruption the loader must catch.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/package.h"
#include "tml/rt.h"

static void crc32_and_sha256_match_published_vectors(void **state)
{
    (void)state;
    assert_int_equal(tml_crc32(0, "123456789", 9), 0xCBF43926u); /* the CRC-32 check value */
    static const struct { const char *msg; const char *hex; } vectors[] = {
        /* FIPS 180-4 examples, plus the empty string and a 2-block message. */
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
    };
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        uint8_t digest[32];
        tml_sha256(vectors[i].msg, strlen(vectors[i].msg), digest);
        char hex[65];
        for (int j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", digest[j]);
        assert_string_equal(hex, vectors[i].hex);
    }
}

/* A graph whose one tensor is both input and output: the smallest valid
 * package, enough to exercise every header and section check. */
static uint8_t *passthrough_package(size_t *len)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, "passthrough"));
    int32_t dims[2] = {1, 6}, x;
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_I8, 2, dims, &x));
    float scale = 0.5f;
    int32_t zp = -3;
    TML_ASSERT_OK(tml_ir_set_quant(&g, x, 1, &scale, &zp, 0));
    TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, &x, 1));
    tml_lowered_t lw = {0};
    tml_plan_t plan;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_plan_arena(&g, &lw, &plan, &err), &err);
    uint8_t *pkg;
    TML_ASSERT_OK_ERR(tml_package_build(&g, &lw, &plan, &pkg, len, NULL, &err), &err);
    tml_plan_free(&plan);
    tml_ir_free(&g);
    return pkg;
}

static void passthrough_package_loads_and_runs(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pkg = passthrough_package(&len);
    assert_int_equal(len % 16, 0);
    assert_int_equal(tml_rt_arena_len(pkg, len), 16);
    uint8_t arena[16];
    tml_rt_t rt;
    TML_ASSERT_OK(tml_rt_init(&rt, pkg, len, arena, sizeof(arena), 0));
    assert_string_equal(tml_rt_model_name(&rt), "passthrough");
    assert_int_equal(tml_rt_n_inputs(&rt), 1);
    const tml_pkg_tensor_t *in = tml_rt_input(&rt, 0);
    assert_non_null(in);
    assert_int_equal(in->byte_len, 6);
    assert_true(in->scale == 0.5f);
    assert_int_equal(in->zero_point, -3);
    memcpy(tml_rt_tensor_data(&rt, in), "abcdef", 6);
    TML_ASSERT_OK(tml_rt_invoke(&rt));
    assert_memory_equal(tml_rt_tensor_data(&rt, tml_rt_output(&rt, 0)), "abcdef", 6);
    assert_null(tml_rt_input(&rt, 1));
    /* Too small an arena is refused before anything runs. */
    TML_ASSERT_STATUS(tml_rt_init(&rt, pkg, len, arena, 8, 0), TML_ERR_NOMEM);
    TML_ASSERT_STATUS(tml_rt_invoke(&rt), TML_ERR_STATE);
    tml_free(pkg);
}

static void loader_catches_every_flip_and_truncation(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pkg = passthrough_package(&len);
    uint32_t *copy = malloc(len + 4); /* uint32_t: the loader needs 4-byte alignment */
    uint8_t arena[64];
    tml_rt_t rt;
    /* Every single-bit flip anywhere is caught: header by CRC, body by digest. */
    for (size_t byte = 0; byte < len; byte++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, pkg, len);
            ((uint8_t *)copy)[byte] ^= (uint8_t)(1u << bit);
            tml_status_t st = tml_rt_init(&rt, copy, len, arena, sizeof(arena), 0);
            if (st == TML_OK)
                fail_msg("flip of byte %zu bit %d went undetected", byte, bit);
        }
    }
    /* Every truncation is refused. */
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(copy, pkg, cut);
        assert_int_not_equal(tml_rt_init(&rt, copy, cut, arena, sizeof(arena), 0), TML_OK);
    }
    /* Misaligned packages and NULLs are argument errors, not crashes. */
    memcpy((uint8_t *)copy + 1, pkg, len);
    TML_ASSERT_STATUS(tml_rt_init(&rt, (uint8_t *)copy + 1, len, arena, sizeof(arena), 0), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_rt_init(&rt, NULL, len, arena, sizeof(arena), 0), TML_ERR_ARG);
    TML_ASSERT_STATUS(tml_rt_init(NULL, pkg, len, arena, sizeof(arena), 0), TML_ERR_ARG);
    free(copy);
    tml_free(pkg);
}

/* Structural checks hold on their own, with the digest skipped: rewrite a
 * field, fix up the header CRC, and the loader must still refuse. */
static void loader_checks_structure_without_digest(void **state)
{
    (void)state;
    size_t len;
    uint8_t *pkg = passthrough_package(&len);
    uint32_t *copy = malloc(len);
    uint8_t arena[64];
    tml_rt_t rt;
    struct { size_t field; uint32_t value; } edits[] = {
        {offsetof(tml_pkg_header_t, tensors_off), 3},            /* misaligned section */
        {offsetof(tml_pkg_header_t, n_tensors), 1000000},        /* past the end */
        {offsetof(tml_pkg_header_t, const_off), 0xFFFFFFF0u},    /* wraps around */
        {offsetof(tml_pkg_header_t, n_inputs), 0},               /* no inputs */
        {offsetof(tml_pkg_header_t, arena_len), 0},              /* tensor outside the arena */
        {offsetof(tml_pkg_header_t, version_major), 2},          /* future version */
        {offsetof(tml_pkg_header_t, strings_len), 1000},         /* past the end */
    };
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        memcpy(copy, pkg, len);
        tml_pkg_header_t *hdr = (tml_pkg_header_t *)copy;
        if (edits[i].field == offsetof(tml_pkg_header_t, version_major))
            hdr->version_major = (uint16_t)edits[i].value;
        else
            memcpy((uint8_t *)copy + edits[i].field, &edits[i].value, 4);
        hdr->header_crc32 = 0;
        hdr->header_crc32 = tml_crc32(0, hdr, sizeof(*hdr));
        if (tml_rt_init(&rt, copy, len, arena, sizeof(arena), TML_RT_SKIP_BODY_DIGEST) == TML_OK)
            fail_msg("header edit %zu was accepted", i);
    }
    /* A tensor record whose byte length disagrees with its dims. */
    memcpy(copy, pkg, len);
    tml_pkg_header_t *hdr = (tml_pkg_header_t *)copy;
    tml_pkg_tensor_t *t = (tml_pkg_tensor_t *)((uint8_t *)copy + hdr->tensors_off);
    t->dims[1] = 7;
    TML_ASSERT_STATUS(tml_rt_init(&rt, copy, len, arena, sizeof(arena), TML_RT_SKIP_BODY_DIGEST),
                      TML_ERR_CORRUPT);
    t->dims[1] = 6;
    t->storage = 9;
    TML_ASSERT_STATUS(tml_rt_init(&rt, copy, len, arena, sizeof(arena), TML_RT_SKIP_BODY_DIGEST),
                      TML_ERR_CORRUPT);
    t->storage = TML_PKG_ARENA;
    TML_ASSERT_OK(tml_rt_init(&rt, copy, len, arena, sizeof(arena), TML_RT_SKIP_BODY_DIGEST));
    free(copy);
    tml_free(pkg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_and_sha256_match_published_vectors),
        cmocka_unit_test_setup_teardown(passthrough_package_loads_and_runs, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(loader_catches_every_flip_and_truncation, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(loader_checks_structure_without_digest, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
