/* sserv: the connection-oriented demo server on an epoll loop; see sserv.h. */
#include "sserv.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "addr.h"
#include "io.h"
#include "local.h"
#include "loop.h"

/* How long accept pauses when descriptors run out and the reserve is gone too. */
#define ACCEPT_PAUSE_MS 100
/* Peers counted for max_per_peer: a chained hash table of this many buckets. */
#define PEER_BUCKETS 1024

/* One peer's open connections, for max_per_peer: an IP address, or a local uid. */
struct peer {
    struct peer *next;
    struct sf_peer_key key;
    uint32_t open;
};

struct server {
    const struct sf_sserv_config *cfg;
    struct sf_sserv_counters *count;
    struct sf_loop *loop;
    int listen_fd;
    struct conn *conns; /* every open conversation, to close them at exit */
    char *inbuf, *outbuf;
    size_t outcap;
    int accept_paused;   /* a spell without descriptors (reported once) */
    int reserve_fd;      /* held back for EMFILE: freed to accept and close the waiting */
    int tick_fd;         /* idle_timeout_ms: a timerfd that sweeps for idle connections */
    uint32_t open;       /* connections open now */
    struct peer **peers; /* PEER_BUCKETS, with max_per_peer only */
};

/*
 * One conversation, about a hundred bytes with its peer's text: at ten
 * thousand clients the server's memory is mostly the kernel's (socket
 * buffers, not in its RSS), not this.
 */
struct conn {
    struct server *srv;
    struct conn *prev, *next;
    int fd;
    int closing;     /* close once pending is sent */
    int stall_armed; /* a send deadline is set for the pending reply */
    char *pending;   /* reply bytes the socket did not take yet */
    size_t pending_len, pending_off;
    int64_t last_in;  /* when the client last sent something (idle_timeout_ms) */
    struct peer *who; /* its entry in the peer table, or NULL */
    char peer[];      /* numeric text, as long as it is ("127.0.0.1:43122": 16 bytes) */
};

static void peer_release(struct server *srv, struct peer *p);

static void conn_free(struct conn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->srv->open--;
    if (c->who)
        peer_release(c->srv, c->who);
    free(c->pending);
    free(c);
}

static void conn_close(struct conn *c, int fd, enum sf_sserv_event ev, int errnum)
{
    struct server *srv = c->srv;

    sf_loop_forget(srv->loop, fd); /* accept4's own descriptor, closed now: no EPOLL_CTL_DEL */
    close(fd);
    if (ev == SF_SSERV_CONN_ERROR)
        srv->count->errors++;
    if (ev == SF_SSERV_TIMEOUT)
        srv->count->timeouts++;
    if (ev == SF_SSERV_STALLED)
        srv->count->stalled++;
    if (ev == SF_SSERV_IDLE)
        srv->count->idle++;
    srv->count->closed++;
    if (srv->cfg->on_event)
        srv->cfg->on_event(srv->cfg->ctx, ev, c->peer, errnum);
    conn_free(c);
    /* --once: the conversation is over (the idle timer alone would keep the loop going). */
    if (srv->cfg->once && srv->count->accepted && srv->open == 0)
        sf_loop_stop(srv->loop);
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

/*
 * Read once, and answer.  1 when the read filled the buffer of a byte
 * stream that is discarded (no reply) and the connection is still open
 * with nothing waiting to be sent: more is likely there already; else 0
 * (c may be gone).
 */
static int conn_readable(struct conn *c, int fd)
{
    struct server *srv = c->srv;
    const struct sf_sserv_config *cfg = srv->cfg;
    /* On a seqpacket socket MSG_TRUNC returns the record's real length; on a
     * TCP socket it would mean "discard the data", so only for records. */
    ssize_t n = recv(fd, srv->inbuf, cfg->recv_size, MSG_DONTWAIT | (cfg->records ? MSG_TRUNC : 0));

    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return 0;
    }
    if (n == 0) {
        /* The client closed its side: finish what is pending, then close. */
        c->closing = 1;
        conn_after_io(c, fd);
        return 0;
    }
    int full = !cfg->records && (size_t)n == cfg->recv_size;
    if ((size_t)n > cfg->recv_size) {
        srv->count->truncated++;
        if (cfg->on_truncated)
            cfg->on_truncated(cfg->ctx, c->peer, cfg->recv_size, (size_t)n);
        n = (ssize_t)cfg->recv_size;
    }
    srv->count->bytes_in += (size_t)n;
    sf_reads_add(&srv->count->reads, (size_t)n);
    sf_loop_hot(srv->loop, fd); /* spinning: the next message is likeliest from this client */
    if (cfg->idle_timeout_ms > 0)
        c->last_in = sf_now_ns();
    size_t rlen;
    const char *answer =
        sf_proto_answer(cfg->mode, srv->inbuf, (size_t)n, srv->outbuf, srv->outcap, &rlen);
    if (cfg->mode == SF_MODE_WELCOME) {
        /* One message per conversation: answer, then close, as the tutorial does. */
        c->closing = 1;
        sf_loop_set_deadline(srv->loop, fd, SF_NO_DEADLINE);
    }
    if (rlen > 0 && conn_reply(c, fd, answer, rlen) < 0) {
        conn_close(c, fd, SF_SSERV_CONN_ERROR, errno);
        return 0;
    }
    /* Nothing answered (discard), nothing to flush, the watch unchanged: read on.  A
     * reply just sent means a client likely waiting for it, with nothing more to read. */
    if (full && rlen == 0 && !c->closing && c->pending_len == 0)
        return 1;
    conn_after_io(c, fd);
    return 0;
}

