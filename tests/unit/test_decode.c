/*
 * Unit tests for common/decode: every link type, IPv4/IPv6, TCP (with its
 * MPTCP option), UDP, ICMP, and hostile frames; and the ladder's name for MPTCP.
 */
#include <criterion/criterion.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "icmp.h"
#include "ladder.h"
#include "wire.h"

TestSuite(decode, .timeout = 20);

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* IPv4 header (with optwords of options) + l4; returns the IP length. */
static size_t ipv4(uint8_t *d, int optwords, uint8_t proto, const uint8_t *l4, size_t l4len)
{
    size_t ihl = 20 + 4 * (size_t)optwords;
    memset(d, 0, ihl);
    d[0] = (uint8_t)(0x40 | (ihl / 4));
    put16(d + 2, (uint16_t)(ihl + l4len));
    d[8] = 64;
    d[9] = proto;
    d[12] = 127, d[15] = 1, d[16] = 127, d[19] = 1;
    if (optwords)
        d[20] = 1; /* NOP options */
    memcpy(d + ihl, l4, l4len);
    return ihl + l4len;
}

/* A TCP SYN with an MSS option and a payload. */
static size_t tcp_syn(uint8_t *t, const char *payload)
{
    size_t n = strlen(payload);
    memset(t, 0, 24);
    put16(t, 40000);
    put16(t + 2, 50007);
    t[4] = 0x11, t[7] = 0x22; /* seq 0x11000022 */
    t[12] = 6 << 4;           /* 24 bytes: one option */
    t[13] = 0x02;             /* SYN */
    put16(t + 14, 65495);
    t[20] = 2, t[21] = 4; /* MSS */
    put16(t + 22, 65483);
    memcpy(t + 24, payload, n);
    return 24 + n;
}

static size_t ether(uint8_t *f, uint16_t type, const uint8_t *ip, size_t len)
{
    memset(f, 0, 14);
    put16(f + 12, type);
    memcpy(f + 14, ip, len);
    return 14 + len;
}

/* TCP over IPv4 over Ethernet (how Linux lo captures): every field as sent. */
Test(decode, ethernet_ipv4_tcp_fields)
{
    uint8_t t[64], ip[128], f[160];
    struct sf_pkt p;
    char flags[32];

    size_t n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, tcp_syn(t, "hi")));
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s", p.why);
    cr_expect_eq(p.ip_version, 4);
    cr_expect_eq(p.l4, SF_L4_TCP);
    cr_expect_eq(p.sport, 40000);
    cr_expect_eq(p.dport, 50007);
    cr_expect_eq(p.seq, 0x11000022u);
    cr_expect_eq(p.mss, 65483);
    cr_expect_eq(p.window, 65495);
    cr_expect_str_eq(sf_tcp_flags(p.flags, flags, sizeof(flags)), "SYN");
    cr_expect_eq(p.payload_len, 2);
    cr_expect_eq(memcmp(p.payload, "hi", 2), 0);
    /* Ethernet padding after the IP packet is not payload */
    memset(f + n, 0xee, 10);
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n + 10, &p), 0);
    cr_expect_eq(p.payload_len, 2);
    /* IPv4 options are skipped */
    n = ether(f, 0x0800, ip, ipv4(ip, 10, 6, t, tcp_syn(t, "hi")));
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s", p.why);
    cr_expect_eq(p.dport, 50007);
}

/* The same IP packet behind every link header libpcap may hand us. */
Test(decode, every_link_type)
{
    uint8_t t[64], ip[128], f[200];
    size_t iplen = ipv4(ip, 0, 6, t, tcp_syn(t, "x"));
    struct {
        int dlt;
        size_t hdr;
        uint8_t head[20];
    } links[] = {
        {DLT_NULL, 4, {2, 0, 0, 0}}, /* AF_INET, little-endian host */
        {DLT_LOOP, 4, {0, 0, 0, 2}}, /* network order */
        {DLT_LINUX_SLL, 16, {[14] = 0x08, [15] = 0x00}},
        {DLT_LINUX_SLL2, 20, {0x08, 0x00}},
        {DLT_RAW, 0, {0}},
        {101, 0, {0}}, /* LINKTYPE_RAW in pcap files */
    };

    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        struct sf_pkt p;
        memcpy(f, links[i].head, links[i].hdr);
        memcpy(f + links[i].hdr, ip, iplen);
        cr_expect_eq(sf_decode(links[i].dlt, f, links[i].hdr + iplen, &p), 0, "dlt %d: %s",
                     links[i].dlt, p.why);
        cr_expect_eq(p.dport, 50007, "dlt %d", links[i].dlt);
    }
}

