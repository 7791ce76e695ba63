/*
 * Pair tests for stream/: real tcp-server and tcp-client processes on port
 * 0 over loopback, asserting the tutorial's transcripts, exit codes and the
 * one-line errors of bad input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proc.h"
#include "proto.h"

TestSuite(tcp, .timeout = 30);

#define WAIT_MS 10000

/* Start tcp-server on port 0 with extra args and wait for its readiness line. */
static void start(struct server *s, const char *const extra[])
{
    cr_assert_eq(server_start(s, "tcp-server", extra), 0, "no readiness line; stderr: %s",
                 s->p.err);
}

static void server_stop(struct server *s)
{
    cr_expect_eq(proc_signal_wait(&s->p, SIGTERM, WAIT_MS), 0, "server stderr: %s", s->p.err);
}

/* The tutorial's echo transcript, exactly, on both sides. */
Test(tcp, echo_default_message_transcript)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> Hello network World'\n");
    cr_expect(proc_wait_output(&s.p, 1, "Server connected by ('127.0.0.1', ", WAIT_MS), "%s",
              s.p.out);
    server_stop(&s);
}

/* HOST:PORT and several messages, one reply line each, bytes shown through repr. */
Test(tcp, echo_messages_and_repr)
{
    struct server s;
    struct proc c;
    char target[64];

    start(&s, NULL);
    snprintf(target, sizeof(target), "127.0.0.1:%d", s.port);
    const char *argv[] = {"tcp-client", target, "one", "it's", "bell\a\xff", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect(strstr(c.out, "Client received: 'echo=> one'\n"), "%s", c.out);
    cr_expect(strstr(c.out, "Client received: \"echo=> it's\"\n"), "%s", c.out);
    cr_expect(strstr(c.out, "Client received: 'echo=> bell\\x07\\xff'\n"), "%s", c.out);
    cr_expect(strstr(c.out, "3 sent, 3 answered, 0 lost"), "%s", c.out);
    server_stop(&s);
}

/* IPv6: the server on ::1, the client to [::1]:PORT, Python's 4-tuple for the peer. */
Test(tcp, echo_roundtrip_v6)
{
    struct server s;
    struct proc c;
    char target[64];

    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    const char *extra[] = {"-6", NULL};
    start(&s, extra);
    cr_expect(strncmp(s.addr, "[::1]:", 6) == 0, "%s", s.addr);
    snprintf(target, sizeof(target), "[::1]:%d", s.port);
    const char *argv[] = {"tcp-client", target, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> Hello network World'\n");
    cr_expect(proc_wait_output(&s.p, 1, "Server connected by ('::1', ", WAIT_MS));
    server_stop(&s);
}

/* Welcome: '1' is welcomed, anything else sent away. */
Test(tcp, welcome_answers)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "welcome", NULL};

    start(&s, extra);
    const char *one[] = {"tcp-client", "--mode", "welcome", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, one), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Welcome to server!\n");
    const char *two[] = {"tcp-client", "--mode",    "welcome", "-p",
                         s.portstr,    "localhost", "2",       NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, two), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Please go out!\n");
    server_stop(&s);
}

/* A client slower than the server's timeout: "Time Out", and the server keeps serving. */
Test(tcp, welcome_timeout_then_keeps_serving)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "welcome", "--timeout", "0.2", NULL};

    start(&s, extra);
    const char *slow[] = {"tcp-client", "--mode", "welcome", "--delay",
                          "0.6",        "-p",     s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, slow), 69, "stdout: %s stderr: %s", c.out, c.err);
    cr_expect(strstr(c.err, "closed the connection without replying"), "%s", c.err);
    cr_expect(proc_wait_output(&s.p, 1, "Time Out\n", WAIT_MS), "%s", s.p.out);
    const char *fast[] = {"tcp-client", "--mode", "welcome", "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, fast), 0, "stderr: %s", c.err);
    cr_expect_str_eq(c.out, "Welcome to server!\n");
    server_stop(&s);
}

