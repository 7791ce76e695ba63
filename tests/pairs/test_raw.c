/*
 * Pair tests for raw/icmp-ping against the kernel's own echo responder on
 * loopback: lines and statistics in iputils' form, exit codes, JSON, the
 * unprivileged path, and bad input.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "netns.h"
#include "proc.h"

TestSuite(raw, .timeout = 30);

#define WAIT_MS 15000

/* Run icmp-ping; skip (with the reason) when no ICMP socket is allowed here. */
static int ping(struct proc *c, const char *const argv[])
{
    int rc = proc_run(c, WAIT_MS, argv);
    if (rc == 77)
        cr_skip_test("no ICMP socket allowed here: %s", c->err);
    return rc;
}

/* Three requests to 127.0.0.1: three reply lines, then iputils' statistics. */
Test(raw, ping_v4_loopback_lines_and_statistics)
{
    struct proc c;
    const char *argv[] = {"icmp-ping", "-c", "3", "-i", "0.05", "127.0.0.1", NULL};

    cr_assert_eq(ping(&c, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n"), "%s", c.out);
    for (int seq = 1; seq <= 3; seq++) {
        char want[64];
        snprintf(want, sizeof(want), "64 bytes from 127.0.0.1: icmp_seq=%d ttl=64 time=", seq);
        cr_expect(strstr(c.out, want), "missing '%s' in %s", want, c.out);
    }
    cr_expect(strstr(c.out, "--- 127.0.0.1 ping statistics ---\n"), "%s", c.out);
    cr_expect(strstr(c.out, "3 packets transmitted, 3 received, 0% packet loss, time "), "%s",
              c.out);
    cr_expect(strstr(c.out, "rtt min/avg/max/mdev = "), "%s", c.out);
}

Test(raw, ping_v6_loopback)
{
    struct proc c;
    const char *argv[] = {"icmp-ping", "-c", "2", "-i", "0.05", "::1", NULL};

    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    cr_assert_eq(ping(&c, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "64 bytes from ::1: icmp_seq=2"), "%s", c.out);
    cr_expect(strstr(c.out, "2 packets transmitted, 2 received, 0% packet loss"), "%s", c.out);
}

/* -i 0: the next request as soon as the reply comes; -q: only the summary; --json. */
Test(raw, flood_quiet_and_json)
{
    struct proc c;
    const char *quiet[] = {"icmp-ping", "-c", "500", "-i", "0", "-q", "127.0.0.1", NULL};
    const char *json[] = {"icmp-ping", "-c", "5", "-i", "0", "--json", "127.0.0.1", NULL};

    cr_assert_eq(ping(&c, quiet), 0, "%s", c.err);
    cr_expect(strstr(c.out, "500 packets transmitted, 500 received, 0% packet loss"), "%s", c.out);
    cr_expect_eq(strstr(c.out, "bytes from"), NULL, "-q printed reply lines");
    cr_assert_eq(ping(&c, json), 0, "%s", c.err);
    const char *fields[] = {
        "\"program\":\"icmp-ping\"", "\"family\":\"icmp\"", "\"address\":\"127.0.0.1\"",
        "\"transmitted\":5",         "\"received\":5",      "\"duplicates\":0",
        "\"loss_pct\":0.0",          "\"rtt_ms\":{"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        cr_expect(strstr(c.out, fields[i]), "missing %s in %s", fields[i], c.out);
}

/*
 * 70000 requests: the 16-bit seq wraps after 65535 (iputils keeps going the
 * same way).  Every reply is still matched, none taken for a duplicate, and
 * -i 0 never stalls on a reply it could not match (it did: one -W wait per
 * request past the wrap).
 */
Test(raw, seq_wraps_past_65535)
{
    struct proc c;
    const char *argv[] = {"icmp-ping", "-c", "70000", "-i", "0", "--json", "127.0.0.1", NULL};

    cr_assert_eq(ping(&c, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"transmitted\":70000,\"received\":70000,\"duplicates\":0"), "%s",
              c.out);
}

/* Without CAP_NET_RAW: the datagram socket where the sysctl allows it, else 77 and how to enable.
 */
Test(raw, unprivileged_fallback_or_77)
{
    struct proc c;

    if (geteuid() != 0)
        cr_skip_test("needs root to run a child without CAP_NET_RAW (setpriv)");
    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is not installed");
    const char *argv[] = {"/usr/bin/setpriv",
                          "--bounding-set=-net_raw",
                          "--inh-caps=-net_raw",
                          proc_bin("icmp-ping"),
                          "-c",
                          "1",
                          "127.0.0.1",
                          NULL};
    int rc = proc_run(&c, WAIT_MS, argv);
    if (rc == 77) {
        cr_expect(strstr(c.err, "icmp-ping: socket(127.0.0.1): no permission"), "%s", c.err);
        cr_expect(strstr(c.err, "setcap cap_net_raw+ep") &&
                      strstr(c.err, "net.ipv4.ping_group_range"),
                  "%s", c.err);
        cr_expect_eq(strchr(c.err, '\n'), c.err + strlen(c.err) - 1, "one line: %s", c.err);
    } else {
        cr_expect_eq(rc, 0, "%s", c.err);
        cr_expect(strstr(c.err, "an ICMP datagram socket"), "%s", c.err);
    }
}

static void start_echod(struct proc *d)
{
    const char *argv[] = {"icmp-echod", NULL};

    cr_assert_eq(proc_start(d, argv), 0);
    cr_assert(proc_wait_output(d, 2, "listening on icmp, icmp6\n", WAIT_MS), "%s", d->err);
}

/*
 * With the kernel's echo off in a private namespace, every reply comes from
 * icmp-echod (its counters say so); with it stopped, nothing answers.
 */
Test(raw, echod_answers_when_kernel_is_silent)
{
    struct proc d, c;

    private_netns();
    cr_assert_eq(sf_sysctl_write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "1", NULL), 0);
    cr_assert_eq(sf_sysctl_write("/proc/sys/net/ipv6/icmp/echo_ignore_all", "1", NULL), 0);
    start_echod(&d);
    cr_expect_eq(strstr(d.err, "warning"), NULL, "%s", d.err);
    const char *v4[] = {"icmp-ping", "-c", "3", "-i", "0.05", "127.0.0.1", NULL};
    const char *v6[] = {"icmp-ping", "-c", "3", "-i", "0", "::1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, v4), 0, "%s", c.err);
    cr_expect(strstr(c.out, "3 packets transmitted, 3 received, 0% packet loss"), "%s", c.out);
    cr_expect_eq(proc_run(&c, WAIT_MS, v6), 0, "%s", c.err);
    cr_expect(strstr(c.out, "3 packets transmitted, 3 received, 0% packet loss"), "%s", c.out);
    cr_expect_eq(proc_signal_wait(&d, SIGTERM, WAIT_MS), 0, "%s", d.err);
    cr_expect(strstr(d.err, "echo requests 6, answered 6"), "%s", d.err);

    const char *silent[] = {"icmp-ping", "-c", "2", "-i", "0.05", "-W", "0.3", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, silent), 1, "%s", c.err);
    cr_expect(strstr(c.out, "2 packets transmitted, 0 received, 100% packet loss"), "%s", c.out);
}

/* Where the kernel still answers, icmp-echod says that each request gets two replies. */
Test(raw, echod_warns_when_kernel_answers)
{
    struct proc d, c;

    private_netns();
    cr_assert_eq(sf_sysctl_write("/proc/sys/net/ipv4/icmp_echo_ignore_all", "0", NULL), 0);
    start_echod(&d);
    cr_expect(strstr(d.err, "net.ipv4.icmp_echo_ignore_all=0"), "%s", d.err);
    const char *v4[] = {"icmp-ping", "-c", "1", "-W", "1", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, v4), 0, "%s", c.err);
    cr_expect(strstr(c.out, "(DUP!)") || strstr(c.out, "1 received"), "%s", c.out);
    cr_expect_eq(proc_signal_wait(&d, SIGTERM, WAIT_MS), 0, "%s", d.err);
}

struct bad_case {
    const char *argv[6];
    int code;
    const char *msg;
};

Test(raw, bad_input_table)
{
    static const struct bad_case cases[] = {
        {{"icmp-ping", NULL}, 64, "missing HOST"},
        {{"icmp-ping", "-c", "0", "127.0.0.1", NULL}, 64, "invalid -c '0'"},
        {{"icmp-ping", "-s", "70000", "127.0.0.1", NULL}, 64, "invalid -s '70000'"},
        {{"icmp-ping", "-W", "soon", "127.0.0.1", NULL}, 64, "invalid -W 'soon'"},
        {{"icmp-ping", "-x", "127.0.0.1", NULL}, 64, "unknown option '-x'"},
        {{"icmp-ping", "127.0.0.1", "extra", NULL}, 64, "unexpected argument 'extra'"},
        {{"icmp-ping", "no..such.host", NULL}, 68, "getaddrinfo(no..such.host)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, cases[i].argv), cases[i].code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "case %zu: '%s'", i, c.err);
    }
}
