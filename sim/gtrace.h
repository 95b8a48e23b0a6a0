/* Streaming readers for the Google cluster trace clusterdata-2011-2.
 *
 * The format is the one of "Google cluster-usage traces: format + schema"
 * (C. Reiss, J. Wilkes, version of 2011.10.27 for trace version 2, with the
 * trace's schema.csv for version 2.1, which adds task_usage column 20):
 *
 *   machine_events/part-00000-of-00001.csv.gz   6 columns
 *   task_events/part-NNNNN-of-00500.csv.gz      13 columns
 *   task_usage/part-NNNNN-of-00500.csv.gz       20 columns
 *
 * Every file is a headerless CSV, sorted by its first column (a time in
 * microseconds; the trace window starts at 600 s).  Two times are special:
 * 0 means "before the window" and 2^63 - 1 "after it".  An empty field is a
 * missing value; the schema marks some columns mandatory, and an empty
 * mandatory field is a malformed row.  Resources (CPUs, memory, disk) are
 * floats normalised to the largest machine, so in [0, 1].
 *
 * A reader merges any number of shards of one table by time (a k-way merge
 * over one buffered row per shard), so memory does not grow with the table. */
#ifndef DOM0SIM_SIM_GTRACE_H
#define DOM0SIM_SIM_GTRACE_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
    GTRACE_MACHINE_EVENTS,
    GTRACE_TASK_EVENTS,
    GTRACE_TASK_USAGE,
    GTRACE_N_TABLES,
} GtraceTable;

/* Trace times, in microseconds. */
#define GTRACE_TIME_BEFORE_WINDOW INT64_C(0)
#define GTRACE_TIME_AFTER_WINDOW INT64_MAX
/* The first time inside the window: 600 s (schema document, "Time and
 * timestamps"; ClusterData2011_2.md: 19:00 EDT, May 1 2011). */
#define GTRACE_WINDOW_START_US INT64_C(600000000)
/* task_usage reports one row per task per measurement period of 300 s
 * (schema document, "Resource usage"). */
#define GTRACE_USAGE_PERIOD_US INT64_C(300000000)

/* A missing small integer (missing info, scheduling class, a boolean). */
#define GTRACE_MISSING (-1)
/* Longest STRING_HASH kept (a base64 SHA-256 is 44 characters); longer is a
 * malformed row. */
#define GTRACE_HASH_MAX 63

/* Event types of machine_events (schema document, "Machine events"). */
enum { GTRACE_MACHINE_ADD = 0, GTRACE_MACHINE_REMOVE = 1, GTRACE_MACHINE_UPDATE = 2 };

/* Event types of task_events (schema document, "Job and task life cycles"). */
enum {
    GTRACE_TASK_SUBMIT = 0,
    GTRACE_TASK_SCHEDULE = 1,
    GTRACE_TASK_EVICT = 2,
    GTRACE_TASK_FAIL = 3,
    GTRACE_TASK_FINISH = 4,
    GTRACE_TASK_KILL = 5,
    GTRACE_TASK_LOST = 6,
    GTRACE_TASK_UPDATE_PENDING = 7,
    GTRACE_TASK_UPDATE_RUNNING = 8,
};

/* machine_events: time, machine ID, event type, platform ID, CPUs, memory. */
typedef struct {
    int64_t time_us;
    uint64_t machine_id;
    int event_type;
    char platform_id[GTRACE_HASH_MAX + 1]; /* "" when missing */
    double cpus;                           /* NAN when missing */
    double memory;                         /* NAN when missing */
} GtraceMachineEvent;

/* task_events: time, missing info, job ID, task index, machine ID, event
 * type, user, scheduling class, priority, CPU request, memory request, disk
 * space request, different-machines restriction. */
typedef struct {
    int64_t time_us;
    int missing_info; /* GTRACE_MISSING when empty */
    uint64_t job_id;
    uint64_t task_index;
    bool has_machine_id;
    uint64_t machine_id;
    int event_type;
    char user[GTRACE_HASH_MAX + 1]; /* "" when missing */
    int scheduling_class;           /* 0-3, GTRACE_MISSING when empty */
    int priority;
    double cpu_request; /* NAN when missing */
    double memory_request;
    double disk_request;
    int different_machines; /* 0/1, GTRACE_MISSING when empty */
} GtraceTaskEvent;

/* task_usage: start time, end time, job ID, task index, machine ID, CPU rate,
 * canonical memory usage, assigned memory usage, unmapped page cache, total
 * page cache, maximum memory usage, disk I/O time, local disk space usage,
 * maximum CPU rate, maximum disk IO time, cycles per instruction, memory
 * accesses per instruction, sample portion, aggregation type, sampled CPU
 * usage.  Every float is NAN when missing. */
typedef struct {
    int64_t start_us;
    int64_t end_us;
    uint64_t job_id;
    uint64_t task_index;
    uint64_t machine_id;
    double cpu_rate;
    double canonical_memory;
    double assigned_memory;
    double unmapped_page_cache;
    double total_page_cache;
    double max_memory;
    double disk_io_time;
    double local_disk_space;
    double max_cpu_rate;
    double max_disk_io_time;
    double cpi;
    double mai;
    double sample_portion;
    int aggregation_type; /* 0/1, GTRACE_MISSING when empty */
    double sampled_cpu;
} GtraceTaskUsage;

typedef struct {
    GtraceTable table;
    const char *path; /* the shard the row came from; owned by the reader */
    uint64_t line;    /* 1-based line of the row in its (uncompressed) shard */
    union {
        GtraceMachineEvent machine_event;
        GtraceTaskEvent task_event;
        GtraceTaskUsage task_usage;
    };
} GtraceRow;

typedef struct {
    /* Count and skip malformed rows instead of failing on the first one. */
    bool skip_bad_rows;
} GtraceOptions;

typedef struct GtraceReader GtraceReader;

/* "machine_events", "task_events", "task_usage". */
const char *gtrace_table_name(GtraceTable table);
/* The table called name, or GTRACE_N_TABLES. */
GtraceTable gtrace_table_from_name(const char *name);
/* Columns per row (6, 13, 20). */
int gtrace_table_columns(GtraceTable table);
/* The row's time, the merge key: the event time, or a usage row's start. */
int64_t gtrace_row_time(const GtraceRow *row);

/* Opens the shards of one table.  Each path is a file (plain CSV or gzip,
 * told by content) or a directory, whose *.csv and *.csv.gz files are taken
 * in name order.  Fails (DOM0SIM_ERROR_USAGE for a missing path, _IO for an
 * unreadable one) before reading any row; opts may be NULL. */
GtraceReader *gtrace_open(GtraceTable table, const char *const *paths, size_t n_paths,
                          const GtraceOptions *opts, GError **err);

/* The next row in time order across all shards (ties in shard order).
 * Returns 1 and fills *row, 0 at the end, -1 on error: a malformed row or a
 * row earlier than its predecessor in the same shard (DOM0SIM_ERROR_INPUT,
 * "FILE:LINE: ..."), a truncated or corrupt gzip stream (_INPUT, naming the
 * file and the last line read), a read failure (_IO).  With skip_bad_rows a
 * malformed row is counted and skipped instead; a corrupt stream still
 * fails. */
int gtrace_next(GtraceReader *r, GtraceRow *row, GError **err);

/* Rows returned and rows skipped so far. */
uint64_t gtrace_rows(const GtraceReader *r);
uint64_t gtrace_skipped(const GtraceReader *r);
/* Number of shard files opened. */
size_t gtrace_n_files(const GtraceReader *r);

void gtrace_close(GtraceReader *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(GtraceReader, gtrace_close)

#endif
