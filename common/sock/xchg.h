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
 *
 * The cost of an exchange is the textbook's where it can be: one send and
 * one recv.  A socket handed to sf_xchg_attach() (blocking, its SO_RCVTIMEO
 * set to timeout_ms) has the first read of each reply block in recv()
 * itself, a wait the kernel ends at the same deadline a poll() would; only
 * a reply that needs a second read (a stream's next bytes, a datagram that
 * was not the reply) goes the polling way, where each wait is computed
 * from what is left of the deadline.  A process that spins (sf_io_spin)
 * never blocks: every call is non-blocking and every wait a look.
 *
 * A burst (sf_xchg_burst_*, a client's --burst) is the other way to send:
 * every message of a connection back to back, each with its own send()
 * calls, before any reply is read; then the replies.  What the server's
 * reads make of the sends is the socket type's doing (a stream may merge
 * or split them; records keep them), which is what a burst is for.  A
 * stream burst is answered as one exchange whose message is every message
 * sent, concatenated (an echo server prefixes each read it made, wherever
 * its reads fell); its send half reads the replies while the socket is
 * full, so that no burst, however long, leaves both sides waiting.  A
 * record burst's replies are matched to the messages still unanswered,
 * one datagram at a time, and its send half too reads (and keeps) the
 * replies that came while the socket is full.  Every wait of a burst is
 * bounded by timeout_ms from the last progress, and a burst holds at most
 * SF_BURST_MAX_MSGS messages and SF_BURST_MAX_BYTES bytes.
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

/* The most a burst holds: its messages, and their bytes (a stream keeps them to check the reply).
 */
#define SF_BURST_MAX_MSGS 100000
#define SF_BURST_MAX_BYTES (64u << 20)

/* A record burst's message: the caller's bytes, and its reply. */
enum sf_burst_state {
    SF_BURST_WAITING, /* no reply yet */
    SF_BURST_EARLY,   /* its reply came while the burst was sent: kept in `early` */
    SF_BURST_DONE,    /* handed to the caller by the recv half */
};

struct sf_burst_msg {
    size_t off, len; /* the message's bytes, copied at all.p + off: the caller's buffer may
                        hold the next message by the time its reply comes */
    enum sf_burst_state state;
    char *early; /* SF_BURST_EARLY: the reply, owned; and how it went */
    size_t early_len;
    struct sf_dgram_result res;
};

/* A burst on one connection (sf_xchg_burst_begin() starts it). */
struct sf_burst {
    int on;                   /* under way: each wait is bounded from the last progress */
    size_t n, done;           /* messages sent; accounted for (answered, or given up on) */
    size_t unit;              /* how many messages the last recv half accounted for ... */
    size_t unit_bytes;        /* ... and their bytes */
    size_t bytes, done_bytes; /* the bytes of the n messages; of the done ones */
    struct sf_buf all;        /* every message sent, concatenated (a stream's reply answers them) */
    struct sf_burst_msg *v;   /* records: every message sent */
    size_t cap, first;        /* v's room; the first message still waiting for its reply */
    size_t early_at;          /* the first that may hold a reply kept while sending */
    size_t early_bytes;       /* the bytes of the replies kept while sending */
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
    int timed_fd; /* sf_xchg_attach: the socket whose first read of a reply may block, or -1 */
    enum sf_reply_state state; /* stream: what the reply bytes so far are */
    struct sf_buf reply;
    struct sf_dgram_result res; /* records only; all zero on a stream */
    int64_t rtt_ns;             /* send to complete reply, once answered */
    /* Records, for the whole run: datagrams from the server that answered no message waiting
     * (a late reply, or a copy of one), read and set aside. */
    uint64_t stray;
    struct sf_burst burst; /* --burst: the connection's messages, sent before any reply */
};

/* Ready x for a run of exchanges in `mode` (no allocation; dest unset). */
void sf_xchg_init(struct sf_xchg *x, enum sf_mode mode, int64_t timeout_ms, unsigned retries,
                  size_t recv_size);

