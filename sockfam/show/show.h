/*
 * show: `sockfam show`, the suite's lessons as runnable demonstrations.
 * A lesson is one definition (a row of lessons[]): its name, a line saying
 * what it shows, a paragraph for the learner, and two steps.  run() uses
 * real kernel sockets in a private network namespace while lo is captured;
 * judge() then reads the whole capture and what run() measured, and
 * records the figures and the verdict: holds, or does not hold here, and
 * why (a kernel that behaves otherwise is reported, not hidden).  The
 * command (show.c) prints them as text with the ladder of the packets
 * that prove it, or as one JSON object; tests/wire/test_show_wire.c runs
 * the same command and asserts the same verdict and figures.
 *
 *   show.c      the command: options, the namespace and capture, output, exit code
 *   lessons.c   the lessons of one host: timeout, truncation, boundaries
 *   tcp.c       the TCP lessons: backlog, dead-peer, nagle
 *   unix.c      AF_UNIX's: unix-rights
 *   concurrency.c  one client at a time against epoll
 *   lab.c       over the lab's real link: fragments, pmtu, loss
 *   stack.c     in the lab: dual-stack
 */
#ifndef SF_SHOW_H
#define SF_SHOW_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "netlab.h"
#include "wire.h"

#define SHOW_FIGS 24

/* What a lesson measured and concluded. */
struct show_out {
    struct {
        char name[40];  /* a JSON key: "udp_read_bytes" */
        double value;   /* the figure, in unit */
        char unit[12];  /* "bytes", "ms", "" */
        char text[160]; /* the line the learner reads */
    } fig[SHOW_FIGS];
    int nfig;
    int holds;
    char why[400];       /* does not hold: why, in one line */
    size_t ladder_first; /* the capture record whose flow proves it, or SIZE_MAX: none */
    size_t ladder_head;  /* packets of it to draw (0: all) */
};

struct lesson {
    const char *name;
    const char *summary; /* one line, for the list */
    const char *text;    /* what it shows, a few sentences */
    /* In the private namespace, the capture on: the sockets.  0, or -1 with err (an error of
     * the machine, not of the lesson: exit 71). */
    int (*run)(struct sf_err *err);
    /* The capture stopped: figures and the verdict into out. */
    void (*judge)(const struct sf_wire *w, struct show_out *out);
    /* Non-NULL: the lesson runs in the lab (common/lab/netlab) built with these, not on a
     * private lo; w is then the capture on the router's client side (r0), and show_far()
     * the one on its server side (r1).  run() makes its sockets with show_socket_in(). */
    const struct sf_lab_opts *lab;
};

/* In the lab: a socket made in the client's or the server's namespace (it stays there). */
int show_socket_in(struct sf_err *err, enum sf_lab_ns ns, int domain, int type);

/* In the lab: enter ns (SF_LAB_NS: back home) in this thread.  0 or -1. */
int show_enter(struct sf_err *err, enum sf_lab_ns ns);

/* In the lab: the capture on the router's server side (r1), stopped; NULL on lo. */
const struct sf_wire *show_far(void);

extern const struct lesson lessons_local[], lessons_tcp[], lessons_nagle[], lessons_unix[],
    lessons_concurrency[], lessons_lab[], lessons_stack[];
extern const size_t nlessons_local, nlessons_tcp, nlessons_nagle, nlessons_unix,
    nlessons_concurrency, nlessons_lab, nlessons_stack;

/* The command: argv[0] is "show"; the exit code. */
int show_main(int argc, char **argv);

/* Add a figure: its key, value and unit, and the learner's line (printf format). */
void show_fig(struct show_out *o, const char *name, double value, const char *unit, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* The lesson does not hold: why (printf format).  The first reason given is kept. */
void show_fails(struct show_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* -v: one line on stderr saying what the lesson does (printf format); nothing otherwise. */
void show_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Helpers for the lessons' sockets, all on 127.0.0.1 (lessons.c). */
int show_bound(struct sf_err *err, int type, uint16_t *port); /* a socket on 127.0.0.1:0 */
int show_connect_to(struct sf_err *err, int type, uint16_t port);
int show_wait_readable(int fd, int ms); /* 1 readable, 0 not within ms */
const char *show_errno_name(int e);     /* "ECONNREFUSED", or the number */

/* The capture while it runs, for a lesson that waits on what it sees (backlog). */
void show_live_capture(struct sf_wire *w);

/* The first record of the capture from or to port (TCP or UDP), or SIZE_MAX. */
size_t show_first_of(const struct sf_wire *w, uint16_t port);

#endif
