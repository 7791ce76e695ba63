/* xchg: one message and its reply, in a send half and a recv half; see xchg.h. */
#include "xchg.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "io.h"
#include "repr.h"

static void burst_drop_early(struct sf_burst *b);

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
    x->timed_fd = -1;
}

void sf_xchg_attach(struct sf_xchg *x, int fd)
{
    struct timeval tv = {(time_t)(x->timeout_ms / 1000),
                         (suseconds_t)(x->timeout_ms % 1000) * 1000};
    int fl = fcntl(fd, F_GETFL);

    x->timed_fd = -1;
    /* SO_RCVTIMEO 0 would mean no limit: a timeout of 0 or none keeps poll's way. */
    if (x->timeout_ms <= 0 || sf_io_spinning() || fl < 0 || (fl & O_NONBLOCK))
        return;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0 &&
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0)
        x->timed_fd = fd;
}

void sf_xchg_free(struct sf_xchg *x)
{
    sf_buf_free(&x->reply);
    sf_buf_free(&x->burst.all);
    burst_drop_early(&x->burst);
    free(x->burst.v);
    x->burst.v = NULL;
    x->burst.cap = 0;
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
    x->burst.on = 0;
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

/* Room for at least want bytes in all.  0 or -1. */
static int buf_reserve(struct sf_err *err, struct sf_buf *b, size_t want)
{
    char *p;

    if (b->cap >= want)
        return 0;
    p = realloc(b->p, want);
    if (!p)
        return sf_err_sys(err, ENOMEM, "realloc", "reply buffer");
    b->p = p;
    b->cap = want;
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
/* A burst's bytes moved: its next wait gets timeout_ms again (one exchange's deadline is fixed). */
static void moved(struct sf_xchg *x)
{
    if (x->burst.on)
        x->deadline = sf_deadline_after_ms(x->timeout_ms);
}

/* n reply bytes came into x->reply (0: the server closed).  0, or -1 for a wrong reply. */
static int took(struct sf_err *err, struct sf_xchg *x, ssize_t n, size_t limit)
{
    if (n == 0) {
        x->closed = 1;
        return 0;
    }
    moved(x);
    x->reply.len += (size_t)n;
    x->state = sf_proto_check_reply(x->mode, x->msg, x->mlen, x->reply.p, x->reply.len);
    if (x->state == SF_REPLY_WRONG || x->reply.len >= limit)
        return wrong_reply(err, x->mode, &x->reply);
    return 0;
}

/*
 * The reply's first read, on an attached socket with nothing read yet: one
 * blocking recv, into a buffer with room for the whole expected reply.
 * 0 (what came is in x->reply; or nothing yet, and the polling way goes
 * on), or -1: the deadline passed, or an error.
 */
static int stream_first_read(struct sf_err *err, struct sf_xchg *x, int fd)
{
    size_t limit = reply_limit(x), want = sf_proto_reply_max(x->mode, x->mlen) + 1;
    struct sf_err local;
    ssize_t n;

    if (!err)
        err = &local; /* the kind of a failure decides the message */
    if (x->timed_fd != fd || x->reply.len || x->closed || x->burst.on)
        return 0;
    if (buf_reserve(err, &x->reply, want < limit ? want : limit) < 0)
        return -1;
    n = sf_recv_some(err, fd, x->reply.p, x->reply.cap, x->deadline, 1);
    if (n >= 0)
        return took(err, x, n, limit);
    return err->kind == SF_ERR_TIMEOUT ? timed_out(err, x->timeout_ms, "reply") : -1;
}

static int stream_step(struct sf_err *err, struct sf_xchg *x, int fd, int sending)
{
    size_t limit = reply_limit(x);
    int wrote = send_some(err, fd, x->msg, x->mlen, &x->sent);

    if (wrote < 0)
        return -1;
    if (wrote)
        moved(x);
    if (sending && x->sent == x->mlen)
        return 0;
    ssize_t n = recv_some(err, fd, &x->reply, limit);
    if (n == -1)
        return -1;
    if (n >= 0)
        return took(err, x, n, limit);
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
    if (x->mode == SF_MODE_DISCARD) /* nothing comes back to read while the socket is full */
        return sf_send_all(err, fd, msg, mlen, x->deadline, x->timed_fd == fd);
    while (x->sent < x->mlen && !x->closed)
        if (stream_step(err, x, fd, 1) < 0)
            return -1;
    return 0;
}

int sf_xchg_recv_stream(struct sf_err *err, struct sf_xchg *x, int fd)
{
    if (x->mode == SF_MODE_DISCARD)
        return 0;
    if (x->state == SF_REPLY_PARTIAL && stream_first_read(err, x, fd) < 0)
        return -1;
    while (!x->closed && (x->mode == SF_MODE_WELCOME || x->state == SF_REPLY_PARTIAL))
        if (stream_step(err, x, fd, 0) < 0)
            return -1;
    if (x->reply.len == 0)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "the server closed the connection without replying");
    /* took() checked the reply as each piece came: x->state is the whole reply's. */
    if (x->state != SF_REPLY_COMPLETE)
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
        ssize_t n = sf_recv_some(err, fd, sink, sizeof(sink), deadline, 0);
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

/* Room for a reply record of recv_size bytes.  0 or -1. */
static int reply_room(struct sf_err *err, struct sf_xchg *x)
{
    return buf_reserve(err, &x->reply, x->recv_size);
}

int sf_xchg_send_record(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen)
{
    begin(x, msg, mlen);
    if (reply_room(err, x) < 0)
        return -1;
    return sf_send_dgram(err, fd, msg, mlen, dest_of(x), x->destlen,
                         sf_deadline_after_ms(x->timeout_ms), x->timed_fd == fd);
}

/* The next datagram from the server into x->reply, until deadline: 0 one came, 1 none, -1 error. */
static int next_record(struct sf_err *err, struct sf_xchg *x, int fd, int64_t deadline, int first)
{
    const struct sockaddr *dest = dest_of(x);
    struct sf_err local;

    if (!err)
        err = &local; /* a timeout is "lost", any other failure an error */
    for (;; first = 0) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        /* The first read of a try, on an attached socket, blocks in recvfrom itself.  A
         * connected socket hears only its peer: no source address asked for, none copied. */
        ssize_t n =
            sf_recv_dgram(err, fd, x->reply.p, x->recv_size, deadline, &x->res.full,
                          dest ? &from : NULL, dest ? &fromlen : NULL, first && x->timed_fd == fd);
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
        return 0;
    }
}

/* Does the datagram in x->reply answer msg?  Cut short by either side's buffer, it still does. */
static int answers(struct sf_xchg *x, const char *msg, size_t mlen)
{
    enum sf_reply_state st = sf_proto_check_reply(x->mode, msg, mlen, x->reply.p, x->reply.len);

    if (x->res.truncated || st == SF_REPLY_COMPLETE)
        return 1;
    x->res.short_reply = st == SF_REPLY_PARTIAL && x->reply.len > 0;
    return x->res.short_reply;
}

/* Wait for the reply to x->msg until deadline: 0 got it, 1 none came, -1 error. */
static int await_record(struct sf_err *err, struct sf_xchg *x, int fd, int64_t deadline)
{
    for (int first = 1;; first = 0) {
        int rc = next_record(err, x, fd, deadline, first);
        if (rc != 0 || answers(x, x->msg, x->mlen))
            return rc;
        x->stray++; /* from the server, not a reply to this message: a late one, or a copy */
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
                          sf_deadline_after_ms(x->timeout_ms), x->timed_fd == fd) < 0)
            return -1;
    }
}

