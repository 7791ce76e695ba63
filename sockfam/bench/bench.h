/*
 * bench: `sockfam bench`, what each family costs, measured in one run
 * under one stated placement of the two ends on the CPUs, beside the
 * kernel's floor of the same socket type and, with --peers, beside the
 * tools people already trust (sockperf, iperf3, iputils ping, socat).
 *
 * The sections: round trips (one message in flight), stream throughput,
 * datagram rate, connection rate, a crowd of concurrent clients, and the
 * servers' concurrency models (--model) under that crowd.
 * This header holds the run's state, shared by the bench's files; each
 * file does one job and the calls go one way:
 *
 *   bench.c     the command: options, then each section, the peers, the report
 *   options.c   the command line, into struct bench
 *   sections.c  one section: its floor rows, then each family's (ours.c)
 *   ours.c      a family's own rows: its server started once per section, its client
 *   crowd.c     the crowd row: many clients at once against one server; the
 *               models rows: the same crowd and a silent client, per --model
 *   floor.c     the floors: bare sockets between two processes (bare.c: their plumbing)
 *   peers.c     --peers: sockperf, iperf3, ping, socat rows
 *   cells.c     the table of rows every measuring file appends to, and the ratios
 *   output.c    the tables or the JSON, and the failed rows named on stderr
 */
#ifndef SF_BENCH_H
#define SF_BENCH_H

#include <stddef.h>

#include "cpu.h"
#include "family.h"
#include "floor.h"
#include "sections.h"
#include "stats.h"

enum role { ROLE_OURS, ROLE_FLOOR, ROLE_PEER };

/* Repetitions of a row at most (--reps). */
#define REPS_MAX 9

/* A latency histogram: [lower edge in us, round trips] bins (sf_stats_hist). */
struct hist {
    int n;
    double bin[SF_HIST_MAX][2];
};

/* One repetition's figures of a row, as the fields of struct cell below name them. */
struct figs {
    int ok;
    double p50, p99, mean, rate, delivered, ratio;
    unsigned long long sent, received, dropped, clients, completed, failed;
    long long unexplained;
    long rss_kib;
    double silent_ms;
    struct hist hist;
};

/*
 * One row of a section: a family of ours, a floor, or a peer tool.  A row
 * is measured --reps times, interleaved with the rows it is compared with;
 * each measurement fills the figures below (bench_cell() opens the row for
 * it), and cells_keep() then keeps them as the row's next repetition.  At
 * the report the figures are the repetition of the median headline, and
 * the ratio is the median of the per-repetition ratios.
 */
struct cell {
    enum section sec;
    enum role role;
    char name[48]; /* "tcp", "socketpair stream", "sockperf tcp" */
    unsigned long size;
    int ok;
    char why[256];
    double p50, p99, mean; /* microseconds: a round trip, or a connection */
    double rate;           /* per second: messages, MB (stream), datagrams sent, connections */
    double delivered;      /* datagrams received per second */
    unsigned long long sent, received, dropped;    /* datagrams */
    long long unexplained;                         /* sent - received - dropped */
    unsigned long long clients, completed, failed; /* the crowd: exchanges */
    long rss_kib;     /* the crowd: server's peak RSS; models: its processes' PSS */
    double silent_ms; /* models: an echo's time beside a silent client */
    int skipped;      /* not measured, not a failure (a peer not installed): why says so */
    char vs[48];      /* the row the ratio is to: its floor (ours), or ours (a peer) */
    double ratio;     /* ours: over the floor; peer: ours over the peer; 0: none */
    struct hist hist;
    int fresh; /* opened by bench_cell() for a measurement not yet kept */
    struct figs rep[REPS_MAX];
    int nreps;
    double ratio_lo, ratio_hi; /* the range of the per-repetition ratios (ratio: their median) */
    int nratios;               /* how many repetitions gave a ratio */
};

struct bench {
    int on[FAM_MAX], sec_on[SEC_N], json, quiet, peers, reps, spin;
    unsigned long count, warmup, sizes[8];
    int nsizes;
    unsigned long stream_mib, dgrams, connections, clients, echoes;
    const char *placement;
    struct sf_cpus cpus;
    struct place server, client; /* self: that end's CPU; child: the other end's */
    char bin_dir[4096];
    struct cell *cells;
    int ncells, maxcells;
};

/* The command: parse argv (argv[0] is "bench"), run, print; the exit code. */
int bench_main(int argc, char **argv);

#endif
