/* The one way every Check program here runs its suite: all tests, normal
 * verbosity, exit status 1 if any failed. */
#ifndef DOM0SIM_TESTS_CHECK_MAIN_H
#define DOM0SIM_TESTS_CHECK_MAIN_H

#include <check.h>

static inline int check_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
