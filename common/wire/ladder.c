/* ladder: a captured exchange drawn as text; see ladder.h. */
#include "ladder.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repr.h"

#define ARROW 72 /* columns between the two sides */

/* Text built in memory, growing as needed; failed is set once memory runs out. */
struct text {
    char *p;
    size_t len, cap;
    int failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (int tries = 0; tries < 2 && !t->failed; tries++) {
        va_start(ap, fmt);
        n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
        } else if (t->p && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        } else {
            size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
            char *q = realloc(t->p, cap);
            if (!q)
                t->failed = 1;
            else
                t->p = q, t->cap = cap;
        }
    }
}
#define PREVIEW 24 /* payload bytes shown at most (not for ICMP: a pattern) */

static int addr_len(const struct sf_pkt *p)
{
    return p->ip_version == 6 ? 16 : 4;
}

static int same_end(const uint8_t *a, uint16_t ap, const uint8_t *b, uint16_t bp, int len)
{
    return ap == bp && memcmp(a, b, (size_t)len) == 0;
}

/* Does q travel between the same two ends as p, in either direction? */
static int same_flow(const struct sf_pkt *p, const struct sf_pkt *q)
{
    int n = addr_len(p);
    int icmp = p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6;
    uint16_t ps = icmp ? p->id : p->sport, pd = icmp ? p->id : p->dport;
    uint16_t qs = icmp ? q->id : q->sport, qd = icmp ? q->id : q->dport;

    if (q->ip_version != p->ip_version || q->l4 != p->l4)
        return 0;
    return (same_end(p->src, ps, q->src, qs, n) && same_end(p->dst, pd, q->dst, qd, n)) ||
           (same_end(p->src, ps, q->dst, qd, n) && same_end(p->dst, pd, q->src, qs, n));
}

size_t sf_ladder_flow(const struct sf_wire *w, size_t first, const struct sf_wire_rec **out,
                      size_t max)
{
    const struct sf_wire_rec *f = sf_wire_at(w, first);
    size_t n = 0;

    if (!f || !f->ok)
        return 0;
    for (size_t i = first; i < sf_wire_count(w) && n < max; i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        if (r->ok && same_flow(&f->pkt, &r->pkt))
            out[n++] = r;
    }
    return n;
}

/* "127.0.0.1:43122", "[::1]:43122", or the bare address for ICMP. */
static void endpoint(const struct sf_pkt *p, int src, char *buf, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int icmp = p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6;

    inet_ntop(p->ip_version == 6 ? AF_INET6 : AF_INET, src ? p->src : p->dst, host, sizeof(host));
    if (icmp)
        snprintf(buf, cap, "%s", host);
    else
        snprintf(buf, cap, p->ip_version == 6 ? "[%s]:%u" : "%s:%u", host,
                 src ? p->sport : p->dport);
}

/* Each side's first sequence number, for tcpdump's relative numbering. */
struct tcp_base {
    int seen[2];
    uint32_t isn[2];
    int ws[2]; /* the window scale each side's SYN announced, or -1 */
};

/* MPTCP options by tcpdump's names: "mptcp capable v1", "mptcp dss", "mptcp dss fin". */
static void mptcp_label(struct text *f, const struct sf_pkt *p)
{
    static const char *const names[] = {"capable", "join", "dss",       "add-addr", "remove-addr",
                                        "prio",    "fail", "fastclose", "tcprst"};

    for (unsigned sub = 0; sub < 16; sub++) {
        if (!(p->mptcp & SF_MPTCP_BIT(sub)))
            continue;
        if (sub < sizeof(names) / sizeof(names[0]))
            put(f, " mptcp %s", names[sub]);
        else
            put(f, " mptcp subtype %u", sub);
        if (sub == SF_MPTCP_CAPABLE && p->mptcp_version >= 0)
            put(f, " v%d", p->mptcp_version);
        if (sub == SF_MPTCP_DSS && p->mptcp_data_fin)
            put(f, " fin");
    }
}

static void tcp_label(struct text *f, const struct sf_pkt *p, int dir, struct tcp_base *b)
{
    char flags[32];

    if (!b->seen[dir]) {
        b->seen[dir] = 1;
        b->isn[dir] = p->seq;
    }
    put(f, "%s", sf_tcp_flags(p->flags, flags, sizeof(flags)));
    if (p->payload_len)
        put(f, " seq %u:%u", p->seq - b->isn[dir],
            (uint32_t)(p->seq - b->isn[dir] + p->payload_len));
    else if (p->flags & (SF_TCP_SYN | SF_TCP_FIN | SF_TCP_RST))
        put(f, " seq %u", p->seq - b->isn[dir]);
    if ((p->flags & SF_TCP_ACK) && b->seen[!dir])
        put(f, " ack %u", p->ack - b->isn[!dir]);
    if (p->flags & SF_TCP_SYN) /* RFC 7323 2.3: a shift above 14 is taken as 14 */
        b->ws[dir] = p->wscale > 14 ? 14 : p->wscale;
    /* RFC 7323: once both SYNs announced a scale, every later window is scaled (a SYN's never
     * is); without the handshake in the capture, the raw field, as tcpdump prints it. */
    if (!(p->flags & SF_TCP_SYN) && b->ws[0] >= 0 && b->ws[1] >= 0)
        put(f, " win %lu", (unsigned long)p->window << b->ws[dir]);
    else
        put(f, " win %u", p->window);
    if (p->mss)
        put(f, " mss %u", p->mss);
    if (p->sack_ok)
        put(f, " sackOK");
    if (p->wscale >= 0)
        put(f, " wscale %d", p->wscale);
    mptcp_label(f, p);
}