/*
 * A discarded byte stream whose read filled the buffer is read again at
 * once, up to SF_READ_BURST times a wake-up, rather than after another
 * epoll_wait: a writer that keeps the socket full costs one call per
 * buffer, as a blocking reader's, and the others' turn still comes (a
 * bounded burst).
 */
#define SF_READ_BURST 16

static void conn_read_burst(struct conn *c, int fd)
{
    for (int i = 0; conn_readable(c, fd) && i < SF_READ_BURST; i++)
        ;
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
        conn_read_burst(c, fd);
}

void sf_peer_key_of(int fd, const struct sockaddr_storage *ss, struct sf_peer_key *k)
{
    uid_t uid = (uid_t)-1;
    pid_t pid;
    gid_t gid;

    k->key[0] = (unsigned char)ss->ss_family;
    if (ss->ss_family == AF_INET) {
        memcpy(k->key + 1, &((const struct sockaddr_in *)ss)->sin_addr, 4);
        k->len = 5;
    } else if (ss->ss_family == AF_INET6) {
        memcpy(k->key + 1, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
        k->len = 17;
    } else {
        sf_local_peercred(NULL, fd, &pid, &uid, &gid); /* the kernel's word, not the client's */
        memcpy(k->key + 1, &uid, sizeof(uid));
        k->len = 1 + sizeof(uid);
    }
}

int sf_peer_key_same(const struct sf_peer_key *a, const struct sf_peer_key *b)
{
    return a->len == b->len && memcmp(a->key, b->key, a->len) == 0;
}

static struct peer **peer_slot(struct server *srv, const struct sf_peer_key *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    struct peer **pp;

    for (size_t i = 0; i < key->len; i++)
        h = (h ^ key->key[i]) * 16777619u;
    for (pp = &srv->peers[h % PEER_BUCKETS]; *pp; pp = &(*pp)->next)
        if (sf_peer_key_same(&(*pp)->key, key))
            break;
    return pp;
}

/* Count one more connection from this peer into *who: 1, 0 over the cap, -1 out of memory. */
static int peer_take(struct server *srv, int fd, const struct sockaddr_storage *ss,
                     struct peer **who)
{
    struct sf_peer_key key;
    struct peer **pp;

    sf_peer_key_of(fd, ss, &key);
    pp = peer_slot(srv, &key);
    if (!*pp) {
        if (!(*pp = calloc(1, sizeof(**pp))))
            return -1;
        (*pp)->key = key;
    }
    if ((*pp)->open >= srv->cfg->max_per_peer)
        return 0;
    (*pp)->open++;
    *who = *pp;
    return 1;
}

static void peer_release(struct server *srv, struct peer *p)
{
    if (--p->open > 0)
        return;
    struct peer **pp = peer_slot(srv, &p->key);
    *pp = p->next;
    free(p);
}

/* Accepted, and closed at once: the client hears "no" now rather than waiting. */
static void refuse(struct server *srv, int fd, const struct sockaddr_storage *ss, socklen_t len,
                   enum sf_sserv_event ev)
{
    char peer[SF_ADDR_TEXT_MAX];

    close(fd);
    if (ev == SF_SSERV_REFUSED_FULL)
        srv->count->refused_full++;
    else
        srv->count->refused_peer++;
    sf_sockaddr_format((const struct sockaddr *)ss, len, peer, sizeof(peer));
    if (srv->cfg->on_event)
        srv->cfg->on_event(srv->cfg->ctx, ev, peer, 0);
}

/* A zeroed conversation with room for its peer's text, which it holds; NULL out of memory. */
static struct conn *conn_alloc(const struct sockaddr_storage *ss, socklen_t len)
{
    char peer[SF_ADDR_TEXT_MAX];
    struct conn *c;

    sf_sockaddr_format((const struct sockaddr *)ss, len, peer, sizeof(peer));
    if ((c = calloc(1, sizeof(*c) + strlen(peer) + 1)))
        strcpy(c->peer, peer);
    return c;
}

static void add_conn(struct server *srv, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct peer *who = NULL;
    int took = srv->peers ? peer_take(srv, fd, ss, &who) : 1;

    if (srv->cfg->max_conns && srv->open >= srv->cfg->max_conns) {
        refuse(srv, fd, ss, len, SF_SSERV_REFUSED_FULL);
        return;
    }
    if (took == 0) {
        refuse(srv, fd, ss, len, SF_SSERV_REFUSED_PEER);
        return;
    }
    struct conn *c = took > 0 ? conn_alloc(ss, len) : NULL;

    if (!c || sf_loop_add(NULL, srv->loop, fd, SF_EV_IN, on_conn, c) < 0) {
        free(c);
        close(fd);
        if (who)
            peer_release(srv, who);
        srv->count->errors++;
        return;
    }
    c->srv = srv;
    c->fd = fd;
    c->who = who;
    c->last_in = sf_now_ns();
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->open++;
    srv->count->accepted++;
    if (srv->cfg->mode == SF_MODE_WELCOME)
        sf_loop_set_deadline(srv->loop, fd, sf_deadline_after_ms(srv->cfg->timeout_ms));
    if (srv->cfg->on_connect)
        srv->cfg->on_connect(srv->cfg->ctx, fd, (const struct sockaddr *)ss, len);
    /* The client speaks first, and has often spoken by now (it wrote as soon
     * as its connect returned): read without waiting for epoll to say so. */
    if (srv->cfg->mode != SF_MODE_WELCOME)
        conn_read_burst(c, fd);
}

/* A spell without descriptors starts: reported once, however long it lasts. */
static void out_of_descriptors(struct server *srv, int errnum)
{
    if (!srv->accept_paused) {
        srv->count->accept_pauses++;
        if (srv->cfg->on_event)
            srv->cfg->on_event(srv->cfg->ctx, SF_SSERV_ACCEPT_PAUSED, "", errnum);
    }
    srv->accept_paused = 1;
}

uint64_t sf_sserv_shed(int listen_fd, int *reserve_fd)
{
    uint64_t shed = 0;

    close(*reserve_fd);
    for (;;) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
            continue;
        if (fd < 0)
            break;
        close(fd);
        shed++;
    }
    *reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    return shed;
}

