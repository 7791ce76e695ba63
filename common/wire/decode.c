/* decode: captured frames into packets; see decode.h. */
#include "decode.h"

#include <pcap/dlt.h>
#include <stdio.h>
#include <string.h>

#include "icmp.h"

#define ETH_IPV4 0x0800
#define ETH_IPV6 0x86dd
#define ETH_VLAN 0x8100

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int bad(struct sf_pkt *p, const char *why)
{
    p->why = why;
    return -1;
}

/* The link header: where the IP packet starts, or -1. */
static int link_offset(int dlt, const uint8_t *d, size_t len, struct sf_pkt *p, size_t *off)
{
    uint32_t fam;

    switch (dlt) {
    case DLT_EN10MB:
        if (len < 14)
            return bad(p, "truncated Ethernet header");
        *off = 14;
        if (be16(d + 12) == ETH_VLAN) {
            if (len < 18)
                return bad(p, "truncated VLAN tag");
            *off = 18;
        }
        return be16(d + *off - 2) == ETH_IPV4 || be16(d + *off - 2) == ETH_IPV6 ? 0
                                                                                : bad(p, "not IP");
    case DLT_NULL:
    case DLT_LOOP:
        if (len < 4)
            return bad(p, "truncated loopback header");
        /* DLT_NULL is in the capturing host's order, DLT_LOOP in network order. */
        fam = dlt == DLT_LOOP ? be32(d)
                              : (uint32_t)(d[0] | d[1] << 8 | d[2] << 16 | (uint32_t)d[3] << 24);
        if (dlt == DLT_NULL && fam > 0xffff)
            fam = be32(d);
        *off = 4;
        return fam == 2 || fam == 24 || fam == 28 || fam == 30 || fam == 10 ? 0 : bad(p, "not IP");
    case DLT_LINUX_SLL:
        if (len < 16)
            return bad(p, "truncated SLL header");
        *off = 16;
        return be16(d + 14) == ETH_IPV4 || be16(d + 14) == ETH_IPV6 ? 0 : bad(p, "not IP");
    case DLT_LINUX_SLL2:
        if (len < 20)
            return bad(p, "truncated SLL2 header");
        *off = 20;
        return be16(d) == ETH_IPV4 || be16(d) == ETH_IPV6 ? 0 : bad(p, "not IP");
    case DLT_RAW:
    case 101: /* LINKTYPE_RAW, as written in pcap files */
    case DLT_IPV4:
    case DLT_IPV6:
        *off = 0;
        return 0;
    }
    return bad(p, "unknown link type");
}

/* IPv4: header checked, options skipped; *l4 and *l4len set to what follows. */
static int ipv4(const uint8_t *d, size_t len, struct sf_pkt *p, size_t *l4, size_t *l4len)
{
    size_t ihl, tot;

    if (len < 20)
        return bad(p, "truncated IPv4 header");
    ihl = (size_t)(d[0] & 0x0f) * 4;
    tot = be16(d + 2);
    if (ihl < 20 || ihl > len)
        return bad(p, "IPv4 header length out of bounds");
    if (tot < ihl)
        return bad(p, "IPv4 total length below its header");
    p->ip_len = tot;
    p->ip_proto = d[9];
    memcpy(p->src, d + 12, 4);
    memcpy(p->dst, d + 16, 4);
    *l4 = ihl;
    /* Ethernet pads short frames: the IP length, not the frame, ends the packet. */
    *l4len = (tot < len ? tot : len) - ihl;
    p->frag_off = (unsigned)(be16(d + 6) & 0x1fff) * 8;
    p->frag_more = (be16(d + 6) & 0x2000) != 0;
    if (p->frag_off || p->frag_more) {
        p->frag = p->frag_off ? 2 : 1, p->frag_id = be16(d + 4);
        p->frag_len = (unsigned)(tot - ihl), p->frag_proto = d[9];
        if (p->frag_off) /* a later fragment: no upper-layer header here */
            p->ip_proto = 0xff;
    }
    return 0;
}

