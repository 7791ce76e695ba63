/*
 * The reference's scripts (docs/choosing.md and its chart come from them):
 * scripts/lab-runs.sh --table prints the Markdown table from the runs kept
 * in docs/lab/, and scripts/latency-chart.sh draws the PNG from the same
 * JSON, each with its own exit codes for bad usage and bad input.  Nothing
 * here runs the lab: the saved runs are the input.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

TestSuite(docs_scripts, .timeout = 60);

#define WAIT_MS 30000
#define SCRIPTS SF_DATA_DIR "/../../scripts"
#define LAB_DIR SF_DATA_DIR "/../../docs/lab"

/* Run `bash SCRIPTS/name args...`; its exit status.  69: a tool is missing (skipped, saying so). */
static int script(struct proc *p, const char *name, const char *const args[])
{
    char path[512];
    const char *argv[16] = {"/bin/bash", path};
    int n = 2, rc;

    snprintf(path, sizeof(path), "%s/%s", SCRIPTS, name);
    while (*args && n < 15)
        argv[n++] = *args++;
    argv[n] = NULL;
    rc = proc_run(p, WAIT_MS, argv);
    if (rc == 69)
        cr_skip_test("%s: a tool is missing (quickstart installs jq and gnuplot-nox): %s", name,
                     p->err);
    return rc;
}

Test(docs_scripts, lab_runs_table_from_the_saved_runs)
{
    struct proc p;
    const char *args[] = {"--table", LAB_DIR, NULL};

    cr_assert_eq(script(&p, "lab-runs.sh", args), 0, "%s", p.err);
    cr_expect(strstr(p.out, "| tcp |") && strstr(p.out, "| udp |") && strstr(p.out, "| icmp |"),
              "a row per family: %s", p.out);
    cr_expect(strstr(p.out, "loss"), "the conditions: %s", p.out);
}

Test(docs_scripts, latency_chart_drawn_from_the_saved_runs)
{
    struct proc p;
    char png[] = "/tmp/sockfam-chart-XXXXXX", out[64];
    unsigned char head[8] = {0};
    int fd = mkstemp(png);

    cr_assert_geq(fd, 0);
    close(fd);
    snprintf(out, sizeof(out), "%s.png", png);
    const char *args[] = {"--dir", LAB_DIR, "-o", out, NULL};
    int rc = script(&p, "latency-chart.sh", args);
    FILE *f = fopen(out, "rb");
    size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
    long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;
    if (f)
        fclose(f);
    unlink(out);
    unlink(png);
    cr_assert_eq(rc, 0, "%s", p.err);
    cr_expect(got == 8 && memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0, "not a PNG");
    cr_expect_gt(size, 10000, "a chart, not an empty picture: %ld bytes", size);
}

Test(docs_scripts, bad_usage_and_bad_input_refused)
{
    struct proc p;
    char bad[] = "/tmp/sockfam-notcompare-XXXXXX";
    int fd = mkstemp(bad);

    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "{\"program\":\"tcp-client\"}\n", 25), 25);
    close(fd);
    const char *unknown[] = {"--bogus", NULL},
               *json[] = {"-o", "/tmp/sockfam-never.png", bad, NULL};
    cr_expect_eq(script(&p, "lab-runs.sh", unknown), 64, "%s", p.err);
    cr_expect_eq(script(&p, "latency-chart.sh", unknown), 64, "%s", p.err);
    cr_expect_eq(script(&p, "latency-chart.sh", json), 65, "not compare's JSON: %s", p.err);
    cr_expect(access("/tmp/sockfam-never.png", F_OK) != 0, "nothing drawn from bad input");
    unlink(bad);
}
