/* cli: option vocabulary, messages and exits for programs; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "num.h"

static const char *prog = "sockfam";

void sf_cli_init(const char *name)
{
    prog = name;
    /* Writes to a closed peer must fail with EPIPE, not kill the program. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
}

void sf_cli_vwarn(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
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
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see %s --help)\n", prog);
    exit(EX_USAGE);
}

_Noreturn void sf_cli_fail(const struct sf_err *err)
{
    fprintf(stderr, "%s: %s\n", prog, err->msg);
    exit(sf_err_exit_code(err));
}

static volatile sig_atomic_t stop_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

volatile sig_atomic_t *sf_cli_catch_stop(sigset_t *waitmask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, waitmask);
    sigdelset(waitmask, SIGINT);
    sigdelset(waitmask, SIGTERM);
    return &stop_flag;
}

/* ---- the option vocabulary ---- */

enum { ROLE_CLIENT = 1, ROLE_SERVER = 2, ROLE_BOTH = 3 };

enum {
    OPT_DELAY = 256,
    OPT_JSON,
    OPT_RETRIES,
    OPT_CONNECT,
    OPT_RECV_SIZE,
    OPT_ONCE,
    OPT_BACKLOG,
    OPT_PERMS,
    OPT_WARMUP,
    OPT_SEND_TIMEOUT,
};

struct optdef {
    const char *name;
    int val;
    const char *arg; /* NULL for a flag */
    int roles;
    unsigned extra; /* 0, or the enum sf_cli_extra bit it needs */
    const char *help;
};

static const struct optdef optdefs[] = {
    {"help", 'h', NULL, ROLE_BOTH, 0, "show this help and exit"},
    {"ipv4", '4', NULL, ROLE_BOTH, SF_OPT_INET, "use IPv4 only"},
    {"ipv6", '6', NULL, ROLE_BOTH, SF_OPT_INET, "use IPv6 only"},
    {"port", 'p', "PORT", ROLE_CLIENT, SF_OPT_INET,
     "server port (default: 8001 for welcome, 50007 otherwise)"},
    {"port", 'p', "PORT", ROLE_SERVER, SF_OPT_INET,
     "port to listen on, 0 for any free one (default: 8001 for welcome, 50007 otherwise)"},
    {"bind", 'b', "ADDR", ROLE_SERVER, 0, "address to listen on (default: loopback)"},
    {"type", 't', "TYPE", ROLE_BOTH, SF_OPT_UNIX, "socket type: stream, dgram or seqpacket"},
    {"mode", 'm', "MODE", ROLE_BOTH, 0,
     "welcome, echo, mirror or discard (default: echo); see below"},
    {"count", 'c', "N", ROLE_CLIENT, 0, "send each message N times (default: 1)"},
    {"size", 's', "BYTES", ROLE_CLIENT, 0, "send a generated payload of BYTES instead of MESSAGE"},
    {"warmup", OPT_WARMUP, "N", ROLE_CLIENT, 0,
     "exchange N messages first, not counted in the figures (for measuring)"},
    {"delay", OPT_DELAY, "SEC", ROLE_CLIENT, 0,
     "wait SEC seconds after connecting, before sending (the tutorial waits 2)"},
    {"timeout", 'w', "SEC", ROLE_CLIENT, 0,
     "give up on a connect or a reply after SEC (default: 5)"},
    {"timeout", 'w', "SEC", ROLE_SERVER, SF_OPT_CONN,
     "welcome: wait SEC for the message, then print 'Time Out' (default: 5)"},
    {"send-timeout", OPT_SEND_TIMEOUT, "SEC", ROLE_SERVER, SF_OPT_CONN,
     "drop a client that takes none of a waiting reply for SEC, 0 never (default: 10)"},
    {"retries", OPT_RETRIES, "N", ROLE_CLIENT, SF_OPT_RETRIES,
     "resend a message whose reply is lost, up to N times (default: 0)"},
    {"connect", OPT_CONNECT, NULL, ROLE_CLIENT, SF_OPT_CONNECT,
     "use a connected socket (reports ICMP port unreachable as refused)"},
    {"connect", OPT_CONNECT, NULL, ROLE_CLIENT, SF_OPT_CONNECT_UNIX,
     "dgram: use a connected socket, whose send waits for room in the server's queue\n"
     "                           (poll cannot wait for it on an unconnected one)"},
    {"recv-size", OPT_RECV_SIZE, "BYTES", ROLE_CLIENT, SF_OPT_RECV_SIZE,
     "receive buffer per read (default: 65536)"},
    {"recv-size", OPT_RECV_SIZE, "BYTES", ROLE_SERVER, 0,
     "bytes per read (default: 1024 as in the tutorial; 65536 for mirror and discard)"},
    {"backlog", OPT_BACKLOG, "N", ROLE_SERVER, SF_OPT_CONN,
     "listen() backlog: connections the kernel completes before accept (default: 128)"},
    {"perms", OPT_PERMS, "OCTAL", ROLE_SERVER, SF_OPT_UNIX,
     "permissions of the socket file (default: 0600, owner only)"},
    {"once", OPT_ONCE, NULL, ROLE_SERVER, SF_OPT_CONN, "exit after the first client"},
    {"json", OPT_JSON, NULL, ROLE_CLIENT, 0, "print one JSON summary object instead of text"},
    {"quiet", 'q', NULL, ROLE_BOTH, 0, "print no per-message lines"},
};
#define NOPTS (sizeof(optdefs) / sizeof(optdefs[0]))

