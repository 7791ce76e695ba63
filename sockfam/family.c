/* family: the runner's table of families and what reads it; see family.h. */
#include "family.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sysexits.h>

#include "json.h"
#include "priv.h"

#define STREAM_SECTIONS                                                                            \
    (SEC_BIT(SEC_LATENCY) | SEC_BIT(SEC_STREAM) | SEC_BIT(SEC_CONNECT) | SEC_BIT(SEC_CROWD) |      \
     SEC_BIT(SEC_MODELS))
#define DGRAM_SECTIONS (SEC_BIT(SEC_LATENCY) | SEC_BIT(SEC_DGRAM))

/* The order of the rows is the order of compare's table and of its JSON. */
const struct family families[] = {
    {
        .name = "tcp",
        .socket = "AF_INET SOCK_STREAM",
        .setup = "3-way handshake",
        .delivery = "reliable, ordered",
        .server = "tcp-server",
        .client = "tcp-client",
        .line = LINE_INET,
        .owns = OWNS_TCP_PORT,
        .floor = FLOOR_TCP,
        .sections = STREAM_SECTIONS,
    },
    {
        .name = "udp",
        .socket = "AF_INET SOCK_DGRAM",
        .setup = "none",
        .boundaries = 1,
        .delivery = "best effort",
        .server = "udp-server",
        .client = "udp-client",
        .line = LINE_INET,
        /* Its default of 10000 replies a second to one source ends forged echo loops;
         * the runners measure on loopback or in their own namespace, where nothing is
         * forged, and their round trips would otherwise stop at 10000 a second. */
        .server_flags = {"--rate-limit", "0"},
        .connect = "--connect",
        .owns = OWNS_UDP_PORT,
        .floor = FLOOR_UDP_SERVER,
        .sections = DGRAM_SECTIONS,
    },
    {
        .name = "unix-stream",
        .group = "unix",
        .socket = "AF_UNIX SOCK_STREAM",
        .setup = "connect(), local",
        .delivery = "reliable, ordered",
        .server = "unix-server",
        .client = "unix-client",
        .line = LINE_LOCAL,
        .flags = {"--type", "stream"},
        .owns = OWNS_NOTHING,
        .floor = FLOOR_STREAM,
        .sections = STREAM_SECTIONS,
    },
    {
        .name = "unix-dgram",
        .group = "unix",
        .socket = "AF_UNIX SOCK_DGRAM",
        .setup = "none",
        .boundaries = 1,
        .delivery = "reliable (sender waits)",
        .server = "unix-server",
        .client = "unix-client",
        .line = LINE_LOCAL,
        .flags = {"--type", "dgram"},
        .connect = "--connect",
        .owns = OWNS_NOTHING,
        .floor = FLOOR_DGRAM_SERVER,
        .sections = DGRAM_SECTIONS,
    },
    {
        .name = "unix-seqpacket",
        .group = "unix",
        .socket = "AF_UNIX SOCK_SEQPACKET",
        .setup = "connect(), local",
        .boundaries = 1,
        .delivery = "reliable, ordered",
        .server = "unix-server",
        .client = "unix-client",
        .line = LINE_LOCAL,
        .flags = {"--type", "seqpacket"},
        .owns = OWNS_NOTHING,
        .floor = FLOOR_SEQPACKET,
        .sections = SEC_BIT(SEC_LATENCY),
    },
    {
        .name = "icmp",
        .socket = "AF_INET SOCK_RAW IPPROTO_ICMP",
        /* icmp-ping opens a raw socket, or where it may not (no CAP_NET_RAW) the ICMP
         * datagram socket that net.ipv4.ping_group_range allows; its summary says which. */
        .sockets = {{"raw", "AF_INET SOCK_RAW IPPROTO_ICMP"},
                    {"dgram", "AF_INET SOCK_DGRAM IPPROTO_ICMP"}},
        .setup = "none",
        .boundaries = 1,
        .delivery = "best effort",
        .server = "icmp-echod",
        .client = "icmp-ping",
        .line = LINE_PING,
        .kernel_off = "/proc/sys/net/ipv4/icmp_echo_ignore_all",
        .kernel_off6 = "/proc/sys/net/ipv6/icmp/echo_ignore_all",
        .owns = OWNS_ICMP,
        .floor = FLOOR_ICMP,
        .sections = SEC_BIT(SEC_LATENCY),
    },
    {
        /* Multipath TCP (RFC 8684) on one path: the SYN carries MP_CAPABLE. */
        .name = "mptcp",
        .socket = "AF_INET SOCK_STREAM IPPROTO_MPTCP",
        .setup = "3-way, MP_CAPABLE",
        .delivery = "reliable, ordered",
        .server = "tcp-server",
        .client = "tcp-client",
        .line = LINE_INET,
        .flags = {"--mptcp"},
        .refused_exit = EX_UNAVAILABLE, /* socket(IPPROTO_MPTCP) refused: see tcp-server */
        .owns = OWNS_TCP_PORT,
        .floor = FLOOR_TCP,
        .sections = 0, /* compare only: the bench has no MPTCP floor */
    },
};

