/* Unit tests for the pending-event set (sim/sim_queue.h). */
#include "tests/check_main.h"
#include <check.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/sim_queue.h"

/* Two distinct callbacks so a test can tell which one came back. */
static void fn_a(struct Sim *sim, void *data)
{
    (void)sim;
    (void)data;
}

static void fn_b(struct Sim *sim, void *data)
{
    (void)sim;
    (void)data;
}

static void *tag(uintptr_t v)
{
    return (void *)v;
}

/* Pops one event and checks its time and tag. */
static void expect_pop(SimQueue *q, SimTime want_t, uintptr_t want_tag)
{
    SimTime t = -1;
    SimEventFn fn = NULL;
    void *data = NULL;
    ck_assert_msg(sim_queue_pop(q, &t, &fn, &data), "expected an event at %lld tag %lu",
                  (long long)want_t, (unsigned long)want_tag);
    ck_assert_int_eq(t, want_t);
    ck_assert_uint_eq((uintptr_t)data, want_tag);
    ck_assert_int_eq(sim_queue_last_time(q), want_t);
}

static void expect_empty(SimQueue *q)
{
    SimTime t = -1;
    ck_assert_uint_eq(sim_queue_len(q), 0);
    ck_assert_int_eq(sim_queue_peek_time(q), SIM_TIME_MAX);
    ck_assert_int_eq(sim_queue_pop(q, &t, NULL, NULL), false);
}

START_TEST(test_empty)
{
    SimQueue *q = sim_queue_new();
    ck_assert_int_eq(sim_queue_last_time(q), 0);
    expect_empty(q);
    /* Popping an empty queue changes nothing. */
    ck_assert_int_eq(sim_queue_last_time(q), 0);
    sim_queue_free(q);
    sim_queue_free(NULL);
}
END_TEST

