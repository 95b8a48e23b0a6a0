/* The Xen shared I/O ring: slot counts of the real drivers, FIFO order and
 * exactly-once answers under random operations across an index wrap, the
 * notification hold-off against closed forms, flow control, and misuse. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>
#include <string.h>

#include "models/ring.h"

/* Inside loops of 10^5 steps: a plain ck_assert records a location on every
 * call, which costs more than the ring operation under test. */
#define REQUIRE(cond, ...)                                                                         \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg(__VA_ARGS__);                                                             \
    } while (0)

static Ring *make_at(unsigned pages, size_t entry, uint32_t start)
{
    GError *err = NULL;
    Ring *r = ring_new_at(pages, entry, start, &err);
    ck_assert_msg(r != NULL, "ring_new_at(%u, %zu) failed: %s", pages, entry,
                  err ? err->message : "(no error)");
    return r;
}

/* ---- Slot counts ---- */

static const struct {
    const char *what;
    unsigned pages;
    size_t entry;
    unsigned fit;   /* (pages * 4096 - 64) / entry, before rounding */
    unsigned slots; /* rounded down to a power of two */
} slot_cases[] = {
    {"netif TX", 1, RING_NETIF_TX_ENTRY_BYTES, 336, 256},
    {"netif RX", 1, RING_NETIF_RX_ENTRY_BYTES, 504, 256},
    {"blkif 1 page", 1, RING_BLKIF_ENTRY_BYTES, 36, 32},
    {"blkif 2 pages", 2, RING_BLKIF_ENTRY_BYTES, 72, 64},
    {"blkif 4 pages", 4, RING_BLKIF_ENTRY_BYTES, 145, 128},
    {"blkif 8 pages", 8, RING_BLKIF_ENTRY_BYTES, 292, 256},
    {"blkif 16 pages", 16, RING_BLKIF_ENTRY_BYTES, 584, 512},
    {"netif TX 2 pages", 2, RING_NETIF_TX_ENTRY_BYTES, 677, 512},
    {"one slot", 1, 4032, 1, 1},
};

START_TEST(slots_real_drivers)
{
    for (size_t i = 0; i < G_N_ELEMENTS(slot_cases); i++) {
        unsigned pages = slot_cases[i].pages;
        size_t entry = slot_cases[i].entry;
        /* The table's own arithmetic first, so a wrong row cannot pass. */
        unsigned fit = (unsigned)((pages * RING_PAGE_BYTES - RING_SHARED_HEADER_BYTES) / entry);
        ck_assert_msg(fit == slot_cases[i].fit, "%s: fit %u, table says %u", slot_cases[i].what,
                      fit, slot_cases[i].fit);
        unsigned got = ring_slots_for(pages, entry);
        ck_assert_msg(got == slot_cases[i].slots, "%s: ring_slots_for(%u, %zu) = %u, expected %u",
                      slot_cases[i].what, pages, entry, got, slot_cases[i].slots);
        Ring *r = make_at(pages, entry, 0);
        ck_assert_uint_eq(ring_size(r), got);
        ck_assert_uint_eq(ring_free_requests(r), got);
        ring_free(r);
    }
}
END_TEST

START_TEST(slots_invalid_config)
{
    ck_assert_uint_eq(ring_slots_for(0, 12), 0);
    ck_assert_uint_eq(ring_slots_for(3, 12), 0);  /* not a power of two */
    ck_assert_uint_eq(ring_slots_for(32, 12), 0); /* above RING_MAX_PAGES */
    ck_assert_uint_eq(ring_slots_for(1, 0), 0);
    ck_assert_uint_eq(ring_slots_for(1, 4033), 0); /* not one entry after the header */
    GError *err = NULL;
    ck_assert_ptr_null(ring_new(3, 112, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->message, "pages = 3") != NULL, "message: %s", err->message);
    g_clear_error(&err);
    ck_assert_ptr_null(ring_new(1, 5000, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->message, "5000 bytes") != NULL, "message: %s", err->message);
    g_clear_error(&err);
}
END_TEST

/* ---- Indices ---- */

