/*
 * Unit tests for common/sock/priv: whom a root program becomes, and that
 * the drop holds across an exec (the outside review's attack: after the
 * old drop, execl("/bin/sh") had every capability back and read
 * /etc/shadow).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "priv.h"

TestSuite(priv, .timeout = 20);

struct user_case {
    const char *name, *sudo_uid, *sudo_gid;
    int ok;
    unsigned uid, gid;
};

/* Names, numbers, sudo's variables and the refusals, one row each. */
Test(priv, user_lookup_table)
{
    static const struct user_case cases[] = {
        {"nobody", NULL, NULL, 1, 65534, 65534},
        {"4242", NULL, NULL, 1, 4242, 4242}, /* a number with no passwd entry */
        {NULL, "1000", "1001", 1, 1000, 1001},
        {NULL, NULL, NULL, 1, 65534, 65534}, /* nobody */
        {"root", NULL, NULL, 0, 0, 0},
        {"0", NULL, NULL, 0, 0, 0},
        {"no-such-user-here", NULL, NULL, 0, 0, 0},
        {NULL, "0", "0", 0, 0, 0},   /* sudo from root: no one to become */
        {NULL, "abc", "1", 0, 0, 0}, /* garbage in the environment */
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct user_case *c = &cases[i];
        struct sf_user u;
        struct sf_err err;

        unsetenv("SUDO_UID"), unsetenv("SUDO_GID");
        if (c->sudo_uid)
            setenv("SUDO_UID", c->sudo_uid, 1), setenv("SUDO_GID", c->sudo_gid, 1);
        int rc = sf_user_lookup(&err, c->name, &u);
        cr_expect_eq(rc, c->ok ? 0 : -1, "case %zu", i);
        if (rc == 0 && c->ok) {
            cr_expect_eq(u.uid, c->uid, "case %zu", i);
            cr_expect_eq(u.gid, c->gid, "case %zu", i);
        }
    }
}

/* Root holds privileges, and the check says so (it is the same check the drop ends with). */
Test(priv, check_refuses_root)
{
    struct sf_err err;

    if (geteuid() != 0)
        cr_skip_test("not root: nothing to check against");
    cr_expect_eq(sf_priv_check(&err, 0), -1);
    cr_expect(strstr(err.msg, "a uid is 0"), "%s", err.msg);
}

/*
 * After sf_priv_drop() as root, an exec of a shell gets nothing back: no
 * uid 0, no capability in any set, no_new_privs, and /etc/shadow stays
 * closed to it.
 */
Test(priv, drop_survives_exec)
{
    int fds[2];
    char out[4096] = "";
    size_t len = 0;
    ssize_t n;
    int status;

    if (geteuid() != 0)
        cr_skip_test("not root: nothing to drop");
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct sf_err err;
        dup2(fds[1], 1);
        if (sf_priv_drop(&err, "4242", NULL) < 0) {
            printf("drop failed: %s\n", err.msg);
            _exit(1);
        }
        execl("/bin/sh", "sh", "-c",
              "if cat /etc/shadow >/dev/null 2>&1; then echo shadow READ; else echo shadow "
              "DENIED; fi; grep -E '^(Uid|Gid|Cap[A-Za-z]+|NoNewPrivs):' /proc/self/status",
              (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    while (len < sizeof(out) - 1 && (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
        len += (size_t)n;
    out[len] = '\0';
    close(fds[0]);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", out);
    static const char *const want[] = {
        "shadow DENIED\n",
        "Uid:\t4242\t4242\t4242\t4242\n",
        "Gid:\t4242\t4242\t4242\t4242\n",
        "CapInh:\t0000000000000000\n",
        "CapPrm:\t0000000000000000\n",
        "CapEff:\t0000000000000000\n",
        "CapBnd:\t0000000000000000\n",
        "CapAmb:\t0000000000000000\n",
        "NoNewPrivs:\t1\n",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect(strstr(out, want[i]), "missing '%s' in:\n%s", want[i], out);
}

/*
 * Who may flood: root; a user, not, unless handed CAP_NET_RAW in the
 * ambient set (kept across setresuid with PR_SET_KEEPCAPS, as the runner's
 * children are); and the capability sets read back as set.
 */
Test(priv, may_flood_root_or_ambient_net_raw)
{
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct raw[2] = {
        {1u << CAP_NET_RAW, 1u << CAP_NET_RAW, 1u << CAP_NET_RAW}, {0, 0, 0}};
    struct sf_caps caps;

    if (geteuid() != 0)
        cr_skip_test("needs root to become a user with and without CAP_NET_RAW");
    cr_expect_eq(sf_priv_may_flood(), 1, "root");
    cr_assert_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
    cr_assert_eq(setresgid(65534, 65534, 65534), 0);
    cr_assert_eq(setresuid(65534, 65534, 65534), 0);
    cr_assert_eq(syscall(SYS_capset, &hdr, raw), 0, "%s", strerror(errno));
    cr_assert_eq(sf_priv_caps(NULL, &caps), 0);
    cr_expect_eq(caps.effective, 1ULL << CAP_NET_RAW);
    cr_expect_eq(caps.permitted, 1ULL << CAP_NET_RAW);
    cr_expect_eq(caps.ambient, 0);
    cr_expect_eq(sf_priv_may_flood(), 0, "a user holding CAP_NET_RAW, not in the ambient set");
    cr_assert_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), 0, "%s",
                 strerror(errno));
    cr_assert_eq(sf_priv_caps(NULL, &caps), 0);
    cr_expect_eq(caps.ambient, 1ULL << CAP_NET_RAW);
    cr_expect_eq(sf_priv_may_flood(), 1, "CAP_NET_RAW handed down in the ambient set");
}