START_TEST(test_order_by_time)
{
    SimQueue *q = sim_queue_new();
    const SimTime times[] = {50, 10, 40, 0, 30, 20, 1000000, 7, 7000, 3};
    const size_t n = sizeof times / sizeof times[0];
    for (size_t i = 0; i < n; i++)
        ck_assert_uint_ne(sim_queue_push(q, times[i], fn_a, tag((uintptr_t)times[i])),
                          SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_queue_len(q), n);
    const SimTime sorted[] = {0, 3, 7, 10, 20, 30, 40, 50, 7000, 1000000};
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(sim_queue_peek_time(q), sorted[i]);
        expect_pop(q, sorted[i], (uintptr_t)sorted[i]);
        ck_assert_uint_eq(sim_queue_len(q), n - i - 1);
    }
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_fn_returned)
{
    SimQueue *q = sim_queue_new();
    sim_queue_push(q, 2, fn_b, tag(2));
    sim_queue_push(q, 1, fn_a, tag(1));
    SimEventFn fn = NULL;
    void *data = NULL;
    SimTime t = 0;
    ck_assert_int_eq(sim_queue_pop(q, &t, &fn, &data), true);
    ck_assert_ptr_eq((void *)fn, (void *)fn_a);
    ck_assert_int_eq(sim_queue_pop(q, &t, &fn, &data), true);
    ck_assert_ptr_eq((void *)fn, (void *)fn_b);
    /* Every out-parameter is optional. */
    sim_queue_push(q, 3, fn_a, tag(3));
    ck_assert_int_eq(sim_queue_pop(q, NULL, NULL, NULL), true);
    ck_assert_int_eq(sim_queue_last_time(q), 3);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_fifo_ties)
{
    SimQueue *q = sim_queue_new();
    /* Interleave two instants so ties are split across redistributions. */
    for (uintptr_t i = 0; i < 3000; i++)
        sim_queue_push(q, (i % 2) ? 1000 : 999, fn_a, tag(i));
    for (uintptr_t i = 0; i < 3000; i += 2)
        expect_pop(q, 999, i);
    for (uintptr_t i = 1; i < 3000; i += 2)
        expect_pop(q, 1000, i);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_fifo_push_at_current_time)
{
    SimQueue *q = sim_queue_new();
    for (uintptr_t i = 0; i < 3; i++)
        sim_queue_push(q, 10, fn_a, tag(i));
    sim_queue_push(q, 11, fn_a, tag(100));
    /* A pop loop where every event schedules one more at the same instant:
     * the new ones must run after everything already pending at 10. */
    uintptr_t next_tag = 3;
    for (uintptr_t want = 0; want < 20; want++) {
        expect_pop(q, 10, want);
        if (next_tag < 20)
            ck_assert_uint_ne(sim_queue_push(q, 10, fn_a, tag(next_tag++)), SIM_EVENT_NONE);
    }
    expect_pop(q, 11, 100);
    /* Bucket 0 is empty now; pushing at the current time must still work. */
    sim_queue_push(q, 11, fn_a, tag(101));
    sim_queue_push(q, 11, fn_a, tag(102));
    expect_pop(q, 11, 101);
    expect_pop(q, 11, 102);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_long_burst_at_one_time)
{
    /* Many more same-time pushes than ever pending at once: exercises the
     * reuse of bucket 0's consumed prefix while staying FIFO. */
    SimQueue *q = sim_queue_new();
    for (uintptr_t i = 0; i < 100; i++)
        sim_queue_push(q, 5, fn_a, tag(i));
    for (uintptr_t i = 0; i < 200000; i++) {
        expect_pop(q, 5, i);
        sim_queue_push(q, 5, fn_a, tag(i + 100));
    }
    ck_assert_uint_eq(sim_queue_len(q), 100);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_push_before_last_refused)
{
    SimQueue *q = sim_queue_new();
    sim_queue_push(q, 100, fn_a, tag(1));
    sim_queue_push(q, 200, fn_a, tag(2));
    expect_pop(q, 100, 1);
    ck_assert_uint_eq(sim_queue_push(q, 99, fn_a, tag(3)), SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_queue_push(q, 0, fn_a, tag(3)), SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_queue_push(q, -1, fn_a, tag(3)), SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_queue_len(q), 1);
    ck_assert_uint_ne(sim_queue_push(q, 100, fn_a, tag(4)), SIM_EVENT_NONE);
    expect_pop(q, 100, 4);
    expect_pop(q, 200, 2);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_negative_time_refused)
{
    SimQueue *q = sim_queue_new();
    ck_assert_uint_eq(sim_queue_push(q, -5, fn_a, tag(1)), SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_queue_push(q, INT64_MIN, fn_a, tag(1)), SIM_EVENT_NONE);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_cancel_pending)
{
    SimQueue *q = sim_queue_new();
    SimEventId a = sim_queue_push(q, 1, fn_a, tag(1));
    SimEventId b = sim_queue_push(q, 2, fn_a, tag(2));
    SimEventId c = sim_queue_push(q, 3, fn_a, tag(3));
    ck_assert_uint_ne(a, b);
    ck_assert_uint_ne(b, c);
    ck_assert_int_eq(sim_queue_cancel(q, b), true);
    ck_assert_uint_eq(sim_queue_len(q), 2);
    /* Cancelling twice is a no-op. */
    ck_assert_int_eq(sim_queue_cancel(q, b), false);
    ck_assert_uint_eq(sim_queue_len(q), 2);
    expect_pop(q, 1, 1);
    expect_pop(q, 3, 3);
    expect_empty(q);
    /* Ids of delivered events are stale. */
    ck_assert_int_eq(sim_queue_cancel(q, a), false);
    ck_assert_int_eq(sim_queue_cancel(q, c), false);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_cancel_invalid_ids)
{
    SimQueue *q = sim_queue_new();
    ck_assert_int_eq(sim_queue_cancel(q, SIM_EVENT_NONE), false);
    ck_assert_int_eq(sim_queue_cancel(q, 12345), false);
    SimEventId a = sim_queue_push(q, 1, fn_a, tag(1));
    ck_assert_int_eq(sim_queue_cancel(q, SIM_EVENT_NONE), false);
    ck_assert_int_eq(sim_queue_cancel(q, UINT64_MAX), false);
    ck_assert_int_eq(sim_queue_cancel(q, a ^ ((SimEventId)1 << 32)), false);
    ck_assert_int_eq(sim_queue_cancel(q, a + 1000000), false);
    ck_assert_uint_eq(sim_queue_len(q), 1);
    expect_pop(q, 1, 1);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_cancel_recycled_slot)
{
    SimQueue *q = sim_queue_new();
    /* A delivered event's slot is reused by the next push. */
    SimEventId a = sim_queue_push(q, 1, fn_a, tag(1));
    expect_pop(q, 1, 1);
    SimEventId b = sim_queue_push(q, 2, fn_a, tag(2));
    ck_assert_uint_ne(a, b);
    ck_assert_int_eq(sim_queue_cancel(q, a), false);
    ck_assert_uint_eq(sim_queue_len(q), 1);
    expect_pop(q, 2, 2);

    /* A cancelled event's slot is reused once its tombstone surfaced. */
    SimEventId c = sim_queue_push(q, 3, fn_a, tag(3));
    ck_assert_int_eq(sim_queue_cancel(q, c), true);
    expect_empty(q);
    SimEventId d = sim_queue_push(q, 4, fn_a, tag(4));
    ck_assert_uint_ne(c, d);
    ck_assert_int_eq(sim_queue_cancel(q, c), false);
    ck_assert_uint_eq(sim_queue_len(q), 1);
    ck_assert_int_eq(sim_queue_peek_time(q), 4);
    expect_pop(q, 4, 4);
    ck_assert_int_eq(sim_queue_cancel(q, d), false);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_cancel_from_callback)
{
    SimQueue *q = sim_queue_new();
    SimEventId self = sim_queue_push(q, 10, fn_a, tag(1));
    SimEventId same_time = sim_queue_push(q, 10, fn_a, tag(2));
    SimEventId later = sim_queue_push(q, 20, fn_a, tag(3));
    SimEventId kept = sim_queue_push(q, 30, fn_a, tag(4));
    /* Pop, then act as the callback would: its own id is already stale, the
     * other pending events can still be cancelled. */
    expect_pop(q, 10, 1);
    ck_assert_int_eq(sim_queue_cancel(q, self), false);
    ck_assert_int_eq(sim_queue_cancel(q, same_time), true);
    ck_assert_int_eq(sim_queue_cancel(q, later), true);
    ck_assert_uint_eq(sim_queue_len(q), 1);
    /* The callback may also schedule at the current time. */
    SimEventId now = sim_queue_push(q, 10, fn_a, tag(5));
    ck_assert_uint_ne(now, SIM_EVENT_NONE);
    ck_assert_int_eq(sim_queue_peek_time(q), 10);
    expect_pop(q, 10, 5);
    expect_pop(q, 30, 4);
    ck_assert_int_eq(sim_queue_cancel(q, kept), false);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_peek_skips_dead)
{
    SimQueue *q = sim_queue_new();
    SimEventId id[5];
    for (int i = 0; i < 5; i++)
        id[i] = sim_queue_push(q, (SimTime)(i + 1) * 100, fn_a, tag((uintptr_t)i));
    ck_assert_int_eq(sim_queue_peek_time(q), 100);
    ck_assert_int_eq(sim_queue_cancel(q, id[0]), true);
    ck_assert_int_eq(sim_queue_peek_time(q), 200);
    ck_assert_int_eq(sim_queue_cancel(q, id[1]), true);
    ck_assert_int_eq(sim_queue_cancel(q, id[3]), true);
    ck_assert_int_eq(sim_queue_peek_time(q), 300);
    ck_assert_uint_eq(sim_queue_len(q), 2);
    expect_pop(q, 300, 2);
    ck_assert_int_eq(sim_queue_peek_time(q), 500);
    ck_assert_int_eq(sim_queue_cancel(q, id[4]), true);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_push_below_peeked_time)
{
    /* Peeking may look ahead to the next pending time; pushing between the
     * last popped time and that time must still be accepted and ordered. */
    SimQueue *q = sim_queue_new();
    sim_queue_push(q, 10, fn_a, tag(1));
    sim_queue_push(q, 1000, fn_a, tag(2));
    expect_pop(q, 10, 1);
    ck_assert_int_eq(sim_queue_peek_time(q), 1000);
    sim_queue_push(q, 500, fn_a, tag(3));
    sim_queue_push(q, 10, fn_a, tag(4));
    SimEventId x = sim_queue_push(q, 500, fn_a, tag(5));
    sim_queue_push(q, 500, fn_a, tag(6));
    sim_queue_push(q, 1000, fn_a, tag(7));
    sim_queue_push(q, 999, fn_a, tag(8));
    ck_assert_int_eq(sim_queue_cancel(q, x), true);
    ck_assert_uint_eq(sim_queue_len(q), 6);
    ck_assert_int_eq(sim_queue_peek_time(q), 10);
    expect_pop(q, 10, 4);
    expect_pop(q, 500, 3);
    /* Pushing at the current time while below the look-ahead stays FIFO. */
    sim_queue_push(q, 500, fn_a, tag(9));
    expect_pop(q, 500, 6);
    expect_pop(q, 500, 9);
    expect_pop(q, 999, 8);
    expect_pop(q, 1000, 2);
    expect_pop(q, 1000, 7);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_extreme_times)
{
    SimQueue *q = sim_queue_new();
    const SimTime half = INT64_MAX / 2;
    sim_queue_push(q, half + 1, fn_a, tag(3));
    sim_queue_push(q, 0, fn_a, tag(1));
    sim_queue_push(q, half, fn_a, tag(2));
    sim_queue_push(q, INT64_MAX - 1, fn_a, tag(5));
    sim_queue_push(q, half + 1, fn_a, tag(4));
    sim_queue_push(q, 0, fn_a, tag(6));
    expect_pop(q, 0, 1);
    expect_pop(q, 0, 6);
    expect_pop(q, half, 2);
    ck_assert_uint_eq(sim_queue_push(q, half - 1, fn_a, tag(9)), SIM_EVENT_NONE);
    sim_queue_push(q, half, fn_a, tag(7));
    expect_pop(q, half, 7);
    expect_pop(q, half + 1, 3);
    expect_pop(q, half + 1, 4);
    ck_assert_int_eq(sim_queue_peek_time(q), INT64_MAX - 1);
    expect_pop(q, INT64_MAX - 1, 5);
    expect_empty(q);
    sim_queue_free(q);
}
END_TEST

