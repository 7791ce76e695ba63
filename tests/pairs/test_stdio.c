/*
 * Pair tests for what nc users reach for: a client's MESSAGE '-' (the
 * lines of standard input, fed through a real pipe, `printf ... | CLIENT
 * ... -`), its --hex dump of each reply, and the servers' address taken as
 * nc -l takes it (`tcp-server 127.0.0.1 PORT`, `unix-server PATH`), with
 * its conflicts with --bind and -p.  Real programs over loopback and in a
 * private directory; servers on port 0, ready once they say so.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "hexdump.h"
#include "proc.h"
#include "proto.h"

TestSuite(stdio, .timeout = 60, .fini = test_dir_remove);

#define WAIT_MS 10000

/*
 * Run one of ours (argv[0] a bare name) as `printf %s DATA | PROGRAM ARGS`:
 * its standard input a pipe, as a user's would be.  Its exit code.
 */
static int run_stdin(struct proc *p, const char *data, const char *const argv[])
{
    const char *sh[40] = {"/bin/sh", "-c", "data=$1; shift; printf %s \"$data\" | \"$@\"",
                          "sh",      data, proc_bin(argv[0])};
    int n = 6;

    for (int i = 1; argv[i] && n < 39; i++)
        sh[n++] = argv[i];
    sh[n] = NULL;
    return proc_run(p, WAIT_MS, sh);
}

static void stop(struct server *s)
{
    cr_expect_eq(proc_signal_wait(&s->p, SIGTERM, WAIT_MS), 0, "server stderr: %s", s->p.err);
}

/* A path in this test's private directory, without "unix:" (as nc -lU takes it). */
static void plain_path(char *buf, size_t cap, const char *name)
{
    char full[256];

    test_sock_path(full, sizeof(full), name);
    snprintf(buf, cap, "%s", full + strlen("unix:"));
}

/* The servers and clients of each family, for the same tests over all of them. */
struct pair {
    const char *server, *client, *type; /* type: unix's --type, or NULL */
    int empty_is_message;               /* an empty line is sent (records that take it) */
};

static const struct pair pairs[] = {
    {"tcp-server", "tcp-client", NULL, 0},       {"udp-server", "udp-client", NULL, 1},
    {"unix-server", "unix-client", "stream", 0}, {"unix-server", "unix-client", "seqpacket", 0},
    {"unix-server", "unix-client", "dgram", 1},
};

/*
 * Start the pair's server: inet on "127.0.0.1 0" (its operands, no --bind),
 * unix on a PATH operand; target gets what its client is to be given.
 */
static void start_pair(struct server *s, const struct pair *pr, const char *name, char *target,
                       size_t cap)
{
    if (!pr->type) {
        const char *argv[] = {pr->server, "127.0.0.1", "0", NULL};
        cr_assert_eq(proc_start(&s->p, argv), 0);
        s->port = proc_wait_listening(&s->p, WAIT_MS, s->addr, sizeof(s->addr));
        cr_assert_gt(s->port, 0, "%s: %s", pr->server, s->p.err);
        snprintf(target, cap, "127.0.0.1:%d", s->port);
        return;
    }
    plain_path(target, cap, name);
    const char *argv[] = {pr->server, "--type", pr->type, target, NULL};
    cr_assert_eq(proc_start(&s->p, argv), 0);
    cr_assert(proc_wait_output(&s->p, 2, "listening on ", WAIT_MS), "%s", s->p.err);
}

/* argv of the pair's client: [--type T] then more... (NULL-terminated, at most 16). */
static void client_argv(const char **argv, const struct pair *pr, const char *const more[])
{
    int n = 0;

    argv[n++] = pr->client;
    if (pr->type) {
        argv[n++] = "--type";
        argv[n++] = pr->type;
    }
    for (; *more && n < 15; more++)
        argv[n++] = *more;
    argv[n] = NULL;
}

