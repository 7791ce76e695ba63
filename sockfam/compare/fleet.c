/*
 * fleet: everything `sockfam compare` starts and stops: the private
 * network namespace and its capture, a private directory for socket
 * files, every family's server (ready before any client), every client at
 * once, the wait (bounded, interruptible), and a cleanup that leaves no
 * child and no socket file behind, whatever happened.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "io.h"
#include "netns.h"
#include "run.h"

#define READY_MS 5000
#define STOP_MS 3000
#define CLIENT_TIMEOUT "5"
#define TICK_MS 200

void run_note(struct run *r, const char *fmt, ...)
{
    va_list ap;

    if (r->nnotes >= (int)(sizeof(r->notes) / sizeof(r->notes[0])))
        return;
    va_start(ap, fmt);
    vsnprintf(r->notes[r->nnotes++], sizeof(r->notes[0]), fmt, ap);
    va_end(ap);
}

static void private_dir(struct run *r)
{
    const char *base = getenv("XDG_RUNTIME_DIR");

    if (!base || access(base, W_OK) != 0)
        base = "/tmp";
    snprintf(r->dir, sizeof(r->dir), "%s/sockfam-compare-XXXXXX", base);
    if (!mkdtemp(r->dir))
        r->dir[0] = '\0';
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
    r->wire = sf_wire_open(&err, &o);
    if (!r->wire)
        run_note(r, "wire: not captured: %s", err.msg);
}

int run_prepare(struct run *r)
{
    r->signal_fd = sf_cli_stop_fd(); /* SIGINT, SIGTERM; SIGPIPE is ignored (sf_cli_init) */
    wire_setup(r);
    private_dir(r);
    if (!r->dir[0])
        return -1;
    /* In our own namespace the kernel can be told to stay silent: icmp-echod answers. */
    if (r->o.on[FAM_ICMP] && r->netns &&
        sf_sysctl_write(NULL, "/proc/sys/net/ipv4/icmp_echo_ignore_all", "1") == 0)
        r->icmp_echod = 1;
    return 0;
}

static void fail(struct run *r, enum fam f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct run *r, enum fam f, const char *fmt, ...)
{
    va_list ap;

    r->r[f].status = ST_FAILED;
    va_start(ap, fmt);
    vsnprintf(r->r[f].why, sizeof(r->r[f].why), fmt, ap);
    va_end(ap);
}

static void start_server(struct run *r, enum fam f)
{
    const struct family *fam = &families[f];
    const char *name = f == FAM_ICMP ? "icmp-echod" : fam->server;
    const char *argv[16] = {name};
    int n = 1;
    struct sf_err err;

    if (f == FAM_ICMP) {
        argv[n++] = "-4";
    } else {
        argv[n++] = "--mode", argv[n++] = r->o.mode, argv[n++] = "-q";
        argv[n++] = "--recv-size", argv[n++] = "65536";
        if (fam->unix_type) {
            snprintf(r->path[f], sizeof(r->path[f]), "%s/%s.sock", r->dir, fam->name);
            argv[n++] = "--type", argv[n++] = fam->unix_type;
            argv[n++] = "--bind", argv[n++] = r->path[f];
        } else {
            argv[n++] = "-4", argv[n++] = "-p", argv[n++] = "0";
        }
    }
    argv[n] = NULL;
    if (sf_task_start(&err, &r->server[f], r->o.bin_dir, argv) < 0)
        fail(r, f, "%s", err.msg);
}

/* "listening on 127.0.0.1:41000\n" seen: 1 (port parsed), 0 not yet. */
static int ready(struct run *r, enum fam f)
{
    const char *line = strstr(r->server[f].err, "listening on ");
    const char *nl = line ? strchr(line, '\n') : NULL;
    const char *colon = nl ? memrchr(line, ':', (size_t)(nl - line)) : NULL;

    if (!nl)
        return 0;
    if (!families[f].unix_type && f != FAM_ICMP)
        r->port[f] = colon ? atoi(colon + 1) : 0;
    return 1;
}

/* Poll every child and the signal descriptor until timeout_ms; 1 if a signal came. */
static int pump_all(struct run *r, int timeout_ms)
{
    struct pollfd pf[2 * FAM_N * 3 + 1];
    int n = 0;

    pf[n++] = (struct pollfd){.fd = r->signal_fd, .events = POLLIN};
    for (int f = 0; f < FAM_N; f++) {
        n += sf_task_fds(&r->server[f], pf + n);
        n += sf_task_fds(&r->client[f], pf + n);
    }
    if (poll(pf, (nfds_t)n, timeout_ms) < 0 && errno != EINTR)
        return 0;
    for (int f = 0; f < FAM_N; f++) {
        sf_task_pump(&r->server[f]);
        sf_task_pump(&r->client[f]);
    }
    if (sf_cli_stopped(r->signal_fd))
        r->interrupted = 1;
    return r->interrupted;
}

