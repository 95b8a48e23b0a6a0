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

/* Xen's save loop sends pages in batches of MAX_BATCH_SIZE
 * (tools/libs/guest/xg_sr_save.c). */
#define MIG_BATCH_PAGES 1024
/* Batches between the save process and the destination at once: one being
 * prepared while the previous one is on the wire (the socket buffer). */
#define MIG_PIPELINE 2

/* How batches travel when the migration is more than an ideal link: the
 * world implements each stage with dom0 CPU work and the hosts' NICs.
 * Page counts are fractional expectations, like the rounds'. */
typedef struct {
    /* Source stage (map, copy into the stream; on a round's first batch
     * also the scan of the dirty bitmap over scan_pages pages).  Calls
     * migration_batch_prepared(m) when done. */
    void (*prepare)(Migration *m, double pages, double scan_pages, void *data);
    /* Wire and destination stages.  Calls migration_batch_delivered(m, pages)
     * when the batch is in the destination's memory; batches may be
     * delivered in any order. */
    void (*deliver)(Migration *m, double pages, void *data);
    /* How long the wire takes to carry a batch of `pages` when it is idle,
     * ns (NULL: 0).  Under a rate limit a batch is handed over that long
     * before the limit lets its last byte arrive. */
    SimTime (*wire_time)(Migration *m, double pages, void *data);
    /* The guest's speed since `since`, as a share of what it would get
     * alone (1: unslowed); its dirty rate is scaled by it. */
    double (*guest_speed)(Migration *m, SimTime since, void *data);
    void *data;
} MigTransport;

/* dom0 CPU of a migration, ns on a reference core with local memory. */
typedef struct {
    double send_page_ns;     /* source: map a page and copy it into the stream */
    double receive_page_ns;  /* destination: copy a page into the new domain */
    double scan_ns_per_page; /* source: read and clear the dirty bitmap, per guest page */
    double mem_fraction;     /* memory-bound share of the per-page costs */
} MigCosts;

/* Early Xen's adaptive rate limit (Clark et al., NSDI 2005, section 5.1):
 * round 0 at the floor, each later round at the previous round's dirty rate
 * plus an increment, never above the ceiling. */
#define MIG_RATE_FLOOR_Mbps 100
#define MIG_RATE_INCREMENT_Mbps 50
#define MIG_RATE_CEILING_Mbps 500
typedef struct {
    bool on;
    double floor_Bps;     /* 100 Mb/s */
    double increment_Bps; /* 50 Mb/s */
    double ceiling_Bps;   /* 500 Mb/s */
} MigRateLimit;

typedef struct {
    uint64_t n_pages;      /* guest memory in 4 KiB pages */
    DirtyModel dirty;      /* the guest's dirtying while it runs */
    double link_Bps;       /* migration stream rate, bytes/s */
    MigStopRule stop_rule; /* when pre-copy ends */
    SimTime resume;        /* fixed downtime after the last round */
    MigRateLimit rate_limit;
    const MigTransport *transport; /* NULL: an ideal link at link_Bps, one event per round */
    MigDoneFn done;                /* called at the end (guest resumed at the destination) */
    void *done_data;
} MigSpec;

/* Starts a migration now.  The spec is copied (the transport is borrowed). */
Migration *migration_start(Sim *sim, const MigSpec *spec);
void migration_free(Migration *m);

/* The transport's answers (see MigTransport). */
void migration_batch_prepared(Migration *m);
void migration_batch_delivered(Migration *m, double pages);
/* The rate the current round is limited to, bytes/s (link_Bps when no
 * rate limit applies). */
double migration_round_rate(const Migration *m);

bool migration_finished(const Migration *m);
SimTime migration_started_at(const Migration *m);
/* Total time from start to resume at the destination (valid when finished). */
SimTime migration_total(const Migration *m);
/* Guest paused time: last round plus resume (valid when finished). */
SimTime migration_downtime(const Migration *m);
double migration_pages_sent(const Migration *m);
/* Pages at the destination now: finished rounds plus what the current one
 * delivered so far (its elapsed share on an ideal link). */
double migration_pages_delivered(const Migration *m);
/* Rounds run so far, including the stop-and-copy one. */
unsigned migration_n_rounds(const Migration *m);
const MigRound *migration_round(const Migration *m, unsigned i);

/* Expected transfer time of pre-copy with a constant dirty rate D < R,
 * memory V bytes, link R bytes/s, and n+1 rounds (0..n):
 * T = (V/R)(1 - λ^(n+1))/(1 - λ), λ = D/R.  In seconds. */
double migration_closed_form_s(double v_bytes, double r_Bps, double d_Bps, int n);

#endif
