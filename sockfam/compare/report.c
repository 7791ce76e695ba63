/*
 * report: a compare run as one table (a row per family), the notes on
 * what was skipped, and each family's first exchange as a ladder; or the
 * same as one JSON object (docs/compare-json.md).
 */
#include <stdio.h>
#include <string.h>

#include "run.h"
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

static void json_count(const char *name, int captured, unsigned long long v)
{
    if (captured)
        printf(",\"%s\":%llu", name, v);
    else
        printf(",\"%s\":null", name);
}

static void json_family(const struct run *r, enum fam f)
{
    const struct result *x = &r->r[f];

    printf("{\"family\":\"%s\",\"socket\":\"%s\",\"setup\":\"%s\",\"boundaries\":%s,"
           "\"delivery\":\"%s\",\"status\":\"%s\",\"why\":",
           families[f].name, families[f].socket, families[f].setup,
           families[f].boundaries ? "true" : "false", families[f].delivery, status_name(x->status));
    if (x->status == ST_OK)
        printf("null");
    else
        sf_json_string(stdout, x->why);
    printf(",\"server\":");
    if (families[f].unix_type)
        sf_json_string(stdout, r->path[f]);
    else if (f == FAM_ICMP)
        printf("\"127.0.0.1\"");
    else
        printf("\"127.0.0.1:%d\"", r->port[f]);
    printf(",\"sent\":%llu,\"answered\":%llu,\"payload_bytes\":%llu", x->sent, x->answered,
           x->payload_bytes);
    json_count("packets", x->captured, x->packets);
    json_count("wire_bytes", x->captured, x->wire_bytes);
    json_count("setup_packets", x->captured, x->setup_packets);
    if (x->captured && x->payload_bytes)
        printf(",\"overhead\":%.4f", (double)x->wire_bytes / (double)x->payload_bytes);
    else
        printf(",\"overhead\":null");
    if (x->have_rtt)
        printf(",\"rtt_us\":{\"p50\":%.1f,\"p99\":%.1f}}", x->p50_us, x->p99_us);
    else
        printf(",\"rtt_us\":null}");
}

void report_json(const struct run *r)
{
    int first = 1;

    printf("{\"program\":\"sockfam compare\",\"count\":%lu,\"size\":%lu,\"mode\":\"%s\","
           "\"captured\":%s,\"namespace\":%s,\"icmp_responder\":\"%s\",\"contention\":true,"
           "\"families\":[",
           r->o.count, r->o.size, r->o.mode, r->wire_ok ? "true" : "false",
           r->netns ? "true" : "false", r->icmp_echod ? "icmp-echod" : "kernel");
    for (int f = 0; f < FAM_N; f++) {
        if (!r->o.on[f])
            continue;
        printf("%s", first ? "" : ",");
        first = 0;
        json_family(r, (enum fam)f);
    }
    printf("],\"other_packets\":");
    if (r->wire_ok)
        printf("%llu", r->other_packets);
    else
        printf("null");
    printf(",\"kernel_drops\":%llu,\"notes\":[", r->kernel_drops);
    for (int i = 0; i < r->nnotes; i++) {
        printf("%s", i ? "," : "");
        sf_json_string(stdout, r->notes[i]);
    }
    printf("]}\n");
}
