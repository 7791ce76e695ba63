/*
 * bench: the command line and the run; see bench.h.
 *
 * Each family's server is started once per section, pinned to the server
 * end's CPU; its client runs pinned to the client end's CPU and its JSON
 * summary gives the figures: `--mode mirror --warmup W` for round trips,
 * `--mode discard` for throughput and datagram rate (the server's last
 * line gives what arrived, and what the kernel dropped).  Connections and
 * the crowd are driven from here, against the same servers.  The floors
 * (floor.c) run under the same placement.
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"
#include "json.h"
#include "num.h"
#include "task.h"

#define CELL_MS 120000
#define READY_MS 5000
#define STREAM_WRITE 65536
#define DGRAM_SIZE 64
#define CONNECT_SIZE 64

static const char *const section_names[SEC_N] = {"latency", "stream", "dgram", "connect", "crowd"};

static const char usage_text[] =
    "Usage: sockfam bench [OPTIONS]\n"
    "Measure every family's own pair beside the kernel's floor of the same socket type\n"
    "(a bare socket between two processes) and, with --peers, beside sockperf, iperf3,\n"
    "iputils ping and socat; in one run, under one stated placement of the two ends.\n"
    "\n"
    "Sections (--sections, default all):\n"
    "  latency  round trips, one message in flight, per size: p50, p99, mean, msgs/s\n"
    "  stream   tcp and unix-stream throughput, 64 KiB writes, discarded: MB/s\n"
    "  dgram    udp and unix-dgram, 64-byte datagrams flat out: sent/s, delivered/s, lost\n"
    "  connect  tcp and unix-stream: connect, one 64-byte echo, close: connections/s\n"
    "  crowd    tcp and unix-stream: many clients at once, each doing echoes\n"
    "\n"
    "Options:\n"
    "  -h, --help               show this help and exit\n"
    "      --families LIST      as for compare (default: all)\n"
    "      --sections LIST      which sections to run (default: all)\n"
    "      --sizes LIST         round-trip payload sizes (default: 1,64,1024,16384)\n"
    "  -c, --count N            measured round trips per cell (default: 20000)\n"
    "      --warmup N           round trips before measuring (default: 1000)\n"
    "      --stream-mib N       MiB per throughput cell (default: 512)\n"
    "      --datagrams N        datagrams per rate cell (default: 200000)\n"
    "      --connections N      connections per cell (default: 5000)\n"
    "      --clients N          crowd size, 1-1000 (default: 100)\n"
    "      --echoes N           echoes per crowd client (default: 100)\n"
    "      --placement P        same: both ends on one CPU (default); split: one end on each\n"
    "                           of two CPUs; none: left to the scheduler\n"
    "      --peers              also run sockperf, iperf3, ping and socat where installed\n"
    "                           (nothing is installed: apt-get install sockperf iperf3 socat)\n"
    "      --json               print one JSON object instead of the tables\n"
    "  -q, --quiet              no progress line\n"
    "\n"
    "Exit status: 0 every cell measured, 1 some cell failed (named on stderr), 64 usage,\n"
    "71 OS error.\n";

static int usage_error(const char *what)
{
    fprintf(stderr, "sockfam: bench: %s (see sockfam bench --help)\n", what);
    return 64;
}

/* The floor each family is compared to: a bare socket of its own type. */
static enum floor_kind floor_of(enum fam f)
{
    static const enum floor_kind k[FAM_N] = {
        [FAM_TCP] = FLOOR_TCP,
        [FAM_UDP] = FLOOR_UDP,
        [FAM_UNIX_STREAM] = FLOOR_STREAM,
        [FAM_UNIX_DGRAM] = FLOOR_DGRAM,
        [FAM_UNIX_SEQPACKET] = FLOOR_SEQPACKET,
        [FAM_ICMP] = FLOOR_ICMP,
    };
    return k[f];
}

/* A floor's row name: a connection needs a listener, so no socketpair there. */
static const char *floor_label(enum section sec, enum floor_kind k)
{
    return sec == SEC_CONNECT && k == FLOOR_STREAM ? "unix-stream bare" : floor_name(k);
}

struct cell *bench_cell(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size)
{
    struct cell *c = &b->cells[b->ncells < b->maxcells ? b->ncells++ : b->maxcells - 1];

