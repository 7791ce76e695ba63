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
 * sf_loop_run() also watches a stop descriptor (a signalfd for SIGINT and
 * SIGTERM, in the programs): it is one more fd in the epoll set, so a stop
 * is seen at the next wake-up however busy the sockets keep the loop, and
 * never lost between a check and a wait.
 *
 * Deadlines cost O(log n) to set, change or clear and O(1) to find the
 * earliest (a heap), so ten thousand connections with a deadline each cost
 * no more per event than ten.  Those due at one wake-up fire earliest
 * first.
 *
 * In a process that spins its waits (sf_io_spin(), a program's --spin) the
 * loop never sleeps: each epoll_wait() has a timeout of 0 and the loop
 * looks again at once, keeping its CPU busy, and its deadlines and stop
 * descriptor are seen as they are when asleep: the run still ends on the
 * same conditions, and a deadline fires on the first look after it.
 * Between two looks it calls the hot descriptor (sf_loop_hot) as if it
 * were readable, SF_SPIN_HOT times: a read that finds nothing costs less
 * than an epoll_wait, and a client in a conversation is the likeliest to
 * speak next, so its message waits for one read, not for a look and a read.
 */
#ifndef SF_LOOP_H
#define SF_LOOP_H

/* Spinning: the calls to the last readable descriptor between two looks. */
#define SF_SPIN_HOT 8

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

/*
 * Stop watching fd, which the caller closes next, without EPOLL_CTL_DEL:
 * closing the last descriptor of an open file takes it out of the epoll
 * set (epoll(7)), so the call would be one more per connection for
 * nothing.  Only for a descriptor never duplicated (no dup, no fork
 * holding it): else the file stays in the set after the close.
 */
void sf_loop_forget(struct sf_loop *loop, int fd);

/* Set (or, with SF_NO_DEADLINE from io.h, clear) fd's deadline. */
void sf_loop_set_deadline(struct sf_loop *loop, int fd, int64_t deadline);

/* How many fds are watched. */
unsigned sf_loop_count(const struct sf_loop *loop);

/*
 * Dispatch events until stop_fd (-1: none) is readable, a callback called
 * sf_loop_stop(), or nothing is watched.  stop_fd is only polled, never
 * read.  Returns 0, or -1 if epoll itself failed.
 */
int sf_loop_run(struct sf_err *err, struct sf_loop *loop, int stop_fd);

/* From a callback: end sf_loop_run() after this batch of events. */
void sf_loop_stop(struct sf_loop *loop);

/* Did the last sf_loop_run() end because stop_fd became readable? */
int sf_loop_stopped_by_fd(const struct sf_loop *loop);

/* How many descriptors the wait now being dispatched found ready (a measure of the load). */
int sf_loop_ready(const struct sf_loop *loop);

/*
 * Spinning, call fd's callback as if readable between two looks, until
 * another fd is made hot or fd's watch ends (not while it waits only to
 * send).  Its callback must take a readable event that finds nothing.
 */
void sf_loop_hot(struct sf_loop *loop, int fd);

#endif
