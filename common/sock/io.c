/* io: deadlines and complete sends/receives; see io.h. */
#include "io.h"

#include <errno.h>
#include <linux/sock_diag.h>
#include <poll.h>
#include <time.h>

int64_t sf_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sf_deadline_after_ms(int64_t ms)
{
    if (ms < 0)
        return SF_NO_DEADLINE;
    return sf_now_ns() + ms * 1000000;
}

int sf_deadline_poll_ms(int64_t deadline)
{
    int64_t left;

    if (deadline == SF_NO_DEADLINE)
        return -1;
    left = deadline - sf_now_ns();
    if (left <= 0)
        return 0;
    /* Round up, so a wait never ends just before its deadline. */
    left = (left + 999999) / 1000000;
    return left > 1000000000 ? 1000000000 : (int)left;
}

static int spinning; /* sf_io_spin: the process's choice, made once at its start */

void sf_io_spin(int on)
{
    spinning = on != 0;
}

int sf_io_spinning(void)
{
    return spinning;
}

int sf_wait_fd(struct sf_err *err, int fd, short events, int64_t deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};

    if (spinning)
        return deadline == SF_NO_DEADLINE || sf_now_ns() < deadline;
    for (;;) {
        int ms = sf_deadline_poll_ms(deadline);
        int n = poll(&pfd, 1, ms);
        if (n > 0)
            return 1;
        if (n == 0 && ms == 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return sf_err_sys(err, errno, "poll", NULL);
        /* EINTR, or poll woke a little early: recompute what is left. */
    }
}

static int timed_out(struct sf_err *err, const char *op)
{
    return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, op, "timed out");
}

/*
 * After a call failed with errno: 0 to try it again (EINTR, or the fd
 * became ready before the deadline), or -1 with err set.  A blocking call
 * (blocked) that came back EAGAIN was ended by the socket's SO_RCVTIMEO
 * or SO_SNDTIMEO: past the deadline that is the timeout, before it (an
 * early end) the wait goes on in poll.
 */
static int wait_again(struct sf_err *err, int fd, short events, int64_t deadline, const char *op,
                      int blocked)
{
    if (errno == EINTR)
        return 0;
    if (errno != EAGAIN && errno != EWOULDBLOCK)
        return sf_err_sys(err, errno, op, NULL);
    if (blocked && sf_now_ns() >= deadline)
        return timed_out(err, op);
    int ready = sf_wait_fd(err, fd, events, deadline);
    if (ready < 0)
        return -1;
    return ready ? 0 : timed_out(err, op);
}

/* The flags of a call: blocking only where the socket's own timeout bounds it (timed). */
static int dontwait(int timed)
{
    return timed ? 0 : MSG_DONTWAIT;
}

int sf_send_all(struct sf_err *err, int fd, const void *buf, size_t len, int64_t deadline,
                int timed)
{
    const char *p = buf;

    for (; len > 0; timed = 0) { /* after a blocking try, the polling way: the deadline holds */
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | dontwait(timed));
        if (n >= 0) {
            p += n;
            len -= (size_t)n;
        } else if (wait_again(err, fd, POLLOUT, deadline, "send", timed) < 0) {
            return -1;
        }
    }
    return 0;
}

int sf_send_dgram(struct sf_err *err, int fd, const void *buf, size_t len,
                  const struct sockaddr *dest, socklen_t destlen, int64_t deadline, int timed)
{
    for (;; timed = 0) { /* after a blocking try, the polling way */
        if (sendto(fd, buf, len, MSG_NOSIGNAL | dontwait(timed), dest, dest ? destlen : 0) >= 0)
            return 0;
        if (wait_again(err, fd, POLLOUT, deadline, "send", timed) < 0)
            return -1;
    }
}

ssize_t sf_recv_some(struct sf_err *err, int fd, void *buf, size_t cap, int64_t deadline, int timed)
{
    for (;; timed = 0) {
        ssize_t n = recv(fd, buf, cap, dontwait(timed));
        if (n >= 0)
            return n;
        if (wait_again(err, fd, POLLIN, deadline, "recv", timed) < 0)
            return -1;
    }
}

ssize_t sf_recv_dgram(struct sf_err *err, int fd, void *buf, size_t cap, int64_t deadline,
                      size_t *full, struct sockaddr_storage *from, socklen_t *fromlen, int timed)
{
    for (;; timed = 0) {
        socklen_t len = sizeof(struct sockaddr_storage);
        /* MSG_TRUNC makes recvfrom return the datagram's real length. */
        ssize_t n = recvfrom(fd, buf, cap, dontwait(timed) | MSG_TRUNC, (struct sockaddr *)from,
                             from ? &len : NULL);
        if (n >= 0) {
            *full = (size_t)n;
            if (fromlen)
                *fromlen = len;
            return (size_t)n > cap ? (ssize_t)cap : n;
        }
        if (wait_again(err, fd, POLLIN, deadline, "recv", timed) < 0)
            return -1;
    }
}

void sf_sleep_ms(int64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

uint64_t sf_socket_drops(int fd)
{
    uint32_t mem[SK_MEMINFO_VARS] = {0};
    socklen_t len = sizeof(mem);

    if (getsockopt(fd, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
        len <= SK_MEMINFO_DROPS * sizeof(mem[0]))
        return 0;
    return mem[SK_MEMINFO_DROPS];
}
