/*
 * report: a compare run as one table (a row per family), the notes on
 * what was skipped, and each family's first exchange as a ladder; or the
 * same as one JSON object (docs/compare-json.md).  Either goes to the
 * stream it is given: stdout, or stderr when the capture takes stdout
 * (`--pcap -`).
 */
#include <stdio.h>
#include <string.h>

#include "compare.h"
#include "jout.h"

#define SOCKET_WIDTH 23 /* the socket column's width at least; a longer name widens it */
#define BOUNDS_WIDTH 22 /* the bounds column: "split: 10 in 100 reads" */

static const char *status_name(enum status s)
{
    return s == ST_OK ? "ok" : s == ST_FAILED ? "failed" : s == ST_SKIPPED ? "skipped" : "off";
}

/* Does f put nothing on any interface (AF_UNIX)? */
static int local(int f)
{
    return families[f].owns == OWNS_NOTHING;
}

/* The socket f's client used, as the table and the JSON name it: AF_INET6 over -6. */
static const char *socket_of(const struct run *r, int f)
{
    static char v6[FAM_MAX][64];
    const char *s = r->r[f].socket ? r->r[f].socket : families[f].socket;

    if (!r->o.v6 || strncmp(s, "AF_INET ", 8) != 0)
        return s;
    snprintf(v6[f], sizeof(v6[f]), "AF_INET6 %s%s", s + 8,
             strstr(s, "IPPROTO_ICMP") ? "V6" : ""); /* ICMPv6 is a protocol of its own */
    return v6[f];
}

/*
 * A wire cell: the figure, ">=figure" when the capture lost packets (what
 * it kept is a lower bound), "0 (local)" for AF_UNIX, or "n/a" when not
 * captured.
 */
static const char *wire_cell(const struct run *r, int f, unsigned long long v, char *buf,
                             size_t cap)
{
    if (!r->r[f].captured)
        return "n/a";
    if (local(f))
        return "0 (local)";
    snprintf(buf, cap, "%s%llu", r->wire_ok ? "" : ">=", v);
    return buf;
}

/* The socket column: wide enough for every row shown. */
static int socket_width(const struct run *r)
{
    int w = SOCKET_WIDTH;

    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && (int)strlen(socket_of(r, f)) > w)
            w = (int)strlen(socket_of(r, f));
    return w;
}

/* Percentiles mean something only with enough samples: p99 needs n >= P99_MIN. */
#define P99_MIN 100

static void latency_cells(const struct result *x, char p50[24], char p99[24], char max[24],
                          char slow[24])
{
    snprintf(p50, 24, x->have_rtt ? "%.1f" : "n/a", x->p50_us);
    snprintf(p99, 24, !x->have_rtt ? "n/a" : x->answered < P99_MIN ? "-" : "%.1f", x->p99_us);
    snprintf(max, 24, x->have_rtt ? "%.1f" : "n/a", x->max_us);
    snprintf(slow, 24, x->have_rtt ? "%llu" : "n/a", x->over_100ms);
}

/* TCP: the largest segment's payload, and the MSS each SYN announced (client/server). */
static const char *segment_cell(const struct run *r, const struct result *x,
                                const struct family *fam, char *buf, size_t cap)
{
    if (!family_handshake(fam) || !x->captured || !r->wire_ok || !x->mss_client)
        return "-";
    snprintf(buf, cap, "%u (%u/%u)", x->largest, x->mss_client, x->mss_server);
    return buf;
}

static void row(FILE *out, const struct run *r, int f, int sw)
{
    const struct family *fam = &families[f];
    const struct result *x = &r->r[f];
    char setup[40], pk[24], wb[24], ov[24], p50[24], p99[24], max[24], slow[24], seg[40], bc[64];

    snprintf(setup, sizeof(setup), "%s", fam->setup);
    if (family_handshake(fam) && x->captured && r->wire_ok)
        snprintf(setup, sizeof(setup), "handshake, %llu pkts", x->setup_packets);
    snprintf(ov, sizeof(ov), "%s", !x->captured ? "n/a" : local(f) ? "0" : "-");
    if (x->captured && !local(f) && x->payload_bytes)
        snprintf(ov, sizeof(ov), "%s%.2f",
                 r->wire_ok ? "" : ">=", (double)x->wire_bytes / (double)x->payload_bytes);
    latency_cells(x, p50, p99, max, slow);
    if (x->status == ST_SKIPPED) {
        fprintf(out, "%-15s %-*s %s\n", fam->name, sw, socket_of(r, f),
                "n/a (skipped: see the notes below)");
        return;
    }
    fprintf(out, "%-15s %-*s %-19s %-*s %6llu %6llu %9s %10s %10llu %8s %8s %9s %9s %6s %17s%s\n",
            fam->name, sw, socket_of(r, f), setup, BOUNDS_WIDTH, bounds_cell(x, bc, sizeof(bc)),
            x->sent, x->answered, wire_cell(r, f, x->packets, pk, sizeof(pk)),
            wire_cell(r, f, x->wire_bytes, wb, sizeof(wb)), x->payload_bytes, ov, p50, p99, max,
            slow, segment_cell(r, x, fam, seg, sizeof(seg)),
            x->status == ST_FAILED ? "  FAILED" : "");
}