static int allowed(const struct optdef *d, int role, unsigned extras)
{
    return (d->roles & role) && (!d->extra || (d->extra & extras));
}

static void print_help(const struct sf_cli_spec *spec, int role)
{
    printf("Usage: %s %s\n%s\n\nOptions:\n", spec->name, spec->usage, spec->summary);
    for (size_t i = 0; i < NOPTS; i++) {
        const struct optdef *d = &optdefs[i];
        char left[40];
        if (!allowed(d, role, spec->extras))
            continue;
        if (d->val < 256)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", d->val, d->name, d->arg ? " " : "",
                     d->arg ? d->arg : "");
        else
            snprintf(left, sizeof(left), "    --%s%s%s", d->name, d->arg ? " " : "",
                     d->arg ? d->arg : "");
        printf("  %-24s %s\n", left, d->help);
    }
    printf("\nModes (the tutorial's two demos, plus two for measuring):\n"
           "  welcome  '1' is answered 'Welcome to server!', anything else 'Please go out!'\n"
           "  echo     each message is answered 'echo=> ' + message\n"
           "  mirror   each message is answered with the same bytes\n"
           "  discard  messages are read and dropped\n"
           "\nExit status: 0 ok, 64 usage, 68 unknown host, 69 peer unavailable (refused,\n"
           "unreachable, timed out, closed early), 71 OS error, 75 temporary failure,\n"
           "77 permission denied.\n");
}

/* Build the getopt tables for this role: only the options it accepts. */
static void build_getopt(const struct sf_cli_spec *spec, int role, struct option *longs,
                         char *shorts)
{
    size_t nl = 0, ns = 0;

    shorts[ns++] = ':';
    for (size_t i = 0; i < NOPTS; i++) {
        const struct optdef *d = &optdefs[i];
        if (!allowed(d, role, spec->extras))
            continue;
        longs[nl++] =
            (struct option){d->name, d->arg ? required_argument : no_argument, NULL, d->val};
        if (d->val < 256) {
            shorts[ns++] = (char)d->val;
            if (d->arg)
                shorts[ns++] = ':';
        }
    }
    longs[nl] = (struct option){NULL, 0, NULL, 0};
    shorts[ns] = '\0';
}

static _Noreturn void bad_option(int c, char **argv)
{
    const char *text = argv[optind - 1];

    if (c == ':')
        sf_cli_usage_error("option '%s' needs a value", text);
    if (optopt && optopt < 256 && strncmp(text, "--", 2) != 0)
        sf_cli_usage_error("unknown option '-%c'", optopt);
    sf_cli_usage_error("unknown option '%s'", text);
}

static uint64_t opt_uint(const char *what, const char *text, uint64_t min, uint64_t max)
{
    struct sf_err err;
    uint64_t v;

    if (sf_parse_u64(&err, what, text, min, max, &v) < 0)
        sf_cli_usage_error("%s", err.msg);
    return v;
}

static int64_t opt_seconds(const char *what, const char *text, int allow_zero)
{
    struct sf_err err;
    int64_t ms;

    if (sf_parse_seconds(&err, what, text, 86400 * 1000, &ms) < 0)
        sf_cli_usage_error("%s", err.msg);
    if (ms == 0 && !allow_zero)
        sf_cli_usage_error("invalid %s '%s' (must be above 0)", what, text);
    return ms;
}

static unsigned opt_octal(const char *what, const char *text)
{
    unsigned v = 0;
    const char *p = text;

    for (; *p >= '0' && *p <= '7' && v <= 0777; p++)
        v = v * 8 + (unsigned)(*p - '0');
    if (!*text || *p || v > 0777)
        sf_cli_usage_error("invalid %s '%s' (expected octal permissions, e.g. 0600)", what, text);
    return v;
}

