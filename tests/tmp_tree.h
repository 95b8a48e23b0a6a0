/* A fresh temporary directory per test and its removal, for tests that
 * write fixture files. */
#ifndef DOM0SIM_TESTS_TMP_TREE_H
#define DOM0SIM_TESTS_TMP_TREE_H

#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>

/* A new directory /tmp/dom0sim-<what>-XXXXXX (g_free it). */
static inline char *tmp_tree_new(const char *what)
{
    char *dir = g_strdup_printf("/tmp/dom0sim-%s-XXXXXX", what);
    ck_assert_ptr_nonnull(g_mkdtemp(dir));
    return dir;
}

/* Removes path and everything under it. */
static inline void tmp_tree_remove(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        for (const char *n; (n = g_dir_read_name(d));) {
            g_autofree char *p = g_build_filename(path, n, NULL);
            tmp_tree_remove(p);
        }
        g_dir_close(d);
        g_rmdir(path);
    } else {
        g_unlink(path);
    }
}

#endif
