/*
 * Pair tests for raw/icmp-ping against the kernel's own echo responder on
 * loopback: lines and statistics in iputils' form, exit codes, JSON, the
 * unprivileged path, and bad input.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "icmp.h"
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
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"), 0);
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv6/icmp/echo_ignore_all", "1"), 0);
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

/*
 * -l PRELOAD, as iputils: ten requests at once, then their replies; icmp-echod
 * reads each request as one read of its payload.  With nobody answering, the
 * five preloaded requests share one -W wait (2 s), where one at a time they
 * would wait five (10 s).
 */
Test(raw, preload_sends_every_request_before_any_reply)
{
    struct proc d, c;
    char ms[32];

    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"), 0);
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv6/icmp/echo_ignore_all", "1"), 0);
    start_echod(&d);
    const char *ten[] = {"icmp-ping", "-l", "10",  "-c", "10",        "-i",
                         "0",         "-s", "100", "-q", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, ten), 0, "%s", c.err);
    cr_expect(strstr(c.out, "10 packets transmitted, 10 received, 0% packet loss"), "%s", c.out);
    cr_expect_eq(proc_signal_wait(&d, SIGTERM, WAIT_MS), 0, "%s", d.err);
    cr_expect(strstr(d.err, "echo requests 10, answered 10"), "%s", d.err);
    cr_expect(strstr(d.err, "; reads 10 (100-100 bytes)\n"), "%s", d.err);

    const char *none[] = {"icmp-ping", "-l", "5", "-c",     "5",         "-i",
                          "0",         "-W", "2", "--json", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, none), 1, "%s", c.err);
    cr_expect(strstr(c.out, "\"transmitted\":5,\"received\":0,"), "%s", c.out);
    const char *t = strstr(c.out, "\"time_ms\":");
    cr_assert_not_null(t, "%s", c.out);
    snprintf(ms, sizeof(ms), "%s", t + 10);
    cr_expect_lt(atoi(ms), 6000, "one wait for all five, not five: %s", c.out);
}

/* Where the kernel still answers, icmp-echod says that each request gets two replies. */
Test(raw, echod_warns_when_kernel_answers)
{
    struct proc d, c;

    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "0"), 0);
    start_echod(&d);
    cr_expect(strstr(d.err, "net.ipv4.icmp_echo_ignore_all=0"), "%s", d.err);
    const char *v4[] = {"icmp-ping", "-c", "1", "-W", "1", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, v4), 0, "%s", c.err);
    cr_expect(strstr(c.out, "(DUP!)") || strstr(c.out, "1 received"), "%s", c.out);
    cr_expect_eq(proc_signal_wait(&d, SIGTERM, WAIT_MS), 0, "%s", d.err);
}

/* A raw ICMP socket that sees only echo requests: the injector's ear and mouth. */
static int injector(void)
{
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    struct icmp_filter f = {~(1u << ICMP_ECHO)};

    cr_assert_geq(fd, 0, "raw socket: %s", strerror(errno));
    cr_assert_eq(setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f)), 0);
    return fd;
}

/* The next echo request (IPv4 header included), within the deadline; its length. */
static size_t next_request(int fd, uint8_t *pkt, size_t cap)
{
    struct pollfd pf = {fd, POLLIN, 0};

    cr_assert_eq(poll(&pf, 1, WAIT_MS), 1, "no echo request from icmp-ping");
    ssize_t n = recv(fd, pkt, cap, 0);
    cr_assert_gt(n, 28, "recv: %s", strerror(errno));
    return (size_t)n;
}

/* Send an ICMP message to 127.0.0.1 (the kernel adds the IP header). */
static void inject(int fd, const uint8_t *icmp, size_t len)
{
    struct sockaddr_in to = loopback4(0);
    cr_assert_eq(sendto(fd, icmp, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len,
                 "sendto: %s", strerror(errno));
}

/* The reply to request icmp (len bytes), with its checksum made fresh. */
static void reply_of(uint8_t *out, const uint8_t *icmp, size_t len)
{
    memcpy(out, icmp, len);
    sf_icmp_echo_to_reply(out, len, 0);
}

/* Store a fresh ICMP checksum (big-endian, as on the wire). */
static void set_checksum(uint8_t *icmp, size_t len)
{
    icmp[2] = icmp[3] = 0;
    uint16_t sum = sf_inet_checksum(icmp, len);
    icmp[2] = (uint8_t)(sum >> 8);
    icmp[3] = (uint8_t)sum;
}

/* A capability mask ("CapEff:" ...) of a running process, from /proc. */
static unsigned long long caps_of(pid_t pid, const char *which)
{
    char path[64], line[256];
    unsigned long long v = ~0ULL;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, which, strlen(which)) == 0)
            v = strtoull(line + strlen(which), NULL, 16);
    fclose(f);
    return v;
}