static const char *icmp_name(const struct sf_pkt *p)
{
    int v6 = p->l4 == SF_L4_ICMP6;

    if (p->type == (v6 ? 128 : 8))
        return "echo request";
    if (p->type == (v6 ? 129 : 0))
        return "echo reply";
    if (p->type == (v6 ? 1 : 3))
        return "unreachable";
    if (p->type == (v6 ? 3 : 11))
        return "time exceeded";
    return v6 ? "ICMPv6" : "ICMP";
}

/* The words on one arrow: what the packet is, its length, a preview of its payload. */
static void label(struct text *f, const struct sf_wire_rec *r, int dir, struct tcp_base *b)
{
    const struct sf_pkt *p = &r->pkt;
    char preview[SF_REPR_MAX(PREVIEW)];
    int icmp = p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6;
    size_t show = icmp ? 0 : p->payload_len < PREVIEW ? p->payload_len : PREVIEW;

    if (p->l4 == SF_L4_TCP)
        tcp_label(f, p, dir, b);
    else if (p->l4 == SF_L4_UDP)
        put(f, "UDP");
    else if (icmp)
        put(f, "%s id %u seq %u%s", icmp_name(p), p->id, p->icmp_seq,
            p->checksum_ok || !p->checksum_checked ? "" : " BAD CHECKSUM");
    else
        put(f, "IP proto %u", p->ip_proto);
    if (p->payload_len || p->l4 != SF_L4_TCP)
        put(f, " len %zu", p->payload_len);
    if (show) {
        sf_repr(p->payload, show, preview, sizeof(preview));
        put(f, " %s%s", preview, show < p->payload_len ? "..." : "");
    }
}

/* 0 when p goes the way of the first packet (client to server), 1 when it comes back. */
static int direction(const struct sf_pkt *p, const struct sf_pkt *first)
{
    int n = addr_len(p);

    if (p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6) {
        if (memcmp(p->src, p->dst, (size_t)n) == 0) /* to itself: only the type tells */
            return p->type == first->type ? 0 : 1;
        return memcmp(p->src, first->src, (size_t)n) == 0 ? 0 : 1;
    }
    return same_end(p->src, p->sport, first->src, first->sport, n) ? 0 : 1;
}

/* One line: the time, then the label centred in an arrow pointing the packet's way. */
static void arrow(struct text *out, int64_t t_ns, const char *text, int right)
{
    int len = (int)strlen(text), fill = ARROW - len - 6;

    put(out, "%9.3f ms  %s %s ", (double)t_ns / 1e6, right ? "----" : "<---", text);
    for (int i = 0; i < fill; i++)
        put(out, "-");
    put(out, "%s\n", right ? "->" : "--");
}

/* The two names, each over its end of the arrows. */
static void header(struct text *out, const struct sf_pkt *first)
{
    char left[64], right[64], head[2][96];

    endpoint(first, 1, left, sizeof(left));
    endpoint(first, 0, right, sizeof(right));
    snprintf(head[0], sizeof(head[0]), "client %s", left);
    snprintf(head[1], sizeof(head[1]), "server %s", right);
    put(out, "%14s%-*s%s\n", "", ARROW + 2 - (int)strlen(head[1]), head[0], head[1]);
}

/* One packet's arrow; -1 when out of memory. */
static int packet(struct text *out, const struct sf_wire_rec *r, const struct sf_wire_rec *first,
                  struct tcp_base *base)
{
    struct text lab = {NULL, 0, 0, 0};
    int dir = direction(&r->pkt, &first->pkt);

    label(&lab, r, dir, base);
    if (lab.failed || !lab.p) {
        free(lab.p);
        return -1;
    }
    /* Signed: a capture whose clock went backwards shows a negative time, not 1.8e13 ms. */
    arrow(out, (int64_t)(r->ts_ns - first->ts_ns), lab.p, dir == 0);
    free(lab.p);
    return 0;
}

char *sf_ladder(struct sf_err *err, const struct sf_wire_rec *const *recs, size_t n, size_t head,
                size_t tail)
{
    struct text out = {NULL, 0, 0, 0};
    struct tcp_base base = {{0, 0}, {0, 0}, {-1, -1}};
    int rc = 0;

    if (head == 0 || head + tail >= n)
        head = n, tail = 0;
    put(&out, "%s", ""); /* an empty ladder is "", not NULL */
    if (n > 0)
        header(&out, &recs[0]->pkt);
    for (size_t i = 0; i < head && rc == 0; i++)
        rc = packet(&out, recs[i], recs[0], &base);
    if (n > head + tail)
        put(&out, "%14s... %zu more packet%s ...\n", "", n - head - tail,
            n - head - tail == 1 ? "" : "s");
    for (size_t i = n - tail; i < n && rc == 0; i++)
        rc = packet(&out, recs[i], recs[0], &base);
    if (out.failed || rc < 0) {
        free(out.p);
        sf_err_sys(err, ENOMEM, "ladder", NULL);
        return NULL;
    }
    return out.p;
}
