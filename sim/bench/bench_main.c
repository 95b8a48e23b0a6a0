/* dom0sim-bench: the simulator's performance benchmarks.
 *
 * Usage: dom0sim-bench [queue|sched] [--quick]
 *   no name  runs every benchmark (queue, then sched);
 *   queue    the pending-event set, hold model (bench_hold.c);
 *   sched    the CPU scheduler, 64 pCPUs and 200 busy vCPUs for one
 *            simulated hour, credit and fluid modes (bench_sched.c);
 *   --quick  a short smoke run of the same code paths and checks.
 * The exit status is 1 if any benchmark's consistency check fails. */
#include <stdio.h>
#include <string.h>

#include "sim/bench/bench.h"

static int usage(const char *argv0)
{
    fprintf(stderr, "usage: %s [queue|sched] [--quick]\n", argv0);
    return 2;
}

int main(int argc, char **argv)
{
    bool quick = false, queue = false, sched = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0)
            quick = true;
        else if (strcmp(argv[i], "queue") == 0)
            queue = true;
        else if (strcmp(argv[i], "sched") == 0)
            sched = true;
        else
            return usage(argv[0]);
    }
    if (!queue && !sched)
        queue = sched = true;
    int status = 0;
    if (queue) {
        printf("== event queue (hold model) ==\n\n");
        fflush(stdout);
        status |= bench_queue(quick);
    }
    if (sched) {
        if (queue)
            printf("\n");
        printf("== CPU scheduler ==\n\n");
        fflush(stdout);
        status |= bench_sched(quick);
    }
    return status;
}
