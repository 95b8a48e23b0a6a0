/* The multi-objective view's guest measures (models/multiobj.h) against
 * hand-worked closed forms, their edge cases, and the metrics a real run
 * writes (guests.performance, guests.performance_cv, objective.waste_core_s). */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

#include "models/multiobj.h"

/* 8 of 10 requests served, 2 ms of service in a mean response of 5 ms:
 * p = 0.8 x 0.4 = 0.32. */
START_TEST(normalised_closed_form)
{
    MultiobjSample s = {.issued = 10, .completed = 8, .service_s = 0.002, .mean_s = 0.005};
    double p = -1.0;
    ck_assert(multiobj_normalised(&s, &p));
    ck_assert_double_eq_tol(p, 0.32, 1e-12);
}
END_TEST

/* Every request served without waiting: p = 1; a mean response shorter
 * than the mean service (a lucky draw) is not better than 1. */
START_TEST(normalised_ideal)
{
    MultiobjSample s = {.issued = 5, .completed = 5, .service_s = 0.003, .mean_s = 0.003};
    double p = -1.0;
    ck_assert(multiobj_normalised(&s, &p));
    ck_assert_double_eq_tol(p, 1.0, 1e-12);
}
END_TEST

/* A guest that asked for nothing has no p (and *p is left alone). */
START_TEST(normalised_zero_demand)
{
    MultiobjSample s = {0};
    double p = -1.0;
    ck_assert(!multiobj_normalised(&s, &p));
    ck_assert_double_eq(p, -1.0);
}
END_TEST

/* One that asked and got nothing scores 0. */
START_TEST(normalised_starved)
{
    MultiobjSample s = {.issued = 7};
    double p = -1.0;
    ck_assert(multiobj_normalised(&s, &p));
    ck_assert_double_eq(p, 0.0);
}
END_TEST

START_TEST(summarise_no_guests)
{
    MultiobjSummary s;
    multiobj_summarise(NULL, 0, &s);
    ck_assert_uint_eq(s.n_guests, 0);
    ck_assert_uint_eq(s.n_groups, 0);
    ck_assert_double_eq(s.performance, 0.0);
    ck_assert_double_eq(s.performance_cv, 0.0);
}
END_TEST

/* One guest: its p is the mean, and there is nothing to compare it with. */
START_TEST(summarise_one_guest)
{
    MultiobjGuest g[] = {{"h0 a", 0.42}};
    MultiobjSummary s;
    multiobj_summarise(g, 1, &s);
    ck_assert_uint_eq(s.n_guests, 1);
    ck_assert_double_eq_tol(s.performance, 0.42, 1e-12);
    ck_assert_uint_eq(s.n_groups, 0);
    ck_assert_uint_eq(s.n_grouped, 0);
    ck_assert_double_eq(s.performance_cv, 0.0);
}
END_TEST

/* Group a {0.5, 0.7, 0.6}: mean 0.6, population sd sqrt(0.02 / 3), CV
 * 0.136083; group b {0.4, 0.8}: mean 0.6, sd 0.2, CV 1/3; c {0.9} alone.
 * Mean p = 3.9 / 6 = 0.65; CV = (3 x 0.136083 + 2 x 1/3) / 5 = 0.214983.
 * The guests come interleaved: groups are by name, not by position. */
START_TEST(summarise_groups_closed_form)
{
    MultiobjGuest g[] = {{"h0 a", 0.5}, {"h0 b", 0.4}, {"h0 a", 0.7},
                         {"h0 c", 0.9}, {"h0 b", 0.8}, {"h0 a", 0.6}};
    MultiobjSummary s;
    multiobj_summarise(g, G_N_ELEMENTS(g), &s);
    ck_assert_uint_eq(s.n_guests, 6);
    ck_assert_uint_eq(s.n_groups, 2);
    ck_assert_uint_eq(s.n_grouped, 5);
    ck_assert_double_eq_tol(s.performance, 0.65, 1e-12);
    double cv_a = sqrt(0.02 / 3.0) / 0.6, cv_b = 0.2 / 0.6;
    ck_assert_double_eq_tol(s.performance_cv, (3 * cv_a + 2 * cv_b) / 5, 1e-12);
}
END_TEST

/* The same workload on two hosts is two groups of one: no comparison. */
START_TEST(summarise_hosts_apart)
{
    MultiobjGuest g[] = {{"h0 a", 0.2}, {"h1 a", 0.8}};
    MultiobjSummary s;
    multiobj_summarise(g, 2, &s);
    ck_assert_uint_eq(s.n_groups, 0);
    ck_assert_double_eq_tol(s.performance, 0.5, 1e-12);
}
END_TEST

/* Identical guests served alike: CV 0; all starved alike: CV 0, not NaN. */
START_TEST(summarise_alike)
{
    MultiobjGuest same[] = {{"h0 a", 0.7}, {"h0 a", 0.7}, {"h0 a", 0.7}};
    MultiobjGuest starved[] = {{"h0 a", 0.0}, {"h0 a", 0.0}};
    MultiobjSummary s;
    multiobj_summarise(same, 3, &s);
    ck_assert_uint_eq(s.n_groups, 1);
    ck_assert_double_eq_tol(s.performance_cv, 0.0, 1e-12);
    multiobj_summarise(starved, 2, &s);
    ck_assert_uint_eq(s.n_groups, 1);
    ck_assert_double_eq(s.performance_cv, 0.0);
}
END_TEST

/* Three identical IOzone guests and an idle one under a static dom0 with
 * room to spare: the idle guest has no p, the three form one group served
 * alike (CV within a few per cent), and the waste axis is J's waste terms. */
