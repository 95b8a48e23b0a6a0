/* Unit tests for the rate-level trace replay (models/replay.h): hand-made
 * traces whose dom0 figures are worked out by hand below. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"
#include "tests/tmp_tree.h"
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "models/replay.h"
#include "sim/sim_error.h"

static char *tmpdir;

static void setup(void)
{
    tmpdir = tmp_tree_new("replay");
}

/* Policy parameter blocks parsed by the test, freed at its end. */
static GPtrArray *params_made;

static void teardown(void)
{
    tmp_tree_remove(tmpdir);
    g_free(tmpdir);
    if (params_made)
        g_ptr_array_free(params_made, TRUE);
    params_made = NULL;
}

static void write_table(const char *table, const char *text)
{
    g_autofree char *dir = g_build_filename(tmpdir, table, NULL);
    g_mkdir_with_parents(dir, 0755);
    g_autofree char *path = g_build_filename(dir, "part-00000-of-00001.csv", NULL);
    ck_assert(g_file_set_contents(path, text, -1, NULL));
}

/* A task_usage row: start and end in s, CPU rate, disk I/O time. */
static char *usage_row(double start_s, double end_s, int job, int machine, double cpu, double io)
{
    return g_strdup_printf("%.0f,%.0f,%d,0,%d,%g,0.01,,,,,%g,,,,,,,,\n", start_s * 1e6, end_s * 1e6,
                           job, machine, cpu, io);
}

/* One machine of half the template (2 sockets x 4 cores, 16 GiB each); job
 * 10 asks for 2 cores and 4 GiB, runs from before the window and finishes
 * at 1600 s; it uses 1 core and 0.2 s/s of disk over [600, 900) s, 0.5 core
 * and 0.4 s/s over [900, 1200) s, and nothing measured after. */
static void basic_trace(const char *schedule_time_s)
{
    write_table("machine_events", "0,1,0,,0.5,0.5\n");
    g_autofree char *ev = g_strdup_printf("%s,,10,0,1,1,u,0,0,0.125,0.0625,0,0\n"
                                          "1600000000,,10,0,1,4,u,0,0,,,,\n",
                                          schedule_time_s);
    write_table("task_events", ev);
    g_autofree char *u1 = usage_row(600, 900, 10, 1, 0.0625, 0.2);
    g_autofree char *u2 = usage_row(900, 1200, 10, 1, 0.03125, 0.4);
    g_autofree char *u = g_strconcat(u1, u2, NULL);
    write_table("task_usage", u);
}

typedef struct {
    HostConfig host;
    ReplayConfig rc;
    cJSON *params;
} Setup;

static void setup_config(Setup *s, const char *policy, const char *params_json)
{
    memset(s, 0, sizeof *s);
    s->host.numa.sockets = 2;
    s->host.numa.cores_per_socket = 8;
    s->host.numa.memory_per_node = UINT64_C(32768) << 20;
    s->host.numa.remote_latency_factor = 1.6;
    s->host.numa.remote_bandwidth_factor = 0.5;
    s->host.dom0_base_used = UINT64_C(500) << 20;
    s->host.backend_mem_per_guest = UINT64_C(4) << 20;
    s->params = cJSON_Parse(params_json);
    ck_assert_ptr_nonnull(s->params);
    if (!params_made)
        params_made = g_ptr_array_new_with_free_func((GDestroyNotify)cJSON_Delete);
    g_ptr_array_add(params_made, s->params);
    s->rc = (ReplayConfig){
        .template_host = &s->host,
        .policy = policy_find(policy),
        .policy_params = s->params,
        .socket_algo = PLACEMENT_WORST_FIT,
        .dir = tmpdir,
        .start_us = 600000000,
        .duration = 1200 * SIM_S,
        .intercept_cores = 0.01,
        .per_cpu_core = 0.1,
        .per_disk_io = 0.5,
        .memory_bound_fraction = 0.5,
        .smallest_cpu = 0.0625,       /* 1 core */
        .smallest_memory = 0.0078125, /* 512 MiB */
        .sample_interval = 300 * SIM_S,
        .objective = {.lambda = 13.2, .mib_weight = 0.134 / 1024},
    };
    ck_assert_ptr_nonnull(s->rc.policy);
}

