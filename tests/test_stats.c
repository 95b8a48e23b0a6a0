/* Output analysis (sim/sim_stats.h): batch means, MSER-5 and the run's own
 * confidence interval against the closed-form mean of an M/M/1 dom0 queue. */
#include <check.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdlib.h>

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

/* 100 observations 1..100, one per second: 20 stored batches of 5 (m = 5,
 * no merge).  A warm-up of 0 is given (MSER would cut a straight line, whose
 * tail varies less the shorter it is).  Batch j (0-based) holds 5j+1..5j+5,
 * mean 5j+3; the lag-1 autocorrelation of these 20 means (that of 0..19,
 * summed below) is 0.85, above SIM_BM_LAG1_MAX = 0.2, so the interval is
 * taken over 10 batches of 10 instead: means 10j + 5.5, j = 0..9, of mean
 * 50.5 and sample variance 100 * 10 * 11 / 12 (variance of 0..9 is 55/6,
 * times 10^2). */
START_TEST(batch_means_by_hand)
{
    SimBatchMeans b;
    sim_bm_init(&b, 0);
    for (int i = 1; i <= 100; i++)
        sim_bm_add(&b, i * SIM_S, i);
    SimBatchResult r;
    sim_bm_result(&b, &r);
    double lag1[2];
    for (int nb = 20, k = 0; k < 2; nb /= 2, k++) {
        double num = 0.0, den = 0.0, c = (nb - 1) / 2.0;
        for (int j = 0; j < nb; j++) {
            den += (j - c) * (j - c);
            if (j > 0)
                num += (j - c) * (j - 1 - c);
        }
        lag1[k] = num / den;
    }
    ck_assert_double_ge(lag1[0], SIM_BM_LAG1_MAX);
    ck_assert_uint_eq(r.batches, 10);
    ck_assert_uint_eq(r.used, 100);
    ck_assert_double_eq_tol(r.mean, 50.5, 1e-12);
    /* t(0.975, 9) = 2.262157163 */
    ck_assert_double_eq_tol(r.ci95, 2.262157163 * sqrt(100.0 * 10 * 11 / 12 / 10.0), 1e-6);
    ck_assert_double_eq_tol(r.lag1, lag1[1], 1e-12);
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
    ck_assert_uint_eq(r.batches, 20); /* lag-1 0: not doubled */
    ck_assert_double_eq(r.deleted_s, 50.0);
}
END_TEST

/* MSER over the n values y directly, the truncation d (0..n/2) minimising
 * SS(d) / (n - d)^2: the reference sim_bm_mser5's streaming form is checked
 * against below. */
static unsigned mser_truncation(const double *y, unsigned n)
{
    if (n < 2)
        return 0;
    /* Suffix sums of y and y^2 give each MSER(d) in O(1); the squares are
     * taken about y[n-1] to keep the cancellation small. */
    double ref = y[n - 1], s = 0.0, s2 = 0.0;
    double best = INFINITY;
    unsigned best_d = 0;
    for (unsigned d = n; d-- > 0;) {
        double v = y[d] - ref;
        s += v;
        s2 += v * v;
        if (d > n / 2)
            continue;
        double k = (double)(n - d);
        double ss = fmax(s2 - s * s / k, 0.0);
        double mser = ss / (k * k);
        if (mser <= best) {
            best = mser;
            best_d = d;
        }
    }
    return best_d;
}

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
    ck_assert_uint_eq(mser_truncation(y, 48), 7);
    /* A constant series: nothing to delete. */
    double c[30];
    for (int i = 0; i < 30; i++)
        c[i] = 4.0;
    ck_assert_uint_eq(mser_truncation(c, 30), 0);
}
END_TEST

/* MSER-5 after merges: the statistic is that of the batches of 5, taken
 * at the stored batches' boundaries.  The truth here is computed directly
 * from the 5-means Y of the series: MSER(d) = SS(d) / (N - d)^2 at every d
 * that is a multiple of m / 5 up to half the stored batches, the least (the
 * smallest d on a tie).  The series: a decaying transient plus a
 * deterministic sawtooth, 41,000 observations (m = 80, 512 stored). */
