/* ours: a family's own rows; see ours.h. */
#include "ours.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cells.h"
#include "crowd.h"
#include "io.h"
#include "ready.h"
#include "task.h"

#define CELL_MS 120000
#define READY_MS 5000
#define STREAM_WRITE 65536
#define DGRAM_SIZE 64
#define CONNECT_SIZE 64
/* The models' silent-client test: the server's --idle-timeout. */
#define SILENT_IDLE_S 1

/* A family and, when it has one here, its server for one section. */
struct ours {
    const struct family *fam;
    struct fam_args a; /* where the server is (a.path, a.port) */
    char path[108];    /* LINE_LOCAL: an abstract name of this process */
    int has_server;
    struct sf_task t;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

/* The server's --mode in each section: round trips mirror, rates discard. */
static const char *const modes[SEC_N] = {"mirror", "discard", "discard",
                                         "mirror", "mirror",  "mirror"};

/* Start the family's server pinned to the server end's CPU, and read where it listens. */
static int server_start(struct sf_err *err, struct bench *b, enum section sec, struct ours *o)
{
    struct fam_argv v;
    struct sf_ready r;
    int rc;

    snprintf(o->path, sizeof(o->path), "@sockfam-bench-%d-%s", (int)getpid(), o->fam->name);
    o->a.backlog = sec == SEC_CROWD || sec == SEC_MODELS ? CROWD_BACKLOG : 0; /* in flight */
    sf_cpu_pin(NULL, &b->cpus, b->server.self);
    rc = sf_task_start(err, &o->t, b->bin_dir, family_server_argv(o->fam, &o->a, &v));
    sf_cpu_pin(NULL, &b->cpus, -1);
    if (rc < 0)
        return -1;
    if (sf_ready_wait(err, &o->t, sf_deadline_after_ms(READY_MS), &r) < 0 ||
        family_ready(err, o->fam, &r, &o->a) < 0 ||
        family_sockaddr(err, o->fam, &o->a, &o->addr, &o->addrlen) < 0) {
        sf_task_end(&o->t);
        return -1;
    }
    o->has_server = 1;
    return 0;
}

/* SIGTERM, and wait for its last line (the final counters). */
static void server_stop(struct ours *o)
{
    if (!o->has_server)
        return;
    sf_task_signal(&o->t, SIGTERM);
    sf_task_wait(&o->t, NULL, sf_deadline_after_ms(READY_MS));
    sf_task_end(&o->t);
    o->has_server = 0;
}

/*
 * Run the family's client with args a, pinned to the client end's CPU;
 * its summary into *sum.  0, or -1 with c->why set (c->skipped when the
 * client says this machine cannot run it).
 */
static int client_run(struct bench *b, struct cell *c, const struct ours *o,
                      const struct fam_args *a, struct fam_summary *sum)
{
    struct sf_task *t = calloc(1, sizeof(*t));
    struct fam_argv v;
    struct sf_err err;
    const char *line;
    size_t len = 0;
    int rc;

    if (!t)
        return snprintf(c->why, sizeof(c->why), "out of memory"), -1;
    sf_cpu_pin(NULL, &b->cpus, b->client.self);
    rc = sf_task_start(&err, t, b->bin_dir, family_client_argv(o->fam, a, &v));
    sf_cpu_pin(NULL, &b->cpus, -1);
    if (rc < 0)
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    else if (!sf_task_wait(t, NULL, sf_deadline_after_ms(CELL_MS)))
        rc = -1,
        snprintf(c->why, sizeof(c->why), "%s took longer than %d s", t->name, CELL_MS / 1000);
    line = family_summary_line(t->out, &len);
    if (rc == 0 && t->status != 0) {
        rc = -1;
        sf_task_last_line(t, c->why, sizeof(c->why));
        c->skipped = family_client_refused(o->fam, t->status, line != NULL);
    }
    if (rc == 0 && (!line || family_summary(o->fam, line, len, a->size, sum) < 0))
        rc = -1, snprintf(c->why, sizeof(c->why), "no summary in: %.200s", t->out);
    sf_task_end(t);
    free(t);
    return rc;
}

/* The client's arguments for this section: to the server, datagram sockets connected. */
static struct fam_args client_args(const struct ours *o, const char *mode, unsigned long count,
                                   unsigned long size)
{
    struct fam_args a = o->a;

    /* Connected, as the floors' sockets are: an unconnected AF_UNIX datagram sender
     * cannot wait for room in the server's queue, only spin on EAGAIN. */
    a.mode = mode, a.count = count, a.size = size, a.warmup = -1, a.connect = 1;
    return a;
}

static void latency_cell(struct bench *b, const struct ours *o, unsigned long size)
{
    struct cell *c = bench_cell(b, SEC_LATENCY, ROLE_OURS, o->fam->name, size);
    struct fam_args a = client_args(o, "mirror", b->count, size);
    struct fam_summary sum;

    a.warmup = (long)b->warmup;
    bench_progress(b, o->fam->name, size);
    if (client_run(b, c, o, &a, &sum) < 0)
        return;
    c->p50 = sum.p50_us, c->p99 = sum.p99_us, c->mean = sum.mean_us;
    c->hist.n = sum.nhist;
    memcpy(c->hist.bin, sum.hist, sizeof(sum.hist[0]) * (size_t)sum.nhist);
    c->ok = (sum.have & SUM_RTT) && c->mean > 0;
    if (!c->ok)
        snprintf(c->why, sizeof(c->why), "no round trips in the client's summary");
}

static void stream_cell(struct bench *b, const struct ours *o)
{
    struct cell *c = bench_cell(b, SEC_STREAM, ROLE_OURS, o->fam->name, STREAM_WRITE);
    struct fam_args a = client_args(o, "discard", b->stream_mib * 16, STREAM_WRITE);
    struct fam_summary sum;

    if (client_run(b, c, o, &a, &sum) < 0)
        return;
    c->ok =
        (sum.have & (SUM_BYTES | SUM_ELAPSED)) == (SUM_BYTES | SUM_ELAPSED) && sum.elapsed_s > 0;
    c->rate = c->ok ? sum.bytes_sent / sum.elapsed_s / 1e6 : 0;
}

/* What the datagram server's last line says arrived, and what the kernel dropped. */
static int server_counts(const struct ours *o, unsigned long long *got, unsigned long long *drop)
{
    const char *line = strstr(o->t.err, ": datagrams "), *k = strstr(o->t.err, "kernel ");

    return line && k && sscanf(line, ": datagrams %llu", got) == 1 &&
                   sscanf(k, "kernel %llu", drop) == 1
               ? 0
               : -1;
}

/* Datagrams flat out to a discarding server, counted from both ends; stops the server. */
static void dgram_cell(struct bench *b, struct ours *o)
{
    struct cell *c = bench_cell(b, SEC_DGRAM, ROLE_OURS, o->fam->name, DGRAM_SIZE);
    struct fam_args a = client_args(o, "discard", b->dgrams, DGRAM_SIZE);
    struct fam_summary sum;
    int ran = client_run(b, c, o, &a, &sum) == 0;

    server_stop(o); /* its last line: what arrived, what the kernel dropped */
    if (ran && (sum.have & SUM_ELAPSED) && sum.elapsed_s > 0 &&
        server_counts(o, &c->received, &c->dropped) == 0) {
        c->ok = 1;
        c->sent = (unsigned long long)sum.sent;
        c->rate = sum.sent / sum.elapsed_s, c->delivered = (double)c->received / sum.elapsed_s;
        c->unexplained = (long long)(c->sent - c->received - c->dropped);
    } else if (!c->why[0]) {
        snprintf(c->why, sizeof(c->why), "no counts from %s: %.200s", o->fam->server, o->t.err);
    }
}

static void connect_cell(struct bench *b, const struct ours *o)
{
    struct cell *c = bench_cell(b, SEC_CONNECT, ROLE_OURS, o->fam->name, CONNECT_SIZE);
    struct sf_stats st;
    struct sf_err err;
    double secs;

    sf_stats_init(&st);
    sf_cpu_pin(NULL, &b->cpus, b->client.self);
    if (floor_connect_loop(&err, (const struct sockaddr *)&o->addr, o->addrlen, CONNECT_SIZE,
                           b->connections, &st, &secs) < 0) {
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    } else {
        struct sf_summary sum = sf_stats_summary(&st);
        c->ok = 1, c->p50 = sum.p50, c->p99 = sum.p99, c->mean = sum.mean;
        c->rate = (double)b->connections / secs;
    }
    sf_cpu_pin(NULL, &b->cpus, -1);
    sf_stats_free(&st);
}

/* A row that says why the family could not be measured in sec. */
static void failed(struct bench *b, enum section sec, const char *name, const char *why)
{
    struct cell *c = bench_cell(b, sec, ROLE_OURS, name, 0);

    snprintf(c->why, sizeof(c->why), "%.200s", why);
}

/* Where the kernel answers the family itself (icmp), the client talks to the kernel:
 * the bench runs in the caller's namespace, where the kernel is not to be silenced. */
static int serverless(const struct family *fam)
{
    return !fam->server || fam->kernel_off;
}

struct ours *ours_open(struct bench *b, enum section sec, int f)
{
    const struct family *fam = &families[f];
    struct ours *o;
    struct sf_err err;

