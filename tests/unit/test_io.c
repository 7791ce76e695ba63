/* Unit tests for common/io on socketpairs: deadlines, EOF, EPIPE, MSG_TRUNC. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

TestSuite(io, .timeout = 10);

/* A reply that never comes ends at the deadline as SF_ERR_TIMEOUT, not a hang. */
Test(io, recv_deadline_times_out)
{
    int sv[2];
    char buf[16];
    struct sf_err err;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int64_t t0 = sf_now_ns();
    cr_expect_eq(sf_recv_some(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(50)), -1);
    cr_expect_eq(err.kind, SF_ERR_TIMEOUT);
    cr_expect_eq(err.sys_errno, ETIMEDOUT);
    cr_expect_geq(sf_now_ns() - t0, 50 * 1000000LL, "returned before the deadline");
}

/* The peer's close reads as 0, and a send to it is EPIPE, never a SIGPIPE death. */
Test(io, eof_and_epipe_without_sigpipe)
{
    int sv[2];
    char buf[16];
    struct sf_err err;

    signal(SIGPIPE, SIG_DFL);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    close(sv[1]);
    cr_expect_eq(sf_recv_some(&err, sv[0], buf, sizeof(buf), SF_NO_DEADLINE), 0);
    cr_expect_eq(sf_send_all(&err, sv[0], "x", 1, SF_NO_DEADLINE), -1);
    cr_expect_eq(err.sys_errno, EPIPE);
}

/* A send larger than the socket buffer waits, then times out if nobody reads. */
Test(io, send_all_full_socket_times_out)
{
    int sv[2];
    struct sf_err err;
    size_t big = 8 << 20;
    char *p = calloc(1, big);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_expect_eq(sf_send_all(&err, sv[0], p, big, sf_deadline_after_ms(50)), -1);
    cr_expect_eq(err.kind, SF_ERR_TIMEOUT);
    free(p);
}

/* A datagram larger than the buffer is truncated and its real size reported. */
Test(io, dgram_truncation_reports_full_size)
{
    int sv[2];
    char msg[3000], buf[1024];
    size_t full = 0;
    struct sf_err err;

    memset(msg, 'a', sizeof(msg));
    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    cr_assert_eq(send(sv[1], msg, sizeof(msg), 0), (ssize_t)sizeof(msg));
    ssize_t n =
        sf_recv_dgram(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(1000), &full, NULL, NULL);
    cr_expect_eq(n, 1024);
    cr_expect_eq(full, 3000);
}

Test(io, deadline_arithmetic)
{
    cr_expect_eq(sf_deadline_poll_ms(SF_NO_DEADLINE), -1);
    cr_expect_eq(sf_deadline_after_ms(-1), SF_NO_DEADLINE);
    cr_expect_eq(sf_deadline_poll_ms(sf_now_ns() - 1), 0);
    int ms = sf_deadline_poll_ms(sf_deadline_after_ms(1000));
    cr_expect(ms > 900 && ms <= 1000, "%d", ms);
}
