/*
 * Unit tests for common/io and common/xchg on socketpairs: deadlines, EOF,
 * EPIPE, MSG_TRUNC; the send and recv halves of an exchange, with the test
 * as the server.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io.h"
#include "xchg.h"

TestSuite(io, .timeout = 10);

/* A reply that never comes ends at the deadline as SF_ERR_TIMEOUT, not a hang. */
Test(io, recv_deadline_times_out)
{
    int sv[2];
    char buf[16];
    struct sf_err err;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    int64_t t0 = sf_now_ns();
    cr_expect_eq(sf_recv_some(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(50), 0), -1);
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
    cr_expect_eq(sf_recv_some(&err, sv[0], buf, sizeof(buf), SF_NO_DEADLINE, 0), 0);
    cr_expect_eq(sf_send_all(&err, sv[0], "x", 1, SF_NO_DEADLINE, 0), -1);
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
    cr_expect_eq(sf_send_all(&err, sv[0], p, big, sf_deadline_after_ms(50), 0), -1);
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
    ssize_t n = sf_recv_dgram(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(1000), &full,
                              NULL, NULL, 0);
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

/* Write all of text to fd (a socketpair end with room: it never blocks here). */
static void put(int fd, const char *text)
{
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* A stream reply in two chunks, each with its prefix, is one complete echo reply. */
Test(io, stream_reply_in_chunks_is_complete)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;
    char buf[64];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_ECHO, 1000, 0, 0);
    put(sv[1], "echo=> Hel");
    put(sv[1], "echo=> lo");
    cr_assert_eq(sf_xchg_send_stream(&err, &x, sv[0], "Hello", 5), 0, "%s", err.msg);
    cr_assert_eq(sf_xchg_recv_stream(&err, &x, sv[0]), 0, "%s", err.msg);
    cr_expect_eq(x.reply.len, 19);
    cr_expect_eq(memcmp(x.reply.p, "echo=> Helecho=> lo", 19), 0);
    cr_expect_gt(x.rtt_ns, 0);
    cr_expect_eq(read(sv[1], buf, sizeof(buf)), 5, "the message was sent whole");
    sf_xchg_free(&x);
}

/* Bytes that cannot be the reply, or a close mid-reply, are SF_ERR_PEER errors. */
Test(io, stream_wrong_or_cut_reply_is_peer_error)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_ECHO, 1000, 0, 0);
    put(sv[1], "Hello");
    cr_assert_eq(sf_xchg_send_stream(&err, &x, sv[0], "Hello", 5), 0, "%s", err.msg);
    cr_expect_eq(sf_xchg_recv_stream(&err, &x, sv[0]), -1);
    cr_expect_eq(err.kind, SF_ERR_PEER);
    cr_expect(strstr(err.msg, "unexpected reply (5 bytes, starting 'Hello')"), "%s", err.msg);

    put(sv[1], "echo=> He");
    shutdown(sv[1], SHUT_WR);
    cr_assert_eq(sf_xchg_send_stream(&err, &x, sv[0], "Hello", 5), 0);
    cr_expect_eq(sf_xchg_recv_stream(&err, &x, sv[0]), -1);
    cr_expect_eq(err.kind, SF_ERR_PEER);
    cr_expect(strstr(err.msg, "closed the connection mid-reply (9 bytes)"), "%s", err.msg);
    sf_xchg_free(&x);
}

/* welcome: the reply ends at the server's close, not at its last byte. */
Test(io, stream_welcome_reply_ends_at_close)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_WELCOME, 1000, 0, 0);
    put(sv[1], SF_WELCOME_YES);
    shutdown(sv[1], SHUT_WR); /* the server's close, as the client sees it */
    cr_assert_eq(sf_xchg_send_stream(&err, &x, sv[0], "1", 1), 0, "%s", err.msg);
    cr_assert_eq(sf_xchg_recv_stream(&err, &x, sv[0]), 0, "%s", err.msg);
    cr_expect_eq(x.reply.len, strlen(SF_WELCOME_YES));
    sf_xchg_free(&x);
}

