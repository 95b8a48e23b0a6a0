#include "models/ring.h"

#include <string.h>

#include "sim/sim_error.h"
#include "sim/sim_invariant.h"

/* All index arithmetic is on uint32_t, Xen's RING_IDX: differences of
 * free-running counters are right modulo 2^32 even after a wrap, which is
 * the whole point of never resetting them. */
struct Ring {
    unsigned size; /* slots, a power of two */
    uint32_t mask; /* size - 1 */
    void **slot;   /* payloads; requests and responses share the slots */

    /* Shared page. */
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    /* Front end's private view. */
    uint32_t req_prod_pvt, rsp_cons;
    /* Back end's private view. */
    uint32_t rsp_prod_pvt, req_cons;

    uint64_t requests_pushed, responses_pushed;
    uint64_t req_notify_sent, req_notify_suppressed;
    uint64_t rsp_notify_sent, rsp_notify_suppressed;
    uint64_t stalls, misuse;
    unsigned peak_occupancy;
#ifdef DOM0SIM_CHECKS
    /* The indices the ring trusts, as of the last check (monotonicity). */
    uint32_t seen[5];
#endif
};

#ifdef DOM0SIM_CHECKS
/* The indices only the ring itself writes, oldest first.  The shared
 * req_prod and the event indices are left out: a front end may write any
 * value there (ring_front_write_req_prod), which the back end refuses as
 * misuse, so they are not invariants of the model. */
static void trusted_indices(const Ring *r, uint32_t out[5])
{
    out[0] = r->rsp_cons;
    out[1] = r->rsp_prod;
    out[2] = r->rsp_prod_pvt;
    out[3] = r->req_cons;
    out[4] = r->req_prod_pvt;
}
#endif

/* Ring slots conserved: each index trails the next in the chain rsp_cons
 * <= rsp_prod <= rsp_prod_pvt <= req_cons <= req_prod_pvt (modulo 2^32),
 * the whole chain spans at most `size` slots (requests produced minus
 * responses consumed), and no index moved backwards since the last check.
 * Checked after every operation that moves an index. */
static void ring_check(Ring *r, const char *op)
{
#ifdef DOM0SIM_CHECKS
    static const char *const names[5] = {"rsp_cons", "rsp_prod", "rsp_prod_pvt", "req_cons",
                                         "req_prod_pvt"};
    uint32_t ix[5];
    trusted_indices(r, ix);
    uint32_t span = ix[4] - ix[0];
    SIM_INVARIANT(span <= r->size, "ring slots conserved",
                  "ring %p after %s: %u requests outstanding (req_prod_pvt %u - rsp_cons %u) "
                  "in a ring of %u slots",
                  (void *)r, op, span, ix[4], ix[0], r->size);
    uint64_t sum = 0;
    for (int i = 0; i < 4; i++)
        sum += (uint32_t)(ix[i + 1] - ix[i]);
    for (int i = 0; i < 4 && sum != span; i++)
        SIM_INVARIANT((uint32_t)(ix[i + 1] - ix[i]) <= span, "ring indices ordered",
                      "ring %p after %s: %s %u is ahead of %s %u", (void *)r, op, names[i], ix[i],
                      names[i + 1], ix[i + 1]);
    for (int i = 0; i < 5; i++)
        SIM_INVARIANT((uint32_t)(ix[i] - r->seen[i]) <= r->size, "ring indices monotonic",
                      "ring %p after %s: %s went from %u to %u", (void *)r, op, names[i],
                      r->seen[i], ix[i]);
    memcpy(r->seen, ix, sizeof ix);
#else
    (void)r;
    (void)op;
#endif
}

static bool pages_ok(unsigned pages)
{
    return pages >= 1 && pages <= RING_MAX_PAGES && (pages & (pages - 1)) == 0;
}

/* The largest power of two <= x (x > 0), Xen's __RD32. */
static unsigned round_down_pow2(size_t x)
{
    size_t p = 1;
    while (p <= x / 2)
        p *= 2;
    return (unsigned)p;
}

unsigned ring_slots_for(unsigned pages, size_t entry_bytes)
{
    if (!pages_ok(pages) || entry_bytes == 0)
        return 0;
    size_t room = (size_t)pages * RING_PAGE_BYTES - RING_SHARED_HEADER_BYTES;
    size_t fit = room / entry_bytes;
    return fit == 0 ? 0 : round_down_pow2(fit);
}

