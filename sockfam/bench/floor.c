/* floor: bare-socket transfers between two processes; see floor.h. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "bare.h"
#include "icmp.h"
#include "io.h"
#include "ping.h"

const char *floor_name(enum floor_kind kind)
{
    static const char *names[] = {
        "socketpair stream", "socketpair dgram", "socketpair seqpacket", "pipe",     "tcp bare",
        "udp bare",          "udp server",       "unix-dgram server",    "icmp bare"};
    return names[kind];
}

int floor_reference(enum floor_kind kind)
{
    return kind == FLOOR_UDP_SERVER ? FLOOR_UDP : kind == FLOOR_DGRAM_SERVER ? FLOOR_DGRAM : -1;
}

static void echo_child(const int *fds, size_t size)
{
    char *buf = malloc(size);

    while (buf && bare_read(fds[2], buf, size, 0) == 0 && bare_write(fds[3], buf, size) == 0)
        ;
}

/* A server's echo: each datagram back to where it came from. */
static void echo_server_child(const int *fds, size_t size)
{
    char *buf = malloc(size);
    struct sockaddr_storage from;
    socklen_t len = sizeof(from);
    ssize_t n;

    for (int64_t start = sf_now_ns(); buf;) {
        n = recvfrom(fds[2], buf, size, 0, (struct sockaddr *)&from, &len);
        if (n < 0 && bare_spin_again(start))
            continue;
        if (n <= 0 || sendto(fds[2], buf, (size_t)n, 0, (struct sockaddr *)&from, len) != n)
            return;
        len = sizeof(from), start = sf_now_ns();
    }
}

static int icmp_pingpong(struct sf_err *err, size_t size, unsigned long warmup, unsigned long count,
                         const struct place *pl, struct sf_stats *s);

int floor_pingpong(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long warmup,
                   unsigned long count, const struct place *pl, struct sf_stats *s)
{
    int fds[4], rc = 0, record = bare_is_record(kind);
    char *out = malloc(size), *in = malloc(size);
    pid_t pid = -1;

    if (kind == FLOOR_ICMP) {
        free(out), free(in);
        return icmp_pingpong(err, size, warmup, count, pl, s);
    }
    if (!out || !in || bare_channel(kind, fds) < 0) {
        free(out), free(in);
        return sf_err_sys(err, errno ? errno : ENOMEM, "floor", floor_name(kind));
    }
    memset(out, 'f', size);
    bare_spin_fds(fds);
    pid = bare_fork(pl, floor_reference(kind) >= 0 ? echo_server_child : echo_child, fds, size);
    bare_close(fds[2], fds[3]);
    for (unsigned long i = 0; pid > 0 && rc == 0 && i < warmup + count; i++) {
        int64_t t0 = sf_now_ns();
        rc = bare_write(fds[0], out, size) < 0 || bare_read(fds[1], in, size, record) < 0 ? -1 : 0;
        if (rc == 0 && i >= warmup)
            rc = sf_stats_add(err, s, (double)(sf_now_ns() - t0) / 1e3);
    }
    if (pid < 0 || rc < 0)
        rc = sf_err_sys(err, pid < 0 || errno ? errno : EIO, "floor", floor_name(kind));
    bare_close(fds[0], fds[1]);
    bare_end(pl, pid);
    free(out), free(in);
    return rc;
}

/* The reply to our request seq, ignoring our own request seen on loopback and others' traffic. */
static int icmp_is_reply(const struct sf_ping *p, const uint8_t *pkt, ssize_t n, uint16_t seq)
{
    size_t off = p->with_ip && n > 0 ? (size_t)(pkt[0] & 0x0f) * 4 : 0;
    const uint8_t *h = pkt + off;

    return n >= (ssize_t)(off + SF_ICMP_HDR) && h[0] == (p->v6 ? 129 : 0) &&
           (p->raw ? (h[4] << 8 | h[5]) == p->id : 1) && (h[6] << 8 | h[7]) == seq;
}

static int icmp_open(struct sf_err *err, struct sf_ping *p)
{
    struct sf_addr addr;

    if (sf_addr_parse(err, "127.0.0.1", "0", 1, &addr) < 0 ||
        sf_ping_open(err, &addr, SF_FAMILY_ANY, p) < 0)
        return -1;
    bare_stall_limit(p->fd);
    return 0;
}

