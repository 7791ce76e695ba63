/*
 * output: what `sockfam bench` prints once every row is in: the ratios
 * (cells.c), then a table per section under the placement line, or one
 * JSON object (docs/bench.md); every failed row is named on stderr.
 */
#ifndef SF_OUTPUT_H
#define SF_OUTPUT_H

#include "bench.h"

/* Ratios, then the tables or the JSON, then the failed rows.  1 if any row failed, else 0. */
int bench_report(struct bench *b);

#endif
