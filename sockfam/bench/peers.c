/* peers: established tools beside ours; see peers.h. */
#include "peers.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cells.h"
#include "io.h"
#include "json.h"
#include "task.h"

#define PEER_MS 120000
#define READY_MS 5000

/* The tool's full path on PATH into buf; 0, or -1 if it is not installed. */
static int which(const char *tool, char *buf, size_t cap)
{
    const char *path = getenv("PATH");
    char dirs[4096];
    char *save = NULL;

    if (strchr(tool, '/'))
        return snprintf(buf, cap, "%s", tool), access(buf, X_OK);
    snprintf(dirs, sizeof(dirs), "%s", path ? path : "/usr/bin:/bin");
    for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save))
        if ((size_t)snprintf(buf, cap, "%s/%s", d, tool) < cap && access(buf, X_OK) == 0)
            return 0;
    return -1;
}

/* A port no one uses now on 127.0.0.1 (the peer binds it a moment later). */
static int free_port(int type)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), port = 0;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* Start a peer pinned to cpu; argv[0] is the tool's name.  0, or -1 with c->why. */
static int peer_start(struct bench *b, struct cell *c, struct sf_task *t, const char **argv,
                      int cpu, const char *package)
{
    char path[512];
    struct sf_err err;
    int rc;

    if (which(argv[0], path, sizeof(path)) < 0) {
        c->skipped = 1;
        snprintf(c->why, sizeof(c->why), "%s is not installed (apt-get install %s)", argv[0],
                 package);
        return -1;
    }
    argv[0] = path; /* sf_task_start keeps only the name after the last / */
    sf_cpu_pin(NULL, &b->cpus, cpu);
    rc = sf_task_start(&err, t, NULL, argv);
    sf_cpu_pin(NULL, &b->cpus, -1);
    if (rc < 0)
        snprintf(c->why, sizeof(c->why), "%.200s", err.msg);
    return rc;
}

/* Wait for a peer client to end well; 0, or -1 with c->why. */
static int peer_finish(struct cell *c, struct sf_task *t)
{
    char last[200];

    if (!sf_task_wait(t, NULL, sf_deadline_after_ms(PEER_MS)))
        return snprintf(c->why, sizeof(c->why), "%s took longer than %d s", t->name,
                        PEER_MS / 1000),
               -1;
    if (t->status != 0)
        return snprintf(c->why, sizeof(c->why), "%s failed (exit %d): %s", t->name, t->status,
                        sf_task_last_line(t, last, sizeof(last))),
               -1;
    return 0;
}

/* A server peer: started, then ready when its output holds needle. */
static int peer_server(struct bench *b, struct cell *c, struct sf_task *t, const char **argv,
                       const char *needle, const char *package)
{
    if (peer_start(b, c, t, argv, b->server.self, package) < 0)
        return -1;
    if (sf_task_wait(t, needle, sf_deadline_after_ms(READY_MS)))
        return 0;
    snprintf(c->why, sizeof(c->why), "%s did not say '%s'", t->name, needle);
    sf_task_end(t);
    return -1;
}

/* The number after key in text; -1 if absent. */
static double after(const char *text, const char *key)
{
    const char *p = strstr(text, key);

    return p ? strtod(p + strlen(key), NULL) : -1;
}

/* sockperf ping-pong over tcp, or udp: 64-byte round trips. */
static void sockperf(struct bench *b, int udp)
{
    int tcp = !udp;
    struct cell *c =
        bench_cell(b, SEC_LATENCY, ROLE_PEER, tcp ? "sockperf tcp" : "sockperf udp", 64);
    struct sf_task *srv = calloc(1, sizeof(*srv)), *cli = calloc(1, sizeof(*cli));
    char port[16];
    const char *sargv[] = {"sockperf",           "sr", "-i", "127.0.0.1", "-p", port,
                           tcp ? "--tcp" : NULL, NULL};
    const char *cargv[] = {"sockperf", "pp", "-i", "127.0.0.1", "-p",         port,
                           "-m",       "64", "-t", "1",         "--full-rtt", tcp ? "--tcp" : NULL,
                           NULL};

    snprintf(c->vs, sizeof(c->vs), "%s", tcp ? "tcp" : "udp");
    snprintf(port, sizeof(port), "%d", free_port(tcp ? SOCK_STREAM : SOCK_DGRAM));
    bench_progress(b, c->name, 64);
    if (srv && cli && peer_server(b, c, srv, sargv, "block on socket", "sockperf") == 0) {
        if (peer_start(b, c, cli, cargv, b->client.self, "sockperf") == 0 &&
            peer_finish(c, cli) == 0) {
            c->p50 = after(cli->out, "percentile 50.000 =");
            c->p99 = after(cli->out, "percentile 99.000 =");
            c->mean = after(cli->out, "avg-rtt=");
            c->ok = c->p50 > 0 && c->mean > 0;
            if (!c->ok)
                snprintf(c->why, sizeof(c->why), "no percentiles in sockperf's output");
        }
        sf_task_end(cli);
        sf_task_end(srv);
    }
    free(srv), free(cli);
}