static int icmp_pingpong(struct sf_err *err, size_t size, unsigned long warmup, unsigned long count,
                         const struct place *pl, struct sf_stats *s)
{
    size_t cap = size + SF_ICMP_HDR + 60;
    uint8_t *req = malloc(cap), *in = malloc(cap);
    struct timespec ts = {0};
    struct sf_ping p;
    int rc = 0;

    if (!req || !in || icmp_open(err, &p) < 0) {
        free(req), free(in);
        return req && in ? -1 : sf_err_sys(err, ENOMEM, "floor", "icmp bare");
    }
    if (pl->self >= 0)
        sf_cpu_pin(NULL, pl->cpus, pl->self);
    for (unsigned long i = 0; rc == 0 && i < warmup + count; i++) {
        uint16_t seq = (uint16_t)(i + 1);
        size_t len = sf_icmp_echo_build(req, cap, p.v6, p.id, seq, &ts, size);
        int64_t t0 = sf_now_ns();
        ssize_t n = -1;
        rc = sendto(p.fd, req, len, 0, (struct sockaddr *)&p.dest, p.destlen) == (ssize_t)len ? 0
                                                                                              : -1;
        while (rc == 0 && !icmp_is_reply(&p, in, n, seq))
            if ((n = recv(p.fd, in, cap, 0)) < 0)
                rc = -1;
        if (rc == 0 && i >= warmup)
            rc = sf_stats_add(err, s, (double)(sf_now_ns() - t0) / 1e3);
        else if (rc < 0)
            sf_err_sys(err, errno, "floor", "icmp bare");
    }
    close(p.fd);
    sf_cpu_pin(NULL, pl->cpus, -1);
    free(req), free(in);
    return rc;
}

static void sink_child(const int *fds, size_t size)
{
    char *buf = malloc(size);
    ssize_t n = 1;

    while (buf && (n = read(fds[2], buf, size)) > 0)
        ;
    close(fds[3]); /* the parent's EOF: everything was read */
}

int floor_stream(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                 const struct place *pl, double *seconds)
{
    int fds[4], rc = 0;
    char *out = calloc(1, size), byte;
    pid_t pid = -1;
    int64_t t0;

    if (!out || bare_channel(kind, fds) < 0) {
        free(out);
        return sf_err_sys(err, errno ? errno : ENOMEM, "floor", floor_name(kind));
    }
    pid = bare_fork(pl, sink_child, fds, size);
    bare_close(fds[2], fds[3]);
    t0 = sf_now_ns();
    for (unsigned long i = 0; pid > 0 && rc == 0 && i < count; i++)
        rc = bare_write(fds[0], out, size);
    if (kind == FLOOR_PIPE)
        close(fds[0]), fds[0] = -1;
    else
        shutdown(fds[0], SHUT_WR);
    if (pid < 0 || rc < 0 || read(fds[1], &byte, 1) != 0)
        rc = sf_err_sys(err, pid < 0 || errno ? errno : EIO, "floor", floor_name(kind));
    *seconds = (double)(sf_now_ns() - t0) / 1e9;
    if (fds[0] >= 0)
        close(fds[0]);
    if (fds[1] != fds[0])
        close(fds[1]);
    bare_end(pl, pid);
    free(out);
    return rc;
}

/* Count datagrams until an empty one; then the count and the drops, on the status pipe fds[5]. */
static void count_child(const int *fds, size_t size)
{
    unsigned long long got[2] = {0, 0};
    char *buf = malloc(size);
    ssize_t n;

    while (buf && (n = recv(fds[2], buf, size, 0)) != 0)
        if (n > 0)
            got[0]++;
    got[1] = sf_socket_drops(fds[2]);
    if (write(fds[5], got, sizeof(got)) != sizeof(got))
        _exit(1);
}

/* Send empty datagrams (a lost one is sent again) until the child's counts arrive. */
static int dgram_finish(int fd, int status, struct dgram_rate *out)
{
    int64_t deadline = sf_deadline_after_ms(BARE_STALL_S * 1000);
    unsigned long long got[2];
    struct sf_err err;

    for (;;) { /* waiting first lets the flood drain: a marker into a full queue is a drop */
        int r = sf_wait_fd(&err, status, POLLIN, sf_deadline_after_ms(10));
        if (r > 0 && read(status, got, sizeof(got)) == sizeof(got)) {
            out->received = got[0], out->dropped = got[1];
            return 0;
        }
        if (r < 0 || sf_now_ns() >= deadline)
            return -1;
        send(fd, "", 0, MSG_DONTWAIT);
    }
}

