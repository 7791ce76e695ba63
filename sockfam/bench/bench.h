/*
 * bench: `sockfam bench`, what each family costs, measured in one run
 * under one stated placement of the two ends on the CPUs, beside the
 * kernel's floor of the same socket type and, with --peers, beside the
 * tools people already trust (sockperf, iperf3, iputils ping, socat).
 *
 * The sections: round trips (one message in flight), stream throughput,
 * datagram rate, connection rate, and a crowd of concurrent clients.
 * bench.c runs them; bench_out.c prints; peers.c and crowd.c measure.
 */
#ifndef SF_BENCH_H
#define SF_BENCH_H

#include <stddef.h>

#include "family.h"
#include "floor.h"

enum section { SEC_LATENCY, SEC_STREAM, SEC_DGRAM, SEC_CONNECT, SEC_CROWD, SEC_N };
enum role { ROLE_OURS, ROLE_FLOOR, ROLE_PEER };

/* One row of a section: a family of ours, a floor, or a peer tool. */
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
    long rss_kib;                                  /* the crowd: server's peak RSS */
    int skipped;  /* not measured, not a failure (a peer not installed): why says so */
    char vs[48];  /* the row the ratio is to: its floor (ours), or ours (a peer) */
    double ratio; /* ours: over the floor; peer: ours over the peer; 0: none */
};

struct bench {
    int on[FAM_N], sec_on[SEC_N], json, quiet, peers;
    unsigned long count, warmup, sizes[8];
    int nsizes;
    unsigned long stream_mib, dgrams, connections, clients, echoes;
    const char *placement;
    struct cpus cpus;
    struct place server, client; /* self: that end's CPU; child: the other end's */
    char bin_dir[4096];
    struct cell *cells;
    int ncells, maxcells;
};

/* The command: parse argv (argv[0] is "bench"), run, print; the exit code. */
int bench_main(int argc, char **argv);

/* A new row (never NULL: the table is sized for every row the run can add). */
struct cell *bench_cell(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size);

/* The progress line, on a terminal only. */
void bench_progress(const struct bench *b, const char *what, unsigned long size);

/* Ratios, then the table or the JSON; every failed row named on stderr.  1 if any failed. */
int bench_report(struct bench *b);

/* --peers: each installed peer's rows (a missing one is a failed row saying so). */
void peers_run(struct bench *b);

/*
 * The crowd: b->clients connections at once to addr, each doing b->echoes
 * echoes of 64 bytes; server_pid's peak RSS read at the end.
 */
void crowd_run(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
               int server_pid);

#endif
