/* cli: option vocabulary, messages and exits for programs; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sysexits.h>
#include <unistd.h>

#include "io.h"
#include "num.h"
#include "opts.h"
#include "xchg.h"

static const char *prog = "sockfam";
static char command[64] = "sockfam"; /* "sockfam compare": what --help is asked of */
static char prefix[64] = "sockfam";  /* "sockfam: compare": what messages start with */

void sf_cli_init(const char *name)
{
    prog = name;
    snprintf(command, sizeof(command), "%s", name);
    snprintf(prefix, sizeof(prefix), "%s", name);
    /* Writes to a closed peer must fail with EPIPE, not kill the program. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void sf_cli_subcommand(const char *sub)
{
    snprintf(command, sizeof(command), "%s %s", prog, sub);
    snprintf(prefix, sizeof(prefix), "%s: %s", prog, sub);
}

const char *sf_cli_command(void)
{
    return command;
}

const char *sf_cli_name(void)
{
    return prog;
}

void sf_cli_vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void sf_cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sf_cli_vwarn(fmt, ap);
    va_end(ap);
}

_Noreturn void sf_cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", prefix);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s --help)\n", command);
    exit(EX_USAGE);
}

int sf_cli_error(const struct sf_err *err)
{
    fprintf(stderr, "%s: %s\n", prefix, err->msg);
    return sf_err_exit_code(err);
}

_Noreturn void sf_cli_fail(const struct sf_err *err)
{
    exit(sf_cli_error(err));
}

int sf_cli_stop_fd(void)
{
    sigset_t set;
    int fd;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    /* Blocked, the signals wait in the signalfd instead of interrupting anything. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (fd < 0) {
        sf_cli_warn("signalfd: %s", strerror(errno));
        exit(EX_OSERR);
    }
    return fd;
}

int sf_cli_stopped(int stop_fd)
{
    struct signalfd_siginfo si;

    return read(stop_fd, &si, sizeof(si)) == (ssize_t)sizeof(si);
}

/* ---- the option vocabulary of the family programs ---- */

enum { ROLE_CLIENT = 1, ROLE_SERVER = 2, ROLE_BOTH = 3 };

enum {
    OPT_DELAY = SF_OPT_LONG,
    OPT_JSON,
    OPT_RETRIES,
    OPT_CONNECT,
    OPT_RECV_SIZE,
    OPT_ONCE,
    OPT_BACKLOG,
    OPT_PERMS,
    OPT_WARMUP,
    OPT_SEND_TIMEOUT,
    OPT_MPTCP,
    OPT_IDLE_TIMEOUT,
    OPT_MAX_CONNS,
    OPT_MAX_PER_PEER,
    OPT_MODEL,
    OPT_RATE_LIMIT,
    OPT_BURST,
    OPT_HEX,
    OPT_SPIN,
};

/* A row of the shared table: the option, and which programs take it. */
struct optdef {
    struct sf_opt opt;
    int roles;
    unsigned extra; /* 0, or the enum sf_cli_extra bit it needs */
};

static const struct optdef optdefs[] = {
    {{"help", 'h', NULL, "show this help and exit"}, ROLE_BOTH, 0},
    {{"ipv4", '4', NULL, "use IPv4 only"}, ROLE_BOTH, SF_OPT_INET},
    {{"ipv6", '6', NULL, "use IPv6 only"}, ROLE_BOTH, SF_OPT_INET},
    {{"port", 'p', "PORT", "server port (default: 8001 for welcome, 50007 otherwise)"},
     ROLE_CLIENT,
     SF_OPT_INET},
    {{"port", 'p', "PORT",
      "port to listen on, 0 for any free one (default: 8001 for welcome, 50007 otherwise)"},
     ROLE_SERVER,
     SF_OPT_INET},
    {{"bind", 'b', "ADDR", "address to listen on (default: loopback)"}, ROLE_SERVER, SF_OPT_INET},
    {{"bind", 'b', "PATH",
      "socket file or @abstract name to listen on (default: TYPE-PORT.sock in\n"
      "$XDG_RUNTIME_DIR/sockfam, else /tmp/sockfam-UID, a directory of yours, 0700)"},
     ROLE_SERVER,
     SF_OPT_UNIX},
    {{"type", 't', "TYPE", "socket type: stream, dgram or seqpacket"}, ROLE_BOTH, SF_OPT_UNIX},
    {{"mptcp", OPT_MPTCP, NULL,
      "Multipath TCP (IPPROTO_MPTCP, Linux 5.6+): the SYN carries MP_CAPABLE; a peer\n"
      "without MPTCP falls back to plain TCP"},
     ROLE_BOTH,
     SF_OPT_MPTCP},
    {{"mode", 'm', "MODE", "welcome, echo, mirror or discard (default: echo); see below"},
     ROLE_BOTH,
     0},
    {{"count", 'c', "N",
      "send each message N times (default: 1), the messages in turn N times over;\n"
      "with MESSAGE '-', each one N times in a row (standard input is read once)"},
     ROLE_CLIENT,
     0},
    {{"size", 's', "BYTES", "send a generated payload of BYTES instead of MESSAGE"},
     ROLE_CLIENT,
     0},
    {{"warmup", OPT_WARMUP, "N",
      "exchange N messages first, not counted in the figures (for measuring)"},
     ROLE_CLIENT,
     0},
    {{"burst", OPT_BURST, NULL,
      "send every message of a connection back to back, each with its own\n"
      "send(), before reading any reply; then read the replies (each wait:\n"
      "--timeout). The server's last line says how many reads they took\n"
      "('reads 10 (64-64 bytes)'): kept, merged or split. No round trip is\n"
      "measured: a reply waits behind the whole burst (--json: rtt_us.n 0)"},
     ROLE_CLIENT,
     0},
    {{"delay", OPT_DELAY, "SEC",
      "wait SEC seconds after connecting, before sending (the tutorial waits 2)"},
     ROLE_CLIENT,
     0},
    {{"timeout", 'w', "SEC", "give up on a connect or a reply after SEC (default: 5)"},
     ROLE_CLIENT,
     0},
    {{"timeout", 'w', "SEC",
      "welcome: wait SEC for the message, then print 'Time Out' (default: 5)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"send-timeout", OPT_SEND_TIMEOUT, "SEC",
      "drop a client that takes none of a waiting reply for SEC, 0 never (default: 10)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"idle-timeout", OPT_IDLE_TIMEOUT, "SEC",
      "close a connection that sends nothing for SEC, 0 never (default: 60)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"max-conns", OPT_MAX_CONNS, "N",
      "connections open at once at most; more are accepted and closed (default: 0,\n"
      "as many as descriptors allow: the soft RLIMIT_NOFILE is raised to the hard\n"
      "limit at start, and stderr says so if that is still short of N)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"max-per-peer", OPT_MAX_PER_PEER, "N",
      "connections open at once from one address (AF_UNIX: one uid) at most\n"
      "(default: 0, no cap)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"model", OPT_MODEL, "MODEL",
      "how clients are served at once: epoll (default), thread, fork or\n"
      "iterative; what each costs is below"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"retries", OPT_RETRIES, "N",
      "resend a message whose reply is lost, up to N times (default: 0)"},
     ROLE_CLIENT,
     SF_OPT_RETRIES},
    {{"connect", OPT_CONNECT, NULL,
      "use a connected socket (reports ICMP port unreachable as refused)"},
     ROLE_CLIENT,
     SF_OPT_CONNECT},
    {{"connect", OPT_CONNECT, NULL,
      "dgram: use a connected socket, whose send waits for room in the server's queue\n"
      " (poll cannot wait for it on an unconnected one)"},
     ROLE_CLIENT,
     SF_OPT_CONNECT_UNIX},
    {{"recv-size", OPT_RECV_SIZE, "BYTES", "receive buffer per read (default: 65536)"},
     ROLE_CLIENT,
     SF_OPT_RECV_SIZE},
    {{"recv-size", OPT_RECV_SIZE, "BYTES",
      "bytes per read (default: 1024 as in the tutorial; 65536 for mirror and discard)"},
     ROLE_SERVER,
     0},
    {{"backlog", OPT_BACKLOG, "N",
      "listen() backlog: connections the kernel completes before accept (default:\n"
      "net.core.somaxconn, the most the kernel allows)"},
     ROLE_SERVER,
     SF_OPT_CONN},
    {{"perms", OPT_PERMS, "OCTAL", "permissions of the socket file (default: 0600, owner only)"},
     ROLE_SERVER,
     SF_OPT_UNIX},
    {{"once", OPT_ONCE, NULL, "exit after the first client"}, ROLE_SERVER, SF_OPT_CONN},
    {{"rate-limit", OPT_RATE_LIMIT, "N",
      "replies a second to one source at most: a forged datagram cannot start an\n"
      "endless echo loop with another server (default: 10000; 0: no limit)"},
     ROLE_SERVER,
     SF_OPT_RATE},
    {{"hex", OPT_HEX, NULL,
      "print each reply as a hex dump, as tcpdump -X does (offsets, 16 bytes a line\n"
      "in hex and ASCII, '.' for the unprintable) under 'Client received N bytes:',\n"
      "not as quoted text; not with --json, -q or --mode discard"},
     ROLE_CLIENT,
     0},
    {{"spin", OPT_SPIN, NULL,
      "busy-poll: every socket call non-blocking, every wait a look again, never\n"
      "asleep (each deadline still holds): one CPU kept busy to save the wake-up\n"
      "of a task on another CPU (as sockperf's and netperf's busy-poll modes)"},
     ROLE_BOTH,
     0},
    {{"json", OPT_JSON, NULL, "print one JSON summary object instead of text"}, ROLE_CLIENT, 0},
    {{"quiet", 'q', NULL, "print only the summary, no per-message lines (as ping -q)"},
     ROLE_CLIENT,
     0},
    {{"quiet", 'q', NULL,
      "print no per-client or per-datagram lines, only warnings and the\n"
      "last line"},
     ROLE_SERVER,
     0},
};
#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

#define SF_STR(x) #x
#define SF_XSTR(x) SF_STR(x)

/* The epilogs' lines as they print. */
/* clang-format off */
#define MODES_HELP                                                                          \
    "Modes (the tutorial's two demos, plus two for measuring):\n"                           \
    "  welcome  '1' is answered 'Welcome to server!', anything else 'Please go out!'\n"     \
    "  echo     each message is answered 'echo=> ' + message\n"                            \
    "  mirror   each message is answered with the same bytes\n"                             \
    "  discard  messages are read and dropped\n"

#define SERVER_EXIT_HELP                                                                    \
    "\nExit status: 0 ok, 64 usage, 68 unknown host, 69 peer unavailable (refused,\n"         \
    "unreachable, timed out, closed early), 71 OS error, 75 temporary failure,\n"            \
    "77 permission denied.\n"

static const char server_epilog[] = MODES_HELP SERVER_EXIT_HELP;

/* The connection servers' --model (common/sock/models.h), what each costs, and the lesson. */
static const char conn_server_epilog[] = MODES_HELP
    "\nModels (--model: how clients are served at once, the textbooks' four):\n"
    "  epoll      one thread waits on every client at once (epoll): a client costs\n"
    "             a few hundred bytes and a descriptor; none delays another\n"
    "  thread     a thread per client, blocking recv and send: a client costs a\n"
    "             stack (256 KiB reserved, a few pages used) and a kernel task\n"
    "  fork       a process per client, UNP's classic: a client costs a fork() and\n"
    "             a process (a crash ends that client only); counts come home by pipe\n"
    "  iterative  one client at a time, the tutorial's: costs nothing but waiting.\n"
    "             The others wait in the backlog, and one silent client holds them\n"
    "             all until --idle-timeout (welcome: --timeout) closes it\n"
    "A blocking model (thread, fork, iterative) holds no reply for a client that\n"
    "does not read: it waits in send() instead, in that client's own thread or\n"
    "process (iterative: everyone's). unix-server --type dgram has no connections:\n"
    "epoll only.\n"
    SERVER_EXIT_HELP;

/* MESSAGE '-' (feed.h reads it), and the exit code its lines may end a run with. */
static const char client_epilog[] = MODES_HELP
    "\nMESSAGE '-' is the lines of standard input, as nc sends them: each line, without\n"
    "its newline, is one message, exchanged before the next line is read, in place\n"
    "among the other MESSAGEs, until the input ends; -c N sends each N times in a row.\n"
    "A line may be at most " SF_XSTR(SF_STDIN_LINE_MAX) " bytes (" SF_XSTR(SF_WELCOME_MAX) " in welcome mode, where each line\n"
    "is one conversation); a longer one ends the run, exit 65. An empty line is an\n"
    "empty datagram where one can be sent (udp, unix dgram), and is skipped on the\n"
    "others (on a stream, sending nothing sends nothing). '-' may come first, with\n"
    "no HOST or ADDR (the default one). With --burst every line is sent before any\n"
    "reply is read (as nc does), at most " SF_XSTR(SF_BURST_MAX_MSGS) " lines and 64 MiB.\n"
    "\nExit status: 0 ok, 64 usage, 65 a line of standard input too long, 68 unknown\n"
    "host, 69 peer unavailable (refused, unreachable, timed out, closed early, a reply\n"
    "lost), 71 OS error, 75 temporary failure, 77 permission denied.\n";
/* clang-format on */

/* The rows this program takes, in table order, into rows[] (NOPTS long). */
static struct sf_cmd family_cmd(const struct sf_cli_spec *spec, int role, struct sf_opt *rows)
{
    size_t n = 0;

    for (size_t i = 0; i < NOPTS; i++) {
        const struct optdef *d = &optdefs[i];
        if ((d->roles & role) && (!d->extra || (d->extra & spec->extras)))
            rows[n++] = d->opt;
    }
    return (struct sf_cmd){spec->usage, spec->summary, rows, n,
                           role == ROLE_CLIENT            ? client_epilog
                           : (spec->extras & SF_OPT_CONN) ? conn_server_epilog
                                                          : server_epilog};
}

static enum sf_mode opt_mode(const char *text)
{
    static const char *const names[] = {"welcome", "echo", "mirror", "discard", NULL};
    enum sf_mode m;

    if (sf_mode_parse(text, &m) < 0)
        sf_opt_choice("--mode", text, names); /* never returns: text is none of them */
    return m;
}

static enum sf_model opt_model(const char *text)
{
    static const char *const names[] = {"epoll", "thread", "fork", "iterative", NULL};
    enum sf_model m;

    if (sf_model_parse(text, &m) < 0)
        sf_opt_choice("--model", text, names); /* never returns: text is none of them */
    return m;
}

static int opt_type(const char *text)
{
    static const char *const names[] = {"stream", "dgram", "seqpacket", NULL};
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};

    return types[sf_opt_choice("--type", text, names)];
}

