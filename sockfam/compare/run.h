/*
 * run: one `sockfam compare` run, its options and what it found: a row of
 * results per family, the capture, and every child it started (so that
 * all of them can be stopped, whatever happens).
 */
#ifndef SF_RUN_H
#define SF_RUN_H

#include <stddef.h>

#include "family.h"
#include "task.h"
#include "wire.h"

struct opts {
    int on[FAM_N];
    unsigned long count, size;
    const char *mode; /* "echo" or "mirror" */
    const char *pcap; /* write the whole capture here, or NULL */
    int json, ladder, quiet, progress;
    char bin_dir[4096]; /* where tcp-server and the others are */
};

enum status { ST_OFF, ST_OK, ST_FAILED, ST_SKIPPED };

struct result {
    enum status status;
    char why[512]; /* failed or skipped: why, in one line */
    unsigned long long sent, answered, payload_bytes;
    int have_rtt;
    double p50_us, p99_us;
    int captured; /* the wire cells hold figures */
    unsigned long long packets, wire_bytes, setup_packets;
    char *ladder; /* the first exchange, or NULL */
};

struct run {
    struct opts o;
    struct result r[FAM_N];
    struct sf_task server[FAM_N], client[FAM_N];
    int port[FAM_N];
    char path[FAM_N][512];
    char dir[256];      /* private directory for socket files, or "" */
    int netns;          /* running in a private network namespace */
    char notes[4][512]; /* what was skipped and how to enable it */
    int nnotes;
    struct sf_wire *wire; /* NULL when not captured */
    int wire_ok;          /* the capture stopped complete: its figures stand */
    int icmp_echod;       /* icmp answered by icmp-echod (else the kernel) */
    int interrupted;      /* SIGINT or SIGTERM came */
    unsigned long long other_packets, kernel_drops;
    int signal_fd;
};

void run_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fleet.c: namespace, capture, servers, clients, the wait, and the cleanup. */
int run_prepare(struct run *r);
void run_start(struct run *r);
void run_wait(struct run *r);
void run_finish(struct run *r);
void run_cleanup(struct run *r);

/* tally.c: what the capture says about each family, and the ladders. */
void run_tally(struct run *r);

/* report.c: the table (and ladders), or one JSON object. */
void report_text(const struct run *r);
void report_json(const struct run *r);

#endif
