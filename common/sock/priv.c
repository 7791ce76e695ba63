/* priv: dropping privilege for good; see priv.h. */
#include "priv.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "num.h"

/* The highest capability this kernel knows (CAP_LAST_CAP may be older than the kernel). */
static int last_cap(void)
{
    int cap = CAP_LAST_CAP;

    while (prctl(PR_CAPBSET_READ, cap + 1, 0, 0, 0) >= 0)
        cap++;
    return cap;
}

static int from_env(struct sf_err *err, struct sf_user *u)
{
    const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
    uint64_t uid, gid;

    if (sf_parse_u64(err, "SUDO_UID", su, 1, 0xfffffffe, &uid) < 0 ||
        sf_parse_u64(err, "SUDO_GID", sg, 0, 0xfffffffe, &gid) < 0)
        return -1;
    u->uid = (uid_t)uid, u->gid = (gid_t)gid;
    snprintf(u->name, sizeof(u->name), "%llu (SUDO_UID)", (unsigned long long)uid);
    return 0;
}

int sf_user_lookup(struct sf_err *err, const char *name, struct sf_user *u)
{
    const char *who = name ? name : "nobody";
    struct passwd *pw;
    uint64_t n;

    memset(u, 0, sizeof(*u));
    if (!name && getenv("SUDO_UID") && getenv("SUDO_GID"))
        return from_env(err, u);
    errno = 0;
    pw = getpwnam(who);
    if (!pw && sf_parse_u64(NULL, "user", who, 0, 0xfffffffe, &n) == 0)
        pw = getpwuid((uid_t)n);
    if (!pw && sf_parse_u64(NULL, "user", who, 0, 0xfffffffe, &n) == 0) {
        u->uid = (uid_t)n, u->gid = (gid_t)n; /* a number with no entry: its own group */
    } else if (!pw) {
        return sf_err_set(err, SF_ERR_INVALID, errno ? errno : ENOENT, NULL,
                          "user '%s': no such user", who);
    } else {
        u->uid = pw->pw_uid, u->gid = pw->pw_gid;
    }
    if (u->uid == 0)
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL,
                          "user '%s' is root: choose an unprivileged one", who);
    snprintf(u->name, sizeof(u->name), "%s", who);
    return 0;
}

/* Root's last acts: no capability left to inherit or regain, then the switch of user. */
static int become(struct sf_err *err, const struct sf_user *u)
{
    int last = last_cap();

    for (int cap = 0; cap <= last; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
            return sf_err_sys(err, errno, "prctl(PR_CAPBSET_DROP)", NULL);
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return sf_err_sys(err, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", NULL);
    /* Groups first: once the uid is not 0, setgroups(2) is no longer allowed. */
    if (setgroups(1, &u->gid) < 0)
        return sf_err_sys(err, errno, "setgroups", u->name);
    if (setresgid(u->gid, u->gid, u->gid) < 0)
        return sf_err_sys(err, errno, "setresgid", u->name);
    if (setresuid(u->uid, u->uid, u->uid) < 0)
        return sf_err_sys(err, errno, "setresuid", u->name);
    return 0;
}

static int any_uid_zero(void)
{
    uid_t r, e, s;

    return getresuid(&r, &e, &s) < 0 || r == 0 || e == 0 || s == 0;
}

int sf_priv_drop(struct sf_err *err, const char *user, struct sf_user *became)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    int root = any_uid_zero();
    struct sf_user u = {getuid(), getgid(), ""};

    snprintf(u.name, sizeof(u.name), "%u", (unsigned)getuid());
    if (root && (sf_user_lookup(err, user, &u) < 0 || become(err, &u) < 0))
        return -1;
    if (became)
        *became = u;
    if (!root && getuid() != geteuid() && setresuid(getuid(), getuid(), getuid()) < 0)
        return sf_err_sys(err, errno, "setresuid", NULL); /* a setuid binary: back to its user */
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capset, &hdr, data) < 0)
        return sf_err_sys(err, errno, "capset", NULL);
    if (!root && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
        return sf_err_sys(err, errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)", NULL);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return sf_err_sys(err, errno, "prctl(PR_SET_NO_NEW_PRIVS)", NULL);
    return sf_priv_check(err, root);
}

int sf_priv_check(struct sf_err *err, int emptied)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    int last = last_cap();

    /* Check, as iputils does: a drop that silently failed would leave us privileged. */
    if (any_uid_zero())
        return sf_err_set(err, SF_ERR_SYS, EPERM, NULL, "privileges still held: a uid is 0");
    if (syscall(SYS_capget, &hdr, d) < 0)
        return sf_err_sys(err, errno, "capget", NULL);
    if (d[0].effective | d[0].permitted | d[0].inheritable | d[1].effective | d[1].permitted |
        d[1].inheritable)
        return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                          "privileges still held: capabilities %08x%08x", d[1].permitted,
                          d[0].permitted);
    for (int cap = 0; cap <= last; cap++) {
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
            return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                              "privileges still held: ambient capability %d", cap);
        if (emptied && prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
            return sf_err_set(err, SF_ERR_SYS, EPERM, NULL,
                              "privileges still held: capability %d in the bounding set", cap);
    }
    if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
        return sf_err_set(err, SF_ERR_SYS, EPERM, NULL, "no_new_privs is not set");
    return 0;
}

int sf_priv_caps(struct sf_err *err, struct sf_caps *c)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    int last = last_cap();

    memset(c, 0, sizeof(*c));
    if (syscall(SYS_capget, &hdr, d) < 0)
        return sf_err_sys(err, errno, "capget", NULL);
    c->effective = (uint64_t)d[1].effective << 32 | d[0].effective;
    c->permitted = (uint64_t)d[1].permitted << 32 | d[0].permitted;
    c->inheritable = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
    for (int cap = 0; cap <= last && cap < 64; cap++) {
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
            c->ambient |= 1ULL << cap;
        if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) > 0)
            c->bounding |= 1ULL << cap;
    }
    return 0;
}

int sf_priv_may_flood(void)
{
    return getuid() == 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0) > 0;
}
