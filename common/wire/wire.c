/* wire: libpcap captures as decoded record lists; see wire.h. */
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "io.h"

#define DEFAULT_SNAPLEN 262144 /* tcpdump's default: every frame whole, even lo's 65 KiB ones */
#define DEFAULT_MAX_PACKETS 100000
#define DEFAULT_MAX_BYTES (64u << 20)
#define RING_BYTES (32 << 20)
#define BUFFER_TIMEOUT_MS 10 /* TPACKET_V3 hands over a block this long after its first frame */
#define READ_BATCH 1024      /* frames read under the lock at once: sf_wire_wait waits no longer */
#define READER_NICE -10      /* the reader thread's priority (setpriority(2)), where allowed */
/*
 * The ring's arithmetic (TPACKET_V3, Linux net/packet/af_packet.c and
 * libpcap 1.10's pcap-linux.c): blocks of 256 KiB (libpcap's "frame" size,
 * its maximum snaplen), each with a 48-byte header, into which the kernel
 * packs frames one after the other; a frame takes its captured bytes plus
 * 86 bytes (tpacket3_hdr and sockaddr_ll, aligned, and libpcap's 4-byte
 * VLAN reserve, less the 14-byte Ethernet header), rounded up to 8.
 */
#define RING_BLOCK 262144
#define RING_BLOCK_HEADER 48
#define RING_FRAME_HEADER 86
#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23 /* linux/if_packet.h, Linux 4.20 */
#endif
#define MARKER_LEN 16
#define MARKER_RESEND_MS 100
#define FILTER_MAX 2048

/* Frames are copied into chunks that never move: one allocation per MiB, not per frame. */
#define CHUNK_BYTES (1u << 20)
struct chunk {
    struct chunk *next;
    size_t used, cap;
    uint8_t data[];
};

struct sf_wire {
    int dlt, snaplen;
    struct chunk *chunks;
    struct sf_wire_rec *recs;
    size_t n, cap, max_packets, max_bytes, kept_bytes;
    uint64_t not_kept, kernel_drops;
    char ifname[64];
    /* live only */
    pcap_t *pcap;
    int nano; /* stamps are in nanoseconds */
    int marker_fd;
    uint16_t marker_port;
    uint8_t marker[MARKER_LEN];
    int marker_sent, marker_seen;
    struct in_addr marker_to; /* the marker's destination (127.0.0.1 on lo) */
    /* the reader thread (live captures, unless manual); it owns the list while it runs */
    int threaded, stop_fd, reader_failed;
    pthread_t reader;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch was read, or the reader stopped */
    char reader_msg[256];
};

static struct sf_wire *wire_alloc(int dlt, int snaplen, size_t max_packets, size_t max_bytes)
{
    struct sf_wire *w = calloc(1, sizeof(*w));

    if (!w)
        return NULL;
    w->dlt = dlt;
    w->snaplen = snaplen > 0 ? snaplen : DEFAULT_SNAPLEN;
    w->max_packets = max_packets ? max_packets : DEFAULT_MAX_PACKETS;
    w->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
    w->marker_fd = -1;
    w->stop_fd = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines are sf_now_ns() times */
    pthread_cond_init(&w->changed, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&w->lock, NULL);
    return w;
}

struct sf_wire *sf_wire_new(int dlt, int snaplen)
{
    return wire_alloc(dlt, snaplen, 0, 0);
}

/* Room for n bytes in the newest chunk, or a new chunk; NULL when out of memory. */
static uint8_t *chunk_take(struct sf_wire *w, size_t n)
{
    struct chunk *c = w->chunks;

    if (!c || c->cap - c->used < n) {
        size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
        c = malloc(sizeof(*c) + cap);
        if (!c)
            return NULL;
        c->next = w->chunks;
        c->used = 0;
        c->cap = cap;
        w->chunks = c;
    }
    c->used += n;
    return c->data + c->used - n;
}

