/*
 * compare: `sockfam compare`, every family's pair side by side with the
 * wire captured.  This header holds one run: its options, a row of
 * results per family, the capture, and every child it started (so that all
 * of them can be stopped, whatever happens).  The files, each one job, the
 * calls going one way (compare.c down to run.c), but for bounds.c, which
 * starts and waits for its children through fleet.c:
 *
 *   compare.c   the command: options, prepare, start, wait, tally, bounds, report, exit code
 *   options.c   the command line, into struct opts
 *   fleet.c     namespace, capture, servers (ready before any client), clients, stop
 *   tally.c     what each client's summary and the capture say about its family
 *   ledger.c    --link lab: each packet matched across the router (lost, copied, late)
 *   bounds.c    after the capture: a burst per family, and the reads its server needed
 *   report.c    the table with its notes and ladders, or one JSON object
 *   run.c       a family's result and the run's notes, as each of the above records them
 */
#ifndef SF_COMPARE_H
#define SF_COMPARE_H

#include <stddef.h>
#include <stdio.h>

#include "family.h"
#include "jout.h"
#include "netlab.h"
#include "task.h"
#include "wire.h"

/* bounds.c: the messages of each family's burst, sent back to back after the run. */
#define BOUNDS_BURST 10

/* The captured bytes a run holds at most (fleet.c sizes the capture from the run up to this). */
#define HELD_MAX (1ull << 30)

struct opts {
    int on[FAM_MAX];
    unsigned long count, size;
    const char *mode; /* "echo" or "mirror" */
    const char *pcap; /* write the whole capture here, or NULL */
    int json, ladder, quiet, progress;
    char bin_dir[4096];       /* where tcp-server and the others are */
    int lab, lab_asked, v6;   /* --link lab; a lab option was given; -6 */
    int verbose;              /* -v: the lab's commands */
    struct sf_lab_opts lab_o; /* the lab's link and impairments */
};

enum status { ST_OFF, ST_OK, ST_FAILED, ST_SKIPPED };

enum { WAY_UP, WAY_DOWN }; /* client to server; back */

/* --link lab: one direction of a family, from the captures on both sides of the router. */
struct way_tally {
    unsigned long long packets_lost; /* seen on the sender's side of the router, not past it */
    unsigned long long dgrams_lost;  /* datagrams lost on the wire: whole, or by one piece */
    unsigned long long dup;          /* copies the router made (seen past it more often) */
    unsigned long long reordered;    /* reached the receiver's side after one sent later */
    unsigned long long frag_dgrams, frag_pieces, frag_lost; /* fragmented datagrams, their
                                                               pieces, and those lost by one */
};

/* The CDF points a client reports (rtt_us.cdf): percent and microseconds. */
#define CDF_MAX 16

struct result {
    enum status status;
    const char *socket; /* the socket its client says it used, or NULL: the row's */
    char why[512];      /* failed or skipped: why, in one line */
    unsigned long long sent, answered, payload_bytes;
    int have_rtt;
    double p50_us, p99_us, max_us;
    int captured; /* the wire cells hold figures (lower bounds when the capture lost some) */
    unsigned long long over_100ms; /* round trips over 100 ms */
    double cdf[CDF_MAX][2];
    int ncdf;
    /* What the endpoints counted: the client's late or copied replies, its socket's and the
     * server's kernel drops (a full receive buffer), the server's datagrams read and replies
     * sent (have_server: its last line said), TCP's resent segments (TCP_INFO, client side). */
    unsigned long long stray, client_dropped, tcp_retrans;
    int have_retrans, have_server, client_dropped_known;
    unsigned long long server_reads, server_replies, server_dropped;
    /* --link lab: each direction past the router, and TCP's data segments sent again (a
     * sequence start seen before on the sender's side), each way. */
    struct way_tally way[2];
    unsigned long long resent_up, resent_down;
    /* TCP families: the largest payload a segment carried, and the MSS each SYN announced. */
    unsigned largest, mss_client, mss_server;
    unsigned long long packets, wire_bytes, setup_packets;
    char *ladder; /* the first exchange, or NULL */
    /* bounds.c: a burst of `burst` messages of burst_size bytes sent back to back, and the
     * reads its server needed (bounds set); or why not (bounds_why; "" when not tried). */
    int bounds;
    unsigned long burst, burst_size;
    unsigned long long reads, read_min, read_max; /* the reads, the smallest and largest (bytes) */
    char bounds_why[400];
};

