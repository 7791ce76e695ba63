/*
 * icmp-ping's iputils options (-w -f -D -n -t -I -O -v, and the 2 ms
 * floor for a user): first what each one does, then side by side with
 * iputils ping (/usr/bin/ping) given the same options, comparing the exit
 * codes (0, 1, or an error: iputils exits 2 where we use sysexits) and the
 * shape of the lines (every number becomes '#').  Those run in a private
 * network namespace, where the kernel's echo can be turned off and
 * net.ipv4.ping_group_range opened without touching the host's.
 */
#include <criterion/criterion.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "netns.h"
#include "proc.h"

TestSuite(raw_iputils, .timeout = 120);

#define WAIT_MS 20000
#define IPUTILS "/usr/bin/ping"
#define SETPRIV "/usr/bin/setpriv"
#define ECHO4 "/proc/sys/net/ipv4/icmp_echo_ignore_all"
#define GROUPS "/proc/sys/net/ipv4/ping_group_range"

/* prefix..., then prog and args: one argv (at most 40 words). */
static int run_argv(struct proc *c, const char *const prefix[], const char *prog,
                    const char *const args[])
{
    const char *v[41];
    int n = 0;

    for (int i = 0; prefix && prefix[i] && n < 38; i++)
        v[n++] = prefix[i];
    /* After setpriv, ours by its full path; alone, proc_run finds ours by its bare name. */
    v[n] = prog[0] == '/' || !n ? prog : proc_bin(prog);
    n++;
    for (int i = 0; args[i] && n < 40; i++)
        v[n++] = args[i];
    v[n] = NULL;
    return proc_run(c, WAIT_MS, v);
}

static int ours(struct proc *c, const char *const args[])
{
    return run_argv(c, NULL, "icmp-ping", args);
}

