/*
 * sockfam bench, smoke only: tiny counts, no timing asserted.  Every cell
 * holds its numbers (or says why it was skipped), the JSON parses, every
 * floor the families are compared to is there, and each family's row has
 * its ratio.  Usage errors exit 64.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "proc.h"

TestSuite(bench, .timeout = 120);

#define WAIT_MS 90000

static const char *const tiny[] = {
    "sockfam",      "bench",     "--json",      "-q",       "-c",
    "20",           "--warmup",  "2",           "--sizes",  "1,64",
    "--stream-mib", "1",         "--datagrams", "300",      "--connections",
    "20",           "--clients", "10",          "--echoes", "3",
    "--reps",       "2",         NULL};

static int get(const char *json, const char *path, struct sf_json_val *v)
{
    return sf_json_get(json, strlen(json), path, v) == 1;
}

static double num(const char *json, const char *path)
{
    struct sf_json_val v;

    cr_assert(get(json, path, &v) && v.type == SF_JSON_NUMBER, "no number at %s", path);
    return v.num;
}

static int is_true(const char *json, const char *path)
{
    struct sf_json_val v;

    return get(json, path, &v) && v.type == SF_JSON_BOOL && v.num == 1;
}

/* The cell's string at field into buf. */
static void str(const char *json, size_t i, const char *field, char *buf, size_t cap)
{
    char path[64];
    struct sf_json_val v;

    snprintf(path, sizeof(path), "cells.%zu.%s", i, field);
    cr_assert(get(json, path, &v) && v.type == SF_JSON_STRING, "no string at %s", path);
    sf_json_unescape(&v, buf, cap);
}

/* The figures each section's measured cell must hold, all above zero. */
static void check_cell(const char *json, size_t i, const char *sec)
{
    static const struct {
        const char *sec, *fields[4];
    } need[] = {
        {"latency", {"p50_us", "p99_us", "mean_us", "per_s"}},
        {"stream", {"mb_per_s"}},
        {"dgram", {"sent_per_s", "delivered_per_s", "sent", "received"}},
        {"connect", {"p50_us", "p99_us", "mean_us", "per_s"}},
        {"crowd", {"completed", "per_s", "p99_us", "server_rss_kib"}},
        {"models", {"completed", "per_s", "server_pss_kib", "silent_ms"}},
    };
    char path[64];

    for (size_t k = 0; k < sizeof(need) / sizeof(need[0]); k++)
        for (size_t f = 0; strcmp(need[k].sec, sec) == 0 && f < 4 && need[k].fields[f]; f++) {
            snprintf(path, sizeof(path), "cells.%zu.%s", i, need[k].fields[f]);
            cr_expect_gt(num(json, path), 0, "%s", path);
        }
}

static int has_cell(const char *json, size_t n, const char *sec, const char *name,
                    unsigned long size)
{
    char s[32], nm[64], path[64];

    for (size_t i = 0; i < n; i++) {
        str(json, i, "section", s, sizeof(s));
        str(json, i, "name", nm, sizeof(nm));
        snprintf(path, sizeof(path), "cells.%zu.ok", i);
        if (strcmp(s, sec) == 0 && strcmp(nm, name) == 0 && is_true(json, path)) {
            snprintf(path, sizeof(path), "cells.%zu.size", i);
            if ((unsigned long)num(json, path) == size)
                return 1;
        }
    }
    return 0;
}

