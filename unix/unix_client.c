/*
 * unix-client: the tutorial's demos over AF_UNIX.
 *
 * The textbook sequence, all in main(): socket and connect (or, for dgram,
 * socket and an address of our own), send each message and receive its
 * reply, close.  stream reads until the reply is complete, as over TCP;
 * seqpacket and dgram get each reply as one record, and report one cut
 * short by the buffer (MSG_TRUNC) as over UDP: main picks the pair of
 * helpers for its type from common/sock/xchg.h (and with --burst, which
 * sends every message before reading any reply, the burst's pair).  A
 * dgram client binds its own address (an abstract name the kernel picks)
 * so the server has somewhere to reply: an unbound AF_UNIX datagram socket
 * cannot be answered.
 *
 *   unix-client                              echo over the default stream path
 *   unix-client --type seqpacket one two     two records
 *   unix-client --type dgram @demo
 *   unix-client --type seqpacket --burst -c 10 -s 64   ten records, then the replies
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "local.h"

static const struct sf_cli_spec spec = {
    "unix-client",
    "Send messages to a unix-server over AF_UNIX (--type stream, seqpacket or dgram) and print\n"
    "the replies. ADDR is unix:/path, /path or @name (default: the server's default path).",
    "[OPTIONS] [ADDR [MESSAGE...]]",
    SF_OPT_UNIX | SF_OPT_RECV_SIZE | SF_OPT_RETRIES | SF_OPT_CONNECT_UNIX,
};

/* The command line; the default path depends on --type and --mode. */
static void setup(struct sf_client *c, int argc, char **argv)
{
    static char def[SF_ADDR_TEXT_MAX];
    struct sf_err err;
    int type;

    sf_cli_client_parse(argc, argv, &spec, &c->o);
    type = c->o.socktype;
    if (c->o.use_connect && type != SOCK_DGRAM)
        sf_cli_usage_error("--connect is for --type dgram (stream and seqpacket always connect)");
    if (!c->o.target && sf_local_default(&err, 0, def, sizeof(def), type, c->o.mode) < 0)
        sf_cli_fail(&err); /* the default directory is someone else's: refuse it */
    c->records = type != SOCK_STREAM;
    c->connectionless = type == SOCK_DGRAM;
    sf_client_prepare(c, &spec,
                      type == SOCK_DGRAM       ? "unix-dgram"
                      : type == SOCK_SEQPACKET ? "unix-seqpacket"
                                               : "unix-stream",
                      def, type == SOCK_DGRAM);
    if (c->addr.kind == SF_ADDR_INET)
        sf_cli_usage_error("'%s' is not a unix socket address (unix:/path, /path or @name)",
                           c->addr.text);
}

/*
 * A datagram socket with an address of its own, sending to c->x.dest.
 * --connect: the server becomes the socket's peer, so a full server queue
 * makes poll() wait (an unconnected sender is told "writable", then
 * EAGAIN, and can only spin) and replies from anyone else are refused.
 */
static int open_dgram(struct sf_err *err, struct sf_client *c)
{
    int fd = sf_dgram_socket(err, &c->addr, SF_FAMILY_ANY, &c->x.dest, &c->x.destlen);

    if (fd < 0)
        return -1;
    if (sf_local_autobind(err, fd) < 0)
        goto fail;
    if (c->o.use_connect) {
        if (connect(fd, (struct sockaddr *)&c->x.dest, c->x.destlen) < 0) {
            sf_err_sys(err, errno, "connect", c->addr.text);
            goto fail;
        }
        c->x.destlen = 0; /* send(), not sendto() */
    }
    return fd;
fail:
    close(fd);
    return -1;
}

int main(int argc, char **argv)
{
    static struct sf_client c;
    const struct sf_xchg_ops *io;
    const struct sf_message *m;
    struct sf_err err;
    int fd, rc = 0;

    sf_cli_init("unix-client");
    setup(&c, argc, argv);
    /* stream: read until the reply is complete; seqpacket, dgram: one record is the reply. */
    io = c.o.socktype == SOCK_STREAM ? &sf_xchg_stream_ops : &sf_xchg_record_ops;
    /* One socket for the run; welcome over stream or seqpacket: a connection per message. */
    while (sf_client_next_connection(&c)) {
        if (c.o.socktype == SOCK_DGRAM)
            fd = open_dgram(&err, &c);
        else
            fd = sf_connect(&err, &c.addr, SF_FAMILY_ANY, c.o.socktype, 0, (int)c.o.timeout_ms);
        /* On the default path, the server must be ours or root's (SO_PEERCRED): not an impostor. */
        if (fd >= 0 && !c.o.target && sf_local_check_server(&err, fd, c.o.socktype, &c.addr) < 0) {
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            sf_local_explain(&err, &c.addr, c.o.socktype, !c.o.target); /* what to do about it */
            return sf_client_report(&err, &c, -1);
        }
        sf_client_opened(&c, fd); /* note the peer; wait --delay */
        if (c.o.burst) { /* every send first, then the replies: how many reads did they take? */
            sf_xchg_burst_begin(&c.x);
            while (rc == 0 && (m = sf_client_next_message(&c)) != NULL)
                rc = io->burst_send(&err, &c.x, fd, m->data, m->len);
            while (rc == 0 && sf_xchg_burst_waiting(&c.x)) {
                rc = io->burst_recv(&err, &c.x, fd); /* stream: all at once; records: one each */
                if (rc == 0)
                    rc = sf_client_count_burst(&err, &c);
            }
        }
        while (rc == 0 && (m = sf_client_next_message(&c)) != NULL) { /* none left after a burst */
            rc = io->send(&err, &c.x, fd, m->data, m->len);
            if (rc == 0)
                rc = io->recv(&err, &c.x, fd);
            if (rc == 0)
                rc = sf_client_count(&err, &c); /* and print "Client received: ..." */
        }
        /* discard on a stream: half-close, then the server's close proves it read everything. */
        if (rc == 0 && c.o.mode == SF_MODE_DISCARD && c.o.socktype == SOCK_STREAM)
            rc = sf_xchg_finish(&err, fd, c.o.timeout_ms);
        close(fd);
        if (rc < 0) {
            sf_local_explain(&err, &c.addr, c.o.socktype, !c.o.target); /* a dgram's send */
            return sf_client_report(&err, &c, rc);
        }
    }
    return sf_client_report(&err, &c, 0);
}
