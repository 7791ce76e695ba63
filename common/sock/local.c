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

void sf_local_default(char *buf, size_t cap, int socktype, enum sf_mode mode)
{
    const char *dir = getenv("XDG_RUNTIME_DIR");

    if (dir && dir[0] == '/')
        snprintf(buf, cap, "unix:%s/sockfam-%s-%s.sock", dir, type_name(socktype),
                 sf_mode_default_port(mode));
    else
        snprintf(buf, cap, "unix:/tmp/sockfam-%u-%s-%s.sock", (unsigned)getuid(),
                 type_name(socktype), sf_mode_default_port(mode));
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
