/*
 * Pair tests for dgram/: real udp-server and udp-client processes on port 0
 * over loopback: every mode, IPv4 and IPv6, truncation on either side, lost
 * replies within the deadline, and the boundary lesson beside TCP's.
 */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "proc.h"

TestSuite(udp, .timeout = 30);

#define WAIT_MS 10000

static void start(struct server *s, const char *program, const char *const extra[])
{
    cr_assert_eq(server_start(s, program, extra), 0, "no readiness line; stderr: %s", s->p.err);
}

static void stop(struct server *s)
{
    cr_expect_eq(proc_signal_wait(&s->p, SIGTERM, WAIT_MS), 0, "server stderr: %s", s->p.err);
}

/* The tutorial's echo, over UDP: the same client line, the sender on the server. */
Test(udp, echo_default_message_v4)
{
    struct server s;
    struct proc c;

    start(&s, "udp-server", NULL);
    const char *argv[] = {"udp-client", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> Hello network World'\n");
    cr_expect(proc_wait_output(&s.p, 1, "Server received from ('127.0.0.1', ", WAIT_MS));
    stop(&s);
    cr_expect(strstr(s.p.err, "datagrams 1, replies 1, truncated 0"), "%s", s.p.err);
}

Test(udp, echo_roundtrip_v6)
{
    struct server s;
    struct proc c;
    char target[64];

    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    const char *extra[] = {"-6", NULL};
    start(&s, "udp-server", extra);
    snprintf(target, sizeof(target), "[::1]:%d", s.port);
    const char *argv[] = {"udp-client", target, "v6", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> v6'\n");
    cr_expect(proc_wait_output(&s.p, 1, "Server received from ('::1', ", WAIT_MS));
    stop(&s);
}

/* An empty datagram is a real message over UDP (unlike a zero-byte TCP send). */
Test(udp, empty_datagram_answered)
{
    struct server s;
    struct proc c;

    start(&s, "udp-server", NULL);
    const char *argv[] = {"udp-client", "-p", s.portstr, "localhost", "", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> '\n");
    stop(&s);
}

/* welcome, mirror and discard modes, over IPv4 and over IPv6. */
Test(udp, welcome_mirror_discard_modes_v4_v6)
{
    for (int v6 = 0; v6 < 2; v6++) {
        struct server s;
        struct proc c;
        char host[16];
        if (v6 && !ipv6_available())
            cr_skip_test("IPv6 loopback (::1) is not available here");
        strcpy(host, v6 ? "::1" : "127.0.0.1");
        const char *fam = v6 ? "-6" : "-4";

        const char *welcome[] = {fam, "--mode", "welcome", NULL};
        start(&s, "udp-server", welcome);
        const char *one[] = {"udp-client", fam, "--mode", "welcome", "-p", s.portstr, host, NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, one), 0, "%s", c.err);
        cr_expect_str_eq(c.out, "Welcome to server!\n", "%s", host);
        const char *two[] = {"udp-client", fam,  "--mode", "welcome", "-p",
                             s.portstr,    host, "2",      NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, two), 0, "%s", c.err);
        cr_expect_str_eq(c.out, "Please go out!\n", "%s", host);
        stop(&s);

        const char *mirror[] = {fam, "--mode", "mirror", NULL};
        start(&s, "udp-server", mirror);
        const char *m[] = {"udp-client", fam,    "--mode", "mirror",  "--json", "-c", "100",
                           "--size",     "1400", "-p",     s.portstr, host,     NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, m), 0, "%s", c.err);
        cr_expect(strstr(c.out, "\"sent\":100,\"answered\":100,\"lost\":0,\"truncated\":0"),
                  "%s: %s", host, c.out);
        cr_expect(strstr(c.out, "\"bytes_received\":140000"), "%s", c.out);
        stop(&s);

        const char *discard[] = {fam, "--mode", "discard", NULL};
        start(&s, "udp-server", discard);
        const char *d[] = {"udp-client", fam,  "--mode",  "discard", "-c",
                           "5",          "-p", s.portstr, host,      NULL};
        cr_assert_eq(proc_run(&c, WAIT_MS, d), 0, "%s", c.err);
        /* Nothing comes back to wait for: the server's own lines say it read all five. */
        cr_expect(proc_wait_count(&s.p, 1, "Server received from", 5, WAIT_MS), "%s", s.p.out);
        stop(&s);
        cr_expect(strstr(s.p.err, "datagrams 5, replies 0"), "%s", s.p.err);
    }
}