uint64_t sf_xchg_drain_record(struct sf_xchg *x, int fd, uint64_t max, int64_t quiet_ms)
{
    const struct sockaddr *dest = dest_of(x);
    uint64_t n = 0, reads = 0;
    int64_t end = sf_deadline_after_ms(x->timeout_ms); /* the whole drain: one wait's worth */

    if (x->reply.cap < x->recv_size) /* nothing was ever sent */
        return 0;
    while (reads++ < max && sf_now_ns() < end) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        size_t full;
        int64_t quiet = sf_deadline_after_ms(quiet_ms);
        ssize_t got = sf_recv_dgram(NULL, fd, x->reply.p, x->recv_size, quiet < end ? quiet : end,
                                    &full, &from, &fromlen, 0);
        if (got < 0 || (got == 0 && full == 0 && !dest))
            break; /* quiet, or a connected seqpacket socket's server closed: nothing is left */
        if (!dest || sf_sockaddr_equal((struct sockaddr *)&from, fromlen, dest, x->destlen))
            n++;
    }
    x->stray += n;
    return n;
}

/* Free the replies a record burst kept and did not hand over (an interrupted burst's). */
static void burst_drop_early(struct sf_burst *b)
{
    for (size_t i = 0; b->v && i < b->n; i++) { /* a stream burst holds no records */
        free(b->v[i].early);
        b->v[i].early = NULL;
    }
}