    *c = (struct cell){.sec = sec, .role = role, .size = size};
    snprintf(c->name, sizeof(c->name), "%s", name);
    for (int f = 0; role == ROLE_OURS && f < FAM_N; f++)
        if (strcmp(name, families[f].name) == 0)
            snprintf(c->vs, sizeof(c->vs), "%s", floor_label(sec, floor_of((enum fam)f)));
    return c;
}

void bench_progress(const struct bench *b, const char *what, unsigned long size)
{
    if (!b->quiet && isatty(2))
        fprintf(stderr, "\r\033[Ksockfam bench: %s, %lu bytes", what, size);
}

static int parse_sizes(struct bench *b, const char *list, char *why, size_t cap)
{
    char buf[256];
    char *save = NULL;
    struct sf_err err;

    snprintf(buf, sizeof(buf), "%s", list);
    b->nsizes = 0;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        uint64_t v;
        if (b->nsizes == 8)
            return snprintf(why, cap, "--sizes: at most 8 sizes"), -1;
        if (sf_parse_u64(&err, "--sizes", t, 1, 65000, &v) < 0)
            return snprintf(why, cap, "%.200s", err.msg), -1;
        b->sizes[b->nsizes++] = (unsigned long)v;
    }
    return b->nsizes ? 0 : (snprintf(why, cap, "--sizes: none given"), -1);
}

static int parse_sections(int on[SEC_N], const char *list, char *why, size_t cap)
{
    char buf[256];
    char *save = NULL;

    snprintf(buf, sizeof(buf), "%s", list);
    memset(on, 0, SEC_N * sizeof(on[0]));
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int k = 0, all = strcmp(t, "all") == 0;
        while (!all && k < SEC_N && strcmp(t, section_names[k]) != 0)
            k++;
        if (k == SEC_N)
            return snprintf(why, cap, "--sections: unknown section '%s'", t), -1;
        for (int i = 0; i < SEC_N; i++)
            on[i] |= all || i == k;
    }
    return 0;
}

/* CPUs from those this process may use (a taskset or cgroup may restrict them). */
static int placement(struct bench *b, const char *p)
{
    int srv = -1, cli = -1;

    if (strcmp(p, "same") == 0)
        srv = cli = b->cpus.first;
    else if (strcmp(p, "split") == 0 && b->cpus.second >= 0)
        srv = b->cpus.first, cli = b->cpus.second;
    else if (strcmp(p, "none") != 0)
        return -1;
    b->placement = p;
    b->server = (struct place){&b->cpus, srv, cli};
    b->client = (struct place){&b->cpus, cli, srv};
    return 0;
}

/* A counted option: its value, within bounds, into *out. */
static int count_opt(const char *name, const char *text, uint64_t min, uint64_t max,
                     unsigned long *out, char *why, size_t cap)
{
    struct sf_err err;
    uint64_t v;

    if (sf_parse_u64(&err, name, text, min, max, &v) < 0)
        return snprintf(why, cap, "%.200s", err.msg), -1;
    *out = (unsigned long)v;
    return 0;
}

enum {
    OPT_FAMILIES = 256,
    OPT_SECTIONS,
    OPT_SIZES,
    OPT_WARMUP,
    OPT_STREAM,
    OPT_DGRAMS,
    OPT_CONNS,
    OPT_CLIENTS,
    OPT_ECHOES,
    OPT_PLACEMENT,
    OPT_PEERS,
    OPT_JSON
};

static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                      {"families", required_argument, NULL, OPT_FAMILIES},
                                      {"sections", required_argument, NULL, OPT_SECTIONS},
                                      {"sizes", required_argument, NULL, OPT_SIZES},
                                      {"count", required_argument, NULL, 'c'},
                                      {"warmup", required_argument, NULL, OPT_WARMUP},
                                      {"stream-mib", required_argument, NULL, OPT_STREAM},
                                      {"datagrams", required_argument, NULL, OPT_DGRAMS},
                                      {"connections", required_argument, NULL, OPT_CONNS},
                                      {"clients", required_argument, NULL, OPT_CLIENTS},
                                      {"echoes", required_argument, NULL, OPT_ECHOES},
                                      {"placement", required_argument, NULL, OPT_PLACEMENT},
                                      {"peers", no_argument, NULL, OPT_PEERS},
                                      {"json", no_argument, NULL, OPT_JSON},
                                      {"quiet", no_argument, NULL, 'q'},
                                      {NULL, 0, NULL, 0}};

