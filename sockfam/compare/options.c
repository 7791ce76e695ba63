/*
 * options: `sockfam compare`'s command line, read through the suite's one
 * option table (common/prog/opts.h).  The help names every family of the
 * table, so a new row shows up in --help without an edit here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"
#include "opts.h"
#include "spawn.h"

#define SUMMARY_WIDTH 88  /* the help's paragraphs are filled to this column */
#define FAMILIES_FIRST 52 /* the --families help's first line, beside the option */

enum {
    OPT_FAMILIES = SF_OPT_LONG,
    OPT_JSON,
    OPT_PCAP,
    OPT_NO_LADDER,
    OPT_LINK,
    OPT_LOSS,
    OPT_LOSS_DIR,
    OPT_DUP,
    OPT_RATE,
    OPT_MTU,
    OPT_DELAY,
    OPT_CC,
};

static char families_help[512], summary[1024];

static struct sf_opt compare_opts[] = {
    {"help", 'h', NULL, "show this help and exit"},
    {"families", OPT_FAMILIES, "LIST", families_help},
    {"count", 'c', "N", "messages per family (default: 100, enough for a p99; at most 100000)"},
    {"size", 's', "BYTES", "payload bytes per message (default: 64, at most 65000)"},
    {"mode", 'm', "MODE", "echo or mirror (default: echo)"},
    {"json", OPT_JSON, NULL, "print one JSON object instead (docs/compare-json.md)"},
    {"pcap", OPT_PCAP, "FILE",
     "write the whole run's capture to FILE (tcpdump -r reads it), created\n"
     "before the run; - for stdout, the table then on stderr"},
    {"no-ladder", OPT_NO_LADDER, NULL, "leave out the ladder diagrams"},
    {"quiet", 'q', NULL, "no progress line and no ladders: the table and notes only"},
    {"link", OPT_LINK, "lo|lab",
     "lo: loopback, in a private namespace (default); lab: a real link, client\n"
     "and server namespaces joined through a router (veth, MTU 1500)"},
    {"ipv6", '6', NULL, "lab: the IP families over IPv6"},
    {"loss", OPT_LOSS, "P%|every:N", "lab: the router drops P% of packets, or every Nth"},
    {"loss-dir", OPT_LOSS_DIR, "DIR", "lab: up (to the server), down or both (default: both)"},
    {"dup", OPT_DUP, "P%", "lab: the router duplicates P% of packets"},
    {"rate", OPT_RATE, "RATE", "lab: a bottleneck each way (tbf, e.g. 10mbit)"},
    {"mtu", OPT_MTU, "N",
     "lab: a narrow hop after the router towards the server (path MTU N,\n576-1500; the replies "
     "come back at 1500)"},
    {"delay", OPT_DELAY, "MS", "lab: a delay each way (netem, where the kernel has it)"},
    {"cc", OPT_CC, "NAME", "lab: TCP congestion control in both ends (default: cubic)"},
    {"verbose", 'v', NULL, "lab: print every command that builds it, and how long it took"},
};

static const struct sf_cmd compare_cmd = {
    "[OPTIONS]",
    summary,
    compare_opts,
    sizeof(compare_opts) / sizeof(compare_opts[0]),
    "Capturing needs root (a private network namespace and CAP_NET_RAW); without it the\n"
    "wire cells show n/a and a note says what was skipped. A capture that lost packets\n"
    "shows what it kept as >=N. Example: sockfam compare --pcap - | tcpdump -nr -\n"
    "\n"
    "Exit status: 0 every family succeeded and the capture is whole, 1 some family\n"
    "failed (each named on stderr), 64 usage, 71 OS error, 73 the --pcap file cannot\n"
    "be created (found before the run), 74 the capture could not be written, 75 every\n"
    "family succeeded but the capture is incomplete, 77 --pcap without the privilege\n"
    "to capture, 130 interrupted.\n",
};

/*
 * Fill text into buf, breaking at spaces so that the first line holds at
 * most first columns and every later one at most rest (0: no later break).
 */
static void fill(const char *text, size_t first, size_t rest, char *buf, size_t cap)
{
    size_t at = 0, col = 0, width = first;

    buf[0] = '\0';
    for (const char *p = text; *p && at + 1 < cap;) {
        size_t n = strcspn(p, " ");
        if (col > 0 && width && col + 1 + n > width) {
            at += (size_t)snprintf(buf + at, cap - at, "\n");
            col = 0, width = rest;
        } else if (col > 0) {
            at += (size_t)snprintf(buf + at, cap - at, " ");
            col++;
        }
        if (at < cap)
            at += (size_t)snprintf(buf + at, cap - at, "%.*s", (int)n, p);
        col += n;
        p += n + (p[n] == ' ');
    }
}

