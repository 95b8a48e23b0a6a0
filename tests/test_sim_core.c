/* The simulation context: event order through sim_at, cancellation from
 * callbacks, random streams, statistics and atomic result files. */
#include "tests/check_main.h"
#include <check.h>
#include <glib/gstdio.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

#include "sim/sim.h"
#include "sim/sim_output.h"
#include "sim/sim_rng.h"
#include "sim/sim_stats.h"

typedef struct {
    GArray *log; /* int: the tag of each event in the order it ran */
    SimEventId victim;
    bool cancelled_ok;
} Trace;

typedef struct {
    Trace *trace;
    int tag;
} Tagged;

static void log_event(Sim *sim, void *data)
{
    (void)sim;
    Tagged *t = data;
    g_array_append_val(t->trace->log, t->tag);
}

START_TEST(events_run_by_time_then_fifo)
{
    g_autoptr(Sim) sim = sim_new(1);
    Trace tr = {.log = g_array_new(FALSE, FALSE, sizeof(int))};
    /* Tags encode the expected order: times 30,10,20,10,10 pushed in this
     * order must run as 10(b),10(d),10(e),20(c),30(a). */
    Tagged ev[] = {{&tr, 4}, {&tr, 0}, {&tr, 3}, {&tr, 1}, {&tr, 2}};
    SimTime times[] = {30, 10, 20, 10, 10};
    for (int i = 0; i < 5; i++)
        ck_assert_uint_ne(sim_at(sim, times[i], log_event, &ev[i]), SIM_EVENT_NONE);
    ck_assert_uint_eq(sim_run(sim, SIM_TIME_MAX), 5);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(g_array_index(tr.log, int, i), i);
    ck_assert_int_eq(sim_now(sim), 30);
    g_array_free(tr.log, TRUE);
}
END_TEST

static void cancel_victim(Sim *sim, void *data)
{
    Tagged *t = data;
    g_array_append_val(t->trace->log, t->tag);
    t->trace->cancelled_ok = sim_cancel(sim, t->trace->victim);
}

START_TEST(cancel_from_inside_a_callback)
{
    g_autoptr(Sim) sim = sim_new(1);
    Trace tr = {.log = g_array_new(FALSE, FALSE, sizeof(int))};
    Tagged killer = {&tr, 1}, victim = {&tr, 2}, after = {&tr, 3};
    sim_at(sim, 5, cancel_victim, &killer);
    /* Same time as the killer but scheduled later: still pending when the
     * killer runs, so the cancel must take effect. */
    tr.victim = sim_at(sim, 5, log_event, &victim);
    sim_at(sim, 6, log_event, &after);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert(tr.cancelled_ok);
    ck_assert_uint_eq(tr.log->len, 2);
    ck_assert_int_eq(g_array_index(tr.log, int, 0), 1);
    ck_assert_int_eq(g_array_index(tr.log, int, 1), 3);
    ck_assert(!sim_cancel(sim, tr.victim));
    g_array_free(tr.log, TRUE);
}
END_TEST

static void schedule_in_past(Sim *sim, void *data)
{
    SimEventId *out = data;
    *out = sim_at(sim, sim_now(sim) - 1, log_event, NULL);
}

START_TEST(past_events_are_refused_and_counted)
{
    g_autoptr(Sim) sim = sim_new(1);
    SimEventId id = 99;
    sim_at(sim, 100, schedule_in_past, &id);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(id, SIM_EVENT_NONE);
    double refused = 0;
    ck_assert(sim_metric_get(sim, "sim.past_events_refused", &refused));
    ck_assert_double_eq(refused, 1.0);
}
END_TEST

START_TEST(run_stops_at_horizon_and_resumes)
{
    g_autoptr(Sim) sim = sim_new(1);
    Trace tr = {.log = g_array_new(FALSE, FALSE, sizeof(int))};
    Tagged a = {&tr, 1}, b = {&tr, 2};
    sim_at(sim, 10, log_event, &a);
    sim_at(sim, 50, log_event, &b);
    ck_assert_uint_eq(sim_run(sim, 20), 1);
    ck_assert_int_eq(sim_now(sim), 20);
    ck_assert_uint_eq(sim_run(sim, 100), 1);
    ck_assert_int_eq(sim_now(sim), 100);
    ck_assert_uint_eq(sim_events_processed(sim), 2);
    g_array_free(tr.log, TRUE);
}
END_TEST

START_TEST(rng_streams_reproducible_and_by_name)
{
    g_autoptr(SimRngSet) a = sim_rng_set_new(7);
    g_autoptr(SimRngSet) b = sim_rng_set_new(7);
    /* b creates an extra stream first: "vm1" must not notice. */
    gsl_rng_get(sim_rng_stream(b, "some.other.component"));
    gsl_rng *ra = sim_rng_stream(a, "vm1");
    gsl_rng *rb = sim_rng_stream(b, "vm1");
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_eq(gsl_rng_get(ra), gsl_rng_get(rb));
    g_autoptr(SimRngSet) c = sim_rng_set_new(8);
    ck_assert_uint_ne(sim_rng_derive_seed(7, "vm1"), sim_rng_derive_seed(8, "vm1"));
    ck_assert_uint_ne(sim_rng_derive_seed(7, "vm1"), sim_rng_derive_seed(7, "vm2"));
    gsl_rng *rc = sim_rng_stream(c, "vm1");
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += gsl_rng_get(ra) == gsl_rng_get(rc);
    ck_assert_int_le(same, 2);
}
END_TEST

