/*
 * tml - the TinyMLaaS command line: a table of subcommands, each a thin shell
 * over the libraries (see commands.h).
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "tml/rt.h"

int tml_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("tml %d.%d.%d (package format %u.%u)\n", TML_RT_VERSION_MAJOR, TML_RT_VERSION_MINOR,
           TML_RT_VERSION_PATCH, TML_PKG_VERSION_MAJOR, TML_PKG_VERSION_MINOR);
    return 0;
}

static const tml_command_t commands[] = {
    {"version", "print the version", tml_cmd_version},
    {"inspect", "ops, tensors, MACs, arena and weights bytes of a model", tml_cmd_inspect},
    {"compile", "compile a model into a .tmlm package", tml_cmd_compile},
    {"run", "run one inference on the host", tml_cmd_run},
    {"targets", "list the device profiles models are compiled for", tml_cmd_targets},
    {"firmware", "build a Cortex-M image that runs a package in QEMU", tml_cmd_firmware},
    {"models", "the service's model zoo: push, ls, show, rm", tml_cmd_models},
    {"compilations", "compile on the service: create, ls, show, get", tml_cmd_compilations},
    {"devices", "the service's devices: ls, show, add, tag, psk, compatible", tml_cmd_devices},
    {"deploy", "deploy a model version to devices, with a live progress bar", tml_cmd_deploy},
    {"deployments", "the service's deployments: ls, show, pause, resume, cancel", tml_cmd_deployments},
};

static int usage(FILE *out)
{
    fputs("usage: tml <command> [options]     (tml <command> --help for its options)\n"
          "commands:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *name = argv[1];
    if (!strcmp(name, "--version"))
        name = "version";
    if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h"))
        return usage(stdout);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(name, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "tml: unknown command '%s'\n", name);
    return usage(stderr);
}
