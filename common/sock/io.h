/*
 * io: deadlines on CLOCK_MONOTONIC and the send/receive loops every program
 * needs and every textbook leaves out: EINTR retried, partial writes
 * finished, waits bounded by poll(), SIGPIPE never raised (MSG_NOSIGNAL),
 * datagram truncation (MSG_TRUNC) reported with the real size.
 *
 * A deadline is an absolute time in nanoseconds on CLOCK_MONOTONIC, or
 * SF_NO_DEADLINE.  A missed deadline is SF_ERR_TIMEOUT with errno ETIMEDOUT.
 * None of these functions closes or owns the fd.
 *
 * Each send and receive below takes `timed`: 0, every call non-blocking
 * and every wait in poll(); 1, for a blocking socket whose SO_SNDTIMEO and
 * SO_RCVTIMEO end a wait no earlier than the deadline: the first call
 * blocks in the kernel itself (one system call where the other way takes
 * three: a call that finds nothing, poll, the call again), and only what
 * follows it goes the polling way.
 *
 * A process spends its waits one of two ways, chosen once (sf_io_spin):
 * asleep in poll(), the default, or spinning (a program's --spin): every
 * wait returns at once, before its deadline, and the caller's next
 * non-blocking call is the next look.  Spinning keeps a CPU busy to save
 * the wake-up of a sleeping task on another CPU; it is the process's own
 * choice, as sockperf's and netperf's busy-poll modes are.
 */
#ifndef SF_IO_H
#define SF_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "err.h"

#define SF_NO_DEADLINE INT64_MAX

/* Now, in nanoseconds on CLOCK_MONOTONIC. */
int64_t sf_now_ns(void);

/* The deadline ms milliseconds from now; a negative ms means none. */
int64_t sf_deadline_after_ms(int64_t ms);

/* Every wait of this process spins (on != 0) or sleeps in poll() (0, the default). */
void sf_io_spin(int on);

/* Does this process spin its waits? */
int sf_io_spinning(void);

/* Milliseconds left before deadline for poll(): -1 for none, 0 when past. */
int sf_deadline_poll_ms(int64_t deadline);

/*
 * Wait until fd is ready for `events` (POLLIN, POLLOUT) or the deadline
 * passes.  Returns 1 ready (also on POLLERR/POLLHUP: the next call tells
 * why), 0 on timeout, -1 on error.  Spinning, it returns 1 at once while
 * the deadline is ahead (the caller's next call looks again), 0 after.
 */
int sf_wait_fd(struct sf_err *err, int fd, short events, int64_t deadline);

/*
 * Send all len bytes on a socket, however many calls it takes, waiting when
 * the socket is full, within the deadline.  Returns 0 or -1 (EPIPE and
 * ECONNRESET when the peer went away; never SIGPIPE).
 */
int sf_send_all(struct sf_err *err, int fd, const void *buf, size_t len, int64_t deadline,
                int timed);

/*
 * Send one datagram (to dest, or on a connected socket when dest is NULL),
 * waiting within the deadline while the socket is full: an AF_UNIX
 * datagram sender blocks once net.unix.max_dgram_qlen datagrams wait unread.
 * Returns 0 or -1.
 */
int sf_send_dgram(struct sf_err *err, int fd, const void *buf, size_t len,
                  const struct sockaddr *dest, socklen_t destlen, int64_t deadline, int timed);

/*
 * Receive what is there (at most cap bytes) once the socket is readable,
 * within the deadline.  Returns the byte count, 0 at end of stream, or -1.
 */
ssize_t sf_recv_some(struct sf_err *err, int fd, void *buf, size_t cap, int64_t deadline,
                     int timed);

/*
 * Receive one datagram (or seqpacket record) into buf within the deadline.
 * *full is set to the datagram's real length: above cap, the datagram was
 * truncated and its tail is gone (MSG_TRUNC).  from/fromlen may be NULL.
 * Returns the bytes stored or -1.
 */
ssize_t sf_recv_dgram(struct sf_err *err, int fd, void *buf, size_t cap, int64_t deadline,
                      size_t *full, struct sockaddr_storage *from, socklen_t *fromlen, int timed);

/*
 * The datagrams the kernel dropped for fd because its receive buffer was
 * full (SK_MEMINFO_DROPS of SO_MEMINFO); 0 where the kernel does not say.
 */
uint64_t sf_socket_drops(int fd);

/* Sleep for ms milliseconds on CLOCK_MONOTONIC, resuming after signals. */
void sf_sleep_ms(int64_t ms);

#endif
