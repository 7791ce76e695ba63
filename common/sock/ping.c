/* ping: ICMP echo sockets; see ping.h. */
#include "ping.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

/* Only replies and errors reach a raw socket: not every ICMP packet on the host. */
static void filter_raw(const struct sf_ping *p)
{
    if (p->v6) {
        struct icmp6_filter f;
        ICMP6_FILTER_SETBLOCKALL(&f);
        ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
        ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
        ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
        ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
        ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
        setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
    } else {
        /* ICMP_FILTER's bits are the types to drop. */
        struct icmp_filter f = {~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
                                  (1u << ICMP_SOURCE_QUENCH) | (1u << ICMP_REDIRECT) |
                                  (1u << ICMP_TIME_EXCEEDED) | (1u << ICMP_PARAMETERPROB))};
        setsockopt(p->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
    }
}

/* The datagram socket's id is its local port: bind to port 0 and read it back. */
static int learn_dgram_id(struct sf_err *err, struct sf_ping *p, const char *what)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = p->dest.ss_family;
    if (bind(p->fd, (struct sockaddr *)&ss,
             p->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0 ||
        getsockname(p->fd, (struct sockaddr *)&ss, &len) < 0)
        return sf_err_sys(err, errno, "bind", what);
    p->id = ntohs(p->v6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                        : ((struct sockaddr_in *)&ss)->sin_port);
    return 0;
}

static int no_permission(struct sf_err *err, const char *what)
{
    return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                      "socket(%s): no permission for a raw ICMP socket (needs CAP_NET_RAW) nor an "
                      "ICMP datagram socket (net.ipv4.ping_group_range excludes this group); run "
                      "as root, or setcap cap_net_raw+ep icmp-ping, or sysctl -w "
                      "net.ipv4.ping_group_range='0 2147483647'",
                      what);
}

int sf_ping_open(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                 struct sf_ping *p)
{
    int on = 1;

    memset(p, 0, sizeof(*p));
    if (sf_resolve_first(err, addr, family, &p->dest, &p->destlen) < 0)
        return -1;
    p->v6 = p->dest.ss_family == AF_INET6;
    int proto = p->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
    p->raw = 1;
    p->fd = socket(p->dest.ss_family, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (p->fd < 0 && (errno == EPERM || errno == EACCES)) {
        p->raw = 0;
        p->fd = socket(p->dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
        if (p->fd < 0 && (errno == EPERM || errno == EACCES))
            return no_permission(err, addr->text);
    }
    if (p->fd < 0)
        return sf_err_sys(err, errno, "socket", addr->text);
    p->with_ip = p->raw && !p->v6;
    if (p->v6)
        setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on));
    else
        setsockopt(p->fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
    if (p->raw) {
        filter_raw(p);
        p->id = (uint16_t)getpid();
        return 0;
    }
    if (learn_dgram_id(err, p, addr->text) < 0) {
        close(p->fd);
        return -1;
    }
    return 0;
}

int sf_ping_send(struct sf_err *err, const struct sf_ping *p, const void *msg, size_t len)
{
    char host[SF_ADDR_TEXT_MAX];

    if (sendto(p->fd, msg, len, MSG_NOSIGNAL, (const struct sockaddr *)&p->dest, p->destlen) < 0) {
        /* Name the address: "sendto(198.51.100.7): Network is unreachable" (exit 69). */
        int e = errno;
        sf_sockaddr_host((const struct sockaddr *)&p->dest, p->destlen, host, sizeof(host));
        return sf_err_sys(err, e, "sendto", host);
    }
    return 0;
}

static int read_ttl(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        int v;
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
            memcpy(&v, CMSG_DATA(c), sizeof(v));
            return v;
        }
    }
    return -1;
}

/* Wait for the socket or the stop descriptor: 1 the socket is readable, 0 not (deadline or stop).
 */
static int wait_reply(struct sf_err *err, const struct sf_ping *p, int stop_fd, int64_t deadline)
{
    struct pollfd pf[2] = {{.fd = p->fd, .events = POLLIN}, {.fd = stop_fd, .events = POLLIN}};

    for (;;) {
        int n = poll(pf, stop_fd >= 0 ? 2 : 1, sf_deadline_poll_ms(deadline));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return sf_err_sys(err, errno, "poll", NULL);
        if (n == 0 || (stop_fd >= 0 && pf[1].revents))
            return 0;
        return 1;
    }
}

ssize_t sf_ping_recv(struct sf_err *err, const struct sf_ping *p, int stop_fd, void *buf,
                     size_t cap, int64_t deadline, size_t *full, struct sockaddr_storage *from,
                     socklen_t *fromlen, int *ttl)
{
    char control[128];

    for (;;) {
        struct iovec iov = {buf, cap};
        struct msghdr mh = {from, sizeof(*from), &iov, 1, control, sizeof(control), 0};
        ssize_t n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
        if (n >= 0) {
            *full = (size_t)n;
            *fromlen = mh.msg_namelen;
            *ttl = read_ttl(&mh);
            return (size_t)n > cap ? (ssize_t)cap : n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sf_err_sys(err, errno, "recvmsg", NULL);
        int ready = wait_reply(err, p, stop_fd, deadline);
        if (ready <= 0)
            return ready;
    }
}
