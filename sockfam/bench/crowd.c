/* crowd: many clients at once on one epoll loop; see crowd.h. */
#include "crowd.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "io.h"
#include "stats.h"

#define ECHO 64
#define CROWD_MS 60000
/* Descriptors the bench holds besides the crowd's: its stdio, the server's pipes, the epoll. */
#define SPARE_FDS 64
/* The silent-client test: its echo's deadline. */
#define SILENT_MS 10000

enum stage {
    WAITING,    /* not connected yet: the window is full */
    CONNECTING, /* connect() in progress */
    FIRST,      /* the first echo sent: its reply proves the server accepted us */
    ECHOING,    /* accepted, doing the rest of its echoes */
    DONE,       /* every echo answered: held open until the whole crowd is done (or closed) */
    FAILED,
};

struct client {
    int fd;
    enum stage stage;
    unsigned long left; /* echoes still to do */
    size_t got;         /* bytes of the current reply */
    int64_t t0;
};

struct crowd {
    struct client *cl;
    unsigned long n, echoes;
    unsigned long next;     /* the next client to connect */
    unsigned long unproven; /* CONNECTING or FIRST: not yet known to be accepted */
    unsigned long live;     /* not DONE nor FAILED */
    unsigned long window;   /* unproven at most */
    int hold;               /* a client done stays connected until the whole crowd is */
    int ep;
    struct sf_stats s;
    struct cell *c;
};

/* The client is no longer waiting for the server to accept it. */
static void proven(struct crowd *w, struct client *k)
{
    if (k->stage == CONNECTING || k->stage == FIRST)
        w->unproven--;
}

static void fail(struct crowd *w, struct client *k, const char *what, int errnum)
{
    if (!w->c->why[0])
        snprintf(w->c->why, sizeof(w->c->why), "%s: %s", what, strerror(errnum));
    w->c->failed++;
    proven(w, k);
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->stage = FAILED;
    w->live--;
}

static void send_echo(struct crowd *w, struct client *k)
{
    static const char msg[ECHO] = "sockfam crowd";
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};

    k->t0 = sf_now_ns(), k->got = 0;
    if (send(k->fd, msg, ECHO, MSG_NOSIGNAL) != ECHO)
        return fail(w, k, "send", errno ? errno : EAGAIN);
    if (k->stage == CONNECTING && epoll_ctl(w->ep, EPOLL_CTL_MOD, k->fd, &ev) < 0)
        return fail(w, k, "epoll_ctl", errno);
    if (k->stage == CONNECTING)
        k->stage = FIRST;
}

/* An echo's reply is complete: the next echo, or done (and held open). */
static void answered(struct crowd *w, struct client *k)
{
    struct sf_err e;

    if (sf_stats_add(&e, &w->s, (double)(sf_now_ns() - k->t0) / 1e3) < 0)
        return fail(w, k, "samples", ENOMEM);
    w->c->completed++;
    proven(w, k);
    k->stage = ECHOING;
    if (--k->left > 0)
        return send_echo(w, k);
    k->stage = DONE;
    w->live--;
    if (w->hold) {
        epoll_ctl(w->ep, EPOLL_CTL_DEL, k->fd, NULL);
        return;
    }
    close(k->fd);
    k->fd = -1;
}

static void on_event(struct crowd *w, struct client *k)
{
    char buf[ECHO];
    int err = 0;
    socklen_t len = sizeof(err);

    if (k->stage == CONNECTING) { /* writable when the connect is done */
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        return err ? fail(w, k, "connect", err) : send_echo(w, k);
    }
    ssize_t n = recv(k->fd, buf, ECHO - k->got, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        return fail(w, k, n == 0 ? "closed by the server" : "recv", n == 0 ? ECONNRESET : errno);
    if ((k->got += (size_t)n) == ECHO)
        answered(w, k);
}

static void connect_one(struct crowd *w, struct client *k, const struct sockaddr *addr,
                        socklen_t len)
{
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = k};

    k->stage = CONNECTING;
    w->unproven++;
    k->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (k->fd < 0)
        return fail(w, k, "socket", errno);
    if ((connect(k->fd, addr, len) < 0 && errno != EINPROGRESS) ||
        epoll_ctl(w->ep, EPOLL_CTL_ADD, k->fd, &ev) < 0)
        fail(w, k, "connect", errno);
}

/*
 * Connect the next clients while fewer than the window are unproven (not
 * yet answered once).  The server's accept queue then never holds more
 * than the backlog it was given: past it, Linux drops a TCP SYN (the client
 * tries again 1 s later: a p99 of the kernel's retry timer, not of the
 * server) and refuses a non-blocking AF_UNIX connect with EAGAIN.
 */
static void admit(struct crowd *w, const struct sockaddr *addr, socklen_t len)
{
    while (w->next < w->n && w->unproven < w->window)
        connect_one(w, &w->cl[w->next++], addr, len);
}

/* The "KEY: N kB" line of /proc/PID/FILE, in KiB; -1 if unreadable. */
static long proc_kib(int pid, const char *file, const char *key)
{
    char path[64], line[256], fmt[40];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
    snprintf(fmt, sizeof(fmt), "%s: %%ld kB", key);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, fmt, &kib) == 1)
            break;
    fclose(f);
    return kib;
}

/* Until every client is done or failed, or the deadline; the seconds it took. */
static double run_loop(struct crowd *w, const struct sockaddr *addr, socklen_t len)
{
    int64_t t0 = sf_now_ns(), deadline = sf_deadline_after_ms(CROWD_MS);
    struct epoll_event evs[256];

    admit(w, addr, len);
    while (w->live > 0 && sf_now_ns() < deadline) {
        int n = epoll_wait(w->ep, evs, 256, sf_deadline_poll_ms(deadline));
        for (int i = 0; i < n; i++)
            on_event(w, evs[i].data.ptr);
        admit(w, addr, len);
    }
    double secs = (double)(sf_now_ns() - t0) / 1e9;
    for (unsigned long i = 0; i < w->n; i++)
        if (w->cl[i].stage != DONE && w->cl[i].stage != FAILED)
            fail(w, &w->cl[i], "unfinished at the deadline", ETIMEDOUT);
    return secs;
}

