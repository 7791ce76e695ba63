/* sserv: the connection-oriented demo server on an epoll loop; see sserv.h. */
#include "sserv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "io.h"
#include "loop.h"

/* How long accept pauses when descriptors run out (EMFILE/ENFILE). */
#define ACCEPT_PAUSE_MS 100

struct server {
    const struct sf_sserv_config *cfg;
    struct sf_sserv_counters *count;
    struct sf_loop *loop;
    int listen_fd;
    struct conn *conns; /* every open conversation, to close them at exit */
    char *inbuf, *outbuf;
    size_t outcap;
    int accept_paused; /* accept is in a pause spell (reported once) */
};

struct conn {
    struct server *srv;
    struct conn *prev, *next;
    int fd;
    char peer[SF_ADDR_TEXT_MAX];
    char *pending; /* reply bytes the socket did not take yet */
    size_t pending_len, pending_off;
    int closing;     /* close once pending is sent */
    int stall_armed; /* a send deadline is set for the pending reply */
};

static void conn_free(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    free(c->pending);
    free(c);
}

static void conn_close(struct conn *c, int fd, enum sf_sserv_event ev, int errnum)
{
    struct server *srv = c->srv;

    sf_loop_remove(srv->loop, fd);
    close(fd);
    if (ev == SF_SSERV_CONN_ERROR)
        srv->count->errors++;
    if (ev == SF_SSERV_TIMEOUT)
        srv->count->timeouts++;
    if (ev == SF_SSERV_STALLED)
        srv->count->stalled++;
    srv->count->closed++;
    if (srv->cfg->on_event)
        srv->cfg->on_event(srv->cfg->ctx, ev, c->peer, errnum);
    conn_free(c);
}

/* Send what is pending; returns 0 when all sent, 1 when the socket is full, -1 on error. */
static int conn_flush(struct conn *c, int fd)
{
    while (c->pending_off < c->pending_len) {
        ssize_t n = send(fd, c->pending + c->pending_off, c->pending_len - c->pending_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -1;
        c->pending_off += (size_t)n;
        c->srv->count->bytes_out += (size_t)n;
    }
    c->pending_len = c->pending_off = 0;
    return 0;
}

/*
 * Send a reply straight away; only what the socket does not take is kept
 * (and reading from this client stops until it is sent).  0, or -1 with
 * errno (ENOMEM, or the send's error).
 */
static int conn_reply(struct conn *c, int fd, const char *data, size_t len)
{
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    size_t put = n > 0 ? (size_t)n : 0;
    char *p;

    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        return -1;
    c->srv->count->replies++;
    c->srv->count->bytes_out += put;
    if (put == len)
        return 0;
    if (!(p = realloc(c->pending, len - put))) {
        errno = ENOMEM;
        return -1;
    }
    c->pending = p;
    memcpy(p, data + put, len - put);
    c->pending_len = len - put;
    c->pending_off = 0;
    if (c->pending_len > c->srv->count->pending_peak)
        c->srv->count->pending_peak = c->pending_len;
    return 0;
}

/*
 * While a reply waits, the client has send_timeout_ms to take some of it;
 * each bit it takes restarts the clock.  Only this slow path pays for the
 * deadline: a reply that went out at once never touches it.
 */
static void conn_watch_stall(struct conn *c, int fd, int waiting, size_t off_before)
{
    struct server *srv = c->srv;

    if (waiting && srv->cfg->send_timeout_ms > 0 &&
        (!c->stall_armed || c->pending_off != off_before)) {
        sf_loop_set_deadline(srv->loop, fd, sf_deadline_after_ms(srv->cfg->send_timeout_ms));
        c->stall_armed = 1;
    } else if (!waiting && c->stall_armed) {
        sf_loop_set_deadline(srv->loop, fd, SF_NO_DEADLINE);
        c->stall_armed = 0;
    }
}

static void conn_after_io(struct conn *c, int fd)
{
    size_t off_before = c->pending_off;
    int rc = conn_flush(c, fd);

    if (rc < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return;
    }
    if (rc == 0 && c->closing) {
        conn_close(c, fd, SF_SSERV_CLOSED, 0);
        return;
    }
    /* Backpressure: while a reply waits, read nothing more from this client. */
    if (sf_loop_modify(NULL, c->srv->loop, fd, rc ? SF_EV_OUT : SF_EV_IN) < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return;
    }
    conn_watch_stall(c, fd, rc, off_before);
}

static void conn_readable(struct conn *c, int fd)
{
    struct server *srv = c->srv;
    const struct sf_sserv_config *cfg = srv->cfg;
    /* On a seqpacket socket MSG_TRUNC returns the record's real length; on a
     * TCP socket it would mean "discard the data", so only for records. */
    ssize_t n = recv(fd, srv->inbuf, cfg->recv_size, MSG_DONTWAIT | (cfg->records ? MSG_TRUNC : 0));

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return;
    }
    if (n == 0) {
        /* The client closed its side: finish what is pending, then close. */
        c->closing = 1;
        conn_after_io(c, fd);
        return;
    }
    if ((size_t)n > cfg->recv_size) {
        srv->count->truncated++;
        if (cfg->on_truncated)
            cfg->on_truncated(cfg->ctx, c->peer, cfg->recv_size, (size_t)n);
        n = (ssize_t)cfg->recv_size;
    }
    srv->count->bytes_in += (size_t)n;
    size_t rlen = sf_proto_reply(cfg->mode, srv->inbuf, (size_t)n, srv->outbuf, srv->outcap);
    if (cfg->mode == SF_MODE_WELCOME) {
        /* One message per conversation: answer, then close, as the tutorial does. */
        c->closing = 1;
        sf_loop_set_deadline(srv->loop, fd, SF_NO_DEADLINE);
    }
    if (rlen > 0 && conn_reply(c, fd, srv->outbuf, rlen) < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return;
    }
    conn_after_io(c, fd);
}