START_TEST(test_ids_unique_while_pending)
{
    SimQueue *q = sim_queue_new();
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    static SimEventId ids[10000];
    for (int i = 0; i < 10000; i++) {
        ids[i] = sim_queue_push(q, i % 97, fn_a, NULL);
        ck_assert_uint_ne(ids[i], SIM_EVENT_NONE);
        ck_assert_int_eq(g_hash_table_contains(seen, &ids[i]), false);
        g_hash_table_add(seen, &ids[i]);
    }
    g_hash_table_destroy(seen);
    sim_queue_free(q);
}
END_TEST

/* ---- randomized comparison against a GSequence ordered by (time, seq) ---- */

typedef struct {
    SimTime t;
    uint64_t seq;
} RefEvent;

static gint ref_cmp(gconstpointer a, gconstpointer b, gpointer user)
{
    (void)user;
    const RefEvent *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return 0;
}

static SimTime ref_peek(GSequence *ref)
{
    if (g_sequence_is_empty(ref))
        return SIM_TIME_MAX;
    const RefEvent *e = g_sequence_get(g_sequence_get_begin_iter(ref));
    return e->t;
}

static void run_random(guint32 seed, int nops)
{
    SimQueue *q = sim_queue_new();
    GRand *rng = g_rand_new_with_seed(seed);
    GSequence *ref = g_sequence_new(NULL);
    /* Per push (indexed by seq): the queue's id and the reference node, or
     * NULL once the event ran or was cancelled. */
    GArray *ids = g_array_new(FALSE, FALSE, sizeof(SimEventId));
    GPtrArray *iters = g_ptr_array_new();
    RefEvent *events = g_new(RefEvent, (gsize)nops);
    uint64_t nseq = 0;
    SimTime last = 0;

    for (int op = 0; op < nops; op++) {
        gint32 r = g_rand_int_range(rng, 0, 100);
        if (r < 45) {
            /* Push: mostly near the current time, with many exact ties. */
            SimTime dt;
            gint32 k = g_rand_int_range(rng, 0, 10);
            if (k < 3)
                dt = 0;
            else if (k < 7)
                dt = g_rand_int_range(rng, 0, 8);
            else if (k < 9)
                dt = g_rand_int_range(rng, 0, 100000);
            else
                dt = (SimTime)g_rand_int_range(rng, 0, 1 << 30) << 10;
            SimTime t = last + dt;
            if (last > 0 && g_rand_int_range(rng, 0, 20) == 0) {
                /* Too early: refused, nothing recorded. */
                SimTime early = last - 1 - g_rand_int_range(rng, 0, (gint32)MIN(last, 1000));
                ck_assert_uint_eq(sim_queue_push(q, early, fn_a, NULL), SIM_EVENT_NONE);
                continue;
            }
            SimEventId id = sim_queue_push(q, t, fn_a, tag((uintptr_t)nseq));
            ck_assert_uint_ne(id, SIM_EVENT_NONE);
            events[nseq] = (RefEvent){.t = t, .seq = nseq};
            GSequenceIter *it = g_sequence_insert_sorted(ref, &events[nseq], ref_cmp, NULL);
            g_array_append_val(ids, id);
            g_ptr_array_add(iters, it);
            nseq++;
        } else if (r < 80) {
            SimTime t;
            void *data;
            bool got = sim_queue_pop(q, &t, NULL, &data);
            ck_assert_int_eq(got, !g_sequence_is_empty(ref));
            if (got) {
                GSequenceIter *first = g_sequence_get_begin_iter(ref);
                const RefEvent *e = g_sequence_get(first);
                ck_assert_int_eq(t, e->t);
                ck_assert_uint_eq((uintptr_t)data, e->seq);
                g_ptr_array_index(iters, e->seq) = NULL;
                g_sequence_remove(first);
                last = t;
            }
        } else if (r < 92) {
            /* Cancel a random earlier push: pending ones succeed, stale
             * ones (ran or cancelled) fail. */
            if (nseq == 0)
                continue;
            uint64_t s = (uint64_t)g_rand_int_range(rng, 0, (gint32)nseq);
            GSequenceIter *it = g_ptr_array_index(iters, s);
            bool ok = sim_queue_cancel(q, g_array_index(ids, SimEventId, s));
            ck_assert_int_eq(ok, it != NULL);
            if (it != NULL) {
                g_sequence_remove(it);
                g_ptr_array_index(iters, s) = NULL;
            }
        } else {
            ck_assert_int_eq(sim_queue_peek_time(q), ref_peek(ref));
        }
        ck_assert_uint_eq(sim_queue_len(q), (size_t)g_sequence_get_length(ref));
        ck_assert_int_eq(sim_queue_last_time(q), last);
    }

    /* Drain: everything left comes out in reference order. */
    while (!g_sequence_is_empty(ref)) {
        GSequenceIter *first = g_sequence_get_begin_iter(ref);
        const RefEvent *e = g_sequence_get(first);
        expect_pop(q, e->t, (uintptr_t)e->seq);
        g_sequence_remove(first);
    }
    expect_empty(q);
    /* Every id handed out is stale now. */
    for (uint64_t s = 0; s < nseq; s++)
        ck_assert_int_eq(sim_queue_cancel(q, g_array_index(ids, SimEventId, s)), false);

    g_free(events);
    g_ptr_array_free(iters, TRUE);
    g_array_free(ids, TRUE);
    g_sequence_free(ref);
    g_rand_free(rng);
    sim_queue_free(q);
}

