/*
 * floor: the kernel's own floor for each of the bench's measurements, in
 * the same run as the families: the same transfer between two processes
 * over a bare socket (a socketpair, a pipe pair, or a loopback TCP or UDP
 * pair, or a raw ICMP socket to the kernel's responder), with nothing in
 * the path but the system calls.  Every family's figure is shown as a
 * ratio to the floor of its own socket type.
 */
#ifndef SF_FLOOR_H
#define SF_FLOOR_H

#include <stddef.h>
#include <sys/socket.h>

#include "cpu.h"
#include "err.h"
#include "stats.h"

enum floor_kind {
    FLOOR_STREAM,    /* socketpair(AF_UNIX, SOCK_STREAM) */
    FLOOR_DGRAM,     /* socketpair(AF_UNIX, SOCK_DGRAM) */
    FLOOR_SEQPACKET, /* socketpair(AF_UNIX, SOCK_SEQPACKET) */
    FLOOR_PIPE,      /* two pipes */
    FLOOR_TCP,       /* a TCP connection over 127.0.0.1 */
    FLOOR_UDP,       /* two connected UDP sockets on 127.0.0.1 */
    /* A server's floors: a bound socket that answers each datagram with sendto() to its
     * source, as a server for any client must, and a client connected to it (below). */
    FLOOR_UDP_SERVER,   /* a UDP server socket on 127.0.0.1 */
    FLOOR_DGRAM_SERVER, /* an AF_UNIX datagram server socket, bound to an abstract name */
    FLOOR_ICMP,         /* the socket icmp-ping would use, to the kernel's responder */
    FLOOR_N
};

/*
 * The connected pair a server floor is shown beside (FLOOR_UDP,
 * FLOOR_DGRAM), or -1: what the same socket type costs where neither end
 * serves anyone else.  A server's socket cannot be connected, and the
 * kernel charges for that: an unconnected UDP sendto() looks up its route
 * for every datagram, and a named AF_UNIX receiver queues at most
 * net.unix.max_dgram_qlen datagrams per sender, where a socketpair's is
 * bounded by the send buffer only (unix_dgram_sendmsg skips the queue
 * limit when the receiver is connected back to the sender).
 */
int floor_reference(enum floor_kind kind);

/* Where the two ends run: CPU numbers, -1 for wherever the scheduler likes. */
struct place {
    const struct sf_cpus *cpus;
    int self, child;
};

/* A floor's name: "socketpair stream", "tcp bare". */
const char *floor_name(enum floor_kind kind);

/*
 * Ping-pong: count round trips of size bytes, after warmup unmeasured
 * ones; samples in microseconds into s.  0, or -1 with err set.
 */
int floor_pingpong(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long warmup,
                   unsigned long count, const struct place *pl, struct sf_stats *s);

/*
 * Stream throughput (FLOOR_STREAM, FLOOR_TCP, FLOOR_PIPE): writes of size
 * bytes, count of them, to a child that reads and drops them; the time
 * from the first write to the child's close after it read everything.
 */
int floor_stream(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                 const struct place *pl, double *seconds);

struct dgram_rate {
    unsigned long long sent, received, dropped; /* dropped: the receiver's SO_MEMINFO count */
    double seconds;                             /* first send to last send */
};

/* Datagram rate (FLOOR_DGRAM, FLOOR_UDP): count datagrams of size bytes, sent flat out. */
int floor_dgram_rate(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                     const struct place *pl, struct dgram_rate *out);

/*
 * Connection rate (FLOOR_STREAM: a unix stream socket file; FLOOR_TCP):
 * count times connect, one echo of size bytes, close, against a bare
 * accept loop in a child; microseconds per connection into s.
 */
int floor_connect(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                  const struct place *pl, struct sf_stats *s, double *seconds);

/*
 * The client side of the connection rate, shared with the families' own
 * servers: count times connect to addr, send size bytes, read them back,
 * close; each connection's time in microseconds into s.
 */
int floor_connect_loop(struct sf_err *err, const struct sockaddr *addr, socklen_t len, size_t size,
                       unsigned long count, struct sf_stats *s, double *seconds);

#endif
