/* dom0sim: run one scenario under one dom0 policy and write its results. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "models/estimate.h"
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
    char *max_events;
    char *max_wall;
    char **args;
} Options;

/* Exit status of a run stopped early (a limit, SIGINT or SIGTERM) whose
 * results were written, marked incomplete. */
enum { EXIT_STOPPED = 3 };

/* The signal that asked the run to stop (0: none).  The handler only sets
 * it; the event loop looks at it before every event.  SA_RESETHAND makes a
 * second signal kill the process at once. */
static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

static void catch_stop_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* What stopped the run early, as summary.json and run.json say it
 * ("stopped_by"), or NULL for a complete run. */
static const char *stopped_by(const Sim *sim)
{
    switch (sim_stop_reason(sim)) {
    case SIM_STOP_MAX_EVENTS:
        return "max-events";
    case SIM_STOP_DEADLINE:
        return "max-wall";
    case SIM_STOP_INTERRUPT:
        return stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
    default:
        return NULL;
    }
}

static gboolean parse_limits(const Options *o, uint64_t *max_events, double *max_wall, GError **err)
{
    *max_events = 0;
    *max_wall = 0.0;
    if (o->max_events) {
        guint64 n;
        if (!g_ascii_string_to_unsigned(o->max_events, 10, 1, G_MAXUINT64, &n, NULL)) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "--max-events %s: expected a positive integer", o->max_events);
            return FALSE;
        }
        *max_events = n;
    }
    if (o->max_wall) {
        char *end;
        double s = g_ascii_strtod(o->max_wall, &end);
        if (end == o->max_wall || *end || !isfinite(s) || s <= 0 || s > 1e9) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "--max-wall %s: expected a number of seconds in (0, 1e9]", o->max_wall);
            return FALSE;
        }
        *max_wall = s;
    }
    return TRUE;
}

/* Refuses, before anything is built, a scenario whose estimated memory
 * exceeds what the machine has; notes one whose request-level workloads
 * need more events than --max-events allows. */
static gboolean check_resources(const char *path, SimJsonDoc *doc, uint64_t max_events,
                                gboolean quiet, GError **err)
{
    WorldEstimate e;
    world_estimate(doc, &e);
    const char *what;
    uint64_t avail = world_memory_available(&what);
    gboolean ok = TRUE;
    if (avail > 0 && e.memory_bytes > (double)avail) {
        g_autofree char *where = sim_json_doc_where(doc, e.memory_key ? e.memory_key : "");
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: this scenario needs about %.0f MiB of memory (%.0f MiB for %s; "
                    "see docs/ROBUSTNESS.md), more than the %.0f MiB available (%s)",
                    where, e.memory_bytes / 1048576.0, e.memory_part / 1048576.0,
                    e.memory_key ? e.memory_key : "the program", (double)avail / 1048576.0, what);
        ok = FALSE;
    } else if (max_events && e.events > (double)max_events && !quiet) {
        fprintf(stderr,
                "dom0sim: note: %s: %s needs at least %.3g events, more than --max-events %" PRIu64
                ": the run will stop early\n",
                path, e.events_key, e.events, max_events);
    }
    world_estimate_clear(&e);
    return ok;
}

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