/* One option; 0, or -1 with why set. */
static int option(struct bench *b, int c, const char *arg, char *why, size_t cap)
{
    switch (c) {
    case OPT_FAMILIES:
        return family_parse_list(arg, b->on, why, cap);
    case OPT_SECTIONS:
        return parse_sections(b->sec_on, arg, why, cap);
    case OPT_SIZES:
        return parse_sizes(b, arg, why, cap);
    case 'c':
        return count_opt("--count", arg, 1, 10000000, &b->count, why, cap);
    case OPT_WARMUP:
        return count_opt("--warmup", arg, 0, 10000000, &b->warmup, why, cap);
    case OPT_STREAM:
        return count_opt("--stream-mib", arg, 1, 65536, &b->stream_mib, why, cap);
    case OPT_DGRAMS:
        return count_opt("--datagrams", arg, 1, 100000000, &b->dgrams, why, cap);
    case OPT_CONNS:
        return count_opt("--connections", arg, 1, 20000, &b->connections, why, cap);
    case OPT_CLIENTS:
        return count_opt("--clients", arg, 1, 1000, &b->clients, why, cap);
    case OPT_ECHOES:
        return count_opt("--echoes", arg, 1, 1000000, &b->echoes, why, cap);
    case OPT_PLACEMENT:
        if (placement(b, arg) == 0)
            return 0;
        return snprintf(why, cap, "--placement must be same, split (two CPUs or more) or none"), -1;
    case OPT_PEERS:
        return b->peers = 1, 0;
    case OPT_JSON:
        return b->json = 1, 0;
    case 'q':
        return b->quiet = 1, 0;
    }
    return snprintf(why, cap, "unknown option"), -1;
}

static int parse(int argc, char **argv, struct bench *b)
{
    char why[256];
    int c;

    family_parse_list("all", b->on, why, sizeof(why));
    parse_sections(b->sec_on, "all", why, sizeof(why));
    parse_sizes(b, "1,64,1024,16384", why, sizeof(why));
    b->count = 20000, b->warmup = 1000, b->stream_mib = 512, b->dgrams = 200000;
    b->connections = 5000, b->clients = 100, b->echoes = 100;
    placement(b, "same");
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hc:q", longs, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (c == '?' || c == ':') {
            snprintf(why, sizeof(why), "unknown or incomplete option '%s'", argv[optind - 1]);
            return usage_error(why);
        }
        if (option(b, c, optarg, why, sizeof(why)) < 0)
            return usage_error(why);
    }
    if (optind < argc) {
        snprintf(why, sizeof(why), "unexpected argument '%s'", argv[optind]);
        return usage_error(why);
    }
    return 0;
}

