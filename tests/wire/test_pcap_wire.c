/*
 * .pcap files through common/wire: shipped captures decode and draw the
 * same ladder as when they were recorded; what the suite writes, tcpdump
 * and tshark read; malformed captures, at the file level and at the frame
 * level, are reported and never crash.  Needs no privilege, except the
 * live round trip (which skips without it).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "ladder.h"
#include "proc.h"

TestSuite(pcap_wire, .timeout = 60);

#define WAIT_MS 15000

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    static char buf[8192];
    size_t n;

    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void fixture(char *path, size_t cap, const char *name, const char *ext)
{
    snprintf(path, cap, "%s/%s.%s", SF_DATA_DIR, name, ext);
}

/* Each shipped capture: counts as tcpdump saw them, and the ladder drawn when it was made. */
Test(pcap_wire, shipped_captures_decode_and_draw_their_ladder)
{
    const struct {
        const char *name;
        size_t packets, bytes;
    } rows[] = {{"tcp_echo_v4", 10, 721}, {"udp_echo_v4", 4, 228}, {"icmp_ping_v6", 4, 472}};

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char path[512];
        struct sf_err err;
        const struct sf_wire_rec *recs[64];
        fixture(path, sizeof(path), rows[i].name, "pcap");
        struct sf_wire *w = sf_wire_read_file(&err, path);
        cr_assert_not_null(w, "%s", err.msg);
        struct sf_wire_totals t = sf_wire_totals(w);
        cr_expect_eq(sf_wire_dlt(w), DLT_EN10MB);
        cr_expect_eq(t.packets, rows[i].packets, "%s", rows[i].name);
        cr_expect_eq(t.wire_bytes, rows[i].bytes, "%s", rows[i].name);
        cr_expect_eq(t.malformed, 0, "%s", rows[i].name);
        size_t n = sf_ladder_flow(w, 0, recs, 64);
        cr_expect_eq(n, rows[i].packets, "one flow: %s", rows[i].name);
        char *ladder = sf_ladder(&err, recs, n, 0, 0);
        cr_assert_not_null(ladder, "%s", err.msg);
        fixture(path, sizeof(path), rows[i].name, "ladder");
        cr_expect_str_eq(ladder, slurp(path), "%s", rows[i].name);
        free(ladder);
        sf_wire_close(w);
    }
}

/* A capture whose clock goes backwards draws negative times (the review saw 16446743073709 ms). */
Test(pcap_wire, ladder_times_signed_when_the_clock_goes_back)
{
    char path[512];
    struct sf_err err;
    const struct sf_wire_rec *recs[64];

    fixture(path, sizeof(path), "tcp_echo_v4", "pcap");
    struct sf_wire *w = sf_wire_read_file(&err, path), *back = sf_wire_new(DLT_EN10MB, 0);
    cr_assert(w && back);
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        /* Each packet 1.5 ms before the one before it. */
        cr_assert_eq(sf_wire_add(&err, back, 1000000000000ull - i * 1500000, r->data, r->caplen,
                                 r->wire_len),
                     0, "%s", err.msg);
    }
    size_t n = sf_ladder_flow(back, 0, recs, 64);
    char *ladder = sf_ladder(&err, recs, n, 0, 0);
    cr_assert_not_null(ladder, "%s", err.msg);
    cr_expect(strstr(ladder, "   -1.500 ms  "), "%s", ladder);
    cr_expect(strstr(ladder, "  -13.500 ms  "), "%s", ladder);
    cr_expect(!strstr(ladder, "18446"), "a wrapped time: %s", ladder);
    free(ladder);
    sf_wire_close(back);
    sf_wire_close(w);
}

/* Head and tail with the middle elided: the handshake, a marker line, the close. */
Test(pcap_wire, ladder_elides_the_middle)
{
    char path[512];
    struct sf_err err;
    const struct sf_wire_rec *recs[64];

    fixture(path, sizeof(path), "tcp_echo_v4", "pcap");
    struct sf_wire *w = sf_wire_read_file(&err, path);
    cr_assert_not_null(w, "%s", err.msg);
    size_t n = sf_ladder_flow(w, 0, recs, 64);
    char *all = sf_ladder(&err, recs, n, 0, 0), *part = sf_ladder(&err, recs, n, 3, 3);
    cr_assert(all && part);
    const char *full = all, *cut = part;
    /* header and the first 3 lines agree, then the marker, then the last 3 lines. */
    for (int line = 0; line < 4; line++) {
        size_t len = strcspn(full, "\n") + 1;
        cr_expect_eq(strncmp(full, cut, len), 0, "line %d:\n%s", line, part);
        full += len, cut += len;
    }
    cr_expect_eq(strncmp(cut, "              ... 4 more packets ...\n", 37), 0, "%s", part);
    cut += 37;
    for (int line = 0; line < 4; line++)
        full += strcspn(full, "\n") + 1;
    cr_expect_str_eq(cut, full, "the tail:\n%s", part);
    free(all);
    free(part);
    sf_wire_close(w);
}

