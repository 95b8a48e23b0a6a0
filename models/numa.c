#include "models/numa.h"

#include <math.h>

#include "sim/sim_error.h"
#include "sim/sim_invariant.h"

struct NumaHost {
    int nodes;
    int cores_per_node;
    uint64_t node_bytes;
    double remote_latency;   /* latency factor at NUMA_SLIT_REMOTE */
    double remote_bandwidth; /* bandwidth factor at NUMA_SLIT_REMOTE */
    int *distance;           /* nodes * nodes, row-major */
    uint64_t *used;          /* bytes in use per node */
};

/* Memory conserved on every node: used never exceeds the node's size (free
 * is derived as size - used, so used + free == size holds exactly when used
 * fits).  O(nodes); checked before and after every allocation and release. */
static void numa_check(const NumaHost *h, const char *op)
{
#ifdef DOM0SIM_CHECKS
    for (int i = 0; i < h->nodes; i++)
        SIM_INVARIANT(h->used[i] <= h->node_bytes, "NUMA memory conserved",
                      "%s: node %d has %" G_GUINT64_FORMAT
                      " bytes in use but only %" G_GUINT64_FORMAT " bytes",
                      op, i, h->used[i], h->node_bytes);
#else
    (void)h;
    (void)op;
#endif
}

static gboolean node_ok(const NumaHost *h, int node)
{
    return node >= 0 && node < h->nodes;
}

/* Checks the SLIT matrix; sets err naming the first offending entry. */
static gboolean check_distance(const int *d, int n, GError **err)
{
    for (int a = 0; a < n; a++) {
        for (int b = 0; b < n; b++) {
            int v = d[a * n + b];
            if (a == b && v != NUMA_SLIT_LOCAL) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "distance[%d][%d] = %d: local distances must be %d", a, b, v,
                            NUMA_SLIT_LOCAL);
                return FALSE;
            }
            if (a != b && v <= NUMA_SLIT_LOCAL) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "distance[%d][%d] = %d: remote distances must be > %d", a, b, v,
                            NUMA_SLIT_LOCAL);
                return FALSE;
            }
            if (a != b && v > NUMA_SLIT_MAX) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "distance[%d][%d] = %d: remote distances must be <= %d "
                            "(255 means unreachable)",
                            a, b, v, NUMA_SLIT_MAX);
                return FALSE;
            }
        }
    }
    /* Symmetry is checked after the range so that a single bad entry is
     * reported as out of range rather than as an asymmetry. */
    for (int a = 0; a < n; a++) {
        for (int b = a + 1; b < n; b++) {
            if (d[a * n + b] != d[b * n + a]) {
                g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                            "distance[%d][%d] = %d but distance[%d][%d] = %d: the matrix must be "
                            "symmetric",
                            a, b, d[a * n + b], b, a, d[b * n + a]);
                return FALSE;
            }
        }
    }
    return TRUE;
}

static gboolean check_config(const NumaConfig *cfg, double lat, double bw, GError **err)
{
    if (cfg->sockets < 1 || cfg->sockets > NUMA_MAX_NODES) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "sockets = %d: must be 1..%d",
                    cfg->sockets, NUMA_MAX_NODES);
        return FALSE;
    }
    if (cfg->cores_per_socket < 1 || cfg->cores_per_socket > CPUMASK_MAX / cfg->sockets) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "cores_per_socket = %d: must be 1..%d with %d sockets (at most %d pCPUs)",
                    cfg->cores_per_socket, CPUMASK_MAX / cfg->sockets, cfg->sockets, CPUMASK_MAX);
        return FALSE;
    }
    if (cfg->memory_per_node % NUMA_PAGE_BYTES != 0) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "memory_per_node = %" G_GUINT64_FORMAT
                    " bytes: must be a multiple of the %u-byte page",
                    cfg->memory_per_node, NUMA_PAGE_BYTES);
        return FALSE;
    }
    /* The total is reported as one uint64_t, so it must not wrap. */
    if (cfg->memory_per_node > UINT64_MAX / (uint64_t)cfg->sockets) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "memory_per_node = %" G_GUINT64_FORMAT " bytes: total memory overflows",
                    cfg->memory_per_node);
        return FALSE;
    }
    /* Written as negations so that NaN is rejected too. */
    if (!(lat >= 1.0) || isinf(lat)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "remote_latency_factor = %g: must be >= 1 and finite (remote memory is never "
                    "faster than local)",
                    lat);
        return FALSE;
    }
    if (!(bw > 0.0 && bw <= 1.0)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "remote_bandwidth_factor = %g: must be > 0 and <= 1", bw);
        return FALSE;
    }
    if (cfg->distance && !check_distance(cfg->distance, cfg->sockets, err))
        return FALSE;
    return TRUE;
}