/* A server and a client per family, and what they are told (bounds.c's burst pairs). */
struct pairs {
    struct sf_task server[FAM_MAX], client[FAM_MAX];
    struct fam_args args[FAM_MAX];
    char path[FAM_MAX][512];
    int ready[FAM_MAX]; /* its server said where it listens */
};

struct run {
    struct opts o;
    struct result r[FAM_MAX];
    struct sf_task server[FAM_MAX], client[FAM_MAX];
    struct fam_args args[FAM_MAX]; /* where each server is: its path, or the port it said */
    char path[FAM_MAX][512];
    int responder[FAM_MAX];  /* the kernel was silenced: the family's own server answers */
    int ready[FAM_MAX];      /* its server said where it listens */
    char dir[256];           /* private directory for socket files, or "" */
    int dir_fd;              /* that directory, opened: cleanup goes through it, not its path */
    int drop;                /* running as root: every child runs as `as`, unprivileged */
    struct sf_spawn_user as; /* the invoking user (SUDO_UID) or nobody */
    int netns;               /* running in a private network namespace */
    char notes[8][512];      /* what was skipped and how to enable it */
    int nnotes;
    int pcap_fd;                     /* --pcap: the file opened before the run (1 for "-"), or -1 */
    int pcap_created;                /* this run created it (removed if the run is interrupted) */
    struct sf_wire *wire;            /* NULL when not captured */
    struct sf_wire_opts wire_bounds; /* the capture's bounds, sized from the run */
    int wire_ok;                     /* the capture stopped complete: its figures stand */
    int wire_stopped;                /* it stopped (complete or not): what it kept can be counted */
    int interrupted;                 /* SIGINT or SIGTERM came */
    unsigned long long other_packets, kernel_drops, not_kept;
    int signal_fd;
    struct sf_lab *lab;       /* --link lab, or NULL (and NULL again once torn down) */
    char lab_cc[16];          /* its TCP congestion control, for the report */
    struct sf_wire *wire_far; /* --link lab: the capture on the router's server side (r1);
                                 r->wire is its client side (r0) */
    int ledger;               /* the two sides were matched (ledger.c): r[].way stand */
    struct piece {
        uint64_t key;
        int8_t f, way;
    } * pieces; /* the first pieces of fragmented datagrams, by key (ledger_pieces) */
    size_t npieces;
    unsigned long long router_dropped[2]; /* the router's own drop counters, up and down */
    int have_router_dropped;
    struct pairs burst; /* bounds.c: started after the capture stopped */
};

/* The command: argv[0] is "compare"; the exit code. */
int compare_main(int argc, char **argv);

/* options.c: defaults, then argv (exits on --help and on a usage error). */
void compare_options(struct opts *o, int argc, char **argv);

/* fleet.c: namespace, capture, servers, clients, the wait, and the cleanup. */
int run_prepare(struct sf_err *err, struct run *r);
void run_start(struct run *r);
void run_wait(struct run *r);
void run_finish(struct run *r);
void run_cleanup(struct run *r);

/* fleet.c, for bounds.c too: family f's children, as the run starts them and waits for them. */
/* Start family f's server (server 1) or client t from a's arguments, in its namespace, as its
 * user.  0, or -1 with err set. */
int fleet_start(struct sf_err *err, struct run *r, int f, struct sf_task *t,
                const struct fam_args *a, int server);
