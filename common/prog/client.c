/* client: the plan, the counting and the report around a client's main; see client.h. */
#include "client.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "hexdump.h"
#include "io.h"

/* One bound for every family and mode: UDP's over IPv4 in echo mode (65507 - 7). */
_Static_assert(SF_STDIN_LINE_MAX + SF_ECHO_PREFIX_LEN == 65535 - 20 - 8,
               "a line of standard input fits one UDP datagram's echo over IPv4");

void sf_client_setup(struct sf_client *c, int argc, char **argv, const struct sf_cli_spec *spec,
                     const char *family, const char *default_target, int allow_empty)
{
    sf_cli_client_parse(argc, argv, spec, &c->o);
    sf_client_prepare(c, spec, family, default_target, allow_empty);
}

/*
 * nc's habit, "tcp-client HOST PORT", would send the port as a message:
 * it is one here (the tutorial's HOST MESSAGE...), so say how to give a port.
 */
static void warn_port_as_message(const struct sf_client *c)
{
    const char *m = c->o.nmessages ? c->o.messages[0] : NULL;

    if (!m || c->addr.kind != SF_ADDR_INET || c->addr.port_explicit || c->o.port ||
        strspn(m, "0123456789") != strlen(m) || strlen(m) > 5 || atoi(m) < 1 || atoi(m) > 65535)
        return;
    sf_cli_warn("sending '%s' as a message to port %s; for port %s give %s:%s or -p %s", m,
                c->addr.port, m, c->o.target, m, m);
}

void sf_client_prepare(struct sf_client *c, const struct sf_cli_spec *spec, const char *family,
                       const char *default_target, int allow_empty)
{
    struct sf_err err;

    if (!c->o.recv_size)
        c->o.recv_size = 65536; /* any UDP datagram fits: nothing is cut unless asked */
    sf_cli_client_addr(&c->o, default_target, &c->addr);
    sf_cli_messages(&c->o, allow_empty, &c->msgs);
    if (sf_feed_open(&err, &c->feed, &c->msgs, c->o.stdin_at, c->o.count, STDIN_FILENO,
                     c->o.mode == SF_MODE_WELCOME ? SF_WELCOME_MAX : SF_STDIN_LINE_MAX,
                     allow_empty) < 0)
        sf_cli_fail(&err);
    warn_port_as_message(c);
    sf_xchg_init(&c->x, c->o.mode, c->o.timeout_ms, (unsigned)c->o.retries, c->o.recv_size);
    c->run = (struct sf_run){.program = spec->name,
                             .family = family,
                             .mode = sf_mode_name(c->o.mode),
                             .server = c->addr.text};
    c->peer[0] = '\0';
    c->fd = -1;
    /* welcome over a connection: the server closes after one answer. */
    c->conns_left = c->o.mode == SF_MODE_WELCOME && !c->connectionless ? c->o.count : 1;
    c->start_ns = sf_now_ns();
}

/* welcome over a connection, where each connection carries one message. */
static int one_per_connection(const struct sf_client *c)
{
    return c->o.mode == SF_MODE_WELCOME && !c->connectionless;
}

/* sf_client_next_connection() with '-': welcome opens a conversation per message taken. */
static int feed_next_connection(struct sf_client *c)
{
    if (one_per_connection(c)) {
        c->msgs_left = sf_feed_ready(&c->feed, NULL);
        return (int)c->msgs_left;
    }
    if (c->conns_left == 0)
        return 0;
    c->conns_left--;
    c->warm_left = c->o.warmup;
    c->warming = 1;
    return 1;
}

int sf_client_next_connection(struct sf_client *c)
{
    if (c->feed.on)
        return feed_next_connection(c);
    if (c->conns_left == 0)
        return 0;
    c->conns_left--;
    c->msg_index = 0;
    if (one_per_connection(c)) {
        c->msgs_left = 1;
        return 1;
    }
    c->msgs_left = c->o.count * c->msgs.n;
    c->warm_left = c->o.warmup;
    c->warming = 1;
    return 1;
}

void sf_client_opened(struct sf_client *c, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        sf_sockaddr_format((struct sockaddr *)&ss, len, c->peer, sizeof(c->peer));
    else if (c->x.destlen)
        sf_sockaddr_format((struct sockaddr *)&c->x.dest, c->x.destlen, c->peer, sizeof(c->peer));
    c->run.connected = c->peer[0] ? c->peer : NULL;
    c->fd = fd;
    sf_xchg_attach(&c->x, fd); /* each reply's first read blocks in recv, within --timeout */
    if (c->o.delay_ms > 0)
        sf_sleep_ms(c->o.delay_ms);
}