/* Over IPv6 the limit is 65527 bytes (no IPv4 header inside the 65535). */
Test(udp, v6_datagram_limit)
{
    struct server s;
    struct proc c;

    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    const char *extra[] = {"-6", "--mode", "mirror", "--recv-size", "65536", "-q", NULL};
    start(&s, "udp-server", extra);
    const char *max[] = {"udp-client", "-6", "--mode", "mirror",  "--size",
                         "65527",      "-q", "-p",     s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, max), 0, "%s", c.err);
    const char *over[] = {"udp-client", "-6", "--mode",  "mirror", "--size",
                          "65528",      "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, over), 64, "%s", c.err);
    cr_expect(strstr(c.err, "over the UDP limit of 65527 bytes for IPv6"), "%s", c.err);
    stop(&s);
}

/* The largest datagram UDP carries over IPv4 goes and comes back whole; one byte more is refused.
 */
Test(udp, max_datagram_roundtrip_and_limit)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "mirror", "--recv-size", "65536", "-q", NULL};

    start(&s, "udp-server", extra);
    const char *max[] = {"udp-client", "--mode", "mirror", "--size",  "65507",
                         "-q",         "--json", "-p",     s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, max), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"answered\":1,\"lost\":0,\"truncated\":0"), "%s", c.out);
    const char *over[] = {"udp-client", "--mode", "mirror",  "--size",
                          "65508",      "-p",     s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, over), 64, "%s", c.err);
    cr_expect(strstr(c.err, "65508 bytes is over the UDP limit of 65507 bytes for IPv4"), "%s",
              c.err);
    const char *echo[] = {"udp-client", "--size", "65501", "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, echo), 64, "%s", c.err);
    cr_expect(strstr(c.err, "limit of 65500 bytes for IPv4 in echo mode"), "%s", c.err);
    stop(&s);
}

/*
 * The boundary lesson, side by side: 3000 bytes against a 1024-byte buffer.
 * TCP delivers the rest on later reads (three chunks, three prefixes);
 * UDP truncates the datagram and the rest is gone, on whichever side.
 */
Test(udp, boundary_lesson_tcp_keeps_rest_udp_loses_it)
{
    struct server s;
    struct proc c;
    const char *small_echo[] = {"--recv-size", "1024", "-q", NULL};

    start(&s, "tcp-server", small_echo);
    const char *tcp[] = {"tcp-client", "--size", "3000", "--json", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, tcp), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"answered\":1,\"lost\":0,\"truncated\":0"), "%s", c.out);
    cr_expect(strstr(c.out, "\"bytes_received\":3021"), "3 reads, 3 prefixes: %s", c.out);
    stop(&s);

    /* the server's buffer is too small: it gets 1024 bytes and says so */
    const char *small_mirror[] = {"--recv-size", "1024", "--mode", "mirror", "-q", NULL};
    start(&s, "udp-server", small_mirror);
    const char *udp[] = {"udp-client", "--mode", "mirror", "--size", "3000", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, udp), 0, "%s", c.err);
    cr_expect(strstr(c.out, "1 answered, 0 lost, 1 truncated; 3000 bytes out, 1024 in"), "%s",
              c.out);
    cr_expect(strstr(c.err, "reply short: 1024 bytes"), "%s", c.err);
    stop(&s);
    cr_expect(strstr(s.p.err, "truncated: 3000 bytes, buffer 1024 (the other 1976 are lost)"), "%s",
              s.p.err);

    /* the client's buffer is too small: it reports the reply's real size */
    const char *mirror[] = {"--mode", "mirror", "--recv-size", "65536", "-q", NULL};
    start(&s, "udp-server", mirror);
    const char *small[] = {"udp-client",  "--mode", "mirror", "--size",  "3000",
                           "--recv-size", "1024",   "-p",     s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, small), 0, "%s", c.err);
    cr_expect(strstr(c.err, "reply truncated: datagram of 3000 bytes, buffer 1024 (the other "
                            "1976 are lost)"),
              "%s", c.err);
    stop(&s);
}

