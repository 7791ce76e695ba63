/* dserv: the datagram server; see dserv.h. */
#include "dserv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "io.h"
#include "loop.h"

/* Datagrams handled per wake-up before the loop looks at signals again. */
#define BATCH 64
/* Datagrams handled at most after the stop (a flood would otherwise never end). */
#define DRAIN_MAX 1048576

struct dserver {
    const struct sf_dserv_config *cfg;
    struct sf_dserv_counters *count;
    char *inbuf, *outbuf;
    size_t outcap;
};

static void reply(struct dserver *d, int fd, const struct sockaddr_storage *from, socklen_t fromlen,
                  size_t len)
{
    size_t rlen = sf_proto_reply(d->cfg->mode, d->inbuf, len, d->outbuf, d->outcap);

    if (d->cfg->mode == SF_MODE_DISCARD)
        return;
    if (sendto(fd, d->outbuf, rlen, MSG_DONTWAIT | MSG_NOSIGNAL, (const struct sockaddr *)from,
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

/* Up to max datagrams; how many were read (fewer: the queue is empty). */
static int serve_batch(struct dserver *d, int fd, int max)
{
    for (int i = 0; i < max; i++) {
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        ssize_t n = recvfrom(fd, d->inbuf, d->cfg->recv_size, MSG_DONTWAIT | MSG_TRUNC,
                             (struct sockaddr *)&from, &fromlen);
        if (n < 0)
            return i; /* EAGAIN: all read; errors such as ECONNREFUSED are not ours */
        size_t full = (size_t)n, len = full < d->cfg->recv_size ? full : d->cfg->recv_size;
        d->count->datagrams++;
        d->count->bytes_in += len;
        if (full > len)
            d->count->truncated++;
        if (d->cfg->on_datagram)
            d->cfg->on_datagram(d->cfg->ctx, (struct sockaddr *)&from, fromlen, len, full);
        reply(d, fd, &from, fromlen, len);
    }
    return max;
}

static void on_readable(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    (void)loop;
    (void)events;
    serve_batch(ctx, fd, BATCH);
}

int sf_dserv_run(struct sf_err *err, int fd, const struct sf_dserv_config *cfg, int stop_fd,
                 struct sf_dserv_counters *counters)
{
    struct dserver d = {.cfg = cfg, .count = counters};
    struct sf_loop *loop = sf_loop_new(err);
    int rc = -1;

    memset(counters, 0, sizeof(*counters));
    d.outcap = sf_proto_reply_max(cfg->mode, cfg->recv_size);
    d.inbuf = malloc(cfg->recv_size);
    d.outbuf = malloc(d.outcap ? d.outcap : 1);
    if (!d.inbuf || !d.outbuf)
        sf_err_sys(err, ENOMEM, "malloc", "server buffers");
    else if (loop && sf_loop_add(err, loop, fd, SF_EV_IN, on_readable, &d) == 0)
        rc = sf_loop_run(err, loop, stop_fd);
    for (int n = 0; rc == 0 && n < DRAIN_MAX && serve_batch(&d, fd, BATCH) == BATCH; n += BATCH)
        ;
    counters->kernel_drops = sf_socket_drops(fd);
    sf_loop_free(loop);
    free(d.inbuf);
    free(d.outbuf);
    return rc;
}
