/*
 * family: the one table that describes each family the runner knows.
 *
 * A row says what the family is (the cells of compare's table: socket
 * type, setup, message boundaries, delivery), how to run it (its programs,
 * the command line they speak, the arguments that select the family, how
 * its server says it is ready and where it listens), which captured
 * packets are its own, and how the bench measures it (its floor and its
 * sections).  compare/ and bench/ know no family by name: what they need
 * is a field of a row, or one of the functions below that read a row.
 * Adding a family is adding a row (docs/adding-a-family.md says how, and
 * what each field promises).
 */
#ifndef SF_FAMILY_H
#define SF_FAMILY_H

#include <stddef.h>
#include <sys/socket.h>

#include "decode.h"
#include "err.h"
#include "floor.h"
#include "ready.h"
#include "sections.h"
#include "stats.h"

/* Rows at most: the size of the runners' per-family arrays (family.c checks it). */
#define FAM_MAX 12

/* The command line a family's programs speak, and how its server is reached. */
enum fam_line {
    /* The pair vocabulary (common/prog/cli.h: --mode, -q, -c, -s, -w, --json).  The
     * server listens on -4 -p 0 and says "listening on 127.0.0.1:PORT"; the client
     * goes to -p PORT 127.0.0.1. */
    LINE_INET,
    /* The pair vocabulary.  The server listens on --bind PATH (a socket file or
     * @abstract name the runner chooses) and says "listening on PATH"; the client
     * goes to PATH. */
    LINE_LOCAL,
    /* iputils ping's letters (-c -s -i -W -q, --json).  The client pings
     * 127.0.0.1; the server, a user-space responder, takes -4 and says
     * "listening on icmp". */
    LINE_PING,
};

/* Which captured packets are a family's own. */
enum fam_owns {
    OWNS_NOTHING,  /* none: AF_UNIX never reaches a network interface */
    OWNS_TCP_PORT, /* TCP to or from its server's port (from the readiness line) */
    OWNS_UDP_PORT, /* UDP to or from its server's port */
    OWNS_ICMP,     /* ICMP and ICMPv6 echo requests and replies */
};

/* A socket the client may choose at run time, as its summary names it, and its column. */
struct fam_socket {
    const char *word;   /* the summary's "socket" value: "raw" */
    const char *socket; /* the socket column then: "AF_INET SOCK_RAW IPPROTO_ICMP" */
};

struct family {
    /* What the table teaches: the row of `sockfam compare`. */
    const char *name;   /* "tcp": the row's name and its word in --families (unique) */
    const char *group;  /* "unix": a --families word that takes every row of the group; or NULL */
    const char *socket; /* "AF_INET SOCK_STREAM": domain, type, and the protocol if not 0 */
    const char *setup;  /* how a conversation starts: "3-way handshake", "none" */
    struct fam_socket sockets[2]; /* the client chooses its socket (icmp-ping: raw, or the
                                     ICMP datagram socket): the one it names in its summary
                                     is shown; `socket` until it says.  Or none */
    int boundaries;               /* 1 when the type promises message boundaries (compare
                                     measures what became of them: compare/bounds.c) */
    const char *delivery;         /* what it promises: "reliable, ordered", "best effort" */

    /* How to run it. */
    const char *server;          /* its server program, beside sockfam; NULL: none */
    const char *client;          /* its client program, beside sockfam */
    enum fam_line line;          /* the command line both speak, and how the server is reached */
    const char *flags[3];        /* what selects the family, given to both programs after the
                                    line's own arguments: {"--type", "dgram"}, {"--mptcp"} */
    const char *server_flags[3]; /* given to the server alone, after flags: what measuring
                                    needs where no source is forged ({"--rate-limit", "0"}) */
    const char *connect;         /* the client's flag for a connected datagram socket, or NULL */
    const char *kernel_off;      /* the kernel answers this family itself; its server is a stand-in
                                    that runs only where writing 1 to this sysctl silences the
                                    kernel (a private namespace).  NULL: the server always runs */
    const char *kernel_off6;     /* the same over IPv6 (compare --link lab -6) */
    int refused_exit;            /* the exit status with which its server says, before its
                                    readiness line, that this kernel refuses the family; the row
                                    is then skipped with the server's reason.  0: none */

    /* The wire. */
    enum fam_owns owns; /* which captured packets are its own */

    /* The bench. */
    enum floor_kind floor; /* the bare socket of its type that it is measured against */
    unsigned sections;     /* the bench sections it takes part in: SEC_BIT(SEC_LATENCY) | ... */
};

extern const struct family families[];
extern const int family_count;

/* A row's index from its name (n bytes), or -1. */
int family_find(const char *name, size_t n);

/* Every row's name, ", " between them: "tcp, udp, ..., mptcp".  Returns buf. */
const char *family_names(char *buf, size_t cap);

/* A filter on rows: NULL when f may be chosen, else why not ("is not measured by ..."). */
typedef const char *(*fam_filter)(const struct family *f);

/*
 * Parse a --families list, "tcp,udp,unix": row names, group names, "all".
 * Rows that filter refuses (filter NULL: none) are left out of a group and
 * "all", and named alone are an error.  on[i] is set for each row taken.
 * 0, or -1 with err set (SF_ERR_INVALID, the message starts "--families: ").
 */
int family_parse_list(struct sf_err *err, const char *list, int on[FAM_MAX], fam_filter filter);

