/*
 * test_static.c - which URL paths the dashboard's file handler serves
 * (server/http/static.c), on a throw-away tree: web/ files with their
 * content types, the listed vendor files, and refusals for everything else
 * (traversal, encoded tricks, dot files, directories, unknown extensions,
 * vendor files not on the list, symlinks leading out of the tree). The
 * browser test (dashboard.test.mjs) checks the same over real HTTP.
 */
#define _XOPEN_SOURCE 700 /* mkdtemp, symlink */
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/static.h"
#include "tml_test.h"

static char root[PATH_MAX];

static void put(const char *rel, const char *text)
{
    char p[PATH_MAX + 200];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void dir(const char *rel)
{
    char p[PATH_MAX + 200];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(mkdir(p, 0700), 0);
}

static void link_to(const char *target, const char *rel)
{
    char p[PATH_MAX + 200];
    snprintf(p, sizeof(p), "%s/%s", root, rel);
    assert_int_equal(symlink(target, p), 0);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof(root), "/tmp/tml_static_XXXXXX");
    if (!mkdtemp(root))
        return -1;
    dir("web");
    dir("web/js");
    dir("web/js/pages");
    dir("node_modules");
    dir("node_modules/uplot");
    dir("node_modules/uplot/dist");
    put("web/index.html", "<!doctype html>");
    put("web/app.css", "body{}");
    put("web/js/main.js", "export {}");
    put("web/js/pages/fleet.js", "export {}");
    put("web/favicon.svg", "<svg/>");
    put("web/.secret.js", "no");
    put("web/notes.md", "no");
    put("secret.html", "outside web/");
    put("node_modules/uplot/dist/uPlot.esm.js", "export default 1");
    put("node_modules/uplot/dist/uPlot.min.css", ".u{}");
    put("node_modules/uplot/package.json", "{}");
    link_to("../secret.html", "web/escape.html");
    link_to("/etc", "web/etc");
    link_to("js/main.js", "web/inside.js"); /* a symlink within the tree is fine */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 20];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_file(const char *url, const char *rel, const char *type)
{
    char out[PATH_MAX], want[PATH_MAX + 200], real_want[PATH_MAX];
    const char *ct = NULL;
    tml_status_t st = tml_static_resolve(root, url, out, sizeof(out), &ct);
    if (st != TML_OK)
        fail_msg("%s: %s, expected %s", url, tml_strerror(st), rel);
    snprintf(want, sizeof(want), "%s/%s", root, rel);
    assert_non_null(realpath(want, real_want));
    assert_string_equal(out, real_want);
    assert_string_equal(ct, type);
}

static void expect_refused(const char *url)
{
    char out[PATH_MAX];
    const char *ct = NULL;
    tml_status_t st = tml_static_resolve(root, url, out, sizeof(out), &ct);
    if (st != TML_ERR_NOT_FOUND)
        fail_msg("%s: %s, expected NOT_FOUND (resolved to %s)", url, tml_strerror(st), st == TML_OK ? out : "-");
}

static void test_serves_files(void **state)
{
    (void)state;
    expect_file("/", "web/index.html", "text/html; charset=utf-8");
    expect_file("/index.html", "web/index.html", "text/html; charset=utf-8");
    expect_file("/app.css", "web/app.css", "text/css; charset=utf-8");
    expect_file("/js/main.js", "web/js/main.js", "text/javascript; charset=utf-8");
    expect_file("/js/pages/fleet.js", "web/js/pages/fleet.js", "text/javascript; charset=utf-8");
    expect_file("/favicon.svg", "web/favicon.svg", "image/svg+xml");
    expect_file("/inside.js", "web/js/main.js", "text/javascript; charset=utf-8");
    expect_file("/vendor/uplot/uPlot.esm.js", "node_modules/uplot/dist/uPlot.esm.js",
                "text/javascript; charset=utf-8");
    expect_file("/vendor/uplot/uPlot.min.css", "node_modules/uplot/dist/uPlot.min.css",
                "text/css; charset=utf-8");
}

static void test_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",                              /* not absolute */
        "index.html",
        "/..",                           /* traversal */
        "/../secret.html",
        "/js/../../secret.html",
        "/js/./main.js",
        "/%2e%2e/secret.html",           /* MHD decodes once; what is left is refused */
        "/%252e%252e/secret.html",
        "/js%2fmain.js",
        "/js\\..\\..\\secret.html",
        "//etc/passwd",
        "/js//main.js",
        "/js/",                          /* directories: no listing */
        "/js",
        "/vendor/",
        "/.secret.js",                   /* dot files */
        "/notes.md",                     /* unknown extension */
        "/escape.html",                  /* symlink out of web/ */
        "/etc/passwd",                   /* symlinked directory out of web/ */
        "/vendor/uplot/package.json",    /* not on the vendor list */
        "/vendor/uplot/dist/uPlot.esm.js",
        "/vendor/../secret.html",
        "/missing.js",
        "/index.html ",
        "/in dex.html",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refused(bad[i]);
    char out[PATH_MAX];
    const char *ct;
    assert_int_equal(tml_static_resolve(NULL, "/", out, sizeof(out), &ct), TML_ERR_NOT_FOUND);
    assert_int_equal(tml_static_resolve(root, NULL, out, sizeof(out), &ct), TML_ERR_NOT_FOUND);
    char tiny[8];
    assert_int_equal(tml_static_resolve(root, "/index.html", tiny, sizeof(tiny), &ct), TML_ERR_NOT_FOUND);
}

/* The real tree: every file web/index.html names is served. */
static void test_source_tree(void **state)
{
    (void)state;
    char out[PATH_MAX];
    const char *ct;
    static const char *const urls[] = {"/", "/app.css", "/favicon.svg", "/js/main.js", "/js/charts.js"};
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++)
        TML_ASSERT_OK(tml_static_resolve(TML_SOURCE_DIR, urls[i], out, sizeof(out), &ct));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serves_files),
        cmocka_unit_test(test_refuses),
        cmocka_unit_test(test_source_tree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
