/* summary: the end-of-run report of a client; see summary.h. */
#include "summary.h"

#include <stdlib.h>

#include "jout.h"
#include "repr.h"

json_t *sf_stats_cdf_json(struct sf_stats *st, double scale, int decimals)
{
    static const double at[] = {1, 5, 10, 25, 50, 75, 90, 95, 99, 99.9, 100};
    json_t *a = json_array();

    for (size_t i = 0; st->n && i < sizeof(at) / sizeof(at[0]); i++)
        json_array_append_new(
            a, json_pack("[o,o]", sf_jreal(at[i], 1),
                         sf_jreal(sf_stats_percentile(st, at[i]) * scale, decimals)));
    return a;
}

json_t *sf_stats_hist_json(struct sf_stats *st, double scale, int decimals)
{
    struct sf_hist_bin bins[SF_HIST_MAX];
    size_t n = sf_stats_hist(st, bins, SF_HIST_MAX);
    json_t *a = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            a, json_pack("[o,o]", sf_jreal(bins[i].lo * scale, decimals), sf_juint(bins[i].n)));
    return a;
}

void sf_run_print_json(FILE *f, struct sf_run *run)
{
    struct sf_summary s = sf_stats_summary(&run->rtt_us);
    json_t *rtt = json_pack(
        "{s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "n", (json_int_t)s.n, "min",
        sf_jreal(s.min, 3), "p50", sf_jreal(s.p50, 3), "p99", sf_jreal(s.p99, 3), "max",
        sf_jreal(s.max, 3), "mean", sf_jreal(s.mean, 3), "mdev", sf_jreal(s.mdev, 3), "over_100ms",
        sf_juint(sf_stats_over(&run->rtt_us, 100000)), "cdf", sf_stats_cdf_json(&run->rtt_us, 1, 3),
        "hist", sf_stats_hist_json(&run->rtt_us, 1, 3));

    json_t *o = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "program",
        sf_jstr(run->program), "family", sf_jstr(run->family), "mode", sf_jstr(run->mode), "server",
        sf_jstr(run->server), "connected", sf_jstr(run->connected), "sent", sf_juint(run->sent),
        "answered", sf_juint(run->answered), "lost", sf_juint(run->lost), "truncated",
        sf_juint(run->truncated), "retries", sf_juint(run->retries), "stray", sf_juint(run->stray),
        "dropped", sf_juint(run->dropped), "tcp_retrans",
        run->have_retrans ? sf_juint(run->retrans) : json_null(), "bytes_sent",
        sf_juint(run->bytes_sent), "bytes_received", sf_juint(run->bytes_received), "rtt_us", rtt,
        "elapsed_s", sf_jreal((double)run->elapsed_ns / 1e9, 6));

    json_object_set_new(o, "error", sf_jstr(run->error)); /* last, as scripts may expect */
    sf_jout_print(f, o);
}

void sf_run_print_text(FILE *f, struct sf_run *run)
{
    struct sf_summary s = sf_stats_summary(&run->rtt_us);

    fprintf(f, "%llu sent, %llu answered, %llu lost", (unsigned long long)run->sent,
            (unsigned long long)run->answered, (unsigned long long)run->lost);
    if (run->truncated)
        fprintf(f, ", %llu truncated", (unsigned long long)run->truncated);
    fprintf(f, "; %llu bytes out, %llu in, %.3f s", (unsigned long long)run->bytes_sent,
            (unsigned long long)run->bytes_received, (double)run->elapsed_ns / 1e9);
    if (s.n)
        fprintf(f, "; rtt min/avg/max/mdev = %.1f/%.1f/%.1f/%.1f us, p50 %.1f, p99 %.1f", s.min,
                s.mean, s.max, s.mdev, s.p50, s.p99);
    fputc('\n', f);
}

void sf_print_received(FILE *f, const void *data, size_t len)
{
    size_t need = sf_repr(data, len, NULL, 0) + 1;
    char *text = malloc(need);

    if (!text) {
        fprintf(f, "Client received: (%zu bytes; no memory to show them)\n", len);
        return;
    }
    sf_repr(data, len, text, need);
    fprintf(f, "Client received: %s\n", text);
    free(text);
}
