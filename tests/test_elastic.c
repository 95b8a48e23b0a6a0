/* The elastic dom0 at event level, driven directly: a load generator
 * submits dom0 work at a rate the test sets (a step, a square wave), a
 * probe records the main vCPUs online every second, and the tests count the
 * resizes; closed forms check a resize's delay and cost.  And the shared
 * decision rules (policies/elastic.h) on their own. */
#include "tests/check_main.h"

#include <math.h>

#include "models/host.h"
#include "policies/elastic.h"

#define RUN_S 600
#define GEN_PERIOD (10 * SIM_MS)
#define GEN_ITEMS 8

typedef struct {
    Host *h;
    /* Load in cores: `lo` outside the high phases; `hi` from step_at on
     * (half_period 0), or in every other half period from step_at on. */
    double lo, hi;
    SimTime step_at, half_period;
    int online[RUN_S + 1]; /* main vCPUs online at each whole second */
} Rig;

static double load_at(const Rig *g, SimTime t)
{
    if (t < g->step_at)
        return g->lo;
    if (g->half_period == 0)
        return g->hi;
    return ((t - g->step_at) / g->half_period) % 2 == 0 ? g->hi : g->lo;
}

static void item_done(WorkItem *w, void *data)
{
    (void)data;
    g_free(w);
}

/* Every 10 ms, the load's worth of CPU in GEN_ITEMS pieces, so it spreads
 * over the online vCPUs. */
static void generate(Sim *sim, void *data)
{
    Rig *g = data;
    double ns = load_at(g, sim_now(sim)) * (double)GEN_PERIOD / GEN_ITEMS;
    for (int i = 0; i < GEN_ITEMS && ns > 0; i++) {
        WorkItem *w = g_new(WorkItem, 1);
        work_item_init(w, ns, 0.0, g->h->dom0->mem, WORK_T2, item_done, NULL);
        host_dom0_submit(g->h, DOM0_WORK_OWN, w, NULL, NULL);
    }
    sim_after(sim, GEN_PERIOD, generate, g);
}

/* Just before each whole second (and so before that second's tick). */
static void probe(Sim *sim, void *data)
{
    Rig *g = data;
    long s = (long)((sim_now(sim) + SIM_MS) / SIM_S);
    if (s <= RUN_S)
        g->online[s] = g->h->main_online;
    sim_after(sim, SIM_S, probe, g);
}

static const char *default_params =
    "{\"min_vcpus\": 1, \"max_vcpus\": 8, \"socket\": 0, \"pinned\": true,"
    " \"up_load\": 0.7, \"down_load\": 0.3, \"window_s\": 5, \"cooldown_s\": 20,"
    " \"hotplug_cpu_ms\": 50, \"hotplug_delay_ms\": 100, \"memory_mb\": 1024,"
    " \"min_memory_mb\": 512, \"max_memory_mb\": 4096, \"headroom_mb\": 256,"
    " \"balloon_step_mb\": 128, \"rate_period_s\": 300}";

/* A 2 x 8 host under elastic whose dom0 uses base_used_mb of memory. */
static Host *elastic_host(Sim *sim, cJSON *params, uint64_t base_used_mb)
{
    HostConfig cfg = {0};
    cfg.numa = (NumaConfig){.sockets = 2, .cores_per_socket = 8, .memory_per_node = 8ULL << 30};
    sched_params_default(&cfg.sched);
    cfg.sched.mode = SCHED_MODE_FLUID;
    disk_preset("hdd", &cfg.disk);
    cfg.nic_Bps = 1e9 / 8;
    cfg.dom0_base_used = base_used_mb << 20;
    cfg.life =
        (LifeCosts){.resize_fixed_ns = 10e6, .balloon_ns_per_gb = 100e6, .scrub_ns_per_gb = 200e6};
    GError *err = NULL;
    Host *h = host_new(sim, "h0", 0, &cfg, policy_find("elastic"), params, "test", &err);
    ck_assert_msg(h != NULL, "%s", err ? err->message : "");
    return h;
}

/* Runs the rig for RUN_S seconds; returns the number of changes of the
 * online count seen by the probe in [from_s, RUN_S]. */