NumaHost *numa_new(const NumaConfig *cfg, GError **err)
{
    g_return_val_if_fail(cfg != NULL, NULL);
    double lat = cfg->remote_latency_factor == 0.0 ? NUMA_DEFAULT_REMOTE_LATENCY
                                                   : cfg->remote_latency_factor;
    double bw = cfg->remote_bandwidth_factor == 0.0 ? NUMA_DEFAULT_REMOTE_BANDWIDTH
                                                    : cfg->remote_bandwidth_factor;
    if (!check_config(cfg, lat, bw, err))
        return NULL;

    NumaHost *h = g_new0(NumaHost, 1);
    int n = cfg->sockets;
    h->nodes = n;
    h->cores_per_node = cfg->cores_per_socket;
    h->node_bytes = cfg->memory_per_node;
    h->remote_latency = lat;
    h->remote_bandwidth = bw;
    h->distance = g_new(int, (gsize)n *n);
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            h->distance[a * n + b] = cfg->distance ? cfg->distance[a * n + b]
                                     : a == b      ? NUMA_SLIT_LOCAL
                                                   : NUMA_SLIT_REMOTE;
    h->used = g_new0(uint64_t, n);
    return h;
}

void numa_free(NumaHost *h)
{
    if (!h)
        return;
    g_free(h->distance);
    g_free(h->used);
    g_free(h);
}

int numa_nodes(const NumaHost *h)
{
    return h->nodes;
}

int numa_pcpus(const NumaHost *h)
{
    return h->nodes * h->cores_per_node;
}

int numa_pcpu_node(const NumaHost *h, int pcpu)
{
    g_return_val_if_fail(pcpu >= 0 && pcpu < numa_pcpus(h), -1);
    return pcpu / h->cores_per_node;
}

void numa_node_cpumask(const NumaHost *h, int node, CpuMask *out)
{
    cpumask_clear(out);
    g_return_if_fail(node_ok(h, node));
    cpumask_set_range(out, node * h->cores_per_node, h->cores_per_node);
}

int numa_distance(const NumaHost *h, int a, int b)
{
    g_return_val_if_fail(node_ok(h, a) && node_ok(h, b), NUMA_SLIT_LOCAL);
    return h->distance[a * h->nodes + b];
}

/* Where distance d lies on the line through local (0) and the two-socket
 * remote point (1). */
static double slit_position(const NumaHost *h, int cpu, int mem)
{
    return (double)(numa_distance(h, cpu, mem) - NUMA_SLIT_LOCAL) /
           (NUMA_SLIT_REMOTE - NUMA_SLIT_LOCAL);
}

double numa_latency_factor(const NumaHost *h, int cpu, int mem)
{
    return 1.0 + (h->remote_latency - 1.0) * slit_position(h, cpu, mem);
}

double numa_bandwidth_factor(const NumaHost *h, int cpu, int mem)
{
    double f = 1.0 + (h->remote_bandwidth - 1.0) * slit_position(h, cpu, mem);
    return fmax(f, NUMA_MIN_BANDWIDTH_FACTOR);
}

double numa_work_factor(const NumaHost *h, int cpu, const uint64_t *per_node, double mem_fraction)
{
    double f = fmin(fmax(mem_fraction, 0.0), 1.0);
    if (!per_node || f == 0.0)
        return 1.0;
    double total = 0.0, weighted = 0.0;
    for (int n = 0; n < h->nodes; n++) {
        total += (double)per_node[n];
        weighted += (double)per_node[n] * numa_latency_factor(h, cpu, n);
    }
    if (total == 0.0)
        return 1.0;
    return (1.0 - f) + f * (weighted / total);
}

/* Whole free pages on a node: partial releases can leave a sub-page tail
 * free, which no allocation can use. */
static uint64_t free_pages(const NumaHost *h, int node)
{
    return (h->node_bytes - h->used[node]) / NUMA_PAGE_BYTES;
}

/* Pages each node would receive from `pages` dealt round-robin from node 0,
 * skipping full nodes.  After k full rounds node n holds min(cap_n, k); the
 * largest k whose total fits is found by bisection, and the pages left over
 * go one each to the lowest-index nodes that still have room. */
static void interleave_pages(const uint64_t *cap, int n, uint64_t pages, uint64_t *got)
{
    uint64_t lo = 0, hi = 0;
    for (int i = 0; i < n; i++)
        hi = MAX(hi, cap[i]);
    /* Invariant: filled(lo) <= pages; find the largest such lo in [0, hi]. */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo + 1) / 2;
        uint64_t filled = 0;
        for (int i = 0; i < n; i++)
            filled += MIN(cap[i], mid);
        if (filled <= pages)
            lo = mid;
        else
            hi = mid - 1;
    }
    uint64_t left = pages;
    for (int i = 0; i < n; i++) {
        got[i] = MIN(cap[i], lo);
        left -= got[i];
    }
    for (int i = 0; i < n && left > 0; i++) {
        if (cap[i] > lo) {
            got[i]++;
            left--;
        }
    }
    g_assert(left == 0);
}

