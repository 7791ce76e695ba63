/* summary: the end-of-run report of a client; see summary.h. */
#include "summary.h"

#include <stdlib.h>

#include "repr.h"

void sf_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_field(FILE *f, const char *name, const char *value)
{
    fprintf(f, "\"%s\":", name);
    if (value)
        sf_json_string(f, value);
    else
        fputs("null", f);
    fputc(',', f);
}

void sf_run_print_json(FILE *f, struct sf_run *run)
{
    struct sf_summary s = sf_stats_summary(&run->rtt_us);

    fputc('{', f);
    json_field(f, "program", run->program);
    json_field(f, "family", run->family);
    json_field(f, "mode", run->mode);
    json_field(f, "server", run->server);
    json_field(f, "connected", run->connected);
    fprintf(f,
            "\"sent\":%llu,\"answered\":%llu,\"lost\":%llu,\"truncated\":%llu,"
            "\"retries\":%llu,\"bytes_sent\":%llu,\"bytes_received\":%llu,",
            (unsigned long long)run->sent, (unsigned long long)run->answered,
            (unsigned long long)run->lost, (unsigned long long)run->truncated,
            (unsigned long long)run->retries, (unsigned long long)run->bytes_sent,
            (unsigned long long)run->bytes_received);
    fprintf(f,
            "\"rtt_us\":{\"n\":%zu,\"min\":%.3f,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f,"
            "\"mean\":%.3f,\"mdev\":%.3f},",
            s.n, s.min, s.p50, s.p99, s.max, s.mean, s.mdev);
    fprintf(f, "\"elapsed_s\":%.6f,", (double)run->elapsed_ns / 1e9);
    fprintf(f, "\"error\":");
    if (run->error)
        sf_json_string(f, run->error);
    else
        fputs("null", f);
    fputs("}\n", f);
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
