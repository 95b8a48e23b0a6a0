/* Multi-dimensional bin packing: hand-checked placements of every algorithm,
 * the published worst-case bounds against an exact optimum on small random
 * instances, capacity and conservation on large ones, and removal. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <string.h>

#include "models/placement.h"
#include "sim/sim_error.h"

/* The unit bin of the 1-D bound tests: item sizes in (0, 1] become integers
 * in 1..UNIT so that fitting is exact. */
#define UNIT ((uint64_t)1000000)

static const PlacementAlgo all_algos[] = {
    PLACEMENT_FIRST_FIT,
    PLACEMENT_BEST_FIT,
    PLACEMENT_WORST_FIT,
    PLACEMENT_NEXT_FIT,
    PLACEMENT_FIRST_FIT_DECREASING,
    PLACEMENT_BEST_FIT_DECREASING,
};
#define N_ALGOS ((int)G_N_ELEMENTS(all_algos))

/* ck_assert_msg records every check that passes with a system call; the
 * random tests check millions of values, so they call into Check only when
 * a condition fails.  The message must print both sides. */
#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond))                                                                               \
            ck_abort_msg("'" #cond "' failed: " __VA_ARGS__);                                      \
    } while (0)

static Packer *make(int dims, int bins, const uint64_t *cap, const uint64_t *used,
                    PlacementAlgo algo)
{
    GError *err = NULL;
    Packer *p = placement_new(dims, bins, cap, used, algo, &err);
    EXPECT(p != NULL, "placement_new failed: %s", err ? err->message : "(no error)");
    ck_assert_ptr_null(err);
    return p;
}

/* `bins` identical empty 1-D bins of capacity cap. */
static Packer *make_1d(int bins, uint64_t cap, PlacementAlgo algo)
{
    uint64_t *caps = g_new(uint64_t, bins);
    for (int b = 0; b < bins; b++)
        caps[b] = cap;
    Packer *p = make(1, bins, caps, NULL, algo);
    g_free(caps);
    return p;
}

/* Asserts, for n items of demands[] placed in bin_of[] (-1: refused), that
 * every bin's used vector is its initial one (NULL: zero) plus the demand of
 * its items, never above capacity, and that the item counts agree. */
static void check_packing(const Packer *p, const uint64_t *initial, const uint64_t *demands,
                          const int *bin_of, int n, const char *when)
{
    int dims = placement_dims(p), bins = placement_bins(p);
    uint64_t *expect = g_new0(uint64_t, (gsize)bins * dims);
    int *count = g_new0(int, bins);
    if (initial)
        memcpy(expect, initial, sizeof(uint64_t) * (gsize)bins * dims);
    for (int i = 0; i < n; i++) {
        EXPECT(bin_of[i] >= -1 && bin_of[i] < bins, "%s: item %d in bin %d of %d", when, i,
               bin_of[i], bins);
        if (bin_of[i] < 0)
            continue;
        count[bin_of[i]]++;
        for (int d = 0; d < dims; d++)
            expect[bin_of[i] * dims + d] += demands[i * dims + d];
    }
    int in_use = 0;
    for (int b = 0; b < bins; b++) {
        const uint64_t *used = placement_bin_used(p, b), *cap = placement_bin_capacity(p, b);
        for (int d = 0; d < dims; d++) {
            EXPECT(used[d] == expect[b * dims + d],
                   "%s: bin %d dim %d used %" G_GUINT64_FORMAT
                   " != initial + items %" G_GUINT64_FORMAT,
                   when, b, d, used[d], expect[b * dims + d]);
            EXPECT(used[d] <= cap[d],
                   "%s: bin %d dim %d overfilled: used %" G_GUINT64_FORMAT
                   " > capacity %" G_GUINT64_FORMAT,
                   when, b, d, used[d], cap[d]);
        }
        EXPECT(placement_bin_items(p, b) == count[b], "%s: bin %d holds %d items, not %d", when, b,
               placement_bin_items(p, b), count[b]);
        in_use += count[b] > 0;
    }
    EXPECT(placement_bins_in_use(p) == in_use, "%s: %d bins in use, expected %d", when,
           placement_bins_in_use(p), in_use);
    g_free(expect);
    g_free(count);
}

/* Asserts got[0..n-1] == want[0..n-1], naming the first difference. */
static void check_bins(const int *got, const int *want, int n, const char *when)
{
    for (int i = 0; i < n; i++)
        EXPECT(got[i] == want[i], "%s: item %d in bin %d, expected bin %d", when, i, got[i],
               want[i]);
}

/* ---- names and validation ---- */

START_TEST(algo_names_round_trip)
{
    for (int a = 0; a < N_ALGOS; a++) {
        PlacementAlgo out = (PlacementAlgo)-1;
        GError *err = NULL;
        const char *name = placement_algo_name(all_algos[a]);
        EXPECT(placement_algo_from_name(name, &out, &err), "'%s' refused", name);
        ck_assert_ptr_null(err);
        ck_assert_int_eq(out, all_algos[a]);
    }
    ck_assert_str_eq(placement_algo_name(PLACEMENT_BEST_FIT_DECREASING), "best-fit-decreasing");
    ck_assert_str_eq(placement_algo_name((PlacementAlgo)99), "?");
}
END_TEST

