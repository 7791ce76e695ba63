/*
 * TCP on the wire, in a private network namespace: the handshake comes
 * before any payload, the payload bytes are exactly the messages each way,
 * each side sends one FIN, and nothing is reset.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "proc.h"

TestSuite(tcp_wire, .timeout = 60);

#define WAIT_MS 15000
#define MAXP 256

static const char hello[] = "Hello network World";
static const char reply[] = "echo=> Hello network World";

/* tcp-server --once and one tcp-client to host, all captured. */
static struct sf_wire *echo_once(const char *family, const char *host)
{
    struct sf_wire *w = capture_start("lo", NULL);
    struct server s;
    struct proc c;
    char target[96];

    const char *extra[] = {family, "--mode", "echo", "--once", NULL};
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    snprintf(target, sizeof(target), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, s.port);
    const char *argv[] = {"tcp-client", target, hello, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_assert_eq(proc_wait_exit(&s.p, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);
    return w;
}

static int has(const struct sf_pkt *p, uint8_t flags)
{
    return (p->flags & flags) == flags;
}

/* The facts of one echo over TCP, from the packets alone. */
static void check_echo(const struct sf_wire *w, int version)
{
    const struct sf_wire_rec *r[MAXP];
    size_t n = capture_select(w, SF_L4_TCP, r, MAXP);
    const char *ladder = capture_ladder(w);
    uint16_t cport, sport;
    uint8_t buf[256];
    int fins[2] = {0, 0};

    cr_assert_eq(n, sf_wire_count(w), "only TCP expected:\n%s", ladder);
    cr_assert_geq(n, 3, "%s", ladder);
    cport = r[0]->pkt.sport;
    sport = r[0]->pkt.dport;
    cr_expect_eq(r[0]->pkt.ip_version, version);
    /* The three-way handshake, before any payload. */
    cr_expect_eq(r[0]->pkt.flags, SF_TCP_SYN, "%s", ladder);
    cr_expect(r[0]->pkt.mss > 0, "the SYN carries an MSS:\n%s", ladder);
    cr_expect_eq(r[1]->pkt.flags, SF_TCP_SYN | SF_TCP_ACK, "%s", ladder);
    cr_expect_eq(r[1]->pkt.sport, sport);
    cr_expect_eq(r[1]->pkt.ack, r[0]->pkt.seq + 1);
    cr_expect_eq(r[2]->pkt.flags, SF_TCP_ACK, "%s", ladder);
    cr_expect_eq(r[2]->pkt.ack, r[1]->pkt.seq + 1);
    for (size_t i = 0; i < 3; i++)
        cr_expect_eq(r[i]->pkt.payload_len, 0, "payload in the handshake:\n%s", ladder);
    /* Every later packet acknowledges, none resets, one FIN each way. */
    for (size_t i = 3; i < n; i++) {
        const struct sf_pkt *p = &r[i]->pkt;
        cr_expect(has(p, SF_TCP_ACK) && !has(p, SF_TCP_SYN) && !has(p, SF_TCP_RST), "%s", ladder);
        if (p->flags & SF_TCP_FIN)
            fins[p->sport == cport ? 0 : 1]++;
    }
    cr_expect_eq(fins[0], 1, "client FINs:\n%s", ladder);
    cr_expect_eq(fins[1], 1, "server FINs:\n%s", ladder);
    /* Exactly the message one way and the reply the other, in order. */
    cr_expect_eq(tcp_stream(r, n, cport, buf, sizeof(buf)), (long)strlen(hello), "%s", ladder);
    cr_expect_eq(memcmp(buf, hello, strlen(hello)), 0, "%s", ladder);
    cr_expect_eq(tcp_stream(r, n, sport, buf, sizeof(buf)), (long)strlen(reply), "%s", ladder);
    cr_expect_eq(memcmp(buf, reply, strlen(reply)), 0, "%s", ladder);
}

/* Packet and byte counts: the totals add up, and the overhead is headers only. */
static void check_counts(const struct sf_wire *w, size_t link_ip_tcp_min)
{
    struct sf_wire_totals t = sf_wire_totals(w);
    uint64_t payload = 0, frames = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        payload += sf_wire_at(w, i)->pkt.payload_len;
        frames += sf_wire_at(w, i)->wire_len;
    }
    cr_expect_eq(t.packets, sf_wire_count(w));
    cr_expect_eq(t.wire_bytes, frames);
    cr_expect_eq(t.malformed, 0);
    cr_expect_eq(t.kernel_drops, 0);
    cr_expect_eq(payload, strlen(hello) + strlen(reply));
    /* 8 packets at least: 3 handshake, 2 data, 2 FIN, the last ACK. */
    cr_expect_geq(t.packets, 8, "%s", capture_ladder(w));
    cr_expect_geq(t.wire_bytes, payload + t.packets * link_ip_tcp_min);
    cr_expect_leq(t.packets, 12, "%s", capture_ladder(w));
}

Test(tcp_wire, echo_v4_handshake_payload_fin)
{
    struct sf_wire *w = echo_once("-4", "127.0.0.1");

    check_echo(w, 4);
    check_counts(w, 14 + 20 + 20);
    sf_wire_close(w);
}

Test(tcp_wire, echo_v6_handshake_payload_fin)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    struct sf_wire *w = echo_once("-6", "::1");

    check_echo(w, 6);
    check_counts(w, 14 + 40 + 20);
    sf_wire_close(w);
}
