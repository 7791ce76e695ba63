/*
 * The tutorial's claims, checked on the wire in a private network
 * namespace: what a full listen backlog does to extra clients, where a
 * too-small receive buffer loses a datagram's tail (and where TCP keeps
 * it), and what a receive timeout sends (nothing).
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "proc.h"

TestSuite(claims_wire, .timeout = 60);

#define WAIT_MS 20000
#define CLIENTS 4
#define MAXP 512

struct syns {
    int answered;      /* client ports that got a SYN-ACK (a resent one counts once) */
    int retransmitted; /* client ports that sent their SYN twice or more */
    int resets;
};

/* Index of PORT in PORTS[*N], added if new and room is left; -1 if full. */
static int port_slot(uint16_t *ports, int *n, uint16_t port)
{
    for (int k = 0; k < *n; k++)
        if (ports[k] == port)
            return k;
    if (*n == 64)
        return -1;
    ports[*n] = port;
    return (*n)++;
}

/*
 * SYNs and SYN-ACKs per client port, and RSTs, in the capture so far.  A
 * handshake whose final ACK the full queue dropped has its SYN-ACK resent
 * by the server a second later: counted per port, not per packet.
 */
static struct syns count_syns(const struct sf_wire *w, uint16_t server)
{
    struct syns s = {.answered = 0};
    uint16_t ports[64];
    int syn[64] = {0}, synack[64] = {0}, nports = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        int k;
        if (!sf_wire_at(w, i)->ok || p->l4 != SF_L4_TCP)
            continue;
        s.resets += (p->flags & SF_TCP_RST) != 0;
        if (p->flags == (SF_TCP_SYN | SF_TCP_ACK) && p->sport == server) {
            k = port_slot(ports, &nports, p->dport);
            s.answered += k >= 0 && ++synack[k] == 1;
        } else if (p->flags == SF_TCP_SYN && p->dport == server) {
            k = port_slot(ports, &nports, p->sport);
            s.retransmitted += k >= 0 && ++syn[k] == 2;
        }
    }
    return s;
}

static int some_syn_retransmitted(const struct sf_wire *w, void *server)
{
    return count_syns(w, *(uint16_t *)server).retransmitted > 0;
}

/*
 * listen(1) and a server that does not accept (stopped): the accept queue
 * holds two connections; the other clients' SYNs are dropped without a
 * word and sent again by their kernels a second later.  No RST: they are
 * not "rejected", they wait, and are served once the server accepts.
 *
 * The kernel checks the queue when a SYN arrives, so two SYNs that come
 * before either's final ACK both get a SYN-ACK (and the second ACK is then
 * dropped): at least two handshakes are answered, never all of them.
 */
Test(claims_wire, full_backlog_drops_syns_silently_clients_retransmit)
{
    struct sf_wire *w = capture_start("lo", "tcp");
    struct server s;
    struct proc c[CLIENTS];
    uint16_t port;

    const char *extra[] = {"--mode", "echo", "--backlog", "1", "-q", NULL};
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    port = (uint16_t)s.port;
    cr_assert_eq(kill(s.p.pid, SIGSTOP), 0);
    for (int i = 0; i < CLIENTS; i++) {
        const char *argv[] = {"tcp-client", "-w", "15", "-p", s.portstr, "127.0.0.1", NULL};
        cr_assert_eq(proc_start(&c[i], argv), 0);
    }
    cr_assert(capture_until(w, some_syn_retransmitted, &port, 5000),
              "no SYN was retransmitted:\n%s", capture_ladder(w));
    struct syns before = count_syns(w, port);
    cr_expect(before.answered >= 2 && before.answered < CLIENTS,
              "listen(1) answers two SYNs (three if two race), not all:\n%s", capture_ladder(w));
    cr_expect_eq(before.resets, 0, "a full backlog sent a reset:\n%s", capture_ladder(w));
    cr_assert_eq(kill(s.p.pid, SIGCONT), 0);
    for (int i = 0; i < CLIENTS; i++) {
        cr_expect_eq(proc_wait_exit(&c[i], WAIT_MS), 0, "client %d: %s", i, c[i].err);
        cr_expect(strstr(c[i].out, "echo=> Hello network World"), "%s", c[i].out);
    }
    cr_assert_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);
    struct syns after = count_syns(w, port);
    cr_expect_eq(after.answered, CLIENTS, "every client was served in the end");
    cr_expect_eq(after.resets, 0, "%s", capture_ladder(w));
    sf_wire_close(w);
}

