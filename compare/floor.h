/*
 * floor: the kernel's own floor for a ping-pong, measured in the same run
 * as the families: two processes bouncing a message over a socketpair of
 * a given type, or over a pair of pipes.  Nothing of ours is in the path
 * but a read and a write, so every family's figure is shown as a ratio to
 * this one.
 */
#ifndef SF_FLOOR_H
#define SF_FLOOR_H

#include <sched.h>
#include <stddef.h>

#include "err.h"
#include "stats.h"

enum floor_kind { FLOOR_STREAM, FLOOR_DGRAM, FLOOR_SEQPACKET, FLOOR_PIPE };

/* The CPUs this process may run on when it started, and the first two of them. */
struct cpus {
    cpu_set_t allowed;
    int n, first, second; /* second is -1 with only one CPU */
};

/* Read the calling process's CPUs.  0 or -1 (errno). */
int cpus_read(struct cpus *c);

/* Pin the calling process to cpu (-1: back to every CPU it was allowed).  0 or -1. */
int pin_cpu(const struct cpus *c, int cpu);

/*
 * count round trips of size bytes after warmup unmeasured ones, the echoing
 * child pinned to cpu_child and this process to cpu_self (-1: not pinned);
 * samples in microseconds into s.  0, or -1 with err set.
 */
int floor_run(enum floor_kind kind, size_t size, unsigned long warmup, unsigned long count,
              const struct cpus *cpus, int cpu_self, int cpu_child, struct sf_stats *s,
              struct sf_err *err);

const char *floor_name(enum floor_kind kind);

#endif