/* An idle client never delays another: both in echo and in welcome mode. */
Test(tcp, idle_client_does_not_block_others)
{
    const char *modes[] = {"echo", "welcome"};

    for (int i = 0; i < 2; i++) {
        struct server s;
        struct proc c;
        const char *extra[] = {"--mode", modes[i], "--timeout", "60", NULL};
        start(&s, extra);
        struct sockaddr_in a = loopback4(s.port);
        int idle = socket(AF_INET, SOCK_STREAM, 0);
        cr_assert_eq(connect(idle, (struct sockaddr *)&a, sizeof(a)), 0);
        /* The idle client holds its connection; the next must be served at once. */
        const char *argv[] = {"tcp-client", "--mode", modes[i],  "--timeout",
                              "3",          "-p",     s.portstr, NULL};
        cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", modes[i], c.err);
        close(idle);
        server_stop(&s);
    }
}

/*
 * 1000 connections opened at once and dropped, every other one with a reset
 * (SO_LINGER 0): the server survives the storm and serves the next client.
 */
Test(tcp, thousand_connections_opened_and_dropped)
{
    enum { N = 1000 };
    static int fds[N];
    struct server s;
    struct proc c;
    const struct linger rst = {.l_onoff = 1, .l_linger = 0};

    unsigned long limit = fd_limit_raise();
    if (limit < N + 100)
        cr_skip_test("RLIMIT_NOFILE allows only %lu descriptors", limit);
    const char *extra[] = {"-q", "--backlog", "1024", NULL};
    start(&s, extra);
    struct sockaddr_in a = loopback4(s.port);
    for (int i = 0; i < N; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        cr_assert_geq(fds[i], 0);
        cr_assert(connect(fds[i], (struct sockaddr *)&a, sizeof(a)) == 0 || errno == EINPROGRESS,
                  "connect %d: %s", i, strerror(errno));
    }
    for (int i = 0; i < N; i++) {
        if (i % 2)
            setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
        close(fds[i]);
    }
    const char *argv[] = {"tcp-client", "-p", s.portstr, "127.0.0.1", "after the storm", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> after the storm'\n");
    server_stop(&s);
}

/* Several clients at once, each with many messages, all answered. */
Test(tcp, concurrent_clients_all_answered)
{
    struct server s;
    struct proc c[4];

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "-q", "--count", "200", "--size",
                          "3000",       "-p", s.portstr, NULL};
    for (int i = 0; i < 4; i++)
        cr_assert_eq(proc_start(&c[i], argv), 0);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(proc_wait_exit(&c[i], WAIT_MS), 0, "client %d: %s", i, c[i].err);
    server_stop(&s);
    cr_expect(strstr(s.p.err, "clients 4, replies "), "%s", s.p.err);
}

/* Mirror and discard modes: exact bytes back; everything read before the close. */
Test(tcp, mirror_and_discard_modes)
{
    struct server s;
    struct proc c;
    const char *mirror[] = {"--mode", "mirror", NULL};

    start(&s, mirror);
    const char *m[] = {"tcp-client", "--mode", "mirror", "--json",  "-c", "50",
                       "--size",     "100000", "-p",     s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, m), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":50,\"answered\":50,\"lost\":0"), "%s", c.out);
    cr_expect(strstr(c.out, "\"bytes_received\":5000000"), "%s", c.out);
    server_stop(&s);

    const char *discard[] = {"--mode", "discard", NULL};
    start(&s, discard);
    const char *d[] = {"tcp-client", "--mode", "discard", "-c",      "100",
                       "--size",     "65536",  "-p",      s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, d), 0, "%s", c.err);
    server_stop(&s);
    cr_expect(strstr(s.p.err, "bytes in 6553600, bytes out 0"), "%s", s.p.err);
}