Test(bench, every_cell_measured_json_parses_floors_present)
{
    struct proc c;
    struct sf_json_val cells;

    cr_assert_eq(proc_run(&c, WAIT_MS, tiny), 0, "exit %d: %s", c.status, c.err);
    cr_assert_eq(sf_json_check(c.out, strlen(c.out), NULL), 0, "not JSON: %s", c.out);
    cr_assert(get(c.out, "cells", &cells) && cells.type == SF_JSON_ARRAY);
    struct sf_json_val place;
    cr_expect(get(c.out, "placement", &place) && place.len == 4 &&
                  memcmp(place.start, "same", 4) == 0,
              "placement: %s", c.out);
    for (size_t i = 0; i < cells.count; i++) {
        char sec[32], role[16], name[64], path[64];
        str(c.out, i, "section", sec, sizeof(sec));
        str(c.out, i, "role", role, sizeof(role));
        str(c.out, i, "name", name, sizeof(name));
        snprintf(path, sizeof(path), "cells.%zu.ok", i);
        if (!is_true(c.out, path)) {
            snprintf(path, sizeof(path), "cells.%zu.skipped", i);
            cr_expect(is_true(c.out, path), "%s %s failed: %s", sec, name, c.out);
            continue;
        }
        check_cell(c.out, i, sec);
        snprintf(path, sizeof(path), "cells.%zu.ratio", i);
        if (strcmp(role, "ours") == 0 && strcmp(sec, "crowd") != 0 && strcmp(sec, "models") != 0)
            cr_expect_gt(num(c.out, path), 0, "%s %s has no ratio to its floor", sec, name);
    }
    static const char *const floors[] = {
        "socketpair stream", "socketpair dgram", "socketpair seqpacket", "pipe",
        "tcp bare",          "udp bare",         "udp server",           "unix-dgram server"};
    for (size_t f = 0; f < sizeof(floors) / sizeof(floors[0]); f++)
        for (unsigned long size = 1; size <= 64; size += 63)
            cr_expect(has_cell(c.out, cells.count, "latency", floors[f], size),
                      "no %s floor at %lu bytes", floors[f], size);
    cr_expect(has_cell(c.out, cells.count, "stream", "tcp bare", 65536));
    cr_expect(has_cell(c.out, cells.count, "dgram", "udp bare", 64));
    cr_expect(has_cell(c.out, cells.count, "dgram", "udp server", 64));
    cr_expect(has_cell(c.out, cells.count, "connect", "tcp bare", 64));
    cr_expect(has_cell(c.out, cells.count, "crowd", "tcp", 64));
    cr_expect(has_cell(c.out, cells.count, "models", "unix-stream fork", 64));
}

/*
 * The models side by side: every model answers every echo of the crowd,
 * and only the iterative server makes a client wait for a silent one's
 * idle timeout (the bench's servers: 1 s); the others answer beside it.
 */
Test(bench, models_only_iterative_waits_for_the_silent_client)
{
    const char *argv[] = {
        "sockfam",   "bench", "--json",   "-q", "--sections", "models",          "--reps", "1",
        "--clients", "5",     "--echoes", "3",  "--families", "tcp,unix-stream", NULL};
    static const char *const models[] = {"epoll", "thread", "fork", "iterative"};
    struct proc c;
    struct sf_json_val cells;
    int seen = 0;

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "exit %d: %s", c.status, c.err);
    cr_assert(get(c.out, "cells", &cells) && cells.type == SF_JSON_ARRAY, "%s", c.out);
    for (size_t i = 0; i < cells.count; i++) {
        char name[64], path[64];
        str(c.out, i, "name", name, sizeof(name));
        snprintf(path, sizeof(path), "cells.%zu.completed", i);
        cr_expect_eq(num(c.out, path), 15, "%s: every echo of 5 clients, 3 each", name);
        snprintf(path, sizeof(path), "cells.%zu.failed", i);
        cr_expect_eq(num(c.out, path), 0, "%s", name);
        snprintf(path, sizeof(path), "cells.%zu.silent_ms", i);
        double ms = num(c.out, path);
        if (strstr(name, "iterative"))
            cr_expect_geq(ms, 900, "%s: served after the silent client's 1 s idle timeout", name);
        else
            cr_expect_lt(ms, 900, "%s: served beside the silent client", name);
        for (size_t m = 0; m < 4; m++)
            seen += strstr(name, models[m]) != NULL;
    }
    cr_expect_eq(seen, 8, "two families, four models each: %s", c.out);
}

/* Without --json: one table per section, under the placement line. */
Test(bench, text_tables_name_the_placement)
{
    struct proc c;
    const char *argv[] = {"sockfam",
                          "bench",
                          "-q",
                          "-c",
                          "10",
                          "--warmup",
                          "0",
                          "--sizes",
                          "64",
                          "--families",
                          "tcp,unix-dgram",
                          "--sections",
                          "latency,dgram",
                          "--datagrams",
                          "100",
                          NULL};

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "exit %d: %s", c.status, c.err);
    cr_expect(strstr(c.out, "placement same (server end on CPU "), "%s", c.out);
    cr_expect(strstr(c.out, "Round trips, one message in flight"), "%s", c.out);
    cr_expect(strstr(c.out, "Datagram rate"), "%s", c.out);
    cr_expect(strstr(c.out, "  floor: tcp bare "), "%s", c.out);
    cr_expect(strstr(c.out, "  unix-dgram "), "%s", c.out);
    cr_expect_null(strstr(c.out, "Stream throughput"), "a section not asked for ran");
    cr_expect_null(strstr(c.out, "  udp "), "a family not asked for ran");
}

