/*
 * proc: run the suite's real programs from a test and read what they say.
 *
 * A child gets its stdout and stderr on pipes that the test reads with
 * poll() and a deadline; no sleeps anywhere.  Servers are started on port 0
 * and the test waits for their readiness line ("listening on ADDR:PORT").
 * Every child dies with the test process (PR_SET_PDEATHSIG), so a failed
 * or timed-out test leaves nothing running.
 */
#ifndef SF_TEST_PROC_H
#define SF_TEST_PROC_H

#include <stddef.h>
#include <netinet/in.h>
#include <sys/types.h>

struct proc {
    pid_t pid;
    int out_fd, err_fd; /* -1 once at EOF */
    char out[65536], err[65536];
    size_t out_len, err_len;
    int status; /* exit code, or 128 + signal; -1 while running */
};

/*
 * Start bin/NAME (or an absolute path) with argv (NULL-terminated, argv[0]
 * included).  0 or -1.
 */
int proc_start(struct proc *p, const char *const argv[]);

/* The same, in the network namespace netns_fd (-1: the test's): for the lab's namespaces. */
int proc_start_in(struct proc *p, int netns_fd, const char *const argv[]);

/*
 * Wait until the child's stderr holds a "listening on ADDR" line; copy ADDR
 * and return its port, or -1 on deadline or exit.
 */
int proc_wait_listening(struct proc *p, int timeout_ms, char *addr, size_t cap);

/* Wait until stdout (which=1) or stderr (2) contains needle.  1 found, 0 not. */
int proc_wait_output(struct proc *p, int which, const char *needle, int timeout_ms);

/* Wait until stdout (1) or stderr (2) holds needle at least n times.  1 or 0. */
int proc_wait_count(struct proc *p, int which, const char *needle, int n, int timeout_ms);

/* Read everything until the child exits; its exit code, or -1 (killed) on deadline. */
int proc_wait_exit(struct proc *p, int timeout_ms);

/* Send sig, then wait for the exit as proc_wait_exit() does. */
int proc_signal_wait(struct proc *p, int sig, int timeout_ms);

/* Start, wait for the exit, return the exit code (-1 on failure or deadline). */
int proc_run(struct proc *p, int timeout_ms, const char *const argv[]);

/*
 * proc_run() for one of ours (argv[0] a bare name) as uid and gid 65534
 * with no capability (setpriv: groups cleared, inheritable and bounding
 * sets emptied), for the unprivileged path of a test run as root.  The
 * caller checks that /usr/bin/setpriv exists.
 */
int proc_run_nobody(struct proc *p, int timeout_ms, const char *const argv[]);

/* A free TCP port on 127.0.0.1 with nothing listening (for "refused"). */
int free_tcp_port(void);

/* A free UDP port on 127.0.0.1 with nothing bound (for "port unreachable"). */
int free_udp_port(void);

/* Is the IPv6 loopback usable here? */
int ipv6_available(void);

/* The full path of one of the suite's programs, for wrappers such as setpriv. */
const char *proc_bin(const char *name);

/*
 * "unix:DIR/name" in a private mkdtemp directory made on first use (each
 * test runs in its own process); test_dir_remove() removes the directory
 * and whatever a failed test left in it (a suite's .fini).
 */
void test_sock_path(char *buf, size_t cap, const char *name);
void test_dir_remove(void);

/* Raise this process's soft descriptor limit as far as 4096 allows; the new limit. */
unsigned long fd_limit_raise(void);

/* 127.0.0.1:port. */
struct sockaddr_in loopback4(int port);

/*
 * The number after `name` in a server's last line ("clients 3, replies 3"
 * -> line_counter(line, "replies ") = 3); fails the test if it is absent.
 */
unsigned long long line_counter(const char *line, const char *name);

/* What a server's last line says of its reads of client data ("; reads R (S-L bytes)"). */
struct reads {
    unsigned long long n, smallest, largest;
};

/*
 * The reads on the last line of a server's stderr (program "tcp-server":
 * the line that starts "tcp-server: "); fails the test if it is absent.
 */
struct reads server_reads(const char *err, const char *program);

/* A running server program, started on port 0 and ready. */
struct server {
    struct proc p;
    int port;
    char addr[128], portstr[16];
};

/*
 * Start PROGRAM -p 0 EXTRA... and wait for its readiness line.  Returns 0,
 * or -1 (the child's stderr is in s->p.err).
 */
int server_start(struct server *s, const char *program, const char *const extra[]);

#endif
