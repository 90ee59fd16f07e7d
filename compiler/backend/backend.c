/*
 * backend.c - backend choice and external compilers (see tml/backend.h).
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "firmware_internal.h"
#include "tml/backend.h"
#include "tml/fit.h"
#include "tml/session.h"

/* ---- choice ------------------------------------------------------------ */

uint32_t tml_backend_c_flash(const tml_compiled_t *c)
{
    /* Constants once each, params words, and each used kernel's own file. */
    uint64_t bytes = c->const_bytes;
    bool used[TML_K_COUNT] = {false};
    for (int i = 0; i < c->lowered.n_ops; i++) {
        bytes += (uint64_t)c->lowered.ops[i].n_params * 4u;
        if ((unsigned)c->lowered.ops[i].kernel < TML_K_COUNT)
            used[c->lowered.ops[i].kernel] = true;
    }
    for (uint32_t k = 0; k < TML_K_COUNT; k++) {
        if (!used[k])
            continue;
        bytes += tml_fit_kernel_bytes(k);
    }
    return bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)bytes;
}

void tml_backend_choose(const tml_compiled_t *c, const tml_target_t *t, bool over_the_air,
                        tml_backend_choice_t *choice)
{
    tml_fit_t fit;
    tml_fit_check(c, t, &fit);
    choice->package_flash = fit.flash_bytes;
    choice->c_flash = tml_backend_c_flash(c);
    bool package_fits = fit.fits;
    bool c_fits = choice->c_flash <= t->model_flash_bytes && fit.ram_bytes <= t->model_ram_bytes;
    if (over_the_air && package_fits) {
        choice->backend = "package";
        snprintf(choice->why, sizeof(choice->why),
                 "package: installs over the air into the running interpreter (LwM2M Software "
                 "Management) without a firmware update; %u bytes of flash with the runtime",
                 (unsigned)fit.flash_bytes);
    } else if (over_the_air && c_fits) {
        choice->backend = "c";
        snprintf(choice->why, sizeof(choice->why),
                 "c: the package needs %u bytes of flash, more than %s leaves (%u); standalone C "
                 "needs %u and ships as a firmware update (LwM2M Firmware Update)",
                 (unsigned)fit.flash_bytes, t->name, (unsigned)t->model_flash_bytes,
                 (unsigned)choice->c_flash);
    } else if (!over_the_air && c_fits) {
        choice->backend = "c";
        snprintf(choice->why, sizeof(choice->why),
                 "c: built into the firmware, standalone C takes %u bytes of flash against %u for "
                 "the package and its interpreter, and skips the interpreter's dispatch",
                 (unsigned)choice->c_flash, (unsigned)fit.flash_bytes);
    } else {
        choice->backend = "package";
        snprintf(choice->why, sizeof(choice->why), "package (does not fit %s: %s)", t->name,
                 fit.reason[0] ? fit.reason : "not enough flash for either backend");
    }
}

/* ---- configuration ---------------------------------------------------- */

static void free_backend(tml_external_backend_t *b)
{
    tml_free(b->name);
    tml_free(b->description);
    for (int i = 0; i < b->n_command; i++)
        tml_free(b->command[i]);
    tml_free(b->command);
    for (int i = 0; i < b->n_targets; i++)
        tml_free(b->targets[i]);
    tml_free(b->targets);
}

void tml_backend_config_free(tml_backend_config_t *cfg)
{
    if (!cfg)
        return;
    for (int i = 0; i < cfg->n_backends; i++)
        free_backend(&cfg->backends[i]);
    tml_free(cfg->backends);
    memset(cfg, 0, sizeof(*cfg));
}

/* Copies a JSON array of strings; NULL on a non-string or out of memory. */
static char **strings_of(json_t *array, int *n, tml_status_t *st)
{
    *n = (int)json_array_size(array);
    char **out = tml_calloc((size_t)*n + 1, sizeof(char *));
    if (!out) {
        *st = TML_ERR_NOMEM;
        return NULL;
    }
    for (int i = 0; i < *n; i++) {
        const char *s = json_string_value(json_array_get(array, (size_t)i));
        if (!s || !(out[i] = tml_strdup(s))) {
            *st = s ? TML_ERR_NOMEM : TML_ERR_CORRUPT;
            for (int j = 0; j < i; j++)
                tml_free(out[j]);
            tml_free(out);
            return NULL;
        }
    }
    return out;
}