/* The lines of /proc/PID/status that say who a process is and what it holds. */
static void expect_unprivileged(pid_t pid, unsigned uid)
{
    static const char *const caps[] = {"CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:"};
    char path[64], line[256], want[64];
    int uid_ok = 0, nnp = 0;

    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
        cr_expect_eq(caps_of(pid, caps[i]), 0, "%s not empty", caps[i]);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    snprintf(want, sizeof(want), "Uid:\t%u\t%u\t%u\t%u\n", uid, uid, uid, uid);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    while (fgets(line, sizeof(line), f)) {
        uid_ok |= strcmp(line, want) == 0;
        nnp |= strcmp(line, "NoNewPrivs:\t1\n") == 0;
    }
    fclose(f);
    cr_expect(uid_ok, "not running as uid %u", uid);
    cr_expect(nnp, "no_new_privs not set");
}

/*
 * Hostile replies, injected from a raw socket in a private namespace where
 * the kernel's echo is off.  To request 1: a bad checksum, a wrong id, a
 * truncated reply, then the whole reply (a duplicate now).  To request 2:
 * an ICMP error quoting it.  To request 3: the reply, twice.  Each lands in
 * its own category; nothing else is counted as a reply.  While it waits,
 * icmp-ping holds no capability (it dropped them once its socket was open).
 */
Test(raw, injected_replies_each_counted_in_its_category)
{
    uint8_t pkt[2048], out[2048];
    struct proc c;

    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"), 0);
    int fd = injector();
    const char *argv[] = {"icmp-ping", "-c",  "3",      "-i",        "0",
                          "-W",        "0.5", "--json", "127.0.0.1", NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    for (int seq = 1; seq <= 3; seq++) {
        size_t n = next_request(fd, pkt, sizeof(pkt));
        size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
        const uint8_t *req = pkt + ihl;
        size_t len = n - ihl;
        cr_assert_eq(req[0], ICMP_ECHO);
        cr_assert_eq((req[6] << 8 | req[7]), seq, "requests in order");
        if (seq == 1) {
            cr_expect_eq(caps_of(c.pid, "CapEff:"), 0, "icmp-ping kept capabilities");
            cr_expect_eq(caps_of(c.pid, "CapPrm:"), 0, "icmp-ping kept capabilities");
            reply_of(out, req, len);
            out[2] ^= 0x5a; /* bad checksum */
            inject(fd, out, len);
            reply_of(out, req, len);
            out[5] ^= 1; /* wrong id */
            set_checksum(out, len);
            inject(fd, out, len);
            reply_of(out, req, SF_ICMP_HDR + 10); /* truncated: 10 of 56 payload bytes */
            inject(fd, out, SF_ICMP_HDR + 10);
            reply_of(out, req, len);
            inject(fd, out, len);
        } else if (seq == 2) {
            /* Destination host unreachable, quoting the IP header and 8 bytes of the request. */
            memset(out, 0, SF_ICMP_HDR);
            out[0] = ICMP_DEST_UNREACH;
            out[1] = ICMP_HOST_UNREACH;
            memcpy(out + SF_ICMP_HDR, pkt, ihl + 8);
            set_checksum(out, SF_ICMP_HDR + ihl + 8);
            inject(fd, out, SF_ICMP_HDR + ihl + 8);
        } else {
            reply_of(out, req, len);
            inject(fd, out, len);
            inject(fd, out, len);
        }
    }
    cr_assert_eq(proc_wait_exit(&c, WAIT_MS), 0, "%s", c.err);
    close(fd);
    cr_expect(strstr(c.out, "\"transmitted\":3,\"received\":2,\"duplicates\":2,\"errors\":1,"
                            "\"malformed\":1,\"ignored\":1,\"truncated\":1,"),
              "%s", c.out);
}

/* icmp-echod serves as nobody with no capability left, and SIGINT ends it with its counters. */
Test(raw, echod_holds_no_capability_and_ends_on_sigint)
{
    struct proc d, c;

    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"), 0);
    unsetenv("SUDO_UID"), unsetenv("SUDO_GID");
    start_echod(&d);
    /* As root it became nobody: no capability in any set, no_new_privs. */
    if (geteuid() == 0)
        expect_unprivileged(d.pid, 65534);
    cr_expect_eq(caps_of(d.pid, "CapEff:"), 0, "icmp-echod kept capabilities");
    cr_expect_eq(caps_of(d.pid, "CapPrm:"), 0, "icmp-echod kept capabilities");
    const char *v4[] = {"icmp-ping", "-c", "2", "-i", "0", "127.0.0.1", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, v4), 0, "%s", c.err);
    cr_expect_eq(proc_signal_wait(&d, SIGINT, WAIT_MS), 0, "%s", d.err);
    cr_expect(strstr(d.err, "echo requests 2, answered 2"), "%s", d.err);
}

