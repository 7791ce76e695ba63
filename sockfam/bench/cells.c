/* cells: the bench's rows and their ratios; see cells.h. */
#include "cells.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The row sec/role/name/size already has, or NULL. */
static struct cell *row(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        if (c->sec == sec && c->role == role && c->size == size && strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

/* A measurement's figures start from nothing; what the earlier repetitions kept stays. */
static void open_for_measuring(struct cell *c)
{
    struct figs none = {0};

    cells_figs_put(c, &none);
    c->skipped = 0;
    c->why[0] = '\0';
    c->fresh = 1;
}

struct cell *bench_cell(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size)
{
    struct cell *c = row(b, sec, role, name, size);
    int f = family_find(name, strlen(name));

    if (!c) {
        c = &b->cells[b->ncells < b->maxcells ? b->ncells++ : b->maxcells - 1];
        *c = (struct cell){.sec = sec, .role = role, .size = size};
        snprintf(c->name, sizeof(c->name), "%s", name);
        if (role == ROLE_OURS && f >= 0)
            snprintf(c->vs, sizeof(c->vs), "%s", cells_floor_label(sec, families[f].floor));
    }
    open_for_measuring(c);
    return c;
}

struct figs cells_figs(const struct cell *c)
{
    return (struct figs){.ok = c->ok,
                         .p50 = c->p50,
                         .p99 = c->p99,
                         .mean = c->mean,
                         .rate = c->rate,
                         .delivered = c->delivered,
                         .ratio = c->ratio,
                         .sent = c->sent,
                         .received = c->received,
                         .dropped = c->dropped,
                         .clients = c->clients,
                         .completed = c->completed,
                         .failed = c->failed,
                         .unexplained = c->unexplained,
                         .rss_kib = c->rss_kib,
                         .silent_ms = c->silent_ms,
                         .hist = c->hist};
}

void cells_figs_put(struct cell *c, const struct figs *f)
{
    c->ok = f->ok, c->p50 = f->p50, c->p99 = f->p99, c->mean = f->mean, c->rate = f->rate;
    c->delivered = f->delivered, c->ratio = f->ratio, c->sent = f->sent;
    c->received = f->received, c->dropped = f->dropped, c->clients = f->clients;
    c->completed = f->completed, c->failed = f->failed, c->unexplained = f->unexplained;
    c->rss_kib = f->rss_kib, c->silent_ms = f->silent_ms, c->hist = f->hist;
}

void cells_keep(struct bench *b)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        if (!c->fresh)
            continue;
        c->fresh = 0;
        if (c->nreps < REPS_MAX)
            c->rep[c->nreps++] = cells_figs(c);
    }
}

const char *cells_floor_label(enum section sec, enum floor_kind k)
{
    return sec == SEC_CONNECT && k == FLOOR_STREAM ? "unix-stream bare" : floor_name(k);
}

void bench_progress(const struct bench *b, const char *what, unsigned long size)
{
    if (!b->quiet && isatty(2))
        fprintf(stderr, "\r\033[Ksockfam bench: %s, %lu bytes", what, size);
}

/* A section's headline figure of one repetition's figures. */
static double headline(enum section sec, const struct figs *f)
{
    switch (sec) {
    case SEC_LATENCY:
        return f->p50 > 0 ? f->p50 : f->mean;
    case SEC_DGRAM:
        return f->delivered;
    default:
        return f->rate;
    }
}

double cells_headline(const struct cell *c)
{
    struct figs f = cells_figs(c);

    return headline(c->sec, &f);
}

/* The row of sec named name at size, of another role than not. */
static const struct cell *find(const struct bench *b, enum section sec, const char *name,
                               unsigned long size, enum role not )
{
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        if (c->sec == sec && c->size == size && c->role != not &&strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* The lower median of v[0..n-1] (n > 0), sorting v. */
static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return v[(n - 1) / 2];
}

/* Repetition r's ratio of c to o (a peer's: ours over it), or 0 where either failed. */
static double rep_ratio(const struct cell *c, const struct cell *o, int r)
{
    const struct figs *mine = &c->rep[r], *theirs = r < o->nreps ? &o->rep[r] : NULL;
    double m, t;

    if (mine->ratio > 0) /* set where it was measured (ping: wall time per echo) */
        return mine->ratio;
    if (!theirs || !mine->ok || !theirs->ok)
        return 0;
    m = headline(c->sec, mine), t = headline(c->sec, theirs);
    if (m <= 0 || t <= 0)
        return 0;
    if (c->role == ROLE_PEER) /* a peer that gives only a mean (ping) is compared by means */
        return (c->sec == SEC_LATENCY && theirs->p50 > 0 && mine->p50 == 0 ? theirs->mean : t) / m;
    return m / t;
}

/* The ratio of every repetition: their median, and their range. */
static void ratios_of(struct cell *c, const struct cell *o)
{
    double v[REPS_MAX];
    int n = 0;

    for (int r = 0; r < c->nreps; r++) {
        double x = o ? rep_ratio(c, o, r) : c->rep[r].ratio;
        if (x > 0)
            v[n++] = x;
    }
    c->nratios = n;
    c->ratio = c->ratio_lo = c->ratio_hi = 0;
    if (n == 0)
        return;
    c->ratio = median(v, n); /* sorts v */
    c->ratio_lo = v[0], c->ratio_hi = v[n - 1];
}

/* The row's figures: those of the repetition whose headline is the median; ok if all were. */
static void settle(struct cell *c)
{
    double h[REPS_MAX], mid;
    int all_ok = c->nreps > 0, pick = 0;

    for (int r = 0; r < c->nreps; r++) {
        h[r] = headline(c->sec, &c->rep[r]);
        all_ok &= c->rep[r].ok;
    }
    if (c->nreps == 0)
        return;
    double sorted[REPS_MAX];
    memcpy(sorted, h, sizeof(double) * (size_t)c->nreps);
    mid = median(sorted, c->nreps);
    while (pick < c->nreps - 1 && h[pick] != mid)
        pick++;
    cells_figs_put(c, &c->rep[pick]);
    c->ok = all_ok;
}

void cells_ratios(struct bench *b)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        const struct cell *o = c->vs[0] ? find(b, c->sec, c->vs, c->size, c->role) : NULL;
        if (c->role != ROLE_FLOOR)
            ratios_of(c, o);
    }
    for (int i = 0; i < b->ncells; i++) {
        double ratio = b->cells[i].ratio;
        settle(&b->cells[i]);
        b->cells[i].ratio = ratio; /* the median of the ratios, not the picked repetition's */
    }
}
