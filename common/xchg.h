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

#endif
