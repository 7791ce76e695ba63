/*
 * bench: ping-pong round trips per family and size, against the floor.
 *
 * Each family's server is started once; for each size its client runs
 * `--mode mirror --warmup W -c N -s SIZE --json` and its summary gives the
 * p50, p99 and mean.  The floor (socketpair of the same type, and a pipe
 * pair) is measured here, between two processes, under the same placement:
 * "same" pins both ends to one CPU, "split" one end to each of two CPUs,
 * "none" leaves them to the scheduler.
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "family.h"
#include "floor.h"
#include "io.h"
#include "json.h"
#include "num.h"
#include "task.h"

#define MAX_SIZES 8
#define CELL_MS 60000
#define READY_MS 5000

struct cell {
    const char *family; /* a family's name, or NULL for a floor */
    enum floor_kind floor;
    unsigned long size;
    int ok;
    char why[256];
    double p50, p99, mean; /* microseconds */
    double ratio;          /* p50 / the floor's p50 of the same type and size; 0 if none */
};

struct bench {
    int on[FAM_N], json, quiet;
    const char *placement;
    struct cpus cpus;
    int cpu_server, cpu_client; /* -1: not pinned */
    unsigned long count, warmup, sizes[MAX_SIZES];
    int nsizes;
    char bin_dir[4096];
    struct cell *cells;
    int ncells;
};

static const char usage_text[] =
    "Usage: sockfam bench [OPTIONS]\n"
    "Measure round trips (one message in flight) of every family's own pair, beside the\n"
    "kernel's floor (a socketpair of the same type, and a pipe pair, between two processes),\n"
    "in one run and one stated placement of the two ends.\n"
    "\n"
    "Options:\n"
    "  -h, --help               show this help and exit\n"
    "      --families LIST      as for compare (default: all)\n"
    "      --sizes LIST         payload sizes in bytes (default: 1,64,1024,16384)\n"
    "  -c, --count N            measured round trips per cell (default: 20000)\n"
    "      --warmup N           round trips before measuring (default: 1000)\n"
    "      --placement P        same: both ends on one CPU (default); split: one end on each\n"
    "                           of two CPUs; none: left to the scheduler\n"
    "      --json               print one JSON object instead of the table\n"
    "  -q, --quiet              no progress line\n"
    "\n"
    "Exit status: 0 every cell measured, 1 some cell failed (named on stderr), 64 usage.\n";

static int usage_error(const char *what)
{
    fprintf(stderr, "sockfam: bench: %s (see sockfam bench --help)\n", what);
    return 64;
}

static int parse_sizes(struct bench *b, const char *list, struct sf_err *err)
{
    char buf[256];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    b->nsizes = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (b->nsizes == MAX_SIZES)
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "--sizes: at most %d sizes", MAX_SIZES);
        if (sf_parse_u64(err, "--sizes", t, 1, 65000, &v) < 0)
            return -1;
        b->sizes[b->nsizes++] = (unsigned long)v;
    }
    return b->nsizes ? 0 : sf_err_set(err, SF_ERR_INVALID, 0, NULL, "--sizes: none given");
}

/* CPUs from those this process may use (a taskset or cgroup may restrict them). */
static int placement(struct bench *b, const char *p)
{
    b->placement = p;
    if (strcmp(p, "same") == 0)
        b->cpu_server = b->cpu_client = b->cpus.first;
    else if (strcmp(p, "split") == 0 && b->cpus.second >= 0)
        b->cpu_server = b->cpus.first, b->cpu_client = b->cpus.second;
    else if (strcmp(p, "none") == 0)
        b->cpu_server = b->cpu_client = -1;
    else
        return -1;
    return 0;
}

