/*
 * bounds: the table's bounds column, measured.  After the main run's
 * capture has stopped (so none of this is in the capture or in the
 * table's counts) and while its namespaces and lab still stand, every
 * family that ran OK gets a fresh server of its own (the main run's
 * arguments, a socket file of its own for the unix families, and a read
 * size of the whole burst, so that no read is cut by our buffer) and its
 * client with --burst -c BURST -s SIZE (icmp-ping: -l BURST -c BURST):
 * BURST messages sent back to back before any reply is read.  The
 * server's last line says how many reads they took, and their sizes
 * (common/prog/srvout.h); those, against what was sent, are the verdict:
 *
 *   kept               as many reads as messages arrived, each of the sent size
 *   merged             some read larger than a message
 *   split              some read smaller (and none larger)
 *   merged and split   both
 *
 * Every pair starts at once and is waited for with one deadline, through
 * fleet.c's machinery; the children are r->burst's, which run_cleanup
 * ends with the others.  A family answered by the kernel (icmp where it
 * could not be silenced) has no server to count reads: n/a, and the notes
 * say why, as for any burst that could not be measured.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "io.h"

#define BURST BOUNDS_BURST /* messages in a burst (compare.h) */
#define BURST_MS 20000     /* the whole burst, every family: servers ready, clients done */
#define BURST_STOP_MS 3000 /* then the servers' last lines */

enum verdict { KEPT, MERGED, SPLIT, MERGED_SPLIT };

/* What the reads say: kept, or merged, split, or both. */
static enum verdict verdict(const struct result *x)
{
    int merged = x->read_max > x->burst_size, split = x->read_min < x->burst_size;

    return merged && split ? MERGED_SPLIT : merged ? MERGED : split ? SPLIT : KEPT;
}

/* Does family f get a burst?  NULL yes, else why not (a family that ran OK only). */
static const char *unmeasured(const struct run *r, int f)
{
    const struct family *fam = &families[f];

    if (!fam->server)
        return "no server of ours to count its reads";
    if (fam->kernel_off && !r->responder[f])
        return "answered by the kernel, which counts no reads (compare silences it, for its own "
               "server, only in a private namespace: run as root)";
    return NULL;
}

/* Family f could not be measured: why, in its result and in the notes. */
static void not_measured(struct run *r, int f, const char *why)
{
    struct result *x = &r->r[f];

    if (x->bounds_why[0]) /* said already */
        return;
    snprintf(x->bounds_why, sizeof(x->bounds_why), "%.390s", why);
    run_note(r, "%s: bounds: n/a: %s", families[f].name, why);
}

/* Family f's burst arguments: the main run's, with the burst's count, read size and path. */
static void burst_args(struct run *r, int f)
{
    struct pairs *b = &r->burst;
    size_t whole = BURST * r->o.size;

    b->args[f] = r->args[f];
    b->args[f].count = BURST;
    b->args[f].burst = 1;
    b->args[f].port = 0;
    b->args[f].recv_size = whole > 65536 ? whole : 65536;
    if (families[f].line == LINE_LOCAL) {
        snprintf(b->path[f], sizeof(b->path[f]), "%s/%s-burst.sock", r->dir, families[f].name);
        b->args[f].path = b->path[f];
    }
    r->r[f].burst = BURST;
    r->r[f].burst_size = r->o.size;
}

/* Start every family's burst server; 1 if any started. */
static int start_servers(struct run *r)
{
    struct sf_err err;
    int any = 0;

    for (int f = 0; f < family_count; f++) {
        const char *why = r->o.on[f] && r->r[f].status == ST_OK ? unmeasured(r, f) : "";
        if (why) {
            if (why[0])
                not_measured(r, f, why);
            continue;
        }
        burst_args(r, f);
        if (fleet_start(&err, r, f, &r->burst.server[f], &r->burst.args[f], 1) < 0)
            not_measured(r, f, err.msg);
        any |= r->burst.server[f].started;
    }
    return any;
}

/* One look at every burst server not yet ready; 1 while some are still starting. */
static int servers_starting(struct run *r)
{
    struct pairs *b = &r->burst;
    struct sf_err err;
    int waiting = 0;

    for (int f = 0; f < family_count; f++) {
        if (!b->server[f].started || b->ready[f] || r->r[f].bounds_why[0])
            continue;
        int rc = fleet_ready(&err, f, &b->server[f], &b->args[f]);
        if (rc < 0)
            not_measured(r, f, err.msg);
        b->ready[f] = rc > 0;
        waiting |= rc == 0;
    }
    return waiting;
}

/* Every ready server's client, at once. */
static void start_clients(struct run *r)
{
    struct pairs *b = &r->burst;
    struct sf_err err;

    for (int f = 0; f < family_count; f++)
        if (b->ready[f] && fleet_start(&err, r, f, &b->client[f], &b->args[f], 0) < 0)
            not_measured(r, f, err.msg);
}