/* --warmup is over: forget its figures, so they count only the measured exchanges. */
static void forget_warmup(struct sf_client *c)
{
    c->run.sent = c->run.answered = c->run.lost = c->run.truncated = c->run.retries = 0;
    c->run.bytes_sent = c->run.bytes_received = 0;
    c->run.rtt_us.n = 0;
    c->run.rtt_us.sorted = 0;
    c->warming = 0;
}

/* --size: each message numbered (the warm-up's too), none the same bytes as another. */
static const struct sf_message *numbered(struct sf_client *c, const struct sf_message *m)
{
    if (c->msgs.payload)
        sf_payload_stamp(c->msgs.payload, m->len, c->serial++);
    return m;
}

/* TCP: the segments the kernel sent again on fd, added to the run's; 0, or -1 if it did not say. */
static int tcp_retrans(struct sf_client *c, int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof(ti);

    memset(&ti, 0, sizeof(ti));
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
        len < offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
        return -1;
    c->run.retrans += ti.tcpi_total_retrans;
    c->run.have_retrans = 1;
    return 0;
}

/*
 * How long a socket must stay silent before its late replies are all in:
 * four of the slowest round trip seen (a copy follows its original within
 * one), at least 1 ms, at most the wait for one reply.
 */
static int64_t quiet_ms(const struct sf_client *c)
{
    double max_us = 0;

    for (size_t i = 0; i < c->run.rtt_us.n; i++)
        if (c->run.rtt_us.v[i] > max_us)
            max_us = c->run.rtt_us.v[i];
    int64_t ms = (int64_t)(4 * max_us / 1000) + 1;
    return ms < c->o.timeout_ms ? ms : c->o.timeout_ms;
}

/*
 * The connection's messages are done, its socket still open: what only it
 * can say.  Records: the late replies already queued (read, counted as
 * stray), and the datagrams its kernel dropped for a full buffer.  TCP: its
 * retransmitted segments.
 */
static void connection_done(struct sf_client *c)
{
    if (c->fd < 0 || sf_xchg_burst_waiting(&c->x)) /* a burst's replies are still to be read */
        return;
    if (c->records) {
        sf_xchg_drain_record(&c->x, c->fd, 100000, quiet_ms(c));
        c->run.stray = c->x.stray;
        c->run.dropped += sf_socket_drops(c->fd);
    } else {
        tcp_retrans(c, c->fd); /* fails on AF_UNIX: no retransmission there to count */
    }
    c->fd = -1;
}

/* sf_client_next_message() with '-': the warm-up sends the first message, then it is counted. */
static const struct sf_message *feed_next_message(struct sf_client *c)
{
    if (c->warm_left > 0 && sf_feed_ready(&c->feed, NULL)) {
        c->warm_left--;
        return &c->feed.cur;
    }
    c->warm_left = 0;
    if (c->warming)
        forget_warmup(c);
    if (one_per_connection(c) ? c->msgs_left == 0
                              : !sf_feed_ready(&c->feed, c->o.burst ? &c->x.burst : NULL)) {
        connection_done(c);
        return NULL;
    }
    c->msgs_left = 0;
    return sf_feed_take(&c->feed);
}

const struct sf_message *sf_client_next_message(struct sf_client *c)
{
    const struct sf_message *m;

    if (c->feed.on)
        return feed_next_message(c);
    if (c->warm_left > 0) {
        c->warm_left--;
        return numbered(c, &c->msgs.v[0]);
    }
    if (c->warming)
        forget_warmup(c);
    if (c->msgs_left == 0) {
        connection_done(c);
        return NULL;
    }
    c->msgs_left--;
    m = &c->msgs.v[c->msg_index];
    c->msg_index = (c->msg_index + 1) % c->msgs.n;
    return numbered(c, m);
}

static void print_reply(const struct sf_client *c, int cut)
{
    size_t len = c->x.reply.len;

    if (c->o.quiet || c->o.json)
        return;
    if (c->o.hex) { /* the bytes, whatever the mode */
        printf("Client received %zu byte%s:\n", len, len == 1 ? "" : "s");
        sf_hexdump(stdout, c->x.reply.p, len);
    } else if (c->o.mode == SF_MODE_WELCOME && !cut) /* checked to be one of the two answers */
        printf("%.*s\n", (int)len, c->x.reply.p);
    else
        sf_print_received(stdout, c->x.reply.p, len);
}

