/* bare: channels, exact I/O and pinned children for the floors; see bare.h. */
#include "bare.h"

#include "io.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

int bare_is_record(enum floor_kind kind)
{
    return kind == FLOOR_DGRAM || kind == FLOOR_SEQPACKET || kind == FLOOR_UDP ||
           kind == FLOOR_UDP_SERVER || kind == FLOOR_DGRAM_SERVER;
}

void bare_stall_limit(int fd)
{
    struct timeval tv = {.tv_sec = BARE_STALL_S};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* A loopback listener on port 0 (TCP) or a bound socket (UDP); its address into a. */
int bare_loopback(int type, struct sockaddr_in *a)
{
    socklen_t len = sizeof(*a);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
        (type == SOCK_STREAM && listen(fd, 128) < 0) ||
        getsockname(fd, (struct sockaddr *)a, &len) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int tcp_pair(int out[2])
{
    struct sockaddr_in a;
    int one = 1, l = bare_loopback(SOCK_STREAM, &a);

    out[0] = l < 0 ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (out[0] < 0 || connect(out[0], (struct sockaddr *)&a, sizeof(a)) < 0 ||
        (out[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        if (l >= 0)
            close(l);
        return -1;
    }
    close(l);
    setsockopt(out[1], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* as our servers do */
    return 0;
}

static int udp_pair(int out[2])
{
    struct sockaddr_in a, b;

    out[0] = bare_loopback(SOCK_DGRAM, &a);
    out[1] = out[0] < 0 ? -1 : bare_loopback(SOCK_DGRAM, &b);
    if (out[1] < 0 || connect(out[0], (struct sockaddr *)&b, sizeof(b)) < 0 ||
        connect(out[1], (struct sockaddr *)&a, sizeof(a)) < 0)
        return -1;
    return 0;
}

/* A UDP server socket (out[1]: bound, unconnected) and a client connected to it (out[0]). */
static int udp_server_pair(int out[2])
{
    struct sockaddr_in a;

    out[1] = bare_loopback(SOCK_DGRAM, &a);
    out[0] = out[1] < 0 ? -1 : socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    return out[0] < 0 || connect(out[0], (struct sockaddr *)&a, sizeof(a)) < 0 ? -1 : 0;
}

/* An AF_UNIX datagram server bound to an abstract name of this process, a client connected. */
static int dgram_server_pair(int out[2])
{
    static unsigned serial;
    struct sockaddr_un a = {.sun_family = AF_UNIX}, c = {.sun_family = AF_UNIX};
    int n = snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "sockfam-floor-%d-%u", (int)getpid(),
                     serial++);
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);

    out[1] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    out[0] = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (out[0] < 0 || out[1] < 0 || bind(out[1], (struct sockaddr *)&a, len) < 0 ||
        bind(out[0], (struct sockaddr *)&c, sizeof(sa_family_t)) < 0 || /* autobind */
        connect(out[0], (struct sockaddr *)&a, len) < 0)
        return -1;
    return 0;
}

/* The two ends: fds[0]/[1] the parent's write/read, [2]/[3] the child's read/write. */
int bare_channel(enum floor_kind kind, int fds[4])
{
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
    int a[2] = {-1, -1}, b[2];

    if (kind == FLOOR_PIPE) {
        if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
            return -1;
        fds[0] = a[1], fds[2] = a[0], fds[3] = b[1], fds[1] = b[0];
        return 0;
    }
    if (kind == FLOOR_TCP            ? tcp_pair(a) < 0
        : kind == FLOOR_UDP          ? udp_pair(a) < 0
        : kind == FLOOR_UDP_SERVER   ? udp_server_pair(a) < 0
        : kind == FLOOR_DGRAM_SERVER ? dgram_server_pair(a) < 0
                                     : socketpair(AF_UNIX, types[kind] | SOCK_CLOEXEC, 0, a) < 0)
        return -1;
    bare_stall_limit(a[1]); /* a server end's (the child's) own blocking calls too */
    bare_stall_limit(a[0]);
    fds[0] = fds[1] = a[0];
    fds[2] = fds[3] = a[1];
    return 0;
}

static int spinning; /* bare_spin: the floors' round trips busy-poll */

void bare_spin(int on)
{
    spinning = on != 0;
}

int bare_spinning(void)
{
    return spinning;
}

void bare_spin_fds(const int fds[4])
{
    for (int i = 0; spinning && i < 4; i++)
        fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
}

int bare_spin_again(int64_t start_ns)
{
    return (errno == EAGAIN || errno == EWOULDBLOCK) && spinning &&
           sf_now_ns() - start_ns < (int64_t)BARE_STALL_S * 1000000000;
}

/* Read exactly len bytes (or one record); 0, or -1 on EOF, error or stall. */
int bare_read(int fd, char *buf, size_t len, int record)
{
    int64_t start = spinning ? sf_now_ns() : 0;

    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && (errno == EINTR || bare_spin_again(start)))
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
        if (record)
            return got == len ? 0 : -1;
    }
    return 0;
}

int bare_write(int fd, const char *buf, size_t len)
{
    int64_t start = spinning ? sf_now_ns() : 0;

    for (size_t put = 0; put < len;) {
        ssize_t n = write(fd, buf + put, len - put);
        if (n < 0 && (errno == EINTR || bare_spin_again(start)))
            continue;
        if (n <= 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

void bare_close(int a, int b)
{
    close(a);
    if (b != a)
        close(b);
}

/* fork a child pinned to pl->child that runs fn and exits; the parent is pinned to pl->self. */
pid_t bare_fork(const struct place *pl, void (*fn)(const int *fds, size_t size), const int *fds,
                size_t size)
{
    pid_t pid = fork();

    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        bare_close(fds[0], fds[1]); /* only the parent's ends: so EOF reaches the child */
        if (pl->child >= 0)
            sf_cpu_pin(NULL, pl->cpus, pl->child);
        fn(fds, size);
        _exit(0);
    }
    if (pid > 0 && pl->self >= 0)
        sf_cpu_pin(NULL, pl->cpus, pl->self);
    return pid;
}

/* Stop and reap the child (a datagram child never sees EOF), unpin the parent. */
void bare_end(const struct place *pl, pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    sf_cpu_pin(NULL, pl->cpus, -1);
}
