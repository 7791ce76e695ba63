/*
 * netns: put the calling test process (Criterion runs each test in its own
 * process) into a private network namespace with only lo, brought up, so
 * the test sees and disturbs no other traffic.
 */
#ifndef SF_TEST_NETNS_H
#define SF_TEST_NETNS_H

#include <stddef.h>

/* Enter a new network namespace with lo up.  0, or -1 with the reason in why. */
int netns_enter(char *why, size_t cap);

/* Write value to a /proc/sys file (this namespace's sysctl).  0 or -1. */
int netns_sysctl(const char *path, const char *value);

#endif
