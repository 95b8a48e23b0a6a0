/* Unit tests for the Google 2011 trace readers (sim/gtrace.h).  Every
 * fixture is written by the test into a fresh temporary directory. */
#include "tests/check_main.h"
#include "tests/tmp_tree.h"
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/gtrace.h"
#include "sim/sim_error.h"

static char *tmpdir;

static void setup(void)
{
    tmpdir = tmp_tree_new("gtrace");
}

static void teardown(void)
{
    tmp_tree_remove(tmpdir);
    g_free(tmpdir);
}

/* Writes text to tmpdir/name (in subdirectories as named) and returns the
 * path (g_free it). */
static char *write_plain(const char *name, const char *text)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0755);
    GError *err = NULL;
    ck_assert_msg(g_file_set_contents(path, text, -1, &err), "writing %s", path);
    return path;
}

static char *write_gz(const char *name, const char *text)
{
    char *path = g_build_filename(tmpdir, name, NULL);
    g_autofree char *dir = g_path_get_dirname(path);
    g_mkdir_with_parents(dir, 0755);
    gzFile gz = gzopen(path, "wb6");
    ck_assert_ptr_nonnull(gz);
    size_t len = strlen(text);
    ck_assert_int_eq(gzwrite(gz, text, (unsigned)len), (int)len);
    ck_assert_int_eq(gzclose(gz), Z_OK);
    return path;
}

static GtraceReader *open1(GtraceTable t, const char *path, bool skip)
{
    GtraceOptions o = {.skip_bad_rows = skip};
    GError *err = NULL;
    GtraceReader *r = gtrace_open(t, &path, 1, &o, &err);
    ck_assert_msg(r != NULL, "gtrace_open(%s): %s", path, err ? err->message : "?");
    return r;
}

/* Reads to the end and expects an input error whose message contains
 * want; returns the rows read before it. */
static int expect_input_error(GtraceReader *r, const char *want)
{
    GtraceRow row;
    GError *err = NULL;
    int rc, n = 0;
    while ((rc = gtrace_next(r, &row, &err)) > 0)
        n++;
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT),
                  "expected an input error, got domain %u code %d: %s", err->domain, err->code,
                  err->message);
    ck_assert_msg(strstr(err->message, want) != NULL, "error '%s' does not contain '%s'",
                  err->message, want);
    g_error_free(err);
    return n;
}

static void next_ok(GtraceReader *r, GtraceRow *row)
{
    GError *err = NULL;
    int rc = gtrace_next(r, row, &err);
    ck_assert_msg(rc == 1, "gtrace_next returned %d: %s", rc, err ? err->message : "end");
}

static void expect_end(GtraceReader *r)
{
    GtraceRow row;
    GError *err = NULL;
    int rc = gtrace_next(r, &row, &err);
    ck_assert_msg(rc == 0, "expected the end, got %d: %s", rc, err ? err->message : "a row");
}

