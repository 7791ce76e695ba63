/* dserv: the datagram server; see dserv.h. */
#include "dserv.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/uio.h>

#include "addr.h"
#include "io.h"

/* Datagrams handled per wake-up before the loop looks at signals again. */
#define BATCH 64
/* Datagrams one recvmmsg() reads at most: a ping-pong's wake-up takes one call, not a read
 * and a second that finds the queue empty; a flood's takes one call per SLOTS. */
#define SLOTS 16
/* A read of SLOTS that finds one datagram pays the kernel a second, empty try (7-20% of a
 * unix-dgram round trip, measured): with no backlog each read asks for one, and one read in
 * PROBE_EVERY asks for SLOTS again, to find a backlog that built up. */
#define PROBE_EVERY 64
/* The longest a wait for a datagram lasts before the stop descriptor is looked at. */
#define STOP_CHECK_MS 100
/* Datagrams handled at most after the stop, and for how long (a flood would never end). */
#define DRAIN_MAX 1048576
#define DRAIN_MS 1000
/* Sources whose reply budget is remembered (a direct-mapped table: bounded memory). */
#define SOURCES 1024

/* One source's token bucket: replies it may still get, refilled at reply_rate a second. */
struct bucket {
    struct sockaddr_storage who; /* ss_family 0: unused */
    double tokens;
    int64_t at; /* when tokens was last refilled (sf_now_ns) */
};

struct dserver {
    const struct sf_dserv_config *cfg;
    struct sf_dserv_counters *count;
    char *inbuf, *outbuf; /* inbuf: SLOTS buffers of recv_size */
    size_t outcap;
    struct mmsghdr msgs[SLOTS];
    struct iovec iov[SLOTS];
    struct sockaddr_storage from[SLOTS];
    struct sockaddr_storage self; /* the socket's own address */
    socklen_t selflen;
    struct bucket *buckets; /* SOURCES of them, with reply_rate only */
    int batching;           /* the last read filled its slots: a backlog, read SLOTS at once */
    unsigned reads;         /* reads so far: every PROBE_EVERY-th asks for SLOTS */
};

static int inet_port(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    if (ss->ss_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
    return -1;
}

static size_t source_hash(const struct sockaddr_storage *ss)
{
    const unsigned char *p = (const unsigned char *)ss;
    size_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    uint32_t h = 2166136261u; /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h % SOURCES;
}

/* Take one reply from from's bucket: 1 allowed, 0 over the rate. */
static int within_rate(struct dserver *d, const struct sockaddr_storage *from, socklen_t fromlen)
{
    struct bucket *b = &d->buckets[source_hash(from)];
    double rate = d->cfg->reply_rate;
    int64_t now = sf_now_ns();

    if (!sf_sockaddr_equal((const struct sockaddr *)&b->who, sizeof(b->who),
                           (const struct sockaddr *)from, fromlen)) {
        memcpy(&b->who, from, fromlen); /* a new source (or a collision): a full second's worth */
        b->tokens = rate;
        b->at = now;
    }
    b->tokens += (double)(now - b->at) * rate / 1e9;
    if (b->tokens > rate)
        b->tokens = rate;
    b->at = now;
    if (b->tokens < 1)
        return 0;
    b->tokens -= 1;
    return 1;
}

/* Should this datagram go unanswered?  The reason, counted, or NULL (answer it). */
static const char *refusal(struct dserver *d, const struct sockaddr_storage *from,
                           socklen_t fromlen)
{
    int port = inet_port(from);

    if (port < 0)
        return NULL; /* AF_UNIX: the kernel vouches for the sender's address */
    if (sf_sockaddr_equal((const struct sockaddr *)from, fromlen, (const struct sockaddr *)&d->self,
                          d->selflen))
        return d->count->from_self++, "from itself";
    if (port < 1024)
        return d->count->from_service++, "from a service port";
    if (d->buckets && !within_rate(d, from, fromlen))
        return d->count->over_rate++, "over the rate";
    return NULL;
}

static void reply(struct dserver *d, int fd, const struct sockaddr_storage *from, socklen_t fromlen,
                  const char *in, size_t len)
{
    const char *why, *answer;
    size_t rlen;

    if (d->cfg->mode == SF_MODE_DISCARD)
        return;
    if ((why = refusal(d, from, fromlen)) != NULL) {
        char peer[SF_ADDR_TEXT_MAX];
        sf_sockaddr_format((const struct sockaddr *)from, fromlen, peer, sizeof(peer));
        if (d->cfg->on_refused)
            d->cfg->on_refused(d->cfg->ctx, peer, why);
        return;
    }
    answer = sf_proto_answer(d->cfg->mode, in, len, d->outbuf, d->outcap, &rlen);
    if (sendto(fd, answer, rlen, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)from,
               fromlen) == (ssize_t)rlen) {
        d->count->replies++;
        d->count->bytes_out += rlen;
        return;
    }
    char peer[SF_ADDR_TEXT_MAX];
    int errnum = errno;
    d->count->send_errors++;
    sf_sockaddr_format((const struct sockaddr *)from, fromlen, peer, sizeof(peer));
    if (d->cfg->on_send_error)
        d->cfg->on_send_error(d->cfg->ctx, peer, rlen, errnum);
}

/* Count and answer the datagram recvmmsg() left in slot i. */
static void serve_one(struct dserver *d, int fd, int i)
{
    const struct mmsghdr *m = &d->msgs[i];
    /* MSG_TRUNC makes msg_len the datagram's real length. */
    size_t full = m->msg_len, len = full < d->cfg->recv_size ? full : d->cfg->recv_size;
    const char *in = d->iov[i].iov_base;

    d->count->datagrams++;
    d->count->bytes_in += len;
    sf_reads_add(&d->count->reads, len);
    if (full > len)
        d->count->truncated++;
    if (d->cfg->on_datagram)
        d->cfg->on_datagram(d->cfg->ctx, (struct sockaddr *)&d->from[i], m->msg_hdr.msg_namelen,
                            len, full);
    reply(d, fd, &d->from[i], m->msg_hdr.msg_namelen, in, len);
}

