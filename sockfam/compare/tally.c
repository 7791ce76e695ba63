/*
 * tally: what each family did, from two witnesses: its client's JSON
 * summary (messages, payload bytes, round trips) and the capture (packets
 * and bytes on the wire, the handshake, the first exchange as a ladder).
 * Which packets are whose is the family table's to say (family_owns).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "ladder.h"

static void client_result(struct run *r, int f)
{
    const struct family *fam = &families[f];
    const unsigned need = SUM_COUNTS | SUM_BYTES | SUM_RTT;
    struct result *res = &r->r[f];
    const struct sf_task *t = &r->client[f];
    size_t len = 0;
    const char *j = family_summary_line(t->out, &len);
    struct fam_summary s;
    char line[400];
    int ok;

    if (family_client_refused(fam, t->status, j != NULL)) {
        run_result(r, f, ST_SKIPPED, "%s", sf_task_last_line(t, line, sizeof(line)));
        return;
    }
    if (!j || family_summary(fam, j, len, r->o.size, &s) < 0) {
        run_result(r, f, ST_FAILED, "%s exited %d without a summary: %s", fam->client, t->status,
                   sf_task_last_line(t, line, sizeof(line)));
        return;
    }
    ok = (s.have & need) == need;
    res->socket = family_socket(fam, s.socket);
    res->sent = (unsigned long long)s.sent;
    res->answered = (unsigned long long)s.answered;
    res->payload_bytes = (unsigned long long)(s.bytes_sent + s.bytes_received);
    res->p50_us = s.p50_us, res->p99_us = s.p99_us, res->max_us = s.max_us;
    res->over_100ms = (unsigned long long)s.over_100ms;
    res->ncdf = s.ncdf < CDF_MAX ? s.ncdf : CDF_MAX;
    memcpy(res->cdf, s.cdf, sizeof(res->cdf[0]) * (size_t)res->ncdf);
    res->stray = (unsigned long long)s.stray;
    res->client_dropped_known = s.dropped >= 0;
    res->client_dropped = res->client_dropped_known ? (unsigned long long)s.dropped : 0;
    res->have_retrans = s.tcp_retrans >= 0;
    res->tcp_retrans = res->have_retrans ? (unsigned long long)s.tcp_retrans : 0;
    res->have_rtt = ok && res->answered > 0;
    res->status = ok && t->status == 0 && res->answered == res->sent ? ST_OK : ST_FAILED;
    /* Over a lossy lab link a datagram family that loses messages shows the lesson, not a fault:
     * its client said so (69: replies lost; icmp-ping 1: none came) and counted them. */
    if (ok && r->o.lab && r->o.lab_o.loss != SF_LOSS_NONE && !family_handshake(fam) &&
        (t->status == 0 || t->status == 69 || t->status == 1))
        res->status = ST_OK;
    if (res->status == ST_FAILED)
        run_result(r, f, ST_FAILED, "%s exited %d, %llu of %llu answered: %s", fam->client,
                   t->status, res->answered, res->sent, sf_task_last_line(t, line, sizeof(line)));
}

/* The server's counters line ("udp-server: datagrams 3, ..."): the last that starts with its name.
 */
static const char *counters_line(const struct sf_task *t, char *buf, size_t cap)
{
    size_t n = strlen(t->name);
    const char *found = NULL, *end;

    for (const char *p = t->err; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, t->name, n) == 0 && p[n] == ':')
            found = p;
    if (!found)
        return NULL;
    end = strchr(found, '\n');
    snprintf(buf, cap, "%.*s", (int)(end ? (size_t)(end - found) : strlen(found)), found);
    return buf;
}

/* What f's server counted: datagrams (or echo requests) read, replies sent, kernel drops. */
static void server_result(struct run *r, int f)
{
    struct result *x = &r->r[f];
    char line[1024];
    const char *l = r->server[f].started ? counters_line(&r->server[f], line, sizeof(line)) : NULL;

    if (!l)
        return;
    x->have_server = (family_server_counter(l, "datagrams", &x->server_reads) ||
                      family_server_counter(l, "echo requests", &x->server_reads)) &&
                     (family_server_counter(l, "replies", &x->server_replies) ||
                      family_server_counter(l, "answered", &x->server_replies));
    family_server_counter(l, "dropped by the kernel", &x->server_dropped);
}

/* Which family a captured packet belongs to, or -1. */
static int owner(const struct run *r, const struct sf_pkt *p)
{
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && family_owns(&families[f], p, r->args[f].port))
            return f;
    return -1;
}

/* The handshake's packets: SYN, SYN-ACK, and the client's first bare ACK after it. */
static int setup_packet(const struct sf_pkt *p, int *after_synack)
{
    if (p->flags & SF_TCP_SYN) {
        *after_synack = (p->flags & SF_TCP_ACK) != 0;
        return 1;
    }
    if (*after_synack && p->flags == SF_TCP_ACK && p->payload_len == 0) {
        *after_synack = 0;
        return 1;
    }
    return 0;
}

