/*
 * compare: the command; see compare.h.  Options, then the run (prepare,
 * start, wait, finish, cleanup), then the tally and the report, then the
 * exit code.  The first that holds of: 1 some family failed (each named
 * on stderr) or the capture could not be written, 75 every family
 * succeeded but the capture is incomplete (its wire cells show what it
 * kept: a busy machine, or a run past the capture's bounds), 0.  Before
 * the run: 77 --pcap without the privilege to capture, 71 an OS error;
 * 130 on SIGINT or SIGTERM.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>

#include "cli.h"
#include "compare.h"

/* Interrupted: 128 + SIGINT, what a shell reports for Ctrl-C. */
#define EXIT_INTERRUPTED 130

/* Name every family that failed, one line each; 1 if any did. */
static int failures(const struct run *r)
{
    int failed = 0;

    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->r[f].status == ST_FAILED) {
            sf_cli_warn("%s failed: %s", families[f].name, r->r[f].why);
            failed = 1;
        }
    return failed;
}

/* The capture lost packets (or could not show it lost none): one line saying so; 1 then. */
static int incomplete(const struct run *r, int failed)
{
    if (!r->wire || r->wire_ok)
        return 0;
    sf_cli_warn("the capture is incomplete (%llu packets lost): the wire cells show what it kept; "
                "%s",
                r->kernel_drops + r->not_kept,
                failed ? "see the notes" : "every family's own result stands (see the notes)");
    return 1;
}

static int write_pcap(const struct run *r)
{
    struct sf_err err;

    if (!r->o.pcap || !r->wire)
        return 0;
    if (sf_wire_write_file(&err, r->wire, r->o.pcap) < 0) {
        sf_cli_warn("%s", err.msg);
        return 1;
    }
    return 0;
}

/* The run, from the first server to the last child stopped; the exit code. */
static int run(struct run *r)
{
    struct sf_err err;
    int failed;

    if (run_prepare(&err, r) < 0) {
        sf_cli_warn("setting up: %s", err.msg);
        run_cleanup(r);
        return EX_OSERR;
    }
    if (r->o.pcap && !r->wire) {
        sf_cli_warn("--pcap %s: nothing can be captured here (%s)", r->o.pcap, r->notes[0]);
        run_cleanup(r);
        return EX_NOPERM;
    }
    run_start(r);
    run_wait(r);
    if (!r->interrupted)
        run_finish(r);
    run_cleanup(r);
    if (r->interrupted) {
        sf_cli_warn("interrupted; every child stopped, socket files removed");
        return EXIT_INTERRUPTED;
    }
    run_tally(r);
    if (r->o.json)
        report_json(r);
    else
        report_text(r);
    fflush(stdout);
    failed = failures(r) | write_pcap(r);
    return failed ? (incomplete(r, 1), EXIT_FAILURE) : incomplete(r, 0) ? EX_TEMPFAIL : EX_OK;
}

int compare_main(int argc, char **argv)
{
    struct run *r = calloc(1, sizeof(*r));
    int rc;

    if (!r) {
        sf_cli_warn("out of memory");
        return EX_OSERR;
    }
    compare_options(&r->o, argc, argv);
    rc = run(r);
    for (int f = 0; f < family_count; f++)
        free(r->r[f].ladder);
    sf_wire_close(r->wire);
    free(r);
    return rc;
}
