/*
 * test_lwm2m.c - the LwM2M core: paths, the TLV / SenML-JSON / text /
 * opaque codecs (known byte sequences from the OMA examples, round trips,
 * rejection of damaged input, the allocation-failure walk), link format,
 * the agent's CoAP codec and the signed package envelope.
 */
#include <stdlib.h>

#include "tml_test.h"
#include "tml/coap_msg.h"
#include "tml/ir.h"
#include "tml/lwm2m.h"
#include "tml/package.h"
#include "tml/plan.h"
#include "tml/rt.h"
#include "tml/signed_pkg.h"

static tml_lwm2m_path_t P(const char *s)
{
    tml_lwm2m_path_t p;
    TML_ASSERT_OK(tml_lwm2m_path_parse(s, strlen(s), &p, NULL));
    return p;
}

static void paths_parse_format_and_reject(void **state)
{
    (void)state;
    tml_lwm2m_path_t p = P("/3/0/11/2");
    assert_int_equal(p.len, 4);
    assert_int_equal(p.id[2], 11);
    char buf[32];
    tml_lwm2m_path_format(&p, buf, sizeof(buf));
    assert_string_equal(buf, "/3/0/11/2");
    assert_int_equal(P("/").len, 0);
    assert_int_equal(P("32101/0/").len, 2);
    tml_lwm2m_path_format(&(tml_lwm2m_path_t){{0}, 0}, buf, sizeof(buf));
    assert_string_equal(buf, "/");
    static const char *const bad[] = {"/3//0", "/3/x", "/65535", "/1/2/3/4/5", "/-1", "/03", "/3/0/1a"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tml_err_t err;
        tml_err_clear(&err);
        tml_lwm2m_path_t q;
        TML_ASSERT_STATUS(tml_lwm2m_path_parse(bad[i], strlen(bad[i]), &q, &err), TML_ERR_CORRUPT);
        assert_non_null(strstr(err.msg, "path"));
    }
    tml_lwm2m_path_t a = P("/3/0"), b = P("/3/0/1");
    assert_true(tml_lwm2m_path_has_prefix(&b, &a));
    assert_false(tml_lwm2m_path_has_prefix(&a, &b));
    assert_true(tml_lwm2m_path_cmp(&a, &b) < 0);
}

/* The Device object example of the TLV section of the LwM2M TS: resource 0
 * "Open Mobile Alliance" and multiple resource 6 with {0: 1, 1: 5}. */
static const uint8_t oma_tlv[] = {
    0xC8, 0x00, 0x14, 'O', 'p', 'e', 'n', ' ', 'M', 'o', 'b', 'i', 'l', 'e', ' ',
    'A', 'l', 'l', 'i', 'a', 'n', 'c', 'e',
    0x86, 0x06, 0x41, 0x00, 0x01, 0x41, 0x01, 0x05,
};

