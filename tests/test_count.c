/* vms[].count: one entry stands for count identical guests named <name>1,
 * <name>2, ...; without it, one guest named <name>; with 0, none.  The
 * copies are placed, run and reported one by one, and a migration or
 * resize must name a copy, never the base name. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

/* Two hosts of 16 GiB, each with a 2 GiB dom0: an entry "io" of 6 GiB
 * IOzone guests without a host (placed first fit) and one idle guest. */
static const char *counted =
    "{\"name\": \"cnt\", \"duration_s\": 1,"
    " \"hosts\": [{\"name\": \"h0\", \"memory_per_socket_mb\": 8192},"
    "            {\"name\": \"h1\", \"memory_per_socket_mb\": 8192}],"
    " \"vms\": [{\"name\": \"io\", \"memory_mb\": 6144,"
    "            \"workload\": {\"type\": \"iozone\", \"test\": \"random-read\", \"file_mb\": 64,"
    "                           \"record_kb\": 4, \"outstanding\": 2}},"
    "          {\"name\": \"idle\", \"host\": \"h1\", \"memory_mb\": 512}]}";

static bool has_metric(const Sim *sim, const char *name)
{
    double v;
    return sim_metric_get(sim, name, &v);
}

/* Runs `counted` with vms[0].count set to `count` (-1: absent). */
static Sim *run_count(int count)
{
    g_autofree char *set = g_strdup_printf("vms[0].count=%d", count);
    const char *sets[] = {count >= 0 ? set : NULL, NULL};
    return scenario_run(counted, sets);
}

START_TEST(absent_count_is_one_guest_under_its_own_name)
{
    Sim *sim = run_count(-1);
    ck_assert(has_metric(sim, "io.cpu.busy_s"));
    ck_assert(!has_metric(sim, "io1.cpu.busy_s"));
    ck_assert_int_eq((int)scenario_metric(sim, "h0.guests"), 1);
    ck_assert_int_eq((int)scenario_metric(sim, "guests.iozone.count"), 1);
    ck_assert_double_eq(scenario_metric(sim, "guests.iozone.kBps"),
                        scenario_metric(sim, "io.iozone.kBps"));
    sim_free(sim);
}
END_TEST

START_TEST(count_zero_is_no_guest)
{
    Sim *sim = run_count(0);
    ck_assert(!has_metric(sim, "io.cpu.busy_s"));
    ck_assert(!has_metric(sim, "io1.cpu.busy_s"));
    ck_assert(!has_metric(sim, "guests.iozone.kBps"));
    ck_assert_int_eq((int)scenario_metric(sim, "h0.guests"), 0);
    ck_assert_int_eq((int)scenario_metric(sim, "h1.guests"), 1);
    sim_free(sim);
}
END_TEST

START_TEST(count_one_is_one_numbered_guest)
{
    Sim *sim = run_count(1);
    ck_assert(has_metric(sim, "io1.cpu.busy_s"));
    ck_assert(!has_metric(sim, "io.cpu.busy_s"));
    ck_assert(!has_metric(sim, "io2.cpu.busy_s"));
    ck_assert_int_eq((int)scenario_metric(sim, "h0.guests"), 1);
    sim_free(sim);
}
END_TEST

/* Three copies of 6 GiB, first fit: io1 and io2 fill h0 (14 of 16 GiB),
 * io3 goes beside the idle guest on h1; the total is the copies' sum. */
START_TEST(count_three_is_three_numbered_guests_placed_one_by_one)
{
    Sim *sim = run_count(3);
    double sum = 0.0;
    for (int k = 1; k <= 3; k++) {
        g_autofree char *m = g_strdup_printf("io%d.iozone.kBps", k);
        ck_assert_msg(has_metric(sim, m), "%s missing", m);
        double x = scenario_metric(sim, m);
        ck_assert_msg(x > 0, "%s = %g", m, x);
        sum += x;
    }
    ck_assert(!has_metric(sim, "io.cpu.busy_s"));
    ck_assert(!has_metric(sim, "io4.cpu.busy_s"));
    ck_assert_int_eq((int)scenario_metric(sim, "h0.guests"), 2);
    ck_assert_int_eq((int)scenario_metric(sim, "h1.guests"), 2);
    ck_assert_int_eq((int)scenario_metric(sim, "guests.iozone.count"), 3);
    ck_assert_double_eq_tol(scenario_metric(sim, "guests.iozone.kBps"), sum, 1e-9);
    sim_free(sim);
}
END_TEST