START_TEST(rng_streams_independent)
{
    /* Streams of neighbouring names must be uncorrelated: |r| of 10^5 pairs
     * of uniforms has standard deviation about 0.003. */
    g_autoptr(SimRngSet) s = sim_rng_set_new(1);
    enum { N = 100000 };
    double *x = g_new(double, N), *y = g_new(double, N);
    gsl_rng *ra = sim_rng_stream(s, "vm1"), *rb = sim_rng_stream(s, "vm2");
    for (int i = 0; i < N; i++) {
        x[i] = gsl_rng_uniform(ra);
        y[i] = gsl_rng_uniform(rb);
    }
    double r = gsl_stats_correlation(x, 1, y, 1, N);
    ck_assert_msg(fabs(r) < 0.015, "correlation %g", r);
    /* And each is uniform: mean 1/2 within 5 sigma. */
    double m = gsl_stats_mean(x, 1, N);
    ck_assert_msg(fabs(m - 0.5) < 5 * sqrt(1.0 / 12 / N), "mean %g", m);
    g_free(x);
    g_free(y);
}
END_TEST

START_TEST(time_average_matches_hand_computation)
{
    SimTimeAvg a;
    sim_tavg_init(&a, 0, 0.0);
    sim_tavg_set(&a, 1 * SIM_S, 2.0); /* 0 for 1 s */
    sim_tavg_set(&a, 3 * SIM_S, 1.0); /* 2 for 2 s */
    /* 1 for 1 s up to t = 4 s: integral 0 + 4 + 1 = 5 over 4 s. */
    ck_assert_double_eq_tol(sim_tavg_mean(&a, 4 * SIM_S), 1.25, 1e-12);
    ck_assert_double_eq_tol(sim_tavg_integral_s(&a, 4 * SIM_S), 5.0, 1e-12);
    ck_assert_double_eq(a.max, 2.0);
    ck_assert_double_eq(a.min, 0.0);
    sim_tavg_add(&a, 4 * SIM_S, 3.0);
    ck_assert_double_eq(a.value, 4.0);
}
END_TEST

START_TEST(tally_mean_variance_ci)
{
    SimTally t;
    sim_tally_init(&t);
    const double xs[] = {2, 4, 4, 4, 5, 5, 7, 9};
    for (size_t i = 0; i < G_N_ELEMENTS(xs); i++)
        sim_tally_add(&t, xs[i]);
    ck_assert_double_eq_tol(t.mean, 5.0, 1e-12);
    ck_assert_double_eq_tol(sim_tally_var(&t), 32.0 / 7.0, 1e-12);
    /* t(0.975, 7) = 2.364624 */
    ck_assert_double_eq_tol(sim_tally_ci95(&t), 2.364624 * sqrt(32.0 / 7.0 / 8.0), 1e-5);
}
END_TEST

static int count_entries(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    while (g_dir_read_name(d))
        n++;
    g_dir_close(d);
    return n;
}

START_TEST(atomic_files_appear_only_when_complete)
{
    g_autofree char *dir = g_dir_make_tmp("dom0sim-test-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "summary.json", NULL);
    SimAtomicFile *f = sim_atomic_open(path, NULL);
    ck_assert_ptr_nonnull(f);
    fputs("{\"half\":", sim_atomic_stream(f));
    ck_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
    sim_atomic_abort(f);
    ck_assert_int_eq(count_entries(dir), 0);

    ck_assert(sim_write_file_atomic(path, "old\n", 4, NULL));
    f = sim_atomic_open(path, NULL);
    fputs("new\n", sim_atomic_stream(f));
    g_autofree char *mid = NULL;
    g_file_get_contents(path, &mid, NULL, NULL);
    ck_assert_str_eq(mid, "old\n");
    ck_assert(sim_atomic_commit(f, NULL));
    g_autofree char *after = NULL;
    g_file_get_contents(path, &after, NULL, NULL);
    ck_assert_str_eq(after, "new\n");
    ck_assert_int_eq(count_entries(dir), 1);

    GError *err = NULL;
    ck_assert(!sim_write_file_atomic("/nonexistent-dir/x.json", "x", 1, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "/nonexistent-dir/x.json"));
    g_error_free(err);
    g_unlink(path);
    g_rmdir(dir);
}
END_TEST

START_TEST(metrics_sorted_and_accumulated)
{
    g_autoptr(Sim) sim = sim_new(1);
    sim_metric_set(sim, "vm2.x", 1);
    sim_metric_setf(sim, 2, "%s.%s", "vm1", "y");
    sim_metric_add(sim, "vm1.y", 3);
    sim_metric_add(sim, "a.z", 4);
    g_autoptr(GPtrArray) names = sim_metric_names(sim);
    ck_assert_uint_eq(names->len, 3);
    ck_assert_str_eq(names->pdata[0], "a.z");
    ck_assert_str_eq(names->pdata[1], "vm1.y");
    ck_assert_str_eq(names->pdata[2], "vm2.x");
    double v;
    ck_assert(sim_metric_get(sim, "vm1.y", &v));
    ck_assert_double_eq(v, 5.0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim_core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, events_run_by_time_then_fifo);
    tcase_add_test(tc, cancel_from_inside_a_callback);
    tcase_add_test(tc, past_events_are_refused_and_counted);
    tcase_add_test(tc, run_stops_at_horizon_and_resumes);
    tcase_add_test(tc, rng_streams_reproducible_and_by_name);
    tcase_add_test(tc, rng_streams_independent);
    tcase_add_test(tc, time_average_matches_hand_computation);
    tcase_add_test(tc, tally_mean_variance_ci);
    tcase_add_test(tc, atomic_files_appear_only_when_complete);
    tcase_add_test(tc, metrics_sorted_and_accumulated);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
