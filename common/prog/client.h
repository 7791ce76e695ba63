/*
 * client: the message loop every client program shares, whatever the
 * family: open, (wait --delay), send each message --count times, collect
 * and check each reply, count, print "Client received: ...", and finish
 * with a summary or one JSON object and the right exit code.
 *
 * A program supplies how to open its socket (open_fd) and says whether its
 * socket keeps message boundaries (records: UDP, AF_UNIX dgram and
 * seqpacket) or is a byte stream (TCP, AF_UNIX stream), and whether it is
 * connectionless (no new connection per welcome conversation).  Part of
 * sockfam_cli: it prints and exits.
 */
#ifndef SF_CLIENT_H
#define SF_CLIENT_H

#include "addr.h"
#include "cli.h"
#include "summary.h"
#include "xchg.h"

struct sf_client {
    struct sf_client_opts o;
    struct sf_addr addr;
    struct sf_messages msgs;
    struct sf_run run;
    struct sf_buf reply;
    int records;                  /* the socket keeps message boundaries */
    int connectionless;           /* datagrams: no connection to open per conversation */
    struct sockaddr_storage dest; /* where datagrams go, for an unconnected socket */
    socklen_t destlen;            /* 0: the socket is connected */
    char peer[SF_ADDR_TEXT_MAX];
    /* Open the socket (connect it, or set dest); the fd or -1 with err set. */
    int (*open_fd)(struct sf_err *err, struct sf_client *c);
};

/*
 * Fill c from the command line: options, the server address (default_target
 * when none is given), the messages.  allow_empty: whether an empty message
 * can be sent (records yes, streams no).
 */
void sf_client_setup(struct sf_client *c, int argc, char **argv, const struct sf_cli_spec *spec,
                     const char *family, const char *default_target, int allow_empty);

/*
 * The second half of sf_client_setup(), for a program whose default address
 * depends on its options: c->o already parsed (sf_cli_client_parse).
 */
void sf_client_prepare(struct sf_client *c, const struct sf_cli_spec *spec, const char *family,
                       const char *default_target, int allow_empty);

/* Note the numeric peer address of fd (getpeername) for reports. */
void sf_client_note_peer(struct sf_client *c, int fd);

/* Run every exchange, then report and exit: 0 if all answered, else the error's code. */
_Noreturn void sf_client_run(struct sf_client *c);

#endif
