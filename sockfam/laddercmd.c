/*
 * laddercmd: `sockfam ladder FILE.pcap`, any capture (one of ours, or one
 * tcpdump wrote) drawn as ladders.  Its flows are found once (each packet
 * joins the flow of the first one it shares addresses and ports with);
 * `--list` lists them, `--flow N` draws one, and without either every flow
 * is drawn whole, with sequence numbers relative to each side's first and
 * windows scaled once both SYNs announced their scale (common/wire/ladder).
 * A file libpcap cannot read, or a frame it cannot decode, is one line and
 * exit 65; a missing file 66.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli.h"
#include "ladder.h"
#include "opts.h"
#include "laddercmd.h"
#include "wire.h"

enum { OPT_LIST = SF_OPT_LONG, OPT_FLOW };

static const struct sf_opt ladder_opts[] = {
    {"list", OPT_LIST, NULL, "list the capture's flows, one line each"},
    {"flow", OPT_FLOW, "N", "draw flow N alone (as --list numbers them)"},
    {"help", 'h', NULL, "show this help and exit"},
};

static const struct sf_cmd ladder_cmd = {
    "[--list | --flow N] FILE",
    "Draw a capture (.pcap or .pcapng, ours or tcpdump's) as ladders, a flow each: every\n"
    "packet with its time, direction, flags, relative sequence numbers and scaled windows.",
    ladder_opts,
    sizeof(ladder_opts) / sizeof(ladder_opts[0]),
    "Exit status: 0 drawn, 64 usage, 65 the file is not a capture libpcap reads (or holds\n"
    "more than 100000 packets or 64 MiB), 66 no such file, 71 out of memory, 74 standard\n"
    "output could not be written, 77 no permission to read the file.\n",
};

struct ladder_opts {
    int list;
    long flow; /* 1-based; 0: every flow */
};

static void option(void *ctx, int val, const char *arg)
{
    struct ladder_opts *o = ctx;

    if (val == OPT_LIST)
        o->list = 1;
    else if (val == OPT_FLOW)
        o->flow = (long)sf_opt_uint("--flow", arg, 1, 1000000);
}

/* Each flow's first record: first[k] for flow k (0-based); flow_of[i] for record i, or -1. */
static size_t find_flows(const struct sf_wire *w, long *flow_of, size_t *first,
                         const struct sf_wire_rec **recs)
{
    size_t n = sf_wire_count(w), nflows = 0;

    for (size_t i = 0; i < n; i++)
        flow_of[i] = -1;
    for (size_t i = 0; i < n; i++) {
        if (flow_of[i] >= 0 || !sf_wire_at(w, i)->ok)
            continue;
        size_t m = sf_ladder_flow(w, i, recs, n);
        for (size_t k = 0; k < m; k++)
            flow_of[recs[k] - sf_wire_at(w, 0)] = (long)nflows;
        first[nflows++] = i;
    }
    return nflows;
}

static void list_flow(const struct sf_wire *w, size_t k, size_t first, size_t packets)
{
    const struct sf_pkt *p = &sf_wire_at(w, first)->pkt;
    const struct sf_wire_rec *one[1] = {sf_wire_at(w, first)};
    char *head = sf_ladder(NULL, one, 1, 0, 0);
    char *nl = head ? strchr(head, '\n') : NULL;

    if (nl)
        *nl = '\0';
    const char *proto = p->ip_proto == 6    ? "tcp"
                        : p->ip_proto == 17 ? "udp"
                        : p->ip_proto == 1  ? "icmp"
                        : p->ip_proto == 58 ? "icmp6"
                                            : "ip";

    printf("%4zu  %-5s %6zu packets  %s\n", k + 1, proto, packets,
           head ? head + strspn(head, " ") : "");
    free(head);
}

static int draw_flow(const struct sf_wire *w, size_t k, size_t first,
                     const struct sf_wire_rec **recs)
{
    size_t m = sf_ladder_flow(w, first, recs, sf_wire_count(w));
    struct sf_err err;
    char *text = sf_ladder(&err, recs, m, 0, 0);

    if (!text)
        return sf_cli_error(&err);
    printf("flow %zu, %zu packets:\n%s\n", k + 1, m, text);
    free(text);
    return 0;
}

static int show(const struct sf_wire *w, const struct ladder_opts *o, const char *path)
{
    size_t n = sf_wire_count(w), nflows, other = 0;
    long *flow_of = malloc((n + 1) * sizeof(*flow_of));
    size_t *first = malloc((n + 1) * sizeof(*first)), *count = calloc(n + 1, sizeof(*count));
    const struct sf_wire_rec **recs = malloc((n + 1) * sizeof(*recs));
    int rc = 0;

    if (!flow_of || !first || !count || !recs) {
        free(flow_of), free(first), free(count), free(recs);
        sf_cli_warn("out of memory for %zu packets", n);
        return EX_OSERR;
    }
    nflows = find_flows(w, flow_of, first, recs);
    for (size_t i = 0; i < n; i++)
        flow_of[i] >= 0 ? count[flow_of[i]]++ : other++;
    if (o->flow > (long)nflows) {
        sf_cli_warn("%s has %zu flows: no flow %ld", path, nflows, o->flow);
        rc = EX_USAGE;
    }
    if (rc == 0 && (o->list || !o->flow))
        printf("%s: %zu packets, %zu flows%s\n", path, n, nflows,
               other ? "; some packets in no flow (not IP, or not decoded)" : "");
    for (size_t k = 0; rc == 0 && k < nflows; k++)
        if (o->list)
            list_flow(w, k, first[k], count[k]);
        else if (!o->flow || (long)k + 1 == o->flow)
            rc = draw_flow(w, k, first[k], recs);
    free(flow_of), free(first), free(count), free(recs);
    return rc;
}

int ladder_main(int argc, char **argv)
{
    struct ladder_opts o = {0};
    int first = sf_opts_parse(&ladder_cmd, argc, argv, option, &o);
    struct sf_err err;
    struct sf_wire *w;
    FILE *f;
    int rc;

    if (first + 1 != argc)
        sf_cli_usage_error(first >= argc ? "FILE is missing" : "one FILE at a time");
    if (o.list && o.flow)
        sf_cli_usage_error("--list and --flow: one or the other");
    f = fopen(argv[first], "rb");
    if (!f) {
        int e = errno;
        sf_cli_warn("%s: %s", argv[first], strerror(e));
        return e == ENOENT ? EX_NOINPUT : e == EACCES || e == EPERM ? EX_NOPERM : EX_DATAERR;
    }
    fclose(f);
    w = sf_wire_read_file(&err, argv[first]);
    if (!w) {
        sf_cli_warn("%s: %s", argv[first], err.msg); /* past the bounds too: 65, not 71 */
        return err.kind == SF_ERR_SYS && err.sys_errno == ENOMEM ? EX_OSERR : EX_DATAERR;
    }
    rc = show(w, &o, argv[first]);
    sf_wire_close(w);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        sf_cli_warn("standard output: %s", strerror(errno));
        return EX_IOERR;
    }
    return rc;
}