START_TEST(algo_unknown_name_lists_known)
{
    const char *bad[] = {"first_fit", "FIRST-FIT", "", "best-fit-increasing", NULL};
    for (gsize k = 0; k < G_N_ELEMENTS(bad); k++) {
        PlacementAlgo out = PLACEMENT_WORST_FIT;
        GError *err = NULL;
        EXPECT(!placement_algo_from_name(bad[k], &out, &err), "'%s' accepted",
               bad[k] ? bad[k] : "(null)");
        ck_assert_int_eq(out, PLACEMENT_WORST_FIT);
        ck_assert_ptr_nonnull(err);
        ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
        if (bad[k] && bad[k][0])
            EXPECT(strstr(err->message, bad[k]) != NULL, "'%s' not named in: %s", bad[k],
                   err->message);
        for (int a = 0; a < N_ALGOS; a++) {
            const char *name = placement_algo_name(all_algos[a]);
            EXPECT(strstr(err->message, name) != NULL, "'%s' not listed in: %s", name,
                   err->message);
        }
        g_error_free(err);
    }
}
END_TEST

static const struct {
    int dims, bins;
    uint64_t cap[4], used[4];
    gboolean with_used;
    PlacementAlgo algo;
    const char *msg;
} bad_cases[] = {
    {0, 1, {10}, {0}, FALSE, PLACEMENT_FIRST_FIT, "dims = 0: must be 1..8"},
    {9, 1, {10}, {0}, FALSE, PLACEMENT_FIRST_FIT, "dims = 9: must be 1..8"},
    {1, 0, {10}, {0}, FALSE, PLACEMENT_FIRST_FIT, "bins = 0: must be >= 1"},
    {1, 1, {10}, {0}, FALSE, (PlacementAlgo)42, "algorithm 42: unknown"},
    {2,
     2,
     {8, 16, 8, 16},
     {0, 0, 8, 17},
     TRUE,
     PLACEMENT_FIRST_FIT,
     "used[1][1] = 17: above the bin's capacity 16"},
};

START_TEST(validation_errors)
{
    GError *err = NULL;
    Packer *p = placement_new(bad_cases[_i].dims, bad_cases[_i].bins, bad_cases[_i].cap,
                              bad_cases[_i].with_used ? bad_cases[_i].used : NULL,
                              bad_cases[_i].algo, &err);
    ck_assert_ptr_null(p);
    ck_assert_ptr_nonnull(err);
    ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
    ck_assert_str_eq(err->message, bad_cases[_i].msg);
    g_error_free(err);
}
END_TEST

/* ---- hand-checked instances ---- */

typedef struct {
    PlacementAlgo algo;
    int bin[4];
    int in_use;
} Expect;

/* Four empty bins of 10, items 5, 7, 3, 2 in that order:
 * FF  5->0, 7->1 (no room in 0), 3->0 (first), 2->0 (0 reaches 10).
 * BF  3 leaves 0 in bin 1 and 2 in bin 0 -> 1; then 2 fits only bin 0.
 * WF  every empty bin has more slack than a used one: one item per bin.
 * NF  7 closes bin 0; 3 fills bin 1; 2 no longer fits bin 1 -> bin 2,
 *     although bin 0 (level 5) has room.
 * FFD order 7, 5, 3, 2: 7->0, 5->1, 3->0 (10), 2->1.  BFD: 3 leaves 0 in
 *     bin 0 and 2 in bin 1 -> 0, then 2 -> 1: the same. */
static const Expect hand_1d[] = {
    {PLACEMENT_FIRST_FIT, {0, 1, 0, 0}, 2},
    {PLACEMENT_BEST_FIT, {0, 1, 1, 0}, 2},
    {PLACEMENT_WORST_FIT, {0, 1, 2, 3}, 4},
    {PLACEMENT_NEXT_FIT, {0, 1, 1, 2}, 3},
    {PLACEMENT_FIRST_FIT_DECREASING, {1, 0, 0, 1}, 2},
    {PLACEMENT_BEST_FIT_DECREASING, {1, 0, 0, 1}, 2},
};

START_TEST(hand_1d_algorithms_differ)
{
    const Expect *e = &hand_1d[_i];
    const uint64_t items[4] = {5, 7, 3, 2};
    Packer *p = make_1d(4, 10, e->algo);
    int bins[4];
    ck_assert_int_eq(placement_place_batch(p, 4, items, bins, NULL), 0);
    check_bins(bins, e->bin, 4, placement_algo_name(e->algo));
    ck_assert_int_eq(placement_bins_in_use(p), e->in_use);
    check_packing(p, NULL, items, bins, 4, placement_algo_name(e->algo));
    placement_free(p);
}
END_TEST