/* A server of ours, and where its clients find it. */
struct server {
    struct sf_task t;
    enum fam f;
    char target[128]; /* port, or the unix socket's name */
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

static void server_address(struct server *s, const struct family *fam)
{
    if (fam->unix_type) {
        struct sockaddr_un *u = (struct sockaddr_un *)&s->addr;
        size_t n = strlen(s->target + 1);
        *u = (struct sockaddr_un){.sun_family = AF_UNIX};
        memcpy(u->sun_path + 1, s->target + 1, n); /* abstract: a leading NUL, no terminator */
        s->addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&s->addr;
        *in = (struct sockaddr_in){.sin_family = AF_INET,
                                   .sin_port = htons((uint16_t)atoi(s->target)),
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        s->addrlen = sizeof(*in);
    }
}

/* Start f's server in mode, pinned to the server end's CPU.  0, or -1 with why. */
static int server_start(struct bench *b, enum fam f, enum section sec, struct server *s, char *why,
                        size_t cap)
{
    static const char *const modes[SEC_N] = {"mirror", "discard", "discard", "mirror", "mirror"};
    const struct family *fam = &families[f];
    const char *argv[16] = {fam->server, "--mode", modes[sec], "-q", "--recv-size", "65536"};
    int n = 6, rc;
    struct sf_err err;

    s->f = f;
    if (sec == SEC_CROWD) /* every client of the crowd connects at once */
        argv[n++] = "--backlog", argv[n++] = "1024";
    if (fam->unix_type) {
        snprintf(s->target, sizeof(s->target), "@sockfam-bench-%d-%s", (int)getpid(), fam->name);
        argv[n++] = "--type", argv[n++] = fam->unix_type, argv[n++] = "--bind";
        argv[n++] = s->target;
    } else {
        argv[n++] = "-4", argv[n++] = "-p", argv[n++] = "0";
    }
    argv[n] = NULL;
    pin_cpu(&b->cpus, b->server.self);
    rc = sf_task_start(&err, &s->t, b->bin_dir, argv);
    pin_cpu(&b->cpus, -1);
    if (rc < 0)
        return snprintf(why, cap, "%.200s", err.msg), -1;
    if (!sf_task_wait(&s->t, "listening on ", sf_deadline_after_ms(READY_MS))) {
        char last[200];
        snprintf(why, cap, "%s did not start: %s", fam->server,
                 sf_task_last_line(&s->t, last, sizeof(last)));
        sf_task_end(&s->t);
        return -1;
    }
    if (!fam->unix_type) {
        char line[128]; /* "listening on 127.0.0.1:PORT": a copy, the output stays whole */
        snprintf(line, sizeof(line), "%.*s", (int)strcspn(strstr(s->t.err, "listening on "), "\n"),
                 strstr(s->t.err, "listening on "));
        snprintf(s->target, sizeof(s->target), "%s",
                 strrchr(line, ':') ? strrchr(line, ':') + 1 : "0");
    }
    server_address(s, fam);
    return 0;
}

/* SIGTERM, and wait for its last line (the final counters). */
static void server_stop(struct server *s)
{
    sf_task_signal(&s->t, SIGTERM);
    sf_task_wait(&s->t, NULL, sf_deadline_after_ms(READY_MS));
    sf_task_end(&s->t);
}

static double json_num(const char *j, const char *path, int *ok)
{
    struct sf_json_val v;

    if (sf_json_get(j, strcspn(j, "\n"), path, &v) == 1 && v.type == SF_JSON_NUMBER)
        return v.num;
    *ok = 0;
    return 0;
}

/* Run a client of ours pinned to the client end's CPU; its JSON in t->out.  0 or -1 (c->why). */
static int client_run(struct bench *b, struct cell *c, const char *const *argv, struct sf_task *t)
{
    struct sf_err err;
    int rc;

    pin_cpu(&b->cpus, b->client.self);
    rc = sf_task_start(&err, t, b->bin_dir, argv);
    pin_cpu(&b->cpus, -1);
    if (rc < 0)
        return snprintf(c->why, sizeof(c->why), "%.200s", err.msg), -1;
    if (!sf_task_wait(t, NULL, sf_deadline_after_ms(CELL_MS))) {
        snprintf(c->why, sizeof(c->why), "%s took longer than %d s", argv[0], CELL_MS / 1000);
        sf_task_end(t);
        return -1;
    }
    if (t->status != 0) {
        sf_task_last_line(t, c->why, sizeof(c->why));
        sf_task_end(t);
        return -1;
    }
    return 0;
}

/*
 * The client's arguments for a server of ours, after argv[0..n).  Datagram
 * clients connect, as the floors' sockets are: an unconnected AF_UNIX
 * sender cannot wait for room in the server's queue, only spin on EAGAIN.
 */
static void client_target(const struct server *s, const char **argv, int n)
{
    const struct family *fam = &families[s->f];

    if (s->f == FAM_UDP || s->f == FAM_UNIX_DGRAM)
        argv[n++] = "--connect";
    if (fam->unix_type)
        argv[n++] = "--type", argv[n++] = fam->unix_type, argv[n++] = s->target;
    else
        argv[n++] = "-p", argv[n++] = s->target, argv[n++] = "127.0.0.1";
    argv[n] = NULL;
}

static void latency_cell(struct bench *b, struct server *s, unsigned long size)
{
    const struct family *fam = &families[s->f];
    struct cell *c = bench_cell(b, SEC_LATENCY, ROLE_OURS, fam->name, size);
    char count[24], warm[24], sz[24];
    const char *argv[24] = {fam->client, "--json", "-q",     "-c",       count, "-s",
                            sz,          "--mode", "mirror", "--warmup", warm};
    struct sf_task *t = calloc(1, sizeof(*t));
    int ok = 1;

    snprintf(count, sizeof(count), "%lu", b->count);
    snprintf(warm, sizeof(warm), "%lu", b->warmup);
    snprintf(sz, sizeof(sz), "%lu", size);
    client_target(s, argv, 11);
    if (t && client_run(b, c, argv, t) == 0) {
        c->p50 = json_num(t->out, "rtt_us.p50", &ok);
        c->p99 = json_num(t->out, "rtt_us.p99", &ok);
        c->mean = json_num(t->out, "rtt_us.mean", &ok);
        c->ok = ok && c->mean > 0;
        if (!c->ok)
            snprintf(c->why, sizeof(c->why), "no round trips in: %.200s", t->out);
        sf_task_end(t);
    }
    free(t);
}

/* icmp: icmp-ping -i 0 to the kernel's responder on 127.0.0.1; no server of ours. */
static void icmp_cell(struct bench *b, unsigned long size)
{
    struct cell *c = bench_cell(b, SEC_LATENCY, ROLE_OURS, "icmp", size);
    char count[24], sz[24];
    const char *argv[] = {"icmp-ping", "--json", "-q", "-i",        "0", "-c",
                          count,       "-s",     sz,   "127.0.0.1", NULL};
    struct sf_task *t = calloc(1, sizeof(*t));
    int ok = 1;

    snprintf(count, sizeof(count), "%lu", b->count);
    snprintf(sz, sizeof(sz), "%lu", size);
    if (!t || client_run(b, c, argv, t) < 0) {
        c->skipped = t && t->status == 77; /* no ICMP socket allowed: said in why */
    } else {
        c->p50 = json_num(t->out, "rtt_ms.p50", &ok) * 1e3;
        c->p99 = json_num(t->out, "rtt_ms.p99", &ok) * 1e3;
        c->mean = json_num(t->out, "rtt_ms.avg", &ok) * 1e3;
        c->ok = ok && c->mean > 0;
        if (!c->ok)
            snprintf(c->why, sizeof(c->why), "no round trips in: %.200s", t->out);
        sf_task_end(t);
    }
    free(t);
}

/*
 * count messages of size bytes from the family's client in discard mode;
 * the finished task with its JSON (the caller ends and frees it), or NULL
 * with c->why set.
 */
static struct sf_task *discard_client(struct bench *b, struct server *s, struct cell *c,
                                   unsigned long count, unsigned long size)
{
    char n[24], sz[24];
    const char *argv[24] = {
        families[s->f].client, "--json", "-q", "--mode", "discard", "-c", n, "-s", sz};
    struct sf_task *t = calloc(1, sizeof(*t));

    snprintf(n, sizeof(n), "%lu", count);
    snprintf(sz, sizeof(sz), "%lu", size);
    client_target(s, argv, 9);
    if (t && client_run(b, c, argv, t) == 0)
        return t;
    if (!t)
        snprintf(c->why, sizeof(c->why), "out of memory");
    free(t);
    return NULL;
}

static void stream_cell(struct bench *b, struct server *s)
{
    struct cell *c = bench_cell(b, SEC_STREAM, ROLE_OURS, families[s->f].name, STREAM_WRITE);
    struct sf_task *t = discard_client(b, s, c, b->stream_mib * 16, STREAM_WRITE);
    int ok = 1;

    if (t) {
        double bytes = json_num(t->out, "bytes_sent", &ok);
        double secs = json_num(t->out, "elapsed_s", &ok);
        c->ok = ok && secs > 0;
        c->rate = c->ok ? bytes / secs / 1e6 : 0;
        sf_task_end(t);
        free(t);
    }
}

/* What the datagram server's last line says arrived, and what the kernel dropped. */
static int server_counts(const struct server *s, unsigned long long *got, unsigned long long *drop)
{
    const char *line = strstr(s->t.err, ": datagrams "), *k = strstr(s->t.err, "kernel ");

    return line && k && sscanf(line, ": datagrams %llu", got) == 1 &&
                   sscanf(k, "kernel %llu", drop) == 1
               ? 0
               : -1;
}

/* Datagrams flat out to a discarding server, counted from both ends; stops the server. */
static void dgram_cell(struct bench *b, struct server *s)
{
    const struct family *fam = &families[s->f];
    struct cell *c = bench_cell(b, SEC_DGRAM, ROLE_OURS, fam->name, DGRAM_SIZE);
    struct sf_task *t = discard_client(b, s, c, b->dgrams, DGRAM_SIZE);
    double secs = 0;
    int ok = 1;

    if (t) {
        c->sent = (unsigned long long)json_num(t->out, "sent", &ok);
        secs = json_num(t->out, "elapsed_s", &ok);
        sf_task_end(t);
        free(t);
    }
    server_stop(s); /* its last line: what arrived, what the kernel dropped */
    if (ok && secs > 0 && server_counts(s, &c->received, &c->dropped) == 0) {
        c->ok = 1;
        c->rate = (double)c->sent / secs, c->delivered = (double)c->received / secs;
        c->unexplained = (long long)(c->sent - c->received - c->dropped);
    } else if (!c->why[0]) {
        snprintf(c->why, sizeof(c->why), "no counts from %s: %.200s", fam->server, s->t.err);
    }
}

static void connect_cell(struct bench *b, struct server *s)
{
    struct cell *c = bench_cell(b, SEC_CONNECT, ROLE_OURS, families[s->f].name, CONNECT_SIZE);
    struct sf_stats st;
    struct sf_err err;
    double secs;

    sf_stats_init(&st);
    pin_cpu(&b->cpus, b->client.self);
    if (connect_loop(&err, (struct sockaddr *)&s->addr, s->addrlen, CONNECT_SIZE, b->connections,
                     &st, &secs) < 0) {
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    } else {
        struct sf_summary sum = sf_stats_summary(&st);
        c->ok = 1, c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
        c->rate = (double)b->connections / secs;
    }
    pin_cpu(&b->cpus, -1);
    sf_stats_free(&st);
}

/* One section's rows for family f, against its own server started for the section. */
static void family_section(struct bench *b, enum section sec, enum fam f)
{
    struct server *s = calloc(1, sizeof(*s));
    char why[256];

    bench_progress(b, families[f].name, 0);
    if (!s || server_start(b, f, sec, s, why, sizeof(why)) < 0) {
        struct cell *c = bench_cell(b, sec, ROLE_OURS, families[f].name, 0);
        snprintf(c->why, sizeof(c->why), "%s", s ? why : "out of memory");
        free(s);
        return;
    }
    for (int i = 0; sec == SEC_LATENCY && i < b->nsizes; i++) {
        bench_progress(b, families[f].name, b->sizes[i]);
        latency_cell(b, s, b->sizes[i]);
    }
    if (sec == SEC_STREAM)
        stream_cell(b, s);
    if (sec == SEC_DGRAM)
        dgram_cell(b, s);
    if (sec == SEC_CONNECT)
        connect_cell(b, s);
    if (sec == SEC_CROWD)
        crowd_run(b, bench_cell(b, SEC_CROWD, ROLE_OURS, families[f].name, CONNECT_SIZE),
                  (struct sockaddr *)&s->addr, s->addrlen, s->t.c.pid);
    if (sec != SEC_DGRAM)
        server_stop(s);
    free(s);
}

static void floor_latency(struct bench *b, enum floor_kind k, unsigned long size)
{
    struct cell *c = bench_cell(b, SEC_LATENCY, ROLE_FLOOR, floor_name(k), size);
    struct sf_stats s;
    struct sf_err err;

    bench_progress(b, floor_name(k), size);
    sf_stats_init(&s);
    if (floor_pingpong(&err, k, size, b->warmup, b->count, &b->client, &s) < 0) {
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
        c->skipped = k == FLOOR_ICMP && err.sys_errno == EPERM; /* no ICMP socket allowed */
    } else {
        struct sf_summary sum = sf_stats_summary(&s);
        c->ok = 1, c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
    }
    sf_stats_free(&s);
}

/* A floor row of the stream, dgram or connect section. */
static void floor_rate(struct bench *b, enum section sec, enum floor_kind k)
{
    unsigned long size = sec == SEC_STREAM  ? STREAM_WRITE
                         : sec == SEC_DGRAM ? DGRAM_SIZE
                                            : CONNECT_SIZE;
    struct cell *c = bench_cell(b, sec, ROLE_FLOOR, floor_label(sec, k), size);
    struct dgram_rate r;
    struct sf_stats st;
    struct sf_err err;
    double secs = 0;
    int rc;

    bench_progress(b, c->name, size);
    sf_stats_init(&st);
    if (sec == SEC_STREAM)
        rc = floor_stream(&err, k, size, b->stream_mib * 16, &b->client, &secs);
    else if (sec == SEC_DGRAM)
        rc = floor_dgram_rate(&err, k, size, b->dgrams, &b->client, &r);
    else
        rc = floor_connect(&err, k, size, b->connections, &b->client, &st, &secs);
    c->ok = rc == 0;
    if (rc < 0) {
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    } else if (sec == SEC_STREAM) {
        c->rate = (double)b->stream_mib * 1048576 / secs / 1e6;
    } else if (sec == SEC_DGRAM) {
        c->sent = r.sent, c->received = r.received, c->dropped = r.dropped;
        c->unexplained = (long long)(r.sent - r.received - r.dropped);
        c->rate = (double)r.sent / r.seconds, c->delivered = (double)r.received / r.seconds;
    } else {
        struct sf_summary sum = sf_stats_summary(&st);
        c->rate = (double)b->connections / secs;
        c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
    }
    sf_stats_free(&st);
}

/* The floor rows of one section (every kind a selected family is compared to). */
static void floor_section(struct bench *b, enum section sec, const int want[FLOOR_N])
{
    for (int k = 0; k < FLOOR_N; k++) {
        if (!want[k] || sec == SEC_CROWD)
            continue;
        for (int i = 0; sec == SEC_LATENCY && i < b->nsizes; i++)
            floor_latency(b, (enum floor_kind)k, b->sizes[i]);
        if (sec != SEC_LATENCY)
            floor_rate(b, sec, (enum floor_kind)k);
    }
}

/* Which families a section covers. */
static int covers(enum section sec, enum fam f)
{
    switch (sec) {
    case SEC_LATENCY:
        return 1;
    case SEC_DGRAM:
        return f == FAM_UDP || f == FAM_UNIX_DGRAM;
    default:
        return f == FAM_TCP || f == FAM_UNIX_STREAM;
    }
}

static void run_section(struct bench *b, enum section sec)
{
    int want[FLOOR_N] = {0};

    for (int f = 0; f < FAM_N; f++)
        if (b->on[f] && covers(sec, (enum fam)f)) {
            want[floor_of((enum fam)f)] = 1;
            want[FLOOR_PIPE] |= sec == SEC_LATENCY || sec == SEC_STREAM;
        }
    floor_section(b, sec, want);
    for (int f = 0; f < FAM_N; f++) {
        if (!b->on[f] || !covers(sec, (enum fam)f))
            continue;
        if (f == FAM_ICMP)
            for (int i = 0; i < b->nsizes; i++)
                bench_progress(b, "icmp", b->sizes[i]), icmp_cell(b, b->sizes[i]);
        else
            family_section(b, sec, (enum fam)f);
    }
}

/* Where the suite's programs are: beside this binary. */
static void find_bin_dir(struct bench *b)
{
    ssize_t n = readlink("/proc/self/exe", b->bin_dir, sizeof(b->bin_dir) - 1);
    char *dir;

    b->bin_dir[n > 0 ? n : 0] = '\0';
    dir = dirname(b->bin_dir); /* may point into bin_dir */
    memmove(b->bin_dir, dir, strlen(dir) + 1);
}

/* Enough descriptors for the crowd: both ends of every connection, in this process and its server.
 */
static void raise_fd_limit(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < 4096) {
        r.rlim_cur = r.rlim_max < 4096 ? r.rlim_max : 4096;
        setrlimit(RLIMIT_NOFILE, &r);
    }
}

int bench_main(int argc, char **argv)
{
    struct bench b = {0};
    int rc;

    if (cpus_read(&b.cpus) < 0) {
        fprintf(stderr, "sockfam: bench: sched_getaffinity: %s\n", strerror(errno));
        return 71;
    }
    if ((rc = parse(argc, argv, &b)) != 0)
        return rc;
    raise_fd_limit();
    find_bin_dir(&b);
    b.maxcells = 512;
    b.cells = calloc((size_t)b.maxcells, sizeof(*b.cells));
    if (!b.cells)
        return 71;
    for (int s = 0; s < SEC_N; s++)
        if (b.sec_on[s])
            run_section(&b, (enum section)s);
    if (b.peers)
        peers_run(&b);
    if (!b.quiet && isatty(2))
        fprintf(stderr, "\r\033[K");
    rc = bench_report(&b);
    free(b.cells);
    return rc;
}
