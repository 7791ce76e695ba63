/* pingout: icmp-ping's lines, as iputils prints them; see pingout.h. */
#include "pingout.h"

#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "icmp.h"
#include "io.h"
#include "jout.h"
#include "summary.h"

/* Is text an address rather than a name?  (iputils looks up no source then.) */
static int numeric_host(const char *text)
{
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST}, *ai = NULL;
    int numeric = getaddrinfo(text, NULL, &hints, &ai) == 0;

    if (ai)
        freeaddrinfo(ai);
    return numeric;
}

void sf_pingout_init(struct sf_pingout *w, const struct sf_ping_opts *o, const struct sf_ping *p)
{
    memset(w, 0, sizeof(*w));
    w->o = o;
    w->p = p;
    w->names = !o->numeric && !numeric_host(o->target);
    sf_sockaddr_host((const struct sockaddr *)&p->dest, p->destlen, w->host, sizeof(w->host));
}

/* A reverse lookup's answer is the network's word: shown only if it is a plain host name. */
static int plain_name(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '-' || *s == '_'))
            return 0;
    return 1;
}

/*
 * A source as iputils shows it: the address, or for a named HOST without
 * -n "NAME (ADDRESS)", NAME the reverse lookup's answer, or the address
 * again when there is none ("192.0.2.7 (192.0.2.7)", as iputils prints).
 */
static const char *source(struct sf_pingout *w, const struct sockaddr_storage *ss, socklen_t len)
{
    char addr[SF_ADDR_TEXT_MAX], name[NI_MAXHOST];

    if (w->lastlen == len && memcmp(&w->last, ss, len) == 0)
        return w->text;
    memcpy(&w->last, ss, len);
    w->lastlen = len;
    sf_sockaddr_host((const struct sockaddr *)ss, len, addr, sizeof(addr));
    if (!w->names ||
        getnameinfo((const struct sockaddr *)ss, len, name, sizeof(name), NULL, 0, 0) != 0 ||
        !plain_name(name))
        snprintf(w->text, sizeof(w->text), "%s", addr);
    else
        snprintf(w->text, sizeof(w->text), "%s (%s)", name, addr);
    return w->text;
}

/* -D: the wall-clock time before a line, as iputils: "[1733130000.123456] ". */
static void stamp(const struct sf_pingout *w)
{
    struct timeval tv;

    if (!w->o->timestamps)
        return;
    gettimeofday(&tv, NULL);
    printf("[%lld.%06ld] ", (long long)tv.tv_sec, (long)tv.tv_usec);
}

/* -f's marks go out at once (stdout is line-buffered), as iputils writes them. */
static void mark(const char *s)
{
    fputs(s, stdout);
    fflush(stdout);
}

static int lines(const struct sf_pingout *w)
{
    return !w->o->quiet && !w->o->json;
}

void sf_pingout_header(struct sf_pingout *w)
{
    char src[SF_ADDR_TEXT_MAX];

    if (w->o->json)
        return;
    printf("PING %s (%s) ", w->o->target, w->host);
    if (w->o->iface) {
        sf_sockaddr_host((const struct sockaddr *)&w->p->source, w->p->sourcelen, src, sizeof(src));
        printf("from %s %s: ", src, w->p->device); /* iputils' form, "from ::1 : " with no device */
    }
    printf("%llu(%llu) bytes of data.\n", (unsigned long long)w->o->size,
           (unsigned long long)w->o->size + SF_ICMP_HDR + (w->p->v6 ? 40 : 20));
}

void sf_pingout_sent(struct sf_pingout *w)
{
    if (w->o->flood && lines(w))
        mark(".");
}

void sf_pingout_outstanding(struct sf_pingout *w, uint16_t seq)
{
    if (w->o->json)
        return;
    stamp(w); /* iputils prints these under -q too */
    printf("no answer yet for icmp_seq=%u\n", seq);
}

