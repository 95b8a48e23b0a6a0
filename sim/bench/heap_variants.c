/* Alternative pending-event sets for the hold benchmark; see
 * heap_variants.h.  They are written the plain, textbook way on purpose:
 * the point is to show what the production design gains over them. */
#include "sim/bench/heap_variants.h"

#include <glib.h>
#include <stdint.h>
#include <string.h>

/* ---- production queue adapter ---- */

static void *prod_create(size_t expected_len)
{
    (void)expected_len;
    return sim_queue_new();
}

static void prod_destroy(void *q)
{
    sim_queue_free(q);
}

static void prod_push(void *q, SimTime t, SimEventFn fn, void *data)
{
    sim_queue_push(q, t, fn, data);
}

static bool prod_pop(void *q, SimTime *t, SimEventFn *fn, void **data)
{
    return sim_queue_pop(q, t, fn, data);
}

const BenchQueueOps bench_queue_production = {
    "radix (sim_queue)", prod_create, prod_destroy, prod_push, prod_pop,
};

/* ---- d-ary heaps on (time, seq) ---- */

typedef struct {
    SimTime t;
    uint64_t seq;
    SimEventFn fn;
    void *data;
} HeapEntry;

typedef struct {
    HeapEntry *a;
    size_t len;
    size_t cap;
    uint64_t seq;
} DHeap;

