/*
 * capture: the wire tests' helpers around common/wire.  A test enters a
 * private network namespace, starts a capture that is ready before any
 * traffic, runs real programs, stops the capture (nothing lost, or the test
 * fails), and asserts on the decoded packets.  Without the privilege to
 * unshare or to capture, the test is skipped with the reason printed.
 */
#ifndef SF_TEST_CAPTURE_H
#define SF_TEST_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Enter a private network namespace with lo up, or skip the test saying why. */
void private_netns(void);

/* private_netns(), then a ready capture on ifname with a BPF filter (or skip). */
struct sf_wire *capture_start(const char *ifname, const char *filter);

/* Stop the capture; the test fails if the capture lost anything. */
void capture_stop(struct sf_wire *w);

/* Read the capture while traffic runs until pred(w, arg) holds: 1, or 0 at the deadline. */
int capture_until(struct sf_wire *w, int (*pred)(const struct sf_wire *, void *), void *arg,
                  int timeout_ms);

/* The decoded records carrying l4, in capture order, at most max. */
size_t capture_select(const struct sf_wire *w, int l4, const struct sf_wire_rec **out, size_t max);

/*
 * The bytes one TCP direction carried (packets from sport), each payload
 * placed at its sequence number relative to that side's SYN, so a
 * retransmission is not counted twice.  Returns the length; -1 on a hole.
 */
long tcp_stream(const struct sf_wire_rec *const *recs, size_t n, uint16_t sport, uint8_t *buf,
                size_t cap);

/* The whole capture as a ladder (for failure messages); a static "" when empty. */
const char *capture_ladder(const struct sf_wire *w);

#endif
