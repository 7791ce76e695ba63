/* loop: a small epoll event loop with per-fd deadlines; see loop.h. */
#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

struct watcher {
    int active;
    unsigned events; /* what epoll waits for now: a modify to the same is no system call */
    int64_t deadline;
    sf_loop_fn fn;
    void *ctx;
};

struct sf_loop {
    int epfd;
    struct watcher *w; /* indexed by fd */
    int cap;
    unsigned count;
    unsigned timed; /* watchers with a deadline: none, and no scan of the table per wake-up */
    int stopping;   /* sf_loop_stop() was called */
    int stop_fd;    /* the run's stop descriptor, or -1 */
    int by_fd;      /* the last run ended on stop_fd */
};

struct sf_loop *sf_loop_new(struct sf_err *err)
{
    struct sf_loop *loop = calloc(1, sizeof(*loop));

    if (!loop) {
        sf_err_sys(err, ENOMEM, "calloc", "event loop");
        return NULL;
    }
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (loop->epfd < 0) {
        sf_err_sys(err, errno, "epoll_create1", NULL);
        free(loop);
        return NULL;
    }
    return loop;
}

void sf_loop_free(struct sf_loop *loop)
{
    if (!loop)
        return;
    close(loop->epfd);
    free(loop->w);
    free(loop);
}

static int grow(struct sf_err *err, struct sf_loop *loop, int fd)
{
    int cap = loop->cap ? loop->cap : 64;
    struct watcher *w;

    while (cap <= fd)
        cap *= 2;
    if (cap == loop->cap)
        return 0;
    w = realloc(loop->w, (size_t)cap * sizeof(*w));
    if (!w)
        return sf_err_sys(err, ENOMEM, "realloc", "event loop");
    memset(w + loop->cap, 0, (size_t)(cap - loop->cap) * sizeof(*w));
    loop->w = w;
    loop->cap = cap;
    return 0;
}

int sf_loop_add(struct sf_err *err, struct sf_loop *loop, int fd, unsigned events, sf_loop_fn fn,
                void *ctx)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)fd};

    if (fd < 0 || grow(err, loop, fd) < 0)
        return fd < 0 ? sf_err_sys(err, EBADF, "epoll_ctl", NULL) : -1;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return sf_err_sys(err, errno, "epoll_ctl(ADD)", NULL);
    loop->w[fd] = (struct watcher){1, events, SF_NO_DEADLINE, fn, ctx};
    loop->count++;
    return 0;
}

int sf_loop_modify(struct sf_err *err, struct sf_loop *loop, int fd, unsigned events)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)fd};

    if (fd >= 0 && fd < loop->cap && loop->w[fd].active && loop->w[fd].events == events)
        return 0;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
        return sf_err_sys(err, errno, "epoll_ctl(MOD)", NULL);
    if (fd < loop->cap)
        loop->w[fd].events = events;
    return 0;
}

void sf_loop_remove(struct sf_loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->cap || !loop->w[fd].active)
        return;
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
    sf_loop_set_deadline(loop, fd, SF_NO_DEADLINE);
    loop->w[fd].active = 0;
    loop->count--;
}

void sf_loop_set_deadline(struct sf_loop *loop, int fd, int64_t deadline)
{
    struct watcher *w = fd >= 0 && fd < loop->cap && loop->w[fd].active ? &loop->w[fd] : NULL;

    if (!w)
        return;
    loop->timed += (deadline != SF_NO_DEADLINE) - (w->deadline != SF_NO_DEADLINE);
    w->deadline = deadline;
}

unsigned sf_loop_count(const struct sf_loop *loop)
{
    return loop->count;
}

static int64_t earliest_deadline(const struct sf_loop *loop)
{
    int64_t min = SF_NO_DEADLINE;

    for (int fd = 0; loop->timed > 0 && fd < loop->cap; fd++)
        if (loop->w[fd].active && loop->w[fd].deadline < min)
            min = loop->w[fd].deadline;
    return min;
}

static void fire_timeouts(struct sf_loop *loop)
{
    int64_t now = loop->timed > 0 ? sf_now_ns() : 0;

    for (int fd = 0; loop->timed > 0 && fd < loop->cap; fd++) {
        struct watcher *w = &loop->w[fd];
        if (w->active && w->deadline <= now) {
            sf_loop_set_deadline(loop, fd, SF_NO_DEADLINE);
            w->fn(loop, fd, SF_EV_TIMEOUT, w->ctx);
        }
    }
}

void sf_loop_stop(struct sf_loop *loop)
{
    loop->stopping = 1;
}

int sf_loop_stopped_by_fd(const struct sf_loop *loop)
{
    return loop->by_fd;
}

/* The stop descriptor joins the epoll set for the run (tagged apart from the watchers). */
static int watch_stop_fd(struct sf_err *err, struct sf_loop *loop, int stop_fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};

    loop->stop_fd = stop_fd;
    if (stop_fd >= 0 && epoll_ctl(loop->epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
        return sf_err_sys(err, errno, "epoll_ctl", "stop descriptor");
    return 0;
}

static void dispatch(struct sf_loop *loop, const struct epoll_event *ev)
{
    int fd;

    if (ev->data.u64 == UINT64_MAX) {
        loop->by_fd = loop->stopping = 1;
        return;
    }
    fd = (int)ev->data.u64;
    if (fd < loop->cap && loop->w[fd].active)
        loop->w[fd].fn(loop, fd, ev->events, loop->w[fd].ctx);
}

int sf_loop_run(struct sf_err *err, struct sf_loop *loop, int stop_fd)
{
    struct epoll_event evs[64];
    int rc = 0;

    loop->stopping = loop->by_fd = 0;
    if (watch_stop_fd(err, loop, stop_fd) < 0)
        return -1;
    while (!loop->stopping && loop->count > 0) {
        int timeout = sf_deadline_poll_ms(earliest_deadline(loop));
        int n = epoll_wait(loop->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            rc = sf_err_sys(err, errno, "epoll_wait", NULL);
            break;
        }
        for (int i = 0; i < n; i++)
            dispatch(loop, &evs[i]);
        fire_timeouts(loop);
    }
    if (stop_fd >= 0)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, stop_fd, NULL);
    return rc;
}