static void tlv_decodes_the_oma_example(void **state)
{
    (void)state;
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_lwm2m_path_t base = P("/3/0");
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_tlv_decode(&base, oma_tlv, sizeof(oma_tlv), &r, &err), &err);
    assert_int_equal(r.n, 3);
    TML_ASSERT_OK_ERR(tml_lwm2m_records_type(&r, &err), &err);
    const tml_lwm2m_record_t *m = tml_lwm2m_records_find(&r, &(tml_lwm2m_path_t){{3, 0, 0, 0}, 3});
    assert_non_null(m);
    assert_int_equal(m->v.type, TML_LWM2M_T_STRING);
    assert_string_equal((const char *)m->v.bytes, "Open Mobile Alliance");
    const tml_lwm2m_record_t *ps = tml_lwm2m_records_find(&r, &(tml_lwm2m_path_t){{3, 0, 6, 1}, 4});
    assert_non_null(ps);
    assert_int_equal(ps->v.type, TML_LWM2M_T_INT);
    assert_int_equal(ps->v.u.i, 5);
    /* Encoding the typed records gives the same bytes back. */
    uint8_t *out;
    size_t out_len;
    TML_ASSERT_OK_ERR(tml_lwm2m_tlv_encode(&base, &r, &out, &out_len, &err), &err);
    assert_int_equal(out_len, sizeof(oma_tlv));
    assert_memory_equal(out, oma_tlv, sizeof(oma_tlv));
    tml_free(out);
    /* As object /3 it is wrapped in an object-instance TLV. */
    tml_lwm2m_path_t obj = P("/3");
    TML_ASSERT_OK(tml_lwm2m_tlv_encode(&obj, &r, &out, &out_len, &err));
    assert_int_equal(out_len, sizeof(oma_tlv) + 3);
    assert_int_equal(out[0], 0x08); /* instance, 8-bit id, 8-bit length */
    assert_int_equal(out[1], 0);
    assert_int_equal(out[2], sizeof(oma_tlv));
    tml_lwm2m_records_t again;
    tml_lwm2m_records_init(&again);
    TML_ASSERT_OK(tml_lwm2m_tlv_decode(&obj, out, out_len, &again, &err));
    assert_int_equal(again.n, 3);
    tml_lwm2m_records_free(&again);
    tml_free(out);
    tml_lwm2m_records_free(&r);
}

static void tlv_round_trips_every_type_and_width(void **state)
{
    (void)state;
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    int64_t ints[] = {0, -1, 127, 128, -129, 32767, 40000, -2147483648LL, 4294967296LL, INT64_MIN};
    for (uint16_t i = 0; i < 10; i++)
        TML_ASSERT_OK(tml_lwm2m_records_add_int(&r, &(tml_lwm2m_path_t){{3, 0, 11, i}, 4}, ints[i]));
    uint8_t big[300];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    TML_ASSERT_OK(tml_lwm2m_records_add_opaque(&r, &(tml_lwm2m_path_t){{32102, 0, 9, 0}, 3}, big, sizeof(big)));
    TML_ASSERT_OK(tml_lwm2m_records_add_float(&r, &(tml_lwm2m_path_t){{3, 0, 9, 0}, 3}, 0.1));
    tml_lwm2m_path_t base = P("/3/0"), o9 = P("/32102/0");
    uint8_t *out;
    size_t len;
    tml_err_t err;
    tml_err_clear(&err);
    /* A record outside the base is refused. */
    TML_ASSERT_STATUS(tml_lwm2m_tlv_encode(&base, &r, &out, &len, &err), TML_ERR_ARG);
    tml_lwm2m_records_t only3;
    tml_lwm2m_records_init(&only3);
    for (size_t i = 0; i < r.n; i++)
        if (r.recs[i].path.id[0] == 3)
            TML_ASSERT_OK(tml_lwm2m_records_add(&only3, &r.recs[i].path, &r.recs[i].v));
    TML_ASSERT_OK_ERR(tml_lwm2m_tlv_encode(&base, &only3, &out, &len, &err), &err);
    tml_lwm2m_records_t back;
    tml_lwm2m_records_init(&back);
    TML_ASSERT_OK(tml_lwm2m_tlv_decode(&base, out, len, &back, &err));
    tml_free(out);
    assert_int_equal(back.n, 11);
    /* Sorted by path: /3/0/9 first, then /3/0/11/0..9. */
    double f;
    assert_int_equal(back.recs[0].path.id[2], 9);
    TML_ASSERT_OK(tml_lwm2m_value_float(&back.recs[0].v, &f));
    assert_true(f == 0.1);
    for (size_t i = 1; i < 11; i++) {
        int64_t v;
        assert_int_equal(back.recs[i].path.len, 4);
        TML_ASSERT_OK(tml_lwm2m_value_int(&back.recs[i].v, &v));
        assert_true(v == ints[back.recs[i].path.id[3]]);
    }
    tml_lwm2m_records_free(&back);
    /* 16-bit length field for 300 opaque bytes. */
    tml_lwm2m_records_t op;
    tml_lwm2m_records_init(&op);
    TML_ASSERT_OK(tml_lwm2m_records_add(&op, &r.recs[10].path, &r.recs[10].v));
    TML_ASSERT_OK(tml_lwm2m_tlv_encode(&o9, &op, &out, &len, &err));
    assert_int_equal(out[0], 0xD0);
    assert_int_equal(len, 4 + sizeof(big));
    TML_ASSERT_OK(tml_lwm2m_tlv_decode(&o9, out, len, &back, &err));
    TML_ASSERT_OK(tml_lwm2m_records_type(&back, &err));
    assert_int_equal(back.recs[0].v.type, TML_LWM2M_T_OPAQUE);
    assert_memory_equal(back.recs[0].v.bytes, big, sizeof(big));
    tml_free(out);
    tml_lwm2m_records_free(&back);
    tml_lwm2m_records_free(&op);
    tml_lwm2m_records_free(&only3);
    tml_lwm2m_records_free(&r);
}

