/*
 * xchg: one message and its reply, the unit every client repeats.
 *
 * Over a stream the reply has no boundary of its own, so the client reads
 * until the bytes form the complete expected reply (sf_proto_check_reply),
 * until the server closes (welcome), or until the deadline; a reply that
 * cannot be the expected one is an error, not a silent mismatch.  The reply
 * buffer grows as needed, up to a bound derived from the message, so a
 * misbehaving server cannot make the client allocate without limit.
 */
#ifndef SF_XCHG_H
#define SF_XCHG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "proto.h"

struct sf_buf {
    char *p;
    size_t len, cap;
};

void sf_buf_free(struct sf_buf *b);

/*
 * Send msg on a connected stream socket and read the reply into *reply.
 * Welcome replies end when the server closes; echo and mirror replies end
 * when complete.  timeout_ms bounds the whole exchange.  Returns 0 or -1:
 * SF_ERR_TIMEOUT, SF_ERR_PEER (closed early, or a wrong reply), SF_ERR_SYS.
 */
int sf_xchg_stream(struct sf_err *err, int fd, enum sf_mode mode, const void *msg, size_t mlen,
                   int64_t timeout_ms, struct sf_buf *reply);

/*
 * Discard mode's end: close our sending side and wait for the server to
 * close, proving it read everything.  Returns 0 or -1.
 */
int sf_xchg_finish(struct sf_err *err, int fd, int64_t timeout_ms);

/* How one datagram exchange went (besides its reply bytes). */
struct sf_dgram_result {
    size_t full;     /* the reply datagram's real size (> reply->len: truncated here) */
    int truncated;   /* our receive buffer cut the reply: its tail is lost */
    int short_reply; /* the reply is a proper start of the expected one: the
                        server's buffer cut our message */
    unsigned resent; /* how many times the message was sent again */
};

/*
 * Send msg as one datagram (to dest, or on a connected socket when dest is
 * NULL) and wait up to timeout_ms for its reply, resending up to `retries`
 * times.  Replies from another address, or that cannot answer msg (a late
 * reply to an earlier message), are skipped.  The reply lands in
 * reply->p[0..recv_size).  Returns 0 answered, 1 lost (no reply after every
 * try), -1 on error (on a connected socket, ECONNREFUSED: nobody listens).
 */
int sf_xchg_dgram(struct sf_err *err, int fd, enum sf_mode mode, const void *msg, size_t mlen,
                  const struct sockaddr *dest, socklen_t destlen, int64_t timeout_ms,
                  unsigned retries, size_t recv_size, struct sf_buf *reply,
                  struct sf_dgram_result *res);

#endif
