/*
 * local: what AF_UNIX needs beyond addr: a listening socket on a path that
 * starts and stops safely, the peer's credentials, and a client address for
 * datagram replies.
 *
 * Safe start: a socket file left by a dead server (connect is refused) is
 * replaced; a live server on the path is "Address already in use"; a path
 * that exists and is not a socket is never removed.  The file is created
 * with the caller's permissions (0600 by default in the programs) by
 * setting the umask around bind(), so it is never visible with wider ones.
 * Safe stop: sf_local_release() removes the file only if it is still the
 * one this process created (same device and inode).
 */
#ifndef SF_LOCAL_H
#define SF_LOCAL_H

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "addr.h"
#include "err.h"
#include "proto.h"

struct sf_local_owned {
    int active;
    char path[SF_UNIX_PATH_MAX + 1];
    dev_t dev;
    ino_t ino;
};

/*
 * Open a listening (stream, seqpacket) or bound (dgram) AF_UNIX socket on
 * addr (a path or an abstract name), with file permissions perms.  *owned
 * records the file to remove at exit (inactive for abstract names).
 * Returns the fd or -1 (EADDRINUSE for a live server, EEXIST for a
 * non-socket path).
 */
int sf_local_listen(struct sf_err *err, const struct sf_addr *addr, int socktype, int backlog,
                    mode_t perms, struct sf_local_owned *owned);

/* Remove the socket file if it is still the one we created. */
void sf_local_release(const struct sf_local_owned *owned);

/* The peer's pid, uid and gid (SO_PEERCRED).  Returns 0 or -1. */
int sf_local_peercred(struct sf_err *err, int fd, pid_t *pid, uid_t *uid, gid_t *gid);

/* Bind fd to a kernel-chosen abstract name (autobind), so datagram replies can come back. */
int sf_local_autobind(struct sf_err *err, int fd);

/*
 * Is path a real directory (lstat: no symlink) owned by the euid, with
 * mode 0700: one nobody else can rename, replace or fill?  0, or -1 with
 * err saying which it is not (EPERM: not ours or too open; ENOTDIR).
 */
int sf_local_dir_private(struct sf_err *err, const char *path);

/*
 * The directory of this user's default sockets: $XDG_RUNTIME_DIR/sockfam
 * when $XDG_RUNTIME_DIR is a directory of the euid's with mode 0700, else
 * /tmp/sockfam-UID.  With create, it is made (0700) when missing.  Either
 * way it must be a directory, not a symlink, owned by the euid, with mode
 * 0700, or this fails saying what is wrong: in a world-writable /tmp
 * another user could have made it first, and then own every name in it.
 * Writes the path into buf.  0 or -1.
 */
int sf_local_user_dir(struct sf_err *err, int create, char *buf, size_t cap);

/*
 * The default address for a socket type and mode, "unix:DIR/TYPE-PORT.sock"
 * in sf_local_user_dir() (create: for the server).  0 or -1.
 */
int sf_local_default(struct sf_err *err, int create, char *buf, size_t cap, int socktype,
                     enum sf_mode mode);

/*
 * After a failed connect to an AF_UNIX address, add what the user can do
 * (sf_err_hint): EPROTOTYPE names the type the server there really has
 * (from /proc/net/unix, without touching it) and the --type to use;
 * ENOENT and ECONNREFUSED say whether anything listens there, and, for a
 * default path, how it was formed.  Other errors are left as they are.
 */
void sf_local_explain(struct sf_err *err, const struct sf_addr *addr, int socktype, int is_default);

/*
 * On a default path, is the server ours?  Its uid must be the euid or root:
 * SO_PEERCRED on a connected stream or seqpacket fd, the socket file's
 * owner for dgram (which has no peer credentials).  0, or -1 naming the
 * uid found (SF_ERR_PEER: exit 69, nothing was sent).
 */
int sf_local_check_server(struct sf_err *err, int fd, int socktype, const struct sf_addr *addr);

#endif
