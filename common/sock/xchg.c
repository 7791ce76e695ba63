/* xchg: one message and its reply; see xchg.h. */
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

/*
 * Sending and reading go on together: the server answers each chunk while
 * the rest of a long message is still coming, so a client that sent it all
 * before reading would fill the buffers both ways, and both would wait.
 */
int sf_xchg_stream(struct sf_err *err, int fd, enum sf_mode mode, const void *msg, size_t mlen,
                   int64_t timeout_ms, struct sf_buf *reply)
{
    int64_t deadline = sf_deadline_after_ms(timeout_ms);
    /* Each server chunk is at least one byte, so at most mlen prefixes. */
    size_t limit = sf_proto_reply_max(mode, mlen) + SF_ECHO_PREFIX_LEN * mlen + 1, sent = 0;
    enum sf_reply_state st = SF_REPLY_PARTIAL;

    reply->len = 0;
    while (sent < mlen || mode == SF_MODE_WELCOME || st == SF_REPLY_PARTIAL) {
        int wrote = send_some(err, fd, msg, mlen, &sent);
        ssize_t n = wrote < 0 ? -1 : recv_some(err, fd, reply, limit);
        if (n == -1)
            return -1;
        if (n == 0)
            break;
        if (n > 0) {
            reply->len += (size_t)n;
            st = sf_proto_check_reply(mode, msg, mlen, reply->p, reply->len);
            if (st == SF_REPLY_WRONG || reply->len >= limit)
                return wrong_reply(err, mode, reply);
        } else if (!wrote || sent == mlen) {
            int ready = sf_wait_fd(err, fd, POLLIN | (sent < mlen ? POLLOUT : 0), deadline);
            if (ready < 0)
                return -1;
            if (!ready)
                return timed_out(err, timeout_ms, sent < mlen ? "room to send" : "reply");
        }
    }
    if (reply->len == 0)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "the server closed the connection without replying");
    if (sf_proto_check_reply(mode, msg, mlen, reply->p, reply->len) != SF_REPLY_COMPLETE)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "the server closed the connection mid-reply (%zu bytes)", reply->len);
    return 0;
}

int sf_xchg_finish(struct sf_err *err, int fd, int64_t timeout_ms)
{
    int64_t deadline = sf_deadline_after_ms(timeout_ms);
    char sink[512];

    if (shutdown(fd, SHUT_WR) < 0)
        return sf_err_sys(err, errno, "shutdown", NULL);
    for (;;) {
        ssize_t n = sf_recv_some(err, fd, sink, sizeof(sink), deadline);
        if (n == 0)
            return 0;
        if (n < 0 && err && err->kind == SF_ERR_TIMEOUT)
            return timed_out(err, timeout_ms, "close from the server");
        if (n < 0)
            return -1;
    }
}

/* Wait for the reply to msg until deadline: 0 got it, 1 none came, -1 error. */
static int await_dgram(struct sf_err *err, int fd, enum sf_mode mode, const void *msg, size_t mlen,
                       const struct sockaddr *dest, socklen_t destlen, int64_t deadline,
                       size_t recv_size, struct sf_buf *reply, struct sf_dgram_result *res)
{
    for (;;) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t n =
            sf_recv_dgram(err, fd, reply->p, recv_size, deadline, &res->full, &from, &fromlen);
        if (n < 0)
            return err && err->kind == SF_ERR_TIMEOUT ? 1 : -1;
        /* On a connected seqpacket socket 0 is the server's close (no reply is empty). */
        if (n == 0 && !dest && res->full == 0)
            return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                              "the server closed the connection without replying");
        reply->len = (size_t)n;
        if (dest && !sf_sockaddr_equal((struct sockaddr *)&from, fromlen, dest, destlen))
            continue; /* not from the server */
        res->truncated = res->full > reply->len;
        enum sf_reply_state st = sf_proto_check_reply(mode, msg, mlen, reply->p, reply->len);
        if (res->truncated || st == SF_REPLY_COMPLETE)
            return 0;
        if (st == SF_REPLY_PARTIAL && reply->len > 0) {
            res->short_reply = 1;
            return 0;
        }
        /* not a reply to this message: a late one, or noise; keep waiting */
    }
}

int sf_xchg_dgram(struct sf_err *err, int fd, enum sf_mode mode, const void *msg, size_t mlen,
                  const struct sockaddr *dest, socklen_t destlen, int64_t timeout_ms,
                  unsigned retries, size_t recv_size, struct sf_buf *reply,
                  struct sf_dgram_result *res)
{
    memset(res, 0, sizeof(*res));
    if (reply->cap < recv_size) {
        char *p = realloc(reply->p, recv_size);
        if (!p)
            return sf_err_sys(err, ENOMEM, "realloc", "reply buffer");
        reply->p = p;
        reply->cap = recv_size;
    }
    reply->len = 0;
    for (unsigned attempt = 0; attempt <= retries; attempt++) {
        if (sf_send_dgram(err, fd, msg, mlen, dest, destlen, sf_deadline_after_ms(timeout_ms)) < 0)
            return -1;
        if (mode == SF_MODE_DISCARD)
            return 0;
        res->resent = attempt;
        int rc = await_dgram(err, fd, mode, msg, mlen, dest, destlen,
                             sf_deadline_after_ms(timeout_ms), recv_size, reply, res);
        if (rc <= 0)
            return rc;
    }
    return 1;
}