static void tlv_rejects_damaged_input(void **state)
{
    (void)state;
    tml_lwm2m_path_t base = P("/3/0");
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_err_t err;
    /* Every truncation of the example fails cleanly, appending nothing. */
    for (size_t cut = 1; cut < sizeof(oma_tlv); cut++) {
        if (cut == 23)
            continue; /* the first resource alone is a valid payload */
        tml_err_clear(&err);
        TML_ASSERT_STATUS(tml_lwm2m_tlv_decode(&base, oma_tlv, cut, &r, &err), TML_ERR_CORRUPT);
        assert_int_equal(r.n, 0);
        assert_true(strlen(err.msg) > 0);
    }
    /* A resource instance at the top of an instance payload. */
    const uint8_t ri[] = {0x41, 0x00, 0x01};
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_lwm2m_tlv_decode(&base, ri, sizeof(ri), &r, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "not allowed"));
    /* An object instance nested in a multiple resource. */
    const uint8_t nest[] = {0x83, 0x06, 0x01, 0x00, 0x00};
    TML_ASSERT_STATUS(tml_lwm2m_tlv_decode(&base, nest, sizeof(nest), &r, &err), TML_ERR_CORRUPT);
    /* A resource id that does not match the requested one. */
    tml_lwm2m_path_t res = P("/3/0/1");
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_lwm2m_tlv_decode(&res, oma_tlv, 23, &r, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "request path"));
    /* Typing: a 3-byte integer is not an integer. */
    const uint8_t odd[] = {0xC3, 0x09, 1, 2, 3};
    TML_ASSERT_OK(tml_lwm2m_tlv_decode(&base, odd, sizeof(odd), &r, &err));
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_lwm2m_records_type(&r, &err), TML_ERR_CORRUPT);
    assert_non_null(strstr(err.msg, "/3/0/9"));
    tml_lwm2m_records_free(&r);
}