void sf_pingout_reply(struct sf_pingout *w, const struct sf_ping_reply *r)
{
    if (!lines(w))
        return;
    if (w->o->flood) {
        mark("\b \b");
        return;
    }
    stamp(w);
    printf("%zu bytes from %s: icmp_seq=%u", r->bytes, source(w, r->from, r->fromlen), r->seq);
    if (w->o->verbose)
        printf(" ident=%u", w->p->id);
    if (r->ttl >= 0)
        printf(" ttl=%d", r->ttl);
    printf(" time=%.3f ms%s%s%s\n", r->rtt_us / 1e3, r->dup ? " (DUP!)" : "",
           r->cut ? " (truncated)" : "", r->other ? " (DIFFERENT ADDRESS!)" : "");
}

void sf_pingout_error(struct sf_pingout *w, const struct sockaddr_storage *from, socklen_t fromlen,
                      uint16_t seq, const char *text)
{
    if (w->o->json)
        return;
    if (w->o->flood) {
        if (!w->o->quiet)
            mark("\bE");
        return;
    }
    stamp(w);
    printf("From %s icmp_seq=%u %s\n", source(w, from, fromlen), seq, text);
}

static void summary_json(const struct sf_pingout *w, struct sf_ping_tally *t, double loss,
                         long long ms)
{
    struct sf_summary s = sf_stats_summary(&t->rtt_us);
    json_t *rtt = json_pack(
        "{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "min", sf_jreal(s.min / 1e3, 6), "avg",
        sf_jreal(s.mean / 1e3, 6), "max", sf_jreal(s.max / 1e3, 6), "mdev",
        sf_jreal(s.mdev / 1e3, 6), "p50", sf_jreal(s.p50 / 1e3, 6), "p99", sf_jreal(s.p99 / 1e3, 6),
        "over_100ms", sf_juint(sf_stats_over(&t->rtt_us, 100000)), "cdf",
        sf_stats_cdf_json(&t->rtt_us, 1e-3, 6), "hist", sf_stats_hist_json(&t->rtt_us, 1e-3, 6));
    json_t *o = json_pack(
        "{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o}", "program", "icmp-ping",
        "family", w->p->v6 ? "icmp6" : "icmp", "socket", w->p->raw ? "raw" : "dgram", "target",
        sf_jstr(w->o->target), "address", sf_jstr(w->host), "transmitted", sf_juint(t->transmitted),
        "received", sf_juint(t->received), "duplicates", sf_juint(t->duplicates), "errors",
        sf_juint(t->errors), "malformed", sf_juint(t->malformed), "ignored", sf_juint(t->ignored),
        "truncated", sf_juint(t->truncated), "different_address", sf_juint(t->different),
        "loss_pct", sf_jreal(loss, 1), "time_ms", (json_int_t)ms, "rtt_ms", rtt);
    /* What the kernel dropped at this socket, its receive buffer full (SO_MEMINFO). */
    json_object_set_new(o, "dropped", sf_juint(sf_socket_drops(w->p->fd)));
    sf_jout_print(stdout, o);
}

/* "rtt min/avg/max/mdev = ..." and, where iputils adds it (-f, -i 0), ", ipg/ewma ...". */
static void rtt_line(const struct sf_pingout *w, struct sf_ping_tally *t, int64_t elapsed_ns)
{
    struct sf_summary s = sf_stats_summary(&t->rtt_us);

    if (!s.n)
        return;
    printf("rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms", s.min / 1e3, s.mean / 1e3, s.max / 1e3,
           s.mdev / 1e3);
    /* The mean gap between requests, and the moving average of the round trip. */
    if ((w->o->flood || w->o->interval_ms == 0) && t->transmitted > 1)
        printf(", ipg/ewma %.3f/%.3f ms", (double)elapsed_ns / 1e6 / (double)(t->transmitted - 1),
               t->ewma_us / 1e3);
    printf("\n");
}

