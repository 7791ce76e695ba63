/*
 * stack.c: dual-stack, in the lab.  A [::] listener in the server's
 * namespace takes an IPv4 client from the client's as ::ffff:198.18.1.2
 * unless IPV6_V6ONLY, which refuses it; and a link-local address
 * (fe80::, the router's on the client's link) needs its scope: without
 * the interface connect() fails, with it (fe80::...%c0) it connects.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "show.h"

static const struct sf_lab_opts stack_lab = {.mtu = 0};

static struct {
    char mapped[64];
    int v6only_errno;
    char link_local[64];
    int unscoped_errno, scoped_errno;
} ds;

/* A TCP listener of ns on addr (port 0), V6ONLY as given; its port into *port. */
static int listener6(struct sf_err *err, enum sf_lab_ns ns, const struct sockaddr_in6 *addr,
                     int v6only, uint16_t *port)
{
    struct sockaddr_in6 a = *addr;
    socklen_t len = sizeof(a);
    int fd = show_socket_in(err, ns, AF_INET6, SOCK_STREAM);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0 ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
        int e = errno;
        close(fd);
        return sf_err_sys(err, e, "listen", "[::]");
    }
    *port = ntohs(a.sin6_port);
    return fd;
}

/* connect() from the client's namespace: 0, or the errno it failed with. */
static int client_connect(struct sf_err *err, int domain, const struct sockaddr *to, socklen_t len)
{
    int fd = show_socket_in(err, SF_LAB_CLIENT, domain, SOCK_STREAM), e;

    if (fd < 0)
        return -1;
    e = connect(fd, to, len) < 0 ? errno : 0;
    close(fd);
    return e;
}

/* Part one: IPv4 into a [::] listener, without and with IPV6_V6ONLY. */
static int mapped(struct sf_err *err)
{
    struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT}, peer;
    struct sockaddr_in to = {.sin_family = AF_INET};
    socklen_t len = sizeof(peer);
    uint16_t port;
    int l, a, e;

    inet_pton(AF_INET, sf_lab_addr(SF_LAB_SERVER, 0), &to.sin_addr);
    for (int v6only = 0; v6only < 2; v6only++) {
        if ((l = listener6(err, SF_LAB_SERVER, &any, v6only, &port)) < 0)
            return -1;
        show_step("the server listens on [::]:%u, IPV6_V6ONLY %d; the client connects to %s", port,
                  v6only, sf_lab_addr(SF_LAB_SERVER, 0));
        to.sin_port = htons(port);
        e = client_connect(err, AF_INET, (struct sockaddr *)&to, sizeof(to));
        if (!v6only && e == 0 && show_wait_readable(l, 2000) &&
            (a = accept(l, (struct sockaddr *)&peer, &len)) >= 0) {
            inet_ntop(AF_INET6, &peer.sin6_addr, ds.mapped, sizeof(ds.mapped));
            close(a);
        }
        if (v6only)
            ds.v6only_errno = e;
        close(l);
    }
    return 0;
}

/* The link-local address of dev in ns (the lab's veth ends have one each). */
static int link_local(struct sf_err *err, enum sf_lab_ns ns, const char *dev, struct in6_addr *out)
{
    struct ifaddrs *all, *i;
    int found = 0;

    if (show_enter(err, ns) < 0)
        return -1;
    if (getifaddrs(&all) == 0) {
        for (i = all; i && !found; i = i->ifa_next)
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6 && !strcmp(i->ifa_name, dev) &&
                IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
                *out = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, found = 1;
        freeifaddrs(all);
    }
    if (show_enter(err, SF_LAB_NS) < 0)
        return -1;
    return found ? 0
                 : sf_err_set(err, SF_ERR_SYS, ENOENT, NULL, "no link-local address on %s", dev);
}

/* An interface's index in ns. */
static unsigned index_in(struct sf_err *err, enum sf_lab_ns ns, const char *dev)
{
    unsigned i;

    if (show_enter(err, ns) < 0)
        return 0;
    i = if_nametoindex(dev);
    return show_enter(err, SF_LAB_NS) < 0 ? 0 : i;
}