/* No server: each reply is reported lost within the deadline, after the retries asked for. */
Test(udp, no_server_replies_lost_within_deadline)
{
    struct proc c;
    char port[16];

    snprintf(port, sizeof(port), "%d", free_udp_port());
    const char *argv[] = {"udp-client", "-w",     "0.2", "--retries", "2", "-c",
                          "2",          "--json", "-p",  port,        NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":2,\"answered\":0,\"lost\":2"), "%s", c.out);
    cr_expect(strstr(c.out, "\"retries\":4"), "%s", c.out);
    cr_expect(strstr(c.err, "2 of 2 replies lost"), "%s", c.err);
    const char *text[] = {"udp-client", "-w", "0.2", "-p", port, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, text), 69, "%s", c.err);
    cr_expect(strstr(c.err, "no reply to message 1 within 0.2 s (lost)"), "%s", c.err);
}

/* --connect: the ICMP port unreachable comes back as "Connection refused". */
Test(udp, connect_no_server_refused)
{
    struct proc c;
    char port[16];

    snprintf(port, sizeof(port), "%d", free_udp_port());
    const char *argv[] = {"udp-client", "--connect", "-w", "2", "-p", port, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "Connection refused"), "%s", c.err);
}

/* --connect with a server: the same exchange as unconnected. */
Test(udp, connect_with_server_works)
{
    struct server s;
    struct proc c;

    start(&s, "udp-server", NULL);
    const char *argv[] = {"udp-client", "--connect", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> Hello network World'\n");
    stop(&s);
}

struct bad_case {
    const char *argv[8];
    int code;
    const char *msg;
};

/* Bad input: one line, the right code; options of other families are unknown here. */
Test(udp, bad_input_table)
{
    static const struct bad_case cases[] = {
        {{"udp-client", "-p", "0", NULL}, 64, "invalid port '0'"},
        {{"udp-client", "--retries", "x", NULL}, 64, "invalid --retries 'x'"},
        {{"udp-client", "--recv-size", "0", NULL}, 64, "invalid --recv-size '0'"},
        {{"udp-client", "--burst", "--retries", "1", NULL}, 64, "--burst and --retries"},
        {{"udp-client", "--type", "dgram", NULL}, 64, "unknown option '--type'"},
        {{"udp-server", "--once", NULL}, 64, "unknown option '--once'"},
        {{"udp-server", "--backlog", "5", NULL}, 64, "unknown option '--backlog'"},
        {{"udp-client", "no..such.host", NULL}, 68, "getaddrinfo(no..such.host:50007)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, cases[i].argv), cases[i].code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "case %zu: '%s'", i, c.err);
        cr_expect_eq(c.out_len, 0, "case %zu: %s", i, c.out);
    }
}

/*
 * Nothing unexplained: 3000 datagrams of 1400 bytes into a stopped server
 * overflow its receive buffer.  Stopped at SIGTERM (sent while it cannot
 * run), it still reads what was queued, and its last line accounts for
 * every datagram: read, or dropped by the kernel (SO_MEMINFO).
 */
Test(udp, stopped_server_accounts_for_every_datagram)
{
    struct server s;
    struct proc c;
    unsigned long long got = 0, dropped = 0;
    const char *discard[] = {"--mode", "discard", "-q", NULL};

    start(&s, "udp-server", discard);
    cr_assert_eq(kill(s.p.pid, SIGSTOP), 0);
    const char *d[] = {"udp-client", "--mode", "discard", "-c",        "3000", "-s",
                       "1400",       "-p",     s.portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, d), 0, "%s", c.err);
    cr_assert_eq(kill(s.p.pid, SIGTERM), 0);
    cr_assert_eq(kill(s.p.pid, SIGCONT), 0);
    cr_assert_eq(proc_wait_exit(&s.p, WAIT_MS), 0, "%s", s.p.err);
    const char *line = strstr(s.p.err, "udp-server: datagrams ");
    cr_assert_not_null(line, "%s", s.p.err);
    cr_assert_eq(sscanf(line, "udp-server: datagrams %llu", &got), 1, "%s", line);
    const char *k = strstr(line, "dropped by the kernel ");
    cr_assert_not_null(k, "%s", line);
    cr_assert_eq(sscanf(k, "dropped by the kernel %llu", &dropped), 1, "%s", line);
    cr_expect_gt(got, 0, "the queued datagrams were not read at the stop: %s", line);
    cr_expect_gt(dropped, 0, "3000 x 1400 bytes fit a stopped server's buffer: %s", line);
    cr_expect_eq(got + dropped, 3000, "%s", line);
}

/*
 * A flood from 200 source ports, datagrams of 0, 1, 512, 1472 and 65507
 * bytes, none of the senders reading until the end.  Nothing unexplained
 * on either side: every datagram sent was read by the server or dropped by
 * the kernel at its socket, and every reply it sent was read by its sender
 * or dropped by the kernel at the sender's socket.
 */
Test(udp, flood_from_many_ports_every_datagram_accounted)
{
    enum { PORTS = 200, ROUNDS = 25 };
    static const size_t sizes[] = {0, 1, 512, 1472, 65507};
    static char buf[65536];
    static int fds[PORTS];
    struct server s;
    unsigned long long sent = 0, got = 0, client_drops = 0;
    const char *extra[] = {"--mode", "mirror", "-q", NULL};

    start(&s, "udp-server", extra);
    struct sockaddr_in to = loopback4(s.port);
    for (int i = 0; i < PORTS; i++) {
        fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        cr_assert_geq(fds[i], 0);
    }
    memset(buf, 'f', sizeof(buf));
    for (int r = 0; r < ROUNDS; r++)
        for (int i = 0; i < PORTS; i++) {
            size_t len = sizes[(size_t)(i + r) % 5];
            if (sendto(fds[i], buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len)
                sent++;
        }
    cr_expect_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    const char *line = strstr(s.p.err, "udp-server: datagrams ");
    cr_assert_not_null(line, "%s", s.p.err);
    for (int i = 0; i < PORTS; i++) {
        ssize_t n;
        while ((n = recv(fds[i], buf, sizeof(buf), MSG_TRUNC)) >= 0) {
            cr_expect(n == 0 || n == 1 || n == 512 || n == 1472 || n == 65507, "reply of %zd", n);
            got++;
        }
        client_drops += sf_socket_drops(fds[i]);
        close(fds[i]);
    }
    unsigned long long datagrams = line_counter(line, "datagrams "),
                       replies = line_counter(line, "replies "),
                       drops = line_counter(line, "dropped by the kernel ");
    cr_log_info("flood: sent %llu; the server read %llu, its kernel dropped %llu; replies %llu: "
                "read %llu, dropped at the senders %llu",
                sent, datagrams, drops, replies, got, client_drops);
    cr_expect_eq(sent, PORTS * ROUNDS, "sendto refused some datagrams");
    cr_expect_eq(datagrams + drops, sent, "%s", line);
    cr_expect_eq(replies + line_counter(line, "send errors "), datagrams, "%s", line);
    cr_expect_eq(got + client_drops, replies, "read %llu + dropped %llu at the senders: %s", got,
                 client_drops, line);
    cr_expect_eq(line_counter(line, "truncated "), 0, "%s", line);
}

/* Receive the next datagram on fd within WAIT_MS; its sender in *from. */
static void recv_within(int fd, struct sockaddr_in *from)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    socklen_t len = sizeof(*from);
    char buf[256];

    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "no datagram within %d ms", WAIT_MS);
    cr_assert_geq(recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)from, &len), 0);
}

