/*
 * threaded: a thread per client (models.h).  The main thread accepts;
 * each client gets a thread of its own that holds the conversation with
 * blocking calls (bserv.h) and ends with it.  What threads share (the
 * counters, the callbacks, the list of who is running) is under one
 * mutex; a finished thread says so on an eventfd, and the main thread
 * joins it, so none is left behind.  At the stop the main thread sets a
 * flag that every conversation reads between its slices, and joins them all.
 */
#include "models.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bserv.h"

/* Each thread's stack: the conversation keeps its buffers on the heap; callbacks print. */
#define STACK_SIZE (256 << 10)

struct worker {
    struct tserv *srv;
    struct worker *prev, *next; /* in srv->live, then (next only) srv->done */
    pthread_t tid;
    int fd;
    struct sf_peer_key key; /* with max_per_peer */
    char peer[SF_ADDR_TEXT_MAX];
};

struct tserv {
    struct sf_bserv b;
    pthread_mutex_t lock;
    pthread_attr_t attr;
    struct worker *live; /* conversations going on */
    struct worker *done; /* ended, to be joined */
    uint32_t open;
    int done_fd; /* an eventfd: a worker has ended */
    atomic_int stopping;
};

static void unlink_live(struct tserv *s, struct worker *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        s->live = w->next;
    if (w->next)
        w->next->prev = w->prev;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct tserv *s = w->srv;
    struct sf_bconv cv = {0};
    uint64_t one = 1;

    if (sf_bconv_init(NULL, &cv, s->b.cfg, -1, &s->stopping, &s->lock) == 0) {
        sf_bconv_serve(&cv, w->fd, w->peer);
    } else {
        close(w->fd);
        cv.tally.errors = cv.tally.closed = 1;
    }
    pthread_mutex_lock(&s->lock);
    sf_bserv_add(s->b.count, &cv.tally);
    unlink_live(s, w);
    w->next = s->done;
    s->done = w;
    s->open--;
    pthread_mutex_unlock(&s->lock);
    sf_bconv_free(&cv);
    /* Wake the main thread to join us.  Were it lost, the join at the stop would still come:
     * the main thread returns only after joining every worker. */
    ssize_t put = write(s->done_fd, &one, sizeof(one));
    (void)put;
    return NULL;
}

/* Join every worker that has ended. */
static void reap(struct tserv *s)
{
    uint64_t n;
    struct worker *d;

    /* Clear the wake-up (EAGAIN: there was none; the list says what ended anyway). */
    if (read(s->done_fd, &n, sizeof(n)) < 0)
        n = 0;
    pthread_mutex_lock(&s->lock);
    d = s->done;
    s->done = NULL;
    pthread_mutex_unlock(&s->lock);
    while (d) {
        struct worker *next = d->next;
        pthread_join(d->tid, NULL);
        free(d);
        d = next;
    }
}

/* Same peer as key among the conversations going on (the caller holds the lock). */
static uint32_t same_peer(const struct tserv *s, const struct sf_peer_key *key)
{
    uint32_t n = 0;

    for (const struct worker *w = s->live; w; w = w->next)
        n += sf_peer_key_same(&w->key, key);
    return n;
}

/* A thread for the new connection fd, unless a cap refuses it. */
static void start_worker(struct tserv *s, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct worker *w = calloc(1, sizeof(*w));
    int rc;

    if (!w) {
        close(fd);
        pthread_mutex_lock(&s->lock);
        s->b.count->errors++;
        pthread_mutex_unlock(&s->lock);
        return;
    }
    *w = (struct worker){.srv = s, .fd = fd};
    if (s->b.cfg->max_per_peer)
        sf_peer_key_of(fd, ss, &w->key);
    sf_sockaddr_format((const struct sockaddr *)ss, len, w->peer, sizeof(w->peer));
    pthread_mutex_lock(&s->lock);
    if (sf_bserv_refused(&s->b, fd, ss, len, s->open, same_peer(s, &w->key))) {
        pthread_mutex_unlock(&s->lock);
        free(w);
        return;
    }
    /* on_connect before the thread starts: it may read fd, which the thread closes. */
    sf_bserv_admitted(&s->b, fd, ss, len);
    rc = pthread_create(&w->tid, &s->attr, worker_main, w);
    if (rc == 0) {
        w->next = s->live;
        if (s->live)
            s->live->prev = w;
        s->live = w;
        s->open++;
    } else {
        s->b.count->errors++;
        if (s->b.cfg->on_event)
            s->b.cfg->on_event(s->b.cfg->ctx, SF_SSERV_CONN_ERROR, w->peer, rc);
    }
    pthread_mutex_unlock(&s->lock);
    if (rc != 0) {
        close(fd);
        free(w);
    }
}

static uint32_t open_now(struct tserv *s)
{
    pthread_mutex_lock(&s->lock);
    uint32_t n = s->open;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Accept and start threads until the stop (or, with once, the first conversation's end). */
static int serve(struct sf_err *err, struct tserv *s)
{
    int took_one = 0;

    for (;;) {
        int accepting = !(s->b.cfg->once && took_one);
        if (!accepting && open_now(s) == 0)
            return 0;
        int ready = sf_bserv_wait(err, &s->b, accepting, s->done_fd, -1);
        if (ready < 0)
            return -1;
        if (ready & SF_BSERV_OTHER)
            reap(s);
        if (ready & SF_BSERV_STOP)
            return 0;
        struct sockaddr_storage ss;
        socklen_t len;
        int fd = ready & SF_BSERV_READY ? sf_bserv_accept(&s->b, &ss, &len) : -1;
        if (fd >= 0)
            start_worker(s, fd, &ss, len), took_one = 1;
    }
}

/* The stop: every conversation sees the flag within a slice; join them all. */
static void stop_all(struct tserv *s)
{
    struct pollfd pf = {s->done_fd, POLLIN, 0};

    atomic_store(&s->stopping, 1);
    while (open_now(s) > 0)
        if (poll(&pf, 1, -1) > 0)
            reap(s);
    reap(s);
}

int sf_threaded_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg,
                    int stop_fd, struct sf_sserv_counters *counters)
{
    struct tserv s = {.done_fd = -1};
    int rc = -1;

    atomic_init(&s.stopping, 0);
    pthread_mutex_init(&s.lock, NULL);
    pthread_attr_init(&s.attr);
    pthread_attr_setstacksize(&s.attr, STACK_SIZE);
    if (sf_bserv_open(err, &s.b, listen_fd, cfg, stop_fd, counters) == 0) {
        s.b.lock = &s.lock;
        s.done_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (s.done_fd < 0)
            sf_err_sys(err, errno, "eventfd", "thread model");
        else
            rc = serve(err, &s);
        stop_all(&s);
    }
    if (s.done_fd >= 0)
        close(s.done_fd);
    sf_bserv_close(&s.b);
    pthread_attr_destroy(&s.attr);
    pthread_mutex_destroy(&s.lock);
    return rc;
}