/* printf 'a\nb\n' | CLIENT ADDR -: two replies, in order, and a summary of two. */
Test(stdio, lines_are_messages_in_order_every_family)
{
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const struct pair *pr = &pairs[i];
        struct server s;
        struct proc c;
        char target[256];
        const char *argv[16];

        char name[32];
        snprintf(name, sizeof(name), "lines%zu.sock", i);
        start_pair(&s, pr, name, target, sizeof(target));
        client_argv(argv, pr, (const char *[]){target, "-", NULL});
        cr_expect_eq(run_stdin(&c, "a\nb\n", argv), 0, "%s: %s", pr->client, c.err);
        const char *a = strstr(c.out, "Client received: 'echo=> a'\n");
        const char *b = strstr(c.out, "Client received: 'echo=> b'\n");
        cr_expect(a && b && a < b, "%s: %s", pr->client, c.out);
        cr_expect(strstr(c.out, "2 sent, 2 answered, 0 lost"), "%s: %s", pr->client, c.out);
        stop(&s);
    }
}

/* An empty line: an empty datagram where one is a message, skipped on the others. */
Test(stdio, empty_line_sent_on_records_skipped_on_streams)
{
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        const struct pair *pr = &pairs[i];
        struct server s;
        struct proc c;
        char target[256];
        const char *argv[16];

        char name[32];
        snprintf(name, sizeof(name), "empty%zu.sock", i);
        start_pair(&s, pr, name, target, sizeof(target));
        client_argv(argv, pr, (const char *[]){target, "-", NULL});
        cr_expect_eq(run_stdin(&c, "a\n\nb", argv), 0, "%s: %s", pr->client, c.err);
        if (pr->empty_is_message) {
            cr_expect(strstr(c.out, "Client received: 'echo=> '\n"), "%s: %s", pr->client, c.out);
            cr_expect(strstr(c.out, "3 sent, 3 answered"), "%s: %s", pr->client, c.out);
        } else {
            cr_expect(strstr(c.out, "2 sent, 2 answered"), "%s: %s", pr->client, c.out);
        }
        cr_expect(strstr(c.out, "Client received: 'echo=> b'\n"), "last line, no newline: %s",
                  c.out);
        stop(&s);
    }
}

/* '-' in place among the operands, -c 2: each message twice in a row, stdin read once. */
Test(stdio, dash_in_place_with_count)
{
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "mirror", NULL};

    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    const char *argv[] = {"tcp-client", "--mode",    "mirror", "-c", "2",   "-p",
                          s.portstr,    "localhost", "one",    "-",  "two", NULL};
    cr_expect_eq(run_stdin(&c, "x\ny\n", argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "Client received: 'one'\nClient received: 'one'\n"
                            "Client received: 'x'\nClient received: 'x'\n"
                            "Client received: 'y'\nClient received: 'y'\n"
                            "Client received: 'two'\nClient received: 'two'\n"
                            "8 sent, 8 answered"),
              "%s", c.out);
    stop(&s);
}

/* No input at all: nothing sent, nothing printed, exit 0; --json still says so. */
Test(stdio, empty_input_sends_nothing)
{
    struct server s;
    struct proc c;

    cr_assert_eq(server_start(&s, "udp-server", NULL), 0, "%s", s.p.err);
    const char *argv[] = {"udp-client", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, "", argv), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "");
    const char *json[] = {"udp-client", "--json", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, "a\nb\nc\n", json), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"sent\":3,\"answered\":3"), "%s", c.out);
    stop(&s);
}

