/*
 * tcp.c: the lessons about connections.  backlog: listen(1) and no accept
 * holds two connections; later SYNs get no answer, no RST, and are sent
 * again a second later; all are served once the server accepts.
 * dead-peer: what a client sees when nobody is there, per family, and when
 * a TCP peer dies in the middle of a conversation.  nagle: write, write,
 * read against a peer that delays its ACKs, with Nagle on and with
 * TCP_NODELAY.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "io.h"
#include "show.h"

/* ---- backlog ---------------------------------------------------------------------------- */

#define CLIENTS 4
#define PORTS 64

static struct {
    uint16_t port;
    int served;
} bl;

/* Per client port: SYNs sent, SYN-ACKs answered (a resent one counts once); RSTs. */
struct syns {
    int answered, retransmitted, resets;
    double first_resend_ms; /* from a client's first SYN to its second */
    size_t resent_first;    /* the record of that client's first SYN */
};

static struct syns count_syns(const struct sf_wire *w, uint16_t server)
{
    struct syns s = {.resent_first = SIZE_MAX};
    uint16_t ports[PORTS];
    int syn[PORTS] = {0}, synack[PORTS] = {0}, n = 0;
    uint64_t first[PORTS] = {0};
    size_t at[PORTS] = {0};

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        const struct sf_pkt *p = &r->pkt;
        int is_synack = p->flags == (SF_TCP_SYN | SF_TCP_ACK) && p->sport == server;
        int is_syn = p->flags == SF_TCP_SYN && p->dport == server, k = 0;
        uint16_t client = is_synack ? p->dport : p->sport;
        if (!r->ok || p->l4 != SF_L4_TCP)
            continue;
        s.resets += (p->flags & SF_TCP_RST) != 0;
        if (!is_synack && !is_syn)
            continue;
        while (k < n && ports[k] != client)
            k++;
        if (k == n && n == PORTS)
            continue;
        if (k == n)
            ports[n++] = client;
        s.answered += is_synack && ++synack[k] == 1;
        if (is_syn && ++syn[k] == 1)
            first[k] = r->ts_ns, at[k] = i;
        if (is_syn && syn[k] == 2 && s.retransmitted++ == 0) {
            s.first_resend_ms = (double)(r->ts_ns - first[k]) / 1e6;
            s.resent_first = at[k];
        }
    }
    return s;
}

static int some_syn_resent(const struct sf_wire *w, void *port)
{
    return count_syns(w, *(uint16_t *)port).retransmitted > 0;
}

/* Non-blocking connects to port; the descriptors into fds. */
static int connect_all(struct sf_err *err, uint16_t port, int fds[CLIENTS])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i < CLIENTS; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 ||
            (connect(fds[i], (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS))
            return sf_err_sys(err, errno, "connect", "127.0.0.1");
    }
    show_step("%d non-blocking connects to a listen(1) socket that does not accept", CLIENTS);
    return 0;
}

/* Accept every client (bounded), then count those whose connect completed. */
static int serve_all(int l, const int fds[CLIENTS])
{
    int64_t deadline = sf_deadline_after_ms(10000);
    int accepted = 0, done = 0;

    show_step("accept() them all");
    while (accepted < CLIENTS && sf_now_ns() < deadline) {
        if (!show_wait_readable(l, 200))
            continue;
        int a = accept(l, NULL, NULL);
        if (a >= 0)
            accepted++, close(a);
    }
    for (int i = 0; i < CLIENTS; i++) {
        struct pollfd p = {.fd = fds[i], .events = POLLOUT};
        int e = 0;
        socklen_t len = sizeof(e);
        if (poll(&p, 1, 2000) > 0 && getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &e, &len) == 0 &&
            e == 0)
            done++;
    }
    return accepted < done ? accepted : done;
}

static struct sf_wire *live; /* the running capture, for the backlog's wait */

