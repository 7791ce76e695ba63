/*
 * The connection servers' four concurrency models (--model epoll, thread,
 * fork, iterative; common/sock/models.h), each over tcp, unix stream and
 * unix seqpacket, with real processes: three clients served at once (one
 * after another by iterative), the silent-client lesson read from what
 * happened (the iterative server answers a second client only once the
 * silent one's idle close is on its stderr; the others answer while the
 * silent one is still open), a prompt stop on SIGTERM with clients
 * connected and no child left behind, and the last line's counters.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "proc.h"

TestSuite(models, .timeout = 120, .fini = test_dir_remove);

#define WAIT_MS 15000
/* How long a stop may take: a blocking model looks at the stop every 100 ms. */
#define STOP_MS 3000

enum model { EPOLL, THREAD, FORK, ITERATIVE, NMODELS };
static const char *const model_name[] = {"epoll", "thread", "fork", "iterative"};
enum kind { TCP, USTREAM, USEQ, NKINDS };
static const char *const kind_name[] = {"tcp", "unix stream", "unix seqpacket"};
static const char *const unix_type[] = {NULL, "stream", "seqpacket"};

struct target {
    enum model model;
    enum kind kind;
    struct proc p;
    struct sockaddr_storage sa;
    socklen_t salen;
    char where[160]; /* unix:PATH, or the tcp port */
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start the server of kind with --model m and extra args; wait until it listens. */
static void target_start(struct target *t, enum model m, enum kind k, const char *const extra[])
{
    const char *argv[32];
    int n = 0;

    memset(t, 0, sizeof(*t));
    t->model = m, t->kind = k;
    argv[n++] = k == TCP ? "tcp-server" : "unix-server";
    argv[n++] = "--model";
    argv[n++] = model_name[m];
    if (k == TCP) {
        argv[n++] = "-p", argv[n++] = "0";
    } else {
        test_sock_path(t->where, sizeof(t->where), k == USEQ ? "seq.sock" : "stream.sock");
        argv[n++] = "--type", argv[n++] = unix_type[k];
        argv[n++] = "--bind", argv[n++] = t->where;
    }
    for (; extra && *extra && n < 31; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    cr_assert_eq(proc_start(&t->p, argv), 0);
    if (k == TCP) {
        char addr[128];
        int port = proc_wait_listening(&t->p, WAIT_MS, addr, sizeof(addr));
        cr_assert_gt(port, 0, "%s", t->p.err);
        snprintf(t->where, sizeof(t->where), "%d", port);
        struct sockaddr_in a = loopback4(port);
        memcpy(&t->sa, &a, sizeof(a));
        t->salen = sizeof(a);
        return;
    }
    cr_assert(proc_wait_output(&t->p, 2, "listening on ", WAIT_MS), "%s", t->p.err);
    struct sockaddr_un *u = (struct sockaddr_un *)&t->sa;
    u->sun_family = AF_UNIX;
    snprintf(u->sun_path, sizeof(u->sun_path), "%s", t->where + 5);
    t->salen = sizeof(*u);
}

/* "fork, unix seqpacket": what a failure names. */
static const char *what(const struct target *t)
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "%s, %s", model_name[t->model], kind_name[t->kind]);
    return buf;
}

/* SIGTERM, an exit 0 within STOP_MS, and the server's last line. */
static const char *target_stop(struct target *t)
{
    cr_expect_eq(proc_signal_wait(&t->p, SIGTERM, STOP_MS), 0, "%s: %s", what(t), t->p.err);
    const char *line = strstr(t->p.err, "-server: clients ");
    cr_assert_not_null(line, "%s: %s", what(t), t->p.err);
    return line;
}

static int target_connect(const struct target *t)
{
    int fd = socket(t->sa.ss_family, t->kind == USEQ ? SOCK_SEQPACKET : SOCK_STREAM, 0);

    cr_assert_geq(fd, 0, "socket: %s", strerror(errno));
    cr_assert_eq(connect(fd, (const struct sockaddr *)&t->sa, t->salen), 0, "connect %s: %s",
                 what(t), strerror(errno));
    return fd;
}

