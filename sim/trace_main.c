/* dom0sim-trace: generate and inspect Google clusterdata-2011-2 traces, and fit
 * the dom0 CPU a guest causes on its resource use (sim/fit.h). */
#include <glib.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/fit.h"
#include "sim/gtrace.h"
#include "sim/gtrace_gen.h"
#include "sim/gtrace_stats.h"
#include "sim/sim_error.h"

#define PROG "dom0sim-trace"

static const char *const top_help =
    "Usage: " PROG " COMMAND [OPTIONS]\n"
    "\n"
    "Generate and inspect traces in the format of the Google cluster trace\n"
    "clusterdata-2011-2 (machine_events, task_events, task_usage).\n"
    "\n"
    "Commands:\n"
    "  gen    --out DIR --machines N --days D [--seed S] [--shards K] [--gzip]\n"
    "         write a synthetic trace; prints its counts as JSON\n"
    "  stats  [--skip-bad-rows] [--table NAME] PATH...\n"
    "         read a trace (its root directory, table directories or shard\n"
    "         files) and print its counts as JSON\n"
    "  fit    FILE.csv\n"
    "         fit dom0_cores = intercept + per_cpu_core * guest_cpu_cores\n"
    "         + per_disk_io * disk_io_time by least squares; prints JSON\n"
    "\n"
    "'" PROG " COMMAND --help' describes a command's options.\n"
    "Exit status: 0 ok, 2 bad usage or bad input (named by file and line), 1 other.\n";

static gboolean parse_u64_opt(const char *name, const char *text, guint64 lo, guint64 hi,
                              guint64 *out, GError **err)
{
    GError *e = NULL;
    if (!g_ascii_string_to_unsigned(text, 10, lo, hi, out, &e)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                    "--%s %s: expected an integer in [%" G_GUINT64_FORMAT ", %" G_GUINT64_FORMAT
                    "] (%s)",
                    name, text, lo, hi, e->message);
        g_error_free(e);
        return FALSE;
    }
    return TRUE;
}

/* GOption's errors are usage errors (exit 2). */
static gboolean parse_options(GOptionContext *ctx, int *argc, char ***argv, GError **err)
{
    GError *e = NULL;
    if (g_option_context_parse(ctx, argc, argv, &e))
        return TRUE;
    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "%s", e->message);
    g_error_free(e);
    return FALSE;
}

static int cmd_gen(int argc, char **argv, GError **err)
{
    g_autofree char *out = NULL, *machines = NULL, *days = NULL, *seed = NULL, *shards = NULL;
    gboolean gzip = FALSE;
    GOptionEntry entries[] = {
        {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Output directory (required)", "DIR"},
        {"machines", 'm', 0, G_OPTION_ARG_STRING, &machines, "Number of machines (required)", "N"},
        {"days", 'd', 0, G_OPTION_ARG_STRING, &days,
         "Length of the trace window in days, e.g. 1 or 0.0416667 (required)", "D"},
        {"seed", 's', 0, G_OPTION_ARG_STRING, &seed, "Random seed (default 1)", "S"},
        {"shards", 'k', 0, G_OPTION_ARG_STRING, &shards,
         "Files per task table (default 1; the real trace has 500)", "K"},
        {"gzip", 'z', 0, G_OPTION_ARG_NONE, &gzip, "Write part-*.csv.gz as the real trace", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("- write a synthetic trace");
    g_option_context_set_summary(
        ctx, "Writes DIR/machine_events/, DIR/task_events/ and DIR/task_usage/ in the layout of\n"
             "clusterdata-2011-2, then prints the counts written (the JSON of 'stats').\n"
             "The same options always give byte-identical files.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!parse_options(ctx, &argc, &argv, err))
        return 2;
    if (argc > 1) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "gen: unexpected argument '%s'",
                    argv[1]);
        return 2;
    }
    if (!out || !machines || !days) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                    "gen: --out, --machines and --days are required");
        return 2;
    }
    GtraceGenOptions o = {.out_dir = out, .seed = 1, .shards = 1, .gzip = gzip};
    guint64 v;
    if (!parse_u64_opt("machines", machines, 1, 10000000, &o.machines, err))
        return 2;
    if (seed && !parse_u64_opt("seed", seed, 0, G_MAXUINT64, &o.seed, err))
        return 2;
    if (shards) {
        if (!parse_u64_opt("shards", shards, 1, 99999, &v, err))
            return 2;
        o.shards = (unsigned)v;
    }
    char *end = NULL;
    o.days = g_ascii_strtod(days, &end);
    if (!end || *end || !(o.days > 0) || o.days > 366) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                    "--days %s: expected a number of days in (0, 366]", days);
        return 2;
    }
    GtraceCounts counts;
    if (!gtrace_gen(&o, &counts, err))
        return 1;
    g_autofree char *json = gtrace_counts_to_json(&counts);
    fputs(json, stdout);
    return 0;
}

