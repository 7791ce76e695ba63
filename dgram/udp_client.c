/*
 * udp-client: the client half of the tutorial's demos over UDP.
 *
 * The textbook sequence: socket, sendto, recvfrom, close; no connect and no
 * handshake.  What UDP does not do, the client does and says: it waits for
 * each reply with a deadline (a datagram may simply vanish), resends when
 * asked (--retries), skips datagrams that are not the reply, and reports a
 * reply cut short by a receive buffer (MSG_TRUNC) with both sizes.
 *
 *   udp-client                          echo 'Hello network World' to localhost:50007
 *   udp-client --count 100 -q           a summary of sent, answered and lost
 *   udp-client --connect                a connected socket: ICMP port unreachable
 *                                       comes back as "Connection refused"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "io.h"
#include "summary.h"
#include "xchg.h"

static const struct sf_cli_spec spec = {
    "udp-client",
    "Send messages to a udp-server over UDP (SOCK_DGRAM), one datagram each, and print the\n"
    "replies. HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET | SF_OPT_RETRIES | SF_OPT_CONNECT | SF_OPT_RECV_SIZE,
};

struct client {
    struct sf_client_opts o;
    struct sf_addr addr;
    struct sf_messages msgs;
    struct sf_run run;
    struct sf_buf reply;
    struct sockaddr_storage dest; /* where datagrams go (unconnected socket) */
    socklen_t destlen;
    char peer[SF_ADDR_TEXT_MAX];
};

/* A connected socket (--connect) learns of ICMP errors; an unconnected one never does. */
static int open_socket(struct sf_err *err, struct client *c)
{
    int fd;

    if (c->o.connect_udp) {
        fd = sf_connect(err, &c->addr, c->o.family, SOCK_DGRAM, (int)c->o.timeout_ms);
        c->destlen = sizeof(c->dest);
        if (fd >= 0 && getpeername(fd, (struct sockaddr *)&c->dest, &c->destlen) < 0)
            c->destlen = 0;
    } else {
        fd = sf_dgram_socket(err, &c->addr, c->o.family, &c->dest, &c->destlen);
    }
    if (fd >= 0) {
        sf_sockaddr_format((struct sockaddr *)&c->dest, c->destlen, c->peer, sizeof(c->peer));
        c->run.connected = c->peer;
    }
    return fd;
}

/* Refuse, before sending, a message no datagram (or its echo reply) can carry. */
static void check_sizes(const struct client *c)
{
    int family = c->dest.ss_family;
    size_t max = sf_dgram_max_payload(family);
    size_t limit = c->o.mode == SF_MODE_ECHO ? max - SF_ECHO_PREFIX_LEN : max;

    for (size_t i = 0; i < c->msgs.n; i++)
        if (c->msgs.v[i].len > limit)
            sf_cli_usage_error("a message of %zu bytes is over the UDP limit of %zu bytes for "
                               "%s%s",
                               c->msgs.v[i].len, limit, family == AF_INET6 ? "IPv6" : "IPv4",
                               limit < max ? " in echo mode (the reply adds 7)" : "");
}

static void report_reply(const struct client *c, const struct sf_dgram_result *r)
{
    if (!c->o.quiet && !c->o.json) {
        if (c->o.mode == SF_MODE_WELCOME && !r->truncated && !r->short_reply)
            printf("%.*s\n", (int)c->reply.len, c->reply.p);
        else
            sf_print_received(stdout, c->reply.p, c->reply.len);
    }
    if (c->o.quiet || c->o.json)
        return;
    if (r->truncated)
        sf_cli_warn("reply truncated: datagram of %zu bytes, buffer %zu (the other %zu are lost)",
                    r->full, c->reply.len, r->full - c->reply.len);
    if (r->short_reply)
        sf_cli_warn("reply short: %zu bytes, not the whole message (the server's buffer "
                    "truncated it)",
                    c->reply.len);
}

static int exchange(struct sf_err *err, struct client *c, int fd, const struct sf_message *m)
{
    struct sf_dgram_result r;
    int64_t t0 = sf_now_ns();
    const struct sockaddr *dest = c->o.connect_udp ? NULL : (struct sockaddr *)&c->dest;
    int rc = sf_xchg_dgram(err, fd, c->o.mode, m->data, m->len, dest, c->destlen, c->o.timeout_ms,
                           (unsigned)c->o.retries, c->o.recv_size, &c->reply, &r);

    if (rc < 0)
        return -1;
    c->run.sent++;
    c->run.bytes_sent += m->len;
    c->run.retries += r.resent;
    if (c->o.mode == SF_MODE_DISCARD)
        return 0;
    if (rc == 1) {
        c->run.lost++;
        if (!c->o.quiet && !c->o.json)
            sf_cli_warn("no reply to message %llu within %.3g s (lost)",
                        (unsigned long long)c->run.sent, (double)c->o.timeout_ms / 1000);
        return 0;
    }
    c->run.answered++;
    c->run.truncated += r.truncated || r.short_reply;
    c->run.bytes_received += c->reply.len;
    report_reply(c, &r);
    return sf_stats_add(err, &c->run.rtt_us, (double)(sf_now_ns() - t0) / 1e3);
}

static int run(struct sf_err *err, struct client *c)
{
    int fd = open_socket(err, c), rc = 0;

    if (fd < 0)
        return -1;
    check_sizes(c);
    if (c->o.delay_ms > 0)
        sf_sleep_ms(c->o.delay_ms);
    for (uint64_t i = 0; i < c->o.count && rc == 0; i++)
        for (size_t j = 0; j < c->msgs.n && rc == 0; j++)
            rc = exchange(err, c, fd, &c->msgs.v[j]);
    close(fd);
    if (rc == 0 && c->run.lost)
        rc = sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL, "%llu of %llu replies lost",
                        (unsigned long long)c->run.lost, (unsigned long long)c->run.sent);
    return rc;
}

int main(int argc, char **argv)
{
    static struct client c;
    struct sf_err err;

    sf_cli_init("udp-client");
    sf_cli_client_parse(argc, argv, &spec, &c.o);
    if (!c.o.recv_size)
        c.o.recv_size = 65536; /* any UDP datagram fits: nothing truncated unless asked */
    sf_cli_client_addr(&c.o, "localhost", &c.addr);
    sf_cli_messages(&c.o, 1, &c.msgs);
    c.run = (struct sf_run){.program = "udp-client",
                            .family = "udp",
                            .mode = sf_mode_name(c.o.mode),
                            .server = c.addr.text};

    int64_t start = sf_now_ns();
    int rc = run(&err, &c);
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