/* --json: one object with the documented fields. */
Test(tcp, json_summary_fields)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "--json", "-c", "3", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    const char *fields[] = {"\"program\":\"tcp-client\"",
                            "\"family\":\"tcp\"",
                            "\"mode\":\"echo\"",
                            "\"sent\":3",
                            "\"answered\":3",
                            "\"bytes_sent\":57",
                            "\"bytes_received\":78",
                            "\"rtt_us\":{\"n\":3,",
                            "\"p99\":",
                            "\"error\":null}"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        cr_expect(strstr(c.out, fields[i]), "missing %s in %s", fields[i], c.out);
    cr_expect_eq(strchr(c.out, '\n'), c.out + strlen(c.out) - 1, "one line: %s", c.out);
    server_stop(&s);
}

/* --warmup: the server answers every exchange, the figures count only the measured ones. */
Test(tcp, warmup_exchanges_not_counted)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "--json", "--warmup", "5", "-c",
                          "3",          "-p",     s.portstr,  NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":3,\"answered\":3,"), "%s", c.out);
    cr_expect(strstr(c.out, "\"rtt_us\":{\"n\":3,"), "%s", c.out);
    cr_expect(strstr(c.out, "\"bytes_sent\":57,"), "%s", c.out);
    cr_expect_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
    cr_expect(strstr(s.p.err, "replies 8,"), "the server saw the warm-up too: %s", s.p.err);
}

/* --once: the server exits 0 by itself after its first client. */
Test(tcp, server_once_exits_after_one_client)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--once", NULL};

    start(&s, extra);
    const char *argv[] = {"tcp-client", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect_eq(proc_wait_exit(&s.p, WAIT_MS), 0, "%s", s.p.err);
    cr_expect(strstr(s.p.err, "clients 1, replies 1"), "%s", s.p.err);
}

/* SIGINT and SIGTERM end the server cleanly, with its counters. */
Test(tcp, server_signals_end_cleanly)
{
    int sigs[] = {SIGINT, SIGTERM};

    for (int i = 0; i < 2; i++) {
        struct server s;
        start(&s, NULL);
        cr_expect_eq(proc_signal_wait(&s.p, sigs[i], WAIT_MS), 0);
        cr_expect(strstr(s.p.err, "tcp-server: clients 0"), "%s", s.p.err);
    }
}

struct bad_case {
    const char *argv[8];
    int code;
    const char *msg; /* expected in the one stderr line */
};

/* Bad input: one clear line on stderr, the right exit code, nothing on stdout. */
Test(tcp, bad_input_table)
{
    static const struct bad_case cases[] = {
        {{"tcp-client", "-p", "0", NULL}, 64, "invalid port '0' (expected 1-65535)"},
        {{"tcp-client", "-p", "70000", NULL}, 64, "invalid port '70000'"},
        {{"tcp-client", "-p", "abc", NULL}, 64, "invalid port 'abc'"},
        {{"tcp-client", "localhost:70000", NULL}, 64, "invalid port '70000'"},
        {{"tcp-client", "localhost:1", "-p", "2", NULL}, 64, "port given twice"},
        {{"tcp-client", "--bogus", NULL}, 64, "unknown option '--bogus'"},
        {{"tcp-client", "-x", NULL}, 64, "unknown option '-x'"},
        {{"tcp-client", "--count", NULL}, 64, "option '--count' needs a value"},
        {{"tcp-client", "--count", "0", NULL}, 64, "invalid --count '0'"},
        {{"tcp-client", "--timeout", "soon", NULL}, 64, "invalid --timeout 'soon'"},
        {{"tcp-client", "--mode", "shout", NULL}, 64, "invalid --mode 'shout'"},
        {{"tcp-client", "-4", "-6", NULL}, 64, "-4 and -6 cannot be used together"},
        {{"tcp-client", "localhost", "", NULL}, 64, "empty MESSAGE"},
        {{"tcp-client", "--size", "10", "localhost", "x", NULL}, 64, "not both"},
        {{"tcp-client", "--burst", "--mode", "welcome", NULL}, 64, "--burst is for echo"},
        {{"tcp-client", "--burst", "--warmup", "1", NULL}, 64, "--burst and --warmup"},
        {{"tcp-client", "--burst", "-c", "200000", NULL}, 64, "at most 100000 messages"},
        {{"tcp-client", "--burst", "-c", "2", "-s", "40000000", NULL}, 64, "64 MiB"},
        /* a malformed name fails locally: a real lookup would leave this machine */
        {{"tcp-client", "no..such.host", NULL}, 68, "getaddrinfo(no..such.host:50007)"},
        {{"tcp-server", "-p", "70000", NULL}, 64, "invalid port '70000'"},
        {{"tcp-server", "127.0.0.1", "1", "extra", NULL}, 64, "unexpected argument 'extra'"},
        {{"tcp-server", "--send-timeout", "-1", NULL}, 64, "invalid --send-timeout '-1'"},
        {{"tcp-server", "--bind", "no..such.host", NULL}, 68, "getaddrinfo(no..such.host:50007)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        const struct bad_case *b = &cases[i];
        cr_expect_eq(proc_run(&c, WAIT_MS, b->argv), b->code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, b->msg), "case %zu: '%s' lacks '%s'", i, c.err, b->msg);
        cr_expect(strchr(c.err, '\n') == c.err + strlen(c.err) - 1, "case %zu: not one line: %s", i,
                  c.err);
        cr_expect_eq(c.out_len, 0, "case %zu: stdout: %s", i, c.out);
    }
}

