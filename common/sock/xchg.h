/*
 * xchg: one message and its reply, the unit every client repeats, in two
 * halves a client's loop calls in the textbook's order: send the message,
 * then receive the reply.  The caller owns a struct sf_xchg for the whole
 * run (sf_xchg_init, sf_xchg_free); each send starts a new exchange in it,
 * and the recv that follows leaves the reply and how it went there for the
 * caller to count and print.  Nothing here prints or exits.
 *
 * Over a stream (TCP, AF_UNIX stream) the reply has no boundary of its own,
 * so the client reads until the bytes form the complete expected reply
 * (sf_proto_check_reply), until the server closes (welcome), or until the
 * deadline; a reply that cannot be the expected one is an error, not a
 * silent mismatch.  The reply buffer grows as needed, up to a bound derived
 * from the message, so a misbehaving server cannot make the client allocate
 * without limit.  A long message and its echo travel at once: while the
 * socket is full the send half reads what the server has already answered,
 * or both sides would fill their buffers and wait for ever.
 *
 * Over records (UDP, AF_UNIX dgram and seqpacket) a reply is one datagram:
 * the receive half skips datagrams that are not the reply, reports one cut
 * short by a buffer (MSG_TRUNC) with both sizes, and resends the message
 * when none came within the deadline, up to the retries asked for.
 *
 * One deadline, timeout_ms from the start of the send, bounds a stream
 * exchange whole; a record exchange gets timeout_ms for each try.  None of
 * these functions closes or owns the fd.
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

/* How a record exchange went, besides its reply bytes. */
struct sf_dgram_result {
    size_t full;     /* the reply datagram's real size (> reply.len: truncated here) */
    int truncated;   /* our receive buffer cut the reply: its tail is lost */
    int short_reply; /* the reply is a proper start of the expected one: the
                        server's buffer cut our message */
    int lost;        /* no reply came, after every try */
    unsigned resent; /* how many times the message was sent again */
};

struct sf_xchg {
    /* Set by sf_xchg_init, and dest by whoever opens an unconnected socket. */
    enum sf_mode mode;
    int64_t timeout_ms;           /* a stream exchange's deadline; a record try's */
    unsigned retries;             /* records: resend a lost message this many times */
    size_t recv_size;             /* records: the receive buffer for a reply */
    struct sockaddr_storage dest; /* records: where an unconnected socket sends */
    socklen_t destlen;            /* 0: the socket is connected (send, not sendto) */
    /* The current exchange: set by the send half, completed by the recv half. */
    const char *msg;
    size_t mlen, sent;
    int64_t started_ns, deadline; /* CLOCK_MONOTONIC; deadline for a stream exchange */
    int closed;                   /* stream: the server closed the connection */
    enum sf_reply_state state;    /* stream: what the reply bytes so far are */
    struct sf_buf reply;
    struct sf_dgram_result res; /* records only; all zero on a stream */
    int64_t rtt_ns;             /* send to complete reply, once answered */
    /* Records, for the whole run: datagrams from the server that answered no message waiting
     * (a late reply, or a copy of one), read and set aside. */
    uint64_t stray;
};

/* Ready x for a run of exchanges in `mode` (no allocation; dest unset). */
void sf_xchg_init(struct sf_xchg *x, enum sf_mode mode, int64_t timeout_ms, unsigned retries,
                  size_t recv_size);

/*
 * Records: read what comes from the server on fd until none came for
 * quiet_ms (at most max datagrams), counting each in x->stray: the late
 * replies and the copies a run would otherwise leave unread at its close.
 * Returns how many.
 */
uint64_t sf_xchg_drain_record(struct sf_xchg *x, int fd, uint64_t max, int64_t quiet_ms);

/* Release the reply buffer. */
void sf_xchg_free(struct sf_xchg *x);

/*
 * Start an exchange: send all of msg on a connected stream socket, however
 * many send() calls it takes.  Only while the socket is full does it read:
 * the reply's first bytes, into x->reply (noting a server that closed), so
 * the server is never left unable to answer; a message that goes at once
 * leaves the whole reply to the recv half.  In discard mode there is no
 * reply to read: it only sends.  msg must stay valid until the recv half
 * returns.  Returns 0 or -1: SF_ERR_TIMEOUT (no room to send before the
 * deadline), SF_ERR_SYS (EPIPE or ECONNRESET when the server went away),
 * SF_ERR_PEER (the reply's first bytes already cannot be the one expected).
 */
int sf_xchg_send_stream(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                        size_t mlen);

/*
 * Finish the exchange: receive until x->reply holds the whole expected
 * reply (welcome: until the server closes), within the exchange's
 * deadline, and set x->rtt_ns.  Discard mode: nothing to receive, 0.
 * Returns 0 or -1: SF_ERR_TIMEOUT, SF_ERR_PEER (closed early, or a reply
 * that cannot be the one expected), SF_ERR_SYS.
 */
int sf_xchg_recv_stream(struct sf_err *err, struct sf_xchg *x, int fd);

/*
 * Discard mode's end on a stream: close our sending side (shutdown
 * SHUT_WR) and wait up to timeout_ms for the server to close, proving it
 * read everything.  Returns 0 or -1.
 */
int sf_xchg_finish(struct sf_err *err, int fd, int64_t timeout_ms);

/*
 * Start an exchange: send msg as one datagram or record, to x->dest on an
 * unconnected socket (x->destlen > 0), else on the connected one, waiting
 * within timeout_ms while the socket is full.  Returns 0 or -1.
 */
int sf_xchg_send_record(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                        size_t mlen);

/*
 * Finish the exchange: wait up to timeout_ms for the reply record into
 * x->reply (at most recv_size bytes), resending the message after each
 * silent wait, up to `retries` times; datagrams from another address, or
 * that cannot answer this message (a late reply to an earlier one), are
 * skipped.  x->res says how it went: lost (no reply after every try: still
 * 0, the run goes on), truncated, short_reply, resent.  Discard mode:
 * nothing to receive, 0.  Returns 0 or -1 (on a connected socket,
 * ECONNREFUSED: nobody listens; on seqpacket, the server's close).
 */
int sf_xchg_recv_record(struct sf_err *err, struct sf_xchg *x, int fd);

/* The two halves for one kind of socket, for a program that serves both kinds. */
struct sf_xchg_ops {
    int (*send)(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen);
    int (*recv)(struct sf_err *err, struct sf_xchg *x, int fd);
};

extern const struct sf_xchg_ops sf_xchg_stream_ops; /* sf_xchg_send_stream, sf_xchg_recv_stream */
extern const struct sf_xchg_ops sf_xchg_record_ops; /* sf_xchg_send_record, sf_xchg_recv_record */

#endif