/* Part two: the router's link-local address, from the client, without and with its scope. */
static int scoped(struct sf_err *err)
{
    struct sockaddr_in6 at = {.sin6_family = AF_INET6}, to = {.sin6_family = AF_INET6};
    uint16_t port;
    int l;

    if (link_local(err, SF_LAB_ROUTER, "r0", &at.sin6_addr) < 0)
        return -1;
    at.sin6_scope_id = index_in(err, SF_LAB_ROUTER, "r0");
    inet_ntop(AF_INET6, &at.sin6_addr, ds.link_local, sizeof(ds.link_local));
    if ((l = listener6(err, SF_LAB_ROUTER, &at, 1, &port)) < 0)
        return -1;
    to.sin6_addr = at.sin6_addr, to.sin6_port = htons(port);
    show_step("the router listens on [%s%%r0]:%u; the client connects without, then with %%c0",
              ds.link_local, port);
    ds.unscoped_errno = client_connect(err, AF_INET6, (struct sockaddr *)&to, sizeof(to));
    to.sin6_scope_id = index_in(err, SF_LAB_CLIENT, "c0");
    ds.scoped_errno = client_connect(err, AF_INET6, (struct sockaddr *)&to, sizeof(to));
    close(l);
    return 0;
}

static int dual_run(struct sf_err *err)
{
    return mapped(err) < 0 ? -1 : scoped(err);
}

static void dual_judge(const struct sf_wire *w, struct show_out *o)
{
    char want[64];

    (void)w;
    snprintf(want, sizeof(want), "::ffff:%s", sf_lab_addr(SF_LAB_CLIENT, 0));
    show_fig(o, "mapped", strcmp(ds.mapped, want) == 0, "",
             "IPV6_V6ONLY 0: the IPv4 client %s was accepted as %s", sf_lab_addr(SF_LAB_CLIENT, 0),
             ds.mapped[0] ? ds.mapped : "(none)");
    show_fig(o, "v6only_refused", ds.v6only_errno == ECONNREFUSED, "",
             "IPV6_V6ONLY 1: the IPv4 client got %s", show_errno_name(ds.v6only_errno));
    show_fig(o, "unscoped_fails", ds.unscoped_errno != 0, "",
             "connect() to the router's %s without a scope: %s", ds.link_local,
             ds.unscoped_errno ? strerror(ds.unscoped_errno) : "connected");
    show_fig(o, "scoped_connects", ds.scoped_errno == 0, "", "connect() to %s%%c0: %s",
             ds.link_local, ds.scoped_errno ? strerror(ds.scoped_errno) : "connected");
    if (strcmp(ds.mapped, want) != 0)
        show_fails(o, "the IPv4 client was accepted as '%s', not %s", ds.mapped, want);
    if (ds.v6only_errno != ECONNREFUSED)
        show_fails(o, "a V6ONLY listener gave the IPv4 client %s",
                   show_errno_name(ds.v6only_errno));
    if (ds.unscoped_errno == 0 || ds.scoped_errno != 0)
        show_fails(o, "link-local: %s unscoped, %s scoped", strerror(ds.unscoped_errno),
                   strerror(ds.scoped_errno));
}

const struct lesson lessons_stack[] = {
    {"dual-stack", "[::] takes IPv4 as ::ffff:a.b.c.d unless IPV6_V6ONLY; fe80:: needs its %scope",
     "An IPv6 socket bound to [::] with IPV6_V6ONLY off (Linux's default,\n"
     "net.ipv6.bindv6only=0) also accepts IPv4 clients, which it sees as IPv4-mapped\n"
     "addresses, ::ffff:a.b.c.d; with IPV6_V6ONLY on it takes IPv6 alone and an IPv4\n"
     "client is refused. A link-local address (fe80::) exists on every link at once, so\n"
     "it means nothing without the interface: fe80::1%c0, the scope in sin6_scope_id.",
     dual_run, dual_judge, &stack_lab},
};
const size_t nlessons_stack = 1;
