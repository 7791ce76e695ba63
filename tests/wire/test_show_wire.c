/*
 * sockfam show: each lesson run as a learner runs it (`sockfam show NAME
 * --json`, as root), its verdict and its figures asserted: the lesson and
 * its test are one definition.  Also the list, a lesson that does not
 * exist (64), and a user without root (77).
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

TestSuite(show_wire, .timeout = 90);

#define WAIT_MS 30000

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("not root: the lessons make a private network namespace and capture it");
}

/* `sockfam show name --json`: it holds (exit 0); its figures (the caller frees the object). */
static json_t *lesson(const char *name)
{
    struct proc c;
    json_error_t jerr;
    const char *argv[] = {"sockfam", "show", name, "--json", NULL};

    need_root();
    int rc = proc_run(&c, WAIT_MS, argv);
    json_t *o = json_loads(c.out, 0, &jerr);
    cr_assert_not_null(o, "%s: %s\n%s", jerr.text, c.out, c.err);
    cr_assert_str_eq(json_string_value(json_object_get(o, "verdict")), "holds", "%s: %s", name,
                     json_string_value(json_object_get(o, "why")));
    cr_assert_eq(rc, 0, "%s: %s", name, c.err);
    return o;
}

static double fig(json_t *o, const char *name)
{
    json_t *v = json_object_get(json_object_get(o, "figures"), name);
    cr_assert(json_is_number(v), "no figure %s", name);
    return json_number_value(v);
}

Test(show_wire, timeout_sends_nothing)
{
    json_t *o = lesson("timeout");
    cr_expect_eq(fig(o, "packets"), 1, "the request alone on the wire");
    cr_expect_geq(fig(o, "waited_ms"), 290, "SO_RCVTIMEO 300 ms");
    json_decref(o);
}

Test(show_wire, truncation_tail_lost_tcp_keeps_it)
{
    json_t *o = lesson("truncation");
    cr_expect_eq(fig(o, "udp_on_wire_bytes"), 3000);
    cr_expect_eq(fig(o, "udp_read_bytes"), 1024);
    cr_expect_eq(fig(o, "udp_datagram_bytes"), 3000);
    cr_expect_lt(fig(o, "udp_next_read"), 0, "nothing of the datagram is left to read");
    cr_expect_eq(fig(o, "tcp_bytes"), 3000);
    cr_expect_geq(fig(o, "tcp_reads"), 3);
    json_decref(o);
}

Test(show_wire, boundaries_streams_merge_records_keep)
{
    json_t *o = lesson("boundaries");
    cr_expect_eq(fig(o, "tcp_segments"), 3, "three segments on the wire");
    cr_expect_eq(fig(o, "tcp_reads"), 1, "one read at the receiver");
    cr_expect_eq(fig(o, "unix_stream_reads"), 1);
    cr_expect_eq(fig(o, "udp_reads"), 3);
    cr_expect_eq(fig(o, "unix_seqpacket_reads"), 3);
    cr_expect_eq(fig(o, "unix_dgram_reads"), 3);
    json_decref(o);
}

Test(show_wire, backlog_full_queue_drops_syns_silently)
{
    json_t *o = lesson("backlog");
    cr_expect_geq(fig(o, "answered_at_once"), 2, "backlog + 1 at least");
    cr_expect_lt(fig(o, "answered_at_once"), 4, "never all");
    cr_expect_geq(fig(o, "syns_resent"), 1);
    cr_expect_geq(fig(o, "first_resend_ms"), 900, "the initial RTO, a second");
    cr_expect_eq(fig(o, "resets"), 0);
    cr_expect_eq(fig(o, "served"), 4);
    json_decref(o);
}

Test(show_wire, dead_peer_per_family)
{
    json_t *o = lesson("dead-peer");
    cr_expect_eq(fig(o, "tcp_refused"), 1);
    cr_expect_eq(fig(o, "udp_connected_refused"), 1);
    cr_expect_geq(fig(o, "udp_unconnected_waited_ms"), 290, "only the timeout ends the wait");
    cr_expect_eq(fig(o, "unix_missing_enoent"), 1);
    cr_expect_eq(fig(o, "unix_stale_refused"), 1);
    cr_expect_eq(fig(o, "tcp_reset_mid_conversation"), 1);
    json_decref(o);
}

/*
 * Nagle against delayed ACK: the kernel's minimum delayed-ACK time (40 ms)
 * is a lower bound whatever the machine; TCP_NODELAY's round is far below
 * it (the bound is generous: microseconds here).
 */
Test(show_wire, nagle_waits_for_the_delayed_ack_nodelay_does_not)
{
    json_t *o = lesson("nagle");
    cr_expect_geq(fig(o, "nagle_round_ms"), 30);
    cr_expect_geq(fig(o, "nagle_body_after_ms"), 30, "'body' held for the ACK");
    cr_expect_lt(fig(o, "nodelay_round_ms"), 30);
    cr_expect_lt(fig(o, "nodelay_body_after_ms"), 30);
    json_decref(o);
}