static void set_family(enum sf_family *family, enum sf_family f)
{
    if (*family != SF_FAMILY_ANY && *family != f)
        sf_cli_usage_error("-4 and -6 cannot be used together");
    *family = f;
}

/* Options both roles share; returns 1 if c was one of them. */
static int common_option(int c, const char *arg, enum sf_family *family, enum sf_mode *mode,
                         int *socktype, int *quiet)
{
    switch (c) {
    case '4':
        set_family(family, SF_FAMILY_V4);
        return 1;
    case '6':
        set_family(family, SF_FAMILY_V6);
        return 1;
    case 'm':
        *mode = opt_mode(arg);
        return 1;
    case 't':
        *socktype = opt_type(arg);
        return 1;
    case 'q':
        *quiet = 1;
        return 1;
    }
    return 0;
}

static void client_option(void *opts, int c, const char *optarg)
{
    struct sf_client_opts *o = opts;

    if (common_option(c, optarg, &o->family, &o->mode, &o->socktype, &o->quiet))
        return;
    switch (c) {
    case 'p':
        sf_opt_uint("port", optarg, 1, 65535);
        o->port = optarg;
        break;
    case 'c':
        o->count = sf_opt_uint("--count", optarg, 1, 1000000000);
        break;
    case 's':
        o->size = sf_opt_uint("--size", optarg, 1, 64u << 20);
        break;
    case OPT_WARMUP:
        o->warmup = sf_opt_uint("--warmup", optarg, 0, 1000000000);
        break;
    case OPT_DELAY:
        o->delay_ms = sf_opt_seconds("--delay", optarg, 1);
        break;
    case 'w':
        o->timeout_ms = sf_opt_seconds("--timeout", optarg, 0);
        break;
    case OPT_RETRIES:
        o->retries = sf_opt_uint("--retries", optarg, 0, 100);
        break;
    case OPT_BURST:
        o->burst = 1;
        break;
    case OPT_SPIN:
        sf_io_spin(1); /* the process's way to wait, chosen once at its start */
        break;
    case OPT_CONNECT:
        o->use_connect = 1;
        break;
    case OPT_RECV_SIZE:
        o->recv_size = sf_opt_uint("--recv-size", optarg, 1, 16u << 20);
        break;
    case OPT_JSON:
        o->json = 1;
        break;
    case OPT_HEX:
        o->hex = 1;
        break;
    case OPT_MPTCP:
        o->protocol = IPPROTO_MPTCP;
        break;
    }
}

