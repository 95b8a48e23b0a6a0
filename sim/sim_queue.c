/* The pending-event set as a radix heap with FIFO buckets.
 *
 * Why a radix heap: simulated time never goes backwards, so the keys are
 * monotone integers, and a radix heap does O(1) work per push and amortised
 * O(log C) work per pop (C = the spread of pending times) with only
 * sequential memory traffic.  A comparison heap keyed by (time, seq) costs a
 * chain of unpredictable branches and cache misses per pop instead; see
 * docs/PERFORMANCE.md for the measurements that chose this design.
 *
 * Layout.  Bucket 0 holds the events whose time equals `base`; bucket j >= 1
 * holds the events whose time first differs from `base` in bit j-1 (counting
 * from 0).  Every pending time is >= base.  When bucket 0 runs dry, the
 * lowest non-empty bucket is emptied: `base` becomes its smallest time and
 * each of its events moves to a strictly lower bucket.
 *
 * FIFO ties.  Equal times always share a bucket.  Pushes append, and a
 * redistribution walks its bucket in order into buckets that are empty at
 * that moment, so events of equal time stay in insertion order inside every
 * bucket.  Bucket 0 is consumed from its head, never as a stack.
 *
 * Cancellation.  Each pending event owns a slot; the slot's 32-bit
 * generation counter is odd while the event is live.  An id is (generation,
 * slot + 1), so it is never 0 and becomes stale as soon as the generation
 * moves on.  Cancelling bumps the generation (making it even) and leaves the
 * event in its bucket as a tombstone; the slot is recycled only when the
 * tombstone reaches the front (or is swept during a redistribution).  After
 * 2^31 reuses of the same slot an ancient id could alias a new one; that is
 * far beyond any run this simulator does.
 *
 * Early events.  sim_queue_peek_time may redistribute and so raise `base`
 * above the last popped time; a later push between the two would then fall
 * below `base`, where the radix heap cannot hold it.  Such events go to a
 * small binary heap keyed by (time, seq) instead.  Everything in it is
 * earlier than everything in the buckets, so pops drain it first.  It is
 * empty in the common peek-then-pop loop. */
#include "sim/sim_queue.h"

#include <glib.h>
#include <string.h>

/* One event inside a bucket.  fn and data are stored inline so a pop reads
 * one contiguous 32-byte record and never chases a pointer. */
typedef struct {
    uint64_t t;
    SimEventFn fn;
    void *data;
    uint32_t slot;
} Item;

typedef struct {
    Item *items;
    size_t head; /* only bucket 0 is consumed from the front; 0 elsewhere */
    size_t len;
    size_t cap;
    uint64_t min; /* smallest time appended since last emptied; unused for bucket 0 */
} Bucket;

/* An event below `base`, ordered explicitly by (time, seq). */
typedef struct {
    Item item;
    uint64_t seq;
} EarlyItem;

/* Times are >= 0 and < 2^63, so a time differs from `base` in at most bit
 * 62 and lands in bucket 63 at the highest. */
#define NBUCKETS 64

struct SimQueue {
    Bucket bucket[NBUCKETS];
    uint64_t nonempty; /* bit j set when bucket j >= 1 may be non-empty */
    uint64_t base;     /* the time of every event in bucket 0 */
    SimTime last_time; /* time of the last event popped */

    uint32_t *gen;       /* per-slot generation, odd while the event is live */
    uint32_t *free_slot; /* stack of recyclable slots */
    uint32_t nslots;
    uint32_t nfree;

    size_t live; /* pending events not cancelled */
    size_t dead; /* cancelled events still sitting in a bucket */

    EarlyItem *early; /* binary min-heap on (time, seq) */
    size_t early_len;
    size_t early_cap;
    uint64_t early_seq;
};

SimQueue *sim_queue_new(void)
{
    SimQueue *q = g_new0(SimQueue, 1);
    for (int j = 0; j < NBUCKETS; j++)
        q->bucket[j].min = UINT64_MAX;
    return q;
}

void sim_queue_free(SimQueue *q)
{
    if (q == NULL)
        return;
    for (int j = 0; j < NBUCKETS; j++)
        g_free(q->bucket[j].items);
    g_free(q->gen);
    g_free(q->free_slot);
    g_free(q->early);
    g_free(q);
}

static inline unsigned bucket_of(uint64_t t, uint64_t base)
{
    /* The bit length of t ^ base, without a branch for t == base (where clz
     * is undefined): times are below 2^63, so the shift cannot lose a bit,
     * and the extra low bit makes the argument non-zero. */
    return 63u - (unsigned)__builtin_clzll(((t ^ base) << 1) | 1u);
}

/* Makes room for one more item.  Bucket 0 is consumed from the front, so
 * before growing it the consumed prefix is reclaimed when it is at least
 * half the array; this keeps a long burst of same-time events bounded. */