static const char *native_params = "{\"vcpus\":2,\"memory_mb\":2048,\"socket\":0,\"pinned\":true}";
static const char *closer_params =
    "{\"preset\":\"openstack\",\"main_socket\":0,\"epsilon_mb\":4.125,\"io_step_rps\":1000,"
    "\"balloon_step_mb\":16}";

static void run(Setup *s, ReplayFigures *f, Sim **sim_out)
{
    Sim *sim = sim_new(1);
    GError *err = NULL;
    Replay *r = replay_new(sim, &s->rc, &err);
    ck_assert_msg(r != NULL, "replay_new: %s", err ? err->message : "?");
    replay_start(r);
    sim_run(sim, s->rc.duration);
    ck_assert_msg(replay_ok(r, &err), "replay: %s", err ? err->message : "?");
    replay_finish(r);
    replay_integrals(r, f);
    replay_free(r);
    if (sim_out)
        *sim_out = sim;
    else
        sim_free(sim);
}

#define EPS 1e-6

/* Native, dom0 on socket 0, the task on socket 1 (worst fit: socket 0
 * lost 2 cores and 2 GiB to dom0): every core of its dom0 work costs
 * 1 + 0.5 x (1.6 - 1) = 1.3.  d = 0.21, 0.26, then the intercept 0.01
 * until the task ends at 1000 s. */
START_TEST(test_native_closed_form)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "native", native_params);
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    double work = 0.21 * 300 + 0.26 * 300 + 0.01 * 400; /* 145 core-seconds */
    ck_assert_double_eq_tol(f.capacity_cores, 2.0 * 1200, EPS);
    ck_assert_double_eq_tol(f.demand_cores, 1.3 * work, EPS);
    ck_assert_double_eq_tol(f.unused_cores, 2400 - 1.3 * work, EPS);
    ck_assert_double_eq_tol(f.guest_io_demand, work, EPS);
    ck_assert_double_eq_tol(f.guest_io_served, work, EPS);
    ck_assert_double_eq_tol(f.guest_paid_cores, 0.0, EPS);
    ck_assert_double_eq_tol(f.guest_cpu_cores, 1.0 * 300 + 0.5 * 300, EPS);
    ck_assert_double_eq_tol(f.tasks, 1000, EPS);
    ck_assert_double_eq_tol(f.memory_mb, 2048.0 * 1200, EPS);
    ck_assert_double_eq_tol(f.memory_used_mb, 504.0 * 1000 + 500.0 * 200, EPS);
    ck_assert_double_eq_tol(f.unused_memory_mb, 2048.0 * 1200 - 604000, EPS);
    /* One smallest task (1 core) fits beside the work, two once it ends. */
    ck_assert_double_eq_tol(f.smallest_tasks, 1.0 * 1000 + 2.0 * 200, EPS);
    ck_assert_double_eq_tol(f.saturated_hosts, 0.0, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "dom0.unused_cores"), (2400 - 1.3 * work) / 1200,
                            EPS);
    ck_assert_double_eq(scenario_metric(sim, "trace.usage_rows"), 2);
    ck_assert_double_eq(scenario_metric(sim, "trace.tasks_ended"), 1);
    sim_free(sim);
}
END_TEST

/* With dom0 on the task's socket the work costs what the relation says:
 * first fit keeps the task on socket 0, beside dom0's 2 cores. */
START_TEST(test_local_dom0_costs_reference)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "native", native_params);
    s.rc.socket_algo = PLACEMENT_FIRST_FIT;
    ReplayFigures f;
    run(&s, &f, NULL);
    ck_assert_double_eq_tol(f.demand_cores, 145, EPS);
    /* dom0 on socket 1 instead: first fit still picks socket 0, remote. */
    setup_config(&s, "native", "{\"vcpus\":2,\"memory_mb\":2048,\"socket\":1,\"pinned\":true}");
    s.rc.socket_algo = PLACEMENT_FIRST_FIT;
    run(&s, &f, NULL);
    ck_assert_double_eq_tol(f.demand_cores, 1.3 * 145, EPS);
}
END_TEST

