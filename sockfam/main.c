/*
 * sockfam: the suite's runner.  main only dispatches:
 *
 *   sockfam compare   every family's pair side by side, with the wire (compare/)
 *   sockfam bench     round trips of every family beside the kernel's floor (bench/)
 *   sockfam show      the lessons, run with real sockets and captured (show/)
 *   sockfam ladder    a capture drawn as ladders (laddercmd.c)
 *   sockfam help      the commands; `sockfam help CMD` is CMD's help (as CMD --help)
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

static void help(void)
{
    printf("Usage: sockfam COMMAND [OPTIONS]\n"
           "Run the suite's socket families side by side and show what each puts on the wire.\n"
           "\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-8s %s\n", commands[i].name, commands[i].summary);
    printf("  %-8s %s\n", "help", "a command's options: `sockfam help COMMAND` is COMMAND --help");
    printf("\nOptions:\n"
           "  -h, --help               show this help and exit\n"
           "  -V, --version            print the version and exit\n"
           "\n`sockfam help COMMAND` or `sockfam COMMAND --help` shows a command's options.\n");
}

/* Run command k with argv from its name on; its exit code. */
static int run(int k, int argc, char **argv)
{
    sf_cli_subcommand(commands[k].name); /* "sockfam: compare: ..." */
    return commands[k].main(argc, argv);
}

int main(int argc, char **argv)
{
    sf_cli_init("sockfam"); /* SIGPIPE ignored, stdout line-buffered */
    if (argc < 2) {
        sf_cli_warn("a command is needed: sockfam COMMAND [OPTIONS] (see sockfam --help)");
        return EX_USAGE;
    }
    if (command(argv[1]) >= 0)
        return run(command(argv[1]), argc - 1, argv + 1);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        help();
        return EX_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        sf_version_print(stdout, "sockfam");
        return EX_OK;
    }
    if (strcmp(argv[1], "help") == 0 && command(argv[2]) >= 0) {
        char *sub[] = {argv[2], "--help", NULL}; /* the command prints its help and exits 0 */
        return run(command(argv[2]), 2, sub);
    }
    sf_cli_warn("unknown command '%s': sockfam COMMAND [OPTIONS] (see sockfam --help)",
                strcmp(argv[1], "help") == 0 ? argv[2] : argv[1]);
    return EX_USAGE;
}
