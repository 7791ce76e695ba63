/*
 * UDP on the wire, in a private network namespace: one datagram per
 * message each way with exactly its bytes, no handshake, nothing else.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "proc.h"

TestSuite(udp_wire, .timeout = 60);

#define WAIT_MS 15000

static void echo_two(const char *family, const char *host, int version)
{
    struct sf_wire *w = capture_start("lo", NULL);
    const char *want[] = {"one", "echo=> one", "two!", "echo=> two!"};
    struct server s;
    struct proc c;
    char target[96];

    const char *extra[] = {family, "--mode", "echo", NULL};
    cr_assert_eq(server_start(&s, "udp-server", extra), 0, "%s", s.p.err);
    snprintf(target, sizeof(target), version == 6 ? "[%s]:%d" : "%s:%d", host, s.port);
    const char *argv[] = {"udp-client", target, "one", "two!", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_assert_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);

    const char *ladder = capture_ladder(w);
    cr_assert_eq(sf_wire_count(w), 4, "one datagram per message each way:\n%s", ladder);
    for (size_t i = 0; i < 4; i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        cr_assert(sf_wire_at(w, i)->ok, "%s", p->why);
        cr_expect_eq(p->l4, SF_L4_UDP, "%s", ladder);
        cr_expect_eq(p->ip_version, version);
        cr_expect_eq(i % 2 ? p->sport : p->dport, s.port, "%s", ladder);
        cr_expect_eq(p->payload_len, strlen(want[i]), "%s", ladder);
        cr_expect_eq(memcmp(p->payload, want[i], strlen(want[i])), 0, "%s", ladder);
        /* Headers only: Ethernet 14, IP 20 or 40, UDP 8. */
        cr_expect_eq(sf_wire_at(w, i)->wire_len,
                     14 + (version == 6 ? 40 : 20) + 8 + strlen(want[i]));
    }
    sf_wire_close(w);
}

Test(udp_wire, echo_v4_one_datagram_per_message)
{
    echo_two("-4", "127.0.0.1", 4);
}

Test(udp_wire, echo_v6_one_datagram_per_message)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    echo_two("-6", "::1", 6);
}