static tml_status_t parse_backend(json_t *obj, tml_external_backend_t *b, tml_err_t *err)
{
    json_t *name = json_object_get(obj, "name"), *command = json_object_get(obj, "command");
    json_t *accepts = json_object_get(obj, "accepts"), *produces = json_object_get(obj, "produces");
    json_t *targets = json_object_get(obj, "targets"), *timeout = json_object_get(obj, "timeout_s");
    json_t *desc = json_object_get(obj, "description");
    if (!json_is_string(name) || !json_string_length(name))
        return tml_err_set(err, TML_ERR_CORRUPT, "\"name\" must be a non-empty string");
    if (!json_is_array(command) || json_array_size(command) == 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "\"command\" must be a non-empty array of strings");
    if (!json_is_array(accepts) || json_array_size(accepts) == 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "\"accepts\" must list tflite, onnx or package");
    if (!json_is_string(produces) || (strcmp(json_string_value(produces), "package") &&
                                      strcmp(json_string_value(produces), "c")))
        return tml_err_set(err, TML_ERR_CORRUPT, "\"produces\" must be \"package\" or \"c\"");
    if (!json_is_array(targets) || json_array_size(targets) == 0)
        return tml_err_set(err, TML_ERR_CORRUPT, "\"targets\" must list targets, cores or \"*\"");
    if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1 ||
                    json_integer_value(timeout) > 3600))
        return tml_err_set(err, TML_ERR_CORRUPT, "\"timeout_s\" must be 1..3600");
    tml_status_t st = TML_OK;
    b->name = tml_strdup(json_string_value(name));
    b->description = tml_strdup(json_is_string(desc) ? json_string_value(desc) : "");
    if (!b->name || !b->description)
        return tml_err_set(err, TML_ERR_NOMEM, "out of memory");
    b->command = strings_of(command, &b->n_command, &st);
    if (b->command)
        b->targets = strings_of(targets, &b->n_targets, &st);
    if (!b->command || !b->targets)
        return tml_err_set(err, st, "\"command\" and \"targets\" must hold strings only");
    for (size_t i = 0; i < json_array_size(accepts); i++) {
        const char *a = json_string_value(json_array_get(accepts, i));
        if (a && !strcmp(a, "tflite"))
            b->accepts_tflite = true;
        else if (a && !strcmp(a, "onnx"))
            b->accepts_onnx = true;
        else if (a && !strcmp(a, "package"))
            b->accepts_package = true;
        else
            return tml_err_set(err, TML_ERR_CORRUPT, "\"accepts\": unknown input \"%s\"", a ? a : "?");
    }
    b->produces_package = !strcmp(json_string_value(produces), "package");
    b->timeout_s = timeout ? (int)json_integer_value(timeout) : 60;
    return TML_OK;
}

tml_status_t tml_backend_config_load(const char *path, tml_backend_config_t *cfg, tml_err_t *err)
{
    memset(cfg, 0, sizeof(*cfg));
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return tml_err_set(err, TML_ERR_CORRUPT, "%s:%d: %s", path, jerr.line, jerr.text);
    json_t *list = json_object_get(root, "backends");
    tml_status_t st = TML_OK;
    if (!json_is_array(list)) {
        st = tml_err_set(err, TML_ERR_CORRUPT, "%s: needs a \"backends\" array", path);
    } else {
        size_t n = json_array_size(list);
        cfg->backends = tml_calloc(n + 1, sizeof(tml_external_backend_t));
        if (!cfg->backends)
            st = tml_err_set(err, TML_ERR_NOMEM, "%s: out of memory", path);
        for (size_t i = 0; i < n && st == TML_OK; i++) {
            cfg->n_backends++;
            st = parse_backend(json_array_get(list, i), &cfg->backends[i], err);
            if (st != TML_OK)
                tml_err_wrap(err, "%s: backend %zu", path, i);
            for (size_t j = 0; j < i && st == TML_OK; j++)
                if (!strcmp(cfg->backends[j].name, cfg->backends[i].name))
                    st = tml_err_set(err, TML_ERR_CORRUPT, "%s: backend \"%s\" declared twice",
                                     path, cfg->backends[i].name);
        }
    }
    json_decref(root);
    if (st != TML_OK)
        tml_backend_config_free(cfg);
    return st;
}

const tml_external_backend_t *tml_backend_config_find(const tml_backend_config_t *cfg,
                                                      const char *name)
{
    for (int i = 0; cfg && i < cfg->n_backends; i++)
        if (!strcmp(cfg->backends[i].name, name))
            return &cfg->backends[i];
    return NULL;
}

bool tml_external_serves(const tml_external_backend_t *b, const tml_target_t *t)
{
    for (int i = 0; i < b->n_targets; i++)
        if (!strcmp(b->targets[i], "*") || (t && (!strcmp(b->targets[i], t->name) ||
                                                  !strcmp(b->targets[i], t->core))))
            return true;
    return false;
}

/* ---- running ---------------------------------------------------------- */

