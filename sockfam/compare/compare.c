/*
 * compare: the command; see compare.h.  Options, then the run (prepare,
 * the --pcap file opened, start, wait, finish, the tally, the bursts of
 * the bounds column, cleanup), then the report, then the exit code.  The
 * first that holds of: 1 some family failed (each named on stderr), 74
 * the capture could not be written, 75 every family succeeded but the
 * capture is incomplete (its wire cells show what it kept: a busy
 * machine, or a run past the capture's bounds), 0.  Before the run: 77
 * --pcap without the privilege to capture, 73 a --pcap file that cannot
 * be created, 71 an OS error; 130 on SIGINT or SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

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

/*
 * The capture lost packets (or could not show it lost none): one line
 * saying so, 1 then.  worse: a family failed or the capture could not be
 * written, which the message then does not contradict.
 */
static int incomplete(const struct run *r, int worse)
{
    if (!r->wire || r->wire_ok)
        return 0;
    sf_cli_warn("the capture is incomplete (%llu packets lost): the wire cells show what it kept; "
                "%s",
                r->kernel_drops + r->not_kept,
                worse ? "see the notes" : "every family's own result stands (see the notes)");
    return 1;
}

/*
 * Open the --pcap file before anything runs, so that a bad path is found
 * at once (73); created, or an existing file opened as it is and emptied
 * only when the capture is written.  "-" is standard output.
 */
static int open_pcap(struct sf_err *err, struct run *r)
{
    r->pcap_fd = -1;
    if (!r->o.pcap)
        return 0;
    if (r->o.pcap[0] == '-' && !r->o.pcap[1]) {
        r->pcap_fd = STDOUT_FILENO;
        return 0;
    }
    r->pcap_fd = open(r->o.pcap, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
    r->pcap_created = r->pcap_fd >= 0;
    if (r->pcap_fd < 0 && errno == EEXIST)
        r->pcap_fd = open(r->o.pcap, O_WRONLY | O_CLOEXEC | O_NOCTTY);
    return r->pcap_fd < 0 ? sf_err_sys(err, errno, "--pcap", r->o.pcap) : 0;
}

/* An interrupted run writes no capture: close the --pcap file, and remove it if it is ours. */
static void discard_pcap(struct run *r)
{
    if (r->pcap_fd > STDOUT_FILENO)
        close(r->pcap_fd);
    if (r->pcap_created)
        unlink(r->o.pcap);
    r->pcap_fd = -1;
}

/* Write the capture into the --pcap file (emptied first) and close it; 1 if that failed. */
static int write_pcap(struct run *r)
{
    struct sf_err err;
    struct stat st;
    int fd = r->pcap_fd, rc = 0;

    if (fd < 0 || !r->wire)
        return 0;
    r->pcap_fd = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0)
        rc = sf_err_sys(&err, errno, "--pcap", r->o.pcap);
    if (rc == 0)
        rc = sf_wire_write_fd(&err, r->wire, fd, r->o.pcap);
    if (fd != STDOUT_FILENO && close(fd) < 0 && rc == 0)
        rc = sf_err_sys(&err, errno, "--pcap", r->o.pcap);
    if (rc < 0)
        sf_cli_warn("%s", err.msg);
    return rc < 0;
}

/*
 * --link lab: the router's server side (r1) beside the --pcap file, as
 * FILE.server.pcap (FILE's ".pcap" replaced), while FILE holds its client
 * side (r0): two files tcpdump and tshark read, the same packets before
 * and after the router.  With "-" only the client side goes to stdout.
 */
static int write_far_pcap(struct run *r)
{
    struct sf_err err;
    char path[4096];
    size_t n = strlen(r->o.pcap);
    int fd;

    if (!r->wire_far || strcmp(r->o.pcap, "-") == 0)
        return 0;
    if (n > 5 && strcmp(r->o.pcap + n - 5, ".pcap") == 0)
        n -= 5;
    if ((size_t)snprintf(path, sizeof(path), "%.*s.server.pcap", (int)n, r->o.pcap) >=
        sizeof(path)) {
        sf_cli_warn("--pcap %s: the server side's file name would be too long", r->o.pcap);
        return 1;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666);
    if (fd < 0 || sf_wire_write_fd(&err, r->wire_far, fd, path) < 0 || close(fd) < 0) {
        if (fd < 0)
            sf_err_sys(&err, errno, "--pcap", path);
        sf_cli_warn("%s", err.msg);
        return 1;
    }
    return 0;
}

/* The run, from the first server to the last child stopped; the exit code. */
static int run(struct run *r)
{
    struct sf_err err;
    FILE *out;
    int failed, unwritten, lost;

    if (run_prepare(&err, r) < 0) {
        sf_cli_warn("setting up: %s", err.msg);
        run_cleanup(r);
        /* The lab's refusals have their codes: 77 not root, 69 a tool or a module missing. */
        return r->o.lab ? sf_err_exit_code(&err) : EX_OSERR;
    }
    if (r->o.pcap && !r->wire) {
        sf_cli_warn("--pcap %s: nothing can be captured here (%s)", r->o.pcap, r->notes[0]);
        run_cleanup(r);
        return EX_NOPERM;
    }
    if (open_pcap(&err, r) < 0) {
        sf_cli_warn("%s", err.msg);
        run_cleanup(r);
        return EX_CANTCREAT;
    }
    /* With the capture on stdout (--pcap -), the table or the JSON goes to stderr. */
    out = r->pcap_fd == STDOUT_FILENO ? stderr : stdout;
    run_start(r);
    run_wait(r);
    if (!r->interrupted) {
        run_finish(r); /* the capture stops: nothing after it is in the table's counts */
        run_tally(r);
        bounds_run(r); /* a burst for each family that ran OK, in the namespaces still there */
    }
    run_cleanup(r);
    if (r->interrupted) {
        discard_pcap(r);
        sf_cli_warn("interrupted; every child stopped, socket files removed");
        return EXIT_INTERRUPTED;
    }
    if (r->o.json)
        report_json(out, r);
    else
        report_text(out, r);
    fflush(out);
    failed = failures(r);
    unwritten = r->o.pcap ? write_far_pcap(r) : 0; /* before: write_pcap closes its file */
    unwritten |= write_pcap(r);
    lost = incomplete(r, failed || unwritten);
    return failed ? EXIT_FAILURE : unwritten ? EX_IOERR : lost ? EX_TEMPFAIL : EX_OK;
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
    r->pcap_fd = -1;
    rc = run(r);
    for (int f = 0; f < family_count; f++)
        free(r->r[f].ladder);
    sf_wire_close(r->wire);
    sf_wire_close(r->wire_far);
    free(r);
    return rc;
}
