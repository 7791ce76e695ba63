/*
 * srvout: what every server prints, as callbacks for sserv and dserv, so
 * the tutorial's lines and the warnings read the same in every family.
 * The callbacks' ctx is the server's struct sf_server_opts (for -q and the
 * mode).  Part of sockfam_cli: it prints.
 *
 *   Server connected by ('127.0.0.1', 43122)           TCP, per connection
 *   Server connected by '' (pid 42, uid 0, gid 0)      AF_UNIX, with SO_PEERCRED
 *   Server received from ('127.0.0.1', 43122)          datagrams, per datagram
 *   Time Out                                           welcome, no message in time
 *
 * Warnings that can repeat per connection or per datagram (unsent replies,
 * truncations, connection errors, drops for not reading) print the first
 * ten of each kind, then one note; the last line counts them all, and ends
 * with the reads the server made of its clients' data and their sizes,
 * "; reads 10 (64-64 bytes)" (a recv() that returned data, a datagram, an
 * echo request's payload): what became of the boundaries of the sends.
 */
#ifndef SF_SRVOUT_H
#define SF_SRVOUT_H

#include <stddef.h>
#include <sys/socket.h>

#include "dserv.h"
#include "sserv.h"

void sf_srv_on_connect(void *opts, int fd, const struct sockaddr *peer, socklen_t len);
void sf_srv_on_event(void *opts, enum sf_sserv_event ev, const char *peer, int errnum);
/* The last line of a connection server: "PROGRAM: clients N, replies N, ...; reads N (S-L bytes)"
 * on stderr. */
void sf_srv_print_conn_counters(const char *program, const struct sf_sserv_counters *n);
/* The last line of a datagram server: "PROGRAM: datagrams N, ..., dropped by the kernel N, ...;
 * reads N (S-L bytes)". */
void sf_srv_print_dgram_counters(const char *program, const struct sf_dserv_counters *n);
/* The end of a server's last line: "; reads N (S-L bytes)" and the newline, on stderr
 * (S and L are 0 when N is). */
void sf_srv_print_reads(const struct sf_reads *r);
void sf_srv_on_truncated(void *opts, const char *peer, size_t len, size_t full);
void sf_srv_on_datagram(void *opts, const struct sockaddr *from, socklen_t fromlen, size_t len,
                        size_t full);
void sf_srv_on_send_error(void *opts, const char *peer, size_t len, int errnum);
/* A datagram left unanswered to break an echo loop (dserv.h): one limited warning line. */
void sf_srv_on_refused(void *opts, const char *peer, const char *why);

#endif