/*
 * The first datagram is lost: the client resends after its deadline and
 * takes the reply to the second.  Before it, the full reply from another
 * port (not the server) and a datagram from the server that answers
 * nothing sent are skipped: the reply taken is the server's short one,
 * so the run counts it truncated.
 */
Test(udp, lost_datagram_resent_and_stray_ones_skipped)
{
    struct sockaddr_in a = loopback4(0), client;
    socklen_t len = sizeof(a);
    int srv = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), other = socket(AF_INET, SOCK_DGRAM, 0);
    struct proc c;
    char port[16];

    cr_assert_eq(bind(srv, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(getsockname(srv, (struct sockaddr *)&a, &len), 0);
    snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));
    const char *argv[] = {"udp-client", "--retries", "2",  "-w",        "0.3",
                          "--json",     "-p",        port, "127.0.0.1", NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    recv_within(srv, &client); /* the first try: dropped */
    recv_within(srv, &client); /* the resend */
    const char *full = "echo=> Hello network World", *stray = "echo=> something else";
    cr_assert_gt(sendto(other, full, strlen(full), 0, (struct sockaddr *)&client, sizeof(client)),
                 0);
    cr_assert_gt(sendto(srv, stray, strlen(stray), 0, (struct sockaddr *)&client, sizeof(client)),
                 0);
    cr_assert_gt(sendto(srv, "echo=> Hello", 12, 0, (struct sockaddr *)&client, sizeof(client)), 0);
    cr_expect_eq(proc_wait_exit(&c, WAIT_MS), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":1,\"answered\":1,\"lost\":0,\"truncated\":1,\"retries\":1,"),
              "%s", c.out);
    cr_expect(strstr(c.out, "\"bytes_received\":12,"), "%s", c.out);
    close(other);
    close(srv);
}

