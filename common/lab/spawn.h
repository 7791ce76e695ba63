/*
 * spawn: start one of the suite's programs (or a system tool) as a child
 * whose stdout and stderr come back on pipes, and which dies with the
 * process that started it (PR_SET_PDEATHSIG), so a runner or a test that
 * fails or is killed leaves nothing running.  A pidfd tells when it exits.
 *
 * A child holds only what it is meant to: stdin on /dev/null, its two
 * pipes, and nothing else (every other descriptor is closed at the exec,
 * whether or not the parent, or libpcap, set close-on-exec on it).  Given
 * a user, a child of root runs as that user with an empty bounding set and
 * no_new_privs, keeping CAP_NET_RAW only when asked (a raw ICMP socket to
 * open).  Between fork and exec the child makes only async-signal-safe
 * calls (the parent may have threads: the capture's reader); a step that
 * fails there, or the exec itself, is reported back on a close-on-exec
 * pipe, so sf_spawn fails with the reason instead of a child exiting 127.
 */
#ifndef SF_SPAWN_H
#define SF_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct sf_child {
    pid_t pid;
    int out_fd, err_fd; /* read ends; -1 once closed */
    int pidfd;          /* readable when the child has exited; -1 if unsupported */
};

/* Whom a child of root runs as (sf_spawn_in). */
struct sf_spawn_user {
    uid_t uid;
    gid_t gid;
    int net_raw; /* keep CAP_NET_RAW (as an ambient capability) across the exec */
};

/*
 * Start path with argv (NULL-terminated, argv[0] included); the child's
 * stdin is /dev/null.  0, or -1 with err set (the exec's error too).
 */
int sf_spawn(struct sf_err *err, struct sf_child *c, const char *path, const char *const argv[]);

/*
 * The same, in the network namespace netns_fd (an open /run/netns/NAME or
 * /proc/PID/ns/net; -1: this process's) entered before anything else (the
 * lab's tools and programs run in its namespaces without `ip netns exec`),
 * as user u (NULL: as this process is).
 */
int sf_spawn_in(struct sf_err *err, struct sf_child *c, const char *path, const char *const argv[],
                int netns_fd, const struct sf_spawn_user *u);

/*
 * Reap the child if it has exited: 1 with *status set (the exit code, or
 * 128 + signal), 0 if it still runs.  Closes the pidfd once reaped.
 */
int sf_child_reap(struct sf_child *c, int *status);

/* SIGKILL, reap, close every descriptor.  For cleanup: the child is gone after this. */
void sf_child_kill(struct sf_child *c);

/* Close the pipes and the pidfd (after the child was reaped). */
void sf_child_close(struct sf_child *c);

/*
 * The directory of the running executable (from /proc/self/exe), where
 * the suite installs its programs side by side, into buf.  0, or -1 with
 * err set (buf unreadable, or too small: never cut).
 */
int sf_exe_dir(struct sf_err *err, char *buf, size_t cap);

#endif
