/* Pre-copy migration against the closed form and Xen's stop rules. */
#include "tests/check_main.h"
#include <check.h>
#include <math.h>

#include "models/dirty.h"
#include "models/migration.h"
#include "sim/sim.h"

typedef struct {
    Migration *m;
    int done_calls;
    SimTime done_at;
} Run;

static void on_done(Migration *m, void *data)
{
    Run *r = data;
    r->m = m;
    r->done_calls++;
}

/* Runs one migration to completion from time 0 and returns it (caller frees). */
static Migration *run_one(uint64_t pages, double rate_pages_s, double wws_pages, double link_Bps,
                          MigStopRule rule, SimTime resume, Sim **sim_out)
{
    Sim *sim = sim_new(1);
    static Run r;
    r = (Run){0};
    MigSpec spec = {
        .n_pages = pages,
        .dirty = {.rate_pages_s = rate_pages_s, .wws_pages = wws_pages},
        .link_Bps = link_Bps,
        .stop_rule = rule,
        .resume = resume,
        .done = on_done,
        .done_data = &r,
    };
    Migration *m = migration_start(sim, &spec);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(r.done_calls, 1);
    ck_assert_ptr_eq(r.m, m);
    *sim_out = sim;
    return m;
}

/* The number of the last round under the v2 rule for a constant dirty rate,
 * computed from the geometric series rather than by simulation. */
static int v2_expected_n(double pages, double lambda)
{
    for (int k = 0;; k++) {
        double dirty_after = pages * pow(lambda, k + 1);
        if (dirty_after < MIG_V2_TARGET_DIRTY || k + 1 >= MIG_V2_MAX_ITERATIONS)
            return k + 1;
    }
}

START_TEST(closed_form_v2_many_combinations)
{
    const double mem_mb[] = {256, 1024, 4096, 16384};
    const double link_gbps[] = {1, 10};
    const double lambdas[] = {0.05, 0.2, 0.5, 0.8};
    int checked = 0;
    for (size_t a = 0; a < G_N_ELEMENTS(mem_mb); a++)
        for (size_t b = 0; b < G_N_ELEMENTS(link_gbps); b++)
            for (size_t c = 0; c < G_N_ELEMENTS(lambdas); c++) {
                double pages = mem_mb[a] * 256.0;
                double r_Bps = link_gbps[b] * 1e9 / 8;
                double d_Bps = lambdas[c] * r_Bps;
                double rate_pages = d_Bps / PAGE_SIZE_BYTES;
                Sim *sim;
                Migration *m =
                    run_one((uint64_t)pages, rate_pages, 0, r_Bps, MIG_STOP_XEN_V2, 0, &sim);
                int n = (int)migration_n_rounds(m) - 1;
                ck_assert_int_eq(n, v2_expected_n(pages, lambdas[c]));
                double v = pages * PAGE_SIZE_BYTES;
                double expect = migration_closed_form_s(v, r_Bps, d_Bps, n);
                double got = sim_time_to_s(migration_total(m));
                ck_assert_msg(fabs(got - expect) <= 0.01 * expect,
                              "mem %g MB, %g Gb/s, lambda %g: total %.6f s, closed form %.6f s",
                              mem_mb[a], link_gbps[b], lambdas[c], got, expect);
                double expect_down = v / r_Bps * pow(lambdas[c], n);
                double got_down = sim_time_to_s(migration_downtime(m));
                ck_assert_msg(fabs(got_down - expect_down) <= 0.01 * expect_down + 1e-6,
                              "downtime %.6f s, expected %.6f s", got_down, expect_down);
                migration_free(m);
                sim_free(sim);
                checked++;
            }
    ck_assert_int_ge(checked, 20);
}
END_TEST