/* Bins of 10 already holding 2, 5 and 0; items 4 then 3.
 * FF, NF, FFD: 4->0 (6), 3->0 (9).
 * BF, BFD: 4 leaves 1 in bin 1 (best) -> 1; 3 leaves 5 in bin 0, 7 in bin 2 -> 0.
 * WF: 4 leaves 6 in bin 2 (most) -> 2; 3 leaves 5 in bin 0, 3 in bin 2 -> 0. */
static const Expect hand_preused[] = {
    {PLACEMENT_FIRST_FIT, {0, 0}, 1},
    {PLACEMENT_BEST_FIT, {1, 0}, 2},
    {PLACEMENT_WORST_FIT, {2, 0}, 2},
    {PLACEMENT_NEXT_FIT, {0, 0}, 1},
    {PLACEMENT_FIRST_FIT_DECREASING, {0, 0}, 1},
    {PLACEMENT_BEST_FIT_DECREASING, {1, 0}, 2},
};

START_TEST(hand_1d_preused_bins)
{
    const Expect *e = &hand_preused[_i];
    const uint64_t cap[3] = {10, 10, 10}, used[3] = {2, 5, 0}, items[2] = {4, 3};
    Packer *p = make(1, 3, cap, used, e->algo);
    int bins[2];
    ck_assert_int_eq(placement_place_batch(p, 2, items, bins, NULL), 0);
    check_bins(bins, e->bin, 2, placement_algo_name(e->algo));
    ck_assert_int_eq(placement_bins_in_use(p), e->in_use);
    check_packing(p, used, items, bins, 2, placement_algo_name(e->algo));
    placement_free(p);
}
END_TEST

/* Three hosts of 8 pCPUs and 16 GiB (units: pCPUs, GiB) holding (6, 2),
 * (2, 14) and nothing; guests (2,2), (3,1), (1,4), (1,1).  Slack sums
 * CPU/8 + memory/16 left over.  The first guest leaves 0/8+12/16 = 0.75 in
 * host 0, 4/8+0/16 = 0.5 in host 1, 6/8+14/16 = 1.625 in host 2: FF picks 0,
 * BF 1, WF 2.  The guest (3,1) never fits host 0 (CPU), (1,4) fits host 1
 * only if it still has 4 GiB.  Sizes for FFD/BFD are 0.25, 0.375, 0.25,
 * 0.125: order (3,1), (2,2), (1,4), (1,1), the tie kept in input order.
 * Had (1,4) gone before (2,2), FFD would give host 0 to (1,4) and host 2 to
 * (2,2). */
static const Expect hand_2d[] = {
    {PLACEMENT_FIRST_FIT, {0, 1, 2, 1}, 3},
    {PLACEMENT_BEST_FIT, {1, 2, 0, 0}, 3},
    {PLACEMENT_WORST_FIT, {2, 2, 2, 0}, 2},
    {PLACEMENT_NEXT_FIT, {0, 1, 2, 2}, 3},
    {PLACEMENT_FIRST_FIT_DECREASING, {0, 1, 2, 1}, 3},
    {PLACEMENT_BEST_FIT_DECREASING, {0, 1, 2, 1}, 3},
};

START_TEST(hand_2d_algorithms)
{
    const Expect *e = &hand_2d[_i];
    const uint64_t cap[6] = {8, 16, 8, 16, 8, 16}, used[6] = {6, 2, 2, 14, 0, 0};
    const uint64_t items[8] = {2, 2, 3, 1, 1, 4, 1, 1};
    Packer *p = make(2, 3, cap, used, e->algo);
    int bins[4];
    ck_assert_int_eq(placement_place_batch(p, 4, items, bins, NULL), 0);
    check_bins(bins, e->bin, 4, placement_algo_name(e->algo));
    ck_assert_int_eq(placement_bins_in_use(p), e->in_use);
    check_packing(p, used, items, bins, 4, placement_algo_name(e->algo));
    placement_free(p);
}
END_TEST

START_TEST(hand_2d_best_fit_final_state)
{
    /* The BF run of hand_2d, every used vector written out. */
    const uint64_t cap[6] = {8, 16, 8, 16, 8, 16}, used[6] = {6, 2, 2, 14, 0, 0};
    const uint64_t items[8] = {2, 2, 3, 1, 1, 4, 1, 1};
    const uint64_t want[6] = {8, 7, 4, 16, 3, 1};
    Packer *p = make(2, 3, cap, used, PLACEMENT_BEST_FIT);
    placement_place_batch(p, 4, items, NULL, NULL);
    for (int b = 0; b < 3; b++)
        for (int d = 0; d < 2; d++)
            ck_assert_uint_eq(placement_bin_used(p, b)[d], want[b * 2 + d]);
    placement_free(p);
}
END_TEST