/* As nobody (uid and gid 65534, no group, no capability), as a user runs it. */
static int ours_as_nobody(struct proc *c, const char *const args[])
{
    static const char *const nobody[] = {SETPRIV, "--reuid=65534", "--regid=65534",
                                         "--clear-groups", NULL};
    if (access(SETPRIV, X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is not installed");
    return run_argv(c, nobody, "icmp-ping", args);
}

/* The numbers a statistics line gives: "N packets transmitted, M received". */
static unsigned long long count_of(const char *out, const char *what)
{
    const char *p = strstr(out, what);
    unsigned long long n = 0;

    cr_assert_not_null(p, "no '%s' in %s", what, out);
    while (p > out && (p[-1] == ' ' || (p[-1] >= '0' && p[-1] <= '9')))
        p--;
    cr_assert_eq(sscanf(p, "%llu", &n), 1, "%s", out);
    return n;
}

/* The number after key in a JSON object: "\"time_ms\":1001". */
static unsigned long long json_num(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    unsigned long long n = 0;

    cr_assert_not_null(p, "no %s in %s", key, out);
    cr_assert_eq(sscanf(p + strlen(key), "%llu", &n), 1, "%s", out);
    return n;
}

static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("needs root (a private network namespace, a process as nobody)");
}

/*
 * A loopback of this test's own where one can be made (root): a raw ICMP
 * socket hears every echo reply on its host, and another test's flood
 * (test_raw's 70000 requests) could fill its queue and drop ours.
 */
static void own_lo(void)
{
    if (geteuid() == 0)
        private_netns();
}

static void echo_off(int off)
{
    cr_assert_eq(sf_sysctl_write(NULL, ECHO4, off ? "1" : "0"), 0);
}

/* ---- each option's behaviour ---- */

/* -w alone: requests one each -i until the deadline (iputils: -c is then unbounded). */
Test(raw_iputils, deadline_alone_sends_until_it)
{
    const char *args[] = {"-w", "1", "-i", "0.1", "127.0.0.1", NULL};
    struct proc c;

    own_lo();
    cr_assert_eq(ours(&c, args), 0, "%s", c.err);
    unsigned long long sent = count_of(c.out, " packets transmitted");
    cr_expect(sent >= 5 && sent <= 11, "10 requests in 1 s at -i 0.1, not %llu: %s", sent, c.out);
    cr_expect_eq(count_of(c.out, " received"), sent, "%s", c.out);
}

/* -w 1 -c 1000: the deadline ends it far short of the count, and that is exit 1, as iputils. */
Test(raw_iputils, deadline_ends_a_count_it_cannot_reach_exit_1)
{
    const char *args[] = {"-w", "1", "-c", "1000", "-i", "0.1", "-q", "127.0.0.1", NULL};
    struct proc c;

    own_lo();
    cr_expect_eq(ours(&c, args), 1, "%s", c.err);
    cr_expect_leq(count_of(c.out, " packets transmitted"), 11, "%s", c.out);
}

/* -w 10 -c 2: two replies end it at once, exit 0 (the deadline is an upper bound). */
Test(raw_iputils, deadline_with_count_reached_ends_at_the_count)
{
    const char *args[] = {"-w", "10", "-c", "2", "-i", "0.1", "--json", "127.0.0.1", NULL};
    struct proc c;

    own_lo();
    cr_assert_eq(ours(&c, args), 0, "%s", c.err);
    cr_expect(strstr(c.out, "\"transmitted\":2,\"received\":2,"), "%s", c.out);
    cr_expect_lt(json_num(c.out, "\"time_ms\":"), 5000, "%s", c.out);
}

/* With nobody answering, -w 1 -c 2 goes on sending past 2 until the deadline, as iputils. */
Test(raw_iputils, deadline_sends_past_the_count_without_replies)
{
    const char *args[] = {"-w", "1", "-c", "2", "-i", "0.1", "-q", "127.0.0.1", NULL};
    struct proc c;

    private_netns();
    echo_off(1);
    cr_expect_eq(ours(&c, args), 1, "%s", c.err);
    unsigned long long sent = count_of(c.out, " packets transmitted");
    cr_expect(sent > 2 && sent <= 11, "%llu requests: %s", sent, c.out);
    cr_expect_eq(count_of(c.out, " received"), 0, "%s", c.out);
}

/* -D: "[seconds.micros] " before each reply line, the wall clock's time. */
Test(raw_iputils, timestamps_before_each_line)
{
    const char *args[] = {"-D", "-c", "2", "-i", "0.05", "127.0.0.1", NULL};
    struct proc c;
    long long before = (long long)time(NULL);
    int lines = 0;

    own_lo();
    cr_assert_eq(ours(&c, args), 0, "%s", c.err);
    for (const char *l = strstr(c.out, "\n["); l; l = strstr(l + 1, "\n[")) {
        long long sec;
        const char *dot = strchr(l, '.'), *close = strchr(l, ']');
        cr_assert_eq(sscanf(l + 2, "%lld.", &sec), 1, "%.60s", l + 1);
        cr_expect(dot && close && close - dot == 7, "six digits of microseconds: %.60s", l + 1);
        cr_expect(sec >= before && sec <= before + 60, "%lld is not now: %.60s", sec, l + 1);
        cr_expect_eq(strncmp(close, "] 64 bytes from 127.0.0.1: icmp_seq=", 36), 0, "%.60s", l + 1);
        lines++;
    }
    cr_expect_eq(lines, 2, "%s", c.out);
}

/* A named HOST's replies are "NAME (ADDRESS)", as iputils; -n and a numeric HOST: the address. */
Test(raw_iputils, names_unless_numeric)
{
    static const struct {
        const char *args[6];
        const char *want;
    } rows[] = {
        {{"-c", "1", "localhost", NULL}, "64 bytes from localhost (127.0.0.1): icmp_seq=1 "},
        {{"-n", "-c", "1", "localhost", NULL}, "64 bytes from 127.0.0.1: icmp_seq=1 "},
        {{"-c", "1", "127.0.0.1", NULL}, "64 bytes from 127.0.0.1: icmp_seq=1 "},
    };
    struct sockaddr_in lo = loopback4(0);
    char name[NI_MAXHOST];
    struct proc c;

    own_lo();
    if (getnameinfo((struct sockaddr *)&lo, sizeof(lo), name, sizeof(name), NULL, 0, NI_NAMEREQD) !=
            0 ||
        strcmp(name, "localhost") != 0)
        cr_skip_test("127.0.0.1 is not named localhost here (/etc/hosts)");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_assert_eq(ours(&c, rows[i].args), 0, "row %zu: %s", i, c.err);
        cr_expect(strstr(c.out, rows[i].want), "row %zu: no '%s' in %s", i, rows[i].want, c.out);
    }
}

