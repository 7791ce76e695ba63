/* Unit tests for common/loop: readiness, deadlines, removal from a callback. */
#include <criterion/criterion.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "loop.h"

TestSuite(loop, .timeout = 10);

struct seen {
    int reads, timeouts;
    volatile sig_atomic_t stop;
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
    s->stop = 1;
}

/* A readable fd gets its callback; the run ends when the flag is set. */
Test(loop, readable_fd_dispatched)
{
    int sv[2];
    struct seen s = {0};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert(loop);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_fd, &s), 0);
    cr_assert_eq(write(sv[1], "x", 1), 1);
    cr_expect_eq(sf_loop_run(NULL, loop, &s.stop, NULL), 0);
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
    cr_expect_eq(sf_loop_run(NULL, loop, &s.stop, NULL), 0);
    cr_expect_eq(s.timeouts, 1);
    cr_expect_eq(sf_loop_count(loop), 0);
    cr_expect_geq(sf_now_ns() - t0, 20 * 1000000LL);
    sf_loop_free(loop);
}