static void bucket_make_room(Bucket *b)
{
    if (b->head > 0 && b->head >= b->len / 2) {
        memmove(b->items, b->items + b->head, (b->len - b->head) * sizeof(Item));
        b->len -= b->head;
        b->head = 0;
        if (b->len < b->cap)
            return;
    }
    b->cap = b->cap ? b->cap * 2 : 64;
    b->items = g_renew(Item, b->items, b->cap);
}

/* Appends a pushed item.  A new event is rarely the earliest of its bucket,
 * so the minimum is kept with a well-predicted branch. */
static inline void bucket_append(Bucket *b, const Item *it)
{
    if (G_UNLIKELY(b->len == b->cap))
        bucket_make_room(b);
    b->items[b->len++] = *it;
    if (G_UNLIKELY(it->t < b->min))
        b->min = it->t;
}

/* Appends an item moved down by a redistribution.  The target buckets start
 * empty and, in small queues, hold a handful of items, so whether the item
 * is a new minimum is a coin flip; a conditional move beats a branch there
 * (measured: about 8 ns per hold at 10^3 pending). */
static inline void bucket_append_moved(Bucket *b, const Item *it)
{
    if (G_UNLIKELY(b->len == b->cap))
        bucket_make_room(b);
    b->items[b->len++] = *it;
    b->min = it->t < b->min ? it->t : b->min;
}

static uint32_t slot_alloc(SimQueue *q)
{
    if (G_LIKELY(q->nfree > 0))
        return q->free_slot[--q->nfree];
    /* Grow both arrays together so free_slot can always take every slot
     * back without reallocating on the pop path.  Slot + 1 must fit in the
     * low 32 bits of an id. */
    uint32_t old = q->nslots;
    g_assert(old < UINT32_MAX - 1);
    uint32_t cap = old ? old * 2 : 64;
    if (cap < old || cap > UINT32_MAX - 1)
        cap = UINT32_MAX - 1;
    q->gen = g_renew(uint32_t, q->gen, cap);
    q->free_slot = g_renew(uint32_t, q->free_slot, cap);
    memset(q->gen + old, 0, (size_t)(cap - old) * sizeof(uint32_t));
    /* Stack the new slots so the lowest ones come out first. */
    for (uint32_t s = cap - 1; s > old; s--)
        q->free_slot[q->nfree++] = s;
    q->nslots = cap;
    return old;
}

static inline void slot_release(SimQueue *q, uint32_t s)
{
    q->free_slot[q->nfree++] = s;
}

/* Recycles the slot of a tombstone that has left its bucket. */
static inline void tombstone_reclaim(SimQueue *q, const Item *it)
{
    slot_release(q, it->slot);
    q->dead--;
}

static inline bool item_is_live(const SimQueue *q, const Item *it)
{
    return (q->gen[it->slot] & 1u) != 0;
}

/* ---- early heap: events below base, ordered by (time, seq) ---- */

static inline bool early_less(const EarlyItem *a, const EarlyItem *b)
{
    return a->item.t < b->item.t || (a->item.t == b->item.t && a->seq < b->seq);
}

static void early_push(SimQueue *q, const Item *it)
{
    if (q->early_len == q->early_cap) {
        q->early_cap = q->early_cap ? q->early_cap * 2 : 16;
        q->early = g_renew(EarlyItem, q->early, q->early_cap);
    }
    EarlyItem e = {.item = *it, .seq = q->early_seq++};
    size_t i = q->early_len++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!early_less(&e, &q->early[p]))
            break;
        q->early[i] = q->early[p];
        i = p;
    }
    q->early[i] = e;
}

static void early_remove_top(SimQueue *q)
{
    EarlyItem last = q->early[--q->early_len];
    size_t n = q->early_len;
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && early_less(&q->early[c + 1], &q->early[c]))
            c++;
        if (!early_less(&q->early[c], &last))
            break;
        q->early[i] = q->early[c];
        i = c;
    }
    if (n > 0)
        q->early[i] = last;
}

/* Drops tombstones from the top of the early heap.  Returns true if a live
 * event is left on top. */
static bool early_settle(SimQueue *q)
{
    while (q->early_len > 0) {
        if (item_is_live(q, &q->early[0].item))
            return true;
        tombstone_reclaim(q, &q->early[0].item);
        early_remove_top(q);
    }
    return false;
}

/* ---- radix buckets ---- */

/* Removes tombstones from items[0..n) in place, keeping order; returns the
 * number left and their smallest time in *min. */
static size_t sweep_dead(SimQueue *q, Item *items, size_t n, uint64_t *min)
{
    size_t k = 0;
    uint64_t m = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        if (item_is_live(q, &items[i])) {
            m = items[i].t < m ? items[i].t : m;
            items[k++] = items[i];
        } else {
            tombstone_reclaim(q, &items[i]);
        }
    }
    *min = m;
    return k;
}

