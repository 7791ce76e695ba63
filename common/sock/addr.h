/*
 * addr: addresses as users write them, resolved and opened as sockets.
 *
 * Parsing accepts "host:port", "[v6addr]:port", a bare host or IPv6 literal
 * (the port then comes from the caller), "unix:/path" and "@name" (the Linux
 * abstract namespace).  Parsing never resolves; it rejects what cannot fit
 * (a port above 65535, a path too long for sun_path) instead of truncating.
 *
 * Opening resolves with getaddrinfo and tries every result in order, like
 * Stevens' tcp_connect: the first that works wins, and the error reported is
 * the last one seen.  Every socket is SOCK_CLOEXEC.  The caller owns the fd
 * returned; on failure no fd is left open and errno is kept in err.
 */
#ifndef SF_ADDR_H
#define SF_ADDR_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "err.h"

enum sf_addr_kind {
    SF_ADDR_INET,     /* IPv4 or IPv6 host and port */
    SF_ADDR_UNIX,     /* a filesystem path */
    SF_ADDR_ABSTRACT, /* a Linux abstract name (no file) */
};

#define SF_HOST_MAX 253 /* longest DNS name, RFC 1035 */
#define SF_UNIX_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define SF_ADDR_TEXT_MAX 320

struct sf_addr {
    enum sf_addr_kind kind;
    char host[SF_HOST_MAX + 1];      /* INET: name or literal, without brackets */
    char port[6];                    /* INET: "0".."65535" */
    int port_explicit;               /* INET: the text carried its own port */
    char path[SF_UNIX_PATH_MAX + 1]; /* UNIX: the path; ABSTRACT: the name */
    char text[SF_ADDR_TEXT_MAX];     /* as the user wrote it (with the port used) */
};

/* Family choice for resolution: any, or forced by -4 / -6. */
enum sf_family { SF_FAMILY_ANY = 0, SF_FAMILY_V4 = 4, SF_FAMILY_V6 = 6 };

/*
 * Parse `text` into *out.  default_port (may be NULL) is used when the text
 * has none; an INET address without any port is an error.  A port of 0 is
 * accepted only when allow_port0 is set (servers asking for any free port).
 * Returns 0 or -1 (SF_ERR_INVALID).
 */
int sf_addr_parse(struct sf_err *err, const char *text, const char *default_port, int allow_port0,
                  struct sf_addr *out);

/*
 * Open a listening (or, for datagram types, bound) socket of `socktype` on
 * addr.  Listeners get SO_REUSEADDR; IPv6 ones IPV6_V6ONLY, so "::1" never
 * quietly takes IPv4 too.  backlog is passed to listen() for stream and
 * seqpacket.  protocol is socket()'s third argument: 0 for the type's own,
 * IPPROTO_MPTCP for Multipath TCP (a kernel that refuses it is
 * SF_ERR_PEER, with the reason and the sysctl in the message).  AF_UNIX
 * addresses ignore it.  Returns the fd or -1.
 */
int sf_listen(struct sf_err *err, const struct sf_addr *addr, enum sf_family family, int socktype,
              int protocol, int backlog);

/*
 * Open a socket of `socktype` connected to addr, trying every resolved
 * address until one accepts, within timeout_ms overall (non-blocking
 * connect, poll, SO_ERROR; -1 = no limit).  The fd returned is blocking.
 * A timeout is SF_ERR_TIMEOUT with errno ETIMEDOUT.  protocol: as for
 * sf_listen().  Returns the fd or -1.
 */
int sf_connect(struct sf_err *err, const struct sf_addr *addr, enum sf_family family, int socktype,
               int protocol, int timeout_ms);

/*
 * Open an unconnected datagram socket for sending to addr: resolve it, take
 * the first result, and return a socket of that family (the caller owns it)
 * with the destination in *dest.  Returns the fd or -1.
 */
int sf_dgram_socket(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                    struct sockaddr_storage *dest, socklen_t *destlen);

/* Resolve addr and keep the first result (for connectionless sockets).  0 or -1. */
int sf_resolve_first(struct sf_err *err, const struct sf_addr *addr, enum sf_family family,
                     struct sockaddr_storage *dest, socklen_t *destlen);

/* Do two socket addresses name the same endpoint (family, address, port, path)? */
int sf_sockaddr_equal(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                      socklen_t blen);

/* The largest UDP payload: 65507 over IPv4, 65527 over IPv6 (no jumbograms). */
size_t sf_dgram_max_payload(int sa_family);

/*
 * Format a socket address numerically: "127.0.0.1:40123", "[::1]:40123",
 * "unix:/path", "@name", "unix:(unnamed)".  Always NUL-terminates; returns
 * the length the full text needs (like snprintf).
 */
size_t sf_sockaddr_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap);

/*
 * Format a peer the way Python 2's socket module shows it, for the
 * tutorial's "Server connected by ..." line: ('127.0.0.1', 43122) for IPv4,
 * ('::1', 43122, 0, 0) for IPv6 (flowinfo, scope id), 'path' for AF_UNIX.
 */
size_t sf_sockaddr_pytuple(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap);

/* Only the numeric host of an IPv4/IPv6 address: "127.0.0.1", "::1" (no port). */
size_t sf_sockaddr_host(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap);

/* Format the local address of fd (getsockname) into buf.  Returns 0 or -1. */
int sf_local_address(struct sf_err *err, int fd, char *buf, size_t cap);

/* Fill a sockaddr_un for a UNIX or ABSTRACT addr; returns its length. */
socklen_t sf_addr_to_sun(const struct sf_addr *addr, struct sockaddr_un *sun);

#endif