int sf_wire_add(struct sf_err *err, struct sf_wire *w, uint64_t ts_ns, const uint8_t *data,
                size_t caplen, size_t wire_len)
{
    struct sf_wire_rec *r;

    if (w->n >= w->max_packets || caplen > w->max_bytes - w->kept_bytes || caplen > UINT32_MAX ||
        wire_len > UINT32_MAX) {
        w->not_kept++;
        return sf_err_set(err, SF_ERR_SYS, ENOBUFS, NULL,
                          "capture: more than %zu packets or %zu bytes", w->max_packets,
                          w->max_bytes);
    }
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        struct sf_wire_rec *grown = realloc(w->recs, cap * sizeof(*grown));
        if (!grown)
            return sf_err_sys(err, ENOMEM, "capture", NULL);
        w->recs = grown;
        w->cap = cap;
    }
    r = &w->recs[w->n];
    memset(r, 0, sizeof(*r));
    r->data = chunk_take(w, caplen);
    if (!r->data)
        return sf_err_sys(err, ENOMEM, "capture", NULL);
    memcpy(r->data, data, caplen);
    r->ts_ns = ts_ns;
    r->caplen = (uint32_t)caplen;
    r->wire_len = (uint32_t)(wire_len > caplen ? wire_len : caplen);
    r->ok = sf_decode(w->dlt, r->data, caplen, &r->pkt) == 0;
    w->kept_bytes += caplen;
    w->n++;
    return 0;
}

static uint64_t stamp_ns(const struct pcap_pkthdr *h, int nano)
{
    return (uint64_t)h->ts.tv_sec * 1000000000u + (uint64_t)h->ts.tv_usec * (nano ? 1 : 1000);
}

/* Our own end marker: a datagram from the marker socket to itself holding the nonce. */
static int is_marker(const struct sf_wire *w, const uint8_t *data, size_t caplen)
{
    struct sf_pkt p;

    return w->marker_sent && sf_decode(w->dlt, data, caplen, &p) == 0 && p.l4 == SF_L4_UDP &&
           p.sport == w->marker_port && p.dport == w->marker_port && p.payload_len == MARKER_LEN &&
           memcmp(p.payload, w->marker, MARKER_LEN) == 0;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *data)
{
    struct sf_wire *w = (struct sf_wire *)user;

    if (is_marker(w, data, h->caplen)) {
        w->marker_seen = 1;
        return;
    }
    /* Past a bound the packet is counted as not kept, and stop() fails on it. */
    (void)sf_wire_add(NULL, w, stamp_ns(h, w->nano), data, h->caplen, h->len);
}

/*
 * The marker socket.  On lo it is bound to 127.0.0.1 and sends to itself;
 * elsewhere (the lab's router) it sends to `to`, a host the captured
 * interface carries packets to: the datagram is seen on its way out.
 */
static int marker_open(struct sf_err *err, struct sf_wire *w, const char *to)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);

    w->marker_to.s_addr = htonl(INADDR_LOOPBACK);
    if (to && inet_pton(AF_INET, to, &w->marker_to) != 1)
        return sf_err_set(err, SF_ERR_INVALID, EINVAL, NULL,
                          "capture marker: '%s' is not an "
                          "IPv4 address",
                          to);
    if (to)
        a.sin_addr.s_addr = htonl(INADDR_ANY);
    w->marker_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (w->marker_fd < 0)
        return sf_err_sys(err, errno, "capture marker", "socket");
    if (bind(w->marker_fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(w->marker_fd, (struct sockaddr *)&a, &len) < 0)
        return sf_err_sys(err, errno, "capture marker", to ? to : "127.0.0.1");
    w->marker_port = ntohs(a.sin_port);
    return 0;
}

static int pcap_fail(struct sf_err *err, struct sf_wire *w, int rc, const char *what)
{
    const char *why =
        rc == PCAP_ERROR_PERM_DENIED ? " (capturing needs CAP_NET_RAW: run as root)" : "";
    int errnum = rc == PCAP_ERROR_PERM_DENIED      ? EPERM
                 : rc == PCAP_ERROR_NO_SUCH_DEVICE ? ENODEV
                                                   : EIO;

    return sf_err_set(err, SF_ERR_SYS, errnum, NULL, "%s(%s): %s%s", what, w->ifname,
                      pcap_geterr(w->pcap), why);
}