/* IPv6 with a hop-by-hop header before UDP; ICMPv6 with its pseudo-header checksum. */
Test(decode, ipv6_extension_headers_udp_and_icmp6)
{
    uint8_t ip[128], f[160];
    struct sf_pkt p;

    memset(ip, 0, sizeof(ip));
    ip[0] = 0x60;
    put16(ip + 4, 8 + 8 + 3);
    ip[6] = 0; /* hop-by-hop next */
    ip[7] = 64;
    ip[23] = 1, ip[39] = 1; /* ::1 -> ::1 */
    ip[40] = 17;            /* then UDP */
    ip[41] = 0;             /* 8 bytes */
    put16(ip + 48, 1234);
    put16(ip + 50, 50007);
    put16(ip + 52, 11);
    memcpy(ip + 56, "abc", 3);
    size_t n = ether(f, 0x86dd, ip, 40 + 19);
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s", p.why);
    cr_expect_eq(p.l4, SF_L4_UDP);
    cr_expect_eq(p.payload_len, 3);

    /* an ICMPv6 echo request with a correct checksum, then one with a wrong one */
    uint8_t icmp[16] = {128, 0, 0, 0, 0, 7, 0, 1, 'p', 'i', 'n', 'g'};
    uint8_t pseudo[40 + 12] = {0};
    pseudo[15] = 1, pseudo[31] = 1, pseudo[35] = 12, pseudo[39] = 58;
    memcpy(pseudo + 40, icmp, 12);
    put16(icmp + 2, sf_inet_checksum(pseudo, sizeof(pseudo)));
    memset(ip, 0, 40);
    ip[0] = 0x60;
    put16(ip + 4, 12);
    ip[6] = 58;
    ip[23] = 1, ip[39] = 1;
    memcpy(ip + 40, icmp, 12);
    cr_assert_eq(sf_decode(DLT_RAW, ip, 52, &p), 0, "%s", p.why);
    cr_expect_eq(p.l4, SF_L4_ICMP6);
    cr_expect(p.type == 128 && p.id == 7 && p.icmp_seq == 1);
    cr_expect(p.checksum_ok, "a correct ICMPv6 checksum must verify");
    ip[40 + 9] ^= 1;
    cr_assert_eq(sf_decode(DLT_RAW, ip, 52, &p), 0);
    cr_expect(!p.checksum_ok, "a damaged ICMPv6 message must not verify");
}

/*
 * Fragments: the first piece keeps its ports, a later one has none
 * (ip_proto 0xff); both name their datagram (id) and place (offset, more).
 */
