/* sections: one section's floor rows, then its families'; see sections.h. */
#include "sections.h"

#include <errno.h>
#include <stdio.h>

#include "bare.h"
#include "bench.h"
#include "cells.h"
#include "floor.h"
#include "ours.h"
#include "peers.h"

#define STREAM_WRITE 65536
#define DGRAM_SIZE 64
#define CONNECT_SIZE 64

const char *const section_names[SEC_N] = {"latency", "stream", "dgram",
                                          "connect", "crowd",  "models"};

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
        struct sf_hist_bin bins[SF_HIST_MAX];
        c->ok = 1, c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
        c->hist.n = (int)sf_stats_hist(&s, bins, SF_HIST_MAX);
        for (int i = 0; i < c->hist.n; i++)
            c->hist.bin[i][0] = bins[i].lo, c->hist.bin[i][1] = (double)bins[i].n;
    }
    sf_stats_free(&s);
}

/* The figures of a measured floor row of the stream, dgram or connect section. */
static void rate_figures(struct bench *b, struct cell *c, const struct dgram_rate *r,
                         struct sf_stats *st, double secs)
{
    if (c->sec == SEC_STREAM) {
        c->rate = (double)b->stream_mib * 1048576 / secs / 1e6;
    } else if (c->sec == SEC_DGRAM) {
        c->sent = r->sent, c->received = r->received, c->dropped = r->dropped;
        c->unexplained = (long long)(r->sent - r->received - r->dropped);
        c->rate = (double)r->sent / r->seconds, c->delivered = (double)r->received / r->seconds;
    } else {
        struct sf_summary sum = sf_stats_summary(st);
        c->rate = (double)b->connections / secs;
        c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
    }
}

/* A floor row of the stream, dgram or connect section. */
static void floor_rate(struct bench *b, enum section sec, enum floor_kind k)
{
    unsigned long size = sec == SEC_STREAM  ? STREAM_WRITE
                         : sec == SEC_DGRAM ? DGRAM_SIZE
                                            : CONNECT_SIZE;
    struct cell *c = bench_cell(b, sec, ROLE_FLOOR, cells_floor_label(sec, k), size);
    struct dgram_rate r = {0};
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
    if (rc < 0)
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    else
        rate_figures(b, c, &r, &st, secs);
    sf_stats_free(&st);
}

/* Does family f take part in sec in this run? */
static int takes_part(const struct bench *b, int f, enum section sec)
{
    return b->on[f] && (families[f].sections & SEC_BIT(sec));
}

/* The sizes a section measures: the round trips' --sizes, the others' one. */
static int section_sizes(const struct bench *b, enum section sec, unsigned long *sizes)
{
    if (sec == SEC_LATENCY) {
        for (int i = 0; i < b->nsizes; i++)
            sizes[i] = b->sizes[i];
        return b->nsizes;
    }
    sizes[0] = sec == SEC_STREAM ? STREAM_WRITE : sec == SEC_DGRAM ? DGRAM_SIZE : CONNECT_SIZE;
    return 1;
}

/* One repetition of a floor's row. */
static void floor_measure(struct bench *b, enum section sec, enum floor_kind k, unsigned long size)
{
    if (sec == SEC_LATENCY)
        floor_latency(b, k, size);
    else
        floor_rate(b, sec, k);
    cells_keep(b);
}

/*
 * The rows of floor k at size, interleaved: --reps times the floor, then
 * each family measured against it, each followed by its peers, so that
 * every ratio compares figures taken moments apart.
 */
static void group_run(struct bench *b, enum section sec, enum floor_kind k, unsigned long size,
                      struct ours *const *o)
{
    int ref = floor_reference(k);

    for (int r = 0; r < b->reps; r++) {
        floor_measure(b, sec, k, size);
        if (ref >= 0) /* the connected pair of the same type, for what a server's socket costs */
            floor_measure(b, sec, (enum floor_kind)ref, size);
        for (int f = 0; f < family_count; f++) {
            if (!o[f] || families[f].floor != k)
                continue;
            ours_measure(b, o[f], sec, size);
            cells_keep(b);
            if (b->peers)
                peers_for(b, sec, f, size);
            cells_keep(b);
        }
    }
}

/* The crowd has no floor: --reps times each family's crowd. */
static void crowd_section(struct bench *b, struct ours *const *o)
{
    for (int r = 0; r < b->reps; r++)
        for (int f = 0; f < family_count; f++)
            if (o[f]) {
                ours_measure(b, o[f], SEC_CROWD, 0);
                cells_keep(b);
            }
}

/* The servers' --model, side by side: --reps times each family's four. */
static void models_section(struct bench *b, struct ours *const *o)
{
    static const char *const models[] = {"epoll", "thread", "fork", "iterative"};

    for (int r = 0; r < b->reps; r++)
        for (int f = 0; f < family_count; f++)
            for (size_t m = 0; o[f] && m < sizeof(models) / sizeof(models[0]); m++) {
                ours_models(b, o[f], models[m]);
                cells_keep(b);
            }
}

void sections_run(struct bench *b, enum section sec)
{
    int want[FLOOR_N] = {0};
    struct ours *o[FAM_MAX] = {0};
    unsigned long sizes[8];
    int nsizes = section_sizes(b, sec, sizes);

    /* Every floor a family of the section is measured against; and the pipe, the
     * floor of every byte stream, beside the round trips and the throughput. */
    for (int f = 0; f < family_count; f++)
        if (takes_part(b, f, sec)) {
            want[families[f].floor] = 1;
            want[FLOOR_PIPE] |= sec == SEC_LATENCY || sec == SEC_STREAM;
            o[f] = ours_open(b, sec, f);
            cells_keep(b); /* a family that could not start: its failed row */
        }
    bare_spin(b->spin && sec == SEC_LATENCY); /* --spin: the round trips' floors busy-poll too */
    if (sec == SEC_CROWD)
        crowd_section(b, o);
    if (sec == SEC_MODELS)
        models_section(b, o);
    for (int i = 0; i < nsizes && sec != SEC_CROWD && sec != SEC_MODELS; i++)
        for (int k = 0; k < FLOOR_N; k++)
            if (want[k])
                group_run(b, sec, (enum floor_kind)k, sizes[i], o);
    for (int f = 0; f < family_count; f++)
        ours_close(o[f]);
    bare_spin(0);
}
