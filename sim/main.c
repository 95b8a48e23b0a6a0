/* dom0sim: run one scenario under one dom0 policy and write its results. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "models/world.h"
#include "policies/policy.h"
#include "sim/sim.h"
#include "sim/sim_error.h"
#include "sim/sim_json.h"
#include "sim/sim_output.h"
#include "sim/sim_schema.h"

typedef struct {
    char *out_dir;
    char *seed;
    char *policy;
    char **sets;
    gboolean validate;
    gboolean list_policies;
    gboolean quiet;
    gboolean progress;
    gboolean no_progress;
    gboolean version;
    char **args;
} Options;

static void print_policies(void)
{
    size_t n;
    const PolicyOps *const *all = policy_all(&n);
    for (size_t i = 0; i < n; i++)
        printf("%-16s %s\n", all[i]->name, all[i]->description);
}

static void progress_cb(const Sim *sim, SimTime horizon, void *data)
{
    gint64 *wall_start = data;
    double wall = (double)(g_get_monotonic_time() - *wall_start) / 1e6;
    double now = sim_time_to_s(sim_now(sim));
    double total = sim_time_to_s(horizon);
    fprintf(stderr, "\r[%5.1f%%] simulated %.1f / %.1f s, %" PRIu64 " events, %.2f M events/s ",
            total > 0 ? 100.0 * now / total : 100.0, now, total, sim_events_processed(sim),
            wall > 0 ? (double)sim_events_processed(sim) / wall / 1e6 : 0.0);
    fflush(stderr);
}

/* Applies --set, then --seed and --policy (explicit flags win over --set). */
static gboolean apply_overrides(const Options *o, const SimSchema *schema, SimJsonDoc *doc,
                                GError **err)
{
    for (char **s = o->sets; s && *s; s++)
        if (!sim_schema_apply_set(schema, doc, *s, err))
            return FALSE;
    if (o->seed) {
        guint64 seed;
        GError *e = NULL;
        if (!g_ascii_string_to_unsigned(o->seed, 10, 0, G_GUINT64_CONSTANT(9007199254740991), &seed,
                                        &e)) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "--seed %s: expected an integer in [0, 9007199254740991] (%s)", o->seed,
                        e->message);
            g_error_free(e);
            return FALSE;
        }
        g_autofree char *a = g_strdup_printf("seed=%" G_GUINT64_FORMAT, seed);
        if (!sim_schema_apply_set(schema, doc, a, err))
            return FALSE;
    }
    if (o->policy) {
        if (!policy_find(o->policy)) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "--policy %s: unknown policy (see --list-policies)", o->policy);
            return FALSE;
        }
        g_autofree char *a = g_strdup_printf("policy=\"%s\"", o->policy);
        if (!sim_schema_apply_set(schema, doc, a, err))
            return FALSE;
    }
    return TRUE;
}

static char *summary_json(const Sim *sim, const World *w)
{
    g_autoptr(GPtrArray) names = sim_metric_names(sim);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", world_name(w));
    cJSON_AddStringToObject(root, "policy", world_policy_name(w));
    cJSON_AddNumberToObject(root, "seed", (double)sim_seed(sim));
    cJSON_AddNumberToObject(root, "simulated_time_s", sim_time_to_s(sim_now(sim)));
    cJSON_AddNumberToObject(root, "events_processed", (double)sim_events_processed(sim));
    cJSON *metrics = cJSON_AddObjectToObject(root, "metrics");
    for (guint i = 0; i < names->len; i++) {
        double v = 0.0;
        sim_metric_get(sim, names->pdata[i], &v);
        cJSON_AddNumberToObject(metrics, names->pdata[i], v);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = g_strconcat(text, "\n", NULL);
    cJSON_free(text);
    return out;
}

static char *run_json(const Sim *sim, const World *w, int argc, char **argv, const char *scenario,
                      const char *out_dir, double wall_s, GDateTime *started)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "dom0sim_version", DOM0SIM_VERSION);
    cJSON *cmd = cJSON_AddArrayToObject(root, "command_line");
    for (int i = 0; i < argc; i++)
        cJSON_AddItemToArray(cmd, cJSON_CreateString(argv[i]));
    cJSON_AddStringToObject(root, "scenario_file", scenario);
    cJSON_AddStringToObject(root, "scenario", world_name(w));
    cJSON_AddStringToObject(root, "output_dir", out_dir);
    g_autofree char *iso = g_date_time_format_iso8601(started);
    cJSON_AddStringToObject(root, "started_at", iso);
    cJSON_AddNumberToObject(root, "wall_time_s", wall_s);
    cJSON_AddNumberToObject(root, "events_processed", (double)sim_events_processed(sim));
    cJSON_AddNumberToObject(root, "events_per_s",
                            wall_s > 0 ? (double)sim_events_processed(sim) / wall_s : 0.0);
    cJSON_AddNumberToObject(root, "timeseries_rows", (double)sim_ts_rows(sim));
    struct utsname u;
    if (uname(&u) == 0) {
        cJSON *host = cJSON_AddObjectToObject(root, "host");
        cJSON_AddStringToObject(host, "nodename", u.nodename);
        cJSON_AddStringToObject(host, "sysname", u.sysname);
        cJSON_AddStringToObject(host, "release", u.release);
        cJSON_AddStringToObject(host, "machine", u.machine);
        cJSON_AddNumberToObject(host, "cpus", (double)g_get_num_processors());
    }
    cJSON_AddBoolToObject(root, "complete", 1);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    char *out = g_strconcat(text, "\n", NULL);
    cJSON_free(text);
    return out;
}

