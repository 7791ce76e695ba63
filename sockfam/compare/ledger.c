/*
 * ledger: what the two captures of `--link lab` (r0 on the router's client
 * side, r1 on its server side) say each family's packets went through, per
 * direction.  A packet is known on both sides by what the router leaves
 * alone: addresses, ports, TCP sequence and flags, the ICMP echo's id and
 * sequence, the payload's length and first bytes (the clients number each
 * message: sf_payload_stamp).  The pieces of a fragmented datagram share
 * one key, its addresses and IP id.  For each key, the sender's side saw
 * it n times and the receiver's side m times: n - m were lost on the wire,
 * m - n are copies the router made.  A datagram is lost when any of its
 * pieces is.  Out of order: a packet that reached the receiver's side
 * after one sent later (a packet sent twice, as TCP resends, is left out:
 * its copy comes late by design).  TCP's resent segments: a data segment
 * whose sequence start was seen before on the sender's side.
 */
#include <stdlib.h>
#include <string.h>

#include "compare.h"

struct entry {
    uint64_t key;
    uint32_t idx;   /* its place in its side's capture */
    uint8_t f, way; /* family; 1 client to server, 0 back */
    uint8_t side;   /* 0: r0 (client side), 1: r1 (server side) */
    uint8_t frag;   /* a piece of a fragmented datagram */
    uint32_t bytes; /* a piece: the datagram's bytes it carries */
    uint32_t off;   /* a piece: where they start in the datagram */
    uint32_t end;   /* the last piece: the datagram's length (its offset + bytes), else 0 */
};

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;

    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 0x100000001b3ull;
    return h;
}

/* The key every piece of p's datagram shares, as reassembly knows it: addresses, protocol, id. */
static uint64_t datagram_key(const struct sf_pkt *p)
{
    uint64_t h = fnv(0xcbf29ce484222325ull, "frag", 4);

    h = fnv(h, p->src, sizeof(p->src));
    h = fnv(h, p->dst, sizeof(p->dst));
    h = fnv(h, &p->frag_proto, 1);
    return fnv(h, &p->frag_id, sizeof(p->frag_id));
}

/* A whole packet's key: what the router does not change. */
static uint64_t packet_key(const struct sf_pkt *p)
{
    uint64_t h = fnv(0xcbf29ce484222325ull, &p->ip_proto, 1);
    size_t head = p->payload_len < 32 ? p->payload_len : 32;

    h = fnv(h, p->src, sizeof(p->src));
    h = fnv(h, p->dst, sizeof(p->dst));
    h = fnv(h, &p->sport, 2), h = fnv(h, &p->dport, 2);
    h = fnv(h, &p->seq, 4), h = fnv(h, &p->ack, 4), h = fnv(h, &p->flags, 1);
    h = fnv(h, &p->type, 1), h = fnv(h, &p->id, 2), h = fnv(h, &p->icmp_seq, 2);
    h = fnv(h, &p->payload_len, sizeof(p->payload_len));
    return fnv(h, p->payload, head);
}

/*
 * Is p going from client to server (1), back (0), or neither (-1: ICMP
 * that is not an echo, such as IPv6's neighbour discovery and multicast
 * listener reports)?  Servers are known by their port; ICMP by its type.
 */
static int up(const struct run *r, int f, const struct sf_pkt *p)
{
    if (p->l4 == SF_L4_ICMP || p->l4 == SF_L4_ICMP6)
        return p->type == 8 || p->type == 128 ? 1 : p->type == 0 || p->type == 129 ? 0 : -1;
    return p->dport == r->args[f].port;
}

static int by_key(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->side != y->side ? x->side - y->side : (x->idx > y->idx) - (x->idx < y->idx);
}

/* Family, direction, key, then side and place: a key's sightings together. */
static int by_flow(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->f != y->f)
        return x->f - y->f;
    if (x->way != y->way)
        return x->way - y->way;
    return by_key(a, b);
}

static int by_piece(const void *a, const void *b)
{
    const struct piece *x = a, *y = b;

    return x->key != y->key ? (x->key < y->key ? -1 : 1) : 0;
}

