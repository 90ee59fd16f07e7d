/*
 * cli_model.c - see cli_model.h.
 */
#include "cli_model.h"

tml_status_t tml_cli_load_package(const char *path, const tml_compile_opts_t *opts,
                                  uint8_t **pkg, size_t *pkg_len, tml_err_t *err)
{
    uint8_t *buf;
    size_t len;
    *pkg = NULL;
    *pkg_len = 0;
    tml_status_t st = tml_file_read(path, &buf, &len, err);
    if (st != TML_OK)
        return st;
    if (tml_model_sniff(buf, len, path) == TML_FORMAT_PACKAGE) {
        *pkg = buf;
        *pkg_len = len;
        return TML_OK;
    }
    tml_ir_graph_t g;
    st = tml_model_import(buf, len, path, &g, err);
    tml_free(buf);
    if (st != TML_OK)
        return st;
    tml_compiled_t c;
    st = tml_compile_graph(&g, opts, &c, err);
    if (st != TML_OK)
        return st;
    *pkg = c.pkg;
    *pkg_len = c.pkg_len;
    c.pkg = NULL;
    tml_compiled_free(&c);
    return TML_OK;
}
