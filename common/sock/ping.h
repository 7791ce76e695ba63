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
 * It keeps why it chose as it did (the raw socket's errno) for a program's
 * -v, and applies what must be set before the caller drops its privilege:
 * the TTL / hop limit, and the interface or source address (-I), which
 * needs CAP_NET_RAW to change once set.
 */
#ifndef SF_PING_H
#define SF_PING_H

#include <net/if.h>
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
    int raw_errno;            /* why socket(SOCK_RAW) failed, so the datagram one was tried; or 0 */
    int dgram_errno;          /* why socket(SOCK_DGRAM) failed as well; or 0 */
    char device[IF_NAMESIZE]; /* bound with SO_BINDTODEVICE (-I IFACE), or "" */
    struct sockaddr_storage source; /* with -I: the source address, bound or as routed */
    socklen_t sourcelen;            /* 0: no -I */
};

/* How to open it. */
struct sf_ping_cfg {
    enum sf_family family;
    int ttl; /* IPv4 TTL or IPv6 unicast (and multicast) hop limit, 0-255; -1: the default */
    /* -I: an interface name ("lo"), or a source address ("127.0.0.1", "::1",
     * "fe80::1%eth0": the address and, after '%', its interface), or NULL */
    const char *bind;
};

/*
 * Resolve addr and open the best ICMP socket allowed.  Without any, fails
 * with EPERM and a message naming the three ways to enable one.
 * Returns 0 or -1; the caller closes p->fd.
 */
int sf_ping_open(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                 struct sf_ping *p);

/*
 * sf_ping_open() with cfg: the TTL set (a value the kernel refuses, such
 * as an IPv4 TTL of 0, is SF_ERR_INVALID), the socket bound to cfg->bind's
 * interface or source address (an unknown interface or an address not of
 * this host: SF_ERR_INVALID); with an interface alone, p->source is the
 * address the kernel would send from over it (a UDP socket connected to
 * the destination says, sending nothing).  A source address decides the
 * family when cfg->family does not.  On failure p->raw_errno and
 * p->dgram_errno still say what socket() answered.  0 or -1; the caller
 * closes p->fd.
 */
int sf_ping_open_cfg(struct sf_err *err, const struct sf_addr *addr, const struct sf_ping_cfg *cfg,
                     struct sf_ping *p);

/*
 * net.ipv4.ping_group_range, the groups allowed the ICMP datagram socket
 * (for ICMPv6 too): *lo and *hi.  "1 0", Linux's default, allows nobody.
 * 0 or -1.
 */
int sf_ping_group_range(struct sf_err *err, long long *lo, long long *hi);

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
