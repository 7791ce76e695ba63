/*
 * Pair tests for udp-server against forged source addresses: UDP carries
 * whatever source the sender wrote, so one datagram "from" an echo server
 * can set two of them answering each other for ever, or one answering
 * itself (the review saw 89113 datagrams a second, never ending).  Each
 * test runs in a private network namespace and forges its datagrams from
 * a raw socket (root).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture.h"
#include "proc.h"

TestSuite(udp_spoof, .timeout = 30);

#define WAIT_MS 10000

/* One UDP datagram to 127.0.0.1:dst that claims to come from 127.0.0.1:src. */
static void forge(int src, int dst, const char *payload)
{
    unsigned char pkt[512];
    size_t len = sizeof(struct udphdr) + strlen(payload);
    struct udphdr *u = (struct udphdr *)pkt;
    struct sockaddr_in to = loopback4(dst);
    int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);

    cr_assert_geq(fd, 0, "raw socket: %s", strerror(errno));
    cr_assert_leq(len, sizeof(pkt));
    memset(u, 0, sizeof(*u));
    u->source = htons((uint16_t)src);
    u->dest = htons((uint16_t)dst);
    u->len = htons((uint16_t)len);
    u->check = 0; /* no checksum: allowed over IPv4 (RFC 768) */
    memcpy(pkt + sizeof(*u), payload, strlen(payload));
    cr_assert_eq(sendto(fd, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)len,
                 "sendto: %s", strerror(errno));
    close(fd);
}

struct refusal_case {
    int from_self; /* forge the server's own port, else from_port */
    int from_port;
    const char *why; /* in the warning and the last line */
};

/* A datagram from the server's own address and port, or from a service port, is not answered. */
Test(udp_spoof, forged_self_and_service_sources_not_answered)
{
    static const struct refusal_case cases[] = {
        {1, 0, "from itself"}, {0, 7, "from a service port"}, {0, 19, "from a service port"}};

    private_netns();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct refusal_case *k = &cases[i];
        struct server s;
        char want[64];

        cr_assert_eq(server_start(&s, "udp-server", NULL), 0, "%s", s.p.err);
        forge(k->from_self ? s.port : k->from_port, s.port, "loop me");
        snprintf(want, sizeof(want), "not answered: %s (an echo loop)", k->why);
        cr_expect(proc_wait_output(&s.p, 2, want, WAIT_MS), "case %zu: %s", i, s.p.err);
        cr_expect_eq(proc_signal_wait(&s.p, SIGTERM, WAIT_MS), 0, "%s", s.p.err);
        const char *line = strstr(s.p.err, "udp-server: datagrams ");
        cr_assert(line, "case %zu: %s", i, s.p.err);
        cr_expect_eq(line_counter(line, "datagrams "), 1, "%s", line);
        cr_expect_eq(line_counter(line, "replies "), 0, "%s", line);
        cr_expect_eq(line_counter(line, k->from_self ? "from itself " : "from a service port "), 1,
                     "%s", line);
    }
}

/* UDP datagrams this network namespace has delivered (InDatagrams in /proc/net/snmp), or -1. */
static long long udp_delivered(void)
{
    char names[512], values[512];
    long long v[8];
    FILE *f = fopen("/proc/net/snmp", "r");
    int found = 0;

    if (!f)
        return -1;
    /* Two lines per protocol: the names, then the values; InDatagrams is Udp's first. */
    while (!found && fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f))
        found = strncmp(values, "Udp: ", 5) == 0 && sscanf(values + 5, "%lld", &v[0]) == 1;
    fclose(f);
    return found ? v[0] : -1;
}

/* Poll (every 5 ms, until timeout_ms) until n more UDP datagrams were delivered.  1 or 0. */
static int udp_delivered_reach(long long n, int timeout_ms)
{
    long long start = udp_delivered();

    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (udp_delivered() >= start + n)
            return 1;
        poll(NULL, 0, 5);
    }
    return 0;
}