/* -O: each request still unanswered is named when the next goes (not the last: none follows). */
Test(raw_iputils, outstanding_reported_before_the_next)
{
    const char *silent[] = {"-O", "-D", "-c", "3", "-i", "0.1", "-W", "0.2", "127.0.0.1", NULL};
    const char *answered[] = {"-O", "-c", "3", "-i", "0.05", "127.0.0.1", NULL};
    struct proc c;

    private_netns();
    echo_off(1);
    cr_expect_eq(ours(&c, silent), 1, "%s", c.err);
    for (int seq = 1; seq <= 2; seq++) {
        char want[64];
        snprintf(want, sizeof(want), "] no answer yet for icmp_seq=%d\n", seq);
        cr_expect(strstr(c.out, want), "no '%s' in %s", want, c.out);
    }
    cr_expect_eq(strstr(c.out, "icmp_seq=3"), NULL, "%s", c.out);
    echo_off(0);
    cr_expect_eq(ours(&c, answered), 0, "%s", c.err);
    cr_expect_eq(strstr(c.out, "no answer yet"), NULL, "%s", c.out);
}

/* The part of a flood's stdout between the PING line and the statistics. */
static void flood_marks(const char *out, int *dots, int *backs)
{
    const char *p = strchr(out, '\n'), *end = strstr(out, "\n--- ");

    *dots = *backs = 0;
    cr_assert(p && end && p < end, "%s", out);
    for (; p < end; p++) {
        *dots += *p == '.';
        if (strncmp(p, "\b \b", 3) == 0)
            (*backs)++, p += 2;
    }
}

/* -f as root: a '.' per request, a backspace per reply, no reply lines, ipg/ewma at the end. */
Test(raw_iputils, flood_as_root_dots_and_backspaces)
{
    const char *args[] = {"-f", "-c", "200", "127.0.0.1", NULL};
    struct proc c;
    int dots, backs;

    need_root();
    own_lo();
    cr_assert_eq(ours(&c, args), 0, "%s", c.err);
    flood_marks(c.out, &dots, &backs);
    cr_expect_eq(dots, 200, "%s", c.out);
    cr_expect_eq(backs, 200, "%s", c.out);
    cr_expect_eq(strstr(c.out, "bytes from"), NULL, "%s", c.out);
    cr_expect(strstr(c.out, "200 packets transmitted, 200 received"), "%s", c.out);
    cr_expect(strstr(c.out, " ms, ipg/ewma "), "%s", c.out);
}

/* -f with nobody answering: the next request 10 ms after the last (iputils' pace), not -W. */
Test(raw_iputils, flood_without_replies_paces_at_10ms)
{
    const char *args[] = {"-f", "-c", "20", "-W", "0.3", "--json", "127.0.0.1", NULL};
    struct proc c;

    private_netns();
    echo_off(1);
    cr_expect_eq(ours(&c, args), 1, "%s", c.err);
    cr_expect(strstr(c.out, "\"transmitted\":20,\"received\":0,"), "%s", c.out);
    unsigned long long ms = json_num(c.out, "\"time_ms\":");
    /* 19 gaps of 10 ms and the last -W, where one -W a request would be 6 s. */
    cr_expect(ms >= 190 + 300 && ms < 3000, "%llu ms: %s", ms, c.out);
}

/* A user may not flood: -f, -i 0 and -i 0.001 are refused in iputils' words; 0.002 is allowed. */
Test(raw_iputils, user_gets_the_2ms_floor)
{
    static const char *const refused[][7] = {
        {"-f", "-c", "1", "127.0.0.1", NULL},
        {"-i", "0", "-c", "1", "127.0.0.1", NULL},
        {"-i", "0.001", "-c", "1", "127.0.0.1", NULL},
        {"-f", "-i", "0.001", "-c", "1", "127.0.0.1", NULL},
    };
    const char *allowed[] = {"-f", "-i", "0.002", "-c", "3", "127.0.0.1", NULL};
    struct proc c;
    int dots, backs;

    need_root();
    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, GROUPS, "0 2147483647"), 0);
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        cr_expect_eq(ours_as_nobody(&c, refused[i]), 77, "row %zu: %s", i, c.err);
        cr_expect_str_eq(c.err,
                         "icmp-ping: cannot flood; minimal interval allowed for user is 2ms\n",
                         "row %zu", i);
    }
    cr_expect_eq(ours_as_nobody(&c, allowed), 0, "%s", c.err);
    cr_expect(strstr(c.err, "an ICMP datagram socket"), "%s", c.err);
    flood_marks(c.out, &dots, &backs);
    cr_expect(dots == 3 && backs == 3, "%s", c.out);
}