START_TEST(online_decreasing_places_like_base)
{
    /* The items of hand_1d one at a time: nothing to sort, so FFD places
     * like FF and BFD like BF. */
    const uint64_t items[4] = {5, 7, 3, 2};
    const int ff[4] = {0, 1, 0, 0}, bf[4] = {0, 1, 1, 0};
    Packer *p = make_1d(4, 10, PLACEMENT_FIRST_FIT_DECREASING);
    Packer *q = make_1d(4, 10, PLACEMENT_BEST_FIT_DECREASING);
    int got_p[4], got_q[4];
    for (int i = 0; i < 4; i++) {
        int id = -7;
        got_p[i] = placement_place(p, &items[i], &id);
        ck_assert_int_eq(id, i);
        got_q[i] = placement_place(q, &items[i], NULL);
    }
    check_bins(got_p, ff, 4, "online first-fit-decreasing");
    check_bins(got_q, bf, 4, "online best-fit-decreasing");
    placement_free(p);
    placement_free(q);
}
END_TEST

START_TEST(next_fit_never_reopens)
{
    Packer *p = make_1d(4, 10, PLACEMENT_NEXT_FIT);
    int id0;
    ck_assert_int_eq(placement_place(p, (uint64_t[]){6}, &id0), 0);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){6}, NULL), 1);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){5}, NULL), 2);
    /* Bin 0 has room for 4 but is closed. */
    ck_assert_int_eq(placement_place(p, (uint64_t[]){1}, NULL), 2);
    /* Emptying bin 0 does not reopen it. */
    ck_assert(placement_remove(p, id0));
    ck_assert_uint_eq(placement_bin_used(p, 0)[0], 0);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){1}, NULL), 2);
    /* Bin 2 holds 7: 4 goes on to bin 3 and closes bin 2. */
    ck_assert_int_eq(placement_place(p, (uint64_t[]){4}, NULL), 3);
    /* 9 fits no bin from 3 on: refused, bin 3 stays open. */
    ck_assert_int_eq(placement_place(p, (uint64_t[]){9}, NULL), -1);
    ck_assert_int_eq(placement_refused(p), 1);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){6}, NULL), 3);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){1}, NULL), -1);
    ck_assert_int_eq(placement_refused(p), 2);
    ck_assert_uint_eq(placement_bin_used(p, 2)[0], 7);
    ck_assert_uint_eq(placement_bin_used(p, 3)[0], 10);
    ck_assert_int_eq(placement_bins_in_use(p), 3);
    placement_free(p);
}
END_TEST

START_TEST(refused_item_changes_nothing)
{
    for (int a = 0; a < N_ALGOS; a++) {
        const uint64_t cap[4] = {4, 4, 4, 4};
        Packer *p = make(2, 2, cap, NULL, all_algos[a]);
        int id = -7;
        /* Too much CPU for any bin, although memory would fit. */
        ck_assert_int_eq(placement_place(p, (uint64_t[]){5, 1}, &id), -1);
        ck_assert_int_eq(id, 0);
        ck_assert_int_eq(placement_refused(p), 1);
        ck_assert_int_eq(placement_item_bin(p, 0), -1);
        ck_assert(!placement_remove(p, 0));
        for (int b = 0; b < 2; b++)
            ck_assert_uint_eq(placement_bin_used(p, b)[0] + placement_bin_used(p, b)[1], 0);
        ck_assert_int_eq(placement_bins_in_use(p), 0);
        /* Exactly full in both dimensions fits. */
        ck_assert_int_eq(placement_place(p, (uint64_t[]){4, 4}, &id), 0);
        ck_assert_int_eq(id, 1);
        const uint64_t batch[6] = {1, 0, 4, 5, 5, 4};
        int bins[3], first = -7;
        ck_assert_int_eq(placement_place_batch(p, 3, batch, bins, &first), 2);
        ck_assert_int_eq(first, 2);
        ck_assert_int_eq(bins[0], 1);
        ck_assert_int_eq(bins[1], -1);
        ck_assert_int_eq(bins[2], -1);
        ck_assert_int_eq(placement_refused(p), 3);
        ck_assert_int_eq(placement_item_bin(p, 99), -2);
        ck_assert_int_eq(placement_item_bin(p, -1), -2);
        ck_assert(!placement_remove(p, 99));
        ck_assert_ptr_null(placement_bin_used(p, 2));
        placement_free(p);
    }
}
END_TEST

START_TEST(removal_returns_demand)
{
    const uint64_t cap[4] = {8, 16, 8, 16}, used[4] = {1, 2, 0, 0};
    Packer *p = make(2, 2, cap, used, PLACEMENT_FIRST_FIT);
    int a, b;
    ck_assert_int_eq(placement_place(p, (uint64_t[]){3, 5}, &a), 0);
    ck_assert_int_eq(placement_place(p, (uint64_t[]){2, 7}, &b), 0);
    ck_assert_uint_eq(placement_bin_used(p, 0)[0], 6);
    ck_assert_uint_eq(placement_bin_used(p, 0)[1], 14);
    ck_assert(placement_remove(p, a));
    ck_assert_uint_eq(placement_bin_used(p, 0)[0], 3);
    ck_assert_uint_eq(placement_bin_used(p, 0)[1], 9);
    ck_assert_int_eq(placement_item_bin(p, a), -1);
    ck_assert(!placement_remove(p, a));
    ck_assert_int_eq(placement_bins_in_use(p), 1);
    ck_assert(placement_remove(p, b));
    ck_assert_uint_eq(placement_bin_used(p, 0)[0], 1);
    ck_assert_uint_eq(placement_bin_used(p, 0)[1], 2);
    ck_assert_int_eq(placement_bins_in_use(p), 0);
    /* Room returned is room reused. */
    ck_assert_int_eq(placement_place(p, (uint64_t[]){7, 14}, NULL), 0);
    placement_free(p);
}
END_TEST