/* One look at f's started server t: 1 ready (a->port set), 0 not yet, -1 it failed (err). */
int fleet_ready(struct sf_err *err, int f, struct sf_task *t, struct fam_args *a);
/* Poll every child of the run (the burst's too) and the signals, timeout_ms; 1 if a signal came. */
int fleet_pump(struct run *r, int timeout_ms);
/* SIGTERM each started server of servers[FAM_MAX] and wait for them all, until deadline. */
void fleet_stop(struct run *r, struct sf_task *servers, int64_t deadline);

/* bounds.c: for every family that ran OK, a burst and the reads its server needed. */
void bounds_run(struct run *r);
/* The table's bounds cell: "kept", "merged: 10 in 1 read", "split: 10 in 47 reads", "kept, 8 of
 * 10 arrived", "n/a" (why in the notes); in buf, or a constant. */
const char *bounds_cell(const struct result *x, char *buf, size_t cap);
/* The JSON's "boundaries": {"burst", "reads", "smallest", "largest", "verdict"}, or null. */
json_t *bounds_json(const struct result *x);

/* link.c: --link lab, the lab and its second capture (fleet.c and tally.c call it). */
int link_up(struct sf_err *err, struct run *r, const struct sf_wire_opts *bounds);
int link_netns(const struct run *r, int server); /* a child's namespace, -1: ours */
int link_silence(struct run *r, const char *sysctl);
void link_quiet(struct run *r); /* both captures quiet before they stop */
void link_stop(struct run *r);
void link_describe(FILE *out, const struct run *r);
void link_json(void *obj, const struct run *r); /* obj: a json_t * of the run */
void link_down(struct run *r);

/* ledger.c: --link lab, each family's packets matched across the router (r[].way, resent). */
typedef int (*ledger_owner)(const struct run *, const struct sf_pkt *);
void ledger_tally(struct run *r, ledger_owner owner);

/*
 * ledger.c: whose is a piece of a fragmented datagram?  Its first piece
 * holds the ports (owner() knows it), a later one none.  ledger_pieces()
 * keys the first pieces of both captures by datagram (addresses, protocol,
 * IP id) into r->pieces, once; ledger_piece_owner() then gives any piece's
 * family (-1: none) and its direction (1 up, 0 down) into *way (may be NULL).
 */
void ledger_pieces(struct run *r, ledger_owner owner);
int ledger_piece_owner(const struct run *r, const struct sf_pkt *p, int *way);
void ledger_pieces_free(struct run *r);

/*
 * One direction of a family's messages, from every witness: sent and
 * received by the endpoints, lost on the wire and copied by the router (the
 * ledger, --link lab), dropped at the receiving socket (its kernel's
 * count).  sent = delivered + lost on the wire + lost at the
 * receiver, and received = delivered + copies; what is left is
 * unaccounted, and said.  A stream's messages
 * are its client's (it loses none; its packets lost on the wire are resent).
 */
struct delivery {
    int known;               /* the receiver's count is there (else: n/a) */
    int stream;              /* TCP or a unix stream: lost packets are resent, no message is lost */
    int receiver_known;      /* the receiving socket's drops were counted */
    unsigned long long sent; /* by the sender (up: the client; down: the server) */
    unsigned long long received;  /* read by the receiver, copies included */
    unsigned long long delivered; /* received, each message once */
    unsigned long long wire, receiver, dup, reordered;
    long long unaccounted; /* sent - delivered - wire - receiver */
};
void delivery_of(const struct run *r, int f, int way, struct delivery *d);

/* tally.c: what the capture says about each family, and the ladders. */
void run_tally(struct run *r);

/* report.c: the table (and ladders), or one JSON object. */
void report_text(FILE *out, const struct run *r);
void report_json(FILE *out, const struct run *r);

/* run.c: one line of the notes (at most four are kept). */
void run_note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* run.c: family f's row ends as status (failed or skipped), why in one line. */
void run_result(struct run *r, int f, enum status status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