START_TEST(closed_form_legacy)
{
    /* Under the legacy rule the last live round is the first that sent
     * fewer than 50 pages (or the 29th). */
    const double lambdas[] = {0.1, 0.3, 0.6, 0.9};
    for (size_t c = 0; c < G_N_ELEMENTS(lambdas); c++) {
        double pages = 262144; /* 1 GiB */
        double r_Bps = 125e6;
        double d_Bps = lambdas[c] * r_Bps;
        Sim *sim;
        Migration *m = run_one((uint64_t)pages, d_Bps / PAGE_SIZE_BYTES, 0, r_Bps,
                               MIG_STOP_XEN_LEGACY, 0, &sim);
        int n = (int)migration_n_rounds(m) - 1;
        int expect_n = 0;
        double sent = 0;
        for (int k = 0;; k++) {
            double round = pages * pow(lambdas[c], k);
            sent += round;
            if (k + 1 >= MIG_LEGACY_MAX_ITERS || round < MIG_LEGACY_SMALL_ROUND ||
                sent > MIG_LEGACY_MAX_FACTOR * pages) {
                expect_n = k + 1;
                break;
            }
        }
        ck_assert_int_eq(n, expect_n);
        double expect = migration_closed_form_s(pages * PAGE_SIZE_BYTES, r_Bps, d_Bps, n);
        double got = sim_time_to_s(migration_total(m));
        ck_assert_msg(fabs(got - expect) <= 0.01 * expect, "lambda %g: %.6f vs %.6f", lambdas[c],
                      got, expect);
        migration_free(m);
        sim_free(sim);
    }
}
END_TEST

/* Early Xen's adaptive rate limit: round 0 at the 100 Mb/s floor; round k
 * at the previous round's dirty rate plus 50 Mb/s, within [100, 500] Mb/s. */
START_TEST(adaptive_rate_limit_paces_each_round)
{
    Sim *sim = sim_new(1);
    static Run r;
    r = (Run){0};
    const double mbps = 1e6 / 8.0;
    double pages = 65536, dirty_pages_s = 2000; /* 65.5 Mb/s of dirtying */
    MigSpec spec = {
        .n_pages = (uint64_t)pages,
        .dirty = {.rate_pages_s = dirty_pages_s},
        .link_Bps = 125e6,
        .stop_rule = MIG_STOP_XEN_LEGACY,
        .rate_limit = {.on = true,
                       .floor_Bps = 100 * mbps,
                       .increment_Bps = 50 * mbps,
                       .ceiling_Bps = 500 * mbps},
        .done = on_done,
        .done_data = &r,
    };
    Migration *m = migration_start(sim, &spec);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(r.done_calls, 1);
    const MigRound *r0 = migration_round(m, 0);
    ck_assert_double_eq_tol(sim_time_to_s(r0->duration), pages * 4096 / (100 * mbps), 1e-8);
    /* Every later round runs at dirty rate + 50 Mb/s = 115.5 Mb/s (the dirty
     * rate is constant and no round dirties the whole guest). */
    double want = dirty_pages_s * 4096 + 50 * mbps;
    for (unsigned k = 1; k < migration_n_rounds(m); k++) {
        const MigRound *rk = migration_round(m, k);
        if (rk->pages < 1)
            continue;
        double rate = rk->pages * 4096 / sim_time_to_s(rk->duration);
        ck_assert_msg(fabs(rate - want) <= 1e-6 * want, "round %u at %.1f B/s, expected %.1f", k,
                      rate, want);
    }
    migration_free(m);
    sim_free(sim);
}
END_TEST

START_TEST(dirty_rate_above_link_ends_at_cap)
{
    double pages = 262144, r_Bps = 125e6, d_Bps = 1.5 * r_Bps;
    double full = pages * PAGE_SIZE_BYTES / r_Bps;
    Sim *sim;
    /* v2: five live rounds of the whole memory, then a full stop-and-copy. */
    Migration *m = run_one((uint64_t)pages, d_Bps / PAGE_SIZE_BYTES, 0, r_Bps, MIG_STOP_XEN_V2,
                           50 * SIM_MS, &sim);
    ck_assert_uint_eq(migration_n_rounds(m), MIG_V2_MAX_ITERATIONS + 1);
    ck_assert_double_eq_tol(sim_time_to_s(migration_total(m)), 6 * full + 0.05, 1e-6);
    ck_assert_double_eq_tol(sim_time_to_s(migration_downtime(m)), full + 0.05, 1e-6);
    migration_free(m);
    sim_free(sim);
    /* legacy: the 3x-memory cap fires after the fourth full round. */
    m = run_one((uint64_t)pages, d_Bps / PAGE_SIZE_BYTES, 0, r_Bps, MIG_STOP_XEN_LEGACY, 0, &sim);
    ck_assert_uint_eq(migration_n_rounds(m), 5);
    ck_assert_double_eq_tol(sim_time_to_s(migration_total(m)), 5 * full, 1e-6);
    migration_free(m);
    sim_free(sim);
}
END_TEST

