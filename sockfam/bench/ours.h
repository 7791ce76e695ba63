/*
 * ours: a family's own rows in one section.  Its server (when it has one
 * the kernel does not replace) is started once for the section (the
 * datagram rows', once for each repetition: their counts are its last
 * line), pinned
 * to the server end's CPU, and found through its readiness line; its
 * client runs pinned to the client end's CPU and its JSON summary gives
 * the figures: --mode mirror --warmup W for round trips, --mode discard
 * for throughput and datagram rate (the server's last line then says what
 * arrived, and what the kernel dropped).  Connections and the crowd are
 * driven from here, against the same server.
 */
#ifndef SF_OURS_H
#define SF_OURS_H

#include "bench.h"

struct ours;

/*
 * Family f (an index of families[]) takes part in section sec: its server
 * started.  NULL where it takes no part (no server of ours outside the
 * round trips), or could not start (a failed row says why).
 */
struct ours *ours_open(struct bench *b, enum section sec, int f);

/* One repetition of the family's row in sec at size (round trips; the others have one size). */
void ours_measure(struct bench *b, struct ours *o, enum section sec, unsigned long size);

/*
 * One repetition of the models row of the family's server run with
 * --model model ("epoll", "thread", "fork", "iterative"): the crowd, and
 * one echo beside a silent client (crowd.h); a server started for each.
 */
void ours_models(struct bench *b, struct ours *o, const char *model);

/* Stop the family's server and free o (NULL: nothing). */
void ours_close(struct ours *o);

#endif
