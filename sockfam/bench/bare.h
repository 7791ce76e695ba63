/*
 * bare: the plumbing of the floors: two ends of a bare channel (a
 * socketpair, two pipes, a loopback TCP connection, two connected UDP
 * sockets), exact reads and writes on them, and a child forked onto its
 * CPU to play the other end.  Every blocking call on a socket is bounded
 * (SO_RCVTIMEO, SO_SNDTIMEO), so a floor that stalls fails its cell
 * instead of hanging the bench.
 */
#ifndef SF_BARE_H
#define SF_BARE_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/types.h>

#include "floor.h"

/* A transfer that stalls this long (seconds) fails the cell instead of hanging the bench. */
#define BARE_STALL_S 5

/* Datagram kinds keep boundaries: one read is one record. */
int bare_is_record(enum floor_kind kind);

/* Bound every blocking send and receive on fd by the stall limit. */
void bare_stall_limit(int fd);

/* A loopback listener on port 0 (SOCK_STREAM) or a bound socket (SOCK_DGRAM); its address into a.
 */
int bare_loopback(int type, struct sockaddr_in *a);

/* The two ends: fds[0]/[1] the parent's write/read, [2]/[3] the child's read/write.  0 or -1. */
int bare_channel(enum floor_kind kind, int fds[4]);

/*
 * Every floor's round trips spin from now on (on != 0): their ends are
 * made non-blocking by bare_spin_fds() and bare_read(), bare_write() and
 * the server floors' echo look again at once on EAGAIN, within the stall
 * limit, as a busy-polling program does.
 */
void bare_spin(int on);

/* Is the floors' waiting spinning? */
int bare_spinning(void);

/* Spinning: make the ends non-blocking (the rest of the floors keep blocking ends). */
void bare_spin_fds(const int fds[4]);

/* A spinning call found nothing: 1 to look again, 0 when the stall limit since start is over. */
int bare_spin_again(int64_t start_ns);

/* Read exactly len bytes (or one record); 0, or -1 on EOF, error or stall. */
int bare_read(int fd, char *buf, size_t len, int record);

/* Write all len bytes; 0 or -1. */
int bare_write(int fd, const char *buf, size_t len);

/* Close a and, when it is another descriptor, b. */
void bare_close(int a, int b);

/*
 * Fork a child pinned to pl->child that closes the parent's ends
 * (fds[0], fds[1]), runs fn and exits; the parent is pinned to pl->self.
 * The child's pid, or -1.
 */
pid_t bare_fork(const struct place *pl, void (*fn)(const int *fds, size_t size), const int *fds,
                size_t size);

/* Stop and reap the child (a datagram child never sees EOF), unpin the parent. */
void bare_end(const struct place *pl, pid_t pid);

#endif
