/* addr: parse, resolve, format, open; see addr.h. */
#include "addr.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "num.h"
#include "repr.h"

static int parse_port(struct sf_err *err, const char *text, size_t len, int allow_port0,
                      char out[6])
{
    char buf[16];
    uint64_t port;

    if (len == 0 || len >= sizeof(buf))
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "invalid port '%.*s' (expected 1-65535)",
                          (int)(len > 15 ? 15 : len), text);
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (sf_parse_u64(err, "port", buf, allow_port0 ? 0 : 1, 65535, &port) < 0)
        return -1;
    snprintf(out, 6, "%u", (unsigned)port);
    return 0;
}

static int parse_local(struct sf_err *err, const char *name, enum sf_addr_kind kind,
                       const char *text, struct sf_addr *out)
{
    size_t len = strlen(name);

    if (len == 0)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "empty %s in '%s'",
                          kind == SF_ADDR_UNIX ? "unix socket path" : "abstract name", text);
    /* Reject, never truncate: sun_path holds 108 bytes with the NUL. */
    if (len > SF_UNIX_PATH_MAX)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL,
                          "%s too long (%zu bytes, at most %zu): '%.40s...'",
                          kind == SF_ADDR_UNIX ? "unix socket path" : "abstract name", len,
                          (size_t)SF_UNIX_PATH_MAX, text);
    out->kind = kind;
    memcpy(out->path, name, len + 1);
    snprintf(out->text, sizeof(out->text), "%s", text);
    return 0;
}

/* Split "host:port", "[v6]:port", "host", "v6literal" into host and port. */
static int split_host_port(struct sf_err *err, const char *text, const char **host, size_t *hostlen,
                           const char **port)
{
    const char *first = strchr(text, ':');

    *port = NULL;
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close)
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "missing ']' in address '%s'", text);
        *host = text + 1;
        *hostlen = (size_t)(close - text - 1);
        if (close[1] == ':')
            *port = close + 2;
        else if (close[1] != '\0')
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL,
                              "unexpected text after ']' in address '%s'", text);
        return 0;
    }
    *host = text;
    *hostlen = strlen(text);
    if (first && first == strrchr(text, ':')) {
        *hostlen = (size_t)(first - text);
        *port = first + 1;
    }
    return 0;
}

int sf_addr_parse(struct sf_err *err, const char *text, const char *default_port, int allow_port0,
                  struct sf_addr *out)
{
    const char *host = NULL, *port = NULL;
    size_t hostlen = 0;

    memset(out, 0, sizeof(*out));
    if (!text || !*text)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "empty address");
    if (strlen(text) > SF_HOST_MAX + 10)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "address too long (%zu bytes): '%.40s...'",
                          strlen(text), text);
    if (strncmp(text, "unix:", 5) == 0)
        return parse_local(err, text + 5, SF_ADDR_UNIX, text, out);
    if (text[0] == '@')
        return parse_local(err, text + 1, SF_ADDR_ABSTRACT, text, out);
    /* No host name starts with '/': an absolute path is a unix socket. */
    if (text[0] == '/')
        return parse_local(err, text, SF_ADDR_UNIX, text, out);
    if (split_host_port(err, text, &host, &hostlen, &port) < 0)
        return -1;
    if (hostlen == 0)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "missing host in address '%s'", text);
    if (hostlen > SF_HOST_MAX)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "host name too long (%zu bytes)", hostlen);
    out->kind = SF_ADDR_INET;
    memcpy(out->host, host, hostlen);
    out->host[hostlen] = '\0';
    out->port_explicit = port != NULL;
    if (!port && !default_port)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "missing port in address '%s'", text);
    if (!port)
        port = default_port;
    if (parse_port(err, port, strlen(port), allow_port0, out->port) < 0)
        return -1;
    snprintf(out->text, sizeof(out->text), strchr(out->host, ':') ? "[%s]:%s" : "%s:%s", out->host,
             out->port);
    return 0;
}

socklen_t sf_addr_to_sun(const struct sf_addr *addr, struct sockaddr_un *sun)
{
    size_t len = strlen(addr->path);

    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (addr->kind == SF_ADDR_ABSTRACT) {
        /* Abstract names start with a NUL and are exactly as long as given. */
        memcpy(sun->sun_path + 1, addr->path, len);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + len);
    }
    memcpy(sun->sun_path, addr->path, len);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static int resolve(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                   int socktype, int passive, struct addrinfo **res)
{
    struct addrinfo hints;
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family == SF_FAMILY_V4 ? AF_INET : family == SF_FAMILY_V6 ? AF_INET6 : 0;
    hints.ai_socktype = socktype;
    /* No AI_ADDRCONFIG: in a namespace with only lo it hides 127.0.0.1. */
    hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(addr->host, addr->port, &hints, res);
    if (rc != 0)
        return sf_err_gai(err, rc, errno, addr->text);
    return 0;
}

