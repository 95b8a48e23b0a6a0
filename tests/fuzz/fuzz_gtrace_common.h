/* Reading one fuzzed trace to its end, shared by the plain and gzip trace
 * targets. */
#ifndef DOM0SIM_TESTS_FUZZ_GTRACE_COMMON_H
#define DOM0SIM_TESTS_FUZZ_GTRACE_COMMON_H

#include <glib.h>
#include <math.h>

#include "sim/gtrace.h"

/* Opens the shards and reads every row, checking what the reader promises
 * of each one; the outcome (a row count or an error) does not matter. */
static inline void fuzz_gtrace_read_all(GtraceTable t, const char *const *paths, size_t n,
                                        bool skip)
{
    GtraceOptions o = {.skip_bad_rows = skip};
    GError *err = NULL;
    GtraceReader *r = gtrace_open(t, paths, n, &o, &err);
    if (!r) {
        g_assert(err);
        g_error_free(err);
        return;
    }
    GtraceRow row;
    int rc;
    uint64_t rows = 0;
    while ((rc = gtrace_next(r, &row, &err)) > 0) {
        rows++;
        g_assert(row.table == t);
        g_assert(row.path && row.line >= 1);
        if (t == GTRACE_MACHINE_EVENTS)
            g_assert(strlen(row.machine_event.platform_id) <= GTRACE_HASH_MAX);
        else if (t == GTRACE_TASK_EVENTS)
            g_assert(strlen(row.task_event.user) <= GTRACE_HASH_MAX);
    }
    g_assert((rc < 0) == (err != NULL));
    g_assert(gtrace_rows(r) == rows);
    g_clear_error(&err);
    gtrace_close(r);
}

#endif
