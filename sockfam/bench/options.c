/* options: the bench's command line; see options.h. */
#include "options.h"

#include <string.h>

#include "cli.h"
#include "opts.h"

enum {
    OPT_FAMILIES = SF_OPT_LONG,
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
    OPT_REPS,
    OPT_SPIN,
    OPT_JSON
};

static char families_help[256]; /* the families the bench measures: families_text() */

static const struct sf_opt bench_opts[] = {
    {"help", 'h', NULL, "show this help and exit"},
    {"families", OPT_FAMILIES, "LIST", families_help},
    {"sections", OPT_SECTIONS, "LIST", "which sections to run (default: all)"},
    {"sizes", OPT_SIZES, "LIST", "round-trip payload sizes (default: 1,64,1024,16384)"},
    {"count", 'c', "N", "measured round trips per cell (default: 20000)"},
    {"warmup", OPT_WARMUP, "N", "round trips before measuring (default: 1000)"},
    {"stream-mib", OPT_STREAM, "N", "MiB per throughput cell (default: 512)"},
    {"datagrams", OPT_DGRAMS, "N", "datagrams per rate cell (default: 200000)"},
    {"connections", OPT_CONNS, "N", "connections per cell (default: 5000)"},
    {"clients", OPT_CLIENTS, "N", "crowd size, 1-20000 (default: 100)"},
    {"echoes", OPT_ECHOES, "N", "echoes per crowd client (default: 100)"},
    {"placement", OPT_PLACEMENT, "P",
     "same: both ends on one CPU (default); split: one end on each\n"
     "of two CPUs; none: left to the scheduler"},
    {"peers", OPT_PEERS, NULL,
     "also run sockperf, iperf3, ping and socat where installed\n"
     "(nothing is installed: apt-get install sockperf iperf3 socat)"},
    {"reps", OPT_REPS, "R",
     "measure every row R times, interleaved: the floor, then ours, then the peer,\n"
     "R times over; a ratio is the median of the R ratios, with their range (default: 3,\n"
     "at most 9)"},
    {"spin", OPT_SPIN, NULL,
     "round trips busy-poll: our clients and servers with --spin, the floors'\n"
     "ends non-blocking and looking again at once (icmp-ping and the peers wait\n"
     "as always); for --placement split, where it saves the cross-CPU wake-up"},
    {"json", OPT_JSON, NULL,
     "print one JSON object instead of the tables (every repetition's figures, and\n"
     "each round-trip row's latency histogram)"},
    {"quiet", 'q', NULL, "no progress line"},
};

static const struct sf_cmd bench_cmd = {
    "[OPTIONS]",
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
    "  models   the crowd against each server --model (epoll, thread, fork, iterative):\n"
    "           echoes/s, p99, the server's memory, an echo beside a silent client",
    bench_opts,
    sizeof(bench_opts) / sizeof(bench_opts[0]),
    "Exit status: 0 every cell measured, 1 some cell failed (named on stderr), 64 usage,\n"
    "71 OS error.\n",
};

/* The bench measures a family only in the sections its row names. */
static const char *measured(const struct family *f)
{
    return f->sections ? NULL : "is not measured by sockfam bench (sockfam compare shows it)";
}

/* The next item of a comma-separated list into buf; its length, or a usage error if too long. */
static size_t item(const char *what, const char *p, char *buf, size_t cap)
{
    size_t n = strcspn(p, ",");

    if (n >= cap)
        sf_cli_usage_error("%s: '%.*s...' is too long", what, 20, p);
    memcpy(buf, p, n);
    buf[n] = '\0';
    return n;
}

static void sizes(struct bench *b, const char *list)
{
    char word[32];

    b->nsizes = 0;
    for (const char *p = list;; p++) {
        size_t n = item("--sizes", p, word, sizeof(word));
        if (b->nsizes == 8)
            sf_cli_usage_error("--sizes: at most 8 sizes");
        b->sizes[b->nsizes++] = (unsigned long)sf_opt_uint("--sizes", word, 1, 65000);
        if (!p[n])
            return;
        p += n;
    }
}

static void sections(int on[SEC_N], const char *list)
{
    char word[32];

    memset(on, 0, SEC_N * sizeof(on[0]));
    for (const char *p = list;; p++) {
        size_t n = item("--sections", p, word, sizeof(word));
        int k = 0, all = strcmp(word, "all") == 0;
        while (!all && k < SEC_N && strcmp(word, section_names[k]) != 0)
            k++;
        if (k == SEC_N) {
            char valid[128];
            size_t at = 0;
            for (int i = 0; i < SEC_N && at < sizeof(valid); i++)
                at += (size_t)snprintf(valid + at, sizeof(valid) - at, "%s, ", section_names[i]);
            sf_cli_usage_error("--sections: unknown section '%s' (valid: %sall)", word, valid);
        }
        for (int i = 0; i < SEC_N; i++)
            on[i] |= all || i == k;
        if (!p[n])
            return;
        p += n;
    }
}

