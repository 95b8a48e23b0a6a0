/* A Xen shared I/O ring (xen/include/public/io/ring.h), as split drivers such
 * as netfront/netback and blkfront/blkback use it between a guest and dom0.
 *
 * The ring has a shared part (req_prod, req_event, rsp_prod, rsp_event and
 * the slots), the front end's private view (req_prod_pvt, rsp_cons) and the
 * back end's private view (rsp_prod_pvt, req_cons).  All indices are
 * free-running unsigned 32-bit counters that wrap; a slot is index & (slots-1).
 * A response is written into the slot of the oldest request the back end has
 * consumed but not yet answered, as in Xen, so requests and responses share
 * the same slots and the front end may never have more than `slots` requests
 * outstanding.
 *
 * Each slot carries a `void *` payload: the simulator's request or response
 * object.  The ring never owns or dereferences payloads.
 *
 * Notifications follow Xen's hold-off protocol: a producer publishes with
 * ring_push_*_and_check_notify, which says whether the consumer must be kicked
 * (through its event channel); a consumer that has drained the ring calls
 * ring_final_check_for_* before sleeping, which arms the event index so the
 * next message is notified.
 *
 * Misuse (taking what was not published, answering what was not consumed, a
 * front end scribbling on the shared producer index) is refused with a
 * RingStatus and counted, never a crash: a misbehaving guest must not take
 * the simulator down. */
#ifndef DOM0SIM_RING_H
#define DOM0SIM_RING_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ring pages are always 4 KiB, whatever the guest's page size
 * (XEN_PAGE_SHIFT 12 in xen/include/public/io/ring.h). */
#define RING_PAGE_BYTES 4096u
/* Bytes of the shared page before the first slot: four RING_IDX (16 bytes),
 * the 4-byte pvt union and __pad[44] of struct __name##_sring (ring.h). */
#define RING_SHARED_HEADER_BYTES 64u
/* Largest ring: 16 pages, Linux XENBUS_MAX_RING_GRANT_ORDER 4
 * (include/xen/xenbus.h), the cap on blkback's max_ring_page_order. */
#define RING_MAX_PAGES 16u

/* Slot sizes in bytes: the union of the request and response structs.
 * netif TX: netif_tx_request 12 bytes, netif_tx_response 4
 *   (xen/include/public/io/netif.h: "Ring slot size is 12 octets"). */
#define RING_NETIF_TX_ENTRY_BYTES 12u
/* netif RX: netif_rx_request 8 bytes, netif_rx_response 8 (netif.h). */
#define RING_NETIF_RX_ENTRY_BYTES 8u
/* blkif: blkif_request 112 bytes on x86-64 (24-byte header + 11 segments
 * of 8 bytes, BLKIF_MAX_SEGMENTS_PER_REQUEST), blkif_response 16
 * (xen/include/public/io/blkif.h). */
#define RING_BLKIF_ENTRY_BYTES 112u

typedef struct Ring Ring;

/* What an operation did.  RING_FULL is flow control (counted as a stall);
 * every other non-OK status is misuse (counted by ring_misuse). */
typedef enum {
    RING_OK = 0,
    RING_FULL,       /* front: no free slot; nothing was overwritten */
    RING_EMPTY,      /* nothing published to take (back: requests, front: responses) */
    RING_NO_REQUEST, /* back: a response without a consumed, unanswered request */
    RING_PROTOCOL,   /* back: the shared req_prod claims requests that were never written,
                        or more than the ring can hold (Xen's RING_REQUEST_PROD_OVERFLOW) */
} RingStatus;

/* Every index of the ring, for tests and traces. */
typedef struct {
    uint32_t req_prod, req_event, rsp_prod, rsp_event; /* shared */
    uint32_t req_prod_pvt, rsp_cons;                   /* front end */
    uint32_t rsp_prod_pvt, req_cons;                   /* back end */
} RingIndices;

/* Slots in a ring of `pages` 4 KiB pages whose slots are `entry_bytes` wide,
 * as Xen's __RING_SIZE computes it: (pages * 4096 - 64) / entry_bytes,
 * rounded down to a power of two.  Returns 0 when `pages` is not a power of
 * two in 1..RING_MAX_PAGES or when not even one entry fits. */
unsigned ring_slots_for(unsigned pages, size_t entry_bytes);

/* An empty ring with every index at 0, as SHARED_RING_INIT + FRONT/BACK_RING_INIT
 * leave it (req_event = rsp_event = 1).  On bad `pages`/`entry_bytes` returns
 * NULL and sets DOM0SIM_ERROR_INPUT. */
Ring *ring_new(unsigned pages, size_t entry_bytes, GError **err);
/* The same with every index starting at `start` (FRONT/BACK_RING_ATTACH),
 * so tests can wrap the 32-bit counters quickly. */
Ring *ring_new_at(unsigned pages, size_t entry_bytes, uint32_t start, GError **err);
/* Frees the ring, not the payloads still in it. */
void ring_free(Ring *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Ring, ring_free)

