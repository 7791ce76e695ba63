/*
 * lab.c: the lessons a real link shows (the lab of common/lab/netlab:
 * client, router and server namespaces, MTU 1500), with sockets made in
 * the client's and the server's namespaces and the router's two sides
 * captured.  fragments: a 4000-byte datagram is 3 pieces, a 65507-byte one
 * 45; one piece lost and the datagram is gone; IP_PMTUDISC_DO refuses to
 * fragment (EMSGSIZE).  pmtu: behind a 1280 hop the router answers TCP's
 * 1500-byte packets with fragmentation-needed (Packet Too Big over IPv6)
 * and TCP's segments shrink to fit.  loss: head-of-line blocking, TCP's
 * messages late behind a lost one, UDP's lost and the rest on time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "show.h"

/* ---- fragments -------------------------------------------------------------------------- */

/* Every 6th packet of 1000 bytes or more towards the server, from the first (numgen inc
 * counts from 0): the first datagram loses its first piece, the second none, the third some. */
static const struct sf_lab_opts frag_lab = {
    .loss = SF_LOSS_EVERY, .loss_every = 6, .loss_dir = SF_LAB_UP, .loss_min_len = 1000};

#define A_LEN 4000
#define B_LEN 65507

static struct {
    uint16_t port;
    ssize_t got[4]; /* what the server read: A, A again, B, and one more read (none) */
    int reads;
    int pmtudisc_errno;
} fr;

/* The lab's server address (IPv4 or IPv6) and port. */
static void server_addr(struct sockaddr_storage *ss, socklen_t *len, int v6, uint16_t port)
{
    memset(ss, 0, sizeof(*ss));
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6, a->sin6_port = htons(port);
        inet_pton(AF_INET6, sf_lab_addr(SF_LAB_SERVER, 1), &a->sin6_addr);
        *len = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET, a->sin_port = htons(port);
        inet_pton(AF_INET, sf_lab_addr(SF_LAB_SERVER, 0), &a->sin_addr);
        *len = sizeof(*a);
    }
}

/* A socket of type in the server's namespace, bound to its address, port 0: its port. */
static int server_socket(struct sf_err *err, int v6, int type, uint16_t *port)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int fd = show_socket_in(err, SF_LAB_SERVER, v6 ? AF_INET6 : AF_INET, type);

    server_addr(&ss, &len, v6, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
        (type == SOCK_STREAM && listen(fd, 4) < 0)) {
        if (fd >= 0)
            close(fd);
        return fd < 0 ? -1 : sf_err_sys(err, errno, "bind", sf_lab_addr(SF_LAB_SERVER, v6));
    }
    *port =
        ntohs(v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port : ((struct sockaddr_in *)&ss)->sin_port);
    return fd;
}

static int fragments_run(struct sf_err *err)
{
    static char big[B_LEN];
    struct sockaddr_storage to;
    socklen_t len;
    int s = server_socket(err, 0, SOCK_DGRAM, &fr.port), c, dont = IP_PMTUDISC_DO;

    if (s < 0 || (c = show_socket_in(err, SF_LAB_CLIENT, AF_INET, SOCK_DGRAM)) < 0) {
        if (s >= 0)
            close(s);
        return -1;
    }
    server_addr(&to, &len, 0, fr.port);
    memset(big, 'f', sizeof(big));
    show_step("from the client: datagrams of %d (its first piece the router drops: every 6th "
              "from the first), %d and %d bytes; then %d with IP_PMTUDISC_DO",
              A_LEN, A_LEN, B_LEN, A_LEN);
    sendto(c, big, A_LEN, 0, (struct sockaddr *)&to, len);
    sendto(c, big, A_LEN, 0, (struct sockaddr *)&to, len);
    sendto(c, big, B_LEN, 0, (struct sockaddr *)&to, len);
    for (fr.reads = 0; fr.reads < 4 && show_wait_readable(s, fr.reads ? 1500 : 3000); fr.reads++)
        fr.got[fr.reads] = recv(s, big, sizeof(big), MSG_DONTWAIT);
    setsockopt(c, IPPROTO_IP, IP_MTU_DISCOVER, &dont, sizeof(dont));
    fr.pmtudisc_errno = sendto(c, big, A_LEN, 0, (struct sockaddr *)&to, len) < 0 ? errno : 0;
    close(c);
    close(s);
    return 0;
}