START_TEST(mser5_after_merges)
{
    enum { N = 41000 };
    static double y5[N / 5];
    SimBatchMeans b;
    sim_bm_init(&b, -1);
    for (int i = 0; i < N; i++) {
        double x = 30.0 * exp(-i / 3000.0) + (i * 7919 % 101) / 10.0;
        sim_bm_add(&b, i, x);
        y5[i / 5] += x / 5.0;
    }
    ck_assert_uint_eq(b.m, 80);
    unsigned per = b.m / 5, n5 = b.nb * per, best_d = 0;
    double best = INFINITY;
    for (unsigned d = 0; d <= b.nb / 2; d++) {
        double s = 0.0, ss = 0.0;
        for (unsigned i = d * per; i < n5; i++)
            s += y5[i];
        double mean = s / (n5 - d * per);
        for (unsigned i = d * per; i < n5; i++)
            ss += (y5[i] - mean) * (y5[i] - mean);
        double mser = ss / ((double)(n5 - d * per) * (n5 - d * per));
        if (mser < best * (1.0 - 1e-12)) {
            best = mser;
            best_d = d;
        }
    }
    ck_assert_uint_gt(best_d, 0);
    ck_assert_uint_eq(sim_bm_mser5(&b), best_d);
    /* The old statistic, MSER over the stored means of 80 (MSER-80), cuts
     * 213 batches here against MSER-5's 141. */
    double ym[SIM_BM_STORED];
    for (unsigned i = 0; i < b.nb; i++)
        ym[i] = b.sum[i] / (double)b.m;
    ck_assert_uint_eq(best_d, 141);
    ck_assert_uint_eq(mser_truncation(ym, b.nb), 213);
    /* Without a merge it is the plain MSER of the stored means. */
    SimBatchMeans c;
    sim_bm_init(&c, -1);
    double y[200];
    for (int i = 0; i < 1000; i++) {
        double x = 20.0 * exp(-i / 60.0) + (i * 31 % 17);
        sim_bm_add(&c, i, x);
        if (i % 5 == 0)
            y[i / 5] = 0.0;
        y[i / 5] += x / 5.0;
    }
    ck_assert_uint_eq(c.m, 5);
    ck_assert_uint_eq(sim_bm_mser5(&c), mser_truncation(y, 200));
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
 * max(0, D_n + S_n - A_{n+1}), A exponential of rate rho and S of rate 1,
 * E[T] = 1 / (1 - rho).  Runs from seed0 on; returns how many of them the
 * batch-means interval (MSER-5 deletion) covers E[T] in, and in *naive
 * how many the independent-observations interval (SimTally) does. */
static int lindley_coverage(double rho, int n, int runs, int seed0, int *naive)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    const double truth = 1.0 / (1.0 - rho);
    int bm_cover = 0;
    *naive = 0;
    for (int r = 0; r < runs; r++) {
        gsl_rng_set(rng, seed0 + r);
        SimBatchMeans b;
        sim_bm_init(&b, -1);
        SimTally t;
        sim_tally_init(&t);
        double d = 0.0, clock = 0.0;
        for (int i = 0; i < n; i++) {
            double s = gsl_ran_exponential(rng, 1.0);
            double a = gsl_ran_exponential(rng, 1.0 / rho);
            double sojourn = d + s;
            clock += a;
            sim_bm_add(&b, sim_time_from_s(clock), sojourn);
            sim_tally_add(&t, sojourn);
            d = fmax(0.0, d + s - a);
        }
        SimBatchResult res;
        sim_bm_result(&b, &res);
        if (fabs(res.mean - truth) <= res.ci95)
            bm_cover++;
        if (fabs(t.mean - truth) <= sim_tally_ci95(&t))
            (*naive)++;
    }
    gsl_rng_free(rng);
    return bm_cover;
}

/* rho = 0.9: 200 runs of 540,000 customers (as many as the 60 s runs
 * below); rho = 0.8 and 0.5: 100 runs of 200,000.  The batch-means interval
 * covers in 90-99% of each (docs/MODEL.md has the study over 600 runs a
 * cell); the independent-observations interval (the old *_ci95_s) covers
 * in under a third at rho = 0.9. */
START_TEST(lindley_mm1_batch_means_vs_naive)
{
    static const struct {
        double rho;
        int n, runs;
    } cells[] = {{0.9, 540000, 200}, {0.8, 200000, 100}, {0.5, 200000, 100}};
    for (size_t c = 0; c < G_N_ELEMENTS(cells); c++) {
        int runs = SANITIZED ? 10 : cells[c].runs, naive;
        int covered = lindley_coverage(cells[c].rho, cells[c].n, runs, 1000, &naive);
        fprintf(stderr,
                "Lindley M/M/1 rho %.1f, %d customers: batch means cover in %d of %d runs, the "
                "naive interval in %d\n",
                cells[c].rho, cells[c].n, covered, runs, naive);
        if (SANITIZED)
            continue;
        ck_assert_msg(covered >= 0.90 * runs && covered <= 0.99 * runs,
                      "rho %.1f: batch means cover in %d of %d", cells[c].rho, covered, runs);
        if (cells[c].rho == 0.9)
            ck_assert_msg(naive < runs / 3, "the naive interval covers in %d of %d", naive, runs);
    }
}
END_TEST