/* Compile and install the filter; the user's expression is checked alone first. */
static int set_filter(struct sf_err *err, struct sf_wire *w, const char *user)
{
    char expr[FILTER_MAX];
    struct bpf_program prog;
    int n;

    if (user && *user) {
        if (pcap_compile(w->pcap, &prog, user, 1, PCAP_NETMASK_UNKNOWN) < 0)
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "capture filter '%s': %s", user,
                              pcap_geterr(w->pcap));
        pcap_freecode(&prog);
        char to[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &w->marker_to, to, sizeof(to));
        n = w->marker_fd >= 0
                ? snprintf(expr, sizeof(expr), "(%s) or (udp and dst host %s and port %u)", user,
                           to, w->marker_port)
                : snprintf(expr, sizeof(expr), "%s", user);
        if (n < 0 || (size_t)n >= sizeof(expr))
            return sf_err_set(err, SF_ERR_INVALID, 0, NULL, "capture filter '%s': too long", user);
    } else {
        return 0; /* everything, the marker included */
    }
    if (pcap_compile(w->pcap, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
        return pcap_fail(err, w, PCAP_ERROR, "capture filter");
    n = pcap_setfilter(w->pcap, &prog);
    pcap_freecode(&prog);
    return n < 0 ? pcap_fail(err, w, PCAP_ERROR, "capture filter") : 0;
}

/*
 * create, configure, activate: the ring is bound to the interface when this returns.
 *
 * Immediate mode is not asked for: with it libpcap uses TPACKET_V2, one
 * fixed slot per frame of min(snaplen, MTU + 18) bytes, each in a block of
 * the next power of two.  With tcpdump's snaplen on lo (MTU 65536) that
 * is one 65632-byte frame per 128 KiB block: a 32 MiB ring held 512
 * frames, and every unread 64-byte echo took 128 KiB.  TPACKET_V3 packs
 * frames by their captured length (the arithmetic above RING_BLOCK): the
 * same ring holds about 160000 such echoes, and a ring sized from a run's
 * frames (sf_wire_ring_for) holds all of them however late the reader is
 * scheduled, when they come fast enough to fill a block within
 * BUFFER_TIMEOUT_MS (a slow sender leaves blocks part-empty, and gives
 * the reader the time it needs).  The cost is latency: a block is handed over when it is
 * full, or BUFFER_TIMEOUT_MS after its first frame.
 */
static int activate(struct sf_err *err, struct sf_wire *w, int ring)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    int rc, one = 1;

    w->pcap = pcap_create(w->ifname, errbuf);
    if (!w->pcap)
        return sf_err_set(err, SF_ERR_SYS, EIO, NULL, "capture(%s): %s", w->ifname, errbuf);
    if (pcap_set_snaplen(w->pcap, w->snaplen) < 0 ||
        pcap_set_timeout(w->pcap, BUFFER_TIMEOUT_MS) < 0 ||
        pcap_set_buffer_size(w->pcap, ring > 0 ? ring : RING_BYTES) < 0)
        return pcap_fail(err, w, PCAP_ERROR, "capture");
    w->nano = pcap_set_tstamp_precision(w->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0;
    rc = pcap_activate(w->pcap); /* a positive value is a warning: the capture runs */
    if (rc < 0)
        return pcap_fail(err, w, rc, "capture");
    w->nano = pcap_get_tstamp_precision(w->pcap) == PCAP_TSTAMP_PRECISION_NANO;
    w->dlt = pcap_datalink(w->pcap);
    int fd = pcap_get_selectable_fd(w->pcap);
    /*
     * lo hands the capture every packet twice, going out and coming in, and
     * libpcap drops the outgoing copy in user space, after it took its room
     * in the ring.  The kernel can leave it out (Linux 4.20+); an older one
     * refuses the option, and the ring then fills twice as fast.
     */
    if (strcmp(w->ifname, "lo") == 0 && fd >= 0 &&
        setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0 &&
        errno != ENOPROTOOPT)
        return sf_err_sys(err, errno, "setsockopt(PACKET_IGNORE_OUTGOING)", w->ifname);
    if (pcap_setnonblock(w->pcap, 1, errbuf) < 0)
        return sf_err_set(err, SF_ERR_SYS, EIO, NULL, "capture(%s): %s", w->ifname, errbuf);
    /*
     * libpcap opens its AF_PACKET socket without SOCK_CLOEXEC: every child
     * started afterwards would hold a socket that can inject frames on the
     * interface, whatever privileges it drops (the review's stand-in child
     * did, as uid 65534 with no capability).
     */
    if (fd >= 0 && fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC) < 0)
        return sf_err_sys(err, errno, "fcntl(FD_CLOEXEC)", w->ifname);
    return 0;
}