static enum sf_mode opt_mode(const char *text)
{
    enum sf_mode m;

    if (sf_mode_parse(text, &m) < 0)
        sf_cli_usage_error("invalid --mode '%s' (expected welcome, echo, mirror or discard)", text);
    return m;
}

static int opt_type(const char *text)
{
    if (strcmp(text, "stream") == 0)
        return SOCK_STREAM;
    if (strcmp(text, "dgram") == 0)
        return SOCK_DGRAM;
    if (strcmp(text, "seqpacket") == 0)
        return SOCK_SEQPACKET;
    sf_cli_usage_error("invalid --type '%s' (expected stream, dgram or seqpacket)", text);
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

typedef void (*option_fn)(int c, void *opts, char **argv);

/* The getopt loop both roles share: --help exits 0, anything else goes to fn. */
static void parse_options(int argc, char **argv, const struct sf_cli_spec *spec, int role,
                          option_fn fn, void *opts)
{
    struct option longs[NOPTS + 1];
    char shorts[2 * NOPTS + 2];
    int c;

    build_getopt(spec, role, longs, shorts);
    opterr = 0;
    while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
        if (c == 'h') {
            print_help(spec, role);
            exit(EX_OK);
        }
        fn(c, opts, argv);
    }
}

static void client_option(int c, void *opts, char **argv)
{
    struct sf_client_opts *o = opts;

    if (common_option(c, optarg, &o->family, &o->mode, &o->socktype, &o->quiet))
        return;
    switch (c) {
    case 'p':
        opt_uint("port", optarg, 1, 65535);
        o->port = optarg;
        break;
    case 'c':
        o->count = opt_uint("--count", optarg, 1, 1000000000);
        break;
    case 's':
        o->size = opt_uint("--size", optarg, 1, 64u << 20);
        break;
    case OPT_WARMUP:
        o->warmup = opt_uint("--warmup", optarg, 0, 1000000000);
        break;
    case OPT_DELAY:
        o->delay_ms = opt_seconds("--delay", optarg, 1);
        break;
    case 'w':
        o->timeout_ms = opt_seconds("--timeout", optarg, 0);
        break;
    case OPT_RETRIES:
        o->retries = opt_uint("--retries", optarg, 0, 100);
        break;
    case OPT_CONNECT:
        o->use_connect = 1;
        break;
    case OPT_RECV_SIZE:
        o->recv_size = opt_uint("--recv-size", optarg, 1, 16u << 20);
        break;
    case OPT_JSON:
        o->json = 1;
        break;
    default:
        bad_option(c, argv);
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
    parse_options(argc, argv, spec, ROLE_CLIENT, client_option, o);
    if (optind < argc)
        o->target = argv[optind++];
    if (optind < argc) {
        o->messages = argv + optind;
        o->nmessages = argc - optind;
    }
    if (o->size && o->nmessages)
        sf_cli_usage_error("give MESSAGE or --size, not both");
    if (o->mode == SF_MODE_WELCOME && (o->nmessages > 1 || o->size > 1024))
        sf_cli_usage_error("welcome mode sends one message of at most 1024 bytes");
}

static void server_option(int c, void *opts, char **argv)
{
    struct sf_server_opts *o = opts;

    if (common_option(c, optarg, &o->family, &o->mode, &o->socktype, &o->quiet))
        return;
    switch (c) {
    case 'p':
        opt_uint("port", optarg, 0, 65535);
        o->port = optarg;
        break;
    case 'b':
        o->bind = optarg;
        break;
    case 'w':
        o->timeout_ms = opt_seconds("--timeout", optarg, 0);
        break;
    case OPT_SEND_TIMEOUT:
        o->send_timeout_ms = opt_seconds("--send-timeout", optarg, 1);
        break;
    case OPT_RECV_SIZE:
        o->recv_size = opt_uint("--recv-size", optarg, 1, 16u << 20);
        break;
    case OPT_ONCE:
        o->once = 1;
        break;
    case OPT_BACKLOG:
        o->backlog = (int)opt_uint("--backlog", optarg, 1, 65535);
        break;
    case OPT_PERMS:
        o->perms = opt_octal("--perms", optarg);
        break;
    default:
        bad_option(c, argv);
    }
}

void sf_cli_server_parse(int argc, char **argv, const struct sf_cli_spec *spec,
                         struct sf_server_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mode = SF_MODE_ECHO;
    o->timeout_ms = 5000;
    o->send_timeout_ms = 10000;
    o->socktype = SOCK_STREAM;
    o->backlog = 128;
    o->perms = 0600;
    parse_options(argc, argv, spec, ROLE_SERVER, server_option, o);
    if (optind < argc)
        sf_cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!o->recv_size)
        o->recv_size = o->mode == SF_MODE_MIRROR || o->mode == SF_MODE_DISCARD ? 65536 : 1024;
}