START_TEST(indices_wrap)
{
    uint32_t start = UINT32_MAX - 2;
    Ring *r = make_at(1, RING_BLKIF_ENTRY_BYTES, start);
    RingIndices ix;
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.req_event, UINT32_MAX - 1); /* SHARED_RING_INIT: start + 1 */
    int v[5];
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(ring_push_request(r, &v[i]), RING_OK);
    ck_assert(ring_push_requests_and_check_notify(r));
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.req_prod, 2); /* UINT32_MAX - 2 + 5, modulo 2^32 */
    ck_assert_uint_eq(ring_occupancy(r), 5);
    ck_assert_uint_eq(ring_unconsumed_requests(r), 5);
    for (int i = 0; i < 5; i++) {
        void *p = NULL;
        ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
        ck_assert_ptr_eq(p, &v[i]);
    }
    ck_assert_uint_eq(ring_unanswered(r), 5);
    ring_free(r);
}
END_TEST

START_TEST(final_check_arms_event)
{
    Ring *r = make_at(1, RING_NETIF_RX_ENTRY_BYTES, 1000);
    int v;
    RingIndices ix;
    ck_assert_int_eq(ring_push_request(r, &v), RING_OK);
    ring_push_requests_and_check_notify(r);
    /* Work waiting: true, and req_event left alone. */
    ck_assert(ring_final_check_for_requests(r));
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.req_event, 1001);
    ck_assert_int_eq(ring_take_request(r, NULL), RING_OK);
    /* Drained: false, and the next request (index 1001) will be notified. */
    ck_assert(!ring_final_check_for_requests(r));
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.req_event, 1002);

    ck_assert_int_eq(ring_push_response(r, &v), RING_OK);
    ck_assert(ring_push_responses_and_check_notify(r)); /* rsp_event = 1001 from init */
    ck_assert(ring_final_check_for_responses(r));
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.rsp_event, 1001);
    ck_assert_int_eq(ring_take_response(r, NULL), RING_OK);
    ck_assert(!ring_final_check_for_responses(r));
    ring_indices(r, &ix);
    ck_assert_uint_eq(ix.rsp_event, 1002);
    ck_assert_uint_eq(ring_misuse(r), 0);
    ring_free(r);
}
END_TEST

/* ---- Random operations ---- */

#define RANDOM_OPS 100000
#define RANDOM_SEED 20240611

