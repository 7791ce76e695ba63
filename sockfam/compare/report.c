/*
 * report: a compare run as one table (a row per family), the notes on
 * what was skipped, and each family's first exchange as a ladder; or the
 * same as one JSON object (docs/compare-json.md).
 */
#include <stdio.h>
#include <string.h>

#include "run.h"
#include "jout.h"
#include "summary.h"

static const char *status_name(enum status s)
{
    return s == ST_OK ? "ok" : s == ST_FAILED ? "failed" : s == ST_SKIPPED ? "skipped" : "off";
}

static int local(enum fam f)
{
    return families[f].unix_type != NULL;
}

/* A wire cell: the figure, "0 (local)" for AF_UNIX, or "n/a" when not captured. */
static const char *wire_cell(const struct run *r, enum fam f, unsigned long long v, char *buf,
                             size_t cap)
{
    if (!r->r[f].captured)
        return "n/a";
    if (local(f))
        return "0 (local)";
    snprintf(buf, cap, "%llu", v);
    return buf;
}

static void row(const struct run *r, enum fam f)
{
    const struct result *x = &r->r[f];
    char setup[40], pk[24], wb[24], ov[24], p50[24], p99[24];

    snprintf(setup, sizeof(setup), "%s", families[f].setup);
    if (f == FAM_TCP && x->captured)
        snprintf(setup, sizeof(setup), "handshake, %llu pkts", x->setup_packets);
    snprintf(ov, sizeof(ov), "%s", !x->captured ? "n/a" : local(f) ? "0" : "-");
    if (x->captured && !local(f) && x->payload_bytes)
        snprintf(ov, sizeof(ov), "%.2f", (double)x->wire_bytes / (double)x->payload_bytes);
    snprintf(p50, sizeof(p50), x->have_rtt ? "%.1f" : "n/a", x->p50_us);
    snprintf(p99, sizeof(p99), x->have_rtt ? "%.1f" : "n/a", x->p99_us);
    if (x->status == ST_SKIPPED) {
        printf("%-15s %-23s %s\n", families[f].name, families[f].socket,
               "n/a (skipped: see the notes below)");
        return;
    }
    printf("%-15s %-23s %-19s %-6s %-23s %5llu %5llu %9s %10s %10llu %8s %8s %8s%s\n",
           families[f].name, families[f].socket, setup, families[f].boundaries ? "yes" : "no",
           families[f].delivery, x->sent, x->answered, wire_cell(r, f, x->packets, pk, sizeof(pk)),
           wire_cell(r, f, x->wire_bytes, wb, sizeof(wb)), x->payload_bytes, ov, p50, p99,
           x->status == ST_FAILED ? "  FAILED" : "");
}

void report_text(const struct run *r)
{
    printf("sockfam compare: %lu message%s of %lu bytes per family, %s mode, all families at "
           "once\n",
           r->o.count, r->o.count == 1 ? "" : "s", r->o.size, r->o.mode);
    if (r->wire_ok)
        printf("wire: captured on lo in a private network namespace%s\n",
               r->o.on[FAM_ICMP] ? (r->icmp_echod ? "; icmp answered by icmp-echod"
                                                  : "; icmp answered by the kernel")
                                 : "");
    printf("\n%-15s %-23s %-19s %-6s %-23s %5s %5s %9s %10s %10s %8s %8s %8s\n", "family",
           "socket type", "setup", "bounds", "delivery", "sent", "ans", "packets", "wire B",
           "payload B", "overhead", "p50 us*", "p99 us*");
    for (int f = 0; f < FAM_N; f++)
        if (r->o.on[f])
            row(r, (enum fam)f);
    printf(
        "\n* round trips while every family ran at once on the same CPUs: they include "
        "contention.\n  For clean figures, run `sockfam bench`. bounds: message boundaries kept. "
        "overhead = wire bytes / payload bytes.\n");
    if (r->other_packets)
        printf("  %llu captured packets belong to no family (shown in --pcap).\n",
               r->other_packets);
    for (int i = 0; i < r->nnotes; i++)
        printf("%s%s\n", i == 0 ? "\nnotes:\n  " : "  ", r->notes[i]);
    for (int f = 0; f < FAM_N && r->o.ladder; f++) {
        if (!r->o.on[f] || !r->r[f].captured)
            continue;
        printf("\n%s, first exchange:\n", families[f].name);
        if (local(f))
            printf("              (no packets: AF_UNIX never reaches a network interface)\n");
        else
            fputs(r->r[f].ladder ? r->r[f].ladder : "              (nothing captured)\n", stdout);
    }
}

/* A wire figure, or null when nothing was captured. */
static json_t *wire_count(int captured, unsigned long long v)
{
    return captured ? sf_juint(v) : json_null();
}

static json_t *server_text(const struct run *r, enum fam f)
{
    char buf[64];

    if (families[f].unix_type)
        return sf_jstr(r->path[f]);
    if (f == FAM_ICMP)
        return json_string("127.0.0.1");
    snprintf(buf, sizeof(buf), "127.0.0.1:%d", r->port[f]);
    return json_string(buf);
}

static json_t *json_family(const struct run *r, enum fam f)
{
    const struct result *x = &r->r[f];
    int overhead = x->captured && x->payload_bytes;
    json_t *rtt = x->have_rtt ? json_pack("{s:o,s:o}", "p50", sf_jreal(x->p50_us, 1), "p99",
                                          sf_jreal(x->p99_us, 1))
                              : json_null();

    return json_pack(
        "{s:s,s:s,s:s,s:b,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "family",
        families[f].name, "socket", families[f].socket, "setup", families[f].setup, "boundaries",
        families[f].boundaries, "delivery", families[f].delivery, "status", status_name(x->status),
        "why", x->status == ST_OK ? json_null() : sf_jstr(x->why), "server", server_text(r, f),
        "sent", sf_juint(x->sent), "answered", sf_juint(x->answered), "payload_bytes",
        sf_juint(x->payload_bytes), "packets", wire_count(x->captured, x->packets), "wire_bytes",
        wire_count(x->captured, x->wire_bytes), "setup_packets",
        wire_count(x->captured, x->setup_packets), "overhead",
        overhead ? sf_jreal((double)x->wire_bytes / (double)x->payload_bytes, 4) : json_null(),
        "rtt_us", rtt);
}

void report_json(const struct run *r)
{
    json_t *fams = json_array(), *notes = json_array();

    for (int f = 0; f < FAM_N; f++)
        if (r->o.on[f])
            json_array_append_new(fams, json_family(r, (enum fam)f));
    for (int i = 0; i < r->nnotes; i++)
        json_array_append_new(notes, sf_jstr(r->notes[i]));
    sf_jout_print(stdout, json_pack("{s:s,s:I,s:I,s:s,s:b,s:b,s:s,s:b,s:o,s:o,s:o,s:o}", "program",
                                    "sockfam compare", "count", (json_int_t)r->o.count, "size",
                                    (json_int_t)r->o.size, "mode", r->o.mode, "captured",
                                    r->wire_ok, "namespace", r->netns, "icmp_responder",
                                    r->icmp_echod ? "icmp-echod" : "kernel", "contention", 1,
                                    "families", fams, "other_packets",
                                    r->wire_ok ? sf_juint(r->other_packets) : json_null(),
                                    "kernel_drops", sf_juint(r->kernel_drops), "notes", notes));
}
