/*
 * wire: what a family put on the wire, captured with libpcap and kept as a
 * list of decoded records, so tests and the runner can assert on packets.
 *
 * A live capture is created, configured (a ring that packs frames by their
 * length, handed over within 10 ms; nanosecond stamps; frames whole, up
 * to tcpdump's snaplen) and activated with its BPF filter before
 * sf_wire_open() returns: anything sent after that call is seen.  While the
 * traffic runs, a reader thread empties the kernel ring as packets come,
 * at nice -10 where the process may raise it (or, with opts.manual, the
 * caller does, polling sf_wire_fd() and calling sf_wire_poll()).
 * sf_wire_stop() then proves the capture is complete: it sends a marker
 * datagram to itself over loopback, reads until the marker comes back
 * through the capture (every packet queued before it is then in hand),
 * and reads the kernel's drop counters.  A capture that lost anything, in
 * the kernel or at our own bounds, fails loudly.
 *
 * The same record list comes from a .pcap file (sf_wire_read_file) or is
 * built by hand (sf_wire_new + sf_wire_add, for fixtures), and is written
 * as a classic .pcap file that tcpdump and Wireshark open.
 */
#ifndef SF_WIRE_H
#define SF_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "err.h"

struct sf_wire_rec {
    uint64_t ts_ns;    /* capture time, nanoseconds since the epoch */
    uint32_t wire_len; /* the frame's length on the wire */
    uint32_t caplen;   /* bytes kept (snaplen may cut a frame) */
    uint8_t *data;
    int ok;            /* decoded: pkt holds the packet */
    struct sf_pkt pkt; /* pointers into data; pkt.why says what was wrong */
};

struct sf_wire_opts {
    const char *ifname; /* NULL: "lo"; "any" for every interface */
    const char *filter; /* BPF expression; NULL or "": everything */
    int snaplen;        /* bytes kept per frame (wire_len keeps the whole length); 0: 262144,
                           tcpdump's default, more than any frame on lo (65536 + 14) */
    size_t max_packets; /* records kept at most; 0: 100000 */
    size_t max_bytes;   /* captured bytes kept at most; 0: 64 MiB */
    int buffer_bytes;   /* the kernel ring; 0: 32 MiB.  It holds bytes, not slots: each
                           frame takes its captured length plus about 90 bytes, so 32 MiB
                           hold some 160000 unread 64-byte UDP echoes on lo (where only
                           the incoming copy of each packet is kept); sf_wire_ring_for()
                           sizes it for a run */
    int manual;         /* no reader thread: the caller polls sf_wire_fd()/sf_wire_poll() */
    /* Where the end marker is sent (an IPv4 address the captured interface carries packets
     * to, such as the lab's next hop); NULL: 127.0.0.1, for captures on lo. */
    const char *marker_to;
};

/*
 * The ring (buffer_bytes) that holds packets frames of bytes captured
 * bytes in all, none of them read yet; at least two blocks of 256 KiB.
 */
size_t sf_wire_ring_for(uint64_t packets, uint64_t bytes);

struct sf_wire;

/* Start a live capture, ready on return.  NULL with err set (77 without CAP_NET_RAW). */
struct sf_wire *sf_wire_open(struct sf_err *err, const struct sf_wire_opts *o);

/* Manual captures: the descriptor readable when packets wait; -1 otherwise. */
int sf_wire_fd(const struct sf_wire *w);

/* Manual captures: take every packet waiting now, without blocking.  0 or -1. */
int sf_wire_poll(struct sf_err *err, struct sf_wire *w);

/*
 * While a live capture runs, wait until pred(w, arg) holds over the
 * packets read so far (pred runs with the list locked: the only safe
 * place to read it before sf_wire_stop).  1, or 0 at deadline_ns.
 */
int sf_wire_wait(struct sf_wire *w, int (*pred)(const struct sf_wire *, void *), void *arg,
                 int64_t deadline_ns);

/*
 * Finish a live capture: marker round trip (bounded by deadline_ns, an
 * sf_now_ns() time), last read, kernel counters.  -1 when the marker did
 * not come back in time or any packet was lost; the records stay readable.
 */
int sf_wire_stop(struct sf_err *err, struct sf_wire *w, int64_t deadline_ns);

/* A capture of link type dlt to fill with sf_wire_add(); NULL when out of memory. */
struct sf_wire *sf_wire_new(int dlt, int snaplen);

/* Append one frame (copied, decoded).  0, or -1 when a bound is reached. */
int sf_wire_add(struct sf_err *err, struct sf_wire *w, uint64_t ts_ns, const uint8_t *data,
                size_t caplen, size_t wire_len);

/* Read a .pcap (or pcapng) file whole.  NULL with err set. */
struct sf_wire *sf_wire_read_file(struct sf_err *err, const char *path);

/* Write every record as a .pcap file (microsecond stamps), created or truncated.  0 or -1. */
int sf_wire_write_file(struct sf_err *err, const struct sf_wire *w, const char *path);

/*
 * The same into fd, open for writing (a file opened before the run, or a
 * pipe: standard output for `tcpdump -r -`); fd stays open and the
 * caller's.  name is fd's name for messages ("-", a path).  0, or -1 with
 * err set (EPIPE when the reader went away, ENOSPC...).
 */
int sf_wire_write_fd(struct sf_err *err, const struct sf_wire *w, int fd, const char *name);

/* The records: after sf_wire_stop(), for files and built captures, or inside a wait's pred. */
size_t sf_wire_count(const struct sf_wire *w);
const struct sf_wire_rec *sf_wire_at(const struct sf_wire *w, size_t i);
int sf_wire_dlt(const struct sf_wire *w);

struct sf_wire_totals {
    uint64_t packets, wire_bytes; /* records kept, and their lengths on the wire */
    uint64_t malformed;           /* records that did not decode */
    uint64_t kernel_drops;        /* pcap_stats: ps_drop + ps_ifdrop */
    uint64_t not_kept;            /* seen past max_packets / max_bytes */
};
struct sf_wire_totals sf_wire_totals(const struct sf_wire *w);

/* Stop capturing (if live) and free everything.  NULL is ignored. */
void sf_wire_close(struct sf_wire *w);

#endif
