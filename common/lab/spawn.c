/* spawn: children on pipes that die with their parent; see spawn.h. */
#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <linux/capability.h>
#include <linux/close_range.h>
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

/* What failed in the child before its program ran, sent back on the report pipe. */
enum step {
    STEP_NETNS,
    STEP_FDS,
    STEP_CAPS,
    STEP_GROUPS,
    STEP_GID,
    STEP_UID,
    STEP_NO_NEW_PRIVS,
    STEP_EXEC
};

static const char *const step_names[] = {"setns",     "descriptors", "capabilities", "setgroups",
                                         "setresgid", "setresuid",   "no_new_privs", "exec"};

struct report {
    int step, errnum;
};

/* Only async-signal-safe calls from here to the exec: write(2), then _exit(2). */
static _Noreturn void child_fail(int report_fd, enum step step)
{
    struct report rp = {step, errno};

    if (write(report_fd, &rp, sizeof(rp)) < 0)
        _exit(126);
    _exit(127);
}

/* Every descriptor above 2 closes at the exec, the report pipe's too (it is CLOEXEC already). */
static int cloexec_all(void)
{
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
        return 0;
    /* Before Linux 5.11: one fcntl per descriptor number (sysconf is not async-signal-safe). */
    for (int fd = 3; fd < 65536; fd++)
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
            return -1;
    return 0;
}

/* Become u with nothing left to regain: the bounding set first, while root may still drop it. */
static void become(int report_fd, const struct sf_spawn_user *u)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
    unsigned raw = u->net_raw ? 1u << CAP_NET_RAW : 0;

    if (u->net_raw && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        child_fail(report_fd, STEP_CAPS);
    for (int cap = 0; cap < 64; cap++)
        if (!(u->net_raw && cap == CAP_NET_RAW) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 &&
            errno != EINVAL)
            child_fail(report_fd, STEP_CAPS);
    if (setgroups(1, &u->gid) < 0)
        child_fail(report_fd, STEP_GROUPS);
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        child_fail(report_fd, STEP_GID);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        child_fail(report_fd, STEP_UID);
    /* Only CAP_NET_RAW, if anything: permitted and inheritable, then ambient for the exec. */
    data[0].effective = data[0].permitted = data[0].inheritable = raw;
    if (syscall(SYS_capset, &hdr, data) < 0 ||
        (raw && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) < 0))
        child_fail(report_fd, STEP_CAPS);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail(report_fd, STEP_NO_NEW_PRIVS);
}

/* In the child: wire the pipes, give up what it must not have, then exec. */
static _Noreturn void child(const char *path, const char *const argv[], int out, int err,
                            int report_fd, pid_t parent, int netns_fd,
                            const struct sf_spawn_user *u)
{
    int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    sigset_t none;

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) /* the parent died before prctl */
        _exit(127);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the parent may block SIGINT/SIGTERM */
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) < 0)
        child_fail(report_fd, STEP_NETNS);
    /* dup2 clears close-on-exec on 0-2 only: the originals close at the exec. */
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || cloexec_all() < 0)
        child_fail(report_fd, STEP_FDS);
    if (u)
        become(report_fd, u);
    execv(path, (char *const *)argv);
    child_fail(report_fd, STEP_EXEC);
}

/* Wait for the exec (the report pipe closes) or for the child's report of what failed. */
static int exec_result(struct sf_err *err, struct sf_child *c, int report_fd, const char *path)
{
    struct report rp;
    ssize_t n;

    do
        n = read(report_fd, &rp, sizeof(rp));
    while (n < 0 && errno == EINTR);
    close(report_fd);
    if (n != (ssize_t)sizeof(rp))
        return 0; /* closed by the exec: the program runs */
    waitpid(c->pid, NULL, 0);
    c->pid = -1;
    sf_child_close(c);
    if (rp.step < 0 || rp.step > STEP_EXEC)
        rp.step = STEP_EXEC;
    if (rp.step == STEP_EXEC)
        return sf_err_sys(err, rp.errnum, "exec", path);
    return sf_err_set(err, SF_ERR_SYS, rp.errnum, "spawn", "spawn(%s): %s: %s", path,
                      step_names[rp.step], strerror(rp.errnum));
}

int sf_spawn(struct sf_err *err, struct sf_child *c, const char *path, const char *const argv[])
{
    return sf_spawn_in(err, c, path, argv, -1, NULL);
}

int sf_spawn_in(struct sf_err *err, struct sf_child *c, const char *path, const char *const argv[],
                int netns_fd, const struct sf_spawn_user *u)
{
    int out[2] = {-1, -1}, errp[2] = {-1, -1}, rep[2] = {-1, -1};
    pid_t parent = getpid();

    c->pid = -1;
    c->out_fd = c->err_fd = c->pidfd = -1;
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
        int e = errno;
        close_fd(&out[0]), close_fd(&out[1]), close_fd(&errp[0]), close_fd(&errp[1]);
        close_fd(&rep[0]);
        return sf_err_sys(err, e, "spawn", path);
    }
    c->pid = fork();
    if (c->pid < 0) {
        int e = errno;
        close_fd(&out[0]), close_fd(&out[1]), close_fd(&errp[0]), close_fd(&errp[1]);
        close_fd(&rep[0]), close_fd(&rep[1]);
        return sf_err_sys(err, e, "spawn", path);
    }
    if (c->pid == 0)
        child(path, argv, out[1], errp[1], rep[1], parent, netns_fd, u);
    close_fd(&out[1]);
    close_fd(&errp[1]);
    close_fd(&rep[1]);
    c->out_fd = out[0];
    c->err_fd = errp[0];
    c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
    return exec_result(err, c, rep[0], path);
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