static int parse(int argc, char **argv, struct bench *b)
{
    enum { OPT_FAMILIES = 256, OPT_SIZES, OPT_WARMUP, OPT_PLACEMENT, OPT_JSON };
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {"families", required_argument, NULL, OPT_FAMILIES},
                                          {"sizes", required_argument, NULL, OPT_SIZES},
                                          {"count", required_argument, NULL, 'c'},
                                          {"warmup", required_argument, NULL, OPT_WARMUP},
                                          {"placement", required_argument, NULL, OPT_PLACEMENT},
                                          {"json", no_argument, NULL, OPT_JSON},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {NULL, 0, NULL, 0}};
    struct sf_err err;
    char why[256];
    uint64_t v;
    int c;

    if (cpus_read(&b->cpus) < 0) {
        fprintf(stderr, "sockfam: bench: sched_getaffinity: %s\n", strerror(errno));
        return 71;
    }
    family_parse_list("all", b->on, why, sizeof(why));
    parse_sizes(b, "1,64,1024,16384", &err);
    b->count = 20000, b->warmup = 1000;
    placement(b, "same");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hc:q", longs, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case OPT_FAMILIES:
            if (family_parse_list(optarg, b->on, why, sizeof(why)) < 0)
                return usage_error(why);
            break;
        case OPT_SIZES:
            if (parse_sizes(b, optarg, &err) < 0)
                return usage_error(err.msg);
            break;
        case 'c':
        case OPT_WARMUP:
            if (sf_parse_u64(&err, c == 'c' ? "--count" : "--warmup", optarg, c == 'c', 10000000,
                             &v) < 0)
                return usage_error(err.msg);
            *(c == 'c' ? &b->count : &b->warmup) = (unsigned long)v;
            break;
        case OPT_PLACEMENT:
            if (placement(b, optarg) < 0)
                return usage_error("--placement must be same, split (two CPUs or more) or none");
            break;
        case OPT_JSON:
            b->json = 1;
            break;
        case 'q':
            b->quiet = 1;
            break;
        default:
            snprintf(why, sizeof(why), "unknown or incomplete option '%s'", argv[optind - 1]);
            return usage_error(why);
        }
    }
    if (optind < argc) {
        snprintf(why, sizeof(why), "unexpected argument '%s'", argv[optind]);
        return usage_error(why);
    }
    return 0;
}

static struct cell *add_cell(struct bench *b, const char *family, enum floor_kind floor,
                             unsigned long size)
{
    struct cell *c = &b->cells[b->ncells++];

    *c = (struct cell){.family = family, .floor = floor, .size = size};
    return c;
}

static void floor_cell(struct bench *b, enum floor_kind kind, unsigned long size)
{
    struct cell *c = add_cell(b, NULL, kind, size);
    struct sf_stats s;
    struct sf_err err;

    sf_stats_init(&s);
    if (floor_run(kind, size, b->warmup, b->count, &b->cpus, b->cpu_client, b->cpu_server, &s,
                  &err) < 0) {
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    } else {
        struct sf_summary sum = sf_stats_summary(&s);
        c->ok = 1, c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
    }
    sf_stats_free(&s);
}

/* Start a family's server pinned to the server's CPU; its port (or 1 for unix), or 0. */
static int start_server(struct bench *b, enum fam f, struct task *t, char *path, size_t cap)
{
    const struct family *fam = &families[f];
    const char *argv[16] = {fam->server, "--mode", "mirror", "-q", "--recv-size", "65536"};
    int n = 6;
    struct sf_err err;

    if (fam->unix_type) {
        snprintf(path, cap, "@sockfam-bench-%d-%s", (int)getpid(), fam->name);
        argv[n++] = "--type", argv[n++] = fam->unix_type, argv[n++] = "--bind", argv[n++] = path;
    } else {
        argv[n++] = "-4", argv[n++] = "-p", argv[n++] = "0";
    }
    argv[n] = NULL;
    pin_cpu(&b->cpus, b->cpu_server);
    n = task_start(t, b->bin_dir, argv, &err);
    pin_cpu(&b->cpus, -1);
    if (n < 0 || !task_wait(t, "\n", sf_deadline_after_ms(READY_MS)))
        return 0;
    const char *colon = strrchr(strtok(t->err, "\n"), ':');
    return fam->unix_type ? 1 : colon ? atoi(colon + 1) : 0;
}

static double json_num(const char *j, size_t len, const char *path, int *ok)
{
    struct sf_json_val v;

    if (sf_json_get(j, len, path, &v) == 1 && v.type == SF_JSON_NUMBER)
        return v.num;
    *ok = 0;
    return 0;
}

