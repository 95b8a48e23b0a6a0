/* `elastic`: a dom0 that resizes itself from what it measures.
 *
 * The decision rules, shared by the event-level policy (a tick on each
 * host) and the rate-level replay (PolicyOps.resize_rate), so both levels
 * resize alike:
 * - vCPUs: with the main container's load (busy / online capacity) over the
 *   measurement window above up_load, bring vCPUs online: at least one, and
 *   as many as put the measured busy cores back to the middle of the band
 *   without dropping the load under down_load; below down_load, park one.
 *   up_load >= 2 x down_load, so one step never crosses the band.
 * - memory: when dom0's free memory (allocated - used) falls under half the
 *   headroom, or exceeds the headroom by more than a balloon step, balloon
 *   to used + headroom rounded up to a balloon step.
 * - after a decision, the same resource is not resized again within the
 *   cool-down. */
#ifndef DOM0SIM_ELASTIC_H
#define DOM0SIM_ELASTIC_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "sim/sim_time.h"

typedef struct {
    int min_vcpus, max_vcpus;
    double up_load, down_load; /* fractions of the online vCPUs' capacity */
    int window_ticks;          /* event level: measurement window, in 1 s ticks */
    SimTime cooldown;          /* no resize of the same resource within it */
    double hotplug_cpu_ns;     /* dom0 CPU per vCPU plugged or parked, reference ns */
    SimTime hotplug_delay;     /* a plugged vCPU takes work this long after the decision */
    uint64_t memory, min_memory, max_memory; /* bytes: at boot, bounds */
    uint64_t headroom, balloon_step;         /* bytes */
    SimTime rate_period;                     /* rate level: measurement period */
} ElasticParams;

/* Reads a schema-validated, defaults-filled policy_params.elastic block. */
void elastic_params_read(const cJSON *params, ElasticParams *out);
/* The main vCPUs to have online, given `vcpus` online now and their
 * measured load (busy / capacity; at rate level the demand, which may
 * exceed 1). */
int elastic_vcpus_target(const ElasticParams *p, int vcpus, double load);
/* The memory to balloon dom0 to, given what it has and uses (bytes);
 * `allocated` itself when inside the hysteresis band. */
uint64_t elastic_memory_target(const ElasticParams *p, uint64_t allocated, uint64_t used);

#endif
