/* local: AF_UNIX listening, credentials and client addresses; see local.h. */
#include "local.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

static const char *type_name(int socktype)
{
    return socktype == SOCK_DGRAM ? "dgram" : socktype == SOCK_SEQPACKET ? "seqpacket" : "stream";
}

int sf_local_dir_private(struct sf_err *err, const char *path)
{
    struct stat st;

    if (lstat(path, &st) < 0)
        return sf_err_sys(err, errno, "lstat", path);
    if (!S_ISDIR(st.st_mode))
        return sf_err_set(err, SF_ERR_SYS, ENOTDIR, NULL,
                          "%s is not a directory (a symlink?): refusing to use it", path);
    if (st.st_uid != geteuid())
        return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                          "%s belongs to uid %u, not to you (uid %u): refusing to use it", path,
                          (unsigned)st.st_uid, (unsigned)geteuid());
    if ((st.st_mode & 07777) != 0700)
        return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                          "%s has mode %04o, not 0700: refusing to use it", path,
                          (unsigned)(st.st_mode & 07777));
    return 0;
}

int sf_local_user_dir(struct sf_err *err, int create, char *buf, size_t cap)
{
    const char *run = getenv("XDG_RUNTIME_DIR");
    int n;

    /* $XDG_RUNTIME_DIR only when it is what the spec promises: ours, 0700. */
    if (run && run[0] == '/' && sf_local_dir_private(NULL, run) == 0)
        n = snprintf(buf, cap, "%s/sockfam", run);
    else
        n = snprintf(buf, cap, "/tmp/sockfam-%u", (unsigned)geteuid());
    if (n < 0 || (size_t)n >= cap)
        return sf_err_set(err, SF_ERR_INVALID, ENAMETOOLONG, NULL,
                          "the default socket directory would be too long");
    if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
        return sf_err_sys(err, errno, "mkdir", buf);
    /* A client may look before any server made it: connect will say nothing is there. */
    if (!create && access(buf, F_OK) < 0 && errno == ENOENT)
        return 0;
    return sf_local_dir_private(err, buf);
}

int sf_local_default(struct sf_err *err, int create, char *buf, size_t cap, int socktype,
                     enum sf_mode mode)
{
    char dir[SF_UNIX_PATH_MAX + 1];
    int n;

    if (sf_local_user_dir(err, create, dir, sizeof(dir)) < 0)
        return -1;
    n = snprintf(buf, cap, "unix:%s/%s-%s.sock", dir, type_name(socktype),
                 sf_mode_default_port(mode));
    if (n < 0 || (size_t)n >= cap)
        return sf_err_set(err, SF_ERR_INVALID, ENAMETOOLONG, NULL,
                          "the default socket path would be too long");
    return 0;
}

int sf_local_check_server(struct sf_err *err, int fd, int socktype, const struct sf_addr *addr)
{
    struct stat st;
    pid_t pid = 0;
    uid_t uid;
    gid_t gid;

    if (socktype == SOCK_DGRAM) {
        if (lstat(addr->path, &st) < 0)
            return sf_err_sys(err, errno, "lstat", addr->text);
        uid = st.st_uid;
    } else if (sf_local_peercred(err, fd, &pid, &uid, &gid) < 0) {
        return -1;
    }
    if (uid == geteuid() || uid == 0)
        return 0;
    return sf_err_set(err, SF_ERR_PEER, EPERM, NULL,
                      "%s: the server there runs as uid %u, not as you (uid %u) or root: not "
                      "talking to it (give the path to mean it)",
                      addr->text, (unsigned)uid, (unsigned)geteuid());
}

/*
 * bind() said the path is taken.  Is it a dead server's file (replace it),
 * a live server (in use), or not a socket at all (leave it)?  Returns 0
 * when the stale file was removed, or -1 with err set.
 */
static int clear_stale(struct sf_err *err, const struct sf_addr *addr, int socktype)
{
    struct stat st;
    struct sockaddr_un sun;
    socklen_t len = sf_addr_to_sun(addr, &sun);

    if (lstat(addr->path, &st) < 0)
        return sf_err_sys(err, errno, "bind", addr->text);
    if (!S_ISSOCK(st.st_mode))
        return sf_err_set(err, SF_ERR_SYS, EEXIST, NULL,
                          "bind(%s): exists and is not a socket (left alone)", addr->text);
    int probe = socket(AF_UNIX, socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0)
        return sf_err_sys(err, errno, "socket", addr->text);
    int rc = connect(probe, (struct sockaddr *)&sun, len), e = errno;
    close(probe);
    if (rc < 0 && e == ECONNREFUSED) /* nobody listens: a dead server's file */
        return unlink(addr->path) < 0 ? sf_err_sys(err, errno, "unlink", addr->text) : 0;
    return sf_err_set(err, SF_ERR_SYS, EADDRINUSE, NULL,
                      "bind(%s): Address already in use (a server is running there)", addr->text);
}

