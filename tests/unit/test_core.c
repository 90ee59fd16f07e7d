/*
 * test_core.c - the shared core: statuses, error details, the counted
 * allocator with fault injection, files and .npy.
 */
#include <stdlib.h>
#include <unistd.h>

#include "tml_test.h"
#include "tml/npy.h"

static void strerror_names_every_status(void **state)
{
    (void)state;
    for (int s = 0; s >= TML_STATUS_MIN; s--) {
        const char *name = tml_strerror((tml_status_t)s);
        assert_non_null(name);
        assert_string_not_equal(name, "unknown status");
    }
    assert_string_equal(tml_strerror((tml_status_t)(TML_STATUS_MIN - 1)), "unknown status");
    assert_string_equal(tml_strerror((tml_status_t)5), "unknown status");
}

static void err_keeps_first_message_and_wraps_context(void **state)
{
    (void)state;
    tml_err_t err;
    tml_err_clear(&err);
    assert_int_equal(tml_err_set(&err, TML_ERR_CORRUPT, "weights have %d dims", 3), TML_ERR_CORRUPT);
    assert_int_equal(tml_err_set(&err, TML_ERR_IO, "later error"), TML_ERR_IO);
    assert_int_equal(err.status, TML_ERR_CORRUPT);
    tml_err_wrap(&err, "node %d", 7);
    tml_err_wrap(&err, "model %s", "kws.tflite");
    assert_string_equal(tml_err_message(&err), "model kws.tflite: node 7: weights have 3 dims");
    tml_err_clear(&err);
    assert_int_equal(tml_err_wrap(&err, "ignored"), TML_OK);
    assert_string_equal(err.msg, "");
    /* NULL err is accepted everywhere. */
    assert_int_equal(tml_err_set(NULL, TML_ERR_ARG, "x"), TML_ERR_ARG);
}

static void allocator_counts_and_fails_on_request(void **state)
{
    (void)state;
    int64_t blocks = tml_alloc_live_blocks();
    int64_t bytes = tml_alloc_live_bytes();
    char *a = tml_malloc(100);
    assert_non_null(a);
    assert_int_equal(tml_alloc_live_bytes() - bytes, 100);
    a = tml_realloc(a, 300);
    assert_non_null(a);
    assert_int_equal(tml_alloc_live_bytes() - bytes, 300);
    tml_alloc_fail_at(2);
    void *b = tml_malloc(8);
    void *c = tml_malloc(8); /* this one fails */
    void *d = tml_malloc(8); /* and this succeeds again */
    assert_non_null(b);
    assert_null(c);
    assert_non_null(d);
    tml_alloc_fail_at(1);
    assert_null(tml_realloc(a, 10)); /* a stays valid */
    a[299] = 1;
    assert_null(tml_calloc(SIZE_MAX / 2, 4));
    tml_free(a);
    tml_free(b);
    tml_free(d);
    tml_free(NULL);
    assert_int_equal(tml_alloc_live_blocks(), blocks);
    assert_int_equal(tml_alloc_live_bytes(), bytes);
}

typedef struct {
    uint8_t *out;
    size_t out_len;
} npy_ctx_t;

static tml_status_t build_npy(void *ctx_)
{
    npy_ctx_t *ctx = ctx_;
    const float data[6] = {1, 2, 3, 4, 5, 6};
    const int64_t dims[2] = {2, 3};
    return tml_npy_build("f4", dims, 2, data, sizeof(data), &ctx->out, &ctx->out_len, NULL);
}

static void free_npy(void *ctx_)
{
    npy_ctx_t *ctx = ctx_;
    tml_free(ctx->out);
    ctx->out = NULL;
}

static void npy_round_trip_and_alloc_walk(void **state)
{
    (void)state;
    npy_ctx_t ctx = {0};
    TML_ASSERT_OK(build_npy(&ctx));
    assert_int_equal((ctx.out_len - 24) % 64, 0); /* data starts 64-byte aligned */
    tml_npy_t npy;
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_npy_parse(ctx.out, ctx.out_len, &npy, &err), &err);
    assert_string_equal(npy.dtype, "f4");
    assert_int_equal(npy.n_dims, 2);
    assert_int_equal(npy.dims[0], 2);
    assert_int_equal(npy.dims[1], 3);
    assert_int_equal(npy.data_len, 24);
    float f;
    memcpy(&f, npy.data + 20, 4);
    assert_true(f == 6.0f);
    /* Truncating by one byte must be caught and named. */
    TML_ASSERT_STATUS(tml_npy_parse(ctx.out, ctx.out_len - 1, &npy, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(tml_err_message(&err), "bytes of data"));
    free_npy(&ctx);
    assert_int_equal(tml_test_alloc_walk(build_npy, free_npy, &ctx), 1);
}

static void npy_rejects_what_it_cannot_read(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x93NUMPY\x01\x00\x30\x00{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n",
        "\x93NUMPY\x01\x00\x30\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }\n",
        "\x93NUMPY\x01\x00\x30\x00{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n",
        "\x93NUMPY\x01\x00\xff\x00{'descr': '<f4'",
        "NOTNPY",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tml_npy_t npy;
        tml_err_t err;
        tml_err_clear(&err);
        assert_int_not_equal(tml_npy_parse((const uint8_t *)bad[i], strlen(bad[i]), &npy, &err), TML_OK);
        assert_true(strlen(err.msg) > 0);
    }
}

static void file_write_then_read(void **state)
{
    (void)state;
    char path[] = "/tmp/tml_core_test_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_file_write(path, "hello", 5, &err));
    uint8_t *data;
    size_t len;
    TML_ASSERT_OK(tml_file_read(path, &data, &len, &err));
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    assert_int_equal(data[5], 0);
    tml_free(data);
    unlink(path);
    TML_ASSERT_STATUS(tml_file_read("/nonexistent/x", &data, &len, &err), TML_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent/x"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strerror_names_every_status),
        cmocka_unit_test(err_keeps_first_message_and_wraps_context),
        cmocka_unit_test(allocator_counts_and_fails_on_request),
        cmocka_unit_test_setup_teardown(npy_round_trip_and_alloc_walk, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(npy_rejects_what_it_cannot_read),
        cmocka_unit_test_setup_teardown(file_write_then_read, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
