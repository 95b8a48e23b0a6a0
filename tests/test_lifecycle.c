/* Guest creation and destruction through dom0, and the management agent's
 * heartbeat under dom0 load. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

/* Destroy = 200 ms of tear-down + 100 ms per GiB scrubbed, the scrub all
 * memory traffic: from dom0 on socket 0, a guest on socket 1 is scrubbed
 * at 1/1.6 of the speed.  Create = 500 ms + 100 ms per GiB built. */
START_TEST(destroy_linear_in_memory_slower_remote)
{
    for (int gb = 1; gb <= 8; gb *= 2)
        for (int socket = 0; socket <= 1; socket++) {
            g_autofree char *js = g_strdup_printf(
                "{\"name\": \"life\", \"duration_s\": 30, \"policy\": \"native\","
                " \"hosts\": [{\"name\": \"h0\"}],"
                " \"vms\": [{\"name\": \"g\", \"host\": \"h0\", \"memory_mb\": %d, \"socket\": %d,"
                "   \"create_at_s\": 1, \"destroy_at_s\": 10}]}",
                gb * 1024, socket);
            Sim *sim = scenario_run(js, NULL);
            double f = socket == 0 ? 1.0 : 1.6;
            double destroy = scenario_metric(sim, "g.destroy_s");
            double create = scenario_metric(sim, "g.create_s");
            ck_assert_msg(fabs(destroy - (0.2 + 0.1 * gb * f)) <= 1e-6,
                          "%d GiB on socket %d: destroy %.6f s, expected %.6f", gb, socket, destroy,
                          0.2 + 0.1 * gb * f);
            ck_assert_msg(fabs(create - (0.5 + 0.1 * gb * f)) <= 1e-6,
                          "%d GiB on socket %d: create %.6f s, expected %.6f", gb, socket, create,
                          0.5 + 0.1 * gb * f);
            sim_free(sim);
        }
}
END_TEST

/* k guests each keep a dom0 vCPU a quarter busy with back-end work (500 us
 * requests at 500/s); each guest's back-end work sits on one of dom0's two
 * vCPUs, so k = 2, 4, 6 make them 25%, 50%, 75% busy and k = 8 saturates
 * them.  An 8 GiB guest is then created and destroyed. */
static char *loaded(const char *policy, int k, const char *extra_host, double duration)
{
    GString *js = g_string_new(NULL);
    g_string_append_printf(js,
                           "{\"name\": \"load\", \"duration_s\": %g, \"seed\": 3,"
                           " \"policy\": \"%s\", \"hosts\": [{\"name\": \"h0\"%s}],"
                           " \"vms\": [{\"name\": \"g\", \"host\": \"h0\", \"memory_mb\": 8192,"
                           " \"socket\": 1, \"create_at_s\": 5, \"destroy_at_s\": 30}",
                           duration, policy, extra_host);
    for (int i = 1; i <= k; i++)
        g_string_append_printf(js,
                               ", {\"name\": \"io%d\", \"host\": \"h0\", \"memory_mb\": 1024,"
                               " \"socket\": 0, \"workload\": {\"type\": \"io-synthetic\","
                               " \"rate_per_s\": 500, \"service_us\": 500, \"mem_fraction\": 0}}",
                               i);
    g_string_append(js, "]}");
    return g_string_free(js, FALSE);
}

START_TEST(create_and_destroy_slow_with_dom0_load_under_native)
{
    static const int ks[] = {0, 2, 4, 6};
    double nc[4], nd[4], cc[4], cd[4];
    for (int i = 0; i < 4; i++) {
        g_autofree char *n = loaded("native", ks[i], "", 40);
        g_autofree char *c = loaded("closer", ks[i], "", 40);
        Sim *a = scenario_run(n, NULL);
        Sim *b = scenario_run(c, NULL);
        nc[i] = scenario_metric(a, "g.create_s");
        nd[i] = scenario_metric(a, "g.destroy_s");
        cc[i] = scenario_metric(b, "g.create_s");
        cd[i] = scenario_metric(b, "g.destroy_s");
        sim_free(a);
        sim_free(b);
    }
    for (int i = 1; i < 4; i++) {
        ck_assert_msg(nc[i] >= nc[i - 1] && nd[i] >= nd[i - 1],
                      "native with %d loaded guests: create %.3f s, destroy %.3f s; with %d: "
                      "%.3f s, %.3f s",
                      ks[i], nc[i], nd[i], ks[i - 1], nc[i - 1], nd[i - 1]);
        /* closer: creation in the main container, which carries no back-end
         * work; destruction next to the guest's memory. */
        ck_assert_msg(fabs(cc[i] - cc[0]) <= 0.01 * cc[0] && fabs(cd[i] - cd[0]) <= 0.01 * cd[0],
                      "closer with %d loaded guests: create %.3f s, destroy %.3f s; alone %.3f s, "
                      "%.3f s",
                      ks[i], cc[i], cd[i], cc[0], cd[0]);
    }
    /* At 75% the toolstack gets a quarter of its vCPU: about 4x slower. */
    ck_assert_msg(nc[3] > 3 * nc[0] && nd[3] > 3 * nd[0],
                  "native at 75%%: create %.3f s (idle %.3f), destroy %.3f s (idle %.3f)", nc[3],
                  nc[0], nd[3], nd[0]);
    /* Scrubbing from the guest's own socket beats native's remote dom0. */
    ck_assert_double_lt(cd[0], nd[0]);
}
END_TEST