/* Both ends' CPUs, from those this process may use (a taskset or cgroup may restrict them). */
static void placement(struct bench *b, const char *p)
{
    static const char *const choices[] = {"same", "split", "none", NULL};
    int k = sf_opt_choice("--placement", p, choices), srv = -1, cli = -1;

    if (k == 0) {
        srv = cli = b->cpus.first;
    } else if (k == 1) {
        if (b->cpus.second < 0)
            sf_cli_usage_error("--placement split needs two CPUs or more (this process may use %d)",
                               b->cpus.n);
        srv = b->cpus.first, cli = b->cpus.second;
    }
    b->placement = choices[k];
    b->server = (struct place){&b->cpus, srv, cli};
    b->client = (struct place){&b->cpus, cli, srv};
}

/* --families' help, from the family table: the rows the bench measures (compare has more). */
static void families_text(void)
{
    size_t at = (size_t)snprintf(families_help, sizeof(families_help), "comma-separated:");
    int col = 0;

    for (int i = 0; i < family_count && at < sizeof(families_help); i++)
        if (!measured(&families[i]))
            at += (size_t)snprintf(families_help + at, sizeof(families_help) - at, "%s %s",
                                   col++ ? "," : "", families[i].name);
    if (at < sizeof(families_help))
        snprintf(families_help + at, sizeof(families_help) - at,
                 "; 'unix' for its three types (default: all)");
    /* One line break, as compare's: the first line fits beside the option (52 columns). */
    col = 0;
    for (char *p = families_help; *p; p++, col++)
        if (*p == ' ' && col + 1 + (int)strcspn(p + 1, " ") > 52) {
            *p = '\n';
            break;
        }
}

static void families_opt(struct bench *b, const char *list)
{
    struct sf_err err;

    if (family_parse_list(&err, list, b->on, measured) < 0)
        sf_cli_usage_error("%s", err.msg);
}

static void option(void *ctx, int c, const char *arg)
{
    struct bench *b = ctx;

    switch (c) {
    case OPT_FAMILIES:
        return families_opt(b, arg);
    case OPT_SECTIONS:
        return sections(b->sec_on, arg);
    case OPT_SIZES:
        return sizes(b, arg);
    case 'c':
        b->count = (unsigned long)sf_opt_uint("--count", arg, 1, 10000000);
        return;
    case OPT_WARMUP:
        b->warmup = (unsigned long)sf_opt_uint("--warmup", arg, 0, 10000000);
        return;
    case OPT_STREAM:
        b->stream_mib = (unsigned long)sf_opt_uint("--stream-mib", arg, 1, 65536);
        return;
    case OPT_DGRAMS:
        b->dgrams = (unsigned long)sf_opt_uint("--datagrams", arg, 1, 100000000);
        return;
    case OPT_CONNS:
        b->connections = (unsigned long)sf_opt_uint("--connections", arg, 1, 20000);
        return;
    case OPT_CLIENTS:
        b->clients = (unsigned long)sf_opt_uint("--clients", arg, 1, 20000);
        return;
    case OPT_ECHOES:
        b->echoes = (unsigned long)sf_opt_uint("--echoes", arg, 1, 1000000);
        return;
    case OPT_PLACEMENT:
        return placement(b, arg);
    case OPT_PEERS:
        b->peers = 1;
        return;
    case OPT_SPIN:
        b->spin = 1;
        return;
    case OPT_REPS:
        b->reps = (int)sf_opt_uint("--reps", arg, 1, REPS_MAX);
        return;
    case OPT_JSON:
        b->json = 1;
        return;
    case 'q':
        b->quiet = 1;
        return;
    }
}

void bench_options(struct bench *b, int argc, char **argv)
{
    families_opt(b, "all");
    sections(b->sec_on, "all");
    sizes(b, "1,64,1024,16384");
    b->count = 20000, b->warmup = 1000, b->stream_mib = 512, b->dgrams = 200000;
    b->connections = 5000, b->clients = 100, b->echoes = 100, b->reps = 3;
    placement(b, "same");
    families_text();
    sf_opts_no_operands(argc, argv, sf_opts_parse(&bench_cmd, argc, argv, option, b));
}
