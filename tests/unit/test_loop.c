/* Unit tests for common/loop: readiness, deadlines (many, in order), removal, spinning. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
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

/* The many-deadlines tests: fds that fire record themselves here, in order. */
struct order {
    int *fired;
    int n, want;
};

static void on_due(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct order *o = ctx;

    cr_assert(events & SF_EV_TIMEOUT);
    o->fired[o->n++] = fd;
    sf_loop_remove(loop, fd);
    if (o->n == o->want)
        sf_loop_stop(loop);
}

/* As many descriptors as the hard limit allows, up to want (and at least 1000). */
static int many_fds(int want)
{
    struct rlimit r;

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &r), 0);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < (rlim_t)want + 64)
        want = (int)r.rlim_cur - 64;
    cr_assert_geq(want, 1000, "the hard descriptor limit is %llu", (unsigned long long)r.rlim_cur);
    return want;
}

/*
 * 10000 fds with deadlines set in random order (some changed, some
 * cleared, some fds removed) fire exactly the ones still set, each once,
 * earliest first.
 */
Test(loop, many_deadlines_fire_in_order)
{
    int n = many_fds(10000);
    int *fds = calloc((size_t)n, sizeof(int)), *fired = calloc((size_t)n, sizeof(int));
    int64_t *when = calloc(65536, sizeof(int64_t)), base = sf_now_ns() + 30 * 1000000LL;
    struct sf_loop *loop = sf_loop_new(NULL);
    struct order o = {fired, 0, 0};

    cr_assert(fds && fired && when && loop);
    srand(17);
    for (int i = 0; i < n; i++) {
        fds[i] = eventfd(0, EFD_CLOEXEC); /* never readable: only deadlines wake them */
        cr_assert(fds[i] >= 0 && fds[i] < 65536, "eventfd: %d", fds[i]);
        cr_assert_eq(sf_loop_add(NULL, loop, fds[i], SF_EV_IN, on_due, &o), 0);
    }
    for (int i = n - 1; i > 0; i--) { /* a random order to set them in */
        int j = rand() % (i + 1), t = fds[i];
        fds[i] = fds[j], fds[j] = t;
    }
    for (int i = 0; i < n; i++) {
        when[fds[i]] = base + (int64_t)(rand() % 20000) * 1000; /* within 20 ms, ties too */
        sf_loop_set_deadline(loop, fds[i], when[fds[i]]);
    }
    for (int i = 0; i < n; i += 7) { /* changed: earlier or later */
        when[fds[i]] = base + (int64_t)(rand() % 20000) * 1000;
        sf_loop_set_deadline(loop, fds[i], when[fds[i]]);
    }
    for (int i = 3; i < n; i += 11) { /* cleared: never fires, stays watched */
        when[fds[i]] = SF_NO_DEADLINE;
        sf_loop_set_deadline(loop, fds[i], SF_NO_DEADLINE);
    }
    for (int i = 5; i < n; i += 13) { /* removed, deadline and all */
        when[fds[i]] = SF_NO_DEADLINE;
        sf_loop_remove(loop, fds[i]);
    }
    for (int i = 0; i < n; i++)
        o.want += when[fds[i]] != SF_NO_DEADLINE;
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    cr_assert_eq(o.n, o.want);
    cr_expect_geq(sf_now_ns(), when[fired[o.n - 1]], "the last fired before its deadline");
    for (int i = 1; i < o.n; i++)
        cr_assert(when[fired[i - 1]] < when[fired[i]] ||
                      (when[fired[i - 1]] == when[fired[i]] && fired[i - 1] < fired[i]),
                  "fd %d (at %lld) fired before fd %d (at %lld)", fired[i - 1],
                  (long long)(when[fired[i - 1]] - base), fired[i],
                  (long long)(when[fired[i]] - base));
    for (int i = 0; i < o.n; i++)
        cr_assert_neq(when[fired[i]], SF_NO_DEADLINE, "fd %d fired with no deadline", fired[i]);
    sf_loop_free(loop);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    free(fds), free(fired), free(when);
}

/* A deadline moved later fires at the later time; one cleared never fires. */
Test(loop, changed_and_cleared_deadlines)
{
    int a = eventfd(0, EFD_CLOEXEC), b = eventfd(0, EFD_CLOEXEC), c = eventfd(0, EFD_CLOEXEC);
    int fired[3] = {0};
    int64_t when[64] = {0}, t0 = sf_now_ns();
    struct order o = {fired, 0, 2};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert(a >= 0 && b >= 0 && c >= 0 && c < 64 && a < 64 && b < 64 && loop);
    cr_assert_eq(sf_loop_add(NULL, loop, a, SF_EV_IN, on_due, &o), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, b, SF_EV_IN, on_due, &o), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, c, SF_EV_IN, on_due, &o), 0);
    sf_loop_set_deadline(loop, a, sf_deadline_after_ms(5));
    sf_loop_set_deadline(loop, b, sf_deadline_after_ms(10));
    sf_loop_set_deadline(loop, c, sf_deadline_after_ms(15));
    sf_loop_set_deadline(loop, a, when[a] = sf_deadline_after_ms(40)); /* later: after b */
    sf_loop_set_deadline(loop, c, SF_NO_DEADLINE);
    when[b] = sf_deadline_after_ms(10);
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    cr_assert_eq(o.n, 2);
    cr_expect_eq(fired[0], b);
    cr_expect_eq(fired[1], a);
    cr_expect_geq(sf_now_ns() - t0, 40 * 1000000LL, "a fired at its old deadline");
    cr_expect_eq(sf_loop_count(loop), 1, "c is still watched");
    sf_loop_free(loop);
    close(a), close(b), close(c);
}

