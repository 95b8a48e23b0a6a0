/* The least-squares fit of dom0 CPU on a guest's CPU and disk I/O time
 * (sim/fit.h): exact recovery without noise, recovery within its standard
 * errors with noise, and the inputs it must refuse, in memory and as CSV. */
#include "tests/check_main.h"
#include "tests/tmp_tree.h"
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>

#include "sim/fit.h"
#include "sim/sim_error.h"

static const double B0 = 0.0125, B1 = 0.114, B2 = 0.537;

/* n rows on a grid that keeps the three columns of the design independent. */
static void grid(size_t n, double *cpu, double *disk)
{
    for (size_t i = 0; i < n; i++) {
        cpu[i] = 0.05 * (double)(i % 5) + 0.01 * (double)(i % 3);
        disk[i] = 0.1 * (double)((i / 5) % 4) + 0.003 * (double)i;
    }
}

START_TEST(test_noise_free_exact)
{
    enum { N = 20 };
    double cpu[N], disk[N], y[N];
    grid(N, cpu, disk);
    for (size_t i = 0; i < N; i++)
        y[i] = B0 + B1 * cpu[i] + B2 * disk[i];
    FitResult r;
    GError *err = NULL;
    ck_assert_msg(fit_linear(cpu, disk, y, N, "t", &r, &err), "%s", err ? err->message : "");
    ck_assert_double_eq_tol(r.coef[0], B0, 1e-12);
    ck_assert_double_eq_tol(r.coef[1], B1, 1e-12);
    ck_assert_double_eq_tol(r.coef[2], B2, 1e-12);
    ck_assert_double_eq_tol(r.r2, 1.0, 1e-12);
    ck_assert_double_le(r.residual_rms, 1e-13);
    for (int k = 0; k < FIT_N_PARAMS; k++)
        ck_assert_double_le(r.se[k], 1e-10);
    ck_assert_uint_eq(r.n, N);
}
END_TEST

/* Gaussian noise of known sigma, fixed seed: every coefficient within three
 * of its standard errors, the standard errors of the right order (against
 * the closed form sigma / sqrt(n var(x)) for the slopes, within a factor
 * of two), and R^2 and residual RMS consistent with sigma. */
START_TEST(test_noisy_within_stderr)
{
    enum { N = 400 };
    const double sigma = 0.01;
    static double cpu[N], disk[N], y[N];
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 12345);
    for (size_t i = 0; i < N; i++) {
        cpu[i] = gsl_rng_uniform(rng) * 2.0;
        disk[i] = gsl_rng_uniform(rng) * 0.5;
        y[i] = B0 + B1 * cpu[i] + B2 * disk[i] + gsl_ran_gaussian(rng, sigma);
    }
    gsl_rng_free(rng);
    FitResult r;
    GError *err = NULL;
    ck_assert_msg(fit_linear(cpu, disk, y, N, "t", &r, &err), "%s", err ? err->message : "");
    const double truth[FIT_N_PARAMS] = {B0, B1, B2};
    for (int k = 0; k < FIT_N_PARAMS; k++) {
        ck_assert_double_gt(r.se[k], 0.0);
        ck_assert_msg(fabs(r.coef[k] - truth[k]) <= 3.0 * r.se[k],
                      "coefficient %d: %.6g, truth %.6g, stderr %.3g", k, r.coef[k], truth[k],
                      r.se[k]);
    }
    /* Uniform on [0, a]: variance a^2 / 12. */
    double se_cpu = sigma / sqrt(N * 4.0 / 12.0), se_disk = sigma / sqrt(N * 0.25 / 12.0);
    ck_assert_msg(r.se[1] > se_cpu / 2 && r.se[1] < se_cpu * 2, "se cpu %.3g vs %.3g", r.se[1],
                  se_cpu);
    ck_assert_msg(r.se[2] > se_disk / 2 && r.se[2] < se_disk * 2, "se disk %.3g vs %.3g", r.se[2],
                  se_disk);
    ck_assert_double_eq_tol(r.residual_rms, sigma, 0.15 * sigma);
    ck_assert_double_gt(r.r2, 0.9);
    ck_assert_double_lt(r.r2, 1.0);
}
END_TEST

