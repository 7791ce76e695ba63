/*
 * link: `sockfam compare --link lab`.  The lab (common/lab/netlab) in
 * place of the private loopback namespace: servers in its server namespace,
 * clients in its client namespace, and a capture on each side of the
 * router (r0 towards the client, r1 towards the server).  What a capture on
 * one side holds and the other lacks was lost on the wire: counted per
 * family and direction, and TCP's data segments sent again beside them.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare.h"
#include "io.h"
#include "jout.h"
#include "labwire.h"
#include "netns.h"

static void trace(void *ctx, const char *line, int64_t ns)
{
    (void)ctx;
    fprintf(stderr, "sockfam: lab: %s  (%.1f ms)\n", line, (double)ns / 1e6);
}

int link_up(struct sf_err *err, struct run *r, const struct sf_wire_opts *bounds)
{
    r->o.lab_o.trace = r->o.verbose ? trace : NULL;
    r->lab = sf_lab_up(err, &r->o.lab_o);
    if (!r->lab)
        return -1;
    if (r->o.verbose)
        fprintf(stderr, "sockfam: lab: built in %.1f ms\n", (double)sf_lab_build_ns(r->lab) / 1e6);
    snprintf(r->lab_cc, sizeof(r->lab_cc), "%s", sf_lab_cc(r->lab));
    r->wire_bounds = *bounds;
    r->wire = lab_router_capture(err, r->lab, 0, bounds);
    r->wire_far = r->wire ? lab_router_capture(err, r->lab, 1, bounds) : NULL;
    return r->wire && r->wire_far ? 0 : -1;
}

int link_netns(const struct run *r, int server)
{
    return r->lab ? sf_lab_netns(r->lab, server ? SF_LAB_SERVER : SF_LAB_CLIENT) : -1;
}

int link_silence(struct run *r, const char *sysctl)
{
    int rc;

    if (sf_lab_enter(NULL, r->lab, SF_LAB_SERVER) < 0)
        return -1;
    rc = sf_sysctl_write(NULL, sysctl, "1");
    return sf_lab_enter(NULL, r->lab, SF_LAB_NS) < 0 ? -1 : rc;
}

static int count_of(const struct sf_wire *w, void *n)
{
    *(size_t *)n = sf_wire_count(w);
    return 1;
}

/* Packets both captures hold so far. */
static size_t held(struct run *r)
{
    size_t a = 0, b = 0;

    sf_wire_wait(r->wire, count_of, &a, 0);
    sf_wire_wait(r->wire_far, count_of, &b, 0);
    return a + b;
}

/*
 * Before the captures stop: until neither side saw a packet for QUIET_MS
 * (at most QUIET_MAX_MS).  The two captures stop one after the other, and
 * a packet still crossing then (a connection's last ACK, an MPTCP subflow
 * closed late) would be seen on one side only, as lost or as a copy.
 */
#define QUIET_MS 50
#define QUIET_MAX_MS 1000
void link_quiet(struct run *r)
{
    int64_t deadline = sf_deadline_after_ms(QUIET_MAX_MS);
    size_t before = r->wire && r->wire_far ? held(r) : 0, now;

    while (r->wire && r->wire_far && sf_now_ns() < deadline) {
        sf_sleep_ms(QUIET_MS);
        now = held(r);
        if (now == before)
            return;
        before = now;
    }
}

void link_stop(struct run *r)
{
    struct sf_err err;
    uint64_t up, down;

    /* The router's own count of what its loss rules dropped: the captures' witness. */
    if (r->lab && sf_lab_dropped(NULL, r->lab, &up, &down) == 0) {
        r->router_dropped[WAY_UP] = up, r->router_dropped[WAY_DOWN] = down;
        r->have_router_dropped = 1;
    }
    if (r->wire_far && sf_wire_stop(&err, r->wire_far, sf_deadline_after_ms(3000)) < 0) {
        r->wire_ok = 0;
        run_note(r, "wire: the server side's capture is incomplete: %s", err.msg);
    }
}

void link_describe(FILE *out, const struct run *r)
{
    const struct sf_lab_opts *l = &r->o.lab_o;
    static const char *const dirs[] = {"both ways", "up", "down"};

    fprintf(out, "link: lab (client and server namespaces through a router, veth, MTU 1500");
    if (l->mtu)
        fprintf(out, ", a narrow hop of %d", l->mtu);
    if (l->loss == SF_LOSS_RANDOM)
        fprintf(out, ", loss %g%% %s", l->loss_pct, dirs[l->loss_dir]);
    if (l->loss == SF_LOSS_EVERY)
        fprintf(out, ", loss every %u packets %s", l->loss_every, dirs[l->loss_dir]);
    if (l->dup_pct > 0)
        fprintf(out, ", %g%% duplicated", l->dup_pct);
    if (l->rate[0])
        fprintf(out, ", %s each way", l->rate);
    if (l->delay_ms)
        fprintf(out, ", %u ms each way", l->delay_ms);
    fprintf(out, "), TCP %s, IPv%d\n", r->lab_cc, r->o.v6 ? 6 : 4);
    fprintf(out, "wire: captured on both sides of the router; lost = seen on the sender's side "
                 "of it and not on the other\n");
    if (r->have_router_dropped && r->o.lab_o.loss != SF_LOSS_NONE)
        fprintf(out,
                "router: its loss rules dropped %llu packets up and %llu down (nft's counters)\n",
                r->router_dropped[WAY_UP], r->router_dropped[WAY_DOWN]);
}

void link_json(void *obj, const struct run *r)
{
    const struct sf_lab_opts *l = &r->o.lab_o;
    static const char *const dirs[] = {"both", "up", "down"};
    static const char *const loss[] = {"none", "random", "every"};

    json_object_set_new(
        obj, "link",
        json_pack("{s:s,s:i,s:i,s:s,s:o,s:i,s:s,s:o,s:s,s:i,s:s,s:i}", "kind", "lab", "mtu", 1500,
                  "narrow_hop", l->mtu, "loss", loss[l->loss], "loss_pct",
                  sf_jreal(l->loss == SF_LOSS_RANDOM ? l->loss_pct : 0, 3), "loss_every",
                  l->loss == SF_LOSS_EVERY ? (int)l->loss_every : 0, "loss_dir", dirs[l->loss_dir],
                  "dup_pct", sf_jreal(l->dup_pct, 3), "rate", l->rate, "delay_ms", (int)l->delay_ms,
                  "cc", r->lab_cc, "ip", r->o.v6 ? 6 : 4));
    json_object_set_new(json_object_get(obj, "link"), "router_dropped",
                        r->have_router_dropped
                            ? json_pack("{s:o,s:o}", "up", sf_juint(r->router_dropped[WAY_UP]),
                                        "down", sf_juint(r->router_dropped[WAY_DOWN]))
                            : json_null());
}

void link_down(struct run *r)
{
    struct sf_err err;

    if (r->lab && sf_lab_down(&err, r->lab) < 0)
        sf_cli_warn("lab: %s", err.msg);
    r->lab = NULL;
}
