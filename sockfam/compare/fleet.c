/*
 * fleet: everything `sockfam compare` starts and stops: the private
 * network namespace and its capture, a private directory for socket
 * files, every family's server (ready before any client), every client at
 * once, the wait (bounded, interruptible), and a cleanup that leaves no
 * child and no socket file behind, whatever happened (bounds.c's children
 * too, which it starts and waits for through fleet_start, fleet_ready,
 * fleet_pump and fleet_stop).  What to start is read from the family
 * table; nothing here knows a family by name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "compare.h"
#include "io.h"
#include "local.h"
#include "netns.h"
#include "priv.h"
#include "ready.h"

#define READY_MS 5000
#define STOP_MS 3000
#define CLIENT_TIMEOUT "5"
/* A connection whose SYN or SYN-ACK was resent has no round trip measured, and its first
 * data waits RTO 3 s (RFC 6298 5.7, Linux's TCP_TIMEOUT_FALLBACK): a message lost once each
 * way is 6 s, once twice 9 s.  So over a link that loses or copies packets, 15 s. */
#define LOSSY_HANDSHAKE_TIMEOUT "15"
#define TICK_MS 200

/*
 * May the run's directory be made in base?  Only where nobody else can
 * rename or replace what we make: a directory (no symlink) that is ours
 * and writable by us alone, or sticky (as /tmp).
 */
static int safe_base(const char *base)
{
    struct stat st;

    return base && base[0] == '/' && lstat(base, &st) == 0 && S_ISDIR(st.st_mode) &&
           ((st.st_uid == geteuid() && !(st.st_mode & 022)) || (st.st_mode & S_ISVTX));
}

/*
 * Where the run's directory goes.  Children of the same user: that user's
 * $XDG_RUNTIME_DIR, when it is theirs and 0700 (sudo keeps the invoking
 * user's, whose owner could rename our directory and put a symlink in its
 * place).  Children of root run as another user, who cannot enter root's
 * own 0700 runtime directory: $TMPDIR then, if safe, else /tmp, whose
 * sticky bit lets nobody else rename what we make there.
 */
static const char *dir_base(const struct run *r)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR"), *tmp = getenv("TMPDIR");

    if (!r->drop && xdg && xdg[0] == '/' && sf_local_dir_private(NULL, xdg) == 0)
        return xdg;
    return safe_base(tmp) ? tmp : "/tmp";
}

/*
 * The run's directory for socket files (see dir_base).  It is kept open,
 * and the cleanup unlinks through that descriptor, never through the
 * path.  Its children, when they run as another user, own it (0700).
 */