/* --warmup over datagrams: the server answers every one, the figures count the measured ones. */
Test(udp, warmup_exchanges_not_counted)
{
    struct server s;
    struct proc c;

    start(&s, "udp-server", NULL);
    const char *argv[] = {"udp-client", "--json", "--warmup", "4", "-c",
                          "3",          "-p",     s.portstr,  NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":3,\"answered\":3,\"lost\":0"), "%s", c.out);
    cr_expect(strstr(c.out, "\"rtt_us\":{\"n\":3,"), "%s", c.out);
    stop(&s);
    cr_expect(strstr(s.p.err, "datagrams 7, replies 7,"), "the server saw the warm-up too: %s",
              s.p.err);
}

/* --burst: ten datagrams back to back are ten reads of 64 bytes at the server, always. */
Test(udp, burst_of_10_read_as_10_datagrams)
{
    struct server s;
    struct proc c;

    start(&s, "udp-server", NULL);
    const char *argv[] = {"udp-client", "--burst", "-c", "10",      "-s",
                          "64",         "--json",  "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":10,\"answered\":10,\"lost\":0,"), "%s", c.out);
    cr_expect(strstr(c.out, "\"rtt_us\":{\"n\":0,"), "a burst has no round trips: %s", c.out);
    stop(&s);
    cr_expect(strstr(s.p.err, "; reads 10 (64-64 bytes)\n"), "%s", s.p.err);
}

/* A burst whose replies never come: every one counted lost after one wait, exit 69. */
Test(udp, burst_replies_lost_counted_exactly)
{
    struct server s;
    struct proc c;
    const char *discard[] = {"--mode", "discard", NULL};

    start(&s, "udp-server", discard);
    const char *argv[] = {"udp-client", "--burst", "-c",     "5",  "-s",      "64",
                          "--timeout",  "0.3",     "--json", "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":5,\"answered\":0,\"lost\":5,"), "%s", c.out);
    cr_expect(strstr(c.err, "5 of 5 replies lost"), "%s", c.err);
    stop(&s);
    cr_expect(strstr(s.p.err, "; reads 5 (64-64 bytes)\n"), "%s", s.p.err);
}
