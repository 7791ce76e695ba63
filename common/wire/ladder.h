/*
 * ladder: a captured exchange drawn as text, one arrow per packet between
 * the client's column (left: whoever sent the first packet) and the
 * server's (right), the way a textbook draws a TCP handshake:
 *
 *   client 127.0.0.1:43122                         server 127.0.0.1:50007
 *      0.000 ms  ---- SYN seq 0 win 65495 mss 65495 --------------------->
 *      0.011 ms  <--- SYN,ACK seq 0 ack 1 win 65483 mss 65495 -----------
 *
 * TCP sequence numbers are relative to each side's first one, as tcpdump
 * prints them ("seq 1:20 ack 1"), and TCP options go by tcpdump's names
 * (mss, sackOK, wscale, "mptcp capable v1"); payloads are previewed with
 * sf_repr().
 * The text is built in memory; printing it is the caller's business.
 */
#ifndef SF_LADDER_H
#define SF_LADDER_H

#include <stddef.h>

#include "err.h"
#include "wire.h"

/*
 * The records of the flow that record `first` belongs to (same addresses,
 * same ports or ICMP id, either direction), in capture order, at most max.
 * Returns how many were stored in out.
 */
size_t sf_ladder_flow(const struct sf_wire *w, size_t first, const struct sf_wire_rec **out,
                      size_t max);

/*
 * Draw recs (one flow, in order) as a ladder: the first head packets and
 * the last tail, with a "... N more packets ..." line between (head 0:
 * every packet).  Returns a malloc'd string (the caller frees it), or
 * NULL with err set when out of memory.
 */
char *sf_ladder(struct sf_err *err, const struct sf_wire_rec *const *recs, size_t n, size_t head,
                size_t tail);

#endif
