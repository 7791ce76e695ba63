/*
 * decode: captured bytes into what the suite asserts about the wire, for
 * any link type libpcap hands us: Ethernet (Linux lo), DLT_NULL/LOOP (BSD
 * loopback), Linux cooked SLL/SLL2 (the "any" device), raw IP.  Then IPv4
 * (options skipped), IPv6 (extension headers walked, bounded), and TCP
 * (flags, seq/ack, window, MSS, window scale, SACK, timestamps, and the
 * Multipath TCP option of RFC 8684), UDP, ICMP and ICMPv6 (type, code, id,
 * seq, checksum validity).
 *
 * Captures are untrusted input: every length is checked against the bytes
 * captured before it is used, and a packet that does not hold together is
 * reported as malformed with the reason, never read past its end.
 */
#ifndef SF_DECODE_H
#define SF_DECODE_H

#include <stddef.h>
#include <stdint.h>

enum sf_l4 { SF_L4_TCP, SF_L4_UDP, SF_L4_ICMP, SF_L4_ICMP6, SF_L4_OTHER };

#define SF_TCP_FIN 0x01
#define SF_TCP_SYN 0x02
#define SF_TCP_RST 0x04
#define SF_TCP_PSH 0x08
#define SF_TCP_ACK 0x10

/* The subtypes of TCP option 30, MPTCP (RFC 8684, 3.1 and 7), as bits of sf_pkt.mptcp. */
enum sf_mptcp_subtype {
    SF_MPTCP_CAPABLE = 0, /* MP_CAPABLE: in the SYN, SYN-ACK and ACK that open a connection */
    SF_MPTCP_JOIN = 1,    /* MP_JOIN: a further subflow joins the connection */
    SF_MPTCP_DSS = 2,     /* data sequence signal: data mapping, DATA_ACK, DATA_FIN */
    SF_MPTCP_ADD_ADDR = 3,
    SF_MPTCP_REMOVE_ADDR = 4,
    SF_MPTCP_PRIO = 5,
    SF_MPTCP_FAIL = 6,
    SF_MPTCP_FASTCLOSE = 7,
    SF_MPTCP_TCPRST = 8,
};
#define SF_MPTCP_BIT(subtype) (1u << (subtype))

struct sf_pkt {
    const char *why; /* malformed: what was wrong (NULL when sound) */
    int ip_version;  /* 4 or 6 */
    uint8_t src[16], dst[16];
    uint8_t ip_proto; /* the upper-layer protocol number */
    enum sf_l4 l4;
    uint16_t sport, dport;
    uint32_t seq, ack; /* TCP */
    uint8_t flags;     /* TCP */
    uint16_t window;   /* TCP */
    uint16_t mss;      /* TCP option 2, or 0 */
    int wscale;        /* TCP option 3 (window scale shift), or -1 */
    int sack_ok;       /* TCP option 4 (SACK permitted) */
    int has_ts;        /* TCP option 8 (timestamps) */
    uint32_t ts_val, ts_ecr;
    unsigned mptcp;        /* TCP option 30: SF_MPTCP_BIT(subtype) for each one present, or 0 */
    int mptcp_version;     /* MP_CAPABLE's version (1: RFC 8684; 0: RFC 6824), or -1 */
    int mptcp_data_fin;    /* a DSS option with DATA_FIN: the connection's end, not the subflow's */
    uint8_t type, code;    /* ICMP, ICMPv6 */
    uint16_t id, icmp_seq; /* ICMP echo */
    int checksum_ok;       /* ICMP, ICMPv6: the checksum verifies */
    int checksum_checked;  /* ... and it could be checked: the message is whole (not snapped,
                              not the first piece of a fragmented one) */
    const uint8_t *payload; /* L4 payload within the captured bytes */
    size_t payload_len;     /* captured payload bytes */
    size_t ip_len;          /* the IP packet's length as its header states */
    /* A piece of a fragmented datagram (IPv4 MF or offset; IPv6 Fragment header): frag is 1
     * for the first piece (it holds the upper-layer header), 2 for a later one (ip_proto is
     * then 0xff and no port is known); 0 for a whole packet. */
    int frag;
    uint32_t frag_id;   /* IPv4 Identification, or IPv6 Fragment header's */
    unsigned frag_off;  /* this piece's offset in the datagram, in bytes */
    unsigned frag_len;  /* the datagram's bytes this piece carries (as its IP header states) */
    int frag_more;      /* more pieces follow (MF, M) */
    uint8_t frag_proto; /* the datagram's upper-layer protocol (a later piece's too) */
};

/*
 * Decode one captured frame of link type `dlt` (pcap's DLT_ value).
 * Returns 0, or -1 with p->why set (unknown link type, truncated header,
 * inconsistent length...).  Non-IP frames (ARP) are -1 with why "not IP".
 */
int sf_decode(int dlt, const uint8_t *data, size_t caplen, struct sf_pkt *p);

/* "SYN", "SYN,ACK", "FIN,ACK", "PSH,ACK"... into buf. */
const char *sf_tcp_flags(uint8_t flags, char *buf, size_t cap);

#endif
