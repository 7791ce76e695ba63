/*
 * ready: the one way the runner and the tests start a server of the suite
 * and wait until it serves.  Every server prints one line on stderr once
 * its socket is bound and listening, and nothing before it is worth
 * waiting for:
 *
 *   listening on 127.0.0.1:41000       (tcp-server -p 0, udp-server -p 0)
 *   listening on [::1]:41000
 *   listening on /run/x/unix.sock      (unix-server; or @name, abstract)
 *   listening on icmp                  (icmp-echod)
 *
 * so a caller starts the server on port 0, reads the real address from
 * that line, and never sleeps.  Reads are bounded by the task's caps and
 * every wait by a deadline.  Never prints, never exits.
 */
#ifndef SF_READY_H
#define SF_READY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "task.h"

#define SF_READY_LINE "listening on "

struct sf_ready {
    char addr[256]; /* ADDR, as the server printed it */
    int port;       /* ADDR's port when it is HOST:PORT or [V6]:PORT; 0 otherwise */
};

/*
 * Look for a complete readiness line (ending in a newline) in the first
 * len bytes of text, what a child printed on stderr so far.  1 found (*r
 * set), 0 not yet, -1 a line too long for r->addr (rejected, not cut).
 * Never reads past len; text need not be NUL-terminated.
 */
int sf_ready_parse(const char *text, size_t len, struct sf_ready *r);

/*
 * One look, without blocking: read what t printed (sf_task_pump) and
 * check for the line.  1 ready (*r set), 0 not yet, -1 with err set when
 * t exited first ("tcp-server exited 69: <its last line>") or the line is
 * too long.  For a caller that waits on several tasks at once.
 */
int sf_ready_poll(struct sf_err *err, struct sf_task *t, struct sf_ready *r);

/*
 * Wait for t's readiness line until deadline (an sf_now_ns() time).  0
 * (*r set), or -1 with err set: it exited first, or "tcp-server printed no
 * readiness line in N ms".  t is left running or not as it was: the
 * caller ends it.
 */
int sf_ready_wait(struct sf_err *err, struct sf_task *t, int64_t deadline, struct sf_ready *r);

/*
 * sf_task_start() then sf_ready_wait(): start bin_dir/argv[0] and wait for
 * its readiness line.  0, or -1 with err set (the task, if started, is
 * left for the caller to end; its output stays readable).
 */
int sf_ready_start(struct sf_err *err, struct sf_task *t, const char *bin_dir,
                   const char *const argv[], int64_t deadline, struct sf_ready *r);

#endif
