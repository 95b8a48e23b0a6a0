#include "models/objective.h"

#include "sim/sim_jget.h"

void objective_weights_from_json(const cJSON *block, ObjectiveWeights *w)
{
    w->lambda = jget_num(block, "shortfall_weight");
    /* The scenario prices a GiB; the parts are in MiB. */
    w->mib_weight = jget_num(block, "memory_cores_per_gib") / 1024.0;
}

double objective_total(const ObjectiveParts *p, const ObjectiveWeights *w)
{
    return p->cpu_waste_core_s + w->lambda * (p->cpu_shortfall_core_s + p->delay_core_s) +
           w->mib_weight * (p->memory_waste_mib_s + w->lambda * p->memory_shortfall_mib_s);
}

void objective_add(ObjectiveParts *a, const ObjectiveParts *b)
{
    a->cpu_waste_core_s += b->cpu_waste_core_s;
    a->cpu_shortfall_core_s += b->cpu_shortfall_core_s;
    a->delay_core_s += b->delay_core_s;
    a->memory_waste_mib_s += b->memory_waste_mib_s;
    a->memory_shortfall_mib_s += b->memory_shortfall_mib_s;
}

double objective_waste(const ObjectiveParts *p, const ObjectiveWeights *w)
{
    return p->cpu_waste_core_s + w->mib_weight * p->memory_waste_mib_s;
}

void objective_write(Sim *sim, const ObjectiveParts *p, const ObjectiveWeights *w)
{
    sim_metric_set(sim, "objective.J", objective_total(p, w));
    sim_metric_set(sim, "objective.cpu_waste_core_s", p->cpu_waste_core_s);
    sim_metric_set(sim, "objective.waste_core_s", objective_waste(p, w));
    sim_metric_set(sim, "objective.cpu_shortfall_core_s", p->cpu_shortfall_core_s);
    sim_metric_set(sim, "objective.delay_core_s", p->delay_core_s);
    sim_metric_set(sim, "objective.memory_waste_mib_s", p->memory_waste_mib_s);
    sim_metric_set(sim, "objective.memory_shortfall_mib_s", p->memory_shortfall_mib_s);
    sim_metric_set(sim, "objective.shortfall_weight", w->lambda);
    sim_metric_set(sim, "objective.memory_cores_per_gib", w->mib_weight * 1024.0);
}
