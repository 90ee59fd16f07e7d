/*
 * tml - the TinyMLaaS command line. Each subcommand is a thin shell over the
 * libraries; errors are printed as "tml: <message>" with a non-zero exit.
 */
#include <stdio.h>
#include <string.h>

#include "tml/core.h"
#include "tml/rt.h"

static int usage(FILE *out)
{
    fputs("usage: tml <command> [options]\n"
          "commands:\n"
          "  version                 print the version\n",
          out);
    return out == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    const char *cmd = argv[1];
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("tml %d.%d.%d\n", TML_RT_VERSION_MAJOR, TML_RT_VERSION_MINOR, TML_RT_VERSION_PATCH);
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h"))
        return usage(stdout);
    fprintf(stderr, "tml: unknown command '%s'\n", cmd);
    return usage(stderr);
}
