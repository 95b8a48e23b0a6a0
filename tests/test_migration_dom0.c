/* Live migration through dom0 and the NICs (models/migxfer.c), on scenario
 * text run through the CLI's path: the closed form when dom0 is idle, the
 * cost of a loaded dom0 under native and its absence under closer, and
 * NUMA placement of the dom0 work. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

#include "models/device.h"
#include "models/migration.h"

/* Payload rate of a 1 Gb/s NIC for 4 MiB batches cut into 1500-byte frames
 * (38 bytes of framing each): what the closed form's R is on this wire. */
static double payload_Bps(double gbps)
{
    NicParams p = {.rate_bps = gbps * 1e9, .mtu = 0};
    return nic_max_goodput_bps(&p, (uint64_t)MIG_BATCH_PAGES * 4096) / 8.0;
}

static char *two_hosts(const char *policy, double gbps, const char *guest, const char *extra_vms,
                       const char *policy_params, double at_s)
{
    return g_strdup_printf(
        "{\"name\": \"mig\", \"duration_s\": 600, \"seed\": 5, \"policy\": \"%s\",%s"
        " \"hosts\": [{\"name\": \"a\", \"nic_Gbps\": %g, \"disk\": {\"preset\": \"nvme\"}},"
        "             {\"name\": \"b\", \"nic_Gbps\": %g}],"
        " \"vms\": [%s%s],"
        " \"migrations\": [{\"vm\": \"g\", \"to\": \"b\", \"at_s\": %g}]}",
        policy, policy_params, gbps, gbps, guest, extra_vms, at_s);
}

/* An idle dom0 (native, socket 0), a guest dirtying D pages/s pinned alone
 * on socket 1: rounds follow the geometric series,
 * T = (V/R)(1 - λ^(n+1))/(1 - λ), λ = D/R, n the last round the stop rule
 * chose, R the NIC's payload rate, and the downtime is the last round,
 * V λ^n / R, plus the 60 ms resume.  Exactly so with dom0's migration work
 * free; with its default costs the total stays within 1% (one batch's
 * preparation and receipt per round) and the downtime only grows, by the
 * last round's dom0 work the paused guest cannot hide. */
static void check_closed_form(bool free_dom0)
{
    const double mem_mb[] = {1024, 2048, 4096, 8192, 16384};
    const double lambdas[] = {0.0, 0.1, 0.3, 0.6};
    const double R = payload_Bps(1.0);
    const char *costs = free_dom0 ? ", \"migration\": {\"send_page_us\": 0, \"receive_page_us\": 0,"
                                    " \"scan_ns_per_page\": 0}"
                                  : "";
    int checked = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(mem_mb); i++)
        for (size_t j = 0; j < G_N_ELEMENTS(lambdas); j++) {
            double rate = lambdas[j] * R / 4096.0;
            g_autofree char *js = g_strdup_printf(
                "{\"name\": \"mig\", \"duration_s\": 600, \"policy\": \"native\","
                " \"hosts\": [{\"name\": \"a\"%s}, {\"name\": \"b\"%s}],"
                " \"vms\": [{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": %g, \"socket\": 1,"
                "   \"pin\": true, \"workload\": {\"type\": \"memory-dirtier\","
                "   \"dirty_rate_pages_s\": %.6f}}],"
                " \"migrations\": [{\"vm\": \"g\", \"to\": \"b\"}]}",
                costs, costs, mem_mb[i], rate);
            Sim *sim = scenario_run(js, NULL);
            double total = scenario_metric(sim, "g.migration.total_s");
            double down = scenario_metric(sim, "g.migration.downtime_s");
            int n = (int)scenario_metric(sim, "g.migration.rounds") - 1;
            double V = mem_mb[i] * 1048576.0;
            double expect = migration_closed_form_s(V, R, rate * 4096.0, n) + 0.060;
            double expect_down = V * pow(lambdas[j], n) / R + 0.060;
            ck_assert_msg(fabs(total - expect) <= 0.01 * expect,
                          "%s dom0, %g MiB, λ %.2f: total %.4f s, closed form %.4f s (%d rounds)",
                          free_dom0 ? "free" : "default", mem_mb[i], lambdas[j], total, expect,
                          n + 1);
            if (free_dom0)
                ck_assert_msg(fabs(down - expect_down) <= 0.01 * expect_down,
                              "%g MiB, λ %.2f: downtime %.5f s, closed form %.5f s", mem_mb[i],
                              lambdas[j], down, expect_down);
            else
                /* dom0's work lengthens every round, so the guest dirties
                 * a little more each time: the last round only grows. */
                ck_assert_msg(down >= expect_down * 0.999,
                              "%g MiB, λ %.2f: downtime %.5f s below "
                              "the closed form's %.5f s",
                              mem_mb[i], lambdas[j], down, expect_down);
            sim_free(sim);
            checked++;
        }
    ck_assert_int_ge(checked, 20);
}

