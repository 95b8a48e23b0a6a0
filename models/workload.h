/* What a guest runs, as far as dom0 and the scheduler are concerned.
 *
 * idle:           nothing.
 * memory-dirtier: a CPU-bound loop writing memory: every vCPU always has work,
 *                 and pages are dirtied at the given rate scaled by the CPU
 *                 share the guest gets (read by migration).
 * cpu-bound:      every vCPU always has work (a lowest-class CPU hog).
 * io-synthetic:   Poisson back-end requests, each raised by a random vCPU of
 *                 the guest and served by dom0 kernel work (T3) placed by
 *                 the policy; response time = queueing + service in dom0.
 * iozone:         an IOzone test through the guest's virtual block device
 *                 (models/iozone.h).
 * web:            a web server behind the guest's virtual network interface
 *                 (models/web.h).
 * blk-random:     block I/O at a rate: Poisson records of record_kb at
 *                 random offsets, reads with probability read_fraction,
 *                 through the guest's virtual block device, open loop.
 * blk-garbage:    a hostile guest: Poisson malformed block requests (bad
 *                 grant refs, too many segments, bad operations, bogus ids).
 *
 * A workload outlives the domain it runs in: a migration detaches it from
 * the source host's domain and attaches it to the destination's. */
#ifndef DOM0SIM_WORKLOAD_H
#define DOM0SIM_WORKLOAD_H

#include <cjson/cJSON.h>

#include "models/dirty.h"
#include "models/host.h"
#include "models/iozone.h"
#include "models/multiobj.h"
#include "sim/sim.h"
#include "sim/sim_stats.h"

typedef struct Workload Workload;

/* From a validated "workload" object of the guest named vm. */
Workload *workload_new(Sim *sim, const char *vm, const cJSON *spec);
/* Response times completed before `warmup` are left out of the reported
 * mean and interval; warmup < 0 (the default) lets MSER-5 choose
 * (sim/sim_stats.h, output.warmup_s). */
void workload_set_warmup(Workload *w, SimTime warmup);
void workload_free(Workload *w);

/* The dirtying model it implies (zero rate when it does not dirty memory). */
DirtyModel workload_dirty(const Workload *w);

/* Starts generating work into guest g on host h (detaching from any other). */
void workload_attach(Workload *w, Host *h, Domain *g);
void workload_detach(Workload *w);

/* Its IOzone run, or NULL for another kind of workload. */
Iozone *workload_iozone(Workload *w);

/* What the guest asked for and got so far (models/multiobj.h), disk_io_s
 * being the device service time of its block requests (<vm>.blk.disk_io_s,
 * seconds, over every host it ran on); false for a
 * workload that issues no requests (idle, memory-dirtier, cpu-bound,
 * blk-garbage, whose requests are meant to fail). */
bool workload_sample(const Workload *w, double disk_io_s, MultiobjSample *s);
/* Its specification as compact JSON: equal strings, identical workloads. */
const char *workload_spec_key(const Workload *w);

/* Writes its metrics (<vm>.io.*). */
void workload_finish(Workload *w);

#endif