/*
 * One descriptor a client, here: raise the soft limit to the hard one if
 * that is short (as the servers do at start).  0, or -1 with why set.
 */
static int enough_fds(struct cell *c, unsigned long clients)
{
    struct rlimit r;
    rlim_t need = (rlim_t)clients + SPARE_FDS;

    if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= need)
        return 0;
    r.rlim_cur = r.rlim_max;
    if (r.rlim_max >= need && setrlimit(RLIMIT_NOFILE, &r) == 0)
        return 0;
    snprintf(c->why, sizeof(c->why),
             "%lu clients need %llu descriptors, and the hard limit (ulimit -Hn) is %llu", clients,
             (unsigned long long)need, (unsigned long long)r.rlim_max);
    return -1;
}

static void close_all(struct crowd *w)
{
    for (unsigned long i = 0; i < w->n; i++)
        if (w->cl[i].fd >= 0)
            close(w->cl[i].fd);
}

/*
 * The PSS of pid and of its children (fork: a process per client), in
 * KiB: what the server's processes hold together, each shared page counted
 * once.  -1 if pid's is unreadable.
 */
static long tree_pss_kib(int pid)
{
    char path[80];
    long total = proc_kib(pid, "smaps_rollup", "Pss"), child;
    FILE *f;
    int c;

    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
    if (total < 0 || !(f = fopen(path, "r")))
        return total;
    while (fscanf(f, "%d", &c) == 1)
        if ((child = proc_kib(c, "smaps_rollup", "Pss")) > 0) /* a child that just ended has none */
            total += child;
    fclose(f);
    return total;
}

/* The crowd into c: n clients, each done one held open (hold) or closed. */
static void crowd_go(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
                     unsigned long n, int hold, struct crowd *w)
{
    *w = (struct crowd){
        .n = n, .echoes = b->echoes, .window = CROWD_BACKLOG, .hold = hold, .ep = -1, .c = c};
    c->clients = n;
    sf_stats_init(&w->s);
    if (enough_fds(c, n) < 0)
        return;
    w->cl = calloc(w->n, sizeof(*w->cl));
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (!w->cl || w->ep < 0) {
        snprintf(c->why, sizeof(c->why), "crowd: %s", strerror(w->cl ? errno : ENOMEM));
        return;
    }
    for (unsigned long i = 0; i < w->n; i++)
        w->cl[i] = (struct client){.fd = -1, .stage = WAITING, .left = w->echoes};
    w->live = w->n;
    sf_cpu_pin(NULL, &b->cpus, b->client.self);
    double secs = run_loop(w, addr, len);
    sf_cpu_pin(NULL, &b->cpus, -1);
    c->rate = secs > 0 ? (double)c->completed / secs : 0;
    c->p99 = sf_stats_percentile(&w->s, 99);
    c->p50 = sf_stats_percentile(&w->s, 50);
    c->ok = 1; /* measured: failures are a figure of the row, with the first reason */
}

static void crowd_end(struct crowd *w)
{
    if (w->cl)
        close_all(w);
    if (w->ep >= 0)
        close(w->ep);
    sf_stats_free(&w->s);
    free(w->cl);
}

void crowd_run(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
               int server_pid)
{
    struct crowd w;

    crowd_go(b, c, addr, len, b->clients, 1, &w);
    if (c->ok)
        c->rss_kib =
            proc_kib(server_pid, "status", "VmHWM"); /* read with the whole crowd still connected */
    crowd_end(&w);
}

void crowd_models(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
                  int server_pid, int hold)
{
    struct crowd w;

    crowd_go(b, c, addr, len, b->clients < MODELS_CLIENTS ? b->clients : MODELS_CLIENTS, hold, &w);
    if (c->ok)
        c->rss_kib = tree_pss_kib(server_pid); /* held: with the whole crowd connected */
    crowd_end(&w);
}

/* A blocking stream socket connected to addr, both its timeouts ms; -1 with errno. */
static int connect_timed(const struct sockaddr *addr, socklen_t len, int ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
        connect(fd, addr, len) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* One 64-byte echo on fd, to its last byte; 0, or -1 with errno (EAGAIN: the timeout). */
static int one_echo(int fd)
{
    static const char msg[ECHO] = "sockfam silent";
    char buf[ECHO];
    size_t got = 0;

    if (send(fd, msg, ECHO, MSG_NOSIGNAL) != ECHO)
        return -1;
    while (got < ECHO) {
        ssize_t n = recv(fd, buf, ECHO - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            errno = n == 0 ? ECONNRESET : errno;
            return -1;
        }
        got += (size_t)n;
    }
    return 0;
}

void crowd_silent(struct cell *c, const struct sockaddr *addr, socklen_t len)
{
    int quiet = connect_timed(addr, len, SILENT_MS), active = -1;
    int64_t t0 = sf_now_ns();

    if (quiet >= 0 && (active = connect_timed(addr, len, SILENT_MS)) >= 0 && one_echo(active) == 0)
        c->silent_ms = (double)(sf_now_ns() - t0) / 1e6;
    else
        c->ok = 0, snprintf(c->why, sizeof(c->why), "the echo beside a silent client: %s",
                            strerror(errno == EAGAIN ? ETIMEDOUT : errno));
    if (active >= 0)
        close(active);
    if (quiet >= 0)
        close(quiet);
}
