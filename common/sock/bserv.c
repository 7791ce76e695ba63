/* bserv: what the blocking models share; see bserv.h. */
#include "bserv.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "io.h"

/* How long accept pauses when descriptors run out and the reserve is gone too (as sserv). */
#define ACCEPT_PAUSE_MS 100

/* A conversation's ends that are not an event: the stop, and a deadline that passed. */
enum { GOT_STOP = -2, GOT_DEADLINE = -3 };

static void lock(pthread_mutex_t *m)
{
    if (m)
        pthread_mutex_lock(m);
}

static void unlock(pthread_mutex_t *m)
{
    if (m)
        pthread_mutex_unlock(m);
}

static void report(const struct sf_sserv_config *cfg, pthread_mutex_t *m, enum sf_sserv_event ev,
                   const char *peer, int errnum)
{
    if (!cfg->on_event)
        return;
    lock(m);
    cfg->on_event(cfg->ctx, ev, peer, errnum);
    unlock(m);
}

/* ---- the listening side ---- */

int sf_bserv_open(struct sf_err *err, struct sf_bserv *b, int listen_fd,
                  const struct sf_sserv_config *cfg, int stop_fd, struct sf_sserv_counters *count)
{
    *b = (struct sf_bserv){
        .cfg = cfg, .count = count, .listen_fd = listen_fd, .stop_fd = stop_fd, .reserve_fd = -1};
    memset(count, 0, sizeof(*count));
    if (fcntl(listen_fd, F_SETFL, fcntl(listen_fd, F_GETFL) | O_NONBLOCK) < 0)
        return sf_err_sys(err, errno, "fcntl", "listening socket");
    b->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (b->reserve_fd < 0)
        return sf_err_sys(err, errno, "open", "/dev/null (the reserve descriptor)");
    return 0;
}

void sf_bserv_close(struct sf_bserv *b)
{
    if (b->reserve_fd >= 0)
        close(b->reserve_fd);
    b->reserve_fd = -1;
}

int sf_bserv_wait(struct sf_err *err, struct sf_bserv *b, int accepting, int other_fd,
                  int timeout_ms)
{
    struct pollfd pf[3] = {{-1, POLLIN, 0}, {b->stop_fd, POLLIN, 0}, {other_fd, POLLIN, 0}};
    int64_t now = sf_now_ns();

    if (accepting && now >= b->resume_at) {
        pf[0].fd = b->listen_fd;
    } else if (accepting) { /* paused: look again when the pause ends */
        int ms = (int)((b->resume_at - now + 999999) / 1000000);
        timeout_ms = timeout_ms < 0 || ms < timeout_ms ? ms : timeout_ms;
    }
    int n = poll(pf, 3, timeout_ms);
    if (n < 0 && errno == EINTR)
        return 0;
    if (n < 0)
        return sf_err_sys(err, errno, "poll", "listening socket");
    return (pf[0].revents ? SF_BSERV_READY : 0) | (pf[1].revents ? SF_BSERV_STOP : 0) |
           (pf[2].revents ? SF_BSERV_OTHER : 0);
}

static void out_of_descriptors(struct sf_bserv *b, int errnum)
{
    if (!b->paused) {
        lock(b->lock);
        b->count->accept_pauses++;
        unlock(b->lock);
        report(b->cfg, b->lock, SF_SSERV_ACCEPT_PAUSED, "", errnum);
    }
    b->paused = 1;
}

/*
 * No descriptor for accept(): free the reserve, accept and close every
 * client waiting (each hears a close at once instead of waiting for
 * ever), then take the reserve back; without one, pause accepting.
 */
static void shed_backlog(struct sf_bserv *b, int errnum)
{
    out_of_descriptors(b, errnum);
    if (b->reserve_fd >= 0) {
        uint64_t shed = sf_sserv_shed(b->listen_fd, &b->reserve_fd);
        lock(b->lock);
        b->count->refused_nofd += shed;
        unlock(b->lock);
        if (b->reserve_fd >= 0)
            return;
    }
    b->resume_at = sf_deadline_after_ms(ACCEPT_PAUSE_MS);
}

int sf_bserv_accept(struct sf_bserv *b, struct sockaddr_storage *ss, socklen_t *len)
{
    for (;;) {
        *len = sizeof(*ss);
        /* No SOCK_NONBLOCK: the conversation's calls block (a slice at a time). */
        int fd = accept4(b->listen_fd, (struct sockaddr *)ss, len, SOCK_CLOEXEC);
        if (fd < 0 && (errno == EINTR || errno == ECONNABORTED || errno == EPROTO))
            continue;
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
            shed_backlog(b, errno);
        if (fd < 0)
            return -1;
        if (b->paused)
            report(b->cfg, b->lock, SF_SSERV_ACCEPT_RESUMED, "", 0);
        b->paused = 0;
        if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6) {
            /* A reply goes out in one send; Nagle would hold a split one's tail (sserv.c). */
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        }
        return fd;
    }
}