static int is_ext_header(uint8_t nh)
{
    return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/* IPv6: the fixed header, then extension headers (at most 8), each bounded. */
static int ipv6(const uint8_t *d, size_t len, struct sf_pkt *p, size_t *l4, size_t *l4len)
{
    size_t at = 40, end;
    uint8_t nh;

    if (len < 40)
        return bad(p, "truncated IPv6 header");
    p->ip_len = 40 + (size_t)be16(d + 4);
    memcpy(p->src, d + 8, 16);
    memcpy(p->dst, d + 24, 16);
    end = p->ip_len < len ? p->ip_len : len;
    nh = d[6];
    for (int i = 0; i < 8 && is_ext_header(nh); i++) {
        size_t hl;
        if (at + 8 > end)
            return bad(p, "truncated IPv6 extension header");
        hl = nh == 44 ? 8 : nh == 51 ? ((size_t)d[at + 1] + 2) * 4 : ((size_t)d[at + 1] + 1) * 8;
        if (nh == 44) {
            p->frag_off = be16(d + at + 2) & 0xfff8;
            p->frag_more = (d[at + 3] & 1) != 0;
            p->frag_id = (uint32_t)be16(d + at + 4) << 16 | be16(d + at + 6);
            p->frag = p->frag_off ? 2 : p->frag_more ? 1 : 0; /* an atomic fragment is whole */
            p->frag_len = p->ip_len > at + 8 ? (unsigned)(p->ip_len - at - 8) : 0;
            p->frag_proto = d[at];
        }
        if (nh == 44 && p->frag_off) {
            p->ip_proto = 0xff; /* a later fragment */
            *l4 = at + 8;
            *l4len = end - *l4;
            return 0;
        }
        nh = d[at];
        at += hl;
        if (at > end)
            return bad(p, "IPv6 extension header past the packet");
    }
    if (is_ext_header(nh))
        return bad(p, "too many IPv6 extension headers");
    p->ip_proto = nh;
    *l4 = at;
    *l4len = end - at;
    return 0;
}

/*
 * MPTCP (kind 30): the subtype is the high nibble of the third byte, and
 * MP_CAPABLE's version the low one.  Every MPTCP option has at least
 * kind, length and subtype (MP_PRIO is 3 bytes); MP_CAPABLE has a byte of
 * flags after them (4 bytes in a SYN), so a shorter one is not counted, and
 * so has DSS, whose flag F is DATA_FIN.
 */
static void mptcp_option(const uint8_t *o, size_t len, struct sf_pkt *p)
{
    unsigned subtype;

    if (len < 3)
        return;
    subtype = o[2] >> 4;
    if (subtype == SF_MPTCP_CAPABLE && len < 4)
        return;
    p->mptcp |= SF_MPTCP_BIT(subtype);
    if (subtype == SF_MPTCP_CAPABLE && p->mptcp_version < 0)
        p->mptcp_version = o[2] & 0x0f;
    if (subtype == SF_MPTCP_DSS && len >= 4 && (o[3] & 0x10)) /* flag F (RFC 8684, 3.3) */
        p->mptcp_data_fin = 1;
}

static void tcp_options(const uint8_t *o, size_t len, struct sf_pkt *p)
{
    for (size_t i = 0; i < len;) {
        if (o[i] == 0)
            return;
        if (o[i] == 1) {
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len)
            return; /* a broken option list ends the walk, not the packet */
        if (o[i] == 2 && o[i + 1] == 4)
            p->mss = be16(o + i + 2);
        else if (o[i] == 3 && o[i + 1] == 3)
            p->wscale = o[i + 2];
        else if (o[i] == 4 && o[i + 1] == 2)
            p->sack_ok = 1;
        else if (o[i] == 8 && o[i + 1] == 10) {
            p->has_ts = 1;
            p->ts_val = be32(o + i + 2);
            p->ts_ecr = be32(o + i + 6);
        } else if (o[i] == 30)
            mptcp_option(o + i, o[i + 1], p);
        i += o[i + 1];
    }
}

static int tcp(const uint8_t *d, size_t len, struct sf_pkt *p)
{
    size_t off;

    if (len < 20)
        return bad(p, "truncated TCP header");
    off = (size_t)(d[12] >> 4) * 4;
    if (off < 20 || off > len)
        return bad(p, "TCP data offset out of bounds");
    p->l4 = SF_L4_TCP;
    p->wscale = -1;
    p->mptcp_version = -1;
    p->sport = be16(d);
    p->dport = be16(d + 2);
    p->seq = be32(d + 4);
    p->ack = be32(d + 8);
    p->flags = d[13];
    p->window = be16(d + 14);
    tcp_options(d + 20, off - 20, p);
    p->payload = d + off;
    p->payload_len = len - off;
    return 0;
}

static int udp(const uint8_t *d, size_t len, struct sf_pkt *p)
{
    size_t ulen;

    if (len < 8)
        return bad(p, "truncated UDP header");
    ulen = be16(d + 4);
    if (ulen < 8)
        return bad(p, "UDP length below its header");
    p->l4 = SF_L4_UDP;
    p->sport = be16(d);
    p->dport = be16(d + 2);
    p->payload = d + 8;
    p->payload_len = (ulen < len ? ulen : len) - 8;
    return 0;
}

/* ICMPv6's checksum covers a pseudo-header: addresses, length, next header (RFC 8200, 8.1). */
static int icmp6_checksum_ok(const struct sf_pkt *p, const uint8_t *d, size_t len)
{
    uint8_t pseudo[40];
    uint32_t sum;

    memcpy(pseudo, p->src, 16);
    memcpy(pseudo + 16, p->dst, 16);
    memset(pseudo + 32, 0, 8);
    pseudo[34] = (uint8_t)(len >> 8);
    pseudo[35] = (uint8_t)len;
    pseudo[39] = 58;
    /* One's complement sums add: the pseudo-header's (even length) plus the message's. */
    sum = (uint16_t)~sf_inet_checksum(pseudo, sizeof(pseudo));
    sum += (uint16_t)~sf_inet_checksum(d, len);
    sum = (sum & 0xffff) + (sum >> 16);
    return sum == 0xffff;
}

static int icmp(const uint8_t *d, size_t len, int v6, int whole, struct sf_pkt *p)
{
    if (len < 8)
        return bad(p, "truncated ICMP header");
    p->l4 = v6 ? SF_L4_ICMP6 : SF_L4_ICMP;
    p->type = d[0];
    p->code = d[1];
    p->id = be16(d + 4);
    p->icmp_seq = be16(d + 6);
    /* Only a whole message can be checked; a snapped one is not "bad". */
    p->checksum_checked = whole;
    p->checksum_ok = whole && (v6 ? icmp6_checksum_ok(p, d, len) : sf_inet_checksum(d, len) == 0);
    p->payload = d + 8;
    p->payload_len = len - 8;
    return 0;
}

int sf_decode(int dlt, const uint8_t *data, size_t caplen, struct sf_pkt *p)
{
    size_t off, l4, l4len;
    int rc;

    memset(p, 0, sizeof(*p));
    p->l4 = SF_L4_OTHER;
    if (link_offset(dlt, data, caplen, p, &off) < 0)
        return -1;
    data += off;
    caplen -= off;
    if (caplen < 1)
        return bad(p, "no IP header");
    p->ip_version = data[0] >> 4;
    if (p->ip_version == 4)
        rc = ipv4(data, caplen, p, &l4, &l4len);
    else if (p->ip_version == 6)
        rc = ipv6(data, caplen, p, &l4, &l4len);
    else
        return bad(p, "not IPv4 or IPv6");
    if (rc < 0)
        return -1;
    data += l4;
    switch (p->ip_proto) {
    case 6:
        return tcp(data, l4len, p);
    case 17:
        return udp(data, l4len, p);
    case 1:
    case 58:
        return icmp(data, l4len, p->ip_proto == 58, !p->frag && l4 + l4len >= p->ip_len, p);
    }
    p->payload = data;
    p->payload_len = l4len;
    return 0;
}

const char *sf_tcp_flags(uint8_t flags, char *buf, size_t cap)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{SF_TCP_SYN, "SYN"},
                 {SF_TCP_FIN, "FIN"},
                 {SF_TCP_RST, "RST"},
                 {SF_TCP_PSH, "PSH"},
                 {SF_TCP_ACK, "ACK"}};
    size_t at = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (flags & names[i].bit)
            at += (size_t)snprintf(buf + at, at < cap ? cap - at : 0, "%s%s", at ? "," : "",
                                   names[i].name);
    if (!buf[0])
        snprintf(buf, cap, "none");
    return buf;
}
