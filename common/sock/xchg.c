/* xchg: one message and its reply, in a send half and a recv half; see xchg.h. */
#include "xchg.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "io.h"
#include "repr.h"

void sf_buf_free(struct sf_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void sf_xchg_init(struct sf_xchg *x, enum sf_mode mode, int64_t timeout_ms, unsigned retries,
                  size_t recv_size)
{
    memset(x, 0, sizeof(*x));
    x->mode = mode;
    x->timeout_ms = timeout_ms;
    x->retries = retries;
    x->recv_size = recv_size;
}

void sf_xchg_free(struct sf_xchg *x)
{
    sf_buf_free(&x->reply);
}

/* A new exchange of msg: nothing sent or received yet, the clock started. */
static void begin(struct sf_xchg *x, const void *msg, size_t mlen)
{
    x->msg = msg;
    x->mlen = mlen;
    x->sent = 0;
    x->closed = 0;
    x->state = SF_REPLY_PARTIAL;
    x->reply.len = 0;
    memset(&x->res, 0, sizeof(x->res));
    x->rtt_ns = 0;
    x->started_ns = sf_now_ns();
    x->deadline = x->timeout_ms < 0 ? SF_NO_DEADLINE : x->started_ns + x->timeout_ms * 1000000;
}

/* Make room for at least 4 KiB more, within limit bytes in all. */
static int buf_room(struct sf_err *err, struct sf_buf *b, size_t limit)
{
    size_t cap;
    char *p;

    if (b->cap - b->len >= 4096 || b->cap >= limit)
        return 0;
    cap = b->cap ? b->cap * 2 : 8192;
    if (cap > limit)
        cap = limit;
    p = realloc(b->p, cap);
    if (!p)
        return sf_err_sys(err, ENOMEM, "realloc", "reply buffer");
    b->p = p;
    b->cap = cap;
    return 0;
}

static int timed_out(struct sf_err *err, int64_t timeout_ms, const char *what)
{
    return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, "recv", "no %s within %.3g s", what,
                      (double)timeout_ms / 1000);
}

static int wrong_reply(struct sf_err *err, enum sf_mode mode, const struct sf_buf *reply)
{
    char start[SF_REPR_MAX(24)];

    sf_repr(reply->p, reply->len < 24 ? reply->len : 24, start, sizeof(start));
    return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                      "unexpected reply (%zu bytes, starting %s%s); is the server in %s mode?",
                      reply->len, start, reply->len > 24 ? "..." : "", sf_mode_name(mode));
}

/* Send what the socket takes now: 1 some went, 0 it is full (or all sent), -1 error. */
static int send_some(struct sf_err *err, int fd, const char *msg, size_t mlen, size_t *sent)
{
    if (*sent == mlen)
        return 0;
    ssize_t n = send(fd, msg + *sent, mlen - *sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) {
        *sent += (size_t)n;
        return n > 0;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return 0;
    return sf_err_sys(err, errno, "send", NULL);
}

/* Read what is there: bytes read, 0 at the server's close, -2 none yet, -1 error. */
static ssize_t recv_some(struct sf_err *err, int fd, struct sf_buf *reply, size_t limit)
{
    if (buf_room(err, reply, limit) < 0)
        return -1;
    ssize_t n = recv(fd, reply->p + reply->len, reply->cap - reply->len, MSG_DONTWAIT);
    if (n >= 0)
        return n;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return -2;
    return sf_err_sys(err, errno, "recv", NULL);
}

/* The most reply bytes a stream exchange accepts: each server chunk is at least one byte. */
static size_t reply_limit(const struct sf_xchg *x)
{
    return sf_proto_reply_max(x->mode, x->mlen) + SF_ECHO_PREFIX_LEN * x->mlen + 1;
}

/*
 * One step of a stream exchange: send what the socket takes, read what
 * has come, and only when neither moved wait (poll) for room or for
 * bytes, until the exchange's deadline.  The send half (sending) stops
 * once the last byte is sent: the reply is the recv half's to read.
 * 0 or -1.
 */
static int stream_step(struct sf_err *err, struct sf_xchg *x, int fd, int sending)
{
    size_t limit = reply_limit(x);
    int wrote = send_some(err, fd, x->msg, x->mlen, &x->sent);

    if (wrote < 0)
        return -1;
    if (sending && x->sent == x->mlen)
        return 0;
    ssize_t n = recv_some(err, fd, &x->reply, limit);
    if (n == -1)
        return -1;
    if (n == 0) {
        x->closed = 1;
        return 0;
    }
    if (n > 0) {
        x->reply.len += (size_t)n;
        x->state = sf_proto_check_reply(x->mode, x->msg, x->mlen, x->reply.p, x->reply.len);
        if (x->state == SF_REPLY_WRONG || x->reply.len >= limit)
            return wrong_reply(err, x->mode, &x->reply);
        return 0;
    }
    if (wrote && x->sent < x->mlen)
        return 0; /* the socket took some: try the rest at once */
    int ready = sf_wait_fd(err, fd, POLLIN | (x->sent < x->mlen ? POLLOUT : 0), x->deadline);
    if (ready < 0)
        return -1;
    if (!ready)
        return timed_out(err, x->timeout_ms, x->sent < x->mlen ? "room to send" : "reply");
    return 0;
}

int sf_xchg_send_stream(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen)
{
    begin(x, msg, mlen);
    if (x->mode == SF_MODE_DISCARD)
        return sf_send_all(err, fd, msg, mlen, x->deadline);
    while (x->sent < x->mlen && !x->closed)
        if (stream_step(err, x, fd, 1) < 0)
            return -1;
    return 0;
}

int sf_xchg_recv_stream(struct sf_err *err, struct sf_xchg *x, int fd)
{
    if (x->mode == SF_MODE_DISCARD)
        return 0;
    while (!x->closed && (x->mode == SF_MODE_WELCOME || x->state == SF_REPLY_PARTIAL))
        if (stream_step(err, x, fd, 0) < 0)
            return -1;
    if (x->reply.len == 0)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "the server closed the connection without replying");
    if (sf_proto_check_reply(x->mode, x->msg, x->mlen, x->reply.p, x->reply.len) !=
        SF_REPLY_COMPLETE)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "the server closed the connection mid-reply (%zu bytes)", x->reply.len);
    x->rtt_ns = sf_now_ns() - x->started_ns;
    return 0;
}