/* Up to max datagrams, the first read with flags; how many were read (fewer: the queue is empty).
 */
static int serve_batch(struct dserver *d, int fd, int max, int flags)
{
    int done = 0;

    while (done < max) {
        int width = done || d->batching || ++d->reads % PROBE_EVERY == 0 ? SLOTS : 1;
        int want = max - done < width ? max - done : width;
        for (int i = 0; i < want; i++)
            d->msgs[i].msg_hdr.msg_namelen = sizeof(d->from[i]);
        int n =
            recvmmsg(fd, d->msgs, (unsigned)want, (done ? MSG_DONTWAIT : flags) | MSG_TRUNC, NULL);
        if (n <= 0)
            return done; /* EAGAIN: all read; errors such as ECONNREFUSED are not ours */
        for (int i = 0; i < n; i++)
            serve_one(d, fd, i);
        d->batching = n == want && want > 1; /* a full batch: more are likely waiting */
        done += n;
        if (!d->batching)
            return done; /* fewer than asked for (the queue is empty), or one as asked */
    }
    return done;
}

/* Point each slot of the batch at its buffer and its source address. */
static void slots_setup(struct dserver *d)
{
    for (int i = 0; i < SLOTS; i++) {
        d->iov[i] = (struct iovec){d->inbuf + (size_t)i * d->cfg->recv_size, d->cfg->recv_size};
        d->msgs[i].msg_hdr =
            (struct msghdr){.msg_name = &d->from[i], .msg_iov = &d->iov[i], .msg_iovlen = 1};
    }
}

/* Has the stop come (stop_fd readable)?  Looked at without waiting. */
static int stop_came(int stop_fd)
{
    struct pollfd p = {.fd = stop_fd, .events = POLLIN};

    return stop_fd >= 0 && poll(&p, 1, 0) > 0;
}

/*
 * Wait for datagrams in recvmmsg() itself (MSG_WAITFORONE: the first one
 * blocks, the rest are what is queued), so that a ping-pong costs one
 * call to read and one to reply, as a bare socket's.  Each wait is bounded
 * by SO_RCVTIMEO (STOP_CHECK_MS): the stop is looked at then, and after
 * every BATCH datagrams of a busy spell, so it is seen within 100 ms or a
 * batch.  Spinning (sf_io_spin), every read is non-blocking instead.
 * 0 at the stop, or -1 if the socket cannot be set up to wait so.
 */
static int serve_blocking(struct sf_err *err, struct dserver *d, int fd, int stop_fd)
{
    struct timeval tv = {0, STOP_CHECK_MS * 1000};
    int fl = fcntl(fd, F_GETFL), flags = sf_io_spinning() ? MSG_DONTWAIT : MSG_WAITFORONE;

    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
        return sf_err_sys(err, errno, "setsockopt", "SO_RCVTIMEO");
    int64_t look = sf_now_ns();

    for (int since = 0;;) {
        int n = serve_batch(d, fd, BATCH, flags);
        since += n;
        /* Datagrams came (or a spin found none), fewer than a batch since the last look,
         * within 100 ms of it: go on.  Otherwise (a wait ran out, a batch, 100 ms) look. */
        if ((n > 0 || sf_io_spinning()) && since < BATCH &&
            sf_now_ns() - look < STOP_CHECK_MS * 1000000LL)
            continue;
        if (stop_came(stop_fd))
            return 0;
        look = sf_now_ns(), since = 0;
    }
}

/* After the stop: what was already queued, within DRAIN_MAX datagrams and DRAIN_MS. */
static void drain(struct dserver *d, int fd, int rc)
{
    int64_t deadline = sf_deadline_after_ms(DRAIN_MS);

    for (int n = 0; rc == 0 && n < DRAIN_MAX && sf_now_ns() < deadline; n += BATCH) {
        d->batching = 1; /* what is queued, SLOTS at a time */
        if (serve_batch(d, fd, BATCH, MSG_DONTWAIT) < BATCH)
            return;
    }
}

int sf_dserv_run(struct sf_err *err, int fd, const struct sf_dserv_config *cfg, int stop_fd,
                 struct sf_dserv_counters *counters)
{
    struct dserver d = {.cfg = cfg, .count = counters};
    int rc = -1;

    memset(counters, 0, sizeof(*counters));
    d.outcap = sf_proto_reply_max(cfg->mode, cfg->recv_size);
    d.inbuf = malloc((size_t)SLOTS * cfg->recv_size);
    if (d.inbuf)
        slots_setup(&d);
    d.outbuf = malloc(d.outcap ? d.outcap : 1);
    d.selflen = sizeof(d.self);
    if (getsockname(fd, (struct sockaddr *)&d.self, &d.selflen) < 0)
        d.selflen = 0;
    counters->inet = inet_port(&d.self) >= 0;
    if (cfg->reply_rate)
        d.buckets = calloc(SOURCES, sizeof(*d.buckets));
    if (!d.inbuf || !d.outbuf || (cfg->reply_rate && !d.buckets))
        sf_err_sys(err, ENOMEM, "malloc", "server buffers");
    else
        rc = serve_blocking(err, &d, fd, stop_fd);
    drain(&d, fd, rc);
    counters->kernel_drops = sf_socket_drops(fd);
    free(d.buckets);
    free(d.inbuf);
    free(d.outbuf);
    return rc;
}