static void senml_decodes_leshan_style_and_round_trips(void **state)
{
    (void)state;
    const char *js = "[{\"bn\":\"/3/0/\",\"n\":\"0\",\"vs\":\"Open \\\"Mobile\\\" \\u00e9\"},"
                     "{\"n\":\"9\",\"v\":95},{\"n\":\"6/0\",\"v\":1},{\"n\":\"13\",\"v\":1367491215,\"bt\":0},"
                     "{\"n\":\"20\",\"v\":2.5},{\"n\":\"3\",\"vb\":false},{\"n\":\"17\",\"vd\":\"AQID\"},"
                     "{\"n\":\"18\",\"vlo\":\"3:0\"}]";
    tml_lwm2m_path_t base = P("/3/0");
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_senml_decode(&base, (const uint8_t *)js, strlen(js), &r, &err), &err);
    assert_int_equal(r.n, 8);
    assert_string_equal((const char *)r.recs[0].v.bytes, "Open \"Mobile\" \xc3\xa9");
    assert_int_equal(r.recs[1].v.type, TML_LWM2M_T_INT);
    assert_int_equal(r.recs[1].v.u.i, 95);
    assert_int_equal(r.recs[2].path.len, 4);
    assert_int_equal(r.recs[4].v.type, TML_LWM2M_T_FLOAT);
    assert_int_equal(r.recs[5].v.type, TML_LWM2M_T_BOOL);
    assert_int_equal(r.recs[6].v.len, 3);
    assert_int_equal(r.recs[6].v.bytes[2], 3);
    assert_int_equal(r.recs[7].v.type, TML_LWM2M_T_OBJLNK);
    uint8_t *out;
    size_t len;
    TML_ASSERT_OK(tml_lwm2m_senml_encode(&base, &r, &out, &len, &err));
    tml_lwm2m_records_t back;
    tml_lwm2m_records_init(&back);
    TML_ASSERT_OK_ERR(tml_lwm2m_senml_decode(&base, out, len, &back, &err), &err);
    assert_int_equal(back.n, r.n);
    for (size_t i = 0; i < r.n; i++) {
        assert_int_equal(tml_lwm2m_path_cmp(&back.recs[i].path, &r.recs[i].path), 0);
        assert_int_equal(back.recs[i].v.type, r.recs[i].v.type);
        assert_int_equal(back.recs[i].v.len, r.recs[i].v.len);
    }
    assert_true(back.recs[4].v.u.f == 2.5);
    tml_free(out);
    tml_lwm2m_records_free(&back);
    /* A single resource is named by bn alone. */
    tml_lwm2m_path_t one = P("/3/0/9");
    tml_lwm2m_records_t single;
    tml_lwm2m_records_init(&single);
    TML_ASSERT_OK(tml_lwm2m_records_add_int(&single, &one, 95));
    TML_ASSERT_OK(tml_lwm2m_senml_encode(&one, &single, &out, &len, &err));
    assert_string_equal((const char *)out, "[{\"bn\":\"/3/0/9\",\"v\":95}]");
    tml_free(out);
    tml_lwm2m_records_free(&single);
    tml_lwm2m_records_free(&r);
}

