/*
 * lessons.c: the lessons that one host's sockets show, and the helpers
 * every lesson uses.  timeout: a receive timeout sends nothing.
 * truncation: a datagram's tail is lost inside the receiving host, where
 * TCP delivers the rest.  boundaries: three sends are one read on a
 * stream, three on a datagram or seqpacket socket.  Each run() keeps what
 * it measured in its own file-scope record for its judge().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "show.h"

static struct sockaddr_in loopback(uint16_t port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int show_bound(struct sf_err *err, int type, uint16_t *port)
{
    struct sockaddr_in a = loopback(0);
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        sf_err_sys(err, errno, fd < 0 ? "socket" : "bind", "127.0.0.1:0");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    show_step("%s socket bound to 127.0.0.1:%u", type == SOCK_STREAM ? "TCP" : "UDP", *port);
    return fd;
}

int show_connect_to(struct sf_err *err, int type, uint16_t port)
{
    struct sockaddr_in a = loopback(port);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        char where[32];
        snprintf(where, sizeof(where), "127.0.0.1:%u", port);
        sf_err_sys(err, errno, fd < 0 ? "socket" : "connect", where);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    show_step("%s socket connected to 127.0.0.1:%u", type == SOCK_STREAM ? "TCP" : "UDP", port);
    return fd;
}

int show_wait_readable(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    return poll(&p, 1, ms) > 0;
}

const char *show_errno_name(int e)
{
    static char other[16];

    switch (e) {
    case 0:
        return "no error";
    case EAGAIN:
        return "EAGAIN";
    case ECONNREFUSED:
        return "ECONNREFUSED";
    case ECONNRESET:
        return "ECONNRESET";
    case EPIPE:
        return "EPIPE";
    case ENOENT:
        return "ENOENT";
    case ETIMEDOUT:
        return "ETIMEDOUT";
    default:
        snprintf(other, sizeof(other), "errno %d", e);
        return other;
    }
}

size_t show_first_of(const struct sf_wire *w, uint16_t port)
{
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        if (sf_wire_at(w, i)->ok && (p->l4 == SF_L4_TCP || p->l4 == SF_L4_UDP) &&
            (p->sport == port || p->dport == port))
            return i;
    }
    return SIZE_MAX;
}

/* Packets of the flow of port, and the payload bytes they carried from port. */
static size_t packets_of(const struct sf_wire *w, uint16_t port, size_t *from_bytes)
{
    size_t n = 0;

    *from_bytes = 0;
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        if (!sf_wire_at(w, i)->ok || (p->sport != port && p->dport != port))
            continue;
        n++;
        if (p->sport == port)
            *from_bytes += p->payload_len;
    }
    return n;
}

/* ---- timeout ---------------------------------------------------------------------------- */

static struct {
    uint16_t client;
    int err;
    double waited_ms;
} to;

#define TIMEOUT_MS 300