static int private_dir(struct sf_err *err, struct run *r)
{
    const char *base = dir_base(r);

    snprintf(r->dir, sizeof(r->dir), "%s/sockfam-compare-XXXXXX", base);
    if (!mkdtemp(r->dir)) {
        sf_err_sys(err, errno, "mkdtemp", r->dir);
        r->dir[0] = '\0';
        return -1;
    }
    r->dir_fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (r->dir_fd < 0 || (r->drop && fchown(r->dir_fd, r->as.uid, r->as.gid) < 0)) {
        sf_err_sys(err, errno, r->dir_fd < 0 ? "open" : "fchown", r->dir);
        rmdir(r->dir);
        r->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Running as root, the children will not: the user who ran sudo, else nobody. */
static int children_user(struct sf_err *err, struct run *r)
{
    struct sf_user u;

    if (geteuid() != 0)
        return 0;
    if (sf_user_lookup(err, NULL, &u) < 0)
        return -1;
    r->drop = 1;
    r->as = (struct sf_spawn_user){u.uid, u.gid, 0};
    return 0;
}

/* Whom family f's programs run as: r->as, keeping CAP_NET_RAW for a raw ICMP socket. */
static const struct sf_spawn_user *child_user(struct run *r, int f, struct sf_spawn_user *buf)
{
    if (!r->drop)
        return NULL;
    *buf = r->as;
    buf->net_raw = families[f].line == LINE_PING;
    return buf;
}

/*
 * The capture is held whole in memory until the run ends, sized from the
 * run, rather than streamed to the .pcap as it comes: the table, the
 * ladders (each family's first exchange and its close, at the end of the
 * run) and the .pcap are all read from the one list afterwards, and
 * nothing a reader of `--pcap -` does (a tcpdump slow to print) can stall
 * the capture while the families run.  The cost is memory in proportion
 * to the run, which the bounds below make explicit: every frame the
 * families can put on lo (family_wire_bound), up to HELD_MAX bytes
 * (compare.h); and a kernel ring that holds the whole run unread
 * (sf_wire_ring_for) up to RING_MAX, so that a reader thread scheduled
 * late among a dozen busy children loses nothing.  Past either bound the capture says it is
 * incomplete, and the families' own results stand.
 */
#define RING_MIN (32ull << 20)  /* the kernel ring at least (a short run), ... */
#define RING_MAX (128ull << 20) /* ... and at most: it is the kernel's memory */
#define WIRE_SLACK 1024         /* frames besides the families' (the end marker, strays) */

/* The smallest MTU the run's packets cross: lo's, the lab's links', or its narrow hop's. */
static unsigned link_mtu(const struct run *r)
{
    if (!r->o.lab)
        return 65536;
    return r->o.lab_o.mtu > 0 && r->o.lab_o.mtu < 1500 ? (unsigned)r->o.lab_o.mtu : 1500;
}

static void wire_bounds(const struct run *r, struct sf_wire_opts *o)
{
    unsigned long long packets = WIRE_SLACK, bytes = WIRE_SLACK * 256ull, p, b;
    size_t ring;

    for (int f = 0; f < family_count; f++)
        if (r->o.on[f]) {
            family_wire_bound(&families[f], r->o.count, r->o.size, link_mtu(r),
                              r->o.lab && r->o.lab_o.dup_pct > 0, &p, &b);
            packets += p, bytes += b;
        }
    ring = sf_wire_ring_for(packets, bytes);
    o->max_packets = (size_t)packets;
    o->max_bytes = (size_t)(bytes < HELD_MAX ? bytes : HELD_MAX);
    o->buffer_bytes = (int)(ring < RING_MIN ? RING_MIN : ring > RING_MAX ? RING_MAX : ring);
}

/* The namespace and the capture; without privilege the wire cells become n/a. */
static void wire_setup(struct run *r)
{
    struct sf_wire_opts o = {.ifname = "lo"};
    struct sf_err err;

    if (sf_netns_private(&err) < 0) {
        run_note(r,
                 "wire: not captured: %s; run as root (CAP_SYS_ADMIN for a private network "
                 "namespace, CAP_NET_RAW to capture)",
                 err.msg);
        return;
    }
    r->netns = 1;
    wire_bounds(r, &o);
    r->wire_bounds = o;
    r->wire = sf_wire_open(&err, &o);
    if (!r->wire)
        run_note(r, "wire: not captured: %s", err.msg);
}

/* In our own namespace the kernel can be told to stay silent: the family's server answers. */
/* Silence the kernel's own answers to f (sysctl, a /proc/sys path): 0, or -1 if it cannot be. */
static int silence(struct run *r, const char *sysctl)
{
    if (r->lab)
        return link_silence(r, sysctl);
    return r->netns ? sf_sysctl_write(NULL, sysctl, "1") : -1;
}

/* Over IPv6 (-6) the kernel answers ICMPv6 echo by another switch: both are turned off. */
static void silence_kernel(struct run *r)
{
    for (int f = 0; f < family_count; f++) {
        const struct family *fam = &families[f];
        if (r->o.on[f] && fam->kernel_off && silence(r, fam->kernel_off) == 0 &&
            (!r->o.v6 || !fam->kernel_off6 || silence(r, fam->kernel_off6) == 0))
            r->responder[f] = 1;
    }
}

/* --link lab: the lab instead of the private namespace; the unix families stay home. */
static int lab_setup(struct sf_err *err, struct run *r)
{
    struct sf_wire_opts o = {0};

    wire_bounds(r, &o);
    if (link_up(err, r, &o) < 0)
        return -1;
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && families[f].line == LINE_LOCAL)
            run_result(r, f, ST_SKIPPED, "local only: AF_UNIX cannot cross a link");
    return 0;
}

int run_prepare(struct sf_err *err, struct run *r)
{
    r->signal_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM; SIGPIPE is ignored (sf_cli_init) */
    r->dir_fd = -1;
    if (children_user(err, r) < 0)
        return -1;
    if (r->o.lab && lab_setup(err, r) < 0)
        return -1;
    if (!r->o.lab)
        wire_setup(r);
    if (private_dir(err, r) < 0)
        return -1;
    silence_kernel(r);
    return 0;
}

/* Does family f run a server of ours in this run (or does the kernel answer)? */
static int has_server(const struct run *r, int f)
{
    return families[f].server && (!families[f].kernel_off || r->responder[f]);
}

/* How long a client with a handshake (tcp, mptcp) waits for a reply in the lab. */
static const char *handshake_wait(const struct run *r)
{
    const struct sf_lab_opts *l = &r->o.lab_o;

    return l->loss != SF_LOSS_NONE || l->dup_pct > 0 ? LOSSY_HANDSHAKE_TIMEOUT : CLIENT_TIMEOUT;
}

/* What both programs of f are asked for; a socket file in the run's directory. */
static void arguments(struct run *r, int f)
{
    const struct family *fam = &families[f];

    if (fam->line == LINE_LOCAL)
        snprintf(r->path[f], sizeof(r->path[f]), "%s/%s.sock", r->dir, fam->name);
    r->args[f] = (struct fam_args){
        .mode = r->o.mode,
        .count = r->o.count,
        .size = r->o.size,
        .warmup = -1,
        /* In the lab a lost datagram costs the wait: 200 ms is a thousand of its round trips,
         * unless a bottleneck or a delay line makes them longer (TCP's own retries need more). */
        .wait = !r->o.lab                                   ? CLIENT_TIMEOUT
                : family_handshake(fam)                     ? handshake_wait(r)
                : r->o.lab_o.rate[0] || r->o.lab_o.delay_ms ? "2"
                                                            : "0.2",
        .path = r->path[f],
        /* In the lab the server listens on its own address there. */
        .host = r->lab ? sf_lab_addr(SF_LAB_SERVER, r->o.v6) : NULL,
        .v6 = r->lab && r->o.v6};
}

int fleet_start(struct sf_err *err, struct run *r, int f, struct sf_task *t,
                const struct fam_args *a, int server)
{
    struct fam_argv v;
    struct sf_spawn_user u;
    const struct family *fam = &families[f];

    return sf_task_start_in(err, t, r->o.bin_dir,
                            server ? family_server_argv(fam, a, &v)
                                   : family_client_argv(fam, a, &v),
                            link_netns(r, server), child_user(r, f, &u));
}

static void start_server(struct run *r, int f)
{
    struct sf_err err;

    if (fleet_start(&err, r, f, &r->server[f], &r->args[f], 1) < 0)
        run_result(r, f, ST_FAILED, "%s", err.msg);
}

/* Every task of the run: the main run's servers and clients, then the burst's. */
static struct sf_task *task_at(struct run *r, int i)
{
    struct sf_task *sets[4] = {r->server, r->client, r->burst.server, r->burst.client};

    return &sets[i / FAM_MAX][i % FAM_MAX];
}

int fleet_pump(struct run *r, int timeout_ms)
{
    struct pollfd pf[4 * FAM_MAX * 3 + 1];
    int n = 0;

    pf[n++] = (struct pollfd){.fd = r->signal_fd, .events = POLLIN};
    for (int i = 0; i < 4 * FAM_MAX; i++)
        n += sf_task_fds(task_at(r, i), pf + n);
    if (poll(pf, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
        return 0;
    for (int i = 0; i < 4 * FAM_MAX; i++)
        sf_task_pump(task_at(r, i));
    if (sf_cli_stopped(r->signal_fd))
        r->interrupted = 1;
    return r->interrupted;
}

/*
 * A server that exited before its readiness line: skipped when its exit
 * says this kernel refuses the family (the row says why), else failed.
 */
static void server_failed(const struct sf_err *err, struct run *r, int f)
{
    const struct family *fam = &families[f];
    const struct sf_task *t = &r->server[f];
    char line[400];

    if (fam->refused_exit && t->exited && t->status == fam->refused_exit) {
        run_result(r, f, ST_SKIPPED, "%s", sf_task_last_line(t, line, sizeof(line)));
        return;
    }
    run_result(r, f, ST_FAILED, "%s", err->msg);
}

int fleet_ready(struct sf_err *err, int f, struct sf_task *t, struct fam_args *a)
{
    struct sf_ready ready;
    int rc = sf_ready_poll(err, t, &ready);

    if (rc > 0 && family_ready(err, &families[f], &ready, a) < 0)
        rc = -1;
    return rc;
}

/* One look at f's server: 1 while it is still to say where it listens. */
static int still_starting(struct run *r, int f)
{
    struct sf_err err;
    int rc;

    if (!r->server[f].started || r->r[f].status != ST_OFF || r->ready[f])
        return 0;
    rc = fleet_ready(&err, f, &r->server[f], &r->args[f]);
    if (rc < 0)
        server_failed(&err, r, f);
    r->ready[f] = rc > 0;
    return rc == 0;
}

/* Wait until every started server is ready or has failed, at most READY_MS. */
static void wait_servers(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(READY_MS);

    for (;;) {
        int waiting = 0;
        for (int f = 0; f < family_count; f++)
            waiting |= still_starting(r, f);
        if (!waiting || fleet_pump(r, sf_deadline_poll_ms(deadline)))
            return;
        if (sf_now_ns() >= deadline)
            break;
    }
    for (int f = 0; f < family_count; f++)
        if (still_starting(r, f))
            run_result(r, f, ST_FAILED, "%s printed no readiness line in %d s", r->server[f].name,
                       READY_MS / 1000);
}

static void start_client(struct run *r, int f)
{
    struct sf_err err;

    if (fleet_start(&err, r, f, &r->client[f], &r->args[f], 0) < 0)
        run_result(r, f, ST_FAILED, "%s", err.msg);
}

void run_start(struct run *r)
{
    for (int f = 0; f < family_count; f++) {
        if (!r->o.on[f])
            continue;
        arguments(r, f);
        if (has_server(r, f))
            start_server(r, f);
    }
    wait_servers(r);
    for (int f = 0; f < family_count && !r->interrupted; f++)
        if (r->o.on[f] && r->r[f].status == ST_OFF && (!r->server[f].started || r->ready[f]))
            start_client(r, f);
}

static int count_packets(const struct sf_wire *w, void *arg)
{
    *(size_t *)arg = sf_wire_count(w);
    return 1;
}

static void progress(struct run *r, int done, int total)
{
    size_t packets = 0;

    if (!r->o.progress)
        return;
    if (r->wire)
        sf_wire_wait(r->wire, count_packets, &packets, 0);
    fprintf(stderr, "\r\033[Ksockfam compare: %d of %d clients done, %zu packets captured", done,
            total, packets);
}

void run_wait(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(60000 + (int64_t)r->o.count);

    for (;;) {
        int done = 0, total = 0;
        for (int f = 0; f < family_count; f++) {
            total += r->client[f].started;
            done += r->client[f].started && r->client[f].exited;
        }
        progress(r, done, total);
        if (done == total || r->interrupted)
            break;
        if (sf_now_ns() >= deadline) {
            for (int f = 0; f < family_count; f++)
                if (r->client[f].started && !r->client[f].exited)
                    run_result(r, f, ST_FAILED, "%s did not finish within %lld s",
                               r->client[f].name, (long long)(60 + r->o.count / 1000));
            break;
        }
        fleet_pump(r, TICK_MS);
    }
    if (r->o.progress)
        fprintf(stderr, "\r\033[K");
}

void fleet_stop(struct run *r, struct sf_task *servers, int64_t deadline)
{
    for (int f = 0; f < family_count; f++)
        sf_task_signal(&servers[f], SIGTERM);
    for (;;) {
        int running = 0;
        for (int f = 0; f < family_count; f++)
            running |= servers[f].started && !servers[f].exited;
        if (!running || sf_now_ns() >= deadline)
            break;
        fleet_pump(r, sf_deadline_poll_ms(deadline));
    }
}

/* SIGTERM every server, wait for their counters, then the capture's end. */
void run_finish(struct run *r)
{
    struct sf_err err;

    fleet_stop(r, r->server, sf_deadline_after_ms(STOP_MS));
    if (!r->wire)
        return;
    if (r->lab)
        link_quiet(r);
    r->wire_ok = sf_wire_stop(&err, r->wire, sf_deadline_after_ms(STOP_MS)) == 0;
    r->wire_stopped = 1;
    r->kernel_drops = sf_wire_totals(r->wire).kernel_drops;
    r->not_kept = sf_wire_totals(r->wire).not_kept;
    if (!r->wire_ok)
        run_note(r, "wire: the capture is incomplete, so its cells show what it kept (>=): %s",
                 err.msg);
    link_stop(r);
}

/*
 * Empty the run's directory through its descriptor: whatever a killed
 * server left, or a child put there.  unlinkat never follows a symlink, and
 * the descriptor is the directory we made, wherever its path now points.
 */
static void empty_dir(int dir_fd)
{
    int fd = dup(dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    struct dirent *e;

    if (!d) {
        if (fd >= 0)
            close(fd);
        return;
    }
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            unlinkat(dir_fd, e->d_name, 0) < 0 && errno == EISDIR)
            unlinkat(dir_fd, e->d_name, AT_REMOVEDIR);
    closedir(d);
}

void run_cleanup(struct run *r)
{
    for (int i = 0; i < 4 * FAM_MAX; i++)
        sf_task_end(task_at(r, i));
    if (r->dir_fd >= 0) {
        empty_dir(r->dir_fd);
        close(r->dir_fd);
        r->dir_fd = -1;
    }
    if (r->dir[0])
        rmdir(r->dir);
    r->dir[0] = '\0';
    link_down(r); /* the children are gone: the namespaces go with everything in them */
}
