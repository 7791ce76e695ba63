/*
 * Where each message went, in the lab (root): `sockfam compare --link
 * lab`'s delivery figures against what the router and the sockets
 * themselves counted.  Every message sent is delivered, lost on the wire,
 * or lost at the receiver, and each loss is put where it happened: the
 * router's drops on the wire, a full receive buffer at the receiver,
 * never mixed.  A datagram loses a fragment and is lost whole; a router
 * that copies packets makes copies, not deliveries; a narrow rate sets
 * the pace.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "netlab.h"
#include "proc.h"

static struct sf_lab *current; /* torn down by the suite's fini, whatever the test did */

static void lab_fini(void)
{
    sf_lab_down(NULL, current);
    current = NULL;
}

TestSuite(delivery_wire, .timeout = 120, .fini = lab_fini);

#define WAIT_MS 60000

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("not root: the lab makes network namespaces and veth pairs");
}

/* Run `sockfam compare --link lab ... --json`; its object (the caller frees it). */
static json_t *compare(const char *const extra[])
{
    const char *argv[32] = {"sockfam", "compare", "--link", "lab", "--json"};
    int n = 5;
    struct proc c;
    json_error_t jerr;

    while (*extra && n < 31)
        argv[n++] = *extra++;
    argv[n] = NULL;
    cr_assert_eq(proc_run(&c, WAIT_MS * 2, argv), 0, "%s", c.err);
    json_t *o = json_loads(c.out, 0, &jerr);
    cr_assert_not_null(o, "%s: %s", jerr.text, c.out);
    return o;
}

static json_int_t num(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    cr_assert(json_is_integer(v), "%s.%s.%s is not an integer", a, b ? b : "", c ? c : "");
    return json_integer_value(v);
}

static json_t *family(json_t *o, const char *name)
{
    json_t *fams = json_object_get(o, "families");
    for (size_t i = 0; i < json_array_size(fams); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(fams, i), "family")), name) ==
            0)
            return json_array_get(fams, i);
    cr_assert_fail("no family %s", name);
    return NULL;
}

/* Datagrams: sent = delivered + lost on the wire + lost at the receiver, exactly, and received =
 * delivered + copies.  A stream delivers all it sent. */
static void sums_exactly(json_t *f, const char *way)
{
    const char *name = json_string_value(json_object_get(f, "family"));
    json_t *d = json_object_get(json_object_get(f, "delivery_each_way"), way);
    json_int_t sent = num(d, "sent", NULL, NULL), deliv = num(d, "delivered", NULL, NULL),
               wire = num(d, "lost_on_wire", NULL, NULL), dup = num(d, "duplicated", NULL, NULL),
               got = num(d, "received", NULL, NULL);
    json_t *r = json_object_get(d, "lost_at_receiver");
    json_int_t rcv = json_is_integer(r) ? json_integer_value(r) : 0;

    cr_log_info("%s %s: sent %lld, delivered %lld, lost on the wire %lld, at the receiver %lld, "
                "copies %lld",
                name, way, (long long)sent, (long long)deliv, (long long)wire, (long long)rcv,
                (long long)dup);
    cr_expect_eq(num(d, "unaccounted", NULL, NULL), 0, "%s %s: unaccounted", name, way);
    if (json_is_true(json_object_get(d, "stream"))) { /* its copies and losses are packets */
        cr_expect_eq(deliv, sent, "%s %s: a stream delivers everything", name, way);
        return;
    }
    cr_expect_eq(got, deliv + dup, "%s %s: received = delivered + copies", name, way);
    cr_expect_eq(sent, deliv + wire + rcv, "%s %s: every datagram accounted for", name, way);
}

/*
 * Every 10th packet dropped: each family's losses are where the router
 * made them, and added up they are the router's own count (nft's), each
 * way.  TCP resends; its kernel's count is never below what the captures
 * saw resent (it also counts a resent SYN or FIN, which carry no data).
 */