int floor_dgram_rate(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                     const struct place *pl, struct dgram_rate *out)
{
    int fds[6], st[2] = {-1, -1}, rc = 0;
    char *buf = calloc(1, size);
    pid_t pid = -1;
    int64_t t0;

    *out = (struct dgram_rate){0};
    if (!buf || pipe2(st, O_CLOEXEC) < 0 || bare_channel(kind, fds) < 0) {
        free(buf);
        return sf_err_sys(err, errno ? errno : ENOMEM, "floor", floor_name(kind));
    }
    fds[4] = st[0], fds[5] = st[1];
    pid = bare_fork(pl, count_child, fds, size);
    bare_close(fds[2], fds[3]);
    close(st[1]);
    t0 = sf_now_ns();
    for (unsigned long i = 0; pid > 0 && i < count; i++)
        if (send(fds[0], buf, size, 0) == (ssize_t)size)
            out->sent++;
    out->seconds = (double)(sf_now_ns() - t0) / 1e9;
    if (pid < 0 || dgram_finish(fds[0], st[0], out) < 0)
        rc = sf_err_sys(err, pid < 0 ? errno : ETIMEDOUT, "floor", floor_name(kind));
    close(fds[0]);
    close(st[0]);
    bare_end(pl, pid);
    free(buf);
    return rc;
}

int floor_connect_loop(struct sf_err *err, const struct sockaddr *addr, socklen_t len, size_t size,
                       unsigned long count, struct sf_stats *s, double *seconds)
{
    char *out = calloc(1, size), *in = malloc(size);
    int64_t start = sf_now_ns();
    int rc = out && in ? 0 : sf_err_sys(err, ENOMEM, "connect", "buffers");

    for (unsigned long i = 0; rc == 0 && i < count; i++) {
        int64_t t0 = sf_now_ns();
        int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0)
            bare_stall_limit(fd);
        if (fd < 0 || connect(fd, addr, len) < 0 || bare_write(fd, out, size) < 0 ||
            bare_read(fd, in, size, 0) < 0)
            rc = sf_err_sys(err, errno ? errno : EPIPE, "connect, echo, close", "the server");
        if (fd >= 0)
            close(fd);
        if (rc == 0)
            rc = sf_stats_add(err, s, (double)(sf_now_ns() - t0) / 1e3);
    }
    *seconds = (double)(sf_now_ns() - start) / 1e9;
    free(out), free(in);
    return rc;
}

/* Read fd until its end (0) or an error. */
static void read_to_end(int fd, char *buf, size_t size)
{
    for (;;) {
        ssize_t n = read(fd, buf, size);
        if (n == 0 || (n < 0 && errno != EINTR))
            return;
    }
}

/*
 * A bare server: accept, echo size bytes, read the end (the read that
 * returns 0), close; until killed.  It serves the conversation an echo
 * server must: the client, not the server, says when it is over, so the
 * server learns it from a read, as ours does (a server that closed after
 * its reply would skip that read and the wake-up it costs, and would be
 * the floor of another protocol).
 */
static void accept_child(const int *fds, size_t size)
{
    char *buf = malloc(size);

    for (;;) {
        int c = accept4(fds[2], NULL, NULL, SOCK_CLOEXEC);
        if (c < 0 && errno != EINTR && errno != ECONNABORTED)
            return;
        if (c >= 0 && buf && bare_read(c, buf, size, 0) == 0 && bare_write(c, buf, size) == 0)
            read_to_end(c, buf, size);
        if (c >= 0)
            close(c);
    }
}

/* A listening unix stream socket on an abstract name of this process; its address. */
static int unix_listener(struct sockaddr_un *a, socklen_t *len)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int n;

    *a = (struct sockaddr_un){.sun_family = AF_UNIX};
    n = snprintf(a->sun_path + 1, sizeof(a->sun_path) - 1, "sockfam-floor-%d", (int)getpid());
    *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (fd >= 0 && (bind(fd, (struct sockaddr *)a, *len) < 0 || listen(fd, 128) < 0)) {
        close(fd);
        return -1;
    }
    return fd;
}

int floor_connect(struct sf_err *err, enum floor_kind kind, size_t size, unsigned long count,
                  const struct place *pl, struct sf_stats *s, double *seconds)
{
    struct sockaddr_storage a;
    socklen_t len = sizeof(struct sockaddr_in);
    int fds[4] = {-1, -1, -1, -1}, rc;
    pid_t pid;

    fds[2] = kind == FLOOR_TCP ? bare_loopback(SOCK_STREAM, (struct sockaddr_in *)&a)
                               : unix_listener((struct sockaddr_un *)&a, &len);
    if (fds[2] < 0)
        return sf_err_sys(err, errno, "floor", floor_name(kind));
    pid = bare_fork(pl, accept_child, fds, size);
    close(fds[2]);
    rc = pid < 0 ? sf_err_sys(err, errno, "fork", floor_name(kind))
                 : floor_connect_loop(err, (struct sockaddr *)&a, len, size, count, s, seconds);
    bare_end(pl, pid);
    return rc;
}
