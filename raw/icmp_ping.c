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
 *   icmp-ping -w 5 -D 127.0.0.1    for five seconds, each line with its time
 *
 * What it prints, and every option that only changes that (-q -D -f -n -v
 * --json), is common/pingout.c's; what is here decides what goes when.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "icmp.h"
#include "io.h"
#include "ping.h"
#include "pingout.h"
#include "priv.h"
#include "stats.h"

struct pinger {
    struct sf_ping_opts o;
    struct sf_ping p;
    struct sf_pingout out;
    struct sf_ping_tally t;
    int64_t *sent_at;     /* by 16-bit seq: SEQ_SLOTS, reused when the seq wraps */
    uint8_t *seen;        /* by 16-bit seq, cleared when the seq is sent again */
    int64_t gap_ns;       /* -i 0: how long a reply is awaited before the next (-W; -f: 10 ms) */
    int64_t end;          /* -w: when the run stops (CLOCK_MONOTONIC ns); else INT64_MAX */
    int stop_fd, stopped; /* SIGINT/SIGTERM come on stop_fd (sf_cli_stop_fd) */
    uint8_t in[65536 + 64], req[65536];
};

#define SEQ_SLOTS 65536
#define MS 1000000LL
/* iputils' floor for a user's interval (MINUSERINTERVAL), and a flood's pace without replies
 * (MININTERVAL). */
#define USER_MIN_MS 2
#define FLOOD_GAP_MS 10

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

static void on_reply(struct pinger *g, const struct sf_icmp_msg *m,
                     const struct sockaddr_storage *ss, socklen_t sslen, int ttl)
{
    struct sf_ping_tally *t = &g->t;

    if (!sf_icmp_is_ours(m, g->p.id, t->transmitted)) {
        t->ignored++; /* another program's reply, or not a request we sent */
        return;
    }
    /* Shorter than the request: an answer still (iputils counts it), but marked. */
    struct sf_ping_reply r = {ss,
                              sslen,
                              m->payload_len + SF_ICMP_HDR,
                              m->seq,
                              ttl,
                              (double)(sf_now_ns() - g->sent_at[m->seq]) / 1e3,
                              g->seen[m->seq],
                              m->payload_len < g->o.size,
                              other_source(g, ss)};
    g->seen[m->seq] = 1;
    t->different += (uint64_t)r.other;
    if (r.dup) {
        t->duplicates++;
    } else {
        t->received++;
        t->truncated += (uint64_t)r.cut;
        sf_stats_add(NULL, &t->rtt_us, r.rtt_us);
        t->ewma_us = t->received == 1 ? r.rtt_us : t->ewma_us + (r.rtt_us - t->ewma_us) / 8;
    }
    sf_pingout_reply(&g->out, &r);
}

static void on_packet(struct pinger *g, size_t n, const struct sockaddr_storage *ss,
                      socklen_t sslen, int ttl)
{
    struct sf_icmp_msg m;
    char buf[64];

    switch (sf_icmp_parse(g->in, n, g->p.v6, g->p.with_ip, &m)) {
    case SF_ICMP_ECHO_REPLY:
        on_reply(g, &m, ss, sslen, ttl);
        return;
    case SF_ICMP_ERROR:
        if (!sf_icmp_is_ours(&m, g->p.id, g->t.transmitted)) {
            g->t.ignored++;
            return;
        }
        g->t.errors++;
        sf_pingout_error(&g->out, ss, sslen, m.seq, error_text(&m, g->p.v6, buf, sizeof(buf)));
        return;
    case SF_ICMP_MALFORMED:
        g->t.malformed++;
        return;
    default:
        g->t.ignored++;
    }
}

static int send_next(struct sf_err *err, struct pinger *g)
{
    struct timespec ts;
    uint16_t seq = (uint16_t)(g->t.transmitted + 1), prev = (uint16_t)g->t.transmitted;

    /* -O: said before the next goes, as iputils says it. */
    if (g->o.outstanding && g->t.transmitted && !g->seen[prev])
        sf_pingout_outstanding(&g->out, prev);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    size_t len = sf_icmp_echo_build(g->req, sizeof(g->req), g->p.v6, g->p.id, seq, &ts, g->o.size);
    g->sent_at[seq] = sf_now_ns();
    g->seen[seq] = 0;
    if (sf_ping_send(err, &g->p, g->req, len) < 0)
        return -1;
    g->t.transmitted++;
    sf_pingout_sent(&g->out);
    return 0;
}

/*
 * Is the next request due?  The first -l PRELOAD go at once, as iputils
 * sends them; then one each -i, or with -i 0 the next once the last one's
 * reply came (or -W passed without it; -f: 10 ms).  With -w, as iputils,
 * requests go on past -c N until N replies came.
 */
static int due(const struct pinger *g, int64_t now, int64_t next, int64_t last)
{
    int waiting = g->t.transmitted && !g->seen[(uint16_t)g->t.transmitted];

    if (g->t.transmitted >= g->o.count && !g->o.deadline_ms)
        return 0;
    if (g->t.transmitted < g->o.preload)
        return 1;
    return now >= next && (g->o.interval_ms > 0 || !waiting || now >= last + g->gap_ns);
}