START_TEST(test_machine_events_quirks)
{
    g_autofree char *p =
        write_plain("machine_events/part-00000-of-00001.csv",
                    "0,5,0,HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU=,0.5,0.2493\n"
                    "0,6640000000,0,,,\n"
                    "835150655,5,2,HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU="
                    ",0.5,0.1241\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_MACHINE_EVENTS, p, false);
    GtraceRow row;
    next_ok(r, &row);
    ck_assert_int_eq(row.table, GTRACE_MACHINE_EVENTS);
    ck_assert_int_eq(row.machine_event.time_us, GTRACE_TIME_BEFORE_WINDOW);
    ck_assert_uint_eq(row.machine_event.machine_id, 5);
    ck_assert_int_eq(row.machine_event.event_type, GTRACE_MACHINE_ADD);
    ck_assert_str_eq(row.machine_event.platform_id, "HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU=");
    ck_assert_double_eq(row.machine_event.cpus, 0.5);
    ck_assert_double_eq(row.machine_event.memory, 0.2493);
    ck_assert_uint_eq(row.line, 1);
    next_ok(r, &row);
    /* Machine IDs above 2^32 and empty optional fields. */
    ck_assert_uint_eq(row.machine_event.machine_id, UINT64_C(6640000000));
    ck_assert_str_eq(row.machine_event.platform_id, "");
    ck_assert(isnan(row.machine_event.cpus));
    ck_assert(isnan(row.machine_event.memory));
    next_ok(r, &row);
    ck_assert_int_eq(row.machine_event.time_us, 835150655);
    ck_assert_int_eq(row.machine_event.event_type, GTRACE_MACHINE_UPDATE);
    ck_assert_uint_eq(row.line, 3);
    expect_end(r);
    ck_assert_uint_eq(gtrace_rows(r), 3);
}
END_TEST

START_TEST(test_task_events_quirks)
{
    /* 64-bit job IDs, the special times 0 and 2^63 - 1, empty missing info
     * and machine ID, an exponent, and a last line without its newline. */
    g_autofree char *p =
        write_plain("task_events/part-00000-of-00001.csv",
                    "0,,18446744073709551615,0,,0,u1=,3,9,0.125,0.0635,2.861e-06,\n"
                    "600000000,2,6251812952,41,4155527081,1,u1=,1,0,,,,1\n"
                    "9223372036854775807,,6251812952,41,4155527081,4,,,11,0.5,1,0,0");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    GtraceRow row;
    next_ok(r, &row);
    const GtraceTaskEvent *e = &row.task_event;
    ck_assert_int_eq(e->time_us, 0);
    ck_assert_int_eq(e->missing_info, GTRACE_MISSING);
    ck_assert_uint_eq(e->job_id, UINT64_MAX);
    ck_assert(!e->has_machine_id);
    ck_assert_int_eq(e->event_type, GTRACE_TASK_SUBMIT);
    ck_assert_str_eq(e->user, "u1=");
    ck_assert_int_eq(e->scheduling_class, 3);
    ck_assert_int_eq(e->priority, 9);
    ck_assert_double_eq(e->cpu_request, 0.125);
    ck_assert_double_eq(e->memory_request, 0.0635);
    ck_assert_double_eq(e->disk_request, 2.861e-06);
    ck_assert_int_eq(e->different_machines, GTRACE_MISSING);
    next_ok(r, &row);
    ck_assert_int_eq(e->time_us, GTRACE_WINDOW_START_US);
    ck_assert_int_eq(e->missing_info, 2);
    ck_assert_uint_eq(e->job_id, UINT64_C(6251812952));
    ck_assert_uint_eq(e->task_index, 41);
    ck_assert(e->has_machine_id);
    ck_assert_uint_eq(e->machine_id, UINT64_C(4155527081));
    ck_assert(isnan(e->cpu_request) && isnan(e->memory_request) && isnan(e->disk_request));
    ck_assert_int_eq(e->different_machines, 1);
    next_ok(r, &row);
    ck_assert_int_eq(e->time_us, GTRACE_TIME_AFTER_WINDOW);
    ck_assert_int_eq(e->event_type, GTRACE_TASK_FINISH);
    ck_assert_str_eq(e->user, "");
    ck_assert_int_eq(e->scheduling_class, GTRACE_MISSING);
    ck_assert_uint_eq(row.line, 3);
    expect_end(r);
}
END_TEST

START_TEST(test_task_usage_quirks)
{
    g_autofree char *p = write_plain(
        "task_usage/part-00000-of-00001.csv",
        "600000000,900000000,3418309,0,4155527081,0.001562,0.06787,0.07568,0.001156,0.001503,"
        "0.06787,2.861e-06,0.0001869,0.03967,0.0003567,2.445,0.007243,0,1,0\n"
        "600000000,900000000,3418309,1,4155527081,,,,,,,,,,,,,,,\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    GtraceRow row;
    next_ok(r, &row);
    const GtraceTaskUsage *u = &row.task_usage;
    ck_assert_int_eq(u->start_us, 600000000);
    ck_assert_int_eq(u->end_us, 900000000);
    ck_assert_uint_eq(u->job_id, 3418309);
    ck_assert_uint_eq(u->machine_id, UINT64_C(4155527081));
    ck_assert_double_eq(u->cpu_rate, 0.001562);
    ck_assert_double_eq(u->canonical_memory, 0.06787);
    ck_assert_double_eq(u->disk_io_time, 2.861e-06);
    ck_assert_double_eq(u->cpi, 2.445);
    ck_assert_double_eq(u->sample_portion, 0.0);
    ck_assert_int_eq(u->aggregation_type, 1);
    ck_assert_double_eq(u->sampled_cpu, 0.0);
    next_ok(r, &row);
    ck_assert(isnan(u->cpu_rate) && isnan(u->max_cpu_rate) && isnan(u->sampled_cpu));
    ck_assert_int_eq(u->aggregation_type, GTRACE_MISSING);
    expect_end(r);
}
END_TEST

/* The fast float path gives strtod's double for every form it accepts. */
START_TEST(test_floats_match_strtod)
{
    GString *csv = g_string_new(NULL);
    GRand *rand = g_rand_new_with_seed(42);
    double want[2000];
    for (int i = 0; i < 2000; i++) {
        double v = g_rand_double(rand) * pow(10.0, g_rand_int_range(rand, -9, 4));
        const char *fmt = i % 3 == 0 ? "%.17g" : i % 3 == 1 ? "%.4g" : "%.6f";
        char text[64];
        snprintf(text, sizeof text, fmt, v);
        want[i] = strtod(text, NULL);
        g_string_append_printf(csv, "600000000,900000000,1,%d,2,%s,,,,,,,,,,,,,,\n", i, text);
    }
    g_rand_free(rand);
    g_autofree char *p = write_plain("task_usage/floats.csv", csv->str);
    g_string_free(csv, TRUE);
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    GtraceRow row;
    for (int i = 0; i < 2000; i++) {
        next_ok(r, &row);
        ck_assert_msg(row.task_usage.cpu_rate == want[i], "line %d: %.17g != strtod's %.17g", i + 1,
                      row.task_usage.cpu_rate, want[i]);
    }
    expect_end(r);
}
END_TEST

/* Wider forms and exponents than the trace's, through the quote-free path:
 * each value is strtod's. */
START_TEST(test_float_forms_match_strtod)
{
    static const char *const fmts[] = {"%.4g", "%.17g", "%.20g", "%.3e", "%.0f", "%.25f", "%E"};
    GString *csv = g_string_new(NULL);
    GRand *rand = g_rand_new_with_seed(7);
    enum { N = 3000 };
    static double want[N];
    for (int i = 0; i < N; i++) {
        double v = g_rand_double(rand) * pow(10.0, g_rand_int_range(rand, -30, 26));
        char text[128];
        snprintf(text, sizeof text, fmts[i % G_N_ELEMENTS(fmts)], v);
        want[i] = strtod(text, NULL);
        g_string_append_printf(csv, "600000000,900000000,1,%d,2,,%s,,,,,,,,,,,,,%s\n", i, text,
                               text);
    }
    g_rand_free(rand);
    g_autofree char *p = write_plain("task_usage/forms.csv", csv->str);
    g_string_free(csv, TRUE);
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    GtraceRow row;
    for (int i = 0; i < N; i++) {
        next_ok(r, &row);
        ck_assert_msg(row.task_usage.canonical_memory == want[i] &&
                          row.task_usage.sampled_cpu == want[i],
                      "line %d: %.17g, %.17g != strtod's %.17g", i + 1,
                      row.task_usage.canonical_memory, row.task_usage.sampled_cpu, want[i]);
    }
    expect_end(r);
}
END_TEST

START_TEST(test_wrong_column_count)
{
    g_autofree char *p = write_plain("task_events/bad.csv", "0,,1,0,,0,u,0,0,0.1,0.1,0,0\n"
                                                            "1,,1,1,,0,u,0,0,0.1,0.1,0\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    g_autofree char *want = g_strdup_printf("%s:2: task_events rows have 13 columns, found 12", p);
    ck_assert_int_eq(expect_input_error(r, want), 1);
}
END_TEST

START_TEST(test_too_many_columns)
{
    g_autofree char *p = write_plain("machine_events/bad.csv", "0,5,0,,0.5,0.5,7\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_MACHINE_EVENTS, p, false);
    g_autofree char *want = g_strdup_printf("%s:1: machine_events rows have 6 columns, found 7", p);
    expect_input_error(r, want);
}
END_TEST

START_TEST(test_not_a_number)
{
    g_autofree char *p =
        write_plain("task_usage/bad.csv", "600000000,900000000,1,0,2,0.1,,,,,,,,,,,,,,\n"
                                          "\n"
                                          "600000000,900000000,1,1,2,0.1x,,,,,,,,,,,,,,\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    /* Line 2 is blank: the bad row is on line 3. */
    g_autofree char *want = g_strdup_printf("%s:3: task_usage column 6 (CPU rate): '0.1x'", p);
    expect_input_error(r, want);
}
END_TEST

START_TEST(test_bad_integers)
{
    const char *cases[][2] = {
        {"-5,,1,0,,0,u,0,0,,,,\n", "column 1 (time)"},
        {"5,,1.5,0,,0,u,0,0,,,,\n", "column 3 (job ID)"},
        {"5,,18446744073709551616,0,,0,u,0,0,,,,\n", "column 3 (job ID)"},
        {"5,,1,,,0,u,0,0,,,,\n", "column 4 (task index) is mandatory but empty"},
        {"5,,1,0,,9,u,0,0,,,,\n", "column 6 (event type): 9 is outside [0, 8]"},
        {"5,,1,0,,0,u,4,0,,,,\n", "column 8 (scheduling class): 4 is outside [0, 3]"},
        {"9223372036854775808,,1,0,,0,u,0,0,,,,\n", "column 1 (time)"},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *name = g_strdup_printf("task_events/bad%zu.csv", i);
        g_autofree char *p = write_plain(name, cases[i][0]);
        g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
        g_autofree char *want = g_strdup_printf("%s:1: task_events %s", p, cases[i][1]);
        expect_input_error(r, want);
    }
}
END_TEST

START_TEST(test_skip_bad_rows)
{
    g_autofree char *p = write_plain("task_events/mixed.csv", "0,,1,0,,0,u,0,0,0.1,0.1,0,0\n"
                                                              "1,,1,1,,0,u,0,0,0.1,0.1,0\n"
                                                              "2,,1,2,,0,u,0,0,abc,0.1,0,0\n"
                                                              "3,,1,3,,0,u,0,0,0.1,0.1,0,0\n"
                                                              "1,,1,4,,0,u,0,0,0.1,0.1,0,0\n"
                                                              "4,,1,5,,0,u,0,0,0.1,0.1,0,0\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, true);
    GtraceRow row;
    uint64_t want_index[] = {0, 3, 5};
    uint64_t want_line[] = {1, 4, 6};
    for (int i = 0; i < 3; i++) {
        next_ok(r, &row);
        ck_assert_uint_eq(row.task_event.task_index, want_index[i]);
        ck_assert_uint_eq(row.line, want_line[i]);
    }
    expect_end(r);
    /* Too few columns, not a number, and earlier than its predecessor. */
    ck_assert_uint_eq(gtrace_skipped(r), 3);
    ck_assert_uint_eq(gtrace_rows(r), 3);
}
END_TEST

START_TEST(test_unsorted_shard)
{
    g_autofree char *p = write_plain("task_events/unsorted.csv", "10,,1,0,,0,u,0,0,,,,\n"
                                                                 "5,,1,1,,0,u,0,0,,,,\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    g_autofree char *want = g_strdup_printf("%s:2: time 5 is earlier", p);
    expect_input_error(r, want);
}
END_TEST

static GString *usage_rows(int from, int n, int step)
{
    GString *s = g_string_new(NULL);
    for (int i = 0; i < n; i++) {
        int64_t t = GTRACE_WINDOW_START_US + (int64_t)(from + i * step) * 1000;
        g_string_append_printf(s,
                               "%" PRId64 ",%" PRId64 ",%d,%d,77,0.01,0.02,0.02,0,0,0.02,0,0,"
                               "0.03,0,1.5,0.007,1,0,0.011\n",
                               t, t + GTRACE_USAGE_PERIOD_US, 1000 + i % 7, i);
    }
    return s;
}

START_TEST(test_truncated_gz)
{
    g_autoptr(GString) text = usage_rows(0, 20000, 1);
    g_autofree char *p = write_gz("task_usage/part-00000-of-00001.csv.gz", text->str);
    /* Keep the first half of the compressed bytes. */
    g_autofree char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(p, &data, &len, NULL));
    ck_assert(g_file_set_contents(p, data, (gssize)(len / 2), NULL));
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    g_autofree char *want = g_strdup_printf("%s:", p);
    int n = expect_input_error(r, want);
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, 20000);
    /* The message says what is wrong, and skipping rows does not hide it. */
    g_autoptr(GtraceReader) r2 = open1(GTRACE_TASK_USAGE, p, true);
    expect_input_error(r2, "truncated or corrupt gzip stream");
}
END_TEST

/* Three interleaved shards, given in reverse order, come out merged. */
START_TEST(test_merge_out_of_order)
{
    g_autoptr(GString) a = usage_rows(0, 1000, 3);
    g_autoptr(GString) b = usage_rows(1, 1000, 3);
    g_autoptr(GString) c = usage_rows(2, 500, 6);
    g_autofree char *pa = write_gz("merge/part-00000-of-00003.csv.gz", a->str);
    g_autofree char *pb = write_plain("merge/part-00001-of-00003.csv", b->str);
    g_autofree char *pc = write_gz("merge/part-00002-of-00003.csv.gz", c->str);
    const char *paths[] = {pc, pb, pa};
    GError *err = NULL;
    g_autoptr(GtraceReader) r = gtrace_open(GTRACE_TASK_USAGE, paths, 3, NULL, &err);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(gtrace_n_files(r), 3);
    GtraceRow row;
    int64_t last = INT64_MIN;
    int n = 0, rc;
    while ((rc = gtrace_next(r, &row, &err)) > 0) {
        ck_assert_msg(row.task_usage.start_us >= last, "row %d at %" PRId64 " after %" PRId64, n,
                      row.task_usage.start_us, last);
        last = row.task_usage.start_us;
        n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(n, 2500);
    /* A directory reads the same shards in name order, merged the same. */
    g_autofree char *dir = g_build_filename(tmpdir, "merge", NULL);
    const char *dirs[] = {dir};
    g_autoptr(GtraceReader) rd = gtrace_open(GTRACE_TASK_USAGE, dirs, 1, NULL, &err);
    ck_assert_ptr_nonnull(rd);
    ck_assert_uint_eq(gtrace_n_files(rd), 3);
    n = 0;
    last = INT64_MIN;
    while ((rc = gtrace_next(rd, &row, &err)) > 0) {
        ck_assert(row.task_usage.start_us >= last);
        last = row.task_usage.start_us;
        n++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(n, 2500);
}
END_TEST

static char *row_text(const GtraceRow *row)
{
    const GtraceTaskUsage *u = &row->task_usage;
    return g_strdup_printf("%" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                           " %.17g %.17g %.17g %.17g %.17g %.17g %d %" PRIu64,
                           u->start_us, u->end_us, u->job_id, u->task_index, u->machine_id,
                           u->cpu_rate, u->canonical_memory, u->max_cpu_rate, u->cpi, u->mai,
                           u->sampled_cpu, u->aggregation_type, row->line);
}

START_TEST(test_plain_and_gz_identical)
{
    g_autoptr(GString) text = usage_rows(0, 5000, 2);
    g_autofree char *plain = write_plain("same/a.csv", text->str);
    g_autofree char *gz = write_gz("same/b.csv.gz", text->str);
    g_autoptr(GtraceReader) rp = open1(GTRACE_TASK_USAGE, plain, false);
    g_autoptr(GtraceReader) rg = open1(GTRACE_TASK_USAGE, gz, false);
    GtraceRow a, b;
    GError *err = NULL;
    int ra, rb, n = 0;
    do {
        ra = gtrace_next(rp, &a, &err);
        rb = gtrace_next(rg, &b, &err);
        ck_assert_int_eq(ra, rb);
        if (ra > 0) {
            g_autofree char *ta = row_text(&a);
            g_autofree char *tb = row_text(&b);
            ck_assert_str_eq(ta, tb);
            n++;
        }
    } while (ra > 0);
    ck_assert_int_eq(ra, 0);
    ck_assert_int_eq(n, 5000);
}
END_TEST

/* Every field of a row as text (floats exact, in hex), and its line. */
static char *row_all_text(const GtraceRow *row)
{
    GString *t = g_string_new(NULL);
    g_string_append_printf(t, "line %" PRIu64 ":", row->line);
    switch (row->table) {
    case GTRACE_MACHINE_EVENTS: {
        const GtraceMachineEvent *m = &row->machine_event;
        g_string_append_printf(t, " %" PRId64 " %" PRIu64 " %d [%s] %a %a", m->time_us,
                               m->machine_id, m->event_type, m->platform_id, m->cpus, m->memory);
        break;
    }
    case GTRACE_TASK_EVENTS: {
        const GtraceTaskEvent *e = &row->task_event;
        g_string_append_printf(
            t, " %" PRId64 " %d %" PRIu64 " %" PRIu64 " %d %" PRIu64 " %d [%s] %d %d %a %a %a %d",
            e->time_us, e->missing_info, e->job_id, e->task_index, e->has_machine_id,
            e->has_machine_id ? e->machine_id : 0, e->event_type, e->user, e->scheduling_class,
            e->priority, e->cpu_request, e->memory_request, e->disk_request, e->different_machines);
        break;
    }
    default: {
        const GtraceTaskUsage *u = &row->task_usage;
        g_string_append_printf(t, " %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
                               u->start_us, u->end_us, u->job_id, u->task_index, u->machine_id);
        const double f[] = {u->cpu_rate,
                            u->canonical_memory,
                            u->assigned_memory,
                            u->unmapped_page_cache,
                            u->total_page_cache,
                            u->max_memory,
                            u->disk_io_time,
                            u->local_disk_space,
                            u->max_cpu_rate,
                            u->max_disk_io_time,
                            u->cpi,
                            u->mai,
                            u->sample_portion,
                            u->sampled_cpu};
        for (size_t i = 0; i < G_N_ELEMENTS(f); i++)
            g_string_append_printf(t, " %a", f[i]);
        g_string_append_printf(t, " %d", u->aggregation_type);
        break;
    }
    }
    return g_string_free(t, FALSE);
}

/* The CSV text with every field quoted (quotes doubled), which sends every
 * line through libcsv.  Spaces and tabs around a field are dropped first, as
 * libcsv drops them around unquoted fields; line ends and blank lines stay. */
static char *quote_every_field(const char *text)
{
    GString *q = g_string_new(NULL);
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (guint i = 0; lines[i]; i++) {
        char *line = lines[i];
        size_t n = strlen(line);
        bool cr = n > 0 && line[n - 1] == '\r';
        if (cr)
            line[--n] = '\0';
        if (n > 0) {
            g_auto(GStrv) fields = g_strsplit(line, ",", -1);
            for (guint k = 0; fields[k]; k++) {
                g_autofree char *f = g_strdup(fields[k]);
                g_strstrip(f);
                g_auto(GStrv) parts = g_strsplit(f, "\"", -1);
                g_autofree char *doubled = g_strjoinv("\"\"", parts);
                g_string_append_printf(q, "%s\"%s\"", k ? "," : "", doubled);
            }
        }
        if (cr)
            g_string_append_c(q, '\r');
        if (lines[i + 1])
            g_string_append_c(q, '\n');
    }
    return g_string_free(q, FALSE);
}

/* Reads both files to the end; expects the same rows and the same outcome
 * (errors compared with the file names taken out).  Returns the rows. */
static int expect_same_rows(GtraceTable t, const char *pa, const char *pb, bool skip)
{
    g_autoptr(GtraceReader) ra = open1(t, pa, skip);
    g_autoptr(GtraceReader) rb = open1(t, pb, skip);
    GtraceRow a, b;
    GError *ea = NULL, *eb = NULL;
    int rca, rcb, n = 0;
    for (;;) {
        rca = gtrace_next(ra, &a, &ea);
        rcb = gtrace_next(rb, &b, &eb);
        ck_assert_msg(rca == rcb, "row %d: %d from %s, %d from %s (%s / %s)", n + 1, rca, pa, rcb,
                      pb, ea ? ea->message : "-", eb ? eb->message : "-");
        if (rca <= 0)
            break;
        g_autofree char *ta = row_all_text(&a);
        g_autofree char *tb = row_all_text(&b);
        ck_assert_str_eq(ta, tb);
        n++;
    }
    if (rca < 0) {
        g_auto(GStrv) sa = g_strsplit(ea->message, pa, -1);
        g_auto(GStrv) sb = g_strsplit(eb->message, pb, -1);
        g_autofree char *ma = g_strjoinv("FILE", sa);
        g_autofree char *mb = g_strjoinv("FILE", sb);
        ck_assert_str_eq(ma, mb);
        ck_assert_int_eq(ea->code, eb->code);
        g_error_free(ea);
        g_error_free(eb);
    }
    ck_assert_uint_eq(gtrace_skipped(ra), gtrace_skipped(rb));
    return n;
}

/* Quote-free lines are parsed without libcsv; a line with a quote goes
 * through libcsv.  Both must give the same rows on the trace's quirks. */
START_TEST(test_fast_path_matches_libcsv)
{
    static const struct {
        GtraceTable table;
        const char *text;
        int rows;
    } cases[] = {
        {GTRACE_TASK_USAGE,
         /* exponents, %.17g, empty floats, 64-bit IDs, CRLF, a blank line, a
          * blank CRLF line, spaces libcsv trims, no final newline */
         "0,300000000,18446744073709551615,0,4155527081,2.861e-06,1E+3,1e-30,"
         "0.10000000000000001,3,,,,,,1.5e22,7e-23,1,0,123456789012345678901234\n"
         "600000000,900000000,6251812952,41,1,0.06787,0.0635,,,,,,,,,,,,,\r\n"
         "\n"
         "\r\n"
         "600000000,9223372036854775807,9223372036854775808,1,2, 0.5,0.25 ,\t1,,,,,,,,,,0,1,"
         "0.000000000000000000000000123456\r\n"
         "9223372036854775807,9223372036854775807,1,2,3,,,,,,,,,,,,,,,",
         4},
        {GTRACE_TASK_EVENTS,
         "0,,18446744073709551615,0,,0,u1=,3,9,0.125,0.0635,2.861e-06,\n"
         "600000000,2,6251812952,41,4155527081,1,HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU=,1,0,"
         ",,,1\r\n"
         "600000001,0,1,2,3,8, spaced user ,0,1000,1,1,1,0\n"
         "9223372036854775807,,6251812952,41,4155527081,4,,,11,0.5,1,0,0\n",
         4},
        {GTRACE_MACHINE_EVENTS,
         "0,5,0,HofLGzk1Or/8Ildj2+Lqv0UGGvY82NLoni8+J/Yy0RU=,0.5,0.2493\n"
         "0,6640000000,0,,,\r\n"
         "835150655,5,2,x,1,1e0\n",
         3},
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *quoted = quote_every_field(cases[i].text);
        g_autofree char *na = g_strdup_printf("fast/plain%zu.csv", i);
        g_autofree char *nb = g_strdup_printf("fast/quoted%zu.csv", i);
        g_autofree char *nc = g_strdup_printf("fast/gz%zu.csv.gz", i);
        g_autofree char *pa = write_plain(na, cases[i].text);
        g_autofree char *pb = write_plain(nb, quoted);
        g_autofree char *pc = write_gz(nc, cases[i].text);
        ck_assert_int_eq(expect_same_rows(cases[i].table, pa, pb, false), cases[i].rows);
        ck_assert_int_eq(expect_same_rows(cases[i].table, pc, pb, false), cases[i].rows);
    }
}
END_TEST

/* Malformed rows give the same error, naming file and line, and the same
 * skip counts, whether their line is quote-free or not. */
START_TEST(test_fast_path_errors_match_libcsv)
{
    static const char *const good = "5,,1,0,,0,u,0,0,0.5,0.5,0,0\n";
    static const char *const bad[] = {
        "6,,1,0,,0,u,0,0,0.5,0.5,0\n",              /* 12 columns */
        "6,,1,0,,0,u,0,0,0.5,0.5,0,0,1\n",          /* 14 columns */
        "6,,1,0,,0,u,0,0,0.5x,0.5,0,0\n",           /* not a number */
        "6,,1,0,,0,u,0,0,nan,0.5,0,0\n",            /* not finite */
        "6,,-1,0,,0,u,0,0,0.5,0.5,0,0\n",           /* negative ID */
        "6,,18446744073709551616,0,,0,u,0,0,,,,\n", /* 2^64 */
        "9223372036854775808,,1,0,,0,u,0,0,,,,\n",  /* time 2^63 */
        "6,,1,,,0,u,0,0,,,,\n",                     /* mandatory empty */
        "6,,1,0,,9,u,0,0,,,,\n",                    /* out of range */
        "6,,1,0,,0,"
        "uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu,0,0,,,,\n",
        "4,,1,0,,0,u,0,0,0.5,0.5,0,0\n", /* earlier than line 1 */
        "6,,1,0,,0,u,0,0,1 2,0.5,0,0\n", /* space inside a number */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autofree char *text = g_strconcat(good, bad[i], good, NULL);
        g_autofree char *quoted = quote_every_field(text);
        g_autofree char *na = g_strdup_printf("err/plain%zu.csv", i);
        g_autofree char *nb = g_strdup_printf("err/quoted%zu.csv", i);
        g_autofree char *pa = write_plain(na, text);
        g_autofree char *pb = write_plain(nb, quoted);
        ck_assert_int_eq(expect_same_rows(GTRACE_TASK_EVENTS, pa, pb, false), 1);
        ck_assert_int_eq(expect_same_rows(GTRACE_TASK_EVENTS, pa, pb, true), 2);
        /* The error names the file and the bad row's line. */
        g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, pa, false);
        g_autofree char *want = g_strdup_printf("%s:2: ", pa);
        expect_input_error(r, want);
    }
    /* A CR inside a line ends a row for libcsv, as it always has. */
    g_autofree char *text = g_strconcat(good, "6,,1,0,,0,u,0,0,0.5\r,0.5,0,0\n", NULL);
    g_autofree char *p = write_plain("err/cr.csv", text);
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    g_autofree char *want = g_strdup_printf("%s:2: task_events rows have 13 columns, found", p);
    expect_input_error(r, want);
}
END_TEST

/* A quoted field may hold a newline; the quote-free line after it is still
 * part of that row, and the rows after it are counted from the right line. */
START_TEST(test_quoted_newline_then_fast_lines)
{
    g_autofree char *p =
        write_plain("task_events/multiline.csv", "1,,1,0,,0,\"two\nlines\",0,0,,,,\n"
                                                 "2,,1,1,,0,\"a \"\"quoted\"\"\n,\n0,,\",0,0,,,,\n"
                                                 "3,,1,2,,0,u,0,0,,,,\n");
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    GtraceRow row;
    next_ok(r, &row);
    ck_assert_str_eq(row.task_event.user, "two\nlines");
    ck_assert_uint_eq(row.line, 1);
    next_ok(r, &row);
    ck_assert_str_eq(row.task_event.user, "a \"quoted\"\n,\n0,,");
    ck_assert_uint_eq(row.line, 3);
    next_ok(r, &row);
    ck_assert_uint_eq(row.task_event.task_index, 2);
    ck_assert_uint_eq(row.line, 6);
    expect_end(r);
}
END_TEST

/* A line longer than the text buffer still reads (through libcsv). */
START_TEST(test_very_long_line)
{
    GString *text = g_string_new("1,,1,0,,0,u,0,0,,,,\n2,,1,1,,0,u,0,0,0.5");
    for (int i = 0; i < 600000; i++)
        g_string_append_c(text, '0');
    g_string_append(text, ",,,\n3,,1,2,,0,u,0,0,,,,\n");
    g_autofree char *p = write_gz("task_events/long.csv.gz", text->str);
    g_string_free(text, TRUE);
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_EVENTS, p, false);
    GtraceRow row;
    next_ok(r, &row);
    next_ok(r, &row);
    ck_assert_double_eq(row.task_event.cpu_request, 0.5);
    next_ok(r, &row);
    ck_assert_uint_eq(row.line, 3);
    expect_end(r);
}
END_TEST

/* Concatenated gzip members read as one stream (as gzip -d does); bytes
 * after the last member are ignored (as gzread did). */
START_TEST(test_multi_member_gz)
{
    g_autoptr(GString) text = usage_rows(0, 3000, 1);
    size_t half = (size_t)(strchr(text->str + text->len / 2, '\n') - text->str) + 3;
    g_autofree char *pa = write_gz("mm/a.gz", text->str + half);
    text->str[half] = '\0';
    g_autofree char *pb = write_gz("mm/b.gz", text->str);
    g_autofree char *da = NULL, *db = NULL;
    gsize la = 0, lb = 0;
    ck_assert(g_file_get_contents(pa, &da, &la, NULL));
    ck_assert(g_file_get_contents(pb, &db, &lb, NULL));
    GString *both = g_string_new_len(db, (gssize)lb);
    g_string_append_len(both, da, (gssize)la);
    g_string_append_len(both, "\0\0\0\0", 4);
    g_autofree char *p = g_build_filename(tmpdir, "task_usage.csv.gz", NULL);
    ck_assert(g_file_set_contents(p, both->str, (gssize)both->len, NULL));
    g_string_free(both, TRUE);
    g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, false);
    GtraceRow row;
    for (int i = 0; i < 3000; i++) {
        next_ok(r, &row);
        ck_assert_uint_eq(row.task_usage.task_index, (uint64_t)i);
        ck_assert_uint_eq(row.line, (uint64_t)i + 1);
    }
    expect_end(r);
}
END_TEST

/* A wrong CRC in the gzip trailer is reported after the rows, naming the
 * file, with or without skip_bad_rows. */
START_TEST(test_corrupt_gz_trailer)
{
    g_autoptr(GString) text = usage_rows(0, 2000, 1);
    g_autofree char *p = write_gz("task_usage/crc.csv.gz", text->str);
    g_autofree char *data = NULL;
    gsize len = 0;
    ck_assert(g_file_get_contents(p, &data, &len, NULL));
    data[len - 8] ^= 0x55;
    ck_assert(g_file_set_contents(p, data, (gssize)len, NULL));
    for (int skip = 0; skip < 2; skip++) {
        g_autoptr(GtraceReader) r = open1(GTRACE_TASK_USAGE, p, skip);
        g_autofree char *want = g_strdup_printf("%s:", p);
        expect_input_error(r, want);
        g_autoptr(GtraceReader) r2 = open1(GTRACE_TASK_USAGE, p, skip);
        expect_input_error(r2, "truncated or corrupt gzip stream");
    }
}
END_TEST

START_TEST(test_missing_path)
{
    g_autofree char *p = g_build_filename(tmpdir, "nope.csv", NULL);
    const char *paths[] = {p};
    GError *err = NULL;
    GtraceReader *r = gtrace_open(GTRACE_TASK_USAGE, paths, 1, NULL, &err);
    ck_assert_ptr_null(r);
    ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE));
    ck_assert(strstr(err->message, "nope.csv") != NULL);
    g_error_free(err);
}
END_TEST

START_TEST(test_table_names)
{
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        ck_assert_int_eq(gtrace_table_from_name(gtrace_table_name((GtraceTable)t)), t);
    ck_assert_int_eq(gtrace_table_from_name("job_events"), GTRACE_N_TABLES);
    ck_assert_int_eq(gtrace_table_columns(GTRACE_MACHINE_EVENTS), 6);
    ck_assert_int_eq(gtrace_table_columns(GTRACE_TASK_EVENTS), 13);
    ck_assert_int_eq(gtrace_table_columns(GTRACE_TASK_USAGE), 20);
}
END_TEST

static Suite *gtrace_suite(void)
{
    Suite *s = suite_create("gtrace");
    TCase *tc = tcase_create("readers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_machine_events_quirks);
    tcase_add_test(tc, test_task_events_quirks);
    tcase_add_test(tc, test_task_usage_quirks);
    tcase_add_test(tc, test_floats_match_strtod);
    tcase_add_test(tc, test_float_forms_match_strtod);
    tcase_add_test(tc, test_wrong_column_count);
    tcase_add_test(tc, test_too_many_columns);
    tcase_add_test(tc, test_not_a_number);
    tcase_add_test(tc, test_bad_integers);
    tcase_add_test(tc, test_skip_bad_rows);
    tcase_add_test(tc, test_unsorted_shard);
    tcase_add_test(tc, test_truncated_gz);
    tcase_add_test(tc, test_merge_out_of_order);
    tcase_add_test(tc, test_plain_and_gz_identical);
    tcase_add_test(tc, test_fast_path_matches_libcsv);
    tcase_add_test(tc, test_fast_path_errors_match_libcsv);
    tcase_add_test(tc, test_quoted_newline_then_fast_lines);
    tcase_add_test(tc, test_very_long_line);
    tcase_add_test(tc, test_multi_member_gz);
    tcase_add_test(tc, test_corrupt_gz_trailer);
    tcase_add_test(tc, test_missing_path);
    tcase_add_test(tc, test_table_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(gtrace_suite());
}