/* A line over 65500 bytes ends the run, exit 65, naming it, after the lines before it. */
Test(stdio, line_too_long_exits_65_naming_it)
{
    struct server s;
    struct proc c;
    size_t len = 2 + SF_STDIN_LINE_MAX + 1 + 1;
    char *data = malloc(len + 1);

    cr_assert_not_null(data);
    memcpy(data, "a\n", 2);
    memset(data + 2, 'x', SF_STDIN_LINE_MAX + 1);
    strcpy(data + len - 1, "\n");
    cr_assert_eq(server_start(&s, "tcp-server", NULL), 0, "%s", s.p.err);
    const char *argv[] = {"tcp-client", "-p", s.portstr, "-", "never", NULL};
    cr_expect_eq(run_stdin(&c, data, argv), 65, "%s", c.err);
    cr_expect_str_eq(c.err, "tcp-client: standard input, line 2: longer than 65500 bytes\n");
    cr_expect_str_eq(c.out, "Client received: 'echo=> a'\n");
    /* Exactly the bound is one message. */
    data[2 + SF_STDIN_LINE_MAX] = '\n';
    data[2 + SF_STDIN_LINE_MAX + 1] = '\0';
    const char *q[] = {"tcp-client", "-q", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, data, q), 0, "%s", c.err);
    cr_expect(strstr(c.out, "2 sent, 2 answered"), "%s", c.out);
    free(data);
    stop(&s);
}

/* Welcome over TCP: a conversation per line, '1' welcomed; a line over 1024 bytes exits 65. */
Test(stdio, welcome_one_connection_per_line)
{
    struct server s;
    struct proc c;
    char big[1100];
    const char *extra[] = {"--mode", "welcome", NULL};

    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    const char *argv[] = {"tcp-client", "--mode", "welcome", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, "1\n2\n", argv), 0, "%s", c.err);
    const char *want = "Welcome to server!\nPlease go out!\n2 sent, 2 answered, 0 lost";
    cr_expect(strncmp(c.out, want, strlen(want)) == 0, "%s", c.out);
    memset(big, 'x', 1025);
    strcpy(big + 1025, "\n");
    cr_expect_eq(run_stdin(&c, big, argv), 65, "%s", c.err);
    cr_expect(strstr(c.err, "line 1: longer than 1024 bytes"), "%s", c.err);
    stop(&s);
    cr_expect(strstr(s.p.err, "clients 2,"), "one connection a line: %s", s.p.err);
}

/* --burst with '-': every line sent before any reply; the server read each datagram once. */
Test(stdio, burst_sends_every_line_then_reads)
{
    struct server s;
    struct proc c;

    cr_assert_eq(server_start(&s, "udp-server", NULL), 0, "%s", s.p.err);
    const char *argv[] = {"udp-client", "--burst", "-q", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, "a\nb\nc\n", argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "3 sent, 3 answered, 0 lost"), "%s", c.out);
    stop(&s);
    struct reads r = server_reads(s.p.err, "udp-server");
    cr_expect_eq(r.n, 3, "%s", s.p.err);
}

/* The dump a client prints under "Client received N bytes:", from hexdump.c itself. */
static void expect_dump(const char *out, const void *bytes, size_t len)
{
    char *want = NULL, head[64];
    size_t n = 0;
    FILE *f = open_memstream(&want, &n);

    cr_assert_not_null(f);
    snprintf(head, sizeof(head), "Client received %zu bytes:\n", len);
    fputs(head, f);
    sf_hexdump(f, bytes, len);
    fclose(f);
    cr_expect(strstr(out, want), "want:\n%s\ngot:\n%s", want, out);
    free(want);
}

/* --hex: a binary line (bytes >= 0x80, controls) dumped exactly; the text line replaced. */
Test(stdio, hex_dump_of_binary_reply)
{
    static const char line[] = "\x80\xff\x01 AB~\x7f\xc3\xa9zzzzzzzzzz";
    struct server s;
    struct proc c;
    char data[64];
    const char *extra[] = {"--mode", "mirror", NULL};

    cr_assert_eq(server_start(&s, "udp-server", extra), 0, "%s", s.p.err);
    snprintf(data, sizeof(data), "%s\n", line);
    const char *argv[] = {"udp-client", "--mode", "mirror", "--hex", "-p", s.portstr, "-", NULL};
    cr_expect_eq(run_stdin(&c, data, argv), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "Client received 20 bytes:\n"
                            "\t0x0000:  80ff 0120 4142 7e7f c3a9 7a7a 7a7a 7a7a  ....AB~...zzzzzz\n"
                            "\t0x0010:  7a7a 7a7a                                zzzz\n");
    stop(&s);
}