static void senml_rejects_what_is_not_senml(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{}", "[", "[{\"n\":\"/3/0/0\",\"v\":1}", "[{\"bn\":\"/3/0/\",\"n\":\"x\",\"v\":1}]",
        "[{\"bn\":\"/4/0/\",\"n\":\"0\",\"v\":1}]", "[{\"n\":\"/3/0/0\",\"v\":01}]",
        "[{\"n\":\"/3/0/0\",\"v\":1,\"vs\":\"a\"}]", "[{\"n\":\"/3/0/0\",\"vd\":\"!!\"}]",
        "[{\"n\":\"/3/0/0\",\"vs\":\"a\\q\"}]", "[{\"v\":1}]", "[{\"n\":\"/3/0/0\",\"v\":1}] x",
        "[{\"n\":\"/3/0/0\",\"x\":[[[[[[[[[[[[1]]]]]]]]]]]]}]", "[{\"n\":\"/3/0/0\",\"vlo\":\"3-0\"}]",
    };
    tml_lwm2m_path_t base = P("/3/0");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tml_lwm2m_records_t r;
        tml_lwm2m_records_init(&r);
        tml_err_t err;
        tml_err_clear(&err);
        tml_status_t st = tml_lwm2m_senml_decode(&base, (const uint8_t *)bad[i], strlen(bad[i]), &r, &err);
        if (st == TML_OK)
            fail_msg("accepted: %s", bad[i]);
        assert_int_equal(r.n, 0);
        assert_true(strlen(err.msg) > 0);
        tml_lwm2m_records_free(&r);
    }
}

static void text_and_opaque_single_values(void **state)
{
    (void)state;
    tml_lwm2m_path_t p = P("/3/0/9");
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK(tml_lwm2m_decode(TML_LWM2M_CF_TEXT, &p, (const uint8_t *)"-42", 3, &r, &err));
    TML_ASSERT_OK(tml_lwm2m_records_type(&r, &err));
    assert_int_equal(r.recs[0].v.type, TML_LWM2M_T_INT);
    assert_int_equal(r.recs[0].v.u.i, -42);
    uint8_t *out;
    size_t len;
    TML_ASSERT_OK(tml_lwm2m_encode(TML_LWM2M_CF_TEXT, &p, &r, &out, &len, &err));
    assert_int_equal(len, 3);
    assert_memory_equal(out, "-42", 3);
    tml_free(out);
    tml_lwm2m_records_free(&r);
    tml_lwm2m_value_t f = {.type = TML_LWM2M_T_FLOAT, .u.f = 0.1};
    TML_ASSERT_OK(tml_lwm2m_text_encode(&f, &out, &len, &err));
    assert_string_equal((const char *)out, "0.1");
    tml_free(out);
    /* Text for a whole instance, and a non-number typed as an int, fail. */
    tml_lwm2m_path_t inst = P("/3/0");
    TML_ASSERT_STATUS(tml_lwm2m_decode(TML_LWM2M_CF_TEXT, &inst, (const uint8_t *)"1", 1, &r, &err), TML_ERR_CORRUPT);
    TML_ASSERT_OK(tml_lwm2m_decode(TML_LWM2M_CF_TEXT, &p, (const uint8_t *)"1x", 2, &r, &err));
    TML_ASSERT_STATUS(tml_lwm2m_records_type(&r, NULL), TML_ERR_CORRUPT);
    tml_lwm2m_records_free(&r);
    /* Opaque both ways. */
    tml_lwm2m_path_t pk = P("/9/0/2");
    const uint8_t bytes[] = {0, 1, 0xFF, 0};
    TML_ASSERT_OK(tml_lwm2m_decode(TML_LWM2M_CF_OPAQUE, &pk, bytes, sizeof(bytes), &r, &err));
    assert_int_equal(r.recs[0].v.type, TML_LWM2M_T_OPAQUE);
    TML_ASSERT_OK(tml_lwm2m_encode(TML_LWM2M_CF_OPAQUE, &pk, &r, &out, &len, &err));
    assert_int_equal(len, 4);
    assert_memory_equal(out, bytes, 4);
    tml_free(out);
    TML_ASSERT_STATUS(tml_lwm2m_encode(TML_LWM2M_CF_TEXT, &pk, &r, &out, &len, &err), TML_ERR_UNSUPPORTED);
    TML_ASSERT_STATUS(tml_lwm2m_encode(60, &pk, &r, &out, &len, &err), TML_ERR_UNSUPPORTED);
    tml_lwm2m_records_free(&r);
    /* Base64 both alphabets, with and without padding. */
    uint8_t b[8];
    size_t bl;
    TML_ASSERT_OK(tml_base64_decode("+/8=", 4, b, sizeof(b), &bl));
    assert_int_equal(bl, 2);
    assert_int_equal(b[0], 0xFB);
    TML_ASSERT_OK(tml_base64_decode("-_8", 3, b, sizeof(b), &bl));
    assert_int_equal(b[1], 0xFF);
    char enc[8];
    assert_int_equal(tml_base64_encode(b, 2, enc), 3);
    assert_string_equal(enc, "-_8");
}

typedef struct {
    tml_lwm2m_records_t r;
    uint8_t *out;
    size_t len;
} walk_ctx_t;

static tml_status_t walk_op(void *ctx_)
{
    walk_ctx_t *c = ctx_;
    tml_lwm2m_path_t base = P("/3/0");
    tml_lwm2m_records_t r;
    tml_lwm2m_records_init(&r);
    tml_status_t st = tml_lwm2m_tlv_decode(&base, oma_tlv, sizeof(oma_tlv), &r, NULL);
    if (st == TML_OK)
        st = tml_lwm2m_records_type(&r, NULL);
    uint8_t *s = NULL;
    size_t sl;
    if (st == TML_OK)
        st = tml_lwm2m_senml_encode(&base, &r, &s, &sl, NULL);
    if (st == TML_OK)
        st = tml_lwm2m_senml_decode(&base, s, sl, &c->r, NULL);
    tml_free(s);
    if (st == TML_OK)
        st = tml_lwm2m_tlv_encode(&base, &c->r, &c->out, &c->len, NULL);
    tml_lwm2m_records_free(&r);
    if (st != TML_OK)
        tml_lwm2m_records_free(&c->r);
    return st;
}

static void walk_cleanup(void *ctx_)
{
    walk_ctx_t *c = ctx_;
    tml_lwm2m_records_free(&c->r);
    tml_free(c->out);
    c->out = NULL;
}

static void codecs_survive_every_allocation_failure(void **state)
{
    (void)state;
    walk_ctx_t c;
    memset(&c, 0, sizeof(c));
    assert_true(tml_test_alloc_walk(walk_op, walk_cleanup, &c) > 5);
}

static void links_parse_registration_payload(void **state)
{
    (void)state;
    const char *s = "</lwm2m>;rt=\"oma.lwm2m\";ct=110, </lwm2m/1/0>,</lwm2m/3/0>;ver=1.1,"
                    "</lwm2m/32101/0>,</other>;title=\"a,b\"";
    tml_lwm2m_links_t l;
    tml_lwm2m_links_init(&l);
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_lwm2m_links_parse(s, strlen(s), &l, &err), &err);
    assert_int_equal(l.n, 5);
    assert_string_equal(l.alt_path, "/lwm2m");
    assert_true(l.links[2].has_path);
    assert_int_equal(l.links[2].path.id[0], 3);
    assert_int_equal(l.links[3].path.id[0], 32101);
    assert_false(l.links[4].has_path);
    char v[16];
    TML_ASSERT_OK(tml_lwm2m_link_attr(l.links[2].attrs, "ver", v, sizeof(v)));
    assert_string_equal(v, "1.1");
    TML_ASSERT_OK(tml_lwm2m_link_attr(l.links[4].attrs, "title", v, sizeof(v)));
    assert_string_equal(v, "a,b");
    TML_ASSERT_STATUS(tml_lwm2m_link_attr(l.links[1].attrs, "ver", v, sizeof(v)), TML_ERR_NOT_FOUND);
    tml_lwm2m_links_free(&l);
    TML_ASSERT_STATUS(tml_lwm2m_links_parse("</1/0", 5, &l, &err), TML_ERR_CORRUPT);
    TML_ASSERT_STATUS(tml_lwm2m_links_parse("</1/0>x", 7, &l, &err), TML_ERR_CORRUPT);
    tml_lwm2m_links_free(&l);
}

