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

/* The socket f's client used, as the table and the JSON name it. */
static const char *socket_of(const struct run *r, int f)
{
    return r->r[f].socket ? r->r[f].socket : families[f].socket;
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

static void row(FILE *out, const struct run *r, int f, int sw)
{
    const struct family *fam = &families[f];
    const struct result *x = &r->r[f];
    char setup[40], pk[24], wb[24], ov[24], p50[24], p99[24], bc[64];

    snprintf(setup, sizeof(setup), "%s", fam->setup);
    if (family_handshake(fam) && x->captured && r->wire_ok)
        snprintf(setup, sizeof(setup), "handshake, %llu pkts", x->setup_packets);
    snprintf(ov, sizeof(ov), "%s", !x->captured ? "n/a" : local(f) ? "0" : "-");
    if (x->captured && !local(f) && x->payload_bytes)
        snprintf(ov, sizeof(ov), "%s%.2f",
                 r->wire_ok ? "" : ">=", (double)x->wire_bytes / (double)x->payload_bytes);
    snprintf(p50, sizeof(p50), x->have_rtt ? "%.1f" : "n/a", x->p50_us);
    snprintf(p99, sizeof(p99), x->have_rtt ? "%.1f" : "n/a", x->p99_us);
    if (x->status == ST_SKIPPED) {
        fprintf(out, "%-15s %-*s %s\n", fam->name, sw, socket_of(r, f),
                "n/a (skipped: see the notes below)");
        return;
    }
    fprintf(out, "%-15s %-*s %-19s %-*s %-23s %5llu %5llu %9s %10s %10llu %8s %8s %8s", fam->name,
            sw, socket_of(r, f), setup, BOUNDS_WIDTH, bounds_cell(x, bc, sizeof(bc)), fam->delivery,
            x->sent, x->answered, wire_cell(r, f, x->packets, pk, sizeof(pk)),
            wire_cell(r, f, x->wire_bytes, wb, sizeof(wb)), x->payload_bytes, ov, p50, p99);
    if (r->o.lab) { /* measured on both sides of the router */
        char lost[48];
        snprintf(lost, sizeof(lost), "%llu/%llu", x->lost_up, x->lost_down);
        fprintf(out, " %11s %6llu", lost, x->resent);
    }
    fprintf(out, "%s\n", x->status == ST_FAILED ? "  FAILED" : "");
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
    fprintf(out, "\n%-15s %-*s %-19s %-*s %-23s %5s %5s %9s %10s %10s %8s %8s %8s", "family", sw,
            "socket type", "setup", BOUNDS_WIDTH, "bounds", "delivery", "sent", "ans", "packets",
            "wire B", "payload B", "overhead", "p50 us*", "p99 us*");
    fprintf(out, r->o.lab ? " %11s %6s\n" : "\n", "lost up/dn", "resent");
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f])
            row(out, r, f, sw);
    fprintf(out,
            "\n* round trips while every family ran at once on the same CPUs: they include "
            "contention.\n  For clean figures, run `sockfam bench`. overhead = wire bytes / "
            "payload bytes.\n  bounds: a burst of %d messages sent back to back after the run "
            "(in no other cell), as its server read them.\n",
            BOUNDS_BURST);
    if (r->o.lab)
        fprintf(out, "  lost up/dn: packets the router took from one side and did not hand to the "
                     "other, client to server / back.\n  resent: TCP data segments sent again "
                     "(a sequence start seen before), from the captures.\n");
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
    json_t *rtt = x->have_rtt ? json_pack("{s:o,s:o,s:o,s:I}", "p50", sf_jreal(x->p50_us, 1), "p99",
                                          sf_jreal(x->p99_us, 1), "max", sf_jreal(x->max_us, 1),
                                          "n", (json_int_t)x->answered)
                              : json_null();

    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:o,s:b,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "family",
        fam->name, "socket", socket_of(r, f), "setup", fam->setup, "boundaries", bounds_json(x),
        "boundaries_claimed", fam->boundaries, "delivery", fam->delivery, "status",
        status_name(x->status), "why", x->status == ST_OK ? json_null() : sf_jstr(x->why), "server",
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
        json_object_update_new(o, json_pack("{s:{s:o,s:o},s:o}", "lost_on_wire", "up",
                                            sf_juint(x->lost_up), "down", sf_juint(x->lost_down),
                                            "resent", sf_juint(x->resent)));
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
                  "captured", r->wire_ok, "namespace", r->netns);
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
