/* Replays the fuzz targets' seed corpora and every input that once made a
 * target fail (tests/fuzz/corpus/TARGET/, tests/fuzz/regressions/TARGET/)
 * through the targets' own functions, without libFuzzer: the normal suite
 * (and the sanitizer build of CI) keeps each fixed bug fixed.  A failure is a
 * crash, an assertion in the target, or a sanitizer report. */
#include "tests/check_main.h"
#include <check.h>
#include <glib.h>
#include <stdio.h>

#include "tests/fuzz/fuzz_targets.h"

typedef struct {
    const char *name;
    int (*one)(const uint8_t *, size_t);
} Target;

static const Target targets[] = {
    {"scenario", fuzz_scenario_one},
    {"gtrace", fuzz_gtrace_one},
    {"gtrace_gz", fuzz_gtrace_gz_one},
    {"fit", fuzz_fit_one},
};

/* Feeds every file of DIR/NAME to the target; returns how many.  A missing
 * directory (no regression found yet) is zero files. */
static int replay_dir(const char *kind, const Target *t)
{
    g_autofree char *dir = g_build_filename(DOM0SIM_SRC_DIR, "tests", "fuzz", kind, t->name, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    if (!d)
        return 0;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *n; (n = g_dir_read_name(d));)
        g_ptr_array_add(names, g_strdup(n));
    g_dir_close(d);
    int count = 0;
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *path = g_build_filename(dir, names->pdata[i], NULL);
        if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        g_autofree char *data = NULL;
        gsize len = 0;
        ck_assert_msg(g_file_get_contents(path, &data, &len, NULL), "cannot read %s", path);
        /* An exactly-sized copy, as libFuzzer passes it. */
        g_autofree uint8_t *copy = g_memdup2(data, len ? len : 1);
        fprintf(stderr, "%s: %s\n", t->name, path);
        t->one(copy, len);
        count++;
    }
    return count;
}

START_TEST(test_replay)
{
    const Target *t = &targets[_i];
    int corpus = replay_dir("corpus", t);
    int regressions = replay_dir("regressions", t);
    ck_assert_msg(corpus > 0, "%s: no seed corpus in tests/fuzz/corpus/%s", t->name, t->name);
    printf("fuzz_%s: %d corpus and %d regression inputs replayed\n", t->name, corpus, regressions);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("replay");
    tcase_add_loop_test(tc, test_replay, 0, G_N_ELEMENTS(targets));
    suite_add_tcase(s, tc);
    return check_run_suite(s);
}
