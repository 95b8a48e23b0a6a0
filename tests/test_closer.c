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

/* A 2-socket host of 8 cores under closer (main container on pCPUs 0 and
 * 1) and a guest g with vCPUs on pCPUs 9 and 10. */
typedef struct {
    Sim *sim;
    cJSON *params;
    Host *h;
    Domain *g;
} CloserHost;

static void closer_host(CloserHost *c, const char *params)
{
    c->sim = sim_new(1);
    HostConfig cfg = {0};
    cfg.numa = (NumaConfig){.sockets = 2, .cores_per_socket = 8, .memory_per_node = 8ULL << 30};
    sched_params_default(&cfg.sched);
    disk_preset("hdd", &cfg.disk);
    cfg.nic_Bps = 1e9 / 8;
    cfg.life.balloon_ns_per_gb = 50e6;
    cfg.life.scrub_ns_per_gb = 100e6;
    c->params = cJSON_Parse(params);
    GError *err = NULL;
    c->h = host_new(c->sim, "h0", 0, &cfg, policy_find("closer"), c->params, "test", &err);
    ck_assert_msg(c->h != NULL, "%s", err ? err->message : "");
    c->h->next_pcpu[1] = 1; /* the guest's vCPUs get pCPUs 9 and 10 */
    GuestSpec spec = {
        .name = "g", .vcpus = 2, .memory = 1ULL << 30, .weight = 256, .socket = 1, .pin = TRUE};
    c->g = host_start_guest(c->h, &spec, &err);
    ck_assert_ptr_nonnull(c->g);
    ck_assert_int_eq(vcpu_last_pcpu(c->g->vcpus->pdata[0]), 9);
    ck_assert_int_eq(vcpu_last_pcpu(c->g->vcpus->pdata[1]), 10);
    /* Each hard-pinned to its pCPU, so that they stay there. */
    for (int i = 0; i < 2; i++) {
        CpuMask one, none;
        cpumask_clear(&one);
        cpumask_set(&one, 9 + i);
        cpumask_clear(&none);
        sched_vcpu_set_affinity(vcpu_sched(c->g->vcpus->pdata[i]), &one, &none);
    }
}

static void closer_host_free(CloserHost *c)
{
    host_free(c->h);
    cJSON_Delete(c->params);
    sim_free(c->sim);
}

static const char *closer_params = "{\"preset\": \"openstack\", \"main_socket\": 0,"
                                   " \"secondary_initial_mb\": 75, \"epsilon_mb\": 4,"
                                   " \"io_step_rps\": 1000, \"balloon_step_mb\": 4}";

/* Thesis 3.3.2: an external event for g (a received packet) runs on "the
 * VCPU of the secondary container that contributed the least", among those
 * on the pCPUs g uses.  g's vCPU on pCPU 9 has run 1 ms of its own work, the
 * one on pCPU 10 nothing; the secondary vCPU on pCPU 10 has run 2 ms of
 * back-end work paid by g, the one on pCPU 9 nothing.  So the packet goes
 * to the secondary vCPU of pCPU 9 (contributed 0 ms), though g's vCPU there
 * has used more CPU (the old rule picked pCPU 10 for that).  Then with 3 ms
 * more paid by g on pCPU 9's secondary vCPU, pCPU 10's (2 ms) has
 * contributed least. */
