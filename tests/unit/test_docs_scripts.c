/*
 * The reference's scripts (docs/choosing.md and its chart come from them):
 * scripts/lab-runs.sh --table prints the Markdown table from the runs kept
 * in docs/lab/, and scripts/latency-chart.sh draws the PNG from the same
 * JSON, each with its own exit codes for bad usage and bad input.  Nothing
 * here runs the lab: the saved runs are the input.  scripts/bench-chart.sh
 * draws docs/bench.md's ratios from `sockfam bench --json` runs: here from
 * two small real runs kept in tests/data, and its --run from a stand-in
 * sockfam that prints them (no benchmark runs in the suite).
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

TestSuite(docs_scripts, .timeout = 60, .fini = test_dir_remove);

#define WAIT_MS 30000
#define SCRIPTS SF_DATA_DIR "/../../scripts"
#define LAB_DIR SF_DATA_DIR "/../../docs/lab"
#define BENCH_SAME SF_DATA_DIR "/bench_small.json"
#define BENCH_SPIN SF_DATA_DIR "/bench_small_spin.json"

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

/* NAME in the test's own directory (made on first use, removed by the suite's .fini). */
static const char *in_dir(char *buf, size_t cap, const char *name)
{
    char path[512];

    test_sock_path(path, sizeof(path), name);
    cr_assert(strncmp(path, "unix:/tmp/", 10) == 0, "no test directory: %s", path);
    snprintf(buf, cap, "%s", path + 5);
    return buf;
}

/* The test's own directory itself. */
static const char *own_dir(char *buf, size_t cap)
{
    in_dir(buf, cap, "");
    buf[strlen(buf) - 1] = '\0'; /* the trailing slash */
    return buf;
}

/* How many names in dir start with a dot (a run's temporary file left behind), . and .. aside. */
static int hidden_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d, "%s", dir);
    while ((e = readdir(d)))
        n += e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Is PATH a PNG of more than min_size bytes?  Says what it found when not. */
static int is_png(const char *path, long min_size)
{
    unsigned char head[8] = {0};
    FILE *f = fopen(path, "rb");
    size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
    long size = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : 0;

    if (f)
        fclose(f);
    if (got != 8 || memcmp(head, "\x89PNG\r\n\x1a\n", 8) != 0) {
        cr_log_error("%s: not a PNG", path);
        return 0;
    }
    if (size <= min_size)
        cr_log_error("%s: %ld bytes, an empty picture", path, size);
    return size > min_size;
}

/* A file's whole text into buf (cap bytes at most); its length, or -1. */
static long slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, cap - 1, f) : 0;

    if (!f)
        return -1;
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

/* Write text to path (a new file, or the old one emptied first). */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    cr_assert_eq(fclose(f), 0, "%s", path);
}

/* Does stderr hold exactly one line, containing want? */
static int one_line(const char *err, const char *want)
{
    const char *nl = strchr(err, '\n');
    return strstr(err, want) && nl && nl[1] == '\0';
}

/* The ratios of two small real runs (same, split --spin) drawn: a PNG, two panels' worth. */
Test(docs_scripts, bench_chart_drawn_from_the_fixtures)
{
    struct proc p;
    char out[512];
    const char *args[] = {"-o", in_dir(out, sizeof(out), "ratios.png"), BENCH_SAME, BENCH_SPIN,
                          NULL};

    cr_assert_eq(script(&p, "bench-chart.sh", args), 0, "%s", p.err);
    cr_expect(is_png(out, 20000), "a chart, not an empty picture");
    cr_expect(strstr(p.err, "2 runs, 2 panels"), "both runs, round trips and rates: %s", p.err);
}

/* --help: usage on stdout, exit 0, naming every option and the exit statuses. */
Test(docs_scripts, bench_chart_help_lists_its_options)
{
    struct proc p;
    const char *args[] = {"--help", NULL};
    const char *want[] = {
        "Usage: bash scripts/bench-chart.sh [--run] [--dir DIR] [-o PNG] [FILE.json...]",
        "--run",
        "--dir DIR",
        "-o PNG",
        "-h, --help",
        "SOCKFAM",
        "--placement split --spin --sections latency",
        "64 bad usage",
        "65 a file that is not",
        "66 a file missing",
        "69 jq, gnuplot or sockfam"};

    cr_assert_eq(script(&p, "bench-chart.sh", args), 0, "%s", p.err);
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(strstr(p.out, want[i]), "--help lacks '%s':\n%s", want[i], p.out);
}