/* Builds `counted` with `sets`; expects an input error containing every
 * string of `want`. */
static void expect_build_error(const char *const *sets, const char *const *want)
{
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_builtin(&err);
    SimJsonDoc *doc = sim_json_load_text(counted, strlen(counted), "cnt.json", &err);
    for (const char *const *s = sets; *s; s++)
        ck_assert_msg(sim_schema_apply_set(schema, doc, *s, &err), "--set %s: %s", *s,
                      err ? err->message : "?");
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "validate: %s", err ? err->message : "?");
    Sim *sim = sim_new(1);
    World *w = world_build(sim, doc, &err);
    ck_assert_ptr_null(w);
    ck_assert(err != NULL);
    for (const char *const *s = want; *s; s++)
        ck_assert_msg(strstr(err->message, *s), "error '%s' lacks '%s'", err->message, *s);
    g_error_free(err);
    sim_free(sim);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}

START_TEST(copies_are_named_by_migrations_and_resizes)
{
    const char *sets[] = {"vms[0].count=3",
                          "migrations=[{\"vm\": \"io1\", \"to\": \"h1\", \"at_s\": 0.5}]",
                          "resizes=[{\"vm\": \"io3\", \"at_s\": 0.5, \"memory_mb\": 4096}]", NULL};
    Sim *sim = scenario_run(counted, sets);
    ck_assert(has_metric(sim, "io1.migration.rounds"));
    sim_free(sim);
}
END_TEST

START_TEST(base_name_of_counted_guests_is_an_error)
{
    const char *mig[] = {"vms[0].count=3", "migrations=[{\"vm\": \"io\", \"to\": \"h1\"}]", NULL};
    const char *mig_want[] = {"migrations[0].vm", "vms[0].count", "'io1' to 'io3'", NULL};
    expect_build_error(mig, mig_want);
    const char *rsz[] = {"vms[0].count=0",
                         "resizes=[{\"vm\": \"io\", \"at_s\": 0.5, \"memory_mb\": 4096}]", NULL};
    const char *rsz_want[] = {"resizes[0].vm", "count is 0", NULL};
    expect_build_error(rsz, rsz_want);
    /* A copy past the count names no guest. */
    const char *past[] = {"vms[0].count=2", "migrations=[{\"vm\": \"io3\", \"to\": \"h1\"}]", NULL};
    const char *past_want[] = {"migrations[0].vm", "no guest named 'io3'", NULL};
    expect_build_error(past, past_want);
}
END_TEST

START_TEST(copy_names_must_not_clash)
{
    const char *copy[] = {"vms[0].count=3", "vms[1].name=\"io2\"", NULL};
    const char *copy_want[] = {"vms[1].name", "'io2' already names a guest", NULL};
    expect_build_error(copy, copy_want);
    const char *base[] = {"vms[0].count=3", "vms[1].name=\"io\"", NULL};
    const char *base_want[] = {"vms[1].name", "base name of the guests of vms[0]", NULL};
    expect_build_error(base, base_want);
    const char *host[] = {"vms[0].name=\"h\"", "vms[0].count=1", NULL};
    const char *host_want[] = {"vms[0].name", "'h1' already names a host", NULL};
    expect_build_error(host, host_want);
}
END_TEST

static Suite *count_suite(void)
{
    Suite *s = suite_create("count");
    TCase *tc = tcase_create("count");
    tcase_add_test(tc, absent_count_is_one_guest_under_its_own_name);
    tcase_add_test(tc, count_zero_is_no_guest);
    tcase_add_test(tc, count_one_is_one_numbered_guest);
    tcase_add_test(tc, count_three_is_three_numbered_guests_placed_one_by_one);
    tcase_add_test(tc, copies_are_named_by_migrations_and_resizes);
    tcase_add_test(tc, base_name_of_counted_guests_is_an_error);
    tcase_add_test(tc, copy_names_must_not_clash);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(count_suite());
}
