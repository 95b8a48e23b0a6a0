/* The NUMA host: which pCPU sits on which node, how far nodes are from each
 * other, what remote memory costs, and how much memory each node has left.
 *
 * Distances follow the ACPI System Locality Information Table (SLIT), as
 * Linux prints them in `numactl --hardware`: 10 on the diagonal, larger
 * numbers for farther nodes, 255 meaning unreachable.  Two-socket Intel
 * servers report 10 local and 21 remote, which is the default here.
 *
 * Remote memory is modelled by two multipliers, both linear in the SLIT
 * distance and anchored at the measured two-socket point (distance 21):
 *   latency factor   1 + (L - 1)(d - 10)/11, the slowdown of memory stalls;
 *   bandwidth factor 1 + (B - 1)(d - 10)/11, floored at 0.05.
 * SLIT values are only relative, so linearity beyond 21 is an assumption; it
 * keeps a 3-hop node proportionally slower than a 1-hop one.
 *
 * Defaults (docs/CALIBRATION.md, "NUMA"):
 *   L = 1.6: Intel Memory Latency Checker on a 2-socket Cascade Lake Xeon
 *     measures 80.8 ns local and 140.4 ns remote idle latency (1.74x); Molka
 *     et al., PACT 2009, report about 1.6x on 2-socket Nehalem-EP.
 *   B = 0.5: one core's bandwidth is bounded by its outstanding misses over
 *     latency (Little's law), giving 1/1.6 = 0.63 remote; a whole socket
 *     streaming across the interconnect gets 0.30 (the same MLC run,
 *     34.3 vs 113.1 GB/s).  0.5 lies between the two regimes.
 *
 * Memory is accounted in bytes per node and allocated in 4 KiB pages. */
#ifndef DOM0SIM_NUMA_H
#define DOM0SIM_NUMA_H

#include <glib.h>
#include <stdint.h>

#include "models/cpumask.h"

#define NUMA_SLIT_LOCAL 10  /* SLIT distance of a node to itself (ACPI) */
#define NUMA_SLIT_REMOTE 21 /* SLIT distance between the sockets of 2-socket Intel servers */
#define NUMA_SLIT_MAX 254   /* largest reachable distance; 255 means unreachable (ACPI) */
#define NUMA_MAX_NODES 64
#define NUMA_PAGE_BYTES 4096u /* allocation granule: the x86 base page */

/* Memory-stall time multiplier at distance 21 (remote/local latency). */
#define NUMA_DEFAULT_REMOTE_LATENCY 1.6
/* Bandwidth multiplier at distance 21 (remote/local bandwidth). */
#define NUMA_DEFAULT_REMOTE_BANDWIDTH 0.5
/* Lowest bandwidth multiplier at any distance: keeps far nodes usable. */
#define NUMA_MIN_BANDWIDTH_FACTOR 0.05

typedef struct NumaHost NumaHost;

typedef struct {
    int sockets;                    /* NUMA nodes, 1..64 */
    int cores_per_socket;           /* pCPUs per node; pCPU p lives on node p / cores_per_socket;
                                       sockets * cores_per_socket <= CPUMASK_MAX */
    uint64_t memory_per_node;       /* bytes, a multiple of 4096 (0: memory-less nodes) */
    const int *distance;            /* sockets*sockets ACPI SLIT matrix (row-major, 10 = local), or
                                       NULL for the default: 10 local, 21 remote; copied by numa_new */
    double remote_latency_factor;   /* memory-stall time multiplier at SLIT distance 21;
                                       0 selects NUMA_DEFAULT_REMOTE_LATENCY */
    double remote_bandwidth_factor; /* bandwidth multiplier at SLIT distance 21;
                                       0 selects NUMA_DEFAULT_REMOTE_BANDWIDTH */
} NumaConfig;

/* Validates (sockets, cores, memory, distance: diagonal 10, off-diagonal > 10
 * and <= 254, symmetric; factors latency >= 1, 0 < bw <= 1) and builds; on
 * error DOM0SIM_ERROR_INPUT with a message naming the offending entry, e.g.
 * "distance[0][1] = 5: remote distances must be > 10" (the caller prefixes
 * the file/key path). */
