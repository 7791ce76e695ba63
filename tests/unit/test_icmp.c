/* Unit tests for common/icmp: RFC 1071 checksums, building, and parsing hostile packets. */
#include <criterion/criterion.h>
#include <string.h>

#include "icmp.h"

TestSuite(icmp, .timeout = 10);

/* RFC 1071 as written: 16-bit words in network order, one at a time. */
static uint16_t checksum_by_the_book(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (; len > 1; p += 2, len -= 2)
        sum += (uint32_t)(p[0] << 8 | p[1]);
    if (len)
        sum += (uint32_t)(p[0] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Both ways of the sum (vectors the CPU has, the build's baseline) agree with the book at
 * every length and alignment. */
static void agrees_with_the_book(uint16_t (*sum)(const void *, size_t))
{
    static uint8_t buf[70000];
    uint32_t x = 2463534242u;

    for (size_t i = 0; i < sizeof(buf); i++) { /* xorshift: bytes of every value */
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 8; off++) /* every alignment of the 8-byte words */
        for (size_t len = 0; len < 300; len++)
            cr_assert_eq(sum(buf + off, len), checksum_by_the_book(buf + off, len),
                         "offset %zu, length %zu", off, len);
    for (size_t off = 0; off < 32; off++) /* every alignment of the 32-byte blocks */
        cr_assert_eq(sum(buf + off, 4096 + off), checksum_by_the_book(buf + off, 4096 + off),
                     "offset %zu", off);
    for (size_t len = 1000; len <= 65535; len = len * 3 + 7) /* long ones, random bytes */
        cr_assert_eq(sum(buf + 3, len), checksum_by_the_book(buf + 3, len), "%zu", len);
    memset(buf, 0xff, sizeof(buf)); /* the most carries: every word 0xffff */
    cr_assert_eq(sum(buf, 65535), checksum_by_the_book(buf, 65535));
    cr_assert_eq(sum(buf + 1, 65534), checksum_by_the_book(buf + 1, 65534));
    cr_assert_eq(sum(NULL, 0), 0xffff);
}

Test(icmp, checksum_matches_rfc1071_at_every_length_and_offset)
{
    agrees_with_the_book(sf_inet_checksum);
}

Test(icmp, checksum_baseline_matches_rfc1071_at_every_length_and_offset)
{
    agrees_with_the_book(sf_inet_checksum_baseline);
}

/* RFC 1071 section 3's example: the sum of these bytes is ddf2, so the checksum is 220d. */
Test(icmp, checksum_rfc1071_vectors)
{
    const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    const uint8_t odd[] = {0x01, 0x02, 0x03}; /* 0x0102 + 0x0300 = 0x0402 */
    const uint8_t carry[] = {0xff, 0xff, 0xff, 0xff};

    cr_expect_eq(sf_inet_checksum(rfc, sizeof(rfc)), 0x220d);
    cr_expect_eq(sf_inet_checksum(odd, sizeof(odd)), (uint16_t)~0x0402);
    cr_expect_eq(sf_inet_checksum(carry, sizeof(carry)), 0x0000);
    cr_expect_eq(sf_inet_checksum(NULL, 0), 0xffff);
}

/* A built request checks to zero, carries id, seq and the timestamp, and parses back. */
Test(icmp, build_parse_roundtrip_v4_v6)
{
    uint8_t buf[128];
    struct timespec ts = {1700000000, 123456789}, got;
    struct sf_icmp_msg m;

    for (int v6 = 0; v6 < 2; v6++) {
        size_t n = sf_icmp_echo_build(buf, sizeof(buf), v6, 0x1234, 7, &ts, 56);
        cr_assert_eq(n, 64);
        cr_expect_eq(buf[0], v6 ? 128 : 8);
        if (!v6)
            cr_expect_eq(sf_inet_checksum(buf, n), 0, "a valid packet sums to zero");
        cr_expect_eq(sf_icmp_parse(buf, n, v6, 0, &m), SF_ICMP_ECHO_REQUEST);
        sf_icmp_echo_to_reply(buf, n, v6);
        cr_assert_eq(sf_icmp_parse(buf, n, v6, 0, &m), SF_ICMP_ECHO_REPLY, "%s", m.why);
        cr_expect_eq(m.id, 0x1234);
        cr_expect_eq(m.seq, 7);
        cr_expect_eq(m.payload_len, 56);
        cr_assert_eq(sf_icmp_stamp(&m, &got), 0);
        cr_expect(got.tv_sec == ts.tv_sec && got.tv_nsec == ts.tv_nsec);
    }
    cr_expect_eq(sf_icmp_echo_build(buf, 10, 0, 1, 1, &ts, 56), 0, "too small a buffer");
}

/* An IPv4 header (ihl words, options zero) in front of body; the total length. */
static size_t with_ipv4(uint8_t *out, unsigned ihl, const uint8_t *body, size_t len)
{
    memset(out, 0, ihl * 4);
    out[0] = (uint8_t)(0x40 | ihl);
    out[9] = 1;
    memcpy(out + ihl * 4, body, len);
    return ihl * 4 + len;
}

struct parse_case {
    const char *name;
    int v6, with_ip;
    enum sf_icmp_kind kind;
    const char *why; /* MALFORMED */
};

Test(icmp, hostile_input_table)
{
    uint8_t req[64], rep[64], pkt[256], err[256];
    struct timespec ts = {1, 2};
    struct sf_icmp_msg m;
    size_t n = sf_icmp_echo_build(req, sizeof(req), 0, 42, 9, &ts, 56);

    memcpy(rep, req, n);
    sf_icmp_echo_to_reply(rep, n, 0);

    /* well-formed reply behind a plain and an optioned IPv4 header */
    cr_expect_eq(sf_icmp_parse(pkt, with_ipv4(pkt, 5, rep, n), 0, 1, &m), SF_ICMP_ECHO_REPLY);
    cr_expect_eq(sf_icmp_parse(pkt, with_ipv4(pkt, 15, rep, n), 0, 1, &m), SF_ICMP_ECHO_REPLY);
    cr_expect_eq(m.seq, 9);

    /* truncated at every length: never a reply, never a crash */
    size_t full = with_ipv4(pkt, 5, rep, n);
    for (size_t cut = 0; cut < full; cut++)
        cr_expect_neq(sf_icmp_parse(pkt, cut, 0, 1, &m), SF_ICMP_ECHO_REPLY, "cut at %zu", cut);

    struct {
        const char *name;
        size_t len;
        const char *why;
    } bad[] = {
        {"ihl below 5", 0, "IPv4 header length out of bounds"},
        {"ihl beyond data", 0, "IPv4 header length out of bounds"},
        {"version 6 in an IPv4 slot", 0, "not an IPv4 header"},
        {"bad checksum", 0, "bad checksum"},
        {"icmp too short", 0, "shorter than an ICMP header"},
    };
    uint8_t cases[5][256];
    bad[0].len = with_ipv4(cases[0], 5, rep, n);
    cases[0][0] = 0x44;
    bad[1].len = with_ipv4(cases[1], 5, rep, 4);
    cases[1][0] = 0x4f;
    bad[2].len = with_ipv4(cases[2], 5, rep, n);
    cases[2][0] = 0x65;
    bad[3].len = with_ipv4(cases[3], 5, rep, n);
    cases[3][20 + 30] ^= 0xff;
    bad[4].len = with_ipv4(cases[4], 5, rep, 7);
    for (size_t i = 0; i < 5; i++) {
        cr_expect_eq(sf_icmp_parse(cases[i], bad[i].len, 0, 1, &m), SF_ICMP_MALFORMED, "%s",
                     bad[i].name);
        cr_expect(m.why && strcmp(m.why, bad[i].why) == 0, "%s: %s", bad[i].name,
                  m.why ? m.why : "(none)");
    }

    /* wrong type: a timestamp request (13) is OTHER, not a reply */
    uint8_t other[8] = {13, 0, 0, 0, 0, 42, 0, 9};
    uint16_t ck = sf_inet_checksum(other, 8);
    other[2] = (uint8_t)(ck >> 8);
    other[3] = (uint8_t)ck;
    cr_expect_eq(sf_icmp_parse(other, 8, 0, 0, &m), SF_ICMP_OTHER);

    /* a destination unreachable quoting our request: id and seq recovered */
    uint8_t quote[128];
    size_t qlen = with_ipv4(quote, 5, req, SF_ICMP_HDR);
    memset(err, 0, 8);
    err[0] = 3;
    err[1] = 3;
    memcpy(err + 8, quote, qlen);
    ck = sf_inet_checksum(err, 8 + qlen);
    err[2] = (uint8_t)(ck >> 8);
    err[3] = (uint8_t)ck;
    cr_expect_eq(sf_icmp_parse(err, 8 + qlen, 0, 0, &m), SF_ICMP_ERROR);
    cr_expect(m.quoted && m.id == 42 && m.seq == 9);
    cr_expect_eq(m.code, 3);
    /* the same error with its quote cut short: an error, but no id claimed */
    ck = 0;
    err[2] = err[3] = 0;
    ck = sf_inet_checksum(err, 8 + 10);
    err[2] = (uint8_t)(ck >> 8);
    err[3] = (uint8_t)ck;
    cr_expect_eq(sf_icmp_parse(err, 8 + 10, 0, 0, &m), SF_ICMP_ERROR);
    cr_expect_eq(m.quoted, 0);
}

/* ICMPv6: echo reply 129 parsed, errors (1) classified; a short payload has no timestamp. */
Test(icmp, v6_types_and_short_payload)
{
    uint8_t buf[64];
    struct sf_icmp_msg m;
    struct timespec ts;

    size_t n = sf_icmp_echo_build(buf, sizeof(buf), 1, 5, 6, NULL, 4);
    sf_icmp_echo_to_reply(buf, n, 1);
    cr_expect_eq(sf_icmp_parse(buf, n, 1, 0, &m), SF_ICMP_ECHO_REPLY);
    cr_expect_eq(sf_icmp_stamp(&m, &ts), -1);
    buf[0] = 1;
    cr_expect_eq(sf_icmp_parse(buf, n, 1, 0, &m), SF_ICMP_ERROR);
    buf[0] = 135; /* neighbour solicitation */
    cr_expect_eq(sf_icmp_parse(buf, n, 1, 0, &m), SF_ICMP_OTHER);
}

/* Matching: our id and a seq we sent; anything else is somebody else's. */
Test(icmp, reply_matching_table)
{
    struct {
        enum sf_icmp_kind kind;
        int quoted;
        uint16_t id, seq;
        int ours;
    } rows[] = {
        {SF_ICMP_ECHO_REPLY, 0, 42, 1, 1},   {SF_ICMP_ECHO_REPLY, 0, 42, 5, 1},
        {SF_ICMP_ECHO_REPLY, 0, 43, 1, 0},   /* wrong id: another program's ping */
        {SF_ICMP_ECHO_REPLY, 0, 42, 0, 0},   /* seq 0: never sent */
        {SF_ICMP_ECHO_REPLY, 0, 42, 6, 0},   /* not sent yet */
        {SF_ICMP_ERROR, 1, 42, 2, 1},        /* an error quoting our request */
        {SF_ICMP_ERROR, 0, 42, 2, 0},        /* an error with no usable quote */
        {SF_ICMP_ECHO_REQUEST, 0, 42, 1, 0}, /* our own request, seen on loopback */
        {SF_ICMP_MALFORMED, 0, 42, 1, 0},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct sf_icmp_msg m = {
            .kind = rows[i].kind, .quoted = rows[i].quoted, .id = rows[i].id, .seq = rows[i].seq};
        cr_expect_eq(sf_icmp_is_ours(&m, 42, 5), rows[i].ours, "row %zu", i);
    }
}

/* Past 65535 requests the 16-bit seq wraps: 0 is the 65536th, and every seq has been sent. */
Test(icmp, reply_matching_after_the_seq_wraps)
{
    struct sf_icmp_msg m = {.kind = SF_ICMP_ECHO_REPLY, .id = 42, .seq = 0};

    cr_expect_not(sf_icmp_is_ours(&m, 42, 65535));
    cr_expect(sf_icmp_is_ours(&m, 42, 65536));
    m.seq = 65535;
    cr_expect(sf_icmp_is_ours(&m, 42, 65535));
    cr_expect(sf_icmp_is_ours(&m, 42, 200000));
}
