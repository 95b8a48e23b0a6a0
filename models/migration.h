/* Pre-copy live migration, round by round, as Xen's toolstack does it.
 *
 * Round 0 sends every page while the guest runs; each later round sends the
 * pages dirtied during the previous one; when the stop rule fires, the guest
 * is paused and the last round sends what is still dirty (stop-and-copy).
 * Downtime is that last round plus a fixed resume time.  Each round is one
 * event, so rounds interleave with everything else in the simulation. */
#ifndef DOM0SIM_MIGRATION_H
#define DOM0SIM_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>

#include "models/dirty.h"
#include "sim/sim.h"

typedef enum {
    MIG_STOP_XEN_V2,     /* tools/libs/guest/xg_sr_save.c simple_precopy_policy */
    MIG_STOP_XEN_LEGACY, /* tools/libxc/xc_domain_save.c, Xen <= 4.5 */
} MigStopRule;

/* Xen migration v2: stop when fewer than SPP_TARGET_DIRTY_COUNT pages are
 * dirty or after SPP_MAX_ITERATIONS live iterations. */
#define MIG_V2_TARGET_DIRTY 50
#define MIG_V2_MAX_ITERATIONS 5
/* Legacy xc_domain_save: DEF_MAX_ITERS, DEF_MAX_FACTOR and the literal 50. */
#define MIG_LEGACY_MAX_ITERS 29
#define MIG_LEGACY_MAX_FACTOR 3
#define MIG_LEGACY_SMALL_ROUND 50

/* Parses "xen-v2" / "xen-legacy"; false if unknown. */
bool mig_stop_rule_parse(const char *s, MigStopRule *out);
const char *mig_stop_rule_name(MigStopRule r);

/* The stop rule: after live round `round` (0 is the full copy) that sent
 * `sent` pages, with `dirty` pages dirty now and `total_sent` pages sent in
 * all, should the next round be the stop-and-copy one? */
bool mig_should_stop(MigStopRule rule, int round, double sent, double dirty, double total_sent,
                     uint64_t n_pages);

/* Page counts are expected values (the dirtying models give expectations),
 * kept fractional so that rounds add up exactly to the fluid result; they are
 * rounded only when printed. */
typedef struct {
    int index;
    SimTime start;
    SimTime duration;
    double pages;   /* pages sent this round */
    double dirtied; /* pages dirtied while it ran (0 for the paused last round) */
    bool final;     /* the stop-and-copy round */
} MigRound;

typedef struct Migration Migration;
typedef void (*MigDoneFn)(Migration *m, void *data);

typedef struct {
    uint64_t n_pages;      /* guest memory in 4 KiB pages */
    DirtyModel dirty;      /* the guest's dirtying while it runs */
    double link_Bps;       /* migration stream rate, bytes/s */
    MigStopRule stop_rule; /* when pre-copy ends */
    SimTime resume;        /* fixed downtime after the last round */
    MigDoneFn done;        /* called at the end (guest resumed at the destination) */
    void *done_data;
} MigSpec;

/* Starts a migration now.  The spec is copied. */
Migration *migration_start(Sim *sim, const MigSpec *spec);
void migration_free(Migration *m);

bool migration_finished(const Migration *m);
SimTime migration_started_at(const Migration *m);
/* Total time from start to resume at the destination (valid when finished). */
SimTime migration_total(const Migration *m);
/* Guest paused time: last round plus resume (valid when finished). */
SimTime migration_downtime(const Migration *m);
double migration_pages_sent(const Migration *m);
/* Rounds run so far, including the stop-and-copy one. */
unsigned migration_n_rounds(const Migration *m);
const MigRound *migration_round(const Migration *m, unsigned i);

/* Expected transfer time of pre-copy with a constant dirty rate D < R,
 * memory V bytes, link R bytes/s, and n+1 rounds (0..n):
 * T = (V/R)(1 - λ^(n+1))/(1 - λ), λ = D/R.  In seconds. */
double migration_closed_form_s(double v_bytes, double r_Bps, double d_Bps, int n);

#endif
