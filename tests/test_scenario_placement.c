/* Guests listed without a host are packed onto the hosts by the scenario's
 * placement algorithm: three hosts of 16 GiB, each with a 2 GiB dom0, and
 * guests of 6, 6, 6 and 4 GiB. */
#include "tests/check_main.h"
#include "tests/scenario_run.h"

static const char *three_hosts =
    "{\"name\": \"pl\", \"duration_s\": 1,"
    " \"hosts\": [{\"name\": \"h0\", \"memory_per_socket_mb\": 8192},"
    "            {\"name\": \"h1\", \"memory_per_socket_mb\": 8192},"
    "            {\"name\": \"h2\", \"memory_per_socket_mb\": 8192}],"
    " \"vms\": [{\"name\": \"a\", \"memory_mb\": 6144}, {\"name\": \"b\", \"memory_mb\": 6144},"
    "          {\"name\": \"c\", \"memory_mb\": 6144}, {\"name\": \"d\", \"memory_mb\": 4096}]}";

static void expect_guests(const char *algo, int h0, int h1, int h2)
{
    g_autofree char *set = g_strdup_printf("placement.hosts=\"%s\"", algo);
    const char *sets[] = {set, NULL};
    Sim *sim = scenario_run(three_hosts, sets);
    int got[3] = {(int)scenario_metric(sim, "h0.guests"), (int)scenario_metric(sim, "h1.guests"),
                  (int)scenario_metric(sim, "h2.guests")};
    ck_assert_msg(got[0] == h0 && got[1] == h1 && got[2] == h2,
                  "%s: guests per host %d/%d/%d, expected %d/%d/%d", algo, got[0], got[1], got[2],
                  h0, h1, h2);
    sim_free(sim);
}

/* First fit: a, b on h0 (14 of 16 GiB), c on h1, d beside it.  Worst fit
 * spreads a, b, c, then d goes to the first of three equally empty hosts. */
START_TEST(hostless_guests_packed_by_the_scenario_algorithm)
{
    expect_guests("first-fit", 2, 2, 0);
    expect_guests("best-fit", 2, 2, 0);
    expect_guests("next-fit", 2, 2, 0);
    expect_guests("first-fit-decreasing", 2, 2, 0);
    expect_guests("worst-fit", 2, 1, 1);
}
END_TEST

/* A fourth 6 GiB guest and a 10 GiB one: the last has no room anywhere. */
START_TEST(no_room_is_an_input_error)
{
    const char *js = "{\"name\": \"pl\", \"duration_s\": 1,"
                     " \"hosts\": [{\"name\": \"h0\", \"memory_per_socket_mb\": 8192}],"
                     " \"vms\": [{\"name\": \"a\", \"memory_mb\": 6144}, {\"name\": \"b\", "
                     "\"memory_mb\": 10240}]}";
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_builtin(&err);
    SimJsonDoc *doc = sim_json_load_text(js, strlen(js), "pl.json", &err);
    ck_assert(sim_schema_validate(schema, doc, &err));
    Sim *sim = sim_new(1);
    World *w = world_build(sim, doc, &err);
    ck_assert_ptr_null(w);
    ck_assert_msg(err && strstr(err->message, "vms[1]") && strstr(err->message, "no host has room"),
                  "error: %s", err ? err->message : "(none)");
    g_error_free(err);
    sim_free(sim);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

static Suite *scenario_placement_suite(void)
{
    Suite *s = suite_create("scenario_placement");
    TCase *tc = tcase_create("scenario_placement");
    tcase_add_test(tc, hostless_guests_packed_by_the_scenario_algorithm);
    tcase_add_test(tc, no_room_is_an_input_error);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(scenario_placement_suite());
}
