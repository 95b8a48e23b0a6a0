#include "models/placement.h"

#include <stdlib.h>
#include <string.h>

#include "sim/sim_error.h"

/* One item ever offered to the packer; ids index the array. */
typedef struct {
    int bin; /* -1: refused or removed */
    uint64_t demand[PLACEMENT_MAX_DIMS];
} Item;

struct Packer {
    int dims;
    int bins;
    PlacementAlgo algo;
    uint64_t *capacity;   /* bins * dims */
    uint64_t *used;       /* bins * dims, always <= capacity */
    double *max_capacity; /* dims: the largest capacity of any bin, for sizes */
    int *n_items;         /* bins: live items per bin */
    int in_use;           /* bins with n_items > 0 */
    int open;             /* next fit's open bin */
    int refused;          /* items refused so far */
    GArray *items;        /* of Item */
};

static const struct {
    const char *name;
    PlacementAlgo algo;
} algo_names[] = {
    {"first-fit", PLACEMENT_FIRST_FIT},
    {"best-fit", PLACEMENT_BEST_FIT},
    {"worst-fit", PLACEMENT_WORST_FIT},
    {"next-fit", PLACEMENT_NEXT_FIT},
    {"first-fit-decreasing", PLACEMENT_FIRST_FIT_DECREASING},
    {"best-fit-decreasing", PLACEMENT_BEST_FIT_DECREASING},
};

gboolean placement_algo_from_name(const char *name, PlacementAlgo *out, GError **err)
{
    for (gsize i = 0; name && i < G_N_ELEMENTS(algo_names); i++) {
        if (strcmp(name, algo_names[i].name) == 0) {
            *out = algo_names[i].algo;
            return TRUE;
        }
    }
    GString *known = g_string_new(NULL);
    for (gsize i = 0; i < G_N_ELEMENTS(algo_names); i++)
        g_string_append_printf(known, "%s%s", i ? ", " : "", algo_names[i].name);
    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                "unknown placement algorithm '%s' (known: %s)", name ? name : "(null)", known->str);
    g_string_free(known, TRUE);
    return FALSE;
}

const char *placement_algo_name(PlacementAlgo algo)
{
    for (gsize i = 0; i < G_N_ELEMENTS(algo_names); i++)
        if (algo_names[i].algo == algo)
            return algo_names[i].name;
    return "?";
}

static gboolean algo_valid(PlacementAlgo algo)
{
    return strcmp(placement_algo_name(algo), "?") != 0;
}

Packer *placement_new(int dims, int bins, const uint64_t *capacity, const uint64_t *used,
                      PlacementAlgo algo, GError **err)
{
    if (dims < 1 || dims > PLACEMENT_MAX_DIMS) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "dims = %d: must be 1..%d", dims,
                    PLACEMENT_MAX_DIMS);
        return NULL;
    }
    if (bins < 1) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "bins = %d: must be >= 1", bins);
        return NULL;
    }
    if (!algo_valid(algo)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "algorithm %d: unknown", (int)algo);
        return NULL;
    }
    g_return_val_if_fail(capacity != NULL, NULL);
    for (int i = 0; used && i < bins * dims; i++) {
        if (used[i] > capacity[i]) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "used[%d][%d] = %" G_GUINT64_FORMAT
                        ": above the bin's capacity %" G_GUINT64_FORMAT,
                        i / dims, i % dims, used[i], capacity[i]);
            return NULL;
        }
    }

    Packer *p = g_new0(Packer, 1);
    p->dims = dims;
    p->bins = bins;
    p->algo = algo;
    p->capacity = g_memdup2(capacity, sizeof(uint64_t) * (gsize)bins * (gsize)dims);
    p->used = used ? g_memdup2(used, sizeof(uint64_t) * (gsize)bins * (gsize)dims)
                   : g_new0(uint64_t, (gsize)bins * (gsize)dims);
    p->max_capacity = g_new0(double, dims);
    for (int b = 0; b < bins; b++)
        for (int d = 0; d < dims; d++)
            p->max_capacity[d] = MAX(p->max_capacity[d], (double)capacity[b * dims + d]);
    p->n_items = g_new0(int, bins);
    p->items = g_array_new(FALSE, FALSE, sizeof(Item));
    return p;
}