int sf_bserv_refused(struct sf_bserv *b, int fd, const struct sockaddr_storage *ss, socklen_t len,
                     uint32_t open, uint32_t same_peer)
{
    const struct sf_sserv_config *cfg = b->cfg;
    char peer[SF_ADDR_TEXT_MAX];
    enum sf_sserv_event ev;

    if (cfg->max_conns && open >= cfg->max_conns)
        ev = SF_SSERV_REFUSED_FULL, b->count->refused_full++;
    else if (cfg->max_per_peer && same_peer >= cfg->max_per_peer)
        ev = SF_SSERV_REFUSED_PEER, b->count->refused_peer++;
    else
        return 0;
    close(fd);
    sf_sockaddr_format((const struct sockaddr *)ss, len, peer, sizeof(peer));
    if (cfg->on_event)
        cfg->on_event(cfg->ctx, ev, peer, 0);
    return 1;
}

void sf_bserv_admitted(struct sf_bserv *b, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    b->count->accepted++;
    if (b->cfg->on_connect)
        b->cfg->on_connect(b->cfg->ctx, fd, (const struct sockaddr *)ss, len);
}

void sf_bserv_add(struct sf_sserv_counters *to, const struct sf_sserv_counters *from)
{
    to->accepted += from->accepted, to->closed += from->closed;
    to->timeouts += from->timeouts, to->errors += from->errors;
    to->bytes_in += from->bytes_in, to->bytes_out += from->bytes_out;
    to->replies += from->replies, to->truncated += from->truncated;
    to->stalled += from->stalled, to->accept_pauses += from->accept_pauses;
    to->idle += from->idle, to->refused_nofd += from->refused_nofd;
    to->refused_full += from->refused_full, to->refused_peer += from->refused_peer;
    if (from->pending_peak > to->pending_peak)
        to->pending_peak = from->pending_peak;
    if (from->reads.n && (!to->reads.n || from->reads.min < to->reads.min))
        to->reads.min = from->reads.min;
    if (from->reads.max > to->reads.max)
        to->reads.max = from->reads.max;
    to->reads.n += from->reads.n;
}

/* ---- one conversation ---- */

int sf_bconv_init(struct sf_err *err, struct sf_bconv *cv, const struct sf_sserv_config *cfg,
                  int stop_fd, const atomic_int *stopping, pthread_mutex_t *lock)
{
    *cv = (struct sf_bconv){.cfg = cfg, .stop_fd = stop_fd, .stopping = stopping, .lock = lock};
    cv->outcap = sf_proto_reply_max(cfg->mode, cfg->recv_size);
    cv->inbuf = malloc(cfg->recv_size);
    cv->outbuf = malloc(cv->outcap ? cv->outcap : 1);
    if (!cv->inbuf || !cv->outbuf) {
        sf_bconv_free(cv);
        return sf_err_sys(err, ENOMEM, "malloc", "conversation buffers");
    }
    return 0;
}

void sf_bconv_free(struct sf_bconv *cv)
{
    free(cv->inbuf);
    free(cv->outbuf);
    cv->inbuf = cv->outbuf = NULL;
}

/*
 * Has the stop come?  The flag costs nothing to read; stop_fd costs a
 * poll(), so while the client keeps talking it is looked at once a slice.
 */
static int stopped(struct sf_bconv *cv, int every_time)
{
    struct pollfd pf = {cv->stop_fd, POLLIN, 0};
    int64_t now;

    if (cv->stopping && atomic_load(cv->stopping))
        return 1;
    if (cv->stop_fd < 0)
        return 0;
    now = sf_now_ns();
    if (!every_time && now < cv->next_look)
        return 0;
    cv->next_look = now + (int64_t)SF_BSERV_SLICE_MS * 1000000;
    return poll(&pf, 1, 0) > 0;
}