NumaHost *numa_new(const NumaConfig *cfg, GError **err);
void numa_free(NumaHost *h);

int numa_nodes(const NumaHost *h);
int numa_pcpus(const NumaHost *h);
/* The node of pCPU `pcpu` (-1 and a g_critical if out of range). */
int numa_pcpu_node(const NumaHost *h, int pcpu);
/* All pCPUs of `node` (empty mask if out of range). */
void numa_node_cpumask(const NumaHost *h, int node, CpuMask *out);
/* SLIT distance from node a to node b. */
int numa_distance(const NumaHost *h, int a, int b);

/* Latency (memory-stall) multiplier for a CPU on node `cpu` touching memory
 * on node `mem`: 1 when local, remote_latency_factor at distance 21, linear
 * in SLIT distance in between and beyond. */
double numa_latency_factor(const NumaHost *h, int cpu, int mem);
/* Bandwidth multiplier (<= 1): 1 local, remote_bandwidth_factor at 21,
 * linear in distance, floored at NUMA_MIN_BANDWIDTH_FACTOR. */
double numa_bandwidth_factor(const NumaHost *h, int cpu, int mem);
/* Time multiplier for work running on node `cpu` whose memory-bound fraction
 * `mem_fraction` (0..1, clamped) touches memory spread over nodes as
 * per_node[] bytes (NULL or all zero = local):
 * (1 - f) + f * sum_n share_n * latency_factor(cpu, n). */
double numa_work_factor(const NumaHost *h, int cpu, const uint64_t *per_node, double mem_fraction);

typedef enum { NUMA_MEM_STRICT, NUMA_MEM_PREFERRED, NUMA_MEM_INTERLEAVE } NumaMemPolicy;

/* Allocates `bytes` (rounded up to 4 KiB pages) under the policy; `node` is
 * the target for STRICT/PREFERRED (ignored for INTERLEAVE).
 * STRICT: all on node or fail.
 * PREFERRED: fill node, then spill to other nodes in order of increasing
 *   distance from it (ties: lower index).
 * INTERLEAVE: pages dealt one at a time round-robin over the nodes starting
 *   at node 0, skipping nodes that are full; with room everywhere this is an
 *   equal split with the remainder on the lower nodes.  Fails only if total
 *   free < bytes.
 * A node offers only whole free pages.  On success fills out[0..nodes-1]
 * with bytes per node and returns TRUE; on failure allocates nothing, leaves
 * out untouched and returns FALSE. */
gboolean numa_alloc(NumaHost *h, uint64_t bytes, NumaMemPolicy pol, int node, uint64_t *out);
/* Returns memory (bytes per node, as from numa_alloc or partial amounts).
 * Freeing more than allocated on a node is a programming error: g_critical
 * and clamp. */
void numa_release(NumaHost *h, const uint64_t *per_node);

/* Bytes free / in use on `node`; used + free == memory_per_node always. */
uint64_t numa_free_bytes(const NumaHost *h, int node);
uint64_t numa_used_bytes(const NumaHost *h, int node);
#ifdef DOM0SIM_CHECKS
/* Tests only (builds with invariant checks): sets the bytes in use on
 * `node` without any check, to break memory conservation on purpose. */
void numa_debug_set_used(NumaHost *h, int node, uint64_t bytes);
#endif
/* Bytes of memory on all nodes together. */
uint64_t numa_total_bytes(const NumaHost *h);
/* Bytes per node of the host (memory_per_node). */
uint64_t numa_node_bytes(const NumaHost *h);

/* The node holding most of per_node (ties: lowest index; NULL: node 0). */
int numa_main_node(const NumaHost *h, const uint64_t *per_node);
/* Automatic placement as Xen's libxl does it by default (simplified): the
 * node with the most free memory that can hold `bytes` (rounded up to pages)
 * entirely (ties: lower index); -1 if none can. */
int numa_pick_node(const NumaHost *h, uint64_t bytes);

#endif
