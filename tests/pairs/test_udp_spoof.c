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