/* closer: the guest's work runs on its own socket, paid by it, at
 * reference cost; the main container only keeps its own (here nothing). */
START_TEST(test_closer_bills_guest)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "closer", closer_params);
    ReplayFigures f;
    run(&s, &f, NULL);
    ck_assert_double_eq_tol(f.guest_paid_cores, 145, EPS);
    ck_assert_double_eq_tol(f.guest_io_served, 145, EPS);
    ck_assert_double_eq_tol(f.demand_cores, 0.0, EPS);
    ck_assert_double_eq_tol(f.unused_cores, 2400, EPS);
    /* Back-end state lives in the secondary containers, lent by guests. */
    ck_assert_double_eq_tol(f.memory_used_mb, 500.0 * 1200, EPS);
}
END_TEST

/* static-socket: dom0 is one socket of the scaled machine: 4 cores and
 * 16 GiB; the task can only go to the other socket. */
START_TEST(test_static_socket_size)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "static-socket", "{\"socket\":0}");
    ReplayFigures f;
    run(&s, &f, NULL);
    ck_assert_double_eq_tol(f.capacity_cores, 4.0 * 1200, EPS);
    ck_assert_double_eq_tol(f.memory_mb, 16384.0 * 1200, EPS);
    ck_assert_double_eq_tol(f.demand_cores, 1.3 * 145, EPS);
}
END_TEST

/* An undersized dom0: 1 vCPU and disk work 10 cores per s/s. */
static void run_saturated(ReplayFigures *f, Sim **sim)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "native", "{\"vcpus\":1,\"memory_mb\":2048,\"socket\":0,\"pinned\":true}");
    s.rc.per_disk_io = 10;
    run(&s, f, sim);
}

/* Demand is 2.11 x 1.3 and 4.06 x 1.3 cores in the first two periods of
 * run_saturated: saturated, the guest's work is served at 1 / demand. */
START_TEST(test_saturation_slows_guests)
{
    ReplayFigures f;
    run_saturated(&f, NULL);
    double demand = 2.11 * 300 + 4.06 * 300 + 0.01 * 400;
    ck_assert_double_eq_tol(f.guest_io_demand, demand, EPS);
    ck_assert_double_eq_tol(f.guest_io_served, 300 / 1.3 + 300 / 1.3 + 0.01 * 400, EPS);
    ck_assert_double_eq_tol(f.saturated_hosts, 600, EPS);
    ck_assert_double_eq_tol(f.unused_cores, 1200 - 600 - 0.013 * 400, EPS);
}
END_TEST

static void set_life_costs(Setup *s)
{
    s->host.life.create_fixed_ns = 2e9;
    s->host.life.create_ns_per_gb = 1e9;
    s->host.life.destroy_fixed_ns = 1e9;
    s->host.life.scrub_ns_per_gb = 0.5e9;
}

/* A task scheduled inside the window costs a create (2 s + 1 s/GiB, its
 * 4 GiB remote: x 1.6) and its end a destroy (1 s + 0.5 s/GiB scrub). */
START_TEST(test_lifecycle_operations)
{
    basic_trace("700000000");
    Setup s;
    setup_config(&s, "native", native_params);
    set_life_costs(&s);
    ReplayFigures f;
    run(&s, &f, NULL);
    /* The usage row at 600 s comes before the SCHEDULE at 700 s: the task
     * starts from its usage (counted), and the SCHEDULE then re-places it
     * with its request and a create. */
    double create = 2 + 4 * 1.6, destroy = 1 + 0.5 * 4 * 1.6;
    double work_before = 0.21 * 100; /* placed from usage: same socket 1 */
    double work =
        work_before + 0.01 * 200 /* re-placed: no usage until 900 s */ + 0.26 * 300 + 0.01 * 400;
    ck_assert_double_eq_tol(f.demand_cores, 1.3 * work + create + destroy, EPS);

    setup_config(&s, "closer", closer_params);
    set_life_costs(&s);
    run(&s, &f, NULL);
    /* closer: the create in the main container (remote from the guest's
     * memory), the destroy on the guest's socket, paid by it. */
    ck_assert_double_eq_tol(f.demand_cores, create, EPS);
    ck_assert_double_eq_tol(f.guest_paid_cores, work + 1 + 0.5 * 4, EPS);
}
END_TEST

