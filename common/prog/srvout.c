/* srvout: what every server prints; see srvout.h. */
#include "srvout.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cli.h"
#include "local.h"

/* Warnings of one kind shown before the rest are only counted (a flood would flood stderr). */
#define WARN_SHOWN 10

/* A warning of a kind that can repeat per datagram or per connection: the first WARN_SHOWN. */
__attribute__((format(printf, 3, 4))) static void warn_limited(unsigned *shown, const char *what,
                                                               const char *fmt, ...)
{
    va_list ap;

    if (*shown > WARN_SHOWN)
        return;
    if (++*shown > WARN_SHOWN) {
        sf_cli_warn("more %s are counted on the last line, not shown", what);
        return;
    }
    va_start(ap, fmt);
    sf_cli_vwarn(fmt, ap);
    va_end(ap);
}

/* The tutorial prints nothing per client in welcome mode, only "Time Out". */
static int quiet(const void *opts)
{
    const struct sf_server_opts *o = opts;
    return o->quiet || o->mode == SF_MODE_WELCOME;
}

void sf_srv_on_connect(void *opts, int fd, const struct sockaddr *peer, socklen_t len)
{
    char who[SF_ADDR_TEXT_MAX];
    pid_t pid;
    uid_t uid;
    gid_t gid;

    if (quiet(opts))
        return;
    sf_sockaddr_pytuple(peer, len, who, sizeof(who));
    /* AF_UNIX adds what no IP socket can: who the peer is, from the kernel. */
    if (peer->sa_family == AF_UNIX && sf_local_peercred(NULL, fd, &pid, &uid, &gid) == 0)
        printf("Server connected by %s (pid %d, uid %u, gid %u)\n", who, (int)pid, (unsigned)uid,
               (unsigned)gid);
    else
        printf("Server connected by %s\n", who);
}

void sf_srv_on_event(void *opts, enum sf_sserv_event ev, const char *peer, int errnum)
{
    const struct sf_server_opts *o = opts;
    static unsigned errors, stalled, idle, refused;

    if (ev == SF_SSERV_TIMEOUT)
        printf("Time Out\n");
    else if (ev == SF_SSERV_CONN_ERROR)
        warn_limited(&errors, "connection errors", "connection from %s: %s", peer,
                     strerror(errnum));
    else if (ev == SF_SSERV_STALLED)
        warn_limited(&stalled, "drops for not reading",
                     "connection from %s dropped: it took none of its reply for %.3g s "
                     "(--send-timeout)",
                     peer, (double)o->send_timeout_ms / 1e3);
    else if (ev == SF_SSERV_IDLE)
        warn_limited(&idle, "idle closes", "connection from %s closed: it sent nothing for %.3g s",
                     peer, (double)o->idle_timeout_ms / 1e3);
    else if (ev == SF_SSERV_REFUSED_FULL || ev == SF_SSERV_REFUSED_PEER)
        warn_limited(&refused, "refused connections", "connection from %s refused: %s", peer,
                     ev == SF_SSERV_REFUSED_FULL ? "--max-conns connections are open"
                                                 : "--max-per-peer from that peer are open");
    else if (ev == SF_SSERV_ACCEPT_PAUSED)
        sf_cli_warn("accept: %s (waiting clients are closed until descriptors free up)",
                    strerror(errnum));
    else if (ev == SF_SSERV_ACCEPT_RESUMED)
        sf_cli_warn("accept: accepting again");
}

void sf_srv_print_conn_counters(const char *program, const struct sf_sserv_counters *n)
{
    fprintf(stderr,
            "%s: clients %llu, replies %llu, timed out %llu, idle %llu, truncated %llu, errors "
            "%llu, dropped for not reading %llu, out of descriptors %llu, closed for lack of "
            "descriptors %llu, refused at --max-conns %llu, refused at --max-per-peer %llu, "
            "largest waiting reply %llu, bytes in %llu, bytes out %llu",
            program, (unsigned long long)n->accepted, (unsigned long long)n->replies,
            (unsigned long long)n->timeouts, (unsigned long long)n->idle,
            (unsigned long long)n->truncated, (unsigned long long)n->errors,
            (unsigned long long)n->stalled, (unsigned long long)n->accept_pauses,
            (unsigned long long)n->refused_nofd, (unsigned long long)n->refused_full,
            (unsigned long long)n->refused_peer, (unsigned long long)n->pending_peak,
            (unsigned long long)n->bytes_in, (unsigned long long)n->bytes_out);
    sf_srv_print_reads(&n->reads);
}

void sf_srv_print_dgram_counters(const char *program, const struct sf_dserv_counters *n)
{
    fprintf(stderr,
            "%s: datagrams %llu, replies %llu, truncated %llu, send errors %llu, bytes in %llu, "
            "bytes out %llu, dropped by the kernel %llu",
            program, (unsigned long long)n->datagrams, (unsigned long long)n->replies,
            (unsigned long long)n->truncated, (unsigned long long)n->send_errors,
            (unsigned long long)n->bytes_in, (unsigned long long)n->bytes_out,
            (unsigned long long)n->kernel_drops);
    /* Only an IP server refuses datagrams (dserv.h): AF_UNIX senders cannot be forged. */
    if (n->inet)
        fprintf(stderr,
                ", not answered: from itself %llu, from a service port %llu, over the rate %llu",
                (unsigned long long)n->from_self, (unsigned long long)n->from_service,
                (unsigned long long)n->over_rate);
    sf_srv_print_reads(&n->reads);
}

void sf_srv_print_reads(const struct sf_reads *r)
{
    fprintf(stderr, "; reads %llu (%llu-%llu bytes)\n", (unsigned long long)r->n,
            (unsigned long long)r->min, (unsigned long long)r->max);
}

void sf_srv_on_refused(void *opts, const char *peer, const char *why)
{
    static unsigned shown;

    (void)opts;
    warn_limited(&shown, "unanswered datagrams", "datagram from %s not answered: %s (an echo loop)",
                 peer, why);
}

void sf_srv_on_truncated(void *opts, const char *peer, size_t len, size_t full)
{
    static unsigned shown;

    (void)opts;
    warn_limited(&shown, "truncated messages",
                 "message from %s truncated: %zu bytes, buffer %zu (the other %zu are lost)", peer,
                 full, len, full - len);
}

void sf_srv_on_datagram(void *opts, const struct sockaddr *from, socklen_t fromlen, size_t len,
                        size_t full)
{
    char who[SF_ADDR_TEXT_MAX];

    if (full > len) {
        sf_sockaddr_format(from, fromlen, who, sizeof(who));
        sf_srv_on_truncated(opts, who, len, full);
    }
    if (quiet(opts))
        return;
    sf_sockaddr_pytuple(from, fromlen, who, sizeof(who));
    printf("Server received from %s\n", who);
}

void sf_srv_on_send_error(void *opts, const char *peer, size_t len, int errnum)
{
    static unsigned shown;

    (void)opts;
    warn_limited(&shown, "unsent replies", "reply of %zu bytes to %s not sent: %s", len, peer,
                 strerror(errnum));
}
