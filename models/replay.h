/* Trace replay at rate level: a Google clusterdata-2011-2 trace
 * (sim/gtrace.h) drives a data centre of hosts whose dom0 a policy sizes and
 * places, and the replay measures how much of dom0's capacity goes unused.
 *
 * Machines become hosts, scaled from a template host (the machine the
 * trace's capacities are normalised to, 1.0): each socket gets the
 * machine's share of the template's cores (rounded, at least one) and
 * memory.  A SCHEDULE event makes the task a guest on its machine, on the
 * socket a bin-packing heuristic picks for its requested CPU and memory; an
 * EVICT, FAIL, FINISH, KILL or LOST event ends it.  Every task_usage row
 * sets, for [start, end), the task's CPU (cores), disk I/O time (s/s) and
 * memory; when no row covers a time the task uses nothing.  Creating and
 * destroying a task costs dom0 the template's lifecycle CPU, as one core
 * busy for that long.
 *
 * The dom0 CPU a task causes is the linear relation
 *   d = intercept + per_cpu_core x cpu + per_disk_io x disk_io_time
 * in cores of a reference core with local memory.  The policy places each
 * kind of work (policy_place_rate): in the main container, where work for a
 * guest on another socket costs numa_work_factor more, or on the guest's own
 * socket, paid by the guest (closer's secondary containers).  Per host at
 * every instant:
 *   capacity C = the main container's vCPUs;
 *   demand D   = agent + lifecycle operations + the (NUMA-weighted) guest
 *                work placed there;
 *   unused     = C - min(D, C); when D > C the guests' work placed there is
 *                served at C / D of its demand;
 *   (an offline policy, policy_size_offline, is handed C = D and memory =
 *   what dom0 uses, at every instant;)
 *   memory     = the main container's, of which the template's dom0_base_mb
 *                and backend_mb_per_guest for each guest whose back ends it
 *                holds are used;
 *   smallest tasks it could host = floor(min(unused cores / the smallest
 *                task's CPU, unused memory / its memory)).
 * All figures are integrated exactly over simulated time (piecewise
 * constant between rows), summed over hosts, and written per output
 * interval to the time series and as time means to the metrics. */
#ifndef DOM0SIM_REPLAY_H
#define DOM0SIM_REPLAY_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "models/host.h"
#include "models/objective.h"
#include "models/placement.h"
#include "policies/policy.h"
#include "sim/sim.h"

typedef struct {
    /* The machine normalised to 1.0: sockets, cores, memory, NUMA
     * distances, dom0_base_used, backend_mem_per_guest, the management
     * agent and the lifecycle costs are used. */
    const HostConfig *template_host;
    const PolicyOps *policy;
    const cJSON *policy_params;
    PlacementAlgo socket_algo;

    const char *dir;  /* holds machine_events/, task_events/, task_usage/ */
    int64_t start_us; /* trace time of simulated time 0 */
    SimTime duration;
    int max_machines; /* 0: all */
    bool skip_bad_rows;

    double intercept_cores, per_cpu_core, per_disk_io, memory_bound_fraction;
    /* The smallest task, normalised; both NAN: find it in task_events. */
    double smallest_cpu, smallest_memory;

    SimTime sample_interval; /* time-series rows */
    ObjectiveWeights objective;
} ReplayConfig;

typedef struct Replay Replay;

/* Opens the trace.  Errors: DOM0SIM_ERROR_INPUT for a missing table
 * directory, _IO for an unreadable file. */
Replay *replay_new(Sim *sim, const ReplayConfig *cfg, GError **err);
void replay_free(Replay *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Replay, replay_free)

/* Schedules the first rows and the samples; without a given smallest task,
 * first reads task_events once to find it (an error there stops the run, as
 * a malformed row does: see replay_ok). */
void replay_start(Replay *r);
/* FALSE with the error when reading stopped the run (the Sim was stopped). */
gboolean replay_ok(const Replay *r, GError **err);
/* Integrates up to now and writes the metrics. */
void replay_finish(Replay *r);
void replay_print_summary(const Replay *r, FILE *fp);

/* Time integrals since the start, summed over hosts (for tests and the
 * summary): unit x seconds. */
typedef struct {
    double capacity_cores; /* main containers' vCPUs */
    double demand_cores;   /* work placed in main containers (NUMA-weighted) */
    double unused_cores;
    double memory_mb; /* main containers' memory */
    double memory_used_mb;
    double unused_memory_mb;
    double memory_shortfall_mb; /* used beyond the container's memory */
    double smallest_tasks;      /* smallest tasks the unused capacity could host */
    double saturated_hosts;     /* hosts with demand above capacity */
    double guest_io_demand;     /* guest-caused work, reference cores */
    double guest_io_served;     /* of which served */
    double guest_paid_cores;    /* work placed on guests' sockets, paid by them */
    double guest_cpu_cores;
    double tasks;
    /* The objective's parts (models/objective.h): main-container capacity
     * beyond the useful work served there (reference cores, so the NUMA
     * surcharge of remote work counts as waste), and useful work beyond
     * capacity, not served. */
    double cpu_waste_cores;
    double cpu_shortfall_cores;
} ReplayFigures;

void replay_integrals(const Replay *r, ReplayFigures *out);
/* Counters of what was read. */
uint64_t replay_rows(const Replay *r);
int replay_hosts(const Replay *r);

#endif
