/*
 * unix-client: the tutorial's demos over AF_UNIX.
 *
 * stream reads until the reply is complete, as over TCP; seqpacket and
 * dgram get each reply as one record, and report one cut short by the
 * buffer (MSG_TRUNC) as over UDP.  A dgram client binds its own address
 * (an abstract name the kernel picks) so the server has somewhere to reply:
 * an unbound AF_UNIX datagram socket cannot be answered.
 *
 *   unix-client                              echo over the default stream path
 *   unix-client --type seqpacket one two     two records
 *   unix-client --type dgram @demo
 */
#include <errno.h>
#include <sys/socket.h>

#include "client.h"
#include "local.h"

static const struct sf_cli_spec spec = {
    "unix-client",
    "Send messages to a unix-server over AF_UNIX (--type stream, seqpacket or dgram) and print\n"
    "the replies. ADDR is unix:/path, /path or @name (default: the server's default path).",
    "[OPTIONS] [ADDR [MESSAGE...]]",
    SF_OPT_UNIX | SF_OPT_RECV_SIZE | SF_OPT_RETRIES | SF_OPT_CONNECT_UNIX,
};

/*
 * --connect: the server becomes the socket's peer, so a full server queue
 * makes poll() wait (an unconnected sender is told "writable", then EAGAIN,
 * and can only spin) and replies from anyone else are refused.
 */
static int connect_dgram(struct sf_err *err, struct sf_client *c, int fd)
{
    if (connect(fd, (struct sockaddr *)&c->dest, c->destlen) < 0)
        return sf_err_sys(err, errno, "connect", c->addr.text);
    c->destlen = 0; /* send(), not sendto() */
    return 0;
}

static int open_unix(struct sf_err *err, struct sf_client *c)
{
    int fd;

    if (c->o.socktype != SOCK_DGRAM) {
        fd = sf_connect(err, &c->addr, SF_FAMILY_ANY, c->o.socktype, 0, (int)c->o.timeout_ms);
    } else {
        fd = sf_dgram_socket(err, &c->addr, SF_FAMILY_ANY, &c->dest, &c->destlen);
        if (fd >= 0 && (sf_local_autobind(err, fd) < 0 ||
                        (c->o.use_connect && connect_dgram(err, c, fd) < 0))) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0)
        sf_client_note_peer(c, fd);
    return fd;
}

int main(int argc, char **argv)
{
    static struct sf_client c = {.open_fd = open_unix};
    static char def[SF_ADDR_TEXT_MAX];
    static const char *families[] = {"unix-stream", "unix-dgram", "unix-seqpacket"};
    int type;

    sf_cli_init("unix-client");
    sf_cli_client_parse(argc, argv, &spec, &c.o);
    /* The default path depends on --type and --mode. */
    type = c.o.socktype;
    if (c.o.use_connect && type != SOCK_DGRAM)
        sf_cli_usage_error("--connect is for --type dgram (stream and seqpacket always connect)");
    sf_local_default(def, sizeof(def), type, c.o.mode);
    c.records = type != SOCK_STREAM;
    c.connectionless = type == SOCK_DGRAM;
    sf_client_prepare(&c, &spec,
                      families[type == SOCK_DGRAM       ? 1
                               : type == SOCK_SEQPACKET ? 2
                                                        : 0],
                      def, type == SOCK_DGRAM);
    if (c.addr.kind == SF_ADDR_INET)
        sf_cli_usage_error("'%s' is not a unix socket address (unix:/path, /path or @name)",
                           c.addr.text);
    sf_client_run(&c);
}
