/* ping: ICMP echo sockets; see ping.h. */
#include "ping.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
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

/* bind() to -I's address failed: not an address of this host is the user's mistake (64). */
static int bind_failed(struct sf_err *err, const struct sf_ping *p, int given, int e,
                       const char *what)
{
    char host[SF_ADDR_TEXT_MAX];

    if (!given)
        return sf_err_sys(err, e, "bind", what);
    sf_sockaddr_host((const struct sockaddr *)&p->source, p->sourcelen, host, sizeof(host));
    return sf_err_set(err, e == EADDRNOTAVAIL ? SF_ERR_INVALID : SF_ERR_SYS, e, NULL,
                      "bind(%s): %s", host, strerror(e));
}

/* The datagram socket's id is its local port: bind (to -I's address, or any) and read it back. */
static int learn_dgram_id(struct sf_err *err, struct sf_ping *p, int given, const char *what)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = p->dest.ss_family;
    if (given)
        memcpy(&ss, &p->source, p->sourcelen);
    if (bind(p->fd, (struct sockaddr *)&ss,
             p->v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) < 0 ||
        getsockname(p->fd, (struct sockaddr *)&ss, &len) < 0)
        return bind_failed(err, p, given, errno, what);
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

/* The raw socket, else the datagram one (as iputils, each errno kept for -v). */
static int open_socket(struct sf_err *err, struct sf_ping *p, const char *what)
{
    int proto = p->v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;

    p->raw = 1;
    p->fd = socket(p->dest.ss_family, SOCK_RAW | SOCK_CLOEXEC, proto);
    if (p->fd < 0 && (errno == EPERM || errno == EACCES)) {
        p->raw_errno = errno;
        p->raw = 0;
        p->fd = socket(p->dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
        if (p->fd < 0)
            p->dgram_errno = errno;
        if (p->fd < 0 && (errno == EPERM || errno == EACCES))
            return no_permission(err, what);
    }
    if (p->fd < 0)
        return sf_err_sys(err, errno, "socket", what);
    p->with_ip = p->raw && !p->v6;
    return 0;
}

/* -t: the unicast TTL (hop limit) first, so a refusal names it, then the multicast one. */
static int set_ttl(struct sf_err *err, const struct sf_ping *p, int ttl)
{
    int lvl = p->v6 ? IPPROTO_IPV6 : IPPROTO_IP;
    int opts[2] = {p->v6 ? IPV6_UNICAST_HOPS : IP_TTL,
                   p->v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL};
    const char *what = p->v6 ? "hop limit" : "time-to-live";

    for (int i = 0; i < 2; i++)
        if (setsockopt(p->fd, lvl, opts[i], &ttl, sizeof(ttl)) < 0)
            return sf_err_set(err, errno == EINVAL ? SF_ERR_INVALID : SF_ERR_SYS, errno, NULL,
                              "cannot set %s %s to %d: %s", i ? "multicast" : "unicast", what, ttl,
                              strerror(errno));
    return 0;
}

/*
 * -I's text: an IPv6 address (it has a ':'; "%IFACE" after it names its
 * interface), an IPv4 address, or else an interface name, as iputils reads it.
 */
static int parse_bind(struct sf_err *err, struct sf_ping *p, const char *text)
{
    char addr[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
    const char *dev = text;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&p->source;
    struct sockaddr_in *s4 = (struct sockaddr_in *)&p->source;

    if (!*text)
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL,
                          "-I '': expected an interface or a source address");
    if (strlen(text) >= sizeof(addr))
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL, "-I '%.40s...': too long", text);
    snprintf(addr, sizeof(addr), "%s", text);
    if (strchr(addr, ':')) {
        char *pct = strchr(addr, '%');
        dev = pct ? text + (pct - addr) + 1 : "";
        if (pct)
            *pct = '\0';
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
            return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL, "invalid source address: %s",
                              text);
        s6->sin6_family = AF_INET6, p->sourcelen = sizeof(*s6);
    } else if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET, p->sourcelen = sizeof(*s4), dev = "";
    }
    if (strlen(dev) >= sizeof(p->device))
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL,
                          "-I %s: an interface name is at most %d bytes", text, IF_NAMESIZE - 1);
    snprintf(p->device, sizeof(p->device), "%s", dev);
    return 0;
}

static int bind_device(struct sf_err *err, int fd, const char *dev)
{
    if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0)
        return sf_err_set(err, errno == ENODEV ? SF_ERR_INVALID : SF_ERR_SYS, errno, NULL,
                          "SO_BINDTODEVICE %s: %s", dev, strerror(errno));
    return 0;
}

/*
 * -I IFACE alone: the address the kernel would send from over it, for the
 * PING line, as iputils finds it: a UDP socket on the interface, connected
 * to the destination (connect() on UDP sends nothing).
 */