START_TEST(random_operations_fifo_exactly_once)
{
    /* A small ring (32 slots) so that it is often full, with indices that
     * wrap after 500 requests. */
    const uint32_t start = UINT32_MAX - 500;
    Ring *r = make_at(1, RING_BLKIF_ENTRY_BYTES, start);
    const unsigned size = ring_size(r);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, RANDOM_SEED);

    /* Payloads are addresses in two arrays: request i is &req[i], its
     * response &rsp[i], so every pointer names one request. */
    char *req = g_new0(char, RANDOM_OPS + 1);
    char *rsp = g_new0(char, RANDOM_OPS + 1);
    int *answered = g_new0(int, RANDOM_OPS + 1);

    /* The model: sequence numbers of what each party has done. */
    unsigned pushed = 0, published = 0, taken = 0, responded = 0, rsp_published = 0, received = 0;
    uint64_t stalls = 0, misuse = 0;
    unsigned peak = 0;

    for (int op = 0; op < RANDOM_OPS; op++) {
        void *p = NULL;
        RingStatus st;
        switch (gsl_rng_uniform_int(rng, 7)) {
        case 0: /* front pushes */
            st = ring_push_request(r, &req[pushed]);
            if (pushed - received == size) {
                REQUIRE(st == RING_FULL, "op %d: push into a full ring returned %d", op, st);
                stalls++;
            } else {
                REQUIRE(st == RING_OK, "op %d: push returned %d with %u outstanding", op, st,
                        pushed - received);
                pushed++;
                peak = MAX(peak, pushed - received);
            }
            break;
        case 1: /* front publishes */
            ring_push_requests_and_check_notify(r);
            published = pushed;
            break;
        case 2: /* back takes */
            st = ring_take_request(r, &p);
            if (published > taken) {
                REQUIRE(st == RING_OK, "op %d: take returned %d with %u published", op, st,
                        published - taken);
                REQUIRE(p == &req[taken], "op %d: took request %td, expected %u (FIFO)", op,
                        (char *)p - req, taken);
                taken++;
            } else {
                REQUIRE(st == RING_EMPTY, "op %d: take from empty returned %d", op, st);
                misuse++;
            }
            break;
        case 3: /* back answers the oldest consumed request */
            st = ring_push_response(r, &rsp[responded]);
            if (taken > responded) {
                REQUIRE(st == RING_OK, "op %d: response returned %d", op, st);
                responded++;
            } else {
                REQUIRE(st == RING_NO_REQUEST, "op %d: unrequested response returned %d", op, st);
                misuse++;
            }
            break;
        case 4: /* back publishes */
            ring_push_responses_and_check_notify(r);
            rsp_published = responded;
            break;
        case 5: /* front takes a response */
            st = ring_take_response(r, &p);
            if (rsp_published > received) {
                REQUIRE(st == RING_OK, "op %d: take response returned %d", op, st);
                REQUIRE(p == &rsp[received], "op %d: got response %td, expected %u (FIFO)", op,
                        (char *)p - rsp, received);
                answered[received]++;
                received++;
            } else {
                REQUIRE(st == RING_EMPTY, "op %d: take from no responses returned %d", op, st);
                misuse++;
            }
            break;
        default: /* either side goes to sleep */
            if (gsl_rng_uniform_int(rng, 2))
                REQUIRE(ring_final_check_for_requests(r) == (published > taken),
                        "op %d: final check for requests disagrees", op);
            else
                REQUIRE(ring_final_check_for_responses(r) == (rsp_published > received),
                        "op %d: final check for responses disagrees", op);
            break;
        }
        REQUIRE(ring_occupancy(r) <= size, "op %d: occupancy %u > %u slots", op, ring_occupancy(r),
                size);
        REQUIRE(ring_occupancy(r) == pushed - received, "op %d: occupancy %u, model %u", op,
                ring_occupancy(r), pushed - received);
        REQUIRE(ring_unconsumed_requests(r) == published - taken,
                "op %d: unconsumed requests %u, model %u", op, ring_unconsumed_requests(r),
                published - taken);
        REQUIRE(ring_unconsumed_responses(r) == rsp_published - received,
                "op %d: unconsumed responses %u, model %u", op, ring_unconsumed_responses(r),
                rsp_published - received);
    }

    /* Drain: every request pushed gets answered. */
    ring_push_requests_and_check_notify(r);
    void *p;
    while (ring_unconsumed_requests(r) > 0) {
        ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
        ck_assert_ptr_eq(p, &req[taken]);
        taken++;
    }
    while (responded < taken)
        ck_assert_int_eq(ring_push_response(r, &rsp[responded++]), RING_OK);
    ring_push_responses_and_check_notify(r);
    while (ring_unconsumed_responses(r) > 0) {
        ck_assert_int_eq(ring_take_response(r, &p), RING_OK);
        ck_assert_ptr_eq(p, &rsp[received]);
        answered[received++]++;
    }

    ck_assert_uint_eq(received, pushed);
    for (unsigned i = 0; i < pushed; i++)
        REQUIRE(answered[i] == 1, "request %u answered %d times", i, answered[i]);
    ck_assert_uint_eq(ring_requests_pushed(r), pushed);
    ck_assert_uint_eq(ring_responses_pushed(r), pushed);
    ck_assert_uint_eq(ring_stalls(r), stalls);
    ck_assert_uint_eq(ring_misuse(r), misuse);
    ck_assert_uint_eq(ring_peak_occupancy(r), peak);
    ck_assert_uint_eq(ring_peak_occupancy(r), size); /* the run did fill the ring */
    ck_assert_msg(stalls > 0, "the random run never found the ring full");
    /* The counters did wrap: more than 500 requests went through. */
    RingIndices ix;
    ring_indices(r, &ix);
    ck_assert_msg(pushed > 500 && ix.req_prod_pvt < start, "no wrap: %u pushed, req_prod_pvt %u",
                  pushed, ix.req_prod_pvt);
    ck_assert_uint_eq(ix.req_prod_pvt, start + pushed);

    g_free(req);
    g_free(rsp);
    g_free(answered);
    gsl_rng_free(rng);
    ring_free(r);
}
END_TEST

/* ---- Notification hold-off ---- */