/*
 * Is the run over?  With -w, at the deadline, once -c N replies (or
 * errors) came, or at the first ICMP error, as iputils ends it; otherwise
 * once every request was answered, or -W after the last.
 */
static int done(const struct pinger *g, int64_t now, int64_t last)
{
    const struct sf_ping_tally *t = &g->t;

    if (g->o.deadline_ms)
        return now >= g->end || t->received + t->errors >= g->o.count || t->errors;
    return t->transmitted >= g->o.count &&
           (t->received >= t->transmitted || now >= last + g->o.wait_ms * MS);
}

/* When to stop reading and look again: the next request's time, -W's, or the deadline. */
static int64_t wake_at(const struct pinger *g, int64_t next, int64_t last)
{
    int more = g->o.deadline_ms || g->t.transmitted < g->o.count;
    int64_t at = !more ? last + g->o.wait_ms * MS : g->o.interval_ms > 0 ? next : last + g->gap_ns;

    return at < g->end ? at : g->end;
}

/* Send on schedule, read until the next send is due; after the last, wait -W. */
static int run(struct sf_err *err, struct pinger *g)
{
    int64_t next = sf_now_ns(), last = 0;

    while (!g->stopped) {
        int64_t now = sf_now_ns();
        if (now < g->end && due(g, now, next, last)) {
            if (send_next(err, g) < 0)
                return -1;
            last = now;
            next = now + g->o.interval_ms * MS;
            if (due(g, now, next, last))
                continue; /* -l: the next one at once, no reply awaited */
        }
        if (done(g, sf_now_ns(), last))
            break;
        struct sockaddr_storage ss;
        socklen_t sslen;
        size_t full;
        int ttl;
        ssize_t n = sf_ping_recv(err, &g->p, g->stop_fd, g->in, sizeof(g->in),
                                 wake_at(g, next, last), &full, &ss, &sslen, &ttl);
        if (n < 0)
            return -1;
        if (n == 0 && sf_cli_stopped(g->stop_fd))
            g->stopped = 1; /* Ctrl-C: the statistics, at once, as iputils does */
        if (n > 0)
            on_packet(g, (size_t)n, &ss, sslen, ttl);
    }
    return 0;
}

/* Open the socket as the options ask, then give up every privilege (-v: saying how). */
static void open_and_drop(struct pinger *g, const struct sf_addr *addr)
{
    const struct sf_ping_cfg cfg = {g->o.family, g->o.ttl, g->o.iface};
    struct sf_caps caps;
    struct sf_user became;
    struct sf_err err;

    /* iputils' rule, and its words: under 2 ms only root floods (see sf_priv_may_flood). */
    if (g->o.interval_ms < USER_MIN_MS && !sf_priv_may_flood())
        sf_cli_fail(&(struct sf_err){.kind = SF_ERR_SYS,
                                     .sys_errno = EPERM,
                                     .msg = "cannot flood; minimal interval allowed for user is "
                                            "2ms"});
    if (sf_priv_caps(&err, &caps) < 0)
        sf_cli_fail(&err);
    int rc = sf_ping_open_cfg(&err, addr, &cfg, &g->p);
    if (g->o.verbose)
        sf_pingout_story(&g->p, &caps);
    if (rc < 0)
        sf_cli_fail(&err);
    /* The socket is open: nothing privileged is needed from here on, and no exec gets it back. */
    if (sf_priv_drop(&err, g->o.user, &became) < 0)
        sf_cli_fail(&err);
    if (g->o.verbose)
        sf_pingout_became(&became);
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
    open_and_drop(&g, &addr);
    g.sent_at = calloc(SEQ_SLOTS, sizeof(*g.sent_at));
    g.seen = calloc(SEQ_SLOTS, 1);
    if (!g.sent_at || !g.seen)
        sf_cli_fail(&(struct sf_err){.kind = SF_ERR_SYS, .msg = "out of memory"});
    g.stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */
    g.gap_ns = (g.o.flood && g.o.interval_ms == 0 ? FLOOD_GAP_MS : g.o.wait_ms) * MS;
    sf_cli_warn("using %s", g.p.raw ? "a raw ICMP socket (CAP_NET_RAW)"
                                    : "an ICMP datagram socket (net.ipv4.ping_group_range)");
    sf_pingout_init(&g.out, &g.o, &g.p);
    sf_pingout_header(&g.out);
    int64_t start = sf_now_ns();
    g.end = g.o.deadline_ms ? start + g.o.deadline_ms * MS : INT64_MAX;
    int rc = run(&err, &g);
    sf_pingout_summary(&g.out, &g.t, sf_now_ns() - start);
    free(g.sent_at);
    free(g.seen);
    sf_stats_free(&g.t.rtt_us);
    close(g.p.fd);
    if (rc < 0)
        sf_cli_fail(&err);
    /* As iputils: 1 when no reply came, or with -w and -c N fewer than N did. */
    return !g.t.received || (g.o.deadline_ms && g.o.count_given && g.t.received < g.o.count);
}