/* "complete": whether the run reached its horizon; if not, "stopped_by". */
static void add_completeness(cJSON *root, const Sim *sim)
{
    const char *by = stopped_by(sim);
    cJSON_AddBoolToObject(root, "complete", by == NULL);
    if (by)
        cJSON_AddStringToObject(root, "stopped_by", by);
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
    add_completeness(root, sim);
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
    add_completeness(root, sim);
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

/* An offline policy sizes dom0 ahead of time from a first pass of the same
 * scenario and seed (models/world.h, docs/MODEL.md): it runs here, quietly
 * and under the same limits, and its record goes to w.  Stopped early, it
 * leaves a shorter plan, past which w sizes each window from its own need. */
static gboolean first_pass(SimJsonDoc *doc, uint64_t seed, uint64_t max_events, gint64 deadline,
                           World *w, GError **err)
{
    g_autoptr(Sim) sim = sim_new(seed);
    g_autoptr(World) w1 = world_build(sim, doc, err);
    if (!w1)
        return FALSE;
    sim_set_max_events(sim, max_events);
    if (deadline > 0)
        sim_set_deadline(sim, deadline);
    sim_set_interrupt(sim, &stop_signal);
    world_start(w1);
    sim_run(sim, world_duration(w1));
    if (!world_ok(w1, err))
        return FALSE;
    world_finish(w1);
    world_set_plan(w, world_take_plan(w1));
    return TRUE;
}

static int run(Options *o, int argc, char **argv, GError **err)
{
    const char *path = o->args[0];
    /* --max-wall counts from here, building included. */
    gint64 t0 = g_get_monotonic_time();
    /* A scenario path that names nothing is a usage mistake, not an I/O
     * failure of the run. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "%s: no such scenario file", path);
        return 1;
    }
    g_autoptr(SimSchema) schema = sim_schema_new_builtin(err);
    if (!schema)
        return 1;
    uint64_t max_events;
    double max_wall;
    if (!parse_limits(o, &max_events, &max_wall, err))
        return 1;
    g_autoptr(SimJsonDoc) doc = sim_json_load_file(path, err);
    if (!doc || !apply_overrides(o, schema, doc, err) || !sim_schema_validate(schema, doc, err))
        return 1;
    if (!check_resources(path, doc, max_events, o->quiet, err))
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
    static const char *const outputs[] = {"timeseries.csv", "migration_rounds.csv",
                                          "iozone_report.txt", "summary.json", "run.json"};
    for (size_t i = 0; i < G_N_ELEMENTS(outputs); i++) {
        g_autofree char *p = g_build_filename(out_dir, outputs[i], NULL);
        sim_atomic_remove_stale(p);
    }
    g_autofree char *ts_path = g_build_filename(out_dir, "timeseries.csv", NULL);
    if (!sim_timeseries_open(sim, ts_path, err))
        return 1;

    gboolean show_progress = !o->quiet && !o->no_progress && (o->progress || isatty(2));
    gint64 wall_start = g_get_monotonic_time();
    g_autoptr(GDateTime) started = g_date_time_new_now_utc();
    if (show_progress)
        sim_set_progress(sim, progress_cb, &wall_start, 0.5);

    sim_set_max_events(sim, max_events);
    if (max_wall > 0)
        sim_set_deadline(sim, t0 + (gint64)(max_wall * 1e6));
    sim_set_interrupt(sim, &stop_signal);

    if (world_wants_plan(w) &&
        !first_pass(doc, seed, max_events, max_wall > 0 ? t0 + (gint64)(max_wall * 1e6) : 0, w,
                    err))
        return 1;
    world_start(w);
    sim_run(sim, world_duration(w));
    if (!world_ok(w, err))
        return 1;
    const char *stopped = stopped_by(sim);
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
    if (stopped) {
        g_autofree char *why =
            strcmp(stopped, "max-events") == 0 ? g_strdup_printf("--max-events %s", o->max_events)
            : strcmp(stopped, "max-wall") == 0 ? g_strdup_printf("--max-wall %s", o->max_wall)
                                               : g_strdup(stopped);
        fprintf(stderr,
                "dom0sim: stopped early by %s after %" PRIu64
                " events, at %.3f of %.3f simulated s; results in %s/ marked incomplete\n",
                why, sim_events_processed(sim), sim_time_to_s(sim_now(sim)),
                sim_time_to_s(world_duration(w)), out_dir);
        return EXIT_STOPPED;
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
        {"max-events", 0, 0, G_OPTION_ARG_STRING, &o.max_events,
         "Stop after N events, writing results marked incomplete (exit 3)", "N"},
        {"max-wall", 0, 0, G_OPTION_ARG_STRING, &o.max_wall,
         "Stop after SECONDS of wall time, writing results marked incomplete (exit 3)", "SECONDS"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &o.version, "Print the version and exit", NULL},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.args, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("SCENARIO.json");
    g_option_context_set_summary(ctx, "Simulate a Xen-like host's dom0 under a sizing and "
                                      "placement policy.\nExit status: 0 ok, 2 bad usage or "
                                      "bad input, 1 other failure, 3 stopped early\n(--max-events, "
                                      "--max-wall, SIGINT, SIGTERM) with results marked "
                                      "incomplete.");
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
    } else {
        catch_stop_signals();
        int rc = run(&o, orig_argc, orig, &err);
        if (err || (rc != 0 && rc != EXIT_STOPPED)) {
            fprintf(stderr, "dom0sim: %s\n", err ? err->message : "failed");
            status = err ? dom0sim_error_exit_status(err) : 1;
            g_clear_error(&err);
        } else {
            status = rc;
        }
    }
    g_free(o.out_dir);
    g_free(o.seed);
    g_free(o.policy);
    g_free(o.max_events);
    g_free(o.max_wall);
    g_strfreev(o.sets);
    g_strfreev(o.args);
    return status;
}