/* The objective under native (2 vCPUs, never saturated): CPU waste is the
 * capacity beyond the work at reference cost (the NUMA surcharge counts as
 * waste), memory waste the unused MiB, no shortfall. */
START_TEST(test_objective_native_closed_form)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "native", native_params);
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    double waste = 2400 - 145.0, mem_waste = 2048.0 * 1200 - 604000;
    ck_assert_double_eq_tol(f.cpu_waste_cores, waste, EPS);
    ck_assert_double_eq_tol(f.cpu_shortfall_cores, 0.0, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.cpu_waste_core_s"), waste, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.memory_waste_mib_s"), mem_waste, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.memory_shortfall_mib_s"), 0.0, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.delay_core_s"), 0.0, EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.J"), waste + 0.134 / 1024 * mem_waste,
                            EPS);
    sim_free(sim);
}
END_TEST

/* Saturated (run_saturated): in the first two periods
 * demand is 1.3 x raw, served at 1 / demand, so 1 / 1.3 core of the vCPU
 * is useful work and raw - 1 / 1.3 cores go unserved; later the vCPU only
 * runs the 0.01-core intercept, then nothing. */
START_TEST(test_objective_shortfall)
{
    ReplayFigures f;
    Sim *sim;
    run_saturated(&f, &sim);
    double waste = 600 * (1 - 1 / 1.3) + 400 * 0.99 + 200;
    double shortfall = 300 * (2.11 + 4.06) - 600 / 1.3;
    ck_assert_double_eq_tol(f.cpu_waste_cores, waste, EPS);
    ck_assert_double_eq_tol(f.cpu_shortfall_cores, shortfall, EPS);
    double mem_waste = 2048.0 * 1200 - 604000;
    ck_assert_double_eq_tol(scenario_metric(sim, "objective.J"),
                            waste + 13.2 * shortfall + 0.134 / 1024 * mem_waste, 1e-5);
    sim_free(sim);
}
END_TEST

/* The oracle: at every instant capacity is the demand and memory what dom0
 * uses, whatever the load; guest work runs on the guest's socket at
 * reference cost, all of it served, so every part of J is 0.  Its own work
 * (the create) is in the main container, on socket 0, which is also where
 * worst fit puts the task since the oracle sets no core aside: a local
 * create, 2 s + 4 GiB x 1 s/GiB.  The destroy runs on the guest's socket. */
START_TEST(test_oracle_exact)
{
    basic_trace("700000000");
    Setup s;
    setup_config(&s, "oracle", "{}");
    set_life_costs(&s);
    s.rc.per_disk_io = 10; /* would saturate any static dom0 of a few vCPUs */
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    ck_assert_double_eq_tol(f.demand_cores, 2 + 4 * 1.0, EPS);
    ck_assert_double_eq_tol(f.capacity_cores, f.demand_cores, EPS);
    ck_assert_double_eq_tol(f.unused_cores, 0.0, EPS);
    ck_assert_double_eq_tol(f.saturated_hosts, 0.0, EPS);
    ck_assert(f.guest_io_demand > 1000);
    ck_assert_double_eq_tol(f.guest_io_served, f.guest_io_demand, EPS);
    ck_assert_double_eq_tol(f.guest_paid_cores, 0.0, EPS);
    ck_assert_double_eq_tol(f.memory_mb, 500.0 * 1200, EPS);
    ck_assert_double_eq_tol(f.memory_used_mb, f.memory_mb, EPS);
    ck_assert_double_eq_tol(f.cpu_waste_cores, 0.0, EPS);
    ck_assert_double_eq_tol(f.cpu_shortfall_cores, 0.0, EPS);
    ck_assert_double_eq(scenario_metric(sim, "objective.J"), 0.0);
    sim_free(sim);
}
END_TEST

