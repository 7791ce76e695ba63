/*
 * sockfam compare, end to end: every family's row in text and JSON, the
 * JSON consistent with the capture it writes (re-read by the decoder),
 * a run past the old bounds captured whole, a capture that lost packets
 * saying so without failing a family, --pcap opened before the run,
 * written whole or failing with 74, and `--pcap -` for tcpdump, the socket
 * icmp-ping really used, nothing left
 * behind after SIGINT, an unprivileged run that does what it can and
 * names the rest, and sockfam's own --help.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "io.h"
#include "json.h"
#include "netns.h"
#include "proc.h"
#include "wire.h"

TestSuite(compare_wire, .timeout = 90);

#define WAIT_MS 60000

static const char *const names[] = {"tcp",  "udp",  "unix-stream", "unix-dgram", "unix-seqpacket",
                                    "icmp", "mptcp"};

/* The default families: every row of sockfam's table. */
#define NFAM ((int)(sizeof(names) / sizeof(names[0])))

/* Families whose packets are TCP, owned by their server's port (tcp, and mptcp over it). */
static int is_tcp(const char *family)
{
    return strcmp(family, "tcp") == 0 || strcmp(family, "mptcp") == 0;
}

/* Skip unless root: compare then captures in its own namespace. */
static void need_root(void)
{
    if (geteuid() != 0)
        cr_skip_test("sockfam compare captures only as root (here euid %d)", (int)geteuid());
}

static double get_num(const char *json, const char *path)
{
    struct sf_json_val v;

    cr_assert_eq(sf_json_get(json, strlen(json), path, &v), 1, "no %s in %s", path, json);
    cr_assert_eq(v.type, SF_JSON_NUMBER, "%s is not a number", path);
    return v.num;
}

static void get_str(const char *json, const char *path, char *buf, size_t cap)
{
    struct sf_json_val v;

    cr_assert_eq(sf_json_get(json, strlen(json), path, &v), 1, "no %s in %s", path, json);
    cr_assert_eq(v.type, SF_JSON_STRING, "%s is not a string", path);
    sf_json_unescape(&v, buf, cap);
}

/* Packets and bytes of the capture a family owns: by its server port, or ICMP. */
static void count(const struct sf_wire *w, const char *family, int port, unsigned long long *pk,
                  unsigned long long *bytes)
{
    *pk = *bytes = 0;
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        const struct sf_pkt *p = &r->pkt;
        int mine = strcmp(family, "icmp") == 0
                       ? p->l4 == SF_L4_ICMP
                       : (p->l4 == (is_tcp(family) ? SF_L4_TCP : SF_L4_UDP) &&
                          (p->sport == port || p->dport == port));
        if (r->ok && mine)
            (*pk)++, *bytes += r->wire_len;
    }
}