Test(delivery_wire, every_loss_on_the_wire_is_the_routers)
{
    need_root();
    const char *extra[] = {"--loss", "every:10", "-c", "100", "--families", "tcp,udp,icmp", NULL};
    json_t *o = compare(extra);
    json_int_t lost[2] = {0, 0};
    const char *ways[2] = {"up", "down"};

    for (int i = 0; i < 3; i++) {
        json_t *f = family(o, (const char *[]){"tcp", "udp", "icmp"}[i]);
        cr_expect_str_eq(json_string_value(json_object_get(f, "status")), "ok");
        for (int w = 0; w < 2; w++) {
            sums_exactly(f, ways[w]);
            lost[w] += num(f, "lost_on_wire", ways[w], NULL);
        }
    }
    for (int w = 0; w < 2; w++)
        cr_expect_eq(lost[w], num(o, "link", "router_dropped", ways[w]),
                     "%s: the families' packets lost on the wire are the router's drops", ways[w]);
    json_t *tcp = family(o, "tcp");
    json_int_t seen = num(tcp, "resent_each_way", "up", NULL),
               kernel = num(tcp, "tcp_retrans", NULL, NULL);
    cr_log_info("tcp: resent up %lld in the captures, %lld by the kernel (TCP_INFO)",
                (long long)seen, (long long)kernel);
    cr_expect_geq(seen, num(tcp, "lost_on_wire", "up", NULL) > 0 ? 1 : 0);
    cr_expect_geq(kernel, seen, "the kernel resent at least what the captures saw resent");
    json_decref(o);
}

/*
 * A 4000-byte datagram crosses MTU 1500 as 3 pieces; drop one and the
 * datagram is lost whole: the receiver reads nothing of it.
 */
Test(delivery_wire, a_fragment_lost_loses_the_datagram_whole)
{
    need_root();
    const char *extra[] = {"--loss", "every:7",    "-c",  "40", "-s",
                           "4000",   "--families", "udp", NULL};
    json_t *o = compare(extra);
    json_t *udp = family(o, "udp");
    json_int_t dgrams = num(udp, "fragments", "up", "datagrams"),
               pieces = num(udp, "fragments", "up", "pieces"),
               by_piece = num(udp, "fragments", "up", "lost_by_a_piece");

    cr_log_info("udp -s 4000, every 7th packet dropped: %lld datagrams up in %lld pieces, %lld "
                "lost by a piece",
                (long long)dgrams, (long long)pieces, (long long)by_piece);
    cr_expect_eq(dgrams, 40, "every request was fragmented");
    cr_expect_eq(pieces, 3 * dgrams, "3 pieces each at MTU 1500");
    cr_expect_gt(by_piece, 0);
    cr_expect_eq(num(udp, "delivery_each_way", "up", "lost_on_wire"), by_piece,
                 "each datagram lost on the wire was lost by one of its pieces");
    cr_expect_leq(by_piece, num(udp, "lost_on_wire", "up", NULL), "a piece each at least");
    sums_exactly(udp, "up");
    sums_exactly(udp, "down");
    json_decref(o);
}

/* A router that copies packets: the receiver reads copies, which are not deliveries. */
Test(delivery_wire, copies_are_counted_apart)
{
    need_root();
    const char *extra[] = {"--dup", "50%", "-c", "100", "--families", "tcp,udp", NULL};
    json_t *o = compare(extra);
    json_t *udp = family(o, "udp"), *tcp = family(o, "tcp");

    cr_expect_gt(num(udp, "delivery_each_way", "up", "duplicated"), 0,
                 "50%%: some requests copied");
    cr_expect_eq(num(udp, "delivery_each_way", "up", "delivered"), 100,
                 "no loss: each request once");
    cr_expect_eq(num(udp, "answered", NULL, NULL), 100);
    cr_expect_gt(num(tcp, "delivery_each_way", "up", "duplicated"), 0,
                 "50%%: some segments copied");
    for (int i = 0; i < 2; i++) {
        sums_exactly(i ? tcp : udp, "up");
        sums_exactly(i ? tcp : udp, "down");
    }
    json_decref(o);
}

/*
 * A 1 Mbit/s bottleneck (tbf, a 4 KiB bucket) each way: a 20000-byte
 * message needs at least (20000 - 4096) x 8 bits at 1 Mbit/s, 127 ms,
 * whatever the machine, before its last byte is through (the echo flows
 * back meanwhile, as the server answers each read: the two directions
 * overlap).  TCP delivers every message in segments of the link's size.
 */