/* Machines beyond the first N are left out, with their tasks. */
START_TEST(test_machine_subset)
{
    write_table("machine_events", "0,1,0,,0.5,0.5\n0,2,0,,1,1\n0,3,0,,,\n");
    write_table("task_events", "0,,10,0,2,1,u,0,0,0.1,0.1,0,0\n");
    g_autofree char *u = usage_row(600, 900, 10, 2, 0.0625, 0.2);
    write_table("task_usage", u);
    Setup s;
    setup_config(&s, "native", native_params);
    s.rc.max_machines = 1;
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    ck_assert_double_eq(scenario_metric(sim, "trace.machines"), 1);
    ck_assert_double_eq(scenario_metric(sim, "trace.machines_ignored"), 2);
    ck_assert_double_eq(scenario_metric(sim, "trace.rows_unknown_machine"), 2);
    ck_assert_double_eq_tol(f.tasks, 0, EPS);
    sim_free(sim);

    /* All machines: the one without a capacity is still left out. */
    setup_config(&s, "native", native_params);
    run(&s, &f, &sim);
    ck_assert_double_eq(scenario_metric(sim, "trace.machines"), 2);
    ck_assert_double_eq(scenario_metric(sim, "trace.machines_without_capacity"), 1);
    ck_assert_double_eq_tol(f.capacity_cores, 2 * 2 * 1200, EPS);
    sim_free(sim);
}
END_TEST

/* A machine removed at 1000 s stops counting. */
START_TEST(test_machine_remove)
{
    basic_trace("0");
    write_table("machine_events", "0,1,0,,0.5,0.5\n1600000000,1,1,,,\n");
    Setup s;
    setup_config(&s, "native", native_params);
    ReplayFigures f;
    run(&s, &f, NULL);
    ck_assert_double_eq_tol(f.capacity_cores, 2.0 * 1000, EPS);
}
END_TEST

/* The smallest task is found in task_events when not given. */
START_TEST(test_smallest_from_trace)
{
    basic_trace("0");
    write_table("task_events", "0,,10,0,1,0,u,0,0,0.125,0.0625,0,0\n"
                               "0,,10,0,1,1,u,0,0,0.125,0.0625,0,0\n"
                               "0,,11,0,,0,u,0,0,0.03125,0.25,0,0\n"
                               "0,,12,0,,0,u,0,0,0,0.001,0,0\n"
                               "1600000000,,10,0,1,4,u,0,0,,,,\n");
    Setup s;
    setup_config(&s, "native", native_params);
    s.rc.smallest_cpu = s.rc.smallest_memory = NAN;
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    ck_assert_double_eq_tol(scenario_metric(sim, "trace.smallest_task.cpu_cores"), 0.03125 * 16,
                            EPS);
    ck_assert_double_eq_tol(scenario_metric(sim, "trace.smallest_task.memory_mb"), 0.001 * 65536,
                            EPS);
    sim_free(sim);
}
END_TEST

/* A malformed row stops the run with file and line. */
START_TEST(test_bad_row_stops)
{
    basic_trace("0");
    g_autofree char *u1 = usage_row(600, 900, 10, 1, 0.0625, 0.2);
    g_autofree char *u = g_strconcat(u1, "900000000,1200000000,10,0\n", NULL);
    write_table("task_usage", u);
    Setup s;
    setup_config(&s, "native", native_params);
    Sim *sim = sim_new(1);
    GError *err = NULL;
    Replay *r = replay_new(sim, &s.rc, &err);
    ck_assert_ptr_nonnull(r);
    replay_start(r);
    sim_run(sim, s.rc.duration);
    ck_assert(!replay_ok(r, &err));
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_INPUT);
    ck_assert_msg(strstr(err->message, "part-00000-of-00001.csv:2") != NULL, "%s", err->message);
    ck_assert(sim_time_to_s(sim_now(sim)) < 1200);
    g_error_free(err);
    replay_free(r);
    sim_free(sim);

    /* skip_bad_rows: counted, the run goes on. */
    s.rc.skip_bad_rows = true;
    ReplayFigures f;
    run(&s, &f, &sim);
    ck_assert_double_eq(scenario_metric(sim, "trace.skipped_rows"), 1);
    sim_free(sim);
}
END_TEST

START_TEST(test_missing_table)
{
    write_table("machine_events", "0,1,0,,0.5,0.5\n");
    Setup s;
    setup_config(&s, "native", native_params);
    Sim *sim = sim_new(1);
    GError *err = NULL;
    ck_assert_ptr_null(replay_new(sim, &s.rc, &err));
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_INPUT);
    ck_assert_msg(strstr(err->message, "task_events") != NULL, "%s", err->message);
    g_error_free(err);
    sim_free(sim);
}
END_TEST