/*
 * --burst: what it cannot be used with, one line per rule, and its bounds
 * (every message of the burst is held at once: xchg.h).
 */
static void check_burst(const struct sf_client_opts *o)
{
    uint64_t n = o->nmessages ? (uint64_t)o->nmessages : 1, bytes = o->size;

    if (o->mode == SF_MODE_WELCOME)
        sf_cli_usage_error("--burst is for echo, mirror and discard: welcome answers one message");
    if (o->warmup)
        sf_cli_usage_error("--burst and --warmup cannot be used together");
    if (o->retries)
        sf_cli_usage_error("--burst and --retries cannot be used together: a burst's lost "
                           "replies are counted, not resent");
    for (int i = 0; !o->size && i < o->nmessages; i++)
        bytes += strlen(o->messages[i]);
    if (!o->size && !o->nmessages)
        bytes = strlen(SF_DEFAULT_MESSAGE);
    if (o->count > SF_BURST_MAX_MSGS / n ||
        (bytes && o->count > (uint64_t)SF_BURST_MAX_BYTES / bytes))
        sf_cli_usage_error("--burst holds at most %d messages and %u MiB at once: %llu of %llu "
                           "bytes is more",
                           SF_BURST_MAX_MSGS, SF_BURST_MAX_BYTES >> 20,
                           (unsigned long long)(o->count * n), (unsigned long long)bytes / n);
}