void ledger_pieces(struct run *r, ledger_owner owner)
{
    size_t cap =
        (r->wire ? sf_wire_count(r->wire) : 0) + (r->wire_far ? sf_wire_count(r->wire_far) : 0);

    r->npieces = 0;
    r->pieces = malloc((cap + 1) * sizeof(*r->pieces));
    if (!r->pieces)
        return;
    for (int side = 0; side < 2; side++) {
        const struct sf_wire *w = side ? r->wire_far : r->wire;
        for (size_t i = 0; w && i < sf_wire_count(w); i++) {
            const struct sf_wire_rec *rec = sf_wire_at(w, i);
            int f = rec->ok && rec->pkt.frag == 1 ? owner(r, &rec->pkt) : -1;
            int way = f >= 0 ? up(r, f, &rec->pkt) : -1;
            if (way >= 0)
                r->pieces[r->npieces++] =
                    (struct piece){datagram_key(&rec->pkt), (int8_t)f, (int8_t)way};
        }
    }
    qsort(r->pieces, r->npieces, sizeof(*r->pieces), by_piece);
}

int ledger_piece_owner(const struct run *r, const struct sf_pkt *p, int *way)
{
    struct piece k = {datagram_key(p), -1, -1};
    const struct piece *hit =
        r->pieces ? bsearch(&k, r->pieces, r->npieces, sizeof(k), by_piece) : NULL;

    if (way)
        *way = hit ? hit->way : -1;
    return hit ? hit->f : -1;
}

void ledger_pieces_free(struct run *r)
{
    free(r->pieces);
    r->pieces = NULL;
    r->npieces = 0;
}

/* Every packet of every family, on both sides, keyed; returns how many. */
static size_t entries(const struct run *r, struct entry *e, ledger_owner owner)
{
    size_t n = 0;

    for (int side = 0; side < 2; side++) {
        const struct sf_wire *w = side ? r->wire_far : r->wire;
        for (size_t i = 0; i < sf_wire_count(w); i++) {
            const struct sf_wire_rec *rec = sf_wire_at(w, i);
            const struct sf_pkt *p = &rec->pkt;
            struct entry k = {.idx = (uint32_t)i, .side = (uint8_t)side, .frag = p->frag != 0};
            int f = -1, way = -1;
            if (rec->ok && p->frag) {
                k.key = datagram_key(p);
                k.bytes = p->frag_len, k.off = p->frag_off;
                k.end = p->frag_more ? 0 : p->frag_off + p->frag_len;
                f = ledger_piece_owner(r, p, &way);
            } else if (rec->ok) {
                k.key = packet_key(p);
                f = owner(r, p);
                way = f >= 0 ? up(r, f, p) : -1;
            }
            if (way < 0)
                continue;
            k.f = (uint8_t)f, k.way = (uint8_t)way;
            e[n++] = k;
        }
    }
    return n;
}

/*
 * One key's sightings, e[0..n): on the sender's side (near) and the
 * receiver's (far).  A fragmented datagram's pieces are counted, and how
 * many whole copies of it each side saw: the least number of pieces
 * covering any byte of it.  The router may cut a piece again for a narrow
 * hop (3 pieces in, 4 out: still one copy), and may copy one piece while
 * it loses another (no whole copy, though the bytes add up).
 */
struct group {
    unsigned long long near, far;               /* sightings: packets, or pieces */
    unsigned long long near_bytes, far_bytes;   /* a datagram's bytes seen on each side */
    unsigned long long near_copies, far_copies; /* its whole copies on each side */
    unsigned long long total;                   /* its length, once its last piece is seen */
    uint32_t near_at, far_at;                   /* the first sighting on each side */
    int frag;
};

#define COVER_MAX 256 /* pieces of one datagram on one side followed byte by byte, at most */

struct edge {
    uint32_t at;
    int d; /* +1 a piece starts, -1 one ends */
};

static int by_at(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;

    return (x->at > y->at) - (x->at < y->at);
}

/*
 * Whole copies of a datagram of total bytes that side saw in e[0..n): the
 * least number of its pieces over any byte of [0, total).  Past COVER_MAX
 * pieces, its bytes over its length.
 */
