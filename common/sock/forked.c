/*
 * forked: a process per client, UNP's classic (models.h).  The parent
 * accepts, forks, and closes its copy of the connection (a socket ends
 * when its last descriptor closes: kept, the connection would outlive the
 * child).  The child serves the client with blocking calls (bserv.h),
 * sends its counts home in one write() to a pipe every child shares (a
 * write of at most PIPE_BUF bytes is never interleaved with another), and
 * _exit()s.  The parent reads each record, then reaps that child; a child
 * that died without one (killed) is found by a sweep once a second.
 */
#include "models.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bserv.h"
#include "io.h"

/* How long the parent waits at the stop before it kills the children left. */
#define STOP_WAIT_MS 2000
/* How often the parent looks for children that died without their record. */
#define SWEEP_MS 1000

struct child {
    struct child *next;
    pid_t pid;
    int reaped;             /* waited for, its record not read */
    struct sf_peer_key key; /* with max_per_peer */
    char peer[SF_ADDR_TEXT_MAX];
};

/* What a child sends home as it ends. */
struct record {
    pid_t pid;
    struct sf_sserv_counters tally;
};
_Static_assert(sizeof(struct record) <= PIPE_BUF, "a record must be one atomic pipe write");

struct fserv {
    struct sf_bserv b;
    struct child *kids;
    uint32_t open;
    int pipe_fd[2]; /* the records: [0] the parent's (non-blocking), [1] the children's */
    char buf[16 * sizeof(struct record)];
    size_t have;
    int64_t next_sweep;
};

/* Close every descriptor from 3 up but the (up to) three kept: a child holds only what it needs. */
static void keep_only(int a, int b, int c)
{
    int keep[3] = {a, b, c};
    unsigned from = 3;

    for (int i = 1; i < 3; i++) /* sorted, so the gaps between them can be closed */
        for (int j = i; j > 0 && keep[j] < keep[j - 1]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1], keep[j - 1] = t;
        }
    for (int i = 0; i < 3; i++) {
        if (keep[i] < (int)from)
            continue;
        if ((unsigned)keep[i] > from)
            close_range(from, (unsigned)keep[i] - 1, 0);
        from = (unsigned)keep[i] + 1;
    }
    close_range(from, ~0u, 0);
}

static _Noreturn void child_main(struct fserv *s, int fd, const char *peer, pid_t parent)
{
    struct record rec = {.pid = getpid()};
    struct sf_bconv cv;

    keep_only(fd, s->b.stop_fd, s->pipe_fd[1]);
    /* A parent that dies first ends the child too: SIGTERM, blocked as in the parent, comes
     * on stop_fd (the parent may be gone before the prctl: then raise it now). */
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        raise(SIGTERM);
    if (sf_bconv_init(NULL, &cv, s->b.cfg, s->b.stop_fd, NULL, NULL) == 0) {
        sf_bconv_serve(&cv, fd, peer);
        rec.tally = cv.tally;
    } else {
        close(fd);
        rec.tally.errors = rec.tally.closed = 1;
    }
    fflush(NULL); /* what the callbacks printed, before the record says the child is done */
    ssize_t put = write(s->pipe_fd[1], &rec, sizeof(rec));
    _exit(put == (ssize_t)sizeof(rec) ? 0 : 1);
}

/* The child at *pp is gone: its tally added (NULL: it died without one), reaped, forgotten. */
static void child_gone(struct fserv *s, struct child **pp, const struct sf_sserv_counters *tally)
{
    struct child *k = *pp;

    *pp = k->next;
    if (tally) {
        sf_bserv_add(s->b.count, tally);
    } else {
        s->b.count->errors++, s->b.count->closed++;
        if (s->b.cfg->on_event) /* its counts died with it */
            s->b.cfg->on_event(s->b.cfg->ctx, SF_SSERV_CONN_ERROR, k->peer, ECONNABORTED);
    }
    if (!k->reaped)
        waitpid(k->pid, NULL, 0); /* it _exit()s right after its record */
    free(k);
    s->open--;
}