/* An absolute path to a Debian tool, or NULL. */
static const char *tool(const char *name)
{
    static char path[2][64];
    static int k;
    const char *dirs[] = {"/usr/bin", "/usr/sbin", "/bin", "/sbin"};

    for (size_t i = 0; i < 4; i++) {
        k ^= 1;
        snprintf(path[k], sizeof(path[k]), "%s/%s", dirs[i], name);
        if (access(path[k], X_OK) == 0)
            return path[k];
    }
    return NULL;
}

static int count_lines(const char *s)
{
    int n = 0;

    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/*
 * A live TCP echo, written by us: read back record for record, and read by
 * tcpdump and tshark with the same packet count.
 */
Test(pcap_wire, written_capture_reads_back_and_tcpdump_tshark_agree)
{
    const char *tcpdump = tool("tcpdump"), *tshark = tool("tshark");
    char dir[] = "/tmp/sockfam-pcap-XXXXXX", path[128];
    struct sf_err err;
    struct server s;
    struct proc c;

    if (!tcpdump || !tshark)
        cr_skip_test("tcpdump and tshark are needed (apt-get install tcpdump tshark)");
    struct sf_wire *w = capture_start("lo", "tcp");
    const char *extra[] = {"--once", "-q", NULL};
    cr_assert_eq(server_start(&s, "tcp-server", extra), 0, "%s", s.p.err);
    const char *argv[] = {"tcp-client", "-p", s.portstr, "127.0.0.1", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    cr_assert_eq(proc_wait_exit(&s.p, WAIT_MS), 0, "%s", s.p.err);
    capture_stop(w);

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/echo.pcap", dir);
    cr_assert_eq(sf_wire_write_file(&err, w, path), 0, "%s", err.msg);
    struct sf_wire *back = sf_wire_read_file(&err, path);
    cr_assert_not_null(back, "%s", err.msg);
    cr_assert_eq(sf_wire_count(back), sf_wire_count(w));
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *a = sf_wire_at(w, i), *b = sf_wire_at(back, i);
        cr_expect_eq(a->caplen, b->caplen);
        cr_expect_eq(a->wire_len, b->wire_len);
        cr_expect_eq(memcmp(a->data, b->data, a->caplen), 0, "record %zu differs", i);
        cr_expect_eq(a->ts_ns / 1000, b->ts_ns / 1000, "stamps to the microsecond");
    }
    const char *td[] = {tcpdump, "-n", "-r", path, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, td), 0, "%s", c.err);
    cr_expect_eq(count_lines(c.out), (int)sf_wire_count(w), "%s", c.out);
    cr_expect(strstr(c.out, "Flags [S]") && strstr(c.out, "Flags [F.]"), "%s", c.out);
    const char *ts[] = {tshark, "-n", "-r", path, "-T", "fields", "-e", "tcp.len", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, ts), 0, "%s", c.err);
    cr_expect_eq(count_lines(c.out), (int)sf_wire_count(w), "%s", c.out);
    unlink(path);
    rmdir(dir);
    sf_wire_close(back);
    sf_wire_close(w);
}

/* Hex digits into bytes (spaces ignored). */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;

    for (; hex[0] && hex[1] && n < cap; hex++) {
        unsigned v;
        if (*hex == ' ')
            continue;
        cr_assert_eq(sscanf(hex, "%2x", &v), 1, "bad hex in the table: %s", hex);
        out[n++] = (uint8_t)v;
        hex++;
    }
    return n;
}

#define ETH "000000000000 000000000000 0800 "
#define ETH6 "000000000000 000000000000 86dd "

