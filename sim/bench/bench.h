/* The benchmarks of dom0sim-bench, one entry point each.  Each prints its
 * report on stdout and returns 0, or 1 when its consistency checks fail
 * (timings are reported, never enforced). */
#ifndef DOM0SIM_BENCH_BENCH_H
#define DOM0SIM_BENCH_BENCH_H

#include <stdbool.h>

/* Hold model of the pending-event set (bench_hold.c). */
int bench_queue(bool quick);
/* The CPU scheduler, credit and fluid modes (bench_sched.c). */
int bench_sched(bool quick);

#endif
