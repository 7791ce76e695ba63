/* crowd: many clients at once on one epoll loop; see crowd.h. */
#include "crowd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "stats.h"

#define ECHO 64
#define CROWD_MS 60000

struct client {
    int fd;
    unsigned long left; /* echoes still to do */
    size_t got;         /* bytes of the current reply */
    int64_t t0;
};

struct crowd {
    struct client *cl;
    unsigned long n, echoes, live;
    int ep;
    struct sf_stats s;
    struct cell *c;
};

static void fail(struct crowd *w, struct client *k, const char *what, int errnum)
{
    if (!w->c->why[0])
        snprintf(w->c->why, sizeof(w->c->why), "%s: %s", what, strerror(errnum));
    w->c->failed++;
    close(k->fd);
    k->fd = -1;
    w->live--;
}

static void send_echo(struct crowd *w, struct client *k)
{
    static const char msg[ECHO] = "sockfam crowd";
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};

    k->t0 = sf_now_ns(), k->got = 0;
    if (send(k->fd, msg, ECHO, MSG_NOSIGNAL) != ECHO)
        return fail(w, k, "send", errno ? errno : EAGAIN);
    if (epoll_ctl(w->ep, EPOLL_CTL_MOD, k->fd, &ev) < 0)
        fail(w, k, "epoll_ctl", errno);
}

static void on_event(struct crowd *w, struct client *k, unsigned events)
{
    char buf[ECHO];
    int err = 0;
    socklen_t len = sizeof(err);

    if (k->t0 == 0) { /* connecting: writable when done */
        getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        return err ? fail(w, k, "connect", err) : send_echo(w, k);
    }
    (void)events;
    ssize_t n = recv(k->fd, buf, ECHO - k->got, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n <= 0)
        return fail(w, k, n == 0 ? "closed by the server" : "recv", n == 0 ? ECONNRESET : errno);
    if ((k->got += (size_t)n) < ECHO)
        return;
    struct sf_err e;
    if (sf_stats_add(&e, &w->s, (double)(sf_now_ns() - k->t0) / 1e3) < 0)
        return fail(w, k, "samples", ENOMEM);
    w->c->completed++;
    if (--k->left > 0)
        return send_echo(w, k);
    close(k->fd);
    k->fd = -1;
    w->live--;
}

/* Every client's socket, connecting (non-blocking) at once. */
static void connect_all(struct crowd *w, const struct sockaddr *addr, socklen_t len)
{
    for (unsigned long i = 0; i < w->n; i++) {
        struct client *k = &w->cl[i];
        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = k};
        *k = (struct client){.left = w->echoes};
        k->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        w->live++;
        if (k->fd < 0) {
            k->fd = -1, w->live--, w->c->failed++;
            snprintf(w->c->why, sizeof(w->c->why), "socket: %s", strerror(errno));
        } else if ((connect(k->fd, addr, len) < 0 && errno != EINPROGRESS) ||
                   epoll_ctl(w->ep, EPOLL_CTL_ADD, k->fd, &ev) < 0) {
            fail(w, k, "connect", errno);
        }
    }
}

/* VmHWM of pid, in KiB; -1 if unreadable. */
static long peak_rss_kib(int pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    if (!(f = fopen(path, "r")))
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void run_loop(struct crowd *w)
{
    int64_t deadline = sf_deadline_after_ms(CROWD_MS);
    struct epoll_event evs[256];

    while (w->live > 0 && sf_now_ns() < deadline) {
        int n = epoll_wait(w->ep, evs, 256, sf_deadline_poll_ms(deadline));
        for (int i = 0; i < n; i++)
            on_event(w, evs[i].data.ptr, evs[i].events);
    }
    for (unsigned long i = 0; i < w->n; i++)
        if (w->cl[i].fd >= 0)
            fail(w, &w->cl[i], "unfinished at the deadline", ETIMEDOUT);
}

void crowd_run(struct bench *b, struct cell *c, const struct sockaddr *addr, socklen_t len,
               int server_pid)
{
    struct crowd w = {.n = b->clients, .echoes = b->echoes, .c = c};

    c->clients = b->clients;
    w.cl = calloc(w.n, sizeof(*w.cl));
    w.ep = epoll_create1(EPOLL_CLOEXEC);
    sf_stats_init(&w.s);
    if (!w.cl || w.ep < 0) {
        snprintf(c->why, sizeof(c->why), "crowd: %s", strerror(w.cl ? errno : ENOMEM));
    } else {
        sf_cpu_pin(NULL, &b->cpus, b->client.self);
        connect_all(&w, addr, len);
        run_loop(&w);
        sf_cpu_pin(NULL, &b->cpus, -1);
        c->p99 = sf_stats_percentile(&w.s, 99);
        c->p50 = sf_stats_percentile(&w.s, 50);
        c->rss_kib = peak_rss_kib(server_pid);
        c->ok = 1; /* measured: failures are a figure of the row, with the first reason */
    }
    if (w.ep >= 0)
        close(w.ep);
    sf_stats_free(&w.s);
    free(w.cl);
}
