/*
 * ping: the sockets of ICMP echo, as iputils ping opens them.
 *
 * A raw socket (SOCK_RAW, IPPROTO_ICMP or IPPROTO_ICMPV6) needs
 * CAP_NET_RAW; without it Linux offers the ICMP datagram socket (SOCK_DGRAM
 * with the same protocol) to groups listed in net.ipv4.ping_group_range.
 * sf_ping_open() tries the raw socket, then the datagram one, and says
 * which it got.  Differences that follow, kept here and not in callers:
 *   raw IPv4   delivers the IPv4 header first; the echo id is ours to pick;
 *              every ICMP packet on the host arrives (filtered to replies
 *              and errors with ICMP_FILTER, as iputils does);
 *   raw IPv6   the ICMPv6 message alone; the kernel checksums it;
 *   datagram   the ICMP message alone; the kernel sets the id (our local
 *              "port") and delivers only replies to it.
 */
#ifndef SF_PING_H
#define SF_PING_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "addr.h"
#include "err.h"

struct sf_ping {
    int fd;
    int v6;      /* ICMPv6 */
    int raw;     /* SOCK_RAW; otherwise the ICMP datagram socket */
    int with_ip; /* received packets start with an IPv4 header */
    uint16_t id; /* the echo identifier our requests carry */
    struct sockaddr_storage dest;
    socklen_t destlen;
};

/*
 * Resolve addr and open the best ICMP socket allowed.  Without any, fails
 * with EPERM and a message naming the three ways to enable one.
 * Returns 0 or -1; the caller closes p->fd.
 */
int sf_ping_open(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                 struct sf_ping *p);

/* Send one ICMP message to the destination.  0 or -1. */
int sf_ping_send(struct sf_err *err, const struct sf_ping *p, const void *msg, size_t len);

/*
 * Receive one packet before the deadline into buf, with the sender and
 * the TTL / hop limit (-1 if unknown).  Returns its length (*full: before
 * truncation), 0 on timeout or when stop_fd (-1: none; polled, never read)
 * became readable, -1 on error.
 */
ssize_t sf_ping_recv(struct sf_err *err, const struct sf_ping *p, int stop_fd, void *buf,
                     size_t cap, int64_t deadline, size_t *full, struct sockaddr_storage *from,
                     socklen_t *fromlen, int *ttl);

#endif
