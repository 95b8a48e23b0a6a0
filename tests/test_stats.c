/* Output analysis (sim/sim_stats.h): batch means, MSER-5 and the run's own
 * confidence interval against the closed-form mean of an M/M/1 dom0 queue. */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <math.h>

#include "check_main.h"
#include "scenario_run.h"
#include "sim/sim_stats.h"

/* Sanitizer builds run the coverage study shrunk (see below). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* 100 observations 1..100, one per second: 20 batches of 5 (m = 5, no
 * merge).  A warm-up of 0 is given (MSER would cut a straight line, whose
 * tail varies less the shorter it is).  Batch j (0-based) holds 5j+1..5j+5, mean 5j+3; the
 * 20 means 3, 8, ..., 98 have mean 50.5 and sample variance
 * 25 * 20 * 21 / 12 = 875 (variance of 0..19 is 35, times 5^2). */
START_TEST(batch_means_by_hand)
{
    SimBatchMeans b;
    sim_bm_init(&b, 0);
    for (int i = 1; i <= 100; i++)
        sim_bm_add(&b, i * SIM_S, i);
    SimBatchResult r;
    sim_bm_result(&b, &r);
    ck_assert_uint_eq(r.batches, 20);
    ck_assert_uint_eq(r.used, 100);
    ck_assert_double_eq_tol(r.mean, 50.5, 1e-12);
    /* t(0.975, 19) = 2.093024054 */
    ck_assert_double_eq_tol(r.ci95, 2.093024054 * sqrt(875.0 / 20.0), 1e-6);
    /* Lag-1 of the means 5j + 3, j = 0..19: the definition, summed here. */
    double num = 0.0, den = 0.0;
    for (int j = 0; j < 20; j++) {
        den += (j - 9.5) * (j - 9.5);
        if (j > 0)
            num += (j - 9.5) * (j - 1 - 9.5);
    }
    ck_assert_double_eq_tol(r.lag1, num / den, 1e-12);
    ck_assert_double_eq(r.deleted_s, 0.0);
    /* Three more, a batch not yet full: in the mean (1..103: 52), not in
     * the interval. */
    for (int i = 101; i <= 103; i++)
        sim_bm_add(&b, i * SIM_S, i);
    double ci = r.ci95;
    sim_bm_result(&b, &r);
    ck_assert_uint_eq(r.used, 103);
    ck_assert_double_eq_tol(r.mean, 52.0, 1e-12);
    ck_assert_double_eq_tol(r.ci95, ci, 1e-12);
}
END_TEST

/* With the user's warm-up, earlier observations never enter. */
START_TEST(user_warmup_deletes)
{
    SimBatchMeans b;
    sim_bm_init(&b, 50 * SIM_S);
    for (int i = 0; i < 150; i++)
        sim_bm_add(&b, i * SIM_S, i < 50 ? 1000.0 : 2.0);
    SimBatchResult r;
    sim_bm_result(&b, &r);
    ck_assert_uint_eq(b.deleted, 50);
    ck_assert_double_eq_tol(r.mean, 2.0, 1e-12);
    ck_assert_double_eq(r.ci95, 0.0);
    ck_assert_double_eq(r.deleted_s, 50.0);
}
END_TEST

/* MSER on 48 batch means: a transient 50, 49, ..., 44, then -1, +1, ...
 * alternating from y[7] = +1.  With d = 7 the tail is 41 values of mean
 * 1/41 and sum of squares 41 - 1/41, so MSER(7) = (41 - 1/41) / 41^2 =
 * 0.024376; MSER(8) = 40 / 40^2 = 0.025 (tail mean 0), and further d only
 * grow (about 1 / (48 - d)); d < 7 keeps a value >= 44 and is far worse
 * (MSER(6) = 1.093). */
START_TEST(mser_finds_the_transient)
{
    double y[48];
    for (int i = 0; i < 48; i++)
        y[i] = i < 7 ? 50.0 - i : (i % 2 ? 1.0 : -1.0);
    ck_assert_uint_eq(sim_mser_truncation(y, 48), 7);
    /* A constant series: nothing to delete. */
    double c[30];
    for (int i = 0; i < 30; i++)
        c[i] = 4.0;
    ck_assert_uint_eq(sim_mser_truncation(c, 30), 0);
}
END_TEST

