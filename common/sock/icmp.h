/*
 * icmp: echo request and reply packets as bytes (RFC 792, RFC 4443), and
 * the internet checksum (RFC 1071).  No sockets here: raw/icmp-ping and
 * raw/icmp-echod build and read packets with these functions, and the
 * tests feed them hostile bytes.
 *
 * A raw IPv4 ICMP socket delivers the IPv4 header in front of the ICMP
 * message; raw ICMPv6 and the unprivileged ICMP datagram sockets deliver
 * the ICMP message alone (with_ip = 0).  Every length is checked against
 * what was received before a byte is read.
 */
#ifndef SF_ICMP_H
#define SF_ICMP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SF_ICMP_HDR 8
#define SF_ICMP_STAMP 16 /* the timestamp at the start of our payloads */

enum sf_icmp_kind {
    SF_ICMP_ECHO_REPLY,   /* type 0 / 129 */
    SF_ICMP_ECHO_REQUEST, /* type 8 / 128 (our own requests, seen on loopback) */
    SF_ICMP_ERROR,        /* destination unreachable, time exceeded, ... */
    SF_ICMP_OTHER,        /* any other ICMP message */
    SF_ICMP_MALFORMED,    /* too short, bad IP header, bad checksum: see why */
};

struct sf_icmp_msg {
    enum sf_icmp_kind kind;
    uint8_t type, code;
    uint16_t id, seq;       /* echo messages; for errors, of the quoted echo request */
    int quoted;             /* errors: an echo request was quoted (id, seq valid) */
    const uint8_t *payload; /* echo messages: the data after the header */
    size_t payload_len;
    const char *why; /* MALFORMED: what was wrong */
};

/* RFC 1071: the one's complement of the one's complement sum, ready to store. */
uint16_t sf_inet_checksum(const void *data, size_t len);
/* The same sum without the vectors the CPU has beyond the build's baseline (AVX2): what
 * sf_inet_checksum computes on a CPU without them, for the tests to check on any CPU. */
uint16_t sf_inet_checksum_baseline(const void *data, size_t len);

/*
 * Build an echo request: id, seq, a timestamp (ts) in the first 16 payload
 * bytes (when payload_len allows), then a fill pattern, and, for IPv4, the
 * checksum (for ICMPv6 the kernel computes it over the pseudo-header).
 * Returns the packet length, or 0 if cap is too small.
 */
size_t sf_icmp_echo_build(void *buf, size_t cap, int v6, uint16_t id, uint16_t seq,
                          const struct timespec *ts, size_t payload_len);

/* Turn a request into its reply in place: type, fresh checksum (IPv4). */
void sf_icmp_echo_to_reply(void *icmp, size_t len, int v6);

/*
 * Read one received packet.  with_ip: an IPv4 header comes first (raw
 * IPv4 sockets).  Returns the kind (also in out->kind); never reads past
 * len.
 */
enum sf_icmp_kind sf_icmp_parse(const void *pkt, size_t len, int v6, int with_ip,
                                struct sf_icmp_msg *out);

/*
 * Is this parsed reply (or error) an answer to one of our requests: our
 * id, and a seq we have sent?  last_seq counts every request sent; the
 * 16-bit seq is (count mod 65536), so once 65536 were sent, every seq
 * (0 included) has been.  A raw socket also receives other programs'
 * replies, which must never be counted as ours.
 */
int sf_icmp_is_ours(const struct sf_icmp_msg *m, uint16_t id, uint64_t last_seq);

/* The timestamp stored in an echo payload; 0 on success, -1 if too short. */
int sf_icmp_stamp(const struct sf_icmp_msg *m, struct timespec *ts);

#endif
