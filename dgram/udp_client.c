/*
 * udp-client: the client half of the tutorial's demos over UDP.
 *
 * The textbook sequence: socket, sendto, recvfrom, close; no connect and no
 * handshake.  What UDP does not do, the client does and says: it waits for
 * each reply with a deadline (a datagram may simply vanish), resends when
 * asked (--retries), skips datagrams that are not the reply, and reports a
 * reply cut short by a receive buffer (MSG_TRUNC) with both sizes
 * (common/xchg.c, common/client.c).
 *
 *   udp-client                          echo 'Hello network World' to localhost:50007
 *   udp-client --count 100 -q           a summary of sent, answered and lost
 *   udp-client --connect                a connected socket: ICMP port unreachable
 *                                       comes back as "Connection refused"
 */
#include "client.h"

static const struct sf_cli_spec spec = {
    "udp-client",
    "Send messages to a udp-server over UDP (SOCK_DGRAM), one datagram each, and print the\n"
    "replies. HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET | SF_OPT_RETRIES | SF_OPT_CONNECT | SF_OPT_RECV_SIZE,
};

/* Refuse, before sending, a message no datagram (or its echo reply) can carry. */
static void check_sizes(const struct sf_client *c, int family)
{
    size_t max = sf_dgram_max_payload(family);
    size_t limit = c->o.mode == SF_MODE_ECHO ? max - SF_ECHO_PREFIX_LEN : max;

    for (size_t i = 0; i < c->msgs.n; i++)
        if (c->msgs.v[i].len > limit)
            sf_cli_usage_error("a message of %zu bytes is over the UDP limit of %zu bytes for "
                               "%s%s",
                               c->msgs.v[i].len, limit, family == AF_INET6 ? "IPv6" : "IPv4",
                               limit < max ? " in echo mode (the reply adds 7)" : "");
}

/* A connected socket (--connect) learns of ICMP errors; an unconnected one never does. */
static int open_udp(struct sf_err *err, struct sf_client *c)
{
    int fd;

    if (c->o.use_connect)
        fd = sf_connect(err, &c->addr, c->o.family, SOCK_DGRAM, 0, (int)c->o.timeout_ms);
    else
        fd = sf_dgram_socket(err, &c->addr, c->o.family, &c->dest, &c->destlen);
    if (fd < 0)
        return -1;
    sf_client_note_peer(c, fd);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        check_sizes(c, ss.ss_family);
    return fd;
}

int main(int argc, char **argv)
{
    static struct sf_client c = {.open_fd = open_udp, .records = 1, .connectionless = 1};

    sf_cli_init("udp-client");
    sf_client_setup(&c, argc, argv, &spec, "udp", "localhost", 1);
    sf_client_run(&c);
}
