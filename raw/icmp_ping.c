/*
 * icmp-ping: ICMP echo, the family where the program writes the protocol
 * header itself (RFC 792, RFC 4443), checked against iputils ping.
 *
 * socket (raw, or the ICMP datagram socket: common/ping.c), drop every
 * privilege, then per request: build (id, seq, timestamp, checksum:
 * common/icmp.c), sendto, and read what comes back until the next is due.
 * A raw socket sees more than our replies: other programs' replies,
 * errors, damaged packets.  Each is validated, matched by id and seq, and
 * counted in its category, never taken for ours.
 *
 *   icmp-ping 127.0.0.1            four requests, one a second
 *   icmp-ping -c 100 -i 0 -q ::1   as fast as replies come, summary only
 *   icmp-ping -l 10 -c 10 ::1      ten at once, then their replies (iputils' preload)
 */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "icmp.h"
#include "jout.h"
#include "io.h"
#include "ping.h"
#include "priv.h"
#include "stats.h"
#include "summary.h"

struct pinger {
    struct sf_ping_opts o;
    struct sf_ping p;
    char host[SF_ADDR_TEXT_MAX]; /* the numeric destination */
    int64_t *sent_at;            /* by 16-bit seq: SEQ_SLOTS, reused when the seq wraps */
    uint8_t *seen;               /* by 16-bit seq, cleared when the seq is sent again */
    uint64_t transmitted, received, duplicates, errors, malformed, ignored, truncated;
    uint64_t different; /* replies (counted above) from another address than the one pinged */
    struct sf_stats rtt_us;
    int stop_fd, stopped; /* SIGINT/SIGTERM come on stop_fd (sf_cli_stop_fd) */
    uint8_t in[65536 + 64], out[65536];
};

#define SEQ_SLOTS 65536

static const char *error_text(const struct sf_icmp_msg *m, int v6, char *buf, size_t cap)
{
    static const char *unreach4[] = {"Destination Net Unreachable", "Destination Host Unreachable",
                                     "Destination Protocol Unreachable",
                                     "Destination Port Unreachable"};
    if (!v6 && m->type == 3 && m->code < 4)
        return unreach4[m->code];
    if (!v6 && m->type == 11)
        return "Time to live exceeded";
    if (v6 && m->type == 1)
        return m->code == 4 ? "Destination unreachable: Port unreachable"
                            : "Destination unreachable";
    if (v6 && m->type == 3)
        return "Time exceeded: Hop limit";
    snprintf(buf, cap, "ICMP type %u code %u", m->type, m->code);
    return buf;
}

/* Did the reply come from another address than the one pinged?  (iputils marks it too.) */
static int other_source(const struct pinger *g, const struct sockaddr_storage *ss)
{
    if (ss->ss_family != g->p.dest.ss_family)
        return 1;
    if (ss->ss_family == AF_INET6)
        return memcmp(&((const struct sockaddr_in6 *)ss)->sin6_addr,
                      &((const struct sockaddr_in6 *)&g->p.dest)->sin6_addr,
                      sizeof(struct in6_addr)) != 0;
    return ((const struct sockaddr_in *)ss)->sin_addr.s_addr !=
           ((const struct sockaddr_in *)&g->p.dest)->sin_addr.s_addr;
}

static void on_reply(struct pinger *g, const struct sf_icmp_msg *m, const char *from, int ttl,
                     int other)
{
    if (!sf_icmp_is_ours(m, g->p.id, g->transmitted)) {
        g->ignored++; /* another program's reply, or not a request we sent */
        return;
    }
    double rtt = (double)(sf_now_ns() - g->sent_at[m->seq]) / 1e3;
    int dup = g->seen[m->seq];
    /* Shorter than the request: an answer still (iputils counts it), but marked. */
    int cut = m->payload_len < g->o.size;
    g->seen[m->seq] = 1;
    g->different += (uint64_t)other;
    if (dup) {
        g->duplicates++;
    } else {
        g->received++;
        g->truncated += (uint64_t)cut;
        sf_stats_add(NULL, &g->rtt_us, rtt);
    }
    if (g->o.quiet || g->o.json)
        return;
    printf("%zu bytes from %s: icmp_seq=%u", m->payload_len + SF_ICMP_HDR, from, m->seq);
    if (ttl >= 0)
        printf(" ttl=%d", ttl);
    printf(" time=%.3f ms%s%s%s\n", rtt / 1e3, dup ? " (DUP!)" : "", cut ? " (truncated)" : "",
           other ? " (DIFFERENT ADDRESS!)" : "");
}