/* One client run for a cell, pinned to the client's CPU. */
static void client_cell(struct bench *b, enum fam f, const char *target, unsigned long size)
{
    const struct family *fam = &families[f];
    struct cell *c = add_cell(b, fam->name, FLOOR_PIPE, size);
    char count[24], warm[24], sz[24];
    const char *argv[24] = {fam->client, "--json", "-q", "-c", count, "-s", sz};
    int n = 7, ok = 1, icmp = f == FAM_ICMP;
    struct task *t = calloc(1, sizeof(*t));
    struct sf_err err;

    snprintf(count, sizeof(count), "%lu", b->count);
    snprintf(warm, sizeof(warm), "%lu", b->warmup);
    snprintf(sz, sizeof(sz), "%lu", size);
    if (icmp)
        argv[n++] = "-i", argv[n++] = "0", argv[n++] = target;
    else if (fam->unix_type)
        argv[n++] = "--mode", argv[n++] = "mirror", argv[n++] = "--warmup", argv[n++] = warm,
        argv[n++] = "--type", argv[n++] = fam->unix_type, argv[n++] = target;
    else
        argv[n++] = "--mode", argv[n++] = "mirror", argv[n++] = "--warmup", argv[n++] = warm,
        argv[n++] = "-p", argv[n++] = target, argv[n++] = "127.0.0.1";
    argv[n] = NULL;
    pin_cpu(&b->cpus, b->cpu_client);
    n = t ? task_start(t, b->bin_dir, argv, &err) : -1;
    pin_cpu(&b->cpus, -1);
    if (n == 0 && task_wait(t, NULL, sf_deadline_after_ms(CELL_MS)) && t->status == 0) {
        size_t len = strcspn(t->out, "\n");
        double scale = icmp ? 1000 : 1;
        c->p50 = json_num(t->out, len, icmp ? "rtt_ms.p50" : "rtt_us.p50", &ok) * scale;
        c->p99 = json_num(t->out, len, icmp ? "rtt_ms.p99" : "rtt_us.p99", &ok) * scale;
        c->mean = json_num(t->out, len, icmp ? "rtt_ms.avg" : "rtt_us.mean", &ok) * scale;
        c->ok = ok;
    }
    if (!c->ok && t)
        task_last_line(t, c->why, sizeof(c->why));
    if (t)
        task_end(t);
    free(t);
}

static enum floor_kind floor_of(enum fam f)
{
    return f == FAM_TCP || f == FAM_UNIX_STREAM ? FLOOR_STREAM
           : f == FAM_UNIX_SEQPACKET            ? FLOOR_SEQPACKET
           : f == FAM_ICMP                      ? FLOOR_PIPE
                                                : FLOOR_DGRAM;
}

static void family_cells(struct bench *b, enum fam f)
{
    struct task *server = calloc(1, sizeof(*server));
    char path[128] = "", target[128] = "127.0.0.1";
    int port = 1;

    if (server && families[f].server) {
        port = start_server(b, f, server, path, sizeof(path));
        snprintf(target, sizeof(target), "%s", families[f].unix_type ? path : "");
        if (!families[f].unix_type)
            snprintf(target, sizeof(target), "%d", port);
    }
    for (int i = 0; i < b->nsizes; i++) {
        if (!port) {
            struct cell *c = add_cell(b, families[f].name, FLOOR_PIPE, b->sizes[i]);
            snprintf(c->why, sizeof(c->why), "%s did not start: %.200s", families[f].server,
                     server ? server->err : "out of memory");
            continue;
        }
        if (!b->quiet && isatty(2))
            fprintf(stderr, "\r\033[Ksockfam bench: %s, %lu bytes", families[f].name, b->sizes[i]);
        client_cell(b, f, target, b->sizes[i]);
    }
    if (server) {
        task_signal(server, SIGTERM);
        task_wait(server, NULL, sf_deadline_after_ms(READY_MS));
        task_end(server);
    }
    free(server);
}

/* Each family cell's p50 over the floor of its type and size. */
static void ratios(struct bench *b)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        enum floor_kind want = FLOOR_PIPE;
        if (!c->family || !c->ok)
            continue;
        for (int f = 0; f < FAM_N; f++)
            if (strcmp(families[f].name, c->family) == 0)
                want = floor_of((enum fam)f);
        for (int k = 0; k < b->ncells; k++)
            if (!b->cells[k].family && b->cells[k].ok && b->cells[k].floor == want &&
                b->cells[k].size == c->size)
                c->ratio = c->p50 / b->cells[k].p50;
    }
}