/* The two servers of a loop, in mirror mode (a steady loop: nothing grows). */
static void loop_pair(struct server *a, struct server *b, const char *rate)
{
    const char *extra[] = {"--mode", "mirror", "-q", "--rate-limit", rate, NULL};

    cr_assert_eq(server_start(a, "udp-server", extra), 0, "%s", a->p.err);
    cr_assert_eq(server_start(b, "udp-server", extra), 0, "%s", b->p.err);
    forge(b->port, a->port, "ping-pong"); /* a answers b, b answers a, ... */
}

/*
 * One forged datagram between two echo servers: each answers the other
 * until one's reply budget for that source runs out, and the first reply
 * refused ends the loop (one datagram was in flight).
 */
Test(udp_spoof, forged_loop_between_two_servers_ends_at_the_rate_limit)
{
    struct server a, b;

    private_netns();
    loop_pair(&a, &b, "1000");
    /* Wait on either server's stderr for the refusal that ends the loop. */
    int ended = 0;
    for (int tries = 0; tries < 100 && !ended; tries++)
        ended = proc_wait_output(&a.p, 2, "over the rate (an echo loop)", 50) ||
                proc_wait_output(&b.p, 2, "over the rate (an echo loop)", 50);
    cr_assert(ended, "a: %s\nb: %s", a.p.err, b.p.err);
    cr_expect_eq(proc_signal_wait(&a.p, SIGTERM, WAIT_MS), 0, "%s", a.p.err);
    cr_expect_eq(proc_signal_wait(&b.p, SIGTERM, WAIT_MS), 0, "%s", b.p.err);
    const char *la = strstr(a.p.err, "udp-server: datagrams "),
               *lb = strstr(b.p.err, "udp-server: datagrams ");
    cr_assert(la && lb, "a: %s\nb: %s", a.p.err, b.p.err);
    unsigned long long da = line_counter(la, "datagrams "), db = line_counter(lb, "datagrams ");
    unsigned long long refused =
        line_counter(la, "over the rate ") + line_counter(lb, "over the rate ");
    cr_log_info("forged loop, --rate-limit 1000: %llu + %llu datagrams, then %llu refused", da, db,
                refused);
    cr_expect_eq(refused, 1, "the first refusal ends it: %s / %s", la, lb);
    /* The burst is 1000 replies each, plus what refills during the loop: never endless. */
    cr_expect_leq(da + db, 2 * 1000 + 2000, "a: %s\nb: %s", la, lb);
}

/*
 * With --rate-limit 0 the loop runs flat out until SIGTERM, which ends
 * both servers at once: it comes on the loop's signal descriptor.  (The
 * review's server that ignored SIGTERM for 88 s was answering itself, a
 * loop refused now; loop::stop_fd_ends_a_busy_run is the test of a socket
 * readable at every wake-up, which the old epoll_pwait mask never let a
 * signal through.)
 */
Test(udp_spoof, sigterm_ends_servers_busy_in_a_loop)
{
    struct server a, b;

    private_netns();
    loop_pair(&a, &b, "0");
    /* The loop is running once a thousand datagrams went round (/proc/net/snmp), in a deadline. */
    cr_assert(udp_delivered_reach(1000, WAIT_MS), "the loop never started: %s", a.p.err);
    cr_expect_eq(proc_signal_wait(&a.p, SIGTERM, 3000), 0, "a ignored SIGTERM: %s", a.p.err);
    cr_expect_eq(proc_signal_wait(&b.p, SIGTERM, 3000), 0, "b ignored SIGTERM: %s", b.p.err);
    const char *la = strstr(a.p.err, "udp-server: datagrams ");
    cr_assert(la, "%s", a.p.err);
    cr_log_info("forged loop, no limit: a read %llu datagrams before SIGTERM ended it",
                line_counter(la, "datagrams "));
    cr_expect_geq(line_counter(la, "datagrams "), 500, "the loop ran: %s", la);
}