static void on_conn(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct conn *c = ctx;

    (void)loop;
    if (events & SF_EV_TIMEOUT)
        conn_close(c, fd, c->stall_armed ? SF_SSERV_STALLED : SF_SSERV_TIMEOUT, 0);
    else if (events & SF_EV_OUT)
        conn_after_io(c, fd);
    else if (events & (SF_EV_IN | EPOLLHUP | EPOLLERR))
        conn_readable(c, fd);
}

static void add_conn(struct server *srv, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (!c || sf_loop_add(NULL, srv->loop, fd, SF_EV_IN, on_conn, c) < 0) {
        free(c);
        close(fd);
        srv->count->errors++;
        return;
    }
    c->srv = srv;
    c->fd = fd;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    sf_sockaddr_format((const struct sockaddr *)ss, len, c->peer, sizeof(c->peer));
    srv->count->accepted++;
    if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
        /* A reply goes out in one send; Nagle would hold a split reply's
         * second part until the client's delayed ACK, 40 ms later. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (srv->cfg->mode == SF_MODE_WELCOME)
        sf_loop_set_deadline(srv->loop, fd, sf_deadline_after_ms(srv->cfg->timeout_ms));
    if (srv->cfg->on_connect)
        srv->cfg->on_connect(srv->cfg->ctx, fd, (const struct sockaddr *)ss, len);
}

static void pause_accept(struct server *srv, int errnum)
{
    /* Out of descriptors: stop watching the listener for a moment instead
     * of spinning on a readable socket that accept() cannot take. */
    sf_loop_modify(NULL, srv->loop, srv->listen_fd, 0);
    sf_loop_set_deadline(srv->loop, srv->listen_fd, sf_deadline_after_ms(ACCEPT_PAUSE_MS));
    srv->count->accept_pauses++;
    /* One report per spell, not one every ACCEPT_PAUSE_MS. */
    if (!srv->accept_paused && srv->cfg->on_event)
        srv->cfg->on_event(srv->cfg->ctx, SF_SSERV_ACCEPT_PAUSED, "", errnum);
    srv->accept_paused = 1;
}

static void on_listen(struct sf_loop *loop, int lfd, unsigned events, void *ctx)
{
    struct server *srv = ctx;

    if (events & SF_EV_TIMEOUT) {
        sf_loop_modify(NULL, loop, lfd, SF_EV_IN);
        return;
    }
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
            continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
            pause_accept(srv, errno);
        if (fd < 0)
            return;
        if (srv->accept_paused && srv->cfg->on_event)
            srv->cfg->on_event(srv->cfg->ctx, SF_SSERV_ACCEPT_RESUMED, "", 0);
        srv->accept_paused = 0;
        add_conn(srv, fd, &ss, len);
        if (srv->cfg->once) {
            /* One client only: later ones stay in the backlog and are reset at
             * exit; with nothing left to watch after it, the loop ends. */
            sf_loop_remove(loop, lfd);
            return;
        }
    }
}

int sf_sserv_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg, int stop_fd,
                 struct sf_sserv_counters *counters)
{
    struct server srv = {.cfg = cfg, .count = counters, .listen_fd = listen_fd};
    int rc = -1;

    memset(counters, 0, sizeof(*counters));
    srv.outcap = sf_proto_reply_max(cfg->mode, cfg->recv_size);
    srv.inbuf = malloc(cfg->recv_size);
    srv.outbuf = malloc(srv.outcap ? srv.outcap : 1);
    srv.loop = sf_loop_new(err);
    if (!srv.inbuf || !srv.outbuf) {
        sf_err_sys(err, ENOMEM, "malloc", "server buffers");
        goto out;
    }
    if (!srv.loop || sf_loop_add(err, srv.loop, listen_fd, SF_EV_IN, on_listen, &srv) < 0)
        goto out;
    /* accept() until EAGAIN needs a non-blocking listener. */
    if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0) {
        sf_err_sys(err, errno, "fcntl", "listening socket");
        goto out;
    }
    if (sf_loop_run(err, srv.loop, stop_fd) < 0)
        goto out;
    rc = 0;
out:
    while (srv.conns) {
        close(srv.conns->fd);
        conn_free(srv.conns);
    }
    sf_loop_free(srv.loop);
    free(srv.inbuf);
    free(srv.outbuf);
    return rc;
}