/* Voluntary context switches of this thread: each sleep in the kernel is one. */
static long sleeps(void)
{
    struct rusage ru;

    cr_assert_eq(getrusage(RUSAGE_THREAD, &ru), 0);
    return ru.ru_nvcsw;
}

/* Ten deadlines in turn, 3 ms apart, each set by the last one's callback; then done. */
static void on_rearm(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct seen *s = ctx;

    cr_assert(events & SF_EV_TIMEOUT);
    if (++s->timeouts < 10)
        sf_loop_set_deadline(loop, fd, sf_deadline_after_ms(3));
    else
        sf_loop_remove(loop, fd);
}

/* Spinning, the loop never sleeps (asleep, each of ten waits is one), and its deadlines fire. */
Test(loop, spinning_loop_fires_deadlines_without_sleeping)
{
    int sv[2];
    struct seen s = {0};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_rearm, &s), 0);
    sf_loop_set_deadline(loop, sv[0], sf_deadline_after_ms(3));
    sf_io_spin(1);
    int64_t t0 = sf_now_ns();
    long before = sleeps();
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    long slept = sleeps() - before;
    sf_io_spin(0);
    cr_expect_eq(s.timeouts, 10);
    cr_expect_geq(sf_now_ns() - t0, 30 * 1000000LL, "the deadlines fired before their time");
    cr_expect_lt(slept, 5, "the loop slept %ld times: it should spin", slept);
    sf_loop_free(loop);
}

/* A deadline's callback that asks for a stop through the stop descriptor. */
static void on_ask_stop(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    (void)loop, (void)fd, (void)events;
    cr_assert_eq(write(*(int *)ctx, "s", 1), 1);
}

/* Spinning, the stop descriptor still ends the run, the watchers left in place. */
Test(loop, spinning_loop_stops_on_stop_fd)
{
    int sv[2], stop[2], ev = eventfd(0, EFD_CLOEXEC);
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(pipe(stop), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_busy, NULL), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, ev, SF_EV_IN, on_ask_stop, &stop[1]), 0);
    sf_loop_set_deadline(loop, ev, sf_deadline_after_ms(20));
    sf_io_spin(1);
    cr_expect_eq(sf_loop_run(NULL, loop, stop[0]), 0);
    sf_io_spin(0);
    cr_expect(sf_loop_stopped_by_fd(loop));
    cr_expect_eq(sf_loop_count(loop), 2);
    sf_loop_free(loop);
}

/* The hot test's state: calls to the hot fd's callback, and what it did each time. */
struct hot {
    int calls, empty, out_calls;
    int sending, read_while_sending; /* switched to OUT; called as readable since */
};

/* Reads what is there (nothing, most calls: EAGAIN), stays hot; a read of 'q' switches to OUT. */
static void on_hot(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    struct hot *h = ctx;
    char c;

    h->calls++;
    if (events & SF_EV_OUT) {
        h->out_calls++;
        sf_loop_stop(loop);
        return;
    }
    h->read_while_sending += h->sending;
    ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
    if (n < 0)
        h->empty++;
    else if (n == 1 && c == 'q')
        h->sending = 1, sf_loop_modify(NULL, loop, fd, SF_EV_OUT); /* not to be read now */
    sf_loop_hot(loop, fd);
}

/* A deadline that writes 'q' to the hot connection's peer after some looks. */
static void on_later(struct sf_loop *loop, int fd, unsigned events, void *ctx)
{
    (void)events;
    cr_assert_eq(write(*(int *)ctx, "q", 1), 1);
    sf_loop_remove(loop, fd);
}

/*
 * Spinning, the hot descriptor is called as readable between two looks
 * (most calls find nothing), and no more once it waits only to send.
 */
Test(loop, spinning_loop_reads_the_hot_fd_between_looks)
{
    int sv[2], ev = eventfd(0, EFD_CLOEXEC);
    struct hot h = {0};
    struct sf_loop *loop = sf_loop_new(NULL);

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, sv[0], SF_EV_IN, on_hot, &h), 0);
    cr_assert_eq(sf_loop_add(NULL, loop, ev, 0, on_later, &sv[1]), 0);
    sf_loop_set_deadline(loop, ev, sf_deadline_after_ms(5));
    cr_assert_eq(write(sv[1], "x", 1), 1); /* the first read makes it hot */
    sf_io_spin(1);
    cr_expect_eq(sf_loop_run(NULL, loop, -1), 0);
    sf_io_spin(0);
    cr_expect_gt(h.empty, SF_SPIN_HOT, "the hot fd was read between looks: %d empty reads",
                 h.empty);
    cr_expect_eq(h.out_calls, 1);
    cr_expect_eq(h.read_while_sending, 0, "once waiting to send, it was called for that only");
    cr_expect_eq(h.calls, h.empty + 2 + h.out_calls, "x, q, the empties and the OUT call");
    close(sv[0]), close(sv[1]), close(ev);
    sf_loop_free(loop);
}