static unsigned long long whole_copies(const struct entry *e, size_t n, int side,
                                       unsigned long long total, unsigned long long bytes)
{
    struct edge ev[2 * COVER_MAX];
    size_t m = 0;
    long depth = 0, least = -1;
    unsigned long long pos = 0;

    for (size_t i = 0; i < n; i++) {
        if (e[i].side != side)
            continue;
        if (m == 2 * COVER_MAX)
            return total ? bytes / total : 0;
        ev[m++] = (struct edge){e[i].off, 1};
        ev[m++] = (struct edge){e[i].off + e[i].bytes, -1};
    }
    if (!total || !m)
        return 0;
    qsort(ev, m, sizeof(ev[0]), by_at);
    for (size_t i = 0; i < m;) {
        uint32_t at = ev[i].at;
        if (at > pos && pos < total && (least < 0 || depth < least))
            least = depth; /* [pos, at) is covered depth times */
        while (i < m && ev[i].at == at)
            depth += ev[i++].d;
        pos = at;
    }
    if (pos < total)
        least = 0; /* its tail was never seen */
    return least < 0 ? 0 : (unsigned long long)least;
}

static struct group group_of(const struct entry *e, size_t n)
{
    struct group g = {.frag = e[0].frag};
    int near_side = e[0].way ? 0 : 1; /* up: sent past r0, received past r1 */

    for (size_t i = 0; i < n; i++) {
        int near = e[i].side == near_side;
        if (near && g.near++ == 0)
            g.near_at = e[i].idx;
        if (!near && g.far++ == 0)
            g.far_at = e[i].idx;
        *(near ? &g.near_bytes : &g.far_bytes) += e[i].bytes;
        if (e[i].end > g.total)
            g.total = e[i].end;
    }
    if (g.frag) {
        g.near_copies = whole_copies(e, n, near_side, g.total, g.near_bytes);
        g.far_copies = whole_copies(e, n, !near_side, g.total, g.far_bytes);
    }
    return g;
}

static void count_group(struct way_tally *t, const struct group *g)
{
    unsigned long long lost = g->near > g->far ? g->near - g->far : 0;

    if (g->frag) { /* a datagram: lost whole if one of its pieces was */
        unsigned long long sent = g->near_copies, got = g->far_copies;
        t->frag_dgrams++;
        t->frag_pieces += g->near;
        t->frag_lost += sent > got;
        t->dgrams_lost += sent > got ? sent - got : 0;
        t->packets_lost += sent > got ? lost : 0; /* a piece cut in two at a narrow hop is not */
        t->dup += got > sent ? got - sent : 0;
    } else {
        t->packets_lost += lost;
        t->dgrams_lost += lost;
        t->dup += g->far > g->near ? g->far - g->near : 0;
    }
}

struct order {
    uint32_t far_at, near_at;
};

static int by_far(const void *a, const void *b)
{
    const struct order *x = a, *y = b;

    return (x->far_at > y->far_at) - (x->far_at < y->far_at);
}

/* Packets that reached the far side after one sent later: o[0..n) in far order. */
static unsigned long long reordered(struct order *o, size_t n)
{
    unsigned long long late = 0;
    uint32_t latest = 0;

    qsort(o, n, sizeof(*o), by_far);
    for (size_t i = 0; i < n; i++) {
        if (i && o[i].near_at < latest)
            late++;
        if (o[i].near_at > latest)
            latest = o[i].near_at;
    }
    return late;
}

/* One family's one direction, e[0..n) sorted by key: its tally. */
static void tally_way(struct way_tally *t, const struct entry *e, size_t n, struct order *o)
{
    size_t norder = 0;

    memset(t, 0, sizeof(*t));
    for (size_t i = 0, j; i < n; i = j) {
        struct group g;
        for (j = i + 1; j < n && e[j].key == e[i].key; j++)
            ;
        g = group_of(e + i, j - i);
        count_group(t, &g);
        if (g.near == 1 && g.far >= 1) /* sent once, so its order means something */
            o[norder++] = (struct order){g.far_at, g.near_at};
    }
    t->reordered = reordered(o, norder);
}

/*
 * Data segments of family f, one way, that start below the highest byte
 * their connection had already sent: sent again, whole or cut anew (after
 * the path MTU fell, TCP resends a lost segment in smaller pieces).  Per
 * connection (its ports), at most FLOWS of them; sequence numbers wrap.
 */