static int prepare_listener(struct sf_err *err, int fd, int family, int socktype, const char *what)
{
    int one = 1;

    if ((socktype == SOCK_STREAM || socktype == SOCK_SEQPACKET) && family != AF_UNIX &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
        return sf_err_sys(err, errno, "setsockopt(SO_REUSEADDR)", what);
    if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
        return sf_err_sys(err, errno, "setsockopt(IPV6_V6ONLY)", what);
    return 0;
}

/*
 * socket() with a protocol (0: the type's default); a kernel that refuses
 * MPTCP says why in the error: net.mptcp.enabled=0 gives ENOPROTOOPT, a
 * kernel without it EPROTONOSUPPORT (or EINVAL before 5.6).
 */
static int open_socket(struct sf_err *err, int family, int socktype, int protocol, const char *what)
{
    int fd = socket(family, socktype | SOCK_CLOEXEC, protocol);

    if (fd >= 0)
        return fd;
    if (protocol == IPPROTO_MPTCP &&
        (errno == ENOPROTOOPT || errno == EPROTONOSUPPORT || errno == EINVAL))
        return sf_err_set(err, SF_ERR_PEER, errno, NULL,
                          "socket(IPPROTO_MPTCP) for %s: %s: this kernel refuses MPTCP "
                          "(Linux 5.6+ with net.mptcp.enabled=1)",
                          what, strerror(errno));
    return sf_err_sys(err, errno, "socket", what);
}

/* socket + options + bind + listen for one address; the fd or -1, nothing left open. */
static int listen_one(struct sf_err *err, const struct sockaddr *sa, socklen_t salen, int socktype,
                      int protocol, int backlog, const char *what)
{
    int fd = open_socket(err, sa->sa_family, socktype, protocol, what);

    if (fd < 0)
        return -1;
    if (prepare_listener(err, fd, sa->sa_family, socktype, what) < 0)
        goto fail;
    if (bind(fd, sa, salen) < 0) {
        sf_err_sys(err, errno, "bind", what);
        goto fail;
    }
    if ((socktype == SOCK_STREAM || socktype == SOCK_SEQPACKET) && listen(fd, backlog) < 0) {
        sf_err_sys(err, errno, "listen", what);
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

int sf_listen(struct sf_err *err, const struct sf_addr *addr, enum sf_family family, int socktype,
              int protocol, int backlog)
{
    struct addrinfo *res, *ai;
    int fd = -1;

    if (addr->kind != SF_ADDR_INET) {
        struct sockaddr_un sun;
        socklen_t len = sf_addr_to_sun(addr, &sun);
        return listen_one(err, (struct sockaddr *)&sun, len, socktype, 0, backlog, addr->text);
    }
    if (resolve(err, addr, family, socktype, 1, &res) < 0)
        return -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next)
        fd = listen_one(err, ai->ai_addr, ai->ai_addrlen, socktype, protocol, backlog, addr->text);
    freeaddrinfo(res);
    return fd;
}

/* Finish a non-blocking connect within the deadline: 0, or -1 with err set. */
static int connect_wait(struct sf_err *err, int fd, int64_t deadline, const char *what)
{
    int soerr = 0;
    socklen_t len = sizeof(soerr);
    int ready = sf_wait_fd(err, fd, POLLOUT, deadline);

    if (ready < 0)
        return -1;
    if (ready == 0)
        return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL, "connect(%s): timed out", what);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
        return sf_err_sys(err, errno, "getsockopt(SO_ERROR)", what);
    if (soerr != 0)
        return sf_err_sys(err, soerr, "connect", what);
    return 0;
}

static int connect_one(struct sf_err *err, const struct sockaddr *sa, socklen_t salen, int socktype,
                       int protocol, int64_t deadline, const char *what)
{
    int fd = open_socket(err, sa->sa_family, socktype | SOCK_NONBLOCK, protocol, what);
    int rc;

    if (fd < 0)
        return -1;
    rc = connect(fd, sa, salen);
    if (rc < 0 && (errno == EINPROGRESS || errno == EINTR))
        rc = connect_wait(err, fd, deadline, what);
    else if (rc < 0)
        sf_err_sys(err, errno, "connect", what);
    if (rc == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0)
        rc = sf_err_sys(err, errno, "fcntl", what);
    if (rc < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sf_connect(struct sf_err *err, const struct sf_addr *addr, enum sf_family family, int socktype,
               int protocol, int timeout_ms)
{
    struct addrinfo *res, *ai;
    int64_t deadline = sf_deadline_after_ms(timeout_ms);
    int fd = -1;

    if (addr->kind != SF_ADDR_INET) {
        struct sockaddr_un sun;
        socklen_t len = sf_addr_to_sun(addr, &sun);
        return connect_one(err, (struct sockaddr *)&sun, len, socktype, 0, deadline, addr->text);
    }
    if (resolve(err, addr, family, socktype, 0, &res) < 0)
        return -1;
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd =
            connect_one(err, ai->ai_addr, ai->ai_addrlen, socktype, protocol, deadline, addr->text);
        if (fd < 0 && err && err->kind == SF_ERR_TIMEOUT)
            break;
    }
    freeaddrinfo(res);
    return fd;
}

static size_t format_unix(const struct sockaddr_un *sun, socklen_t len, char *buf, size_t cap)
{
    size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                      ? (size_t)len - offsetof(struct sockaddr_un, sun_path)
                      : 0;
    char name[4 * sizeof(sun->sun_path) + 1];

    if (plen > sizeof(sun->sun_path))
        plen = sizeof(sun->sun_path);
    if (plen == 0)
        return (size_t)snprintf(buf, cap, "unix:(unnamed)");
    if (sun->sun_path[0] == '\0') {
        sf_escape(sun->sun_path + 1, plen - 1, name, sizeof(name));
        return (size_t)snprintf(buf, cap, "@%s", name);
    }
    sf_escape(sun->sun_path, strnlen(sun->sun_path, plen), name, sizeof(name));
    return (size_t)snprintf(buf, cap, "unix:%s", name);
}

size_t sf_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (sa->sa_family == AF_UNIX)
        return format_unix((const struct sockaddr_un *)sa, len, buf, cap);
    if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return (size_t)snprintf(buf, cap, "(family %d)", sa->sa_family);
    return (size_t)snprintf(buf, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
}

size_t sf_sockaddr_pytuple(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
    char host[NI_MAXHOST];

    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path)
                          ? (size_t)len - offsetof(struct sockaddr_un, sun_path)
                          : 0;
        if (plen > 0 && sun->sun_path[0] != '\0')
            plen = strnlen(sun->sun_path, plen);
        return sf_repr(sun->sun_path, plen, buf, cap);
    }
    if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
        return (size_t)snprintf(buf, cap, "(family %d)", sa->sa_family);
    if (sa->sa_family == AF_INET)
        return (size_t)snprintf(buf, cap, "('%s', %u)", host,
                                ntohs(((const struct sockaddr_in *)sa)->sin_port));
    const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
    /* Python shows the bare address and the scope id as a number. */
    char *pct = strchr(host, '%');
    if (pct)
        *pct = '\0';
    return (size_t)snprintf(buf, cap, "('%s', %u, %u, %u)", host, ntohs(s6->sin6_port),
                            (unsigned)ntohl(s6->sin6_flowinfo), (unsigned)s6->sin6_scope_id);
}

