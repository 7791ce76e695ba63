/* client: the message loop every client shares; see client.h. */
#include "client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "io.h"

void sf_client_setup(struct sf_client *c, int argc, char **argv, const struct sf_cli_spec *spec,
                     const char *family, const char *default_target, int allow_empty)
{
    sf_cli_client_parse(argc, argv, spec, &c->o);
    sf_client_prepare(c, spec, family, default_target, allow_empty);
}

void sf_client_prepare(struct sf_client *c, const struct sf_cli_spec *spec, const char *family,
                       const char *default_target, int allow_empty)
{
    if (!c->o.recv_size)
        c->o.recv_size = 65536; /* any UDP datagram fits: nothing is cut unless asked */
    sf_cli_client_addr(&c->o, default_target, &c->addr);
    sf_cli_messages(&c->o, allow_empty, &c->msgs);
    c->run = (struct sf_run){.program = spec->name,
                             .family = family,
                             .mode = sf_mode_name(c->o.mode),
                             .server = c->addr.text};
}

void sf_client_note_peer(struct sf_client *c, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getpeername(fd, (struct sockaddr *)&ss, &len) == 0)
        sf_sockaddr_format((struct sockaddr *)&ss, len, c->peer, sizeof(c->peer));
    else if (c->destlen)
        sf_sockaddr_format((struct sockaddr *)&c->dest, c->destlen, c->peer, sizeof(c->peer));
    c->run.connected = c->peer[0] ? c->peer : NULL;
}

static void print_reply(const struct sf_client *c, int cut)
{
    if (c->o.quiet || c->o.json)
        return;
    if (c->o.mode == SF_MODE_WELCOME && !cut) /* checked to be one of the two answers */
        printf("%.*s\n", (int)c->reply.len, c->reply.p);
    else
        sf_print_received(stdout, c->reply.p, c->reply.len);
}

static void warn_cut(const struct sf_client *c, const struct sf_dgram_result *r)
{
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

/* One message as a record: 0 (answered, lost or cut: counted), or -1. */
static int exchange_record(struct sf_err *err, struct sf_client *c, int fd,
                           const struct sf_message *m)
{
    struct sf_dgram_result r;
    const struct sockaddr *dest = c->destlen ? (struct sockaddr *)&c->dest : NULL;
    int rc = sf_xchg_dgram(err, fd, c->o.mode, m->data, m->len, dest, c->destlen, c->o.timeout_ms,
                           (unsigned)c->o.retries, c->o.recv_size, &c->reply, &r);

    if (rc < 0)
        return -1;
    c->run.retries += r.resent;
    if (c->o.mode == SF_MODE_DISCARD)
        return 0;
    if (rc == 1) {
        c->run.lost++;
        if (!c->o.quiet && !c->o.json)
            sf_cli_warn("no reply to message %llu within %.3g s (lost)",
                        (unsigned long long)c->run.sent + 1, (double)c->o.timeout_ms / 1000);
        return 1;
    }
    c->run.truncated += r.truncated || r.short_reply;
    print_reply(c, r.truncated || r.short_reply);
    warn_cut(c, &r);
    return 0;
}

/* One message on a byte stream: 0 or -1. */
static int exchange_stream(struct sf_err *err, struct sf_client *c, int fd,
                           const struct sf_message *m)
{
    if (c->o.mode == SF_MODE_DISCARD)
        return sf_send_all(err, fd, m->data, m->len, sf_deadline_after_ms(c->o.timeout_ms));
    if (sf_xchg_stream(err, fd, c->o.mode, m->data, m->len, c->o.timeout_ms, &c->reply) < 0)
        return -1;
    print_reply(c, 0);
    return 0;
}

/* One message, its reply and its round trip, counted. */
static int exchange(struct sf_err *err, struct sf_client *c, int fd, const struct sf_message *m)
{
    int64_t t0 = sf_now_ns();
    int rc = c->records ? exchange_record(err, c, fd, m) : exchange_stream(err, c, fd, m);

    if (rc < 0)
        return -1;
    c->run.sent++;
    c->run.bytes_sent += m->len;
    if (rc == 1 || c->o.mode == SF_MODE_DISCARD)
        return 0;
    c->run.answered++;
    c->run.bytes_received += c->reply.len;
    return sf_stats_add(err, &c->run.rtt_us, (double)(sf_now_ns() - t0) / 1e3);
}

static int open_and_wait(struct sf_err *err, struct sf_client *c)
{
    int fd = c->open_fd(err, c);

    if (fd >= 0 && c->o.delay_ms > 0)
        sf_sleep_ms(c->o.delay_ms); /* as the tutorial's client does before sending */
    return fd;
}

/* welcome over a connection: one message per connection; the server closes. */
static int run_conversations(struct sf_err *err, struct sf_client *c)
{
    for (uint64_t i = 0; i < c->o.count; i++) {
        int fd = open_and_wait(err, c);
        if (fd < 0)
            return -1;
        int rc = exchange(err, c, fd, &c->msgs.v[0]);
        close(fd);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* --warmup: exchanges that warm caches and the scheduler, then forgotten. */
static int warm_up(struct sf_err *err, struct sf_client *c, int fd)
{
    int rc = 0;

    for (uint64_t i = 0; i < c->o.warmup && rc == 0; i++)
        rc = exchange(err, c, fd, &c->msgs.v[0]);
    c->run.sent = c->run.answered = c->run.lost = c->run.truncated = c->run.retries = 0;
    c->run.bytes_sent = c->run.bytes_received = 0;
    c->run.rtt_us.n = 0;
    c->run.rtt_us.sorted = 0;
    return rc;
}

static int run_one_socket(struct sf_err *err, struct sf_client *c)
{
    int fd = open_and_wait(err, c), rc = 0;

    if (fd < 0)
        return -1;
    rc = warm_up(err, c, fd);
    for (uint64_t i = 0; i < c->o.count && rc == 0; i++)
        for (size_t j = 0; j < c->msgs.n && rc == 0; j++)
            rc = exchange(err, c, fd, &c->msgs.v[j]);
    /* discard on a stream: half-close and wait for the server's close, proof it read all. */
    if (rc == 0 && c->o.mode == SF_MODE_DISCARD && !c->records)
        rc = sf_xchg_finish(err, fd, c->o.timeout_ms);
    close(fd);
    return rc;
}

_Noreturn void sf_client_run(struct sf_client *c)
{
    struct sf_err err;
    int64_t start = sf_now_ns();
    int rc = c->o.mode == SF_MODE_WELCOME && !c->connectionless ? run_conversations(&err, c)
                                                                : run_one_socket(&err, c);

    c->run.elapsed_ns = sf_now_ns() - start;
    if (rc == 0 && c->run.lost)
        rc = sf_err_set(&err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL, "%llu of %llu replies lost",
                        (unsigned long long)c->run.lost, (unsigned long long)c->run.sent);
    if (rc < 0) {
        sf_err_context(&err, c->addr.text);
        c->run.error = err.msg;
    }
    if (c->o.json)
        sf_run_print_json(stdout, &c->run);
    else if (!c->o.quiet && c->run.sent && (c->o.count > 1 || c->o.size || c->msgs.n > 1))
        sf_run_print_text(stdout, &c->run);
    sf_stats_free(&c->run.rtt_us);
    sf_buf_free(&c->reply);
    sf_cli_messages_free(&c->msgs);
    if (rc < 0)
        sf_cli_fail(&err);
    exit(0);
}
