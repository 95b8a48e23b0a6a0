/* Fuzz target: the scenario loader, as `dom0sim [--set PATH=VALUE]... FILE`
 * drives it (sim/main.c run), then the simulation of what it built, bounded
 * to FUZZ_EVENTS events (as --max-events would), with the policy's first
 * pass for an offline one, and its final metrics: a scenario the loader
 * accepts must also run, stop early and be freed cleanly.
 *
 * Input: a scenario document, then zero or more NUL-separated --set
 * assignments.  Each part is copied into a buffer of exactly its size, so
 * reading past the end of the text is caught by AddressSanitizer.  The
 * document is named as if it lay in scenarios/, so a trace scenario's
 * "../traces/sample" reaches the shipped sample. */
#include <cjson/cJSON.h>
#include <glib.h>
#include <string.h>

#include "models/world.h"
#include "sim/sim.h"
#include "sim/sim_json.h"
#include "sim/sim_schema.h"
#include "tests/fuzz/fuzz_targets.h"

/* More overrides than a command line would carry add nothing new. */
#define MAX_SETS 16
/* Enough events to start every guest, workload, migration and trace row of
 * a small scenario; few enough to keep an input within milliseconds. */
#define FUZZ_EVENTS 20000

static SimSchema *schema;

/* Runs a built world for at most FUZZ_EVENTS events and finishes it; FALSE
 * (err set) when the run found an input error, e.g. a trace row malformed
 * mid-run, which is not a crash. */
static gboolean run_bounded(Sim *sim, World *w, GError **err)
{
    sim_set_max_events(sim, FUZZ_EVENTS);
    world_start(w);
    sim_run(sim, world_duration(w));
    if (!world_ok(w, err))
        return FALSE;
    world_finish(w);
    return TRUE;
}

static void load_and_build(const uint8_t *data, size_t size, GError **err)
{
    const uint8_t *end = data + size;
    const uint8_t *nul = memchr(data, '\0', size);
    size_t text_len = nul ? (size_t)(nul - data) : size;
    g_autofree char *text = g_memdup2(data, text_len ? text_len : 1);
    g_autoptr(SimJsonDoc) doc =
        sim_json_load_text(text, text_len, DOM0SIM_SRC_DIR "/scenarios/fuzz.json", err);
    if (!doc)
        return;
    const uint8_t *p = nul ? nul + 1 : end;
    for (int i = 0; i < MAX_SETS && p < end; i++) {
        const uint8_t *q = memchr(p, '\0', (size_t)(end - p));
        size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
        g_autofree char *set = g_strndup((const char *)p, n);
        if (!sim_schema_apply_set(schema, doc, set, err))
            return;
        p = q ? q + 1 : end;
    }
    if (!sim_schema_validate(schema, doc, err))
        return;
    uint64_t seed = (uint64_t)cJSON_GetNumberValue(
        cJSON_GetObjectItemCaseSensitive(sim_json_doc_root(doc), "seed"));
    g_autoptr(Sim) sim = sim_new(seed);
    g_autoptr(World) w = world_build(sim, doc, err);
    /* Success and an error are exclusive. */
    g_assert((w != NULL) == (*err == NULL));
    if (!w)
        return;
    /* An offline policy's first pass, then the run. */
    if (world_wants_plan(w)) {
        g_autoptr(Sim) sim1 = sim_new(seed);
        g_autoptr(World) w1 = world_build(sim1, doc, err);
        g_assert(w1);
        if (!run_bounded(sim1, w1, err))
            return;
        world_set_plan(w, world_take_plan(w1));
    }
    run_bounded(sim, w, err);
}

int fuzz_scenario_one(const uint8_t *data, size_t size)
{
    if (!schema) {
        schema = sim_schema_new_builtin(NULL);
        g_assert(schema);
    }
    GError *err = NULL;
    load_and_build(data, size, &err);
    g_clear_error(&err);
    return 0;
}

#ifdef DOM0SIM_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_scenario_one(data, size);
}
#endif