const int family_count = (int)(sizeof(families) / sizeof(families[0]));

_Static_assert(sizeof(families) / sizeof(families[0]) <= FAM_MAX, "raise FAM_MAX in family.h");

int family_find(const char *name, size_t n)
{
    for (int i = 0; i < family_count; i++)
        if (strlen(families[i].name) == n && memcmp(families[i].name, name, n) == 0)
            return i;
    return -1;
}

const char *family_names(char *buf, size_t cap)
{
    size_t at = 0;

    buf[0] = '\0';
    for (int i = 0; i < family_count && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", families[i].name);
    return buf;
}

/* The list's words for the error message: every name, every group once, "all". */
static void words(char *buf, size_t cap)
{
    size_t at = strlen(family_names(buf, cap));

    for (int i = 0; i < family_count && at < cap; i++) {
        const char *g = families[i].group;
        int seen = 0;
        for (int k = 0; g && k < i; k++)
            seen |= families[k].group && strcmp(families[k].group, g) == 0;
        if (g && !seen)
            at += (size_t)snprintf(buf + at, cap - at, ", %s", g);
    }
    if (at < cap)
        snprintf(buf + at, cap - at, ", all");
}

/* One word of the list into on[]: a row, a group, or "all".  0, or -1 with err. */
static int take(struct sf_err *err, const char *word, size_t n, int on[FAM_MAX], fam_filter filter)
{
    int row = family_find(word, n), any = 0;
    char list[512];

    if (row >= 0) {
        const char *why = filter ? filter(&families[row]) : NULL;
        if (why)
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "--families: %s %s", families[row].name,
                              why);
        on[row] = 1;
        return 0;
    }
    for (int i = 0; i < family_count; i++) {
        const char *g = families[i].group;
        int match = (n == 3 && memcmp(word, "all", 3) == 0) ||
                    (g && strlen(g) == n && memcmp(g, word, n) == 0);
        if (match && !(filter && filter(&families[i])))
            on[i] = 1;
        any |= match;
    }
    if (any)
        return 0;
    words(list, sizeof(list));
    return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "--families: unknown family '%.*s' (%s)",
                      (int)n, word, list);
}