size_t sf_wire_ring_for(uint64_t packets, uint64_t bytes)
{
    /*
     * Every frame's header and alignment; in every block its header, and at
     * its end the room that the next frame did not fit in (a frame of the
     * mean size, at most half a block).  Then four times that: the kernel's
     * timer hands over the block being filled every BUFFER_TIMEOUT_MS, full
     * or not (measured here, with 64- and 100-byte datagrams sent flat out
     * and none read: blocks 64-90% full; a sender that shares its CPU with
     * others fills them less: twice was not enough beside the test suite).
     */
    uint64_t mean = (packets ? bytes / packets : 0) + RING_FRAME_HEADER + 8;
    uint64_t room =
        RING_BLOCK - RING_BLOCK_HEADER - (mean < RING_BLOCK / 2 ? mean : RING_BLOCK / 2);
    uint64_t blocks = 4 * ((bytes + packets * (RING_FRAME_HEADER + 8)) / room) + 2;

    return blocks > SIZE_MAX / RING_BLOCK ? SIZE_MAX : (size_t)(blocks * RING_BLOCK);
}

int sf_wire_fd(const struct sf_wire *w)
{
    return w->pcap && !w->threaded ? pcap_get_selectable_fd(w->pcap) : -1;
}

static int dispatch_all(struct sf_wire *w)
{
    int rc;

    do
        rc = pcap_dispatch(w->pcap, -1, on_packet, (u_char *)w);
    while (rc > 0);
    return rc;
}

int sf_wire_poll(struct sf_err *err, struct sf_wire *w)
{
    if (!w->pcap || w->threaded)
        return 0;
    return dispatch_all(w) < 0 ? pcap_fail(err, w, PCAP_ERROR, "capture") : 0;
}

/*
 * The reader thread: read what comes, READ_BATCH frames at a time under
 * the lock (so that sf_wire_wait is never kept out for long), until
 * stop_fd says stop; then once more.
 */
static void *reader(void *arg)
{
    struct sf_wire *w = arg;
    struct pollfd pf[2] = {{.fd = pcap_get_selectable_fd(w->pcap), .events = POLLIN},
                           {.fd = w->stop_fd, .events = POLLIN}};

    /*
     * Ahead of the processes it watches, where allowed (CAP_SYS_NICE: root,
     * as capturing is): sockfam compare's dozen children on two CPUs left
     * it too little time to copy 65 KiB frames as fast as they came (179
     * of 14400 lost at -s 65000 -c 1800 even so; none at -c 1000).
     */
    setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), READER_NICE);
    for (;;) {
        int n = poll(pf, 2, -1), rc;
        if (n < 0 && errno == EINTR)
            continue;
        do {
            pthread_mutex_lock(&w->lock);
            rc = n < 0 ? -1 : pcap_dispatch(w->pcap, READ_BATCH, on_packet, (u_char *)w);
            if (rc < 0) {
                w->reader_failed = 1;
                snprintf(w->reader_msg, sizeof(w->reader_msg), "%s",
                         n < 0 ? strerror(errno) : pcap_geterr(w->pcap));
            }
            pthread_cond_broadcast(&w->changed);
            pthread_mutex_unlock(&w->lock);
        } while (rc > 0);
        if (rc < 0 || pf[1].revents)
            return NULL;
    }
}