/* Is a reply (or the end) waiting on fd right now?  Looks, never waits. */
static int has_input(int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};

    return poll(&pf, 1, 0) > 0;
}

/* The reply to "x", within WAIT_MS: "echo=> x". */
static void expect_echo(const struct target *t, int fd)
{
    struct pollfd pf = {fd, POLLIN, 0};
    char buf[64];

    cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "%s: no reply", what(t));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    cr_assert_eq(n, 8, "%s: reply of %zd bytes", what(t), n);
    cr_expect_eq(memcmp(buf, "echo=> x", 8), 0, "%s", what(t));
}

static void send_x(int fd)
{
    cr_assert_eq(send(fd, "x", 1, MSG_NOSIGNAL), 1, "send: %s", strerror(errno));
}

/* Wait (bounded) until fd is at its end: EOF or a reset. */
static void wait_closed(const struct target *t, int fd)
{
    char buf[4096];
    long long end = now_ms() + WAIT_MS;

    for (;;) {
        struct pollfd pf = {fd, POLLIN, 0};
        long long left = end - now_ms();
        cr_assert_gt(left, 0, "%s: the server did not close the connection", what(t));
        if (poll(&pf, 1, (int)left) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            return;
    }
}

/*
 * Send without reading until every buffer on the way is full (sends stop
 * taking bytes and poll sees no room for 300 ms): the server is then
 * blocked sending to this client.  Bounded: at most 256 MiB.
 */
static void fill_without_reading(int fd)
{
    static char chunk[4096];
    size_t total = 0;

    while (total < (256u << 20)) {
        ssize_t n = send(fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            total += (size_t)n;
            continue;
        }
        cr_assert(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK), "send: %s", strerror(errno));
        struct pollfd pf = {fd, POLLOUT, 0};
        if (poll(&pf, 1, 300) == 0)
            return;
    }
    cr_assert_fail("%zu bytes sent to a server that should have stopped reading", total);
}

/* Read what the server printed so far (one look, a few ms at most). */
static void server_output_now(struct target *t)
{
    proc_wait_output(&t->p, 2, "\x01 never printed", 5);
}

/*
 * Three clients at once: epoll, thread and fork answer all three while all
 * three are open; iterative answers the second only once the first has
 * gone, and the third once the second has.  The last line counts them.
 */
Test(models, three_clients_served_at_once_or_in_turn)
{
    for (int m = 0; m < NMODELS; m++)
        for (int k = 0; k < NKINDS; k++) {
            struct target t;
            int fd[3];
            target_start(&t, m, k, (const char *[]){"-q", NULL});
            for (int i = 0; i < 3; i++)
                fd[i] = target_connect(&t);
            for (int i = 0; i < 3; i++)
                send_x(fd[i]);
            for (int i = 0; i < 3; i++) {
                expect_echo(&t, fd[i]);
                /* Iterative is still in the conversation with fd[i]: no one else is answered. */
                for (int j = i + 1; m == ITERATIVE && j < 3; j++)
                    cr_expect(!has_input(fd[j]), "%s: client %d answered before %d left", what(&t),
                              j, i);
                if (m == ITERATIVE)
                    close(fd[i]);
            }
            for (int i = 0; m != ITERATIVE && i < 3; i++)
                close(fd[i]);
            const char *line = target_stop(&t);
            cr_expect_eq(line_counter(line, "clients "), 3, "%s: %s", what(&t), line);
            cr_expect_eq(line_counter(line, "replies "), 3, "%s: %s", what(&t), line);
            cr_expect_eq(line_counter(line, "bytes in "), 3, "%s: %s", what(&t), line);
            cr_expect_eq(line_counter(line, "bytes out "), 24, "%s: %s", what(&t), line);
        }
}