/* Payload bytes a family's packets carried from port `from`. */
static size_t carried(const struct sf_wire *w, uint16_t from)
{
    size_t sum = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++)
        if (sf_wire_at(w, i)->ok && sf_wire_at(w, i)->pkt.sport == from)
            sum += sf_wire_at(w, i)->pkt.payload_len;
    return sum;
}

/* One 3000-byte message against a 1024-byte receive: runs FAMILY's pair, returns the capture. */
static struct sf_wire *big_message(const char *family, struct server *s)
{
    struct sf_wire *w = capture_start("lo", family);
    char server[32], client[32];
    struct proc c;

    snprintf(server, sizeof(server), "%s-server", family);
    snprintf(client, sizeof(client), "%s-client", family);
    const char *extra[] = {"--mode", "echo", "--recv-size", "1024", "-q", NULL};
    cr_assert_eq(server_start(s, server, extra), 0, "%s", s->p.err);
    const char *argv[] = {client, "-s", "3000", "-p", s->portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_assert_eq(proc_signal_wait(&s->p, SIGTERM, WAIT_MS), 0, "%s", s->p.err);
    capture_stop(w);
    return w;
}

/*
 * The wire carried the whole datagram: the tail was lost inside the
 * receiving host, at the 1024-byte buffer, and the reply is short.  TCP
 * carried the same 3000 bytes and the server read the rest later.
 */
Test(claims_wire, udp_tail_lost_at_receiver_tcp_delivers_it_later)
{
    struct server s;
    struct sf_wire *w = big_message("udp", &s);

    cr_expect_eq(sf_wire_count(w), 2, "%s", capture_ladder(w));
    cr_expect_eq(sf_wire_at(w, 0)->pkt.payload_len, 3000, "the whole datagram went out");
    cr_expect_eq(carried(w, (uint16_t)s.port), strlen("echo=> ") + 1024, "%s", capture_ladder(w));
    cr_expect(strstr(s.p.err, "truncated: 3000 bytes, buffer 1024"), "%s", s.p.err);
    sf_wire_close(w);

    w = big_message("tcp", &s);
    cr_expect_eq(carried(w, (uint16_t)s.port), 3 * strlen("echo=> ") + 3000, "%s",
                 capture_ladder(w));
    sf_wire_close(w);
}

/*
 * A client whose reply never comes (the server discards): the timeout is
 * local.  UDP: the one request is all there is.  TCP: after the request is
 * acknowledged nothing moves until the client gives up and closes.
 */
Test(claims_wire, receive_timeout_sends_nothing)
{
    struct sf_wire *w = capture_start("lo", NULL);
    struct server s;
    struct proc c;

    const char *extra[] = {"--mode", "discard", "-q", NULL};
    cr_assert_eq(server_start(&s, "udp-server", extra), 0, "%s", s.p.err);
    const char *argv[] = {"udp-client", "-w", "0.3", "-p", s.portstr, "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_assert_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);
    cr_expect_eq(sf_wire_count(w), 1, "the timeout sent something:\n%s", capture_ladder(w));
    sf_wire_close(w);

    w = capture_start("lo", NULL);
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    const char *targv[] = {"tcp-client", "-w", "0.3", "-p", s.portstr, "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, targv), 69, "%s", c.err);
    cr_assert_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);
    const char *ladder = capture_ladder(w);
    size_t data = 0, fin = 0;
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        if (p->payload_len && !data)
            data = i;
        if ((p->flags & SF_TCP_FIN) && !fin)
            fin = i;
    }
    cr_assert(data && fin, "%s", ladder);
    /* The request, its ACK, then the client's FIN: nothing in the 0.3 s between. */
    cr_expect_eq(fin, data + 2, "%s", ladder);
    cr_expect_geq(sf_wire_at(w, fin)->ts_ns - sf_wire_at(w, data)->ts_ns, 250000000ull, "%s",
                  ladder);
    sf_wire_close(w);
}