/* Start the reader with every signal blocked: signals are the program's main thread's. */
static int start_reader(struct sf_err *err, struct sf_wire *w)
{
    sigset_t all, old;
    int rc;

    w->stop_fd = eventfd(0, EFD_CLOEXEC);
    if (w->stop_fd < 0)
        return sf_err_sys(err, errno, "capture", "eventfd");
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    rc = pthread_create(&w->reader, NULL, reader, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        return sf_err_sys(err, rc, "capture", "pthread_create");
    w->threaded = 1;
    return 0;
}

/* Wait (lock held) for the reader's next batch until until_ns; 0, or ETIMEDOUT. */
static int wait_batch(struct sf_wire *w, int64_t until_ns)
{
    struct timespec ts = {.tv_sec = until_ns / 1000000000, .tv_nsec = until_ns % 1000000000};

    return w->reader_failed ? ETIMEDOUT : pthread_cond_timedwait(&w->changed, &w->lock, &ts);
}

int sf_wire_wait(struct sf_wire *w, int (*pred)(const struct sf_wire *, void *), void *arg,
                 int64_t deadline_ns)
{
    int ok;

    if (!w->threaded) {
        while (!(ok = pred(w, arg)) && w->pcap &&
               sf_wait_fd(NULL, sf_wire_fd(w), POLLIN, deadline_ns) > 0 &&
               sf_wire_poll(NULL, w) == 0)
            ;
        return ok || pred(w, arg);
    }
    pthread_mutex_lock(&w->lock);
    while (!(ok = pred(w, arg)) && wait_batch(w, deadline_ns) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&w->lock);
    return ok;
}

static int marker_seen(const struct sf_wire *w, void *unused)
{
    (void)unused;
    return w->marker_seen;
}

/* Send the marker until it has come through the capture (every 100 ms: a full ring drops). */
static int marker_round_trip(struct sf_err *err, struct sf_wire *w, int64_t deadline_ns)
{
    struct sockaddr_in self = {
        .sin_family = AF_INET, .sin_port = htons(w->marker_port), .sin_addr = w->marker_to};
    uint8_t nonce[MARKER_LEN];

    if (getrandom(nonce, sizeof(nonce), GRND_NONBLOCK) != sizeof(nonce)) {
        uint64_t t = (uint64_t)sf_now_ns() ^ (uint64_t)getpid() << 32;
        memcpy(nonce, &t, sizeof(t));
    }
    pthread_mutex_lock(&w->lock);
    memcpy(w->marker, nonce, sizeof(nonce));
    w->marker_sent = 1;
    pthread_mutex_unlock(&w->lock);
    for (;;) {
        int64_t next = sf_deadline_after_ms(MARKER_RESEND_MS);
        if (sendto(w->marker_fd, nonce, sizeof(nonce), 0, (struct sockaddr *)&self, sizeof(self)) !=
                (ssize_t)sizeof(nonce) &&
            errno != EAGAIN)
            return sf_err_sys(err, errno, "capture marker", "127.0.0.1");
        if (sf_wire_wait(w, marker_seen, NULL, next < deadline_ns ? next : deadline_ns))
            return 0;
        if (w->reader_failed || sf_now_ns() >= deadline_ns)
            return sf_err_set(err, SF_ERR_TIMEOUT, ETIMEDOUT, NULL,
                              "capture(%s): the end marker did not come back before the deadline",
                              w->ifname);
    }
}

/* Stop the reader after its last batch. */
static int stop_reader(struct sf_err *err, struct sf_wire *w)
{
    uint64_t one = 1;

    if (!w->threaded)
        return 0;
    if (write(w->stop_fd, &one, sizeof(one)) != sizeof(one))
        return sf_err_sys(err, errno, "capture", "eventfd");
    pthread_join(w->reader, NULL);
    w->threaded = 0;
    if (w->reader_failed)
        return sf_err_set(err, SF_ERR_SYS, EIO, NULL, "capture(%s): %s", w->ifname, w->reader_msg);
    return 0;
}

struct sf_wire *sf_wire_open(struct sf_err *err, const struct sf_wire_opts *o)
{
    struct sf_wire *w = wire_alloc(0, o->snaplen, o->max_packets, o->max_bytes);
    const char *ifname = o->ifname ? o->ifname : "lo";

    if (!w) {
        sf_err_sys(err, ENOMEM, "capture", NULL);
        return NULL;
    }
    if (strlen(ifname) >= sizeof(w->ifname)) {
        sf_err_set(err, SF_ERR_INVALID, 0, NULL, "capture(%s): interface name too long", ifname);
        sf_wire_close(w);
        return NULL;
    }
    strcpy(w->ifname, ifname);
    /* The marker travels over loopback (only lo and "any" see it), or to o->marker_to. */
    if (((o->marker_to || strcmp(ifname, "lo") == 0 || strcmp(ifname, "any") == 0) &&
         marker_open(err, w, o->marker_to) < 0) ||
        activate(err, w, o->buffer_bytes) < 0 || set_filter(err, w, o->filter) < 0 ||
        (!o->manual && start_reader(err, w) < 0)) {
        sf_wire_close(w);
        return NULL;
    }
    return w;
}

int sf_wire_stop(struct sf_err *err, struct sf_wire *w, int64_t deadline_ns)
{
    struct pcap_stat st;
    int rc = 0;

    if (!w->pcap)
        return 0;
    if (w->marker_fd >= 0)
        rc = marker_round_trip(err, w, deadline_ns);
    if (stop_reader(rc == 0 ? err : NULL, w) < 0 && rc == 0)
        rc = -1;
    if (rc == 0)
        rc = sf_wire_poll(err, w);
    if (pcap_stats(w->pcap, &st) == 0)
        w->kernel_drops = (uint64_t)st.ps_drop + st.ps_ifdrop;
    pcap_close(w->pcap);
    w->pcap = NULL;
    /* Lost packets explain a missing marker too: say that first. */
    if (w->kernel_drops || w->not_kept)
        rc = sf_err_set(err, SF_ERR_SYS, ENOBUFS, NULL,
                        "capture(%s): %llu packets lost (%llu dropped by the kernel, %llu past "
                        "the capture's bounds)",
                        w->ifname, (unsigned long long)(w->kernel_drops + w->not_kept),
                        (unsigned long long)w->kernel_drops, (unsigned long long)w->not_kept);
    return rc;
}

struct sf_wire *sf_wire_read_file(struct sf_err *err, const char *path)
{
    char errbuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    struct sf_wire *w;
    int rc;

    if (!p) {
        sf_err_set(err, SF_ERR_INVALID, 0, NULL, "read capture(%s): %s", path, errbuf);
        return NULL;
    }
    w = wire_alloc(pcap_datalink(p), pcap_snapshot(p), 0, 0);
    if (!w) {
        sf_err_sys(err, ENOMEM, "read capture", path);
        pcap_close(p);
        return NULL;
    }
    while ((rc = pcap_next_ex(p, &h, &data)) == 1)
        if (sf_wire_add(err, w, stamp_ns(h, 1), data, h->caplen, h->len) < 0)
            break;
    if (rc != PCAP_ERROR_BREAK) {
        if (rc == PCAP_ERROR)
            sf_err_set(err, SF_ERR_INVALID, 0, NULL, "read capture(%s): %s", path, pcap_geterr(p));
        sf_wire_close(w);
        w = NULL;
    }
    pcap_close(p);
    return w;
}

int sf_wire_write_fd(struct sf_err *err, const struct sf_wire *w, int fd, const char *name)
{
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0), rc = 0;
    FILE *f = copy >= 0 ? fdopen(copy, "wb") : NULL;
    pcap_t *dead = pcap_open_dead(w->dlt, w->snaplen);
    pcap_dumper_t *d = f && dead ? pcap_dump_fopen(dead, f) : NULL;

    if (!d) {
        rc = !f ? sf_err_sys(err, errno, "write capture", name)
                : sf_err_set(err, SF_ERR_SYS, EIO, NULL, "write capture(%s): %s", name,
                             dead ? pcap_geterr(dead) : "out of memory");
        if (f)
            fclose(f);
        else if (copy >= 0)
            close(copy);
        if (dead)
            pcap_close(dead);
        return rc;
    }
    for (size_t i = 0; i < w->n; i++) {
        const struct sf_wire_rec *r = &w->recs[i];
        struct pcap_pkthdr h = {.caplen = r->caplen, .len = r->wire_len};
        h.ts.tv_sec = (time_t)(r->ts_ns / 1000000000u);
        h.ts.tv_usec = (suseconds_t)(r->ts_ns % 1000000000u / 1000u);
        pcap_dump((u_char *)d, &h, r->data);
    }
    errno = 0;
    if (pcap_dump_flush(d) < 0 || ferror(f))
        rc = sf_err_sys(err, errno ? errno : EIO, "write capture", name);
    pcap_dump_close(d); /* closes f, the copy: fd stays the caller's */
    pcap_close(dead);
    return rc;
}

