/*
 * options: `sockfam bench`'s command line, read through the suite's one
 * option table (common/prog/opts.h) into struct bench.  Like every entry
 * point it prints --help and exits 0, or names a bad option in one line
 * and exits EX_USAGE.
 */
#ifndef SF_BENCH_OPTIONS_H
#define SF_BENCH_OPTIONS_H

#include "bench.h"

/* Defaults, then argv (argv[0] is "bench"); b->cpus must be read first (--placement). */
void bench_options(struct bench *b, int argc, char **argv);

#endif