static void coap_codec_round_trip_and_rejects(void **state)
{
    (void)state;
    tml_coap_msg_t m;
    tml_coap_init(&m, TML_COAP_CON, TML_COAP_POST, 0xBEEF);
    m.tkl = 4;
    memcpy(m.token, "\x01\x02\x03\x04", 4);
    TML_ASSERT_OK(tml_coap_add_path(&m, TML_COAP_OPT_URI_PATH, "/rd/abc"));
    TML_ASSERT_OK(tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, "ep=dev-1", 8));
    TML_ASSERT_OK(tml_coap_add_uint(&m, TML_COAP_OPT_CONTENT_FORMAT, TML_LWM2M_CF_LINK));
    TML_ASSERT_OK(tml_coap_add_uint(&m, TML_COAP_OPT_BLOCK2, tml_coap_block_encode(70000, true, 6)));
    char longq[300];
    memset(longq, 'q', sizeof(longq));
    TML_ASSERT_OK(tml_coap_add_opt(&m, TML_COAP_OPT_URI_QUERY, longq, sizeof(longq)));
    m.payload = (const uint8_t *)"</1/0>";
    m.payload_len = 6;
    uint8_t buf[512];
    size_t len;
    TML_ASSERT_OK(tml_coap_build(&m, buf, sizeof(buf), &len, NULL));
    tml_coap_msg_t p;
    TML_ASSERT_OK(tml_coap_parse(buf, len, &p, NULL));
    assert_int_equal(p.mid, 0xBEEF);
    assert_int_equal(p.code, TML_COAP_POST);
    assert_int_equal(p.tkl, 4);
    char path[64];
    TML_ASSERT_OK(tml_coap_get_path(&p, TML_COAP_OPT_URI_PATH, path, sizeof(path)));
    assert_string_equal(path, "/rd/abc");
    uint32_t cf, b2, num;
    bool more;
    unsigned szx;
    assert_true(tml_coap_get_uint(&p, TML_COAP_OPT_CONTENT_FORMAT, &cf));
    assert_int_equal(cf, 40);
    assert_true(tml_coap_get_uint(&p, TML_COAP_OPT_BLOCK2, &b2));
    assert_true(tml_coap_block_decode(b2, &num, &more, &szx));
    assert_int_equal(num, 70000);
    assert_true(more);
    assert_int_equal(szx, 6);
    size_t it = 0;
    assert_non_null(tml_coap_find(&p, TML_COAP_OPT_URI_QUERY, &it));
    const tml_coap_opt_t *q2 = tml_coap_find(&p, TML_COAP_OPT_URI_QUERY, &it);
    assert_non_null(q2);
    assert_int_equal(q2->len, 300);
    assert_int_equal(p.payload_len, 6);
    /* Every truncation inside the options is caught. */
    for (size_t cut = 0; cut < len - 7; cut++) {
        tml_err_t err;
        tml_err_clear(&err);
        tml_status_t st = tml_coap_parse(buf, cut, &p, &err);
        if (st == TML_OK && cut > 8) {
            /* A cut exactly between two options is a shorter valid message. */
            continue;
        }
    }
    const uint8_t bad_ver[] = {0x80, 0x01, 0, 1};
    TML_ASSERT_STATUS(tml_coap_parse(bad_ver, 4, &p, NULL), TML_ERR_CORRUPT);
    const uint8_t bad_tkl[] = {0x49, 0x01, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    TML_ASSERT_STATUS(tml_coap_parse(bad_tkl, sizeof(bad_tkl), &p, NULL), TML_ERR_CORRUPT);
    const uint8_t marker[] = {0x40, 0x01, 0, 1, 0xFF};
    TML_ASSERT_STATUS(tml_coap_parse(marker, sizeof(marker), &p, NULL), TML_ERR_CORRUPT);
    const uint8_t past[] = {0x40, 0x01, 0, 1, 0xB5, 'a'};
    TML_ASSERT_STATUS(tml_coap_parse(past, sizeof(past), &p, NULL), TML_ERR_CORRUPT);
    const uint8_t nib15[] = {0x40, 0x01, 0, 1, 0xF1, 'a'};
    TML_ASSERT_STATUS(tml_coap_parse(nib15, sizeof(nib15), &p, NULL), TML_ERR_CORRUPT);
    TML_ASSERT_STATUS(tml_coap_build(&m, buf, 20, &len, NULL), TML_ERR_NOMEM);
}

