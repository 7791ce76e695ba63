/*
 * priv: giving up privilege for good once the privileged work is done, as
 * `tcpdump -Z` and iputils ping do, in a way no later exec can undo.
 *
 * A program run as root that opened its raw socket no longer needs root:
 * it becomes an unprivileged user (chosen with -Z, else the user who ran
 * sudo, else nobody), with every capability set empty (effective,
 * permitted, inheritable, ambient and the bounding set), and with
 * PR_SET_NO_NEW_PRIVS, so neither a setuid binary nor a file capability
 * can give anything back across execve(2).  A program that was never root
 * (a file capability, or the ICMP datagram socket) keeps its uid and loses
 * its capabilities the same way.  sf_priv_check() proves the result, and
 * tests read /proc/PID/status to see it from outside.  Never prints.
 *
 * Why not libcap (iputils uses it): the drop is four system calls, each
 * one line here with its man page; libcap would wrap the same calls and
 * add a library to every family program.
 */
#ifndef SF_PRIV_H
#define SF_PRIV_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct sf_user {
    uid_t uid;
    gid_t gid;
    char name[64]; /* for messages: "nobody", "1000" */
};

/*
 * The user to become: name (a login name, or a number) or, when name is
 * NULL, the user who ran sudo (SUDO_UID and SUDO_GID), else "nobody" with
 * its group.  Refuses uid 0.  0, or -1 with err set.
 */
int sf_user_lookup(struct sf_err *err, const char *name, struct sf_user *u);

/*
 * Give up privilege for good: when any uid is 0, empty the bounding and
 * ambient sets, then switch groups, gid and uid to the user named (see
 * sf_user_lookup(); as tcpdump's -Z, the name means nothing when no uid
 * is 0); a setuid binary goes back to its real uid; in every case clear
 * every capability set and set PR_SET_NO_NEW_PRIVS; then sf_priv_check().
 * *became (may be NULL) says who the process is now.  0, or -1 with err.
 */
int sf_priv_drop(struct sf_err *err, const char *user, struct sf_user *became);

/*
 * Does this process hold nothing: no uid 0 (real, effective or saved),
 * no capability in any set (the bounding set too, when emptied=1), and
 * no_new_privs set?  0, or -1 with err naming what is still held.
 */
int sf_priv_check(struct sf_err *err, int emptied);

/* A process's capability sets, as /proc/PID/status shows them: bit N is capability N. */
struct sf_caps {
    uint64_t effective, permitted, inheritable, ambient, bounding;
};

/* This process's capability sets.  0, or -1 with err. */
int sf_priv_caps(struct sf_err *err, struct sf_caps *c);

/*
 * May this process send faster than iputils allows a user (one request
 * every 2 ms)?  iputils asks whether the real uid is 0, whatever the
 * binary's file capability gives, since that capability is every user's;
 * so do we, and we also let a process that its parent handed CAP_NET_RAW
 * in the ambient set (sockfam's runner starts its clients so, as does
 * `setpriv --ambient-caps +net_raw`): no setuid bit or file capability
 * ever fills the ambient set (execve(2) clears it for such a file), so
 * only a holder of the capability can have passed it on.  Ask before
 * sf_priv_drop(), which empties it.  1 or 0.
 */
int sf_priv_may_flood(void);

#endif
