/* Unit tests for common/stats: nearest-rank percentiles and summaries. */
#include <criterion/criterion.h>

#include "stats.h"

TestSuite(stats, .timeout = 10);

Test(stats, percentiles_nearest_rank)
{
    struct sf_stats s;

    sf_stats_init(&s);
    for (int i = 100; i >= 1; i--)
        cr_assert_eq(sf_stats_add(NULL, &s, i), 0);
    cr_expect_float_eq(sf_stats_percentile(&s, 50), 50, 1e-9);
    cr_expect_float_eq(sf_stats_percentile(&s, 99), 99, 1e-9);
    cr_expect_float_eq(sf_stats_percentile(&s, 100), 100, 1e-9);
    struct sf_summary sum = sf_stats_summary(&s);
    cr_expect_eq(sum.n, 100);
    cr_expect_float_eq(sum.min, 1, 1e-9);
    cr_expect_float_eq(sum.max, 100, 1e-9);
    cr_expect_float_eq(sum.mean, 50.5, 1e-9);
    cr_expect_float_eq(sum.mdev, 28.866, 1e-3);
    sf_stats_free(&s);
}

Test(stats, empty_and_single)
{
    struct sf_stats s;

    sf_stats_init(&s);
    struct sf_summary sum = sf_stats_summary(&s);
    cr_expect_eq(sum.n, 0);
    cr_expect_float_eq(sum.p99, 0, 1e-9);
    sf_stats_add(NULL, &s, 7);
    sum = sf_stats_summary(&s);
    cr_expect_float_eq(sum.p50, 7, 1e-9);
    cr_expect_float_eq(sum.p99, 7, 1e-9);
    cr_expect_float_eq(sum.mdev, 0, 1e-9);
    sf_stats_free(&s);
}