/* A delivery figure measured where it can be: "-" where nothing could lose or copy it. */
static const char *figure(int measured, unsigned long long v, const char *unit, char *buf,
                          size_t cap)
{
    if (!measured)
        return "-";
    snprintf(buf, cap, "%llu%s", v, v ? unit : "");
    return buf;
}

/* TCP's resent segments: from the captures (each way), and the client's kernel (up). */
static const char *resent_cell(const struct run *r, const struct result *x, int way, char *buf,
                               size_t cap)
{
    unsigned long long seen = way == WAY_UP ? x->resent_up : x->resent_down;

    if (!r->ledger)
        snprintf(buf, cap, "-");
    else if (way == WAY_UP && x->have_retrans)
        snprintf(buf, cap, "%llu/%llu%s", seen, x->tcp_retrans, seen != x->tcp_retrans ? " !" : "");
    else
        snprintf(buf, cap, "%llu/-", seen);
    return buf;
}

static const char *fragments_cell(const struct way_tally *t, char *buf, size_t cap)
{
    if (!t->frag_dgrams)
        return "-";
    snprintf(buf, cap, "%.1f/dgram, %llu lost by one", (double)t->frag_pieces / t->frag_dgrams,
             t->frag_lost);
    return buf;
}

static void delivery_row(FILE *out, const struct run *r, int f, int way)
{
    const struct result *x = &r->r[f];
    struct delivery d;
    char wire[32], rcv[24], dup[24], late[24], un[24], rs[40], fr[64];
    int lab = r->ledger, tcp = family_handshake(&families[f]);

    delivery_of(r, f, way, &d);
    if (!d.known) {
        fprintf(out, "%-15s %-4s %s\n", families[f].name, way == WAY_UP ? "up" : "down",
                "n/a (the kernel answered: nothing counted what it received)");
        return;
    }
    snprintf(un, sizeof(un), "%lld", d.unaccounted);
    fprintf(out, "%-15s %-4s %6llu %9llu %9s %9s %6s %5s %11s %13s %s\n", families[f].name,
            way == WAY_UP ? "up" : "down", d.sent, d.delivered,
            figure(lab, d.wire, d.stream ? " pkts" : "", wire, sizeof(wire)),
            d.stream           ? "-"
            : d.receiver_known ? figure(1, d.receiver, "", rcv, sizeof(rcv))
                               : "?",
            figure(lab, d.dup, "", dup, sizeof(dup)),
            figure(lab, d.reordered, "", late, sizeof(late)), d.stream ? "0" : un,
            tcp ? resent_cell(r, x, way, rs, sizeof(rs)) : "-",
            lab ? fragments_cell(&x->way[way], fr, sizeof(fr)) : "-");
}

static void delivery_table(FILE *out, const struct run *r)
{
    fprintf(out,
            "\ndelivery, each way, in messages:\n%-15s %-4s %6s %9s %9s %9s %6s %5s %11s %13s %s\n",
            "family", "way", "sent", "delivered", "lost:wire", "lost:rcvr", "copies", "late",
            "unaccounted", "resent cap/kn", "fragments");
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->r[f].status != ST_SKIPPED && !(local(f) && r->o.lab))
            for (int way = WAY_UP; way <= WAY_DOWN; way++)
                delivery_row(out, r, f, way);
}

/* "; icmp answered by icmp-echod": who answered each family the kernel can answer itself. */
static void responders(FILE *out, const struct run *r)
{
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && families[f].kernel_off)
            fprintf(out, "; %s answered by %s", families[f].name,
                    r->responder[f] ? families[f].server : "the kernel");
}

static void ladders(FILE *out, const struct run *r)
{
    for (int f = 0; f < family_count && r->o.ladder && r->wire_ok; f++) {
        if (!r->o.on[f] || !r->r[f].captured)
            continue;
        fprintf(out, "\n%s, first exchange:\n", families[f].name);
        if (local(f))
            fprintf(out, "              (no packets: AF_UNIX never reaches a network interface)\n");
        else
            fputs(r->r[f].ladder ? r->r[f].ladder : "              (nothing captured)\n", out);
    }
}