void sf_pingout_summary(struct sf_pingout *w, struct sf_ping_tally *t, int64_t elapsed_ns)
{
    double loss = t->transmitted
                      ? 100.0 * (double)(t->transmitted - t->received) / (double)t->transmitted
                      : 0;
    long long ms = (long long)(elapsed_ns / 1000000);

    if (w->o->json) {
        summary_json(w, t, loss, ms);
        return;
    }
    printf("\n--- %s ping statistics ---\n", w->o->target);
    printf("%llu packets transmitted, %llu received", (unsigned long long)t->transmitted,
           (unsigned long long)t->received);
    if (t->duplicates)
        printf(", +%llu duplicates", (unsigned long long)t->duplicates);
    if (t->errors)
        printf(", +%llu errors", (unsigned long long)t->errors);
    printf(", %g%% packet loss, time %lldms\n", loss, ms);
    rtt_line(w, t, elapsed_ns);
    if (t->truncated)
        printf("truncated: %llu replies shorter than the request\n",
               (unsigned long long)t->truncated);
    if (t->different)
        printf("different address: %llu replies from another address than %s\n",
               (unsigned long long)t->different, w->host);
    if (t->malformed || t->ignored)
        printf("ignored: %llu malformed, %llu not ours\n", (unsigned long long)t->malformed,
               (unsigned long long)t->ignored);
}

/* Is this process's group, or one of its supplementary groups, within [lo, hi]? */
static int group_in(long long lo, long long hi, gid_t *which)
{
    gid_t groups[256];
    int n = getgroups(256, groups);

    *which = getegid();
    if ((long long)*which >= lo && (long long)*which <= hi)
        return 1;
    for (int i = 0; i < n; i++)
        if ((long long)groups[i] >= lo && (long long)groups[i] <= hi) {
            *which = groups[i];
            return 1;
        }
    return 0;
}

/* The datagram socket's line: net.ipv4.ping_group_range, as the kernel checks it. */
static void dgram_story(const struct sf_ping *p, const char *proto)
{
    long long lo, hi;
    gid_t g;
    struct sf_err err;

    if (sf_ping_group_range(&err, &lo, &hi) < 0) {
        sf_cli_warn("datagram socket (SOCK_DGRAM, %s): %s", proto, err.msg);
        return;
    }
    int in = group_in(lo, hi, &g);
    const char *verdict = p->raw           ? "not tried, the raw one opened;"
                          : p->dgram_errno ? "refused:"
                                           : "opened:";
    if (p->dgram_errno)
        sf_cli_warn("datagram socket (SOCK_DGRAM, %s): %s %s (%s); "
                    "net.ipv4.ping_group_range is %lld %lld, gid %u %s in it",
                    proto, verdict, strerrorname_np(p->dgram_errno), strerror(p->dgram_errno), lo,
                    hi, (unsigned)g, in ? "is" : "is not");
    else
        sf_cli_warn("datagram socket (SOCK_DGRAM, %s): %s net.ipv4.ping_group_range is %lld "
                    "%lld, gid %u %s in it",
                    proto, verdict, lo, hi, (unsigned)g, in ? "is" : "is not");
}

void sf_pingout_story(const struct sf_ping *p, const struct sf_caps *caps)
{
    const char *proto = p->v6 ? "IPPROTO_ICMPV6" : "IPPROTO_ICMP";
    int raw_eff = (caps->effective >> CAP_NET_RAW) & 1;

    sf_cli_warn("capabilities held: effective %016llx, permitted %016llx, inheritable %016llx, "
                "ambient %016llx, bounding %016llx; cap_net_raw %s; uid %u, euid %u",
                (unsigned long long)caps->effective, (unsigned long long)caps->permitted,
                (unsigned long long)caps->inheritable, (unsigned long long)caps->ambient,
                (unsigned long long)caps->bounding, raw_eff ? "effective" : "not effective",
                (unsigned)getuid(), (unsigned)geteuid());
    if (p->raw && p->fd >= 0)
        sf_cli_warn("raw socket (SOCK_RAW, %s): opened, cap_net_raw effective", proto);
    else if (p->raw_errno)
        sf_cli_warn("raw socket (SOCK_RAW, %s): refused: %s (%s), cap_net_raw %s", proto,
                    strerrorname_np(p->raw_errno), strerror(p->raw_errno),
                    raw_eff ? "effective" : "not effective");
    if (p->raw_errno || (p->raw && p->fd >= 0))
        dgram_story(p, proto);
}

void sf_pingout_became(const struct sf_user *u)
{
    sf_cli_warn("privilege dropped: uid %u (%s), gid %u, no capability in any set, no_new_privs",
                (unsigned)u->uid, u->name, (unsigned)u->gid);
}
