/*
 * task: one child program of a run (a server, a client, a peer tool) with
 * what it printed, bounded: stdout and stderr are kept up to a cap each,
 * and a child that says more is cut there and marked, never allowed to
 * grow the runner without bound.  The task owns its child until
 * sf_task_end() (or sf_task_release(), which hands the child over).
 */
#ifndef SF_TASK_H
#define SF_TASK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "spawn.h"

#define SF_TASK_OUT_MAX 65536
#define SF_TASK_ERR_MAX 16384

struct sf_task {
    char name[64]; /* "tcp-server": argv[0] without its directory */
    struct sf_child c;
    int started, exited, status; /* status: exit code, or 128 + signal */
    char out[SF_TASK_OUT_MAX], err[SF_TASK_ERR_MAX];
    size_t out_len, err_len;
    int cut; /* output past the caps was dropped */
};

/*
 * Start bin_dir/argv[0] (argv[0] itself when it holds a /), argv
 * NULL-terminated.  0, or -1 with err set (the task is then not started).
 */
int sf_task_start(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                  const char *const argv[]);

/* The same, in netns_fd (-1: ours) as user u (NULL: as we are): see sf_spawn_in(). */
int sf_task_start_in(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                     const char *const argv[], int netns_fd, const struct sf_spawn_user *u);

/* Add t's descriptors to pf (at most 3); returns how many were added. */
int sf_task_fds(const struct sf_task *t, struct pollfd *pf);

/* Read what is ready on t's pipes and reap it if it exited.  Never blocks. */
void sf_task_pump(struct sf_task *t);

/* The last non-empty line of stderr (for "why it failed"), into buf; returns buf. */
const char *sf_task_last_line(const struct sf_task *t, char *buf, size_t cap);

/* Send sig if it still runs. */
void sf_task_signal(struct sf_task *t, int sig);

/* SIGKILL if still running, reap, close.  What it printed stays readable. */
void sf_task_end(struct sf_task *t);

/*
 * Wait for one task: until its stderr or stdout holds needle (NULL: until
 * it exits) or deadline (an sf_now_ns() time).  1 when it happened, 0 at
 * the deadline or when the task exited first.
 */
int sf_task_wait(struct sf_task *t, const char *needle, int64_t deadline);

/*
 * Hand t's child (its pid and pipes) over to *c: the task no longer reads,
 * signals or kills it, and the new owner must reap it.  A child the task
 * already reaped comes with pid -1 (its status is in t->status): the new
 * owner must never pass that pid to kill().  What the task read so far
 * stays in t->out and t->err.
 */
void sf_task_release(struct sf_task *t, struct sf_child *c);

#endif