static const char *cell_name(const struct cell *c)
{
    static char buf[64];

    if (c->family)
        return c->family;
    snprintf(buf, sizeof(buf), "floor: %s", floor_name(c->floor));
    return buf;
}

static void print_text(const struct bench *b)
{
    printf("sockfam bench: round trips, one message in flight, %lu per cell after %lu warm-up; "
           "placement %s",
           b->count, b->warmup, b->placement);
    if (b->cpu_server >= 0)
        printf(" (server end on CPU %d, client end on CPU %d)", b->cpu_server, b->cpu_client);
    printf("\n\n%-30s %6s %9s %9s %9s %10s %8s\n", "family", "bytes", "p50 us", "p99 us", "mean us",
           "msgs/s", "x floor");
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        if (!c->ok) {
            printf("%-30s %6lu   failed: %s\n", cell_name(c), c->size, c->why);
            continue;
        }
        printf("%-30s %6lu %9.2f %9.2f %9.2f %10.0f", cell_name(c), c->size, c->p50, c->p99,
               c->mean, c->mean > 0 ? 1e6 / c->mean : 0);
        if (c->ratio > 0)
            printf(" %8.2f", c->ratio);
        printf("\n");
    }
    printf("\nx floor: p50 over the p50 of a socketpair of the same type (tcp, unix-stream: stream;"
           "\nudp, unix-dgram: dgram; unix-seqpacket: seqpacket), same size, same run.\n");
}

static void print_json(const struct bench *b)
{
    printf("{\"program\":\"sockfam bench\",\"placement\":\"%s\",\"cpu_server\":%d,"
           "\"cpu_client\":%d,\"count\":%lu,\"warmup\":%lu,\"cells\":[",
           b->placement, b->cpu_server, b->cpu_client, b->count, b->warmup);
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        printf("%s{\"name\":\"%s\",\"floor\":%s,\"size\":%lu,\"ok\":%s", i ? "," : "", cell_name(c),
               c->family ? "false" : "true", c->size, c->ok ? "true" : "false");
        if (c->ok)
            printf(",\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"msgs_per_s\":%.0f", c->p50,
                   c->p99, c->mean, c->mean > 0 ? 1e6 / c->mean : 0);
        if (c->ratio > 0)
            printf(",\"ratio_to_floor\":%.3f", c->ratio);
        printf("}");
    }
    printf("]}\n");
}

int bench_main(int argc, char **argv)
{
    struct bench b = {0};
    int rc = parse(argc, argv, &b), failed = 0;
    ssize_t n;

    if (rc != 0)
        return rc;
    signal(SIGPIPE, SIG_IGN);
    n = readlink("/proc/self/exe", b.bin_dir, sizeof(b.bin_dir) - 1);
    b.bin_dir[n > 0 ? n : 0] = '\0';
    char *dir = dirname(b.bin_dir); /* may point into bin_dir */
    memmove(b.bin_dir, dir, strlen(dir) + 1);
    b.cells = calloc((size_t)(FAM_N + 4) * MAX_SIZES, sizeof(*b.cells));
    if (!b.cells)
        return 71;
    for (int k = FLOOR_STREAM; k <= FLOOR_PIPE; k++)
        for (int i = 0; i < b.nsizes; i++)
            floor_cell(&b, (enum floor_kind)k, b.sizes[i]);
    for (int f = 0; f < FAM_N; f++)
        if (b.on[f])
            family_cells(&b, (enum fam)f);
    if (!b.quiet && isatty(2))
        fprintf(stderr, "\r\033[K");
    ratios(&b);
    if (b.json)
        print_json(&b);
    else
        print_text(&b);
    for (int i = 0; i < b.ncells; i++)
        if (!b.cells[i].ok) {
            fprintf(stderr, "sockfam: bench: %s, %lu bytes: %s\n", cell_name(&b.cells[i]),
                    b.cells[i].size, b.cells[i].why);
            failed = 1;
        }
    free(b.cells);
    return failed;
}
