/*
 * cpu: where the two ends of a measurement run.  A round trip on one CPU
 * and one across two differ by a factor of four here (waking an idle vCPU
 * costs about 20 us each way), so the bench states and controls the
 * placement: it reads the CPUs this process may use (a taskset or a cgroup
 * may restrict them) and pins itself, or a child before it starts, to one
 * of them.  Never prints, never exits.
 */
#ifndef SF_CPU_H
#define SF_CPU_H

#include <sched.h>

#include "err.h"

/* The CPUs this process was allowed when it started, and the first two of them. */
struct sf_cpus {
    cpu_set_t allowed;
    int n, first, second; /* second is -1 with only one CPU */
};

/* Read the calling process's CPUs (sched_getaffinity).  0, or -1 with err set. */
int sf_cpus_read(struct sf_err *err, struct sf_cpus *c);

/*
 * Pin the calling thread to cpu, or with cpu -1 let it run on every CPU of
 * c->allowed again.  A child forked or spawned afterwards inherits it.
 * 0, or -1 with err set.
 */
int sf_cpu_pin(struct sf_err *err, const struct sf_cpus *c, int cpu);

#endif
