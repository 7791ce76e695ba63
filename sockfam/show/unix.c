/*
 * unix.c: the lessons of AF_UNIX.  unix-rights: a
 * descriptor handed over (SCM_RIGHTS) lets an unprivileged process read a
 * file it cannot open; the kernel vouches for the peer's pid and uid
 * (SO_PEERCRED, SCM_CREDENTIALS); a socket file obeys its permissions, an
 * abstract name does not.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "show.h"

#define NOBODY 65534
#define SECRET "only root may read this\n"

/* What the unprivileged child saw, sent back through a pipe. */
struct child_saw {
    int open_errno;     /* open() of the root-only file */
    int passed_ok;      /* read the same file through the descriptor it was handed */
    int closed_errno;   /* connect() to a 0600 socket file of root's */
    int abstract_errno; /* connect() to an abstract name */
};

static struct {
    struct child_saw saw;
    pid_t child;
    pid_t cred_pid, scm_pid;
    uid_t cred_uid, scm_uid;
    int got_scm;
} ur;

static int unix_listener(const char *path, size_t len, mode_t mode)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memcpy(a.sun_path, path, len);
    if (fd < 0 ||
        bind(fd, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) <
            0 ||
        (mode && chmod(path, mode) < 0) || listen(fd, 4) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static int unix_connect(const char *path, size_t len)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    memcpy(a.sun_path, path, len);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a,
                           (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The child, after fork: only system calls (the capture's thread runs in the parent). */
/* The paths the child uses, made before the fork (snprintf is no system call). */
struct child_paths {
    char secret[128], open_sock[128], closed_sock[128];
};

static void child(int sp, int report, const struct child_paths *paths, const char *abstract,
                  size_t alen)
{
    char buf[64], cbuf[CMSG_SPACE(sizeof(struct ucred))];
    struct child_saw saw = {0};
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    int fd;

    alarm(10); /* whatever happens, it ends */
    if (setgroups(0, NULL) < 0 || setresgid(NOBODY, NOBODY, NOBODY) < 0 ||
        setresuid(NOBODY, NOBODY, NOBODY) < 0)
        _exit(71);
    fd = open(paths->secret, O_RDONLY);
    saw.open_errno = fd < 0 ? errno : 0;
    if (recvmsg(sp, &m, 0) > 0 && CMSG_FIRSTHDR(&m) && CMSG_FIRSTHDR(&m)->cmsg_type == SCM_RIGHTS) {
        memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof(fd));
        ssize_t n = read(fd, buf, sizeof(buf));
        saw.passed_ok = n == (ssize_t)strlen(SECRET) && memcmp(buf, SECRET, (size_t)n) == 0;
        close(fd);
    }
    fd = unix_connect(paths->open_sock, strlen(paths->open_sock) + 1);
    if (fd >= 0 && read(fd, buf, 1) == 1) { /* "go": the server listens for credentials now */
        struct ucred me = {getpid(), getuid(), getgid()};
        struct msghdr c = {.msg_iov = &(struct iovec){"c", 1},
                           .msg_iovlen = 1,
                           .msg_control = cbuf,
                           .msg_controllen = sizeof(cbuf)};
        struct cmsghdr *h = CMSG_FIRSTHDR(&c);
        h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_CREDENTIALS,
        h->cmsg_len = CMSG_LEN(sizeof(me));
        memcpy(CMSG_DATA(h), &me, sizeof(me));
        if (sendmsg(fd, &c, 0) == 1) /* then wait until the server has it */
            while (read(fd, buf, 1) < 0 && errno == EINTR)
                ;
    }
    fd = unix_connect(paths->closed_sock, strlen(paths->closed_sock) + 1);
    saw.closed_errno = fd < 0 ? errno : 0;
    fd = unix_connect(abstract, alen);
    saw.abstract_errno = fd < 0 ? errno : 0;
    /* A short write leaves the parent without a report, which it says. */
    _exit(write(report, &saw, sizeof(saw)) == (ssize_t)sizeof(saw) ? 0 : 71);
}

/* The parent's side: the descriptor handed over, the credentials read. */
static void parent(int sp, int open_l, const char *dir)
{
    char path[128], cbuf[CMSG_SPACE(sizeof(int))], cred[CMSG_SPACE(sizeof(struct ucred))], b;
    int fd, one = 1;
    struct ucred uc;
    socklen_t len = sizeof(uc);

    snprintf(path, sizeof(path), "%s/secret", dir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    struct msghdr m = {.msg_iov = &(struct iovec){"f", 1},
                       .msg_iovlen = 1,
                       .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET, h->cmsg_type = SCM_RIGHTS, h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(fd));
    show_step(
        "sendmsg(SCM_RIGHTS) of a descriptor of a file mode 0600, to a child running as uid %d",
        NOBODY);
    sendmsg(sp, &m, 0);
    close(fd);
    if (!show_wait_readable(open_l, 5000) || (fd = accept(open_l, NULL, NULL)) < 0)
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
        ur.cred_pid = uc.pid, ur.cred_uid = uc.uid;
    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    if (write(fd, "g", 1) != 1) { /* the child then sends no credentials: got_scm stays 0 */
        close(fd);
        return;
    }
    struct msghdr r = {.msg_iov = &(struct iovec){&b, 1},
                       .msg_iovlen = 1,
                       .msg_control = cred,
                       .msg_controllen = sizeof(cred)};
    if (show_wait_readable(fd, 5000) && recvmsg(fd, &r, 0) == 1 && (h = CMSG_FIRSTHDR(&r)) &&
        h->cmsg_type == SCM_CREDENTIALS) {
        memcpy(&uc, CMSG_DATA(h), sizeof(uc));
        ur.scm_pid = uc.pid, ur.scm_uid = uc.uid, ur.got_scm = 1;
    }
    /* The child's last wait ends here; should "k" not go, it reads the close instead. */
    if (write(fd, "k", 1) != 1)
        show_step("write(\"k\"): %s", strerror(errno));
    close(fd);
}

struct rights_setup {
    char dir[32], abstract[64];
    size_t alen;
    int sp[2], rep[2], open_l, closed_l, abs_l;
};

/* The files, the listeners, the pair and the pipe, in a directory of its own.  0 or -1. */
static int rights_setup(struct sf_err *err, struct rights_setup *k)
{
    char path[128];
    int fd;

    snprintf(k->dir, sizeof(k->dir), "/tmp/sockfam-show-XXXXXX");
    k->alen =
        (size_t)snprintf(k->abstract, sizeof(k->abstract), "%csockfam-show-%d", 0, (int)getpid());
    if (!mkdtemp(k->dir)) {
        k->dir[0] = '\0';
        return sf_err_sys(err, errno, "mkdtemp", "/tmp/sockfam-show-XXXXXX");
    }
    snprintf(path, sizeof(path), "%s/secret", k->dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (chmod(k->dir, 0711) < 0 || fd < 0 || write(fd, SECRET, strlen(SECRET)) < 0) {
        if (fd >= 0)
            close(fd);
        return sf_err_sys(err, errno, "open", path);
    }
    close(fd);
    snprintf(path, sizeof(path), "%s/open.sock", k->dir);
    k->open_l = unix_listener(path, strlen(path) + 1, 0666);
    snprintf(path, sizeof(path), "%s/closed.sock", k->dir);
    k->closed_l = unix_listener(path, strlen(path) + 1, 0600);
    k->abs_l = unix_listener(k->abstract, k->alen, 0);
    if (k->open_l < 0 || k->closed_l < 0 || k->abs_l < 0 ||
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, k->sp) < 0 ||
        pipe2(k->rep, O_CLOEXEC) < 0)
        return sf_err_sys(err, errno, "socket", k->dir);
    return 0;
}

/* Close what is open and remove the directory with everything in it. */
static void rights_cleanup(struct rights_setup *k)
{
    char path[128];
    int *fds[] = {&k->sp[0],  &k->sp[1],    &k->rep[0], &k->rep[1],
                  &k->open_l, &k->closed_l, &k->abs_l};

    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (*fds[i] >= 0)
            close(*fds[i]), *fds[i] = -1;
    if (!k->dir[0])
        return;
    for (const char *f = "secret\0open.sock\0closed.sock\0"; *f; f += strlen(f) + 1) {
        snprintf(path, sizeof(path), "%s/%s", k->dir, f);
        unlink(path);
    }
    rmdir(k->dir);
}

static int rights_run(struct sf_err *err)
{
    struct rights_setup k = {
        .sp = {-1, -1}, .rep = {-1, -1}, .open_l = -1, .closed_l = -1, .abs_l = -1};
    int status, rc = rights_setup(err, &k);

    struct child_paths paths;
    snprintf(paths.secret, sizeof(paths.secret), "%s/secret", k.dir);
    snprintf(paths.open_sock, sizeof(paths.open_sock), "%s/open.sock", k.dir);
    snprintf(paths.closed_sock, sizeof(paths.closed_sock), "%s/closed.sock", k.dir);
    if (rc == 0 && (ur.child = fork()) < 0)
        rc = sf_err_sys(err, errno, "fork", "unix-rights");
    if (rc == 0 && ur.child == 0)
        child(k.sp[1], k.rep[1], &paths, k.abstract, k.alen);
    if (rc == 0) {
        close(k.rep[1]), k.rep[1] = -1;
        parent(k.sp[0], k.open_l, k.dir);
        if (!show_wait_readable(k.rep[0], 5000) || read(k.rep[0], &ur.saw, sizeof(ur.saw)) < 0)
            kill(ur.child, SIGKILL); /* it did not report in time: it ends here */
        waitpid(ur.child, &status, 0);
    }
    rights_cleanup(&k);
    return rc;
}

static void rights_judge(const struct sf_wire *w, struct show_out *o)
{
    (void)w;
    show_fig(o, "open_refused", ur.saw.open_errno == EACCES, "",
             "uid %d: open() of a root-only file (0600): %s", NOBODY,
             ur.saw.open_errno ? strerror(ur.saw.open_errno) : "opened");
    show_fig(o, "read_through_passed_fd", ur.saw.passed_ok, "",
             "uid %d: read it through the descriptor handed over with SCM_RIGHTS: %s", NOBODY,
             ur.saw.passed_ok ? "yes, every byte" : "no");
    show_fig(o, "peercred_uid", ur.cred_uid, "", "SO_PEERCRED: pid %d, uid %u (the child: pid %d)",
             (int)ur.cred_pid, (unsigned)ur.cred_uid, (int)ur.child);
    show_fig(o, "scm_credentials_uid", ur.got_scm ? (double)ur.scm_uid : -1, "",
             "SCM_CREDENTIALS: pid %d, uid %u, as the kernel checked them", (int)ur.scm_pid,
             (unsigned)ur.scm_uid);
    show_fig(o, "path_socket_refused", ur.saw.closed_errno == EACCES, "",
             "uid %d: connect() to root's socket file, mode 0600: %s", NOBODY,
             ur.saw.closed_errno ? strerror(ur.saw.closed_errno) : "connected");
    show_fig(o, "abstract_connected", ur.saw.abstract_errno == 0, "",
             "uid %d: connect() to root's abstract name: %s", NOBODY,
             ur.saw.abstract_errno ? strerror(ur.saw.abstract_errno) : "connected: no permissions");
    if (ur.saw.open_errno != EACCES || !ur.saw.passed_ok)
        show_fails(o, "the handed-over descriptor: open %s, read %d", strerror(ur.saw.open_errno),
                   ur.saw.passed_ok);
    if (ur.cred_pid != ur.child || ur.cred_uid != NOBODY || !ur.got_scm || ur.scm_pid != ur.child ||
        ur.scm_uid != NOBODY)
        show_fails(o, "credentials: SO_PEERCRED %d/%u, SCM_CREDENTIALS %d/%u", (int)ur.cred_pid,
                   (unsigned)ur.cred_uid, (int)ur.scm_pid, (unsigned)ur.scm_uid);
    if (ur.saw.closed_errno != EACCES || ur.saw.abstract_errno != 0)
        show_fails(o, "permissions: path %s, abstract %s", strerror(ur.saw.closed_errno),
                   strerror(ur.saw.abstract_errno));
}

const struct lesson lessons_unix[] = {
    {"unix-rights",
     "a descriptor handed over reads what its receiver could not open; peer credentials",
     "SCM_RIGHTS hands an open descriptor to another process: an unprivileged child reads\n"
     "a root-only file it cannot open itself, because the right travelled with the\n"
     "descriptor. SO_PEERCRED and SCM_CREDENTIALS give the peer's pid and uid as the\n"
     "kernel vouches for them. A socket file obeys its permissions; an abstract name has\n"
     "none, and anyone in the namespace may connect: check SO_PEERCRED before trusting.",
     rights_run, rights_judge, NULL},
};
const size_t nlessons_unix = sizeof(lessons_unix) / sizeof(lessons_unix[0]);