START_TEST(free_dom0_matches_closed_form)
{
    check_closed_form(true);
}
END_TEST

START_TEST(idle_dom0_stays_within_one_percent)
{
    check_closed_form(false);
}
END_TEST

/* A dirty rate above the link's: pre-copy never converges, and xen-v2 stops
 * at its fifth iteration with the whole guest dirty, so the downtime is a
 * full copy of its memory. */
START_TEST(dirty_rate_above_link_ends_at_the_cap)
{
    const double R = payload_Bps(1.0);
    g_autofree char *guest = g_strdup_printf(
        "{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": 512, \"socket\": 1,"
        " \"workload\": {\"type\": \"memory-dirtier\", \"dirty_rate_pages_s\": %.3f}}",
        2.0 * R / 4096.0);
    g_autofree char *js = two_hosts("native", 1.0, guest, "", "", 0);
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq(scenario_metric(sim, "g.migration.finished"), 1);
    ck_assert_double_eq(scenario_metric(sim, "g.migration.rounds"), MIG_V2_MAX_ITERATIONS + 1);
    double down = scenario_metric(sim, "g.migration.downtime_s");
    double full = 512 * 1048576.0 / R + 0.060;
    ck_assert_msg(fabs(down - full) <= 0.01 * full, "downtime %.4f s, a full copy is %.4f s", down,
                  full);
    sim_free(sim);
}
END_TEST

/* A guest migrated over 1 GbE while k guests on the same host load dom0
 * with back-end (kernel) work, each a quarter of a dom0 vCPU (Poisson
 * requests of 500 us at 500/s).  Each guest's back-end work sits on one dom0
 * vCPU, so with k = 2, 4, 6 each vCPU is 25%, 50%, 75% busy; the save
 * process (user space) gets what that work leaves and needs about a third
 * of a vCPU (8.5 us x 1.45 for remote memory x 30,000 pages/s). */
static double migration_time(const char *policy, int k, double *load)
{
    /* The migrating guest alone on socket 1, the others on socket 0. */
    const char *guest = "{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": 1024, \"socket\": 1,"
                        " \"pin\": true, \"workload\": {\"type\": \"memory-dirtier\","
                        " \"dirty_rate_pages_s\": 10000}}";
    GString *io = g_string_new(NULL);
    for (int i = 1; i <= k; i++)
        g_string_append_printf(io,
                               ", {\"name\": \"io%d\", \"host\": \"a\", \"memory_mb\": 1024,"
                               " \"socket\": 0, \"pin\": true, \"workload\": {\"type\":"
                               " \"io-synthetic\", \"rate_per_s\": 500, \"service_us\": 500,"
                               " \"mem_fraction\": 0}}",
                               i);
    g_autofree char *js = two_hosts(policy, 1.0, guest, io->str, "", 1);
    g_string_free(io, TRUE);
    Sim *sim = scenario_run(js, NULL);
    double t = scenario_metric(sim, "g.migration.total_s");
    *load = scenario_metric(sim, "a.dom0.main.cpu_load");
    sim_free(sim);
    return t;
}

START_TEST(migration_slows_with_dom0_load_under_native_not_closer)
{
    static const int ks[] = {0, 2, 4, 6};
    double nat[4], clo[4], nload[4], cload[4];
    for (int i = 0; i < 4; i++) {
        nat[i] = migration_time("native", ks[i], &nload[i]);
        clo[i] = migration_time("closer", ks[i], &cload[i]);
    }
    for (int i = 1; i < 4; i++) {
        ck_assert_msg(nload[i] > nload[i - 1], "native load not rising: %.3f then %.3f",
                      nload[i - 1], nload[i]);
        /* Never faster with more load (0.5% for the randomness of the
         * load's arrivals). */
        ck_assert_msg(nat[i] >= 0.995 * nat[i - 1],
                      "native: %.3f s at load %.3f, then %.3f s at %.3f", nat[i - 1], nload[i - 1],
                      nat[i], nload[i]);
        ck_assert_msg(fabs(clo[i] - clo[0]) <= 0.05 * clo[0],
                      "closer: %.3f s with %d loaded guests, %.3f s with none", clo[i], ks[i],
                      clo[0]);
    }
    ck_assert_msg(nat[3] > 1.2 * nat[0], "native: %.3f s at load %.3f, %.3f s idle", nat[3],
                  nload[3], nat[0]);
}
END_TEST