/* Where MESSAGE '-' is: standard input is read once, so at most one. */
static void client_operands(struct sf_client_opts *o)
{
    o->stdin_at = -1;
    for (int i = 0; i < o->nmessages; i++) {
        if (strcmp(o->messages[i], "-") != 0)
            continue;
        if (o->stdin_at >= 0)
            sf_cli_usage_error("MESSAGE '-' given twice: standard input is read once");
        o->stdin_at = i;
    }
}

void sf_cli_client_parse(int argc, char **argv, const struct sf_cli_spec *spec,
                         struct sf_client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = SF_MODE_ECHO;
    o->count = 1;
    o->timeout_ms = 5000;
    o->socktype = SOCK_STREAM;
    struct sf_opt rows[NOPTS];
    struct sf_cmd cmd = family_cmd(spec, ROLE_CLIENT, rows);
    int optind = sf_opts_parse(&cmd, argc, argv, client_option, o);

    /* No host is called "-": first, it is the MESSAGE '-' (echo hi | tcp-client -). */
    if (optind < argc && strcmp(argv[optind], "-") != 0)
        o->target = argv[optind++];
    if (optind < argc) {
        o->messages = argv + optind;
        o->nmessages = argc - optind;
    }
    client_operands(o);
    if (o->size && o->nmessages)
        sf_cli_usage_error("give MESSAGE or --size, not both");
    if (o->mode == SF_MODE_WELCOME && (o->nmessages > 1 || o->size > SF_WELCOME_MAX))
        sf_cli_usage_error("welcome mode sends one message of at most %d bytes (or, with '-', "
                           "one a line)",
                           SF_WELCOME_MAX);
    if (o->burst)
        check_burst(o);
    if (o->hex && (o->json || o->quiet || o->mode == SF_MODE_DISCARD))
        sf_cli_usage_error("--hex shows each reply, and %s", o->json    ? "--json prints none"
                                                             : o->quiet ? "-q prints none"
                                                                        : "discard mode has none");
}