static int backlog_run(struct sf_err *err)
{
    int fds[CLIENTS] = {-1, -1, -1, -1};
    int l = show_bound(err, SOCK_STREAM, &bl.port), rc = -1;

    if (l < 0)
        return -1;
    if (listen(l, 1) < 0) {
        sf_err_sys(err, errno, "listen", "127.0.0.1");
    } else if (connect_all(err, bl.port, fds) == 0) {
        /* Until a SYN was sent again (about a second): the queue is full and stays so. */
        if (live)
            sf_wire_wait(live, some_syn_resent, &bl.port, sf_deadline_after_ms(5000));
        bl.served = serve_all(l, fds);
        rc = 0;
    }
    for (int i = 0; i < CLIENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    close(l);
    return rc;
}

static void backlog_judge(const struct sf_wire *w, struct show_out *o)
{
    struct syns s = count_syns(w, bl.port);

    show_fig(o, "clients", CLIENTS, "", "clients: %d, connecting at once to listen(1)", CLIENTS);
    show_fig(o, "answered_at_once", s.answered - s.retransmitted, "",
             "answered at once (SYN-ACK): %d; the accept queue holds backlog + 1",
             s.answered - s.retransmitted);
    show_fig(o, "syns_resent", s.retransmitted, "",
             "clients whose SYN went unanswered and was sent again: %d", s.retransmitted);
    show_fig(o, "first_resend_ms", s.first_resend_ms, "ms",
             "the first SYN sent again after %.0f ms (the initial RTO, 1 s)", s.first_resend_ms);
    show_fig(o, "resets", s.resets, "", "resets sent: %d (a full queue says nothing)", s.resets);
    show_fig(o, "served", bl.served, "", "served once the server accepted: %d of %d", bl.served,
             CLIENTS);
    o->ladder_first = s.resent_first; /* a client the full queue left waiting */
    if (s.retransmitted < 1 || s.answered - s.retransmitted >= CLIENTS)
        show_fails(o, "%d of %d answered at once, %d SYNs resent", s.answered - s.retransmitted,
                   CLIENTS, s.retransmitted);
    if (s.resets)
        show_fails(o, "a full queue sent %d resets (net.ipv4.tcp_abort_on_overflow?)", s.resets);
    if (bl.served != CLIENTS)
        show_fails(o, "%d of %d clients served", bl.served, CLIENTS);
}

/* ---- dead-peer -------------------------------------------------------------------------- */

static struct {
    uint16_t closed; /* a port nobody listens on */
    int tcp, udp_unconnected, udp_connected, unix_missing, unix_stale, mid_send, mid_recv;
    double tcp_ms, udp_ms;
} dp;

static int errno_of(int rc)
{
    return rc < 0 ? errno : 0;
}

/* A port of 127.0.0.1 that nobody holds (bound, then closed). */
/*
 * The three clients (TCP, UDP unconnected, UDP connected), each bound to a
 * port of its own first, then a port of 127.0.0.1 that nobody holds (bound,
 * then closed) and that is none of theirs: a client whose own port were
 * the "closed" one would talk to itself (a datagram back to its sender, a
 * TCP self-connect).  0, or -1 with err.
 */
static int dead_sockets(struct sf_err *err, int fds[3])
{
    static const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_DGRAM};
    uint16_t mine[3];

    for (int i = 0; i < 3; i++)
        if ((fds[i] = show_bound(err, types[i], &mine[i])) < 0)
            return -1;
    for (int tries = 0; tries < 16; tries++) {
        int fd = show_bound(err, SOCK_DGRAM, &dp.closed);
        if (fd < 0)
            return -1;
        close(fd);
        if (dp.closed != mine[0] && dp.closed != mine[1] && dp.closed != mine[2])
            return 0;
    }
    return sf_err_set(err, SF_ERR_SYS, EADDRINUSE, NULL, "no free port apart from the clients'");
}

static void dead_inet(const int fds[3])
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(dp.closed)};
    struct timeval tv = {0, 300000};
    char buf[16];

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int64_t t0 = sf_now_ns();
    dp.tcp = errno_of(connect(fds[0], (struct sockaddr *)&a, sizeof(a)));
    dp.tcp_ms = (double)(sf_now_ns() - t0) / 1e6;
    setsockopt(fds[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sendto(fds[1], "hi", 2, 0, (struct sockaddr *)&a, sizeof(a));
    t0 = sf_now_ns();
    dp.udp_unconnected = errno_of(recv(fds[1], buf, sizeof(buf), 0));
    dp.udp_ms = (double)(sf_now_ns() - t0) / 1e6;
    setsockopt(fds[2], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fds[2], (struct sockaddr *)&a, sizeof(a)) == 0)
        send(fds[2], "hi", 2, 0);
    dp.udp_connected = errno_of(recv(fds[2], buf, sizeof(buf), 0));
}