#define FLOWS 16
static unsigned long long resent_in(const struct run *r, const struct sf_wire *w, int f, int way,
                                    ledger_owner owner)
{
    struct flow {
        uint16_t sport, dport;
        uint32_t end;
    } flow[FLOWS];
    int nflows = 0;
    unsigned long long again = 0;

    for (size_t i = 0; i < sf_wire_count(w); i++) {
        const struct sf_wire_rec *rec = sf_wire_at(w, i);
        const struct sf_pkt *p = &rec->pkt;
        int k = 0;
        if (!rec->ok || p->l4 != SF_L4_TCP || !p->payload_len || owner(r, p) != f ||
            up(r, f, p) != way)
            continue;
        while (k < nflows && (flow[k].sport != p->sport || flow[k].dport != p->dport))
            k++;
        uint32_t end = p->seq + (uint32_t)p->payload_len;
        if (k == nflows) {
            if (nflows == FLOWS)
                continue;
            flow[nflows++] = (struct flow){p->sport, p->dport, end};
            continue;
        }
        again += (int32_t)(p->seq - flow[k].end) < 0;
        if ((int32_t)(end - flow[k].end) > 0)
            flow[k].end = end;
    }
    return again;
}

/* Every family's two directions from the sorted entries e[0..n). */
static void tally_all(struct run *r, const struct entry *e, size_t n, struct order *o)
{
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && e[j].f == e[i].f && e[j].way == e[i].way; j++)
            ;
        struct result *x = &r->r[e[i].f];
        tally_way(&x->way[e[i].way ? WAY_UP : WAY_DOWN], e + i, j - i, o);
    }
}

void ledger_tally(struct run *r, ledger_owner owner)
{
    size_t cap =
        (r->wire ? sf_wire_count(r->wire) : 0) + (r->wire_far ? sf_wire_count(r->wire_far) : 0);
    struct entry *e;
    struct order *o;
    size_t n;

    if (!r->o.lab || !r->wire || !r->wire_far)
        return;
    e = malloc((cap + 1) * sizeof(*e));
    o = malloc((cap + 1) * sizeof(*o));
    if (e && o && r->pieces) {
        n = entries(r, e, owner);
        qsort(e, n, sizeof(*e), by_flow);
        tally_all(r, e, n, o);
        r->ledger = 1;
    } else {
        run_note(r, "wire: no memory to match the two sides' %zu packets", cap);
    }
    free(e), free(o);
    for (int f = 0; f < family_count; f++)
        if (r->o.on[f] && r->r[f].status != ST_SKIPPED && family_handshake(&families[f]))
            r->r[f].resent_up = resent_in(r, r->wire, f, 1, owner),
            r->r[f].resent_down = resent_in(r, r->wire_far, f, 0, owner);
}

/* Datagrams (udp, unix-dgram, icmp) may be lost; a connection's messages (TCP, unix stream and
 * seqpacket) never are. */
static int datagrams(const struct family *fam)
{
    return fam->line == LINE_PING || strstr(fam->socket, "SOCK_DGRAM") != NULL;
}

/* A stream's direction: the client's messages; the ledger's packets lost were all resent. */
static void stream_delivery(const struct result *x, int way, struct delivery *d)
{
    d->known = d->stream = 1;
    d->sent = x->sent, d->received = d->delivered = x->answered; /* a reply proves its message */
    d->wire = x->way[way].packets_lost;                          /* packets, not messages: resent */
    d->dup = x->way[way].dup, d->reordered = x->way[way].reordered;
}

void delivery_of(const struct run *r, int f, int way, struct delivery *d)
{
    const struct result *x = &r->r[f];
    int up = way == WAY_UP;

    memset(d, 0, sizeof(*d));
    if (!datagrams(&families[f])) {
        stream_delivery(x, way, d);
        return;
    }
    if (!x->have_server) /* the kernel answered, or the server said nothing */
        return;
    d->known = 1;
    d->sent = up ? x->sent : x->server_replies;
    d->received = up ? x->server_reads : x->answered + x->stray;
    d->receiver = up ? x->server_dropped : x->client_dropped;
    d->receiver_known = up || x->client_dropped_known;
    if (r->ledger) {
        d->wire = x->way[way].dgrams_lost;
        d->dup = x->way[way].dup, d->reordered = x->way[way].reordered;
    }
    d->delivered = d->received > d->dup ? d->received - d->dup : 0; /* copies once */
    d->unaccounted = (long long)d->sent - (long long)(d->delivered + d->wire + d->receiver);
}