int family_parse_list(struct sf_err *err, const char *list, int on[FAM_MAX], fam_filter filter)
{
    memset(on, 0, sizeof(int) * FAM_MAX);
    for (const char *p = list;;) {
        size_t n = strcspn(p, ",");
        if (take(err, p, n, on, filter) < 0)
            return -1;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

/*
 * Append s to the argv being built.  The longest line is 20 words, half the
 * room; the bound only keeps a future row from writing past the array.
 */
static void put(struct fam_argv *v, int *n, const char *s)
{
    if (*n < (int)(sizeof(v->v) / sizeof(v->v[0])) - 1)
        v->v[(*n)++] = s;
}

/* A number kept in v's storage slot k, appended as "-c", "20". */
static void put_num(struct fam_argv *v, int *n, int k, const char *opt, long long x)
{
    snprintf(v->num[k], sizeof(v->num[k]), "%lld", x);
    put(v, n, opt);
    put(v, n, v->num[k]);
}

/* Up to three arguments of a row (flags, server_flags), to the first NULL. */
static void put_flags(const char *const flags[3], struct fam_argv *v, int *n)
{
    for (size_t i = 0; i < 3 && flags[i]; i++)
        put(v, n, flags[i]);
}

const char *const *family_server_argv(const struct family *f, const struct fam_args *a,
                                      struct fam_argv *v)
{
    int n = 0;

    put(v, &n, f->server);
    if (f->line == LINE_PING) {
        put(v, &n, a->v6 ? "-6" : "-4"); /* the family the runner's clients ping */
    } else {
        /* Quiet, and reading 64 KiB at once: no runner sends a larger message (a burst may
         * ask for more, so that no read is cut by the server's buffer). */
        put(v, &n, "--mode"), put(v, &n, a->mode), put(v, &n, "-q");
        if (a->spin)
            put(v, &n, "--spin");
        put_num(v, &n, 1, "--recv-size", a->recv_size ? (long long)a->recv_size : 65536);
        if (a->backlog > 0)
            put_num(v, &n, 0, "--backlog", a->backlog);
        if (a->model)
            put(v, &n, "--model"), put(v, &n, a->model);
        if (a->idle_timeout_s > 0)
            put_num(v, &n, 2, "--idle-timeout", a->idle_timeout_s);
        put_flags(f->flags, v, &n);
        put_flags(f->server_flags, v, &n);
        if (f->line == LINE_LOCAL)
            put(v, &n, "--bind"), put(v, &n, a->path);
        else if (a->host)
            put(v, &n, a->v6 ? "-6" : "-4"), put(v, &n, "--bind"), put(v, &n, a->host),
                put(v, &n, "-p"), put(v, &n, "0");
        else
            put(v, &n, "-4"), put(v, &n, "-p"), put(v, &n, "0");
    }
    v->v[n] = NULL;
    return v->v;
}

const char *const *family_client_argv(const struct family *f, const struct fam_args *a,
                                      struct fam_argv *v)
{
    int n = 0;

    put(v, &n, f->client);
    put(v, &n, "--json"), put(v, &n, "-q");
    put_num(v, &n, 0, "-c", (long long)a->count);
    put_num(v, &n, 1, "-s", (long long)a->size);
    if (f->line == LINE_PING) {
        /* The next request as soon as the reply comes; where icmp-ping will refuse that (a
         * user, not root: iputils' 2 ms floor, see sf_priv_may_flood), one each 2 ms. */
        put(v, &n, "-i"), put(v, &n, sf_priv_may_flood() ? "0" : "0.002");
        if (a->burst)
            put_num(v, &n, 2, "-l", (long long)a->count); /* every request at once */
        if (a->wait)
            put(v, &n, "-W"), put(v, &n, a->wait);
        put(v, &n, a->host ? a->host : "127.0.0.1");
        v->v[n] = NULL;
        return v->v;
    }
    put(v, &n, "--mode"), put(v, &n, a->mode);
    if (a->spin)
        put(v, &n, "--spin");
    if (a->burst)
        put(v, &n, "--burst");
    if (a->warmup >= 0)
        put_num(v, &n, 2, "--warmup", a->warmup);
    if (a->wait)
        put(v, &n, "-w"), put(v, &n, a->wait);
    if (a->connect && f->connect)
        put(v, &n, f->connect);
    put_flags(f->flags, v, &n);
    if (f->line == LINE_LOCAL) {
        put(v, &n, a->path);
    } else {
        put_num(v, &n, 3, "-p", a->port);
        put(v, &n, a->host ? a->host : "127.0.0.1");
    }
    v->v[n] = NULL;
    return v->v;
}

int family_ready(struct sf_err *err, const struct family *f, const struct sf_ready *r,
                 struct fam_args *a)
{
    if (f->line != LINE_INET)
        return 0;
    if (r->port <= 0)
        return sf_err_set(err, SF_ERR_PEER, 0, NULL, "%s: no port in 'listening on %s'", f->server,
                          r->addr);
    a->port = r->port;
    return 0;
}

const char *family_where(const struct family *f, const struct fam_args *a, char *buf, size_t cap)
{
    if (f->line == LINE_LOCAL)
        snprintf(buf, cap, "%s", a->path);
    else if (f->line == LINE_INET)
        snprintf(buf, cap, a->v6 ? "[%s]:%d" : "%s:%d", a->host ? a->host : "127.0.0.1", a->port);
    else
        snprintf(buf, cap, "%s", a->host ? a->host : "127.0.0.1");
    return buf;
}

int family_sockaddr(struct sf_err *err, const struct family *f, const struct fam_args *a,
                    struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    if (f->line == LINE_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_family = AF_INET;
        in->sin_port = htons((uint16_t)a->port);
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        *len = sizeof(*in);
        return 0;
    }
    if (f->line == LINE_LOCAL) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        size_t n = strlen(a->path);
        if (n >= sizeof(un->sun_path))
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "%s: too long for sun_path", a->path);
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->path, n);
        if (a->path[0] == '@') /* abstract: a leading NUL, and no terminator counted */
            un->sun_path[0] = '\0';
        *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (a->path[0] != '@'));
        return 0;
    }
    return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "%s: no server address", f->name);
}

