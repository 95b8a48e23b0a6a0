/* What a scenario will need, estimated from the validated scenario alone,
 * before anything is built: so that a run the machine cannot hold is
 * refused at once rather than after minutes of allocation or by the OOM
 * killer.  The constants and how they were measured: docs/ROBUSTNESS.md,
 * "Resource limits". */
#ifndef DOM0SIM_MODELS_ESTIMATE_H
#define DOM0SIM_MODELS_ESTIMATE_H

#include <glib.h>
#include <stdint.h>

#include "sim/sim_json.h"

/* Measured peak resident memory (see docs/ROBUSTNESS.md). */
#define EST_BASE_BYTES (8u << 20)          /* the program, schema and one empty host */
#define EST_HOST_BYTES (40u << 10)         /* one host, besides its pCPUs */
#define EST_PCPU_BYTES 128u                /* one pCPU of a host */
#define EST_GUEST_BYTES (48u << 10)        /* one guest with its devices and workload */
#define EST_MIGRATION_BYTES (4u << 10)     /* one migration order */
#define EST_TRACE_MACHINE_BYTES (8u << 10) /* one replayed machine with its live tasks */

typedef struct {
    double memory_bytes; /* peak resident memory */
    char *memory_key;    /* the scenario key whose value costs most of it */
    double memory_part;  /* what that key's value costs */
    double events;       /* a lower bound on the events (0: no estimate) */
    char *events_key;    /* the key behind the largest share of them */
} WorldEstimate;

/* Estimates `doc` (validated: defaults filled in).  Never allocates in
 * proportion to the scenario's size. */
void world_estimate(SimJsonDoc *doc, WorldEstimate *e);
void world_estimate_clear(WorldEstimate *e);

/* Memory this process may still use: MemAvailable, lowered to RLIMIT_AS
 * and RLIMIT_DATA when they are set.  0 when unknown.  `what` names the
 * binding limit (static string). */
uint64_t world_memory_available(const char **what);

#endif