void sf_xchg_burst_begin(struct sf_xchg *x)
{
    struct sf_burst *b = &x->burst;

    begin(x, NULL, 0);
    burst_drop_early(b);
    b->on = 1;
    b->n = b->done = b->unit = b->unit_bytes = b->bytes = b->done_bytes = b->first = 0;
    b->early_at = b->early_bytes = 0;
    b->all.len = 0;
}

int sf_xchg_burst_waiting(const struct sf_xchg *x)
{
    return x->burst.done < x->burst.n;
}

/* One more message fits the burst's bounds?  0, or -1 with err. */
static int burst_room(struct sf_err *err, const struct sf_burst *b, size_t mlen)
{
    if (b->n < SF_BURST_MAX_MSGS && mlen <= SF_BURST_MAX_BYTES - b->bytes)
        return 0;
    return sf_err_set(err, SF_ERR_INVALID, 0, "send",
                      "a burst holds at most %d messages and %u MiB", SF_BURST_MAX_MSGS,
                      SF_BURST_MAX_BYTES >> 20);
}

/* Account for every message not yet accounted for (the rest of the burst): 0. */
static int burst_rest(struct sf_burst *b)
{
    b->unit = b->n - b->done;
    b->unit_bytes = b->bytes - b->done_bytes;
    b->done = b->n;
    b->done_bytes = b->bytes;
    return 0;
}

/* Append msg to every message the burst sent (x->burst.all).  0 or -1. */
static int burst_copy(struct sf_err *err, struct sf_xchg *x, const void *msg, size_t mlen)
{
    struct sf_buf *all = &x->burst.all;

    if (all->cap - all->len < mlen) {
        size_t cap = all->cap ? all->cap : 4096;
        while (cap - all->len < mlen)
            cap *= 2;
        char *p = realloc(all->p, cap);
        if (!p)
            return sf_err_sys(err, ENOMEM, "realloc", "burst");
        all->p = p;
        all->cap = cap;
    }
    memcpy(all->p + all->len, msg, mlen);
    all->len += mlen;
    return 0;
}

/* Append msg to what the stream burst's reply must answer (x->msg, x->mlen).  0 or -1. */
static int burst_hold(struct sf_err *err, struct sf_xchg *x, const void *msg, size_t mlen)
{
    if (burst_copy(err, x, msg, mlen) < 0)
        return -1;
    x->msg = x->burst.all.p;
    x->mlen = x->burst.all.len;
    /* What came so far is checked again against the longer message: a reply complete for
     * the shorter one is partial now (the final check relies on x->state). */
    if (x->reply.len)
        x->state = sf_proto_check_reply(x->mode, x->msg, x->mlen, x->reply.p, x->reply.len);
    return 0;
}