    if (serverless(fam) && sec != SEC_LATENCY)
        return NULL; /* only round trips can be measured without a server of ours */
    bench_progress(b, fam->name, 0);
    if (!(o = calloc(1, sizeof(*o))))
        return failed(b, sec, fam->name, "out of memory"), NULL;
    o->fam = fam;
    o->a = (struct fam_args){.mode = modes[sec], .warmup = -1, .path = o->path};
    o->a.spin = b->spin && sec == SEC_LATENCY; /* --spin: the round trips' ends busy-poll */
    if (!serverless(fam) && sec != SEC_MODELS && server_start(&err, b, sec, o) < 0) {
        failed(b, sec, fam->name, err.msg);
        free(o);
        return NULL;
    }
    return o;
}

void ours_measure(struct bench *b, struct ours *o, enum section sec, unsigned long size)
{
    struct sf_err err;

    /* A datagram row stops its server to read its counts: the next repetition starts another. */
    if (!o->has_server && !serverless(o->fam) && server_start(&err, b, sec, o) < 0)
        return failed(b, sec, o->fam->name, err.msg);
    switch (sec) {
    case SEC_LATENCY:
        latency_cell(b, o, size);
        break;
    case SEC_STREAM:
        stream_cell(b, o);
        break;
    case SEC_DGRAM:
        dgram_cell(b, o);
        break;
    case SEC_CONNECT:
        connect_cell(b, o);
        break;
    case SEC_CROWD:
        crowd_run(b, bench_cell(b, SEC_CROWD, ROLE_OURS, o->fam->name, CONNECT_SIZE),
                  (const struct sockaddr *)&o->addr, o->addrlen, o->t.c.pid);
        break;
    default:
        break;
    }
}

/*
 * The model's row: the crowd against a server run with --model model (its
 * own idle timeout, 60 s), then, against a fresh one whose idle timeout is
 * SILENT_IDLE_S, one echo beside a silent client.
 */
void ours_models(struct bench *b, struct ours *o, const char *model)
{
    char name[48];
    struct sf_err err;
    struct cell *c;

    snprintf(name, sizeof(name), "%s %s", o->fam->name, model);
    c = bench_cell(b, SEC_MODELS, ROLE_OURS, name, CONNECT_SIZE);
    bench_progress(b, name, CONNECT_SIZE);
    o->a.model = model;
    for (int silent = 0; silent < 2 && (!silent || c->ok); silent++) {
        o->a.idle_timeout_s = silent ? SILENT_IDLE_S : 0;
        if (server_start(&err, b, SEC_MODELS, o) < 0) {
            c->ok = 0;
            snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
            return;
        }
        if (!silent) /* iterative serves one at a time: a client done must leave */
            crowd_models(b, c, (const struct sockaddr *)&o->addr, o->addrlen, o->t.c.pid,
                         strcmp(model, "iterative") != 0);
        else
            crowd_silent(c, (const struct sockaddr *)&o->addr, o->addrlen);
        server_stop(o);
    }
}

void ours_close(struct ours *o)
{
    if (!o)
        return;
    server_stop(o);
    free(o);
}