/* The acceptance study of docs/MODEL.md, "Output analysis": an M/M/1 queue
 * in dom0 -- one dom0 vCPU pinned alone on socket 0, one guest on socket 1
 * whose requests arrive as a Poisson process (rate 9000/s) and cost
 * exponential dom0 CPU (mean 100 us, mem_fraction 0 so no NUMA factor), no
 * management agent, no other work.  rho = 0.9, W = 1 / (mu - lambda) =
 * 1 ms.  The run's own 95% interval must cover W in 90-99% of independent
 * runs.  Seeds 1..100 of 60 s runs give 98; other sets of 100 give 92
 * (seeds 1000..1099) and 92 (2000..2099), 282 of 300 (94.0 +- 1.4%); 20 s
 * runs 95, 90, 96 (93.7%).  Before MSER-5 was taken on batches of 5 and
 * batches were doubled on a high lag-1 (docs/MODEL.md) the same sets gave
 * 95, 90, 94 (93.0%).  The old interval (independent observations)
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
    /* STATS_RATE=5000 measures at rho = 0.5 (docs/MODEL.md). */
    const double lambda = getenv("STATS_RATE") ? atof(getenv("STATS_RATE")) : 9000.0;
    const double mu = 1e6 / 100.0, w_true = 1.0 / (mu - lambda);
    g_autofree char *rate = g_strdup_printf("vms[0].workload.rate_per_s=%g", lambda);
    /* 100 runs natively (about 20 s); a sanitizer build runs 10 shorter
     * ones and checks only that they are M/M/1 and give an interval. */
    const int runs = SANITIZED ? 10 : 100;
    const char *duration = SANITIZED ? "duration_s=10" : "duration_s=60";
    /* Another seed set or length, to measure (docs/MODEL.md):
     * STATS_SEED0=1000 STATS_SET=duration_s=20 build/tests/test_stats */
    int seed0 = getenv("STATS_SEED0") ? atoi(getenv("STATS_SEED0")) : 1;
    if (getenv("STATS_SET"))
        duration = getenv("STATS_SET");
    int covered = 0;
    double lag1_sum = 0.0;
    for (int i = 0; i < runs; i++) {
        g_autofree char *seed = g_strdup_printf("seed=%d", seed0 + i);
        const char *sets[] = {seed, duration, rate, NULL};
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
            "mm1 rho %.2f: the run's CI covers W in %d of %d runs, mean batch lag-1 %.3f%s\n",
            lambda / mu, covered, runs, lag1_sum / runs,
            SANITIZED ? " (sanitizer build: not asserted)" : "");
    if (SANITIZED)
        return;
    ck_assert_msg(covered >= 90 && covered <= 99,
                  "the run's 95%% CI covers W = %g s in %d of %d runs; expected 90-99", w_true,
                  covered, runs);
    /* Batches long enough to be nearly independent. */
    ck_assert_double_lt(fabs(lag1_sum / runs), 0.1);
}
END_TEST

/* The web workload's latency gets the same output analysis: one web guest
 * alone with one vCPU, open Poisson arrivals at 5000/s and 100 us of CPU a
 * request (deterministic).  Its latency is the fixed network stages of
 * test_netif.c (195.522 us, the server's 100 us included) plus the wait of
 * an M/D/1 queue at the guest's vCPU, rho = 0.5: W_q = rho S / (2 (1 -
 * rho)) = 50 us, so 245.5 us at least.  The netfront's 1 us of guest CPU
 * a request (S = 101 us, rho = 0.505: 247.6 us) and dom0's short queues,
 * not derived here, add more: measured 249.9 us, so the mean is held in
 * 245.5-252.9 us (+3%), a check of the order, not of the estimator.  The truth for the
 * interval: over 20 seeds the runs' half-widths / t(0.975, b - 1) are the
 * standard error each run claims (for b, see below); they must match the spread of the 20 seed
 * means (their standard deviation), within the sampling error of a standard
 * deviation from 20 values (a factor 0.6-1.6 holds with over 99%). */