/* Nothing listening: connection refused, exit 69. */
Test(tcp, connect_refused_exits_69)
{
    struct proc c;
    char port[16];

    snprintf(port, sizeof(port), "%d", free_tcp_port());
    const char *argv[] = {"tcp-client", "-p", port, "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "tcp-client: connect(127.0.0.1:"), "%s", c.err);
    cr_expect(strstr(c.err, "Connection refused"), "%s", c.err);
}

/* A second server on a busy address: exit 71 naming the address. */
Test(tcp, server_address_in_use_names_it)
{
    struct server s;
    struct proc c;
    char want[64];

    start(&s, NULL);
    const char *argv[] = {"tcp-server", "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 71, "%s", c.err);
    snprintf(want, sizeof(want), "bind(127.0.0.1:%d): Address already in use", s.port);
    cr_expect(strstr(c.err, want), "'%s' lacks '%s'", c.err, want);
    server_stop(&s);
}

/* A peer that accepts and then closes, or never answers: clear errors, exit 69. */
Test(tcp, peer_closes_or_never_replies)
{
    struct sockaddr_in a = loopback4(0);
    socklen_t len = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct proc c;
    char port[16];

    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(lfd, 4), 0);
    getsockname(lfd, (struct sockaddr *)&a, &len);
    snprintf(port, sizeof(port), "%d", ntohs(a.sin_port));

    /* never replies: the client's deadline ends it */
    const char *slow[] = {"tcp-client", "--timeout", "0.3", "-p", port, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, slow), 69, "%s", c.err);
    cr_expect(strstr(c.err, "no reply within 0.3 s"), "%s", c.err);
    close(accept(lfd, NULL, NULL));

    /* closes mid-conversation: accepted, read, closed without a reply */
    const char *argv[] = {"tcp-client", "-p", port, NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    int fd = accept(lfd, NULL, NULL);
    char buf[64];
    cr_expect_gt(read(fd, buf, sizeof(buf)), 0);
    cr_assert_eq(write(fd, "echo=> Hel", 10), 10);
    close(fd);
    cr_expect_eq(proc_wait_exit(&c, WAIT_MS), 69, "%s", c.err);
    cr_expect(strstr(c.err, "closed the connection mid-reply"), "%s", c.err);
    close(lfd);
}

/* --help: usage on stdout, exit 0, naming every option the contract promises. */
Test(tcp, help_exits_0)
{
    struct proc c;
    const char *argv[] = {"tcp-client", "--help", NULL};
    const char *opts[] = {"--count", "--size", "--delay", "--timeout",
                          "--json",  "--mode", "-4",      "-6"};

    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0);
    cr_expect(strstr(c.out, "Usage: tcp-client [OPTIONS] [HOST [MESSAGE...]]"), "%s", c.out);
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
        cr_expect(strstr(c.out, opts[i]), "help lacks %s", opts[i]);
    const char *sargv[] = {"tcp-server", "--help", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, sargv), 0);
    cr_expect(strstr(c.out, "--bind") && strstr(c.out, "--once") && strstr(c.out, "--send-timeout"),
              "%s", c.out);
}

