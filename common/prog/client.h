/*
 * client: what every client program's main() needs around the calls it
 * shows, whatever the family: its command line, the plan of the run (which
 * connections to open, which messages to send on each), counting and
 * printing each exchange, and the report at the end with the exit code.
 *
 * A main reads like the textbook because of this split: it opens the
 * socket, sends each message and receives its reply (common/sock/xchg.h),
 * closes, and returns sf_client_report(); the helpers here decide what
 * comes next and say what happened.  The plan keeps the demos' rules:
 * welcome over a connection is one message per connection (the server
 * closes after its answer); every other run is one socket for all the
 * messages, --warmup exchanges first (forgotten), then each message
 * --count times.  With MESSAGE '-' the messages come one at a time
 * (feed.h), each --count times in a row, standard input's lines in place
 * of '-', and welcome over a connection opens one per message, as many as
 * there are.  Part of sockfam_prog: it prints, and never exits once
 * the command line is read.
 */
#ifndef SF_CLIENT_H
#define SF_CLIENT_H

#include <stdint.h>

#include "addr.h"
#include "cli.h"
#include "feed.h"
#include "summary.h"
#include "xchg.h"

struct sf_client {
    struct sf_client_opts o;
    struct sf_addr addr;
    struct sf_messages msgs;
    struct sf_run run;
    struct sf_xchg x;   /* the current exchange; x.dest for an unconnected socket */
    int records;        /* the socket keeps message boundaries */
    int connectionless; /* datagrams: no connection to open per conversation */
    char peer[SF_ADDR_TEXT_MAX];
    /* The plan, kept by sf_client_next_connection() and sf_client_next_message(). */
    uint64_t conns_left; /* connections still to open */
    uint64_t msgs_left;  /* counted messages still to send on this connection */
    uint64_t msg_index;  /* the next of msgs.v to send */
    uint64_t warm_left;  /* --warmup exchanges still to make */
    int warming;         /* the figures so far are warm-up, to forget */
    int fd;              /* the socket sf_client_opened was given, until its messages are done */
    uint64_t serial;     /* the number the next --size message carries (sf_payload_stamp) */
    int64_t start_ns;
    struct sf_feed feed; /* MESSAGE '-': the messages one at a time (feed.on) */
};

/*
 * Fill c from the command line: options, the server address (default_target
 * when none is given), the messages, the exchange state, the plan; start the
 * run's clock.  allow_empty: whether an empty message can be sent (records
 * yes, streams no).  c->records and c->connectionless must be set before.
 * Exits 64 on bad input (0 for --help), as every program does.
 */
void sf_client_setup(struct sf_client *c, int argc, char **argv, const struct sf_cli_spec *spec,
                     const char *family, const char *default_target, int allow_empty);

/*
 * The second half of sf_client_setup(), for a program whose default address
 * depends on its options: c->o already parsed (sf_cli_client_parse).
 */
void sf_client_prepare(struct sf_client *c, const struct sf_cli_spec *spec, const char *family,
                       const char *default_target, int allow_empty);

/*
 * Is there a connection (a socket) to open?  1 yes, and its messages are
 * planned; 0 done.  With MESSAGE '-' in welcome mode over a connection,
 * the next message is taken first (a line read): none, no connection.
 */
int sf_client_next_connection(struct sf_client *c);

/*
 * On the socket just opened: note its peer's numeric address for reports
 * (getpeername, else x.dest), then wait --delay, as the tutorial's client
 * does before sending.
 */
void sf_client_opened(struct sf_client *c, int fd);

/*
 * The next message to send on this connection (warm-up ones first), or
 * NULL when done.  With MESSAGE '-', perhaps a line of standard input read
 * now, valid until the next call; a line too long, or a failed read, ends
 * the messages, and sf_client_report() says why.
 */
const struct sf_message *sf_client_next_message(struct sf_client *c);

/*
 * Count the exchange just completed in c->x (sent; answered, lost or cut
 * short; bytes, retries, its round trip) and print its line unless -q or
 * --json: "Client received: ...", the welcome answer, or a warning saying
 * why a reply is missing or cut.  Returns 0, or -1 (out of memory).
 */
int sf_client_count(struct sf_err *err, struct sf_client *c);

/*
 * --burst: count what the last recv half of a burst accounted for in
 * c->x (x->burst.unit messages): a stream's whole burst, sent and
 * answered at once; one record's reply; or the records whose replies
 * never came (lost); and print its line as sf_client_count() does.  No
 * round trip is counted: each reply waited behind the whole burst, so the
 * summary's round trips stay empty.  Returns 0.
 */
int sf_client_count_burst(struct sf_err *err, struct sf_client *c);

/*
 * End the run: rc is 0, or -1 with err saying what ended it.  Lost replies,
 * or standard input that ended the messages, make a run that ended well
 * an error too (err is filled; a line too long returns 65, EX_DATAERR).
 * Prints the summary line (several exchanges) or the JSON object, then the error as
 * "PROGRAM: what failed: why", frees c, and returns the exit code for main
 * to return: 0 when every message was answered, else sf_err_exit_code().
 */
int sf_client_report(struct sf_err *err, struct sf_client *c, int rc);

#endif