START_TEST(test_refuses_too_few_rows)
{
    double cpu[3] = {0.1, 0.2, 0.4}, disk[3] = {0.0, 0.3, 0.1}, y[3] = {1, 2, 3};
    FitResult r;
    GError *err = NULL;
    ck_assert(!fit_linear(cpu, disk, y, 3, "few.csv", &r, &err));
    ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
    ck_assert_ptr_nonnull(strstr(err->message, "few.csv"));
    ck_assert_int_eq(dom0sim_error_exit_status(err), 2);
    g_clear_error(&err);
    ck_assert(!fit_linear(cpu, disk, y, 0, NULL, &r, &err));
    g_clear_error(&err);
}
END_TEST

START_TEST(test_refuses_singular)
{
    enum { N = 8 };
    double cpu[N], disk[N], y[N];
    GError *err = NULL;
    FitResult r;
    /* disk_io_time constant: indistinguishable from the intercept. */
    for (size_t i = 0; i < N; i++) {
        cpu[i] = 0.1 * (double)i;
        disk[i] = 0.25;
        y[i] = 1.0 + cpu[i];
    }
    ck_assert(!fit_linear(cpu, disk, y, N, "t", &r, &err));
    ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
    ck_assert_ptr_nonnull(strstr(err->message, "singular"));
    g_clear_error(&err);
    /* disk_io_time proportional to guest_cpu_cores. */
    for (size_t i = 0; i < N; i++)
        disk[i] = 3.0 * cpu[i];
    ck_assert(!fit_linear(cpu, disk, y, N, "t", &r, &err));
    ck_assert_ptr_nonnull(strstr(err->message, "singular"));
    g_clear_error(&err);
    /* All zero. */
    for (size_t i = 0; i < N; i++)
        cpu[i] = disk[i] = 0.0;
    ck_assert(!fit_linear(cpu, disk, y, N, "t", &r, &err));
    g_clear_error(&err);
    /* A non-finite value. */
    grid(N, cpu, disk);
    y[3] = NAN;
    ck_assert(!fit_linear(cpu, disk, y, N, "t", &r, &err));
    g_clear_error(&err);
}
END_TEST

/* ---- CSV ---------------------------------------------------------------- */

static char *tmpdir;

static void setup(void)
{
    tmpdir = tmp_tree_new("fit");
}

static void teardown(void)
{
    tmp_tree_remove(tmpdir);
    g_free(tmpdir);
}

static char *write_csv(const char *name, const char *text)
{
    char *p = g_build_filename(tmpdir, name, NULL);
    ck_assert(g_file_set_contents(p, text, -1, NULL));
    return p;
}

/* Fails and returns the message, which must name the file. */
static char *csv_error(const char *text)
{
    g_autofree char *p = write_csv("bad.csv", text);
    FitResult r;
    GError *err = NULL;
    ck_assert_msg(!fit_csv_file(p, &r, &err), "accepted: %s", text);
    ck_assert_int_eq(dom0sim_error_exit_status(err), 2);
    ck_assert_msg(g_str_has_prefix(err->message, p), "message does not name the file: %s",
                  err->message);
    char *msg = g_strdup(err->message + strlen(p));
    g_error_free(err);
    return msg;
}

/* Found by fuzz_fit: a finite dom0_cores near 1e306 overflowed in the fit,
 * which then "succeeded" with every coefficient NaN (printed as null, exit
 * 0). */
START_TEST(test_refuses_overflow)
{
    enum { N = 4 };
    double cpu[N] = {3, 0.4, 0.1, 0.5};
    double disk[N] = {5, 0.3, 0.0, 0.2};
    double y[N] = {1.5, 0.2, 0.103, 1e306};
    FitResult r;
    GError *err = NULL;
    ck_assert(!fit_linear(cpu, disk, y, N, "t", &r, &err));
    ck_assert_int_eq(dom0sim_error_exit_status(err), 2);
    ck_assert_msg(strstr(err->message, "overflowed"), "%s", err->message);
    g_clear_error(&err);
}
END_TEST

