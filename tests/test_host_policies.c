/* Domains, dom0 work and the policies end to end, on scenario text run
 * through the same path as the CLI: queueing closed forms, where dom0 load
 * lands under native and closer, who pays, and closer's memory rule. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

#include <math.h>

#include "models/host.h"

/* One dom0 vCPU alone on pCPU 0 serving one guest's Poisson requests with
 * exponential service: an M/M/1 queue.  rho = 500/s x 1 ms = 0.5, so the mean
 * response time is S / (1 - rho) = 2 ms. */
static const char *mm1 =
    "{\"name\": \"mm1\", \"duration_s\": 2000, \"seed\": 3,"
    " \"policy\": \"native\","
    " \"policy_params\": {\"native\": {\"vcpus\": 1, \"socket\": 0, \"pinned\": true}},"
    " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 4}],"
    " \"vms\": [{\"name\": \"vm1\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1,"
    "   \"pin\": true, \"workload\": {\"type\": \"io-synthetic\", \"rate_per_s\": 500,"
    "   \"service_us\": 1000, \"mem_fraction\": 0}}]}";

static void check_mm1(const char *mode)
{
    g_autofree char *set_mode = g_strdup_printf("scheduler.mode=\"%s\"", mode);
    const char *sets[] = {set_mode, NULL};
    Sim *sim = scenario_run(mm1, sets);
    double r = scenario_metric(sim, "vm1.io.response_mean_s");
    double n = scenario_metric(sim, "vm1.io.completed");
    ck_assert_double_ge(n, 9.5e5);
    ck_assert_msg(fabs(r - 0.002) <= 0.05 * 0.002, "%s: mean response %.6f s, M/M/1 0.002 s", mode,
                  r);
    /* dom0's only vCPU is busy rho of the time. */
    double load = scenario_metric(sim, "h0.dom0.main.cpu_load");
    ck_assert_msg(fabs(load - 0.5) <= 0.02, "%s: dom0 load %.4f, expected 0.5", mode, load);
    sim_free(sim);
}

START_TEST(mm1_response_time_credit)
{
    check_mm1("credit");
}
END_TEST

START_TEST(mm1_response_time_fluid)
{
    check_mm1("fluid");
}
END_TEST

/* N guests on socket 1, each raising the same back-end load; dom0's main
 * part (2 vCPUs pinned on socket 0) also runs a fixed management task. */
static Sim *n_guests(const char *policy, int n, const char *mode)
{
    GString *js = g_string_new(NULL);
    g_string_append_printf(
        js,
        "{\"name\": \"ng\", \"duration_s\": 200, \"seed\": 5, \"policy\": \"%s\","
        " \"scheduler\": {\"mode\": \"%s\"},"
        " \"policy_params\": {\"native\": {\"vcpus\": 2, \"socket\": 0},"
        "                     \"closer\": {\"main_socket\": 0}},"
        " \"hosts\": [{\"name\": \"h0\", \"sockets\": 2, \"cores_per_socket\": 8,"
        "   \"management\": {\"period_s\": 1, \"cpu_ms\": 20}}],"
        " \"vms\": [",
        policy, mode);
    for (int i = 0; i < n; i++)
        g_string_append_printf(js,
                               "%s{\"name\": \"vm%d\", \"host\": \"h0\", \"memory_mb\": 1024,"
                               " \"socket\": 1, \"pin\": true, \"workload\": {\"type\":"
                               " \"io-synthetic\", \"rate_per_s\": 400, \"service_us\": 250}}",
                               i ? ", " : "", i + 1);
    g_string_append(js, "]}");
    Sim *sim = scenario_run(js->str, NULL);
    g_string_free(js, TRUE);
    return sim;
}

static void check_native_rises_closer_flat(const char *mode)
{
    double native_load[7], closer_load[7];
    for (int n = 1; n <= 6; n++) {
        Sim *a = n_guests("native", n, mode);
        Sim *b = n_guests("closer", n, mode);
        native_load[n] = scenario_metric(a, "dom0.main.cpu_load");
        closer_load[n] = scenario_metric(b, "dom0.main.cpu_load");
        /* Under closer every guest pays for all the back-end work done for
         * it; under native nobody does. */
        for (int i = 1; i <= n; i++) {
            g_autofree char *work = g_strdup_printf("vm%d.cpu.dom0_work_s", i);
            g_autofree char *paid = g_strdup_printf("vm%d.cpu.charged_dom0_s", i);
            double wb = scenario_metric(b, work), pb = scenario_metric(b, paid);
            ck_assert_double_gt(wb, 0.0);
            ck_assert_double_eq_tol(pb, wb, 1e-9 * wb + 1e-12);
            ck_assert_double_eq(scenario_metric(a, paid), 0.0);
            ck_assert_double_gt(scenario_metric(a, work), 0.0);
        }
        sim_free(a);
        sim_free(b);
    }
    for (int n = 2; n <= 6; n++) {
        ck_assert_msg(native_load[n] > native_load[n - 1] + 0.02,
                      "%s native: load %.4f with %d guests, %.4f with %d", mode, native_load[n], n,
                      native_load[n - 1], n - 1);
        ck_assert_msg(fabs(closer_load[n] - closer_load[1]) <= 0.02 * closer_load[1],
                      "%s closer: load %.5f with %d guests vs %.5f with 1", mode, closer_load[n], n,
                      closer_load[1]);
    }
    /* Management alone: 20 ms per second over 2 vCPUs = 1%. */
    ck_assert_double_eq_tol(closer_load[1], 0.01, 0.001);
}