/* Root, or a caller that handed it CAP_NET_RAW in the ambient set (as the runner does), floods. */
Test(raw_iputils, ambient_cap_net_raw_may_flood)
{
    static const char *const ambient[] = {SETPRIV,
                                          "--reuid=65534",
                                          "--regid=65534",
                                          "--clear-groups",
                                          "--inh-caps=+net_raw",
                                          "--ambient-caps=+net_raw",
                                          NULL};
    const char *args[] = {"-f", "-c", "20", "127.0.0.1", NULL};
    struct proc c;

    need_root();
    own_lo();
    if (access(SETPRIV, X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is not installed");
    cr_expect_eq(run_argv(&c, ambient, "icmp-ping", args), 0, "%s", c.err);
    cr_expect(strstr(c.out, "20 packets transmitted, 20 received"), "%s", c.out);
}

/* -v: which socket and why, the capabilities held, whom it became; ident= on each reply. */
Test(raw_iputils, verbose_names_the_socket_and_why)
{
    const char *args[] = {"-v", "-c", "1", "127.0.0.1", NULL};
    struct proc c;

    need_root();
    private_netns();
    cr_assert_eq(ours(&c, args), 0, "%s", c.err);
    const char *root[] = {"icmp-ping: capabilities held: effective ",
                          "; cap_net_raw effective; uid 0, euid 0\n",
                          "icmp-ping: raw socket (SOCK_RAW, IPPROTO_ICMP): opened",
                          "net.ipv4.ping_group_range is 1 0, gid 0 is not in it\n",
                          "icmp-ping: privilege dropped: uid 65534 (nobody), gid 65534"};
    for (size_t i = 0; i < sizeof(root) / sizeof(root[0]); i++)
        cr_expect(strstr(c.err, root[i]), "no '%s' in %s", root[i], c.err);
    cr_expect(strstr(c.out, "icmp_seq=1 ident="), "%s", c.out);

    /* As nobody: the raw socket's EPERM, then the datagram socket the sysctl allows. */
    cr_assert_eq(sf_sysctl_write(NULL, GROUPS, "0 2147483647"), 0);
    cr_assert_eq(ours_as_nobody(&c, args), 0, "%s", c.err);
    const char *user[] = {"cap_net_raw not effective; uid 65534, euid 65534\n",
                          "raw socket (SOCK_RAW, IPPROTO_ICMP): refused: EPERM (Operation not "
                          "permitted)",
                          "datagram socket (SOCK_DGRAM, IPPROTO_ICMP): opened: "
                          "net.ipv4.ping_group_range is 0 2147483647, gid 65534 is in it\n"};
    for (size_t i = 0; i < sizeof(user) / sizeof(user[0]); i++)
        cr_expect(strstr(c.err, user[i]), "no '%s' in %s", user[i], c.err);

    /* Neither allowed: the story, then the one error line; exit 77. */
    cr_assert_eq(sf_sysctl_write(NULL, GROUPS, "1 0"), 0);
    cr_expect_eq(ours_as_nobody(&c, args), 77, "%s", c.err);
    cr_expect(strstr(c.err, "datagram socket (SOCK_DGRAM, IPPROTO_ICMP): refused: EACCES "
                            "(Permission denied); net.ipv4.ping_group_range is 1 0, gid 65534 is "
                            "not in it\nicmp-ping: socket(127.0.0.1): no permission"),
              "%s", c.err);
}

/* -t: a TTL the kernel refuses (0 for IPv4) is a usage error naming it; IPv6 takes 0. */
Test(raw_iputils, ttl_values)
{
    const char *zero4[] = {"-t", "0", "-c", "1", "127.0.0.1", NULL};
    const char *zero6[] = {"-t", "0", "-c", "1", "::1", NULL};
    const char *high[] = {"-t", "256", "127.0.0.1", NULL};
    const char *one[] = {"-t", "1", "-c", "1", "127.0.0.1", NULL};
    struct proc c;

    own_lo();
    cr_expect_eq(ours(&c, zero4), 64, "%s", c.err);
    cr_expect_str_eq(c.err, "icmp-ping: cannot set unicast time-to-live to 0: Invalid argument\n");
    cr_expect_eq(ours(&c, high), 64, "%s", c.err);
    cr_expect(strstr(c.err, "invalid -t '256'"), "%s", c.err);
    cr_expect_eq(ours(&c, one), 0, "%s", c.err);
    if (ipv6_available())
        cr_expect_eq(ours(&c, zero6), 0, "%s", c.err);
}

/* Put a veth pair in this namespace: v0 198.18.0.1/24 (v1, its peer, no address). */
static void veth_pair(void)
{
    static const char *const cmds[][12] = {
        {"/usr/sbin/ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1", NULL},
        {"/usr/sbin/ip", "addr", "add", "198.18.0.1/24", "dev", "v0", NULL},
        {"/usr/sbin/ip", "link", "set", "v0", "up", NULL},
        {"/usr/sbin/ip", "link", "set", "v1", "up", NULL},
    };
    struct proc c;

    if (access("/usr/sbin/ip", X_OK) != 0)
        cr_skip_test("ip (iproute2) is not installed");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        cr_assert_eq(proc_run(&c, WAIT_MS, cmds[i]), 0, "%s: %s", cmds[i][1], c.err);
}

/*
 * -I: an interface (SO_BINDTODEVICE) or a source address, as the PING
 * line says.  Bound to v0, a request to 127.0.0.1 goes out v0 and nothing
 * answers; bound to lo it is answered.  Bad names and foreign addresses are
 * usage errors.
 */
Test(raw_iputils, interface_or_source_binds)
{
    static const struct {
        const char *args[8];
        int code;
        const char *out, *err;
    } rows[] = {
        {{"-I", "lo", "-c", "1", "127.0.0.1", NULL},
         0,
         "PING 127.0.0.1 (127.0.0.1) from 127.0.0.1 lo: 56(84) bytes of data.\n64 bytes from",
         NULL},
        {{"-I", "127.0.0.1", "-c", "1", "127.0.0.1", NULL},
         0,
         "PING 127.0.0.1 (127.0.0.1) from 127.0.0.1 : 56(84) bytes of data.\n64 bytes from",
         NULL},
        {{"-I", "v0", "-c", "1", "-W", "0.3", "127.0.0.1", NULL},
         1,
         "PING 127.0.0.1 (127.0.0.1) from 198.18.0.1 v0: 56(84) bytes of data.\n",
         NULL},
        {{"-I", "nosuch", "-c", "1", "127.0.0.1", NULL},
         64,
         NULL,
         "icmp-ping: SO_BINDTODEVICE nosuch: No such device\n"},
        {{"-I", "192.0.2.1", "-c", "1", "127.0.0.1", NULL},
         64,
         NULL,
         "icmp-ping: bind(192.0.2.1): Cannot assign requested address\n"},
        {{"-4", "-I", "::1", "-c", "1", "127.0.0.1", NULL},
         64,
         NULL,
         "icmp-ping: -I ::1: an IPv6 source for an IPv4 destination\n"},
        {{"-I", "a-name-longer-than-ifnamsiz", "127.0.0.1", NULL},
         64,
         NULL,
         "an interface name is at most 15 bytes"},
    };
    struct proc c;

    need_root();
    private_netns();
    veth_pair();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_expect_eq(ours(&c, rows[i].args), rows[i].code, "row %zu: %s", i, c.err);
        if (rows[i].out)
            cr_expect(strstr(c.out, rows[i].out), "row %zu: %s", i, c.out);
        if (rows[i].err)
            cr_expect(strstr(c.err, rows[i].err), "row %zu: %s", i, c.err);
    }
    if (ipv6_available()) {
        const char *v6[] = {"-I", "lo", "-c", "1", "::1", NULL};
        cr_expect_eq(ours(&c, v6), 0, "%s", c.err);
        cr_expect(strstr(c.out, "PING ::1 (::1) from ::1 lo: "), "%s", c.out);
    }
}

Test(raw_iputils, bad_values_table)
{
    static const struct {
        const char *argv[6];
        const char *msg;
    } rows[] = {
        {{"icmp-ping", "-w", "soon", "127.0.0.1", NULL}, "invalid -w 'soon'"},
        {{"icmp-ping", "-w", "-1", "127.0.0.1", NULL}, "invalid -w '-1'"},
        {{"icmp-ping", "-t", "x", "127.0.0.1", NULL}, "invalid -t 'x'"},
        {{"icmp-ping", "-t", "-1", "127.0.0.1", NULL}, "invalid -t '-1'"},
        {{"icmp-ping", "-I", NULL}, "option '-I' needs a value"},
        {{"icmp-ping", "-I", "", "127.0.0.1", NULL}, "-I '': expected an interface or a source"},
    };
    struct proc c;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_expect_eq(proc_run(&c, WAIT_MS, rows[i].argv), 64, "row %zu: %s", i, c.err);
        cr_expect(strstr(c.err, rows[i].msg), "row %zu: %s", i, c.err);
    }
}

