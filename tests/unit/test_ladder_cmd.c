/*
 * sockfam ladder: a capture that tcpdump itself wrote (and one tshark
 * wrote as pcapng) is drawn with the packet count tcpdump reports, its
 * flows listed and drawn one at a time, its windows scaled after the
 * handshake; hostile files are one line and exit 65, a missing one 66.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

#define WAIT_MS 30000

static char dir[] = "/tmp/sockfam-ladder-XXXXXX";
static int made;

/* After each test, passed or not: its files and its directory go. */
static void cleanup(void)
{
    static const char *const names[] = {"tcpdump.pcap", "both.pcapng", "junk.pcap", "cut.pcap"};
    char path[256];

    for (size_t i = 0; made && i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        unlink(path);
    }
    if (made)
        rmdir(dir);
}

TestSuite(ladder_cmd, .timeout = 60, .fini = cleanup);

/* name in this test's own directory (made once; its random part may hold an 'X' too). */
static void in_dir(char *buf, size_t cap, const char *name)
{
    if (!made)
        cr_assert_not_null(mkdtemp(dir), "mkdtemp");
    made = 1;
    snprintf(buf, cap, "%s/%s", dir, name);
}

/* Lines tcpdump prints reading path: its packet count. */
static int tcpdump_count(const char *path)
{
    struct proc p;
    const char *argv[] = {"/usr/bin/tcpdump", "-nr", path, NULL};
    int n = 0;

    cr_assert_eq(proc_run(&p, WAIT_MS, argv), 0, "%s", p.err);
    for (const char *s = p.out; (s = strchr(s, '\n')); s++)
        n++;
    return n;
}

Test(ladder_cmd, tcpdump_written_capture_drawn_with_its_count)
{
    struct proc p;
    char out[256], want[64];

    if (access("/usr/bin/tcpdump", X_OK) != 0)
        cr_skip_test("no tcpdump (the quickstart installs it)");
    in_dir(out, sizeof(out), "tcpdump.pcap");
    const char *rewrite[] = {
        "/usr/bin/tcpdump", "-r", SF_DATA_DIR "/tcp_echo_v4.pcap", "-w", out, NULL};
    cr_assert_eq(proc_run(&p, WAIT_MS, rewrite), 0, "%s", p.err);
    int n = tcpdump_count(out);
    const char *draw[] = {"sockfam", "ladder", out, NULL};
    cr_assert_eq(proc_run(&p, WAIT_MS, draw), 0, "%s", p.err);
    snprintf(want, sizeof(want), ": %d packets, 1 flows", n);
    cr_expect(strstr(p.out, want), "tcpdump counts %d: %s", n, p.out);
    cr_expect(strstr(p.out, "SYN seq 0 win 65495"), "a SYN's window is never scaled: %s", p.out);
    cr_expect(strstr(p.out, "ACK ack 1 win 65536 "), "64 << wscale 10 after the handshake: %s",
              p.out);
    unlink(out);
    rmdir(dir);
}

Test(ladder_cmd, pcapng_from_tshark_and_one_flow_of_several)
{
    struct proc p;
    char out[256];

    if (access("/usr/bin/tshark", X_OK) != 0 || access("/usr/bin/mergecap", X_OK) != 0)
        cr_skip_test("no tshark or mergecap (the quickstart installs tshark)");
    in_dir(out, sizeof(out), "both.pcapng");
    const char *merge[] = {"/usr/bin/mergecap",
                           "-F",
                           "pcapng",
                           "-w",
                           out,
                           SF_DATA_DIR "/tcp_echo_v4.pcap",
                           SF_DATA_DIR "/udp_echo_v4.pcap",
                           NULL};
    cr_assert_eq(proc_run(&p, WAIT_MS, merge), 0, "%s", p.err);
    const char *list[] = {"sockfam", "ladder", "--list", out, NULL};
    cr_assert_eq(proc_run(&p, WAIT_MS, list), 0, "%s", p.err);
    cr_expect(strstr(p.out, "2 flows") && strstr(p.out, "tcp ") && strstr(p.out, "udp "), "%s",
              p.out);
    const char *one[] = {"sockfam", "ladder", "--flow", "2", out, NULL};
    cr_assert_eq(proc_run(&p, WAIT_MS, one), 0, "%s", p.err);
    cr_expect(strstr(p.out, "flow 2, ") && !strstr(p.out, "flow 1, "), "%s", p.out);
    const char *none[] = {"sockfam", "ladder", "--flow", "3", out, NULL};
    cr_expect_eq(proc_run(&p, WAIT_MS, none), 64, "%s", p.err);
    unlink(out);
    rmdir(dir);
}

Test(ladder_cmd, hostile_files_one_line_exit_65)
{
    struct proc p;
    char junk[256], cut[256], buf[4096];
    int fd;

    in_dir(junk, sizeof(junk), "junk.pcap");
    in_dir(cut, sizeof(cut), "cut.pcap");
    fd = open(junk, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "%s", junk);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(i * 7919 % 251);
    cr_assert_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
    close(fd);
    /* A real capture cut in the middle of its second frame. */
    FILE *in = fopen(SF_DATA_DIR "/tcp_echo_v4.pcap", "rb");
    size_t n = fread(buf, 1, 24 + 16 + 74 + 30, in);
    fclose(in);
    fd = open(cut, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert_geq(fd, 0, "%s", cut);
    cr_assert_eq(write(fd, buf, n), (ssize_t)n);
    close(fd);
    const char *a[] = {"sockfam", "ladder", junk, NULL}, *b[] = {"sockfam", "ladder", cut, NULL},
               *c[] = {"sockfam", "ladder", "/nonexistent/x.pcap", NULL};
    cr_expect_eq(proc_run(&p, WAIT_MS, a), 65, "%s", p.err);
    cr_expect_eq(strchr(p.err, '\n'), strrchr(p.err, '\n'), "one line: %s", p.err);
    cr_expect_eq(proc_run(&p, WAIT_MS, b), 65, "%s%s", p.out, p.err);
    cr_expect_eq(proc_run(&p, WAIT_MS, c), 66, "%s", p.err);
    unlink(junk);
    unlink(cut);
    rmdir(dir);
}