START_TEST(native_load_rises_closer_flat_credit)
{
    check_native_rises_closer_flat("credit");
}
END_TEST

START_TEST(native_load_rises_closer_flat_fluid)
{
    check_native_rises_closer_flat("fluid");
}
END_TEST

START_TEST(closer_lends_epsilon_and_balloons_with_io)
{
    /* A guest spanning one socket lends ε = 4.125 MiB at start; at 3500
     * requests/s it is 3 steps of 1000/s above, so 3 x 4 MiB more. */
    const char *js =
        "{\"name\": \"bal\", \"duration_s\": 20.5, \"policy\": \"closer\","
        " \"hosts\": [{\"name\": \"h0\"}],"
        " \"vms\": [{\"name\": \"quiet\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 0},"
        "  {\"name\": \"busy\", \"host\": \"h0\", \"memory_mb\": 1024, \"socket\": 1,"
        "   \"workload\": {\"type\": \"io-synthetic\", \"rate_per_s\": 3500, \"service_us\": "
        "20}}]}";
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq(scenario_metric(sim, "quiet.memory.lent_to_dom0_mb"), 4.0);
    double busy = scenario_metric(sim, "busy.memory.lent_to_dom0_mb");
    /* Rounded down to whole MiB in the metric: 4.125 + 12 = 16.125. */
    ck_assert_msg(busy == 16.0, "busy guest lends %g MiB, expected 16", busy);
    sim_free(sim);
}
END_TEST

START_TEST(dom0_memory_waste_accounts_base_and_backends)
{
    /* native dom0 2048 MiB; used = 502 MiB base + 4.125 MiB per guest. */
    const char *js = "{\"name\": \"waste\", \"duration_s\": 1,"
                     " \"hosts\": [{\"name\": \"h0\"}],"
                     " \"vms\": [{\"name\": \"a\", \"host\": \"h0\", \"memory_mb\": 512},"
                     "           {\"name\": \"b\", \"host\": \"h0\", \"memory_mb\": 512}]}";
    Sim *sim = scenario_run(js, NULL);
    ck_assert_double_eq_tol(scenario_metric(sim, "h0.dom0.memory_used_mb"), 502 + 2 * 4.125, 1e-9);
    ck_assert_double_eq_tol(scenario_metric(sim, "h0.dom0.memory_waste_mb"), 2048 - 502 - 2 * 4.125,
                            1e-9);
    sim_free(sim);
}
END_TEST

START_TEST(remote_dom0_serves_slower)
{
    /* The same M/M/1 load, dom0 on the guest's socket vs the other one:
     * with half of each request stalled on memory at 1.6x, remote service
     * is 1.3x longer, so the mean response grows from S/(1-rho). */
    const char *sets_local[] = {"policy_params.native.socket=1", "vms[0].workload.mem_fraction=0.5",
                                NULL};
    const char *sets_remote[] = {"policy_params.native.socket=0",
                                 "vms[0].workload.mem_fraction=0.5", NULL};
    Sim *l = scenario_run(mm1, sets_local);
    Sim *r = scenario_run(mm1, sets_remote);
    double rl = scenario_metric(l, "vm1.io.response_mean_s");
    double rr = scenario_metric(r, "vm1.io.response_mean_s");
    /* Local: 2 ms.  Remote: S = 1.3 ms, rho = 0.65, S/(1-rho) = 3.714 ms. */
    ck_assert_msg(fabs(rl - 0.002) <= 0.05 * 0.002, "local %.6f", rl);
    ck_assert_msg(fabs(rr - 0.0013 / 0.35) <= 0.05 * 0.0013 / 0.35, "remote %.6f", rr);
    sim_free(l);
    sim_free(r);
}
END_TEST

/* Algorithm 2 directly: where closer puts each kind of work for a guest
 * with vCPUs associated with pCPUs 9 and 10 (its memory on socket 1). */