/* --hex with --size: the generated payload (numbered 0) comes back as the same dump. */
Test(stdio, hex_dump_of_size_payload)
{
    enum { SIZE = 100 };
    char payload[SIZE];
    struct server s;
    struct proc c;
    const char *extra[] = {"--mode", "mirror", NULL};

    sf_payload_fill(payload, SIZE);
    sf_payload_stamp(payload, SIZE, 0);
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    const char *argv[] = {"tcp-client", "--mode", "mirror",  "--hex", "-s",
                          "100",        "-p",     s.portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    expect_dump(c.out, payload, SIZE);
    cr_expect(strstr(c.out, "\t0x0060:  "), "seven lines: %s", c.out);
    cr_expect(strstr(c.out, "1 sent, 1 answered"), "%s", c.out);
    stop(&s);
}

struct bad_case {
    const char *argv[12];
    int code;
    const char *msg;
};

/* Usage errors of '-', --hex and the servers' operands: exit 64, one line naming the fault. */
Test(stdio, usage_errors_table)
{
    const struct bad_case cases[] = {
        {{"tcp-client", "localhost", "-", "x", "-", NULL}, 64, "MESSAGE '-' given twice"},
        {{"tcp-client", "--hex", "--json", NULL}, 64, "--hex shows each reply, and --json"},
        {{"tcp-client", "--hex", "-q", NULL}, 64, "-q prints none"},
        {{"udp-client", "--hex", "--mode", "discard", NULL}, 64, "discard mode has none"},
        {{"tcp-client", "-s", "10", "localhost", "-", NULL}, 64, "give MESSAGE or --size"},
        {{"tcp-server", "--bind", "127.0.0.1", "::1", NULL},
         64,
         "address given twice: '::1' and --bind 127.0.0.1"},
        {{"tcp-server", "-p", "8001", "127.0.0.1", "8002", NULL},
         64,
         "port given twice: 8002 and -p 8001"},
        {{"tcp-server", "-p", "8001", "8002", NULL}, 64, "port given twice: 8002 and -p 8001"},
        {{"udp-server", "127.0.0.1:8001", "8002", NULL},
         64,
         "port given twice: in '127.0.0.1:8001' and as PORT 8002"},
        {{"tcp-server", "127.0.0.1", "8001", "extra", NULL},
         64,
         "unexpected argument 'extra': tcp-server takes at most ADDRESS and PORT"},
        {{"udp-server", "127.0.0.1", "port", NULL}, 64, "invalid PORT 'port'"},
        {{"unix-server", "/tmp/a.sock", "/tmp/b.sock", NULL},
         64,
         "unexpected argument '/tmp/b.sock': unix-server takes at most one PATH"},
        {{"unix-server", "--bind", "/tmp/a.sock", "/tmp/b.sock", NULL},
         64,
         "address given twice: '/tmp/b.sock' and --bind /tmp/a.sock"},
        {{"unix-server", "a.sock", NULL}, 64, "unix:a.sock for a relative path"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, cases[i].argv), cases[i].code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "case %zu: '%s'", i, c.err);
        cr_expect(strchr(c.err, '\n') == c.err + strlen(c.err) - 1, "case %zu: one line: %s", i,
                  c.err);
    }
}

