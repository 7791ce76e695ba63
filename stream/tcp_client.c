/*
 * tcp-client: the client half of the tutorial's two demos over TCP.
 *
 * The textbook sequence: socket and connect (sf_connect tries every address
 * getaddrinfo gives, with a deadline), send, recv, close.  What the textbook
 * leaves out is in common/: send-all for partial writes, a deadline on every
 * wait, and reading until the reply is complete, because TCP keeps no
 * message boundaries: one recv() may return part of a reply, or two.
 *
 *   tcp-client                          echo 'Hello network World' to localhost:50007
 *   tcp-client ::1 one two              two messages over IPv6
 *   tcp-client --mode welcome --delay 2 the tutorial's welcome client
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "io.h"
#include "summary.h"
#include "xchg.h"

static const struct sf_cli_spec spec = {
    "tcp-client",
    "Send messages to a tcp-server over TCP (SOCK_STREAM) and print the replies.\n"
    "HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET,
};

struct client {
    struct sf_client_opts o;
    struct sf_addr addr;
    struct sf_messages msgs;
    struct sf_run run;
    struct sf_buf reply;
    char peer[SF_ADDR_TEXT_MAX];
};

static int open_conversation(struct sf_err *err, struct client *c)
{
    int fd = sf_connect(err, &c->addr, c->o.family, SOCK_STREAM, (int)c->o.timeout_ms);

    if (fd < 0)
        return -1;
    /* Each message is one send: no reason for Nagle to delay it (RFC 896). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        sf_sockaddr_format((struct sockaddr *)&ss, len, c->peer, sizeof(c->peer));
    c->run.connected = c->peer;
    if (c->o.delay_ms > 0)
        sf_sleep_ms(c->o.delay_ms); /* as the tutorial's client does before sending */
    return fd;
}

/* One message, its reply and its round trip. */
static int exchange(struct sf_err *err, struct client *c, int fd, const struct sf_message *m)
{
    int64_t t0 = sf_now_ns();

    if (c->o.mode == SF_MODE_DISCARD) {
        if (sf_send_all(err, fd, m->data, m->len, sf_deadline_after_ms(c->o.timeout_ms)) < 0)
            return -1;
        c->run.sent++;
        c->run.bytes_sent += m->len;
        return 0;
    }
    c->run.sent++;
    if (sf_xchg_stream(err, fd, c->o.mode, m->data, m->len, c->o.timeout_ms, &c->reply) < 0)
        return -1;
    c->run.answered++;
    c->run.bytes_sent += m->len;
    c->run.bytes_received += c->reply.len;
    if (sf_stats_add(err, &c->run.rtt_us, (double)(sf_now_ns() - t0) / 1e3) < 0)
        return -1;
    if (c->o.quiet || c->o.json)
        return 0;
    if (c->o.mode == SF_MODE_WELCOME) /* checked to be one of the two answers */
        printf("%.*s\n", (int)c->reply.len, c->reply.p);
    else
        sf_print_received(stdout, c->reply.p, c->reply.len);
    return 0;
}

/* welcome: one message per connection, as in the tutorial; the server closes. */
static int run_welcome(struct sf_err *err, struct client *c)
{
    for (uint64_t i = 0; i < c->o.count; i++) {
        int fd = open_conversation(err, c);
        if (fd < 0)
            return -1;
        int rc = exchange(err, c, fd, &c->msgs.v[0]);
        close(fd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* echo, mirror, discard: every message on one connection. */
static int run_stream(struct sf_err *err, struct client *c)
{
    int fd = open_conversation(err, c), rc = 0;

    if (fd < 0)
        return -1;
    for (uint64_t i = 0; i < c->o.count && rc == 0; i++)
        for (size_t j = 0; j < c->msgs.n && rc == 0; j++)
            rc = exchange(err, c, fd, &c->msgs.v[j]);
    /* discard: half-close and wait for the server's close, proof it read all. */
    if (rc == 0 && c->o.mode == SF_MODE_DISCARD)
        rc = sf_xchg_finish(err, fd, c->o.timeout_ms);
    close(fd);
    return rc;
}

int main(int argc, char **argv)
{
    static struct client c;
    struct sf_err err;

    sf_cli_init("tcp-client");
    sf_cli_client_parse(argc, argv, &spec, &c.o);
    sf_cli_client_addr(&c.o, "localhost", &c.addr);
    sf_cli_messages(&c.o, 0, &c.msgs);
    c.run = (struct sf_run){.program = "tcp-client",
                            .family = "tcp",
                            .mode = sf_mode_name(c.o.mode),
                            .server = c.addr.text};

    int64_t start = sf_now_ns();
    int rc = c.o.mode == SF_MODE_WELCOME ? run_welcome(&err, &c) : run_stream(&err, &c);
    c.run.elapsed_ns = sf_now_ns() - start;
    if (rc < 0) {
        sf_err_context(&err, c.addr.text);
        c.run.error = err.msg;
    }
    if (c.o.json)
        sf_run_print_json(stdout, &c.run);
    else if (!c.o.quiet && c.run.sent && (c.o.count > 1 || c.o.size || c.msgs.n > 1))
        sf_run_print_text(stdout, &c.run);
    sf_stats_free(&c.run.rtt_us);
    sf_buf_free(&c.reply);
    sf_cli_messages_free(&c.msgs);
    if (rc < 0)
        sf_cli_fail(&err);
    return 0;
}