static void set_timeout(int fd, int opt, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

/* How long the next recv() may block: a slice, or less when the deadline is nearer. */
static void next_slice(struct sf_bconv *cv, int fd, int64_t deadline)
{
    int64_t ms = SF_BSERV_SLICE_MS;

    if (deadline != SF_NO_DEADLINE) {
        int64_t left = (deadline - sf_now_ns() + 999999) / 1000000;
        ms = left < 1 ? 1 : left < ms ? left : ms;
    }
    if ((int)ms != cv->rcv_ms)
        set_timeout(fd, SO_RCVTIMEO, (int)ms);
    cv->rcv_ms = (int)ms;
}

/* recv() a slice at a time: bytes (0 at the end), -1 with errno, GOT_STOP or GOT_DEADLINE. */
static ssize_t recv_slices(struct sf_bconv *cv, int fd, int64_t deadline)
{
    /* On a seqpacket socket MSG_TRUNC returns the record's real length (sserv.c). */
    int flags = cv->cfg->records ? MSG_TRUNC : 0;

    for (;;) {
        ssize_t n = recv(fd, cv->inbuf, cv->cfg->recv_size, flags);
        if (n >= 0)
            return stopped(cv, 0) ? GOT_STOP : n;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        if (stopped(cv, 1))
            return GOT_STOP;
        if (deadline != SF_NO_DEADLINE && sf_now_ns() >= deadline)
            return GOT_DEADLINE;
        next_slice(cv, fd, deadline);
    }
}

/*
 * Send all len bytes a slice at a time: 0, GOT_STOP, or the event that
 * ends the conversation (SF_SSERV_STALLED: nothing taken for
 * send_timeout_ms; SF_SSERV_CONN_ERROR with *errnum).
 */
static int send_slices(struct sf_bconv *cv, int fd, const char *buf, size_t len, int *errnum)
{
    int64_t limit = cv->cfg->send_timeout_ms * 1000000, progress = 0;

    for (size_t off = 0; off < len;) {
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n, cv->tally.bytes_out += (size_t)n, progress = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return *errnum = errno, SF_SSERV_CONN_ERROR;
        /* A slice passed and the client took nothing: its clock started a slice ago. */
        if (!progress)
            progress = sf_now_ns() - (int64_t)SF_BSERV_SLICE_MS * 1000000;
        if (stopped(cv, 1))
            return GOT_STOP;
        if (limit > 0 && sf_now_ns() - progress >= limit)
            return SF_SSERV_STALLED;
    }
    return 0;
}

/* The conversation is over: close, count, report.  Returns 0 (sf_bconv_serve's). */
static int end(struct sf_bconv *cv, int fd, enum sf_sserv_event ev, const char *peer, int errnum)
{
    struct sf_sserv_counters *t = &cv->tally;

    close(fd);
    t->closed++;
    t->errors += ev == SF_SSERV_CONN_ERROR;
    t->timeouts += ev == SF_SSERV_TIMEOUT;
    t->stalled += ev == SF_SSERV_STALLED;
    t->idle += ev == SF_SSERV_IDLE;
    report(cv->cfg, cv->lock, ev, peer, errnum);
    return 0;
}

/* n bytes came (records: a record of n bytes): count them; the bytes kept in inbuf. */
static size_t took(struct sf_bconv *cv, size_t n, const char *peer)
{
    const struct sf_sserv_config *cfg = cv->cfg;

    if (n > cfg->recv_size) {
        cv->tally.truncated++;
        if (cfg->on_truncated) {
            lock(cv->lock);
            cfg->on_truncated(cfg->ctx, peer, cfg->recv_size, n);
            unlock(cv->lock);
        }
        n = cfg->recv_size;
    }
    cv->tally.bytes_in += n;
    sf_reads_add(&cv->tally.reads, n);
    return n;
}

int sf_bconv_serve(struct sf_bconv *cv, int fd, const char *peer)
{
    const struct sf_sserv_config *cfg = cv->cfg;
    int welcome = cfg->mode == SF_MODE_WELCOME, errnum = 0;
    /* Welcome waits timeout_ms for its one message; the other modes idle_timeout_ms for each. */
    int64_t wait_ms = welcome                    ? cfg->timeout_ms
                      : cfg->idle_timeout_ms > 0 ? cfg->idle_timeout_ms
                                                 : -1;
    int64_t deadline = sf_deadline_after_ms(wait_ms);

    memset(&cv->tally, 0, sizeof(cv->tally));
    cv->rcv_ms = 0;
    set_timeout(fd, SO_SNDTIMEO, SF_BSERV_SLICE_MS);
    next_slice(cv, fd, deadline);
    for (;;) {
        ssize_t n = recv_slices(cv, fd, deadline);
        if (n == GOT_STOP)
            return close(fd), 1;
        if (n == GOT_DEADLINE)
            return end(cv, fd, welcome ? SF_SSERV_TIMEOUT : SF_SSERV_IDLE, peer, 0);
        if (n <= 0)
            return end(cv, fd, n ? SF_SSERV_CONN_ERROR : SF_SSERV_CLOSED, peer, n ? errno : 0);
        size_t len = took(cv, (size_t)n, peer);
        size_t rlen;
        const char *answer =
            sf_proto_answer(cfg->mode, cv->inbuf, len, cv->outbuf, cv->outcap, &rlen);
        int rc = rlen ? send_slices(cv, fd, answer, rlen, &errnum) : 0;
        if (rc == GOT_STOP)
            return close(fd), 1;
        if (rc)
            return end(cv, fd, (enum sf_sserv_event)rc, peer, errnum);
        cv->tally.replies += rlen > 0;
        if (welcome) /* one message per conversation: answer, then close, as the tutorial does */
            return end(cv, fd, SF_SSERV_CLOSED, peer, 0);
        if (wait_ms > 0)
            deadline = sf_deadline_after_ms(wait_ms);
    }
}