static int run_rig(Rig *g, const char *params_json, double lo, double hi, SimTime step_at,
                   SimTime half_period)
{
    Sim *sim = sim_new(1);
    cJSON *params = cJSON_Parse(params_json);
    /* dom0 uses 768 MiB: its memory target is its 1024 MiB from the start
     * (used + headroom, in 128 MiB steps), so only the vCPUs move. */
    g->h = elastic_host(sim, params, 768);
    g->lo = lo;
    g->hi = hi;
    g->step_at = step_at;
    g->half_period = half_period;
    ck_assert_int_eq(g->h->main_online, 1);
    sim_at(sim, 0, generate, g);
    sim_at(sim, SIM_S - SIM_MS, probe, g);
    g->online[0] = g->h->main_online;
    sim_run(sim, (SimTime)RUN_S * SIM_S);
    host_check(g->h, "end of test");
    int resizes = (int)(g->h->vcpus_up + g->h->vcpus_down);
    host_drop_work(g->h);
    host_free(g->h);
    cJSON_Delete(params);
    sim_free(sim);
    return resizes;
}

static int changes_between(const Rig *g, int from_s, int to_s)
{
    int n = 0;
    for (int s = from_s + 1; s <= to_s; s++)
        n += g->online[s] != g->online[s - 1];
    return n;
}

/* A step from 0.2 to 2.4 cores at 100 s.  A window after it, the load
 * measured (the work arriving) is 2.4 on 1 vCPU: one decision, to the 5
 * vCPUs that put it at the band's middle (2.4 / 5 = 48%), and nothing
 * before the step or after. */
START_TEST(step_reaches_its_size_and_stays)
{
    static Rig g;
    int resizes = run_rig(&g, default_params, 0.2, 2.4, 100 * SIM_S, 0);
    ck_assert_int_eq(changes_between(&g, 0, 100), 0);
    ck_assert_int_eq(g.online[100], 1);
    ck_assert_msg(resizes == 1, "%d resizes after the step, expected 1", resizes);
    ck_assert_int_eq(g.online[100 + 5 + 1], 5);
    ck_assert_int_eq(changes_between(&g, 100 + 5 + 1, RUN_S), 0);
}
END_TEST

/* The step down: 2.4 cores for 100 s then 0.2: up to 5 (one resize),
 * then down one vCPU per cool-down to 1 (four), and no more. */
START_TEST(step_down_parks_one_per_cooldown)
{
    static Rig g;
    int resizes = run_rig(&g, default_params, 2.4, 0.2, 100 * SIM_S, 0);
    int ups = 0, downs = 0;
    for (int s = 1; s <= RUN_S; s++) {
        ups += g.online[s] > g.online[s - 1];
        downs += g.online[s] < g.online[s - 1];
    }
    ck_assert_int_eq(g.online[100], 5);
    ck_assert_int_eq(ups, 1);
    ck_assert_int_eq(downs, 4);
    ck_assert_int_eq(resizes, 5);
    ck_assert_int_eq(g.online[RUN_S], 1);
    /* One park per cool-down: the first a window after the step, the last
     * three cool-downs later, so still 2 or more vCPUs at 100 + 3 x 20 s
     * and 1 from 100 + 2 x 5 + 3 x 20 s on. */
    ck_assert_int_ge(g.online[100 + 3 * 20 - 1], 2);
    ck_assert_int_eq(g.online[100 + 2 * 5 + 3 * 20], 1);
    ck_assert_int_eq(changes_between(&g, 100 + 2 * 5 + 3 * 20, RUN_S), 0);
}
END_TEST

/* A square wave between 0.2 and 2.4 cores with a 4 s half period, far
 * shorter than the 20 s cool-down and the 5 s window: 150 half periods in
 * 600 s.  Saturated at first, dom0 grows once to what its first window
 * measured; after that every window holds seconds on both sides of the
 * band and nothing moves. */
START_TEST(fast_square_wave_does_not_oscillate)
{
    static Rig g;
    int resizes = run_rig(&g, default_params, 0.2, 2.4, 0, 4 * SIM_S);
    ck_assert_msg(resizes <= 2, "%d resizes for 150 half periods", resizes);
    /* The first window (4 s high, 1 s low) measured 1.96 cores: 4 vCPUs;
     * any size from 2 (the mean's 1.3 cores fit) holds. */
    ck_assert_int_ge(g.online[RUN_S], 2);
    ck_assert_int_le(g.online[RUN_S], 4);
    ck_assert_msg(changes_between(&g, 60, RUN_S) == 0, "still resizing after 60 s (%d changes)",
                  changes_between(&g, 60, RUN_S));
}
END_TEST

