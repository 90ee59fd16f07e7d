/*
 * static.c - serves the dashboard (see static.h).
 *
 * The URL space is small and closed: "/" is web/index.html, "/vendor/..."
 * are the exact library files listed in vendor[] below (from node_modules/,
 * which the build fills with `npm install`), and every other path names a
 * file under web/ directly. Nothing is listed, nothing is guessed: a path
 * is refused before touching the file system if any segment is empty,
 * starts with '.', or holds '%' or '\' (MHD has already decoded %XX once,
 * so an encoded "..%2f" arrives as a '%'), and the file's real path must
 * still lie inside the real path of its root, so a symlink cannot lead out
 * of the tree. Only regular files with a known extension are sent.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "static.h"

/* The library files the pages import, by URL, and where npm puts them. */
static const struct {
    const char *url;
    const char *path; /* under node_modules/ */
} vendor[] = {
    {"/vendor/uplot/uPlot.esm.js", "uplot/dist/uPlot.esm.js"},
    {"/vendor/uplot/uPlot.min.css", "uplot/dist/uPlot.min.css"},
    {"/vendor/uplot/LICENSE", "uplot/LICENSE"},
};

static const struct {
    const char *ext;
    const char *type;
} types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {"LICENSE", "text/plain; charset=utf-8"},
};

/* The content type for a file name, NULL for extensions we do not serve. */
static const char *content_type_of(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext))
            return types[i].type;
    }
    return NULL;
}

/* Whether url is a plain absolute path of non-empty, non-dot segments made
 * of harmless characters. */
static bool safe_path(const char *url)
{
    if (url[0] != '/')
        return false;
    const char *seg = url + 1;
    for (;;) {
        const char *slash = strchr(seg, '/');
        size_t len = slash ? (size_t)(slash - seg) : strlen(seg);
        if (len == 0 || seg[0] == '.')
            return false;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)seg[i];
            if (c < 0x21 || c >= 0x7f || c == '%' || c == '\\')
                return false;
        }
        if (!slash)
            return true;
        seg = slash + 1;
    }
}

/* Whether the real path of file lies strictly inside the real path of root. */
static bool inside(const char *root, const char *file, char *real_file, size_t n)
{
    char real_root[PATH_MAX], real[PATH_MAX];
    if (!realpath(root, real_root) || !realpath(file, real))
        return false;
    size_t rl = strlen(real_root);
    if (strncmp(real, real_root, rl) != 0 || real[rl] != '/')
        return false;
    if (strlen(real) >= n)
        return false;
    memcpy(real_file, real, strlen(real) + 1);
    return true;
}

tml_status_t tml_static_resolve(const char *source_dir, const char *url, char *out, size_t n,
                                const char **content_type)
{
    if (!source_dir || !url || strlen(url) > 512)
        return TML_ERR_NOT_FOUND;
    if (!strcmp(url, "/"))
        url = "/index.html";
    char root[PATH_MAX], file[PATH_MAX + 600];
    const char *rel = NULL;
    if (!strncmp(url, "/vendor/", 8)) {
        for (size_t i = 0; i < sizeof(vendor) / sizeof(vendor[0]); i++)
            if (!strcmp(url, vendor[i].url))
                rel = vendor[i].path;
        if (!rel)
            return TML_ERR_NOT_FOUND;
        snprintf(root, sizeof(root), "%s/node_modules", source_dir);
    } else {
        if (!safe_path(url))
            return TML_ERR_NOT_FOUND;
        rel = url + 1;
        snprintf(root, sizeof(root), "%s/web", source_dir);
    }
    const char *type = content_type_of(rel);
    if (!type)
        return TML_ERR_NOT_FOUND;
    snprintf(file, sizeof(file), "%s/%s", root, rel);
    struct stat sb;
    if (!inside(root, file, out, n) || stat(out, &sb) != 0 || !S_ISREG(sb.st_mode))
        return TML_ERR_NOT_FOUND;
    *content_type = type;
    return TML_OK;
}

/* Errors have the API's JSON shape, so a client that strays outside
 * /api/v1/ still gets an answer it can parse. */
static const char not_found[] =
    "{\"error\":{\"status\":404,\"code\":\"not_found\",\"message\":\"no such file: the dashboard "
    "serves the files of web/, and the API lives under /api/v1/\"}}\n";
static const char read_only[] =
    "{\"error\":{\"status\":405,\"code\":\"method_not_allowed\",\"message\":\"the dashboard's "
    "files are read-only (allowed: GET, HEAD)\"}}\n";

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *json,
                                  const char *allow)
{
    struct MHD_Response *mr =
        MHD_create_response_from_buffer(strlen(json), (void *)json, MHD_RESPMEM_PERSISTENT);
    if (!mr)
        return MHD_NO;
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    if (allow)
        MHD_add_response_header(mr, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result ok = MHD_queue_response(conn, status, mr);
    MHD_destroy_response(mr);
    return ok;
}

enum MHD_Result tml_static_serve(tml_service_t *svc, struct MHD_Connection *conn, const char *url,
                                 const char *method)
{
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(conn, 405, read_only, "GET, HEAD");
    char path[PATH_MAX];
    const char *type = NULL;
    if (tml_static_resolve(svc->source_dir, url, path, sizeof(path), &type) != TML_OK)
        return send_error(conn, 404, not_found, NULL);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return send_error(conn, 404, not_found, NULL);
    }
    struct MHD_Response *mr = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!mr) {
        close(fd);
        return MHD_NO;
    }
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(mr, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(mr, "Referrer-Policy", "no-referrer");
    /* The files change with the tree, not per deploy: always revalidate. */
    MHD_add_response_header(mr, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    /* Everything the pages need comes from here; uPlot styles elements
     * through the CSSOM, which 'self' allows. */
    MHD_add_response_header(mr, "Content-Security-Policy",
                            "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
                            "object-src 'none'; base-uri 'none'; frame-ancestors 'none'");
    enum MHD_Result ok = MHD_queue_response(conn, MHD_HTTP_OK, mr);
    MHD_destroy_response(mr);
    return ok;
}
