/*
 * stats: latency samples and what is reported about them, and the sizes
 * of a server's reads.
 *
 * Samples are kept whole (not binned), so percentiles are exact: the
 * nearest-rank p50/p99 of the values seen.  The caller owns the struct and
 * frees it with sf_stats_free(); an allocation failure is an SF_ERR_SYS.
 * A struct sf_reads needs no allocation: a count and two sizes.
 */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct sf_stats {
    double *v; /* samples, in the caller's unit (microseconds, say) */
    size_t n, cap;
    int sorted;
};

struct sf_summary {
    size_t n;
    double min, max, mean, mdev, p50, p99;
};

void sf_stats_init(struct sf_stats *s);
void sf_stats_free(struct sf_stats *s);

/* Add one sample.  Returns 0 or -1 (out of memory). */
int sf_stats_add(struct sf_err *err, struct sf_stats *s, double value);

/*
 * Summarise: min, max, mean, mdev (the standard deviation, as ping's
 * "mdev"), and the nearest-rank p50 and p99.  All zero when empty.
 */
struct sf_summary sf_stats_summary(struct sf_stats *s);

/* How many samples are above limit (in the samples' unit). */
size_t sf_stats_over(const struct sf_stats *s, double limit);

/* The nearest-rank percentile p (0 < p <= 100) of the samples; 0 if none. */
double sf_stats_percentile(struct sf_stats *s, double p);

/* The most bins sf_stats_hist() fills, and how many make an octave (a doubling). */
#define SF_HIST_MAX 48
#define SF_HIST_PER_OCTAVE 4

/* One bin of a histogram: samples in [lo, the next bin's lo). */
struct sf_hist_bin {
    double lo;
    uint64_t n;
};

/*
 * The samples as a histogram of SF_HIST_PER_OCTAVE bins an octave, from
 * the bin of the smallest sample up, empty bins left out, at most max bins
 * (max <= SF_HIST_MAX): the last one kept also holds every sample above it
 * (its n counts them, so the counts always add up to the samples).  The
 * samples must be positive.  Returns how many bins were filled.
 */
size_t sf_stats_hist(struct sf_stats *s, struct sf_hist_bin *out, size_t max);

/*
 * The reads a server made of its clients' data: how many, and the smallest
 * and largest in bytes (all 0 before the first).  How they match the
 * client's sends is what a socket type does to message boundaries.
 */
struct sf_reads {
    uint64_t n, min, max;
};

/* Count one read of len bytes. */
void sf_reads_add(struct sf_reads *r, size_t len);

#endif
