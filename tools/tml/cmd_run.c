/*
 * cmd_run.c - `tml run MODEL_OR_PACKAGE --input IN --output OUT`: one
 * inference on the host runtime. A model is compiled in memory first, so
 * what runs is exactly the package a device would get.
 */
#include <stdio.h>
#include <string.h>

#include "cli_model.h"
#include "commands.h"
#include "tensor_io.h"
#include "tml/compiler.h"
#include "tml/session.h"

#define MAX_IO 16

static int run_usage(void)
{
    fputs("usage: tml run MODEL_OR_PACKAGE --input IN [--input IN2 ...] --output OUT [--output OUT2 ...]\n"
          "  MODEL_OR_PACKAGE  .tflite, .onnx or a compiled .tmlm\n"
          "  IN, OUT           .bin (raw bytes in the model's dtype) or .npy (float32;\n"
          "                    int8 models quantize/dequantize with their own params)\n",
          stderr);
    return 2;
}

int tml_cmd_run(int argc, char **argv)
{
    const char *model = NULL, *inputs[MAX_IO], *outputs[MAX_IO];
    int n_inputs = 0, n_outputs = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--input") && i + 1 < argc && n_inputs < MAX_IO)
            inputs[n_inputs++] = argv[++i];
        else if (!strcmp(argv[i], "--output") && i + 1 < argc && n_outputs < MAX_IO)
            outputs[n_outputs++] = argv[++i];
        else if (!strcmp(argv[i], "--help"))
            return run_usage();
        else if (argv[i][0] != '-' && !model)
            model = argv[i];
        else {
            fprintf(stderr, "tml run: unexpected argument '%s'\n", argv[i]);
            return run_usage();
        }
    }
    if (!model || n_inputs == 0 || n_outputs == 0)
        return run_usage();

    tml_err_t err;
    tml_err_clear(&err);
    uint8_t *pkg = NULL;
    size_t pkg_len = 0;
    tml_session_t s;
    int opened = 0;
    tml_status_t st = tml_cli_load_package(model, NULL, &pkg, &pkg_len, &err);
    if (st == TML_OK) {
        st = tml_session_open(&s, pkg, pkg_len, &err);
        opened = st == TML_OK;
    }
    if (st == TML_OK && ((uint32_t)n_inputs != tml_rt_n_inputs(&s.rt) ||
                         (uint32_t)n_outputs > tml_rt_n_outputs(&s.rt)))
        st = tml_err_set(&err, TML_ERR_ARG, "%s has %u input(s) and %u output(s); got %d --input and %d --output",
                         model, (unsigned)tml_rt_n_inputs(&s.rt), (unsigned)tml_rt_n_outputs(&s.rt),
                         n_inputs, n_outputs);
    for (int i = 0; i < n_inputs && st == TML_OK; i++) {
        uint8_t *data;
        st = tml_cli_read_input(inputs[i], tml_rt_input(&s.rt, (uint32_t)i), &data, &err);
        if (st == TML_OK) {
            st = tml_session_set_input(&s, (uint32_t)i, data, tml_rt_input(&s.rt, (uint32_t)i)->byte_len, &err);
            tml_free(data);
        }
    }
    if (st == TML_OK)
        st = tml_session_run(&s, &err);
    for (int j = 0; j < n_outputs && st == TML_OK; j++) {
        const void *out;
        size_t out_len;
        st = tml_session_output(&s, (uint32_t)j, &out, &out_len, &err);
        if (st == TML_OK)
            st = tml_cli_write_output(outputs[j], tml_rt_output(&s.rt, (uint32_t)j), out, &err);
    }
    if (opened)
        tml_session_close(&s);
    tml_free(pkg);
    if (st != TML_OK) {
        fprintf(stderr, "tml run: %s\n", tml_err_message(&err));
        return 1;
    }
    return 0;
}
