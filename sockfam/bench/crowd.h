/*
 * crowd: many clients at once against one server of ours, from one
 * process on an epoll loop: every client connects at the same moment, then
 * does its echoes one at a time (64 bytes out, the same 64 back).  What
 * counts: echoes completed, clients failed (and the first reason), the p99
 * of an echo, and the server's peak resident memory (VmHWM) at the end.
 */
#ifndef SF_CROWD_H
#define SF_CROWD_H

#include <sys/socket.h>

#include "bench.h"

/*
 * b->clients connections at once to addr, each doing b->echoes echoes of
 * 64 bytes, from the client end's CPU; the figures into c, server_pid's
 * peak RSS read at the end.  c->ok once measured: failed clients are a
 * figure of the row (the first reason in c->why).
 */
void crowd_run(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
               int server_pid);

#endif