START_TEST(external_event_goes_to_the_secondary_vcpu_that_contributed_least)
{
    CloserHost c;
    closer_host(&c, closer_params);
    Host *h = c.h;
    Domain *g = c.g;
    WorkItem own, back, back2;
    work_item_init(&own, 1e6, 0.0, NULL, WORK_GUEST, NULL, NULL);
    vcpu_submit(g->vcpus->pdata[0], &own);
    work_item_init(&back, 2e6, 0.0, NULL, WORK_T3, NULL, NULL);
    host_dom0_submit(h, DOM0_WORK_IO_GUEST, &back, g, g->vcpus->pdata[1]);
    sim_run(c.sim, sim_time_from_s(0.01));
    ck_assert_int_eq(sched_vcpu_busy(vcpu_sched(g->vcpus->pdata[0])), 1000000);
    ck_assert_int_eq(sched_vcpu_busy(vcpu_sched(h->secondary_at[10])), 2000000);

    WorkItem w = {.cpu_ns = 1000, .group = WORK_T3, .cls = WORK_KERNEL};
    PolicyWork ext = {.kind = DOM0_WORK_IO_EXTERNAL, .work = &w, .guest = g};
    PolicyPlacement out;
    policy_place(h->policy, h, &ext, &out);
    ck_assert_ptr_eq(out.vcpu, h->secondary_at[9]);
    ck_assert_ptr_eq(out.payer, g);

    work_item_init(&back2, 3e6, 0.0, NULL, WORK_T3, NULL, NULL);
    host_dom0_submit(h, DOM0_WORK_IO_GUEST, &back2, g, g->vcpus->pdata[0]);
    sim_run(c.sim, sim_time_from_s(0.02));
    policy_place(h->policy, h, &ext, &out);
    ck_assert_ptr_eq(out.vcpu, h->secondary_at[10]);
    closer_host_free(&c);
}
END_TEST

/* g (1 GiB on socket 1) lends `mib` MiB: it holds the rest, dom0's
 * secondary container of socket 1 (75 MiB at boot) and dom0 hold them. */
static void check_lends(const CloserHost *c, uint64_t mib)
{
    uint64_t m = 1ULL << 20;
    ck_assert_uint_eq(c->g->mem_lent, mib * m);
    ck_assert_uint_eq(c->g->mem_total, (1024 - mib) * m);
    ck_assert_uint_eq(c->g->mem[1], (1024 - mib) * m);
    ck_assert_uint_eq(c->h->secondary[1].memory, (75 + mib) * m);
    ck_assert_uint_eq(host_dom0_allocated(c->h), (2048 + 2 * 75 + mib) * m);
    ck_assert_uint_eq(c->h->dom0->mem[1], (75 + mib) * m);
}

/* Algorithm 1's initialisation: g (1 GiB, socket 1) is given M - ε and
 * lends ε = 4 MiB to the secondary container of socket 1, which dom0 now
 * holds; all of it comes back when g stops. */
START_TEST(the_lent_epsilon_leaves_the_guest_for_dom0)
{
    CloserHost c;
    closer_host(&c, closer_params);
    Host *h = c.h;
    Domain *g = c.g;
    uint64_t mib = 1ULL << 20, dom0_boot = (2048 + 2 * 75) * mib;
    check_lends(&c, 4);
    /* The node holds the same pages: the guest's and dom0's together. */
    ck_assert_uint_eq(numa_used_bytes(h->numa, 1), 1024 * mib + 75 * mib);
    host_stop_guest(h, g);
    ck_assert_uint_eq(g->mem_lent, 0);
    ck_assert_uint_eq(host_dom0_allocated(h), dom0_boot);
    ck_assert_uint_eq(h->secondary[1].memory, 75 * mib);
    ck_assert_uint_eq(numa_used_bytes(h->numa, 1), 75 * mib);
    closer_host_free(&c);
}
END_TEST

/* The balloon.  g raised 3500 back-end requests in the first second: at the
 * tick of 1 s Algorithm 1 wants ε + 3 steps of 4 MiB lent, 12 MiB more, so 6
 * batches of 512 pages (2 MiB).  Each: g's driver clears and gives up the
 * pages on its vCPU 0, 2/1024 GiB x (50 + 100) ms/GiB = 0.29296875 ms, then
 * dom0's takes them on the secondary vCPU of pCPU 9, x 50 ms/GiB =
 * 0.09765625 ms, paid by g; both vCPUs idle, local memory.  So batch k is
 * lent at 1 s + k x 0.390625 ms: 8 MiB lent at 1.001 s (2 batches), 16 MiB
 * from 1.00234375 s.  With no requests in the next second, the tick of 2 s
 * gives the 12 MiB back the other way round (dom0 clears and gives up,
 * g takes), again 0.390625 ms a batch. */