/* ---- bounds against the exact optimum ---- */

/* Branch and bound for the optimal number of unit bins of 1-D sizes s[]
 * (sorted decreasing, n <= 16).  Symmetry: an item goes to at most one of
 * several bins with the same load.  Bound: the items left need at least
 * ceil((their sum - room in open bins) / cap) new bins. */
typedef struct {
    const uint64_t *s;
    int n;
    uint64_t cap;
    uint64_t load[16];
    uint64_t rest[17]; /* rest[k]: sum of s[k..n-1] */
    int best;
} OptSearch;

static void opt_dfs(OptSearch *o, int k, int open)
{
    if (open >= o->best)
        return;
    if (k == o->n) {
        o->best = open;
        return;
    }
    uint64_t room = 0;
    for (int b = 0; b < open; b++)
        room += o->cap - o->load[b];
    if (o->rest[k] > room && open + (int)((o->rest[k] - room + o->cap - 1) / o->cap) >= o->best)
        return;
    for (int b = 0; b < open; b++) {
        if (o->load[b] + o->s[k] > o->cap)
            continue;
        gboolean seen = FALSE;
        for (int c = 0; c < b && !seen; c++)
            seen = o->load[c] == o->load[b];
        if (seen)
            continue;
        o->load[b] += o->s[k];
        opt_dfs(o, k + 1, open);
        o->load[b] -= o->s[k];
    }
    o->load[open] = o->s[k];
    opt_dfs(o, k + 1, open + 1);
    o->load[open] = 0;
}

static int cmp_u64_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x < y) - (x > y);
}

static int exact_opt(const uint64_t *items, int n, uint64_t cap)
{
    uint64_t s[16];
    memcpy(s, items, sizeof(uint64_t) * n);
    qsort(s, n, sizeof s[0], cmp_u64_desc);
    OptSearch o = {.s = s, .n = n, .cap = cap, .best = n + 1};
    o.rest[n] = 0;
    for (int k = n - 1; k >= 0; k--)
        o.rest[k] = o.rest[k + 1] + s[k];
    opt_dfs(&o, 0, 0);
    return o.best;
}

START_TEST(exact_opt_sanity)
{
    /* 0.6, 0.5, 0.4, 0.3, 0.2: sum 2.0 and 0.6+0.4, 0.5+0.3+0.2 -> 2. */
    const uint64_t a[5] = {6, 5, 4, 3, 2};
    ck_assert_int_eq(exact_opt(a, 5, 10), 2);
    /* Three items above half need three bins whatever the sum. */
    const uint64_t b[4] = {6, 6, 6, 1};
    ck_assert_int_eq(exact_opt(b, 4, 10), 3);
    /* 3x(1/3) + 3x(2/3): FF in this order needs 4, OPT 3. */
    const uint64_t c[6] = {3, 3, 3, 6, 6, 6};
    ck_assert_int_eq(exact_opt(c, 6, 9), 3);
    Packer *p = make_1d(6, 9, PLACEMENT_FIRST_FIT);
    placement_place_batch(p, 6, c, NULL, NULL);
    ck_assert_int_eq(placement_bins_in_use(p), 4);
    placement_free(p);
}
END_TEST

/* Item sizes in 1..UNIT: uniform on (0, 1]; uniform on (0.15, 0.55], where
 * items pair and triple badly; or near 1/7, 1/3 and 1/2, the pieces of the
 * classic worst cases of FF and FFD. */
static uint64_t random_size(gsl_rng *r, int mode)
{
    switch (mode) {
    case 0:
        return 1 + gsl_rng_uniform_int(r, UNIT);
    case 1:
        return UNIT * 15 / 100 + 1 + gsl_rng_uniform_int(r, UNIT * 40 / 100);
    default: {
        static const uint64_t base[3] = {UNIT / 7, UNIT / 3, UNIT / 2};
        return base[gsl_rng_uniform_int(r, 3)] + 1 + gsl_rng_uniform_int(r, UNIT / 50);
    }
    }
}

/* Packs items[0..n-1] into n empty unit bins; returns the bins used, after
 * checking the packing. */
static int pack_count(PlacementAlgo algo, const uint64_t *items, int n)
{
    Packer *p = make_1d(n, UNIT, algo);
    int bins[64];
    ck_assert_int_eq(placement_place_batch(p, n, items, bins, NULL), 0);
    check_packing(p, NULL, items, bins, n, placement_algo_name(algo));
    int used = placement_bins_in_use(p);
    placement_free(p);
    return used;
}