Test(decode, fragments_ipv4_and_ipv6)
{
    static const struct {
        const char *what;
        int v6;
        unsigned off;
        int more, frag, proto;
    } rows[] = {
        {"IPv4 whole", 0, 0, 0, 0, 17},
        {"IPv4 first piece", 0, 0, 1, 1, 17},
        {"IPv4 middle piece", 0, 1480, 1, 2, 0xff},
        {"IPv4 last piece", 0, 2960, 0, 2, 0xff},
        {"IPv6 atomic", 1, 0, 0, 0, 17},
        {"IPv6 first piece", 1, 0, 1, 1, 17},
        {"IPv6 last piece", 1, 2904, 0, 2, 0xff},
    };
    const uint8_t udp[12] = {0x04, 0xd2, 0xc3, 0x57, 0, 12, 0, 0, 'a', 'b', 'c', 'd'};

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t ip[128] = {0};
        struct sf_pkt p;
        size_t n;
        if (!rows[i].v6) {
            n = ipv4(ip, 0, 17, udp, sizeof(udp));
            put16(ip + 4, 0xbeef);
            put16(ip + 6, (uint16_t)((rows[i].more ? 0x2000 : 0) | rows[i].off / 8));
        } else {
            ip[0] = 0x60;
            put16(ip + 4, 8 + sizeof(udp));
            ip[6] = 44, ip[7] = 64, ip[23] = 1, ip[39] = 1;
            ip[40] = 17; /* the Fragment header, then UDP */
            put16(ip + 42, (uint16_t)(rows[i].off | (rows[i].more ? 1 : 0)));
            put16(ip + 44, 0xdead), put16(ip + 46, 0xbeef);
            memcpy(ip + 48, udp, sizeof(udp));
            n = 48 + sizeof(udp);
        }
        cr_assert_eq(sf_decode(DLT_RAW, ip, n, &p), 0, "%s: %s", rows[i].what, p.why);
        cr_expect_eq(p.frag, rows[i].frag, "%s: frag %d", rows[i].what, p.frag);
        cr_expect_eq(p.ip_proto, rows[i].proto, "%s: proto %d", rows[i].what, p.ip_proto);
        if (!rows[i].frag)
            continue;
        cr_expect_eq(p.frag_off, rows[i].off, "%s: offset %u", rows[i].what, p.frag_off);
        cr_expect_eq(p.frag_more, rows[i].more, "%s", rows[i].what);
        cr_expect_eq(p.frag_proto, 17, "%s: the datagram's protocol", rows[i].what);
        cr_expect_eq(p.frag_len, sizeof(udp), "%s: %u bytes carried", rows[i].what, p.frag_len);
        cr_expect_eq(p.frag_id, rows[i].v6 ? 0xdeadbeefu : 0xbeefu, "%s: id %x", rows[i].what,
                     p.frag_id);
        cr_expect(rows[i].frag == 2 || p.sport == 1234, "%s: ports %u", rows[i].what, p.sport);
    }
}

/* ICMP echo over IPv4: checksum verified; a snapped capture is not called bad. */
Test(decode, icmp_checksum_and_snaplen)
{
    uint8_t icmp[64], ip[128];
    struct sf_pkt p;
    size_t n = sf_icmp_echo_build(icmp, sizeof(icmp), 0, 9, 3, NULL, 20);
    size_t len = ipv4(ip, 0, 1, icmp, n);

    cr_assert_eq(sf_decode(DLT_RAW, ip, len, &p), 0);
    cr_expect(p.checksum_ok && p.type == 8 && p.id == 9 && p.icmp_seq == 3);
    cr_assert_eq(sf_decode(DLT_RAW, ip, len - 5, &p), 0);
    cr_expect(!p.checksum_ok);
    cr_expect_eq(p.ip_len, len, "the header's length is kept even when snapped");
}

/* Hostile frames: a table of reasons, then every truncation of every frame kind. */
Test(decode, malformed_table_and_every_truncation)
{
    uint8_t t[64], ip[128], f[160], bad[160];
    struct sf_pkt p;
    size_t n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, tcp_syn(t, "data")));
    struct {
        const char *name;
        int dlt;
        size_t off;  /* byte to change */
        uint8_t val; /* its new value */
        const char *why;
    } rows[] = {
        {"unknown link", 9999, 0, 0, "unknown link type"},
        {"ARP", DLT_EN10MB, 13, 0x06, "not IP"},
        {"IP version 5", DLT_EN10MB, 14, 0x55, "not IPv4 or IPv6"},
        {"IHL 4", DLT_EN10MB, 14, 0x44, "IPv4 header length out of bounds"},
        {"IHL 15 past data", DLT_EN10MB, 14, 0x4f, "IPv4 header length out of bounds"},
        {"total length 10", DLT_EN10MB, 17, 10, "IPv4 total length below its header"},
        {"TCP offset 15", DLT_EN10MB, 14 + 20 + 12, 0xf0, "TCP data offset out of bounds"},
        {"TCP offset 2", DLT_EN10MB, 14 + 20 + 12, 0x20, "TCP data offset out of bounds"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        memcpy(bad, f, n);
        if (rows[i].dlt == DLT_EN10MB && rows[i].off == 17)
            bad[16] = 0;
        bad[rows[i].off] = rows[i].val;
        cr_expect_eq(sf_decode(rows[i].dlt, bad, n, &p), -1, "%s", rows[i].name);
        cr_expect(p.why && strcmp(p.why, rows[i].why) == 0, "%s: %s", rows[i].name,
                  p.why ? p.why : "(none)");
    }
    /* every cut of a frame decodes or is refused, and never claims bytes it lacks */
    for (size_t cut = 0; cut <= n; cut++) {
        if (sf_decode(DLT_EN10MB, f, cut, &p) == 0 && p.payload)
            cr_expect_leq((size_t)(p.payload - f) + p.payload_len, cut, "cut %zu", cut);
    }
    /* a broken TCP option list ends the walk, not the decode */
    memcpy(bad, f, n);
    bad[14 + 20 + 21] = 40; /* MSS option claiming 40 bytes */
    cr_expect_eq(sf_decode(DLT_EN10MB, bad, n, &p), 0);
    cr_expect_eq(p.mss, 0);
}