/*
 * The most listen() may ask for: 128 refused a burst of unix connects
 * (EAGAIN) right after 1000 clients left; the kernel caps any larger
 * backlog at this value anyway.
 */
static int somaxconn(void)
{
    FILE *f = fopen("/proc/sys/net/core/somaxconn", "re");
    int v = 0;

    if (f) {
        if (fscanf(f, "%d", &v) != 1)
            v = 0;
        fclose(f);
    }
    return v > 0 && v <= 65535 ? v : SOMAXCONN;
}

static void server_option(void *opts, int c, const char *optarg)
{
    struct sf_server_opts *o = opts;

    if (common_option(c, optarg, &o->family, &o->mode, &o->socktype, &o->quiet))
        return;
    switch (c) {
    case 'p':
        sf_opt_uint("port", optarg, 0, 65535);
        o->port = optarg;
        break;
    case 'b':
        o->bind = optarg;
        break;
    case 'w':
        o->timeout_ms = sf_opt_seconds("--timeout", optarg, 0);
        break;
    case OPT_SEND_TIMEOUT:
        o->send_timeout_ms = sf_opt_seconds("--send-timeout", optarg, 1);
        break;
    case OPT_IDLE_TIMEOUT:
        o->idle_timeout_ms = sf_opt_seconds("--idle-timeout", optarg, 1);
        break;
    case OPT_MAX_CONNS:
        o->max_conns = (uint32_t)sf_opt_uint("--max-conns", optarg, 0, 1000000);
        break;
    case OPT_MAX_PER_PEER:
        o->max_per_peer = (uint32_t)sf_opt_uint("--max-per-peer", optarg, 0, 1000000);
        break;
    case OPT_SPIN:
        o->spin = 1;
        sf_io_spin(1); /* the process's way to wait, chosen once at its start */
        break;
    case OPT_MODEL:
        o->model = opt_model(optarg);
        break;
    case OPT_RATE_LIMIT:
        o->rate_limit = (uint32_t)sf_opt_uint("--rate-limit", optarg, 0, 100000000);
        break;
    case OPT_RECV_SIZE:
        o->recv_size = sf_opt_uint("--recv-size", optarg, 1, 16u << 20);
        break;
    case OPT_ONCE:
        o->once = 1;
        break;
    case OPT_BACKLOG:
        o->backlog = (int)sf_opt_uint("--backlog", optarg, 1, 65535);
        break;
    case OPT_PERMS:
        o->perms = sf_opt_octal("--perms", optarg);
        o->perms_set = 1;
        break;
    case OPT_MPTCP:
        o->protocol = IPPROTO_MPTCP;
        break;
    }
}

