/* The objective J at event level (models/objective.h) on scenario text run
 * through the same path as the CLI: its parts under a static dom0 against
 * closed forms, the oracle's exact sizing, and its two passes. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

/* One dom0 vCPU alone on pCPU 0 serving one guest's Poisson requests of
 * exponential service, without memory stalls: an M/M/1 queue of load
 * rho = 500/s x 1 ms = 0.5 for 400 s. */
static const char *mm1 =
    "{\"name\": \"obj\", \"duration_s\": 400, \"seed\": 3,"
    " \"policy_params\": {\"native\": {\"vcpus\": 1, \"socket\": 0, \"pinned\": true}},"
    " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 4}],"
    " \"vms\": [{\"name\": \"vm1\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1,"
    "   \"pin\": true, \"workload\": {\"type\": \"io-synthetic\", \"rate_per_s\": 500,"
    "   \"service_us\": 1000, \"mem_fraction\": 0}}]}";

static Sim *run_policy(const char *policy)
{
    return scenario_run_policy(mm1, policy);
}

/* native: the vCPU reserved for 400 s less the work it did is waste (no
 * memory stalls: busy time is reference work); memory waste is what dom0
 * has beyond its base and one guest's back ends, all the time; the delay
 * is the M/M/1 wait rho S / (1 - rho) = 1 ms for each of about 200,000
 * requests, about 200 core-s. */
START_TEST(static_dom0_closed_form)
{
    Sim *sim = run_policy("native");
    double busy = scenario_metric(sim, "h0.dom0.main.cpu_s");
    double waste = scenario_metric(sim, "objective.cpu_waste_core_s");
    ck_assert_msg(fabs(waste - (400 - busy)) < 1e-6, "waste %.9f, expected 400 - %.9f", waste,
                  busy);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_shortfall_core_s"), 0.0, 1e-9);
    double alloc = scenario_metric(sim, "h0.dom0.memory_allocated_mb");
    double used = scenario_metric(sim, "h0.dom0.memory_used_mb");
    double mem_waste = scenario_metric(sim, "objective.memory_waste_mib_s");
    ck_assert_msg(fabs(mem_waste - (alloc - used) * 400) < 1e-3, "memory waste %.3f, expected %.3f",
                  mem_waste, (alloc - used) * 400);
    double n = scenario_metric(sim, "vm1.io.completed");
    double delay = scenario_metric(sim, "objective.delay_core_s");
    ck_assert_msg(fabs(delay - n * 0.001) <= 0.08 * n * 0.001,
                  "delay %.3f core-s, M/M/1 gives %.3f for %.0f requests", delay, n * 0.001, n);
    double j = scenario_metric(sim, "objective.J");
    double want = waste + 13.2 * delay + 0.134 / 1024 * mem_waste;
    ck_assert_msg(fabs(j - want) < 1e-6 * want, "J %.6f, parts give %.6f", j, want);
    sim_free(sim);
}
END_TEST

/* The oracle on the same load: its reservation in every window is what it
 * used, memory what it needs, the work runs on an idle dom0 vCPU beside the
 * guest's memory: no waste, no shortfall, and requests wait only for the
 * pCPU they share with the guest. */
START_TEST(oracle_exact)
{
    Sim *sim = run_policy("oracle");
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_waste_core_s"), 0.0, 1e-9);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_shortfall_core_s"), 0.0, 1e-9);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.memory_waste_mib_s"), 0.0, 1e-9);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.memory_shortfall_mib_s"), 0.0, 1e-9);
    double served = scenario_metric(sim, "vm1.io.completed");
    ck_assert_double_ge(served, 1.9e5);
    double delay = scenario_metric(sim, "objective.delay_core_s");
    ck_assert_msg(delay < 0.01 * served * 0.001, "oracle delay %.3f core-s", delay);
    Sim *native = run_policy("native");
    double jo = scenario_metric(sim, "objective.J");
    double jn = scenario_metric(native, "objective.J");
    ck_assert_msg(jo < jn, "oracle J %.3f not below native's %.3f", jo, jn);
    sim_free(native);
    sim_free(sim);
}
END_TEST

/* The oracle's two passes: the first records dom0's need in each of the
 * 400 one-second windows; the second, sized window by window from that
 * record, uses exactly what was planned (same scenario, same seed), so its
 * waste and shortfall are 0 and every window was planned.  A plan recorded
 * under another seed is not exact: the same run then shows both. */
START_TEST(oracle_two_passes)
{
    const char *oracle[] = {"policy=\"oracle\"", NULL};
    WorldPlan *plan = NULL;
    sim_free(scenario_run_planned(mm1, oracle, NULL, &plan));
    WorldPlan *again = NULL;
    Sim *sim = scenario_run_planned(mm1, oracle, plan, &again);
    ck_assert_double_eq(scenario_metric(sim, "h0.dom0.offline_planned_windows"), 400);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_waste_core_s"), 0.0, 1e-9);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_shortfall_core_s"), 0.0, 1e-9);
    sim_free(sim);

    const char *other_seed[] = {"policy=\"oracle\"", "seed=4", NULL};
    WorldPlan *foreign = NULL;
    sim_free(scenario_run_planned(mm1, other_seed, NULL, &foreign));
    sim = scenario_run_planned(mm1, oracle, foreign, NULL);
    double waste = scenario_metric(sim, "objective.cpu_waste_core_s");
    double shortfall = scenario_metric(sim, "objective.cpu_shortfall_core_s");
    ck_assert_msg(waste > 1 && shortfall > 1,
                  "a plan from seed 4 on seed 3: waste %.3f and shortfall %.3f core-s", waste,
                  shortfall);
    sim_free(sim);
    world_plan_free(again);
}
END_TEST

static Suite *objective_suite(void)
{
    Suite *s = suite_create("objective");
    TCase *tc = tcase_create("objective");
    tcase_add_test(tc, static_dom0_closed_form);
    tcase_add_test(tc, oracle_exact);
    tcase_add_test(tc, oracle_two_passes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(objective_suite());
}