int sf_xchg_burst_send_stream(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                              size_t mlen)
{
    struct sf_burst *b = &x->burst;
    int rc = 0;

    if (burst_room(err, b, mlen) < 0)
        return -1;
    x->deadline = sf_deadline_after_ms(x->timeout_ms);
    if (x->mode == SF_MODE_DISCARD) { /* no reply to check: nothing to hold */
        rc = sf_send_all(err, fd, msg, mlen, x->deadline, 0);
    } else {
        if (burst_hold(err, x, msg, mlen) < 0)
            return -1;
        while (rc == 0 && x->sent < x->mlen && !x->closed)
            rc = stream_step(err, x, fd, 1);
    }
    if (rc < 0)
        return -1;
    b->n++;
    b->bytes += mlen;
    return 0;
}

int sf_xchg_burst_recv_stream(struct sf_err *err, struct sf_xchg *x, int fd)
{
    if (x->mode != SF_MODE_DISCARD) {
        x->deadline = sf_deadline_after_ms(x->timeout_ms);
        if (sf_xchg_recv_stream(err, x, fd) < 0)
            return -1;
    }
    return burst_rest(&x->burst);
}

/* The replies a record burst keeps while it sends, at most: every legitimate reply fits. */
#define EARLY_MAX ((size_t)SF_BURST_MAX_BYTES + SF_ECHO_PREFIX_LEN * (size_t)SF_BURST_MAX_MSGS)

/* The first message of the burst still waiting for its reply that the datagram in x->reply
 * answers: its index, or -1. */
static long burst_match(struct sf_xchg *x)
{
    struct sf_burst *b = &x->burst;

    for (size_t i = b->first; i < b->n; i++)
        if (b->v[i].state == SF_BURST_WAITING && answers(x, b->all.p + b->v[i].off, b->v[i].len))
            return (long)i;
    return -1;
}

/* Message i has its reply: the first one still waiting moves on. */
static void burst_replied(struct sf_burst *b, size_t i, int state)
{
    b->v[i].state = state;
    while (b->first < b->n && b->v[b->first].state != SF_BURST_WAITING)
        b->first++;
}

/* Keep the reply in x->reply to message i, read while the burst is still sent.  0 or -1. */
static int burst_keep(struct sf_err *err, struct sf_xchg *x, size_t i)
{
    struct sf_burst *b = &x->burst;
    struct sf_burst_msg *m = &b->v[i];

    if (x->reply.len > EARLY_MAX - b->early_bytes)
        return sf_err_set(err, SF_ERR_PEER, 0, "recv",
                          "replies larger than any the burst could be answered with");
    m->early = malloc(x->reply.len ? x->reply.len : 1);
    if (!m->early)
        return sf_err_sys(err, ENOMEM, "malloc", "burst reply");
    memcpy(m->early, x->reply.p, x->reply.len);
    m->early_len = x->reply.len;
    m->res = x->res;
    b->early_bytes += x->reply.len;
    burst_replied(b, i, SF_BURST_EARLY);
    return 0;
}

/* The socket is full: take a datagram that has come, if any, and keep it if it is a reply.  0 or
 * -1 (a seqpacket server's close among them). */
static int burst_read_early(struct sf_err *err, struct sf_xchg *x, int fd)
{
    long i;
    int rc;

    memset(&x->res, 0, sizeof(x->res));
    rc = next_record(err, x, fd, sf_now_ns(), 0); /* what is there now: no wait */
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    i = burst_match(x);
    return i < 0 ? 0 : burst_keep(err, x, (size_t)i);
}

/*
 * Send one record of the burst.  While the socket is full, read what came
 * back: a seqpacket server stops reading from a client that leaves its
 * replies unread, and each side would wait for the other for ever.  0 or -1.
 */