int family_owns(const struct family *f, const struct sf_pkt *p, int port)
{
    switch (f->owns) {
    case OWNS_TCP_PORT:
    case OWNS_UDP_PORT:
        return port > 0 && p->l4 == (f->owns == OWNS_TCP_PORT ? SF_L4_TCP : SF_L4_UDP) &&
               (p->sport == port || p->dport == port);
    case OWNS_ICMP: /* echo requests and replies: not neighbour discovery, listener reports,
                       nor the errors other packets caused */
        return (p->l4 == SF_L4_ICMP && (p->type == 8 || p->type == 0)) ||
               (p->l4 == SF_L4_ICMP6 && (p->type == 128 || p->type == 129));
    case OWNS_NOTHING:
        break;
    }
    return 0;
}

int family_handshake(const struct family *f)
{
    return f->owns == OWNS_TCP_PORT;
}

/* family_wire_bound's room: a connection's frames besides its messages, and per frame. */
#define WIRE_OPENING_CLOSE 16 /* SYN, SYN-ACK, ACK, two FINs and their ACKs, and slack */
#define WIRE_HEADERS 100      /* Ethernet 14 + IPv4 20 + TCP 20 and 40 of options, or less */
#define WIRE_REPLY_EXTRA 7    /* "echo=> " */

void family_wire_bound(const struct family *f, unsigned long count, unsigned long size,
                       unsigned mtu, int copies, unsigned long long *packets,
                       unsigned long long *bytes)
{
    unsigned long long msg = size + WIRE_REPLY_EXTRA, room = mtu > WIRE_HEADERS ? mtu - 60 : 1;
    unsigned long long pieces = msg / room + 1, frame = msg < mtu ? msg : mtu;

    *packets = *bytes = 0;
    if (f->owns == OWNS_NOTHING)
        return;
    *packets = 2ull * count * pieces + count / 4 + WIRE_OPENING_CLOSE;
    if (pieces > 1)
        *packets += 2ull * count * pieces; /* a bare ACK each way per segment, at most */
    if (copies)
        *packets *= 2;
    *bytes = *packets * (frame + WIRE_HEADERS);
}

const char *family_socket(const struct family *f, const char *word)
{
    for (size_t i = 0; word && *word && i < sizeof(f->sockets) / sizeof(f->sockets[0]); i++)
        if (f->sockets[i].word && strcmp(f->sockets[i].word, word) == 0)
            return f->sockets[i].socket;
    return f->socket;
}

/* The number at path, scaled, into *out; 1 if it was there. */
static int number(const char *json, size_t len, const char *path, double scale, double *out)
{
    struct sf_json_val v;

    if (sf_json_get(json, len, path, &v) != 1 || v.type != SF_JSON_NUMBER)
        return 0;
    *out = v.num * scale;
    return 1;
}

