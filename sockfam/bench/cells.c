/* cells: the bench's rows and their ratios; see cells.h. */
#include "cells.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct cell *bench_cell(struct bench *b, enum section sec, enum role role, const char *name,
                        unsigned long size)
{
    struct cell *c = &b->cells[b->ncells < b->maxcells ? b->ncells++ : b->maxcells - 1];
    int f = family_find(name, strlen(name));

    *c = (struct cell){.sec = sec, .role = role, .size = size};
    snprintf(c->name, sizeof(c->name), "%s", name);
    if (role == ROLE_OURS && f >= 0)
        snprintf(c->vs, sizeof(c->vs), "%s", cells_floor_label(sec, families[f].floor));
    return c;
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

double cells_headline(const struct cell *c)
{
    switch (c->sec) {
    case SEC_LATENCY:
        return c->p50 > 0 ? c->p50 : c->mean;
    case SEC_DGRAM:
        return c->delivered;
    default:
        return c->rate;
    }
}

/* The measured row of sec named name at size, of another role than not. */
static const struct cell *find(const struct bench *b, enum section sec, const char *name,
                               unsigned long size, enum role not )
{
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        if (c->ok && c->sec == sec && c->size == size &&
            c->role != not &&strcmp(c->name, name) == 0)
            return c;
    }
    return NULL;
}

void cells_ratios(struct bench *b)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        const struct cell *o = c->ok && c->vs[0] ? find(b, c->sec, c->vs, c->size, c->role) : NULL;
        double mine = o ? cells_headline(c) : 0, theirs = o ? cells_headline(o) : 0;
        if (c->ratio > 0) /* set where it was measured (ping: wall time per echo) */
            continue;
        if (c->role == ROLE_PEER && mine > 0 && theirs > 0)
            c->ratio =
                (c->sec == SEC_LATENCY && o->p50 > 0 && c->p50 == 0 ? o->mean : theirs) / mine;
        else if (c->role == ROLE_OURS && mine > 0 && theirs > 0)
            c->ratio = mine / theirs;
    }
}