/* Wait until every started server is ready or has died. */
static void wait_servers(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(READY_MS);

    for (;;) {
        int waiting = 0;
        for (int f = 0; f < FAM_N; f++) {
            struct sf_task *t = &r->server[f];
            if (!t->started || r->r[f].status == ST_FAILED || r->port[f] || ready(r, f))
                continue;
            if (t->exited) {
                char line[256];
                fail(r, f, "%s exited %d: %s", t->name, t->status,
                     sf_task_last_line(t, line, sizeof(line)));
            } else {
                waiting = 1;
            }
        }
        if (!waiting || pump_all(r, sf_deadline_poll_ms(deadline)) || sf_now_ns() >= deadline)
            break;
    }
}

static void start_client(struct run *r, enum fam f)
{
    const struct family *fam = &families[f];
    char count[24], size[24], port[16];
    const char *argv[24] = {fam->client, "--json", "-q", "-c", count, "-s", size};
    int n = 7;
    struct sf_err err;

    snprintf(count, sizeof(count), "%lu", r->o.count);
    snprintf(size, sizeof(size), "%lu", r->o.size);
    snprintf(port, sizeof(port), "%d", r->port[f]);
    if (f == FAM_ICMP) {
        argv[n++] = "-i", argv[n++] = "0", argv[n++] = "-W", argv[n++] = CLIENT_TIMEOUT;
        argv[n++] = "127.0.0.1";
    } else {
        argv[n++] = "--mode", argv[n++] = r->o.mode, argv[n++] = "-w", argv[n++] = CLIENT_TIMEOUT;
        if (fam->unix_type)
            argv[n++] = "--type", argv[n++] = fam->unix_type, argv[n++] = r->path[f];
        else
            argv[n++] = "-p", argv[n++] = port, argv[n++] = "127.0.0.1";
    }
    argv[n] = NULL;
    if (sf_task_start(&err, &r->client[f], r->o.bin_dir, argv) < 0)
        fail(r, f, "%s", err.msg);
}

void run_start(struct run *r)
{
    for (int f = 0; f < FAM_N; f++)
        if (r->o.on[f] && (families[f].server || (f == FAM_ICMP && r->icmp_echod)))
            start_server(r, (enum fam)f);
    wait_servers(r);
    for (int f = 0; f < FAM_N && !r->interrupted; f++)
        if (r->o.on[f] && r->r[f].status != ST_FAILED &&
            (!r->server[f].started || ready(r, (enum fam)f)))
            start_client(r, (enum fam)f);
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
        for (int f = 0; f < FAM_N; f++) {
            total += r->client[f].started;
            done += r->client[f].started && r->client[f].exited;
        }
        progress(r, done, total);
        if (done == total || r->interrupted)
            break;
        if (sf_now_ns() >= deadline) {
            for (int f = 0; f < FAM_N; f++)
                if (r->client[f].started && !r->client[f].exited)
                    fail(r, (enum fam)f, "%s did not finish within %lld s", r->client[f].name,
                         (long long)(60 + r->o.count / 1000));
            break;
        }
        pump_all(r, TICK_MS);
    }
    if (r->o.progress)
        fprintf(stderr, "\r\033[K");
}

/* SIGTERM every server, wait for their counters, then the capture's end. */
void run_finish(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(STOP_MS);
    struct sf_err err;

    for (int f = 0; f < FAM_N; f++)
        sf_task_signal(&r->server[f], SIGTERM);
    for (;;) {
        int running = 0;
        for (int f = 0; f < FAM_N; f++)
            running |= r->server[f].started && !r->server[f].exited;
        if (!running || sf_now_ns() >= deadline)
            break;
        pump_all(r, sf_deadline_poll_ms(deadline));
    }
    if (!r->wire)
        return;
    r->wire_ok = sf_wire_stop(&err, r->wire, sf_deadline_after_ms(STOP_MS)) == 0;
    r->kernel_drops = sf_wire_totals(r->wire).kernel_drops;
    if (!r->wire_ok)
        run_note(r, "wire: the capture is incomplete, so its figures are not shown: %s", err.msg);
}

void run_cleanup(struct run *r)
{
    for (int f = 0; f < FAM_N; f++) {
        sf_task_end(&r->client[f]);
        sf_task_end(&r->server[f]);
        if (r->path[f][0])
            unlink(r->path[f]); /* a server that was killed could not remove its file */
    }
    if (r->dir[0])
        rmdir(r->dir);
    r->dir[0] = '\0';
}
