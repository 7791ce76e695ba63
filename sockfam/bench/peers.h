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

/* Each peer whose family and section are selected: its rows. */
void peers_run(struct bench *b);

#endif
