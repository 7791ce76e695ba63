/*
 * task: one child program of a run (a server or a client) with what it
 * printed, bounded: stdout and stderr are kept up to a cap each, and a
 * child that says more is cut there and marked, never allowed to grow the
 * runner without bound.
 */
#ifndef SF_TASK_H
#define SF_TASK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "spawn.h"

#define TASK_OUT_MAX 65536
#define TASK_ERR_MAX 16384

struct task {
    char name[64]; /* "tcp-server": argv[0] without its directory */
    struct sf_child c;
    int started, exited, status; /* status: exit code, or 128 + signal */
    char out[TASK_OUT_MAX], err[TASK_ERR_MAX];
    size_t out_len, err_len;
    int cut; /* output past the caps was dropped */
};

/* Start bin_dir/argv[0] (argv[0] itself when it holds a /).  0 or -1 (err set). */
int task_start(struct sf_err *err, struct task *t, const char *bin_dir, const char *const argv[]);

/* Add t's descriptors to pf (at most 3); returns how many were added. */
int task_fds(const struct task *t, struct pollfd *pf);

/* Read what is ready on t's pipes and reap it if it exited.  Never blocks. */
void task_pump(struct task *t);

/* The last non-empty line of stderr (for "why it failed"), into buf. */
const char *task_last_line(const struct task *t, char *buf, size_t cap);

/* Send sig if running. */
void task_signal(struct task *t, int sig);

/* SIGKILL if still running, reap, close. */
void task_end(struct task *t);

/*
 * Wait for one task: until its stderr or stdout holds needle (NULL: until it exits)
 * or deadline (sf_now_ns() time).  1 when it happened, 0 at the deadline
 * or when the task exited first.
 */
int task_wait(struct task *t, const char *needle, int64_t deadline);

#endif