/* Over 40 GbE the save process, not the wire, sets the pace: with dom0 on
 * the other socket every page it maps and copies is remote. */
START_TEST(colocated_dom0_migrates_faster)
{
    const char *guest = "{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": 4096, \"socket\": 1,"
                        " \"workload\": {\"type\": \"memory-dirtier\", \"dirty_rate_pages_s\": "
                        "1000}}";
    g_autofree char *remote = two_hosts("native", 40.0, guest, "",
                                        " \"policy_params\": {\"native\": {\"socket\": 0}},", 0);
    g_autofree char *local = two_hosts("native", 40.0, guest, "",
                                       " \"policy_params\": {\"native\": {\"socket\": 1}},", 0);
    Sim *r = scenario_run(remote, NULL);
    Sim *l = scenario_run(local, NULL);
    double tr = scenario_metric(r, "g.migration.total_s");
    double tl = scenario_metric(l, "g.migration.total_s");
    ck_assert_msg(tl < 0.9 * tr, "co-located %.3f s, remote %.3f s", tl, tr);
    /* The source's CPU per page is stretched by 1 + 0.75 x 0.6 = 1.45 (the
     * guest is still dirtying, so the two runs send slightly different page
     * counts: compare per page). */
    double cr = scenario_metric(r, "g.migration.dom0_cpu_source_s") /
                scenario_metric(r, "g.migration.pages");
    double cl = scenario_metric(l, "g.migration.dom0_cpu_source_s") /
                scenario_metric(l, "g.migration.pages");
    ck_assert_msg(fabs(cr / cl - 1.45) <= 0.03, "remote/local source CPU %.3f, expected 1.45",
                  cr / cl);
    sim_free(r);
    sim_free(l);
}
END_TEST

/* Under closer the source side runs on the guest's secondary vCPU and the
 * guest pays for it; under native nobody does. */
START_TEST(closer_bills_the_migration_to_the_guest)
{
    const char *guest = "{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": 1024,"
                        " \"workload\": {\"type\": \"memory-dirtier\", \"dirty_rate_pages_s\": "
                        "5000}}";
    g_autofree char *jn = two_hosts("native", 1.0, guest, "", "", 0);
    g_autofree char *jc = two_hosts("closer", 1.0, guest, "", "", 0);
    Sim *n = scenario_run(jn, NULL);
    Sim *c = scenario_run(jc, NULL);
    ck_assert_double_eq(scenario_metric(n, "g.migration.charged_guest_s"), 0);
    double src = scenario_metric(c, "g.migration.dom0_cpu_source_s");
    ck_assert_double_gt(src, 0.1);
    ck_assert_double_eq_tol(scenario_metric(c, "g.migration.charged_guest_s"), src, 1e-9);
    sim_free(n);
    sim_free(c);
}
END_TEST

/* closer runs the save process on the secondary vCPU pinned to the pCPU of
 * the guest's vCPU: the guest, CPU-bound, gets less CPU during the
 * migration and so dirties fewer pages, and fewer pages are sent. */
START_TEST(closer_slows_the_guest_which_dirties_less)
{
    const char *guest = "{\"name\": \"g\", \"host\": \"a\", \"memory_mb\": 2048, \"socket\": 1,"
                        " \"pin\": true, \"workload\": {\"type\": \"memory-dirtier\","
                        " \"dirty_rate_pages_s\": 15000}}";
    g_autofree char *jn = two_hosts("native", 1.0, guest, "", "", 0);
    g_autofree char *jc = two_hosts("closer", 1.0, guest, "", "", 0);
    Sim *n = scenario_run(jn, NULL);
    Sim *c = scenario_run(jc, NULL);
    double pn = scenario_metric(n, "g.migration.pages");
    double pc = scenario_metric(c, "g.migration.pages");
    ck_assert_msg(pc < 0.98 * pn, "closer sent %.0f pages, native %.0f", pc, pn);
    sim_free(n);
    sim_free(c);
}
END_TEST

static Suite *migration_dom0_suite(void)
{
    Suite *s = suite_create("migration_dom0");
    TCase *tc = tcase_create("migration_dom0");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, free_dom0_matches_closed_form);
    tcase_add_test(tc, idle_dom0_stays_within_one_percent);
    tcase_add_test(tc, dirty_rate_above_link_ends_at_the_cap);
    tcase_add_test(tc, migration_slows_with_dom0_load_under_native_not_closer);
    tcase_add_test(tc, colocated_dom0_migrates_faster);
    tcase_add_test(tc, closer_bills_the_migration_to_the_guest);
    tcase_add_test(tc, closer_slows_the_guest_which_dirties_less);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(migration_dom0_suite());
}