static const char *trio =
    "{\"name\": \"mo\", \"duration_s\": 4, \"seed\": 5, \"policy\": \"native\","
    " \"policy_params\": {\"native\": {\"vcpus\": 4, \"socket\": 0, \"pinned\": true}},"
    " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 8}],"
    " \"vms\": ["
    "  {\"name\": \"io1\", \"host\": \"h0\", \"memory_mb\": 1024, \"workload\": {\"type\":"
    "   \"iozone\", \"test\": \"random-read\", \"file_mb\": 256, \"record_kb\": 4,"
    "   \"outstanding\": 2}},"
    "  {\"name\": \"io2\", \"host\": \"h0\", \"memory_mb\": 1024, \"workload\": {\"type\":"
    "   \"iozone\", \"test\": \"random-read\", \"file_mb\": 256, \"record_kb\": 4,"
    "   \"outstanding\": 2}},"
    "  {\"name\": \"io3\", \"host\": \"h0\", \"memory_mb\": 1024, \"workload\": {\"type\":"
    "   \"iozone\", \"test\": \"random-read\", \"file_mb\": 256, \"record_kb\": 4,"
    "   \"outstanding\": 2}},"
    "  {\"name\": \"quiet\", \"host\": \"h0\", \"memory_mb\": 1024,"
    "   \"workload\": {\"type\": \"idle\"}}]}";

START_TEST(run_writes_measures)
{
    Sim *sim = scenario_run(trio, NULL);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance.count"), 3.0);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance_cv.groups"), 1.0);
    double perf = scenario_metric(sim, "guests.performance");
    ck_assert_msg(perf > 0.0 && perf <= 1.0, "performance %.6f outside (0, 1]", perf);
    double cv = scenario_metric(sim, "guests.performance_cv");
    ck_assert_msg(cv >= 0.0 && cv < 0.05, "identical guests: CV %.6f", cv);
    double cpu = scenario_metric(sim, "objective.cpu_waste_core_s");
    double mem = scenario_metric(sim, "objective.memory_waste_mib_s");
    double gib = scenario_metric(sim, "objective.memory_cores_per_gib");
    double waste = scenario_metric(sim, "objective.waste_core_s");
    ck_assert_msg(fabs(waste - (cpu + gib / 1024 * mem)) < 1e-9 * waste,
                  "waste %.9f, parts give %.9f", waste, cpu + gib / 1024 * mem);
    sim_free(sim);
}
END_TEST

/* Each guest's p recomputed from its own metrics: records served over
 * records issued (no errors here), times the disk's service per record over
 * the mean record latency; guests.performance is their mean. */
START_TEST(run_mean_of_guests)
{
    Sim *sim = scenario_run(trio, NULL);
    double sum = 0.0;
    for (int i = 1; i <= 3; i++) {
        g_autofree char *rec = g_strdup_printf("io%d.io.records", i);
        g_autofree char *err = g_strdup_printf("io%d.io.errors", i);
        g_autofree char *disk = g_strdup_printf("io%d.blk.disk_io_s", i);
        g_autofree char *lat = g_strdup_printf("io%d.io.record_latency_mean_s", i);
        double n = scenario_metric(sim, rec);
        ck_assert_msg(n > 50, "io%d completed only %.0f records", i, n);
        ck_assert_double_eq(scenario_metric(sim, err), 0.0);
        sum += MIN(1.0, scenario_metric(sim, disk) / n / scenario_metric(sim, lat));
    }
    double perf = scenario_metric(sim, "guests.performance");
    ck_assert_msg(fabs(perf - sum / 3) < 1e-9, "performance %.12f, guests give %.12f", perf,
                  sum / 3);
    sim_free(sim);
}
END_TEST

/* One guest with fewer records in flight runs a different workload: the
 * other two still form one group, and all three have a p. */
START_TEST(run_groups_by_spec)
{
    const char *sets[] = {"vms[2].workload.outstanding=1", NULL};
    Sim *sim = scenario_run(trio, sets);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance_cv.groups"), 1.0);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance_cv.guests"), 2.0);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance.count"), 3.0);
    sim_free(sim);
}
END_TEST

/* A guest destroyed before the end has no host then; it still has a p and
 * is still compared with the guests it was placed beside. */
START_TEST(run_destroyed_guest)
{
    const char *sets[] = {"vms[0].destroy_at_s=2", NULL};
    Sim *sim = scenario_run(trio, sets);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance.count"), 3.0);
    ck_assert_double_eq(scenario_metric(sim, "guests.performance_cv.guests"), 3.0);
    sim_free(sim);
}
END_TEST

static Suite *multiobj_suite(void)
{
    Suite *s = suite_create("multiobj");
    TCase *tc = tcase_create("closed forms");
    tcase_add_test(tc, normalised_closed_form);
    tcase_add_test(tc, normalised_ideal);
    tcase_add_test(tc, normalised_zero_demand);
    tcase_add_test(tc, normalised_starved);
    tcase_add_test(tc, summarise_no_guests);
    tcase_add_test(tc, summarise_one_guest);
    tcase_add_test(tc, summarise_groups_closed_form);
    tcase_add_test(tc, summarise_hosts_apart);
    tcase_add_test(tc, summarise_alike);
    suite_add_tcase(s, tc);
    TCase *run = tcase_create("run");
    tcase_add_test(run, run_writes_measures);
    tcase_add_test(run, run_mean_of_guests);
    tcase_add_test(run, run_groups_by_spec);
    tcase_add_test(run, run_destroyed_guest);
    suite_add_tcase(s, run);
    return s;
}

int main(void)
{
    return check_run_suite(multiobj_suite());
}
