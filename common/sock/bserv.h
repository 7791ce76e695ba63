/*
 * bserv: what the three blocking models of a connection server share
 * (models.h: thread, fork, iterative).  Two halves:
 *
 * The listening side (struct sf_bserv), for the model's main loop: wait
 * for a connection or the stop signal together, in one poll(), and accept
 * as sserv does: ECONNABORTED retried, the reserve descriptor freed at
 * EMFILE to accept and close the waiting clients, max_conns and
 * max_per_peer refusals closed at once and reported.
 *
 * One conversation (struct sf_bconv), the textbook's loop with blocking
 * calls, UNP's str_echo:
 *
 *     while ((n = recv(fd, buf, size, 0)) > 0)
 *         send(fd, reply, reply_len, 0);
 *
 * with what the textbook leaves out.  A blocked call has nobody to wake
 * it, so it wakes itself: SO_RCVTIMEO and SO_SNDTIMEO end each call after
 * a slice (SF_BSERV_SLICE_MS at most), and between slices the
 * conversation looks at its deadlines (welcome's timeout, the idle
 * timeout, the send timeout) and at the stop; while the client keeps
 * talking it looks at the stop once a slice too.  A reply is sent whole
 * before the next recv(), so nothing waits in memory (pending_peak stays
 * 0): a client that reads nothing holds its own thread or process, in
 * send(), until send_timeout_ms drops it.
 *
 * A conversation counts into its own tally (a struct sf_sserv_counters),
 * which its model adds to the server's with sf_bserv_add() where it can:
 * in the same thread, under the lock, or from a child through a pipe.
 * Never prints: events go to the config's callbacks, under the lock when
 * there is one, so that callbacks never run two at once.
 */
#ifndef SF_BSERV_H
#define SF_BSERV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "err.h"
#include "sserv.h"

/* The longest a blocking call waits before the conversation looks at its deadlines and the stop. */
#define SF_BSERV_SLICE_MS 100

/* The listening side, owned by the model's main loop. */
struct sf_bserv {
    const struct sf_sserv_config *cfg;
    struct sf_sserv_counters *count;
    int listen_fd, stop_fd;
    int reserve_fd;        /* held back for EMFILE (sserv.h) */
    int paused;            /* a spell without descriptors, reported once */
    int64_t resume_at;     /* no descriptor even in reserve: accept again at this time */
    pthread_mutex_t *lock; /* counters and callbacks under it (the thread model), or NULL */
};

/*
 * Zero counters, make listen_fd non-blocking (a poll() may say ready for a
 * connection that is gone by accept()) and take the reserve descriptor.
 * The caller owns listen_fd and stop_fd (-1: none).  0, or -1 with err set.
 */
int sf_bserv_open(struct sf_err *err, struct sf_bserv *b, int listen_fd,
                  const struct sf_sserv_config *cfg, int stop_fd, struct sf_sserv_counters *count);

/* Give back the reserve descriptor. */
void sf_bserv_close(struct sf_bserv *b);

/* What sf_bserv_wait() saw: bits. */
enum { SF_BSERV_READY = 1, SF_BSERV_STOP = 2, SF_BSERV_OTHER = 4 };

/*
 * Wait up to timeout_ms (-1: no limit) for a connection to accept (only
 * when accepting), the stop signal (stop_fd readable: polled, never read)
 * or other_fd (-1: none) readable.  The SF_BSERV_* bits seen, 0 when the
 * time ran out or a signal came, -1 with err set when poll() failed.
 */
int sf_bserv_wait(struct sf_err *err, struct sf_bserv *b, int accepting, int other_fd,
                  int timeout_ms);

/*
 * Accept one connection: a blocking, close-on-exec fd (TCP_NODELAY on
 * TCP) and its peer in *ss and *len, or -1 when none is waiting now or
 * descriptors ran out (then counted and reported, as sserv.h says).
 * Counts nothing else: the model counts what it admits.
 */
int sf_bserv_accept(struct sf_bserv *b, struct sockaddr_storage *ss, socklen_t *len);

/*
 * With `open` connections open, `same_peer` of them from this one's peer:
 * is the new connection fd over max_conns or max_per_peer?  Then it is
 * closed at once, counted and reported, and 1 is returned; 0 admits it.
 * Under the lock for the thread model (the caller holds it).
 */
int sf_bserv_refused(struct sf_bserv *b, int fd, const struct sockaddr_storage *ss, socklen_t len,
                     uint32_t open, uint32_t same_peer);

/* An admitted connection: count it and tell on_connect (the caller holds the lock, if any). */
void sf_bserv_admitted(struct sf_bserv *b, int fd, const struct sockaddr_storage *ss,
                       socklen_t len);

/* Add a conversation's tally to the server's counters. */
void sf_bserv_add(struct sf_sserv_counters *to, const struct sf_sserv_counters *from);

/* One conversation: its buffers, its tally, and how it learns of the stop. */
struct sf_bconv {
    const struct sf_sserv_config *cfg;
    struct sf_sserv_counters tally; /* this conversation's counts */
    char *inbuf, *outbuf;
    size_t outcap;
    int stop_fd;                /* looked at between slices (-1: none) */
    const atomic_int *stopping; /* or this flag, set by another thread (NULL: none) */
    pthread_mutex_t *lock;      /* callbacks under it, or NULL */
    int rcv_ms;                 /* the SO_RCVTIMEO set on the socket now */
    int64_t next_look;          /* when to look at stop_fd again while the client talks */
};

/*
 * Buffers for conversations under cfg, which learn of the stop from
 * stop_fd or *stopping (either may be -1 or NULL).  0, or -1 with err set
 * (ENOMEM).  One sf_bconv serves one conversation at a time.
 */
int sf_bconv_init(struct sf_err *err, struct sf_bconv *cv, const struct sf_sserv_config *cfg,
                  int stop_fd, const atomic_int *stopping, pthread_mutex_t *lock);
void sf_bconv_free(struct sf_bconv *cv);

/*
 * Serve the client on fd (peer: its address as text) until the
 * conversation ends, counting into cv->tally (zeroed first) and reporting
 * how it ended; the fd is the conversation's, closed before it returns.
 * Returns 1 when it ended because of the stop (reported as nothing, as
 * sserv closes its connections at the stop), 0 otherwise.
 */
int sf_bconv_serve(struct sf_bconv *cv, int fd, const char *peer);

#endif
