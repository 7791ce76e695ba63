/*
 * tcp.c: the lessons about connections.  backlog: listen(1) and no accept
 * holds two connections; later SYNs get no answer, no RST, and are sent
 * again a second later; all are served once the server accepts.
 * dead-peer: what a client sees when nobody is there, per family, and when
 * a TCP peer dies in the middle of a conversation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
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
static int closed_port(struct sf_err *err)
{
    int fd = show_bound(err, SOCK_DGRAM, &dp.closed);

    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static void dead_inet(struct sf_err *err)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(dp.closed)};
    struct timeval tv = {0, 300000};
    char buf[16];
    int fd;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int64_t t0 = sf_now_ns();
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    dp.tcp = errno_of(connect(fd, (struct sockaddr *)&a, sizeof(a)));
    dp.tcp_ms = (double)(sf_now_ns() - t0) / 1e6;
    close(fd);
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sendto(fd, "hi", 2, 0, (struct sockaddr *)&a, sizeof(a));
    t0 = sf_now_ns();
    dp.udp_unconnected = errno_of(recv(fd, buf, sizeof(buf), 0));
    dp.udp_ms = (double)(sf_now_ns() - t0) / 1e6;
    close(fd);
    fd = show_connect_to(err, SOCK_DGRAM, dp.closed);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    send(fd, "hi", 2, 0);
    dp.udp_connected = errno_of(recv(fd, buf, sizeof(buf), 0));
    close(fd);
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
    dp.mid_recv = errno_of(recv(c, buf, sizeof(buf), 0));
    dp.mid_send = errno_of(send(c, "x", 1, MSG_NOSIGNAL));
    close(c);
    close(l);
    return 0;
}

static int dead_run(struct sf_err *err)
{
    if (closed_port(err) < 0)
        return -1;
    show_step("connect and send to 127.0.0.1:%u, where nobody listens", dp.closed);
    dead_inet(err);
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
     backlog_run, backlog_judge},
    {"dead-peer", "what a client sees when nobody is there, per family",
     "Nobody listening is told differently by each family: TCP's connect() fails at once\n"
     "(the peer's kernel answers the SYN with a reset); an unconnected UDP socket hears\n"
     "nothing and only its timeout ends the wait, though an ICMP port unreachable came\n"
     "back; a connected UDP socket gets ECONNREFUSED from it on its next call; AF_UNIX\n"
     "says ENOENT (no file) or ECONNREFUSED (a file left behind). A TCP peer that dies\n"
     "mid-conversation resets it: ECONNRESET, then EPIPE.",
     dead_run, dead_judge},
};
const size_t nlessons_tcp = sizeof(lessons_tcp) / sizeof(lessons_tcp[0]);

void show_live_capture(struct sf_wire *w)
{
    live = w;
}