static int route_source(struct sf_err *err, struct sf_ping *p, const char *what)
{
    struct sockaddr_storage to = p->dest;
    int fd = socket(p->dest.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return sf_err_sys(err, errno, "socket", what);
    if (p->v6)
        ((struct sockaddr_in6 *)&to)->sin6_port = htons(1025); /* any port will do */
    else
        ((struct sockaddr_in *)&to)->sin_port = htons(1025);
    p->sourcelen = sizeof(p->source);
    if (bind_device(err, fd, p->device) < 0 ||
        (connect(fd, (struct sockaddr *)&to, p->destlen) < 0 &&
         sf_err_sys(err, errno, "connect", what) < 0) ||
        (getsockname(fd, (struct sockaddr *)&p->source, &p->sourcelen) < 0 &&
         sf_err_sys(err, errno, "getsockname", what) < 0)) {
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

/* -I: the family the source decides, when -4/-6 did not; a mismatch is an error. */
static int bind_family(struct sf_err *err, const struct sf_ping *p, enum sf_family *family,
                       const char *text)
{
    enum sf_family src = !p->sourcelen                     ? SF_FAMILY_ANY
                         : p->source.ss_family == AF_INET6 ? SF_FAMILY_V6
                                                           : SF_FAMILY_V4;

    if (src != SF_FAMILY_ANY && *family != SF_FAMILY_ANY && src != *family)
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL,
                          "-I %s: an IPv%d source for an IPv%d destination", text, src, *family);
    if (src != SF_FAMILY_ANY)
        *family = src;
    return 0;
}

/* What must be set while privileged: the TTL, the interface, the source address, the id. */
static int configure(struct sf_err *err, struct sf_ping *p, const struct sf_ping_cfg *cfg,
                     const char *what)
{
    int on = 1, given = p->sourcelen != 0; /* -I ADDR: bind to it */

    if (given && p->v6 && p->device[0]) /* fe80::1%eth0: the scope is the interface */
        ((struct sockaddr_in6 *)&p->source)->sin6_scope_id = if_nametoindex(p->device);
    /* A raw IPv4 socket reads the IP header, TTL and all: no control message needed. */
    if (p->v6)
        setsockopt(p->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof(on));
    else if (!p->with_ip)
        setsockopt(p->fd, IPPROTO_IP, IP_RECVTTL, &on, sizeof(on));
    if (cfg->ttl >= 0 && set_ttl(err, p, cfg->ttl) < 0)
        return -1;
    if (p->device[0] && bind_device(err, p->fd, p->device) < 0)
        return -1;
    if (p->device[0] && !given && route_source(err, p, what) < 0)
        return -1;
    if (!p->raw)
        return learn_dgram_id(err, p, given, what);
    if (given && bind(p->fd, (struct sockaddr *)&p->source, p->sourcelen) < 0)
        return bind_failed(err, p, given, errno, what);
    filter_raw(p);
    p->id = (uint16_t)getpid();
    return 0;
}

int sf_ping_open_cfg(struct sf_err *err, const struct sf_addr *addr, const struct sf_ping_cfg *cfg,
                     struct sf_ping *p)
{
    enum sf_family family = cfg->family;

    memset(p, 0, sizeof(*p));
    p->fd = -1;
    if (cfg->bind &&
        (parse_bind(err, p, cfg->bind) < 0 || bind_family(err, p, &family, cfg->bind) < 0))
        return -1;
    if (sf_resolve_first(err, addr, family, &p->dest, &p->destlen) < 0) {
        if (p->sourcelen && cfg->family == SF_FAMILY_ANY)
            sf_err_hint(err, "the -I source %s is IPv%d", cfg->bind, family);
        return -1;
    }
    p->v6 = p->dest.ss_family == AF_INET6;
    if (open_socket(err, p, addr->text) < 0)
        return -1;
    if (configure(err, p, cfg, addr->text) < 0) {
        close(p->fd);
        p->fd = -1;
        return -1;
    }
    return 0;
}

int sf_ping_open(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                 struct sf_ping *p)
{
    const struct sf_ping_cfg cfg = {family, -1, NULL};

    return sf_ping_open_cfg(err, addr, &cfg, p);
}

int sf_ping_group_range(struct sf_err *err, long long *lo, long long *hi)
{
    static const char path[] = "/proc/sys/net/ipv4/ping_group_range";
    FILE *f = fopen(path, "re");
    int n;

    if (!f)
        return sf_err_sys(err, errno, "open", path);
    n = fscanf(f, "%lld %lld", lo, hi);
    fclose(f);
    if (n != 2)
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL, "%s: not two numbers", path);
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

/*
 * One packet, without waiting.  With the IPv4 header read (raw IPv4), the
 * TTL is its byte 8 (RFC 791) and recvfrom does: no control message is
 * asked for, and recvfrom spares the kernel a struct msghdr to copy in and
 * out on every reply.  Otherwise the TTL or hop limit comes as one.
 */
static ssize_t receive(const struct sf_ping *p, void *buf, size_t cap, char *control, size_t ccap,
                       struct sockaddr_storage *from, socklen_t *fromlen, int *ttl)
{
    ssize_t n;

    if (p->with_ip) {
        *fromlen = sizeof(*from);
        n = recvfrom(p->fd, buf, cap, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)from, fromlen);
        *ttl = n >= 20 && cap >= 20 ? ((const uint8_t *)buf)[8] : -1;
        return n;
    }
    struct iovec iov = {buf, cap};
    struct msghdr mh = {from, sizeof(*from), &iov, 1, control, ccap, 0};
    n = recvmsg(p->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
    *fromlen = mh.msg_namelen;
    *ttl = n >= 0 ? read_ttl(&mh) : -1;
    return n;
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
        ssize_t n = receive(p, buf, cap, control, sizeof(control), from, fromlen, ttl);
        if (n >= 0) {
            *full = (size_t)n;
            return (size_t)n > cap ? (ssize_t)cap : n;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return sf_err_sys(err, errno, p->with_ip ? "recvfrom" : "recvmsg", NULL);
        int ready = wait_reply(err, p, stop_fd, deadline);
        if (ready <= 0)
            return ready;
    }
}
