/* labwire: a capture on one side of the lab's router; see labwire.h. */
#include "labwire.h"

#include <stddef.h>

struct sf_wire *lab_router_capture(struct sf_err *err, struct sf_lab *lab, int server_side,
                                   const struct sf_wire_opts *bounds)
{
    struct sf_wire_opts o = {.ifname = NULL};
    struct sf_wire *w;

    if (bounds)
        o = *bounds;
    o.ifname = server_side ? "r1" : "r0";
    o.marker_to = sf_lab_addr(server_side ? SF_LAB_SERVER : SF_LAB_CLIENT, 0); /* out on it */
    if (sf_lab_enter(err, lab, SF_LAB_ROUTER) < 0)
        return NULL;
    w = sf_wire_open(err, &o);
    if (sf_lab_enter(w ? err : NULL, lab, SF_LAB_NS) < 0) {
        sf_wire_close(w);
        return NULL;
    }
    return w;
}
