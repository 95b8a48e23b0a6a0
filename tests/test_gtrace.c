/* Unit tests for the Google 2011 trace readers (sim/gtrace.h).  Every
 * fixture is written by the test into a fresh temporary directory. */
#include "tests/check_main.h"
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
    tmpdir = g_strdup("/tmp/dom0sim-gtrace-XXXXXX");
    ck_assert_ptr_nonnull(g_mkdtemp(tmpdir));
}

static void rm_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        for (const char *n; (n = g_dir_read_name(d));) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            rm_tree(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

static void teardown(void)
{
    rm_tree(tmpdir);
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
    tcase_add_test(tc, test_wrong_column_count);
    tcase_add_test(tc, test_too_many_columns);
    tcase_add_test(tc, test_not_a_number);
    tcase_add_test(tc, test_bad_integers);
    tcase_add_test(tc, test_skip_bad_rows);
    tcase_add_test(tc, test_unsorted_shard);
    tcase_add_test(tc, test_truncated_gz);
    tcase_add_test(tc, test_merge_out_of_order);
    tcase_add_test(tc, test_plain_and_gz_identical);
    tcase_add_test(tc, test_missing_path);
    tcase_add_test(tc, test_table_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(gtrace_suite());
}
