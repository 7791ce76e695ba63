/*
 * tcp-client: the client half of the tutorial's two demos over TCP.
 *
 * The textbook sequence, all in main(): socket and connect (sf_connect
 * tries every address getaddrinfo gives, with a deadline), send each
 * message and receive its reply, close.  What the textbook leaves out is
 * in the helpers main calls: send-all for partial writes, a deadline on
 * every wait, and reading until the reply is complete, because TCP keeps no
 * message boundaries: one recv() may return part of a reply, or two
 * (common/sock/xchg.h).  The plan of the run (welcome's one connection per
 * message, --warmup, --count), the counting and the report are in
 * common/prog/client.h.  --burst sends every message of the connection
 * first, each in send() calls of its own, then reads the replies: the
 * server's last line then shows how many reads TCP made of the sends.
 *
 *   tcp-client                          echo 'Hello network World' to localhost:50007
 *   tcp-client ::1 one two              two messages over IPv6
 *   tcp-client --mode welcome --delay 2 the tutorial's welcome client
 *   tcp-client --mptcp                  the same over Multipath TCP
 *   tcp-client --burst -c 10 -s 64      ten sends back to back, then the replies
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"

static const struct sf_cli_spec spec = {
    "tcp-client",
    "Send messages to a tcp-server over TCP (SOCK_STREAM) and print the replies.\n"
    "HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).\n"
    "--burst: TCP keeps no boundaries, so the reply to a burst is read as one, and\n"
    "an echo server prefixes each read it made, wherever its reads fell.",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET | SF_OPT_MPTCP,
};

/* Each message is one send: no reason for Nagle to hold it back (RFC 896). */
static void no_delay(int fd)
{
    int one = 1;

    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int main(int argc, char **argv)
{
    static struct sf_client c;
    const struct sf_message *m;
    struct sf_err err;
    int fd, rc = 0;

    sf_cli_init("tcp-client");
    /* A stream has no empty message: sending nothing sends nothing. */
    sf_client_setup(&c, argc, argv, &spec, "tcp", "localhost", 0);
    if (c.o.protocol == IPPROTO_MPTCP)
        c.run.family = "mptcp"; /* as the summary and --json name it */
    /* One connection for the run; in welcome mode one per message (the server closes). */
    while (sf_client_next_connection(&c)) {
        /* --mptcp: c.o.protocol is IPPROTO_MPTCP, else 0 (TCP). */
        fd = sf_connect(&err, &c.addr, c.o.family, SOCK_STREAM, c.o.protocol, (int)c.o.timeout_ms);
        if (fd < 0)
            return sf_client_report(&err, &c, -1);
        no_delay(fd);
        sf_client_opened(&c, fd); /* note the peer; wait --delay */
        if (c.o.burst) { /* every send first, then the replies: how many reads did they take? */
            sf_xchg_burst_begin(&c.x);
            while (rc == 0 && (m = sf_client_next_message(&c)) != NULL)
                rc = sf_xchg_burst_send_stream(&err, &c.x, fd, m->data, m->len);
            while (rc == 0 && sf_xchg_burst_waiting(&c.x)) {
                rc = sf_xchg_burst_recv_stream(&err, &c.x, fd); /* the whole burst's reply */
                if (rc == 0)
                    rc = sf_client_count_burst(&err, &c);
            }
        }
        while (rc == 0 && (m = sf_client_next_message(&c)) != NULL) { /* none left after a burst */
            rc = sf_xchg_send_stream(&err, &c.x, fd, m->data, m->len);
            if (rc == 0)
                rc = sf_xchg_recv_stream(&err, &c.x, fd); /* until the reply is complete */
            if (rc == 0)
                rc = sf_client_count(&err, &c); /* and print "Client received: ..." */
        }
        /* discard: half-close, then the server's close proves it read everything. */
        if (rc == 0 && c.o.mode == SF_MODE_DISCARD)
            rc = sf_xchg_finish(&err, fd, c.o.timeout_ms);
        close(fd);
        if (rc < 0)
            return sf_client_report(&err, &c, rc);
    }
    return sf_client_report(&err, &c, 0);
}