/* The same trace twice: identical integrals, bit for bit. */
START_TEST(test_deterministic)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "native", native_params);
    ReplayFigures a, b;
    run(&s, &a, NULL);
    run(&s, &b, NULL);
    ck_assert(memcmp(&a, &b, sizeof a) == 0);
}
END_TEST

/* elastic at rate level, worked by hand.  With an intercept of 1 core the
 * task's dom0 work is 1.2, 1.25 then 1 core, x 1.3 on the far socket (the
 * half-size machine's socket 0 is all dom0's: 4 cores): D = 1.56 over
 * [0, 300) s, 1.625 over [300, 600), 1.3 until the task ends at 1000 s.
 * Every 300 s the mean demand is measured:
 * - 300 s: 1.56 on 1 vCPU -> 4 (ceil(1.56 / 0.5), capped at max_vcpus);
 *   3 hot-plugs = 150 ms of one core in the main container, the vCPUs
 *   online 100 ms after the decision; dom0's 504 MiB used + 256 headroom
 *   -> balloon 1024 -> 768 MiB (lifecycle costs 0 here: done at once);
 * - 600 s and 900 s: 0.41 and 0.325 of 4, inside the band;
 * - 1200 s: 0.43 cores on 4, under 0.3: one parked (at the horizon). */
START_TEST(test_elastic_closed_form)
{
    basic_trace("0");
    Setup s;
    setup_config(&s, "elastic",
                 "{\"min_vcpus\":1,\"max_vcpus\":4,\"socket\":0,\"pinned\":true,"
                 "\"up_load\":0.7,\"down_load\":0.3,\"window_s\":15,\"cooldown_s\":300,"
                 "\"hotplug_cpu_ms\":50,\"hotplug_delay_ms\":100,\"memory_mb\":1024,"
                 "\"min_memory_mb\":512,\"max_memory_mb\":4096,\"headroom_mb\":256,"
                 "\"balloon_step_mb\":128,\"rate_period_s\":300}");
    s.rc.intercept_cores = 1.0;
    ReplayFigures f;
    Sim *sim;
    run(&s, &f, &sim);
    ck_assert_double_eq_tol(f.capacity_cores, 1.0 * 300.1 + 4.0 * (1200 - 300.1), EPS);
    ck_assert_double_eq_tol(f.demand_cores, 1.56 * 300 + 1.625 * 300 + 1.3 * 400 + 0.15, EPS);
    ck_assert_double_eq_tol(f.memory_mb, 1024.0 * 300 + 768.0 * 900, EPS);
    ck_assert_double_eq_tol(f.saturated_hosts, 300.1, EPS);
    ck_assert_double_eq(scenario_metric(sim, "dom0.resizes.vcpu_up"), 1);
    ck_assert_double_eq(scenario_metric(sim, "dom0.resizes.vcpu_down"), 1);
    ck_assert_double_eq(scenario_metric(sim, "dom0.resizes.balloon"), 1);
    sim_free(sim);
}
END_TEST

static Suite *replay_suite(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("replay");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_native_closed_form);
    tcase_add_test(tc, test_local_dom0_costs_reference);
    tcase_add_test(tc, test_closer_bills_guest);
    tcase_add_test(tc, test_elastic_closed_form);
    tcase_add_test(tc, test_static_socket_size);
    tcase_add_test(tc, test_saturation_slows_guests);
    tcase_add_test(tc, test_lifecycle_operations);
    tcase_add_test(tc, test_objective_native_closed_form);
    tcase_add_test(tc, test_objective_shortfall);
    tcase_add_test(tc, test_oracle_exact);
    tcase_add_test(tc, test_machine_subset);
    tcase_add_test(tc, test_machine_remove);
    tcase_add_test(tc, test_smallest_from_trace);
    tcase_add_test(tc, test_bad_row_stops);
    tcase_add_test(tc, test_missing_table);
    tcase_add_test(tc, test_deterministic);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(replay_suite());
}