/* Nodes in order of increasing distance from `from` (ties: lower index). */
static void nodes_by_distance(const NumaHost *h, int from, int *order)
{
    for (int i = 0; i < h->nodes; i++)
        order[i] = i;
    /* Insertion sort: at most 64 nodes, and it is stable, which gives the
     * lower-index tie break for free. */
    for (int i = 1; i < h->nodes; i++) {
        int v = order[i];
        int dv = numa_distance(h, from, v);
        int j = i - 1;
        while (j >= 0 && numa_distance(h, from, order[j]) > dv) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = v;
    }
}

gboolean numa_alloc(NumaHost *h, uint64_t bytes, NumaMemPolicy pol, int node, uint64_t *out)
{
    g_return_val_if_fail(out != NULL, FALSE);
    g_return_val_if_fail(pol == NUMA_MEM_INTERLEAVE || node_ok(h, node), FALSE);
    numa_check(h, "before numa_alloc");
    int n = h->nodes;
    uint64_t pages = bytes / NUMA_PAGE_BYTES + (bytes % NUMA_PAGE_BYTES != 0);
    uint64_t cap[NUMA_MAX_NODES], got[NUMA_MAX_NODES] = {0};
    uint64_t total_free = 0;
    for (int i = 0; i < n; i++) {
        cap[i] = free_pages(h, i);
        total_free += cap[i];
    }

    switch (pol) {
    case NUMA_MEM_STRICT:
        if (cap[node] < pages)
            return FALSE;
        got[node] = pages;
        break;
    case NUMA_MEM_PREFERRED: {
        if (total_free < pages)
            return FALSE;
        int order[NUMA_MAX_NODES];
        nodes_by_distance(h, node, order);
        uint64_t left = pages;
        for (int i = 0; i < n && left > 0; i++) {
            uint64_t take = MIN(cap[order[i]], left);
            got[order[i]] = take;
            left -= take;
        }
        break;
    }
    case NUMA_MEM_INTERLEAVE:
        if (total_free < pages)
            return FALSE;
        interleave_pages(cap, n, pages, got);
        break;
    default:
        g_return_val_if_reached(FALSE);
    }

    for (int i = 0; i < n; i++) {
        out[i] = got[i] * NUMA_PAGE_BYTES;
        h->used[i] += out[i];
    }
    numa_check(h, "numa_alloc");
    return TRUE;
}

void numa_release(NumaHost *h, const uint64_t *per_node)
{
    g_return_if_fail(per_node != NULL);
    for (int i = 0; i < h->nodes; i++) {
        if (per_node[i] > h->used[i]) {
            g_critical("numa_release: node %d frees %" G_GUINT64_FORMAT
                       " bytes but only %" G_GUINT64_FORMAT " are in use",
                       i, per_node[i], h->used[i]);
            h->used[i] = 0;
        } else {
            h->used[i] -= per_node[i];
        }
    }
    numa_check(h, "numa_release");
}

#ifdef DOM0SIM_CHECKS
void numa_debug_set_used(NumaHost *h, int node, uint64_t bytes)
{
    g_return_if_fail(node_ok(h, node));
    h->used[node] = bytes;
}
#endif

uint64_t numa_free_bytes(const NumaHost *h, int node)
{
    g_return_val_if_fail(node_ok(h, node), 0);
    return h->node_bytes - h->used[node];
}

uint64_t numa_used_bytes(const NumaHost *h, int node)
{
    g_return_val_if_fail(node_ok(h, node), 0);
    return h->used[node];
}

uint64_t numa_total_bytes(const NumaHost *h)
{
    return h->node_bytes * (uint64_t)h->nodes;
}

uint64_t numa_node_bytes(const NumaHost *h)
{
    return h->node_bytes;
}

int numa_main_node(const NumaHost *h, const uint64_t *per_node)
{
    if (!per_node)
        return 0;
    int best = 0;
    for (int i = 1; i < h->nodes; i++)
        if (per_node[i] > per_node[best])
            best = i;
    return best;
}

int numa_pick_node(const NumaHost *h, uint64_t bytes)
{
    uint64_t pages = bytes / NUMA_PAGE_BYTES + (bytes % NUMA_PAGE_BYTES != 0);
    int best = -1;
    for (int i = 0; i < h->nodes; i++) {
        if (free_pages(h, i) >= pages &&
            (best < 0 || numa_free_bytes(h, i) > numa_free_bytes(h, best)))
            best = i;
    }
    return best;
}
