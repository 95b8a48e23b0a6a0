/* A synthetic trace in the exact format and layout of clusterdata-2011-2
 * (see sim/gtrace.h), seeded and deterministic; the shapes it draws from and
 * their sources are in sim/gtrace_gen.c and docs/TRACES.md. */
#ifndef DOM0SIM_SIM_GTRACE_GEN_H
#define DOM0SIM_SIM_GTRACE_GEN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/gtrace_stats.h"

typedef struct {
    const char *out_dir; /* gets machine_events/, task_events/, task_usage/ */
    uint64_t machines;   /* >= 1 */
    double days;         /* trace window length, days, > 0 */
    uint64_t seed;
    unsigned shards; /* files per task table, >= 1 (the trace has 500) */
    bool gzip;       /* part-*.csv.gz (as the trace) instead of part-*.csv */
} GtraceGenOptions;

/* Writes the three tables under o->out_dir (each file under a temporary name,
 * renamed when complete) and fills *counts with what was written.  The same
 * options always give byte-identical files. */
gboolean gtrace_gen(const GtraceGenOptions *o, GtraceCounts *counts, GError **err);

#endif
