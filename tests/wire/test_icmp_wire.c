/*
 * ICMP on the wire, in a private network namespace: echo requests (type 8,
 * ICMPv6 128) and replies (0, 129) in pairs with the same id and seq and
 * valid checksums, from the kernel and from icmp-echod; and what icmp-ping's
 * -t and -I change in the requests: their TTL, their source, their interface.
 */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* The IPv4 TTL or IPv6 hop limit of a frame captured on lo (a zeroed Ethernet header first). */
static int frame_ttl(const struct sf_wire *w, const struct sf_wire_rec *r)
{
    cr_assert_eq(sf_wire_dlt(w), DLT_EN10MB, "lo's link type here is Ethernet");
    cr_assert_gt(r->caplen, 14 + 8);
    return r->pkt.ip_version == 6 ? r->data[14 + 7] : r->data[14 + 8];
}

/* -t TTL: the requests carry it (the kernel's replies carry its own, 64). */
static void ttl_case(const char *host)
{
    int v6 = strchr(host, ':') != NULL, req = v6 ? 128 : 8, rep = v6 ? 129 : 0;
    struct sf_wire *w = capture_start("lo", v6 ? "icmp6" : "icmp");
    const char *argv[] = {"icmp-ping", "-t", "7", "-c", "2", "-i", "0.02", host, NULL};
    int requests = 0, replies = 0;
    struct proc c;

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    capture_stop(w);
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        if (!r->ok || (r->pkt.type != req && r->pkt.type != rep))
            continue; /* IPv6's neighbour discovery and listener reports */
        requests += r->pkt.type == req;
        replies += r->pkt.type == rep;
        cr_expect_eq(frame_ttl(w, r), r->pkt.type == req ? 7 : 64, "type %d: %s", r->pkt.type,
                     capture_ladder(w));
    }
    cr_expect(requests == 2 && replies == 2, "%s", capture_ladder(w));
    sf_wire_close(w);
}

Test(icmp_wire, ttl_sets_the_requests_ttl_v4)
{
    ttl_case("127.0.0.1");
}

Test(icmp_wire, ttl_sets_the_requests_hop_limit_v6)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    ttl_case("::1");
}

/* -I 127.0.0.2: the requests leave from that address, and the replies come back to it. */
Test(icmp_wire, source_address_is_the_requests_source)
{
    struct sf_wire *w = capture_start("lo", "icmp");
    const char *argv[] = {"icmp-ping", "-I",   "127.0.0.2", "-c", "2",
                          "-i",        "0.02", "127.0.0.1", NULL};
    const uint8_t two[4] = {127, 0, 0, 2}, one[4] = {127, 0, 0, 1};
    struct proc c;

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "PING 127.0.0.1 (127.0.0.1) from 127.0.0.2 : "), "%s", c.out);
    capture_stop(w);
    cr_assert_eq(sf_wire_count(w), 4, "%s", capture_ladder(w));
    for (size_t i = 0; i < 4; i++) {
        const struct sf_pkt *p = &sf_wire_at(w, i)->pkt;
        int is_req = p->type == 8;
        cr_expect_eq(memcmp(p->src, is_req ? two : one, 4), 0, "%s", capture_ladder(w));
        cr_expect_eq(memcmp(p->dst, is_req ? one : two, 4), 0, "%s", capture_ladder(w));
    }
    sf_wire_close(w);
}

static void run_ip(const char *const argv[])
{
    struct proc c;

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s %s: %s", argv[1], argv[2], c.err);
}

/*
 * -I v0 (SO_BINDTODEVICE): a request to 127.0.0.1 is routed out of v0,
 * where the kernel, taking 127.0.0.1 for a neighbour there, asks for it by
 * ARP (from v0's 198.18.0.1); nothing answers and icmp-ping exits 1.  The
 * capture's end marker goes to 198.18.0.9, a neighbour v0 knows for good.
 */
Test(icmp_wire, interface_binding_sends_out_that_interface)
{
    static const char *const ip[][14] = {
        {"/usr/sbin/ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1", NULL},
        {"/usr/sbin/ip", "addr", "add", "198.18.0.1/24", "dev", "v0", NULL},
        {"/usr/sbin/ip", "link", "set", "v0", "up", NULL},
        {"/usr/sbin/ip", "link", "set", "v1", "up", NULL},
        {"/usr/sbin/ip", "neigh", "add", "198.18.0.9", "lladdr", "02:00:00:00:00:09", "dev", "v0",
         "nud", "permanent", NULL},
    };
    const struct sf_wire_opts o = {.ifname = "v0", .filter = "arp", .marker_to = "198.18.0.9"};
    const char *argv[] = {"icmp-ping", "-I", "v0", "-c", "1", "-W", "0.5", "127.0.0.1", NULL};
    const uint8_t sender[4] = {198, 18, 0, 1}, target[4] = {127, 0, 0, 1};
    struct sf_err err;
    struct proc c;
    int asked = 0;

    private_netns();
    if (access("/usr/sbin/ip", X_OK) != 0)
        cr_skip_test("ip (iproute2) is not installed");
    for (size_t i = 0; i < sizeof(ip) / sizeof(ip[0]); i++)
        run_ip(ip[i]);
    struct sf_wire *w = sf_wire_open(&err, &o);
    cr_assert_not_null(w, "%s", err.msg);
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 1, "%s", c.err);
    cr_expect(strstr(c.out, "from 198.18.0.1 v0: "), "%s", c.out);
    capture_stop(w);
    /* ARP over Ethernet: sender's address at 28, target's at 38 of the frame. */
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        asked |= r->caplen >= 42 && r->data[12] == 0x08 && r->data[13] == 0x06 &&
                 memcmp(r->data + 28, sender, 4) == 0 && memcmp(r->data + 38, target, 4) == 0;
    }
    cr_expect(asked, "no ARP request for 127.0.0.1 on v0 (%zu frames)", sf_wire_count(w));
    sf_wire_close(w);
}