void placement_free(Packer *p)
{
    if (!p)
        return;
    g_free(p->capacity);
    g_free(p->used);
    g_free(p->max_capacity);
    g_free(p->n_items);
    g_array_free(p->items, TRUE);
    g_free(p);
}

int placement_dims(const Packer *p)
{
    return p->dims;
}

int placement_bins(const Packer *p)
{
    return p->bins;
}

PlacementAlgo placement_algo(const Packer *p)
{
    return p->algo;
}

/* The bins as placement_choose sees them. */
typedef struct {
    int dims;
    int bins;
    const uint64_t *capacity;
    const uint64_t *used;
} BinView;

/* Written as demand <= room so that no sum can wrap. */
static gboolean fits(const BinView *v, int bin, const uint64_t *demand)
{
    const uint64_t *cap = v->capacity + (gsize)bin * v->dims;
    const uint64_t *used = v->used + (gsize)bin * v->dims;
    for (int d = 0; d < v->dims; d++)
        if (used[d] > cap[d] || demand[d] > cap[d] - used[d])
            return FALSE;
    return TRUE;
}

/* The header's slack; only called when the item fits, so no term is
 * negative. */
static double slack(const BinView *v, int bin, const uint64_t *demand)
{
    const uint64_t *cap = v->capacity + (gsize)bin * v->dims;
    const uint64_t *used = v->used + (gsize)bin * v->dims;
    double s = 0.0;
    for (int d = 0; d < v->dims; d++)
        if (cap[d] > 0)
            s += (double)(cap[d] - used[d] - demand[d]) / (double)cap[d];
    return s;
}

static int first_fit(const BinView *v, int from, const uint64_t *demand)
{
    for (int b = from; b < v->bins; b++)
        if (fits(v, b, demand))
            return b;
    return -1;
}

/* Best fit (sign +1: least slack) or worst fit (sign -1: most slack); the
 * strict comparison keeps the lowest index on ties. */
static int slack_fit(const BinView *v, const uint64_t *demand, double sign)
{
    int best = -1;
    double best_key = 0.0;
    for (int b = 0; b < v->bins; b++) {
        if (!fits(v, b, demand))
            continue;
        double key = sign * slack(v, b, demand);
        if (best < 0 || key < best_key) {
            best = b;
            best_key = key;
        }
    }
    return best;
}

int placement_choose(PlacementAlgo algo, int dims, int bins, const uint64_t *capacity,
                     const uint64_t *used, const uint64_t *demand, int next_fit_open)
{
    g_return_val_if_fail(dims >= 1 && dims <= PLACEMENT_MAX_DIMS && bins >= 1, -1);
    BinView v = {.dims = dims, .bins = bins, .capacity = capacity, .used = used};
    switch (algo) {
    case PLACEMENT_FIRST_FIT:
    case PLACEMENT_FIRST_FIT_DECREASING:
        return first_fit(&v, 0, demand);
    case PLACEMENT_BEST_FIT:
    case PLACEMENT_BEST_FIT_DECREASING:
        return slack_fit(&v, demand, 1.0);
    case PLACEMENT_WORST_FIT:
        return slack_fit(&v, demand, -1.0);
    case PLACEMENT_NEXT_FIT:
        return first_fit(&v, next_fit_open < 0 ? 0 : next_fit_open, demand);
    }
    return -1;
}

/* The bin the algorithm picks for demand in the current state; changes
 * nothing. */
static int choose(const Packer *p, const uint64_t *demand)
{
    return placement_choose(p->algo, p->dims, p->bins, p->capacity, p->used, demand, p->open);
}