/* A -c N -i 0 -q -s 64 run of ping or icmp-ping: the wall time per echo, from "time Xms". */
static double per_echo_us(struct bench *b, struct cell *c, const char **argv, unsigned long n,
                          const char *key)
{
    struct sf_task *t = calloc(1, sizeof(*t));
    double ms = -1;

    if (t && peer_start(b, c, t, argv, b->client.self, "iputils-ping") == 0) {
        if (peer_finish(c, t) == 0)
            ms = after(t->out, key);
        sf_task_end(t);
    }
    free(t);
    return ms > 0 ? ms * 1e3 / (double)n : -1;
}

/*
 * iputils ping -i 0 against icmp-ping -i 0, the same count, one after the
 * other: echoes per second from each one's own elapsed time (ping prints
 * round trips only to the microsecond, too coarse on loopback).  iputils
 * refuses an interval under 2 ms to any real uid but 0 ("cannot flood"),
 * whatever capabilities it holds, and a paced ping is no peer of -i 0: the
 * row is then skipped, saying so.
 */
static void ping(struct bench *b, int unused)
{
    const struct family *icmp = &families[family_find("icmp", 4)];
    struct cell *c = bench_cell(b, SEC_LATENCY, ROLE_PEER, "ping", 64);
    unsigned long n = b->count < 100000 ? 100000 : b->count;
    char count[24], ours[4200];
    const char *pargv[] = {"ping", "-c", count, "-i", "0", "-q", "-s", "64", "127.0.0.1", NULL};
    const char *oargv[] = {ours, "--json", "-q", "-c",        count, "-i",
                           "0",  "-s",     "64", "127.0.0.1", NULL};
    double theirs, mine;

    snprintf(c->vs, sizeof(c->vs), "icmp");
    snprintf(count, sizeof(count), "%lu", n);
    snprintf(ours, sizeof(ours), "%s/%s", b->bin_dir, icmp->client);
    (void)unused;
    if (getuid() != 0) {
        c->skipped = 1;
        snprintf(c->why, sizeof(c->why),
                 "iputils ping allows -i 0 to root only (as uid %d: \"minimal interval allowed "
                 "for user is 2ms\"); run as root to compare",
                 (int)getuid());
        return;
    }
    bench_progress(b, c->name, 64);
    theirs = per_echo_us(b, c, pargv, n, " time ");
    mine = theirs > 0 ? per_echo_us(b, c, oargv, n, "\"time_ms\":") : -1;
    c->ok = theirs > 0 && mine > 0;
    if (c->ok) {
        c->mean = theirs, c->rate = 1e6 / theirs, c->ratio = mine / theirs;
    } else if (!c->why[0]) {
        snprintf(c->why, sizeof(c->why), "no elapsed time in the output");
    }
}

static double json_at(const char *j, const char *path)
{
    struct sf_json_val v;

    return sf_json_get(j, strlen(j), path, &v) == 1 && v.type == SF_JSON_NUMBER ? v.num : -1;
}