size_t sf_sockaddr_host(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
    char host[NI_MAXHOST];

    if (getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
        return (size_t)snprintf(buf, cap, "(family %d)", sa->sa_family);
    return (size_t)snprintf(buf, cap, "%s", host);
}

int sf_local_address(struct sf_err *err, int fd, char *buf, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return sf_err_sys(err, errno, "getsockname", NULL);
    sf_sockaddr_format((struct sockaddr *)&ss, len, buf, cap);
    return 0;
}

int sf_dgram_socket(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                    struct sockaddr_storage *dest, socklen_t *destlen)
{
    int fd;

    if (addr->kind != SF_ADDR_INET) {
        struct sockaddr_un *sun = (struct sockaddr_un *)dest;
        *destlen = sf_addr_to_sun(addr, sun);
        fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        return fd < 0 ? sf_err_sys(err, errno, "socket", addr->text) : fd;
    }
    if (sf_resolve_first(err, addr, family, dest, destlen) < 0)
        return -1;
    fd = socket(dest->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return fd < 0 ? sf_err_sys(err, errno, "socket", addr->text) : fd;
}

int sf_resolve_first(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                     struct sockaddr_storage *dest, socklen_t *destlen)
{
    struct addrinfo *res;

    if (resolve(err, addr, family, SOCK_DGRAM, 0, &res) < 0)
        return -1;
    /* No handshake tells which address answers: the first one is used. */
    memcpy(dest, res->ai_addr, res->ai_addrlen);
    *destlen = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int sf_sockaddr_equal(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                      socklen_t blen)
{
    if (a->sa_family != b->sa_family)
        return 0;
    if (a->sa_family == AF_INET) {
        const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
        return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
    }
    if (a->sa_family == AF_INET6) {
        const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
        return x->sin6_port == y->sin6_port &&
               memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
    }
    if (a->sa_family == AF_UNIX) {
        char x[SF_ADDR_TEXT_MAX], y[SF_ADDR_TEXT_MAX];
        /* Path lengths may or may not count the NUL: compare the names. */
        sf_sockaddr_format(a, alen, x, sizeof(x));
        sf_sockaddr_format(b, blen, y, sizeof(y));
        return strcmp(x, y) == 0;
    }
    return 0;
}

size_t sf_dgram_max_payload(int sa_family)
{
    /* 65535 less the IPv4 header (20) and UDP's 8; IPv6's header is not counted in it. */
    return sa_family == AF_INET6 ? 65527 : 65507;
}