/* Bad usage: 64 and one line, before any file is read or drawn. */
Test(docs_scripts, bench_chart_bad_usage_exits_64)
{
    struct proc p;
    char never[512];
    in_dir(never, sizeof(never), "never.png");
    const char *cases[][5] = {
        {"--bogus", NULL},
        {"-o", NULL},
        {"-o", "chart.jpg", BENCH_SAME, NULL},
        {"--dir", NULL},
        {"--run", "-o", never, BENCH_SAME, NULL},
    };
    const char *seven[] = {"-o",       never,      BENCH_SAME, BENCH_SAME, BENCH_SAME,
                           BENCH_SAME, BENCH_SAME, BENCH_SAME, BENCH_SAME, NULL};

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_expect_eq(script(&p, "bench-chart.sh", cases[i]), 64, "case %zu: %s", i, p.err);
        cr_expect(one_line(p.err, "bench-chart.sh: "), "case %zu: %s", i, p.err);
    }
    cr_expect_eq(script(&p, "bench-chart.sh", seven), 64, "%s", p.err);
    cr_expect(strstr(p.err, "at most 6 runs"), "%s", p.err);
    cr_expect(access(never, F_OK) != 0, "nothing drawn on bad usage");
}

/* Not a bench run (garbage, compare's JSON, a bench run with no ratio): 65, one line. */
Test(docs_scripts, bench_chart_not_bench_json_exits_65)
{
    struct proc p;
    char garbage[512], crowd[512], never[512];

    put_file(in_dir(garbage, sizeof(garbage), "garbage.json"),
             "{\"program\": \"sockfam bench\", \"cells\": [trailing garbage\n");
    put_file(
        in_dir(crowd, sizeof(crowd), "crowd.json"),
        "{\"program\":\"sockfam bench\",\"placement\":\"same\",\"cells\":[{\"section\":"
        "\"crowd\",\"role\":\"ours\",\"name\":\"tcp\",\"size\":64,\"ok\":true,\"clients\":5}]}\n");
    in_dir(never, sizeof(never), "never.png");
    const struct {
        const char *file, *says;
    } cases[] = {
        {garbage, "not the JSON of a sockfam bench run"},
        {LAB_DIR "/lan.json", "not the JSON of a sockfam bench run"},
        {crowd, "no cell of ours with a ratio"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *args[] = {"-o", never, BENCH_SAME, cases[i].file, NULL};
        cr_expect_eq(script(&p, "bench-chart.sh", args), 65, "%s: %s", cases[i].file, p.err);
        cr_expect(one_line(p.err, cases[i].says), "%s: %s", cases[i].file, p.err);
    }
    cr_expect(access(never, F_OK) != 0, "nothing drawn from bad input");
}

/* A file that is not there: 66, naming it; by default the three runs in --dir. */
Test(docs_scripts, bench_chart_missing_file_exits_66)
{
    struct proc p;
    char dir[512], never[512];
    own_dir(dir, sizeof(dir));
    in_dir(never, sizeof(never), "never.png");
    const char *missing[] = {"-o", never, BENCH_SAME, "/nonexistent/split.json", NULL},
               *empty_dir[] = {"--dir", dir, NULL};

    cr_expect_eq(script(&p, "bench-chart.sh", missing), 66, "%s", p.err);
    cr_expect(one_line(p.err, "no /nonexistent/split.json"), "%s", p.err);
    cr_expect_eq(script(&p, "bench-chart.sh", empty_dir), 66, "%s", p.err);
    cr_expect(strstr(p.err, "/same.json") && strstr(p.err, "--run"), "%s", p.err);
    cr_expect(access(never, F_OK) != 0, "nothing drawn");
}

/* --run with no sockfam where $SOCKFAM says: 69, one line, nothing run or written. */
Test(docs_scripts, bench_chart_run_without_sockfam_exits_69)
{
    struct proc p;
    char dir[512], path[512];
    own_dir(dir, sizeof(dir));
    snprintf(path, sizeof(path), "%s/%s", SCRIPTS, "bench-chart.sh");
    const char *argv[] = {"/bin/bash", path, "--run", "--dir", dir, NULL};

    cr_assert_eq(setenv("SOCKFAM", "/nonexistent/sockfam", 1), 0);
    cr_expect_eq(proc_run(&p, WAIT_MS, argv), 69, "%s", p.err);
    cr_expect(one_line(p.err, "no sockfam at /nonexistent/sockfam"), "%s", p.err);
    snprintf(path, sizeof(path), "%s/same.json", dir);
    cr_expect(access(path, F_OK) != 0, "nothing written");
}

/*
 * The stand-in for sockfam: it logs its arguments and prints a fixture,
 * for the split run the start of one and exit 1 when DIR/fail exists.
 */
static void write_standin(const char *dir)
{
    char path[512];
    FILE *f = fopen(in_dir(path, sizeof(path), "sockfam"), "w");

    cr_assert_not_null(f);
    fprintf(f,
            "#!/bin/sh\n"
            "echo \"$*\" >>'%s/args'\n"
            "case \" $* \" in\n"
            "*' --spin '*) exec cat '%s' ;;\n"
            "*' split '*) if [ -e '%s/fail' ]; then echo '{\"program\":\"sockfam bench\",\"ce';"
            " exit 1; fi; if [ -e '%s/partial' ]; then cat '%s'; exit 1; fi; exec cat '%s' ;;\n"
            "*) exec cat '%s' ;;\n"
            "esac\n",
            dir, BENCH_SPIN, dir, dir, BENCH_SAME, BENCH_SAME, BENCH_SAME);
    fclose(f);
    cr_assert_eq(chmod(path, 0755), 0);
    cr_assert_eq(setenv("SOCKFAM", path, 1), 0);
}

/* --run: three bench runs into DIR, each replacing its file only when whole, then the chart. */
Test(docs_scripts, bench_chart_run_replaces_only_whole_runs)
{
    struct proc p;
    char dir[512], path[512], text[4096];
    own_dir(dir, sizeof(dir));
    write_standin(dir);
    const char *args[] = {"--run", "--dir", dir, NULL};

    put_file(in_dir(path, sizeof(path), "split.json"), "the old run\n");
    put_file(in_dir(path, sizeof(path), "fail"), "");
    cr_expect_eq(script(&p, "bench-chart.sh", args), 1, "the split run fails: %s", p.err);
    cr_expect(strstr(p.err, "split.json left as it was"), "%s", p.err);
    cr_expect(slurp(in_dir(path, sizeof(path), "split.json"), text, sizeof(text)) > 0 &&
                  strcmp(text, "the old run\n") == 0,
              "the old file kept: %s", text);
    cr_expect(slurp(in_dir(path, sizeof(path), "same.json"), text, sizeof(text)) > 0 &&
                  strstr(text, "\"program\":\"sockfam bench\""),
              "the same run saved");
    cr_expect(access(in_dir(path, sizeof(path), "split-spin.json"), F_OK) != 0,
              "no run after the failed one");
    cr_expect(access(in_dir(path, sizeof(path), "ratios.png"), F_OK) != 0, "nothing drawn");
    cr_expect_eq(hidden_files(dir), 0, "the failed run's temporary file removed");

    unlink(in_dir(path, sizeof(path), "fail"));
    unlink(in_dir(path, sizeof(path), "args"));
    cr_assert_eq(script(&p, "bench-chart.sh", args), 0, "%s", p.err);
    cr_expect(is_png(in_dir(path, sizeof(path), "ratios.png"), 20000), "the chart, in DIR");
    cr_expect(slurp(in_dir(path, sizeof(path), "args"), text, sizeof(text)) > 0 &&
                  strcmp(text, "bench --reps 3 --peers --json --placement same\n"
                               "bench --reps 3 --peers --json --placement split\n"
                               "bench --reps 3 --peers --json --placement split --spin "
                               "--sections latency\n") == 0,
              "the three runs: %s", text);
    cr_expect(slurp(in_dir(path, sizeof(path), "split.json"), text, sizeof(text)) > 0 &&
                  strstr(text, "\"program\":\"sockfam bench\""),
              "the split run replaced the old one");
    cr_expect_eq(hidden_files(dir), 0, "no temporary file left");
}

/* --run: a bench that measured its run but had a cell fail (exit 1, whole JSON) is kept. */
Test(docs_scripts, bench_chart_run_keeps_a_run_with_a_failed_cell)
{
    struct proc p;
    char dir[512], path[512], text[4096];
    own_dir(dir, sizeof(dir));
    write_standin(dir);
    const char *args[] = {"--run", "--dir", dir, NULL};

    put_file(in_dir(path, sizeof(path), "partial"), "");
    cr_expect_eq(script(&p, "bench-chart.sh", args), 0, "%s", p.err);
    cr_expect(strstr(p.err, "some cell failed (named above); the run is kept"), "%s", p.err);
    cr_expect(slurp(in_dir(path, sizeof(path), "split.json"), text, sizeof(text)) > 0 &&
                  strstr(text, "\"sockfam bench\""),
              "the split run kept");
}
