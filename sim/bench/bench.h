/* The benchmarks of dom0sim-bench, one entry point each.  Each prints its
 * report on stdout and returns 0, or 1 when its consistency checks fail
 * (timings are reported, never enforced). */
#ifndef DOM0SIM_BENCH_BENCH_H
#define DOM0SIM_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>

/* Removes path and everything under it (generated traces). */
void bench_remove_tree(const char *path);
/* Wall-clock seconds from a monotonic clock (bench_util.c). */
double bench_now_s(void);
/* Resets the kernel's peak-RSS mark to the current RSS (Linux >= 4.0);
 * false when that is not possible. */
bool bench_reset_peak_rss(void);
/* Peak RSS in KiB since the last reset: VmHWM, or ru_maxrss for the whole
 * process. */
long bench_peak_rss_kib(void);

/* What one timed scenario run measured. */
typedef struct {
    double wall_s;     /* from building the world to the end of world_finish */
    long peak_rss_kib; /* over the same span (or the process's, see rss_reset) */
    bool rss_reset;    /* whether the peak could be reset before the run */
} BenchRun;

/* Validates scenario `text` (named `name` in messages), builds it, runs it to
 * its horizon and finishes it, timing all of that.  Returns the Sim holding
 * the metrics (the caller frees it), or NULL after printing the error. */
struct Sim;
struct Sim *bench_run_scenario(const char *text, const char *name, BenchRun *out);

/* Hold model of the pending-event set (bench_hold.c). */
int bench_queue(bool quick);
/* The CPU scheduler, credit and fluid modes (bench_sched.c). */
int bench_sched(bool quick);
/* The split-driver I/O path at request level: ten IOzone guests for ten
 * simulated minutes under native and closer (bench_io.c). */
int bench_io(bool quick);
/* Live migration at the rate level: 1000 guests of 1 GiB migrated one after
 * another over 1 Gb/s (bench_mig.c). */
int bench_mig(bool quick);
/* Reading task_usage from gzip shards through gtrace_next on one thread
 * (bench_read.c): generated traces of three lengths, or the paths given to
 * bench_read_set_paths (trace directories, shard directories or shards;
 * the array must outlive the run). */
int bench_read(bool quick);
void bench_read_set_paths(const char *const *paths, size_t n);
/* A generated one-day trace of 12,500 machines replayed at rate level, at
 * three trace lengths (bench_replay.c). */
int bench_replay(bool quick);

#endif
