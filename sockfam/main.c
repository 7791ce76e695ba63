/*
 * sockfam: the suite's runner.  main only dispatches:
 *
 *   sockfam compare   every family's pair side by side, with the wire (compare/)
 *   sockfam bench     round trips of every family beside the kernel's floor (bench/)
 *   sockfam show      the lessons, run with real sockets and captured (show/)
 *   sockfam ladder    a capture drawn as ladders (laddercmd.c)
 *   sockfam help      the commands; `sockfam help CMD` is CMD's help (as CMD --help),
 *                     and `sockfam help help` the commands again: help is a command too
 *   sockfam --version the version line (version.h), as every program's -V
 *
 * Both start the suite's own programs (found beside this binary), as the
 * family table (family.c) says.
 */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "bench.h"
#include "cli.h"
#include "compare.h"
#include "laddercmd.h"
#include "show.h"
#include "version.h"

static int help_main(int argc, char **argv);

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary; /* one line of `sockfam --help` */
} commands[] = {
    {"compare", compare_main,
     "every family's server and client side by side, the wire captured: one table"},
    {"bench", bench_main,
     "each family's round trips and rates beside the kernel's floor and trusted tools"},
    {"ladder", ladder_main, "a capture (.pcap, ours or tcpdump's) drawn as ladders, a flow each"},
    {"show", show_main, "the lessons, each run with real sockets and the packets that prove it"},
    {"help", help_main, "a command's options: `sockfam help COMMAND` is COMMAND --help"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

/* The command named name, or -1. */
static int command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0)
            return (int)i;
    return -1;
}

/* "compare|bench|...|help": every command of the table, for the usage errors. */
static const char *command_names(void)
{
    static char names[128];
    size_t at = 0;

    for (size_t i = 0; i < NCOMMANDS && at < sizeof(names); i++)
        at += (size_t)snprintf(names + at, sizeof(names) - at, "%s%s", i ? "|" : "",
                               commands[i].name);
    return names;
}

/*
 * No command, or an unknown one (NULL: none): one line naming every
 * command, "sockfam compare|...|help [OPTIONS] (see sockfam --help)".
 */
static int usage_error(const char *unknown)
{
    if (unknown)
        sf_cli_warn("unknown command '%s': sockfam %s [OPTIONS] (see sockfam --help)", unknown,
                    command_names());
    else
        sf_cli_warn("a command is needed: sockfam %s [OPTIONS] (see sockfam --help)",
                    command_names());
    return EX_USAGE;
}

static void help(void)
{
    printf("Usage: sockfam COMMAND [OPTIONS]\n"
           "Run the suite's socket families side by side and show what each puts on the wire.\n"
           "\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("\nOptions:\n"
           "  -h, --help               show this help and exit\n"
           "  -V, --version            print the version and exit\n"
           "\n`sockfam help COMMAND` or `sockfam COMMAND --help` shows a command's options.\n");
}

/* -h/--help or -V/--version, sockfam's own options (and help's): 1 when arg was one. */
static int own_option(const char *arg)
{
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
        help();
        return 1;
    }
    if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
        sf_version_print(stdout, "sockfam");
        return 1;
    }
    return 0;
}

/* Run command k with argv from its name on; its exit code. */
static int run(int k, int argc, char **argv)
{
    sf_cli_subcommand(commands[k].name); /* "sockfam: compare: ..." */
    return commands[k].main(argc, argv);
}

/*
 * sockfam help [COMMAND]: the commands, or COMMAND's help, as COMMAND
 * --help prints it.  help is a command as the others are: `sockfam help
 * help` is its help, the commands' list, and its options are sockfam's own.
 */
static int help_main(int argc, char **argv)
{
    if (argc >= 2 && own_option(argv[1]))
        return EX_OK;
    int k = argc < 2 ? command("help") : command(argv[1]);
    if (k < 0)
        return usage_error(argv[1]);
    if (commands[k].main == help_main) {
        help();
        return EX_OK;
    }
    char *sub[] = {argv[1], "--help", NULL}; /* the command prints its help and exits 0 */
    return run(k, 2, sub);
}

int main(int argc, char **argv)
{
    sf_cli_init("sockfam"); /* SIGPIPE ignored, stdout line-buffered */
    if (argc < 2)
        return usage_error(NULL);
    if (own_option(argv[1]))
        return EX_OK;
    int k = command(argv[1]);
    if (k < 0)
        return usage_error(argv[1]);
    return run(k, argc - 1, argv + 1);
}