/* ---- side by side with iputils ping ---- */

static void need_iputils(void)
{
    const char *argv[] = {IPUTILS, "-V", NULL};
    struct proc c;

    if (access(IPUTILS, X_OK) != 0)
        cr_skip_test("iputils ping (" IPUTILS ") is not installed: apt-get install iputils-ping");
    if (proc_run(&c, WAIT_MS, argv) != 0 || !strstr(c.out, "iputils"))
        cr_skip_test(IPUTILS " is not iputils' ping: %s", c.out);
}

/* 0 and 1 as they are; every error is one class (iputils: 2; icmp-ping: sysexits). */
static int code_class(int rc)
{
    return rc == 0 || rc == 1 ? rc : rc > 1 ? 2 : -1;
}

#define MAX_SHAPES 64
#define SHAPE_LEN 200

struct shapes {
    char v[MAX_SHAPES][SHAPE_LEN];
    size_t n;
};

/* Lines only icmp-ping prints under its statistics (what a raw socket saw besides replies). */
static int ours_only(const char *shape)
{
    return strncmp(shape, "ignored: ", 9) == 0 || strncmp(shape, "truncated: ", 11) == 0 ||
           strncmp(shape, "different address: ", 19) == 0;
}

/* A line's shape: each run of digits and dots that holds a digit becomes one '#'. */
static void shape_of(const char *line, size_t len, char *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < len && n + 1 < cap;) {
        size_t j = i;
        int digit = 0;
        while (j < len && ((line[j] >= '0' && line[j] <= '9') || line[j] == '.'))
            digit |= line[j] >= '0' && line[j] <= '9', j++;
        if (j > i && digit) {
            out[n++] = '#';
            i = j;
        } else {
            out[n++] = line[i++];
        }
    }
    out[n] = '\0';
}