START_TEST(idle_guest_needs_one_round_plus_empty_copy)
{
    Sim *sim;
    Migration *m = run_one(1000, 0, 0, 1e9, MIG_STOP_XEN_V2, 60 * SIM_MS, &sim);
    ck_assert_uint_eq(migration_n_rounds(m), 2);
    ck_assert_double_eq_tol(migration_round(m, 1)->pages, 0.0, 1e-12);
    ck_assert_int_eq(migration_downtime(m), 60 * SIM_MS);
    ck_assert_double_eq_tol(migration_pages_sent(m), 1000.0, 1e-9);
    migration_free(m);
    sim_free(sim);
}
END_TEST

START_TEST(wws_bounds_every_round)
{
    /* With a writable working set, no round after the first can send more
     * than W pages, however high the write rate. */
    Sim *sim;
    double w = 25600; /* 100 MiB */
    Migration *m = run_one(262144, 1e6, w, 125e6, MIG_STOP_XEN_V2, 0, &sim);
    for (unsigned i = 1; i < migration_n_rounds(m); i++)
        ck_assert_double_le(migration_round(m, i)->pages, w);
    /* At 1e6 writes/s the set is saturated within one round. */
    ck_assert_double_ge(migration_round(m, 1)->pages, 0.99 * w);
    migration_free(m);
    sim_free(sim);
}
END_TEST

START_TEST(wws_formula)
{
    DirtyModel d = {.rate_pages_s = 1000, .wws_pages = 5000};
    ck_assert_double_eq_tol(dirty_distinct_pages(&d, 1.0, 1e6), 5000 * (1 - exp(-0.2)), 1e-9);
    ck_assert_double_eq_tol(dirty_distinct_pages(&d, 0.0, 1e6), 0.0, 1e-12);
    DirtyModel c = {.rate_pages_s = 1000};
    ck_assert_double_eq_tol(dirty_distinct_pages(&c, 2.0, 1e6), 2000, 1e-9);
    ck_assert_double_eq_tol(dirty_distinct_pages(&c, 2.0, 1500), 1500, 1e-9);
}
END_TEST

START_TEST(stop_rules_match_xen)
{
    /* v2: asked after each round with iterations done = round + 1. */
    ck_assert(!mig_should_stop(MIG_STOP_XEN_V2, 0, 1000, 50, 1000, 1000));
    ck_assert(mig_should_stop(MIG_STOP_XEN_V2, 0, 1000, 49, 1000, 1000));
    ck_assert(!mig_should_stop(MIG_STOP_XEN_V2, 3, 1000, 500, 4000, 1000));
    ck_assert(mig_should_stop(MIG_STOP_XEN_V2, 4, 1000, 500, 5000, 1000));
    /* legacy: the round just sent, 29 iterations, or 3x memory. */
    ck_assert(mig_should_stop(MIG_STOP_XEN_LEGACY, 2, 49, 1000, 2000, 1000));
    ck_assert(!mig_should_stop(MIG_STOP_XEN_LEGACY, 2, 50, 1000, 3000, 1000));
    ck_assert(mig_should_stop(MIG_STOP_XEN_LEGACY, 2, 50, 1000, 3001, 1000));
    ck_assert(!mig_should_stop(MIG_STOP_XEN_LEGACY, 27, 50, 1000, 100, 1000));
    ck_assert(mig_should_stop(MIG_STOP_XEN_LEGACY, 28, 50, 1000, 100, 1000));
    MigStopRule r;
    ck_assert(mig_stop_rule_parse("xen-legacy", &r) && r == MIG_STOP_XEN_LEGACY);
    ck_assert(!mig_stop_rule_parse("xen-v3", &r));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("migration");
    TCase *tc = tcase_create("precopy");
    tcase_add_test(tc, closed_form_v2_many_combinations);
    tcase_add_test(tc, closed_form_legacy);
    tcase_add_test(tc, dirty_rate_above_link_ends_at_cap);
    tcase_add_test(tc, idle_guest_needs_one_round_plus_empty_copy);
    tcase_add_test(tc, wws_bounds_every_round);
    tcase_add_test(tc, wws_formula);
    tcase_add_test(tc, stop_rules_match_xen);
    tcase_add_test(tc, adaptive_rate_limit_paces_each_round);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
