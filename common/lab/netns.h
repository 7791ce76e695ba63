/*
 * netns: a private network namespace for the calling process (and the
 * children it starts afterwards), holding only lo, brought up, so that a
 * capture there sees nothing but the traffic of this run or this test.
 */
#ifndef SF_NETNS_H
#define SF_NETNS_H

#include "err.h"

/* unshare(CLONE_NEWNET), then lo up.  0, or -1 with err set (EPERM: not root). */
int sf_netns_private(struct sf_err *err);

/* Write value to a /proc/sys file (this namespace's copy for net.*).  0 or -1. */
int sf_sysctl_write(struct sf_err *err, const char *path, const char *value);

#endif