/* iperf3 -c against a one-off iperf3 -s: tcp MB/s, or the udp datagram rate. */
static void iperf3(struct bench *b, int udp)
{
    struct cell *c = bench_cell(b, udp ? SEC_DGRAM : SEC_STREAM, ROLE_PEER,
                                udp ? "iperf3 udp" : "iperf3 tcp", udp ? 64 : 65536);
    struct sf_task *srv = calloc(1, sizeof(*srv)), *cli = calloc(1, sizeof(*cli));
    char port[16], bytes[32];
    const char *sargv[] = {"iperf3", "-s", "-1", "--forceflush", "-B", "127.0.0.1",
                           "-p",     port, NULL};
    const char *cargv[] = {"iperf3",
                           "-c",
                           "127.0.0.1",
                           "-p",
                           port,
                           "-J",
                           "-n",
                           bytes,
                           "-l",
                           udp ? "64" : "65536",
                           udp ? "-u" : NULL,
                           "-b",
                           "0",
                           NULL};

    snprintf(c->vs, sizeof(c->vs), "%s", udp ? "udp" : "tcp");
    snprintf(port, sizeof(port), "%d", free_port(SOCK_STREAM));
    snprintf(bytes, sizeof(bytes), "%lu", udp ? b->dgrams * 64 : b->stream_mib * 1048576);
    bench_progress(b, c->name, c->size);
    if (srv && cli && peer_server(b, c, srv, sargv, "Server listening", "iperf3") == 0) {
        if (peer_start(b, c, cli, cargv, b->client.self, "iperf3") == 0 &&
            peer_finish(c, cli) == 0) {
            double secs = json_at(cli->out, udp ? "end.sum.seconds" : "end.sum_received.seconds");
            if (udp) {
                double pk = json_at(cli->out, "end.sum.packets");
                double lost = json_at(cli->out, "end.sum.lost_packets");
                c->ok = secs > 0 && pk > 0 && lost >= 0;
                c->sent = (unsigned long long)pk, c->received = (unsigned long long)(pk - lost);
                c->dropped = (unsigned long long)lost; /* iperf3's "lost": no kernel count */
                c->rate = pk / secs, c->delivered = (pk - lost) / secs;
            } else {
                double bps = json_at(cli->out, "end.sum_received.bits_per_second");
                c->ok = bps > 0;
                c->rate = bps / 8 / 1e6;
            }
            if (!c->ok)
                snprintf(c->why, sizeof(c->why), "no end.sum figures in iperf3's JSON");
        }
        sf_task_end(cli);
        sf_task_signal(srv, SIGTERM);
        sf_task_wait(srv, NULL, sf_deadline_after_ms(READY_MS));
        sf_task_end(srv);
    }
    free(srv), free(cli);
}

/* socat to socat over a unix stream socket: from the client's start to the server's exit. */
static void socat(struct bench *b, int unused)
{
    struct cell *c = bench_cell(b, SEC_STREAM, ROLE_PEER, "socat unix-stream", 65536);
    struct sf_task *srv = calloc(1, sizeof(*srv)), *cli = calloc(1, sizeof(*cli));
    char listen[96], conn[96], zero[64];
    const char *sargv[] = {"socat", "-d", "-d", "-u", "-b", "65536", listen, "/dev/null", NULL};
    const char *cargv[] = {"socat", "-u", "-b", "65536", zero, conn, NULL};
    int64_t t0;

    (void)unused;
    snprintf(c->vs, sizeof(c->vs), "unix-stream");
    snprintf(listen, sizeof(listen), "ABSTRACT-LISTEN:sockfam-bench-socat-%d", (int)getpid());
    snprintf(conn, sizeof(conn), "ABSTRACT-CONNECT:sockfam-bench-socat-%d", (int)getpid());
    snprintf(zero, sizeof(zero), "OPEN:/dev/zero,readbytes=%lu", b->stream_mib * 1048576);
    bench_progress(b, c->name, 65536);
    if (srv && cli && peer_server(b, c, srv, sargv, "listening on", "socat") == 0) {
        t0 = sf_now_ns();
        if (peer_start(b, c, cli, cargv, b->client.self, "socat") == 0 &&
            peer_finish(c, cli) == 0 && peer_finish(c, srv) == 0) {
            c->rate = (double)b->stream_mib * 1048576 / ((double)(sf_now_ns() - t0) / 1e9) / 1e6;
            c->ok = 1;
        }
        sf_task_end(cli);
        sf_task_end(srv);
    }
    free(srv), free(cli);
}

/* A peer: the family of ours it stands beside, in which section at which size, and how it runs. */
struct peer {
    const char *family;
    enum section sec;
    unsigned long size;
    void (*run)(struct bench *b, int udp);
    int udp;
};

static const struct peer peers[] = {
    {"tcp", SEC_LATENCY, 64, sockperf, 0}, {"udp", SEC_LATENCY, 64, sockperf, 1},
    {"icmp", SEC_LATENCY, 64, ping, 0},    {"tcp", SEC_STREAM, 65536, iperf3, 0},
    {"udp", SEC_DGRAM, 64, iperf3, 1},     {"unix-stream", SEC_STREAM, 65536, socat, 0},
};

void peers_for(struct bench *b, enum section sec, int f, unsigned long size)
{
    for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
        if (peers[i].sec == sec && peers[i].size == size &&
            strcmp(peers[i].family, families[f].name) == 0)
            peers[i].run(b, peers[i].udp);
}