/* Every family's JSON object, each field there, each figure what the capture says. */
Test(compare_wire, json_every_family_consistent_with_its_pcap)
{
    char dir[] = "/tmp/sockfam-cmp-XXXXXX", pcap[128], path[64], buf[256];
    struct proc c;
    struct sf_err err;

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
    const char *argv[] = {"sockfam", "compare", "-c", "5", "--json", "--pcap", pcap, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    cr_assert_eq(sf_json_check(c.out, strlen(c.out), NULL), 0, "%s", c.out);
    struct sf_wire *w = sf_wire_read_file(&err, pcap);
    cr_assert_not_null(w, "%s", err.msg);
    cr_expect_eq(get_num(c.out, "count"), 5);
    cr_expect_eq(get_num(c.out, "other_packets"), 0);
    cr_expect_eq(get_num(c.out, "kernel_drops"), 0);
    get_str(c.out, "capture", buf, sizeof(buf));
    cr_expect_str_eq(buf, "complete");
    cr_expect_eq(get_num(c.out, "capture_lost"), 0);
    unsigned long long total = 0;
    for (int f = 0; f < NFAM; f++) {
        unsigned long long pk, bytes;
        snprintf(path, sizeof(path), "families.%d.family", f);
        get_str(c.out, path, buf, sizeof(buf));
        cr_expect_str_eq(buf, names[f]);
#define FIELD(name) (snprintf(path, sizeof(path), "families.%d." name, f), path)
        get_str(c.out, FIELD("status"), buf, sizeof(buf));
        cr_expect_str_eq(buf, "ok", "%s: %s", names[f], c.out);
        get_str(c.out, FIELD("socket"), buf, sizeof(buf));
        if (strcmp(names[f], "icmp") == 0) /* what icmp-ping says it used, never the guess */
            cr_expect(strcmp(buf, "AF_INET SOCK_RAW IPPROTO_ICMP") == 0 ||
                          strcmp(buf, "AF_INET SOCK_DGRAM IPPROTO_ICMP") == 0,
                      "icmp: %s", buf);
        get_str(c.out, FIELD("setup"), buf, sizeof(buf));
        get_str(c.out, FIELD("delivery"), buf, sizeof(buf));
        cr_expect_eq(get_num(c.out, FIELD("sent")), 5, "%s", names[f]);
        cr_expect_eq(get_num(c.out, FIELD("answered")), 5, "%s", names[f]);
        cr_expect_gt(get_num(c.out, FIELD("payload_bytes")), 0);
        cr_expect_gt(get_num(c.out, FIELD("rtt_us.p50")), 0);
        cr_expect_geq(get_num(c.out, FIELD("rtt_us.p99")), get_num(c.out, FIELD("rtt_us.p50")));
        double packets = get_num(c.out, FIELD("packets")),
               wire = get_num(c.out, FIELD("wire_bytes"));
        cr_expect_float_eq(get_num(c.out, FIELD("overhead")),
                           wire / get_num(c.out, FIELD("payload_bytes")), 1e-3);
        total += (unsigned long long)packets;
        get_str(c.out, FIELD("server"), buf, sizeof(buf));
        if (strncmp(names[f], "unix", 4) == 0) {
            cr_expect_eq(packets, 0, "%s put packets on the wire", names[f]);
            cr_expect_eq(wire, 0);
            continue;
        }
        count(w, names[f], strchr(buf, ':') ? atoi(strrchr(buf, ':') + 1) : 0, &pk, &bytes);
        cr_expect_eq(packets, (double)pk, "%s: JSON %g packets, pcap %llu", names[f], packets, pk);
        cr_expect_eq(wire, (double)bytes, "%s: JSON %g bytes, pcap %llu", names[f], wire, bytes);
        if (!is_tcp(names[f]))
            cr_expect_eq(packets, 10, "%s: one packet per message each way", names[f]);
        else
            cr_expect_eq(get_num(c.out, FIELD("setup_packets")), 3, "%s: one handshake", names[f]);
#undef FIELD
    }
    cr_expect_eq(total, sf_wire_count(w), "every captured packet belongs to a family");
    sf_wire_close(w);
    unlink(pcap);
    rmdir(dir);
}

/* The text table: a row per family with its counts, and ladders from the capture. */
Test(compare_wire, text_table_and_ladders)
{
    struct proc c;

    need_root();
    const char *argv[] = {"sockfam", "compare", "-c", "3", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    cr_expect(strstr(c.out, "wire: captured on lo in a private network namespace"), "%s", c.out);
    for (int f = 0; f < NFAM; f++) {
        char start[32];
        snprintf(start, sizeof(start), "\n%-15s ", names[f]);
        const char *row = strstr(c.out, start);
        cr_assert_not_null(row, "no row for %s:\n%s", names[f], c.out);
        size_t len = strcspn(row + 1, "\n");
        cr_expect_null(memmem(row, len, "FAILED", 6), "%s", c.out);
        cr_expect_not_null(memmem(row, len, "     3      3 ", 14), "%.*s", (int)len, row);
        if (f >= 2 && f <= 4)
            cr_expect_not_null(memmem(row, len, "0 (local)", 9), "%.*s", (int)len, row);
    }
    cr_expect(strstr(c.out, "handshake, 3 pkts"), "%s", c.out);
    cr_expect(strstr(c.out, "they include contention"), "%s", c.out);
    cr_expect(strstr(c.out, "tcp, first exchange:\n"), "%s", c.out);
    cr_expect(strstr(c.out, "---- SYN seq 0"), "%s", c.out);
    cr_expect(strstr(c.out, "<--- SYN,ACK seq 0 ack 1"), "%s", c.out);
    cr_expect(strstr(c.out, "---- UDP len 64"), "%s", c.out);
    cr_expect(strstr(c.out, "---- echo request id "), "%s", c.out);
    cr_expect(strstr(c.out, "(no packets: AF_UNIX never reaches a network interface)"), "%s",
              c.out);
}

/*
 * A run longer than a few thousand packets: the ladder still ends with the
 * close (the flow is followed to the end of the capture), and the count
 * it elides is what the packets cell says less what it draws.
 */
Test(compare_wire, ladder_of_a_long_run_ends_with_its_close)
{
    struct proc c;
    unsigned long long more = 0, packets = 0;

    need_root();
    const char *argv[] = {"sockfam", "compare", "--families", "tcp", "-c", "3000", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    const char *row = strstr(c.out, "\ntcp ");
    cr_assert_not_null(row, "%s", c.out);
    const char *counts = strstr(row, " 3000   3000 "); /* sent, answered, then packets */
    cr_assert_not_null(counts, "%s", row);
    packets = strtoull(counts + 13, NULL, 10);
    const char *elided = strstr(c.out, " more packets ...\n");
    cr_assert_not_null(elided, "%s", c.out);
    while (elided > c.out && elided[-1] != ' ' && elided[-1] != '.')
        elided--;
    more = strtoull(elided, NULL, 10);
    const char *after = strstr(elided, "\n") + 1;
    cr_expect(strstr(after, "FIN,ACK"), "no close after the elided packets:\n%s", after);
    int drawn = 0; /* arrows: lines holding " ms  " */
    for (const char *p = strstr(c.out, "tcp, first exchange:"); p && (p = strstr(p, " ms  ")); p++)
        drawn++;
    cr_expect_eq(more + (unsigned long long)drawn, packets, "%llu elided + %d drawn, %llu packets",
                 more, drawn, packets);
}

/* Wait (inotify, bounded) until the directory holds an entry; its name into buf. */
static int wait_entry(int ino, const char *dir, char *buf, size_t cap, int64_t deadline)
{
    char ev[4096];
    struct pollfd pf = {.fd = ino, .events = POLLIN};

    for (;;) {
        DIR *d = opendir(dir);
        struct dirent *e;
        while (d && (e = readdir(d)))
            if (e->d_name[0] != '.') {
                snprintf(buf, cap, "%s", e->d_name);
                closedir(d);
                return 1;
            }
        if (d)
            closedir(d);
        if (poll(&pf, 1, sf_deadline_poll_ms(deadline)) <= 0)
            return 0;
        if (read(ino, ev, sizeof(ev)) < 0 && errno != EAGAIN)
            return 0;
    }
}

/* Ctrl-C while the servers run: exit 130, every child gone, no socket file, no directory. */
Test(compare_wire, sigint_mid_run_leaves_nothing)
{
    char runtime[] = "/tmp/sockfam-rt-XXXXXX", sub[512], entry[256], kids[4096] = "";
    int64_t deadline = sf_deadline_after_ms(WAIT_MS);
    struct proc c;

    cr_assert_not_null(mkdtemp(runtime));
    /* As root the children run as nobody, so the run's directory goes to $TMPDIR (if safe:
     * root's, writable by root alone), which they can enter; XDG_RUNTIME_DIR is root's 0700. */
    cr_assert_eq(chmod(runtime, geteuid() == 0 ? 0755 : 0700), 0);
    cr_assert_eq(setenv(geteuid() == 0 ? "TMPDIR" : "XDG_RUNTIME_DIR", runtime, 1), 0);
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    cr_assert_geq(ino, 0);
    cr_assert_geq(inotify_add_watch(ino, runtime, IN_CREATE), 0);
    const char *argv[] = {"sockfam", "compare", "--families", "unix-stream,unix-dgram,tcp",
                          "-c",      "100000",  "-q",         NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    /* The run's private directory, then a server's socket file in it: the run is under way. */
    cr_assert(wait_entry(ino, runtime, entry, sizeof(entry), deadline), "no run directory");
    snprintf(sub, sizeof(sub), "%s/%s", runtime, entry);
    cr_assert_geq(inotify_add_watch(ino, sub, IN_CREATE), 0);
    cr_assert(wait_entry(ino, sub, entry, sizeof(entry), deadline), "no socket file");
    snprintf(entry, sizeof(entry), "/proc/%d/task/%d/children", (int)c.pid, (int)c.pid);
    FILE *f = fopen(entry, "r");
    if (f) {
        size_t n = fread(kids, 1, sizeof(kids) - 1, f);
        kids[n] = '\0';
        fclose(f);
    }
    cr_assert_eq(proc_signal_wait(&c, SIGINT, WAIT_MS), 130, "%s", c.err);
    cr_expect(strstr(c.err, "interrupted; every child stopped, socket files removed"), "%s", c.err);
    cr_expect_neq(kids[0], '\0', "no children seen before SIGINT");
    for (char *p = kids; *p;) {
        int pid = (int)strtol(p, &p, 10);
        if (pid > 0)
            cr_expect(kill(pid, 0) < 0 && errno == ESRCH, "child %d still exists", pid);
        while (*p == ' ' || *p == '\n')
            p++;
    }
    cr_expect_eq(access(sub, F_OK), -1, "%s is still there", sub);
    cr_expect_eq(rmdir(runtime), 0, "%s is not empty", runtime);
    close(ino);
}

/* A family's "bounds" object: its figures, and whether it is there (null: not measured). */
struct bounds {
    int measured;
    double burst, reads, smallest, largest;
    char verdict[32];
};

static struct bounds get_bounds(const char *json, int f)
{
    struct bounds b = {0};
    struct sf_json_val v;
    char path[64];

    snprintf(path, sizeof(path), "families.%d.bounds", f);
    cr_assert_eq(sf_json_get(json, strlen(json), path, &v), 1, "no %s in %s", path, json);
    if (v.type == SF_JSON_NULL)
        return b;
    b.measured = 1;
#define BOUND(name) (snprintf(path, sizeof(path), "families.%d.bounds." name, f), path)
    b.burst = get_num(json, BOUND("burst"));
    b.reads = get_num(json, BOUND("reads"));
    b.smallest = get_num(json, BOUND("smallest"));
    b.largest = get_num(json, BOUND("largest"));
    get_str(json, BOUND("verdict"), b.verdict, sizeof(b.verdict));
#undef BOUND
    return b;
}

/*
 * A verdict read from real reads: at least one, adding up to the burst's
 * bytes (every read between the smallest and the largest), and the word
 * the reads call for: kept (as many reads as messages, each the sent
 * size), merged (one larger), split (one smaller), or both.
 */
static void expect_verdict_of_reads(const char *family, const struct bounds *b, double size)
{
    double bytes = b->burst * size;
    const char *want = b->largest > size && b->smallest < size ? "merged and split"
                       : b->largest > size                     ? "merged"
                       : b->smallest < size                    ? "split"
                                                               : "kept";

    cr_expect(b->reads >= 1 && b->smallest * b->reads <= bytes && b->largest * b->reads >= bytes,
              "%s: %g reads of %g-%g bytes for %g", family, b->reads, b->smallest, b->largest,
              bytes);
    cr_expect_str_eq(b->verdict, want, "%s: %g reads of %g-%g bytes", family, b->reads, b->smallest,
                     b->largest);
}

/*
 * The bounds column, measured: after the capture, a burst of 10 messages
 * per family.  The record families (and icmp, answered by icmp-echod)
 * keep every boundary: 10 reads of 64 bytes; the streams' verdict is what
 * their reads say.  The burst is in no other cell: udp's packets stay 2
 * per message, and the capture holds no packet of the bursts' servers.
 */
Test(compare_wire, bounds_measured_by_a_burst_after_the_capture)
{
    char dir[] = "/tmp/sockfam-bounds-XXXXXX", pcap[128], path[64], buf[64];
    struct proc c;
    struct sf_err err;

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
    const char *argv[] = {"sockfam", "compare", "-c", "5", "--json", "--pcap", pcap, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    get_str(c.out, "icmp_responder", buf, sizeof(buf));
    cr_expect_str_eq(buf, "icmp-echod");
    for (int f = 0; f < NFAM; f++) {
        struct bounds b = get_bounds(c.out, f);
        snprintf(path, sizeof(path), "families.%d.status", f);
        get_str(c.out, path, buf, sizeof(buf));
        if (strcmp(buf, "skipped") == 0) { /* mptcp, on a kernel that refuses it */
            cr_expect(!b.measured, "%s: skipped, yet measured", names[f]);
            continue;
        }
        cr_assert(b.measured, "%s: no burst: %s", names[f], c.out);
        cr_expect_eq(b.burst, 10, "%s", names[f]);
        cr_log_info("compare bounds, %s: %g reads (%g-%g bytes): %s", names[f], b.reads, b.smallest,
                    b.largest, b.verdict);
        if (is_tcp(names[f]) || strcmp(names[f], "unix-stream") == 0) {
            expect_verdict_of_reads(names[f], &b, 64);
            continue;
        }
        cr_expect_str_eq(b.verdict, "kept", "%s", names[f]);
        cr_expect(b.reads == 10 && b.smallest == 64 && b.largest == 64, "%s: %g reads of %g-%g",
                  names[f], b.reads, b.smallest, b.largest);
    }
    cr_expect_eq(get_num(c.out, "families.1.packets"), 10, "udp: 2 x 5, no burst among them");
    struct sf_wire *w = sf_wire_read_file(&err, pcap);
    cr_assert_not_null(w, "%s", err.msg);
    get_str(c.out, "families.1.server", buf, sizeof(buf));
    unsigned long long pk, bytes, udp = 0;
    count(w, "udp", atoi(strrchr(buf, ':') + 1), &pk, &bytes);
    for (size_t i = 0; i < sf_wire_count(w); i++)
        udp += sf_wire_at(w, i)->ok && sf_wire_at(w, i)->pkt.l4 == SF_L4_UDP;
    cr_expect_eq(udp, pk, "UDP to another port than the run's server: %llu of %llu", udp - pk, udp);
    sf_wire_close(w);
    unlink(pcap);
    rmdir(dir);
}

/* The table's bounds cells: udp "kept", tcp its verdict with its reads; the footnote says how. */
Test(compare_wire, bounds_cells_in_the_table)
{
    struct proc c;

    need_root();
    const char *argv[] = {"sockfam", "compare", "--families",  "tcp,udp",
                          "-c",      "3",       "--no-ladder", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    cr_expect(
        strstr(c.out, "\nudp             AF_INET SOCK_DGRAM      none                kept   "),
        "%s", c.out);
    const char *tcp =
        strstr(c.out, "\ntcp             AF_INET SOCK_STREAM     handshake, 3 pkts   ");
    cr_assert_not_null(tcp, "%s", c.out);
    tcp += 61;
    cr_expect(strncmp(tcp, "kept ", 5) == 0 || strncmp(tcp, "merged: 10 in ", 14) == 0 ||
                  strncmp(tcp, "split: 10 in ", 13) == 0 ||
                  strncmp(tcp, "merged and split: 10 in ", 24) == 0,
              "%.40s", tcp);
    cr_expect(strstr(c.out, "bounds: a burst of 10 messages sent back to back after the run"), "%s",
              c.out);
}

/* Without privilege: no capture (n/a, null), icmp skipped or run, the rest succeed. */
Test(compare_wire, unprivileged_runs_what_it_can_and_names_the_rest)
{
    struct proc c;
    char buf[512];

    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is needed to drop privilege");
    const char *argv[] = {"sockfam", "compare", "-c", "3", "--json", NULL};
    cr_assert_eq(proc_run_nobody(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    cr_assert_eq(sf_json_check(c.out, strlen(c.out), NULL), 0, "%s", c.out);
    struct sf_json_val v;
    cr_assert_eq(sf_json_get(c.out, strlen(c.out), "captured", &v), 1);
    cr_expect_eq(v.num, 0);
    cr_assert_eq(sf_json_get(c.out, strlen(c.out), "families.0.packets", &v), 1);
    cr_expect_eq(v.type, SF_JSON_NULL, "packets without a capture");
    get_str(c.out, "notes.0", buf, sizeof(buf));
    cr_expect(strstr(buf, "wire: not captured") && strstr(buf, "run as root"), "%s", buf);
    for (int f = 0; f < 5; f++) {
        char path[48];
        snprintf(path, sizeof(path), "families.%d.status", f);
        get_str(c.out, path, buf, sizeof(buf));
        cr_expect_str_eq(buf, "ok", "%s", names[f]);
    }
    get_str(c.out, "families.5.status", buf, sizeof(buf));
    if (strcmp(buf, "skipped") == 0) {
        get_str(c.out, "notes.1", buf, sizeof(buf));
        cr_expect(strstr(buf, "icmp: skipped: ") && strstr(buf, "ping_group_range"), "%s", buf);
    } else {
        cr_expect_str_eq(buf, "ok");
        /* The kernel answered it (no namespace to silence it in): nobody counted the reads. */
        cr_expect(!get_bounds(c.out, 5).measured, "%s", c.out);
        cr_expect(strstr(c.out, "icmp: bounds: n/a: answered by the kernel"), "%s", c.out);
    }
    cr_expect_str_eq(get_bounds(c.out, 1).verdict, "kept", "udp, unprivileged: %s", c.out);
    /* mptcp needs no privilege: it runs, unless this kernel refuses it (the row then says so). */
    get_str(c.out, "families.6.status", buf, sizeof(buf));
    if (strcmp(buf, "skipped") == 0) {
        get_str(c.out, "families.6.why", buf, sizeof(buf));
        cr_expect(strstr(buf, "this kernel refuses MPTCP"), "%s", buf);
    } else {
        cr_expect_str_eq(buf, "ok", "%s", c.out);
    }
}

struct bad_case {
    const char *argv[8];
    int code;
    const char *msg;
};

/* Bad usage: one line naming the problem, exit 64. */
Test(compare_wire, bad_usage_table)
{
    const struct bad_case rows[] = {
        {{"sockfam", NULL}, 64, "a command is needed"},
        {{"sockfam", "frobnicate", NULL}, 64, "unknown command 'frobnicate'"},
        {{"sockfam", "compare", "--families", "tcp,sctp", NULL}, 64, "unknown family 'sctp'"},
        {{"sockfam", "compare", "-c", "0", NULL}, 64, "--count"},
        {{"sockfam", "compare", "-s", "70000", NULL}, 64, "--size"},
        {{"sockfam", "compare", "--mode", "discard", NULL}, 64, "echo or mirror"},
        {{"sockfam", "compare", "--bogus", NULL}, 64, "'--bogus'"},
        {{"sockfam", "compare", "extra", NULL}, 64, "unexpected argument 'extra'"},
    };

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct proc c;
        cr_expect_eq(proc_run(&c, WAIT_MS, rows[i].argv), rows[i].code, "row %zu: %s", i, c.err);
        cr_expect(strstr(c.err, rows[i].msg), "row %zu: %s", i, c.err);
        cr_expect_eq(strchr(c.err, '\n'), c.err + strlen(c.err) - 1, "one line: %s", c.err);
    }
}

/*
 * A family that fails (here: a socket directory whose path is too long for
 * sun_path) is named with its reason and the exit is 1; the others still
 * run, and nothing is left behind.
 */
Test(compare_wire, failed_family_named_others_still_run)
{
    char base[] = "/tmp/sockfam-long-XXXXXX", deep[512];
    struct proc c;

    cr_assert_not_null(mkdtemp(base));
    cr_assert_eq(chmod(base, geteuid() == 0 ? 0755 : 0700), 0);
    snprintf(deep, sizeof(deep), "%s/%0100d", base, 0);
    cr_assert_eq(mkdir(deep, geteuid() == 0 ? 0755 : 0700), 0);
    /* Root's children run as nobody: the run's directory goes to a safe $TMPDIR (see above). */
    cr_assert_eq(setenv(geteuid() == 0 ? "TMPDIR" : "XDG_RUNTIME_DIR", deep, 1), 0);
    const char *argv[] = {"sockfam", "compare", "--families",  "tcp,unix-stream",
                          "-c",      "2",       "--no-ladder", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 1, "%s\n%s", c.out, c.err);
    cr_expect(strstr(c.err, "sockfam: compare: unix-stream failed: unix-server exited "), "%s",
              c.err);
    cr_expect(strstr(c.err, "too long"), "%s", c.err);
    cr_expect_null(strstr(c.err, "tcp failed"), "%s", c.err);
    cr_expect(strstr(c.out, "FAILED"), "%s", c.out);
    cr_expect_null(strstr(c.err, "clients done"), "a progress line without a terminal: %s", c.err);
    cr_expect_eq(rmdir(deep), 0, "the run left something in %s", deep);
    rmdir(base);
}

/*
 * The run of tens of thousands of messages starts as `nice -n 15 sockfam
 * ...`: it keeps a CPU busy for seconds, and the suite's timing tests
 * that run beside it (idle timeouts of 0.4 s) must not starve.  The
 * capture's reader thread sets its own priority, so it is not slowed.
 */
#define NICE "/usr/bin/nice"
#define NICE_BY "-n"

/* Every family's status in compare's JSON is "ok", with count messages answered. */
static void all_ok(const char *json, int n, double count)
{
    char path[64], buf[256];

    for (int f = 0; f < n; f++) {
        snprintf(path, sizeof(path), "families.%d.status", f);
        get_str(json, path, buf, sizeof(buf));
        cr_expect_str_eq(buf, "ok", "family %d: %s", f, json);
        snprintf(path, sizeof(path), "families.%d.answered", f);
        cr_expect_eq(get_num(json, path), count, "family %d", f);
    }
}

/*
 * udp alone, 51000 messages: 102000 frames, past the 100000 the capture
 * used to hold (every family at -c 30000 puts 240000 on lo), kept whole
 * with none lost to the kernel's ring; and faster than 10000 round trips a
 * second, udp-server's default limit per source, which compare's server
 * does not have (throttled, a reply went missing and the client failed
 * after its 5 s deadline).  One pair only, niced: the suite's timing tests
 * run beside it.
 */
Test(compare_wire, udp_51000_captured_whole_not_throttled)
{
    struct proc c;
    char buf[64];

    need_root();
    const char *argv[] = {NICE,      NICE_BY,      "15",          proc_bin("sockfam"),
                          "compare", "--families", "udp",         "-c",
                          "51000",   "--json",     "--no-ladder", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    get_str(c.out, "capture", buf, sizeof(buf));
    cr_expect_str_eq(buf, "complete", "%s", c.out);
    cr_expect_eq(get_num(c.out, "capture_lost"), 0);
    all_ok(c.out, 1, 51000);
    cr_expect_eq(get_num(c.out, "families.0.packets"), 102000, "one frame per message each way");
}

/* compare -s 20000 --pcap: frames of 20042 bytes and more, each captured whole. */
Test(compare_wire, pcap_holds_large_frames_whole)
{
    char dir[] = "/tmp/sockfam-cmp-XXXXXX", pcap[128];
    struct sf_err err;
    struct proc c;
    size_t big = 0;

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
    const char *argv[] = {"sockfam", "compare", "--families", "tcp,udp", "-c", "2",
                          "-s",      "20000",   "-q",         "--pcap",  pcap, NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    struct sf_wire *w = sf_wire_read_file(&err, pcap);
    cr_assert_not_null(w, "%s", err.msg);
    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        cr_expect_eq(r->caplen, r->wire_len, "frame %zu: %u of %u bytes", i, r->caplen,
                     r->wire_len);
        big += r->wire_len >= 20042;
    }
    cr_expect_geq(big, 8, "each message and reply of 20000 bytes or more: %zu", big);
    sf_wire_close(w);
    unlink(pcap);
    rmdir(dir);
}

/* Send n datagrams of size bytes from a socket in the network namespace of pid, to port 9. */
static void flood_in_netns(pid_t pid, int n, size_t size)
{
    char path[64];
    struct sockaddr_in to = {
        .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    char *buf = calloc(1, size);

    snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    cr_assert_geq(ns, 0, "%s: %s", path, strerror(errno));
    cr_assert_eq(setns(ns, CLONE_NEWNET), 0, "setns: %s", strerror(errno));
    close(ns);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    cr_assert_geq(fd, 0);
    for (int i = 0; i < n; i++)
        cr_assert_eq(sendto(fd, buf, size, 0, (struct sockaddr *)&to, sizeof(to)), (ssize_t)size,
                     "%s", strerror(errno));
    close(fd);
    free(buf);
}

/*
 * Run compare (argv) so that its capture loses packets: it is stopped
 * (SIGSTOP: its reader thread too) once the capture runs, and 60 MB of
 * datagrams go through its lo meanwhile, more than its 32 MiB ring holds.
 * Its exit status; its output in c.
 */
static int run_losing_packets(struct proc *c, const char *const argv[])
{
    char runtime[] = "/tmp/sockfam-rt-XXXXXX", entry[256];
    int64_t deadline = sf_deadline_after_ms(WAIT_MS);
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), rc;

    cr_assert_not_null(mkdtemp(runtime));
    /* As root the children run as nobody: the run's directory goes to a safe $TMPDIR. */
    cr_assert_eq(chmod(runtime, geteuid() == 0 ? 0755 : 0700), 0);
    cr_assert_eq(setenv(geteuid() == 0 ? "TMPDIR" : "XDG_RUNTIME_DIR", runtime, 1), 0);
    cr_assert_geq(ino, 0);
    cr_assert_geq(inotify_add_watch(ino, runtime, IN_CREATE), 0);
    cr_assert_eq(proc_start(c, argv), 0);
    /* The private directory is made after the capture starts, before any server. */
    cr_assert(wait_entry(ino, runtime, entry, sizeof(entry), deadline), "no run directory");
    cr_assert_eq(kill(c->pid, SIGSTOP), 0);
    flood_in_netns(c->pid, 1000, 60000);
    cr_assert_eq(kill(c->pid, SIGCONT), 0);
    rc = proc_wait_exit(c, WAIT_MS);
    cr_expect_eq(rmdir(runtime), 0, "%s is not empty", runtime);
    close(ino);
    return rc;
}

/*
 * A capture that lost packets while every family succeeded: the exit is
 * 75, not 1; the message says the capture is incomplete and names no
 * family as failed; the wire cells show what was kept as ">=N" and the
 * notes say why.  The JSON says "capture": "incomplete" with the count,
 * and leaves the wire figures null.
 */
Test(compare_wire, lost_packets_say_so_without_failing_a_family)
{
    struct proc c;
    char buf[64];

    need_root();
    const char *text[] = {"sockfam", "compare", "--families",  "udp,unix-stream",
                          "-c",      "3000",    "--no-ladder", NULL};
    cr_assert_eq(run_losing_packets(&c, text), 75, "%s\n%s", c.out, c.err);
    cr_expect(strstr(c.err, "the capture is incomplete (") &&
                  strstr(c.err, "every family's own result stands"),
              "%s", c.err);
    cr_expect_null(strstr(c.err, "failed"), "%s", c.err);
    cr_expect_null(strstr(c.out, "FAILED"), "%s", c.out);
    cr_expect(strstr(c.out, "private network namespace, incomplete (see the notes)"), "%s", c.out);
    const char *row = strstr(c.out, "\nudp ");
    cr_assert_not_null(row, "%s", c.out);
    size_t len = strcspn(row + 1, "\n");
    const char *counts = memmem(row, len, "  3000   3000 ", 14);
    cr_assert_not_null(counts, "%.*s", (int)len, row);
    int mine = 0; /* packets, wire B, overhead: each at least what was kept */
    for (const char *p = counts; (p = memmem(p, (size_t)(row + len - p), " >=", 3)); p += 3)
        mine++;
    cr_expect_eq(mine, 3, "%.*s", (int)len, row);
    cr_expect(strstr(c.out, "unix-stream") && strstr(c.out, "0 (local)"), "%s", c.out);
    /*
     * Lost in the kernel's ring, or past the capture's own bounds when the
     * reader empties the ring faster than the flood fills it: which one comes
     * first depends on the machine's load (both seen); either is said, with
     * what to do, and neither fails a family.
     */
    cr_expect(strstr(c.out, "packets lost") &&
                  (strstr(c.out, "dropped by the kernel") || strstr(c.out, "past the capture")),
              "%s", c.out);
    cr_expect(strstr(c.out, "wire: the kernel's 32 MiB ring filled faster than it was read") ||
                  strstr(c.out, "wire: the capture holds "),
              "%s", c.out);

    const char *json[] = {"sockfam", "compare", "--families", "udp", "-c", "3000", "--json", NULL};
    cr_assert_eq(run_losing_packets(&c, json), 75, "%s\n%s", c.out, c.err);
    get_str(c.out, "capture", buf, sizeof(buf));
    cr_expect_str_eq(buf, "incomplete", "%s", c.out);
    cr_expect_gt(get_num(c.out, "capture_lost"), 0, "%s", c.out);
    /* In the kernel's ring, or past the capture's own bounds (as above): the notes say which. */
    if (get_num(c.out, "kernel_drops") == 0)
        cr_expect(strstr(c.out, "past the capture's bounds"), "%s", c.out);
    all_ok(c.out, 1, 3000);
    struct sf_json_val v;
    cr_assert_eq(sf_json_get(c.out, strlen(c.out), "families.0.packets", &v), 1);
    cr_expect_eq(v.type, SF_JSON_NULL, "a figure from an incomplete capture: %s", c.out);
}

/* A --pcap path that cannot be created fails at once: exit 73, one line, no run, no table. */
Test(compare_wire, pcap_bad_path_fails_before_the_run)
{
    char dir[] = "/tmp/sockfam-cmp-XXXXXX", missing[160];

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(missing, sizeof(missing), "%s/no/such/dir/run.pcap", dir);
    const char *const paths[] = {missing, dir}; /* ENOENT; a directory, EISDIR */
    for (size_t i = 0; i < 2; i++) {
        struct proc c;
        const char *argv[] = {"sockfam", "compare", "-c", "100000", "--pcap", paths[i], NULL};
        int64_t t0 = sf_now_ns();
        cr_expect_eq(proc_run(&c, WAIT_MS, argv), 73, "%s: %s", paths[i], c.err);
        cr_expect(strstr(c.err, "sockfam: compare: --pcap(") && strstr(c.err, paths[i]), "%s",
                  c.err);
        cr_expect_eq(strchr(c.err, '\n'), c.err + strlen(c.err) - 1, "one line: %s", c.err);
        cr_expect_eq(c.out_len, 0, "a table: %s", c.out);
        cr_expect_lt(sf_now_ns() - t0, 2000000000ll, "-c 100000 ran before the path was tried");
    }
    cr_expect_eq(rmdir(dir), 0, "something was left in %s", dir);
}

/* A --pcap file that exists is replaced whole by the capture, not written over in part. */
Test(compare_wire, pcap_existing_file_replaced_whole)
{
    char dir[] = "/tmp/sockfam-cmp-XXXXXX", pcap[128], junk[65536];
    struct sf_err err;
    struct proc c;

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
    memset(junk, 'x', sizeof(junk));
    FILE *f = fopen(pcap, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < 16; i++) /* 1 MiB: more than the capture */
        cr_assert_eq(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
    cr_assert_eq(fclose(f), 0);
    const char *argv[] = {"sockfam", "compare", "--families", "udp", "-c",
                          "2",       "-q",      "--pcap",     pcap,  NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    struct sf_wire *w = sf_wire_read_file(&err, pcap);
    cr_assert_not_null(w, "%s", err.msg);
    cr_expect_eq(sf_wire_count(w), 4, "two messages, two replies");
    sf_wire_close(w);
    unlink(pcap);
    rmdir(dir);
}

/* A capture that cannot be written (a full disk): 74, the reason, the table still printed. */
Test(compare_wire, pcap_write_failure_exits_74)
{
    struct proc c;

    need_root();
    const char *argv[] = {"sockfam", "compare", "--families", "udp",       "-c",
                          "2",       "-q",      "--pcap",     "/dev/full", NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 74, "%s", c.err);
    cr_expect(strstr(c.err, "write capture(/dev/full): No space left on device"), "%s", c.err);
    cr_expect(strstr(c.out, "\nudp "), "the families' results stand: %s", c.out);
    cr_expect_null(strstr(c.err, "udp failed"), "%s", c.err);
}

/* Ctrl-C during a run with --pcap: no capture is written, and the file it created is removed. */
Test(compare_wire, sigint_removes_the_pcap_file_it_created)
{
    char dir[] = "/tmp/sockfam-cmp-XXXXXX", pcap[128], entry[256];
    int64_t deadline = sf_deadline_after_ms(WAIT_MS);
    struct proc c;

    need_root();
    cr_assert_not_null(mkdtemp(dir));
    snprintf(pcap, sizeof(pcap), "%s/run.pcap", dir);
    int ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    cr_assert_geq(ino, 0);
    cr_assert_geq(inotify_add_watch(ino, dir, IN_CREATE), 0);
    const char *argv[] = {"sockfam", "compare", "--families", "tcp", "-c",
                          "100000",  "-q",      "--pcap",     pcap,  NULL};
    cr_assert_eq(proc_start(&c, argv), 0);
    cr_assert(wait_entry(ino, dir, entry, sizeof(entry), deadline), "no %s", pcap);
    cr_assert_eq(proc_signal_wait(&c, SIGINT, WAIT_MS), 130, "%s", c.err);
    cr_expect_eq(access(pcap, F_OK), -1, "%s is still there", pcap);
    cr_expect_eq(rmdir(dir), 0);
    close(ino);
}

/* The pipeline: the capture on stdout for tcpdump, the table on stderr. */
Test(compare_wire, pcap_dash_pipes_into_tcpdump_table_on_stderr)
{
    struct proc c;

    need_root();
    if (access("/usr/bin/tcpdump", X_OK) != 0)
        cr_skip_test("tcpdump is needed (apt-get install tcpdump)");
    const char *argv[] = {"/bin/bash", "-c",
                          "set -o pipefail; \"$0\" compare --families udp,unix-dgram -c 3 --pcap - "
                          "| /usr/bin/tcpdump -nr -",
                          proc_bin("sockfam"), NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    int udp = 0;
    for (const char *p = c.out; (p = strstr(p, "UDP, length 64")); p++)
        udp++;
    cr_expect_eq(udp, 3, "three 64-byte messages (and three replies of 71): %s", c.out);
    cr_expect(strstr(c.out, "UDP, length 71"), "%s", c.out);
    cr_expect_null(strstr(c.out, "sockfam compare:"), "the table in the capture: %s", c.out);
    cr_expect(strstr(c.err, "sockfam compare: 3 messages") && strstr(c.err, "\nunix-dgram "), "%s",
              c.err);
    cr_expect(strstr(c.err, "reading from file -"), "tcpdump read the capture: %s", c.err);
}

/* The same with --json: the object on stderr, the capture (starting with its magic) on stdout. */
Test(compare_wire, pcap_dash_json_on_stderr)
{
    struct proc c;

    need_root();
    const char *argv[] = {"sockfam", "compare", "--families", "udp", "-c",
                          "2",       "--json",  "--pcap",     "-",   NULL};
    cr_assert_eq(proc_run(&c, WAIT_MS, argv), 0, "%s", c.err);
    const uint8_t magic[] = {0xd4, 0xc3, 0xb2, 0xa1}; /* classic .pcap, little-endian */
    cr_assert_geq(c.out_len, 24 + 4 * (16 + 42));
    cr_expect_eq(memcmp(c.out, magic, 4), 0, "stdout is no capture");
    const char *json = strstr(c.err, "{\"program\":\"sockfam compare\"");
    cr_assert_not_null(json, "%s", c.err);
    cr_expect_eq(sf_json_check(json, strcspn(json, "\n"), NULL), 0, "%s", json);
}

/* `--pcap -` with a terminal on stdout: a usage error rather than binary on the screen. */
Test(compare_wire, pcap_dash_to_a_terminal_is_a_usage_error)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), errp[2];
    char err[512] = "";

    cr_assert_geq(master, 0);
    cr_assert_eq(grantpt(master), 0);
    cr_assert_eq(unlockpt(master), 0);
    cr_assert_eq(pipe2(errp, O_CLOEXEC), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
        if (tty < 0 || dup2(tty, STDOUT_FILENO) < 0 || dup2(errp[1], STDERR_FILENO) < 0)
            _exit(127);
        execl(proc_bin("sockfam"), "sockfam", "compare", "--pcap", "-", (char *)NULL);
        _exit(127);
    }
    close(errp[1]);
    struct pollfd pf = {.fd = errp[0], .events = POLLIN};
    size_t n = 0;
    for (ssize_t k = 1; k > 0 && n < sizeof(err) - 1 && poll(&pf, 1, WAIT_MS) > 0;)
        if ((k = read(errp[0], err + n, sizeof(err) - 1 - n)) > 0)
            n += (size_t)k;
    int status = 0;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 64, "status %d: %s", status, err);
    cr_expect(strstr(err, "--pcap -: standard output is a terminal"), "%s", err);
    close(errp[0]);
    close(master);
}

/*
 * Where icmp-ping may not open a raw socket (no CAP_NET_RAW) but
 * net.ipv4.ping_group_range lets it open the ICMP datagram socket (here
 * in this test's own namespace, for everyone), the icmp row names the
 * socket it used, not SOCK_RAW.
 */
Test(compare_wire, icmp_row_names_the_datagram_socket_it_used)
{
    struct sf_err err;
    struct proc c;
    char buf[128];

    need_root();
    if (access("/usr/bin/setpriv", X_OK) != 0)
        cr_skip_test("setpriv (util-linux) is needed to drop privilege");
    private_netns();
    cr_assert_eq(sf_sysctl_write(&err, "/proc/sys/net/ipv4/ping_group_range", "0 2147483647"), 0,
                 "%s", err.msg);
    const char *argv[] = {"sockfam", "compare", "--families", "icmp", "-c", "3", "--json", NULL};
    cr_assert_eq(proc_run_nobody(&c, WAIT_MS, argv), 0, "%s\n%s", c.out, c.err);
    get_str(c.out, "families.0.status", buf, sizeof(buf));
    cr_expect_str_eq(buf, "ok", "%s", c.out);
    get_str(c.out, "families.0.socket", buf, sizeof(buf));
    cr_expect_str_eq(buf, "AF_INET SOCK_DGRAM IPPROTO_ICMP", "%s", c.out);
    cr_expect_eq(get_num(c.out, "families.0.answered"), 3);
}

/* sockfam --help, -h and help list the commands; help CMD is that command's help. */
Test(compare_wire, help_lists_commands_help_cmd_is_its_help)
{
    static const struct {
        const char *argv[4];
        const char *first, *also;
    } rows[] = {
        {{"sockfam", "--help", NULL}, "Usage: sockfam COMMAND [OPTIONS]", "\n  bench    "},
        {{"sockfam", "-h", NULL}, "Usage: sockfam COMMAND [OPTIONS]", "\n  compare  "},
        {{"sockfam", "help", NULL}, "Usage: sockfam COMMAND [OPTIONS]", "sockfam help COMMAND"},
        {{"sockfam", "help", "compare", NULL}, "Usage: sockfam compare [OPTIONS]", "--pcap FILE"},
        {{"sockfam", "help", "bench", NULL}, "Usage: sockfam bench [OPTIONS]", "--placement P"},
        {{"sockfam", "compare", "--help", NULL}, "Usage: sockfam compare [OPTIONS]", "--families"},
    };
    struct proc c;

    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        cr_expect_eq(proc_run(&c, WAIT_MS, rows[i].argv), 0, "row %zu: %s", i, c.err);
        cr_expect_eq(strncmp(c.out, rows[i].first, strlen(rows[i].first)), 0, "row %zu: %s", i,
                     c.out);
        cr_expect(strstr(c.out, rows[i].also), "row %zu: %s", i, c.out);
    }
    const char *bad[] = {"sockfam", "help", "frobnicate", NULL};
    cr_expect_eq(proc_run(&c, WAIT_MS, bad), 64, "%s", c.err);
    cr_expect(strstr(c.err, "unknown command 'frobnicate'"), "%s", c.err);
}