#define KICK_BATCHES 50

/* Pushes `b` requests and publishes them once; returns the notify decision. */
static bool front_push_batch(Ring *r, int b, int *payload)
{
    for (int i = 0; i < b; i++)
        ck_assert_int_eq(ring_push_request(r, payload), RING_OK);
    return ring_push_requests_and_check_notify(r);
}

/* Consumes and answers everything; returns the response notify decision. */
static bool back_drain_and_answer(Ring *r)
{
    void *p;
    while (ring_unconsumed_requests(r) > 0) {
        ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
        ck_assert_int_eq(ring_push_response(r, p), RING_OK);
    }
    return ring_push_responses_and_check_notify(r);
}

static void front_take_all(Ring *r)
{
    while (ring_unconsumed_responses(r) > 0)
        ck_assert_int_eq(ring_take_response(r, NULL), RING_OK);
}

static const int batch_sizes[] = {1, 3, 32};

/* Both ends sleep (final check) after draining: each batch of B requests
 * costs exactly one kick each way, whatever B. */
START_TEST(kick_one_per_batch_when_asleep)
{
    int b = batch_sizes[_i];
    Ring *r = make_at(1, RING_BLKIF_ENTRY_BYTES, UINT32_MAX - 40);
    int v;
    for (int n = 0; n < KICK_BATCHES; n++) {
        ck_assert_msg(front_push_batch(r, b, &v), "B=%d batch %d: back end asleep, not kicked", b,
                      n);
        ck_assert_msg(back_drain_and_answer(r), "B=%d batch %d: front end asleep, not kicked", b,
                      n);
        ck_assert(!ring_final_check_for_requests(r));
        front_take_all(r);
        ck_assert(!ring_final_check_for_responses(r));
    }
    ck_assert_uint_eq(ring_req_notify_sent(r), KICK_BATCHES);
    ck_assert_uint_eq(ring_req_notify_suppressed(r), 0);
    ck_assert_uint_eq(ring_rsp_notify_sent(r), KICK_BATCHES);
    ck_assert_uint_eq(ring_rsp_notify_suppressed(r), 0);
    ck_assert_uint_eq(ring_requests_pushed(r), (uint64_t)b * KICK_BATCHES);
    ring_free(r);
}
END_TEST

/* A back end that keeps polling (never re-arms with a final check) is kicked
 * once, by SHARED_RING_INIT's req_event, and never again; re-arming restores
 * the kick for the next batch. */
START_TEST(kick_suppressed_while_busy)
{
    int b = batch_sizes[_i];
    Ring *r = make_at(1, RING_BLKIF_ENTRY_BYTES, UINT32_MAX - 40);
    int v;
    for (int n = 0; n < KICK_BATCHES; n++) {
        bool kicked = front_push_batch(r, b, &v);
        ck_assert_msg(kicked == (n == 0), "B=%d batch %d: kicked %d while back end busy", b, n,
                      kicked);
        back_drain_and_answer(r);
        front_take_all(r);
    }
    ck_assert_uint_eq(ring_req_notify_sent(r), 1);
    ck_assert_uint_eq(ring_req_notify_suppressed(r), KICK_BATCHES - 1);
    ck_assert(!ring_final_check_for_requests(r));
    ck_assert(front_push_batch(r, b, &v));
    ck_assert_uint_eq(ring_req_notify_sent(r), 2);
    ring_free(r);
}
END_TEST

/* A steady stream, one request per publish (B = 1).  The back end consumes
 * and answers each request at once but re-arms (final check) only after
 * every k-th; the front end takes each response at once and re-arms after
 * every j-th.  A publish notifies iff the consumer re-armed since the last
 * one (or it is the first), so push i (1-based) is kicked iff (i-1) % k == 0:
 *   sent = P / k, suppressed = P - P / k  (P a multiple of k),
 * i.e. sent/suppressed = 1/(k-1); the same with j for responses. */
#define STREAM_P 840 /* a multiple of 1..8 */
static const struct {
    unsigned k, j;
} stream_cases[] = {{1, 1}, {2, 5}, {3, 8}, {7, 1}, {8, 4}, {840, 6}};