static void on_packet(struct pinger *g, size_t n, const struct sockaddr_storage *ss,
                      socklen_t sslen, int ttl)
{
    struct sf_icmp_msg m;
    char from[SF_ADDR_TEXT_MAX], buf[64];

    sf_sockaddr_host((const struct sockaddr *)ss, sslen, from, sizeof(from));
    switch (sf_icmp_parse(g->in, n, g->p.v6, g->p.with_ip, &m)) {
    case SF_ICMP_ECHO_REPLY:
        on_reply(g, &m, from, ttl, other_source(g, ss));
        return;
    case SF_ICMP_ERROR:
        if (!sf_icmp_is_ours(&m, g->p.id, g->transmitted)) {
            g->ignored++;
            return;
        }
        g->errors++;
        if (!g->o.json)
            printf("From %s icmp_seq=%u %s\n", from, m.seq,
                   error_text(&m, g->p.v6, buf, sizeof(buf)));
        return;
    case SF_ICMP_MALFORMED:
        g->malformed++;
        return;
    default:
        g->ignored++;
    }
}

static int send_next(struct sf_err *err, struct pinger *g)
{
    struct timespec ts;
    uint16_t seq = (uint16_t)(g->transmitted + 1);

    clock_gettime(CLOCK_MONOTONIC, &ts);
    size_t len = sf_icmp_echo_build(g->out, sizeof(g->out), g->p.v6, g->p.id, seq, &ts, g->o.size);
    g->sent_at[seq] = sf_now_ns();
    g->seen[seq] = 0;
    if (sf_ping_send(err, &g->p, g->out, len) < 0)
        return -1;
    g->transmitted++;
    return 0;
}

/*
 * Is the next request due?  The first -l PRELOAD go at once, as iputils
 * sends them; then one each -i, or with -i 0 the next once the last one's
 * reply came (or -W passed without it).
 */
static int due(const struct pinger *g, int64_t now, int64_t next, int64_t last)
{
    int waiting = g->transmitted && !g->seen[(uint16_t)g->transmitted];

    if (g->transmitted >= g->o.count)
        return 0;
    if (g->transmitted < g->o.preload)
        return 1;
    return now >= next &&
           (g->o.interval_ms > 0 || !waiting || now >= last + g->o.wait_ms * 1000000);
}

/* Send on schedule, read until the next send is due; after the last, wait -W. */
static int run(struct sf_err *err, struct pinger *g)
{
    int64_t next = sf_now_ns(), last = 0;

    while (!g->stopped) {
        int64_t now = sf_now_ns();
        if (due(g, now, next, last)) {
            if (send_next(err, g) < 0)
                return -1;
            last = now;
            next = now + g->o.interval_ms * 1000000;
            if (due(g, now, next, last))
                continue; /* -l: the next one at once, no reply awaited */
        }
        if (g->transmitted == g->o.count && g->received >= g->transmitted)
            break;
        int64_t deadline = last + g->o.wait_ms * 1000000;
        if (g->transmitted < g->o.count && g->o.interval_ms > 0)
            deadline = next;
        if (g->transmitted == g->o.count && sf_now_ns() >= deadline)
            break;
        struct sockaddr_storage ss;
        socklen_t sslen;
        size_t full;
        int ttl;
        ssize_t n = sf_ping_recv(err, &g->p, g->stop_fd, g->in, sizeof(g->in), deadline, &full, &ss,
                                 &sslen, &ttl);
        if (n < 0)
            return -1;
        if (n == 0 && sf_cli_stopped(g->stop_fd))
            g->stopped = 1; /* Ctrl-C: the statistics, at once, as iputils does */
        if (n > 0)
            on_packet(g, (size_t)n, &ss, sslen, ttl);
    }
    return 0;
}