START_TEST(bounds_small_random_exact_opt)
{
    enum { INSTANCES = 2000, MAX_N = 12 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1973);
    int worse[N_ALGOS] = {0};
    for (int inst = 0; inst < INSTANCES; inst++) {
        int n = 1 + (int)gsl_rng_uniform_int(r, MAX_N), mode = inst % 3;
        uint64_t items[MAX_N];
        for (int i = 0; i < n; i++)
            items[i] = random_size(r, mode);
        int opt = exact_opt(items, n, UNIT);
        int got[N_ALGOS];
        for (int a = 0; a < N_ALGOS; a++) {
            got[a] = pack_count(all_algos[a], items, n);
            EXPECT(got[a] >= opt, "instance %d: %s uses %d bins < OPT %d", inst,
                   placement_algo_name(all_algos[a]), got[a], opt);
            worse[a] += got[a] > opt;
        }
        int ff = got[0], bf = got[1], wf = got[2], nf = got[3], ffd = got[4], bfd = got[5];
        /* Dósa 2007 / Dósa, Li, Han, Tuza 2013: FFD <= 11/9 OPT + 6/9. */
        EXPECT(9 * ffd <= 11 * opt + 6, "instance %d: FFD %d > 11/9 * OPT %d + 6/9", inst, ffd,
               opt);
        /* Johnson et al. 1974: BFD <= 11/9 OPT + 4. */
        EXPECT(9 * bfd <= 11 * opt + 36, "instance %d: BFD %d > 11/9 * OPT %d + 4", inst, bfd, opt);
        /* Dósa and Sgall 2013 (FF), 2014 (BF): at most floor(1.7 OPT). */
        EXPECT(ff <= 17 * opt / 10, "instance %d: FF %d > floor(1.7 * OPT %d) = %d", inst, ff, opt,
               17 * opt / 10);
        EXPECT(bf <= 17 * opt / 10, "instance %d: BF %d > floor(1.7 * OPT %d) = %d", inst, bf, opt,
               17 * opt / 10);
        /* Johnson 1974: NF <= 2 OPT - 1. */
        EXPECT(nf <= 2 * opt - 1, "instance %d: NF %d > 2 * OPT %d - 1", inst, nf, opt);
        /* Worst fit over empty bins spreads: one bin per item. */
        EXPECT(wf == n, "instance %d: WF %d bins for %d items", inst, wf, n);
    }
    /* The instances must be hard enough for the bounds to mean something. */
    for (int a = 0; a < N_ALGOS; a++)
        EXPECT(worse[a] > 20, "%s above OPT on only %d instances",
               placement_algo_name(all_algos[a]), worse[a]);
    gsl_rng_free(r);
}
END_TEST

START_TEST(bounds_large_random)
{
    enum { N = 2000, ROUNDS = 3 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1974);
    uint64_t *items = g_new(uint64_t, N);
    int *bins = g_new(int, N);
    for (int round = 0; round < ROUNDS; round++) {
        uint64_t sum = 0;
        for (int i = 0; i < N; i++)
            sum += items[i] = random_size(r, round);
        int lb = (int)((sum + UNIT - 1) / UNIT);          /* ceil(sum) <= OPT */
        int any_fit = (int)((2 * sum + UNIT - 1) / UNIT); /* ceil(2 sum) */
        for (int a = 0; a < N_ALGOS; a++) {
            PlacementAlgo algo = all_algos[a];
            Packer *p = make_1d(N, UNIT, algo);
            ck_assert_int_eq(placement_place_batch(p, N, items, bins, NULL), 0);
            check_packing(p, NULL, items, bins, N, placement_algo_name(algo));
            int used = placement_bins_in_use(p);
            EXPECT(used >= lb, "%s: %d bins < ceil(sum) %d", placement_algo_name(algo), used, lb);
            if (algo == PLACEMENT_NEXT_FIT)
                EXPECT(used <= 2 * lb, "NF: %d bins > 2 ceil(sum) = %d", used, 2 * lb);
            /* FF, BF, NF, FFD, BFD open a bin only when the item fits no
             * earlier one, so at most one bin (NF: of two neighbours) is at
             * most half full: bins <= ceil(2 sum).  Worst fit here spreads. */
            if (algo != PLACEMENT_WORST_FIT)
                EXPECT(used <= any_fit, "%s: %d bins > ceil(2 sum) = %d", placement_algo_name(algo),
                       used, any_fit);
            else
                ck_assert_int_eq(used, N);
            placement_free(p);
        }
    }
    g_free(items);
    g_free(bins);
    gsl_rng_free(r);
}
END_TEST

/* ---- 2-D random instances ---- */

enum { HOSTS = 16 };

/* Heterogeneous hosts (CPU in milli-pCPUs, memory in MiB) with dom0 already
 * on each. */
static void random_hosts(gsl_rng *r, uint64_t *cap, uint64_t *used)
{
    for (int b = 0; b < HOSTS; b++) {
        cap[2 * b] = 1000 * (8 + 8 * gsl_rng_uniform_int(r, 4));
        cap[2 * b + 1] = 16384 * (1 + gsl_rng_uniform_int(r, 8));
        used[2 * b] = 1000 + 500 * gsl_rng_uniform_int(r, 3);
        used[2 * b + 1] = 1024 * (1 + gsl_rng_uniform_int(r, 4));
    }
}

