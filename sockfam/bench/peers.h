/*
 * peers: the tools people already trust, run beside ours in the same run
 * and under the same placement (each end pinned as ours are):
 *
 *   sockperf ping-pong --full-rtt   tcp and udp round trips, 64 bytes
 *   iputils ping -i 0               icmp round trips, 64 bytes
 *   iperf3                          tcp throughput (64 KiB writes), udp datagram rate
 *   socat                           unix stream throughput (64 KiB blocks)
 *
 * A tool not on PATH gives a skipped row that says which Debian package
 * has it.  Each row's ratio is ours over the peer's, on the section's
 * headline figure.
 */
#ifndef SF_PEERS_H
#define SF_PEERS_H

#include "bench.h"

/*
 * One repetition of each peer that stands beside family f (an index of
 * families[]) in section sec at size: round trips at 64 bytes only, so a
 * run whose --sizes leaves out 64 has no latency peers.
 */
void peers_for(struct bench *b, enum section sec, int f, unsigned long size);

#endif
