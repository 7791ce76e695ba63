/*
 * bench: the command; see bench.h.  Options, then each section asked for,
 * then the peers, then the report: the calls go one way, down.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sysexits.h>
#include <unistd.h>

#include "cli.h"
#include "options.h"
#include "output.h"
#include "peers.h"
#include "spawn.h"

/* Rows a run can add: every section, size and family, the floors and the peers. */
#define MAX_CELLS 512

/* Enough descriptors for the crowd: both ends of every connection, here and in its server. */
static void raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 4096) {
        r.rlim_cur = r.rlim_max < 4096 ? r.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int bench_main(int argc, char **argv)
{
    struct bench b = {0};
    struct sf_err err;
    int rc;

    if (sf_cpus_read(&err, &b.cpus) < 0) {
        sf_cli_warn("%s", err.msg);
        return EX_OSERR;
    }
    bench_options(&b, argc, argv);
    raise_fd_limit();
    if (sf_exe_dir(&err, b.bin_dir, sizeof(b.bin_dir)) < 0) {
        sf_cli_warn("where are the suite's programs? %s", err.msg);
        return EX_OSERR;
    }
    b.maxcells = MAX_CELLS;
    b.cells = calloc((size_t)b.maxcells, sizeof(*b.cells));
    if (!b.cells) {
        sf_cli_warn("out of memory for %d rows", MAX_CELLS);
        return EX_OSERR;
    }
    for (int s = 0; s < SEC_N; s++)
        if (b.sec_on[s])
            sections_run(&b, (enum section)s);
    if (!b.quiet && isatty(2))
        fprintf(stderr, "\r\033[K");
    rc = bench_report(&b) ? EXIT_FAILURE : EX_OK;
    free(b.cells);
    return rc;
}
