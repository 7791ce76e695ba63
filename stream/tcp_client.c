/*
 * tcp-client: the client half of the tutorial's two demos over TCP.
 *
 * The textbook sequence: socket and connect (sf_connect tries every address
 * getaddrinfo gives, with a deadline), send, recv, close.  What the textbook
 * leaves out is in common/: send-all for partial writes, a deadline on every
 * wait, and reading until the reply is complete, because TCP keeps no
 * message boundaries: one recv() may return part of a reply, or two.
 *
 *   tcp-client                          echo 'Hello network World' to localhost:50007
 *   tcp-client ::1 one two              two messages over IPv6
 *   tcp-client --mode welcome --delay 2 the tutorial's welcome client
 */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "client.h"

static const struct sf_cli_spec spec = {
    "tcp-client",
    "Send messages to a tcp-server over TCP (SOCK_STREAM) and print the replies.\n"
    "HOST is a name, an address, HOST:PORT or [IPV6]:PORT (default: localhost).",
    "[OPTIONS] [HOST [MESSAGE...]]",
    SF_OPT_INET | SF_OPT_MPTCP,
};

static int open_tcp(struct sf_err *err, struct sf_client *c)
{
    int fd =
        sf_connect(err, &c->addr, c->o.family, SOCK_STREAM, c->o.protocol, (int)c->o.timeout_ms);
    int one = 1;

    if (fd < 0)
        return -1;
    /* Each message is one send: no reason for Nagle to hold it back (RFC 896). */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sf_client_note_peer(c, fd);
    return fd;
}

int main(int argc, char **argv)
{
    static struct sf_client c = {.open_fd = open_tcp};

    sf_cli_init("tcp-client");
    /* A stream has no empty message: sending nothing sends nothing. */
    sf_client_setup(&c, argc, argv, &spec, "tcp", "localhost", 0);
    sf_client_run(&c);
}