START_TEST(kick_closed_form_rearm_every_k)
{
    unsigned k = stream_cases[_i].k, j = stream_cases[_i].j;
    /* Starts 100 below the wrap, so the stream crosses it. */
    Ring *r = make_at(1, RING_NETIF_TX_ENTRY_BYTES, UINT32_MAX - 100);
    int v;
    for (unsigned i = 1; i <= STREAM_P; i++) {
        bool req_kick = front_push_batch(r, 1, &v);
        REQUIRE(req_kick == ((i - 1) % k == 0), "k=%u push %u: kick %d", k, i, req_kick);
        bool rsp_kick = back_drain_and_answer(r);
        REQUIRE(rsp_kick == ((i - 1) % j == 0), "j=%u response %u: kick %d", j, i, rsp_kick);
        if (i % k == 0)
            REQUIRE(!ring_final_check_for_requests(r), "k=%u: work left at %u", k, i);
        front_take_all(r);
        if (i % j == 0)
            REQUIRE(!ring_final_check_for_responses(r), "j=%u: work left at %u", j, i);
    }
    ck_assert_uint_eq(ring_req_notify_sent(r), STREAM_P / k);
    ck_assert_uint_eq(ring_req_notify_suppressed(r), STREAM_P - STREAM_P / k);
    ck_assert_uint_eq(ring_rsp_notify_sent(r), STREAM_P / j);
    ck_assert_uint_eq(ring_rsp_notify_suppressed(r), STREAM_P - STREAM_P / j);
    ring_free(r);
}
END_TEST

/* ---- Flow control ---- */

START_TEST(full_ring_refused_and_counted)
{
    Ring *r = make_at(1, RING_BLKIF_ENTRY_BYTES, UINT32_MAX - 10);
    ck_assert_uint_eq(ring_size(r), 32);
    int v[34];
    for (int i = 0; i < 32; i++)
        ck_assert_int_eq(ring_push_request(r, &v[i]), RING_OK);
    ck_assert(ring_full(r));
    ck_assert_int_eq(ring_push_request(r, &v[32]), RING_FULL);
    ck_assert_uint_eq(ring_stalls(r), 1);
    ck_assert_uint_eq(ring_occupancy(r), 32);
    ck_assert_uint_eq(ring_peak_occupancy(r), 32);
    ck_assert_uint_eq(ring_requests_pushed(r), 32);

    /* The back end consumes and answers everything: the slots now hold
     * responses, so the front end is still full until it takes them. */
    ring_push_requests_and_check_notify(r);
    void *p;
    for (int i = 0; i < 32; i++) {
        ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
        ck_assert_ptr_eq(p, &v[i]); /* the refused &v[32] never entered */
        ck_assert_int_eq(ring_push_response(r, p), RING_OK);
    }
    ck_assert_uint_eq(ring_unconsumed_requests(r), 0);
    ring_push_responses_and_check_notify(r);
    ck_assert(ring_full(r));
    ck_assert_int_eq(ring_push_request(r, &v[32]), RING_FULL);
    ck_assert_uint_eq(ring_stalls(r), 2);

    ck_assert_int_eq(ring_take_response(r, &p), RING_OK);
    ck_assert_ptr_eq(p, &v[0]);
    ck_assert_uint_eq(ring_free_requests(r), 1);
    ck_assert_int_eq(ring_push_request(r, &v[32]), RING_OK);
    ck_assert_int_eq(ring_push_request(r, &v[33]), RING_FULL);
    ck_assert_uint_eq(ring_stalls(r), 3);
    for (int i = 1; i < 32; i++) {
        ck_assert_int_eq(ring_take_response(r, &p), RING_OK);
        ck_assert_ptr_eq(p, &v[i]); /* responses were not overwritten */
    }
    ring_push_requests_and_check_notify(r);
    ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
    ck_assert_ptr_eq(p, &v[32]);
    ck_assert_uint_eq(ring_peak_occupancy(r), 32);
    ck_assert_uint_eq(ring_misuse(r), 0);
    ring_free(r);
}
END_TEST

/* ---- Misuse ---- */

