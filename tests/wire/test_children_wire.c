/*
 * Wire tests of what `sockfam compare` hands its children (as root, in its
 * private namespace): each runs as an unprivileged user with no
 * capability, no_new_privs and only descriptors 0-2 (the review found the
 * capture's AF_PACKET socket at fd 6 of every child, and every child as
 * root with every capability); icmp-echod and icmp-ping keep CAP_NET_RAW
 * alone, for their raw socket.  Each child is a stand-in (support/
 * standin.c) that records itself and then runs the real program.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"

TestSuite(children_wire, .timeout = 60);

#define WAIT_MS 30000
#define NET_RAW "0000000000002000" /* 1 << CAP_NET_RAW (13) */

static const char *const programs[] = {"tcp-server",  "tcp-client",  "udp-server", "udp-client",
                                       "unix-server", "unix-client", "icmp-ping",  "icmp-echod"};

static void copy(const char *from, const char *to)
{
    char buf[65536];
    ssize_t n;
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);

    cr_assert(in >= 0 && out >= 0, "%s -> %s: %s", from, to, strerror(errno));
    while ((n = read(in, buf, sizeof(buf))) > 0)
        cr_assert_eq(write(out, buf, (size_t)n), n);
    close(in);
    close(out);
}

/* A private bin directory: sockfam, and a stand-in under each program's name. */
static void standin_bin(char *bin, char *reports)
{
    char to[512];

    cr_assert_not_null(mkdtemp(bin));
    cr_assert_not_null(mkdtemp(reports));
    cr_assert_eq(chmod(bin, 0755), 0);
    cr_assert_eq(chmod(reports, 0777), 0); /* the children are not root */
    snprintf(to, sizeof(to), "%s/sockfam", bin);
    copy(proc_bin("sockfam"), to);
    for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
        snprintf(to, sizeof(to), "%s/%s", bin, programs[i]);
        copy(SF_TESTS_DIR "/sf_standin", to);
    }
    cr_assert_eq(setenv("SF_STANDIN_DIR", reports, 1), 0);
    cr_assert_eq(setenv("SF_STANDIN_REAL", SF_BIN_DIR, 1), 0);
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    while (d && (e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d)
        closedir(d);
    rmdir(dir);
}

static const char *line_of(const char *report, const char *key)
{
    const char *p = strstr(report, key);
    cr_assert_not_null(p, "no '%s' in:\n%s", key, report);
    return p + strlen(key);
}

/* Call fn for each report in dir whose file name starts with prefix; how many there were. */
static int each_report(const char *dir, const char *prefix,
                       void (*fn)(const char *name, const char *report, void *ctx), void *ctx)
{
    char path[600], report[8192];
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    cr_assert_not_null(d, "%s", dir);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        size_t len = f ? fread(report, 1, sizeof(report) - 1, f) : 0;
        report[len] = '\0';
        if (f)
            fclose(f);
        *strrchr(e->d_name, '.') = '\0'; /* NAME.PID: the program's name */
        fn(e->d_name, report, ctx);
        n++;
    }
    closedir(d);
    return n;
}

/* One child's record: the descriptors, the user, the capabilities. */
static void check_child(const char *name, const char *report, void *ctx)
{
    (void)ctx;
    int raw = strncmp(name, "icmp-", 5) == 0;
    static const char *const caps[] = {"CapInh:\t", "CapPrm:\t", "CapEff:\t", "CapBnd:\t",
                                       "CapAmb:\t"};

    cr_expect_eq(strncmp(line_of(report, "fds:"), " 0 1 2\n", 7), 0, "%s holds more:\n%s", name,
                 report);
    cr_expect_eq(strncmp(line_of(report, "Uid:\t"), "65534\t65534\t65534\t65534\n", 24), 0,
                 "%s:\n%s", name, report);
    cr_expect_eq(strncmp(line_of(report, "Gid:\t"), "65534\t65534\t65534\t65534\n", 24), 0,
                 "%s:\n%s", name, report);
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        cr_expect_eq(strncmp(line_of(report, caps[i]), raw ? NET_RAW : "0000000000000000", 16), 0,
                     "%s %s\n%s", name, caps[i], report);
    cr_expect_eq(strncmp(line_of(report, "NoNewPrivs:\t"), "1\n", 2), 0, "%s:\n%s", name, report);
}

/* Every child of a run, as it started: nobody, nothing held, fds 0-2 only. */
Test(children_wire, every_child_unprivileged_with_only_its_standard_descriptors)
{
    char bin[] = "/tmp/sockfam-standin-XXXXXX", reports[] = "/tmp/sockfam-reports-XXXXXX";
    char argv0[512];
    struct proc c;

    if (geteuid() != 0)
        cr_skip_test("not root: compare's children run as the user already");
    unsetenv("SUDO_UID"), unsetenv("SUDO_GID");
    standin_bin(bin, reports);
    snprintf(argv0, sizeof(argv0), "%s/sockfam", bin);
    const char *argv[] = {argv0, "compare", "-q", "-c", "3", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    int seen = each_report(reports, "", check_child, NULL);
    /* Seven families: a client each, and a server each (icmp's is icmp-echod), for the run and
     * again for the burst of the bounds column. */
    cr_expect_eq(seen, 28, "children recorded: %d", seen);
    remove_dir(reports);
    remove_dir(bin);
}

/* A unix-server's --bind is under /tmp, not in the other user's directory (ctx). */
static void check_bind(const char *name, const char *report, void *ctx)
{
    (void)name;
    cr_expect(strstr(report, "--bind /tmp/sockfam-compare-"), "%s", report);
    cr_expect(!strstr(report, (const char *)ctx), "the other user's directory was used: %s",
              report);
}

/*
 * $XDG_RUNTIME_DIR that is not root's own (sudo keeps the invoking user's,
 * whose owner could swap compare's directory for a symlink) is not used:
 * the socket files go to /tmp, and nothing is made in it.
 */
Test(children_wire, runtime_dir_of_another_user_not_used)
{
    char bin[] = "/tmp/sockfam-standin-XXXXXX", reports[] = "/tmp/sockfam-reports-XXXXXX";
    char run[] = "/tmp/sockfam-otherxdg-XXXXXX", argv0[512];
    struct proc c;

    if (geteuid() != 0)
        cr_skip_test("not root: needs a directory of another user's");
    standin_bin(bin, reports);
    cr_assert_not_null(mkdtemp(run));
    cr_assert_eq(chown(run, 4242, 4242), 0);
    cr_assert_eq(setenv("XDG_RUNTIME_DIR", run, 1), 0);
    snprintf(argv0, sizeof(argv0), "%s/sockfam", bin);
    const char *argv[] = {argv0, "compare", "-q", "-c", "2", "--families", "unix", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    int servers = each_report(reports, "unix-server.", check_bind, run);
    cr_expect_eq(servers, 6, "three types, for the run and for the burst");
    cr_expect_eq(rmdir(run), 0, "something was left in %s: %s", run, strerror(errno));
    remove_dir(reports);
    remove_dir(bin);
}