/*
 * The lesson: one client connected and silent, a second sends.  Iterative
 * answers the second only after the silent one's idle close (its line is
 * on the server's stderr, printed before the reply was sent); epoll,
 * thread and fork answer while the silent one is still open.  The idle
 * timeout is short for iterative (0.5 s, the test waits it out) and long
 * for the others (10 s: only a stall that long could close it first).
 */
Test(models, silent_client_holds_only_the_iterative_server)
{
    for (int m = 0; m < NMODELS; m++)
        for (int k = 0; k < NKINDS; k++) {
            struct target t;
            const char *idle = m == ITERATIVE ? "0.5" : "10";
            target_start(&t, m, k, (const char *[]){"--idle-timeout", idle, NULL});
            int silent = target_connect(&t);
            /* Accepted (it is in the server's hands, not the backlog's) before the other comes. */
            cr_assert(proc_wait_output(&t.p, 1, "Server connected by", WAIT_MS), "%s: %s", what(&t),
                      t.p.out);
            int active = target_connect(&t);
            long long t0 = now_ms();
            send_x(active);
            expect_echo(&t, active);
            long long waited = now_ms() - t0;
            server_output_now(&t);
            int closed = strstr(t.p.err, "closed: it sent nothing for") != NULL;
            cr_log_info("%s: the active client's echo took %lld ms beside a silent one", what(&t),
                        waited);
            if (m == ITERATIVE) {
                cr_expect(closed, "%s: answered before the silent client was closed: %s", what(&t),
                          t.p.err);
                wait_closed(&t, silent);
            } else {
                cr_expect(!closed && !has_input(silent),
                          "%s: the silent client was closed first: %s", what(&t), t.p.err);
            }
            close(active);
            close(silent);
            const char *line = target_stop(&t);
            cr_expect_eq(line_counter(line, "clients "), 2, "%s: %s", what(&t), line);
            cr_expect_eq(line_counter(line, "replies "), 1, "%s: %s", what(&t), line);
            cr_expect_eq(line_counter(line, "idle "), m == ITERATIVE, "%s: %s", what(&t), line);
        }
}