/* Do two addresses as written say the same ("/x.sock" and "unix:/x.sock" do)?  1 or 0. */
static int same_address(const char *a, const char *b)
{
    struct sf_addr x, y;

    if (sf_addr_parse(NULL, a, "0", 1, &x) < 0 || sf_addr_parse(NULL, b, "0", 1, &y) < 0 ||
        x.kind != y.kind)
        return 0;
    if (x.kind != SF_ADDR_INET)
        return strcmp(x.path, y.path) == 0;
    return strcmp(x.host, y.host) == 0 && x.port_explicit == y.port_explicit &&
           strcmp(x.port, y.port) == 0;
}

/* ADDRESS or PATH: --bind's value, which must agree with --bind when both are given. */
static void operand_bind(struct sf_server_opts *o, const char *addr)
{
    if (o->bind && !same_address(o->bind, addr))
        sf_cli_usage_error("address given twice: '%s' and --bind %s", addr, o->bind);
    o->bind = addr;
}

/* PORT: -p's value, which must agree with -p when both are given. */
static void operand_port(struct sf_server_opts *o, const char *port)
{
    uint64_t v = sf_opt_uint("PORT", port, 0, 65535);

    if (o->port && sf_opt_uint("port", o->port, 0, 65535) != v)
        sf_cli_usage_error("port given twice: %s and -p %s", port, o->port);
    o->port = port;
    o->port_operand = 1;
}

/*
 * The address as nc -l takes it, the same as --bind and -p: ADDRESS
 * [PORT] for an inet server, where a lone number is the port (nc -l
 * 8001; nobody means the address 0.0.31.65), PATH for unix-server.
 */
static void server_operands(const struct sf_cli_spec *spec, struct sf_server_opts *o, int argc,
                            char **argv, int first)
{
    int inet = (spec->extras & SF_OPT_INET) != 0;
    int most = inet ? 2 : (spec->extras & SF_OPT_UNIX) ? 1 : 0;
    int n = argc - first;

    if (most == 0)
        sf_opts_no_operands(argc, argv, first);
    if (n > most)
        sf_cli_usage_error("unexpected argument '%s': %s takes at most %s", argv[first + most],
                           spec->name, inet ? "ADDRESS and PORT" : "one PATH");
    if (inet && n == 1 && strspn(argv[first], "0123456789") == strlen(argv[first]))
        operand_port(o, argv[first]);
    else if (n >= 1)
        operand_bind(o, argv[first]);
    if (n == 2)
        operand_port(o, argv[first + 1]);
}

void sf_cli_server_parse(int argc, char **argv, const struct sf_cli_spec *spec,
                         struct sf_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = SF_MODE_ECHO;
    o->timeout_ms = 5000;
    o->send_timeout_ms = 10000;
    o->idle_timeout_ms = 60000;
    o->rate_limit = 10000;
    o->socktype = SOCK_STREAM;
    o->backlog = somaxconn();
    o->perms = 0600;
    struct sf_opt rows[NOPTS];
    struct sf_cmd cmd = family_cmd(spec, ROLE_SERVER, rows);

    server_operands(spec, o, argc, argv, sf_opts_parse(&cmd, argc, argv, server_option, o));
    if (o->socktype == SOCK_DGRAM && o->model != SF_MODEL_EPOLL)
        sf_cli_usage_error("--model %s: --type dgram has no connections to serve apart; its one "
                           "socket is served on one loop (--model epoll)",
                           sf_model_name(o->model));
    if (o->spin && o->model != SF_MODEL_EPOLL)
        sf_cli_usage_error("--spin --model %s: only the epoll loop spins; a blocking model waits "
                           "in its calls (--model epoll)",
                           sf_model_name(o->model));
    if (!o->recv_size)
        o->recv_size = o->mode == SF_MODE_MIRROR || o->mode == SF_MODE_DISCARD ? 65536 : 1024;
}