static inline bool entry_less(const HeapEntry *x, const HeapEntry *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static void *dheap_create(size_t expected_len)
{
    DHeap *h = g_new0(DHeap, 1);
    h->cap = expected_len > 16 ? expected_len : 16;
    h->a = g_new(HeapEntry, h->cap);
    return h;
}

static void dheap_destroy(void *q)
{
    DHeap *h = q;
    g_free(h->a);
    g_free(h);
}

/* Sift-up with a hole: move parents down, write the new entry once.  The
 * arity is a compile-time constant so the division becomes a shift. */
static inline void dheap_push(DHeap *h, unsigned d, SimTime t, SimEventFn fn, void *data)
{
    if (h->len == h->cap) {
        h->cap *= 2;
        h->a = g_renew(HeapEntry, h->a, h->cap);
    }
    HeapEntry e = {t, h->seq++, fn, data};
    size_t i = h->len++;
    while (i > 0) {
        size_t p = (i - 1) / d;
        if (!entry_less(&e, &h->a[p]))
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
}

static inline bool dheap_pop(DHeap *h, unsigned d, SimTime *t, SimEventFn *fn, void **data)
{
    if (h->len == 0)
        return false;
    *t = h->a[0].t;
    *fn = h->a[0].fn;
    *data = h->a[0].data;
    HeapEntry last = h->a[--h->len];
    size_t n = h->len;
    size_t i = 0;
    for (;;) {
        size_t c = d * i + 1;
        if (c >= n)
            break;
        size_t best = c;
        if (c + d <= n) {
            /* All d children exist: a fixed-count loop the compiler unrolls. */
            for (unsigned k = 1; k < d; k++)
                if (entry_less(&h->a[c + k], &h->a[best]))
                    best = c + k;
        } else {
            for (size_t k = c + 1; k < n; k++)
                if (entry_less(&h->a[k], &h->a[best]))
                    best = k;
        }
        if (!entry_less(&h->a[best], &last))
            break;
        h->a[i] = h->a[best];
        i = best;
    }
    if (n > 0)
        h->a[i] = last;
    return true;
}

static void bin_push(void *q, SimTime t, SimEventFn fn, void *data)
{
    dheap_push(q, 2, t, fn, data);
}

static bool bin_pop(void *q, SimTime *t, SimEventFn *fn, void **data)
{
    return dheap_pop(q, 2, t, fn, data);
}

static void quad_push(void *q, SimTime t, SimEventFn fn, void *data)
{
    dheap_push(q, 4, t, fn, data);
}

static bool quad_pop(void *q, SimTime *t, SimEventFn *fn, void **data)
{
    return dheap_pop(q, 4, t, fn, data);
}

const BenchQueueOps bench_queue_binary_heap = {
    "binary heap", dheap_create, dheap_destroy, bin_push, bin_pop,
};

const BenchQueueOps bench_queue_quad_heap = {
    "4-ary heap", dheap_create, dheap_destroy, quad_push, quad_pop,
};

/* ---- pairing heap on (time, seq) ---- */

typedef struct PNode {
    SimTime t;
    uint64_t seq;
    SimEventFn fn;
    void *data;
    struct PNode *child;
    struct PNode *next; /* next sibling, or next free node */
} PNode;

typedef struct {
    PNode *root;
    PNode *free;
    GPtrArray *chunks; /* node storage, freed with the heap */
    uint64_t seq;
} PairingHeap;

#define PNODE_CHUNK 4096

static void *pairing_create(size_t expected_len)
{
    (void)expected_len;
    PairingHeap *h = g_new0(PairingHeap, 1);
    h->chunks = g_ptr_array_new_with_free_func(g_free);
    return h;
}

static void pairing_destroy(void *q)
{
    PairingHeap *h = q;
    g_ptr_array_free(h->chunks, TRUE);
    g_free(h);
}

static inline bool pnode_less(const PNode *x, const PNode *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

/* Links two roots; the larger becomes the first child of the smaller. */
static inline PNode *pnode_meld(PNode *a, PNode *b)
{
    if (pnode_less(b, a)) {
        PNode *tmp = a;
        a = b;
        b = tmp;
    }
    b->next = a->child;
    a->child = b;
    return a;
}

static void pairing_push(void *q, SimTime t, SimEventFn fn, void *data)
{
    PairingHeap *h = q;
    if (h->free == NULL) {
        PNode *chunk = g_new(PNode, PNODE_CHUNK);
        g_ptr_array_add(h->chunks, chunk);
        for (size_t i = 0; i < PNODE_CHUNK; i++) {
            chunk[i].next = h->free;
            h->free = &chunk[i];
        }
    }
    PNode *n = h->free;
    h->free = n->next;
    *n = (PNode){t, h->seq++, fn, data, NULL, NULL};
    h->root = h->root ? pnode_meld(h->root, n) : n;
}

static bool pairing_pop(void *q, SimTime *t, SimEventFn *fn, void **data)
{
    PairingHeap *h = q;
    PNode *root = h->root;
    if (root == NULL)
        return false;
    *t = root->t;
    *fn = root->fn;
    *data = root->data;
    /* Two-pass pairing: meld children in pairs left to right, stacking the
     * results, then meld the stack right to left. */
    PNode *stack = NULL;
    PNode *c = root->child;
    while (c != NULL) {
        PNode *a = c;
        PNode *b = c->next;
        if (b == NULL) {
            a->next = stack;
            stack = a;
            break;
        }
        c = b->next;
        PNode *m = pnode_meld(a, b);
        m->next = stack;
        stack = m;
    }
    PNode *r = NULL;
    while (stack != NULL) {
        PNode *nx = stack->next;
        r = r ? pnode_meld(stack, r) : stack;
        stack = nx;
    }
    if (r != NULL)
        r->next = NULL;
    h->root = r;
    root->next = h->free;
    h->free = root;
    return true;
}

const BenchQueueOps bench_queue_pairing_heap = {
    "pairing heap", pairing_create, pairing_destroy, pairing_push, pairing_pop,
};

/* ---- radix heap with payload in a side array ---- */

typedef struct {
    uint64_t t;
    uint64_t slot;
} RItem;

typedef struct {
    RItem *items;
    size_t head;
    size_t len;
    size_t cap;
    uint64_t min;
} RBucket;

typedef struct {
    SimEventFn fn;
    void *data;
    uint32_t gen; /* bumped on delivery, as production does for its ids */
} RPayload;

typedef struct {
    RBucket bucket[64];
    uint64_t nonempty;
    uint64_t base;
    RPayload *payload;
    uint32_t *free_slot;
    size_t nslots;
    size_t nfree;
} RadixIndirect;

static void *ri_create(size_t expected_len)
{
    (void)expected_len;
    RadixIndirect *h = g_new0(RadixIndirect, 1);
    for (int j = 0; j < 64; j++)
        h->bucket[j].min = UINT64_MAX;
    return h;
}

static void ri_destroy(void *q)
{
    RadixIndirect *h = q;
    for (int j = 0; j < 64; j++)
        g_free(h->bucket[j].items);
    g_free(h->payload);
    g_free(h->free_slot);
    g_free(h);
}

/* The same tuning as production: a branch for the minimum on push, a
 * conditional move when redistributing, a branch-free bucket index. */
static inline void rbucket_grow(RBucket *b)
{
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 64;
        b->items = g_renew(RItem, b->items, b->cap);
    }
}

static inline void rbucket_append(RBucket *b, RItem it)
{
    rbucket_grow(b);
    b->items[b->len++] = it;
    if (it.t < b->min)
        b->min = it.t;
}

static inline void rbucket_append_moved(RBucket *b, RItem it)
{
    rbucket_grow(b);
    b->items[b->len++] = it;
    b->min = it.t < b->min ? it.t : b->min;
}

static inline unsigned ri_bucket_of(uint64_t t, uint64_t base)
{
    return 63u - (unsigned)__builtin_clzll(((t ^ base) << 1) | 1u);
}

static void ri_push(void *q, SimTime t, SimEventFn fn, void *data)
{
    RadixIndirect *h = q;
    if (h->nfree == 0) {
        size_t old = h->nslots;
        size_t cap = old ? old * 2 : 64;
        h->payload = g_renew(RPayload, h->payload, cap);
        h->free_slot = g_renew(uint32_t, h->free_slot, cap);
        memset(h->payload + old, 0, (cap - old) * sizeof(RPayload));
        for (size_t s = cap; s > old; s--)
            h->free_slot[h->nfree++] = (uint32_t)(s - 1);
        h->nslots = cap;
    }
    uint32_t s = h->free_slot[--h->nfree];
    h->payload[s].fn = fn;
    h->payload[s].data = data;
    h->payload[s].gen++;
    unsigned j = ri_bucket_of((uint64_t)t, h->base);
    rbucket_append(&h->bucket[j], (RItem){(uint64_t)t, s});
    h->nonempty |= (uint64_t)1 << j;
}

static bool ri_pop(void *q, SimTime *t, SimEventFn *fn, void **data)
{
    RadixIndirect *h = q;
    RBucket *b0 = &h->bucket[0];
    if (b0->head == b0->len) {
        b0->head = b0->len = 0;
        uint64_t rest = h->nonempty & ~(uint64_t)1;
        if (rest == 0)
            return false;
        unsigned i = (unsigned)__builtin_ctzll(rest);
        RBucket *b = &h->bucket[i];
        uint64_t m = b->min;
        h->base = m;
        uint64_t filled = 0;
        for (size_t k = 0; k < b->len; k++) {
            unsigned j = ri_bucket_of(b->items[k].t, m);
            rbucket_append_moved(&h->bucket[j], b->items[k]);
            filled |= (uint64_t)1 << j;
        }
        b->len = 0;
        b->min = UINT64_MAX;
        h->nonempty = (h->nonempty & ~((uint64_t)1 << i)) | filled;
    }
    RItem it = b0->items[b0->head++];
    RPayload *p = &h->payload[it.slot];
    *t = (SimTime)it.t;
    *fn = p->fn;
    *data = p->data;
    p->gen++;
    h->free_slot[h->nfree++] = (uint32_t)it.slot;
    return true;
}

const BenchQueueOps bench_queue_radix_indirect = {
    "radix, 16B items + side array", ri_create, ri_destroy, ri_push, ri_pop,
};