/* Slots in the ring (a power of two). */
unsigned ring_size(const Ring *r);
void ring_indices(const Ring *r, RingIndices *out);

/* ---- Front end: pushes requests, takes responses. ---- */

/* Requests outstanding: pushed (privately or not) and not yet answered and
 * taken, req_prod_pvt - rsp_cons; never above ring_size. */
unsigned ring_occupancy(const Ring *r);
/* ring_size - ring_occupancy (RING_FREE_REQUESTS). */
unsigned ring_free_requests(const Ring *r);
/* No free slot (RING_FULL).  Slots are freed only when the front end takes
 * responses, not when the back end consumes requests. */
bool ring_full(const Ring *r);
/* Writes `payload` into the next slot behind the private producer; the back
 * end does not see it until published.  RING_FULL (counted as a stall, the
 * ring untouched) when no slot is free. */
RingStatus ring_push_request(Ring *r, void *payload);
/* Publishes the private producer to the shared req_prod and returns whether
 * the back end must be notified, exactly as RING_PUSH_REQUESTS_AND_CHECK_NOTIFY:
 * (new - req_event) < (new - old) in 32-bit unsigned arithmetic, i.e. whether
 * req_event lies in (old, new].  A push with something new counts as a sent
 * or a suppressed notification; publishing nothing counts as neither. */
bool ring_push_requests_and_check_notify(Ring *r);
/* Responses published and not yet taken (rsp_prod - rsp_cons). */
unsigned ring_unconsumed_responses(const Ring *r);
/* Takes the oldest published response into *payload (may be NULL) and frees
 * its slot.  RING_EMPTY (misuse) when none is published. */
RingStatus ring_take_response(Ring *r, void **payload);
/* RING_FINAL_CHECK_FOR_RESPONSES: true if responses are waiting; otherwise
 * sets rsp_event = rsp_cons + 1, so that the back end's next response is
 * notified, and checks once more. */
bool ring_final_check_for_responses(Ring *r);

/* ---- Back end: takes requests, pushes responses. ---- */

/* Requests the back end may take now (RING_HAS_UNCONSUMED_REQUESTS): those
 * published and not consumed, bounded by the free room for their responses,
 * min(req_prod - req_cons, size - (req_cons - rsp_prod_pvt)). */
unsigned ring_unconsumed_requests(const Ring *r);
/* Takes the oldest published request into *payload (may be NULL).
 * RING_EMPTY when ring_unconsumed_requests is 0; RING_PROTOCOL when the
 * shared req_prod is corrupt (see ring_front_write_req_prod).  Both count as
 * misuse and leave the ring untouched. */
RingStatus ring_take_request(Ring *r, void **payload);
/* Requests consumed and not yet answered (req_cons - rsp_prod_pvt). */
unsigned ring_unanswered(const Ring *r);
/* Writes the response `payload` into the slot of the oldest consumed,
 * unanswered request (behind the private producer).  RING_NO_REQUEST
 * (misuse) when there is none. */
RingStatus ring_push_response(Ring *r, void *payload);
/* Publishes responses and returns whether the front end must be notified,
 * as RING_PUSH_RESPONSES_AND_CHECK_NOTIFY (same rule and counting as for
 * requests, with rsp_event). */
bool ring_push_responses_and_check_notify(Ring *r);
/* RING_FINAL_CHECK_FOR_REQUESTS: true if requests are waiting; otherwise
 * sets req_event = req_cons + 1 and checks once more. */
bool ring_final_check_for_requests(Ring *r);

/* A buggy or hostile front end writing any value into the shared req_prod
 * (it is guest memory).  The back end then refuses requests the front end
 * never wrote, or more than the ring holds, with RING_PROTOCOL; the next
 * honest publish overwrites the value. */
void ring_front_write_req_prod(Ring *r, uint32_t value);

#ifdef DOM0SIM_CHECKS
/* Tests only (builds with invariant checks): overwrites every index without
 * any check, to break the ring's invariants on purpose.  The next operation
 * that moves an index checks them (sim/sim_invariant.h). */
void ring_debug_set_indices(Ring *r, const RingIndices *ix);
#endif

/* ---- Counters (since creation). ---- */

uint64_t ring_requests_pushed(const Ring *r);  /* accepted by ring_push_request */
uint64_t ring_responses_pushed(const Ring *r); /* accepted by ring_push_response */
/* Front -> back notifications decided by ring_push_requests_and_check_notify. */
uint64_t ring_req_notify_sent(const Ring *r);
uint64_t ring_req_notify_suppressed(const Ring *r);
/* Back -> front notifications decided by ring_push_responses_and_check_notify. */
uint64_t ring_rsp_notify_sent(const Ring *r);
uint64_t ring_rsp_notify_suppressed(const Ring *r);
/* Times ring_push_request found the ring full. */
uint64_t ring_stalls(const Ring *r);
/* Highest ring_occupancy seen (requests outstanding). */
unsigned ring_peak_occupancy(const Ring *r);
/* Calls refused as misuse (every status but RING_OK and RING_FULL). */
uint64_t ring_misuse(const Ring *r);

#endif