/* Which table a stats PATH is: a table directory, or a file inside one, or
 * a file named after its table (task_usage.csv). */
static GtraceTable table_of_path(const char *path)
{
    g_autofree char *base = g_path_get_basename(path);
    GtraceTable t = gtrace_table_from_name(base);
    if (t != GTRACE_N_TABLES)
        return t;
    if (!g_file_test(path, G_FILE_TEST_IS_DIR)) {
        g_autofree char *dir = g_path_get_dirname(path);
        g_autofree char *parent = g_path_get_basename(dir);
        t = gtrace_table_from_name(parent);
        if (t != GTRACE_N_TABLES)
            return t;
    }
    for (int k = 0; k < GTRACE_N_TABLES; k++)
        if (g_str_has_prefix(base, gtrace_table_name((GtraceTable)k)))
            return (GtraceTable)k;
    return GTRACE_N_TABLES;
}

/* Files each PATH under its table (a trace root under all of its tables). */
static gboolean sort_paths(char **paths, GtraceTable forced, GPtrArray **per_table, GError **err)
{
    for (char **p = paths; *p; p++) {
        if (!g_file_test(*p, G_FILE_TEST_EXISTS)) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "%s: no such file or directory",
                        *p);
            return FALSE;
        }
        GtraceTable t = forced != GTRACE_N_TABLES ? forced : table_of_path(*p);
        if (t != GTRACE_N_TABLES) {
            g_ptr_array_add(per_table[t], g_strdup(*p));
            continue;
        }
        /* A trace root: its table subdirectories. */
        bool any = false;
        for (int k = 0; g_file_test(*p, G_FILE_TEST_IS_DIR) && k < GTRACE_N_TABLES; k++) {
            g_autofree char *sub = g_build_filename(*p, gtrace_table_name((GtraceTable)k), NULL);
            if (g_file_test(sub, G_FILE_TEST_IS_DIR)) {
                g_ptr_array_add(per_table[k], g_steal_pointer(&sub));
                any = true;
            }
        }
        if (!any) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "%s: cannot tell which table this is (use a machine_events/, "
                        "task_events/ or task_usage/ directory, or --table)",
                        *p);
            return FALSE;
        }
    }
    return TRUE;
}

/* Reads every table and prints the counts; returns the exit status. */
static int count_tables(GPtrArray **per_table, gboolean skip_bad, GError **err)
{
    g_autoptr(GtraceStats) st = gtrace_stats_new();
    GtraceOptions opts = {.skip_bad_rows = skip_bad};
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        if (per_table[t]->len == 0)
            continue;
        g_autoptr(GtraceReader) r =
            gtrace_open((GtraceTable)t, (const char *const *)per_table[t]->pdata, per_table[t]->len,
                        &opts, err);
        if (!r)
            return dom0sim_error_exit_status(*err);
        GtraceRow row;
        int rc;
        while ((rc = gtrace_next(r, &row, err)) > 0)
            gtrace_stats_add(st, &row);
        if (rc < 0)
            return dom0sim_error_exit_status(*err);
        gtrace_stats_add_reader(st, (GtraceTable)t, r);
    }
    g_autofree char *json = gtrace_counts_to_json(gtrace_stats_counts(st));
    fputs(json, stdout);
    return 0;
}

