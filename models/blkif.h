/* A virtual block device: Xen's blkfront in a guest and blkback in dom0,
 * joined by a shared ring (models/ring.h), an event channel
 * (models/evtchn.h) and grants (models/grant.h), in front of the host's
 * disk (models/device.h).
 *
 * The path of one guest I/O (xen/include/public/io/blkif.h; Linux
 * drivers/block/xen-blkfront.c and drivers/block/xen-blkback/blkback.c):
 *  1. blkfront, on the guest vCPU that issued the I/O, cuts it into ring
 *     requests of at most 11 segments of one 4 KiB page (44 KiB), or with
 *     indirect descriptors of up to `indirect_segments` segments, grants each
 *     segment's page to dom0 (read-only for a disk write, which dom0 only
 *     reads), pushes the requests and kicks dom0's event channel only when
 *     RING_PUSH_REQUESTS_AND_CHECK_NOTIFY says blkback asked for it.  A full
 *     ring, or a full grant table, holds requests back in blkfront.
 *  2. The upcall wakes blkback's per-ring thread, a piece of dom0 work the
 *     policy places (closer: the secondary vCPU on the pCPU of the guest vCPU
 *     that issued the I/O) and bills.  The thread takes one request at a time:
 *     checks it, maps its grants (or grant-copies a write's data), submits it
 *     to the disk, then takes the next, and re-arms the ring
 *     (RING_FINAL_CHECK_FOR_REQUESTS) before sleeping.
 *  3. The disk's completion is dom0 work too: unmap (or grant-copy a read's
 *     data into the guest), push the response, notify when asked.
 *  4. blkfront's interrupt handler, on the guest's vCPU 0 (where Linux binds
 *     the channel), takes the responses, ends the grants, completes the I/O
 *     and pushes requests it had held back.
 *
 * A request that breaks the protocol (more segments than negotiated, an
 * unknown operation, a grant it may not map) gets BLKIF_RSP_ERROR or
 * BLKIF_RSP_EOPNOTSUPP and is counted; nothing else is affected.
 *
 * CPU costs are given for a reference core with local memory; the
 * memory-bound part (ring and grant work on the guest's pages, data copies)
 * is stretched by the NUMA distance between the pCPU that runs it and the
 * guest's memory. */
#ifndef DOM0SIM_BLKIF_H
#define DOM0SIM_BLKIF_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/domain.h"
#include "models/vcpu.h"

struct Host;

/* BLKIF_MAX_SEGMENTS_PER_REQUEST (xen/include/public/io/blkif.h). */
#define BLKIF_MAX_SEGMENTS 11u
/* Segments one indirect page describes: 4096 / sizeof(struct
 * blkif_request_segment) = 4096 / 8 (blkif.h, BLKIF_OP_INDIRECT). */
#define BLKIF_SEGS_PER_INDIRECT_PAGE 512u
/* BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST (blkif.h). */
#define BLKIF_MAX_INDIRECT_PAGES 8u
/* Largest indirect segment count blkback offers, MAX_INDIRECT_SEGMENTS
 * (drivers/block/xen-blkback/common.h). */
#define BLKIF_MAX_INDIRECT_SEGMENTS 256u

/* Response statuses (blkif.h). */
#define BLKIF_RSP_EOPNOTSUPP (-2)
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_OKAY 0

/* How blkback reaches the guest's data. */
typedef enum {
    BLK_GRANT_MAP,  /* map each segment, the disk DMAs into the guest page, unmap */
    BLK_GRANT_COPY, /* grant-copy the data between a dom0 buffer and the guest page */
} BlkGrantMode;

/* CPU costs of the split block driver, ns on a reference core. */
typedef struct {
    double back_request_ns;  /* blkback per request: parse, bio, completion, response */
    double back_segment_ns;  /* blkback per segment: grant map + unmap (map mode) */
    double copy_ns_per_byte; /* grant copy (copy mode), fully memory-bound */
    double front_request_ns; /* blkfront per request, in the guest */
    double mem_fraction;     /* memory-bound share of the per-request and per-segment costs */
} BlkCosts;

typedef struct {
    unsigned ring_pages;        /* 1, 2, 4, ... 16 (max_ring_page_order) */
    unsigned indirect_segments; /* 0: no indirect descriptors; else 12..256 */
    BlkGrantMode grant_mode;
    BlkCosts costs;
} VbdConfig;

/* A malformed request, for the tests of a hostile guest. */
typedef enum {
    BLK_BAD_GREF,     /* a grant reference the guest never gave dom0 */
    BLK_BAD_SEGMENTS, /* more segments than negotiated */
    BLK_BAD_OP,       /* an operation code blkback does not know */
    BLK_BAD_ID,       /* a request id blkfront never issued (echoed back) */
} BlkGarbage;

typedef struct Vbd Vbd;

/* Called once per submitted I/O when its last request is answered: ok is
 * false if any request got an error response. */
typedef void (*VbdDoneFn)(void *data, bool ok);

/* Connects guest `g` (domid already registered with the host's grant space
 * and event channels) to the host's disk.  Fails with DOM0SIM_ERROR_INPUT
 * for a bad ring size or indirect segment count. */
Vbd *vbd_new(struct Host *h, Domain *g, const VbdConfig *cfg, GError **err);
/* Frees the device and what it holds; completions still pending on the disk
 * or on vCPUs must have been dropped first (host_drop_work, disk_free). */
void vbd_free(Vbd *v);

/* The guest issues an I/O of `bytes` (rounded up to whole 4 KiB pages)
 * from vCPU `issuer`; done(data, ok) runs when it completes. */
void vbd_submit(Vbd *v, uint64_t bytes, bool write, bool sequential, Vcpu *issuer, VbdDoneFn done,
                void *data);
/* A hostile guest pushes one malformed request from vCPU `issuer`. */
void vbd_submit_garbage(Vbd *v, BlkGarbage kind, Vcpu *issuer);

/* Stops issuing: the guest is leaving this host.  In-flight requests still
 * complete on the dom0 side; nothing is reported to the guest any more. */
void vbd_disconnect(Vbd *v);

/* Time the host's disk spent serving this device's ops so far (from the
 * start of service to completion, per op, so ops served in parallel each
 * count): the Google trace's "disk I/O time".  0 for NULL. */
SimTime vbd_disk_service_ns(const Vbd *v);

/* Writes `<vm>.blk.*` metrics: requests, error responses by reason,
 * notifications sent and suppressed each way, ring-full stalls, peak ring
 * occupancy, grant refusals, disk service time (disk_io_s). */
void vbd_finish(Vbd *v);

#endif