/* Refills the empty bucket 0 from the lowest non-empty bucket, raising base
 * to that bucket's earliest time.  Returns false when the buckets hold no
 * live event. */
static bool refill(SimQueue *q)
{
    while ((q->nonempty & ~(uint64_t)1) != 0) {
        unsigned i = (unsigned)__builtin_ctzll(q->nonempty & ~(uint64_t)1);
        Bucket *b = &q->bucket[i];
        Item *items = b->items;
        size_t n = b->len;
        uint64_t m = b->min;
        b->len = 0;
        b->min = UINT64_MAX;
        q->nonempty &= ~((uint64_t)1 << i);
        /* Tombstones would otherwise be carried down bucket by bucket and
         * could make base jump to the time of a cancelled event; dropping
         * them here costs a generation lookup per item, so it is only done
         * while some exist. */
        if (q->dead > 0)
            n = sweep_dead(q, items, n, &m);
        if (n == 0)
            continue;
        q->base = m;
        /* Every item moves to a bucket below i, all of which are empty now,
         * so walking in order keeps equal times in insertion order. */
        uint64_t filled = 0;
        for (size_t k = 0; k < n; k++) {
            unsigned j = bucket_of(items[k].t, m);
            bucket_append_moved(&q->bucket[j], &items[k]);
            filled |= (uint64_t)1 << j;
        }
        q->nonempty |= filled;
        return true;
    }
    return false;
}

/* Drops tombstones from the front of bucket 0, refilling it as needed.
 * Returns true if bucket 0 then starts with a live event. */
static bool bucket0_settle(SimQueue *q)
{
    Bucket *b0 = &q->bucket[0];
    for (;;) {
        while (b0->head < b0->len) {
            if (item_is_live(q, &b0->items[b0->head]))
                return true;
            tombstone_reclaim(q, &b0->items[b0->head]);
            b0->head++;
        }
        b0->head = b0->len = 0;
        if (!refill(q))
            return false;
    }
}

/* ---- public interface ---- */

SimEventId sim_queue_push(SimQueue *q, SimTime t, SimEventFn fn, void *data)
{
    if (t < q->last_time)
        return SIM_EVENT_NONE;
    uint32_t s = slot_alloc(q);
    uint32_t g = q->gen[s] + 1; /* even (free) to odd (live) */
    q->gen[s] = g;
    q->live++;
    Item it = {.t = (uint64_t)t, .fn = fn, .data = data, .slot = s};
    if (G_UNLIKELY(it.t < q->base)) {
        early_push(q, &it);
    } else {
        unsigned j = bucket_of(it.t, q->base);
        bucket_append(&q->bucket[j], &it);
        q->nonempty |= (uint64_t)1 << j;
    }
    return ((SimEventId)g << 32) | ((SimEventId)s + 1);
}

bool sim_queue_cancel(SimQueue *q, SimEventId id)
{
    uint32_t g = (uint32_t)(id >> 32);
    uint32_t s = (uint32_t)id - 1; /* slot 0 wraps to UINT32_MAX: rejected below */
    if (s >= q->nslots || !(g & 1u) || q->gen[s] != g)
        return false;
    q->gen[s] = g + 1;
    q->live--;
    q->dead++;
    return true;
}

SimTime sim_queue_peek_time(SimQueue *q)
{
    if (G_UNLIKELY(q->early_len > 0) && early_settle(q))
        return (SimTime)q->early[0].item.t;
    if (bucket0_settle(q))
        return (SimTime)q->base;
    return SIM_TIME_MAX;
}

bool sim_queue_pop(SimQueue *q, SimTime *t, SimEventFn *fn, void **data)
{
    Item it;
    if (G_UNLIKELY(q->early_len > 0) && early_settle(q)) {
        it = q->early[0].item;
        early_remove_top(q);
    } else {
        Bucket *b0 = &q->bucket[0];
        /* The fast path: bucket 0 starts with a live event. */
        if (G_UNLIKELY(b0->head == b0->len) || !item_is_live(q, &b0->items[b0->head])) {
            if (!bucket0_settle(q))
                return false;
        }
        it = b0->items[b0->head++];
        if (b0->head == b0->len)
            b0->head = b0->len = 0;
    }
    /* The event is known to be live: retire its id and recycle its slot. */
    q->gen[it.slot]++;
    slot_release(q, it.slot);
    q->live--;
    q->last_time = (SimTime)it.t;
    if (t)
        *t = q->last_time;
    if (fn)
        *fn = it.fn;
    if (data)
        *data = it.data;
    return true;
}

size_t sim_queue_len(const SimQueue *q)
{
    return q->live;
}

SimTime sim_queue_last_time(const SimQueue *q)
{
    return q->last_time;
}
