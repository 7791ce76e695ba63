/*
 * fdlimit: enough descriptors for a connection server.  A Linux process
 * starts with a soft RLIMIT_NOFILE of 1024, kept low for select()'s
 * FD_SETSIZE, under a hard limit set far higher (systemd's default is
 * 524288); a server on epoll has no use for the low one, so it raises its
 * soft limit to the hard one at start, as Go's runtime does for every
 * program.  Only the hard limit's owner (ulimit -Hn, LimitNOFILE=) can go
 * further, so when that is still short of what --max-conns asks, the
 * server says so on stderr and serves what it can: past the limit, clients
 * are accepted and closed at once (sserv.h).  Part of sockfam_cli: it prints.
 */
#ifndef SF_FDLIMIT_H
#define SF_FDLIMIT_H

#include <stdint.h>

/* Descriptors a connection server holds besides its clients': stdio, the
 * listener, the epoll set, the stop signalfd, the idle timer, the reserve. */
#define SF_FDLIMIT_SPARE 16

/*
 * Raise the soft RLIMIT_NOFILE to the hard limit.  When max_conns (0: no
 * cap, nothing to say) clients and SF_FDLIMIT_SPARE need more than the
 * limit then is, one line on stderr says so: "PROGRAM: descriptors: ...".
 * Returns the soft limit now in force.
 */
uint64_t sf_fdlimit_raise(uint32_t max_conns);

#endif
