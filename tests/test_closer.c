/* closer's Algorithms 1 and 2 against hand-computed truths, and the
 * per-guest CPU accounting of a guest that lived on more than one host. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

#include "models/host.h"

/* One CPU-bound guest (1 vCPU, alone on socket 1) migrating from h0 to h1
 * at 1 s of a 10 s run, under native (dom0 on socket 0). */
static const char *migrating =
    "{\"name\": \"migbusy\", \"duration_s\": 10, \"seed\": 1, \"policy\": \"native\","
    " \"hosts\": [{\"name\": \"h0\", \"nic_Gbps\": 10}, {\"name\": \"h1\", \"nic_Gbps\": 10}],"
    " \"vms\": [{\"name\": \"vm1\", \"host\": \"h0\", \"memory_mb\": 256, \"socket\": 1,"
    "   \"workload\": {\"type\": \"memory-dirtier\", \"dirty_rate_pages_s\": 1000,"
    "   \"wws_mb\": 16}}],"
    " \"migrations\": [{\"vm\": \"vm1\", \"to\": \"h1\", \"at_s\": 1}]}";

/* The guest's vCPU has a pCPU to itself on both hosts, so it runs the whole
 * 10 s but at most the migration's downtime (when it is paused): its
 * busy_s, summed over both hosts, lies in [10 - downtime, 10], and equals
 * cpu.cores x duration.  Counting only the last host gives 10 - 1 - total
 * (8.2 s). */
START_TEST(busy_s_sums_every_host_the_guest_lived_on)
{
    Sim *sim = scenario_run(migrating, NULL);
    double busy = scenario_metric(sim, "vm1.cpu.busy_s");
    double down = scenario_metric(sim, "vm1.migration.downtime_s");
    double cores = scenario_metric(sim, "vm1.cpu.cores");
    ck_assert_double_eq(scenario_metric(sim, "vm1.migration.finished"), 1.0);
    ck_assert_msg(busy >= 10.0 - down - 1e-6 && busy <= 10.0 + 1e-9,
                  "busy %.6f s, expected in [%.6f, 10]", busy, 10.0 - down);
    ck_assert_double_eq_tol(busy, cores * 10.0, 1e-9);
    /* The dom0 work it caused (its save on h0 at least) is in its
     * dom0_work_s as in its dom0_work_cores, which sums over the hosts. */
    double work = scenario_metric(sim, "vm1.cpu.dom0_work_s");
    double src = scenario_metric(sim, "vm1.migration.dom0_cpu_source_s");
    ck_assert_msg(work >= src - 1e-9, "dom0 work %.6f s < its save's %.6f s", work, src);
    ck_assert_double_eq_tol(work, scenario_metric(sim, "vm1.cpu.dom0_work_cores") * 10.0, 1e-9);
    sim_free(sim);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("closer");
    TCase *tc = tcase_create("closer");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, busy_s_sums_every_host_the_guest_lived_on);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