/* tcp-server 127.0.0.1 PORT listens there; a lone number is the port, on loopback. */
Test(stdio, tcp_server_address_and_port_operands)
{
    struct proc srv, c;
    char addr[128], portstr[16], want[64];
    int port = free_tcp_port();

    cr_assert_gt(port, 0);
    snprintf(portstr, sizeof(portstr), "%d", port);
    const char *argv[] = {"tcp-server", "127.0.0.1", portstr, NULL};
    cr_assert_eq(proc_start(&srv, argv), 0);
    cr_assert_eq(proc_wait_listening(&srv, WAIT_MS, addr, sizeof(addr)), port, "%s", srv.err);
    snprintf(want, sizeof(want), "127.0.0.1:%d", port);
    cr_expect_str_eq(addr, want);
    const char *cl[] = {"tcp-client", "-p", portstr, NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, cl), 0, "%s", c.err);
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);

    const char *lone[] = {"tcp-server", "0", NULL}; /* as nc -l 0: any free port, loopback */
    cr_assert_eq(proc_start(&srv, lone), 0);
    cr_expect_gt(proc_wait_listening(&srv, WAIT_MS, addr, sizeof(addr)), 0, "%s", srv.err);
    cr_expect(strncmp(addr, "127.0.0.1:", 10) == 0, "%s", addr);
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);

    /* Given both ways and agreeing: accepted. */
    const char *both[] = {"tcp-server", "--bind", "127.0.0.1", "-p", "0", "127.0.0.1", "0", NULL};
    cr_assert_eq(proc_start(&srv, both), 0);
    cr_expect_gt(proc_wait_listening(&srv, WAIT_MS, addr, sizeof(addr)), 0, "%s", srv.err);
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);
}

/* udp-server ::1 0 listens on the IPv6 loopback. */
Test(stdio, udp_server_v6_operands)
{
    struct proc srv;
    char addr[128];

    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    const char *argv[] = {"udp-server", "::1", "0", NULL};
    cr_assert_eq(proc_start(&srv, argv), 0);
    cr_expect_gt(proc_wait_listening(&srv, WAIT_MS, addr, sizeof(addr)), 0, "%s", srv.err);
    cr_expect(strncmp(addr, "[::1]:", 6) == 0, "%s", addr);
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);
}

/* unix-server PATH listens on that path (a socket file there), and --bind the same agrees. */
Test(stdio, unix_server_path_operand)
{
    struct proc srv, c;
    char path[256], unixpath[300];
    struct stat st;

    plain_path(path, sizeof(path), "x.sock");
    const char *argv[] = {"unix-server", path, NULL};
    cr_assert_eq(proc_start(&srv, argv), 0);
    cr_assert(proc_wait_output(&srv, 2, "listening on ", WAIT_MS), "%s", srv.err);
    cr_expect(strstr(srv.err, path), "%s", srv.err);
    cr_expect(stat(path, &st) == 0 && S_ISSOCK(st.st_mode), "no socket at %s", path);
    const char *cl[] = {"unix-client", path, "hi", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, cl), 0, "%s", c.err);
    cr_expect_str_eq(c.out, "Client received: 'echo=> hi'\n");
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);
    cr_expect_neq(stat(path, &st), 0, "the file is removed at the stop");

    snprintf(unixpath, sizeof(unixpath), "unix:%s", path);
    const char *both[] = {"unix-server", "--bind", unixpath, path, NULL};
    cr_assert_eq(proc_start(&srv, both), 0);
    cr_expect(proc_wait_output(&srv, 2, "listening on ", WAIT_MS), "%s", srv.err);
    cr_expect_eq(proc_signal_wait(&srv, SIGTERM, WAIT_MS), 0, "%s", srv.err);
}

/* The usage lines show the operands; the clients' help says what '-' and --hex do. */
Test(stdio, help_shows_operands_and_stdin)
{
    static const char *const want[][2] = {
        {"tcp-server", "Usage: tcp-server [OPTIONS] [ADDRESS [PORT]]\n"},
        {"udp-server", "Usage: udp-server [OPTIONS] [ADDRESS [PORT]]\n"},
        {"unix-server", "Usage: unix-server [OPTIONS] [PATH]\n"},
        {"tcp-client", "MESSAGE '-' is the lines of standard input"},
        {"udp-client", "      --hex "},
        {"unix-client", "65 a line of standard input too long"},
    };

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        struct proc c;
        const char *argv[] = {want[i][0], "--help", NULL};
        cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
        cr_expect(strstr(c.out, want[i][1]), "%s: %s", want[i][0], c.out);
    }
}
