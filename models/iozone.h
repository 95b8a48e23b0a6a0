/* An IOzone-shaped guest workload: one of IOzone's tests on one file, run
 * over and over through the guest's virtual block device (models/blkif.h).
 *
 * The guest reads or writes `file_kb` in records of `record_kb`, sequentially
 * (write, rewrite, read, reread) or at random offsets (random read, random
 * write), keeping `outstanding` records in flight (1: IOzone's synchronous
 * single-process run; more: its throughput mode, -t threads).  At the end of
 * the file it starts again, so the measured rate is the steady state.  Every
 * record is direct I/O (IOzone -I): the guest's page cache is not modelled,
 * so write and rewrite (and read and reread) differ only in their name,
 * where on a real file system the first pass also allocates blocks and the
 * second may hit the cache.
 *
 * Throughput is IOzone's: bytes of completed records over the time the guest
 * ran the test, reported as `<vm>.io.throughput_Bps` and, in IOzone's own
 * unit, `<vm>.iozone.kBps` (KiB/s). */
#ifndef DOM0SIM_IOZONE_H
#define DOM0SIM_IOZONE_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "models/host.h"
#include "models/multiobj.h"
#include "sim/sim.h"

typedef enum {
    IOZ_WRITE,
    IOZ_REWRITE,
    IOZ_READ,
    IOZ_REREAD,
    IOZ_RANDOM_READ,
    IOZ_RANDOM_WRITE,
    IOZ_N_TESTS
} IozoneTest;

typedef struct Iozone Iozone;

/* From a validated "iozone" workload object of the guest named vm. */
Iozone *iozone_new(Sim *sim, const char *vm, const cJSON *spec);
void iozone_free(Iozone *z);

/* Starts (or resumes, after a migration) the test in guest g on host h. */
void iozone_attach(Iozone *z, Host *h, Domain *g);
/* Stops issuing records; those in flight are forgotten. */
void iozone_detach(Iozone *z);
/* Records issued (completed or failed; those in flight are not counted) and
 * completed, their mean latency, and as service the device time disk_io_s
 * (seconds) per completed record (models/multiobj.h). */
void iozone_sample(const Iozone *z, double disk_io_s, MultiobjSample *s);
/* Writes `<vm>.io.*` and `<vm>.iozone.*` metrics. */
/* Observations before warmup (>= 0) are deleted; warmup < 0: MSER-5 (sim_stats.h). */
void iozone_set_warmup(Iozone *z, SimTime warmup);
void iozone_finish(Iozone *z);

/* Writes the IOzone `-R` report of these runs (Iozone *, any order): one
 * block per test that any of them ran, file sizes (kB) down, record sizes
 * (kB) across, the mean throughput in kB/s of the guests that ran that
 * combination; empty cells where none did. */
void iozone_write_report(GPtrArray *runs, FILE *fp);

#endif