/* What a runner asks of a family's two programs. */
struct fam_args {
    const char *mode;    /* both: --mode echo|mirror|discard (the pair vocabulary only) */
    unsigned long count; /* client: -c, messages or echo requests */
    unsigned long size;  /* client: -s, payload bytes */
    long warmup;         /* client: --warmup N (the pair vocabulary only); -1: not given */
    const char *wait;    /* client: the reply deadline in seconds (-w, or ping's -W); or NULL */
    int connect;         /* client: a connected datagram socket, where the row has a flag */
    int burst;           /* client: every message at once, then the replies (--burst, -l) */
    size_t recv_size;    /* server: bytes per read (the pair vocabulary); 0: 65536 */
    int backlog;         /* server: --backlog N; 0: its default */
    const char *path;    /* LINE_LOCAL: the socket file or @name the server listens on */
    int port;            /* LINE_INET: the server's port, from its readiness line */
    const char *host;    /* LINE_INET, LINE_PING: the server's address; NULL: 127.0.0.1 */
    int v6;              /* LINE_INET, LINE_PING: host is IPv6 */
    int spin;            /* both, the pair vocabulary only: --spin (busy-poll every wait) */
    const char *model;   /* server, stream rows: --model (NULL: its default, epoll) */
    int idle_timeout_s;  /* server: --idle-timeout SECONDS (0: its default) */
};

/* An argv built from a row and its arguments, with room for the numbers it holds. */
struct fam_argv {
    const char *v[40];
    char num[6][24];
};

/* The server's command line (f->server must be set); returns argv->v. */
const char *const *family_server_argv(const struct family *f, const struct fam_args *a,
                                      struct fam_argv *argv);

/* The client's command line; returns argv->v. */
const char *const *family_client_argv(const struct family *f, const struct fam_args *a,
                                      struct fam_argv *argv);

/*
 * What the server's readiness line tells the client: for LINE_INET its
 * port, into a->port.  0, or -1 with err set when the line has no port.
 */
int family_ready(struct sf_err *err, const struct family *f, const struct sf_ready *r,
                 struct fam_args *a);

/* Where the server is, as people write it: "127.0.0.1:PORT", the path, "127.0.0.1". */
const char *family_where(const struct family *f, const struct fam_args *a, char *buf, size_t cap);

/*
 * Where the server is as a socket address (LINE_INET: 127.0.0.1:port,
 * LINE_LOCAL: the path or abstract name).  0, or -1 with err set (a
 * LINE_PING row has no server address; a path too long for sun_path).
 */
int family_sockaddr(struct sf_err *err, const struct family *f, const struct fam_args *a,
                    struct sockaddr_storage *ss, socklen_t *len);

/* Is the captured packet p f's own?  port: its server's (0 when it never said). */
int family_owns(const struct family *f, const struct sf_pkt *p, int port);

/* Does f's conversation start with a TCP handshake that the capture can count? */
int family_handshake(const struct family *f);

/*
 * At most what f's run of count messages of size bytes puts on a link of
 * that mtu (lo: 65536), for sizing a capture: frames (a request and a reply
 * each, in as many segments or fragments as the MTU cuts them into, a bare
 * ACK for each segment when there are several, a quarter more for ACKs and
 * retransmissions, and a connection's opening and close), twice that where
 * the link copies packets (copies), and their captured bytes (each frame's
 * headers at most 100, its payload at most the MTU or size + 7, "echo=> ").
 * Both 0 for a row that owns no packets.
 */
void family_wire_bound(const struct family *f, unsigned long count, unsigned long size,
                       unsigned mtu, int copies, unsigned long long *packets,
                       unsigned long long *bytes);

/* The socket column for f when its client's summary said word (NULL or "": it did not). */
const char *family_socket(const struct family *f, const char *word);

/* What a client's one-line JSON summary says, in the same units for every vocabulary. */
struct fam_summary {
    double sent, answered;             /* messages (ping: transmitted, received) */
    double bytes_sent, bytes_received; /* payload bytes (ping: the echo data each way) */
    double p50_us, p99_us, mean_us;    /* round trips, microseconds */
    double max_us;                     /* the slowest round trip (0 when not given) */
    double elapsed_s;
    /* Late or copied replies (ping: duplicates), the client socket's kernel drops, TCP's
     * resent segments (tcp_retrans, dropped < 0: not said), round trips over 100 ms, the CDF. */
    double stray, dropped, tcp_retrans, over_100ms;
    double cdf[16][2];
    int ncdf;
    double hist[SF_HIST_MAX][2]; /* rtt_us.hist: [lower edge us, count] (ping's, in us too) */
    int nhist;
    char socket[16]; /* the socket the client says it used ("raw", "dgram"), or "" */
    unsigned have;   /* which of the above were there: SUM_* bits */
};

enum { SUM_COUNTS = 1, SUM_BYTES = 2, SUM_RTT = 4, SUM_ELAPSED = 8 };

/* The client's summary in its stdout: the last line that starts with '{' (its length in *len), or
 * NULL. */
const char *family_summary_line(const char *out, size_t *len);

/*
 * A server's counter on its last line, "... datagrams 3, replies 3, dropped
 * by the kernel 0 ...": 1 and *v when `name N` is there, else 0.
 */
int family_server_counter(const char *line, const char *name, unsigned long long *v);

/*
 * Read the summary line json (len bytes) of f's client, run with -s size.
 * 0, or -1 when json is not one JSON value (s->have is then 0).
 */
int family_summary(const struct family *f, const char *json, size_t len, unsigned long size,
                   struct fam_summary *s);

/*
 * Did f's client say that this machine cannot run it, rather than fail:
 * no permission (exit EX_NOPERM), or a ping that could open no socket and
 * printed no summary?
 */
int family_client_refused(const struct family *f, int status, int has_summary);

#endif