/* split puts the two ends on two CPUs; with one CPU it is a usage error. */
Test(bench, split_placement_uses_two_cpus)
{
    struct proc c;
    const char *argv[] = {"sockfam",    "bench",       "--json",     "-q",      "-c",
                          "10",         "--warmup",    "0",          "--sizes", "64",
                          "--families", "unix-stream", "--sections", "latency", "--placement",
                          "split",      NULL};

    proc_run(&c, WAIT_MS, argv);
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        cr_expect_eq(c.status, 64, "%s", c.err);
        return;
    }
    cr_assert_eq(c.status, 0, "%s", c.err);
    cr_expect_neq(num(c.out, "cpu_server"), num(c.out, "cpu_client"), "%s", c.out);
}

Test(bench, usage_errors_exit_64)
{
    static const char *const bad[][6] = {
        {"sockfam", "bench", "--sections", "latency,nope", NULL},
        {"sockfam", "bench", "--placement", "far", NULL},
        {"sockfam", "bench", "--clients", "20001", NULL},
        {"sockfam", "bench", "--sizes", "0", NULL},
        {"sockfam", "bench", "extra", NULL},
        {"sockfam", "bench", "--families", "mptcp", NULL}, /* compare's only: no bench sections */
        {"sockfam", "bench", "--reps", "0", NULL},
        {"sockfam", "bench", "--reps", "10", NULL}, /* at most 9 */
    };
    struct proc c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(proc_run(&c, WAIT_MS, bad[i]), 64, "%s %s", bad[i][2], c.err);
        cr_expect(strstr(c.err, "sockfam: bench: "), "%s", c.err);
        cr_expect(strstr(c.err, "(see sockfam bench --help)"), "%s", c.err);
        if (i == 0) /* an unknown section: the valid ones named */
            cr_expect(strstr(c.err, "(valid: latency, stream, dgram, connect, crowd, models,"),
                      "%s", c.err);
    }
}

/*
 * 15000 udp round trips as fast as they go: past udp-server's default
 * 10000 replies a second to one source, which the bench's server does not
 * have (--rate-limit 0), so the cell is measured, not failed on a reply
 * that never came.
 */
Test(bench, udp_latency_not_throttled_by_the_rate_limit)
{
    struct proc c;
    /* Niced: seconds of round trips flat out, beside the suite's timing tests. */
    const char *argv[] = {"/usr/bin/nice",
                          "-n",
                          "15",
                          proc_bin("sockfam"),
                          "bench",
                          "--json",
                          "-q",
                          "-c",
                          "15000",
                          "--warmup",
                          "0",
                          "--sizes",
                          "64",
                          "--families",
                          "udp",
                          "--sections",
                          "latency",
                          NULL};

    struct sf_json_val cells;

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "exit %d: %s", c.status, c.err);
    cr_assert(get(c.out, "cells", &cells) && cells.type == SF_JSON_ARRAY, "%s", c.out);
    cr_expect(has_cell(c.out, cells.count, "latency", "udp", 64), "%s", c.out);
}

/*
 * --peers as an ordinary user: iputils ping refuses -i 0 to anyone but
 * root, so the ping row is skipped saying so (not failed), and the run
 * exits 0.
 */
