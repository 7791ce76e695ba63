/* floor: socketpair and pipe ping-pong between two processes; see floor.h. */
#include "floor.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"

const char *floor_name(enum floor_kind kind)
{
    static const char *names[] = {"socketpair stream", "socketpair dgram", "socketpair seqpacket",
                                  "pipe"};
    return names[kind];
}

int cpus_read(struct cpus *c)
{
    *c = (struct cpus){.first = -1, .second = -1};
    if (sched_getaffinity(0, sizeof(c->allowed), &c->allowed) < 0)
        return -1;
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, &c->allowed))
            continue;
        if (c->n == 0)
            c->first = i;
        else if (c->n == 1)
            c->second = i;
        c->n++;
    }
    return 0;
}

int pin_cpu(const struct cpus *c, int cpu)
{
    cpu_set_t one;

    if (cpu < 0)
        return sched_setaffinity(0, sizeof(c->allowed), &c->allowed);
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof(one), &one);
}

/* Move exactly len bytes (a stream may split them); 0 or -1. */
static int move(int rfd, int wfd, char *buf, size_t len, int record)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = read(rfd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
        if (record)
            break;
    }
    for (size_t put = 0; put < got;) {
        ssize_t n = write(wfd, buf + put, got - put);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        put += (size_t)n;
    }
    return 0;
}

/* The echoing child: read a message, write it back, until EOF. */
static _Noreturn void echo_child(int rfd, int wfd, size_t size, int record, const struct cpus *cpus,
                                 int cpu)
{
    char *buf = malloc(size ? size : 1);

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (cpu >= 0)
        pin_cpu(cpus, cpu);
    while (buf && move(rfd, wfd, buf, size, record) == 0)
        ;
    _exit(0);
}

/* One round trip from the parent's side, timed; -1 on a short or failed transfer. */
static int bounce(int wfd, int rfd, char *out, char *in, size_t size, int record, double *us)
{
    int64_t t0 = sf_now_ns();
    size_t got = 0;

    if (write(wfd, out, size) != (ssize_t)size)
        return -1;
    while (got < size) {
        ssize_t n = read(rfd, in + got, size - got);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        if (record)
            break;
    }
    *us = (double)(sf_now_ns() - t0) / 1e3;
    return got == size ? 0 : -1;
}

/* The two ends: fds[0]/[1] the parent's write/read, [2]/[3] the child's read/write. */
static int channel(enum floor_kind kind, int fds[4])
{
    int a[2], b[2];
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

    if (kind == FLOOR_PIPE) {
        if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
            return -1;
        fds[0] = a[1], fds[2] = a[0], fds[3] = b[1], fds[1] = b[0];
        return 0;
    }
    if (socketpair(AF_UNIX, types[kind] | SOCK_CLOEXEC, 0, a) < 0)
        return -1;
    fds[0] = fds[1] = a[0];
    fds[2] = fds[3] = a[1];
    return 0;
}

static void close_pair(int a, int b)
{
    close(a);
    if (b != a)
        close(b);
}

int floor_run(enum floor_kind kind, size_t size, unsigned long warmup, unsigned long count,
              const struct cpus *cpus, int cpu_self, int cpu_child, struct sf_stats *s,
              struct sf_err *err)
{
    int fds[4], record = kind == FLOOR_DGRAM || kind == FLOOR_SEQPACKET, rc = 0;
    char *out = malloc(size ? size : 1), *in = malloc(size ? size : 1);
    pid_t pid;

    if (!out || !in || channel(kind, fds) < 0) {
        free(out), free(in);
        return sf_err_sys(err, errno ? errno : ENOMEM, "floor", floor_name(kind));
    }
    memset(out, 'f', size);
    pid = fork();
    if (pid == 0) {
        close_pair(fds[0], fds[1]); /* the child keeps only its own ends: EOF reaches it */
        echo_child(fds[2], fds[3], size, record, cpus, cpu_child);
    }
    close_pair(fds[2], fds[3]);
    if (cpu_self >= 0)
        pin_cpu(cpus, cpu_self);
    for (unsigned long i = 0; pid > 0 && rc == 0 && i < warmup + count; i++) {
        double us;
        rc = bounce(fds[0], fds[1], out, in, size, record, &us);
        if (rc == 0 && i >= warmup)
            rc = sf_stats_add(err, s, us);
    }
    if (pid < 0 || rc < 0)
        rc = sf_err_sys(err, pid < 0 ? errno : EIO, "floor", floor_name(kind));
    close_pair(fds[0], fds[1]);
    if (pid > 0) { /* a datagram child never sees EOF: stop it by its pid */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    pin_cpu(cpus, -1);
    free(out), free(in);
    return rc;
}