/* The distinct shapes of text's non-empty lines, less those only icmp-ping prints. */
static void shapes(const char *text, struct shapes *s)
{
    s->n = 0;
    for (const char *l = text; *l;) {
        const char *nl = strchr(l, '\n');
        size_t len = nl ? (size_t)(nl - l) : strlen(l);
        char sh[SHAPE_LEN];
        int seen = 0;

        shape_of(l, len, sh, sizeof(sh));
        for (size_t i = 0; i < s->n && !seen; i++)
            seen = strcmp(s->v[i], sh) == 0;
        if (len && !seen && !ours_only(sh) && s->n < MAX_SHAPES)
            snprintf(s->v[s->n++], SHAPE_LEN, "%s", sh);
        l += len + (nl != NULL);
    }
}

static int has(const struct shapes *s, const char *want)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i], want) == 0)
            return 1;
    return 0;
}

static const char *listing(const struct shapes *s, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < s->n && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "  %s\n", s->v[i]);
    return buf;
}

struct side {
    const char *args[12];
    int silent;       /* the kernel's echo off: nothing answers */
    int same;         /* every line has the same shape in both */
    const char *line; /* a line shape both print, or NULL */
    const char *err;  /* what both say on stderr, or NULL */
};

/*
 * Run row with iputils (prefix: setpriv's words, or NULL) and icmp-ping;
 * compare.  bad_value: a value out of range, where iputils exits 1 (as
 * for no reply) and icmp-ping 64 (as for its other usage errors).
 */