static void random_guest(gsl_rng *r, uint64_t *demand)
{
    demand[0] = 250 * (1 + gsl_rng_uniform_int(r, 32));
    demand[1] = 256 * (1 + gsl_rng_uniform_int(r, 128));
}

START_TEST(random_2d_batches)
{
    enum { INSTANCES = 200, N = 150 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 2007);
    uint64_t cap[2 * HOSTS], used[2 * HOSTS], items[2 * N];
    int bins[N], again[N], n_refused = 0;
    for (int inst = 0; inst < INSTANCES; inst++) {
        random_hosts(r, cap, used);
        for (int i = 0; i < N; i++)
            random_guest(r, &items[2 * i]);
        for (int a = 0; a < N_ALGOS; a++) {
            PlacementAlgo algo = all_algos[a];
            const char *name = placement_algo_name(algo);
            Packer *p = make(2, HOSTS, cap, used, algo);
            int refused = placement_place_batch(p, N, items, bins, NULL);
            check_packing(p, used, items, bins, N, name);
            ck_assert_int_eq(refused, placement_refused(p));
            n_refused += refused;
            /* Levels only grow in a batch, so an item refused by an
             * algorithm that looks at every bin fits no bin at the end. */
            for (int i = 0; i < N && algo != PLACEMENT_NEXT_FIT; i++) {
                for (int b = 0; b < HOSTS && bins[i] < 0; b++) {
                    const uint64_t *u = placement_bin_used(p, b);
                    gboolean fits = items[2 * i] <= cap[2 * b] - u[0] &&
                                    items[2 * i + 1] <= cap[2 * b + 1] - u[1];
                    EXPECT(!fits, "%s, instance %d: item %d refused but fits bin %d", name, inst, i,
                           b);
                }
            }
            /* The same batch again places identically; for the online
             * algorithms, so do the items offered one at a time. */
            Packer *q = make(2, HOSTS, cap, used, algo);
            if (algo == PLACEMENT_FIRST_FIT_DECREASING || algo == PLACEMENT_BEST_FIT_DECREASING)
                placement_place_batch(q, N, items, again, NULL);
            else
                for (int i = 0; i < N; i++)
                    again[i] = placement_place(q, &items[2 * i], NULL);
            check_bins(again, bins, N, name);
            placement_free(q);
            placement_free(p);
        }
    }
    ck_assert_int_gt(n_refused, 1000);
    gsl_rng_free(r);
}
END_TEST

START_TEST(random_removal_exact)
{
    enum { N = 3000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 1997);
    uint64_t cap[2 * HOSTS], used[2 * HOSTS];
    uint64_t *items = g_new(uint64_t, 2 * N);
    int *bins = g_new(int, N), *order = g_new(int, N);
    for (int a = 0; a < N_ALGOS; a++) {
        random_hosts(r, cap, used);
        for (int i = 0; i < N; i++)
            random_guest(r, &items[2 * i]);
        Packer *p = make(2, HOSTS, cap, used, all_algos[a]);
        int first;
        placement_place_batch(p, N, items, bins, &first);
        ck_assert_int_eq(first, 0);
        for (int i = 0; i < N; i++)
            order[i] = i;
        gsl_ran_shuffle(r, order, N, sizeof(int));
        for (int k = 0; k < N; k++) {
            int i = order[k], b = bins[i];
            ck_assert_int_eq(placement_item_bin(p, i), b);
            if (b < 0) {
                ck_assert(!placement_remove(p, i));
                continue;
            }
            uint64_t before[2] = {placement_bin_used(p, b)[0], placement_bin_used(p, b)[1]};
            int count = placement_bin_items(p, b);
            ck_assert(placement_remove(p, i));
            for (int d = 0; d < 2; d++)
                EXPECT(placement_bin_used(p, b)[d] == before[d] - items[2 * i + d],
                       "item %d bin %d dim %d: used %" G_GUINT64_FORMAT
                       " after removal, expected %" G_GUINT64_FORMAT,
                       i, b, d, placement_bin_used(p, b)[d], before[d] - items[2 * i + d]);
            ck_assert_int_eq(placement_bin_items(p, b), count - 1);
            ck_assert(!placement_remove(p, i));
        }
        for (int b = 0; b < HOSTS; b++)
            for (int d = 0; d < 2; d++)
                ck_assert_uint_eq(placement_bin_used(p, b)[d], used[2 * b + d]);
        ck_assert_int_eq(placement_bins_in_use(p), 0);
        placement_free(p);
    }
    g_free(items);
    g_free(bins);
    g_free(order);
    gsl_rng_free(r);
}
END_TEST

/* ---- online arrivals and departures ---- */