START_TEST(web_latency_batch_means)
{
    const char *js =
        "{\"name\": \"webci\", \"duration_s\": 10, \"seed\": 1, \"policy\": \"native\","
        " \"policy_params\": {\"native\": {\"vcpus\": 2, \"socket\": 0, \"pinned\": true}},"
        " \"hosts\": [{\"name\": \"h0\"}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 0,"
        "   \"vcpus\": 1, \"pin\": true, \"workload\": {\"type\": \"web\", \"rate_per_s\": 5000,"
        "   \"cpu_us\": 100}}]}";
    const int runs = SANITIZED ? 4 : 20;
    double sum = 0.0, sum2 = 0.0, se_sum = 0.0;
    for (int i = 0; i < runs; i++) {
        g_autofree char *seed = g_strdup_printf("seed=%d", 1 + i);
        const char *sets[] = {seed, NULL};
        Sim *sim = scenario_run(js, sets);
        double mean = scenario_metric(sim, "web.web.latency_steady_mean_s");
        double ci = scenario_metric(sim, "web.web.latency_steady_ci95_s");
        double lag1 = scenario_metric(sim, "web.web.latency_steady_batch_lag1");
        ck_assert(isfinite(ci) && ci > 0.0 && isfinite(lag1));
        ck_assert_double_ge(mean, 245.5e-6);
        ck_assert_double_le(mean, 1.03 * 245.5e-6);
        /* t(0.975, b - 1) is 2.05-2.09 for 20-30 batches, 2.14-2.26 for
         * 10-15: 2.1 within 8%. */
        se_sum += ci / 2.1;
        sum += mean;
        sum2 += mean * mean;
        sim_free(sim);
    }
    double sd = sqrt((sum2 - sum * sum / runs) / (runs - 1)), se = se_sum / runs;
    fprintf(stderr, "web latency: seed means' sd %.3g s, the runs' own standard error %.3g s\n", sd,
            se);
    if (SANITIZED)
        return;
    ck_assert_msg(se >= 0.6 * sd && se <= 1.6 * sd, "claimed se %g s against a spread of %g s", se,
                  sd);
}
END_TEST

/* output.warmup_s reaches the web and IOzone workloads: the data they keep
 * starts there, and without the key at MSER-5's choice. */
START_TEST(web_iozone_warmup)
{
    const char *js =
        "{\"name\": \"wu\", \"duration_s\": 4, \"seed\": 3, \"policy\": \"native\","
        " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 8}],"
        " \"vms\": [{\"name\": \"web\", \"host\": \"h0\", \"memory_mb\": 1024,"
        "   \"workload\": {\"type\": \"web\", \"rate_per_s\": 500, \"cpu_us\": 100}},"
        "  {\"name\": \"io1\", \"host\": \"h0\", \"memory_mb\": 1024, \"workload\": {\"type\":"
        "   \"iozone\", \"test\": \"random-read\", \"file_mb\": 256, \"record_kb\": 4,"
        "   \"outstanding\": 2}}]}";
    const char *sets[] = {"output.warmup_s=1", NULL};
    for (int k = 0; k < 2; k++) {
        Sim *sim = scenario_run(js, k ? sets : NULL);
        static const char *const keys[][3] = {
            {"web.web.warmup_deleted_s", "web.web.mser5_truncation_s",
             "web.web.latency_steady_ci95_s"},
            {"io1.io.warmup_deleted_s", "io1.io.mser5_truncation_s",
             "io1.io.record_latency_steady_ci95_s"}};
        for (int g = 0; g < 2; g++) {
            double from = scenario_metric(sim, keys[g][0]);
            double mser = scenario_metric(sim, keys[g][1]);
            double ci = scenario_metric(sim, keys[g][2]);
            ck_assert_msg(isfinite(ci) && ci > 0.0, "%s = %g", keys[g][2], ci);
            if (k)
                ck_assert_double_eq(from, 1.0);
            else
                ck_assert_double_eq(from, mser);
        }
        sim_free(sim);
    }
}
END_TEST

static Suite *stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("batch means");
    tcase_add_test(tc, batch_means_by_hand);
    tcase_add_test(tc, user_warmup_deletes);
    tcase_add_test(tc, mser_finds_the_transient);
    tcase_add_test(tc, mser5_after_merges);
    tcase_add_test(tc, batches_merge_bounded);
    tcase_add_test(tc, web_iozone_warmup);
    suite_add_tcase(s, tc);
    TCase *cov = tcase_create("coverage");
    tcase_set_timeout(cov, 300);
    tcase_add_test(cov, lindley_mm1_batch_means_vs_naive);
    tcase_add_test(cov, mm1_ci_covers_closed_form);
    tcase_add_test(cov, web_latency_batch_means);
    suite_add_tcase(s, cov);
    return s;
}

int main(void)
{
    return check_run_suite(stats_suite());
}
