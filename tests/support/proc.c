/* proc: run the suite's programs from tests; see proc.h. */
#include "proc.h"

#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "io.h"
#include "ready.h"
#include "spawn.h"
#include "task.h"

#ifndef SF_BIN_DIR
#error "SF_BIN_DIR must name the directory of the built programs"
#endif

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int proc_start(struct proc *p, const char *const argv[])
{
    return proc_start_in(p, -1, argv);
}

int proc_start_in(struct proc *p, int netns_fd, const char *const argv[])
{
    struct sf_child c;
    char path[512];

    memset(p, 0, sizeof(*p));
    p->status = -1;
    /* A bare name is one of ours; an absolute path is a system tool (setpriv). */
    if (argv[0][0] == '/')
        snprintf(path, sizeof(path), "%s", argv[0]);
    else
        snprintf(path, sizeof(path), "%s/%s", SF_BIN_DIR, argv[0]);
    if (sf_spawn_in(NULL, &c, path, argv, netns_fd, NULL) < 0)
        return -1;
    if (c.pidfd >= 0)
        close(c.pidfd);
    p->pid = c.pid;
    p->out_fd = c.out_fd;
    p->err_fd = c.err_fd;
    return 0;
}

static void drain(int *fd, char *buf, size_t *len, size_t cap)
{
    ssize_t n = read(*fd, buf + *len, cap - 1 - *len);
    if (n <= 0) {
        close(*fd);
        *fd = -1;
        return;
    }
    *len += (size_t)n;
    buf[*len] = '\0';
}

/* Read whatever arrives within ms; 0 when both pipes are closed. */
static int pump(struct proc *p, int ms)
{
    struct pollfd pf[2] = {{p->out_fd, POLLIN, 0}, {p->err_fd, POLLIN, 0}};

    if (p->out_fd < 0 && p->err_fd < 0)
        return 0;
    if (poll(pf, 2, ms) <= 0)
        return 1;
    if (pf[0].revents)
        drain(&p->out_fd, p->out, &p->out_len, sizeof(p->out));
    if (pf[1].revents)
        drain(&p->err_fd, p->err, &p->err_len, sizeof(p->err));
    return 1;
}

int proc_wait_output(struct proc *p, int which, const char *needle, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;

    for (;;) {
        const char *buf = which == 1 ? p->out : p->err;
        if (strstr(buf, needle))
            return 1;
        long long left = end - now_ms();
        if (left <= 0 || !pump(p, (int)left))
            return strstr(which == 1 ? p->out : p->err, needle) != NULL;
    }
}

static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

int proc_wait_count(struct proc *p, int which, const char *needle, int n, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;

    for (;;) {
        if (count_of(which == 1 ? p->out : p->err, needle) >= n)
            return 1;
        long long left = end - now_ms();
        if (left <= 0 || !pump(p, (int)left))
            return count_of(which == 1 ? p->out : p->err, needle) >= n;
    }
}

int proc_wait_listening(struct proc *p, int timeout_ms, char *addr, size_t cap)
{
    struct sf_ready r;

    /* The line is complete once its newline came; sf_ready_parse reads it. */
    if (!proc_wait_output(p, 2, SF_READY_LINE, timeout_ms) ||
        !proc_wait_output(p, 2, "\n", timeout_ms) || sf_ready_parse(p->err, p->err_len, &r) != 1 ||
        r.port <= 0)
        return -1;
    snprintf(addr, cap, "%s", r.addr);
    return r.port;
}

int proc_wait_exit(struct proc *p, int timeout_ms)
{
    long long end = now_ms() + timeout_ms;
    int st;

    while (now_ms() < end && pump(p, (int)(end - now_ms())))
        ;
    /* Reaped already (see proc_adopt): no pid to wait for, and never waitpid(-1) or kill(-1). */
    if (p->pid <= 0)
        return p->status;
    /* Both pipes are closed; wait for the exit itself on a pidfd, bounded. */
    int pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
    struct pollfd pf = {pidfd, POLLIN, 0};
    long long left = end - now_ms();
    if (pidfd >= 0 && left > 0)
        poll(&pf, 1, (int)left);
    if (pidfd >= 0)
        close(pidfd);
    if (waitpid(p->pid, &st, WNOHANG) != p->pid) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &st, 0);
        p->status = -1;
        return -1;
    }
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return p->status;
}

int proc_signal_wait(struct proc *p, int sig, int timeout_ms)
{
    if (p->pid > 0)
        kill(p->pid, sig);
    return proc_wait_exit(p, timeout_ms);
}

int proc_run(struct proc *p, int timeout_ms, const char *const argv[])
{
    if (proc_start(p, argv) < 0)
        return -1;
    return proc_wait_exit(p, timeout_ms);
}