static void read_records(struct fserv *s)
{
    for (;;) {
        ssize_t n = read(s->pipe_fd[0], s->buf + s->have, sizeof(s->buf) - s->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        size_t off = 0;
        for (s->have += (size_t)n; s->have - off >= sizeof(struct record);
             off += sizeof(struct record)) {
            struct record rec;
            memcpy(&rec, s->buf + off, sizeof(rec));
            for (struct child **pp = &s->kids; *pp; pp = &(*pp)->next)
                if ((*pp)->pid == rec.pid) {
                    child_gone(s, pp, &rec.tally);
                    break;
                }
        }
        memmove(s->buf, s->buf + off, s->have - off);
        s->have -= off;
    }
}

/* Reap the children that exited; those whose record is not in the pipe died without one. */
static void sweep(struct fserv *s)
{
    int any = 0;

    for (struct child *k = s->kids; k; k = k->next)
        if (!k->reaped && waitpid(k->pid, NULL, WNOHANG) == k->pid)
            k->reaped = any = 1;
    if (!any)
        return;
    read_records(s); /* a record is written before the exit: it is in the pipe by now */
    for (struct child **pp = &s->kids; *pp;)
        if ((*pp)->reaped)
            child_gone(s, pp, NULL);
        else
            pp = &(*pp)->next;
}

static uint32_t same_peer(const struct fserv *s, const struct sf_peer_key *key)
{
    uint32_t n = 0;

    for (const struct child *k = s->kids; k; k = k->next)
        n += sf_peer_key_same(&k->key, key);
    return n;
}

/* A child for the new connection fd, unless a cap refuses it. */
static void start_child(struct fserv *s, int fd, const struct sockaddr_storage *ss, socklen_t len)
{
    struct child *k = calloc(1, sizeof(*k));
    pid_t parent = getpid();

    if (!k) {
        close(fd);
        s->b.count->errors++;
        return;
    }
    if (s->b.cfg->max_per_peer)
        sf_peer_key_of(fd, ss, &k->key);
    sf_sockaddr_format((const struct sockaddr *)ss, len, k->peer, sizeof(k->peer));
    if (sf_bserv_refused(&s->b, fd, ss, len, s->open, same_peer(s, &k->key))) {
        free(k);
        return;
    }
    sf_bserv_admitted(&s->b, fd, ss, len);
    fflush(NULL); /* nothing buffered is left for the child to print a second time */
    k->pid = fork();
    if (k->pid == 0)
        child_main(s, fd, k->peer, parent);
    close(fd); /* the parent's copy: the connection is the child's now */
    if (k->pid < 0) {
        s->b.count->errors++;
        if (s->b.cfg->on_event)
            s->b.cfg->on_event(s->b.cfg->ctx, SF_SSERV_CONN_ERROR, k->peer, errno);
        free(k);
        return;
    }
    k->next = s->kids;
    s->kids = k;
    s->open++;
}

/* Accept and fork until the stop (or, with once, the first conversation's end). */
static int serve(struct sf_err *err, struct fserv *s)
{
    int took_one = 0;

    for (;;) {
        int accepting = !(s->b.cfg->once && took_one);
        if (!accepting && s->open == 0)
            return 0;
        int ready = sf_bserv_wait(err, &s->b, accepting, s->pipe_fd[0], s->kids ? SWEEP_MS : -1);
        if (ready < 0)
            return -1;
        if (ready & SF_BSERV_OTHER)
            read_records(s);
        if (s->kids && sf_now_ns() >= s->next_sweep) {
            sweep(s);
            s->next_sweep = sf_deadline_after_ms(SWEEP_MS);
        }
        if (ready & SF_BSERV_STOP)
            return 0;
        struct sockaddr_storage ss;
        socklen_t len;
        int fd = ready & SF_BSERV_READY ? sf_bserv_accept(&s->b, &ss, &len) : -1;
        if (fd >= 0)
            start_child(s, fd, &ss, len), took_one = 1;
    }
}

/* SIGTERM to every child (it comes on their stop_fd); wait; kill and reap the ones left. */
static void stop_all(struct fserv *s)
{
    int64_t deadline = sf_deadline_after_ms(STOP_WAIT_MS);

    for (struct child *k = s->kids; k; k = k->next)
        kill(k->pid, SIGTERM);
    while (s->kids && sf_now_ns() < deadline) {
        struct pollfd pf = {s->pipe_fd[0], POLLIN, 0};
        int ms = sf_deadline_poll_ms(deadline);
        poll(&pf, 1, ms < SF_BSERV_SLICE_MS ? ms : SF_BSERV_SLICE_MS);
        read_records(s);
        sweep(s);
    }
    for (struct child *k = s->kids; k; k = k->next)
        if (!k->reaped) {
            kill(k->pid, SIGKILL);
            waitpid(k->pid, NULL, 0);
            k->reaped = 1;
        }
    read_records(s);
    while (s->kids)
        child_gone(s, &s->kids, NULL);
}

int sf_forked_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg, int stop_fd,
                  struct sf_sserv_counters *counters)
{
    struct fserv s = {.pipe_fd = {-1, -1}};
    int rc = -1;

    if (sf_bserv_open(err, &s.b, listen_fd, cfg, stop_fd, counters) == 0) {
        if (pipe2(s.pipe_fd, O_CLOEXEC) < 0 ||
            fcntl(s.pipe_fd[0], F_SETFL, fcntl(s.pipe_fd[0], F_GETFL) | O_NONBLOCK) < 0)
            sf_err_sys(err, errno, "pipe", "fork model");
        else
            rc = serve(err, &s);
        stop_all(&s);
    }
    for (int i = 0; i < 2; i++)
        if (s.pipe_fd[i] >= 0)
            close(s.pipe_fd[i]);
    sf_bserv_close(&s.b);
    return rc;
}
