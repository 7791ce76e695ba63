/*
 * sserv: the connection-oriented server, shared by TCP and AF_UNIX stream
 * and seqpacket: accept, then per connection recv, reply (proto), send,
 * close, all on one epoll loop so an idle client never delays another.
 *
 * What a textbook server leaves out is here: accept retries ECONNABORTED,
 * and when descriptors run out (EMFILE/ENFILE) it frees the one it keeps
 * in reserve to accept and close the waiting clients, so they hear "no" at
 * once instead of waiting in the backlog for ever (libuv's trick); a
 * connection that sends nothing for idle_timeout_ms is closed, whatever
 * the mode; max_conns and max_per_peer cap what one server, and one peer
 * (an IP address, or a local uid), may hold open; replies that do not fit
 * the socket wait in a per-connection buffer while reading from that client
 * stops, so a client that never reads holds at most one reply in memory,
 * and is dropped when that reply has waited send_timeout_ms;
 * the welcome mode's receive timeout is a loop deadline; a client's half
 * close still gets its pending replies before the close.
 *
 * The module never prints: it reports connections and events through the
 * caller's callbacks, and counts everything in struct sf_sserv_counters.
 * The caller owns the listening fd; the module owns and closes accepted ones.
 */
#ifndef SF_SSERV_H
#define SF_SSERV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "proto.h"
#include "stats.h"

enum sf_sserv_event {
    SF_SSERV_TIMEOUT,        /* welcome: no message before the timeout ("Time Out") */
    SF_SSERV_CLOSED,         /* a conversation ended normally */
    SF_SSERV_CONN_ERROR,     /* a conversation ended on an error (errnum) */
    SF_SSERV_ACCEPT_PAUSED,  /* accept failed for lack of descriptors (errnum); once per spell */
    SF_SSERV_ACCEPT_RESUMED, /* the first accept after a pause succeeded */
    SF_SSERV_STALLED,        /* dropped: the client read none of a reply for send_timeout_ms */
    SF_SSERV_IDLE,           /* closed: the client sent nothing for idle_timeout_ms */
    SF_SSERV_REFUSED_FULL,   /* accepted and closed at once: max_conns are open */
    SF_SSERV_REFUSED_PEER,   /* accepted and closed at once: max_per_peer from that peer */
};

struct sf_sserv_config {
    enum sf_mode mode;
    int64_t timeout_ms; /* welcome: how long to wait for the message */
    /* How long a reply may wait for a client that reads nothing before the
     * client is dropped (0: wait for ever). */
    int64_t send_timeout_ms;
    /* Close a connection that sends nothing this long (0: never).  Each read
     * restarts it; a reply waiting for the client is send_timeout_ms's business. */
    int64_t idle_timeout_ms;
    uint32_t max_conns;    /* connections open at once at most (0: as many as descriptors allow) */
    uint32_t max_per_peer; /* from one IP address, or one local uid, at most (0: no cap) */
    size_t recv_size;      /* bytes per recv(), the tutorial's 1024 by default */
    int once;              /* stop after the first conversation ends */
    int records;           /* SOCK_SEQPACKET: each recv() is one message; report truncation */
    /* A new connection, with the peer's address (the fd stays the module's). */
    void (*on_connect)(void *ctx, int fd, const struct sockaddr *peer, socklen_t len);
    /* Something happened to the conversation with `peer` (numeric text). */
    void (*on_event)(void *ctx, enum sf_sserv_event ev, const char *peer, int errnum);
    /* records: a message of `full` bytes was cut to `len` by the buffer (may be NULL). */
    void (*on_truncated)(void *ctx, const char *peer, size_t len, size_t full);
    void *ctx;
};

struct sf_sserv_counters {
    uint64_t accepted, closed, timeouts, errors;
    uint64_t bytes_in, bytes_out, replies, truncated;
    uint64_t stalled;       /* dropped for not reading their replies */
    uint64_t accept_pauses; /* spells without descriptors (each reported once) */
    uint64_t pending_peak;  /* the most reply bytes ever held for one client */
    uint64_t idle;          /* closed for sending nothing for idle_timeout_ms */
    uint64_t refused_nofd;  /* accepted with the reserve descriptor and closed: none left */
    uint64_t refused_full;  /* accepted and closed: max_conns open */
    uint64_t refused_peer;  /* accepted and closed: max_per_peer from that peer */
    struct sf_reads reads;  /* every recv() that returned client data, and its bytes */
};

/*
 * Serve listen_fd until stop_fd is readable (see sf_loop_run()) or, with
 * cfg->once, after the first conversation.
 * Counters are filled as it goes.  Returns 0, or -1 if the loop failed.
 */
int sf_sserv_run(struct sf_err *err, int listen_fd, const struct sf_sserv_config *cfg, int stop_fd,
                 struct sf_sserv_counters *counters);

/*
 * What every model (models.h) shares: the peer a connection counts
 * against for max_per_peer, its IP address (no port) or, over AF_UNIX,
 * the uid the kernel gives (SO_PEERCRED: its word, not the client's).
 */
struct sf_peer_key {
    unsigned char key[20]; /* family, then the address bytes or the uid */
    size_t len;
};

/* fd's peer key, from the address accept() gave (ss). */
void sf_peer_key_of(int fd, const struct sockaddr_storage *ss, struct sf_peer_key *k);

/* Are two keys the same peer?  1 or 0. */
int sf_peer_key_same(const struct sf_peer_key *a, const struct sf_peer_key *b);

/*
 * No descriptor for accept(): close *reserve_fd (a descriptor held back for
 * this), accept and close every client waiting on listen_fd (each hears a
 * close at once instead of waiting for ever), then take the reserve back
 * (*reserve_fd -1 if it could not be: the whole system is out).  The
 * clients closed.
 */
uint64_t sf_sserv_shed(int listen_fd, int *reserve_fd);

#endif
