/*
 * bench: `sockfam bench`, round-trip latency of every family's own pair
 * (one message in flight) beside the kernel's floor, measured in one run
 * under one stated placement of the two ends on the CPUs.
 */
#ifndef SF_BENCH_H
#define SF_BENCH_H

/* The command: parse argv (argv[0] is "bench"), run, print; the exit code. */
int bench_main(int argc, char **argv);

#endif
