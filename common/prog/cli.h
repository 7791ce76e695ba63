/*
 * cli: what only programs do, shared by every program of the suite: the
 * option vocabulary (one set of flags for every family, like nc's), usage
 * and errors printed as one line "PROGRAM: what failed: why", and exits with
 * <sysexits.h> codes.  Linked as sockfam_cli, never into the library.
 *
 * Option values are checked here with ranges, so each program's main()
 * starts from a complete, valid struct and reads like the textbook sequence.
 */
#ifndef SF_CLI_H
#define SF_CLI_H

#include <stdarg.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "models.h"
#include "proto.h"

/* Options a program accepts beyond the common set (a bit mask). */
enum sf_cli_extra {
    SF_OPT_INET = 1 << 0,         /* -4, -6, -p PORT */
    SF_OPT_RETRIES = 1 << 1,      /* --retries N */
    SF_OPT_CONNECT = 1 << 2,      /* --connect (a connected UDP socket) */
    SF_OPT_RECV_SIZE = 1 << 3,    /* --recv-size BYTES (the client side) */
    SF_OPT_UNIX = 1 << 4,         /* --type stream|dgram|seqpacket */
    SF_OPT_CONN = 1 << 5,         /* server: --timeout, --send-timeout, --backlog, --once */
    SF_OPT_CONNECT_UNIX = 1 << 6, /* --connect (a connected AF_UNIX dgram socket) */
    SF_OPT_MPTCP = 1 << 7,        /* --mptcp (IPPROTO_MPTCP instead of TCP) */
    SF_OPT_RATE = 1 << 8,         /* server: --rate-limit (replies per source, UDP) */
};

/* What a program is, for --help and for which options it takes. */
struct sf_cli_spec {
    const char *name;    /* "tcp-client" */
    const char *summary; /* one line under the usage line */
    const char *usage;   /* "[OPTIONS] [HOST[:PORT] [MESSAGE...]]" */
    unsigned extras;     /* enum sf_cli_extra bits */
};

struct sf_client_opts {
    enum sf_family family;
    enum sf_mode mode;
    const char *target; /* HOST, HOST:PORT, [V6]:PORT, unix:/path, @name; NULL if not given */
    const char *port;   /* -p PORT, or NULL */
    char **messages;    /* MESSAGE... (NULL when none given) */
    int nmessages;
    int stdin_at;       /* the index in messages of '-' (the lines of standard input), or -1 */
    uint64_t count;     /* send each message this many times */
    uint64_t warmup;    /* exchanges before counting starts */
    uint64_t size;      /* --size: a generated payload of this many bytes (0 = off) */
    int64_t delay_ms;   /* wait before sending */
    int64_t timeout_ms; /* connect and reply deadline */
    uint64_t retries;   /* datagram: resend a lost message this many times */
    uint64_t recv_size; /* receive buffer per read (0 = the default) */
    int burst;          /* --burst: a connection's messages back to back, then the replies */
    int use_connect;    /* --connect */
    int socktype;       /* --type (AF_UNIX) */
    int protocol;       /* socket()'s protocol: 0, or IPPROTO_MPTCP with --mptcp */
    int hex;            /* --hex: each reply as a hex dump (tcpdump -X) */
    int json, quiet;
};

struct sf_server_opts {
    enum sf_family family;
    enum sf_mode mode;
    const char *bind;        /* --bind ADDR (or the ADDRESS operand), or NULL for loopback */
    const char *port;        /* -p PORT (or the PORT operand), or NULL for the mode's default */
    int port_operand;        /* port came from the PORT operand, not -p */
    int64_t timeout_ms;      /* welcome: wait this long for the message */
    int64_t send_timeout_ms; /* drop a client that reads none of a reply this long */
    int64_t idle_timeout_ms; /* close a connection that sends nothing this long (0: never) */
    uint32_t max_conns;      /* connections open at once at most (0: no cap) */
    uint32_t max_per_peer;   /* from one address or local uid at most (0: no cap) */
    int spin;                /* --spin: every wait busy-polls (sf_io_spin) */
    enum sf_model model;     /* --model: how clients are served at once (models.h) */
    uint32_t rate_limit;     /* UDP: replies a second to one source at most (0: no limit) */
    uint64_t recv_size;      /* bytes per recv() */
    int socktype;            /* --type (AF_UNIX) */
    int protocol;            /* socket()'s protocol: 0, or IPPROTO_MPTCP with --mptcp */
    int backlog;             /* listen() backlog */
    unsigned perms;          /* AF_UNIX socket file permissions */
    int perms_set;           /* --perms was given (meaningless for an @abstract name) */
    int once, quiet;
};