static void dead_unix(void)
{
    char dir[] = "/tmp/sockfam-show-XXXXXX";
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd;

    if (!mkdtemp(dir))
        return;
    snprintf(a.sun_path, sizeof(a.sun_path), "%s/nobody.sock", dir);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    dp.unix_missing = errno_of(connect(fd, (struct sockaddr *)&a, sizeof(a)));
    close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); /* a socket file left behind */
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    close(fd);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    dp.unix_stale = errno_of(connect(fd, (struct sockaddr *)&a, sizeof(a)));
    close(fd);
    unlink(a.sun_path);
    rmdir(dir);
}

/* A TCP peer that dies (SO_LINGER 0: a reset) while the client is talking to it. */
static int dead_mid_conversation(struct sf_err *err)
{
    struct linger lg = {1, 0};
    char buf[16];
    uint16_t port;
    int l = show_bound(err, SOCK_STREAM, &port);
    int c = l >= 0 && listen(l, 1) == 0 ? show_connect_to(err, SOCK_STREAM, port) : -1;
    int a = c >= 0 ? accept(l, NULL, NULL) : -1;

    if (a < 0)
        return -1;
    setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(a); /* the peer dies: a reset */
    show_wait_readable(c, 2000);
    dp.mid_recv = errno_of(recv(c, buf, sizeof(buf), MSG_DONTWAIT));
    dp.mid_send = errno_of(send(c, "x", 1, MSG_NOSIGNAL));
    close(c);
    close(l);
    return 0;
}

static int dead_run(struct sf_err *err)
{
    int fds[3] = {-1, -1, -1}, rc = dead_sockets(err, fds);

    if (rc == 0) {
        show_step("connect and send to 127.0.0.1:%u, where nobody listens", dp.closed);
        dead_inet(fds);
    }
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    if (rc < 0)
        return -1;
    dead_unix();
    return dead_mid_conversation(err);
}

static void dead_judge(const struct sf_wire *w, struct show_out *o)
{
    int rst = 0, unreach = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        rst += p->l4 == SF_L4_TCP && p->sport == dp.closed && (p->flags & SF_TCP_RST);
        unreach += p->l4 == SF_L4_ICMP && p->type == 3 && p->code == 3;
    }
    show_fig(o, "tcp_refused", dp.tcp == ECONNREFUSED, "",
             "tcp connect(): %s after %.2f ms (the peer's kernel answered the SYN with RST: %d)",
             show_errno_name(dp.tcp), dp.tcp_ms, rst);
    show_fig(o, "udp_unconnected_waited_ms", dp.udp_ms, "ms",
             "udp, unconnected: nothing but the timeout, %s after %.0f ms (the port-unreachable "
             "the kernel got, %d, is not told to it)",
             show_errno_name(dp.udp_unconnected), dp.udp_ms, unreach);
    show_fig(o, "udp_connected_refused", dp.udp_connected == ECONNREFUSED, "",
             "udp, connected: %s on the recv() after the send (ICMP port unreachable)",
             show_errno_name(dp.udp_connected));
    show_fig(o, "unix_missing_enoent", dp.unix_missing == ENOENT, "", "unix, no socket file: %s",
             show_errno_name(dp.unix_missing));
    show_fig(o, "unix_stale_refused", dp.unix_stale == ECONNREFUSED, "",
             "unix, a socket file nobody listens on: %s", show_errno_name(dp.unix_stale));
    show_fig(o, "tcp_reset_mid_conversation", dp.mid_recv == ECONNRESET, "",
             "tcp, the peer died mid-conversation (RST): recv() %s, then send() %s",
             show_errno_name(dp.mid_recv), show_errno_name(dp.mid_send));
    o->ladder_first = show_first_of(w, dp.closed);
    if (dp.tcp != ECONNREFUSED || dp.udp_connected != ECONNREFUSED || dp.udp_unconnected != EAGAIN)
        show_fails(o, "tcp %s, udp connected %s, unconnected %s", show_errno_name(dp.tcp),
                   show_errno_name(dp.udp_connected), show_errno_name(dp.udp_unconnected));
    if (dp.unix_missing != ENOENT || dp.unix_stale != ECONNREFUSED)
        show_fails(o, "unix: %s and %s", show_errno_name(dp.unix_missing),
                   show_errno_name(dp.unix_stale));
    if (dp.mid_recv != ECONNRESET || (dp.mid_send != EPIPE && dp.mid_send != ECONNRESET))
        show_fails(o, "a reset mid-conversation gave recv %s, send %s",
                   show_errno_name(dp.mid_recv), show_errno_name(dp.mid_send));
    if (rst < 1 || unreach < 2)
        show_fails(o, "on the wire: %d RST and %d port unreachable", rst, unreach);
}

