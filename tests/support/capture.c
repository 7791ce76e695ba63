/* capture: wire-test helpers; see capture.h. */
#include "capture.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "io.h"
#include "ladder.h"
#include "netns.h"

#define STOP_MS 5000

void private_netns(void)
{
    struct sf_err err;

    if (sf_netns_private(&err) < 0)
        cr_skip_test("cannot create a network namespace (%s); run as root", err.msg);
}

struct sf_wire *capture_start(const char *ifname, const char *filter)
{
    struct sf_wire_opts o = {.ifname = ifname, .filter = filter};
    struct sf_err err;
    struct sf_wire *w;

    private_netns();
    w = sf_wire_open(&err, &o);
    if (!w && err.sys_errno == EPERM)
        cr_skip_test("%s", err.msg);
    cr_assert_not_null(w, "%s", err.msg);
    return w;
}

void capture_stop(struct sf_wire *w)
{
    struct sf_err err;

    cr_assert_eq(sf_wire_stop(&err, w, sf_deadline_after_ms(STOP_MS)), 0, "%s", err.msg);
}

int capture_until(struct sf_wire *w, int (*pred)(const struct sf_wire *, void *), void *arg,
                  int timeout_ms)
{
    return sf_wire_wait(w, pred, arg, sf_deadline_after_ms(timeout_ms));
}

size_t capture_select(const struct sf_wire *w, int l4, const struct sf_wire_rec **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < sf_wire_count(w) && n < max; i++) {
        const struct sf_wire_rec *r = sf_wire_at(w, i);
        if (r->ok && (int)r->pkt.l4 == l4)
            out[n++] = r;
    }
    return n;
}

/* The sequence number that payload offset 0 of sport's direction has. */
static uint32_t stream_base(const struct sf_wire_rec *const *recs, size_t n, uint16_t sport)
{
    for (size_t i = 0; i < n; i++)
        if (recs[i]->pkt.sport == sport && (recs[i]->pkt.flags & SF_TCP_SYN))
            return recs[i]->pkt.seq + 1;
    for (size_t i = 0; i < n; i++)
        if (recs[i]->pkt.sport == sport)
            return recs[i]->pkt.seq;
    return 0;
}

long tcp_stream(const struct sf_wire_rec *const *recs, size_t n, uint16_t sport, uint8_t *buf,
                size_t cap)
{
    uint32_t base = stream_base(recs, n, sport);
    uint8_t *have = calloc(cap ? cap : 1, 1);
    size_t end = 0;

    cr_assert_not_null(have);
    for (size_t i = 0; i < n; i++) {
        const struct sf_pkt *p = &recs[i]->pkt;
        size_t off = (uint32_t)(p->seq - base);
        if (p->sport != sport || p->payload_len == 0)
            continue;
        cr_assert(off + p->payload_len <= cap, "segment at %zu+%zu past %zu", off, p->payload_len,
                  cap);
        memcpy(buf + off, p->payload, p->payload_len);
        memset(have + off, 1, p->payload_len);
        if (off + p->payload_len > end)
            end = off + p->payload_len;
    }
    for (size_t i = 0; i < end; i++)
        if (!have[i]) {
            free(have);
            return -1;
        }
    free(have);
    return (long)end;
}

const char *capture_ladder(const struct sf_wire *w)
{
    static char *text;
    const struct sf_wire_rec **recs = calloc(sf_wire_count(w) + 1, sizeof(*recs));
    size_t n = 0;

    free(text);
    text = NULL;
    if (!recs)
        return "";
    for (size_t i = 0; i < sf_wire_count(w); i++)
        if (sf_wire_at(w, i)->ok)
            recs[n++] = sf_wire_at(w, i);
    text = sf_ladder(NULL, recs, n, 0, 0);
    free(recs);
    return text ? text : "";
}