/* The figures a client adds for `sockfam compare`'s delivery and latency columns. */
static void extras(const char *json, size_t len, int ping, struct fam_summary *s)
{
    char path[48];

    number(json, len, ping ? "duplicates" : "stray", 1, &s->stray);
    s->dropped = -1; /* not said */
    number(json, len, "dropped", 1, &s->dropped);
    s->tcp_retrans = -1;
    number(json, len, "tcp_retrans", 1, &s->tcp_retrans);
    number(json, len, ping ? "rtt_ms.over_100ms" : "rtt_us.over_100ms", 1, &s->over_100ms);
    for (s->ncdf = 0; s->ncdf < 16; s->ncdf++) {
        double *pt = s->cdf[s->ncdf];
        snprintf(path, sizeof(path), "%s.cdf.%d.0", ping ? "rtt_ms" : "rtt_us", s->ncdf);
        if (!number(json, len, path, 1, &pt[0]))
            break;
        snprintf(path, sizeof(path), "%s.cdf.%d.1", ping ? "rtt_ms" : "rtt_us", s->ncdf);
        if (!number(json, len, path, ping ? 1000 : 1, &pt[1]))
            break;
    }
    for (s->nhist = 0; s->nhist < SF_HIST_MAX; s->nhist++) {
        double *bin = s->hist[s->nhist];
        snprintf(path, sizeof(path), "%s.hist.%d.0", ping ? "rtt_ms" : "rtt_us", s->nhist);
        if (!number(json, len, path, ping ? 1000 : 1, &bin[0]))
            break;
        snprintf(path, sizeof(path), "%s.hist.%d.1", ping ? "rtt_ms" : "rtt_us", s->nhist);
        if (!number(json, len, path, 1, &bin[1]))
            break;
    }
}

int family_server_counter(const char *line, const char *name, unsigned long long *v)
{
    size_t n = strlen(name);
    char *end;

    for (const char *p = strstr(line, name); p; p = strstr(p + 1, name)) {
        int starts = p == line || p[-1] == ' ';
        if (!starts || p[n] != ' ' || p[n + 1] < '0' || p[n + 1] > '9')
            continue;
        *v = strtoull(p + n + 1, &end, 10);
        return 1;
    }
    return 0;
}

const char *family_summary_line(const char *out, size_t *len)
{
    const char *line = NULL;

    for (const char *p = out; (p = strchr(p, '{')); p++)
        if (p == out || p[-1] == '\n')
            line = p;
    if (line)
        *len = strcspn(line, "\n");
    return line;
}

int family_summary(const struct family *f, const char *json, size_t len, unsigned long size,
                   struct fam_summary *s)
{
    int ping = f->line == LINE_PING;
    const char *rtt[3] = {ping ? "rtt_ms.p50" : "rtt_us.p50", ping ? "rtt_ms.p99" : "rtt_us.p99",
                          ping ? "rtt_ms.avg" : "rtt_us.mean"};
    double us = ping ? 1000 : 1;
    struct sf_json_val v;

    memset(s, 0, sizeof(*s));
    if (sf_json_check(json, len, NULL) < 0)
        return -1;
    if (number(json, len, ping ? "transmitted" : "sent", 1, &s->sent) &&
        number(json, len, ping ? "received" : "answered", 1, &s->answered))
        s->have |= SUM_COUNTS;
    if (ping && (s->have & SUM_COUNTS)) { /* the echo data, each way */
        s->bytes_sent = s->sent * (double)size, s->bytes_received = s->answered * (double)size;
        s->have |= SUM_BYTES;
    } else if (!ping && number(json, len, "bytes_sent", 1, &s->bytes_sent) &&
               number(json, len, "bytes_received", 1, &s->bytes_received)) {
        s->have |= SUM_BYTES;
    }
    if (number(json, len, rtt[0], us, &s->p50_us) && number(json, len, rtt[1], us, &s->p99_us) &&
        number(json, len, rtt[2], us, &s->mean_us))
        s->have |= SUM_RTT;
    number(json, len, ping ? "rtt_ms.max" : "rtt_us.max", us, &s->max_us);
    if (ping ? number(json, len, "time_ms", 1e-3, &s->elapsed_s)
             : number(json, len, "elapsed_s", 1, &s->elapsed_s))
        s->have |= SUM_ELAPSED;
    extras(json, len, ping, s);
    if (sf_json_get(json, len, "socket", &v) == 1 && v.type == SF_JSON_STRING)
        sf_json_unescape(&v, s->socket, sizeof(s->socket));
    return 0;
}

int family_client_refused(const struct family *f, int status, int has_summary)
{
    return status == EX_NOPERM || (f->line == LINE_PING && !has_summary && status != 0);
}