static int cmd_stats(int argc, char **argv, GError **err)
{
    gboolean skip_bad = FALSE;
    g_autofree char *table_name = NULL;
    g_auto(GStrv) paths = NULL;
    GOptionEntry entries[] = {
        {"skip-bad-rows", 0, 0, G_OPTION_ARG_NONE, &skip_bad,
         "Count and skip malformed rows instead of failing on the first", NULL},
        {"table", 't', 0, G_OPTION_ARG_STRING, &table_name,
         "Read every PATH as this table (machine_events, task_events, task_usage)", "NAME"},
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new("PATH... - count a trace");
    g_option_context_set_summary(
        ctx, "Each PATH is a trace directory (holding machine_events/, task_events/,\n"
             "task_usage/), a table directory, or shard files (.csv or .csv.gz) inside one.\n"
             "Prints rows per table, distinct machines, jobs and tasks and the time span as\n"
             "JSON.  A malformed row exits 2 naming its file and line.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!parse_options(ctx, &argc, &argv, err))
        return 2;
    if (!paths || !paths[0]) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "stats: expected at least one PATH");
        return 2;
    }
    GtraceTable forced = GTRACE_N_TABLES;
    if (table_name) {
        forced = gtrace_table_from_name(table_name);
        if (forced == GTRACE_N_TABLES) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE,
                        "--table %s: expected machine_events, task_events or task_usage",
                        table_name);
            return 2;
        }
    }
    GPtrArray *per_table[GTRACE_N_TABLES];
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        per_table[t] = g_ptr_array_new_with_free_func(g_free);
    int status =
        sort_paths(paths, forced, per_table, err) ? count_tables(per_table, skip_bad, err) : 2;
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        g_ptr_array_unref(per_table[t]);
    return status;
}

static int cmd_fit(int argc, char **argv, GError **err)
{
    g_auto(GStrv) paths = NULL;
    GOptionEntry entries[] = {
        {G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &paths, NULL, NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx =
        g_option_context_new("FILE.csv - fit dom0 CPU on a guest's CPU and disk I/O time");
    g_option_context_set_summary(
        ctx, "FILE.csv has a header row naming its columns; " FIT_COL_CPU " (cores),\n" FIT_COL_DISK
             " (s of disk service per s) and " FIT_COL_DOM0 " (cores) are required, others\n"
             "are ignored.  Fits\n"
             "  dom0_cores = intercept + per_cpu_core * guest_cpu_cores + per_disk_io * "
             "disk_io_time\n"
             "by ordinary least squares (GSL) and prints the coefficients, their standard\n"
             "errors, R^2, the number of rows and the residual RMS as JSON.  A bad row,\n"
             "fewer than 4 rows or a singular design exits 2 naming the file (and line).");
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!parse_options(ctx, &argc, &argv, err))
        return 2;
    if (!paths || !paths[0] || paths[1]) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE, "fit: expected exactly one FILE.csv");
        return 2;
    }
    FitResult r;
    if (!fit_csv_file(paths[0], &r, err))
        return dom0sim_error_exit_status(*err);
    g_autofree char *json = fit_result_to_json(&r);
    fputs(json, stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, PROG ": expected a command, gen, stats or fit (see --help)\n");
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(top_help, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf(PROG " %s\n", DOM0SIM_VERSION);
        return 0;
    }
    /* The command's own parser sees "dom0sim-trace COMMAND" as argv[0]. */
    g_autofree char *prog = g_strdup_printf(PROG " %s", cmd);
    g_autofree char **sub_argv = g_new0(char *, argc);
    sub_argv[0] = prog;
    for (int i = 2; i < argc; i++)
        sub_argv[i - 1] = argv[i];
    int sub_argc = argc - 1;
    GError *err = NULL;
    int status;
    if (strcmp(cmd, "gen") == 0) {
        status = cmd_gen(sub_argc, sub_argv, &err);
    } else if (strcmp(cmd, "stats") == 0) {
        status = cmd_stats(sub_argc, sub_argv, &err);
    } else if (strcmp(cmd, "fit") == 0) {
        status = cmd_fit(sub_argc, sub_argv, &err);
    } else {
        fprintf(stderr, PROG ": unknown command '%s' (expected gen, stats or fit; see --help)\n",
                cmd);
        return 2;
    }
    if (err) {
        fprintf(stderr, PROG ": %s%s\n", err->message,
                err->code == DOM0SIM_ERROR_USAGE ? " (see --help)" : "");
        status = dom0sim_error_exit_status(err);
        g_error_free(err);
    }
    return status;
}