Ring *ring_new_at(unsigned pages, size_t entry_bytes, uint32_t start, GError **err)
{
    if (!pages_ok(pages)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "ring pages = %u: must be a power of two from 1 to %u", pages, RING_MAX_PAGES);
        return NULL;
    }
    unsigned size = ring_slots_for(pages, entry_bytes);
    if (size == 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "ring entry = %zu bytes: must be 1..%u to fit %u page(s) after the %u-byte "
                    "header",
                    entry_bytes, pages * RING_PAGE_BYTES - RING_SHARED_HEADER_BYTES, pages,
                    RING_SHARED_HEADER_BYTES);
        return NULL;
    }
    Ring *r = g_new0(Ring, 1);
    r->size = size;
    r->mask = size - 1;
    r->slot = g_new0(void *, size);
    /* SHARED_RING_INIT arms both event indices for the very first message,
     * so a freshly connected peer is always kicked once. */
    r->req_prod = r->rsp_prod = start;
    r->req_event = r->rsp_event = start + 1;
    r->req_prod_pvt = r->rsp_cons = start;
    r->rsp_prod_pvt = r->req_cons = start;
#ifdef DOM0SIM_CHECKS
    trusted_indices(r, r->seen);
#endif
    return r;
}

Ring *ring_new(unsigned pages, size_t entry_bytes, GError **err)
{
    return ring_new_at(pages, entry_bytes, 0, err);
}

void ring_free(Ring *r)
{
    if (!r)
        return;
    g_free(r->slot);
    g_free(r);
}

unsigned ring_size(const Ring *r)
{
    return r->size;
}

void ring_indices(const Ring *r, RingIndices *out)
{
    *out = (RingIndices){
        .req_prod = r->req_prod,
        .req_event = r->req_event,
        .rsp_prod = r->rsp_prod,
        .rsp_event = r->rsp_event,
        .req_prod_pvt = r->req_prod_pvt,
        .rsp_cons = r->rsp_cons,
        .rsp_prod_pvt = r->rsp_prod_pvt,
        .req_cons = r->req_cons,
    };
}

/* Xen's notify rule: the consumer asked to be woken at index `event`; the
 * producer just moved the shared index from `old` to `new`.  Kick iff event
 * lies in (old, new], written so that it holds across a wrap. */
static bool must_notify(uint32_t old, uint32_t new_prod, uint32_t event)
{
    return (uint32_t)(new_prod - event) < (uint32_t)(new_prod - old);
}

/* ---- Front end ---- */

unsigned ring_occupancy(const Ring *r)
{
    return r->req_prod_pvt - r->rsp_cons;
}

unsigned ring_free_requests(const Ring *r)
{
    return r->size - ring_occupancy(r);
}

bool ring_full(const Ring *r)
{
    return ring_free_requests(r) == 0;
}

RingStatus ring_push_request(Ring *r, void *payload)
{
    /* The slot behind req_prod_pvt may still hold an unanswered request or
     * an untaken response when the ring is full: refusing here is what keeps
     * the front end from ever overwriting either. */
    if (ring_full(r)) {
        r->stalls++;
        return RING_FULL;
    }
    r->slot[r->req_prod_pvt & r->mask] = payload;
    r->req_prod_pvt++;
    r->requests_pushed++;
    unsigned occ = ring_occupancy(r);
    if (occ > r->peak_occupancy)
        r->peak_occupancy = occ;
    ring_check(r, "push_request");
    return RING_OK;
}

bool ring_push_requests_and_check_notify(Ring *r)
{
    uint32_t old = r->req_prod, new_prod = r->req_prod_pvt;
    r->req_prod = new_prod;
    if (new_prod == old)
        return false;
    bool notify = must_notify(old, new_prod, r->req_event);
    if (notify)
        r->req_notify_sent++;
    else
        r->req_notify_suppressed++;
    return notify;
}

unsigned ring_unconsumed_responses(const Ring *r)
{
    return r->rsp_prod - r->rsp_cons;
}

RingStatus ring_take_response(Ring *r, void **payload)
{
    if (ring_unconsumed_responses(r) == 0) {
        r->misuse++;
        return RING_EMPTY;
    }
    uint32_t i = r->rsp_cons & r->mask;
    if (payload)
        *payload = r->slot[i];
    /* Cleared so that a stale payload can never be handed out twice. */
    r->slot[i] = NULL;
    r->rsp_cons++;
    ring_check(r, "take_response");
    return RING_OK;
}