static void warn_cut(const struct sf_client *c)
{
    const struct sf_dgram_result *r = &c->x.res;

    if (c->o.quiet || c->o.json)
        return;
    if (r->truncated)
        sf_cli_warn("reply truncated: datagram of %zu bytes, buffer %zu (the other %zu are lost)",
                    r->full, c->x.reply.len, r->full - c->x.reply.len);
    if (r->short_reply)
        sf_cli_warn("reply short: %zu bytes, not the whole message (the server's buffer "
                    "truncated it)",
                    c->x.reply.len);
}

/* Say what came back, or that nothing did. */
static void show(struct sf_client *c)
{
    const struct sf_dgram_result *r = &c->x.res;

    if (r->lost) {
        c->run.lost++;
        if (!c->o.quiet && !c->o.json)
            sf_cli_warn("no reply to message %llu within %.3g s (lost)",
                        (unsigned long long)c->run.sent + 1, (double)c->o.timeout_ms / 1000);
        return;
    }
    c->run.truncated += r->truncated || r->short_reply;
    print_reply(c, r->truncated || r->short_reply);
    warn_cut(c);
}

int sf_client_count(struct sf_err *err, struct sf_client *c)
{
    const struct sf_xchg *x = &c->x;
    int discard = c->o.mode == SF_MODE_DISCARD;

    c->run.retries += x->res.resent;
    if (!discard)
        show(c);
    c->run.sent++;
    c->run.bytes_sent += x->mlen;
    if (x->res.lost || discard)
        return 0;
    c->run.answered++;
    c->run.bytes_received += x->reply.len;
    return sf_stats_add(err, &c->run.rtt_us, (double)x->rtt_ns / 1e3);
}

int sf_client_count_burst(struct sf_err *err, struct sf_client *c)
{
    const struct sf_xchg *x = &c->x;
    const struct sf_burst *b = &x->burst;

    (void)err; /* nothing here can fail: no round trip is kept */
    c->run.sent += b->unit;
    c->run.bytes_sent += b->unit_bytes;
    if (c->o.mode == SF_MODE_DISCARD)
        return 0;
    if (x->res.lost) {
        c->run.lost += b->unit;
        if (!c->o.quiet && !c->o.json)
            sf_cli_warn("no reply to %zu of the burst's %zu messages within %.3g s (lost)", b->unit,
                        b->n, (double)c->o.timeout_ms / 1000);
        return 0;
    }
    c->run.answered += b->unit;
    c->run.bytes_received += x->reply.len;
    c->run.truncated += x->res.truncated || x->res.short_reply;
    print_reply(c, x->res.truncated || x->res.short_reply);
    warn_cut(c);
    return 0;
}

int sf_client_report(struct sf_err *err, struct sf_client *c, int rc)
{
    int code = 0, bad_line = 0;
    /* The messages given: the operands, or with '-' those taken, lines and all. */
    uint64_t given = c->feed.on ? c->feed.given : c->msgs.n;

    c->run.elapsed_ns = sf_now_ns() - c->start_ns;
    if (c->warming)
        forget_warmup(c); /* the run ended during the warm-up: nothing was measured */
    /* Standard input ended the messages: a line too long, or a failed read. */
    if (rc == 0 && c->feed.failed) {
        *err = c->feed.err;
        bad_line = err->kind == SF_ERR_INVALID; /* the input's fault, not the system's */
        rc = -1;
    }
    if (rc == 0 && c->run.lost)
        rc = sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL, "%llu of %llu replies lost",
                        (unsigned long long)c->run.lost, (unsigned long long)c->run.sent);
    if (rc < 0) {
        sf_err_context(err, c->addr.text);
        c->run.error = err->msg;
    }
    if (c->o.json)
        sf_run_print_json(stdout, &c->run);
    else if (c->run.sent && (c->o.quiet || c->o.count > 1 || c->o.size || given > 1))
        /* -q is ping's: no per-message lines, the summary alone (even for one message). */
        sf_run_print_text(stdout, &c->run);
    if (rc < 0)
        code = sf_cli_error(err);
    if (bad_line)
        code = EX_DATAERR;
    sf_feed_close(&c->feed);
    sf_stats_free(&c->run.rtt_us);
    sf_xchg_free(&c->x);
    sf_cli_messages_free(&c->msgs);
    return code;
}