const struct lesson lessons_tcp[] = {
    {"backlog", "listen(1) and no accept: later SYNs go unanswered, no RST, sent again in 1 s",
     "The accept queue holds backlog + 1 connections. When it is full, Linux drops a\n"
     "new SYN without a word (no RST: the client is not refused, it waits), and the\n"
     "client's kernel sends it again after the initial RTO, a second. Once the server\n"
     "accepts, every client is served. A slow accept loop costs clients seconds.",
     backlog_run, backlog_judge, NULL},
    {"dead-peer", "what a client sees when nobody is there, per family",
     "Nobody listening is told differently by each family: TCP's connect() fails at once\n"
     "(the peer's kernel answers the SYN with a reset); an unconnected UDP socket hears\n"
     "nothing and only its timeout ends the wait, though an ICMP port unreachable came\n"
     "back; a connected UDP socket gets ECONNREFUSED from it on its next call; AF_UNIX\n"
     "says ENOENT (no file) or ECONNREFUSED (a file left behind). A TCP peer that dies\n"
     "mid-conversation resets it: ECONNRESET, then EPIPE.",
     dead_run, dead_judge, NULL},
};
const size_t nlessons_tcp = sizeof(lessons_tcp) / sizeof(lessons_tcp[0]);

void show_live_capture(struct sf_wire *w)
{
    live = w;
}

/* ---- nagle ------------------------------------------------------------------------------ */

#define ROUNDS 6

static struct {
    uint16_t port[2];   /* the client's port: with Nagle, with TCP_NODELAY */
    double round_ms[2]; /* the median warm round, each way */
} ng;

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * One connection, ROUNDS requests of two small writes ("head", "body")
 * answered once both are in: the median of the rounds after the first
 * (the first runs in quick-ACK mode; then the server's kernel delays its
 * ACKs, as it does for a conversation).  The client's port into *port.
 */
static int nagle_conn(struct sf_err *err, int nodelay, uint16_t *port, double *median)
{
    double ms[ROUNDS];
    char buf[64];
    uint16_t lp;
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    int l = show_bound(err, SOCK_STREAM, &lp);
    int c = l >= 0 && listen(l, 1) == 0 ? show_connect_to(err, SOCK_STREAM, lp) : -1;
    int s = c >= 0 ? accept(l, NULL, NULL) : -1, one = 1;

    if (s < 0)
        return c >= 0 ? sf_err_sys(err, errno, "accept", "127.0.0.1") : -1;
    getsockname(c, (struct sockaddr *)&me, &len);
    *port = ntohs(me.sin_port);
    if (nodelay)
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    show_step("%s: %d rounds of write('head'), write('body'), read()",
              nodelay ? "TCP_NODELAY" : "Nagle", ROUNDS);
    for (int r = 0; r < ROUNDS; r++) {
        int64_t t0 = sf_now_ns();
        ssize_t got = 0, n = 1;
        send(c, "head", 4, MSG_NOSIGNAL);
        send(c, "body", 4, MSG_NOSIGNAL);
        while (got < 8 && n > 0 && show_wait_readable(s, 2000))
            got += n = recv(s, buf, sizeof(buf), 0);
        send(s, "ok", 2, MSG_NOSIGNAL);
        if (show_wait_readable(c, 2000))
            recv(c, buf, sizeof(buf), 0);
        ms[r] = (double)(sf_now_ns() - t0) / 1e6;
    }
    qsort(ms + 1, ROUNDS - 1, sizeof(ms[0]), by_double);
    *median = ms[1 + (ROUNDS - 1) / 2];
    close(s), close(c), close(l);
    return 0;
}

