/*
 * concurrency.c: why the tutorial's server fails.  It served one client
 * at a time: accept, read (bounded by its timeout), answer, close, next.
 * With one silent client connected, the next client waits for the silent
 * one's timeout.  tcp-server (one thread, epoll) answers it at once.  Both
 * delays measured, the same silent client and the same second client
 * against each.  The one-at-a-time server is a thread of this process,
 * written as the tutorial's is; tcp-server runs as itself, as nobody.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"
#include "ready.h"
#include "show.h"
#include "spawn.h"
#include "task.h"

#define SILENT_MS 500 /* the one-at-a-time server's read timeout */

static struct {
    double iterative_ms, epoll_ms;
} cc;

/* The tutorial's server: each client in turn, read bounded by SILENT_MS, then the next. */
static void *one_at_a_time(void *arg)
{
    int l = *(int *)arg;
    struct timeval tv = {0, SILENT_MS * 1000};
    char buf[64];

    for (int served = 0; served < 2; served++) {
        int a = show_wait_readable(l, 5000) ? accept(l, NULL, NULL) : -1; /* bounded */
        if (a < 0)
            break;
        setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ssize_t n = recv(a, buf, sizeof(buf), 0);
        if (n > 0)
            send(a, buf, (size_t)n, MSG_NOSIGNAL);
        close(a);
    }
    return NULL;
}

/* A silent client connected to port, then a second client's round trip there, in ms (-1: none). */
static double second_client_ms(struct sf_err *err, uint16_t port)
{
    char buf[64];
    int silent = show_connect_to(err, SOCK_STREAM, port), c;
    double ms = -1;

    if (silent < 0)
        return -1;
    c = show_connect_to(err, SOCK_STREAM, port);
    if (c >= 0) {
        int64_t t0 = sf_now_ns();
        send(c, "hi", 2, MSG_NOSIGNAL);
        if (show_wait_readable(c, 5000) && recv(c, buf, sizeof(buf), 0) > 0)
            ms = (double)(sf_now_ns() - t0) / 1e6;
        close(c);
    }
    close(silent);
    return ms;
}

static int iterative(struct sf_err *err)
{
    uint16_t port;
    pthread_t t;
    int l = show_bound(err, SOCK_STREAM, &port);

    int rc = l < 0 ? 0 : listen(l, 8) < 0 ? errno : pthread_create(&t, NULL, one_at_a_time, &l);
    if (l < 0 || rc != 0) {
        if (l >= 0)
            close(l);
        return l < 0 ? -1 : sf_err_sys(err, rc, "listen", "127.0.0.1");
    }
    show_step("a one-at-a-time server (accept, read with a %d ms timeout, answer, close)",
              SILENT_MS);
    cc.iterative_ms = second_client_ms(err, port);
    pthread_join(t, NULL);
    close(l);
    return 0;
}

static int with_tcp_server(struct sf_err *err)
{
    static struct sf_task t;
    struct sf_spawn_user nobody = {65534, 65534, 0};
    struct sf_ready ready;
    char bin[4096];
    const char *argv[] = {"tcp-server", "-p", "0", "--mode", "echo", "-q", NULL};

    if (sf_exe_dir(err, bin, sizeof(bin)) < 0)
        return -1;
    show_step("tcp-server -p 0 --mode echo (epoll), as nobody");
    if (sf_task_start_in(err, &t, bin, argv, -1, &nobody) < 0 ||
        sf_ready_wait(err, &t, sf_deadline_after_ms(5000), &ready) < 0) {
        sf_task_end(&t);
        return -1;
    }
    cc.epoll_ms = second_client_ms(err, (uint16_t)ready.port);
    sf_task_signal(&t, SIGTERM);
    sf_task_wait(&t, NULL, sf_deadline_after_ms(3000));
    sf_task_end(&t);
    return 0;
}

static int concurrency_run(struct sf_err *err)
{
    return iterative(err) < 0 ? -1 : with_tcp_server(err);
}

static void concurrency_judge(const struct sf_wire *w, struct show_out *o)
{
    (void)w;
    show_fig(o, "one_at_a_time_ms", cc.iterative_ms, "ms",
             "one-at-a-time server: the second client waited %.1f ms (the silent one's %d ms "
             "timeout)",
             cc.iterative_ms, SILENT_MS);
    show_fig(o, "epoll_ms", cc.epoll_ms, "ms",
             "tcp-server (epoll): the second client waited %.3f ms, the silent one still connected",
             cc.epoll_ms);
    if (cc.iterative_ms < 0.9 * SILENT_MS)
        show_fails(o, "the one-at-a-time server answered the second client after %.1f ms",
                   cc.iterative_ms);
    if (cc.epoll_ms < 0 || cc.epoll_ms >= cc.iterative_ms / 2)
        show_fails(o, "tcp-server answered after %.1f ms", cc.epoll_ms);
}

const struct lesson lessons_concurrency[] = {
    {"concurrency", "one client at a time: the next waits for a silent one; epoll serves both",
     "The tutorial's server accepts a client, reads its request, answers and closes,\n"
     "then accepts the next. One client that connects and says nothing holds every\n"
     "other one until its read times out. tcp-server waits on all its sockets at once\n"
     "(epoll), so a silent client costs the others nothing.",
     concurrency_run, concurrency_judge, NULL},
};
const size_t nlessons_concurrency = 1;
