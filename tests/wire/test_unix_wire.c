/*
 * AF_UNIX on the wire: nothing.  Every type's echo runs inside a private
 * network namespace while "any" (every interface) is captured; the capture
 * is proved alive by its own end marker, and holds zero packets.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "proc.h"

TestSuite(unix_wire, .timeout = 60);

#define WAIT_MS 15000

static void echo(const char *type, const char *path)
{
    struct proc s, c;
    const char *sargv[] = {"unix-server", "--type", type, "--mode", "echo",
                           "-q",          "--bind", path, NULL};
    const char *cargv[] = {"unix-client", "--type", type, "-c", "3", path, "quiet", NULL};

    cr_assert_eq(proc_start(&s, sargv), 0);
    cr_assert(proc_wait_output(&s, 2, "listening on", WAIT_MS), "%s", s.err);
    cr_assert_eq(proc_run(&c, WAIT_MS, cargv), 0, "%s: %s", type, c.err);
    cr_expect(strstr(c.out, "3 sent, 3 answered"), "%s: %s", type, c.out);
    cr_assert_eq(proc_signal_wait(&s, SIGTERM, WAIT_MS), 0, "%s", s.err);
}

Test(unix_wire, every_type_puts_zero_packets_on_any_interface)
{
    struct sf_wire *w = capture_start("any", NULL);
    const char *types[] = {"stream", "dgram", "seqpacket"};
    char dir[] = "/tmp/sockfam-wire-XXXXXX", path[128], name[64];

    cr_assert_not_null(mkdtemp(dir));
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s.sock", dir, types[i]);
        echo(types[i], path);
        snprintf(name, sizeof(name), "@sockfam-wire-%d-%s", (int)getpid(), types[i]);
        echo(types[i], name);
    }
    capture_stop(w);
    cr_expect_eq(sf_wire_count(w), 0, "AF_UNIX put packets on the wire:\n%s", capture_ladder(w));
    cr_expect_eq(sf_wire_totals(w).kernel_drops, 0);
    rmdir(dir);
    sf_wire_close(w);
}
