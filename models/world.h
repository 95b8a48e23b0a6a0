/* The simulated data centre of one scenario: hosts, guests, the dom0 policy
 * and the operations the scenario schedules.  Built from a validated
 * document; every cross-reference (a VM's host, a migration's VM and
 * destination) is checked here, with the place in the file. */
#ifndef DOM0SIM_WORLD_H
#define DOM0SIM_WORLD_H

#include <glib.h>
#include <stdio.h>

#include "policies/policy.h"
#include "sim/sim.h"
#include "sim/sim_json.h"

typedef struct World World;

/* Builds the world into `sim` from a validated document.  Fails with
 * DOM0SIM_ERROR_INPUT naming the place when the document refers to things
 * that do not exist or cannot fit. */
World *world_build(Sim *sim, SimJsonDoc *doc, GError **err);
void world_free(World *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(World, world_free)

const char *world_name(const World *w);
const char *world_policy_name(const World *w);
SimTime world_duration(const World *w);

/* Schedules the scenario's operations and periodic samples. */
void world_start(World *w);
/* FALSE with the error when the run stopped on bad input it read as it went
 * (a trace scenario's malformed row); call after sim_run. */
gboolean world_ok(const World *w, GError **err);
/* Writes the final metrics into the Sim (call once, after the run). */
void world_finish(World *w);

/* An offline policy (size_offline) at event level sizes dom0 ahead of time
 * from a first pass: run the same scenario and seed once, take the need it
 * recorded per host and window (world_take_plan), and give it to the world
 * of the real run before world_start (world_set_plan, which takes it). */
typedef struct WorldPlan WorldPlan;
/* TRUE when w's policy sizes dom0 offline at event level. */
gboolean world_wants_plan(const World *w);
/* Call after world_finish. */
WorldPlan *world_take_plan(World *w);
void world_set_plan(World *w, WorldPlan *plan);
void world_plan_free(WorldPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(WorldPlan, world_plan_free)

/* Writes one row per migration round: CSV with a header. */
gboolean world_write_rounds(const World *w, FILE *fp, GError **err);
/* Whether any guest runs IOzone, and its -R report (models/iozone.h). */
gboolean world_has_iozone(const World *w);
void world_write_iozone_report(const World *w, FILE *fp);
/* Prints a human summary of the results (a few lines per host and guest). */
void world_print_summary(const World *w, FILE *fp);

#endif
