/*
 * netlab: the network lab, a real link instead of loopback.  Three private
 * network namespaces, client, router and server, joined by two veth pairs
 * (client c0 -- r0 router r1 -- s0 server); the router forwards.  Addresses
 * are from the benchmarking ranges, inside these namespaces only:
 *
 *   client  c0  198.18.1.2/24  2001:2:0:1::2/64
 *   router  r0  198.18.1.1/24  2001:2:0:1::1/64
 *           r1  198.18.2.1/24  2001:2:0:2::1/64
 *   server  s0  198.18.2.2/24  2001:2:0:2::2/64
 *
 * Nothing links the lab to the host: the veths are made inside the router's
 * namespace and moved straight into the others, there is no default route,
 * and traffic never leaves.  The link is a LAN's: MTU 1500, ARP and
 * neighbour discovery, offloads off on every veth (so a capture shows real
 * 1448-byte segments, not 64 KiB ones), the TCP congestion control set in
 * the client and the server.  Impairments sit at the router's forward hook,
 * so a packet lost "on the wire" is seen on the sender's side of the router
 * and not on the receiver's: nft loss (numgen random, or every Nth with
 * numgen inc, each with a counter), nft duplication, a tbf bottleneck, a
 * narrower path MTU after the router (its routes towards the server), netem
 * delay where the kernel has it.
 *
 * Everything is built by the real tools (ip, nft, tc, ethtool), each run as
 * an argv with no shell, in its namespace; a failure names the command and
 * its stderr.  opts->trace receives every step as the shell line that would
 * do it by hand.  sf_lab_down() removes every namespace (and so every veth,
 * rule and qdisc in them); sf_lab_sweep() removes what a killed run left.
 * Never prints, never exits.
 */
#ifndef SF_NETLAB_H
#define SF_NETLAB_H

#include <stdint.h>

#include "err.h"

enum sf_lab_ns { SF_LAB_CLIENT, SF_LAB_ROUTER, SF_LAB_SERVER, SF_LAB_NS };

enum sf_lab_loss { SF_LOSS_NONE, SF_LOSS_RANDOM, SF_LOSS_EVERY };

#define SF_LAB_UP 1   /* client to server */
#define SF_LAB_DOWN 2 /* server to client */

struct sf_lab_opts {
    int mtu;               /* a narrow hop after the router (its routes to the server); 0: none */
    enum sf_lab_loss loss; /* at the router's forward hook */
    double loss_pct;       /* SF_LOSS_RANDOM: percent of packets, 0-100 */
    unsigned loss_every;   /* SF_LOSS_EVERY: every Nth packet, N >= 2 */
    int loss_dir;          /* SF_LAB_UP | SF_LAB_DOWN; 0: both */
    unsigned
        loss_min_len;  /* lose only IP packets at least this long (data, not bare ACKs); 0: any */
    double dup_pct;    /* percent of packets duplicated (both directions) */
    char rate[32];     /* a tbf bottleneck each way ("10mbit"); "": none */
    unsigned delay_ms; /* netem each way; refused where the kernel has no sch_netem */
    const char *cc;    /* TCP congestion control in client and server; NULL: "cubic" */
    /* Each step as a shell line (for -v), and how long it took. */
    void (*trace)(void *ctx, const char *line, int64_t ns);
    void *ctx;
};

struct sf_lab;

/*
 * Build the lab.  NULL with err set: EPERM without root (exit 77), a
 * missing tool or kernel feature as SF_ERR_PEER (exit 69, naming the
 * package or the module), anything else with the command and its stderr.
 * A failure removes whatever was built.
 */
struct sf_lab *sf_lab_up(struct sf_err *err, const struct sf_lab_opts *o);

/* The namespace's descriptor (for sf_spawn_in, or setns to open a capture there). */
int sf_lab_netns(const struct sf_lab *lab, enum sf_lab_ns ns);

/* Its name, as `ip netns` lists it: "sockfam-lab-PID-router". */
const char *sf_lab_name(const struct sf_lab *lab, enum sf_lab_ns ns);

/* The client's or the server's address ("198.18.2.2", "2001:2:0:2::2"). */
const char *sf_lab_addr(enum sf_lab_ns ns, int v6);

/* How long sf_lab_up() took, in nanoseconds. */
int64_t sf_lab_build_ns(const struct sf_lab *lab);

/* The congestion control the client and the server use. */
const char *sf_lab_cc(const struct sf_lab *lab);

/*
 * Packets the router's loss rules dropped so far, per direction (nft's
 * counters), into *up and *down.  0, or -1 with err set.
 */
int sf_lab_dropped(struct sf_err *err, struct sf_lab *lab, uint64_t *up, uint64_t *down);

/*
 * Run this thread in namespace ns (1), or back in the one it came from
 * (ns = SF_LAB_NS).  A capture opened meanwhile stays in ns.  0 or -1.
 */
int sf_lab_enter(struct sf_err *err, struct sf_lab *lab, enum sf_lab_ns ns);

/* Remove everything and free lab (NULL is ignored).  0, or -1 if something could not go. */
int sf_lab_down(struct sf_err *err, struct sf_lab *lab);

/* Remove the namespaces of runs whose process is gone (killed).  How many, or -1. */
int sf_lab_sweep(struct sf_err *err);

#endif