/* A Linux SYN's options, in Linux's order: MSS, SACK permitted, timestamps, NOP, window scale. */
Test(decode, tcp_syn_options_as_linux_sends_them)
{
    const uint8_t opts[20] = {2, 4, 0xff, 0xd7, 4, 2, 8, 10, 0, 0, 0, 7, 0, 0, 0, 0, 1, 3, 3, 10};
    uint8_t t[64], ip[128], f[160];
    struct sf_pkt p;

    memset(t, 0, 40);
    put16(t, 40000);
    put16(t + 2, 50007);
    t[12] = 10 << 4; /* 40 bytes: 20 of options */
    t[13] = 0x02;
    memcpy(t + 20, opts, sizeof(opts));
    size_t n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, 40));
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s", p.why);
    cr_expect_eq(p.mss, 65495);
    cr_expect_eq(p.sack_ok, 1);
    cr_expect_eq(p.has_ts, 1);
    cr_expect_eq(p.ts_val, 7);
    cr_expect_eq(p.ts_ecr, 0);
    cr_expect_eq(p.wscale, 10);
    cr_expect_eq(p.payload_len, 0);
    /* Without options: no scale (-1), no SACK, no timestamps. */
    t[12] = 5 << 4;
    n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, 20));
    cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s", p.why);
    cr_expect_eq(p.wscale, -1);
    cr_expect_eq(p.sack_ok + p.has_ts + p.mss, 0);
}

/* One TCP option list of a MPTCP case, and what the decoder must make of it. */
struct mptcp_case {
    const char *name;
    uint8_t opts[24]; /* padded with NOPs to a multiple of 4 by the test */
    size_t len;
    unsigned mptcp; /* expected SF_MPTCP_BIT()s */
    int version;    /* expected mptcp_version */
    uint16_t mss;   /* an option after the MPTCP one still read */
    int data_fin;   /* expected mptcp_data_fin */
};

/* The Multipath TCP option (kind 30, RFC 8684): each subtype Linux sends, and broken ones. */
Test(decode, mptcp_option_table)
{
    static const struct mptcp_case rows[] = {
        {"MP_CAPABLE in a SYN (v1, 4 bytes)", {30, 4, 0x01, 0x81}, 4, SF_MPTCP_BIT(0), 1, 0, 0},
        {"MP_CAPABLE in a SYN-ACK (v1, the server's key)",
         {30, 12, 0x01, 0x01, 1, 2, 3, 4, 5, 6, 7, 8},
         12,
         SF_MPTCP_BIT(0),
         1,
         0,
         0},
        {"MP_CAPABLE v0 (RFC 6824)",
         {30, 12, 0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8},
         12,
         SF_MPTCP_BIT(0),
         0,
         0,
         0},
        {"DSS with a DATA_ACK", {30, 8, 0x20, 0x01, 0, 0, 0, 9}, 8, SF_MPTCP_BIT(2), -1, 0, 0},
        {"DSS with DATA_FIN", {30, 4, 0x20, 0x10}, 4, SF_MPTCP_BIT(2), -1, 0, 1},
        {"MP_PRIO (3 bytes)", {30, 3, 0x50, 1}, 4, SF_MPTCP_BIT(5), -1, 0, 0},
        {"MSS after DSS", {30, 4, 0x20, 0x00, 2, 4, 0xff, 0xd7}, 8, SF_MPTCP_BIT(2), -1, 65495, 0},
        {"MP_CAPABLE too short to count", {30, 3, 0x01, 1}, 4, 0, -1, 0, 0},
        {"a length of 2 holds no subtype", {30, 2, 1, 1}, 4, 0, -1, 0, 0},
        {"a length past the options ends the walk", {30, 40, 0x01, 0x81}, 4, 0, -1, 0, 0},
        {"no MPTCP option", {2, 4, 0xff, 0xd7}, 4, 0, -1, 65495, 0},
    };
    uint8_t t[64], ip[128], f[160];

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct mptcp_case *c = &rows[i];
        size_t olen = (c->len + 3) / 4 * 4;
        struct sf_pkt p;
        memset(t, 0, sizeof(t));
        put16(t, 40000);
        put16(t + 2, 50007);
        t[12] = (uint8_t)((20 + olen) / 4 << 4);
        t[13] = 0x02;
        memset(t + 20, 1, olen); /* NOP padding */
        memcpy(t + 20, c->opts, c->len);
        size_t n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, 20 + olen));
        cr_assert_eq(sf_decode(DLT_EN10MB, f, n, &p), 0, "%s: %s", c->name, p.why);
        cr_expect_eq(p.mptcp, c->mptcp, "%s: mptcp %#x", c->name, p.mptcp);
        cr_expect_eq(p.mptcp_version, c->version, "%s: version %d", c->name, p.mptcp_version);
        cr_expect_eq(p.mss, c->mss, "%s: mss %u", c->name, p.mss);
        cr_expect_eq(p.mptcp_data_fin, c->data_fin, "%s: DATA_FIN", c->name);
    }
}