static int nagle_run(struct sf_err *err)
{
    return nagle_conn(err, 0, &ng.port[0], &ng.round_ms[0]) < 0
               ? -1
               : nagle_conn(err, 1, &ng.port[1], &ng.round_ms[1]);
}

/*
 * The last round of the connection from port: the gap between its "head"
 * and its "body" segments, and whether the server's ACK of "head" came
 * between them (Nagle held "body" for it).
 */
static double body_gap(const struct sf_wire *w, uint16_t port, int *acked_between)
{
    uint64_t head_ts = 0;
    uint32_t head_end = 0;
    double gap = -1;

    *acked_between = 0;
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        const struct sf_pkt *p = &r->pkt;
        if (!r->ok || p->l4 != SF_L4_TCP || (p->sport != port && p->dport != port))
            continue;
        if (p->sport == port && p->payload_len == 4 && !memcmp(p->payload, "head", 4))
            head_ts = r->ts_ns, head_end = p->seq + 4, *acked_between = 0;
        else if (head_ts && p->dport == port && p->ack == head_end && !p->payload_len)
            *acked_between = 1;
        else if (head_ts && p->sport == port && p->payload_len == 4 &&
                 !memcmp(p->payload, "body", 4))
            gap = (double)(r->ts_ns - head_ts) / 1e6;
    }
    return gap;
}

static void nagle_judge(const struct sf_wire *w, struct show_out *o)
{
    int acked[2];
    double gap[2] = {body_gap(w, ng.port[0], &acked[0]), body_gap(w, ng.port[1], &acked[1])};

    show_fig(o, "nagle_round_ms", ng.round_ms[0], "ms",
             "Nagle on: a round (write, write, read) took %.2f ms (median of %d)", ng.round_ms[0],
             ROUNDS - 1);
    show_fig(o, "nagle_body_after_ms", gap[0], "ms",
             "  on the wire, 'body' left %.2f ms after 'head', %s", gap[0],
             acked[0] ? "after the server's delayed ACK of it" : "with no ACK between");
    show_fig(o, "nodelay_round_ms", ng.round_ms[1], "ms", "TCP_NODELAY: a round took %.3f ms",
             ng.round_ms[1]);
    show_fig(o, "nodelay_body_after_ms", gap[1], "ms",
             "  on the wire, 'body' left %.3f ms after 'head', %s", gap[1],
             acked[1] ? "after an ACK" : "at once, no ACK awaited");
    o->ladder_first = show_first_of(w, ng.port[0]);
    o->ladder_head = 0;
    if (ng.round_ms[0] < 30 || gap[0] < 30 || !acked[0])
        show_fails(
            o,
            "with Nagle a round took %.2f ms, 'body' %.2f ms after 'head' (ACK between: %d): "
            "no delayed-ACK stall",
            ng.round_ms[0], gap[0], acked[0]);
    if (ng.round_ms[1] >= 30 || gap[1] < 0 || gap[1] >= 30)
        show_fails(o, "with TCP_NODELAY a round took %.2f ms", ng.round_ms[1]);
}

const struct lesson lessons_nagle[] = {
    {"nagle", "write, write, read: Nagle holds the second write for a delayed ACK, 40 ms",
     "Nagle's algorithm (RFC 896) sends a small segment only when nothing is unacknowledged;\n"
     "the receiver's kernel delays its ACK (at least 40 ms here) hoping to send it with a\n"
     "reply, and the reply waits for the second write: each round stalls. TCP_NODELAY sends\n"
     "at once. Set it for request/reply protocols, or write each message in one call.",
     nagle_run, nagle_judge, NULL},
};
const size_t nlessons_nagle = 1;