Test(show_wire, unix_rights_descriptor_and_credentials)
{
    json_t *o = lesson("unix-rights");
    cr_expect_eq(fig(o, "open_refused"), 1, "nobody cannot open the 0600 file");
    cr_expect_eq(fig(o, "read_through_passed_fd"), 1, "but reads it through the descriptor");
    cr_expect_eq(fig(o, "peercred_uid"), 65534);
    cr_expect_eq(fig(o, "scm_credentials_uid"), 65534);
    cr_expect_eq(fig(o, "path_socket_refused"), 1);
    cr_expect_eq(fig(o, "abstract_connected"), 1);
    json_decref(o);
}

/* In the lab: its veths carry the link-local addresses. */
Test(show_wire, dual_stack_mapped_v6only_and_link_local_scope)
{
    json_t *o = lesson("dual-stack");
    cr_expect_eq(fig(o, "mapped"), 1, "accepted as ::ffff:198.18.1.2");
    cr_expect_eq(fig(o, "v6only_refused"), 1);
    cr_expect_eq(fig(o, "unscoped_fails"), 1, "fe80:: without its interface");
    cr_expect_eq(fig(o, "scoped_connects"), 1, "fe80::...%%c0");
    json_decref(o);
}

/* The silent client's 500 ms timeout is a lower bound for the one-at-a-time server. */
Test(show_wire, concurrency_one_at_a_time_waits_epoll_does_not)
{
    json_t *o = lesson("concurrency");
    cr_expect_geq(fig(o, "one_at_a_time_ms"), 450);
    cr_expect_lt(fig(o, "epoll_ms"), fig(o, "one_at_a_time_ms") / 2);
    json_decref(o);
}

/* In the lab: 3 pieces and 45; the datagram that lost one piece is gone, the other read. */
Test(show_wire, fragments_one_piece_lost_datagram_gone)
{
    json_t *o = lesson("fragments");
    cr_expect_eq(fig(o, "first_4000_pieces"), 3);
    cr_expect_eq(fig(o, "first_4000_past_router"), 2, "its first piece dropped");
    cr_expect_eq(fig(o, "second_4000_past_router"), 3);
    cr_expect_eq(fig(o, "big_65507_pieces"), 45);
    cr_expect_eq(fig(o, "datagrams_read"), 1, "only the whole one");
    cr_expect_eq(fig(o, "pmtudisc_do_emsgsize"), 1);
    json_decref(o);
}

/* In the lab behind a 1280 hop, over IPv4 and IPv6. */
Test(show_wire, pmtu_too_big_and_segments_shrink)
{
    json_t *o = lesson("pmtu");
    cr_expect_geq(fig(o, "v4_too_big"), 1);
    cr_expect_eq(fig(o, "v4_mtu"), 1280);
    cr_expect_leq(fig(o, "v4_segment_after"), 1240);
    cr_expect_geq(fig(o, "v6_too_big"), 1);
    cr_expect_eq(fig(o, "v6_mtu"), 1280);
    cr_expect_leq(fig(o, "v6_segment_after"), 1220);
    json_decref(o);
}

/* In the lab, every 10th data packet dropped: TCP late (one at a time: the probe timeout, some
 * 200 ms), never lost; UDP lost, never late. */
Test(show_wire, loss_tcp_late_udp_lost)
{
    json_t *o = lesson("loss");
    cr_expect_eq(fig(o, "tcp_answered"), 40);
    cr_expect_eq(fig(o, "tcp_lockstep_answered"), 40);
    cr_expect_geq(fig(o, "tcp_lockstep_slowest_ms"), 150, "a lost request waits for a timer");
    cr_expect_lt(fig(o, "udp_answered"), 40);
    cr_expect_lt(fig(o, "udp_slowest_ms"), 100, "what arrives is on time");
    json_decref(o);
}

Test(show_wire, list_unknown_and_unprivileged)
{
    struct proc c;
    const char *list[] = {"sockfam", "show", NULL}, *bad[] = {"sockfam", "show", "nope", NULL},
               *user[] = {"sockfam", "show", "timeout", NULL};

    cr_assert_eq(proc_run(&c, WAIT_MS, list), 0, "%s", c.err);
    const char *names[] = {"timeout",     "truncation", "boundaries",  "backlog",
                           "dead-peer",   "nagle",      "unix-rights", "dual-stack",
                           "concurrency", "fragments",  "pmtu"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        cr_expect(strstr(c.out, names[i]), "%s missing from the list:\n%s", names[i], c.out);
    cr_expect_eq(proc_run(&c, WAIT_MS, bad), 64, "%s", c.err);
    cr_expect(strstr(c.err, "no lesson 'nope'"), "%s", c.err);
    if (geteuid() != 0)
        cr_skip_test("not root: the unprivileged run is run as nobody from root");
    cr_expect_eq(proc_run_nobody(&c, WAIT_MS, user), 77, "%s", c.err);
    cr_expect(strstr(c.err, "need root"), "%s", c.err);
}