/* The first three datagrams towards port seen in w (their IP ids), in the order sent. */
static int datagrams_to(const struct sf_wire *w, uint16_t port, uint32_t ids[3])
{
    int n = 0;

    for (size_t i = 0; i < sf_wire_count(w) && n < 3; i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        if (sf_wire_at(w, i)->ok && p->frag == 1 && p->dport == port)
            ids[n++] = p->frag_id;
    }
    return n;
}

/* The pieces of datagram id (from the client) in w. */
static int pieces_of(const struct sf_wire *w, uint32_t id)
{
    int n = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        n += sf_wire_at(w, i)->ok && p->frag && p->frag_id == id && p->frag_proto == IPPROTO_UDP;
    }
    return n;
}

static void fragments_judge(const struct sf_wire *w, struct show_out *o)
{
    static const char *const what[3] = {"the first 4000-byte datagram", "the second 4000-byte one",
                                        "the 65507-byte one"};
    static const char *const key[3] = {"first_4000", "second_4000", "big_65507"};
    uint32_t ids[3] = {0};
    int n = datagrams_to(w, fr.port, ids), near[3] = {0}, past[3] = {0};
    char name[48];

    for (int i = 0; i < n; i++) {
        near[i] = pieces_of(w, ids[i]);
        past[i] = show_far() ? pieces_of(show_far(), ids[i]) : 0;
        snprintf(name, sizeof(name), "%s_pieces", key[i]);
        show_fig(o, name, near[i], "", "%s: %d pieces reached the router, %d got past it", what[i],
                 near[i], past[i]);
        snprintf(name, sizeof(name), "%s_past_router", key[i]);
        show_fig(o, name, past[i], "", "%s", "");
    }
    show_fig(o, "datagrams_read", fr.reads, "",
             "the server read %d datagram(s), the first of %zd bytes", fr.reads,
             fr.reads ? fr.got[0] : 0);
    show_fig(o, "pmtudisc_do_emsgsize", fr.pmtudisc_errno == EMSGSIZE, "",
             "with IP_PMTUDISC_DO, sendto() of %d bytes: %s", A_LEN,
             fr.pmtudisc_errno ? strerror(fr.pmtudisc_errno) : "sent");
    if (n != 3 || near[0] != 3 || near[1] != 3 || near[2] != 45 || past[0] != 2 || past[1] != 3 ||
        past[2] >= 45)
        show_fails(o, "pieces %d, %d, %d, of them past the router %d, %d, %d", near[0], near[1],
                   near[2], past[0], past[1], past[2]);
    if (fr.reads != 1 || fr.got[0] != A_LEN)
        show_fails(o, "the server read %d datagrams (the first of %zd bytes), not one of %d",
                   fr.reads, fr.reads ? fr.got[0] : 0, A_LEN);
    if (fr.pmtudisc_errno != EMSGSIZE)
        show_fails(o, "IP_PMTUDISC_DO: %s, not EMSGSIZE", strerror(fr.pmtudisc_errno));
}

/* ---- pmtu ------------------------------------------------------------------------------- */

static const struct sf_lab_opts pmtu_lab = {.mtu = 1280};

#define PMTU_BYTES 20000

static struct {
    uint16_t port[2];
    size_t got[2];
} pm;

/* One TCP connection over IP version v6 ? 6 : 4: PMTU_BYTES sent, all read at the server. */
static int pmtu_conn(struct sf_err *err, int v6)
{
    static char buf[PMTU_BYTES];
    struct sockaddr_storage to;
    socklen_t len;
    int l = server_socket(err, v6, SOCK_STREAM, &pm.port[v6]), c = -1, a = -1;
    ssize_t n = 1;

    if (l >= 0)
        c = show_socket_in(err, SF_LAB_CLIENT, v6 ? AF_INET6 : AF_INET, SOCK_STREAM);
    server_addr(&to, &len, v6, pm.port[v6]);
    if (c >= 0 && connect(c, (struct sockaddr *)&to, len) == 0 && show_wait_readable(l, 3000))
        a = accept(l, NULL, NULL);
    if (a >= 0) {
        show_step("IPv%d: %d bytes over TCP through the 1280 hop", v6 ? 6 : 4, PMTU_BYTES);
        memset(buf, 'p', sizeof(buf));
        send(c, buf, sizeof(buf), MSG_NOSIGNAL);
        while (pm.got[v6] < PMTU_BYTES && n > 0 && show_wait_readable(a, 5000))
            if ((n = recv(a, buf, sizeof(buf), 0)) > 0)
                pm.got[v6] += (size_t)n;
    }
    int rc = a < 0 ? sf_err_sys(err, errno, "connect", sf_lab_addr(SF_LAB_SERVER, v6)) : 0;
    if (a >= 0)
        close(a);
    if (c >= 0)
        close(c);
    if (l >= 0)
        close(l);
    return l < 0 ? -1 : rc;
}

