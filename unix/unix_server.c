/*
 * unix-server: the tutorial's demos over AF_UNIX, on this machine only.
 *
 * Three socket types, one file: stream (like TCP: a byte stream with
 * connections), seqpacket (connections too, but each send is one record,
 * boundaries kept) and dgram (like UDP, but reliable and in order).  The
 * address is a path in the filesystem or an @abstract name; nothing goes
 * on any network interface.  The kernel tells a connected server who the
 * peer is (SO_PEERCRED): its pid, uid and gid.
 *
 *   unix-server                          echo, stream, on the default path
 *   unix-server --type seqpacket         records on a connection
 *   unix-server --model thread           a thread per client (models.h: the four ways)
 *   unix-server --type dgram --bind @demo
 *   unix-server /tmp/x.sock              as nc -lU /tmp/x.sock: --bind /tmp/x.sock
 */
#include <stdio.h>
#include <unistd.h>

#include "addr.h"
#include "cli.h"
#include "fdlimit.h"
#include "dserv.h"
#include "local.h"
#include "models.h"
#include "srvout.h"
#include "sserv.h"

static const struct sf_cli_spec spec = {
    "unix-server",
    "Serve the tutorial's demos over AF_UNIX: --type stream, seqpacket or dgram, on a path\n"
    "(default under $XDG_RUNTIME_DIR, else /tmp) or an @abstract name. Prints\n"
    "'listening on ADDR' on stderr when ready; removes its socket file when it stops.\n"
    "PATH, as nc -lU takes it, is --bind PATH (unix:PATH for a relative one); given both\n"
    "ways, they must agree.",
    "[OPTIONS] [PATH]",
    SF_OPT_UNIX | SF_OPT_CONN,
};

static int serve(struct sf_err *err, int fd, struct sf_server_opts *o, int stop_fd)
{
    struct sf_sserv_counters n;
    struct sf_dserv_counters d;
    int rc;

    if (o->socktype == SOCK_DGRAM) {
        struct sf_dserv_config cfg = {
            o->mode, o->recv_size, sf_srv_on_datagram, sf_srv_on_send_error, o, 0, NULL};
        rc = sf_dserv_run(err, fd, &cfg, stop_fd, &d);
        sf_srv_print_dgram_counters("unix-server", &d);
        return rc;
    }
    struct sf_sserv_config cfg = {
        .mode = o->mode,
        .timeout_ms = o->timeout_ms,
        .send_timeout_ms = o->send_timeout_ms,
        .idle_timeout_ms = o->idle_timeout_ms,
        .max_conns = o->max_conns,
        .max_per_peer = o->max_per_peer,
        .recv_size = o->recv_size,
        .once = o->once,
        .records = o->socktype == SOCK_SEQPACKET,
        .on_connect = sf_srv_on_connect, /* with the peer's SO_PEERCRED credentials */
        .on_event = sf_srv_on_event,
        .on_truncated = sf_srv_on_truncated,
        .ctx = o,
    };
    rc = sf_model_run(err, o->model, fd, &cfg, stop_fd, &n); /* epoll, thread, fork, ... */
    sf_srv_print_conn_counters("unix-server", &n);
    return rc;
}

int main(int argc, char **argv)
{
    struct sf_server_opts o;
    struct sf_addr addr;
    struct sf_err err;
    struct sf_local_owned owned;
    char def[SF_ADDR_TEXT_MAX];

    sf_cli_init("unix-server");
    sf_cli_server_parse(argc, argv, &spec, &o);
    /* The default path lives in a directory of our own, 0700: nobody else can take its names. */
    if (!o.bind && sf_local_default(&err, 1, def, sizeof(def), o.socktype, o.mode) < 0)
        sf_cli_fail(&err);
    sf_cli_server_addr(&o, def, &addr);
    if (addr.kind == SF_ADDR_INET) /* no file is made named after a host: say what is meant */
        sf_cli_usage_error("'%s' is not a unix socket address (unix:/path, /path or @name; "
                           "unix:%s for a relative path)",
                           o.bind, o.bind);
    if (addr.kind == SF_ADDR_ABSTRACT && o.perms_set)
        sf_cli_usage_error("--perms: an @abstract name has no file, so no permissions: anyone "
                           "in this network namespace can connect (use a path to restrict it)");
    int stop_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM */
    sf_fdlimit_raise(o.max_conns);  /* a descriptor a client: the soft limit up to the hard */

    int fd = sf_local_listen(&err, &addr, o.socktype, o.backlog, o.perms, &owned);
    if (fd < 0)
        sf_cli_fail(&err);
    fprintf(stderr, "listening on %s\n", addr.text);
    int rc = serve(&err, fd, &o, stop_fd);
    close(fd);
    sf_local_release(&owned);
    if (rc < 0)
        sf_cli_fail(&err);
    return 0;
}