/* Memory stays bounded: a million observations in at most SIM_BM_STORED
 * batches of 5 * 2^k, with no observation lost from the sums. */
START_TEST(batches_merge_bounded)
{
    SimBatchMeans b;
    sim_bm_init(&b, 0);
    double total = 0.0;
    for (int i = 0; i < 1000000; i++) {
        double x = (i % 7) * 0.5;
        total += x;
        sim_bm_add(&b, i, x);
    }
    ck_assert_uint_le(b.nb, SIM_BM_STORED);
    ck_assert_uint_ge(b.nb, SIM_BM_STORED / 2);
    uint64_t m = b.m;
    while (m % 2 == 0)
        m /= 2;
    ck_assert_uint_eq(m, SIM_BM_MIN_BATCH);
    double s = b.cur_sum;
    for (unsigned i = 0; i < b.nb; i++)
        s += b.sum[i];
    ck_assert_double_eq_tol(s, total, 1e-9 * total);
    ck_assert_uint_eq(b.nb * b.m + b.cur_n, 1000000);
}
END_TEST

/* The estimator alone on an M/M/1 queue by Lindley's recursion (no
 * simulator): the sojourn of customer n is T_n = D_n + S_n, D_{n+1} =
 * max(0, D_n + S_n - A_{n+1}), A exponential of rate 0.9 and S of rate 1
 * (rho = 0.9, E[T] = 1 / (1 - 0.9) = 10).  Over 200 runs of 540,000
 * customers (as many as the 60 s runs below) the batch-means interval
 * covers 10 in 90-99% of them (measured: 187 with MSER-5, 190 without a
 * deletion; with 200,000 customers 171 and 183: MSER-5's choice of the
 * least variable tail costs some coverage on a queue that needs no
 * deletion, and short runs under-cover); the independent-observations
 * interval (SimTally, the old *_ci95_s) covers in under a third. */
START_TEST(lindley_mm1_batch_means_vs_naive)
{
    const int runs = SANITIZED ? 20 : 200, n = 540000;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    int bm_cover = 0, naive_cover = 0;
    for (int r = 0; r < runs; r++) {
        gsl_rng_set(rng, 1000 + r);
        SimBatchMeans b;
        sim_bm_init(&b, -1);
        SimTally t;
        sim_tally_init(&t);
        double d = 0.0, clock = 0.0;
        for (int i = 0; i < n; i++) {
            double s = gsl_ran_exponential(rng, 1.0);
            double a = gsl_ran_exponential(rng, 1.0 / 0.9);
            double sojourn = d + s;
            clock += a;
            sim_bm_add(&b, sim_time_from_s(clock), sojourn);
            sim_tally_add(&t, sojourn);
            d = fmax(0.0, d + s - a);
        }
        SimBatchResult res;
        sim_bm_result(&b, &res);
        if (fabs(res.mean - 10.0) <= res.ci95)
            bm_cover++;
        if (fabs(t.mean - 10.0) <= sim_tally_ci95(&t))
            naive_cover++;
    }
    gsl_rng_free(rng);
    fprintf(stderr,
            "Lindley M/M/1 rho 0.9: batch means cover in %d of %d runs, the naive interval in %d\n",
            bm_cover, runs, naive_cover);
    if (SANITIZED)
        return;
    ck_assert_msg(bm_cover >= 180 && bm_cover <= 198, "batch means cover in %d of %d", bm_cover,
                  runs);
    ck_assert_msg(naive_cover < runs / 3, "the naive interval covers in %d of %d", naive_cover,
                  runs);
}
END_TEST

/* The acceptance study of docs/MODEL.md, "Output analysis": an M/M/1 queue
 * in dom0 -- one dom0 vCPU pinned alone on socket 0, one guest on socket 1
 * whose requests arrive as a Poisson process (rate 9000/s) and cost
 * exponential dom0 CPU (mean 100 us, mem_fraction 0 so no NUMA factor), no
 * management agent, no other work.  rho = 0.9, W = 1 / (mu - lambda) =
 * 1 ms.  The run's own 95% interval must cover W in 90-99% of independent
 * runs.  Seeds 1..100 of 60 s runs give 95; other sets of 100 gave 90
 * (seeds 1000..1099) and 94 (2000..2099), i.e. about 93% over 300 runs,
 * the slight under-coverage batch means are known for at rho = 0.9 (Law
 * and Kelton, 9.5.3).  The old interval (independent observations)
 * covered W in 5 of 100 runs (seeds 1000..1099): +-2 us against a
 * spread of seed means of +-20 us. */
