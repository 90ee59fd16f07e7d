/*
 * commands.h - the tml subcommands. Each lives in its own cmd_<name>.c and
 * is listed once in main.c's table. A command returns the process exit code
 * (0 success, 1 failure, 2 usage error) and prints its own errors as
 * "tml <name>: <message>".
 */
#ifndef TML_CLI_COMMANDS_H
#define TML_CLI_COMMANDS_H

typedef struct tml_command {
    const char *name;
    const char *summary;              /* one line for `tml help` */
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
} tml_command_t;

int tml_cmd_version(int argc, char **argv);
int tml_cmd_inspect(int argc, char **argv);
int tml_cmd_compile(int argc, char **argv);
int tml_cmd_run(int argc, char **argv);
int tml_cmd_targets(int argc, char **argv);
int tml_cmd_firmware(int argc, char **argv);
int tml_cmd_models(int argc, char **argv);
int tml_cmd_compilations(int argc, char **argv);
int tml_cmd_devices(int argc, char **argv);
int tml_cmd_deploy(int argc, char **argv);
int tml_cmd_deployments(int argc, char **argv);

#endif /* TML_CLI_COMMANDS_H */