/* port_how: how port_opt was given, for the error naming both ("with -p", "as PORT"). */
static void parse_addr(const char *text, const char *port_opt, const char *port_how,
                       const char *mode_port, int allow_port0, struct sf_addr *addr)
{
    struct sf_err err;

    if (sf_addr_parse(&err, text, port_opt ? port_opt : mode_port, allow_port0, addr) < 0)
        sf_cli_usage_error("%s", err.msg);
    if (addr->kind == SF_ADDR_INET && addr->port_explicit && port_opt)
        sf_cli_usage_error("port given twice: in '%s' and %s %s", text, port_how, port_opt);
}

void sf_cli_client_addr(const struct sf_client_opts *o, const char *default_target,
                        struct sf_addr *addr)
{
    /* -6 alone means the IPv6 loopback: "localhost" need not resolve to ::1
     * (Debian's /etc/hosts may lack it) and would then go to DNS. */
    if (!o->target && o->family == SF_FAMILY_V6 && strcmp(default_target, "localhost") == 0)
        default_target = "::1";
    parse_addr(o->target ? o->target : default_target, o->port, "with -p",
               sf_mode_default_port(o->mode), 0, addr);
}

void sf_cli_server_addr(const struct sf_server_opts *o, const char *default_bind,
                        struct sf_addr *addr)
{
    const char *loopback = o->family == SF_FAMILY_V6 ? "::1" : "127.0.0.1";

    if (default_bind)
        loopback = default_bind;
    parse_addr(o->bind ? o->bind : loopback, o->port, o->port_operand ? "as PORT" : "with -p",
               sf_mode_default_port(o->mode), 1, addr);
}

void sf_cli_messages(const struct sf_client_opts *o, int allow_empty, struct sf_messages *m)
{
    /* The tutorial's welcome client sends '1'; its echo client a greeting. */
    static char *welcome[] = {"1"}, *echo[] = {SF_DEFAULT_MESSAGE};
    char **texts = o->nmessages ? o->messages : o->mode == SF_MODE_WELCOME ? welcome : echo;
    size_t n = o->size ? 1 : (o->nmessages ? (size_t)o->nmessages : 1);

    memset(m, 0, sizeof(*m));
    m->v = calloc(n, sizeof(*m->v));
    if (o->size)
        m->payload = malloc(o->size);
    if (!m->v || (o->size && !m->payload)) {
        sf_cli_warn("out of memory for %zu messages", n);
        exit(EX_OSERR);
    }
    m->n = n;
    if (o->size) {
        sf_payload_fill(m->payload, o->size);
        m->v[0] = (struct sf_message){m->payload, o->size};
        return;
    }
    for (size_t i = 0; i < n; i++) {
        m->v[i] = (struct sf_message){texts[i], strlen(texts[i])};
        if (m->v[i].len == 0 && !allow_empty)
            sf_cli_usage_error("empty MESSAGE: on a stream, sending nothing sends nothing, "
                               "and no reply would come");
    }
}

void sf_cli_messages_free(struct sf_messages *m)
{
    free(m->v);
    free(m->payload);
    memset(m, 0, sizeof(*m));
}

static const struct sf_opt ping_opts[] = {
    {NULL, '4', NULL, "use IPv4 only"},
    {NULL, '6', NULL, "use IPv6 only"},
    {NULL, 'c', "N",
     "send N requests (default: 4, where iputils ping goes on until Ctrl-C;\n"
     "at most 100000); with -w, stop once N replies came, sending past N\n"
     "until then"},
    {NULL, 'i', "SEC",
     "interval between requests (default: 1; 0: the next as soon as the\n"
     "reply comes, or -W later without one); under 0.002 for root only"},
    {NULL, 's', "BYTES", "payload size (default: 56)"},
    {NULL, 'W', "SEC", "how long to wait for each reply (default: 2)"},
    {NULL, 'w', "DEADLINE",
     "stop after DEADLINE seconds whatever the count (decimals allowed;\n"
     "0: none); without -c, send until then; with -c N, exit 1 if fewer\n"
     "than N replies came"},
    {NULL, 'l', "PRELOAD",
     "send PRELOAD requests at once, before waiting for any reply, as\n"
     "iputils ping does (at most 65536); each one's round trip is still\n"
     "timed from its own send, and so includes the wait behind the others"},
    {NULL, 'f', NULL,
     "flood: the next request as soon as the reply comes (10 ms without\n"
     "one), a '.' for each request and a backspace for each reply instead\n"
     "of the lines; implies -n; -i SEC keeps that interval; root only"},
    {NULL, 't', "TTL", "IPv4 time-to-live / IPv6 hop limit of the requests (0-255)"},
    {NULL, 'I', "IFACE",
     "send from interface IFACE (SO_BINDTODEVICE: \"lo\"), or from the\n"
     "source address IFACE (\"127.0.0.1\", \"::1\", \"fe80::1%eth0\")"},
    {NULL, 'D', NULL, "print the time (seconds.microseconds since 1970) before each line"},
    {NULL, 'n', NULL,
     "numeric: never look up a reply's source (otherwise a named HOST's\n"
     "replies show \"NAME (ADDRESS)\", as iputils)"},
    {NULL, 'O', NULL, "report a request still unanswered when the next is sent"},
    {NULL, 'q', NULL, "print only the summary"},
    {NULL, 'v', NULL,
     "verbose: say on stderr which socket it opened and why (socket()'s\n"
     "errno, net.ipv4.ping_group_range, the capabilities held) and whom\n"
     "it became; add ident=ID to each reply line"},
    {NULL, 'Z', "USER",
     "as root: become USER once the socket is open (default: the user who\n"
     "ran sudo, else nobody), as tcpdump -Z does"},
    {"json", OPT_JSON, NULL, "print one JSON object instead of text"},
    {"help", 'h', NULL, "show this help and exit"},
};