static int pmtu_run(struct sf_err *err)
{
    return pmtu_conn(err, 0) < 0 ? -1 : pmtu_conn(err, 1);
}

/* Is p the router's too-big message (fragmentation-needed, Packet Too Big)?  Its MTU into *mtu. */
static int too_big(const struct sf_pkt *p, int v6, unsigned *mtu)
{
    const uint8_t *h = p->payload - 8; /* the MTU: bytes 6-7 (v4) or 4-7 (v6) of the header */

    if (!((!v6 && p->l4 == SF_L4_ICMP && p->type == 3 && p->code == 4) ||
          (v6 && p->l4 == SF_L4_ICMP6 && p->type == 2)))
        return 0;
    *mtu =
        v6 ? (unsigned)(h[4] << 24 | h[5] << 16 | h[6] << 8 | h[7]) : (unsigned)(h[6] << 8 | h[7]);
    return 1;
}

/*
 * In w, for the connection to port: the router's too-big messages (and the
 * MTU they name), TCP's largest segment before the first, and after the
 * last (the segments already in flight when the first came are too big too).
 */
static void pmtu_seen(const struct sf_wire *w, uint16_t port, int v6, int *toobig, unsigned *mtu,
                      size_t *largest_before, size_t *largest_after)
{
    size_t last = 0;

    *toobig = 0, *mtu = 0, *largest_before = *largest_after = 0;
    for (size_t i = 0; i < sf_wire_count(w); i++)
        if (sf_wire_at(w, i)->ok && too_big(&sf_wire_at(w, i)->pkt, v6, mtu))
            (*toobig)++, last = i;
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        size_t *big = !*toobig || i < last ? largest_before : largest_after;
        if (sf_wire_at(w, i)->ok && p->l4 == SF_L4_TCP && p->dport == port &&
            p->ip_version == (v6 ? 6 : 4) && p->payload_len > *big)
            *big = p->payload_len;
    }
}

static void pmtu_judge(const struct sf_wire *w, struct show_out *o)
{
    for (int v6 = 0; v6 < 2; v6++) {
        int toobig;
        unsigned mtu;
        size_t before, after;
        char key[40];
        pmtu_seen(w, pm.port[v6], v6, &toobig, &mtu, &before, &after);
        snprintf(key, sizeof(key), "v%d_too_big", v6 ? 6 : 4);
        show_fig(o, key, toobig, "", "IPv%d: the router answered with %d %s (mtu %u)", v6 ? 6 : 4,
                 toobig, v6 ? "Packet Too Big" : "fragmentation-needed", mtu);
        snprintf(key, sizeof(key), "v%d_mtu", v6 ? 6 : 4);
        show_fig(o, key, mtu, "", "  the MTU it named: %u", mtu);
        snprintf(key, sizeof(key), "v%d_segment_after", v6 ? 6 : 4);
        show_fig(o, key, (double)after, "bytes",
                 "  TCP's largest segment: %zu bytes before, %zu after the last (all %zu bytes "
                 "delivered)",
                 before, after, pm.got[v6]);
        if (toobig < 1 || mtu != 1280 || after == 0 || after > 1280 - (v6 ? 60 : 40) ||
            pm.got[v6] != PMTU_BYTES)
            show_fails(o, "IPv%d: %d too-big (mtu %u), segments %zu after, %zu delivered",
                       v6 ? 6 : 4, toobig, mtu, after, pm.got[v6]);
    }
    o->ladder_first = show_first_of(w, pm.port[0]);
    o->ladder_head = 12;
}

static void loss_judge(const struct sf_wire *w, struct show_out *o);
static int loss_run(struct sf_err *err);
static const struct sf_lab_opts loss_lab;