static void compare(const struct side *row, size_t i, const char *const prefix[], int bad_value)
{
    struct proc theirs, mine;
    struct shapes a, b;
    char la[4096], lb[4096];

    echo_off(row->silent);
    int rt = run_argv(&theirs, prefix, IPUTILS, row->args);
    int ro = prefix ? run_argv(&mine, prefix, "icmp-ping", row->args) : ours(&mine, row->args);
    if (bad_value)
        cr_expect(rt == 1 && ro == 64, "row %zu: icmp-ping %d, iputils %d\n%s\n%s", i, ro, rt,
                  mine.err, theirs.err);
    else
        cr_expect_eq(code_class(ro), code_class(rt), "row %zu: icmp-ping %d, iputils %d\n%s\n%s", i,
                     ro, rt, mine.err, theirs.err);
    shapes(theirs.out, &a);
    shapes(mine.out, &b);
    if (row->same) {
        for (size_t k = 0; k < a.n; k++)
            cr_expect(has(&b, a.v[k]), "row %zu: iputils' '%s' missing; ours:\n%s", i, a.v[k],
                      listing(&b, lb, sizeof(lb)));
        for (size_t k = 0; k < b.n; k++)
            cr_expect(has(&a, b.v[k]), "row %zu: our '%s' not iputils'; theirs:\n%s", i, b.v[k],
                      listing(&a, la, sizeof(la)));
    }
    if (row->line) {
        cr_expect(has(&a, row->line), "row %zu: iputils lacks '%s':\n%s", i, row->line,
                  listing(&a, la, sizeof(la)));
        cr_expect(has(&b, row->line), "row %zu: icmp-ping lacks '%s':\n%s", i, row->line,
                  listing(&b, lb, sizeof(lb)));
    }
    if (row->err) {
        cr_expect(strstr(theirs.err, row->err), "row %zu: iputils: %s", i, theirs.err);
        cr_expect(strstr(mine.err, row->err), "row %zu: icmp-ping: %s", i, mine.err);
    }
}

static void side_by_side(const struct side *row, size_t i, const char *const prefix[])
{
    compare(row, i, prefix, 0);
}

static void side_table(const struct side *rows, size_t n, const char *const prefix[])
{
    need_root();
    need_iputils();
    private_netns();
    for (size_t i = 0; i < n; i++)
        side_by_side(&rows[i], i, prefix);
}

#define REPLY "# bytes from #: icmp_seq=# ttl=# time=# ms"
#define SIDE(rows, prefix) side_table(rows, sizeof(rows) / sizeof(rows[0]), prefix)

/* -D, -n and a named HOST: the same lines as iputils prints. */
Test(raw_iputils, vs_iputils_timestamps_and_names)
{
    static const struct side rows[] = {
        {{"-D", "-c", "2", "-i", "0.2", "127.0.0.1", NULL}, 0, 1, "[#] " REPLY, NULL},
        {{"-n", "-c", "1", "localhost", NULL}, 0, 1, REPLY, NULL},
        {{"-c", "1", "localhost", NULL},
         0,
         1,
         "# bytes from localhost (#): icmp_seq=# ttl=# time=# ms",
         NULL},
        {{"-D", "-n", "-c", "1", "127.0.0.1", NULL}, 0, 1, "[#] " REPLY, NULL},
    };
    SIDE(rows, NULL);
}