struct become_case {
    const char *z;        /* -Z USER, or NULL */
    const char *sudo_uid; /* SUDO_UID and SUDO_GID, or NULL */
    unsigned uid;
};

/*
 * As root, once its socket is open, icmp-ping becomes -Z's user, else
 * sudo's, else nobody, with every capability set empty (the bounding set
 * too) and no_new_privs, so no exec can bring root back; and Ctrl-C
 * between two requests of -i 5 prints the statistics at once.
 */
Test(raw, root_ping_becomes_a_user_and_stops_on_sigint)
{
    static const struct become_case cases[] = {
        {"4242", NULL, 4242}, {NULL, "4343", 4343}, {NULL, NULL, 65534}};

    if (geteuid() != 0)
        cr_skip_test("not root: icmp-ping has no user to switch from");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct become_case *k = &cases[i];
        const char *argv[] = {"icmp-ping", "-c", "2", "-i", "5", "127.0.0.1", NULL, NULL, NULL};
        struct proc c;

        unsetenv("SUDO_UID"), unsetenv("SUDO_GID");
        if (k->sudo_uid)
            setenv("SUDO_UID", k->sudo_uid, 1), setenv("SUDO_GID", k->sudo_uid, 1);
        if (k->z)
            argv[6] = "-Z", argv[7] = k->z;
        cr_assert_eq(proc_start(&c, argv), 0);
        cr_assert(proc_wait_output(&c, 1, "icmp_seq=1 ", WAIT_MS), "case %zu: %s", i, c.err);
        expect_unprivileged(c.pid, k->uid);
        /* The next request is 5 s away: a prompt exit proves the wait did not hold the signal. */
        cr_expect_eq(proc_signal_wait(&c, SIGINT, 2000), 0, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.out, "1 packets transmitted, 1 received"), "case %zu: %s", i, c.out);
    }
    unsetenv("SUDO_UID"), unsetenv("SUDO_GID");
}

/* A reply to our request from another address is counted, and marked as iputils marks it. */
Test(raw, reply_from_another_address_is_marked)
{
    uint8_t pkt[2048], out[2048];
    struct sockaddr_in other = loopback4(0);
    struct proc c;

    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1"), 0);
    int fd = injector(), from2 = injector();
    /* All of 127/8 is this host's: a raw socket bound to 127.0.0.2 sends from it
     * (and hears only what is sent to it: the requests come to the other). */
    other.sin_addr.s_addr = htonl(0x7f000002);
    cr_assert_eq(bind(from2, (struct sockaddr *)&other, sizeof(other)), 0, "%s", strerror(errno));
    const char *argv[] = {"icmp-ping", "-c", "1", "-W", "5", "127.0.0.1", NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    size_t n = next_request(fd, pkt, sizeof(pkt));
    size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
    reply_of(out, pkt + ihl, n - ihl);
    inject(from2, out, n - ihl);
    cr_assert_eq(proc_wait_exit(&c, WAIT_MS), 0, "%s", c.err);
    close(fd);
    close(from2);
    cr_expect(strstr(c.out, "64 bytes from 127.0.0.2: icmp_seq=1 "), "%s", c.out);
    cr_expect(strstr(c.out, " (DIFFERENT ADDRESS!)\n"), "%s", c.out);
    cr_expect(strstr(c.out, "1 packets transmitted, 1 received"), "%s", c.out);
    cr_expect(strstr(c.out, "different address: 1 replies from another address than 127.0.0.1"),
              "%s", c.out);
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
        {{"icmp-ping", "-l", "0", "127.0.0.1", NULL}, 64, "invalid -l '0'"},
        {{"icmp-ping", "-l", "70000", "127.0.0.1", NULL}, 64, "invalid -l '70000'"},
        {{"icmp-ping", "127.0.0.1", "extra", NULL}, 64, "unexpected argument 'extra'"},
        {{"icmp-ping", "no..such.host", NULL}, 68, "getaddrinfo(no..such.host)"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, cases[i].argv), cases[i].code, "case %zu: %s", i, c.err);
        cr_expect(strstr(c.err, cases[i].msg), "case %zu: '%s'", i, c.err);
    }
}

/* With no route at all (a namespace whose lo is down), exit 69 and the address is named. */
Test(raw, unreachable_network_exits_69_naming_the_address)
{
    const char *argv[] = {"icmp-ping", "-c", "1", "127.0.0.1", NULL};
    struct proc c;

    if (unshare(CLONE_NEWNET) != 0)
        cr_skip_test("cannot create a network namespace (%s); run as root", strerror(errno));
    cr_expect_eq(ping(&c, argv), 69, "%s", c.err);
    cr_expect(strstr(c.err, "icmp-ping: sendto(127.0.0.1): Network is unreachable"), "%s", c.err);
}
