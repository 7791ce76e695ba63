/*
 * summary: what a client reports at the end of a run, as one text line or
 * one JSON object (--json, written with jout).  The field names are stable and documented in
 * docs/json.md; scripts and `sockfam compare` read them.
 */
#ifndef SF_SUMMARY_H
#define SF_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "stats.h"

struct sf_run {
    const char *program;   /* "tcp-client" */
    const char *family;    /* "tcp", "udp", "unix-stream", ... */
    const char *mode;      /* "echo", ... */
    const char *server;    /* the address as the user wrote it */
    const char *connected; /* the numeric address actually used, or NULL */
    uint64_t sent, answered, lost, truncated, retries;
    uint64_t bytes_sent, bytes_received;
    /* Records: replies read that answered no waiting message (late, or copies), and what the
     * kernel dropped at this socket for a full receive buffer (SO_MEMINFO). */
    uint64_t stray, dropped;
    /* TCP: the segments the kernel sent again (TCP_INFO tcpi_total_retrans), when it said. */
    uint64_t retrans;
    int have_retrans;
    struct sf_stats rtt_us; /* one sample per answered message */
    int64_t elapsed_ns;
    const char *error; /* the error that ended the run early, or NULL */
};

/*
 * The samples' CDF as [percent, value x scale] pairs at 1, 5, 10, 25, 50,
 * 75, 90, 95, 99, 99.9 and 100 % (nearest-rank), value with decimals:
 * every client's rtt_us.cdf (icmp-ping's rtt_ms.cdf, scale 1e-3).
 */
json_t *sf_stats_cdf_json(struct sf_stats *st, double scale, int decimals);

/*
 * The samples' histogram (sf_stats_hist: 4 bins an octave, empty ones left
 * out, the last holding all above it) as [lower edge x scale, count]
 * pairs: every client's rtt_us.hist (icmp-ping's rtt_ms.hist, scale 1e-3).
 */
json_t *sf_stats_hist_json(struct sf_stats *st, double scale, int decimals);

/* One JSON object on one line. */
void sf_run_print_json(FILE *f, struct sf_run *run);

/* "N sent, N answered, N lost; rtt min/avg/max/mdev = a/b/c/d us". */
void sf_run_print_text(FILE *f, struct sf_run *run);

/* "Client received: 'echo=> ...'", the bytes through sf_repr (never raw). */
void sf_print_received(FILE *f, const void *data, size_t len);

#endif
