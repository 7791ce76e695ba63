/*
 * sockfam: the suite's runner.
 *
 *   sockfam compare   every family's pair side by side, with the wire
 *   sockfam bench     round trips of every family beside the kernel's floor
 *
 * It starts the suite's own programs (found beside this binary) and reads
 * their JSON summaries; the capture and the tables come from common/.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "num.h"
#include "run.h"

#define EX_USAGE 64
#define EX_NOPERM 77

static const char usage_text[] =
    "Usage: sockfam compare [OPTIONS]\n"
    "Run every family's server and client side by side (tcp, udp, unix-stream, unix-dgram,\n"
    "unix-seqpacket, icmp), capture the wire, and print one table: a row per family with its\n"
    "setup, message boundaries, delivery guarantee, messages, packets and bytes on the wire,\n"
    "wire overhead and round trips; then the first exchange of each family as a ladder.\n"
    "\n"
    "Options:\n"
    "  -h, --help             show this help and exit\n"
    "      --families LIST    comma-separated: tcp, udp, unix-stream, unix-dgram,\n"
    "                         unix-seqpacket, icmp; 'unix' for its three types (default: all)\n"
    "  -c, --count N          messages per family (default: 10, at most 100000)\n"
    "  -s, --size BYTES       payload bytes per message (default: 64, at most 65000)\n"
    "  -m, --mode MODE        echo or mirror (default: echo)\n"
    "      --json             print one JSON object instead (docs/compare-json.md)\n"
    "      --pcap FILE        write the whole run's capture to FILE (tcpdump -r reads it)\n"
    "      --no-ladder        leave out the ladder diagrams\n"
    "  -q, --quiet            no progress line and no ladders: the table and notes only\n"
    "\n"
    "Capturing needs root (a private network namespace and CAP_NET_RAW); without it the\n"
    "wire cells show n/a and a note says what was skipped. Exit status: 0 every family\n"
    "succeeded, 1 some family failed (each named on stderr), 64 usage, 71 OS error,\n"
    "77 --pcap without the privilege to capture, 130 interrupted.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "sockfam: compare: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, " (see sockfam compare --help)\n");
    return EX_USAGE;
}

/* Where the suite's programs are: beside this binary. */
static void bin_dir(char *buf, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", buf, cap - 1);

    if (n <= 0) {
        snprintf(buf, cap, ".");
        return;
    }
    buf[n] = '\0';
    char *dir = dirname(buf); /* may point into buf */
    memmove(buf, dir, strlen(dir) + 1);
}

static int number(const char *arg, unsigned long max, unsigned long *out, const char *name)
{
    struct sf_err err;
    uint64_t v;

    if (sf_parse_u64(&err, name, arg, 1, max, &v) < 0)
        return usage_error("%s", err.msg);
    *out = (unsigned long)v;
    return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
    enum { OPT_FAMILIES = 256, OPT_JSON, OPT_PCAP, OPT_NO_LADDER };
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {"families", required_argument, NULL, OPT_FAMILIES},
                                          {"count", required_argument, NULL, 'c'},
                                          {"size", required_argument, NULL, 's'},
                                          {"mode", required_argument, NULL, 'm'},
                                          {"json", no_argument, NULL, OPT_JSON},
                                          {"pcap", required_argument, NULL, OPT_PCAP},
                                          {"no-ladder", no_argument, NULL, OPT_NO_LADDER},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {NULL, 0, NULL, 0}};
    char why[256];
    int c;

    *o = (struct opts){.count = 10, .size = 64, .mode = "echo", .ladder = 1};
    family_parse_list("all", o->on, why, sizeof(why));
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+hc:s:m:q", longs, NULL)) != -1) {
        switch (c) {
        case 'h':
            fputs(usage_text, stdout);
            exit(0);
        case OPT_FAMILIES:
            if (family_parse_list(optarg, o->on, why, sizeof(why)) < 0)
                return usage_error("%s", why);
            break;
        case 'c':
            if (number(optarg, 100000, &o->count, "--count") != 0)
                return EX_USAGE;
            break;
        case 's':
            if (number(optarg, 65000, &o->size, "--size") != 0)
                return EX_USAGE;
            break;
        case 'm':
            if (strcmp(optarg, "echo") != 0 && strcmp(optarg, "mirror") != 0)
                return usage_error("--mode must be echo or mirror, not '%s'", optarg);
            o->mode = optarg;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case OPT_PCAP:
            o->pcap = optarg;
            break;
        case OPT_NO_LADDER:
            o->ladder = 0;
            break;
        case 'q':
            o->quiet = 1, o->ladder = 0;
            break;
        default:
            return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    o->progress = !o->quiet && !o->json && isatty(2);
    bin_dir(o->bin_dir, sizeof(o->bin_dir));
    return 0;
}

/* Name every family that failed, one line each; 1 if any did. */
static int failures(const struct run *r)
{
    int failed = 0;

    for (int f = 0; f < FAM_N; f++)
        if (r->o.on[f] && r->r[f].status == ST_FAILED) {
            fprintf(stderr, "sockfam: compare: %s failed: %s\n", families[f].name, r->r[f].why);
            failed = 1;
        }
    if (r->wire && !r->wire_ok) {
        fprintf(stderr, "sockfam: compare: the capture is incomplete (see the notes)\n");
        failed = 1;
    }
    return failed;
}

static int write_pcap(const struct run *r)
{
    struct sf_err err;

    if (!r->o.pcap || !r->wire)
        return 0;
    if (sf_wire_write_file(&err, r->wire, r->o.pcap) < 0) {
        fprintf(stderr, "sockfam: compare: %s\n", err.msg);
        return 1;
    }
    return 0;
}

static int compare(int argc, char **argv)
{
    struct run *r = calloc(1, sizeof(*r));
    int rc;

    if (!r)
        return 71;
    rc = parse(argc, argv, &r->o);
    if (rc != 0 || run_prepare(r) < 0) {
        if (rc == 0)
            perror("sockfam: compare: setting up");
        run_cleanup(r);
        free(r);
        return rc ? rc : 71;
    }
    if (r->o.pcap && !r->wire) {
        fprintf(stderr, "sockfam: compare: --pcap %s: nothing can be captured here (%s)\n",
                r->o.pcap, r->notes[0]);
        run_cleanup(r);
        sf_wire_close(r->wire);
        free(r);
        return EX_NOPERM;
    }
    run_start(r);
    run_wait(r);
    if (!r->interrupted)
        run_finish(r);
    run_cleanup(r);
    if (r->interrupted) {
        fprintf(stderr, "sockfam: compare: interrupted; every child stopped, socket files "
                        "removed\n");
        rc = 130;
    } else {
        run_tally(r);
        if (r->o.json)
            report_json(r);
        else
            report_text(r);
        fflush(stdout);
        rc = failures(r) | write_pcap(r);
    }
    for (int f = 0; f < FAM_N; f++)
        free(r->r[f].ladder);
    sf_wire_close(r->wire);
    free(r);
    return rc;
}

int main(int argc, char **argv)
{
    sf_cli_init("sockfam"); /* SIGPIPE ignored, stdout line-buffered */
    if (argc >= 2 && strcmp(argv[1], "compare") == 0)
        return compare(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "bench") == 0)
        return bench_main(argc - 1, argv + 1);
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        fputs(usage_text, stdout);
        return 0;
    }
    fprintf(stderr,
            argc < 2 ? "sockfam: a command is needed: sockfam compare|bench [OPTIONS]\n"
                     : "sockfam: unknown command '%s': sockfam compare|bench [OPTIONS]\n",
            argv[1]);
    return EX_USAGE;
}
