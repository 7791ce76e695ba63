/*
 * dserv: the datagram server, shared by UDP and AF_UNIX dgram: each
 * datagram is answered on its own, to the address it came from, with no
 * per-client state, so no client can hold the server for another.
 *
 * A datagram larger than the receive buffer is truncated by the kernel and
 * its tail is gone (MSG_TRUNC tells the real size): the server answers what
 * it got and reports both sizes through on_datagram.  A reply the socket
 * cannot take right now is dropped and counted rather than waited for.
 * The module never prints; the caller owns the fd.
 */
#ifndef SF_DSERV_H
#define SF_DSERV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "proto.h"

struct sf_dserv_config {
    enum sf_mode mode;
    size_t recv_size; /* the receive buffer: larger datagrams are truncated */
    /* One datagram: len bytes kept of full (full > len: truncated). */
    void (*on_datagram)(void *ctx, const struct sockaddr *from, socklen_t fromlen, size_t len,
                        size_t full);
    /* A reply could not be sent to `peer` (errnum: EMSGSIZE, EAGAIN, ...). */
    void (*on_send_error)(void *ctx, const char *peer, size_t len, int errnum);
    void *ctx;
};

struct sf_dserv_counters {
    uint64_t datagrams, truncated, replies, send_errors, bytes_in, bytes_out;
    uint64_t kernel_drops; /* datagrams the kernel dropped for a full receive buffer
                              (SO_MEMINFO); 0 where the sender waits instead (AF_UNIX) */
};

/*
 * Serve fd until stop_fd is readable (see sf_loop_run()), then handle what was already queued (a
 * bounded number: a flood never ends), so that every datagram is counted:
 * sent = datagrams + kernel_drops.  Returns 0, or -1 if waiting itself
 * failed.
 */
int sf_dserv_run(struct sf_err *err, int fd, const struct sf_dserv_config *cfg, int stop_fd,
                 struct sf_dserv_counters *counters);

#endif