int sf_wire_write_file(struct sf_err *err, const struct sf_wire *w, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOCTTY, 0666), rc;

    if (fd < 0)
        return sf_err_sys(err, errno, "write capture", path);
    rc = sf_wire_write_fd(err, w, fd, path);
    if (close(fd) < 0 && rc == 0)
        rc = sf_err_sys(err, errno, "write capture", path);
    return rc;
}

size_t sf_wire_count(const struct sf_wire *w)
{
    return w->n;
}

const struct sf_wire_rec *sf_wire_at(const struct sf_wire *w, size_t i)
{
    return i < w->n ? &w->recs[i] : NULL;
}

int sf_wire_dlt(const struct sf_wire *w)
{
    return w->dlt;
}

struct sf_wire_totals sf_wire_totals(const struct sf_wire *w)
{
    struct sf_wire_totals t = {
        .packets = w->n, .kernel_drops = w->kernel_drops, .not_kept = w->not_kept};

    for (size_t i = 0; i < w->n; i++) {
        t.wire_bytes += w->recs[i].wire_len;
        t.malformed += !w->recs[i].ok;
    }
    return t;
}

void sf_wire_close(struct sf_wire *w)
{
    if (!w)
        return;
    stop_reader(NULL, w);
    if (w->pcap)
        pcap_close(w->pcap);
    if (w->stop_fd >= 0)
        close(w->stop_fd);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
    if (w->marker_fd >= 0)
        close(w->marker_fd);
    while (w->chunks) {
        struct chunk *next = w->chunks->next;
        free(w->chunks);
        w->chunks = next;
    }
    free(w->recs);
    free(w);
}