START_TEST(the_balloon_costs_cpu_and_takes_time)
{
    CloserHost c;
    closer_host(&c, closer_params);
    Host *h = c.h;
    Domain *g = c.g;
    uint64_t mib = 1ULL << 20;
    g->io_requests = 3500;
    sim_run(c.sim, sim_time_from_s(0.999));
    ck_assert_uint_eq(g->mem_lent, 4 * mib);
    sim_run(c.sim, sim_time_from_s(1.001));
    ck_assert_uint_eq(g->mem_lent, 8 * mib);
    sim_run(c.sim, sim_time_from_s(1.00234375) - 1000);
    ck_assert_uint_eq(g->mem_lent, 14 * mib);
    sim_run(c.sim, sim_time_from_s(1.00234375) + 1000);
    check_lends(&c, 16);
    ck_assert_double_eq_tol((double)sched_dom_busy(g->sd), 6 * 292968.75, 6.0);
    ck_assert_double_eq_tol(g->dom0_charged_ns, 6 * 97656.25, 6.0);
    ck_assert_double_eq_tol(sched_vcpu_busy(vcpu_sched(h->secondary_at[9])), 6 * 97656.25, 6.0);

    sim_run(c.sim, sim_time_from_s(2.00234375) - 1000);
    ck_assert_uint_eq(g->mem_lent, 6 * mib);
    sim_run(c.sim, sim_time_from_s(2.00234375) + 1000);
    check_lends(&c, 4);
    ck_assert_double_eq_tol((double)sched_dom_busy(g->sd), 6 * (292968.75 + 97656.25), 12.0);
    ck_assert_double_eq_tol(g->dom0_charged_ns, 6 * (97656.25 + 292968.75), 12.0);
    closer_host_free(&c);
}
END_TEST

/* An idle 256 MiB guest (65536 pages, none dirtied) migrating under closer
 * lent ε = 4.125 MiB (1056 pages) to h0's dom0: the migration moves the
 * 64480 pages it holds, and at the end h1's dom0 holds its ε (2048 + 2 x
 * 75 + 4.125 MiB, 2202 in whole MiB) and h0's none (2198).  Under native
 * all 65536 pages move. */
static const char *idle_migrating =
    "{\"name\": \"migidle\", \"duration_s\": 3, \"seed\": 1, \"policy\": \"closer\","
    " \"hosts\": [{\"name\": \"h0\", \"nic_Gbps\": 10}, {\"name\": \"h1\", \"nic_Gbps\": 10}],"
    " \"vms\": [{\"name\": \"vm1\", \"host\": \"h0\", \"memory_mb\": 256, \"socket\": 1}],"
    " \"migrations\": [{\"vm\": \"vm1\", \"to\": \"h1\", \"at_s\": 1}]}";

START_TEST(a_migration_moves_what_the_guest_did_not_lend)
{
    Sim *sim = scenario_run_policy(idle_migrating, "closer");
    ck_assert_double_eq(scenario_metric(sim, "vm1.migration.pages"), 65536 - 1056);
    ck_assert_double_eq(scenario_metric(sim, "h1.dom0.memory_allocated_mb"), 2202);
    ck_assert_double_eq(scenario_metric(sim, "h0.dom0.memory_allocated_mb"), 2198);
    sim_free(sim);
    sim = scenario_run_policy(idle_migrating, "native");
    ck_assert_double_eq(scenario_metric(sim, "vm1.migration.pages"), 65536);
    sim_free(sim);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("closer");
    TCase *tc = tcase_create("closer");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, busy_s_sums_every_host_the_guest_lived_on);
    tcase_add_test(tc, external_event_goes_to_the_secondary_vcpu_that_contributed_least);
    tcase_add_test(tc, the_lent_epsilon_leaves_the_guest_for_dom0);
    tcase_add_test(tc, the_balloon_costs_cpu_and_takes_time);
    tcase_add_test(tc, a_migration_moves_what_the_guest_did_not_lend);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