START_TEST(test_csv_columns_any_order)
{
    GString *s = g_string_new("run,dom0_cores,\"kind\",disk_io_time,guest_cpu_cores\r\n");
    enum { N = 12 };
    double cpu[N], disk[N];
    grid(N, cpu, disk);
    for (size_t i = 0; i < N; i++) {
        g_string_append_printf(s, "r%zu,%.17g,\"a, b\",%.17g,%.17g\r\n", i,
                               B0 + B1 * cpu[i] + B2 * disk[i], disk[i], cpu[i]);
        if (i == 4)
            g_string_append(s, "\n");
    }
    g_autofree char *p = write_csv("ok.csv", s->str);
    g_string_free(s, TRUE);
    FitResult r;
    GError *err = NULL;
    ck_assert_msg(fit_csv_file(p, &r, &err), "%s", err ? err->message : "");
    ck_assert_uint_eq(r.n, N);
    ck_assert_double_eq_tol(r.coef[1], B1, 1e-12);
    ck_assert_double_eq_tol(r.coef[2], B2, 1e-12);
    /* The JSON names every field and round-trips the numbers. */
    g_autofree char *js = fit_result_to_json(&r);
    const char *keys[] = {"\"intercept\":", "\"per_cpu_core\":", "\"per_disk_io\":", "\"stderr\":",
                          "\"r2\":",        "\"n\": 12",         "\"residual_rms\":"};
    for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
        ck_assert_msg(strstr(js, keys[k]) != NULL, "%s missing in %s", keys[k], js);
    const char *at = strstr(js, "\"per_disk_io\": ") + strlen("\"per_disk_io\": ");
    ck_assert(g_ascii_strtod(at, NULL) == r.coef[2]);
}
END_TEST

START_TEST(test_csv_errors)
{
    g_autofree char *m1 = csv_error("guest_cpu_cores,dom0_cores\n0.1,0.2\n");
    ck_assert_msg(strstr(m1, ":1: header has no column 'disk_io_time'"), "%s", m1);
    g_autofree char *m2 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n"
                                    "0.1,0.1,0.1\n0.2,0.3,0.2\n0.3,abc,0.3\n");
    ck_assert_msg(strstr(m2, ":4: column disk_io_time: 'abc'"), "%s", m2);
    g_autofree char *m3 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n0.1,0.1\n");
    ck_assert_msg(strstr(m3, ":2: 2 fields"), "%s", m3);
    g_autofree char *m4 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n"
                                    "0.1,0.1,0.1\n0.2,0.3,0.2\n0.3,0.2,0.3\n");
    ck_assert_msg(strstr(m4, "3 rows"), "%s", m4);
    g_autofree char *m5 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n"
                                    "0.1,0.1,0.1\n0.2,0.2,0.2\n0.3,0.3,0.3\n0.4,0.4,0.4\n");
    ck_assert_msg(strstr(m5, "singular"), "%s", m5);
    g_autofree char *m6 = csv_error("");
    ck_assert_msg(strstr(m6, "empty"), "%s", m6);
    g_autofree char *m7 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n1,inf,2\n");
    ck_assert_msg(strstr(m7, ":2:"), "%s", m7);
    g_autofree char *m8 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n1,\"2,3\n");
    ck_assert_msg(strstr(m8, ":2: malformed"), "%s", m8);
    g_autofree char *m9 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores,dom0_cores\n");
    ck_assert_msg(strstr(m9, "twice"), "%s", m9);
    g_autofree char *m10 = csv_error("guest_cpu_cores,disk_io_time,dom0_cores\n1,,2\n");
    ck_assert_msg(strstr(m10, ":2: column disk_io_time: ''"), "%s", m10);
    /* A missing file is a usage error (exit 2) naming it. */
    FitResult r;
    GError *err = NULL;
    ck_assert(!fit_csv_file("/nonexistent/x.csv", &r, &err));
    ck_assert_int_eq(dom0sim_error_exit_status(err), 2);
    ck_assert_ptr_nonnull(strstr(err->message, "x.csv"));
    g_clear_error(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fit");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_noise_free_exact);
    tcase_add_test(tc, test_noisy_within_stderr);
    tcase_add_test(tc, test_refuses_too_few_rows);
    tcase_add_test(tc, test_refuses_singular);
    tcase_add_test(tc, test_refuses_overflow);
    suite_add_tcase(s, tc);
    TCase *csv = tcase_create("csv");
    tcase_add_checked_fixture(csv, setup, teardown);
    tcase_add_test(csv, test_csv_columns_any_order);
    tcase_add_test(csv, test_csv_errors);
    suite_add_tcase(s, csv);
    return check_run_suite(s);
}
