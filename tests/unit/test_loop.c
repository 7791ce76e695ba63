/* Unit tests for common/loop: readiness, deadlines, removal from a callback. */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "loop.h"

TestSuite(loop, .timeout = 10);

struct seen {
    int reads, timeouts;
};

static void on_fd(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct seen *s = ctx;
    char buf[16];

    if (events & SF_EV_TIMEOUT) {
        s->timeouts++;
        sf_loop_remove(loop, fd);
        return;
    }
    if (read(fd, buf, sizeof(buf)) > 0)
        s->reads++;
    sf_loop_stop(loop);
}

/* A callback that leaves its fd readable (a flood that never ends). */
static void on_busy(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    (void)loop, (void)fd, (void)events, (void)ctx;
}

/* A readable fd gets its callback; the run ends when a callback stops it. */
Test(loop, readable_fd_dispatched)
{
    int sv[2];
    struct seen s = {0};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert(loop);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_fd, &s), 0);
    cr_assert_eq(write(sv[1], "x", 1), 1);
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    cr_expect_eq(s.reads, 1);
    sf_loop_free(loop);
}

/* A deadline fires once; removing the last watcher ends the run. */
Test(loop, deadline_fires_and_empty_loop_returns)
{
    int sv[2];
    struct seen s = {0};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_fd, &s), 0);
    sf_loop_set_deadline(loop, sv[0], sf_deadline_after_ms(20));
    int64_t t0 = sf_now_ns();
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    cr_expect_eq(s.timeouts, 1);
    cr_expect_eq(sf_loop_count(loop), 0);
    cr_expect_geq(sf_now_ns() - t0, 20 * 1000000LL);
    sf_loop_free(loop);
}

/* A readable stop descriptor ends the run even while another fd stays readable. */
Test(loop, stop_fd_ends_a_busy_run)
{
    int sv[2], stop[2];
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(pipe(stop), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_busy, NULL), 0);
    cr_assert_eq(write(sv[1], "x", 1), 1); /* never read: readable at every wake-up */
    cr_assert_eq(write(stop[1], "s", 1), 1);
    cr_expect_eq(sf_loop_run(NULL, loop, stop[0]), 0);
    cr_expect(sf_loop_stopped_by_fd(loop));
    cr_expect_eq(sf_loop_count(loop), 1, "the watcher is still there: the stop ended the run");
    sf_loop_free(loop);
}
