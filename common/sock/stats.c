/* stats: latency samples and percentiles; see stats.h. */
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sf_stats_init(struct sf_stats *s)
{
    memset(s, 0, sizeof(*s));
}

void sf_stats_free(struct sf_stats *s)
{
    free(s->v);
    sf_stats_init(s);
}

int sf_stats_add(struct sf_err *err, struct sf_stats *s, double value)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return sf_err_sys(err, ENOMEM, "realloc", "latency samples");
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = value;
    s->sorted = 0;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double sf_stats_percentile(struct sf_stats *s, double p)
{
    size_t rank;

    if (s->n == 0)
        return 0;
    if (!s->sorted) {
        qsort(s->v, s->n, sizeof(*s->v), cmp_double);
        s->sorted = 1;
    }
    rank = (size_t)ceil(p / 100.0 * (double)s->n);
    if (rank < 1)
        rank = 1;
    if (rank > s->n)
        rank = s->n;
    return s->v[rank - 1];
}

struct sf_summary sf_stats_summary(struct sf_stats *s)
{
    struct sf_summary r;
    double sum = 0, sq = 0;

    memset(&r, 0, sizeof(r));
    if (s->n == 0)
        return r;
    r.n = s->n;
    r.p50 = sf_stats_percentile(s, 50);
    r.p99 = sf_stats_percentile(s, 99);
    r.min = s->v[0];
    r.max = s->v[s->n - 1];
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    r.mean = sum / (double)s->n;
    for (size_t i = 0; i < s->n; i++)
        sq += (s->v[i] - r.mean) * (s->v[i] - r.mean);
    r.mdev = sqrt(sq / (double)s->n);
    return r;
}

void sf_reads_add(struct sf_reads *r, size_t len)
{
    if (r->n == 0 || len < r->min)
        r->min = len;
    if (len > r->max)
        r->max = len;
    r->n++;
}

size_t sf_stats_over(const struct sf_stats *s, double limit)
{
    size_t n = 0;

    for (size_t i = 0; i < s->n; i++)
        n += s->v[i] > limit;
    return n;
}

/* The lower edge of bin k: 2^(k / SF_HIST_PER_OCTAVE). */
static double bin_lo(long k)
{
    return exp2((double)k / SF_HIST_PER_OCTAVE);
}

size_t sf_stats_hist(struct sf_stats *s, struct sf_hist_bin *out, size_t max)
{
    size_t used = 0;
    long first, last = 0;

    if (s->n == 0 || max == 0 || s->v == NULL)
        return 0;
    sf_stats_percentile(s, 50); /* sorts */
    first = (long)floor(log2(s->v[0] > 0 ? s->v[0] : 1e-9) * SF_HIST_PER_OCTAVE);
    for (size_t i = 0; i < s->n; i++) {
        double v = s->v[i] > 0 ? s->v[i] : 1e-9;
        long k = (long)floor(log2(v) * SF_HIST_PER_OCTAVE);
        if (k < first)
            k = first; /* rounding at the very first edge */
        if (used == 0 || (k != last && used < max)) {
            out[used++] = (struct sf_hist_bin){bin_lo(k), 0};
            last = k;
        }
        out[used - 1].n++; /* past max bins: the last one holds the rest */
    }
    return used;
}