/* The ladder names the MPTCP option as tcpdump does: "mptcp capable v1" on the SYN. */
Test(decode, ladder_names_mptcp_capable)
{
    uint8_t t[64], ip[128], f[160];
    struct sf_wire *w = sf_wire_new(DLT_EN10MB, 256);
    const struct sf_wire_rec *rec[1];

    cr_assert_not_null(w);
    memset(t, 0, sizeof(t));
    put16(t, 40000);
    put16(t + 2, 50007);
    t[12] = 6 << 4; /* 24 bytes: one option */
    t[13] = 0x02;
    memcpy(t + 20, (const uint8_t[]){30, 4, 0x01, 0x81}, 4);
    size_t n = ether(f, 0x0800, ip, ipv4(ip, 0, 6, t, 24));
    cr_assert_eq(sf_wire_add(NULL, w, 0, f, n, n), 0);
    rec[0] = sf_wire_at(w, 0);
    char *text = sf_ladder(NULL, rec, 1, 0, 0);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "---- SYN seq 0 win 0 mptcp capable v1 "), "%s", text);
    free(text);
    sf_wire_close(w);
}

/*
 * A hostile handshake announcing a window scale of 255 is drawn with the
 * shift RFC 7323 allows (14), never shifted past the width of the window.
 */
Test(decode, ladder_window_scale_clamped)
{
    uint8_t syn[96], synack[96], ack[96];
    struct sf_wire *w = sf_wire_new(DLT_RAW, 262144);
    const uint8_t opts[4] = {3, 3, 255, 0}; /* wscale 255, end */
    uint8_t *f[3] = {syn, synack, ack};
    struct sf_err err;

    cr_assert_not_null(w);
    for (int i = 0; i < 3; i++) {
        uint8_t t[24] = {0};
        put16(t, i == 1 ? 80 : 1234), put16(t + 2, i == 1 ? 1234 : 80);
        t[12] = (uint8_t)((i < 2 ? 6 : 5) << 4);
        t[13] = i == 0 ? 0x02 : i == 1 ? 0x12 : 0x10;
        put16(t + 14, 64);
        if (i < 2)
            memcpy(t + 20, opts, 4);
        size_t n = ipv4(f[i], 0, 6, t, i < 2 ? 24 : 20);
        if (i == 1) /* the SYN-ACK goes back: swap the addresses */
            f[i][15] = 1, f[i][19] = 1;
        cr_assert_eq(sf_wire_add(&err, w, (uint64_t)i * 1000, f[i], n, n), 0);
    }
    const struct sf_wire_rec *recs[3] = {sf_wire_at(w, 0), sf_wire_at(w, 1), sf_wire_at(w, 2)};
    char *text = sf_ladder(&err, recs, 3, 0, 0);
    cr_assert_not_null(text);
    cr_expect(strstr(text, "win 1048576"), "64 << 14: %s", text);
    free(text);
    sf_wire_close(w);
}