static int burst_send_one(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                          size_t mlen)
{
    int64_t deadline = sf_deadline_after_ms(x->timeout_ms);

    for (;;) {
        if (sendto(fd, msg, mlen, MSG_NOSIGNAL | MSG_DONTWAIT, dest_of(x), x->destlen) >= 0)
            return 0;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENOBUFS)
            return sf_err_sys(err, errno, "send", NULL);
        int ready = sf_wait_fd(err, fd, POLLIN | POLLOUT, deadline);
        if (ready < 0)
            return -1;
        if (!ready)
            return timed_out(err, x->timeout_ms, "room to send");
        size_t kept = x->burst.early_bytes;
        if (burst_read_early(err, x, fd) < 0)
            return -1;
        if (x->burst.early_bytes != kept)
            deadline = sf_deadline_after_ms(x->timeout_ms); /* progress */
    }
}

int sf_xchg_burst_send_record(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                              size_t mlen)
{
    struct sf_burst *b = &x->burst;

    if (burst_room(err, b, mlen) < 0)
        return -1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        struct sf_burst_msg *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return sf_err_sys(err, ENOMEM, "realloc", "burst");
        b->v = v;
        b->cap = cap;
    }
    size_t off = b->all.len;
    if (reply_room(err, x) < 0 || burst_copy(err, x, msg, mlen) < 0 ||
        burst_send_one(err, x, fd, msg, mlen) < 0)
        return -1;
    b->v[b->n++] = (struct sf_burst_msg){.off = off, .len = mlen};
    b->bytes += mlen;
    return 0;
}

/* Message i of the burst is answered by the datagram in x->reply: one message accounted for. */
static void burst_answered(struct sf_xchg *x, size_t i)
{
    struct sf_burst *b = &x->burst;

    burst_replied(b, i, SF_BURST_DONE);
    x->msg = b->all.p + b->v[i].off;
    x->mlen = b->v[i].len;
    b->unit = 1;
    b->unit_bytes = b->v[i].len;
    b->done++;
    b->done_bytes += b->v[i].len;
}

/* The next reply kept while sending, into x->reply, in the order of the messages: 1, or 0 none. */
static int burst_early(struct sf_xchg *x)
{
    struct sf_burst *b = &x->burst;

    for (; b->early_at < b->n; b->early_at++) {
        struct sf_burst_msg *m = &b->v[b->early_at];
        if (m->state != SF_BURST_EARLY)
            continue;
        memcpy(x->reply.p, m->early, m->early_len); /* read into this buffer: it fits */
        x->reply.len = m->early_len;
        x->res = m->res;
        free(m->early);
        m->early = NULL;
        burst_answered(x, b->early_at++);
        return 1;
    }
    return 0;
}

int sf_xchg_burst_recv_record(struct sf_err *err, struct sf_xchg *x, int fd)
{
    struct sf_burst *b = &x->burst;
    int64_t deadline = sf_deadline_after_ms(x->timeout_ms);

    memset(&x->res, 0, sizeof(x->res));
    x->reply.len = 0;
    if (x->mode == SF_MODE_DISCARD)
        return burst_rest(b);
    if (burst_early(x))
        return 0;
    for (;;) {
        int rc = next_record(err, x, fd, deadline, 0);
        if (rc < 0)
            return -1;
        if (rc > 0) { /* nothing more within timeout_ms: the rest are lost */
            x->res.lost = 1;
            return burst_rest(b);
        }
        long i = burst_match(x);
        if (i >= 0) {
            burst_answered(x, (size_t)i);
            return 0;
        }
        x->stray++; /* a reply to no message still waiting (a late one, a copy): keep waiting */
    }
}

const struct sf_xchg_ops sf_xchg_stream_ops = {
    sf_xchg_send_stream, sf_xchg_recv_stream, sf_xchg_burst_send_stream, sf_xchg_burst_recv_stream};
const struct sf_xchg_ops sf_xchg_record_ops = {
    sf_xchg_send_record, sf_xchg_recv_record, sf_xchg_burst_send_record, sf_xchg_burst_recv_record};
