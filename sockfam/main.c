/*
 * sockfam: the suite's runner.  main only dispatches:
 *
 *   sockfam compare   every family's pair side by side, with the wire (compare/)
 *   sockfam bench     round trips of every family beside the kernel's floor (bench/)
 *
 * Both start the suite's own programs (found beside this binary), as the
 * family table (family.c) says.
 */
#include <string.h>
#include <sysexits.h>

#include "bench.h"
#include "cli.h"
#include "compare.h"

static const struct {
    const char *name;
    int (*main)(int argc, char **argv);
} commands[] = {
    {"compare", compare_main},
    {"bench", bench_main},
};

int main(int argc, char **argv)
{
    sf_cli_init("sockfam"); /* SIGPIPE ignored, stdout line-buffered */
    for (size_t i = 0; argc >= 2 && i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0) {
            sf_cli_subcommand(commands[i].name); /* "sockfam: compare: ..." */
            return commands[i].main(argc - 1, argv + 1);
        }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        sf_cli_subcommand("compare"); /* the main command's help, as ever */
        compare_help();
        return EX_OK;
    }
    if (argc < 2)
        sf_cli_warn("a command is needed: sockfam compare|bench [OPTIONS]");
    else
        sf_cli_warn("unknown command '%s': sockfam compare|bench [OPTIONS]", argv[1]);
    return EX_USAGE;
}