int sf_xchg_finish(struct sf_err *err, int fd, int64_t timeout_ms)
{
    int64_t deadline = sf_deadline_after_ms(timeout_ms);
    struct sf_err local;
    char sink[512];

    if (!err)
        err = &local; /* the kind of a failure decides the message */
    if (shutdown(fd, SHUT_WR) < 0)
        return sf_err_sys(err, errno, "shutdown", NULL);
    for (;;) {
        ssize_t n = sf_recv_some(err, fd, sink, sizeof(sink), deadline);
        if (n == 0)
            return 0;
        if (n < 0 && err->kind == SF_ERR_TIMEOUT)
            return timed_out(err, timeout_ms, "close from the server");
        if (n < 0)
            return -1;
    }
}

static const struct sockaddr *dest_of(const struct sf_xchg *x)
{
    return x->destlen ? (const struct sockaddr *)&x->dest : NULL;
}

int sf_xchg_send_record(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen)
{
    begin(x, msg, mlen);
    if (x->reply.cap < x->recv_size) {
        char *p = realloc(x->reply.p, x->recv_size);
        if (!p)
            return sf_err_sys(err, ENOMEM, "realloc", "reply buffer");
        x->reply.p = p;
        x->reply.cap = x->recv_size;
    }
    return sf_send_dgram(err, fd, msg, mlen, dest_of(x), x->destlen,
                         sf_deadline_after_ms(x->timeout_ms));
}

/* Wait for the reply to x->msg until deadline: 0 got it, 1 none came, -1 error. */
static int await_record(struct sf_err *err, struct sf_xchg *x, int fd, int64_t deadline)
{
    const struct sockaddr *dest = dest_of(x);
    struct sf_err local;

    if (!err)
        err = &local; /* a timeout is "lost", any other failure an error */
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = sf_recv_dgram(err, fd, x->reply.p, x->recv_size, deadline, &x->res.full, &from,
                                  &fromlen);
        if (n < 0)
            return err->kind == SF_ERR_TIMEOUT ? 1 : -1;
        /* On a connected seqpacket socket 0 is the server's close (no reply is empty). */
        if (n == 0 && !dest && x->res.full == 0)
            return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                              "the server closed the connection without replying");
        x->reply.len = (size_t)n;
        if (dest && !sf_sockaddr_equal((struct sockaddr *)&from, fromlen, dest, x->destlen))
            continue; /* not from the server */
        x->res.truncated = x->res.full > x->reply.len;
        enum sf_reply_state st =
            sf_proto_check_reply(x->mode, x->msg, x->mlen, x->reply.p, x->reply.len);
        if (x->res.truncated || st == SF_REPLY_COMPLETE)
            return 0;
        if (st == SF_REPLY_PARTIAL && x->reply.len > 0) {
            x->res.short_reply = 1;
            return 0;
        }
        x->stray++; /* from the server, not a reply to this message: a late one, or a copy */
        /* keep waiting */
    }
}

int sf_xchg_recv_record(struct sf_err *err, struct sf_xchg *x, int fd)
{
    if (x->mode == SF_MODE_DISCARD)
        return 0;
    for (;;) {
        int rc = await_record(err, x, fd, sf_deadline_after_ms(x->timeout_ms));
        if (rc < 0)
            return -1;
        if (rc == 0) {
            x->rtt_ns = sf_now_ns() - x->started_ns;
            return 0;
        }
        if (x->res.resent == x->retries) {
            x->res.lost = 1;
            return 0;
        }
        /* A datagram may simply vanish: send it again, with a fresh deadline. */
        x->res.resent++;
        if (sf_send_dgram(err, fd, x->msg, x->mlen, dest_of(x), x->destlen,
                          sf_deadline_after_ms(x->timeout_ms)) < 0)
            return -1;
    }
}

uint64_t sf_xchg_drain_record(struct sf_xchg *x, int fd, uint64_t max, int64_t quiet_ms)
{
    const struct sockaddr *dest = dest_of(x);
    uint64_t n = 0;

    if (x->reply.cap < x->recv_size) /* nothing was ever sent */
        return 0;
    while (n < max) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        size_t full;
        if (sf_recv_dgram(NULL, fd, x->reply.p, x->recv_size, sf_deadline_after_ms(quiet_ms), &full,
                          &from, &fromlen) < 0)
            break;
        if (!dest || sf_sockaddr_equal((struct sockaddr *)&from, fromlen, dest, x->destlen))
            n++;
    }
    x->stray += n;
    return n;
}

const struct sf_xchg_ops sf_xchg_stream_ops = {sf_xchg_send_stream, sf_xchg_recv_stream};
const struct sf_xchg_ops sf_xchg_record_ops = {sf_xchg_send_record, sf_xchg_recv_record};
