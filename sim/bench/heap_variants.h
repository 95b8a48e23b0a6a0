/* Alternative pending-event sets, kept only to benchmark the production
 * queue (sim/sim_queue.c) against them.
 *
 * Each variant orders events exactly as the production queue does: by time
 * in nanoseconds, then by insertion order.  None supports cancellation; the
 * hold benchmark does not cancel.  All variants share one interface so the
 * benchmark can drive them through a table. */
#ifndef DOM0SIM_BENCH_HEAP_VARIANTS_H
#define DOM0SIM_BENCH_HEAP_VARIANTS_H

#include <stdbool.h>
#include <stddef.h>

#include "sim/sim_queue.h"

typedef struct {
    const char *name;
    /* Creates an empty queue; expected_len is only a sizing hint. */
    void *(*create)(size_t expected_len);
    void (*destroy)(void *q);
    /* t in nanoseconds, never below the time of the last pop. */
    void (*push)(void *q, SimTime t, SimEventFn fn, void *data);
    /* Removes the earliest event; false when empty. */
    bool (*pop)(void *q, SimTime *t, SimEventFn *fn, void **data);
} BenchQueueOps;

/* The production queue (sim_queue_*) behind the common interface. */
extern const BenchQueueOps bench_queue_production;
/* Binary heap of 32-byte (time, seq, fn, data) entries. */
extern const BenchQueueOps bench_queue_binary_heap;
/* 4-ary heap of the same entries: shallower, children share a cache line. */
extern const BenchQueueOps bench_queue_quad_heap;
/* Pairing heap (two-pass), nodes from a free-list pool. */
extern const BenchQueueOps bench_queue_pairing_heap;
/* Radix heap like production, but 16-byte (time, slot) bucket items with fn
 * and data in a side array: measures what storing them inline buys. */
extern const BenchQueueOps bench_queue_radix_indirect;

#endif