/* A listener of the test's own on 127.0.0.1, port 0: the fd, its port in port[16]. */
static int fake_listener(char port[16])
{
    struct sockaddr_in a = loopback4(0);
    socklen_t len = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    cr_assert_geq(lfd, 0);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(lfd, 4), 0);
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    snprintf(port, 16, "%d", ntohs(a.sin_port));
    return lfd;
}

/* Wait until fd is readable (a connection to accept, bytes, or a close), within WAIT_MS. */
static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};

    cr_assert_eq(poll(&p, 1, WAIT_MS), 1, "nothing came within %d ms", WAIT_MS);
}

/* Accept the client's next connection and read its message, each within WAIT_MS. */
static int accept_and_read(int lfd, char *buf, size_t cap)
{
    wait_readable(lfd);
    int fd = accept(lfd, NULL, NULL);
    cr_assert_geq(fd, 0, "accept: %s", strerror(errno));
    wait_readable(fd);
    cr_assert_gt(read(fd, buf, cap), 0);
    return fd;
}

/* welcome --count 3: a connection per message (the server closes each), none for --warmup. */
Test(tcp, welcome_count_opens_one_connection_per_message)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "welcome", NULL};

    start(&s, extra);
    const char *text[] = {"tcp-client", "--mode", "welcome", "-c", "3", "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, text), 0, "%s", c.err);
    cr_expect_eq(strncmp(c.out,
                         "Welcome to server!\nWelcome to server!\nWelcome to server!\n3 sent, "
                         "3 answered, 0 lost; 3 bytes out, 54 in, ",
                         103),
                 0, "%s", c.out);
    const char *json[] = {"tcp-client", "--mode", "welcome", "--json",  "--warmup", "2",
                          "-c",         "2",      "-p",      s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, json), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":2,\"answered\":2,\"lost\":0"), "%s", c.out);
    server_stop(&s);
    cr_expect(strstr(s.p.err, "tcp-server: clients 5, replies 5,"), "%s", s.p.err);
}

/*
 * The second of three welcome connections is closed without a reply: the
 * run stops there, the figures count the one answered, and main returns 69.
 */
Test(tcp, welcome_later_connection_fails_exits_69_with_counts)
{
    char port[16], buf[64];
    int lfd = fake_listener(port);
    struct proc c;
    const char *argv[] = {"tcp-client", "--mode", "welcome", "--json", "-c", "3", "-p", port, NULL};

    cr_assert_eq(proc_start(&c, argv), 0);
    int fd = accept_and_read(lfd, buf, sizeof(buf));
    cr_assert_eq(write(fd, SF_WELCOME_YES, strlen(SF_WELCOME_YES)),
                 (ssize_t)strlen(SF_WELCOME_YES));
    close(fd);
    close(accept_and_read(lfd, buf, sizeof(buf)));
    cr_expect_eq(proc_wait_exit(&c, WAIT_MS), 69, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":1,\"answered\":1,\"lost\":0"), "%s", c.out);
    cr_expect(strstr(c.out, "\"error\":\"recv(localhost:"), "%s", c.out);
    cr_expect(strstr(c.err, "closed the connection without replying\n"), "%s", c.err);
    close(lfd);
}

/* A server in another mode: the reply cannot be the one expected; the error names the mode. */
Test(tcp, wrong_mode_reply_exits_69_naming_the_mode)
{
    struct server s;
    struct proc c;
    const char *mirror[] = {"--mode", "mirror", NULL};

    start(&s, mirror);
    const char *argv[] = {"tcp-client", "-p", s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "unexpected reply (19 bytes, starting 'Hello network World'); is the "
                            "server in echo mode?"),
              "%s", c.err);
    cr_expect_eq(c.out_len, 0, "%s", c.out);
    server_stop(&s);
}

