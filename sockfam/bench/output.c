/* output: the bench's tables, its JSON, and its failed rows; see output.h. */
#include "output.h"

#include <stdio.h>
#include <string.h>

#include "cells.h"
#include "cli.h"
#include "crowd.h"
#include "jout.h"

static const char *const titles[SEC_N] = {
    "Round trips, one message in flight",
    "Stream throughput, 64 KiB writes, discarded by the receiver",
    "Datagram rate, 64-byte datagrams sent flat out, counted at both ends",
    "Connection rate: connect, one 64-byte echo, close",
    "A crowd: clients connected at once, each doing 64-byte echoes",
    "The servers' concurrency models (--model) under the crowd, and beside a silent client",
};

static const char *role_name(enum role r)
{
    return r == ROLE_OURS ? "" : r == ROLE_FLOOR ? "floor: " : "peer: ";
}

static void text_row(const struct cell *c)
{
    char name[64];

    snprintf(name, sizeof(name), "%s%s", role_name(c->role), c->name);
    printf("  %-28s", name);
    if (!c->ok) {
        printf(" %s: %s\n", c->skipped ? "skipped" : "failed", c->why);
        return;
    }
    switch (c->sec) {
    case SEC_LATENCY:
        if (c->p50 > 0)
            printf(" %6lu %9.2f %9.2f", c->size, c->p50, c->p99);
        else /* a peer that gives only a mean (ping) */
            printf(" %6lu %9s %9s", c->size, "-", "-");
        printf(" %9.2f %10.0f", c->mean, c->mean > 0 ? 1e6 / c->mean : 0);
        break;
    case SEC_STREAM:
        printf(" %9.0f", c->rate);
        break;
    case SEC_DGRAM:
        printf(" %10.0f %10.0f %9llu %9llu %8llu %8lld", c->rate, c->delivered, c->sent,
               c->received, c->dropped, c->unexplained);
        break;
    case SEC_CONNECT:
        printf(" %9.0f %9.2f %9.2f", c->rate, c->p50, c->p99);
        break;
    case SEC_CROWD:
        printf(" %7llu %9llu %7llu %9.0f %9.2f %9.1f", c->clients, c->completed, c->failed, c->rate,
               c->p99, (double)c->rss_kib / 1024);
        break;
    case SEC_MODELS:
        printf(" %7llu %9llu %7llu %9.0f %9.2f %9.1f %10.2f", c->clients, c->completed, c->failed,
               c->rate, c->p99, (double)c->rss_kib / 1024, c->silent_ms);
        break;
    default:
        break;
    }
    if (c->ratio > 0)
        printf(" %7.2f %5.2f-%-5.2f %s", c->ratio, c->ratio_lo, c->ratio_hi,
               c->role == ROLE_PEER ? "ours / peer" : c->vs);
    if ((c->sec == SEC_CROWD || c->sec == SEC_MODELS) && c->failed)
        printf("  (first failure: %s)", c->why);
    printf("\n");
}

#define RATIO_HEAD "   ratio  range       to"

static const char *const heads[SEC_N] = {
    "bytes    p50 us    p99 us   mean us     msgs/s" RATIO_HEAD,
    "     MB/s" RATIO_HEAD,
    "    sent/s  deliv'd/s      sent  received  dropped  unexpl." RATIO_HEAD,
    "   conns/s    p50 us    p99 us" RATIO_HEAD,
    "clients    echoes  failed  echoes/s    p99 us  srv RSS MiB",
    "clients    echoes  failed  echoes/s    p99 us  srv PSS MiB  silent ms",
};

/* What a section measured, and what its ratio compares, under its title. */
static void section_line(const struct bench *b, enum section s)
{
    switch (s) {
    case SEC_LATENCY:
        printf("  %lu round trips a row after %lu unmeasured; ratio: p50 over the floor's p50\n",
               b->count, b->warmup);
        break;
    case SEC_STREAM:
        printf("  %lu MiB a row; ratio: MB/s over the floor's MB/s\n", b->stream_mib);
        break;
    case SEC_DGRAM:
        printf("  %lu datagrams a row; ratio: delivered/s over the floor's delivered/s\n",
               b->dgrams);
        break;
    case SEC_CONNECT:
        printf("  %lu connections a row; ratio: connections/s over the floor's\n", b->connections);
        break;
    case SEC_CROWD:
        printf("  %lu clients, %lu echoes each; no floor\n", b->clients, b->echoes);
        break;
    case SEC_MODELS:
        printf("  %lu clients, %lu echoes each, held until all are done (iterative: each leaves\n"
               "  when done); PSS: the server's processes together, at the end; silent: connect\n"
               "  and one echo beside a client that sends nothing (server --idle-timeout 1)\n",
               b->clients < MODELS_CLIENTS ? b->clients : MODELS_CLIENTS, b->echoes);
        break;
    default:
        break;
    }
}

static void print_text(const struct bench *b)
{
    printf("sockfam bench: placement %s", b->placement);
    if (b->server.self >= 0)
        printf(" (server end on CPU %d, client end on CPU %d)", b->server.self, b->client.self);
    else
        printf(" (both ends left to the scheduler)");
    printf("; every row measured %d time%s, interleaved with its floor and peers%s\n", b->reps,
           b->reps == 1 ? "" : "s", b->spin ? "; round trips spinning (--spin)" : "");
    for (int s = 0; s < SEC_N; s++) {
        int any = 0;
        for (int i = 0; i < b->ncells; i++)
            any |= b->cells[i].sec == (enum section)s;
        if (!any)
            continue;
        printf("\n%s\n", titles[s]);
        section_line(b, (enum section)s);
        printf("  %-28s %s\n", "", heads[s]);
        for (int i = 0; i < b->ncells; i++)
            if (b->cells[i].sec == (enum section)s)
                text_row(&b->cells[i]);
    }
    printf("\nEach floor is the bare socket of its type between two processes, printed above the\n"
           "rows measured against it. ratio: the median, over the repetitions, of a row's\n"
           "figure over its floor's taken moments apart (a peer row: ours over the peer's;\n"
           "ping: wall time per echo); range: the lowest and highest of those ratios. The\n"
           "figures shown are the median repetition's. For round trips lower is better (1.10 =\n"
           "10%% slower); for rates higher is better.\n");
}