/* Places the already recorded item `id`: picks its bin and charges it. */
static int place_item(Packer *p, int id)
{
    Item *it = &g_array_index(p->items, Item, id);
    int b = choose(p, it->demand);
    it->bin = b;
    if (b < 0) {
        p->refused++;
        return -1;
    }
    uint64_t *used = p->used + (gsize)b * p->dims;
    for (int d = 0; d < p->dims; d++)
        used[d] += it->demand[d];
    if (p->n_items[b]++ == 0)
        p->in_use++;
    if (p->algo == PLACEMENT_NEXT_FIT)
        p->open = b;
    return b;
}

/* Records a new, not yet placed item and returns its id. */
static int add_item(Packer *p, const uint64_t *demand)
{
    Item it = {.bin = -1};
    memcpy(it.demand, demand, sizeof(uint64_t) * (gsize)p->dims);
    g_array_append_val(p->items, it);
    return (int)p->items->len - 1;
}

int placement_place(Packer *p, const uint64_t *demand, int *item)
{
    g_return_val_if_fail(p != NULL && demand != NULL, -1);
    int id = add_item(p, demand);
    if (item)
        *item = id;
    return place_item(p, id);
}

typedef struct {
    double size;
    int index;
} SizedItem;

/* Decreasing size, then increasing original index: a total order, so the
 * result does not depend on qsort's (in)stability. */
static int by_decreasing_size(const void *a, const void *b)
{
    const SizedItem *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* The header's size: the largest normalised demand. */
static double item_size(const Packer *p, const uint64_t *demand)
{
    double s = 0.0;
    for (int d = 0; d < p->dims; d++)
        if (p->max_capacity[d] > 0.0)
            s = MAX(s, (double)demand[d] / p->max_capacity[d]);
    return s;
}

int placement_place_batch(Packer *p, int n, const uint64_t *demands, int *bin_out, int *first_item)
{
    g_return_val_if_fail(p != NULL && n >= 0 && (n == 0 || demands != NULL), 0);
    int first = (int)p->items->len;
    if (first_item)
        *first_item = first;
    SizedItem *order = g_new(SizedItem, MAX(n, 1));
    for (int i = 0; i < n; i++) {
        const uint64_t *dem = demands + (gsize)i * p->dims;
        add_item(p, dem);
        order[i] = (SizedItem){.size = item_size(p, dem), .index = i};
    }
    if (p->algo == PLACEMENT_FIRST_FIT_DECREASING || p->algo == PLACEMENT_BEST_FIT_DECREASING)
        qsort(order, (size_t)n, sizeof *order, by_decreasing_size);

    int refused = 0;
    for (int k = 0; k < n; k++) {
        int i = order[k].index;
        int b = place_item(p, first + i);
        if (bin_out)
            bin_out[i] = b;
        refused += b < 0;
    }
    g_free(order);
    return refused;
}

gboolean placement_remove(Packer *p, int item)
{
    g_return_val_if_fail(p != NULL, FALSE);
    if (item < 0 || item >= (int)p->items->len)
        return FALSE;
    Item *it = &g_array_index(p->items, Item, item);
    if (it->bin < 0)
        return FALSE;
    uint64_t *used = p->used + (gsize)it->bin * p->dims;
    for (int d = 0; d < p->dims; d++)
        used[d] -= it->demand[d];
    if (--p->n_items[it->bin] == 0)
        p->in_use--;
    it->bin = -1;
    return TRUE;
}

int placement_item_bin(const Packer *p, int item)
{
    if (item < 0 || item >= (int)p->items->len)
        return -2;
    return g_array_index(p->items, Item, item).bin;
}

const uint64_t *placement_bin_used(const Packer *p, int bin)
{
    if (bin < 0 || bin >= p->bins)
        return NULL;
    return p->used + (gsize)bin * p->dims;
}

const uint64_t *placement_bin_capacity(const Packer *p, int bin)
{
    if (bin < 0 || bin >= p->bins)
        return NULL;
    return p->capacity + (gsize)bin * p->dims;
}

int placement_bin_items(const Packer *p, int bin)
{
    if (bin < 0 || bin >= p->bins)
        return 0;
    return p->n_items[bin];
}

int placement_bins_in_use(const Packer *p)
{
    return p->in_use;
}

int placement_refused(const Packer *p)
{
    return p->refused;
}