static const char mm1_09[] =
    "{\"name\": \"mm1\", \"duration_s\": 60, \"seed\": 1,"
    " \"policy\": \"native\","
    " \"policy_params\": {\"native\": {\"vcpus\": 1, \"socket\": 0, \"pinned\": true}},"
    " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 4}],"
    " \"vms\": [{\"name\": \"vm1\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1,"
    "   \"pin\": true, \"workload\": {\"type\": \"io-synthetic\", \"rate_per_s\": 9000,"
    "   \"service_us\": 100, \"mem_fraction\": 0}}]}";

START_TEST(mm1_ci_covers_closed_form)
{
    const double lambda = 9000.0, mu = 1e6 / 100.0, w_true = 1.0 / (mu - lambda);
    /* 100 runs natively (about 20 s); a sanitizer build runs 10 shorter
     * ones and checks only that they are M/M/1 and give an interval. */
    const int runs = SANITIZED ? 10 : 100;
    const char *duration = SANITIZED ? "duration_s=10" : "duration_s=60";
    int covered = 0;
    double lag1_sum = 0.0;
    for (int i = 0; i < runs; i++) {
        g_autofree char *seed = g_strdup_printf("seed=%d", 1 + i);
        const char *sets[] = {seed, duration, NULL};
        Sim *sim = scenario_run(mm1_09, sets);
        /* It is M/M/1: dom0 does nothing but the guest's requests, at the
         * requested mean CPU each, and is busy rho of the time. */
        double t3 = scenario_metric(sim, "h0.dom0.cpu_s.T3");
        double done = scenario_metric(sim, "vm1.io.completed");
        ck_assert_double_eq(scenario_metric(sim, "h0.dom0.cpu_s.T0"), 0.0);
        ck_assert_double_eq(scenario_metric(sim, "h0.dom0.cpu_s.T1"), 0.0);
        ck_assert_double_eq(scenario_metric(sim, "h0.dom0.cpu_s.T2"), 0.0);
        ck_assert_double_eq_tol(scenario_metric(sim, "h0.dom0.main.cpu_s"), t3, 1e-3 * t3);
        ck_assert_double_eq_tol(t3 / done, 1.0 / mu, 0.03 / mu);
        double mean = scenario_metric(sim, "vm1.io.response_mean_s");
        double ci = scenario_metric(sim, "vm1.io.response_ci95_s");
        ck_assert(isfinite(ci) && ci > 0.0);
        if (fabs(mean - w_true) <= ci)
            covered++;
        lag1_sum += scenario_metric(sim, "vm1.io.response_batch_lag1");
        sim_free(sim);
    }
    fprintf(stderr,
            "mm1 rho 0.9: the run's CI covers W in %d of %d runs, mean batch lag-1 %.3f%s\n",
            covered, runs, lag1_sum / runs, SANITIZED ? " (sanitizer build: not asserted)" : "");
    if (SANITIZED)
        return;
    ck_assert_msg(covered >= 90 && covered <= 99,
                  "the run's 95%% CI covers W = %g s in %d of %d runs; expected 90-99", w_true,
                  covered, runs);
    /* Batches long enough to be nearly independent. */
    ck_assert_double_lt(fabs(lag1_sum / runs), 0.1);
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("batch means");
    tcase_add_test(tc, batch_means_by_hand);
    tcase_add_test(tc, user_warmup_deletes);
    tcase_add_test(tc, mser_finds_the_transient);
    tcase_add_test(tc, batches_merge_bounded);
    suite_add_tcase(s, tc);
    TCase *cov = tcase_create("coverage");
    tcase_set_timeout(cov, 300);
    tcase_add_test(cov, lindley_mm1_batch_means_vs_naive);
    tcase_add_test(cov, mm1_ci_covers_closed_form);
    suite_add_tcase(s, cov);
    return s;
}

int main(void)
{
    return check_run_suite(stats_suite());
}