/* The figures of a measured cell, by section. */
static void json_figures(json_t *o, const struct cell *c)
{
    if (c->sec == SEC_LATENCY || c->sec == SEC_CONNECT) {
        double per_s = c->sec == SEC_LATENCY ? (c->mean > 0 ? 1e6 / c->mean : 0) : c->rate;
        json_object_update_new(o, json_pack("{s:o,s:o,s:o,s:o}", "p50_us", sf_jreal(c->p50, 3),
                                            "p99_us", sf_jreal(c->p99, 3), "mean_us",
                                            sf_jreal(c->mean, 3), "per_s", sf_jreal(per_s, 1)));
    } else if (c->sec == SEC_STREAM) {
        json_object_set_new(o, "mb_per_s", sf_jreal(c->rate, 1));
    } else if (c->sec == SEC_DGRAM) {
        json_object_update_new(
            o, json_pack("{s:o,s:o,s:o,s:o,s:o,s:I}", "sent_per_s", sf_jreal(c->rate, 1),
                         "delivered_per_s", sf_jreal(c->delivered, 1), "sent", sf_juint(c->sent),
                         "received", sf_juint(c->received), "dropped", sf_juint(c->dropped),
                         "unexplained", (json_int_t)c->unexplained));
    } else {
        json_object_update_new(o, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "clients",
                                            sf_juint(c->clients), "completed",
                                            sf_juint(c->completed), "failed", sf_juint(c->failed),
                                            "per_s", sf_jreal(c->rate, 1), "p50_us",
                                            sf_jreal(c->p50, 3), "p99_us", sf_jreal(c->p99, 3)));
        json_object_set_new(o, c->sec == SEC_MODELS ? "server_pss_kib" : "server_rss_kib",
                            json_integer(c->rss_kib));
        if (c->sec == SEC_MODELS)
            json_object_set_new(o, "silent_ms", sf_jreal(c->silent_ms, 3));
    }
}

/* A round-trip row's histogram: [[lower edge us, round trips], ...]. */
static json_t *json_hist(const struct hist *h)
{
    json_t *a = json_array();

    for (int i = 0; i < h->n; i++)
        json_array_append_new(a, json_pack("[o,o]", sf_jreal(h->bin[i][0], 3),
                                           sf_juint((unsigned long long)h->bin[i][1])));
    return a;
}

/* Every repetition's figures, in the order they were measured. */
static json_t *json_reps(const struct cell *c)
{
    json_t *a = json_array();

    for (int r = 0; r < c->nreps; r++) {
        struct cell one = *c;
        json_t *o = json_pack("{s:b}", "ok", c->rep[r].ok);
        cells_figs_put(&one, &c->rep[r]);
        if (one.ok)
            json_figures(o, &one);
        if (one.ok && c->sec == SEC_LATENCY)
            json_object_set_new(o, "hist_us", json_hist(&one.hist));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *json_cell(const struct cell *c)
{
    static const char *const roles[] = {"ours", "floor", "peer"};
    json_t *o = json_pack("{s:s,s:s,s:o,s:I,s:b,s:b}", "section", section_names[c->sec], "role",
                          roles[c->role], "name", sf_jstr(c->name), "size", (json_int_t)c->size,
                          "ok", c->ok, "skipped", c->skipped);

    if (!o)
        return NULL;
    if (!c->ok)
        json_object_set_new(o, "why", sf_jstr(c->why));
    else
        json_figures(o, c);
    if (c->ratio > 0) {
        json_object_update_new(o, json_pack("{s:o,s:o,s:o,s:i,s:o}", "ratio", sf_jreal(c->ratio, 4),
                                            "ratio_min", sf_jreal(c->ratio_lo, 4), "ratio_max",
                                            sf_jreal(c->ratio_hi, 4), "ratios", c->nratios, "vs",
                                            sf_jstr(c->vs)));
    }
    json_object_set_new(o, "repetitions", json_reps(c));
    return o;
}

static void print_json(const struct bench *b)
{
    json_t *cells = json_array();

    for (int i = 0; i < b->ncells; i++)
        json_array_append_new(cells, json_cell(&b->cells[i]));
    sf_jout_print(stdout, json_pack("{s:s,s:s,s:i,s:i,s:i,s:I,s:I,s:i,s:b,s:o}", "program",
                                    "sockfam bench", "placement", b->placement, "cpu_server",
                                    b->server.self, "cpu_client", b->client.self, "cpus", b->cpus.n,
                                    "count", (json_int_t)b->count, "warmup", (json_int_t)b->warmup,
                                    "reps", b->reps, "spin", b->spin, "cells", cells));
}

int bench_report(struct bench *b)
{
    int failed = 0;

    cells_ratios(b);
    if (b->json)
        print_json(b);
    else
        print_text(b);
    fflush(stdout);
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        if (c->ok || c->skipped)
            continue;
        sf_cli_warn("%s%s, %lu bytes: %s", role_name(c->role), c->name, c->size, c->why);
        failed = 1;
    }
    return failed;
}
