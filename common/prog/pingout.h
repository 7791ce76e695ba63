/*
 * pingout: what icmp-ping prints, in iputils ping's forms, so that the
 * program itself keeps to the protocol (build, send, match, count).  The
 * options that change a line are read here and nowhere else: -q, -D
 * (a "[seconds.micros] " stamp before each line), -f (a '.' for each
 * request and a backspace for each reply instead of the lines), -n (no
 * reverse lookup), -v (ident= on each reply, and the socket's story on
 * stderr) and --json (one object at the end, nothing else on stdout).
 *
 *   PING 127.0.0.1 (127.0.0.1) from 127.0.0.1 lo: 56(84) bytes of data.
 *   [1733130000.123456] 64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.045 ms
 *   From 127.0.0.1 icmp_seq=2 Destination Host Unreachable
 *   no answer yet for icmp_seq=3
 *
 * The counters belong to the program (struct sf_ping_tally); this module
 * only reads them.  Part of sockfam_prog: it prints.
 */
#ifndef SF_PINGOUT_H
#define SF_PINGOUT_H

#include <netdb.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cli.h"
#include "ping.h"
#include "priv.h"
#include "stats.h"

/* What a run counted. */
struct sf_ping_tally {
    uint64_t transmitted, received, duplicates, errors, malformed, ignored, truncated;
    uint64_t different; /* replies (counted above) from another address than the one pinged */
    struct sf_stats rtt_us;
    double ewma_us; /* iputils' moving average: each reply moves it an eighth of the way */
};

/* One reply to one of our requests, as the program matched it. */
struct sf_ping_reply {
    const struct sockaddr_storage *from;
    socklen_t fromlen;
    size_t bytes; /* ICMP header and payload */
    uint16_t seq;
    int ttl; /* -1: unknown */
    double rtt_us;
    int dup, cut, other; /* a duplicate, shorter than the request, from another address */
};

struct sf_pingout {
    const struct sf_ping_opts *o;
    const struct sf_ping *p;
    char host[SF_ADDR_TEXT_MAX];  /* the destination, numeric */
    int names;                    /* show sources as "NAME (ADDRESS)": a named HOST, no -n */
    struct sockaddr_storage last; /* the last source shown, and how (one lookup per source) */
    socklen_t lastlen;
    char text[NI_MAXHOST + SF_ADDR_TEXT_MAX + 4];
};

/* Ready to print the run of o over p (p's destination resolved, its socket open). */
void sf_pingout_init(struct sf_pingout *w, const struct sf_ping_opts *o, const struct sf_ping *p);

/*
 * -v: which socket sf_ping_open_cfg() opened, or why none, on stderr:
 * each socket() tried and its errno, net.ipv4.ping_group_range and the
 * groups it was checked against, and caps, the capabilities held then.
 */
void sf_pingout_story(const struct sf_ping *p, const struct sf_caps *caps);

/* -v: whom sf_priv_drop() made of the process. */
void sf_pingout_became(const struct sf_user *u);

/* "PING HOST (ADDRESS) [from SOURCE IFACE: ]56(84) bytes of data." */
void sf_pingout_header(struct sf_pingout *w);

/* A request went: -f prints its '.'. */
void sf_pingout_sent(struct sf_pingout *w);

/* -O: the last request had no answer when the next went. */
void sf_pingout_outstanding(struct sf_pingout *w, uint16_t seq);

void sf_pingout_reply(struct sf_pingout *w, const struct sf_ping_reply *r);

/* An ICMP error quoting request seq: "From SOURCE icmp_seq=N TEXT". */
void sf_pingout_error(struct sf_pingout *w, const struct sockaddr_storage *from, socklen_t fromlen,
                      uint16_t seq, const char *text);

/* The statistics after the run (or the JSON object), elapsed_ns after the first request. */
void sf_pingout_summary(struct sf_pingout *w, struct sf_ping_tally *t, int64_t elapsed_ns);

#endif
