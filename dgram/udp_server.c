/*
 * udp-server: the server half of the tutorial's demos over UDP.
 *
 * The textbook sequence for datagrams is shorter: socket and bind (in
 * sf_listen), then recvfrom and sendto for each datagram, with no listen,
 * no accept and no connection.  Each datagram is answered on its own, to
 * the address it came from (common/dserv.c); the server keeps no per-client
 * state, so there is nothing for a slow client to hold.
 *
 *   udp-server                      echo on 127.0.0.1:50007
 *   udp-server --recv-size 1024     datagrams over 1024 bytes arrive truncated
 *   udp-server ::1 0                as nc -l: --bind ::1 -p 0, any free port
 */
#include <stdio.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "dserv.h"
#include "srvout.h"

static const struct sf_cli_spec spec = {
    "udp-server",
    "Serve the tutorial's demos over UDP (SOCK_DGRAM), IPv4 or IPv6: one reply per datagram,\n"
    "to its sender. Prints 'listening on ADDR:PORT' on stderr when ready. ADDRESS and PORT,\n"
    "as nc -l takes them, are --bind ADDRESS and -p PORT (a lone number is the PORT:\n"
    "udp-server 8001); given both ways, they must agree.",
    "[OPTIONS] [ADDRESS [PORT]]",
    SF_OPT_INET | SF_OPT_RATE,
};

int main(int argc, char **argv)
{
    struct sf_server_opts o;
    struct sf_addr addr;
    struct sf_err err;
    struct sf_dserv_counters n;
    char local[SF_ADDR_TEXT_MAX];

    sf_cli_init("udp-server");
    sf_cli_server_parse(argc, argv, &spec, &o);
    sf_cli_server_addr(&o, NULL, &addr);
    int stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */

    int fd = sf_listen(&err, &addr, o.family, SOCK_DGRAM, 0, 0);
    if (fd < 0 || sf_local_address(&err, fd, local, sizeof(local)) < 0)
        sf_cli_fail(&err);
    fprintf(stderr, "listening on %s\n", local);

    struct sf_dserv_config cfg = {
        .mode = o.mode,
        .recv_size = o.recv_size,
        .on_datagram = sf_srv_on_datagram, /* UDP has no connection: a line per datagram */
        .on_send_error = sf_srv_on_send_error,
        .on_refused = sf_srv_on_refused, /* loops: from itself, a service port, over the rate */
        .reply_rate = o.rate_limit,
        .ctx = &o,
    };
    int rc = sf_dserv_run(&err, fd, &cfg, stop_fd, &n);
    close(fd);
    sf_srv_print_dgram_counters("udp-server", &n);
    if (rc < 0)
        sf_cli_fail(&err);
    return 0;
}