/*
 * How much of a flow to draw: up to the first reply and its ACK, then the
 * close (TCP): from the first FIN, or from MPTCP's DATA_FIN, which ends
 * the connection before its subflow's FINs.
 */
static void ladder_cut(const struct sf_wire_rec **recs, size_t n, int tcp, size_t *head,
                       size_t *tail)
{
    size_t i = 0;

    *head = 2, *tail = 0;
    if (!tcp)
        return;
    while (i < n && !(recs[i]->pkt.sport == recs[1]->pkt.sport && recs[i]->pkt.payload_len))
        i++;
    *head = i + 2 < n ? i + 2 : n;
    for (i = *head; i < n && !(recs[i]->pkt.flags & SF_TCP_FIN) && !recs[i]->pkt.mptcp_data_fin;
         i++)
        ;
    *tail = n - i;
}

static void draw(struct run *r, int f, size_t first)
{
    /* Room for the whole flow, to its close at the end of the run: every record from first. */
    size_t max = sf_wire_count(r->wire) - first;
    const struct sf_wire_rec **recs = calloc(max, sizeof(*recs));
    size_t n, head, tail;

    if (!recs)
        return;
    n = sf_ladder_flow(r->wire, first, recs, max);
    if (n > 1) {
        ladder_cut(recs, n, family_handshake(&families[f]), &head, &tail);
        r->r[f].ladder = sf_ladder(NULL, recs, n, head, tail);
    }
    free(recs);
}

/* A TCP segment's size, and the MSS its SYN announces (the SYN-ACK is the server's). */
static void segment(struct result *x, const struct sf_pkt *p)
{
    if (p->l4 != SF_L4_TCP)
        return;
    if (p->payload_len > x->largest)
        x->largest = (unsigned)p->payload_len;
    if ((p->flags & SF_TCP_SYN) && p->mss)
        *((p->flags & SF_TCP_ACK) ? &x->mss_server : &x->mss_client) = p->mss;
}

static void wire_result(struct run *r)
{
    size_t first[FAM_MAX];
    int after_synack[FAM_MAX] = {0};

    for (int f = 0; f < family_count; f++) {
        first[f] = SIZE_MAX;
        r->r[f].captured = r->o.on[f] && r->r[f].status != ST_SKIPPED;
    }
    for (size_t i = 0; i < sf_wire_count(r->wire); i++) {
        const struct sf_wire_rec *rec = sf_wire_at(r->wire, i);
        int f = !rec->ok        ? -1
                : rec->pkt.frag ? ledger_piece_owner(r, &rec->pkt, NULL)
                                : owner(r, &rec->pkt);
        if (f < 0) {
            r->other_packets++;
            continue;
        }
        r->r[f].packets++;
        r->r[f].wire_bytes += rec->wire_len;
        segment(&r->r[f], &rec->pkt);
        if (family_handshake(&families[f]))
            r->r[f].setup_packets += (unsigned long long)setup_packet(&rec->pkt, &after_synack[f]);
        if (first[f] == SIZE_MAX)
            first[f] = i;
    }
    for (int f = 0; f < family_count; f++)
        if (first[f] != SIZE_MAX && r->o.ladder && r->wire_ok) /* a lost packet may be in it */
            draw(r, f, first[f]);
}

/* Why the capture lost packets, and what to do about it: a note each. */
static void why_incomplete(struct run *r)
{
    const struct sf_wire_opts *b = &r->wire_bounds;

    if (r->kernel_drops)
        run_note(r,
                 "wire: the kernel's %d MiB ring filled faster than it was read (a machine busy "
                 "elsewhere?): run again, or with a lower --count or --size",
                 b->buffer_bytes >> 20);
    if (r->not_kept && !r->other_packets)
        run_note(r,
                 "wire: the capture holds %zu packets and %zu MiB at most, sized from --count "
                 "and --size up to %zu MiB: a lower --count or --size fits",
                 b->max_packets, b->max_bytes >> 20, (size_t)(HELD_MAX >> 20));
    else if (r->not_kept)
        run_note(r,
                 "wire: the capture holds %zu packets and %zu MiB at most, sized from --count "
                 "and --size, and %llu of those it kept belong to no family",
                 b->max_packets, b->max_bytes >> 20, r->other_packets);
}

void run_tally(struct run *r)
{
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->client[f].started && r->r[f].status != ST_FAILED)
            client_result(r, f);
        else if (r->o.on[f] && r->r[f].status == ST_OFF)
            run_result(r, f, ST_FAILED, "not run");
    /* Skipped by its server or by its client, each is noted in the table's order. */
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->r[f].status == ST_SKIPPED)
            run_note(r, "%s: skipped: %s", families[f].name, r->r[f].why);
    if (r->wire_stopped) { /* complete, or what an incomplete capture kept */
        ledger_pieces(r, owner);
        wire_result(r);
    }
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->r[f].status != ST_SKIPPED)
            server_result(r, f);
    if (r->wire_stopped)
        ledger_tally(r, owner); /* --link lab: lost on the wire, copied, late, sent again */
    ledger_pieces_free(r);
    if (r->wire_stopped && !r->wire_ok)
        why_incomplete(r);
}
