#include "sim/sim_invariant.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void sim_invariant_failed(const char *invariant, const char *fmt, ...)
{
    /* Plain stdio, not g_log: a broken invariant means the model's state is
     * no longer trustworthy, so nothing that could run user handlers or
     * allocate much should happen before the abort. */
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "dom0sim: invariant violated: %s: ", invariant);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fflush(stderr);
    abort();
}