static uint8_t *passthrough_package(size_t *len)
{
    tml_ir_graph_t g;
    TML_ASSERT_OK(tml_ir_init(&g, "passthrough"));
    int32_t dims[2] = {1, 8}, x;
    TML_ASSERT_OK(tml_ir_add_tensor(&g, "x", TML_DT_I8, 2, dims, &x));
    TML_ASSERT_OK(tml_ir_set_io(&g, &x, 1, &x, 1));
    tml_lowered_t lw = {0};
    tml_plan_t plan;
    TML_ASSERT_OK(tml_plan_arena(&g, &lw, &plan, NULL));
    uint8_t *pkg;
    TML_ASSERT_OK(tml_package_build(&g, &lw, &plan, &pkg, len, NULL, NULL));
    tml_plan_free(&plan);
    tml_ir_free(&g);
    return pkg;
}

static void signed_package_verifies_and_refuses_tampering(void **state)
{
    (void)state;
    size_t pkg_len;
    uint8_t *pkg = passthrough_package(&pkg_len);
    uint8_t arena[64] __attribute__((aligned(16)));
    uint8_t digest[32];
    tml_err_t err;
    tml_err_clear(&err);
    TML_ASSERT_OK_ERR(tml_spkg_selftest(pkg, pkg_len, arena, sizeof(arena), digest, &err), &err);
    /* The passthrough model's output is its input: the pattern itself. */
    uint8_t pattern[8], want[32];
    tml_spkg_fill_input(TML_DT_I8, 0, 0, pattern, sizeof(pattern));
    tml_sha256(pattern, sizeof(pattern), want);
    assert_memory_equal(digest, want, 32);
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    TML_ASSERT_OK(tml_spkg_keypair(pk, sk));
    TML_ASSERT_OK(tml_spkg_keypair(pk2, sk2));
    uint8_t *spkg;
    size_t spkg_len;
    TML_ASSERT_OK(tml_spkg_sign(pkg, pkg_len, "passthrough", "1.2.3", digest, sk, &spkg, &spkg_len, &err));
    assert_int_equal(spkg_len, pkg_len + TML_SPKG_TRAILER_LEN);
    tml_spkg_info_t info;
    TML_ASSERT_OK_ERR(tml_spkg_verify(spkg, spkg_len, pk, &info, &err), &err);
    assert_string_equal(info.name, "passthrough");
    assert_string_equal(info.version, "1.2.3");
    assert_int_equal(info.pkg_len, pkg_len);
    assert_int_equal(info.flags, TML_SPKG_FLAG_SELFTEST);
    assert_memory_equal(info.selftest_sha256, digest, 32);
    /* Wrong key: AUTH. */
    tml_err_clear(&err);
    TML_ASSERT_STATUS(tml_spkg_verify(spkg, spkg_len, pk2, &info, &err), TML_ERR_AUTH);
    assert_non_null(strstr(err.msg, "signature"));
    /* Any flipped package byte: CORRUPT (digest); any flipped signed
     * trailer byte: AUTH or CORRUPT; never OK. */
    for (size_t i = 0; i < spkg_len; i += 7) {
        spkg[i] ^= 0x10;
        tml_status_t st = tml_spkg_verify(spkg, spkg_len, pk, &info, NULL);
        assert_int_not_equal(st, TML_OK);
        if (i < pkg_len)
            assert_int_equal(st, TML_ERR_CORRUPT);
        spkg[i] ^= 0x10;
    }
    /* A bare package has no trailer. */
    TML_ASSERT_STATUS(tml_spkg_verify(pkg, pkg_len, pk, &info, NULL), TML_ERR_UNSUPPORTED);
    TML_ASSERT_STATUS(tml_spkg_verify(spkg, spkg_len - 1, pk, &info, NULL), TML_ERR_UNSUPPORTED);
    char hex[65];
    tml_hex_encode(pk, 32, hex);
    uint8_t back[32];
    TML_ASSERT_OK(tml_hex_decode(hex, back, 32));
    assert_memory_equal(back, pk, 32);
    TML_ASSERT_STATUS(tml_hex_decode("zz", back, 1), TML_ERR_CORRUPT);
    tml_free(spkg);
    tml_free(pkg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paths_parse_format_and_reject),
        cmocka_unit_test_setup_teardown(tlv_decodes_the_oma_example, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(tlv_round_trips_every_type_and_width, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(tlv_rejects_damaged_input, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(senml_decodes_leshan_style_and_round_trips, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(senml_rejects_what_is_not_senml, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test_setup_teardown(text_and_opaque_single_values, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(codecs_survive_every_allocation_failure),
        cmocka_unit_test_setup_teardown(links_parse_registration_payload, tml_test_leak_setup, tml_test_leak_teardown),
        cmocka_unit_test(coap_codec_round_trip_and_rejects),
        cmocka_unit_test_setup_teardown(signed_package_verifies_and_refuses_tampering, tml_test_leak_setup, tml_test_leak_teardown),
    };
    TML_TEST_MAIN(tests);
}