const struct lesson lessons_lab[] = {
    {"fragments", "over MTU 1500: 3 pieces or 45; one piece lost, the datagram gone",
     "A UDP datagram larger than the link's MTU leaves in IP fragments: 4000 bytes in 3,\n"
     "the largest UDP datagram (65507) in 45. The receiver's kernel hands it over only\n"
     "whole: lose one piece and every byte of it is lost, so a datagram of k pieces is\n"
     "lost with probability 1-(1-p)^k. With IP_PMTUDISC_DO the kernel refuses to\n"
     "fragment and sendto() fails with EMSGSIZE: keep datagrams within the path MTU.",
     fragments_run, fragments_judge, &frag_lab},
    {"pmtu", "behind a 1280 hop: fragmentation-needed (Packet Too Big) and TCP's segments shrink",
     "Both ends announce MSS 1460 on their 1500 links, so TCP sends 1500-byte packets;\n"
     "the router cannot forward them into its 1280 hop and answers with ICMP\n"
     "fragmentation-needed (IPv6: Packet Too Big) naming the MTU, and TCP resends in\n"
     "segments that fit. Path MTU discovery needs those ICMP messages: a firewall that\n"
     "drops them makes a connection hang after its handshake.",
     pmtu_run, pmtu_judge, &pmtu_lab},
    {"loss",
     "under loss TCP delivers all, late behind the lost one; UDP loses it, the rest on time",
     "Every 10th data packet towards the server is dropped. TCP delivers every message,\n"
     "in order: a lost segment holds back those behind it in the receiver's buffer until\n"
     "it is resent (head-of-line blocking). With messages flowing, the next one reveals\n"
     "the loss and it is resent within about an interval (RACK); with one message in\n"
     "flight nothing does, and it waits for the probe timeout, some 200 ms. UDP loses\n"
     "the datagram for good, and the ones after it arrive on time. Late, or never.",
     loss_run, loss_judge, &loss_lab},
};
const size_t nlessons_lab = sizeof(lessons_lab) / sizeof(lessons_lab[0]);

/* ---- loss ------------------------------------------------------------------------------- */

/* Every 10th data packet towards the server (IP length 120 or more: not a bare ACK). */
static const struct sf_lab_opts loss_lab = {
    .loss = SF_LOSS_EVERY, .loss_every = 10, .loss_dir = SF_LAB_UP, .loss_min_len = 120};

#define MSGS 40
#define MSG_BYTES 100
#define EVERY_MS 10
#define SLOW_MS 100

enum { TCP_PIPELINED, TCP_LOCKSTEP, UDP_PIPELINED, RUNS };

static struct {
    double rtt[RUNS][MSGS]; /* per message, ms; -1 never answered */
} ls;

struct echo {
    int fd, udp;
};

/* The server's side: echo what comes (TCP: one connection; UDP: each datagram) for 3 s at most. */
static void *echo_thread(void *arg)
{
    struct echo *e = arg;
    char buf[4096];
    int64_t deadline = sf_deadline_after_ms(3000);
    int fd = e->udp ? e->fd : (show_wait_readable(e->fd, 3000) ? accept(e->fd, NULL, NULL) : -1);

    while (fd >= 0 && sf_now_ns() < deadline) {
        struct sockaddr_storage from;
        socklen_t len = sizeof(from);
        if (!show_wait_readable(fd, 100))
            continue;
        ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
        if (n <= 0)
            break;
        sendto(fd, buf, (size_t)n, MSG_NOSIGNAL, e->udp ? (struct sockaddr *)&from : NULL,
               e->udp ? len : 0);
    }
    if (!e->udp && fd >= 0)
        close(fd);
    return NULL;
}

/*
 * The client: MSGS messages, each numbered, one each EVERY_MS (lockstep:
 * each once the last one's reply came, as a request and its reply); the
 * replies read as they come.
 */
static void messages(int c, int udp, int lockstep, double *rtt)
{
    int64_t sent[MSGS];
    char msg[MSG_BYTES], buf[4096];
    size_t got = 0; /* TCP: bytes of replies so far */
    int next = 0;
    int64_t end = sf_deadline_after_ms(MSGS * EVERY_MS + 2000);

    for (int i = 0; i < MSGS; i++)
        rtt[i] = -1;
    while (sf_now_ns() < end) {
        int due = lockstep
                      ? next == 0 || rtt[next - 1] >= 0
                      : sf_now_ns() >= (next ? sent[0] + (int64_t)next * EVERY_MS * 1000000 : 0);
        if (next < MSGS && due) {
            memset(msg, 'a' + next % 26, sizeof(msg));
            snprintf(msg, sizeof(msg), "%d", next);
            sent[next] = sf_now_ns();
            send(c, msg, sizeof(msg), MSG_NOSIGNAL);
            next++;
        }
        if (!show_wait_readable(c, 1))
            continue;
        ssize_t n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);
        if (n <= 0)
            continue;
        if (udp) { /* a datagram: the message its number names */
            int i = atoi(buf);
            if (i >= 0 && i < next && rtt[i] < 0)
                rtt[i] = (double)(sf_now_ns() - sent[i]) / 1e6;
        } else { /* a stream: message i is whole once (i + 1) x MSG_BYTES bytes are in */
            for (size_t k = got / MSG_BYTES; k < (got + (size_t)n) / MSG_BYTES && k < MSGS; k++)
                rtt[k] = (double)(sf_now_ns() - sent[k]) / 1e6;
            got += (size_t)n;
        }
        if (next == MSGS && (udp ? 0 : got >= MSGS * MSG_BYTES))
            break;
    }
}