/*
 * No descriptor for accept(): free the reserve, accept and close every
 * client waiting in the backlog (each hears a close at once instead of
 * waiting for ever), then take the reserve back.  Without a reserve (the
 * whole system is out: ENFILE) stop watching the listener for a moment
 * instead of spinning on a readable socket that accept() cannot take.
 */
static void shed_backlog(struct server *srv, int errnum)
{
    out_of_descriptors(srv, errnum);
    if (srv->reserve_fd >= 0) {
        srv->count->refused_nofd += sf_sserv_shed(srv->listen_fd, &srv->reserve_fd);
        if (srv->reserve_fd >= 0)
            return;
    }
    sf_loop_modify(NULL, srv->loop, srv->listen_fd, 0);
    sf_loop_set_deadline(srv->loop, srv->listen_fd, sf_deadline_after_ms(ACCEPT_PAUSE_MS));
}

static void on_listen(struct sf_loop *loop, int lfd, unsigned events, void *ctx)
{
    struct server *srv = ctx;

    if (events & SF_EV_TIMEOUT) {
        sf_loop_modify(NULL, loop, lfd, SF_EV_IN);
        return;
    }
    /*
     * When the listener was the only descriptor ready, one connection: a
     * lone one then costs no second accept that finds the backlog empty
     * (the listener is level-triggered: another wakes the loop at once).
     * Under load, every connection waiting: a crowd's newcomers would
     * otherwise wait a turn of the loop each (at 10000 clients, twice the
     * p99).
     */
    for (int left = sf_loop_ready(loop) > 1 ? INT_MAX : 1; left > 0;) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        int fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
            continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
            shed_backlog(srv, errno);
        if (fd < 0)
            return;
        if (srv->accept_paused && srv->cfg->on_event)
            srv->cfg->on_event(srv->cfg->ctx, SF_SSERV_ACCEPT_RESUMED, "", 0);
        srv->accept_paused = 0;
        add_conn(srv, fd, &ss, len);
        if (srv->cfg->once && srv->count->accepted) {
            /* One client only: later ones stay in the backlog and are reset at
             * exit; with nothing left to watch after it, the loop ends. */
            sf_loop_remove(loop, lfd);
            return;
        }
        left--;
    }
}