Test(delivery_wire, a_narrow_rate_sets_the_pace)
{
    need_root();
    const char *extra[] = {"--rate", "1mbit", "-c", "4", "-s", "20000", "--families", "tcp", NULL};
    json_t *o = compare(extra);
    json_t *tcp = family(o, "tcp");
    double p50 = json_real_value(json_object_get(json_object_get(tcp, "rtt_us"), "p50"));

    cr_log_info("tcp, 20000-byte messages through 1mbit: p50 %.0f us", p50);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(o, "link"), "rate")),
                     "1mbit");
    cr_expect_geq(p50, 127000, "faster than 1 Mbit/s allows: %.0f us", p50);
    cr_expect_eq(num(tcp, "answered", NULL, NULL), 4);
    cr_expect_leq(num(tcp, "largest_segment", NULL, NULL), 1448);
    json_decref(o);
}

/*
 * Attribution, at the sockets: a udp-server that does not read (stopped)
 * behind a router dropping every 5th datagram.  400 datagrams sent at once
 * from the client's namespace: the router's counter has exactly 80 of
 * them, the server's kernel the ones its full buffer refused, the server
 * read the rest, and the three add up to what was sent; nothing is
 * counted twice.
 */
Test(delivery_wire, full_receive_buffer_counted_at_the_receiver_apart_from_the_wire)
{
    struct sf_lab_opts lo = {
        .loss = SF_LOSS_EVERY, .loss_every = 5, .loss_dir = SF_LAB_UP, .loss_min_len = 1000};
    struct sf_err err;
    struct server s;
    char addr[128], msg[1400];
    unsigned long long read_n = 0, dropped = 0, sent = 0;
    uint64_t up, down;

    need_root();
    current = sf_lab_up(&err, &lo);
    cr_assert_not_null(current, "%s", err.msg);
    const char *argv[] = {"udp-server", "--bind", "198.18.2.2", "-p", "0", "-q", NULL};
    cr_assert_eq(proc_start_in(&s.p, sf_lab_netns(current, SF_LAB_SERVER), argv), 0);
    s.port = proc_wait_listening(&s.p, WAIT_MS, addr, sizeof(addr));
    cr_assert_gt(s.port, 0, "%s", s.p.err);
    cr_assert_eq(kill(s.p.pid, SIGSTOP), 0);

    cr_assert_eq(sf_lab_enter(&err, current, SF_LAB_CLIENT), 0, "%s", err.msg);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(sf_lab_enter(&err, current, SF_LAB_NS), 0, "%s", err.msg);
    cr_assert_geq(fd, 0);
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s.port)};
    inet_pton(AF_INET, "198.18.2.2", &to.sin_addr);
    memset(msg, 'x', sizeof(msg));
    for (int i = 0; i < 400; i++)
        sent += sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&to, sizeof(to)) ==
                (ssize_t)sizeof(msg);
    close(fd);
    cr_assert_eq(sf_lab_dropped(&err, current, &up, &down), 0, "%s", err.msg);
    cr_assert_eq(kill(s.p.pid, SIGCONT), 0);
    cr_assert_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    const char *line = strstr(s.p.err, "udp-server: datagrams ");
    cr_assert_not_null(line, "%s", s.p.err);
    read_n = strtoull(line + strlen("udp-server: datagrams "), NULL, 10);
    const char *k = strstr(line, "dropped by the kernel ");
    cr_assert_not_null(k, "%s", line);
    dropped = strtoull(k + strlen("dropped by the kernel "), NULL, 10);
    cr_log_info("400 datagrams into a stopped server, every 5th dropped: sent %llu, router %llu, "
                "receiver's kernel %llu, read %llu",
                sent, (unsigned long long)up, dropped, read_n);
    cr_expect_eq(sent, 400);
    cr_expect_eq(up, sent / 5, "the router dropped every 5th, no more");
    cr_expect_gt(dropped, 0, "the stopped server's buffer filled");
    cr_expect_eq(read_n + dropped + up, sent, "read + the receiver's drops + the router's = sent");
    sf_lab_down(&err, current);
    current = NULL;
}

/*
 * Over IPv6 from the first packet: every family answered 5 of 5 with a
 * 200 ms wait, so the router answered neighbour solicitation at once (two
 * veth ends of the same index made the kernel tell IPv6 of the carrier up
 * to a second late, and the first datagrams of a run were lost); and icmp
 * answered once per request, by icmp-echod alone (the kernel's ICMPv6 echo
 * silenced too: both answered before, and the client saw duplicates).
 */
