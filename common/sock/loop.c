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
    int hpos;        /* where its deadline is in the heap, plus one; 0: none */
    int64_t deadline;
    sf_loop_fn fn;
    void *ctx;
};

/*
 * The deadlines are a binary min-heap of fds, ordered by deadline (then
 * fd), each watcher knowing its place: the earliest is heap[0], and
 * setting, changing or clearing one costs O(log n), where a scan of every
 * fd on every wake-up cost O(n), O(n^2) for a crowd of clients with one
 * deadline each.  It has room for every slot of the table, so it never
 * allocates apart from it.
 */
struct sf_loop {
    int epfd;
    struct watcher *w; /* indexed by fd */
    int *heap;         /* fds with a deadline */
    int cap;           /* slots in w and in heap */
    int nheap;
    unsigned count;
    int stopping; /* sf_loop_stop() was called */
    int stop_fd;  /* the run's stop descriptor, or -1 */
    int by_fd;    /* the last run ended on stop_fd */
    int ready;    /* events the last wait returned */
    int hot;      /* spinning: the last descriptor found readable, or -1 */
};

struct sf_loop *sf_loop_new(struct sf_err *err)
{
    struct sf_loop *loop = calloc(1, sizeof(*loop));

    if (!loop) {
        sf_err_sys(err, ENOMEM, "calloc", "event loop");
        return NULL;
    }
    loop->hot = -1;
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
    free(loop->heap);
    free(loop);
}

static int grow(struct sf_err *err, struct sf_loop *loop, int fd)
{
    int cap = loop->cap ? loop->cap : 64;
    struct watcher *w;
    int *heap;

    while (cap <= fd)
        cap *= 2;
    if (cap == loop->cap)
        return 0;
    if (!(heap = realloc(loop->heap, (size_t)cap * sizeof(*heap))))
        return sf_err_sys(err, ENOMEM, "realloc", "event loop");
    loop->heap = heap;
    if (!(w = realloc(loop->w, (size_t)cap * sizeof(*w))))
        return sf_err_sys(err, ENOMEM, "realloc", "event loop");
    memset(w + loop->cap, 0, (size_t)(cap - loop->cap) * sizeof(*w));
    loop->w = w;
    loop->cap = cap;
    return 0;
}

/* Does fd a's deadline come before fd b's? */
static int before(const struct sf_loop *loop, int a, int b)
{
    int64_t da = loop->w[a].deadline, db = loop->w[b].deadline;

    return da < db || (da == db && a < b);
}

static void heap_put(struct sf_loop *loop, int i, int fd)
{
    loop->heap[i] = fd;
    loop->w[fd].hpos = i + 1;
}

