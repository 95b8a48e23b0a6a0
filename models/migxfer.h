/* How a live migration's batches travel between two hosts: the transport
 * of models/migration.h made of dom0 work and the hosts' NICs.
 *
 * Each batch of up to 1024 pages crosses three stages:
 *  1. the source's save process (user-space T2 work in dom0, placed by the
 *     policy as an operation on the guest: native on dom0's vCPUs, closer
 *     on the secondary vCPU next to the guest's memory, billed to it) maps
 *     the pages and copies them into the stream; a round's first batch also
 *     scans the dirty bitmap of the whole guest;
 *  2. the wire: the source NIC's transmit pipe and the destination NIC's
 *     receive pipe, shared in FIFO order with every other migration and
 *     guest packet on those NICs;
 *  3. the destination's restore process (dom0 T2 work there) writes the
 *     pages into the new domain's memory.
 * Per-page costs are stretched by the NUMA distance between the pCPU doing
 * them and the memory they touch: the guest's on the source, dom0's on the
 * destination (the guest's domain there is built when it resumes). */
#ifndef DOM0SIM_MIGXFER_H
#define DOM0SIM_MIGXFER_H

#include "models/host.h"
#include "models/migration.h"

typedef struct MigXfer MigXfer;

/* The transport for migrating guest g from `from` to `to` with the source
 * host's costs.  The transport's data is the MigXfer. */
MigXfer *migxfer_new(Host *from, Host *to, Domain *g);
/* Whether the stream crosses the NICs in Ethernet frames (the default) or
 * as bare bytes at the line rate, an ideal link (migrations[].framing). */
void migxfer_set_framing(MigXfer *x, bool framing);
const MigTransport *migxfer_transport(const MigXfer *x);
void migxfer_free(MigXfer *x);

/* dom0 CPU it used so far, ns: on the source, on the destination, and the
 * part the guest paid for (closer bills the source side to the guest). */
double migxfer_source_cpu_ns(const MigXfer *x);
double migxfer_dest_cpu_ns(const MigXfer *x);
double migxfer_charged_guest_ns(const MigXfer *x);

/* The guest's lot during the live phase of its migration, from the
 * migration's start to the instant it is paused for the stop-and-copy
 * round (or to now, if that has not come): docs/MODEL.md, "The guest
 * during a migration".
 *   base_cores       its CPU rate before the migration (its own vCPUs' CPU
 *                    on the source since it was created there, over that
 *                    time), in pCPUs: what it would get without it;
 *   guest_cpu_share  the CPU its own vCPUs ran in the live phase over
 *                    base_cores x live_s (1: unslowed; dom0 work it pays
 *                    for does not count as its own);
 *   degraded_s       the time of the live phase, cut into intervals of
 *                    MIGXFER_LOT_INTERVAL from the start, spent in
 *                    intervals where it ran less than MIGXFER_LOT_DEGRADED
 *                    x base_cores (the last, shorter interval pro rata). */
#define MIGXFER_LOT_INTERVAL (100 * SIM_MS)
#define MIGXFER_LOT_DEGRADED 0.9
typedef struct {
    double live_s;
    double base_cores;
    double guest_cpu_share;
    double degraded_s;
} MigGuestLot;
void migxfer_guest_lot(const MigXfer *x, MigGuestLot *out);

#endif
