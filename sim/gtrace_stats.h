/* Counts over a Google 2011 trace (sim/gtrace.h): rows per table, distinct
 * machines, jobs and tasks, and the time span.  The generator fills the same
 * struct by construction, so `dom0sim-trace gen` and `dom0sim-trace stats`
 * print comparable JSON. */
#ifndef DOM0SIM_SIM_GTRACE_STATS_H
#define DOM0SIM_SIM_GTRACE_STATS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/gtrace.h"

typedef struct {
    bool present[GTRACE_N_TABLES]; /* the table was read (or written) */
    uint64_t files[GTRACE_N_TABLES];
    uint64_t rows[GTRACE_N_TABLES];
    uint64_t skipped[GTRACE_N_TABLES];
    /* Rows whose time is GTRACE_TIME_BEFORE_WINDOW or _AFTER_WINDOW. */
    uint64_t rows_before_window;
    uint64_t rows_after_window;
    /* Earliest and latest time inside the window (row times and task_usage
     * end times), microseconds; valid when has_span. */
    bool has_span;
    int64_t first_us;
    int64_t last_us;
    /* Distinct machine IDs (any table), job IDs and (job ID, task index)
     * pairs (task_events and task_usage). */
    uint64_t machines;
    uint64_t jobs;
    uint64_t tasks;
} GtraceCounts;

/* Notes a time into the span and the before/after counters (row times);
 * end times of usage rows go through gtrace_counts_note_end. */
void gtrace_counts_note_time(GtraceCounts *c, int64_t t);
void gtrace_counts_note_end(GtraceCounts *c, int64_t t);

/* The counts as a JSON document (newline-terminated; g_free it). */
char *gtrace_counts_to_json(const GtraceCounts *c);

/* Collects GtraceCounts from rows; the distinct sets grow with the number
 * of distinct machines, jobs and tasks, not with the number of rows. */
typedef struct GtraceStats GtraceStats;
GtraceStats *gtrace_stats_new(void);
void gtrace_stats_add(GtraceStats *st, const GtraceRow *row);
/* Adds a finished reader's file, row and skipped counts for its table. */
void gtrace_stats_add_reader(GtraceStats *st, GtraceTable table, const GtraceReader *r);
const GtraceCounts *gtrace_stats_counts(GtraceStats *st);
void gtrace_stats_free(GtraceStats *st);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GtraceStats, gtrace_stats_free)

#endif