struct sf_ping_opts {
    enum sf_family family;
    const char *target;
    uint64_t count;      /* -c: requests to send (bounded: default 4; with -w alone, no limit) */
    int64_t interval_ms; /* -i: between requests; 0 = the next as soon as a reply comes */
    uint64_t size;       /* -s: payload bytes (default 56, as ping) */
    int64_t wait_ms;     /* -W: how long to wait for a reply */
    int64_t deadline_ms; /* -w: the whole run's length at most, whatever the count (0: none) */
    uint64_t preload;    /* -l: requests sent at once at the start, before waiting for replies */
    int ttl;             /* -t: IPv4 TTL / IPv6 hop limit, 0-255; -1: the kernel's */
    const char *iface;   /* -I: an interface or a source address, or NULL */
    const char *user;    /* -Z: whom to become once the socket is open (as root), or NULL */
    int count_given;     /* -c was given: with -w, the replies to wait for */
    int interval_given;  /* -i was given: -f keeps it */
    int flood;           /* -f: interval 0 (unless -i), '.' per request, backspace per reply */
    int timestamps;      /* -D: "[seconds.micros] " before each line */
    int numeric;         /* -n (and -f): addresses only, no reverse lookup */
    int outstanding;     /* -O: "no answer yet for icmp_seq=N" before the next request */
    int verbose;         /* -v: the socket's story on stderr, ident= on each reply */
    int json, quiet;
};

/* Name the program for messages, ignore SIGPIPE, line-buffer stdout. */
void sf_cli_init(const char *name);

/*
 * A command of a program with several ("sockfam compare"): messages then
 * start "sockfam: compare: " and point to "sockfam compare --help".
 */
void sf_cli_subcommand(const char *sub);

/* The command as the user typed it, for "see ... --help": "tcp-client", "sockfam bench". */
const char *sf_cli_command(void);

/* The program's name as sf_cli_init() set it, for --version: "tcp-client", "sockfam". */
const char *sf_cli_name(void);

/* Parse a client's or a server's command line, or exit 64 (0 for --help). */
void sf_cli_client_parse(int argc, char **argv, const struct sf_cli_spec *spec,
                         struct sf_client_opts *o);
void sf_cli_server_parse(int argc, char **argv, const struct sf_cli_spec *spec,
                         struct sf_server_opts *o);

/*
 * The client's server address: o->target (or default_target) with -p or the
 * mode's default port.  Exits 64 on a bad address or a port given twice.
 */
void sf_cli_client_addr(const struct sf_client_opts *o, const char *default_target,
                        struct sf_addr *addr);

/*
 * The server's listening address: --bind (or default_bind, or, when that
 * is NULL, loopback for the chosen family) with -p or the mode's port.  Exits 64 like the above.
 */
void sf_cli_server_addr(const struct sf_server_opts *o, const char *default_bind,
                        struct sf_addr *addr);

/*
 * The longest line of MESSAGE '-' (standard input) a client sends as one
 * message: the most UDP carries over IPv4 in echo mode (65507 bytes less
 * the 7 of "echo=> "), so that one bound holds for every family and mode.
 * Welcome mode's are shorter: SF_WELCOME_MAX, what its server reads.
 */
#define SF_STDIN_LINE_MAX 65500
#define SF_WELCOME_MAX 1024

struct sf_message {
    const char *data;
    size_t len;
};

struct sf_messages {
    struct sf_message *v;
    size_t n;
    char *payload; /* the --size payload, owned */
};

/*
 * The messages a client sends: the --size payload, the MESSAGE arguments,
 * or the tutorial's: "1" in welcome mode, "Hello network World" otherwise.  Without allow_empty
 * (streams, where sending nothing sends nothing), an empty MESSAGE exits 64.
 */
void sf_cli_messages(const struct sf_client_opts *o, int allow_empty, struct sf_messages *m);
void sf_cli_messages_free(struct sf_messages *m);

/* icmp-ping's options, in iputils ping's letters; exits 64 (0 for --help). */
void sf_cli_ping_parse(int argc, char **argv, struct sf_ping_opts *o);

/* "PROGRAM: message (see --help)" and exit 64. */
_Noreturn void sf_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "PROGRAM: err->msg" on stderr; returns sf_err_exit_code(err), for a main
 * that ends with `return`.
 */
int sf_cli_error(const struct sf_err *err);

/* sf_cli_error(), then exit with its code. */
_Noreturn void sf_cli_fail(const struct sf_err *err);

/* "PROGRAM: message" on stderr, no exit. */
void sf_cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sf_cli_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * The one way the suite's programs take SIGINT and SIGTERM: both are
 * blocked and come instead on the returned descriptor (a signalfd,
 * non-blocking, close-on-exec), which the program waits on beside its
 * sockets: sf_loop_run(), sf_ping_recv() and the runner's poll all take
 * it.  No handler runs, so nothing is async-signal-unsafe, and a stop is
 * seen at the next wake-up however busy the program is.  Children started
 * later get an unblocked mask (sf_spawn resets it).  Exits 71 if it cannot.
 */
int sf_cli_stop_fd(void);

/* Has a stop signal come on stop_fd?  Takes it without blocking: 1 yes, 0 no. */
int sf_cli_stopped(int stop_fd);

#endif