/* Discard's proof is the server's close; a server that never closes is a timeout, exit 69. */
Test(tcp, discard_server_never_closes_times_out)
{
    char port[16];
    int lfd = fake_listener(port);
    struct proc c;
    const char *argv[] = {"tcp-client", "--mode", "discard", "-w", "0.3", "-p", port, NULL};

    /* The kernel completes the handshake and takes the bytes; nobody accepts or closes. */
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "no close from the server within 0.3 s"), "%s", c.err);
    close(lfd);
}

/* A server that reads nothing: once the buffers are full, no room to send within the deadline. */
Test(tcp, server_reads_nothing_send_times_out)
{
    char port[16];
    int lfd = fake_listener(port);
    struct proc c;
    /* 64 MiB: more than loopback's send and receive buffers hold together. */
    const char *argv[] = {"tcp-client", "--size", "67108864", "-w", "0.3", "-p", port, NULL};

    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "no room to send within 0.3 s"), "%s", c.err);
    close(lfd);
}

/* -q is ping's: the per-message lines go, the summary stays (the review saw nothing at all). */
Test(tcp, quiet_prints_the_summary_alone)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "-q", "-c", "3", "-p", s.portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect_eq(strncmp(c.out, "3 sent, 3 answered, 0 lost;", 27), 0, "%s", c.out);
    cr_expect_eq(strchr(c.out, '\n'), c.out + strlen(c.out) - 1, "one line: %s", c.out);
    const char *one[] = {"tcp-client", "-q", "-p", s.portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, one), 0, "%s", c.err);
    cr_expect_eq(strncmp(c.out, "1 sent, 1 answered, 0 lost;", 27), 0, "%s", c.out);
    server_stop(&s);
}

/* nc's "HOST PORT" sends the port as a message here: the client says how to give a port. */
Test(tcp, port_given_as_message_warned)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "-p", s.portstr, "127.0.0.1", "8080", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(!strstr(c.err, "as a message"), "-p was given: no warning: %s", c.err);
    const char *port_in_host[] = {"tcp-client", "127.0.0.1", "8080", "-w", "0.5", NULL};
    proc_run(&c, WAIT_MS, port_in_host); /* whatever answers on 50007, or nothing */
    cr_expect(strstr(c.err, "tcp-client: sending '8080' as a message to port 50007; for port 8080 "
                            "give 127.0.0.1:8080 or -p 8080"),
              "%s", c.err);
    server_stop(&s);
}

/* The default backlog is the kernel's most (net.core.somaxconn), as ss shows it. */
Test(tcp, default_backlog_is_somaxconn)
{
    struct server s;
    struct proc ss;
    char filter[64], want[64];
    int max = 0;

    FILE *f = fopen("/proc/sys/net/core/somaxconn", "r");
    cr_assert_not_null(f);
    cr_assert_eq(fscanf(f, "%d", &max), 1);
    fclose(f);
    if (access("/usr/bin/ss", X_OK) != 0 && access("/bin/ss", X_OK) != 0)
        cr_skip_test("ss (iproute2) is not installed");
    start(&s, NULL);
    snprintf(filter, sizeof(filter), "sport = :%d", s.port);
    const char *argv[] = {access("/usr/bin/ss", X_OK) == 0 ? "/usr/bin/ss" : "/bin/ss", "-Hltn",
                          filter, NULL};
    cr_assert_eq(proc_run(&ss, WAIT_MS, argv), 0, "%s", ss.err);
    snprintf(want, sizeof(want), "LISTEN 0 %d ", max);
    /* Collapse ss's column padding before comparing. */
    char flat[512];
    size_t n = 0;
    for (const char *p = ss.out; *p && n < sizeof(flat) - 1; p++)
        if (!(*p == ' ' && n && flat[n - 1] == ' '))
            flat[n++] = *p;
    flat[n] = '\0';
    cr_expect(strncmp(flat, want, strlen(want)) == 0, "'%s' (want '%s')", flat, want);
    server_stop(&s);
}