START_TEST(closer_places_work_next_to_the_guest)
{
    Sim *sim = sim_new(1);
    HostConfig cfg = {0};
    cfg.numa = (NumaConfig){.sockets = 2, .cores_per_socket = 8, .memory_per_node = 8ULL << 30};
    sched_params_default(&cfg.sched);
    disk_preset("hdd", &cfg.disk);
    cfg.nic_Bps = 1e9 / 8;
    cJSON *params = cJSON_Parse("{\"preset\": \"openstack\", \"main_socket\": 0,"
                                " \"secondary_initial_mb\": 75, \"epsilon_mb\": 4,"
                                " \"io_step_rps\": 1000, \"balloon_step_mb\": 4}");
    GError *err = NULL;
    Host *h = host_new(sim, "h0", 0, &cfg, policy_find("closer"), params, "test", &err);
    ck_assert_msg(h != NULL, "%s", err ? err->message : "");
    /* Main container: 2 vCPUs pinned to pCPUs 0 and 1; secondaries on the
     * 14 others. */
    ck_assert_uint_eq(h->main.vcpus->len, 2);
    ck_assert_uint_eq(h->secondary[0].vcpus->len, 6);
    ck_assert_uint_eq(h->secondary[1].vcpus->len, 8);
    ck_assert_ptr_null(h->secondary_at[0]);
    ck_assert_ptr_nonnull(h->secondary_at[9]);

    h->next_pcpu[1] = 1; /* the guest's vCPUs get pCPUs 9 and 10 */
    GuestSpec spec = {
        .name = "g", .vcpus = 2, .memory = 1ULL << 30, .weight = 256, .socket = 1, .pin = TRUE};
    Domain *g = host_start_guest(h, &spec, &err);
    ck_assert_ptr_nonnull(g);
    ck_assert_int_eq(vcpu_last_pcpu(g->vcpus->pdata[0]), 9);
    ck_assert_int_eq(vcpu_last_pcpu(g->vcpus->pdata[1]), 10);
    WorkItem w = {.cpu_ns = 1000, .group = WORK_T3, .cls = WORK_KERNEL};
    PolicyPlacement out;

    PolicyWork io = {
        .kind = DOM0_WORK_IO_GUEST, .work = &w, .guest = g, .raiser = g->vcpus->pdata[1]};
    policy_place(h->policy, h, &io, &out);
    ck_assert_ptr_eq(out.vcpu, h->secondary_at[10]);
    ck_assert_ptr_eq(out.payer, g);

    PolicyWork ext = {.kind = DOM0_WORK_IO_EXTERNAL, .work = &w, .guest = g};
    policy_place(h->policy, h, &ext, &out);
    ck_assert_ptr_eq(out.vcpu, h->secondary_at[9]); /* neither ran: the first */

    PolicyWork op = {.kind = DOM0_WORK_GUEST_OP, .work = &w, .guest = g};
    policy_place(h->policy, h, &op, &out);
    ck_assert_int_eq(numa_pcpu_node(h->numa, vcpu_last_pcpu(out.vcpu)), 1);
    ck_assert_ptr_eq(out.payer, g);

    PolicyWork own = {.kind = DOM0_WORK_OWN, .work = &w};
    policy_place(h->policy, h, &own, &out);
    ck_assert(out.vcpu == h->main.vcpus->pdata[0] || out.vcpu == h->main.vcpus->pdata[1]);
    ck_assert_ptr_null(out.payer);

    /* Algorithm 1: the guest spans one socket and lends ε there. */
    ck_assert_uint_eq(g->mem_lent, 4ULL << 20);
    ck_assert_uint_eq(h->secondary[1].memory, (75ULL + 4) << 20);
    host_stop_guest(h, g);
    ck_assert_uint_eq(g->mem_lent, 0);
    ck_assert_uint_eq(h->secondary[1].memory, 75ULL << 20);
    for (int n = 0; n < 2; n++)
        ck_assert_uint_eq(numa_used_bytes(h->numa, n) + numa_free_bytes(h->numa, n), 8ULL << 30);
    host_free(h);
    cJSON_Delete(params);
    sim_free(sim);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("host_policies");
    TCase *tc = tcase_create("policies");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, mm1_response_time_credit);
    tcase_add_test(tc, mm1_response_time_fluid);
    tcase_add_test(tc, native_load_rises_closer_flat_credit);
    tcase_add_test(tc, native_load_rises_closer_flat_fluid);
    tcase_add_test(tc, closer_lends_epsilon_and_balloons_with_io);
    tcase_add_test(tc, dom0_memory_waste_accounts_base_and_backends);
    tcase_add_test(tc, remote_dom0_serves_slower);
    tcase_add_test(tc, closer_places_work_next_to_the_guest);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