/* A peer that reads nothing: the send half ends at the deadline, "no room to send". */
Test(io, stream_send_full_socket_times_out)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;
    size_t big = 8 << 20;
    char *p = calloc(1, big);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_MIRROR, 50, 0, 0);
    cr_expect_eq(sf_xchg_send_stream(&err, &x, sv[0], p, big), -1);
    cr_expect_eq(err.kind, SF_ERR_TIMEOUT);
    cr_expect(strstr(err.msg, "no room to send within 0.05 s"), "%s", err.msg);
    cr_expect_lt(x.sent, big);
    sf_xchg_free(&x);
    free(p);
}

/* discard: nothing to receive; the recv half reads nothing and returns at once. */
Test(io, discard_recv_reads_nothing)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;
    char buf[16];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_DISCARD, 1000, 0, 0);
    put(sv[1], "left");
    cr_assert_eq(sf_xchg_send_stream(&err, &x, sv[0], "drop", 4), 0);
    cr_expect_eq(sf_xchg_recv_stream(&err, &x, sv[0]), 0);
    cr_expect_eq(x.reply.len, 0);
    cr_expect_eq(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), 4, "the bytes are still there");
    sf_xchg_free(&x);
}

/* No reply record: the message is sent 1 + retries times, then the exchange is lost, not failed. */
Test(io, record_lost_after_retries_even_without_err)
{
    int sv[2];
    struct sf_xchg x;
    char buf[16];
    int got = 0;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_ECHO, 20, 2, 64);
    cr_assert_eq(sf_xchg_send_record(NULL, &x, sv[0], "ping", 4), 0);
    cr_expect_eq(sf_xchg_recv_record(NULL, &x, sv[0]), 0);
    cr_expect(x.res.lost);
    cr_expect_eq(x.res.resent, 2);
    while (recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == 4)
        got++;
    cr_expect_eq(got, 3);
    sf_xchg_free(&x);
}

/* A late reply to an earlier message is skipped; the reply to this one is taken. */
Test(io, record_stale_reply_skipped)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_ECHO, 1000, 0, 64);
    put(sv[1], "echo=> old");
    put(sv[1], "echo=> new");
    cr_assert_eq(sf_xchg_send_record(&err, &x, sv[0], "new", 3), 0, "%s", err.msg);
    cr_assert_eq(sf_xchg_recv_record(&err, &x, sv[0]), 0, "%s", err.msg);
    cr_expect_eq(x.reply.len, 10);
    cr_expect_eq(memcmp(x.reply.p, "echo=> new", 10), 0);
    cr_expect(!x.res.lost && !x.res.truncated && !x.res.short_reply);
    sf_xchg_free(&x);
}

/* A reply record larger than recv_size: truncated, with its real size; a proper start: short. */
Test(io, record_truncated_and_short_replies)
{
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_MIRROR, 1000, 0, 8);
    put(sv[1], "0123456789abcdef");
    cr_assert_eq(sf_xchg_send_record(&err, &x, sv[0], "0123456789abcdef", 16), 0);
    cr_assert_eq(sf_xchg_recv_record(&err, &x, sv[0]), 0, "%s", err.msg);
    cr_expect(x.res.truncated);
    cr_expect_eq(x.res.full, 16);
    cr_expect_eq(x.reply.len, 8);

    sf_xchg_init(&x, SF_MODE_MIRROR, 1000, 0, 64); /* x.reply is kept: 8 bytes, grown here */
    put(sv[1], "0123");
    cr_assert_eq(sf_xchg_send_record(&err, &x, sv[0], "0123456789abcdef", 16), 0);
    cr_assert_eq(sf_xchg_recv_record(&err, &x, sv[0]), 0, "%s", err.msg);
    cr_expect(x.res.short_reply && !x.res.truncated);
    cr_expect_eq(x.reply.len, 4);
    sf_xchg_free(&x);
}