/*
 * Every tick: close the connections that sent nothing for idle_timeout_ms.
 * A walk of them all, O(n) a tick, but ticks come at most four times an
 * idle timeout, and a connection that stays open must send at least once
 * in each: the walk (about 20 ns a connection, 0.2 ms at 10000) is small
 * beside the messages that keep them open, and nothing on the path of a
 * message pays for it, as a list kept in order of last read would.
 */
static void on_tick(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct server *srv = ctx;
    uint64_t ticks;
    int64_t limit = sf_now_ns() - srv->cfg->idle_timeout_ms * 1000000;

    (void)loop, (void)events;
    if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
        return;
    for (struct conn *c = srv->conns, *next; c; c = next) {
        next = c->next;
        /* A waiting reply is send_timeout_ms's; welcome has its own timeout. */
        if (!c->stall_armed && !c->pending_len && srv->cfg->mode != SF_MODE_WELCOME &&
            c->last_in <= limit)
            conn_close(c, c->fd, SF_SSERV_IDLE, 0);
    }
}

/* The sweep's timer: a quarter of the idle timeout, between 10 ms and 1 s. */
static int start_ticks(struct sf_err *err, struct server *srv)
{
    int64_t ms = srv->cfg->idle_timeout_ms / 4;
    struct itimerspec its;

    if (srv->cfg->idle_timeout_ms <= 0)
        return 0;
    ms = ms < 10 ? 10 : ms > 1000 ? 1000 : ms;
    its.it_interval = its.it_value =
        (struct timespec){(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};
    srv->tick_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (srv->tick_fd < 0 || timerfd_settime(srv->tick_fd, 0, &its, NULL) < 0)
        return sf_err_sys(err, errno, "timerfd", "idle timeout");
    return sf_loop_add(err, srv->loop, srv->tick_fd, SF_EV_IN, on_tick, srv);
}

/*
 * TCP_NODELAY on the listener: every accepted socket inherits it (Linux
 * copies the listener's options into the child), so no connection pays a
 * setsockopt.  A reply goes out in one send; Nagle would hold a split
 * reply's second part until the client's delayed ACK, 40 ms later.
 */
static void listener_nodelay(int listen_fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int one = 1;

    if (getsockname(listen_fd, (struct sockaddr *)&ss, &len) == 0 &&
        (ss.ss_family == AF_INET || ss.ss_family == AF_INET6))
        setsockopt(listen_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* Buffers, the reserve descriptor, the peer table and the listener's watch. */
static int server_setup(struct sf_err *err, struct server *srv, int listen_fd)
{
    const struct sf_sserv_config *cfg = srv->cfg;

    srv->outcap = sf_proto_reply_max(cfg->mode, cfg->recv_size);
    srv->inbuf = malloc(cfg->recv_size);
    srv->outbuf = malloc(srv->outcap ? srv->outcap : 1);
    if (cfg->max_per_peer)
        srv->peers = calloc(PEER_BUCKETS, sizeof(*srv->peers));
    if (!srv->inbuf || !srv->outbuf || (cfg->max_per_peer && !srv->peers))
        return sf_err_sys(err, ENOMEM, "malloc", "server buffers");
    srv->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (srv->reserve_fd < 0)
        return sf_err_sys(err, errno, "open", "/dev/null (the reserve descriptor)");
    srv->loop = sf_loop_new(err);
    if (!srv->loop || sf_loop_add(err, srv->loop, listen_fd, SF_EV_IN, on_listen, srv) < 0)
        return -1;
    /* A wake-up that finds the connection gone (reset in the backlog) must not block. */
    if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0)
        return sf_err_sys(err, errno, "fcntl", "listening socket");
    listener_nodelay(listen_fd);
    return start_ticks(err, srv);
}

int sf_sserv_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg, int stop_fd,
                 struct sf_sserv_counters *counters)
{
    struct server srv = {
        .cfg = cfg, .count = counters, .listen_fd = listen_fd, .reserve_fd = -1, .tick_fd = -1};
    int rc = -1;

    memset(counters, 0, sizeof(*counters));
    if (server_setup(err, &srv, listen_fd) == 0 && sf_loop_run(err, srv.loop, stop_fd) == 0)
        rc = 0;
    while (srv.conns) {
        close(srv.conns->fd);
        conn_free(srv.conns);
    }
    if (srv.tick_fd >= 0)
        close(srv.tick_fd);
    if (srv.reserve_fd >= 0)
        close(srv.reserve_fd);
    sf_loop_free(srv.loop);
    free(srv.peers);
    free(srv.inbuf);
    free(srv.outbuf);
    return rc;
}
