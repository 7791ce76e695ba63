/* task: a child of the run and its bounded output; see task.h. */
#include "task.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io.h"

int sf_task_start(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                  const char *const argv[])
{
    return sf_task_start_in(err, t, bin_dir, argv, -1, NULL);
}

int sf_task_start_in(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                     const char *const argv[], int netns_fd, const struct sf_spawn_user *u)
{
    char path[4096];

    memset(t, 0, sizeof(*t));
    t->c = (struct sf_child){.pid = -1, .out_fd = -1, .err_fd = -1, .pidfd = -1};
    snprintf(t->name, sizeof(t->name), "%s",
             strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", strchr(argv[0], '/') ? "" : bin_dir,
                         argv[0]) >= sizeof(path))
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "%s: path too long", argv[0]);
    if (sf_spawn_in(err, &t->c, path, argv, netns_fd, u) < 0)
        return -1;
    t->started = 1;
    return 0;
}

int sf_task_fds(const struct sf_task *t, struct pollfd *pf)
{
    int n = 0;
    const int fds[3] = {t->c.out_fd, t->c.err_fd, t->exited ? -1 : t->c.pidfd};

    if (!t->started)
        return 0;
    for (int i = 0; i < 3; i++)
        if (fds[i] >= 0)
            pf[n++] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    return n;
}

/* Read one pipe if it has data; at EOF close it.  Bytes past cap are read and dropped. */
static void drain(struct sf_task *t, int *fd, char *buf, size_t *len, size_t cap)
{
    char sink[4096];
    struct pollfd pf = {.fd = *fd, .events = POLLIN};

    while (*fd >= 0 && poll(&pf, 1, 0) > 0) {
        int full = *len + 1 >= cap;
        ssize_t n = full ? read(*fd, sink, sizeof(sink)) : read(*fd, buf + *len, cap - 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(*fd);
            *fd = -1;
            break;
        }
        if (full)
            t->cut = 1;
        else
            *len += (size_t)n;
        buf[*len] = '\0';
    }
}

void sf_task_pump(struct sf_task *t)
{
    if (!t->started)
        return;
    drain(t, &t->c.out_fd, t->out, &t->out_len, sizeof(t->out));
    drain(t, &t->c.err_fd, t->err, &t->err_len, sizeof(t->err));
    if (!t->exited && sf_child_reap(&t->c, &t->status))
        t->exited = 1;
}

const char *sf_task_last_line(const struct sf_task *t, char *buf, size_t cap)
{
    size_t end = t->err_len, start;

    while (end > 0 && (t->err[end - 1] == '\n' || t->err[end - 1] == ' '))
        end--;
    start = end;
    while (start > 0 && t->err[start - 1] != '\n')
        start--;
    snprintf(buf, cap, "%.*s", (int)(end - start), t->err + start);
    return buf;
}

void sf_task_signal(struct sf_task *t, int sig)
{
    if (t->started && !t->exited && t->c.pid > 0)
        kill(t->c.pid, sig);
}

void sf_task_end(struct sf_task *t)
{
    if (!t->started)
        return;
    sf_task_pump(t);
    if (!t->exited && t->c.pid > 0) {
        sf_child_kill(&t->c);
        t->exited = 1;
        t->status = 128 + SIGKILL;
    }
    sf_child_close(&t->c);
}

int sf_task_wait(struct sf_task *t, const char *needle, int64_t deadline)
{
    struct pollfd pf[3];

    for (;;) {
        sf_task_pump(t);
        if (needle && (strstr(t->err, needle) || strstr(t->out, needle)))
            return 1;
        if (t->exited && t->c.out_fd < 0 && t->c.err_fd < 0) /* all it said is read */
            return needle ? 0 : 1;
        int n = sf_task_fds(t, pf);
        if (sf_now_ns() >= deadline || n == 0 ||
            poll(pf, (nfds_t)n, sf_deadline_poll_ms(deadline)) < 0)
            return needle ? 0 : (sf_task_pump(t), t->exited);
    }
}

void sf_task_release(struct sf_task *t, struct sf_child *c)
{
    *c = t->c;
    t->c = (struct sf_child){.pid = -1, .out_fd = -1, .err_fd = -1, .pidfd = -1};
    t->started = 0; /* nothing left for sf_task_end() to do */
}