/* --mptcp on both ends: the echo works and --json names the family mptcp. */
Test(tcp, mptcp_echo_and_json_family)
{
    const char *extra[] = {"--mptcp", NULL};
    struct server s;
    struct proc c;

    if (server_start(&s, "tcp-server", extra) < 0) {
        if (strstr(s.p.err, "refuses MPTCP"))
            cr_skip_test("the kernel refuses MPTCP: %s", s.p.err);
        cr_assert_fail("%s", s.p.err);
    }
    const char *argv[] = {"tcp-client", "--mptcp", "--json", "-p", s.portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"family\":\"mptcp\""), "%s", c.out);
    cr_expect(strstr(c.out, "\"answered\":1"), "%s", c.out);
    server_stop(&s);
}

/*
 * --burst: ten sends of 64 bytes back to back, then the reply.  The
 * server's last line counts its reads; how many, TCP decides (on lo one
 * read may take all ten, or each its own), so what is asserted is what
 * holds whatever it decides: the reads add up to the 640 bytes sent, and
 * ten reads are ten whole messages (kept) while fewer are merged ones.
 * The counts are exact and no round trip is measured.
 */
Test(tcp, burst_reads_on_the_server_last_line_add_up)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--recv-size", "65536", NULL};

    start(&s, extra);
    const char *argv[] = {"tcp-client", "--burst", "-c", "10",      "-s",
                          "64",         "--json",  "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":10,\"answered\":10,\"lost\":0,"), "%s", c.out);
    cr_expect(strstr(c.out, "\"bytes_sent\":640,"), "%s", c.out);
    cr_expect(strstr(c.out, "\"rtt_us\":{\"n\":0,"), "a burst has no round trips: %s", c.out);
    server_stop(&s);
    struct reads r = server_reads(s.p.err, "tcp-server");
    cr_expect(strstr(s.p.err, "bytes in 640,"), "%s", s.p.err);
    cr_expect(r.n >= 1 && r.n <= 10, "%llu reads", r.n);
    cr_expect(r.smallest * r.n <= 640 && r.largest * r.n >= 640, "%llu reads of %llu-%llu bytes",
              r.n, r.smallest, r.largest);
    if (r.n == 10)
        cr_expect(r.smallest == 64 && r.largest == 64, "kept: %llu-%llu", r.smallest, r.largest);
    else
        cr_expect_gt(r.largest, 64, "merged: %llu reads of %llu-%llu", r.n, r.smallest, r.largest);
    cr_log_info("tcp burst of 10 x 64 B on lo: %llu reads (%llu-%llu bytes)", r.n, r.smallest,
                r.largest);
}

/* 10 x 65000 bytes into a server that reads 4096 at most: split, each read no larger. */
Test(tcp, burst_into_a_small_buffer_is_split)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--recv-size", "4096", NULL};

    start(&s, extra);
    const char *argv[] = {"tcp-client", "--burst", "-c", "10",      "-s",
                          "65000",      "-q",      "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "10 sent, 10 answered, 0 lost"), "%s", c.out);
    server_stop(&s);
    struct reads r = server_reads(s.p.err, "tcp-server");
    cr_expect(strstr(s.p.err, "bytes in 650000,"), "%s", s.p.err);
    cr_expect_geq(r.n, 650000 / 4096 + 1, "%llu reads", r.n);
    cr_expect_leq(r.largest, 4096);
    cr_expect_lt(r.smallest, 65000);
}

/*
 * A burst far larger than both sides' socket buffers, to an echo server
 * that answers every 1024 bytes it reads: the client reads the replies
 * while it sends, so neither side waits for ever.
 */
Test(tcp, burst_larger_than_the_buffers_completes)
{
    struct server s;
    struct proc c;

    start(&s, NULL);
    const char *argv[] = {"tcp-client", "--burst", "-c", "40",      "-s",
                          "1000000",    "-q",      "-p", s.portstr, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "40 sent, 40 answered, 0 lost; 40000000 bytes out"), "%s", c.out);
    server_stop(&s);
    cr_expect(strstr(s.p.err, "bytes in 40000000,"), "%s", s.p.err);
}
