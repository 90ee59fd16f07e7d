/*
 * pkg.c - serving packages to devices by content hash, with Block2.
 *
 * A package lives at pkg/<sha256 hex>; its ETag is the first 8 bytes of the
 * digest, so a device resuming a download can tell whether the bytes it
 * already has belong to the same package. Blocks are cut by hand (libcoap's
 * own block mode is off) so any block can be asked for in any order.
 */
#include <stdio.h>
#include <string.h>

#include "server_internal.h"
#include "tml/rt.h"
#include "tml/signed_pkg.h"

static void hnd_pkg_get(coap_resource_t *r, coap_session_t *s, const coap_pdu_t *req,
                        const coap_string_t *query, coap_pdu_t *resp)
{
    (void)s;
    (void)query;
    srv_pkg_t *p = coap_resource_get_userdata(r);
    if (!p) {
        coap_pdu_set_code(resp, COAP_RESPONSE_CODE_NOT_FOUND);
        return;
    }
    uint32_t num = 0, szx = 6;
    coap_opt_iterator_t it;
    coap_opt_t *o = coap_check_option(req, COAP_OPTION_BLOCK2, &it);
    if (o) {
        uint32_t v = coap_decode_var_bytes(coap_opt_value(o), coap_opt_length(o));
        num = v >> 4;
        szx = v & 7;
        if (szx > 6)
            szx = 6;
    }
    size_t size = (size_t)16 << szx;
    size_t off = (size_t)num * size;
    if (num > 0 && off >= p->len) {
        coap_pdu_set_code(resp, COAP_RESPONSE_CODE_BAD_OPTION);
        coap_add_data(resp, 22, (const uint8_t *)"block beyond the end");
        return;
    }
    size_t n = p->len - off < size ? p->len - off : size;
    bool more = off + n < p->len;
    uint8_t buf[8];
    coap_pdu_set_code(resp, COAP_RESPONSE_CODE_CONTENT);
    coap_add_option(resp, COAP_OPTION_ETAG, sizeof(p->etag), p->etag);
    coap_add_option(resp, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buf, sizeof(buf), COAP_MEDIATYPE_APPLICATION_OCTET_STREAM), buf);
    coap_add_option(resp, COAP_OPTION_BLOCK2,
                    coap_encode_var_safe(buf, sizeof(buf), num << 4 | (more ? 8u : 0u) | szx), buf);
    if (num == 0)
        coap_add_option(resp, COAP_OPTION_SIZE2, coap_encode_var_safe(buf, sizeof(buf), (unsigned)p->len), buf);
    coap_add_data(resp, n, p->data + off);
    p->srv->blocks_served++;
}

tml_status_t tml_lwm2m_server_add_package(tml_lwm2m_server_t *srv, const uint8_t *data, size_t len,
                                          char *uri_path, size_t cap, tml_err_t *err)
{
    if (!srv || (!data && len) || !uri_path || cap < 70)
        return tml_err_set(err, TML_ERR_ARG, "add_package: bad argument");
    uint8_t digest[32];
    tml_sha256(data, len, digest);
    char hex[65];
    tml_hex_encode(digest, 32, hex);
    char path[72];
    snprintf(path, sizeof(path), "pkg/%s", hex);
    snprintf(uri_path, cap, "/%s", path);
    for (srv_pkg_t *p = srv->pkgs; p; p = p->next)
        if (!strcmp(p->path, path))
            return TML_OK;
    srv_pkg_t *p = tml_calloc(1, sizeof(*p));
    if (!p)
        return tml_err_set(err, TML_ERR_NOMEM, "add_package: out of memory");
    p->data = tml_malloc(len ? len : 1);
    if (!p->data) {
        tml_free(p);
        return tml_err_set(err, TML_ERR_NOMEM, "add_package: out of memory");
    }
    memcpy(p->data, data, len);
    p->len = len;
    memcpy(p->etag, digest, 8);
    snprintf(p->path, sizeof(p->path), "%s", path);
    p->srv = srv;
    p->res = coap_resource_init(coap_new_str_const((const uint8_t *)p->path, strlen(p->path)),
                                COAP_RESOURCE_FLAGS_RELEASE_URI);
    if (!p->res) {
        tml_free(p->data);
        tml_free(p);
        return tml_err_set(err, TML_ERR_NOMEM, "add_package: out of memory");
    }
    coap_resource_set_userdata(p->res, p);
    coap_register_handler(p->res, COAP_REQUEST_GET, hnd_pkg_get);
    coap_add_resource(srv->ctx, p->res);
    p->next = srv->pkgs;
    srv->pkgs = p;
    return TML_OK;
}

tml_status_t tml_lwm2m_server_remove_package(tml_lwm2m_server_t *srv, const char *uri_path)
{
    if (!srv || !uri_path)
        return TML_ERR_ARG;
    const char *path = uri_path[0] == '/' ? uri_path + 1 : uri_path;
    for (srv_pkg_t **pp = &srv->pkgs; *pp; pp = &(*pp)->next) {
        srv_pkg_t *p = *pp;
        if (!strcmp(p->path, path)) {
            *pp = p->next;
            coap_delete_resource(srv->ctx, p->res);
            tml_free(p->data);
            tml_free(p);
            return TML_OK;
        }
    }
    return TML_ERR_NOT_FOUND;
}

void srv_pkgs_free(tml_lwm2m_server_t *srv)
{
    while (srv->pkgs) {
        srv_pkg_t *p = srv->pkgs;
        srv->pkgs = p->next;
        tml_free(p->data); /* the resource goes with the context */
        tml_free(p);
    }
}