/* A square wave with a 100 s half period, five cool-downs: elastic tracks
 * it, 5 vCPUs at the end of every high half, 1 at the end of every low
 * one, and no more than the 1 up and 4 downs each period needs. */
START_TEST(slow_square_wave_is_tracked)
{
    static Rig g;
    int resizes = run_rig(&g, default_params, 0.2, 2.4, 0, 100 * SIM_S);
    for (int k = 1; k <= RUN_S / 100; k++) {
        int want = k % 2 == 1 ? 5 : 1;
        ck_assert_msg(g.online[k * 100] == want, "%d vCPUs at %d s, expected %d", g.online[k * 100],
                      k * 100, want);
    }
    ck_assert_int_eq(resizes, (RUN_S / 200) * 5);
}
END_TEST

/* ---- closed forms of a resize's delay and cost ------------------------------- */

typedef struct {
    Host *h;
    int online;
    uint64_t memory;
} Seen;

static void look(Sim *sim, void *data)
{
    (void)sim;
    Seen *s = data;
    s->online = s->h->main_online;
    s->memory = s->h->dom0->mem_total;
}

/* A saturating load from 0 and a 2 s window: the first decision is the
 * tick at 2 s; with a 350 ms delay the second vCPU is online at exactly
 * 2.35 s (max_vcpus 2: the only resize), and dom0 was charged exactly one
 * hot-plug, 50 ms of CPU, as its own T0 work. */
START_TEST(plug_delay_and_cost_are_exact)
{
    Sim *sim = sim_new(1);
    cJSON *params = cJSON_Parse(default_params);
    cJSON_ReplaceItemInObject(params, "max_vcpus", cJSON_CreateNumber(2));
    cJSON_ReplaceItemInObject(params, "window_s", cJSON_CreateNumber(2));
    cJSON_ReplaceItemInObject(params, "hotplug_delay_ms", cJSON_CreateNumber(350));
    static Rig g;
    g.h = elastic_host(sim, params, 768);
    g.lo = g.hi = 3.0;
    sim_at(sim, 0, generate, &g);
    Seen before = {.h = g.h}, after = {.h = g.h};
    sim_at(sim, 2350 * SIM_MS - 1, look, &before);
    sim_at(sim, 2350 * SIM_MS + 1, look, &after);
    sim_run(sim, 30 * SIM_S);
    ck_assert_int_eq(before.online, 1);
    ck_assert_int_eq(after.online, 2);
    ck_assert_uint_eq(g.h->vcpus_up, 1);
    ck_assert_uint_eq(g.h->vcpus_down, 0);
    double t0 = g.h->dom0->cpu_by_group[WORK_T0];
    ck_assert_msg(fabs(t0 - 50e6) <= 1.0, "hot-plug CPU %.3f ns, expected 5e7", t0);
    /* Online capacity: 1 vCPU for 2.35 s, then 2. */
    double area = host_main_online_ns(g.h);
    ck_assert_double_eq_tol(area, 2.35e9 + 2.0 * (30e9 - 2.35e9), 1.0);
    host_drop_work(g.h);
    host_free(g.h);
    cJSON_Delete(params);
    sim_free(sim);
}
END_TEST

/* dom0 boots with 1024 MiB and uses 300: at the first tick (1 s) it
 * balloons to used + headroom = 556 -> 640 MiB (128 MiB steps), costing
 * lifecycle_resize's 10 ms toolstack write, then 0.375 GiB x (100 ms
 * balloon + 200 ms scrub) on its own vCPU: 122.5 ms, after which the
 * memory is 640 MiB; and with nothing changing, that is the only balloon. */