/*
 * Let the exchanges on fd block in their first recv of each reply, bounded
 * by SO_RCVTIMEO set here to timeout_ms: one system call where a poll
 * first would take three (a recv that finds nothing, poll, recv).  Left as
 * it was (every wait in poll) where fd is non-blocking, the timeout is 0
 * or none, the process spins, or the kernel refuses the option.  Call it
 * for each new socket; it replaces the last one attached.
 */
void sf_xchg_attach(struct sf_xchg *x, int fd);

/*
 * Records: read what comes from the server on fd until none came for
 * quiet_ms (at most max datagrams), counting each in x->stray: the late
 * replies and the copies a run would otherwise leave unread at its close.
 * Returns how many.
 */
uint64_t sf_xchg_drain_record(struct sf_xchg *x, int fd, uint64_t max, int64_t quiet_ms);

/* Release the reply buffer and what a burst held. */
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

/* Start a burst on a connection: nothing sent yet, the clock started. */
void sf_xchg_burst_begin(struct sf_xchg *x);

/*
 * Send one more message of the burst on a connected stream socket, in
 * send() calls of its own (however many the kernel needs), reading the
 * replies that came meanwhile whenever the socket is full.  msg is copied
 * (the reply must answer every message of the burst).  Returns 0 or -1:
 * as sf_xchg_send_stream(), or SF_ERR_INVALID past the burst's bounds.
 */
int sf_xchg_burst_send_stream(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                              size_t mlen);

/*
 * Receive the reply to the whole burst (x->reply), as sf_xchg_recv_stream()
 * does for one message; every message is then accounted for at once
 * (x->burst.unit).  Discard mode: nothing to receive, every message
 * accounted for.  Returns 0 or -1 as sf_xchg_recv_stream().
 */
int sf_xchg_burst_recv_stream(struct sf_err *err, struct sf_xchg *x, int fd);

/*
 * Send one more message of the burst as one datagram or record, as
 * sf_xchg_send_record() does, but reading what has come back whenever the
 * socket is full (a seqpacket server stops reading from a client that does
 * not read its replies): a reply read so is kept for the recv half.  msg
 * is not copied: it must stay valid until the burst's replies are read.
 * Returns 0 or -1 (SF_ERR_TIMEOUT: no room within timeout_ms;
 * SF_ERR_INVALID past the burst's bounds).
 */
int sf_xchg_burst_send_record(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg,
                              size_t mlen);

/*
 * Receive the next reply of the burst: one kept while sending (in the
 * order of the messages), else the first datagram from the server within
 * timeout_ms that answers a message still unanswered (x->msg, its
 * reply in x->reply, x->res as after sf_xchg_recv_record(); one message
 * accounted for), skipping the others.  None within timeout_ms: every
 * message still unanswered is given up on at once (x->res.lost).  Discard
 * mode: every message accounted for.  Returns 0 or -1 (as
 * sf_xchg_recv_record(): ECONNREFUSED, a seqpacket server's close).
 */
int sf_xchg_burst_recv_record(struct sf_err *err, struct sf_xchg *x, int fd);

/* Are messages of the burst still to be accounted for by a recv half? */
int sf_xchg_burst_waiting(const struct sf_xchg *x);

/* The halves for one kind of socket, for a program that serves both kinds. */
struct sf_xchg_ops {
    int (*send)(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen);
    int (*recv)(struct sf_err *err, struct sf_xchg *x, int fd);
    int (*burst_send)(struct sf_err *err, struct sf_xchg *x, int fd, const void *msg, size_t mlen);
    int (*burst_recv)(struct sf_err *err, struct sf_xchg *x, int fd);
};

extern const struct sf_xchg_ops
    sf_xchg_stream_ops; /* sf_xchg_send_stream, ... _burst_recv_stream */
extern const struct sf_xchg_ops
    sf_xchg_record_ops; /* sf_xchg_send_record, ... _burst_recv_record */

#endif