START_TEST(test_random_vs_reference)
{
    run_random(12345u + (guint32)_i, 100000);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *s = suite_create("sim_queue");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_order_by_time);
    tcase_add_test(tc, test_fn_returned);
    tcase_add_test(tc, test_fifo_ties);
    tcase_add_test(tc, test_fifo_push_at_current_time);
    tcase_add_test(tc, test_long_burst_at_one_time);
    tcase_add_test(tc, test_push_before_last_refused);
    tcase_add_test(tc, test_negative_time_refused);
    tcase_add_test(tc, test_cancel_pending);
    tcase_add_test(tc, test_cancel_invalid_ids);
    tcase_add_test(tc, test_cancel_recycled_slot);
    tcase_add_test(tc, test_cancel_from_callback);
    tcase_add_test(tc, test_peek_skips_dead);
    tcase_add_test(tc, test_push_below_peeked_time);
    tcase_add_test(tc, test_extreme_times);
    tcase_add_test(tc, test_ids_unique_while_pending);
    suite_add_tcase(s, tc);

    TCase *tr = tcase_create("random");
    tcase_set_timeout(tr, 120);
    tcase_add_loop_test(tr, test_random_vs_reference, 0, 3);
    suite_add_tcase(s, tr);
    return s;
}

int main(void)
{
    return check_run_suite(queue_suite());
}
