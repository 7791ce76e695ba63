/*
 * MPTCP on the wire, in a private network namespace: tcp-server --mptcp
 * and tcp-client --mptcp open with MP_CAPABLE (RFC 8684) on the SYN, the
 * SYN-ACK and the third ACK, the echo completes over it, and a DATA_FIN
 * each way ends the connection before the subflow's FINs; a plain TCP
 * client still gets its echo (the server falls back). sockfam compare's
 * mptcp row shows the option in its ladder, and where the kernel refuses
 * MPTCP (net.mptcp.enabled=0 in the test's own namespace) the row is
 * skipped with the server's reason while the other rows run.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "json.h"
#include "netns.h"
#include "proc.h"

TestSuite(mptcp_wire, .timeout = 60);

#define WAIT_MS 15000
#define MAXP 256
#define MPTCP_ENABLED "/proc/sys/net/mptcp/enabled"

static const char hello[] = "Hello network World";
static const char reply[] = "echo=> Hello network World";

/* In the test's namespace: skip, saying why, unless this kernel opens MPTCP sockets. */
static void need_mptcp(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP);

    if (fd < 0)
        cr_skip_test("this kernel refuses MPTCP (socket(IPPROTO_MPTCP): %s; Linux 5.6+ with "
                     "net.mptcp.enabled=1)",
                     strerror(errno));
    close(fd);
}

/* tcp-server --mptcp --once and one client (with client_flag, or none) to host, captured. */
static struct sf_wire *echo_once(const char *family, const char *host, const char *client_flag)
{
    struct sf_wire *w = capture_start("lo", "tcp");
    struct server s;
    struct proc c;
    char target[96];