/* On seqpacket an empty read is the server's close, not an empty reply. */
Test(io, record_seqpacket_close_is_peer_error)
{
    char buf[16];
    int sv[2];
    struct sf_err err;
    struct sf_xchg x;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    sf_xchg_init(&x, SF_MODE_ECHO, 1000, 0, 64);
    cr_assert_eq(sf_xchg_send_record(&err, &x, sv[0], "x", 1), 0);
    /* read first: closing on unread data would be a reset (ECONNRESET), not a close */
    cr_assert_eq(recv(sv[1], buf, sizeof(buf), 0), 1);
    close(sv[1]);
    cr_expect_eq(sf_xchg_recv_record(&err, &x, sv[0]), -1);
    cr_expect_eq(err.kind, SF_ERR_PEER);
    cr_expect(strstr(err.msg, "closed the connection without replying"), "%s", err.msg);
    sf_xchg_free(&x);
}

/*
 * timed: on a blocking socket whose SO_RCVTIMEO is the wait, the first
 * recv blocks in the kernel; the timeout it ends with is SF_ERR_TIMEOUT,
 * never before the deadline, and a datagram that is there is read at once.
 */
Test(io, timed_receive_blocks_in_the_kernel_until_the_deadline)
{
    struct timeval tv = {0, 50000};
    struct sf_err err;
    char buf[16];
    size_t full;
    int sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    int64_t deadline = sf_deadline_after_ms(50);
    cr_expect_eq(sf_recv_dgram(&err, sv[0], buf, sizeof(buf), deadline, &full, NULL, NULL, 1), -1);
    cr_expect_eq(err.kind, SF_ERR_TIMEOUT, "%s", err.msg);
    cr_expect_geq(sf_now_ns(), deadline, "ended before its deadline");
    cr_assert_eq(send(sv[1], "abc", 3, 0), 3);
    cr_expect_eq(sf_recv_dgram(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(1000), &full,
                               NULL, NULL, 1),
                 3);
    cr_expect_eq(sf_send_all(&err, sv[1], "x", 1, SF_NO_DEADLINE, 1), 0);
    cr_expect_eq(sf_recv_some(&err, sv[0], buf, sizeof(buf), sf_deadline_after_ms(1000), 1), 1);
    close(sv[0]);
    close(sv[1]);
}

/*
 * The peer's end of burst_reply_checked_against_the_whole_burst: once the
 * client has read the reply written ahead, read all it sends.  With its
 * send buffer at the least the kernel allows, fd is writable again only
 * when nothing it wrote is left unread (a unix stream socket counts its
 * unread bytes against its sender), so poll for that, within 5 s.
 */
static void early_replier(int fd)
{
    char buf[65536];
    int least = 1;
    struct pollfd pf = {.fd = fd, .events = POLLOUT};

    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &least, sizeof(least)) < 0 || poll(&pf, 1, 5000) != 1)
        _exit(2);
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    _exit(0);
}

/*
 * A stream burst's reply is checked against every message of the burst: a
 * peer that wrote the first message's mirror before it was sent (read by
 * the send half, complete for that message alone) and then closed has not
 * answered the second one, and the burst ends "mid-reply".
 */
Test(io, burst_reply_checked_against_the_whole_burst)
{
    static char first[65536];
    int sv[2], small = 4096, status = 0;
    struct sf_err err;
    struct sf_xchg x;

    memset(first, 'm', sizeof(first));
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
    cr_assert_eq(write(sv[1], first, sizeof(first)), (ssize_t)sizeof(first)); /* ahead */
    cr_assert_eq(shutdown(sv[1], SHUT_WR), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(sv[0]);
        early_replier(sv[1]);
    }
    close(sv[1]);
    sf_xchg_init(&x, SF_MODE_MIRROR, 5000, 0, 0);
    sf_xchg_burst_begin(&x);
    cr_assert_eq(sf_xchg_burst_send_stream(&err, &x, sv[0], first, sizeof(first)), 0, "%s",
                 err.msg);
    cr_expect_eq(x.reply.len, sizeof(first), "the send half read the early reply");
    cr_assert_eq(sf_xchg_burst_send_stream(&err, &x, sv[0], "CD", 2), 0, "%s", err.msg);
    cr_expect_eq(sf_xchg_burst_recv_stream(&err, &x, sv[0]), -1);
    cr_expect_eq(err.kind, SF_ERR_PEER);
    cr_expect(strstr(err.msg, "mid-reply"), "%s", err.msg);
    close(sv[0]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the peer: status %d", status);
    sf_xchg_free(&x);
}