static void report(struct pinger *g, int64_t elapsed_ns)
{
    struct sf_summary s = sf_stats_summary(&g->rtt_us);
    double loss = g->transmitted
                      ? 100.0 * (double)(g->transmitted - g->received) / (double)g->transmitted
                      : 0;
    long long ms = (long long)(elapsed_ns / 1000000);

    if (g->o.json) {
        json_t *rtt = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "min",
                                sf_jreal(s.min / 1e3, 6), "avg", sf_jreal(s.mean / 1e3, 6), "max",
                                sf_jreal(s.max / 1e3, 6), "mdev", sf_jreal(s.mdev / 1e3, 6), "p50",
                                sf_jreal(s.p50 / 1e3, 6), "p99", sf_jreal(s.p99 / 1e3, 6),
                                "over_100ms", sf_juint(sf_stats_over(&g->rtt_us, 100000)), "cdf",
                                sf_stats_cdf_json(&g->rtt_us, 1e-3, 6));
        json_t *o = json_pack(
            "{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "program",
            "icmp-ping", "family", g->p.v6 ? "icmp6" : "icmp", "socket", g->p.raw ? "raw" : "dgram",
            "target", sf_jstr(g->o.target), "address", sf_jstr(g->host), "transmitted",
            sf_juint(g->transmitted), "received", sf_juint(g->received), "duplicates",
            sf_juint(g->duplicates), "errors", sf_juint(g->errors), "malformed",
            sf_juint(g->malformed), "ignored", sf_juint(g->ignored), "truncated",
            sf_juint(g->truncated), "different_address", sf_juint(g->different), "loss_pct",
            sf_jreal(loss, 1), "time_ms", (json_int_t)ms, "rtt_ms", rtt);
        /* What the kernel dropped at this socket, its receive buffer full (SO_MEMINFO). */
        json_object_set_new(o, "dropped", sf_juint(sf_socket_drops(g->p.fd)));
        sf_jout_print(stdout, o);
        return;
    }
    printf("\n--- %s ping statistics ---\n", g->o.target);
    printf("%llu packets transmitted, %llu received", (unsigned long long)g->transmitted,
           (unsigned long long)g->received);
    if (g->duplicates)
        printf(", +%llu duplicates", (unsigned long long)g->duplicates);
    if (g->errors)
        printf(", +%llu errors", (unsigned long long)g->errors);
    printf(", %g%% packet loss, time %lldms\n", loss, ms);
    if (s.n)
        printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n", s.min / 1e3, s.mean / 1e3,
               s.max / 1e3, s.mdev / 1e3);
    if (g->truncated)
        printf("truncated: %llu replies shorter than the request\n",
               (unsigned long long)g->truncated);
    if (g->different)
        printf("different address: %llu replies from another address than %s\n",
               (unsigned long long)g->different, g->host);
    if (g->malformed || g->ignored)
        printf("ignored: %llu malformed, %llu not ours\n", (unsigned long long)g->malformed,
               (unsigned long long)g->ignored);
}

int main(int argc, char **argv)
{
    static struct pinger g;
    struct sf_addr addr;
    struct sf_err err;

    sf_cli_init("icmp-ping");
    sf_cli_ping_parse(argc, argv, &g.o);
    if (sf_addr_parse(&err, g.o.target, "0", 1, &addr) < 0 || addr.kind != SF_ADDR_INET)
        sf_cli_usage_error("invalid HOST '%s'", g.o.target);
    snprintf(addr.text, sizeof(addr.text), "%s", g.o.target); /* no port to show */
    if (sf_ping_open(&err, &addr, g.o.family, &g.p) < 0)
        sf_cli_fail(&err);
    /* The socket is open: nothing privileged is needed from here on, and no exec gets it back. */
    if (sf_priv_drop(&err, g.o.user, NULL) < 0)
        sf_cli_fail(&err);
    sf_sockaddr_host((struct sockaddr *)&g.p.dest, g.p.destlen, g.host, sizeof(g.host));
    g.sent_at = calloc(SEQ_SLOTS, sizeof(*g.sent_at));
    g.seen = calloc(SEQ_SLOTS, 1);
    if (!g.sent_at || !g.seen)
        sf_cli_fail(&(struct sf_err){.kind = SF_ERR_SYS, .msg = "out of memory"});
    g.stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */
    sf_cli_warn("using %s", g.p.raw ? "a raw ICMP socket (CAP_NET_RAW)"
                                    : "an ICMP datagram socket (net.ipv4.ping_group_range)");
    if (!g.o.json)
        printf("PING %s (%s) %llu(%llu) bytes of data.\n", g.o.target, g.host,
               (unsigned long long)g.o.size,
               (unsigned long long)g.o.size + SF_ICMP_HDR + (g.p.v6 ? 40 : 20));
    int64_t start = sf_now_ns();
    int rc = run(&err, &g);
    report(&g, sf_now_ns() - start);
    free(g.sent_at);
    free(g.seen);
    sf_stats_free(&g.rtt_us);
    close(g.p.fd);
    if (rc < 0)
        sf_cli_fail(&err);
    return g.received ? 0 : 1;
}
