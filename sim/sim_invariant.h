/* Model invariants as runtime checks.
 *
 * The models keep redundant books (pCPU, vCPU and domain CPU time; NUMA
 * nodes and domains' memory; a ring's indices; grant pins and mappings).
 * In builds with DOM0SIM_CHECKS defined (every Debug build, or any build
 * configured with -DDOM0SIM_CHECKS=ON) the models compare those books at
 * their natural checkpoints and stop the program at the first disagreement:
 * sim_invariant_failed prints which invariant, where and the numbers, then
 * calls abort(), so a test can expect SIGABRT.  In other builds the checks
 * compile to nothing.  docs/ROBUSTNESS.md lists every invariant. */
#ifndef DOM0SIM_SIM_INVARIANT_H
#define DOM0SIM_SIM_INVARIANT_H

#include <glib.h>

#ifdef DOM0SIM_CHECKS
#define SIM_CHECKS_ON 1
#else
#define SIM_CHECKS_ON 0
#endif

/* Prints "dom0sim: invariant violated: <invariant>: <details>" on stderr
 * and aborts.  Never returns. */
G_GNUC_NORETURN void sim_invariant_failed(const char *invariant, const char *fmt, ...)
    G_GNUC_PRINTF(2, 3);

/* Aborts through sim_invariant_failed when checks are compiled in and
 * `cond` is false.  Without checks, `cond` is not evaluated. */
#define SIM_INVARIANT(cond, invariant, ...)                                                        \
    do {                                                                                           \
        if (SIM_CHECKS_ON && !(cond))                                                              \
            sim_invariant_failed((invariant), __VA_ARGS__);                                        \
    } while (0)

#endif
