/*
 * loop: a small epoll event loop for the connection-oriented servers, so one
 * slow or idle client never blocks the others (the tutorial's server served
 * one client at a time).
 *
 * Each watched fd has a callback, the events it waits for, and optionally a
 * deadline on CLOCK_MONOTONIC: when the deadline passes the callback gets
 * SF_EV_TIMEOUT once.  Callbacks may add, modify and remove any watcher,
 * including their own, and must tolerate a wake-up that finds nothing to do.
 * The loop never closes an fd; whoever added it does.
 *
 * sf_loop_run() waits with epoll_pwait() and the caller's signal mask, so a
 * program that blocks SIGINT/SIGTERM everywhere else and unblocks them only
 * there never misses the signal that sets its stop flag.
 */
#ifndef SF_LOOP_H
#define SF_LOOP_H

#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>

#include "err.h"

#define SF_EV_IN EPOLLIN
#define SF_EV_OUT EPOLLOUT
#define SF_EV_TIMEOUT (1u << 30)

struct sf_loop;
typedef void (*sf_loop_fn)(struct sf_loop *loop, int fd, unsigned events, void *ctx);

/* A new loop, or NULL with err set. */
struct sf_loop *sf_loop_new(struct sf_err *err);

/* Free the loop; watched fds are not closed. */
void sf_loop_free(struct sf_loop *loop);

/* Watch fd for events (SF_EV_IN | SF_EV_OUT, or 0 for none).  0 or -1. */
int sf_loop_add(struct sf_err *err, struct sf_loop *loop, int fd, unsigned events, sf_loop_fn fn,
                void *ctx);

/* Change the events fd waits for.  0 or -1. */
int sf_loop_modify(struct sf_err *err, struct sf_loop *loop, int fd, unsigned events);

/* Stop watching fd (before closing it). */
void sf_loop_remove(struct sf_loop *loop, int fd);

/* Set (or, with SF_NO_DEADLINE from io.h, clear) fd's deadline. */
void sf_loop_set_deadline(struct sf_loop *loop, int fd, int64_t deadline);

/* How many fds are watched. */
unsigned sf_loop_count(const struct sf_loop *loop);

/*
 * Dispatch events until *stop is non-zero or nothing is watched.  waitmask
 * (may be NULL) is the signal mask while waiting.  Returns 0, or -1 if
 * epoll itself failed.
 */
int sf_loop_run(struct sf_err *err, struct sf_loop *loop, volatile sig_atomic_t *stop,
                const sigset_t *waitmask);

#endif