static void sift_up(struct sf_loop *loop, int i)
{
    int fd = loop->heap[i];

    while (i > 0 && before(loop, fd, loop->heap[(i - 1) / 2])) {
        heap_put(loop, i, loop->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_put(loop, i, fd);
}

static void sift_down(struct sf_loop *loop, int i)
{
    int fd = loop->heap[i];

    for (;;) {
        int c = 2 * i + 1;
        if (c >= loop->nheap)
            break;
        if (c + 1 < loop->nheap && before(loop, loop->heap[c + 1], loop->heap[c]))
            c++;
        if (!before(loop, loop->heap[c], fd))
            break;
        heap_put(loop, i, loop->heap[c]);
        i = c;
    }
    heap_put(loop, i, fd);
}

/* The deadline at i moved: up or down to its place. */
static void heap_fix(struct sf_loop *loop, int i)
{
    if (i > 0 && before(loop, loop->heap[i], loop->heap[(i - 1) / 2]))
        sift_up(loop, i);
    else
        sift_down(loop, i);
}

static void heap_remove(struct sf_loop *loop, int fd)
{
    int i = loop->w[fd].hpos - 1;
    int last = loop->heap[--loop->nheap];

    loop->w[fd].hpos = 0;
    loop->w[fd].deadline = SF_NO_DEADLINE;
    if (last == fd)
        return;
    heap_put(loop, i, last);
    heap_fix(loop, i);
}

/* Forget a slot's watcher, deadline included. */
static void clear_slot(struct sf_loop *loop, int fd)
{
    if (loop->w[fd].hpos)
        heap_remove(loop, fd);
    loop->w[fd].active = 0;
    loop->count--;
    if (loop->hot == fd)
        loop->hot = -1;
}

int sf_loop_add(struct sf_err *err, struct sf_loop *loop, int fd, unsigned events, sf_loop_fn fn,
                void *ctx)
{
    struct epoll_event ev = {.events = events, .data.u64 = (uint64_t)fd};

    if (fd < 0 || grow(err, loop, fd) < 0)
        return fd < 0 ? sf_err_sys(err, EBADF, "epoll_ctl", NULL) : -1;
    if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
        return sf_err_sys(err, errno, "epoll_ctl(ADD)", NULL);
    /* A slot still active belonged to an fd closed without sf_loop_remove() (close took it
     * out of the epoll set): its deadline must not outlive it. */
    if (loop->w[fd].active)
        clear_slot(loop, fd);
    loop->w[fd] = (struct watcher){1, events, 0, SF_NO_DEADLINE, fn, ctx};
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
    clear_slot(loop, fd);
}

void sf_loop_forget(struct sf_loop *loop, int fd)
{
    if (fd >= 0 && fd < loop->cap && loop->w[fd].active)
        clear_slot(loop, fd);
}

void sf_loop_set_deadline(struct sf_loop *loop, int fd, int64_t deadline)
{
    struct watcher *w = fd >= 0 && fd < loop->cap && loop->w[fd].active ? &loop->w[fd] : NULL;

    if (!w || deadline == w->deadline)
        return;
    if (deadline == SF_NO_DEADLINE) {
        heap_remove(loop, fd);
        return;
    }
    w->deadline = deadline;
    if (w->hpos) {
        heap_fix(loop, w->hpos - 1);
        return;
    }
    loop->heap[loop->nheap] = fd;
    sift_up(loop, loop->nheap++);
}

unsigned sf_loop_count(const struct sf_loop *loop)
{
    return loop->count;
}

static int64_t earliest_deadline(const struct sf_loop *loop)
{
    return loop->nheap > 0 ? loop->w[loop->heap[0]].deadline : SF_NO_DEADLINE;
}

/*
 * Every deadline due now, earliest first.  At most as many as were set when
 * it began: a callback that sets a deadline already past is seen on the
 * next pass (after a wait of 0), so no callback can keep this one going.
 */
static void fire_timeouts(struct sf_loop *loop)
{
    int64_t now = loop->nheap > 0 ? sf_now_ns() : 0;

    for (int left = loop->nheap; left > 0 && loop->nheap > 0; left--) {
        int fd = loop->heap[0];
        struct watcher *w = &loop->w[fd];
        if (w->deadline > now)
            break;
        heap_remove(loop, fd);
        w->fn(loop, fd, SF_EV_TIMEOUT, w->ctx);
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

int sf_loop_ready(const struct sf_loop *loop)
{
    return loop->ready;
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

void sf_loop_hot(struct sf_loop *loop, int fd)
{
    loop->hot = fd;
}

/* Spinning, between two looks: the hot descriptor, called as if readable again. */
static void spin_hot(struct sf_loop *loop)
{
    for (int i = 0; i < SF_SPIN_HOT && !loop->stopping; i++) {
        int fd = loop->hot;
        if (fd < 0 || fd >= loop->cap || !loop->w[fd].active || !(loop->w[fd].events & EPOLLIN))
            return; /* gone, or waiting to send: not to be read now */
        loop->w[fd].fn(loop, fd, EPOLLIN, loop->w[fd].ctx);
    }
}

int sf_loop_run(struct sf_err *err, struct sf_loop *loop, int stop_fd)
{
    struct epoll_event evs[64];
    int rc = 0, spin = sf_io_spinning();

    loop->stopping = loop->by_fd = 0;
    loop->hot = -1;
    if (watch_stop_fd(err, loop, stop_fd) < 0)
        return -1;
    while (!loop->stopping && loop->count > 0) {
        /* Spinning, every wait is a look (timeout 0); the deadlines are checked after it. */
        int timeout = spin ? 0 : sf_deadline_poll_ms(earliest_deadline(loop));
        int n = epoll_wait(loop->epfd, evs, 64, timeout);
        if (n < 0 && errno != EINTR) {
            rc = sf_err_sys(err, errno, "epoll_wait", NULL);
            break;
        }
        loop->ready = n > 0 ? n : 0;
        for (int i = 0; i < n; i++)
            dispatch(loop, &evs[i]);
        fire_timeouts(loop);
        if (spin)
            spin_hot(loop);
    }
    if (stop_fd >= 0)
        epoll_ctl(loop->epfd, EPOLL_CTL_DEL, stop_fd, NULL);
    return rc;
}
