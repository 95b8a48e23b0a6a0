/* The objective every dom0 policy is measured against (docs/MODEL.md, "The
 * objective J"), in core-seconds:
 *
 *   J = cpu_waste + lambda x (cpu_shortfall + delay)
 *       + mib_weight x (memory_waste + lambda x memory_shortfall)
 *
 * cpu_waste      core-s dom0 was given beyond the useful work it did (at the
 *                cost on a reference core with local memory: CPU burnt on
 *                remote memory is waste too);
 * cpu_shortfall  core-s of dom0 work demanded beyond what dom0 had;
 * delay          event level: seconds dom0 work items waited before a dom0
 *                vCPU started them, i.e. the core-s of extra vCPUs that
 *                would have started every item on arrival (0 at rate level);
 * memory_waste   MiB-s allocated to dom0 and not used;
 * memory_shortfall  MiB-s dom0 needed beyond its allocation.
 *
 * Every part is >= 0; a policy that gives dom0 exactly what it needs, where
 * it needs it, scores 0 on all but delay. */
#ifndef DOM0SIM_OBJECTIVE_H
#define DOM0SIM_OBJECTIVE_H

#include <cjson/cJSON.h>

#include "sim/sim.h"

typedef struct {
    double lambda;     /* shortfall / waste cost ratio, dimensionless */
    double mib_weight; /* cores per MiB: what a MiB-second costs in core-seconds */
} ObjectiveWeights;

typedef struct {
    double cpu_waste_core_s;
    double cpu_shortfall_core_s;
    double delay_core_s;
    double memory_waste_mib_s;
    double memory_shortfall_mib_s;
} ObjectiveParts;

/* The weights of a validated scenario's "objective" block (defaults filled). */
void objective_weights_from_json(const cJSON *block, ObjectiveWeights *w);
/* J, core-seconds. */
double objective_total(const ObjectiveParts *p, const ObjectiveWeights *w);
/* J's waste terms alone, core-seconds: cpu_waste + mib_weight x
 * memory_waste (the multi-objective view's waste axis). */
double objective_waste(const ObjectiveParts *p, const ObjectiveWeights *w);
/* Adds b to a, part by part. */
void objective_add(ObjectiveParts *a, const ObjectiveParts *b);
/* Writes objective.J and its parts (and the weights) to the run's metrics. */
void objective_write(Sim *sim, const ObjectiveParts *p, const ObjectiveWeights *w);

#endif
