/*
 * udp-client: the client half of the tutorial's demos over UDP.
 *
 * The textbook sequence, all in main(): socket, sendto, recvfrom, close; no
 * connect and no handshake (unless --connect).  What UDP does not do, the
 * helpers main calls do and say (common/sock/xchg.h): they wait for each
 * reply with a deadline (a datagram may simply vanish), resend when asked
 * (--retries), skip datagrams that are not the reply, and report a reply
 * cut short by a receive buffer (MSG_TRUNC) with both sizes.  The plan of
 * the run, the counting and the report are in common/prog/client.h.
 * --burst sends every datagram first, then reads the replies: each one
 * is still one read at the server, however fast they came.
 *
 *   udp-client                          echo 'Hello network World' to localhost:50007
 *   udp-client --count 100 -q           a summary of sent, answered and lost
 *   udp-client --connect                a connected socket: ICMP port unreachable
 *                                       comes back as "Connection refused"
 *   udp-client --burst -c 10 -s 64      ten datagrams back to back, then the replies
 */
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

static const struct sf_cli_spec spec = {
    "udp-client",
    "Send messages to a udp-server over UDP (SOCK_DGRAM), one datagram each, and print the\n"
    "replies. HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET | SF_OPT_RETRIES | SF_OPT_CONNECT | SF_OPT_RECV_SIZE,
};

/*
 * Refuse, before sending, a message no datagram (or its echo reply) can
 * carry: the limit depends on the family the address resolved to.
 */
static void check_sizes(const struct sf_client *c, int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    size_t max = sf_dgram_max_payload(ss.ss_family);
    size_t limit = c->o.mode == SF_MODE_ECHO ? max - SF_ECHO_PREFIX_LEN : max;
    for (size_t i = 0; i < c->msgs.n; i++)
        if (c->msgs.v[i].len > limit)
            sf_cli_usage_error("a message of %zu bytes is over the UDP limit of %zu bytes for "
                               "%s%s",
                               c->msgs.v[i].len, limit, ss.ss_family == AF_INET6 ? "IPv6" : "IPv4",
                               limit < max ? " in echo mode (the reply adds 7)" : "");
}

int main(int argc, char **argv)
{
    static struct sf_client c = {.records = 1, .connectionless = 1};
    const struct sf_message *m;
    struct sf_err err;
    int fd, rc = 0;

    sf_cli_init("udp-client");
    sf_client_setup(&c, argc, argv, &spec, "udp", "localhost", 1);
    /* One socket for every message: a datagram needs no connection, even in welcome mode. */
    while (sf_client_next_connection(&c)) {
        /* --connect: a connected socket learns of ICMP errors; an unconnected one never does. */
        if (c.o.use_connect)
            fd = sf_connect(&err, &c.addr, c.o.family, SOCK_DGRAM, 0, (int)c.o.timeout_ms);
        else /* socket(), and the destination in c.x.dest for each sendto() */
            fd = sf_dgram_socket(&err, &c.addr, c.o.family, &c.x.dest, &c.x.destlen);
        if (fd < 0)
            return sf_client_report(&err, &c, -1);
        check_sizes(&c, fd);
        sf_client_opened(&c, fd); /* note the peer; wait --delay */
        if (c.o.burst) {          /* every datagram first, then the replies, each wait --timeout */
            sf_xchg_burst_begin(&c.x);
            while (rc == 0 && (m = sf_client_next_message(&c)) != NULL)
                rc = sf_xchg_burst_send_record(&err, &c.x, fd, m->data, m->len);
            while (rc == 0 && sf_xchg_burst_waiting(&c.x)) {
                rc = sf_xchg_burst_recv_record(&err, &c.x, fd); /* one reply, or the rest lost */
                if (rc == 0)
                    rc = sf_client_count_burst(&err, &c);
            }
        }
        while (rc == 0 && (m = sf_client_next_message(&c)) != NULL) { /* none left after a burst */
            rc = sf_xchg_send_record(&err, &c.x, fd, m->data, m->len);
            if (rc == 0) /* within --timeout, resending up to --retries times */
                rc = sf_xchg_recv_record(&err, &c.x, fd);
            if (rc == 0)
                rc = sf_client_count(&err, &c); /* answered, lost or truncated */
        }
        close(fd);
        if (rc < 0)
            return sf_client_report(&err, &c, rc);
    }
    return sf_client_report(&err, &c, 0);
}
