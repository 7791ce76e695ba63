/*
 * bench_out: the bench's ratios, its tables and its JSON; see bench.h.
 *
 * A ratio is always of the section's headline figure: the round trip's
 * p50 (the mean where a peer gives no p50), MB/s, datagrams delivered per
 * second, connections per second.  A family's row is over its floor (the
 * bare socket of its type); a peer's row is ours over the peer's.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "summary.h"

static const char *const titles[SEC_N] = {
    "Round trips, one message in flight",
    "Stream throughput, 64 KiB writes, discarded by the receiver",
    "Datagram rate, 64-byte datagrams sent flat out, counted at both ends",
    "Connection rate: connect, one 64-byte echo, close",
    "A crowd: clients connected at once, each doing 64-byte echoes",
};

static double headline(const struct cell *c)
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

static void ratios(struct bench *b)
{
    for (int i = 0; i < b->ncells; i++) {
        struct cell *c = &b->cells[i];
        const struct cell *o = c->ok && c->vs[0] ? find(b, c->sec, c->vs, c->size, c->role) : NULL;
        double mine = o ? headline(c) : 0, theirs = o ? headline(o) : 0;
        if (c->ratio > 0) /* set where it was measured (ping: wall time per echo) */
            continue;
        if (c->role == ROLE_PEER && mine > 0 && theirs > 0)
            c->ratio =
                (c->sec == SEC_LATENCY && o->p50 > 0 && c->p50 == 0 ? o->mean : theirs) / mine;
        else if (c->role == ROLE_OURS && mine > 0 && theirs > 0)
            c->ratio = mine / theirs;
    }
}

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
        printf(" %7llu %9llu %7llu %9.2f %9.1f", c->clients, c->completed, c->failed, c->p99,
               (double)c->rss_kib / 1024);
        break;
    default:
        break;
    }
    if (c->ratio > 0)
        printf(" %7.2f  %s", c->ratio, c->role == ROLE_PEER ? "ours / peer" : c->vs);
    if (c->sec == SEC_CROWD && c->failed)
        printf("  (first failure: %s)", c->why);
    printf("\n");
}

static const char *const heads[SEC_N] = {
    "bytes    p50 us    p99 us   mean us     msgs/s   ratio  to",
    "     MB/s   ratio  to",
    "    sent/s  deliv'd/s      sent  received  dropped  unexpl.   ratio  to",
    "   conns/s    p50 us    p99 us   ratio  to",
    "clients    echoes  failed    p99 us  srv RSS MiB",
};

static void print_text(const struct bench *b)
{
    printf("sockfam bench: placement %s", b->placement);
    if (b->server.self >= 0)
        printf(" (server end on CPU %d, client end on CPU %d)", b->server.self, b->client.self);
    else
        printf(" (both ends left to the scheduler)");
    printf("; %lu round trips per cell after %lu unmeasured\n", b->count, b->warmup);
    for (int s = 0; s < SEC_N; s++) {
        int any = 0;
        for (int i = 0; i < b->ncells; i++)
            any |= b->cells[i].sec == (enum section)s;
        if (!any)
            continue;
        printf("\n%s\n  %-28s %s\n", titles[s], "", heads[s]);
        for (int i = 0; i < b->ncells; i++)
            if (b->cells[i].sec == (enum section)s)
                text_row(&b->cells[i]);
    }
    printf("\nratio: a family over the floor of its own socket type (a bare socket between two\n"
           "processes, same run, same placement); a peer row: ours over the peer. For round\n"
           "trips lower is better (1.10 = 10%% slower); for rates higher is better.\n");
}

static void json_cell(const struct cell *c, int first)
{
    static const char *const secs[SEC_N] = {"latency", "stream", "dgram", "connect", "crowd"};
    static const char *const roles[] = {"ours", "floor", "peer"};

    printf("%s{\"section\":\"%s\",\"role\":\"%s\",\"name\":", first ? "" : ",", secs[c->sec],
           roles[c->role]);
    sf_json_string(stdout, c->name);
    printf(",\"size\":%lu,\"ok\":%s,\"skipped\":%s", c->size, c->ok ? "true" : "false",
           c->skipped ? "true" : "false");
    if (!c->ok) {
        printf(",\"why\":");
        sf_json_string(stdout, c->why);
    } else if (c->sec == SEC_LATENCY || c->sec == SEC_CONNECT) {
        printf(",\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"per_s\":%.1f", c->p50, c->p99,
               c->mean, c->sec == SEC_LATENCY ? (c->mean > 0 ? 1e6 / c->mean : 0) : c->rate);
    } else if (c->sec == SEC_STREAM) {
        printf(",\"mb_per_s\":%.1f", c->rate);
    } else if (c->sec == SEC_DGRAM) {
        printf(",\"sent_per_s\":%.1f,\"delivered_per_s\":%.1f,\"sent\":%llu,\"received\":%llu,"
               "\"dropped\":%llu,\"unexplained\":%lld",
               c->rate, c->delivered, c->sent, c->received, c->dropped, c->unexplained);
    } else {
        printf(",\"clients\":%llu,\"completed\":%llu,\"failed\":%llu,\"p99_us\":%.3f,"
               "\"server_rss_kib\":%ld",
               c->clients, c->completed, c->failed, c->p99, c->rss_kib);
    }
    if (c->ratio > 0) {
        printf(",\"ratio\":%.4f,\"vs\":", c->ratio);
        sf_json_string(stdout, c->vs);
    }
    printf("}");
}

static void print_json(const struct bench *b)
{
    printf("{\"program\":\"sockfam bench\",\"placement\":\"%s\",\"cpu_server\":%d,"
           "\"cpu_client\":%d,\"cpus\":%d,\"count\":%lu,\"warmup\":%lu,\"cells\":[",
           b->placement, b->server.self, b->client.self, b->cpus.n, b->count, b->warmup);
    for (int i = 0; i < b->ncells; i++)
        json_cell(&b->cells[i], i == 0);
    printf("]}\n");
}

int bench_report(struct bench *b)
{
    int failed = 0;

    ratios(b);
    if (b->json)
        print_json(b);
    else
        print_text(b);
    fflush(stdout);
    for (int i = 0; i < b->ncells; i++) {
        const struct cell *c = &b->cells[i];
        if (c->ok || c->skipped)
            continue;
        fprintf(stderr, "sockfam: bench: %s%s, %lu bytes: %s\n", role_name(c->role), c->name,
                c->size, c->why);
        failed = 1;
    }
    return failed;
}
