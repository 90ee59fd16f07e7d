/*
 * backend.h - choosing a backend, and compilers run as external processes.
 *
 * Built-in backends: "package" (a .tmlm the device's interpreter runs; the
 * only kind a running device installs over the air, through LwM2M Software
 * Management) and "c" (standalone C compiled into the firmware: less flash
 * and no interpretation, but installed only with a firmware update).
 * tml_backend_choose picks one for a target and says why.
 *
 * External backends are declared in a JSON file (docs/backends.md has the
 * contract): a command template, what it accepts (tflite, onnx, package),
 * what it produces (package or c), which targets it serves and a time limit.
 * tml runs it as a child process, without a shell, and checks its output the
 * same way as its own: a package must pass the runtime's loader, C sources
 * must compile.
 */
#ifndef TML_BACKEND_H
#define TML_BACKEND_H

#include <stdbool.h>

#include "tml/compiler.h"
#include "tml/target.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tml_backend_choice {
    const char *backend;      /* "package" or "c" */
    uint32_t package_flash;   /* package + interpreter and kernels */
    uint32_t c_flash;         /* weights, params and the kernels used */
    char why[384];
} tml_backend_choice_t;

/* over_the_air: the model goes to a running device through LwM2M. */
void tml_backend_choose(const tml_compiled_t *c, const tml_target_t *t, bool over_the_air,
                        tml_backend_choice_t *choice);

/* Flash bytes of the "c" backend's output: constants, params, kernel code. */
uint32_t tml_backend_c_flash(const tml_compiled_t *c);

typedef struct tml_external_backend {
    char *name;
    char *description;
    char **command;           /* argv template with {placeholders} */
    int n_command;
    bool accepts_tflite, accepts_onnx, accepts_package;
    bool produces_package;    /* else produces C sources in a directory */
    char **targets;           /* target names, cores ("cortex-m4") or "*" */
    int n_targets;
    int timeout_s;
} tml_external_backend_t;

typedef struct tml_backend_config {
    tml_external_backend_t *backends;
    int n_backends;
} tml_backend_config_t;

/* Reads a backends file; every field is checked and errors name the entry. */
tml_status_t tml_backend_config_load(const char *path, tml_backend_config_t *cfg, tml_err_t *err);
void tml_backend_config_free(tml_backend_config_t *cfg);
const tml_external_backend_t *tml_backend_config_find(const tml_backend_config_t *cfg,
                                                      const char *name);
/* Whether b serves target t (by name, core, or "*"). */
bool tml_external_serves(const tml_external_backend_t *b, const tml_target_t *t);

typedef struct tml_external_job {
    const char *model_path;   /* the model file ({model}) */
    const uint8_t *pkg;       /* our package, for backends that take one ({package}) */
    size_t pkg_len;
    const tml_target_t *target;
    const char *name;         /* {name}: a C identifier for generated symbols */
    const char *out;          /* {out}: the file (package) or directory (c) to produce */
    const char *tml_path;     /* {tml}: this tml executable */
} tml_external_job_t;

/* Runs b on job with b's time limit, then checks what it produced. The
 * backend's own output (stdout and stderr) ends the error message on failure. */
tml_status_t tml_external_run(const tml_external_backend_t *b, const tml_external_job_t *job,
                              tml_err_t *err);

#ifdef __cplusplus
}
#endif
#endif /* TML_BACKEND_H */