static void parse_addr(const char *text, const char *port_opt, const char *mode_port,
                       int allow_port0, struct sf_addr *addr)
{
    struct sf_err err;

    if (sf_addr_parse(&err, text, port_opt ? port_opt : mode_port, allow_port0, addr) < 0)
        sf_cli_usage_error("%s", err.msg);
    if (addr->kind == SF_ADDR_INET && addr->port_explicit && port_opt)
        sf_cli_usage_error("port given twice: in '%s' and with -p %s", text, port_opt);
}

void sf_cli_client_addr(const struct sf_client_opts *o, const char *default_target,
                        struct sf_addr *addr)
{
    /* -6 alone means the IPv6 loopback: "localhost" need not resolve to ::1
     * (Debian's /etc/hosts may lack it) and would then go to DNS. */
    if (!o->target && o->family == SF_FAMILY_V6 && strcmp(default_target, "localhost") == 0)
        default_target = "::1";
    parse_addr(o->target ? o->target : default_target, o->port, sf_mode_default_port(o->mode), 0,
               addr);
}

void sf_cli_server_addr(const struct sf_server_opts *o, const char *default_bind,
                        struct sf_addr *addr)
{
    const char *loopback = o->family == SF_FAMILY_V6 ? "::1" : "127.0.0.1";

    if (default_bind)
        loopback = default_bind;
    parse_addr(o->bind ? o->bind : loopback, o->port, sf_mode_default_port(o->mode), 1, addr);
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

static void ping_help(void)
{
    printf("Usage: icmp-ping [OPTIONS] HOST\n"
           "Send ICMP (or ICMPv6) echo requests to HOST and report the replies, as iputils ping\n"
           "does. Uses a raw socket when allowed (CAP_NET_RAW), else the ICMP datagram socket.\n"
           "\nOptions:\n"
           "  -4, -6                  use IPv4 or IPv6 only\n"
           "  -c N                    send N requests (default: 4; at most 100000)\n"
           "  -i SEC                  interval between requests (default: 1; 0: the next as soon\n"
           "                          as the reply comes)\n"
           "  -s BYTES                payload size (default: 56)\n"
           "  -W SEC                  how long to wait for each reply (default: 2)\n"
           "  -q                      print only the summary\n"
           "      --json              print one JSON object instead of text\n"
           "  -h, --help              show this help and exit\n"
           "\nExit status: 0 replies came, 1 none did, 64 usage, 68 unknown host,\n"
           "71 OS error, 77 no permission for any ICMP socket.\n");
}

void sf_cli_ping_parse(int argc, char **argv, struct sf_ping_opts *o)
{
    static const struct option longs[] = {{"help", no_argument, NULL, 'h'},
                                          {"json", no_argument, NULL, OPT_JSON},
                                          {NULL, 0, NULL, 0}};
    int c;

    memset(o, 0, sizeof(*o));
    o->count = 4;
    o->interval_ms = 1000;
    o->size = 56;
    o->wait_ms = 2000;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":46c:i:s:W:qh", longs, NULL)) != -1) {
        switch (c) {
        case '4':
        case '6':
            set_family(&o->family, c == '4' ? SF_FAMILY_V4 : SF_FAMILY_V6);
            break;
        case 'c':
            o->count = opt_uint("-c", optarg, 1, 100000);
            break;
        case 'i':
            o->interval_ms = opt_seconds("-i", optarg, 1);
            break;
        case 's':
            /* The largest ICMPv4 echo payload: 65535 - 20 (IP) - 8 (ICMP). */
            o->size = opt_uint("-s", optarg, 0, 65507);
            break;
        case 'W':
            o->wait_ms = opt_seconds("-W", optarg, 0);
            break;
        case 'q':
            o->quiet = 1;
            break;
        case OPT_JSON:
            o->json = 1;
            break;
        case 'h':
            ping_help();
            exit(EX_OK);
        default:
            bad_option(c, argv);
        }
    }
    if (optind >= argc)
        sf_cli_usage_error("missing HOST");
    o->target = argv[optind++];
    if (optind < argc)
        sf_cli_usage_error("unexpected argument '%s'", argv[optind]);
}
