/*
 * calib.c - calibration and evaluation sets from .npy files (see
 * tml/quant.h).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "quant_internal.h"
#include "tml/npy.h"

void tml_calib_free(tml_calib_set_t *set)
{
    if (!set)
        return;
    for (int i = 0; set->data && i < set->n_samples * set->n_inputs; i++)
        tml_free(set->data[i]);
    tml_free(set->data);
    tml_free(set->labels);
    memset(set, 0, sizeof(*set));
}

/* Appends the samples of one .npy file. */
static tml_status_t add_file(const char *path, int64_t per, tml_calib_set_t *set, int *cap,
                             tml_err_t *err)
{
    uint8_t *buf;
    size_t len;
    tml_status_t st = tml_file_read(path, &buf, &len, err);
    if (st != TML_OK)
        return st;
    tml_npy_t npy;
    if ((st = tml_npy_parse(buf, len, &npy, err)) != TML_OK) {
        tml_err_wrap(err, "%s", path);
        tml_free(buf);
        return st;
    }
    size_t elems = npy.data_len / 4;
    if (strcmp(npy.dtype, "f4"))
        st = tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: dtype %s, expected float32", path,
                         npy.dtype);
    else if (elems == 0 || elems % (size_t)per)
        st = tml_err_set(err, TML_ERR_ARG, "%s: %zu values are not whole samples of %lld",
                         path, elems, (long long)per);
    for (size_t off = 0; st == TML_OK && off < elems; off += (size_t)per) {
        if (set->n_samples == *cap) {
            int c = *cap ? *cap * 2 : 64;
            float **bigger = tml_realloc(set->data, (size_t)c * sizeof(float *));
            if (!bigger) {
                st = tml_err_set(err, TML_ERR_NOMEM, "calibration: out of memory");
                break;
            }
            set->data = bigger;
            *cap = c;
        }
        float *v = tml_malloc((size_t)per * 4);
        if (!v) {
            st = tml_err_set(err, TML_ERR_NOMEM, "calibration: out of memory");
            break;
        }
        memcpy(v, npy.data + off * 4, (size_t)per * 4);
        set->data[set->n_samples++] = v;
    }
    tml_free(buf);
    return st;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static tml_status_t load_labels(const char *path, tml_calib_set_t *set, tml_err_t *err)
{
    uint8_t *buf;
    size_t len;
    tml_status_t st = tml_file_read(path, &buf, &len, err);
    if (st != TML_OK)
        return st;
    tml_npy_t npy;
    if ((st = tml_npy_parse(buf, len, &npy, err)) != TML_OK) {
        tml_free(buf);
        return st;
    }
    size_t es = tml_npy_dtype_size(npy.dtype);
    bool ok = !strcmp(npy.dtype, "i8") || !strcmp(npy.dtype, "i4") || !strcmp(npy.dtype, "u1");
    if (!ok || npy.data_len / es != (size_t)set->n_samples)
        st = tml_err_set(err, TML_ERR_ARG, "%s: %zu labels of dtype %s for %d samples "
                         "(int64, int32 or uint8 wanted)", path, es ? npy.data_len / es : 0,
                         npy.dtype, set->n_samples);
    else if (!(set->labels = tml_malloc((size_t)set->n_samples * sizeof(int64_t) + 8)))
        st = tml_err_set(err, TML_ERR_NOMEM, "labels: out of memory");
    for (int i = 0; st == TML_OK && i < set->n_samples; i++) {
        if (es == 8) {
            memcpy(&set->labels[i], npy.data + 8 * (size_t)i, 8);
        } else if (es == 4) {
            int32_t v;
            memcpy(&v, npy.data + 4 * (size_t)i, 4);
            set->labels[i] = v;
        } else {
            set->labels[i] = npy.data[i];
        }
    }
    tml_free(buf);
    return st;
}

tml_status_t tml_calib_load(const char *path, const char *labels_path, const tml_ir_graph_t *g,
                            tml_calib_set_t *set, tml_err_t *err)
{
    memset(set, 0, sizeof(*set));
    if (g->n_inputs != 1)
        return tml_err_set(err, TML_ERR_UNSUPPORTED, "%s: sample files feed models with one "
                           "input; this one has %d", path, g->n_inputs);
    if (g->tensors[g->inputs[0]].dtype != TML_DT_F32)
        return tml_err_set(err, TML_ERR_ARG, "%s: the model's input is %s, not float32", path,
                           tml_dtype_name(g->tensors[g->inputs[0]].dtype));
    int64_t per = tml_ir_tensor_elems(&g->tensors[g->inputs[0]]);
    set->n_inputs = 1;
    int cap = 0;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return tml_err_set(err, TML_ERR_IO, "%s: cannot read", path);
    tml_status_t st = TML_OK;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return tml_err_set(err, TML_ERR_IO, "%s: cannot open the folder", path);
        char **names = NULL;
        int n_names = 0, cap_names = 0;
        struct dirent *e;
        while (st == TML_OK && (e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l < 5 || strcmp(e->d_name + l - 4, ".npy"))
                continue;
            if (n_names == cap_names) {
                cap_names = cap_names ? cap_names * 2 : 16;
                char **bigger = tml_realloc(names, (size_t)cap_names * sizeof(char *));
                if (!bigger) {
                    st = tml_err_set(err, TML_ERR_NOMEM, "calibration: out of memory");
                    break;
                }
                names = bigger;
            }
            if (!(names[n_names] = tml_malloc(strlen(path) + l + 2)))
                st = tml_err_set(err, TML_ERR_NOMEM, "calibration: out of memory");
            else
                sprintf(names[n_names++], "%s/%s", path, e->d_name);
        }
        closedir(d);
        if (names)
            qsort(names, (size_t)n_names, sizeof(char *), cmp_names);
        if (st == TML_OK && n_names == 0)
            st = tml_err_set(err, TML_ERR_ARG, "%s: no .npy files", path);
        for (int i = 0; i < n_names && st == TML_OK; i++)
            st = add_file(names[i], per, set, &cap, err);
        for (int i = 0; i < n_names; i++)
            tml_free(names[i]);
        tml_free(names);
    } else {
        st = add_file(path, per, set, &cap, err);
    }
    if (st == TML_OK && labels_path)
        st = load_labels(labels_path, set, err);
    if (st != TML_OK)
        tml_calib_free(set);
    return st;
}