/* Expands {placeholders} in one template argument. */
static tml_status_t expand(const char *tmpl, const tml_external_job_t *job, const char *pkg_path,
                           tml_argv_t *argv, tml_err_t *err)
{
    char out[4096];
    size_t pos = 0;
    for (const char *p = tmpl; *p;) {
        const char *value = NULL;
        size_t skip = 0;
        static const char *const keys[] = {"{model}", "{package}", "{out}", "{name}",
                                           "{target}", "{core}", "{tml}"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]) && !value; k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(p, keys[k], n) != 0)
                continue;
            skip = n;
            switch (k) {
            case 0: value = job->model_path; break;
            case 1: value = pkg_path; break;
            case 2: value = job->out; break;
            case 3: value = job->name; break;
            case 4: value = job->target ? job->target->name : ""; break;
            case 5: value = job->target ? job->target->core : ""; break;
            default: value = job->tml_path; break;
            }
            if (!value)
                return tml_err_set(err, TML_ERR_ARG, "%s has no value for this job", keys[k]);
        }
        if (value) {
            size_t n = strlen(value);
            if (pos + n >= sizeof(out))
                return tml_err_set(err, TML_ERR_ARG, "argument too long");
            memcpy(out + pos, value, n);
            pos += n;
            p += skip;
        } else {
            if (pos + 1 >= sizeof(out))
                return tml_err_set(err, TML_ERR_ARG, "argument too long");
            out[pos++] = *p++;
        }
    }
    out[pos] = '\0';
    return tml_argv_add(argv, "%s", out);
}

static void append_log(const char *log_path, tml_err_t *err)
{
    uint8_t *log;
    size_t len;
    if (tml_file_read(log_path, &log, &len, NULL) != TML_OK)
        return;
    const char *tail = (const char *)log + (len > 300 ? len - 300 : 0);
    if (err && len) {
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof(err->msg) - used, " (backend said: %s)", tail);
    }
    tml_free(log);
}

/* What a C backend must leave: <name>.c and <name>.h that compile. */
static tml_status_t check_c_output(const tml_external_job_t *job, const char *log_path,
                                   tml_err_t *err)
{
    char path[4096];
    struct stat st_buf;
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s.%c", job->out, job->name, i ? 'h' : 'c');
        if (stat(path, &st_buf) != 0)
            return tml_err_set(err, TML_ERR_CORRUPT, "produced no %s", path);
    }
    tml_argv_t argv = {0};
    tml_status_t st = tml_argv_add(&argv, "cc");
    if (st == TML_OK) st = tml_argv_add(&argv, "-std=c99");
    if (st == TML_OK) st = tml_argv_add(&argv, "-fsyntax-only");
    if (st == TML_OK) st = tml_argv_add(&argv, "-I%s", job->out);
    if (st == TML_OK) st = tml_argv_add(&argv, "%s/%s.c", job->out, job->name);
    int status = -1;
    if (st == TML_OK)
        st = tml_proc_run(&argv, NULL, log_path, 60000, &status, err);
    tml_argv_free(&argv);
    if (st == TML_OK && status != 0) {
        st = tml_err_set(err, TML_ERR_CORRUPT, "its %s.c does not compile", job->name);
        append_log(log_path, err);
    }
    return st;
}

tml_status_t tml_external_run(const tml_external_backend_t *b, const tml_external_job_t *job,
                              tml_err_t *err)
{
    char *tmp = NULL;
    char pkg_path[4096] = "", log_path[4096] = "";
    tml_argv_t argv = {0};
    tml_status_t st = tml_tmpdir_create("tml-backend", &tmp, err);
    if (st == TML_OK) {
        snprintf(log_path, sizeof(log_path), "%s/backend.log", tmp);
        if (job->pkg) {
            snprintf(pkg_path, sizeof(pkg_path), "%s/model.tmlm", tmp);
            st = tml_file_write(pkg_path, job->pkg, job->pkg_len, err);
        }
    }
    for (int i = 0; i < b->n_command && st == TML_OK; i++)
        st = expand(b->command[i], job, pkg_path[0] ? pkg_path : NULL, &argv, err);
    int status = -1;
    if (st == TML_OK)
        st = tml_proc_run(&argv, NULL, log_path, b->timeout_s * 1000, &status, err);
    if (st == TML_ERR_TIMEOUT) {
        tml_err_clear(err);
        st = tml_err_set(err, TML_ERR_TIMEOUT, "ran past its %d s limit and was stopped", b->timeout_s);
    } else if (st == TML_OK && status != 0) {
        st = tml_err_set(err, TML_ERR_INTERNAL, "exited with status %d", status);
        append_log(log_path, err);
    }
    if (st == TML_OK && b->produces_package) {
        /* The runtime's own loader is the judge of a package. */
        uint8_t *pkg;
        size_t len;
        st = tml_file_read(job->out, &pkg, &len, err);
        if (st == TML_OK) {
            tml_session_t s;
            st = tml_session_open(&s, pkg, len, err);
            if (st == TML_OK)
                tml_session_close(&s);
            else
                tml_err_wrap(err, "its package was refused");
            tml_free(pkg);
        }
    } else if (st == TML_OK) {
        st = check_c_output(job, log_path, err);
    }
    tml_argv_free(&argv);
    tml_tmpdir_remove(tmp);
    tml_free(tmp);
    if (st != TML_OK)
        tml_err_wrap(err, "backend %s", b->name);
    return st;
}