static gboolean write_rounds(const World *w, const char *path, GError **err)
{
    SimAtomicFile *f = sim_atomic_open(path, err);
    if (!f)
        return FALSE;
    if (!world_write_rounds(w, sim_atomic_stream(f), err)) {
        sim_atomic_abort(f);
        return FALSE;
    }
    return sim_atomic_commit(f, err);
}

static gboolean write_iozone_report(const World *w, const char *path, GError **err)
{
    SimAtomicFile *f = sim_atomic_open(path, err);
    if (!f)
        return FALSE;
    world_write_iozone_report(w, sim_atomic_stream(f));
    return sim_atomic_commit(f, err);
}

static int run(Options *o, int argc, char **argv, GError **err)
{
    const char *path = o->args[0];
    /* A scenario path that names nothing is a usage mistake, not an I/O
     * failure of the run. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "%s: no such scenario file", path);
        return 1;
    }
    g_autoptr(SimSchema) schema = sim_schema_new_builtin(err);
    if (!schema)
        return 1;
    g_autoptr(SimJsonDoc) doc = sim_json_load_file(path, err);
    if (!doc || !apply_overrides(o, schema, doc, err) || !sim_schema_validate(schema, doc, err))
        return 1;
    uint64_t seed = (uint64_t)cJSON_GetNumberValue(
        cJSON_GetObjectItemCaseSensitive(sim_json_doc_root(doc), "seed"));
    g_autoptr(Sim) sim = sim_new(seed);
    g_autoptr(World) w = world_build(sim, doc, err);
    if (!w)
        return 1;
    if (o->validate) {
        if (!o->quiet)
            printf("%s: valid scenario '%s' (policy %s, seed %" PRIu64 ")\n", path, world_name(w),
                   world_policy_name(w), seed);
        return 0;
    }

    g_autofree char *out_dir =
        o->out_dir ? g_strdup(o->out_dir) : g_build_filename("results", world_name(w), NULL);
    if (g_mkdir_with_parents(out_dir, 0755) != 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot create output directory %s: %s",
                    out_dir, g_strerror(errno));
        return 1;
    }
    g_autofree char *ts_path = g_build_filename(out_dir, "timeseries.csv", NULL);
    if (!sim_timeseries_open(sim, ts_path, err))
        return 1;

    gboolean show_progress = !o->quiet && !o->no_progress && (o->progress || isatty(2));
    gint64 wall_start = g_get_monotonic_time();
    g_autoptr(GDateTime) started = g_date_time_new_now_utc();
    if (show_progress)
        sim_set_progress(sim, progress_cb, &wall_start, 0.5);

    world_start(w);
    sim_run(sim, world_duration(w));
    if (!world_ok(w, err))
        return 1;
    world_finish(w);
    double wall_s = (double)(g_get_monotonic_time() - wall_start) / 1e6;
    if (show_progress) {
        progress_cb(sim, world_duration(w), &wall_start);
        fputc('\n', stderr);
    }

    g_autofree char *summary_path = g_build_filename(out_dir, "summary.json", NULL);
    g_autofree char *run_path = g_build_filename(out_dir, "run.json", NULL);
    g_autofree char *rounds_path = g_build_filename(out_dir, "migration_rounds.csv", NULL);
    g_autofree char *summary = summary_json(sim, w);
    g_autofree char *runinfo = run_json(sim, w, argc, argv, path, out_dir, wall_s, started);
    g_autofree char *iozone_path = g_build_filename(out_dir, "iozone_report.txt", NULL);
    gboolean iozone = world_has_iozone(w);
    if (!sim_timeseries_close(sim, TRUE, err) || !write_rounds(w, rounds_path, err) ||
        (iozone && !write_iozone_report(w, iozone_path, err)) ||
        !sim_write_file_atomic(summary_path, summary, strlen(summary), err) ||
        !sim_write_file_atomic(run_path, runinfo, strlen(runinfo), err))
        return 1;

    if (!o->quiet) {
        printf("dom0sim %s: scenario '%s', policy %s, seed %" PRIu64 "\n", DOM0SIM_VERSION,
               world_name(w), world_policy_name(w), seed);
        printf("  simulated %.3f s in %.3f s of wall time (%" PRIu64 " events)\n",
               sim_time_to_s(sim_now(sim)), wall_s, sim_events_processed(sim));
        world_print_summary(w, stdout);
        printf("  results in %s/ (summary.json, run.json, timeseries.csv, "
               "migration_rounds.csv%s)\n",
               out_dir, iozone ? ", iozone_report.txt" : "");
    }
    return 0;
}

int main(int argc, char **argv)
{
    Options o = {0};
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &o.out_dir,
         "Output directory (default results/<scenario name>/)", "DIR"},
        {"seed", 's', 0, G_OPTION_ARG_STRING, &o.seed, "Override the scenario's seed", "N"},
        {"policy", 'p', 0, G_OPTION_ARG_STRING, &o.policy, "Override the scenario's dom0 policy",
         "NAME"},
        {"set", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.sets,
         "Override a scenario value, e.g. hosts[0].sockets=4 (value is JSON; repeatable)",
         "PATH=VALUE"},
        {"validate", 0, 0, G_OPTION_ARG_NONE, &o.validate, "Check the scenario and exit", NULL},
        {"list-policies", 0, 0, G_OPTION_ARG_NONE, &o.list_policies,
         "List the dom0 policies and exit", NULL},
        {"quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet, "Print nothing but errors", NULL},
        {"progress", 0, 0, G_OPTION_ARG_NONE, &o.progress,
         "Show progress on stderr (default when stderr is a terminal)", NULL},
        {"no-progress", 0, 0, G_OPTION_ARG_NONE, &o.no_progress, "Never show progress", NULL},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.args, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.json");
    g_option_context_set_summary(ctx, "Simulate a Xen-like host's dom0 under a sizing and "
                                      "placement policy.\nExit status: 0 ok, 2 bad usage or "
                                      "bad input, 1 other failure.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    int status = 0;
    /* GOption consumes argv; keep the original for run.json. */
    g_auto(GStrv) orig = g_strdupv(argv);
    int orig_argc = argc;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "dom0sim: %s (see --help)\n", err->message);
        g_error_free(err);
        return 2;
    }
    if (o.version) {
        printf("dom0sim %s\n", DOM0SIM_VERSION);
    } else if (o.list_policies) {
        print_policies();
    } else if (!o.args || !o.args[0] || o.args[1]) {
        fprintf(stderr, "dom0sim: expected exactly one scenario file (see --help)\n");
        status = 2;
    } else if (run(&o, orig_argc, orig, &err) != 0 || err) {
        fprintf(stderr, "dom0sim: %s\n", err ? err->message : "failed");
        status = err ? dom0sim_error_exit_status(err) : 1;
        g_clear_error(&err);
    }
    g_free(o.out_dir);
    g_free(o.seed);
    g_free(o.policy);
    g_strfreev(o.sets);
    g_strfreev(o.args);
    return status;
}