/* -t: a TTL that works, one the kernel refuses, and values out of range (-t, -w). */
Test(raw_iputils, vs_iputils_ttl)
{
    static const struct side rows[] = {
        {{"-t", "5", "-c", "1", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
        {{"-t", "0", "-c", "1", "127.0.0.1", NULL}, 0, 0, NULL, "time-to-live"},
    };
    static const struct side bad[] = {
        {{"-t", "256", "-c", "1", "127.0.0.1", NULL}, 0, 0, NULL, "'256'"},
        {{"-w", "x", "127.0.0.1", NULL}, 0, 0, NULL, "'x'"},
    };

    SIDE(rows, NULL);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        compare(&bad[i], i, NULL, 1);
}

/* -I: interface, source address, an interface nothing answers on, and the refusals. */
Test(raw_iputils, vs_iputils_interface_and_source)
{
    static const struct side rows[] = {
        {{"-I", "lo", "-c", "1", "127.0.0.1", NULL},
         0,
         1,
         "PING # (#) from # lo: #(#) bytes of data.",
         NULL},
        {{"-I", "127.0.0.1", "-c", "1", "127.0.0.1", NULL},
         0,
         1,
         "PING # (#) from # : #(#) bytes of data.",
         NULL},
        {{"-I", "v0", "-c", "1", "-W", "1", "127.0.0.1", NULL},
         0,
         1,
         "PING # (#) from # v#: #(#) bytes of data.",
         NULL},
        {{"-I", "nosuch", "-c", "1", "127.0.0.1", NULL},
         0,
         0,
         NULL,
         "SO_BINDTODEVICE nosuch: No such device\n"},
        {{"-I", "192.0.2.1", "-c", "1", "127.0.0.1", NULL},
         0,
         0,
         NULL,
         /* iputils: "bind: ..."; icmp-ping names the address: "bind(192.0.2.1): ..." */
         ": Cannot assign requested address\n"},
    };

    need_root();
    need_iputils();
    private_netns();
    veth_pair(); /* v0: the interface no reply comes back on */
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        side_by_side(&rows[i], i, NULL);
}

/* -w: alone, with a count out of reach, with one reached, and with nothing answering. */
Test(raw_iputils, vs_iputils_deadline)
{
    static const struct side rows[] = {
        {{"-w", "1", "-i", "0.2", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
        {{"-w", "1", "-c", "100", "-i", "0.2", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
        {{"-w", "3", "-c", "2", "-i", "0.2", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
        {{"-w", "1", "-c", "2", "-i", "0.2", "127.0.0.1", NULL},
         1,
         1,
         "# packets transmitted, # received, #% packet loss, time #ms",
         NULL},
    };
    SIDE(rows, NULL);
}

/* -O, with and without -D, where nothing answers. */
Test(raw_iputils, vs_iputils_outstanding)
{
    static const struct side rows[] = {
        {{"-O", "-c", "3", "-i", "0.2", "-W", "0.3", "127.0.0.1", NULL},
         1,
         1,
         "no answer yet for icmp_seq=#",
         NULL},
        {{"-O", "-D", "-c", "2", "-i", "0.2", "-W", "0.3", "127.0.0.1", NULL},
         1,
         1,
         "[#] no answer yet for icmp_seq=#",
         NULL},
        {{"-O", "-c", "2", "-i", "0.2", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
    };
    SIDE(rows, NULL);
}

/* -f as root: the same marks (a '.' and a backspace per echo) and the ipg/ewma statistics. */
Test(raw_iputils, vs_iputils_flood_as_root)
{
    static const struct side rows[] = {
        {{"-f", "-c", "50", "127.0.0.1", NULL},
         0,
         0,
         "rtt min/avg/max/mdev = #/#/#/# ms, ipg/ewma #/# ms",
         NULL},
        {{"-i", "0", "-c", "50", "-q", "127.0.0.1", NULL},
         0,
         1,
         "rtt min/avg/max/mdev = #/#/#/# ms, ipg/ewma #/# ms",
         NULL},
    };
    const char *args[] = {"-f", "-c", "50", "127.0.0.1", NULL};
    struct proc theirs, mine;
    int td, tb, od, ob;

    SIDE(rows, NULL);
    cr_assert_eq(run_argv(&theirs, NULL, IPUTILS, args), 0, "%s", theirs.err);
    cr_assert_eq(ours(&mine, args), 0, "%s", mine.err);
    flood_marks(theirs.out, &td, &tb);
    flood_marks(mine.out, &od, &ob);
    cr_expect(td == 50 && tb == 50, "iputils: %d dots, %d backspaces", td, tb);
    cr_expect(od == td && ob == tb, "icmp-ping: %d dots, %d backspaces", od, ob);
}

/*
 * As a user: both refuse a flood in the same words; both run at 2 ms.
 * iputils keeps its file capability (the bounding set is left whole);
 * icmp-ping has none and opens the datagram socket the sysctl allows.
 */
Test(raw_iputils, vs_iputils_user_floor)
{
    static const char *const nobody[] = {SETPRIV, "--reuid=65534", "--regid=65534",
                                         "--clear-groups", NULL};
    static const struct side rows[] = {
        {{"-f", "-c", "1", "127.0.0.1", NULL},
         0,
         0,
         NULL,
         ": cannot flood; minimal interval allowed for user is 2ms\n"},
        {{"-i", "0.001", "-c", "1", "127.0.0.1", NULL},
         0,
         0,
         NULL,
         ": cannot flood; minimal interval allowed for user is 2ms\n"},
        {{"-i", "0.002", "-c", "3", "127.0.0.1", NULL}, 0, 1, REPLY, NULL},
    };

    need_root();
    if (access(SETPRIV, X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is not installed");
    need_iputils();
    private_netns();
    cr_assert_eq(sf_sysctl_write(NULL, GROUPS, "0 2147483647"), 0);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        side_by_side(&rows[i], i, nobody);
}

/* -v: both add ident= to each reply (iputils says it on the raw socket, which root gets here). */
Test(raw_iputils, vs_iputils_verbose_ident)
{
    static const struct side rows[] = {
        {{"-v", "-c", "2", "-i", "0.2", "127.0.0.1", NULL},
         0,
         0,
         "# bytes from #: icmp_seq=# ident=# ttl=# time=# ms",
         NULL},
    };
    SIDE(rows, NULL);
}