void report_text(FILE *out, const struct run *r)
{
    int sw = socket_width(r);

    fprintf(out,
            "sockfam compare: %lu message%s of %lu bytes per family, %s mode, all families at "
            "once\n",
            r->o.count, r->o.count == 1 ? "" : "s", r->o.size, r->o.mode);
    if (r->o.lab) {
        link_describe(out, r);
    } else if (r->wire_stopped) {
        fprintf(out, "wire: captured on lo in a private network namespace%s",
                r->wire_ok ? "" : ", incomplete (see the notes)");
        responders(out, r);
        fprintf(out, "\n");
    }
    fprintf(out, "\n%-15s %-*s %-19s %-*s %6s %6s %9s %10s %10s %8s %8s %9s %9s %6s %17s\n",
            "family", sw, "socket type", "setup", BOUNDS_WIDTH, "bounds", "sent", "ans", "packets",
            "wire B", "payload B", "overhead", "p50 us*", "p99 us*", "max us*", ">100ms",
            "segment (mss)");
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f])
            row(out, r, f, sw);
    fprintf(
        out,
        "\n* round trips while every family ran at once on the same CPUs: they include "
        "contention.\n  For clean figures, run `sockfam bench`. p99 only with %d round trips "
        "or more (ans); >100ms: how many took longer.\n  overhead = wire bytes / payload bytes. "
        "segment (mss): TCP's largest payload in one segment, and the MSS each SYN\n  "
        "announced (client/server). bounds: a burst of %d messages sent back to back after the "
        "run (in no other cell),\n  as its server read them.\n",
        P99_MIN, BOUNDS_BURST);
    delivery_table(out, r);
    fprintf(out,
            "\n  up: client to server; down: back. delivered: read by the receiver, each "
            "message once (copies apart);\n  lost:wire: %s; lost:rcvr: dropped at the "
            "receiving socket, its buffer full (SO_MEMINFO);\n  copies: made on the way; "
            "late: arrived after one sent later; unaccounted = sent - delivered - lost.\n"
            "  tcp and the unix streams lose no message: their lost:wire counts packets, "
            "each sent again\n  (resent cap/kn: data segments resent in the captures / "
            "by the client's kernel, TCP_INFO; ! when they differ).\n",
            r->ledger ? "seen on the sender's side of the router, not past it"
                      : "- on loopback, where nothing lies between the two sockets");
    if (r->wire_stopped && !r->wire_ok)
        fprintf(out, "  >=: the capture lost packets; it kept at least this many. Every "
                     "family's own figures (sent, ans, payload, round trips) stand.\n");
    if (r->other_packets)
        fprintf(out, "  %llu captured packets belong to no family (shown in --pcap).\n",
                r->other_packets);
    for (int i = 0; i < r->nnotes; i++)
        fprintf(out, "%s%s\n", i == 0 ? "\nnotes:\n  " : "  ", r->notes[i]);
    ladders(out, r);
}

/* One direction's delivery (ledger.c), or null where nothing counted what the receiver got. */
static json_t *delivery_json(const struct run *r, int f, int way)
{
    struct delivery d;
    int lab = r->ledger;

    delivery_of(r, f, way, &d);
    if (!d.known)
        return json_null();
    return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "sent", sf_juint(d.sent), "received",
                     sf_juint(d.received), "delivered", sf_juint(d.delivered), "lost_on_wire",
                     lab ? sf_juint(d.wire) : json_null(), "lost_at_receiver",
                     d.receiver_known && !d.stream ? sf_juint(d.receiver) : json_null(),
                     "duplicated", lab ? sf_juint(d.dup) : json_null(), "out_of_order",
                     lab ? sf_juint(d.reordered) : json_null(), "unaccounted",
                     json_integer(d.stream ? 0 : d.unaccounted), "stream", d.stream);
}

/* The client's CDF points, [percent, us]. */
static json_t *cdf_json(const struct result *x)
{
    json_t *a = json_array();

    for (int i = 0; i < x->ncdf; i++)
        json_array_append_new(
            a, json_pack("[o,o]", sf_jreal(x->cdf[i][0], 1), sf_jreal(x->cdf[i][1], 3)));
    return a;
}

static json_t *fragments_json(const struct way_tally *t)
{
    return json_pack("{s:o,s:o,s:o}", "datagrams", sf_juint(t->frag_dgrams), "pieces",
                     sf_juint(t->frag_pieces), "lost_by_a_piece", sf_juint(t->frag_lost));
}

/* A wire figure, or null when nothing was captured. */
static json_t *wire_count(int captured, unsigned long long v)
{
    return captured ? sf_juint(v) : json_null();
}

