/*
 * crowd: many clients at once against one server of ours, from one
 * process on an epoll loop: each client connects, then does its echoes one
 * at a time (64 bytes out, the same 64 back), and stays connected until the
 * whole crowd is done, so the server holds every client at once at the end.
 * They connect as fast as the server accepts them: at most CROWD_BACKLOG
 * not yet answered once, the backlog the server is started with, so no
 * connection waits on the kernel's SYN retry or is refused for a full
 * accept queue.  What counts: echoes completed and per second, clients
 * failed (and the first reason), the p50 and p99 of an echo, and the
 * server's peak resident memory (VmHWM) with the crowd still connected.
 * The models section runs the same crowd against each --model, and one
 * client beside a silent one.
 */
#ifndef SF_CROWD_H
#define SF_CROWD_H

#include <sys/socket.h>

#include "bench.h"

/* The listen backlog of the crowd's server, and the clients connecting at once at most. */
#define CROWD_BACKLOG 1024

/*
 * b->clients connections at once to addr, each doing b->echoes echoes of
 * 64 bytes, from the client end's CPU; the figures into c, server_pid's
 * peak RSS read at the end.  c->ok once measured: failed clients are a
 * figure of the row (the first reason in c->why).
 */
void crowd_run(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
               int server_pid);

/* The models section's crowd: at most this many clients (fork: a process each). */
#define MODELS_CLIENTS 1000

/*
 * The same crowd for a server run with --model: min(b->clients,
 * MODELS_CLIENTS) clients; hold: each client done stays connected until
 * the whole crowd is (iterative serves one at a time: its clients close
 * when done).  rss_kib: the PSS of the server and its children (fork),
 * read at the end.
 */
void crowd_models(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
                  int server_pid, int hold);

/*
 * What one client's echo costs beside a silent one: connect a client that
 * sends nothing, then another that does one 64-byte echo; the time from
 * its connect to its reply into c->silent_ms.  A server that serves one
 * at a time serves the silent one first (the accept queue is in order) and
 * reaches the other only when its idle timeout closes it.  c->ok = 0 with
 * why set if the echo fails (its deadline: 10 s).
 */
void crowd_silent(struct cell *c, const struct sockaddr *addr, socklen_t len);

#endif
