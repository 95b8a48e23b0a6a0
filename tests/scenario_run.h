/* Runs a scenario given as JSON text through the same path as the CLI
 * (parse, --set overrides, schema validation, world build, event loop) and
 * hands back the Sim, whose metrics the test then reads. */
#ifndef DOM0SIM_TESTS_SCENARIO_RUN_H
#define DOM0SIM_TESTS_SCENARIO_RUN_H

#include <check.h>
#include <string.h>

#include "models/world.h"
#include "sim/sim.h"
#include "sim/sim_json.h"
#include "sim/sim_schema.h"

/* As scenario_run, for an offline policy: `plan` (may be NULL, taken) is
 * what a first pass recorded (models/world.h), and *record (when record is
 * not NULL) receives what this run recorded. */
static inline Sim *scenario_run_planned(const char *json, const char *const *sets, WorldPlan *plan,
                                        WorldPlan **record)
{
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_builtin(&err);
    ck_assert_msg(schema != NULL, "schema: %s", err ? err->message : "?");
    SimJsonDoc *doc = sim_json_load_text(json, strlen(json), "test.json", &err);
    ck_assert_msg(doc != NULL, "parse: %s", err ? err->message : "?");
    for (const char *const *s = sets; s && *s; s++)
        ck_assert_msg(sim_schema_apply_set(schema, doc, *s, &err), "--set %s: %s", *s,
                      err ? err->message : "?");
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "validate: %s", err ? err->message : "?");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(sim_json_doc_root(doc), "seed");
    Sim *sim = sim_new((uint64_t)seed->valuedouble);
    World *w = world_build(sim, doc, &err);
    ck_assert_msg(w != NULL, "build: %s", err ? err->message : "?");
    if (plan)
        world_set_plan(w, plan);
    world_start(w);
    sim_run(sim, world_duration(w));
    world_finish(w);
    if (record)
        *record = world_take_plan(w);
    world_free(w);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
    return sim;
}

/* sets: NULL-terminated "PATH=VALUE" overrides (may be NULL).  Fails the
 * test on any error.  The caller frees the Sim. */
static inline Sim *scenario_run(const char *json, const char *const *sets)
{
    return scenario_run_planned(json, sets, NULL, NULL);
}

/* scenario_run under `policy` (the scenario's "policy" overridden). */
static inline Sim *scenario_run_policy(const char *json, const char *policy)
{
    char *set = g_strdup_printf("policy=\"%s\"", policy);
    const char *sets[] = {set, NULL};
    Sim *sim = scenario_run(json, sets);
    g_free(set);
    return sim;
}

static inline double scenario_metric(const Sim *sim, const char *name)
{
    double v = 0.0;
    ck_assert_msg(sim_metric_get(sim, name, &v), "metric %s missing", name);
    return v;
}

#endif
