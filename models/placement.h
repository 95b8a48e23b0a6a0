/* Multi-dimensional bin packing: which host (or socket) a guest goes to.
 *
 * An item (a guest) has a demand vector of D dimensions, 1 <= D <= 8; a bin
 * (a host, or one socket of a host) has a capacity vector and an
 * already-used vector (dom0, guests placed before the packer existed).  All
 * quantities are non-negative integers in units the caller picks per
 * dimension and keeps the same for items and bins, e.g. milli-pCPUs and MiB;
 * integers keep placing and removing exact, so a bin's used vector returns
 * to its starting value bit for bit.
 *
 * An item fits a bin when used_d + demand_d <= capacity_d in every
 * dimension d.
 *
 * Slack (best fit, worst fit) is the room a bin would have left after taking
 * the item, normalised per dimension and summed:
 *   slack = sum over d with capacity_d > 0 of
 *           (capacity_d - used_d - demand_d) / capacity_d,
 * computed in double precision; a dimension of capacity 0 adds nothing (only
 * items with demand 0 in it fit there).  For D = 1 it is the classic
 * residual capacity as a fraction of the bin.
 *
 * Size (the decreasing variants) is an item's largest normalised demand:
 *   size = max over d of demand_d / max_capacity_d,
 * where max_capacity_d is the largest capacity of any bin in dimension d
 * (for identical bins, the bin's capacity); dimensions no bin has add
 * nothing.
 *
 * Every choice is deterministic: ties go to the lowest bin index, equal sizes
 * keep the items' original order.  A packer holds all of its state; there is
 * no global state. */
#ifndef DOM0SIM_PLACEMENT_H
#define DOM0SIM_PLACEMENT_H

#include <glib.h>
#include <stdint.h>

#define PLACEMENT_MAX_DIMS 8

typedef enum {
    /* The lowest-index bin the item fits. */
    PLACEMENT_FIRST_FIT,
    /* The fitting bin with the least slack (the fullest). */
    PLACEMENT_BEST_FIT,
    /* The fitting bin with the most slack.  Every bin is a candidate, empty
     * ones included, so with empty bins this spreads the items (load
     * balancing); Johnson's worst fit only looks at bins already in use. */
    PLACEMENT_WORST_FIT,
    /* One open bin, initially bin 0.  An item that does not fit it goes to
     * the first later bin it fits; the open bin and every bin passed over are
     * closed for good (a later removal does not reopen them).  An item that
     * fits no later bin is refused and the open bin stays open. */
    PLACEMENT_NEXT_FIT,
    /* Offline: items sorted by decreasing size, then first fit / best fit.
     * Online (one item at a time) there is nothing to sort, so these place
     * exactly like PLACEMENT_FIRST_FIT / PLACEMENT_BEST_FIT. */
    PLACEMENT_FIRST_FIT_DECREASING,
    PLACEMENT_BEST_FIT_DECREASING,
} PlacementAlgo;

/* The algorithm named `name` ("first-fit", "best-fit", "worst-fit",
 * "next-fit", "first-fit-decreasing", "best-fit-decreasing"), into *out.
 * Unknown or NULL names: FALSE, *out untouched, and DOM0SIM_ERROR_INPUT
 * naming the bad name and listing the known ones. */
gboolean placement_algo_from_name(const char *name, PlacementAlgo *out, GError **err);
/* The name of `algo` as placement_algo_from_name accepts it ("?" if out of
 * range). */
const char *placement_algo_name(PlacementAlgo algo);

/* Stateless: the bin `algo` picks for demand[0..dims-1] among `bins` bins
 * whose capacity and used vectors are given row-major (as for
 * placement_new), or -1 when it fits none.  Next fit searches from bin
 * next_fit_open on (the caller keeps the open bin; 0 at first); the
 * decreasing variants place as their base.  For callers that keep their own
 * bin state, such as a trace replay placing millions of short-lived tasks;
 * a bin already used beyond its capacity fits nothing. */
int placement_choose(PlacementAlgo algo, int dims, int bins, const uint64_t *capacity,
                     const uint64_t *used, const uint64_t *demand, int next_fit_open);

typedef struct Packer Packer;

/* A packer over `bins` bins of `dims` dimensions.  capacity and used are
 * bins*dims arrays, row-major (bin b, dimension d at [b*dims + d]); used may
 * be NULL for empty bins.  Both are copied.  Errors (DOM0SIM_ERROR_INPUT,
 * naming the offending value): dims outside 1..PLACEMENT_MAX_DIMS, bins < 1,
 * an unknown algo, used above capacity in some bin and dimension. */
Packer *placement_new(int dims, int bins, const uint64_t *capacity, const uint64_t *used,
                      PlacementAlgo algo, GError **err);
void placement_free(Packer *p);

int placement_dims(const Packer *p);
int placement_bins(const Packer *p);
PlacementAlgo placement_algo(const Packer *p);

/* Online: places one item of demand[0..dims-1] now, under the packer's
 * algorithm (the decreasing variants as their base, see PlacementAlgo), and
 * adds its demand to the chosen bin.  Returns the bin, or -1 when it fits
 * nowhere the algorithm may use (nothing changes, the refusal is counted).
 * Every call, refused or not, creates an item; its id (0, 1, 2, ... in call
 * order, shared with placement_place_batch) goes to *item unless item is
 * NULL. */
int placement_place(Packer *p, const uint64_t *demand, int *item);

/* Offline: places n items (demands: n*dims, row-major) as one batch, sorted
 * by decreasing size first for the decreasing variants, into the bins as
 * they are now.  bin_out[i] (n entries, may be NULL) receives item i's bin or
 * -1.  Items get consecutive ids in their original order, the first being
 * *first_item unless first_item is NULL.  Returns the number refused. */
int placement_place_batch(Packer *p, int n, const uint64_t *demands, int *bin_out, int *first_item);

/* A guest leaves: item's demand returns to its bin, exactly.  FALSE (and
 * nothing changes) if the item was refused, already removed or never
 * existed. */
gboolean placement_remove(Packer *p, int item);

/* The bin of `item`: -1 if refused or removed, -2 if no such item. */
int placement_item_bin(const Packer *p, int item);
/* Bin `bin`'s used vector (dims entries: the initial used plus the demand of
 * every item now in it), valid until the next call that changes p; NULL if
 * bin is out of range. */
const uint64_t *placement_bin_used(const Packer *p, int bin);
/* Bin `bin`'s capacity vector (dims entries); NULL if out of range. */
const uint64_t *placement_bin_capacity(const Packer *p, int bin);
/* Items now in `bin` (placed and not removed); 0 if out of range. */
int placement_bin_items(const Packer *p, int bin);
/* Bins now holding at least one item placed through this packer. */
int placement_bins_in_use(const Packer *p);
/* Items refused since the packer was made (online and batch). */
int placement_refused(const Packer *p);

#endif