Test(delivery_wire, ipv6_from_the_first_packet_answered_once)
{
    need_root();
    const char *extra[] = {"-6", "-c", "5", "--families", "tcp,udp,icmp", NULL};
    json_t *o = compare(extra);

    for (int i = 0; i < 3; i++) {
        const char *name = (const char *[]){"tcp", "udp", "icmp"}[i];
        json_t *f = family(o, name);
        cr_expect_str_eq(json_string_value(json_object_get(f, "status")), "ok", "%s", name);
        cr_expect_eq(num(f, "answered", NULL, NULL), 5, "%s: 5 of 5 answered", name);
        cr_expect(strncmp(json_string_value(json_object_get(f, "socket")), "AF_INET6 ", 9) == 0,
                  "%s: %s", name, json_string_value(json_object_get(f, "socket")));
        sums_exactly(f, "up");
        sums_exactly(f, "down");
    }
    cr_expect_eq(
        num(json_object_get(family(o, "icmp"), "delivery_each_way"), "down", "received", NULL), 5,
        "one reply per request");
    cr_expect_str_eq(json_string_value(json_object_get(o, "icmp_responder")), "icmp-echod");
    json_decref(o);
}

/*
 * The capture is sized for the link it watches: 3000-byte messages cross
 * MTU 1500 as 3 segments or fragments each, with ACKs between, and the
 * run's capture holds them all (sized as for lo, it lost 482 of them).
 */
Test(delivery_wire, capture_sized_for_the_lab_holds_every_segment)
{
    need_root();
    const char *extra[] = {"-s", "3000", "-c", "100", "--families", "tcp,udp", NULL};
    json_t *o = compare(extra);

    cr_expect_str_eq(json_string_value(json_object_get(o, "capture")), "complete");
    cr_expect_eq(num(o, "capture_lost", NULL, NULL), 0);
    cr_expect_geq(num(family(o, "udp"), "packets", NULL, NULL), 600, "3 fragments each way");
    json_decref(o);
}

/*
 * Behind a narrow hop the router cuts a fragmented datagram again (3
 * pieces in, 4 out): the same datagram, delivered once, never a copy; and
 * TCP's segment lost at the hop is resent in smaller pieces, each counted
 * as resent in the captures, as the kernel counts them.
 */
Test(delivery_wire, narrow_hop_cuts_again_and_tcp_resends_smaller)
{
    need_root();
    const char *extra[] = {"--mtu", "1280", "-s", "4000", "-c", "20", "--families", "udp", NULL};
    json_t *o = compare(extra);
    json_t *udp = family(o, "udp");

    cr_expect_eq(num(json_object_get(udp, "delivery_each_way"), "up", "delivered", NULL), 20);
    cr_expect_eq(num(json_object_get(udp, "delivery_each_way"), "up", "duplicated", NULL), 0,
                 "a datagram cut again is not a copy");
    sums_exactly(udp, "up");
    sums_exactly(udp, "down");
    json_decref(o);

    const char *tcp_run[] = {"--mtu", "1280", "-s", "4000", "-c", "20", "--families", "tcp", NULL};
    o = compare(tcp_run);
    json_t *tcp = family(o, "tcp");
    json_int_t seen = num(tcp, "resent_each_way", "up", NULL),
               kernel = num(tcp, "tcp_retrans", NULL, NULL);
    cr_log_info("tcp at a 1280 hop: resent up %lld in the captures, %lld by the kernel",
                (long long)seen, (long long)kernel);
    cr_expect_gt(seen, 0, "the first big segments were too big for the hop");
    cr_expect_eq(seen, kernel, "the captures see every segment the kernel resent");
    cr_expect_leq(num(tcp, "largest_segment", NULL, NULL), 1448);
    json_decref(o);
}

/*
 * Loss and copies at once on fragmented datagrams: a datagram that lost
 * one piece while the router copied another has no whole copy past the
 * router, though its bytes add up (the ledger counted it delivered, and
 * the sums were off by a few).
 */
Test(delivery_wire, fragments_lost_and_copied_still_sum_exactly)
{
    need_root();
    const char *extra[] = {"--loss", "5%",  "--dup",      "5%",  "-s", "4000",
                           "-c",     "100", "--families", "udp", NULL};
    json_t *o = compare(extra);
    json_t *udp = family(o, "udp");

    cr_expect_eq(num(udp, "fragments", "up", "datagrams"), 100);
    sums_exactly(udp, "up");
    sums_exactly(udp, "down");
    json_decref(o);
}