static int timeout_run(struct sf_err *err)
{
    uint16_t port;
    int s = show_bound(err, SOCK_DGRAM, &port),
        c = s >= 0 ? show_connect_to(err, SOCK_DGRAM, port) : -1;
    struct timeval tv = {0, TIMEOUT_MS * 1000};
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    char buf[64];

    if (c < 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    getsockname(c, (struct sockaddr *)&me, &len);
    to.client = ntohs(me.sin_port);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    show_step("SO_RCVTIMEO %d ms; send 'ping'; recv() on a socket nobody answers", TIMEOUT_MS);
    send(c, "ping", 4, 0);
    int64_t t0 = sf_now_ns();
    to.err = recv(c, buf, sizeof(buf), 0) < 0 ? errno : 0;
    to.waited_ms = (double)(sf_now_ns() - t0) / 1e6;
    close(c);
    close(s);
    return 0;
}

static void timeout_judge(const struct sf_wire *w, struct show_out *o)
{
    size_t bytes, n = packets_of(w, to.client, &bytes);

    show_fig(o, "waited_ms", to.waited_ms, "ms",
             "recv() gave up after %.1f ms (SO_RCVTIMEO %d ms): %s", to.waited_ms, TIMEOUT_MS,
             show_errno_name(to.err));
    show_fig(o, "packets", (double)n, "",
             "packets of the conversation on the wire: %zu (the request)", n);
    o->ladder_first = show_first_of(w, to.client);
    if (to.err != EAGAIN)
        show_fails(o, "recv() ended with %s, not EAGAIN", show_errno_name(to.err));
    if (n != 1)
        show_fails(o, "%zu packets on the wire, not the request alone", n);
}

/* ---- truncation ------------------------------------------------------------------------- */

#define BIG 3000
#define SMALL 1024

static struct {
    uint16_t udp, tcp;
    ssize_t udp_read, udp_full, udp_next;
    int udp_trunc, udp_next_err;
    int tcp_reads;
    size_t tcp_bytes;
} tr;

/* UDP: one 3000-byte datagram into a 1024-byte buffer; what recvmsg says, and what comes next. */
static int truncation_udp(struct sf_err *err)
{
    char big[BIG], small[SMALL];
    int s = show_bound(err, SOCK_DGRAM, &tr.udp),
        c = s >= 0 ? show_connect_to(err, SOCK_DGRAM, tr.udp) : -1;
    struct iovec iov = {small, sizeof(small)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

    if (c < 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    memset(big, 'u', sizeof(big));
    send(c, big, sizeof(big), 0);
    show_wait_readable(s, 2000);
    show_step("recvmsg() with a %d-byte buffer, MSG_TRUNC", SMALL);
    tr.udp_read = recvmsg(s, &m, MSG_DONTWAIT); /* waited for above, bounded */
    tr.udp_trunc = (m.msg_flags & MSG_TRUNC) != 0;
    send(c, big, sizeof(big), 0);
    show_wait_readable(s, 2000);
    tr.udp_full = recv(s, small, sizeof(small), MSG_TRUNC | MSG_DONTWAIT); /* the real length */
    tr.udp_next = recv(s, small, sizeof(small), MSG_DONTWAIT);
    tr.udp_next_err = tr.udp_next < 0 ? errno : 0;
    close(c);
    close(s);
    return 0;
}

/* TCP: the same 3000 bytes through 1024-byte reads. */
static int truncation_tcp(struct sf_err *err)
{
    char big[BIG], small[SMALL];
    int l = show_bound(err, SOCK_STREAM, &tr.tcp);
    int c = l >= 0 && listen(l, 1) == 0 ? show_connect_to(err, SOCK_STREAM, tr.tcp) : -1;
    int a = c >= 0 ? accept(l, NULL, NULL) : -1;
    ssize_t n = 0;

    if (a < 0) {
        if (c >= 0)
            close(c);
        if (l >= 0)
            close(l);
        return c >= 0 ? sf_err_sys(err, errno, "accept", "127.0.0.1") : -1;
    }
    memset(big, 't', sizeof(big));
    send(c, big, sizeof(big), 0);
    while (tr.tcp_bytes < BIG && show_wait_readable(a, 2000) && (n = recv(a, small, SMALL, 0)) > 0)
        tr.tcp_reads++, tr.tcp_bytes += (size_t)n;
    close(a);
    close(c);
    close(l);
    return 0;
}

static int truncation_run(struct sf_err *err)
{
    return truncation_udp(err) < 0 ? -1 : truncation_tcp(err);
}

static void truncation_judge(const struct sf_wire *w, struct show_out *o)
{
    size_t udp_wire = 0, tcp_wire = 0;

    packets_of(w, tr.udp + 0, &udp_wire); /* from the server: nothing */
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        if (sf_wire_at(w, i)->ok && p->dport == tr.udp && p->payload_len > udp_wire)
            udp_wire = p->payload_len;
        if (sf_wire_at(w, i)->ok && p->dport == tr.tcp)
            tcp_wire += p->payload_len;
    }
    show_fig(o, "udp_on_wire_bytes", (double)udp_wire, "bytes",
             "udp: the wire carried the whole datagram: %zu bytes", udp_wire);
    show_fig(o, "udp_read_bytes", (double)tr.udp_read, "bytes",
             "udp: recvmsg() into %d bytes returned %zd, MSG_TRUNC %s", SMALL, tr.udp_read,
             tr.udp_trunc ? "set" : "not set");
    show_fig(o, "udp_datagram_bytes", (double)tr.udp_full, "bytes",
             "udp: the datagram was %zd bytes (recv with MSG_TRUNC says so)", tr.udp_full);
    show_fig(o, "udp_next_read", (double)tr.udp_next, "",
             "udp: the next read finds %s: the other %zd bytes are gone",
             tr.udp_next < 0 ? show_errno_name(tr.udp_next_err) : "data", tr.udp_full - SMALL);
    show_fig(o, "tcp_reads", tr.tcp_reads, "",
             "tcp: the same %d bytes came in %d reads of at most %d", BIG, tr.tcp_reads, SMALL);
    show_fig(o, "tcp_bytes", (double)tr.tcp_bytes, "bytes", "tcp: %zu bytes read in all",
             tr.tcp_bytes);
    o->ladder_first = show_first_of(w, tr.udp);
    if (udp_wire != BIG || tr.udp_read != SMALL || !tr.udp_trunc || tr.udp_full != BIG)
        show_fails(o, "udp: %zu on the wire, %zd read, MSG_TRUNC %d, datagram %zd", udp_wire,
                   tr.udp_read, tr.udp_trunc, tr.udp_full);
    if (tr.udp_next >= 0)
        show_fails(o, "udp: a second read found %zd more bytes of the datagram", tr.udp_next);
    if (tr.tcp_bytes != BIG || tr.tcp_reads < 3 || tcp_wire != BIG)
        show_fails(o, "tcp: %zu bytes in %d reads (%zu on the wire)", tr.tcp_bytes, tr.tcp_reads,
                   tcp_wire);
}

/* ---- boundaries ------------------------------------------------------------------------- */

#define MSG 100

static struct {
    uint16_t tcp;
    int tcp_reads, stream_reads, udp_reads, seq_reads, dgram_reads;
    size_t tcp_first, stream_first;
} bd;

/* Three sends of 100 bytes on w, then every read on r once they are all there: how many. */
static int reads_of_three(int w, int r, int stream, size_t *first)
{
    char msg[MSG], buf[4096];
    int reads = 0;
    ssize_t n;

    memset(msg, 'b', sizeof(msg));
    for (int i = 0; i < 3; i++)
        send(w, msg, sizeof(msg), 0);
    if (stream) { /* readable once all three are queued (tcp; a socketpair queues on send) */
        int low = 3 * MSG, one = 1;
        setsockopt(r, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof(low));
        show_wait_readable(r, 2000);
        setsockopt(r, SOL_SOCKET, SO_RCVLOWAT, &one, sizeof(one));
    }
    while (show_wait_readable(r, reads < 3 && !stream ? 2000 : 0) &&
           (n = recv(r, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        if (reads++ == 0 && first)
            *first = (size_t)n;
    return reads;
}

static int boundaries_run(struct sf_err *err)
{
    uint16_t up;
    int one = 1, sp[2];
    int l = show_bound(err, SOCK_STREAM, &bd.tcp);
    int c = l >= 0 && listen(l, 1) == 0 ? show_connect_to(err, SOCK_STREAM, bd.tcp) : -1;
    int a = c >= 0 ? accept(l, NULL, NULL) : -1;

    if (a < 0)
        return c >= 0 ? sf_err_sys(err, errno, "accept", "127.0.0.1") : -1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* three segments on the wire */
    bd.tcp_reads = reads_of_three(c, a, 1, &bd.tcp_first);
    close(a), close(c), close(l);
    int us = show_bound(err, SOCK_DGRAM, &up),
        uc = us >= 0 ? show_connect_to(err, SOCK_DGRAM, up) : -1;
    if (uc < 0)
        return -1;
    bd.udp_reads = reads_of_three(uc, us, 0, NULL);
    close(uc), close(us);
    static const int types[3] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
    int *out[3] = {&bd.stream_reads, &bd.seq_reads, &bd.dgram_reads};
    for (int i = 0; i < 3; i++) {
        if (socketpair(AF_UNIX, types[i] | SOCK_CLOEXEC, 0, sp) < 0)
            return sf_err_sys(err, errno, "socketpair", "AF_UNIX");
        *out[i] = reads_of_three(sp[0], sp[1], i == 0, i == 0 ? &bd.stream_first : NULL);
        close(sp[0]), close(sp[1]);
    }
    return 0;
}

static void boundaries_judge(const struct sf_wire *w, struct show_out *o)
{
    int segments = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++)
        segments += sf_wire_at(w, i)->ok && sf_wire_at(w, i)->pkt.dport == bd.tcp &&
                    sf_wire_at(w, i)->pkt.payload_len == MSG;
    show_fig(o, "tcp_segments", segments, "", "tcp: three segments of %d bytes on the wire: %d",
             MSG, segments);
    show_fig(o, "tcp_reads", bd.tcp_reads, "",
             "tcp: the receiver read them in %d read(s), the first of %zu bytes", bd.tcp_reads,
             bd.tcp_first);
    show_fig(o, "unix_stream_reads", bd.stream_reads, "",
             "unix stream: %d read(s), the first of %zu bytes", bd.stream_reads, bd.stream_first);
    show_fig(o, "udp_reads", bd.udp_reads, "", "udp: %d reads of %d bytes", bd.udp_reads, MSG);
    show_fig(o, "unix_seqpacket_reads", bd.seq_reads, "", "unix seqpacket: %d reads", bd.seq_reads);
    show_fig(o, "unix_dgram_reads", bd.dgram_reads, "", "unix dgram: %d reads", bd.dgram_reads);
    o->ladder_first = show_first_of(w, bd.tcp);
    if (bd.udp_reads != 3 || bd.seq_reads != 3 || bd.dgram_reads != 3)
        show_fails(o, "a record socket read %d, %d, %d times, not 3", bd.udp_reads, bd.seq_reads,
                   bd.dgram_reads);
    if (bd.tcp_reads != 1 || bd.tcp_first != 3 * MSG || bd.stream_reads != 1)
        show_fails(o, "a stream read the three sends in %d (tcp) and %d (unix) reads, not one",
                   bd.tcp_reads, bd.stream_reads);
    if (segments != 3)
        show_fails(o, "tcp put %d segments of %d bytes on the wire, not 3", segments, MSG);
}

const struct lesson lessons_local[] = {
    {"timeout", "a receive timeout sends nothing on the wire",
     "A socket's receive timeout (SO_RCVTIMEO, or a poll() deadline) is a local decision:\n"
     "the kernel sends nothing to the peer when it expires, and the call fails with EAGAIN.\n"
     "A client that needs the server to know must say so itself.",
     timeout_run, timeout_judge, NULL},
    {"truncation", "a datagram's tail is lost in the receiving host; TCP delivers the rest",
     "A UDP datagram larger than the buffer given to recv() is cut: the wire carried all\n"
     "of it, the socket hands over what fits, flags MSG_TRUNC, and drops the rest for good.\n"
     "A stream keeps every byte: the rest comes on the next reads. Read datagrams into a\n"
     "buffer as large as the largest one you accept (65507 bytes for any UDP datagram).",
     truncation_run, truncation_judge, NULL},
    {"boundaries", "three sends: one read on a stream, three on a datagram or seqpacket socket",
     "TCP and unix streams carry bytes, not messages: three 100-byte sends may come out\n"
     "of the receiver as one 300-byte read (here they were all queued before it read),\n"
     "even though the wire carried three segments. UDP, unix datagram and seqpacket\n"
     "sockets keep each send a record: three reads of 100. Frame your messages on a stream.",
     boundaries_run, boundaries_judge, NULL},
};
const size_t nlessons_local = sizeof(lessons_local) / sizeof(lessons_local[0]);