/* nova-compute reports every 10 s (200 ms of CPU each time); the controller
 * gives up after 60 s without a report.  Below saturation the agent gets the
 * CPU the back-end work leaves and every report arrives; once dom0 is
 * saturated the agent starves and the node is declared failed. */
START_TEST(heartbeat_fails_only_past_saturation)
{
    const char *agent = ", \"management\": {\"period_s\": 10, \"cpu_ms\": 200,"
                        " \"heartbeat_timeout_s\": 60}";
    static const int ks[] = {0, 4, 6, 10};
    for (int i = 0; i < 4; i++) {
        g_autofree char *js = loaded("native", ks[i], agent, 300);
        Sim *sim = scenario_run(js, NULL);
        double failed = scenario_metric(sim, "h0.declared_failed");
        double load = scenario_metric(sim, "h0.dom0.main.cpu_load");
        if (ks[i] < 8) {
            ck_assert_msg(failed == 0, "%d guests (dom0 load %.3f): declared failed", ks[i], load);
            ck_assert_double_eq(scenario_metric(sim, "h0.heartbeat.missed"), 0);
        } else {
            ck_assert_msg(failed == 1, "%d guests (dom0 load %.3f): not declared failed", ks[i],
                          load);
            /* The last report came within the first period or two; 60 s
             * later the controller gave up. */
            double at = scenario_metric(sim, "h0.declared_failed_at_s");
            ck_assert_msg(at >= 60 && at <= 90, "declared failed at %.1f s", at);
            ck_assert_double_gt(scenario_metric(sim, "h0.heartbeat.missed"), 0);
        }
        sim_free(sim);
    }
    /* Under closer the agent has the main container to itself. */
    g_autofree char *js = loaded("closer", 10, agent, 300);
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq(scenario_metric(sim, "h0.declared_failed"), 0);
    ck_assert_double_eq(scenario_metric(sim, "h0.heartbeat.missed"), 0);
    sim_free(sim);
}
END_TEST

/* xl mem-set: 50 ms in the toolstack, then the guest's balloon driver at
 * 50 ms per GiB, plus the scrub of what it gives back (100 ms per GiB).
 * Growing past the host's memory is refused; the guest keeps its size. */
START_TEST(resize_through_the_balloon)
{
    const char *js =
        "{\"name\": \"bal\", \"duration_s\": 20, \"policy\": \"native\","
        " \"hosts\": [{\"name\": \"h0\", \"memory_per_socket_mb\": 8192}],"
        " \"vms\": [{\"name\": \"g\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 0},"
        "          {\"name\": \"s\", \"host\": \"h0\", \"memory_mb\": 3072, \"socket\": 0},"
        "          {\"name\": \"x\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1}],"
        " \"resizes\": [{\"vm\": \"g\", \"at_s\": 1, \"memory_mb\": 3072},"
        "               {\"vm\": \"s\", \"at_s\": 1, \"memory_mb\": 1024},"
        "               {\"vm\": \"x\", \"at_s\": 1, \"memory_mb\": 65536}]}";
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq_tol(scenario_metric(sim, "g.resize_s"), 0.05 + 2 * 0.05, 1e-6);
    ck_assert_double_eq(scenario_metric(sim, "g.memory_mb"), 3072);
    ck_assert_double_eq_tol(scenario_metric(sim, "s.resize_s"), 0.05 + 2 * (0.05 + 0.1), 1e-6);
    ck_assert_double_eq(scenario_metric(sim, "s.memory_mb"), 1024);
    ck_assert_double_eq(scenario_metric(sim, "x.resize_refused"), 1);
    sim_free(sim);
}
END_TEST

static Suite *lifecycle_suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, destroy_linear_in_memory_slower_remote);
    tcase_add_test(tc, create_and_destroy_slow_with_dom0_load_under_native);
    tcase_add_test(tc, heartbeat_fails_only_past_saturation);
    tcase_add_test(tc, resize_through_the_balloon);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(lifecycle_suite());
}