START_TEST(balloon_delay_and_cost_are_exact)
{
    Sim *sim = sim_new(1);
    cJSON *params = cJSON_Parse(default_params);
    Host *h = elastic_host(sim, params, 300);
    Seen before = {.h = h}, after = {.h = h};
    SimTime done = SIM_S + 122500 * SIM_US;
    sim_at(sim, done - SIM_US, look, &before);
    sim_at(sim, done + SIM_US, look, &after);
    sim_run(sim, 100 * SIM_S);
    ck_assert_uint_eq(before.memory, 1024ULL << 20);
    ck_assert_uint_eq(after.memory, 640ULL << 20);
    ck_assert_uint_eq(h->main.memory, 640ULL << 20);
    ck_assert_uint_eq(h->balloons, 1);
    ck_assert_uint_eq(h->vcpus_up + h->vcpus_down, 0);
    host_check(h, "after balloon");
    host_free(h);
    cJSON_Delete(params);
    sim_free(sim);
}
END_TEST

/* ---- the decision rules ------------------------------------------------------ */

START_TEST(rules_have_a_band_and_bounds)
{
    cJSON *params = cJSON_Parse(default_params);
    ElasticParams p;
    elastic_params_read(params, &p);
    cJSON_Delete(params);
    /* Inside the band: no change. */
    ck_assert_int_eq(elastic_vcpus_target(&p, 2, 0.5), 2);
    ck_assert_int_eq(elastic_vcpus_target(&p, 2, 0.7), 2);
    ck_assert_int_eq(elastic_vcpus_target(&p, 2, 0.3), 2);
    /* Saturated: busy 1 core on 1 -> 2 (to the band's middle 0.5). */
    ck_assert_int_eq(elastic_vcpus_target(&p, 1, 1.0), 2);
    /* Rate level, demand 5 cores on 2: ceil(5/0.5) = 10, capped at max 8. */
    ck_assert_int_eq(elastic_vcpus_target(&p, 2, 2.5), 8);
    /* Demand 0.75 on 1: the middle wants 2, down_load allows 2. */
    ck_assert_int_eq(elastic_vcpus_target(&p, 1, 0.75), 2);
    /* Under the band: one at a time, never under min. */
    ck_assert_int_eq(elastic_vcpus_target(&p, 4, 0.1), 3);
    ck_assert_int_eq(elastic_vcpus_target(&p, 1, 0.0), 1);
    /* No step calls for the opposite step at the same busy cores: after
     * plugging the load stays at least down_load, after parking at most
     * up_load. */
    for (int n = 1; n <= 8; n++)
        for (int i = 0; i <= 300; i++) {
            double load = i / 100.0;
            int t = elastic_vcpus_target(&p, n, load);
            double after = load * n / t;
            if (t > n && t < p.max_vcpus)
                ck_assert_msg(after >= p.down_load, "%d vCPUs at load %.2f -> %d at %.3f", n, load,
                              t, after);
            if (t < n)
                ck_assert_msg(after <= p.up_load, "%d vCPUs at load %.2f -> %d at %.3f", n, load, t,
                              after);
        }
    const uint64_t MiB = 1ULL << 20;
    /* Memory: used 300 + headroom 256 -> 640 in 128 MiB steps. */
    ck_assert_uint_eq(elastic_memory_target(&p, 1024 * MiB, 300 * MiB), 640 * MiB);
    /* Free 240 MiB: between half the headroom and headroom + a step: stay. */
    ck_assert_uint_eq(elastic_memory_target(&p, 640 * MiB, 400 * MiB), 640 * MiB);
    /* Free 100 MiB, under half the headroom: grow to 540 + 256 -> 896. */
    ck_assert_uint_eq(elastic_memory_target(&p, 640 * MiB, 540 * MiB), 896 * MiB);
    /* Bounds. */
    ck_assert_uint_eq(elastic_memory_target(&p, 1024 * MiB, 0), 512 * MiB);
    ck_assert_uint_eq(elastic_memory_target(&p, 4096 * MiB, 4000 * MiB), 4096 * MiB);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("elastic");
    TCase *tc = tcase_create("elastic");
    tcase_add_test(tc, step_reaches_its_size_and_stays);
    tcase_add_test(tc, step_down_parks_one_per_cooldown);
    tcase_add_test(tc, fast_square_wave_does_not_oscillate);
    tcase_add_test(tc, slow_square_wave_is_tracked);
    tcase_add_test(tc, plug_delay_and_cost_are_exact);
    tcase_add_test(tc, balloon_delay_and_cost_are_exact);
    tcase_add_test(tc, rules_have_a_band_and_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(suite());
}