static int free_port(int type)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sin);
    int fd = socket(AF_INET, type, 0), port;

    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sin, &len) < 0)
        port = -1;
    else
        port = ntohs(sin.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

int free_tcp_port(void)
{
    return free_port(SOCK_STREAM);
}

int free_udp_port(void)
{
    return free_port(SOCK_DGRAM);
}

int ipv6_available(void)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    int ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Take over a task's child and what it printed so far; the task forgets it. */
static void proc_adopt(struct proc *p, struct sf_task *t)
{
    struct sf_child c;

    memset(p, 0, sizeof(*p));
    p->status = t->exited ? t->status : -1;
    sf_task_release(t, &c);
    if (c.pidfd >= 0)
        close(c.pidfd);
    p->pid = c.pid;
    p->out_fd = c.out_fd;
    p->err_fd = c.err_fd;
    memcpy(p->out, t->out, t->out_len + 1);
    memcpy(p->err, t->err, t->err_len + 1);
    p->out_len = t->out_len;
    p->err_len = t->err_len;
}

int server_start(struct server *s, const char *program, const char *const extra[])
{
    const char *argv[24] = {program, "-p", "0"};
    struct sf_task *t = calloc(1, sizeof(*t));
    struct sf_ready r;
    struct sf_err err;
    int n = 3, rc;

    cr_assert_not_null(t);
    for (; extra && *extra && n < 23; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    memset(s, 0, sizeof(*s));
    rc = sf_ready_start(&err, t, SF_BIN_DIR, argv, sf_deadline_after_ms(10000), &r);
    proc_adopt(&s->p, t); /* the test owns the server from here, ready or not */
    free(t);
    if (rc < 0 || r.port <= 0 ||
        (size_t)snprintf(s->addr, sizeof(s->addr), "%s", r.addr) >= sizeof(s->addr))
        return -1;
    s->port = r.port;
    snprintf(s->portstr, sizeof(s->portstr), "%d", s->port);
    return 0;
}

const char *proc_bin(const char *name)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];

    snprintf(p, sizeof(path[0]), "%s/%s", SF_BIN_DIR, name);
    return p;
}

static char test_dir[64];

void test_sock_path(char *buf, size_t cap, const char *name)
{
    if (!test_dir[0]) {
        strcpy(test_dir, "/tmp/sockfam-test-XXXXXX");
        if (!mkdtemp(test_dir)) {
            test_dir[0] = '\0';
            snprintf(buf, cap, "unix:/nonexistent/%s", name); /* the server will say why */
            return;
        }
    }
    snprintf(buf, cap, "unix:%s/%s", test_dir, name);
}

void test_dir_remove(void)
{
    DIR *d = test_dir[0] ? opendir(test_dir) : NULL;
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof(path), "%s/%s", test_dir, e->d_name);
            unlink(path);
        }
    if (d) {
        closedir(d);
        rmdir(test_dir);
    }
}

unsigned long fd_limit_raise(void)
{
    struct rlimit r;

    if (getrlimit(RLIMIT_NOFILE, &r) < 0)
        return 0;
    r.rlim_cur = r.rlim_max < 4096 ? r.rlim_max : 4096;
    if (setrlimit(RLIMIT_NOFILE, &r) < 0 && getrlimit(RLIMIT_NOFILE, &r) < 0)
        return 0;
    return (unsigned long)r.rlim_cur;
}

struct sockaddr_in loopback4(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return a;
}

unsigned long long line_counter(const char *line, const char *name)
{
    const char *p = strstr(line, name);

    cr_assert_not_null(p, "no '%s' in %s", name, line);
    return strtoull(p + strlen(name), NULL, 10);
}

int proc_run_nobody(struct proc *p, int timeout_ms, const char *const argv[])
{
    const char *v[64] = {"/usr/bin/setpriv", "--reuid=65534",   "--regid=65534",
                         "--clear-groups",   "--inh-caps=-all", "--bounding-set=-all",
                         proc_bin(argv[0])};
    int n = 7;

    for (int i = 1; argv[i] && n < 63; i++)
        v[n++] = argv[i];
    v[n] = NULL;
    return proc_run(p, timeout_ms, v);
}

struct reads server_reads(const char *err, const char *program)
{
    char start[64];
    const char *line = NULL, *r;
    struct reads x = {0};

    snprintf(start, sizeof(start), "%s: ", program);
    for (const char *p = err; (p = strstr(p, start)); p++)
        if (p == err || p[-1] == '\n')
            line = p;
    cr_assert_not_null(line, "no '%s' line in %s", start, err);
    r = strstr(line, "; reads ");
    cr_assert_not_null(r, "no reads on %s", line);
    cr_assert_eq(sscanf(r, "; reads %llu (%llu-%llu bytes)", &x.n, &x.smallest, &x.largest), 3,
                 "%s", line);
    return x;
}