    need_mptcp();
    const char *extra[] = {family, "--mptcp", "--mode", "echo", "--once", NULL};
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    snprintf(target, sizeof(target), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, s.port);
    const char *argv[] = {"tcp-client", client_flag ? client_flag : target,
                          client_flag ? target : hello, client_flag ? hello : NULL, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_expect(strstr(c.out, "Client received: 'echo=> Hello network World'"), "%s", c.out);
    cr_assert_eq(proc_wait_exit(&s.p, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);
    return w;
}

/* The echo went through whole, one FIN each way, no reset. */
static void check_exchange(const struct sf_wire_rec *const *r, size_t n, const char *ladder)
{
    uint16_t cport = r[0]->pkt.sport, sport = r[0]->pkt.dport;
    int fins[2] = {0, 0};
    uint8_t buf[256];

    for (size_t i = 0; i < n; i++) {
        cr_expect(!(r[i]->pkt.flags & SF_TCP_RST), "a reset:\n%s", ladder);
        if (r[i]->pkt.flags & SF_TCP_FIN)
            fins[r[i]->pkt.sport == cport ? 0 : 1]++;
    }
    cr_expect_eq(fins[0], 1, "client FINs:\n%s", ladder);
    cr_expect_eq(fins[1], 1, "server FINs:\n%s", ladder);
    cr_expect_eq(tcp_stream(r, n, cport, buf, sizeof(buf)), (long)strlen(hello), "%s", ladder);
    cr_expect_eq(memcmp(buf, hello, strlen(hello)), 0, "%s", ladder);
    cr_expect_eq(tcp_stream(r, n, sport, buf, sizeof(buf)), (long)strlen(reply), "%s", ladder);
    cr_expect_eq(memcmp(buf, reply, strlen(reply)), 0, "%s", ladder);
}

/* MP_CAPABLE v1 on the three packets of the opening, then the echo over the connection. */
static void check_mp_capable(const struct sf_wire *w, int version)
{
    const struct sf_wire_rec *r[MAXP];
    size_t n = capture_select(w, SF_L4_TCP, r, MAXP);
    const char *ladder = capture_ladder(w);
    static const uint8_t opening[3] = {SF_TCP_SYN, SF_TCP_SYN | SF_TCP_ACK, SF_TCP_ACK};

    cr_assert_geq(n, 8, "%s", ladder);
    cr_expect_eq(r[0]->pkt.ip_version, version);
    for (size_t i = 0; i < 3; i++) {
        const struct sf_pkt *p = &r[i]->pkt;
        cr_expect_eq(p->flags, opening[i], "packet %zu:\n%s", i, ladder);
        cr_expect(p->mptcp & SF_MPTCP_BIT(SF_MPTCP_CAPABLE), "no MP_CAPABLE on packet %zu:\n%s", i,
                  ladder);
        cr_expect_eq(p->mptcp_version, 1, "MP_CAPABLE version on packet %zu:\n%s", i, ladder);
    }
    cr_expect(strstr(ladder, "---- SYN seq 0 ") && strstr(ladder, " mptcp capable v1 "), "%s",
              ladder);
    /* The connection ends with a DATA_FIN each way, before the subflow's own FINs. */
    int data_fins[2] = {0, 0};
    for (size_t i = 0; i < n; i++)
        data_fins[r[i]->pkt.sport == r[0]->pkt.sport ? 0 : 1] += r[i]->pkt.mptcp_data_fin;
    cr_expect(data_fins[0] >= 1 && data_fins[1] >= 1, "DATA_FINs %d and %d:\n%s", data_fins[0],
              data_fins[1], ladder);
    check_exchange(r, n, ladder);
}

/* The SYN carries MP_CAPABLE, and the echo completes over MPTCP (IPv4). */
Test(mptcp_wire, syn_carries_mp_capable_and_echo_completes_v4)
{
    struct sf_wire *w = echo_once("-4", "127.0.0.1", "--mptcp");

    check_mp_capable(w, 4);
    sf_wire_close(w);
}

/* The same over IPv6. */
Test(mptcp_wire, syn_carries_mp_capable_and_echo_completes_v6)
{
    if (!ipv6_available())
        cr_skip_test("IPv6 loopback (::1) is not available here");
    struct sf_wire *w = echo_once("-6", "::1", "--mptcp");

    check_mp_capable(w, 6);
    sf_wire_close(w);
}

/* A plain TCP client: no MP_CAPABLE either way, and the server still answers (fallback). */
Test(mptcp_wire, plain_client_gets_plain_tcp_from_an_mptcp_server)
{
    struct sf_wire *w = echo_once("-4", "127.0.0.1", NULL);
    const struct sf_wire_rec *r[MAXP];
    size_t n = capture_select(w, SF_L4_TCP, r, MAXP);
    const char *ladder = capture_ladder(w);

    cr_assert_geq(n, 8, "%s", ladder);
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(r[i]->pkt.mptcp, 0, "an MPTCP option in plain TCP:\n%s", ladder);
    check_exchange(r, n, ladder);
    sf_wire_close(w);
}

static void get_str(const char *json, const char *path, char *buf, size_t cap)
{
    struct sf_json_val v;

    cr_assert_eq(sf_json_get(json, strlen(json), path, &v), 1, "no %s in %s", path, json);
    cr_assert_eq(v.type, SF_JSON_STRING, "%s is not a string", path);
    sf_json_unescape(&v, buf, cap);
}

static double get_num(const char *json, const char *path)
{
    struct sf_json_val v;

    cr_assert_eq(sf_json_get(json, strlen(json), path, &v), 1, "no %s in %s", path, json);
    cr_assert_eq(v.type, SF_JSON_NUMBER, "%s is not a number", path);
    return v.num;
}

/* sockfam compare's mptcp row: its answers, its counted handshake, MP_CAPABLE in its ladder. */
Test(mptcp_wire, compare_row_shows_mp_capable)
{
    struct proc c, j;
    char buf[256];

    if (geteuid() != 0)
        cr_skip_test("sockfam compare captures only as root (here euid %d)", (int)geteuid());
    private_netns(); /* only to ask this kernel; compare makes its own namespace */
    need_mptcp();
    const char *text[] = {"sockfam", "compare", "--families", "mptcp", "-c", "3", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, text), 0, "%s\n%s", c.out, c.err);
    const char *row = strstr(c.out, "\nmptcp           AF_INET SOCK_STREAM IPPROTO_MPTCP ");
    cr_assert_not_null(row, "%s", c.out);
    cr_expect_not_null(memmem(row, strcspn(row + 1, "\n"), "handshake, 3 pkts", 17), "%s", c.out);
    cr_expect(strstr(c.out, "mptcp, first exchange:\n"), "%s", c.out);
    cr_expect(strstr(c.out, "---- SYN seq 0 win ") && strstr(c.out, " mptcp capable v1 "), "%s",
              c.out);
    cr_expect(strstr(c.out, " mptcp dss fin "), "the close, from the DATA_FIN:\n%s", c.out);
    const char *json[] = {"sockfam", "compare", "--families", "mptcp", "-c", "3", "--json", NULL};
    cr_assert_eq(proc_run(&j, WAIT_MS, json), 0, "%s\n%s", j.out, j.err);
    get_str(j.out, "families.0.status", buf, sizeof(buf));
    cr_expect_str_eq(buf, "ok", "%s", j.out);
    get_str(j.out, "families.0.socket", buf, sizeof(buf));
    cr_expect_str_eq(buf, "AF_INET SOCK_STREAM IPPROTO_MPTCP");
    cr_expect_eq(get_num(j.out, "families.0.answered"), 3, "%s", j.out);
    cr_expect_eq(get_num(j.out, "families.0.setup_packets"), 3, "%s", j.out);
    cr_expect_gt(get_num(j.out, "families.0.packets"), 0, "%s", j.out);
}

/* Run compare as nobody in this namespace (so that it cannot make its own); its JSON into c. */
static void compare_unprivileged(struct proc *c)
{
    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is needed to drop privilege");
    const char *argv[] = {"sockfam", "compare", "--families", "tcp,mptcp",
                          "-c",      "2",       "--json",     NULL};
    cr_assert_eq(proc_run_nobody(c, WAIT_MS, argv), 0, "a refused family is not a failure:\n%s\n%s",
                 c->out, c->err);
}

/*
 * net.mptcp.enabled=0 (per namespace: this test's own): tcp-server --mptcp
 * exits 69 before its readiness line, saying why, and compare's mptcp row
 * is skipped with that reason while tcp's runs; the exit is 0.
 */
Test(mptcp_wire, refused_by_the_kernel_row_skipped_with_the_reason)
{
    struct proc s, c;
    char buf[512];
    struct sf_err err;

    if (geteuid() != 0)
        cr_skip_test("turning MPTCP off in a namespace needs root (here euid %d)", (int)geteuid());
    private_netns();
    if (access(MPTCP_ENABLED, F_OK) == 0) /* else this kernel has no MPTCP: refused anyway */
        cr_assert_eq(sf_sysctl_write(&err, MPTCP_ENABLED, "0"), 0, "%s", err.msg);
    const char *server[] = {"tcp-server", "--mptcp", "-4", "-p", "0", NULL};
    cr_expect_eq(proc_run(&s, WAIT_MS, server), 69, "%s", s.err);
    cr_expect(strstr(s.err, "this kernel refuses MPTCP"), "%s", s.err);
    cr_expect_null(strstr(s.err, "listening on"), "%s", s.err);
    compare_unprivileged(&c);
    get_str(c.out, "families.0.family", buf, sizeof(buf));
    cr_expect_str_eq(buf, "tcp");
    get_str(c.out, "families.0.status", buf, sizeof(buf));
    cr_expect_str_eq(buf, "ok", "%s", c.out);
    get_str(c.out, "families.1.family", buf, sizeof(buf));
    cr_expect_str_eq(buf, "mptcp");
    get_str(c.out, "families.1.status", buf, sizeof(buf));
    cr_expect_str_eq(buf, "skipped", "%s", c.out);
    get_str(c.out, "families.1.why", buf, sizeof(buf));
    cr_expect(strstr(buf, "tcp-server: ") && strstr(buf, "this kernel refuses MPTCP") &&
                  strstr(buf, "net.mptcp.enabled=1"),
              "%s", buf);
    get_str(c.out, "notes.1", buf, sizeof(buf));
    cr_expect(strstr(buf, "mptcp: skipped: ") && strstr(buf, "refuses MPTCP"), "%s", c.out);
}