/* The pids the process pid started that are still its children (running or not yet reaped). */
static int children_of(pid_t pid, pid_t *kids, int cap)
{
    char path[64];
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    for (struct dirent *e; (e = readdir(d));) {
        char file[320];
        if (e->d_name[0] == '.')
            continue;
        snprintf(file, sizeof(file), "/proc/%d/task/%s/children", (int)pid, e->d_name);
        FILE *f = fopen(file, "r");
        for (int v; f && n < cap && fscanf(f, "%d", &v) == 1;)
            kids[n++] = v;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

/* How many sockets pid holds open. */
static int sockets_of(pid_t pid)
{
    char path[64], link[320], target[128];
    int n = 0;

    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(path);
    cr_assert_not_null(d, "%s: %s", path, strerror(errno));
    for (struct dirent *e; (e = readdir(d));) {
        snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
        ssize_t len = readlink(link, target, sizeof(target) - 1);
        if (len > 0 && (target[len] = '\0', strncmp(target, "socket:", 7) == 0))
            n++;
    }
    closedir(d);
    return n;
}

/*
 * SIGTERM with two clients connected, one whose reply waits for it to read
 * (the server blocked in send) and one idle: exit 0 within STOP_MS, the
 * last line, both connections closed, and nothing left behind: a forked
 * child held its client alone (not the listener) while it ran, and none
 * outlives the server (this test is their subreaper: one left would be ours).
 */
Test(models, sigterm_stops_promptly_nothing_left_behind)
{
    cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    for (int m = 0; m < NMODELS; m++)
        for (int k = 0; k < NKINDS; k++) {
            struct target t;
            pid_t kids[8];
            target_start(&t, m, k, (const char *[]){"-q", NULL});
            int busy = target_connect(&t);
            fill_without_reading(busy);
            int idle = target_connect(&t);
            int served = m == ITERATIVE ? 1 : 2; /* iterative's second waits in the backlog */
            if (m != ITERATIVE) {                /* answered: its thread or child is there */
                send_x(idle);
                expect_echo(&t, idle);
            }
            int n = children_of(t.p.pid, kids, 8);
            cr_expect_eq(n, m == FORK ? 2 : 0, "%s: %d children", what(&t), n);
            for (int i = 0; m == FORK && i < n; i++)
                cr_expect_eq(sockets_of(kids[i]), 1, "%s: child %d holds more than its client",
                             what(&t), (int)kids[i]);
            long long t0 = now_ms();
            const char *line = target_stop(&t);
            cr_log_info("%s: stopped in %lld ms", what(&t), now_ms() - t0);
            cr_expect_eq(line_counter(line, "clients "), (unsigned long long)served, "%s: %s",
                         what(&t), line);
            wait_closed(&t, busy);
            wait_closed(&t, idle);
            close(busy);
            close(idle);
            n = children_of(getpid(), kids, 8);
            cr_expect_eq(n, 0, "%s: %d of the server's children outlived it", what(&t), n);
            for (int i = 0; i < n; i++) /* ours now: end them, so the next case starts clean */
                kill(kids[i], SIGKILL), waitpid(kids[i], NULL, 0);
        }
}

/*
 * The counters come home from every model: a 20-byte record read into an
 * 8-byte buffer is one truncation (said by whoever served it, a child for
 * fork), one read of 8 bytes, one reply of 15.
 */
Test(models, counters_come_home_from_every_model)
{
    for (int m = 0; m < NMODELS; m++) {
        struct target t;
        char buf[64];
        target_start(&t, m, USEQ, (const char *[]){"-q", "--recv-size", "8", NULL});
        int fd = target_connect(&t);
        cr_assert_eq(send(fd, "twenty bytes, really", 20, MSG_NOSIGNAL), 20);
        struct pollfd pf = {fd, POLLIN, 0};
        cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "%s: no reply", what(&t));
        cr_expect_eq(recv(fd, buf, sizeof(buf), 0), 15, "%s", what(&t));
        close(fd);
        const char *line = target_stop(&t);
        cr_expect_eq(line_counter(line, "truncated "), 1, "%s: %s", what(&t), line);
        cr_expect_eq(line_counter(line, "replies "), 1, "%s: %s", what(&t), line);
        cr_expect_eq(line_counter(line, "bytes in "), 8, "%s: %s", what(&t), line);
        cr_expect_eq(line_counter(line, "bytes out "), 15, "%s: %s", what(&t), line);
        cr_expect(strstr(line, "; reads 1 (8-8 bytes)"), "%s: %s", what(&t), line);
        cr_expect(strstr(t.p.err, "truncated: 20 bytes, buffer 8"), "%s: %s", what(&t), t.p.err);
    }
}

/* The welcome demo under every model: '1' welcomed, and a silent client's "Time Out". */
Test(models, welcome_and_its_timeout_every_model)
{
    for (int m = 0; m < NMODELS; m++) {
        struct target t;
        struct proc c;
        target_start(&t, m, TCP, (const char *[]){"--mode", "welcome", "--timeout", "0.3", NULL});
        const char *argv[] = {"tcp-client", "--mode", "welcome", "-p", t.where, NULL};
        cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", what(&t), c.err);
        cr_expect_str_eq(c.out, "Welcome to server!\n", "%s", what(&t));
        int silent = target_connect(&t);
        cr_expect(proc_wait_output(&t.p, 1, "Time Out\n", WAIT_MS), "%s: %s", what(&t), t.p.out);
        wait_closed(&t, silent);
        close(silent);
        const char *line = target_stop(&t);
        cr_expect_eq(line_counter(line, "clients "), 2, "%s: %s", what(&t), line);
        cr_expect_eq(line_counter(line, "timed out "), 1, "%s: %s", what(&t), line);
    }
}

/*
 * --max-conns 2 and --max-per-peer 2 under thread and fork: the third
 * connection is accepted and closed at once, the two open ones still served.
 */
Test(models, caps_close_the_one_too_many)
{
    static const char *const caps[][2] = {{"--max-conns", "refused at --max-conns "},
                                          {"--max-per-peer", "refused at --max-per-peer "}};

    for (int m = THREAD; m <= FORK; m++)
        for (int k = 0; k < NKINDS; k++)
            for (int i = 0; i < 2; i++) {
                struct target t;
                target_start(&t, m, k, (const char *[]){"-q", caps[i][0], "2", NULL});
                int a = target_connect(&t), b = target_connect(&t), c = target_connect(&t);
                wait_closed(&t, c);
                send_x(a), send_x(b);
                expect_echo(&t, a), expect_echo(&t, b);
                close(a), close(b), close(c);
                const char *line = target_stop(&t);
                cr_expect_eq(line_counter(line, caps[i][1]), 1, "%s %s: %s", what(&t), caps[i][0],
                             line);
                cr_expect_eq(line_counter(line, "clients "), 2, "%s: %s", what(&t), line);
            }
}

/* A client that never reads its replies is dropped after --send-timeout, by every model. */
Test(models, non_reader_dropped_after_send_timeout)
{
    for (int m = THREAD; m < NMODELS; m++) {
        struct target t;
        target_start(&t, m, TCP,
                     (const char *[]){"-q", "--mode", "mirror", "--send-timeout", "0.3", NULL});
        int fd = target_connect(&t);
        fill_without_reading(fd);
        cr_expect(proc_wait_output(&t.p, 2, "took none of its reply for 0.3 s", WAIT_MS), "%s: %s",
                  what(&t), t.p.err);
        close(fd);
        const char *line = target_stop(&t);
        cr_expect_eq(line_counter(line, "dropped for not reading "), 1, "%s: %s", what(&t), line);
        cr_expect_eq(line_counter(line, "largest waiting reply "), 0, "%s: %s", what(&t), line);
    }
}

/* --once under every model: the first client's conversation ends, and so does the server. */
Test(models, once_exits_after_the_first_client)
{
    for (int m = 0; m < NMODELS; m++) {
        struct target t;
        struct proc c;
        target_start(&t, m, USTREAM, (const char *[]){"-q", "--once", NULL});
        const char *argv[] = {"unix-client", "--type", "stream", t.where, NULL};
        cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s: %s", what(&t), c.err);
        cr_expect_eq(proc_wait_exit(&t.p, WAIT_MS), 0, "%s: %s", what(&t), t.p.err);
        cr_expect(strstr(t.p.err, "unix-server: clients 1, replies 1, "), "%s: %s", what(&t),
                  t.p.err);
    }
}

/* --model's bad values, and dgram, which has no connections to share out, exit 64. */
Test(models, usage_errors_exit_64)
{
    static const struct {
        const char *argv[8], *says;
    } bad[] = {
        {{"tcp-server", "--model", "prefork", NULL},
         "invalid --model 'prefork' (expected epoll, thread, fork or iterative)"},
        {{"unix-server", "--type", "dgram", "--model", "thread", NULL},
         "--model thread: --type dgram has no connections"},
        {{"udp-server", "--model", "fork", NULL}, "unknown option '--model'"},
        {{"tcp-server", "--spin", "--model", "thread", NULL},
         "--spin --model thread: only the epoll loop spins"},
    };
    struct proc c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(proc_run(&c, WAIT_MS, bad[i].argv), 64, "%s: %s", bad[i].argv[0], c.err);
        cr_expect(strstr(c.err, bad[i].says), "%s", c.err);
    }
    const char *help[] = {"unix-server", "--help", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, help), 0);
    cr_expect(strstr(c.out, "--model MODEL") && strstr(c.out, "  iterative  one client at a time"),
              "%s", c.out);
}