Test(bench, peers_as_non_root_skip_ping_saying_why)
{
    struct proc c;
    char sec[32], name[64], why[256], path[64];
    struct sf_json_val cells;
    int seen = 0;

    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is needed to drop privilege");
    const char *argv[] = {"sockfam", "bench",      "--json",  "-q",      "--peers", "-c",
                          "10",      "--warmup",   "0",       "--sizes", "64",      "--families",
                          "icmp",    "--sections", "latency", NULL};
    cr_assert_eq(proc_run_nobody(&c, WAIT_MS, argv), 0, "exit %d: %s\n%s", c.status, c.err, c.out);
    cr_assert(get(c.out, "cells", &cells) && cells.type == SF_JSON_ARRAY, "%s", c.out);
    for (size_t i = 0; i < cells.count; i++) {
        str(c.out, i, "section", sec, sizeof(sec));
        str(c.out, i, "name", name, sizeof(name));
        if (strcmp(name, "ping") != 0)
            continue;
        seen = 1;
        snprintf(path, sizeof(path), "cells.%zu.skipped", i);
        cr_expect(is_true(c.out, path), "%s", c.out);
        str(c.out, i, "why", why, sizeof(why));
        cr_expect(strstr(why, "-i 0 to root only") && strstr(why, "2ms"), "%s", why);
    }
    cr_expect(seen, "no ping row: %s", c.out);
}

/* The round trips' histogram of one repetition of cell i: its counts, added up. */
static double hist_total(const char *json, size_t i, size_t r)
{
    char path[96];
    struct sf_json_val h;
    double total = 0;

    snprintf(path, sizeof(path), "cells.%zu.repetitions.%zu.hist_us", i, r);
    cr_assert(get(json, path, &h) && h.type == SF_JSON_ARRAY && h.count > 0, "no %s", path);
    for (size_t b = 0; b < h.count; b++) {
        snprintf(path, sizeof(path), "cells.%zu.repetitions.%zu.hist_us.%zu.1", i, r, b);
        total += num(json, path);
    }
    return total;
}

/*
 * --reps 3: every row keeps its three repetitions, each round trip's with a
 * histogram of every measured round trip; a ratio is the median of three
 * and lies within the range printed beside it.
 */
Test(bench, every_repetition_kept_ratio_is_the_median_within_its_range)
{
    const char *argv[] = {"sockfam",  "bench", "--json",     "-q",      "-c",         "30",
                          "--warmup", "2",     "--sizes",    "64",      "--families", "tcp,udp",
                          "--reps",   "3",     "--sections", "latency", NULL};
    struct proc c;
    struct sf_json_val cells, reps;
    char path[96], role[16];

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "exit %d: %s", c.status, c.err);
    cr_assert_eq(num(c.out, "reps"), 3);
    cr_assert(get(c.out, "cells", &cells) && cells.count >= 5, "%s", c.out);
    for (size_t i = 0; i < cells.count; i++) {
        snprintf(path, sizeof(path), "cells.%zu.repetitions", i);
        cr_assert(get(c.out, path, &reps) && reps.count == 3, "%s: %s", path, c.out);
        for (size_t r = 0; r < 3; r++)
            cr_expect_eq(hist_total(c.out, i, r), 30, "cell %zu repetition %zu", i, r);
        str(c.out, i, "role", role, sizeof(role));
        if (strcmp(role, "ours") != 0)
            continue;
        snprintf(path, sizeof(path), "cells.%zu.ratio", i);
        double ratio = num(c.out, path);
        snprintf(path, sizeof(path), "cells.%zu.ratio_min", i);
        double lo = num(c.out, path);
        snprintf(path, sizeof(path), "cells.%zu.ratio_max", i);
        double hi = num(c.out, path);
        cr_expect(lo <= ratio && ratio <= hi && lo > 0, "%g not in %g-%g", ratio, lo, hi);
        snprintf(path, sizeof(path), "cells.%zu.ratios", i);
        cr_expect_eq(num(c.out, path), 3);
    }
}

/* --spin: the round trips busy-poll, ours and the floors, and are still measured. */
Test(bench, spinning_round_trips_measured)
{
    const char *argv[] = {
        "sockfam",  "bench", "--json",  "-q",         "-c",         "50",
        "--warmup", "5",     "--sizes", "64",         "--families", "tcp,udp,unix-seqpacket",
        "--reps",   "1",     "--spin",  "--sections", "latency",    NULL};
    struct proc c;
    struct sf_json_val cells;
    char path[64];

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "exit %d: %s", c.status, c.err);
    cr_expect(is_true(c.out, "spin"), "%s", c.out);
    cr_assert(get(c.out, "cells", &cells) && cells.count > 0);
    for (size_t i = 0; i < cells.count; i++) {
        snprintf(path, sizeof(path), "cells.%zu.ok", i);
        cr_expect(is_true(c.out, path), "cell %zu: %s", i, c.out);
    }
}
