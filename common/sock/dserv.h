/*
 * dserv: the datagram server, shared by UDP and AF_UNIX dgram: each
 * datagram is answered on its own, to the address it came from, with no
 * per-client state, so no client can hold the server for another.
 *
 * A datagram larger than the receive buffer is truncated by the kernel and
 * its tail is gone (MSG_TRUNC tells the real size): the server answers what
 * it got and reports both sizes through on_datagram.  A reply the socket
 * cannot take right now is dropped and counted rather than waited for.
 *
 * UDP's source address is whatever the sender wrote, so one spoofed
 * datagram can make two echo servers answer each other for ever, or a
 * server answer itself.  Over IP the server therefore answers no datagram
 * from its own address and port, none from a port below 1024 (the services
 * an echo loop is classically aimed at: echo, chargen; inetd's rule), and,
 * with reply_rate set, at most that many replies a second to one source
 * (a token bucket per source, a second's worth of burst): a loop has one
 * datagram in flight, so the first reply refused ends it.  Each refusal is
 * counted.  AF_UNIX sources are the kernel's word, and not limited.
 *
 * A ping-pong costs what a bare socket's does, one call to read and one to
 * reply: the server waits in recvmmsg() itself (each wait bounded by
 * SO_RCVTIMEO, 100 ms, which it sets on fd), reads what is queued with it,
 * and looks at stop_fd when a wait runs out, after a batch of 64, or
 * after 100 ms of datagrams: a stop is seen within 100 ms.  A process
 * that spins (sf_io_spin) reads without ever blocking.
 *
 * The module never prints; the caller owns the fd.
 */
#ifndef SF_DSERV_H
#define SF_DSERV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "proto.h"
#include "stats.h"

struct sf_dserv_config {
    enum sf_mode mode;
    size_t recv_size; /* the receive buffer: larger datagrams are truncated */
    /* One datagram: len bytes kept of full (full > len: truncated). */
    void (*on_datagram)(void *ctx, const struct sockaddr *from, socklen_t fromlen, size_t len,
                        size_t full);
    /* A reply could not be sent to `peer` (errnum: EMSGSIZE, EAGAIN, ...). */
    void (*on_send_error)(void *ctx, const char *peer, size_t len, int errnum);
    void *ctx;
    uint32_t reply_rate; /* IP: replies per second to one source at most; 0: no limit */
    /* A datagram was not answered: why is "from itself", "from a service port" or "over the rate".
     */
    void (*on_refused)(void *ctx, const char *peer, const char *why);
};

struct sf_dserv_counters {
    uint64_t datagrams, truncated, replies, send_errors, bytes_in, bytes_out;
    uint64_t kernel_drops; /* datagrams the kernel dropped for a full receive buffer
                              (SO_MEMINFO); 0 where the sender waits instead (AF_UNIX) */
    uint64_t from_self;    /* not answered: from the server's own address and port */
    uint64_t from_service; /* not answered: from a port below 1024 */
    uint64_t over_rate;    /* not answered: over reply_rate for that source */
    int inet;              /* an IP socket: the three above apply */
    struct sf_reads reads; /* every datagram read, and the bytes kept of it */
};

/*
 * Serve fd until stop_fd is readable, then handle what was already queued (bounded in count and in
 * time: a flood never ends), so that every datagram is counted: sent = datagrams + kernel_drops.
 * Returns 0, or -1 if waiting itself failed.
 */
int sf_dserv_run(struct sf_err *err, int fd, const struct sf_dserv_config *cfg, int stop_fd,
                 struct sf_dserv_counters *counters);

#endif