static json_t *json_family(const struct run *r, int f)
{
    const struct family *fam = &families[f];
    const struct result *x = &r->r[f];
    int wire = x->captured && r->wire_ok, overhead = wire && x->payload_bytes;
    char where[600];
    json_t *rtt = x->have_rtt
                      ? json_pack("{s:o,s:o,s:o,s:I,s:o,s:o}", "p50", sf_jreal(x->p50_us, 1), "p99",
                                  sf_jreal(x->p99_us, 1), "max", sf_jreal(x->max_us, 1), "n",
                                  (json_int_t)x->answered, "over_100ms", sf_juint(x->over_100ms),
                                  "cdf", cdf_json(x))
                      : json_null();

    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:b,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "family",
        fam->name, "socket", socket_of(r, f), "setup", fam->setup, "boundaries", fam->boundaries,
        "bounds", bounds_json(x), "delivery", fam->delivery, "status", status_name(x->status),
        "why", x->status == ST_OK ? json_null() : sf_jstr(x->why), "server",
        sf_jstr(family_where(fam, &r->args[f], where, sizeof(where))), "sent", sf_juint(x->sent),
        "answered", sf_juint(x->answered), "payload_bytes", sf_juint(x->payload_bytes), "packets",
        wire_count(wire, x->packets), "wire_bytes", wire_count(wire, x->wire_bytes),
        "setup_packets", wire_count(wire, x->setup_packets), "overhead",
        overhead ? sf_jreal((double)x->wire_bytes / (double)x->payload_bytes, 4) : json_null(),
        "rtt_us", rtt);

    if (o && wire && family_handshake(fam)) /* what the segments were, lo and lab alike */
        json_object_update_new(o, json_pack("{s:i,s:{s:i,s:i}}", "largest_segment", (int)x->largest,
                                            "mss", "client", (int)x->mss_client, "server",
                                            (int)x->mss_server));
    if (o && r->o.lab && x->status != ST_SKIPPED) /* measured on both sides of the router */
        json_object_update_new(
            o, json_pack("{s:{s:o,s:o},s:o,s:{s:o,s:o},s:o}", "lost_on_wire", "up",
                         sf_juint(x->way[WAY_UP].packets_lost), "down",
                         sf_juint(x->way[WAY_DOWN].packets_lost), "resent",
                         sf_juint(x->resent_up + x->resent_down), "resent_each_way", "up",
                         sf_juint(x->resent_up), "down", sf_juint(x->resent_down), "fragments",
                         json_pack("{s:o,s:o}", "up", fragments_json(&x->way[WAY_UP]), "down",
                                   fragments_json(&x->way[WAY_DOWN]))));
    if (o && x->status != ST_SKIPPED)
        json_object_update_new(
            o, json_pack("{s:{s:o,s:o},s:o}", "delivery_each_way", "up",
                         delivery_json(r, f, WAY_UP), "down", delivery_json(r, f, WAY_DOWN),
                         "tcp_retrans", x->have_retrans ? sf_juint(x->tcp_retrans) : json_null()));
    return o;
}

/* "icmp_responder": "icmp-echod" or "kernel", for every family the kernel can answer. */
static void json_responders(json_t *o, const struct run *r)
{
    for (int f = 0; f < family_count; f++) {
        char key[64];
        if (!families[f].kernel_off)
            continue;
        snprintf(key, sizeof(key), "%s_responder", families[f].name);
        json_object_set_new(o, key, json_string(r->responder[f] ? families[f].server : "kernel"));
    }
}

/* "complete", "incomplete" (it lost packets, or could not prove it lost none), or "none". */
static const char *capture_state(const struct run *r)
{
    return r->wire_ok ? "complete" : r->wire_stopped ? "incomplete" : "none";
}

void report_json(FILE *out, const struct run *r)
{
    json_t *fams = json_array(), *notes = json_array(), *o;

    for (int f = 0; f < family_count; f++)
        if (r->o.on[f])
            json_array_append_new(fams, json_family(r, f));
    for (int i = 0; i < r->nnotes; i++)
        json_array_append_new(notes, sf_jstr(r->notes[i]));
    o = json_pack("{s:s,s:I,s:I,s:s,s:b,s:b}", "program", "sockfam compare", "count",
                  (json_int_t)r->o.count, "size", (json_int_t)r->o.size, "mode", r->o.mode,
                  "captured", r->wire_ok, "namespace", r->netns || r->o.lab);
    json_object_update_new(
        o, json_pack("{s:s,s:o}", "capture", capture_state(r), "capture_lost",
                     r->wire_stopped ? sf_juint(r->kernel_drops + r->not_kept) : json_null()));
    json_responders(o, r);
    if (r->o.lab)
        link_json(o, r);
    json_object_update_new(o, json_pack("{s:b,s:o,s:o,s:o,s:o}", "contention", 1, "families", fams,
                                        "other_packets",
                                        r->wire_ok ? sf_juint(r->other_packets) : json_null(),
                                        "kernel_drops", sf_juint(r->kernel_drops), "notes", notes));
    sf_jout_print(out, o);
}
