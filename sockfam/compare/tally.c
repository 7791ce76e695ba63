/*
 * tally: what each family did, from two witnesses: its client's JSON
 * summary (messages, payload bytes, round trips) and the capture (packets
 * and bytes on the wire, the handshake, the first exchange as a ladder).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "ladder.h"
#include "run.h"

#define LADDER_MAX 4096

static double num(const char *json, size_t len, const char *path, int *ok)
{
    struct sf_json_val v;

    if (sf_json_get(json, len, path, &v) == 1 && v.type == SF_JSON_NUMBER)
        return v.num;
    *ok = 0;
    return 0;
}

/* The client's one-line JSON object: the last line of its stdout that starts with '{'. */
static const char *summary_line(const struct sf_task *t, size_t *len)
{
    const char *line = NULL;

    for (const char *p = t->out; (p = strchr(p, '{')); p++)
        if (p == t->out || p[-1] == '\n')
            line = p;
    if (line)
        *len = strcspn(line, "\n");
    return line;
}

static void client_result(struct run *r, enum fam f)
{
    struct result *res = &r->r[f];
    const struct sf_task *t = &r->client[f];
    size_t len = 0;
    const char *j = summary_line(t, &len);
    int ok = 1, icmp = f == FAM_ICMP;
    char line[400];

    if (t->status == 77 || (icmp && !j && t->status != 0)) {
        res->status = ST_SKIPPED;
        snprintf(res->why, sizeof(res->why), "%s", sf_task_last_line(t, line, sizeof(line)));
        run_note(r, "%s: skipped: %s", families[f].name, res->why);
        return;
    }
    if (!j || sf_json_check(j, len, NULL) < 0) {
        snprintf(res->why, sizeof(res->why), "%s exited %d without a summary: %s",
                 families[f].client, t->status, sf_task_last_line(t, line, sizeof(line)));
        res->status = ST_FAILED;
        return;
    }
    res->sent = (unsigned long long)num(j, len, icmp ? "transmitted" : "sent", &ok);
    res->answered = (unsigned long long)num(j, len, icmp ? "received" : "answered", &ok);
    res->payload_bytes = icmp ? (res->sent + res->answered) * r->o.size
                              : (unsigned long long)(num(j, len, "bytes_sent", &ok) +
                                                     num(j, len, "bytes_received", &ok));
    res->p50_us = num(j, len, icmp ? "rtt_ms.p50" : "rtt_us.p50", &ok) * (icmp ? 1000 : 1);
    res->p99_us = num(j, len, icmp ? "rtt_ms.p99" : "rtt_us.p99", &ok) * (icmp ? 1000 : 1);
    res->have_rtt = ok && res->answered > 0;
    res->status = ok && t->status == 0 && res->answered == res->sent ? ST_OK : ST_FAILED;
    if (res->status == ST_FAILED)
        snprintf(res->why, sizeof(res->why), "%s exited %d, %llu of %llu answered: %s",
                 families[f].client, t->status, res->answered, res->sent,
                 sf_task_last_line(t, line, sizeof(line)));
}

/* Which family a captured packet belongs to, or -1. */
static int owner(const struct run *r, const struct sf_pkt *p)
{
    if (p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6)
        return r->o.on[FAM_ICMP] ? FAM_ICMP : -1;
    for (int f = FAM_TCP; f <= FAM_UDP; f++)
        if (r->port[f] && p->l4 == (f == FAM_TCP ? SF_L4_TCP : SF_L4_UDP) &&
            (p->sport == r->port[f] || p->dport == r->port[f]))
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

/* How much of a flow to draw: up to the first reply and its ACK, then the close (TCP). */
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
    for (i = *head; i < n && !(recs[i]->pkt.flags & SF_TCP_FIN); i++)
        ;
    *tail = n - i;
}

static void draw(struct run *r, enum fam f, size_t first)
{
    const struct sf_wire_rec **recs = calloc(LADDER_MAX, sizeof(*recs));
    size_t n, head, tail;

    if (!recs)
        return;
    n = sf_ladder_flow(r->wire, first, recs, LADDER_MAX);
    if (n > 1) {
        ladder_cut(recs, n, f == FAM_TCP, &head, &tail);
        r->r[f].ladder = sf_ladder(NULL, recs, n, head, tail);
    }
    free(recs);
}

static void wire_result(struct run *r)
{
    size_t first[FAM_N];
    int after_synack = 0;

    for (int f = 0; f < FAM_N; f++) {
        first[f] = SIZE_MAX;
        r->r[f].captured = r->o.on[f] && r->r[f].status != ST_SKIPPED;
    }
    for (size_t i = 0; i < sf_wire_count(r->wire); i++) {
        const struct sf_wire_rec *rec = sf_wire_at(r->wire, i);
        int f = rec->ok ? owner(r, &rec->pkt) : -1;
        if (f < 0) {
            r->other_packets++;
            continue;
        }
        r->r[f].packets++;
        r->r[f].wire_bytes += rec->wire_len;
        if (f == FAM_TCP)
            r->r[f].setup_packets += (unsigned long long)setup_packet(&rec->pkt, &after_synack);
        if (first[f] == SIZE_MAX)
            first[f] = i;
    }
    for (int f = 0; f < FAM_N; f++)
        if (first[f] != SIZE_MAX && r->o.ladder)
            draw(r, (enum fam)f, first[f]);
}

void run_tally(struct run *r)
{
    for (int f = 0; f < FAM_N; f++)
        if (r->o.on[f] && r->client[f].started && r->r[f].status != ST_FAILED)
            client_result(r, (enum fam)f);
        else if (r->o.on[f] && r->r[f].status == ST_OFF)
            r->r[f].status = ST_FAILED, snprintf(r->r[f].why, sizeof(r->r[f].why), "not run");
    if (r->wire_ok)
        wire_result(r);
}
