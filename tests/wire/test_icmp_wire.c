/*
 * ICMP on the wire, in a private network namespace: echo requests (type 8,
 * ICMPv6 128) and replies (0, 129) in pairs with the same id and seq and
 * valid checksums, from the kernel and from icmp-echod.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "netns.h"
#include "proc.h"

TestSuite(icmp_wire, .timeout = 60);

#define WAIT_MS 15000
#define COUNT 3

static void ping(const char *host)
{
    struct proc c;
    const char *argv[] = {"icmp-ping", "-c", "3", "-i", "0.02", host, NULL};

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "3 packets transmitted, 3 received, 0% packet loss"), "%s", c.out);
}

/* Request, reply, request, reply...: types, ids, seqs, checksums and payloads. */
static void check_pairs(const struct sf_wire *w, int v6)
{
    const char *ladder = capture_ladder(w);
    int req = v6 ? 128 : 8, rep = v6 ? 129 : 0;

    cr_assert_eq(sf_wire_count(w), 2 * COUNT, "%s", ladder);
    for (size_t i = 0; i < 2 * COUNT; i += 2) {
        const struct sf_pkt *q = &sf_wire_at(w, i)->pkt, *r = &sf_wire_at(w, i + 1)->pkt;
        cr_assert(sf_wire_at(w, i)->ok && sf_wire_at(w, i + 1)->ok, "%s", ladder);
        cr_expect_eq(q->l4, v6 ? SF_L4_ICMP6 : SF_L4_ICMP);
        cr_expect_eq(q->type, req, "%s", ladder);
        cr_expect_eq(r->type, rep, "%s", ladder);
        cr_expect_eq(q->code, 0);
        cr_expect_eq(r->code, 0);
        cr_expect_eq(r->id, q->id, "%s", ladder);
        cr_expect_eq(q->icmp_seq, i / 2 + 1, "%s", ladder);
        cr_expect_eq(r->icmp_seq, q->icmp_seq, "%s", ladder);
        cr_expect(q->checksum_ok && r->checksum_ok, "%s", ladder);
        cr_expect_eq(q->payload_len, 56);
        cr_expect_eq(r->payload_len, q->payload_len);
        cr_expect_eq(memcmp(r->payload, q->payload, q->payload_len), 0, "payload differs");
    }
}

Test(icmp_wire, kernel_echo_v4_types_ids_checksums)
{
    struct sf_wire *w = capture_start("lo", NULL);

    ping("127.0.0.1");
    capture_stop(w);
    check_pairs(w, 0);
    sf_wire_close(w);
}

Test(icmp_wire, kernel_echo_v6_types_ids_checksums)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    struct sf_wire *w = capture_start("lo", NULL);

    ping("::1");
    capture_stop(w);
    check_pairs(w, 1);
    sf_wire_close(w);
}

/* With the kernel silent, every reply on the wire is icmp-echod's, payload for payload. */
static void echod_case(int v6)
{
    struct sf_wire *w = capture_start("lo", v6 ? "icmp6" : "icmp");
    struct proc d;
    const char *argv[] = {"icmp-echod", v6 ? "-6" : "-4", NULL};
    const char *off =
        v6 ? "/proc/sys/net/ipv6/icmp/echo_ignore_all" : "/proc/sys/net/ipv4/icmp_echo_ignore_all";

    cr_assert_eq(sf_sysctl_write(NULL, off, "1"), 0);
    cr_assert_eq(proc_start(&d, argv), 0);
    cr_assert(proc_wait_output(&d, 2, v6 ? "listening on icmp6" : "listening on icmp", WAIT_MS),
              "%s", d.err);
    ping(v6 ? "::1" : "127.0.0.1");
    cr_assert_eq(proc_signal_wait(&d, SIGTERM, WAIT_MS), 0, "%s", d.err);
    capture_stop(w);
    cr_expect(strstr(d.err, "echo requests 3, answered 3"), "%s", d.err);
    check_pairs(w, v6);
    sf_wire_close(w);
}

Test(icmp_wire, echod_replies_mirror_requests)
{
    echod_case(0);
}

Test(icmp_wire, echod_v6_replies_mirror_requests)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    echod_case(1);
}