/* Are burst clients still running? */
static int clients_running(const struct run *r)
{
    for (int f = 0; f < family_count; f++)
        if (r->burst.client[f].started && !r->burst.client[f].exited)
            return 1;
    return 0;
}

/* Servers ready, then clients done, within one deadline; 0, or -1 when interrupted. */
static int run_bursts(struct run *r, int64_t deadline)
{
    while (servers_starting(r) && sf_now_ns() < deadline)
        if (fleet_pump(r, sf_deadline_poll_ms(deadline)))
            return -1;
    for (int f = 0; f < family_count; f++)
        if (r->burst.server[f].started && !r->burst.ready[f])
            not_measured(r, f, "its server printed no readiness line in time");
    start_clients(r);
    while (clients_running(r) && sf_now_ns() < deadline)
        if (fleet_pump(r, sf_deadline_poll_ms(deadline)))
            return -1;
    return 0;
}

/*
 * Did f's client send the whole burst?  Exit 0, or a summary that says
 * every message went (a datagram family whose replies were lost).  NULL
 * yes, else why not, in buf.
 */
static const char *client_failed(const struct run *r, int f, char *buf, size_t cap)
{
    const struct sf_task *t = &r->burst.client[f];
    size_t len = 0;
    const char *j = family_summary_line(t->out, &len);
    struct fam_summary s;
    char line[300];

    if (!t->exited) {
        snprintf(buf, cap, "%s --burst did not finish within %d s", t->name, BURST_MS / 1000);
        return buf;
    }
    if (t->status == 0 || (j && family_summary(&families[f], j, len, r->o.size, &s) == 0 &&
                           (s.have & SUM_COUNTS) && s.sent == BURST))
        return NULL;
    snprintf(buf, cap, "%s --burst exited %d: %s", t->name, t->status,
             sf_task_last_line(t, line, sizeof(line)));
    return buf;
}

/* The reads on the last line of f's burst server ("; reads R (S-L bytes)"): 0, or -1 and why. */
static int server_reads(struct run *r, int f, char *why, size_t cap)
{
    const struct sf_task *t = &r->burst.server[f];
    struct result *x = &r->r[f];
    char line[SF_TASK_ERR_MAX];
    const char *at;

    if (!t->exited) {
        snprintf(why, cap, "%s did not stop within %d s of SIGTERM", t->name, BURST_STOP_MS / 1000);
        return -1;
    }
    sf_task_last_line(t, line, sizeof(line));
    at = strstr(line, "; reads ");
    if (!at ||
        sscanf(at, "; reads %llu (%llu-%llu bytes)", &x->reads, &x->read_min, &x->read_max) != 3) {
        snprintf(why, cap, "%s said no reads: %.200s", t->name, line);
        return -1;
    }
    if (x->reads == 0) {
        snprintf(why, cap, "%s read nothing of the burst", t->name);
        return -1;
    }
    return 0;
}

/* What each family's burst server read, or why it is not known. */
static void results(struct run *r)
{
    char why[400];

    for (int f = 0; f < family_count; f++) {
        if (!r->burst.client[f].started || r->r[f].bounds_why[0])
            continue;
        const char *failed = client_failed(r, f, why, sizeof(why));
        if (failed || server_reads(r, f, why, sizeof(why)) < 0) {
            not_measured(r, f, why);
            continue;
        }
        r->r[f].bounds = 1;
        if (!families[f].boundaries && verdict(&r->r[f]) == KEPT)
            run_note(r,
                     "%s: bounds: kept this time only: a byte stream keeps no boundaries, and its "
                     "server happened to read each message before the next arrived",
                     families[f].name);
    }
}

void bounds_run(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(BURST_MS);

    if (!start_servers(r) || run_bursts(r, deadline) < 0)
        return;
    fleet_stop(r, r->burst.server, sf_deadline_after_ms(BURST_STOP_MS));
    results(r);
}

static const char *verdict_name(enum verdict v)
{
    static const char *const names[] = {"kept", "merged", "split", "merged and split"};

    return names[v];
}

const char *bounds_cell(const struct result *x, char *buf, size_t cap)
{
    enum verdict v;

    if (!x->bounds)
        return "n/a";
    v = verdict(x);
    if (v == KEPT && x->reads == x->burst)
        return "kept";
    if (v == KEPT) /* a lossy (or duplicating) link: each read was still one whole message */
        snprintf(buf, cap, "kept, %llu of %lu arrived", x->reads, x->burst);
    else
        snprintf(buf, cap, "%s: %lu in %llu read%s", verdict_name(v), x->burst, x->reads,
                 x->reads == 1 ? "" : "s");
    return buf;
}

json_t *bounds_json(const struct result *x)
{
    if (!x->bounds)
        return json_null();
    return json_pack("{s:I,s:I,s:I,s:I,s:s}", "burst", (json_int_t)x->burst, "reads",
                     (json_int_t)x->reads, "smallest", (json_int_t)x->read_min, "largest",
                     (json_int_t)x->read_max, "verdict", verdict_name(verdict(x)));
}