static int loss_family(struct sf_err *err, int run)
{
    int udp = run == UDP_PIPELINED;
    struct sockaddr_storage to;
    socklen_t len;
    uint16_t port;
    pthread_t t;
    int type = udp ? SOCK_DGRAM : SOCK_STREAM, one = 1;
    int s = server_socket(err, 0, type, &port), c = -1;
    struct echo e = {s, udp};

    if (s < 0 || pthread_create(&t, NULL, echo_thread, &e) != 0) {
        if (s >= 0)
            close(s);
        return s < 0 ? -1 : sf_err_sys(err, EAGAIN, "pthread_create", "echo");
    }
    c = show_socket_in(err, SF_LAB_CLIENT, AF_INET, type);
    server_addr(&to, &len, 0, port);
    if (c >= 0 && connect(c, (struct sockaddr *)&to, len) == 0) {
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* fails on UDP: harmless */
        show_step("%s: %d messages of %d bytes, %s", udp ? "UDP" : "TCP", MSGS, MSG_BYTES,
                  run == TCP_LOCKSTEP ? "each after the last one's reply" : "one every 10 ms");
        messages(c, udp, run == TCP_LOCKSTEP, ls.rtt[run]);
    }
    if (c >= 0)
        close(c);
    pthread_join(t, NULL);
    close(s);
    return 0;
}

static int loss_run(struct sf_err *err)
{
    for (int run = 0; run < RUNS; run++)
        if (loss_family(err, run) < 0)
            return -1;
    return 0;
}

static void loss_judge(const struct sf_wire *w, struct show_out *o)
{
    static const char *const name[RUNS] = {"tcp", "tcp_lockstep", "udp"};
    static const char *const what[RUNS] = {"tcp, one every 10 ms", "tcp, one at a time",
                                           "udp, one every 10 ms"};
    int answered[RUNS] = {0}, slow[RUNS] = {0};
    double worst[RUNS] = {0};
    char key[40], line[200];

    (void)w;
    for (int f = 0; f < RUNS; f++) {
        size_t at = (size_t)snprintf(line, sizeof(line), "ms:");
        for (int i = 0; i < MSGS; i++) {
            double r = ls.rtt[f][i];
            answered[f] += r >= 0, slow[f] += r > SLOW_MS;
            if (r > worst[f])
                worst[f] = r;
            if (at < sizeof(line) - 8)
                at += (size_t)snprintf(line + at, sizeof(line) - at, r < 0 ? " -" : " %.0f", r);
        }
        snprintf(key, sizeof(key), "%s_answered", name[f]);
        show_fig(o, key, answered[f], "",
                 "%s: %d of %d answered, %d after more than %d ms, the slowest %.1f ms", what[f],
                 answered[f], MSGS, slow[f], SLOW_MS, worst[f]);
        snprintf(key, sizeof(key), "%s_slowest_ms", name[f]);
        show_fig(o, key, worst[f], "ms", "  %s", line);
    }
    if (answered[TCP_PIPELINED] != MSGS || answered[TCP_LOCKSTEP] != MSGS)
        show_fails(o, "tcp answered %d and %d of %d", answered[TCP_PIPELINED],
                   answered[TCP_LOCKSTEP], MSGS);
    if (worst[TCP_LOCKSTEP] < 150)
        show_fails(o, "one at a time, tcp's lost message took %.1f ms: no timeout",
                   worst[TCP_LOCKSTEP]);
    if (answered[UDP_PIPELINED] == MSGS || slow[UDP_PIPELINED] > 0)
        show_fails(o, "udp: %d of %d answered, %d late", answered[UDP_PIPELINED], MSGS,
                   slow[UDP_PIPELINED]);
}