/* The two texts that name the families, from the table. */
static void help_texts(void)
{
    char names[256], text[1024];

    family_names(names, sizeof(names));
    snprintf(text, sizeof(text),
             "Run every family's server and client side by side (%s), capture the wire, and "
             "print one table: a row per family with its setup, message boundaries (a burst "
             "of 10 messages after the run, as its server read them), delivery guarantee, "
             "messages, packets and bytes on the wire, wire overhead and round trips; then the "
             "first exchange of each family as a ladder.",
             names);
    fill(text, SUMMARY_WIDTH, SUMMARY_WIDTH, summary, sizeof(summary));
    snprintf(text, sizeof(text), "comma-separated: %s; 'unix' for its three types (default: all)",
             names);
    fill(text, FAMILIES_FIRST, 0, families_help, sizeof(families_help));
}

/* A percentage, 0-100 with decimals: "5%", "0.5%". */
static double percent(const char *what, const char *arg)
{
    char *end;
    double v = strtod(arg, &end);

    if (end == arg || strcmp(end, "%") != 0 || !(v >= 0 && v <= 100))
        sf_cli_usage_error("invalid %s '%s' (expected a percentage such as 5%% or 0.5%%)", what,
                           arg);
    return v;
}

/* The lab's options (they need --link lab, checked once all are read). */
static void lab_option(struct opts *o, int c, const char *arg)
{
    static const char *const links[] = {"lo", "lab", NULL}, *const dirs[] = {"both", "up", "down",
                                                                             NULL};
    struct sf_lab_opts *l = &o->lab_o;

    o->lab_asked |= c != OPT_LINK;
    switch (c) {
    case OPT_LINK:
        o->lab = sf_opt_choice("--link", arg, links);
        break;
    case '6':
        o->v6 = 1;
        break;
    case OPT_LOSS:
        if (strncmp(arg, "every:", 6) == 0) {
            l->loss = SF_LOSS_EVERY;
            l->loss_every = (unsigned)sf_opt_uint("--loss every:N", arg + 6, 2, 1000000);
        } else {
            l->loss = SF_LOSS_RANDOM;
            l->loss_pct = percent("--loss", arg);
        }
        break;
    case OPT_LOSS_DIR:
        l->loss_dir = (int)sf_opt_choice("--loss-dir", arg, dirs); /* 0 both, 1 up, 2 down */
        break;
    case OPT_DUP:
        l->dup_pct = percent("--dup", arg);
        break;
    case OPT_RATE:
        if (strlen(arg) >= sizeof(l->rate) ||
            strspn(arg, "0123456789.kmgbitKMGBITps") != strlen(arg))
            sf_cli_usage_error("invalid --rate '%s' (as tc writes it: 10mbit, 500kbit)", arg);
        snprintf(l->rate, sizeof(l->rate), "%s", arg);
        break;
    case OPT_MTU:
        l->mtu = (int)sf_opt_uint("--mtu", arg, 576, 1500);
        break;
    case OPT_DELAY:
        l->delay_ms = (unsigned)sf_opt_uint("--delay", arg, 1, 10000);
        break;
    case OPT_CC:
        if (!arg[0] || strlen(arg) >= 16 ||
            strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(arg))
            sf_cli_usage_error("invalid --cc '%s'", arg);
        l->cc = arg;
        break;
    case 'v':
        o->verbose = 1;
        break;
    }
}

static void option(void *ctx, int c, const char *arg)
{
    static const char *const modes[] = {"echo", "mirror", NULL};
    struct opts *o = ctx;
    struct sf_err err;

    switch (c) {
    case OPT_FAMILIES:
        if (family_parse_list(&err, arg, o->on, NULL) < 0)
            sf_cli_usage_error("%s", err.msg);
        break;
    case 'c':
        o->count = (unsigned long)sf_opt_uint("--count", arg, 1, 100000);
        break;
    case 's':
        o->size = (unsigned long)sf_opt_uint("--size", arg, 1, 65000);
        break;
    case 'm':
        o->mode = modes[sf_opt_choice("--mode", arg, modes)];
        break;
    case OPT_JSON:
        o->json = 1;
        break;
    case OPT_PCAP:
        o->pcap = arg;
        break;
    case OPT_NO_LADDER:
        o->ladder = 0;
        break;
    case 'q':
        o->quiet = 1, o->ladder = 0;
        break;
    default:
        lab_option(o, c, arg);
    }
}

void compare_options(struct opts *o, int argc, char **argv)
{
    struct sf_err err;

    *o = (struct opts){.count = 100, .size = 64, .mode = "echo", .ladder = 1};
    family_parse_list(NULL, "all", o->on, NULL);
    help_texts();
    sf_opts_no_operands(argc, argv, sf_opts_parse(&compare_cmd, argc, argv, option, o));
    if (o->lab_asked && !o->lab)
        sf_cli_usage_error("-6, -v, --loss, --loss-dir, --dup, --rate, --mtu, --delay and --cc "
                           "are the lab's: give --link lab");
    if (o->pcap && strcmp(o->pcap, "-") == 0 && isatty(STDOUT_FILENO))
        sf_cli_usage_error("--pcap -: standard output is a terminal; pipe it (| tcpdump -nr -) or "
                           "redirect it");
    o->progress = !o->quiet && !o->json && isatty(2);
    if (sf_exe_dir(&err, o->bin_dir, sizeof(o->bin_dir)) < 0)
        sf_cli_fail(&err);
}
