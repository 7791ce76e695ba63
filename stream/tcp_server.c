/*
 * tcp-server: the server half of the tutorial's two demos over TCP.
 *
 * The textbook sequence is all here, in order: socket, bind, listen (in
 * sf_listen, for every address getaddrinfo gives), then accept, recv, send
 * and close for each client (in common/sock, the way --model says: on an
 * epoll loop by default, sserv.c, so an idle client never delays another;
 * or a thread or a process per client, or the tutorial's one at a time:
 * models.h has the four side by side).
 *
 *   tcp-server                      echo on 127.0.0.1:50007
 *   tcp-server --mode welcome       the welcome demo on 127.0.0.1:8001
 *   tcp-server -6 -p 0              echo on [::1], any free port
 *   tcp-server --model fork         a process per client, UNP's classic
 *   tcp-server 127.0.0.1 8001       as nc -l 127.0.0.1 8001: --bind 127.0.0.1 -p 8001
 */
#include <stdio.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "fdlimit.h"
#include "models.h"
#include "srvout.h"
#include "sserv.h"

static const struct sf_cli_spec spec = {
    "tcp-server",
    "Serve the tutorial's demos over TCP (SOCK_STREAM), IPv4 or IPv6, many clients at once.\n"
    "Prints 'listening on ADDR:PORT' on stderr when ready. ADDRESS and PORT, as nc -l takes\n"
    "them, are --bind ADDRESS and -p PORT (a lone number is the PORT: tcp-server 8001);\n"
    "given both ways, they must agree.",
    "[OPTIONS] [ADDRESS [PORT]]",
    SF_OPT_INET | SF_OPT_CONN | SF_OPT_MPTCP,
};

int main(int argc, char **argv)
{
    struct sf_server_opts o;
    struct sf_addr addr;
    struct sf_err err;
    struct sf_sserv_counters n;
    char local[SF_ADDR_TEXT_MAX];

    sf_cli_init("tcp-server");
    sf_cli_server_parse(argc, argv, &spec, &o);
    sf_cli_server_addr(&o, NULL, &addr);
    int stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */
    sf_fdlimit_raise(o.max_conns);  /* a descriptor a client: the soft limit up to the hard */

    int fd = sf_listen(&err, &addr, o.family, SOCK_STREAM, o.protocol, o.backlog);
    if (fd < 0 || sf_local_address(&err, fd, local, sizeof(local)) < 0)
        sf_cli_fail(&err);
    fprintf(stderr, "listening on %s\n", local);

    struct sf_sserv_config cfg = {
        .mode = o.mode,
        .timeout_ms = o.timeout_ms,
        .send_timeout_ms = o.send_timeout_ms,
        .idle_timeout_ms = o.idle_timeout_ms,
        .max_conns = o.max_conns,
        .max_per_peer = o.max_per_peer,
        .recv_size = o.recv_size,
        .once = o.once,
        .on_connect = sf_srv_on_connect,
        .on_event = sf_srv_on_event,
        .ctx = &o,
    };
    int rc = sf_model_run(&err, o.model, fd, &cfg, stop_fd, &n); /* epoll, thread, fork, ... */
    close(fd);
    sf_srv_print_conn_counters("tcp-server", &n);
    if (rc < 0)
        sf_cli_fail(&err);
    return 0;
}
