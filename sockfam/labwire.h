/*
 * labwire: a capture on one side of the lab's router, for every command
 * that watches the lab (compare --link lab, show's lab lessons).  The
 * runner's own join of common/lab (the namespaces) and common/wire (the
 * capture), which neither library may make itself.
 */
#ifndef SF_LABWIRE_H
#define SF_LABWIRE_H

#include "err.h"
#include "netlab.h"
#include "wire.h"

/*
 * Open a capture in the router's namespace on r0 (server_side 0: towards
 * the client) or r1 (1: towards the server), its end marker sent to that
 * side's host; bounds gives the rest of the options (NULL: the defaults).
 * The calling thread is back in its own namespace on return.  NULL with err.
 */
struct sf_wire *lab_router_capture(struct sf_err *err, struct sf_lab *lab, int server_side,
                                   const struct sf_wire_opts *bounds);

#endif