static int bind_with_perms(struct sf_err *err, const struct sf_addr *addr, int socktype,
                           int backlog, mode_t perms)
{
    /* The umask decides the new file's mode at bind(): no window with wider permissions. */
    mode_t old = umask(~perms & 0777);
    int fd = sf_listen(err, addr, SF_FAMILY_ANY, socktype, 0, backlog);

    umask(old);
    return fd;
}

int sf_local_listen(struct sf_err *err, const struct sf_addr *addr, int socktype, int backlog,
                    mode_t perms, struct sf_local_owned *owned)
{
    struct stat st;
    int fd;

    memset(owned, 0, sizeof(*owned));
    fd = bind_with_perms(err, addr, socktype, backlog, perms);
    if (fd < 0 && addr->kind == SF_ADDR_UNIX && err && err->sys_errno == EADDRINUSE) {
        if (clear_stale(err, addr, socktype) < 0)
            return -1;
        fd = bind_with_perms(err, addr, socktype, backlog, perms);
    }
    if (fd < 0 || addr->kind != SF_ADDR_UNIX)
        return fd;
    if (lstat(addr->path, &st) == 0) {
        owned->active = 1;
        owned->dev = st.st_dev;
        owned->ino = st.st_ino;
        memcpy(owned->path, addr->path, sizeof(owned->path));
    }
    return fd;
}

void sf_local_release(const struct sf_local_owned *owned)
{
    struct stat st;

    /* Only our own file: another server may have replaced it since. */
    if (owned->active && lstat(owned->path, &st) == 0 && st.st_dev == owned->dev &&
        st.st_ino == owned->ino)
        unlink(owned->path);
}

int sf_local_peercred(struct sf_err *err, int fd, pid_t *pid, uid_t *uid, gid_t *gid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return sf_err_sys(err, errno, "getsockopt(SO_PEERCRED)", NULL);
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

int sf_local_autobind(struct sf_err *err, int fd)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    /* An address of just the family asks Linux for a unique abstract name (unix(7)). */
    if (bind(fd, (struct sockaddr *)&sun, sizeof(sa_family_t)) < 0)
        return sf_err_sys(err, errno, "bind", "autobind");
    return 0;
}

/* The type of the listening or bound socket on addr, from /proc/net/unix: SOCK_*, or -1. */
static int listener_type(const struct sf_addr *addr)
{
    char line[SF_UNIX_PATH_MAX + 128], want[SF_UNIX_PATH_MAX + 2];
    FILE *f = fopen("/proc/net/unix", "re");
    int type = -1;

    if (!f)
        return -1;
    /* Paths are listed as they are; abstract names with '@' for their NUL. */
    snprintf(want, sizeof(want), "%s%s", addr->kind == SF_ADDR_ABSTRACT ? "@" : "", addr->path);
    while (type < 0 && fgets(line, sizeof(line), f)) {
        unsigned flags, t, st;
        int path_at = 0;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n')
            line[--n] = '\0';
        if (sscanf(line, "%*s %*s %*s %x %x %x %*s %n", &flags, &t, &st, &path_at) != 3 ||
            !path_at || strcmp(line + path_at, want) != 0)
            continue;
        /* 0x10000 is __SO_ACCEPTCON: listening; a dgram socket is bound, never listening. */
        if ((flags & 0x10000) || t == SOCK_DGRAM)
            type = (int)t;
    }
    fclose(f);
    return type;
}

void sf_local_explain(struct sf_err *err, const struct sf_addr *addr, int socktype, int is_default)
{
    const char *how = is_default ? " (the default path for this --type and --mode; start "
                                   "unix-server with the same, or give ADDR)"
                                 : "";
    int real;

    if (!err || addr->kind == SF_ADDR_INET)
        return;
    if (err->sys_errno != EPROTOTYPE && err->sys_errno != ENOENT && err->sys_errno != ECONNREFUSED)
        return;
    /* A server of another type refuses (stream on dgram) or says "wrong type": name its type. */
    real = listener_type(addr);
    if (real >= 0 && real != socktype)
        sf_err_hint(err, "the server there is a %s socket: use --type %s", type_name(real),
                    type_name(real));
    else if (err->sys_errno == EPROTOTYPE)
        sf_err_hint(err, "the server there is not a %s socket: try another --type",
                    type_name(socktype));
    else if (err->sys_errno == ENOENT)
        sf_err_hint(err, "no server there%s", how);
    else if (addr->kind == SF_ADDR_ABSTRACT)
        sf_err_hint(err, "no server has that name%s", how);
    else
        sf_err_hint(err,
                    "a socket file is there but nothing listens on it (a server that "
                    "stopped?)%s",
                    how);
}