static const struct sf_cmd ping_cmd = {
    "[OPTIONS] HOST",
    "Send ICMP (or ICMPv6) echo requests to HOST and report the replies, as iputils ping\n"
    "does. Uses a raw socket when allowed (CAP_NET_RAW), else the ICMP datagram socket.",
    ping_opts,
    sizeof(ping_opts) / sizeof(ping_opts[0]),
    "Root only (-f, -i under 0.002): a real uid of 0, or CAP_NET_RAW handed down in\n"
    "the ambient set; others get iputils' \"cannot flood\" (exit 77).\n"
    "\n"
    "Exit status: 0 replies came (with -w and -c N: N of them), 1 none did (or\n"
    "fewer), 64 usage, 68 unknown host, 69 network unreachable, 71 OS error,\n"
    "77 no permission (for any ICMP socket, or to flood). iputils ping exits 2\n"
    "for errors (1 for a value out of range).\n",
};

/* The options without a value, and -Z. */
static void ping_flag(struct sf_ping_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'f':
        o->flood = o->numeric = 1; /* iputils: no name lookups while flooding */
        break;
    case 'D':
        o->timestamps = 1;
        break;
    case 'n':
        o->numeric = 1;
        break;
    case 'O':
        o->outstanding = 1;
        break;
    case 'v':
        o->verbose = 1;
        break;
    case 'q':
        o->quiet = 1;
        break;
    case 'Z':
        o->user = arg;
        break;
    case OPT_JSON:
        o->json = 1;
        break;
    }
}

static void ping_option(void *opts, int c, const char *arg)
{
    struct sf_ping_opts *o = opts;

    switch (c) {
    case '4':
    case '6':
        set_family(&o->family, c == '4' ? SF_FAMILY_V4 : SF_FAMILY_V6);
        break;
    case 'c':
        o->count = sf_opt_uint("-c", arg, 1, 100000);
        o->count_given = 1;
        break;
    case 'i':
        o->interval_ms = sf_opt_seconds("-i", arg, 1);
        o->interval_given = 1;
        break;
    case 's':
        /* The largest ICMPv4 echo payload: 65535 - 20 (IP) - 8 (ICMP). */
        o->size = sf_opt_uint("-s", arg, 0, 65507);
        break;
    case 'W':
        o->wait_ms = sf_opt_seconds("-W", arg, 0);
        break;
    case 'w':
        o->deadline_ms = sf_opt_seconds("-w", arg, 1);
        break;
    case 'l':
        /* The sequence numbers in flight at once must not wrap (16 bits). */
        o->preload = sf_opt_uint("-l", arg, 1, 65536);
        break;
    case 't':
        o->ttl = (int)sf_opt_uint("-t", arg, 0, 255);
        break;
    case 'I':
        o->iface = arg;
        break;
    default:
        ping_flag(o, c, arg);
    }
}

void sf_cli_ping_parse(int argc, char **argv, struct sf_ping_opts *o)
{
    int first;

    memset(o, 0, sizeof(*o));
    o->count = 4;
    o->interval_ms = 1000;
    o->size = 56;
    o->wait_ms = 2000;
    o->ttl = -1;
    first = sf_opts_parse(&ping_cmd, argc, argv, ping_option, o);
    if (first >= argc)
        sf_cli_usage_error("missing HOST");
    o->target = argv[first];
    sf_opts_no_operands(argc, argv, first + 1);
    if (o->flood && !o->interval_given)
        o->interval_ms = 0;
    if (o->deadline_ms && !o->count_given)
        o->count = UINT64_MAX; /* iputils: -w alone sends until the deadline */
}
