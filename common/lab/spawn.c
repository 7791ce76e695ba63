/* spawn: children on pipes that die with their parent; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* In the child: wire the pipes, then exec; only async-signal-safe calls. */
static void child(const char *path, const char *const argv[], int out, int err, pid_t parent)
{
    int null = open("/dev/null", O_RDONLY);
    sigset_t none;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl */
        _exit(127);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the parent may block SIGINT/SIGTERM */
    if (null >= 0)
        dup2(null, 0);
    dup2(out, 1);
    dup2(err, 2);
    execv(path, (char *const *)argv);
    dprintf(2, "exec %s: %s\n", path, strerror(errno));
    _exit(127);
}

int sf_spawn(struct sf_err *err, struct sf_child *c, const char *path, const char *const argv[])
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1};
    pid_t parent = getpid();

    c->pid = -1;
    c->out_fd = c->err_fd = c->pidfd = -1;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
        int e = errno;
        close_fd(&out[0]), close_fd(&out[1]), close_fd(&errp[0]);
        return sf_err_sys(err, e, "spawn", path);
    }
    c->pid = fork();
    if (c->pid < 0) {
        int e = errno;
        close_fd(&out[0]), close_fd(&out[1]), close_fd(&errp[0]), close_fd(&errp[1]);
        return sf_err_sys(err, e, "spawn", path);
    }
    if (c->pid == 0)
        child(path, argv, out[1], errp[1], parent);
    close_fd(&out[1]);
    close_fd(&errp[1]);
    c->out_fd = out[0];
    c->err_fd = errp[0];
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    return 0;
}

int sf_child_reap(struct sf_child *c, int *status)
{
    int st;

    if (c->pid < 0 || waitpid(c->pid, &st, WNOHANG) != c->pid)
        return 0;
    *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    c->pid = -1;
    close_fd(&c->pidfd);
    return 1;
}

void sf_child_kill(struct sf_child *c)
{
    if (c->pid > 0) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = -1;
    }
    sf_child_close(c);
}

void sf_child_close(struct sf_child *c)
{
    close_fd(&c->out_fd);
    close_fd(&c->err_fd);
    close_fd(&c->pidfd);
}

int sf_exe_dir(struct sf_err *err, char *buf, size_t cap)
{
    ssize_t n = cap > 1 ? readlink("/proc/self/exe", buf, cap) : -1;
    char *slash;

    if (n < 0)
        return sf_err_sys(err, cap > 1 ? errno : ENAMETOOLONG, "readlink", "/proc/self/exe");
    if ((size_t)n >= cap) /* readlink does not say it cut the name: a full buffer may have */
        return sf_err_sys(err, ENAMETOOLONG, "readlink", "/proc/self/exe");
    buf[n] = '\0';
    slash = strrchr(buf, '/');
    if (!slash)
        return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "/proc/self/exe: '%s' has no directory",
                          buf);
    *(slash == buf ? slash + 1 : slash) = '\0';
    return 0;
}
