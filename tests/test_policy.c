/* The policy registry and the thesis's static sizing rules. */
#include "tests/check_main.h"
#include <check.h>
#include <string.h>

#include "policies/oracle_static.h"
#include "policies/policy.h"

START_TEST(oracle_static_matches_published_rule)
{
    /* dom0_mem = 502 + int(physical_mem_MB * 0.0205) */
    ck_assert_uint_eq(oracle_static_dom0_mem_mb(2048), 543);
    ck_assert_uint_eq(oracle_static_dom0_mem_mb(32768), 1173);
    ck_assert_uint_eq(oracle_static_dom0_mem_mb(0), 502);
    /* 1000 MB * 0.0205 = 20.5: int() truncates. */
    ck_assert_uint_eq(oracle_static_dom0_mem_mb(1000), 522);
    ck_assert_uint_eq(oracle_static_dom0_mem_mb(1048576), 502 + 21495);
}
END_TEST

START_TEST(oracle_static_sizes_through_the_table)
{
    const PolicyOps *p = policy_find("oracle-static");
    ck_assert_ptr_nonnull(p);
    cJSON *params = cJSON_Parse("{\"vcpus\": 4, \"socket\": 1}");
    PolicyHostInfo host = {.sockets = 2, .cores_per_socket = 8, .memory_bytes = 32768ULL << 20};
    PolicyDom0Size size;
    ck_assert(policy_validate(p, params, &host, "x", NULL));
    policy_size_dom0(p, params, &host, &size);
    ck_assert_uint_eq(size.memory_bytes >> 20, 1173);
    ck_assert_int_eq(size.vcpus, 4);
    ck_assert_int_eq(size.socket, 1);
    host.sockets = 1;
    GError *err = NULL;
    ck_assert(!policy_validate(p, params, &host, "policy_params.oracle-static", &err));
    ck_assert_ptr_nonnull(strstr(err->message, "socket 1 does not exist"));
    g_error_free(err);
    cJSON_Delete(params);
}
END_TEST

START_TEST(native_takes_its_parameters)
{
    const PolicyOps *p = policy_find("native");
    ck_assert_ptr_nonnull(p);
    cJSON *params =
        cJSON_Parse("{\"vcpus\": 3, \"memory_mb\": 1500, \"socket\": 0, \"pinned\": false}");
    PolicyHostInfo host = {.sockets = 2, .cores_per_socket = 8, .memory_bytes = 1ULL << 36};
    PolicyDom0Size size;
    policy_size_dom0(p, params, &host, &size);
    ck_assert_int_eq(size.vcpus, 3);
    ck_assert_uint_eq(size.memory_bytes, 1500ULL << 20);
    ck_assert(!size.pinned);
    cJSON_Delete(params);
}
END_TEST

START_TEST(registry_names_unique_and_described)
{
    size_t n;
    const PolicyOps *const *all = policy_all(&n);
    ck_assert_uint_ge(n, 2);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(all[i]->size_dom0);
        ck_assert_uint_gt(strlen(all[i]->description), 10);
        ck_assert_ptr_eq(policy_find(all[i]->name), all[i]);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_str_ne(all[i]->name, all[j]->name);
    }
    ck_assert_ptr_null(policy_find("nativ"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("registry");
    tcase_add_test(tc, oracle_static_matches_published_rule);
    tcase_add_test(tc, oracle_static_sizes_through_the_table);
    tcase_add_test(tc, native_takes_its_parameters);
    tcase_add_test(tc, registry_names_unique_and_described);
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