START_TEST(misuse_refused_and_counted)
{
    const uint32_t start = 7;
    Ring *r = make_at(1, RING_NETIF_RX_ENTRY_BYTES, start);
    void *p = &p;
    ck_assert_int_eq(ring_take_request(r, &p), RING_EMPTY);
    ck_assert_ptr_eq(p, &p); /* untouched */
    ck_assert_int_eq(ring_push_response(r, &p), RING_NO_REQUEST);
    ck_assert_int_eq(ring_take_response(r, &p), RING_EMPTY);
    ck_assert_uint_eq(ring_misuse(r), 3);

    /* Publishing nothing is neither a kick nor a suppressed one. */
    ck_assert(!ring_push_requests_and_check_notify(r));
    ck_assert(!ring_push_responses_and_check_notify(r));
    ck_assert_uint_eq(ring_req_notify_sent(r) + ring_req_notify_suppressed(r), 0);
    ck_assert_uint_eq(ring_rsp_notify_sent(r) + ring_rsp_notify_suppressed(r), 0);

    /* Written but not published: invisible to the back end. */
    int v[2];
    ck_assert_int_eq(ring_push_request(r, &v[0]), RING_OK);
    ck_assert_int_eq(ring_push_request(r, &v[1]), RING_OK);
    ck_assert_uint_eq(ring_unconsumed_requests(r), 0);
    ck_assert_int_eq(ring_take_request(r, &p), RING_EMPTY);
    ck_assert_uint_eq(ring_misuse(r), 4);

    /* A hostile front end claims requests it never wrote, more than the
     * ring holds, or moves req_prod backwards: all refused. */
    const uint32_t bogus[] = {start + 5, start + 256 + 10, start - 1, UINT32_MAX};
    for (size_t i = 0; i < G_N_ELEMENTS(bogus); i++) {
        ring_front_write_req_prod(r, bogus[i]);
        ck_assert_msg(ring_take_request(r, &p) == RING_PROTOCOL, "req_prod %u accepted", bogus[i]);
    }
    ck_assert_uint_eq(ring_misuse(r), 4 + G_N_ELEMENTS(bogus));
    /* What the back end is told it may take stays bounded by the room for
     * responses, however large the claim (RING_HAS_UNCONSUMED_REQUESTS). */
    ring_front_write_req_prod(r, start + 256 + 10);
    ck_assert_uint_eq(ring_unconsumed_requests(r), 256);

    /* An honest publish repairs it; exactly the two real requests come out. */
    ring_push_requests_and_check_notify(r);
    ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
    ck_assert_ptr_eq(p, &v[0]);
    ck_assert_int_eq(ring_take_request(r, &p), RING_OK);
    ck_assert_ptr_eq(p, &v[1]);
    ck_assert_int_eq(ring_take_request(r, &p), RING_EMPTY);
    ck_assert_int_eq(ring_push_response(r, &v[0]), RING_OK);
    ck_assert_int_eq(ring_push_response(r, &v[1]), RING_OK);
    ck_assert_int_eq(ring_push_response(r, &v[1]), RING_NO_REQUEST); /* a third answer */
    ck_assert_uint_eq(ring_misuse(r), 4 + G_N_ELEMENTS(bogus) + 2);
    ck_assert_uint_eq(ring_requests_pushed(r), 2);
    ck_assert_uint_eq(ring_responses_pushed(r), 2);
    ck_assert_uint_eq(ring_stalls(r), 0);
    ring_free(r);
}
END_TEST

static Suite *ring_suite(void)
{
    Suite *s = suite_create("ring");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, slots_real_drivers);
    tcase_add_test(tc, slots_invalid_config);
    tcase_add_test(tc, indices_wrap);
    tcase_add_test(tc, final_check_arms_event);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, random_operations_fifo_exactly_once);
    suite_add_tcase(s, tc);

    tc = tcase_create("notify");
    tcase_add_loop_test(tc, kick_one_per_batch_when_asleep, 0, (int)G_N_ELEMENTS(batch_sizes));
    tcase_add_loop_test(tc, kick_suppressed_while_busy, 0, (int)G_N_ELEMENTS(batch_sizes));
    tcase_add_loop_test(tc, kick_closed_form_rearm_every_k, 0, (int)G_N_ELEMENTS(stream_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("misuse");
    tcase_add_test(tc, full_ring_refused_and_counted);
    tcase_add_test(tc, misuse_refused_and_counted);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(ring_suite());
}