START_TEST(online_conservation)
{
    enum { OPS = 10000, MAXLIVE = 256 };
    PlacementAlgo algo = all_algos[_i];
    const char *name = placement_algo_name(algo);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240601 + _i);
    uint64_t cap[2 * HOSTS], used[2 * HOSTS], model[2 * HOSTS];
    random_hosts(r, cap, used);
    memcpy(model, used, sizeof used);
    Packer *p = make(2, HOSTS, cap, used, algo);
    /* The test's own record of each live guest: its id and demand. */
    struct {
        int id;
        uint64_t dem[2];
    } live[MAXLIVE];
    int n_live = 0, n_placed = 0, n_refused = 0, n_left = 0;
    uint64_t placed_total[2] = {0, 0};
    for (int op = 0; op < OPS; op++) {
        if (n_live == 0 || (n_live < MAXLIVE && gsl_rng_uniform(r) < 0.55)) {
            uint64_t dem[2];
            random_guest(r, dem);
            int id, b = placement_place(p, dem, &id);
            EXPECT(placement_item_bin(p, id) == b, "item %d in bin %d, placed in %d", id,
                   placement_item_bin(p, id), b);
            if (b >= 0) {
                live[n_live].id = id;
                memcpy(live[n_live++].dem, dem, sizeof dem);
                for (int d = 0; d < 2; d++) {
                    model[2 * b + d] += dem[d];
                    placed_total[d] += dem[d];
                }
                n_placed++;
            } else {
                n_refused++;
            }
        } else {
            int k = (int)gsl_rng_uniform_int(r, (unsigned long)n_live);
            int b = placement_item_bin(p, live[k].id);
            EXPECT(b >= 0, "live item %d in bin %d", live[k].id, b);
            EXPECT(placement_remove(p, live[k].id), "live item %d not removed", live[k].id);
            for (int d = 0; d < 2; d++) {
                model[2 * b + d] -= live[k].dem[d];
                placed_total[d] -= live[k].dem[d];
            }
            live[k] = live[--n_live];
            n_left++;
        }
        /* Per bin: initial + live demand; in total: sum of used = initial +
         * demand placed and not yet gone. */
        uint64_t sum[2] = {0, 0}, init[2] = {0, 0};
        for (int b = 0; b < HOSTS; b++) {
            for (int d = 0; d < 2; d++) {
                uint64_t u = placement_bin_used(p, b)[d];
                EXPECT(u == model[2 * b + d],
                       "%s op %d: bin %d dim %d used %" G_GUINT64_FORMAT
                       " != model %" G_GUINT64_FORMAT,
                       name, op, b, d, u, model[2 * b + d]);
                EXPECT(u <= cap[2 * b + d], "%s op %d: bin %d dim %d overfilled", name, op, b, d);
                sum[d] += u;
                init[d] += used[2 * b + d];
            }
        }
        for (int d = 0; d < 2; d++)
            EXPECT(sum[d] == init[d] + placed_total[d],
                   "%s op %d dim %d: sum used %" G_GUINT64_FORMAT " != initial %" G_GUINT64_FORMAT
                   " + live %" G_GUINT64_FORMAT,
                   name, op, d, sum[d], init[d], placed_total[d]);
    }
    ck_assert_int_eq(placement_refused(p), n_refused);
    EXPECT(n_placed > 500 && n_refused > 100 && n_left > 500,
           "%s: placed %d, refused %d, left %d: too few of each to test", name, n_placed, n_refused,
           n_left);
    for (int k = 0; k < n_live; k++)
        ck_assert(placement_remove(p, live[k].id));
    for (int b = 0; b < 2 * HOSTS; b++)
        ck_assert_uint_eq(placement_bin_used(p, b / 2)[b % 2], used[b]);
    placement_free(p);
    gsl_rng_free(r);
}
END_TEST

static Suite *placement_suite(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, algo_names_round_trip);
    tcase_add_test(tc, algo_unknown_name_lists_known);
    tcase_add_loop_test(tc, validation_errors, 0, (int)G_N_ELEMENTS(bad_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("hand");
    tcase_add_loop_test(tc, hand_1d_algorithms_differ, 0, (int)G_N_ELEMENTS(hand_1d));
    tcase_add_loop_test(tc, hand_1d_preused_bins, 0, (int)G_N_ELEMENTS(hand_preused));
    tcase_add_loop_test(tc, hand_2d_algorithms, 0, (int)G_N_ELEMENTS(hand_2d));
    tcase_add_test(tc, hand_2d_best_fit_final_state);
    tcase_add_test(tc, online_decreasing_places_like_base);
    tcase_add_test(tc, next_fit_never_reopens);
    tcase_add_test(tc, refused_item_changes_nothing);
    tcase_add_test(tc, removal_returns_demand);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_add_test(tc, exact_opt_sanity);
    tcase_add_test(tc, bounds_small_random_exact_opt);
    tcase_add_test(tc, bounds_large_random);
    suite_add_tcase(s, tc);

    tc = tcase_create("random");
    tcase_add_test(tc, random_2d_batches);
    tcase_add_test(tc, random_removal_exact);
    tcase_add_loop_test(tc, online_conservation, 0, N_ALGOS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(placement_suite());
}