/* Frames that do not hold together, written to a .pcap and read back: each says why. */
Test(pcap_wire, malformed_frames_table)
{
    const struct {
        int dlt;
        const char *hex, *why;
    } rows[] = {
        {DLT_EN10MB, "00000000 00000000 0800", "truncated Ethernet header"},
        {DLT_EN10MB, "000000000000 000000000000 0806 0001", "not IP"},
        {DLT_EN10MB, ETH "44000014 00000000 40060000 7f000001 7f000001", "IPv4 header length"},
        {DLT_EN10MB, ETH "4500000a 00000000 40060000 7f000001 7f000001", "IPv4 total length"},
        {DLT_EN10MB, ETH "45000028 00000000 40060000 7f000001 7f000001 9c400050 0000",
         "truncated TCP header"},
        {DLT_EN10MB,
         ETH "45000028 00000000 40060000 7f000001 7f000001 9c400050 00000000 00000000 f0020000 "
             "00000000",
         "TCP data offset"},
        {DLT_EN10MB, ETH "4500001c 00000000 40110000 7f000001 7f000001 9c400050 00040000",
         "UDP length below"},
        {DLT_EN10MB, ETH "4500001a 00000000 40010000 7f000001 7f000001 0800 0000 0001",
         "truncated ICMP header"},
        {DLT_EN10MB, ETH "55000014 00000000 40060000 7f000001 7f000001", "not IPv4 or IPv6"},
        {DLT_EN10MB, ETH6 "60000000 0008 3a40 0000", "truncated IPv6 header"},
        {DLT_EN10MB,
         ETH6 "60000000 00080040 00000000 00000000 00000000 00000001 00000000 00000000 00000000 "
              "00000001 3aff0000 00000000",
         "IPv6 extension header past"},
        {147 /* DLT_USER0 */, "4500001c", "unknown link type"},
        {DLT_LINUX_SLL, "0000 0304 0006 000000000000 0000", "truncated SLL header"},
        {DLT_NULL, "0200", "truncated loopback header"},
    };
    char dir[] = "/tmp/sockfam-pcap-XXXXXX", path[128];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bad.pcap", dir);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint8_t frame[256];
        struct sf_err err;
        size_t n = unhex(rows[i].hex, frame, sizeof(frame));
        struct sf_wire *w = sf_wire_new(rows[i].dlt, 0);
        cr_assert_not_null(w);
        cr_assert_eq(sf_wire_add(&err, w, 1, frame, n, n), 0, "%s", err.msg);
        cr_assert_eq(sf_wire_write_file(&err, w, path), 0, "%s", err.msg);
        sf_wire_close(w);
        w = sf_wire_read_file(&err, path);
        cr_assert_not_null(w, "row %zu: %s", i, err.msg);
        cr_assert_eq(sf_wire_count(w), 1);
        const struct sf_wire_rec *r = sf_wire_at(w, 0);
        cr_expect(!r->ok, "row %zu decoded", i);
        cr_expect(r->pkt.why && strstr(r->pkt.why, rows[i].why), "row %zu: '%s', wanted '%s'", i,
                  r->pkt.why ? r->pkt.why : "(none)", rows[i].why);
        cr_expect_eq(sf_wire_totals(w).malformed, 1);
        sf_wire_close(w);
    }
    unlink(path);
    rmdir(dir);
}

/* A file header (libpcap's classic format, little-endian) with snaplen and link type. */
static size_t file_header(uint8_t *b, uint32_t snaplen, uint32_t linktype)
{
    const uint32_t h[6] = {0xa1b2c3d4, 0x00040002, 0, 0, snaplen, linktype};

    memcpy(b, h, sizeof(h));
    return sizeof(h);
}

static size_t record(uint8_t *b, uint32_t caplen, uint32_t len, size_t data_bytes)
{
    const uint32_t h[4] = {1, 0, caplen, len};

    memcpy(b, h, sizeof(h));
    memset(b + sizeof(h), 0, data_bytes);
    return sizeof(h) + data_bytes;
}

/* Files whose own lengths lie: an error naming the file, or the records that are sound. */
Test(pcap_wire, malformed_files_table)
{
    uint8_t b[4][512];
    size_t len[4], at;
    const int ok[4] = {0, 0, 0, 1};
    char dir[] = "/tmp/sockfam-pcap-XXXXXX", path[128];

    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/bad.pcap", dir);
    /* 0: garbage magic; 1: a record claiming 2 GiB; 2: a record cut short; 3: header only. */
    memset(b[0], 0x5a, 64);
    len[0] = 64;
    at = file_header(b[1], 65535, 1);
    len[1] = at + record(b[1] + at, 0x7fffffff, 0x7fffffff, 8);
    at = file_header(b[2], 65535, 1);
    len[2] = at + record(b[2] + at, 100, 100, 40);
    len[3] = file_header(b[3], 65535, 1);
    for (int i = 0; i < 4; i++) {
        struct sf_err err;
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        cr_assert_eq(fwrite(b[i], 1, len[i], f), len[i]);
        fclose(f);
        struct sf_wire *w = sf_wire_read_file(&err, path);
        if (ok[i]) {
            cr_assert_not_null(w, "case %d: %s", i, err.msg);
            cr_expect_eq(sf_wire_count(w), 0);
        } else {
            cr_expect_null(w, "case %d read", i);
            cr_expect(strstr(err.msg, path), "case %d: %s", i, err.msg);
        }
        sf_wire_close(w);
    }
    struct sf_err err;
    cr_expect_null(sf_wire_read_file(&err, "/nonexistent/x.pcap"));
    cr_expect(strstr(err.msg, "/nonexistent/x.pcap"), "%s", err.msg);
    unlink(path);
    rmdir(dir);
}
