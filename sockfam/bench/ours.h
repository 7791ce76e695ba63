/*
 * ours: a family's own rows in one section.  Its server (when it has one
 * the kernel does not replace) is started once for the section, pinned
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

/* The rows of family f (an index of families[]) in section sec, appended to b's cells. */
void ours_rows(struct bench *b, enum section sec, int f);

#endif