bool ring_final_check_for_responses(Ring *r)
{
    if (ring_unconsumed_responses(r) != 0)
        return true;
    r->rsp_event = r->rsp_cons + 1;
    /* In Xen a barrier separates the store from this re-check, which catches
     * a response published in between; in a sequential simulation the answer
     * cannot change, but the re-check keeps the two in the same order. */
    return ring_unconsumed_responses(r) != 0;
}

/* ---- Back end ---- */

unsigned ring_unconsumed_requests(const Ring *r)
{
    uint32_t req = r->req_prod - r->req_cons;
    uint32_t room = r->size - (r->req_cons - r->rsp_prod_pvt);
    return req < room ? req : room;
}

RingStatus ring_take_request(Ring *r, void **payload)
{
    uint32_t published = r->req_prod - r->req_cons;
    uint32_t written = r->req_prod_pvt - r->req_cons;
    /* Reading a slot the front end never filled would hand the simulator a
     * stale or NULL payload.  Real back ends validate req_prod the same way
     * (RING_REQUEST_PROD_OVERFLOW) and treat a violation as fatal for the
     * connection; here the call is refused and counted.  `written` never
     * exceeds the ring size, so this also catches an overflowing req_prod. */
    if (published > written) {
        r->misuse++;
        return RING_PROTOCOL;
    }
    if (ring_unconsumed_requests(r) == 0) {
        r->misuse++;
        return RING_EMPTY;
    }
    if (payload)
        *payload = r->slot[r->req_cons & r->mask];
    r->req_cons++;
    ring_check(r, "take_request");
    return RING_OK;
}

unsigned ring_unanswered(const Ring *r)
{
    return r->req_cons - r->rsp_prod_pvt;
}

RingStatus ring_push_response(Ring *r, void *payload)
{
    if (ring_unanswered(r) == 0) {
        r->misuse++;
        return RING_NO_REQUEST;
    }
    /* Responses are produced in request order, so rsp_prod_pvt names the
     * slot of the oldest consumed, unanswered request. */
    r->slot[r->rsp_prod_pvt & r->mask] = payload;
    r->rsp_prod_pvt++;
    r->responses_pushed++;
    ring_check(r, "push_response");
    return RING_OK;
}

bool ring_push_responses_and_check_notify(Ring *r)
{
    uint32_t old = r->rsp_prod, new_prod = r->rsp_prod_pvt;
    r->rsp_prod = new_prod;
    ring_check(r, "push_responses");
    if (new_prod == old)
        return false;
    bool notify = must_notify(old, new_prod, r->rsp_event);
    if (notify)
        r->rsp_notify_sent++;
    else
        r->rsp_notify_suppressed++;
    return notify;
}

bool ring_final_check_for_requests(Ring *r)
{
    if (ring_unconsumed_requests(r) != 0)
        return true;
    r->req_event = r->req_cons + 1;
    /* Same ordering as ring_final_check_for_responses. */
    return ring_unconsumed_requests(r) != 0;
}

void ring_front_write_req_prod(Ring *r, uint32_t value)
{
    r->req_prod = value;
}

#ifdef DOM0SIM_CHECKS
void ring_debug_set_indices(Ring *r, const RingIndices *ix)
{
    r->req_prod = ix->req_prod;
    r->req_event = ix->req_event;
    r->rsp_prod = ix->rsp_prod;
    r->rsp_event = ix->rsp_event;
    r->req_prod_pvt = ix->req_prod_pvt;
    r->rsp_cons = ix->rsp_cons;
    r->rsp_prod_pvt = ix->rsp_prod_pvt;
    r->req_cons = ix->req_cons;
}
#endif

/* ---- Counters ---- */

uint64_t ring_requests_pushed(const Ring *r)
{
    return r->requests_pushed;
}

uint64_t ring_responses_pushed(const Ring *r)
{
    return r->responses_pushed;
}

uint64_t ring_req_notify_sent(const Ring *r)
{
    return r->req_notify_sent;
}

uint64_t ring_req_notify_suppressed(const Ring *r)
{
    return r->req_notify_suppressed;
}

uint64_t ring_rsp_notify_sent(const Ring *r)
{
    return r->rsp_notify_sent;
}

uint64_t ring_rsp_notify_suppressed(const Ring *r)
{
    return r->rsp_notify_suppressed;
}

uint64_t ring_stalls(const Ring *r)
{
    return r->stalls;
}

unsigned ring_peak_occupancy(const Ring *r)
{
    return r->peak_occupancy;
}

uint64_t ring_misuse(const Ring *r)
{
    return r->misuse;
}
