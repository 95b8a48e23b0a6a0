/* The NUMA host model: topology, SLIT validation, remote-memory factors and
 * the per-node memory accounting under each allocation policy. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

#include "models/numa.h"
#include "sim/sim_error.h"

#define PG ((uint64_t)NUMA_PAGE_BYTES)
#define MIB ((uint64_t)1 << 20)

static NumaHost *make(int sockets, int cores, uint64_t mem, const int *dist, double lat, double bw)
{
    NumaConfig cfg = {
        .sockets = sockets,
        .cores_per_socket = cores,
        .memory_per_node = mem,
        .distance = dist,
        .remote_latency_factor = lat,
        .remote_bandwidth_factor = bw,
    };
    GError *err = NULL;
    NumaHost *h = numa_new(&cfg, &err);
    ck_assert_msg(h != NULL, "numa_new failed: %s", err ? err->message : "(no error)");
    ck_assert_ptr_null(err);
    return h;
}

/* Counts g_critical messages so that programming-error paths can be tested
 * without aborting. */
static int n_criticals;

static void count_critical(const gchar *domain, GLogLevelFlags level, const gchar *msg,
                           gpointer data)
{
    (void)domain;
    (void)level;
    (void)msg;
    (void)data;
    n_criticals++;
}

static void catch_criticals(void)
{
    n_criticals = 0;
    g_log_set_handler(NULL, G_LOG_LEVEL_CRITICAL | G_LOG_FLAG_FATAL | G_LOG_FLAG_RECURSION,
                      count_critical, NULL);
}

/* Asserts used + free == node size and used <= node size on every node. */
static void check_accounting(const NumaHost *h, const char *when)
{
    uint64_t size = numa_node_bytes(h), sum = 0;
    for (int n = 0; n < numa_nodes(h); n++) {
        uint64_t u = numa_used_bytes(h, n), f = numa_free_bytes(h, n);
        ck_assert_msg(u <= size, "%s: node %d used %" G_GUINT64_FORMAT " > size %" G_GUINT64_FORMAT,
                      when, n, u, size);
        ck_assert_msg(u + f == size,
                      "%s: node %d used %" G_GUINT64_FORMAT " + free %" G_GUINT64_FORMAT
                      " != size %" G_GUINT64_FORMAT,
                      when, n, u, f, size);
        sum += size;
    }
    ck_assert_uint_eq(sum, numa_total_bytes(h));
}

START_TEST(topology_two_sockets)
{
    NumaHost *h = make(2, 8, 1024 * MIB, NULL, 0, 0);
    ck_assert_int_eq(numa_nodes(h), 2);
    ck_assert_int_eq(numa_pcpus(h), 16);
    ck_assert_uint_eq(numa_total_bytes(h), 2048 * MIB);
    ck_assert_uint_eq(numa_node_bytes(h), 1024 * MIB);
    for (int p = 0; p < 16; p++)
        ck_assert_int_eq(numa_pcpu_node(h, p), p < 8 ? 0 : 1);
    CpuMask m;
    numa_node_cpumask(h, 1, &m);
    ck_assert_int_eq(cpumask_count(&m), 8);
    ck_assert_int_eq(cpumask_next(&m, 0), 8);
    ck_assert(!cpumask_test(&m, 7));
    ck_assert(cpumask_test(&m, 15));
    ck_assert(!cpumask_test(&m, 16));
    numa_free(h);
}
END_TEST

START_TEST(topology_masks_partition_pcpus)
{
    NumaHost *h = make(5, 3, 64 * MIB, NULL, 0, 0);
    CpuMask all;
    cpumask_clear(&all);
    for (int n = 0; n < 5; n++) {
        CpuMask m, expect, overlap;
        numa_node_cpumask(h, n, &m);
        cpumask_clear(&expect);
        cpumask_set_range(&expect, 3 * n, 3);
        ck_assert_msg(cpumask_equal(&m, &expect), "node %d mask differs", n);
        cpumask_and(&overlap, &m, &all);
        ck_assert_msg(cpumask_empty(&overlap), "node %d overlaps an earlier node", n);
        for (int c = cpumask_next(&m, 0); c >= 0; c = cpumask_next(&m, c + 1)) {
            ck_assert_int_eq(numa_pcpu_node(h, c), n);
            cpumask_set(&all, c);
        }
    }
    ck_assert_int_eq(cpumask_count(&all), numa_pcpus(h));
    numa_free(h);
}
END_TEST

START_TEST(topology_out_of_range_is_critical)
{
    NumaHost *h = make(2, 2, 64 * MIB, NULL, 0, 0);
    catch_criticals();
    ck_assert_int_eq(numa_pcpu_node(h, 4), -1);
    ck_assert_int_eq(numa_pcpu_node(h, -1), -1);
    CpuMask m;
    cpumask_clear(&m);
    cpumask_set(&m, 3);
    numa_node_cpumask(h, 2, &m);
    ck_assert(cpumask_empty(&m));
    ck_assert_int_eq(n_criticals, 3);
    numa_free(h);
}
END_TEST

START_TEST(distance_default)
{
    NumaHost *h = make(4, 1, 64 * MIB, NULL, 0, 0);
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            ck_assert_int_eq(numa_distance(h, a, b), a == b ? 10 : 21);
    numa_free(h);
}
END_TEST

START_TEST(distance_custom_is_copied)
{
    /* An asymmetric-looking but valid 4-node fabric: two pairs 16 apart,
     * 32 across the pairs. */
    int d[16] = {10, 16, 32, 32, 16, 10, 32, 32, 32, 32, 10, 16, 32, 32, 16, 10};
    int keep[16];
    memcpy(keep, d, sizeof d);
    NumaHost *h = make(4, 2, 64 * MIB, d, 0, 0);
    d[1] = d[4] = 99; /* the host must hold its own copy */
    for (int a = 0; a < 4; a++)
        for (int b = 0; b < 4; b++)
            ck_assert_int_eq(numa_distance(h, a, b), keep[a * 4 + b]);
    numa_free(h);
}
END_TEST

typedef struct {
    int sockets, cores;
    uint64_t mem;
    int dist[4]; /* 2x2 matrix, used when dist[0] != 0 */
    double lat, bw;
    const char *expect; /* substring of the error message */
} BadCase;

static const BadCase bad_cases[] = {
    {0, 8, MIB, {0}, 0, 0, "sockets = 0: must be 1..64"},
    {65, 8, MIB, {0}, 0, 0, "sockets = 65: must be 1..64"},
    {2, 0, MIB, {0}, 0, 0, "cores_per_socket = 0: must be 1..512"},
    {2, 513, MIB, {0}, 0, 0, "cores_per_socket = 513: must be 1..512"},
    {2, 8, 1000, {0}, 0, 0, "memory_per_node = 1000 bytes: must be a multiple"},
    {2, 8, MIB, {11, 21, 21, 10}, 0, 0, "distance[0][0] = 11: local distances must be 10"},
    {2, 8, MIB, {10, 21, 21, 9}, 0, 0, "distance[1][1] = 9: local distances must be 10"},
    {2, 8, MIB, {10, 5, 5, 10}, 0, 0, "distance[0][1] = 5: remote distances must be > 10"},
    {2, 8, MIB, {10, 10, 10, 10}, 0, 0, "distance[0][1] = 10: remote distances must be > 10"},
    {2, 8, MIB, {10, 21, 255, 10}, 0, 0, "distance[1][0] = 255: remote distances must be <= 254"},
    {2,
     8,
     MIB,
     {10, 21, 31, 10},
     0,
     0,
     "distance[0][1] = 21 but distance[1][0] = 31: the matrix must be symmetric"},
    {2, 8, MIB, {0}, 0.9, 0, "remote_latency_factor = 0.9: must be >= 1"},
    {2, 8, MIB, {0}, -1, 0, "remote_latency_factor = -1: must be >= 1"},
    {2, 8, MIB, {0}, INFINITY, 0, "remote_latency_factor = inf: must be >= 1 and finite"},
    {2, 8, MIB, {0}, NAN, 0, "remote_latency_factor = nan"},
    {2, 8, MIB, {0}, 0, 1.5, "remote_bandwidth_factor = 1.5: must be > 0 and <= 1"},
    {2, 8, MIB, {0}, 0, -0.25, "remote_bandwidth_factor = -0.25: must be > 0 and <= 1"},
};

START_TEST(validation_errors)
{
    const BadCase *c = &bad_cases[_i];
    NumaConfig cfg = {
        .sockets = c->sockets,
        .cores_per_socket = c->cores,
        .memory_per_node = c->mem,
        .distance = c->dist[0] ? c->dist : NULL,
        .remote_latency_factor = c->lat,
        .remote_bandwidth_factor = c->bw,
    };
    GError *err = NULL;
    NumaHost *h = numa_new(&cfg, &err);
    ck_assert_msg(h == NULL, "case %d accepted, expected \"%s\"", _i, c->expect);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT),
                  "case %d: wrong domain/code %d", _i, err->code);
    ck_assert_msg(strstr(err->message, c->expect) != NULL, "case %d: message \"%s\" lacks \"%s\"",
                  _i, err->message, c->expect);
    g_error_free(err);
    /* A NULL GError ** must be accepted too. */
    ck_assert_ptr_null(numa_new(&cfg, NULL));
}
END_TEST

START_TEST(validation_accepts_edges)
{
    int d[4] = {10, 254, 254, 10};
    NumaHost *h = make(2, 512, 0, d, 1.0, 1.0);
    ck_assert_int_eq(numa_pcpus(h), 1024);
    ck_assert_double_eq_tol(numa_latency_factor(h, 0, 1), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 0, 1), 1.0, 1e-12);
    numa_free(h);
    h = make(64, 16, PG, NULL, 0, 0);
    ck_assert_int_eq(numa_pcpu_node(h, 1023), 63);
    numa_free(h);
}
END_TEST

START_TEST(factors_default)
{
    NumaHost *h = make(2, 1, MIB, NULL, 0, 0);
    ck_assert_double_eq_tol(numa_latency_factor(h, 0, 1), NUMA_DEFAULT_REMOTE_LATENCY, 1e-12);
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 1, 0), NUMA_DEFAULT_REMOTE_BANDWIDTH, 1e-12);
    /* The calibrated range of the brief: remote latency 1.4-1.7x, bandwidth about half. */
    ck_assert_double_ge(NUMA_DEFAULT_REMOTE_LATENCY, 1.4);
    ck_assert_double_le(NUMA_DEFAULT_REMOTE_LATENCY, 1.7);
    ck_assert_double_eq_tol(NUMA_DEFAULT_REMOTE_BANDWIDTH, 0.5, 0.1);
    numa_free(h);
}
END_TEST

START_TEST(factors_linear_in_distance)
{
    /* Node 0 to 1 at 21, 0 to 2 at 31 (extrapolated), 1 to 2 at 15 (interpolated). */
    int d[9] = {10, 21, 31, 21, 10, 15, 31, 15, 10};
    NumaHost *h = make(3, 1, MIB, d, 1.5, 0.6);
    for (int n = 0; n < 3; n++) {
        ck_assert_double_eq_tol(numa_latency_factor(h, n, n), 1.0, 1e-12);
        ck_assert_double_eq_tol(numa_bandwidth_factor(h, n, n), 1.0, 1e-12);
    }
    ck_assert_double_eq_tol(numa_latency_factor(h, 0, 1), 1.5, 1e-12);
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 0, 1), 0.6, 1e-12);
    ck_assert_double_eq_tol(numa_latency_factor(h, 0, 2), 1.0 + 0.5 * 21.0 / 11.0, 1e-12);
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 2, 0), 1.0 - 0.4 * 21.0 / 11.0, 1e-12);
    ck_assert_double_eq_tol(numa_latency_factor(h, 1, 2), 1.0 + 0.5 * 5.0 / 11.0, 1e-12);
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 1, 2), 1.0 - 0.4 * 5.0 / 11.0, 1e-12);
    numa_free(h);
}
END_TEST

START_TEST(bandwidth_floor)
{
    int d[4] = {10, 254, 254, 10};
    NumaHost *h = make(2, 1, MIB, d, 2.0, 0.1);
    /* Linear would give 1 - 0.9 * 244/11, far below zero. */
    ck_assert_double_eq_tol(numa_bandwidth_factor(h, 0, 1), NUMA_MIN_BANDWIDTH_FACTOR, 1e-12);
    ck_assert_double_eq_tol(numa_latency_factor(h, 0, 1), 1.0 + 244.0 / 11.0, 1e-9);
    numa_free(h);
}
END_TEST

START_TEST(work_factor_closed_forms)
{
    const double L = 1.5;
    NumaHost *h = make(2, 4, 64 * MIB, NULL, L, 0);
    uint64_t zero[2] = {0, 0}, local[2] = {5 * MIB, 0}, remote[2] = {0, 5 * MIB},
             half[2] = {3 * MIB, 3 * MIB}, quarter[2] = {3 * MIB, 1 * MIB};
    ck_assert_double_eq_tol(numa_work_factor(h, 0, remote, 0.0), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, NULL, 0.8), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, zero, 0.8), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, local, 0.8), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 1, remote, 0.8), 1.0, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, remote, 1.0), L, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, remote, 0.4), 0.6 + 0.4 * L, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, half, 0.4), 0.6 + 0.4 * (0.5 + 0.5 * L), 1e-12);
    /* From node 1 the 3:1 split is mostly remote. */
    ck_assert_double_eq_tol(numa_work_factor(h, 1, quarter, 0.5), 0.5 + 0.5 * (0.75 * L + 0.25),
                            1e-12);
    /* Fractions outside 0..1 are clamped. */
    ck_assert_double_eq_tol(numa_work_factor(h, 0, remote, 3.0), L, 1e-12);
    ck_assert_double_eq_tol(numa_work_factor(h, 0, remote, -1.0), 1.0, 1e-12);
    numa_free(h);
}
END_TEST

START_TEST(alloc_strict)
{
    NumaHost *h = make(2, 1, 4 * PG, NULL, 0, 0);
    uint64_t out[2];
    ck_assert(numa_alloc(h, 1, NUMA_MEM_STRICT, 1, out));
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(out[1], PG); /* one byte takes a whole page */
    ck_assert(numa_alloc(h, 3 * PG, NUMA_MEM_STRICT, 1, out));
    ck_assert_uint_eq(out[1], 3 * PG);
    ck_assert_uint_eq(numa_free_bytes(h, 1), 0);

    /* Node 1 is full; node 0 has room, but STRICT must not use it. */
    uint64_t sentinel[2] = {777, 888};
    ck_assert(!numa_alloc(h, 1, NUMA_MEM_STRICT, 1, sentinel));
    ck_assert_uint_eq(sentinel[0], 777);
    ck_assert_uint_eq(sentinel[1], 888);
    ck_assert_uint_eq(numa_used_bytes(h, 0), 0);
    ck_assert_uint_eq(numa_used_bytes(h, 1), 4 * PG);
    ck_assert(!numa_alloc(h, 4 * PG + 1, NUMA_MEM_STRICT, 0, sentinel));
    ck_assert_uint_eq(numa_used_bytes(h, 0), 0);

    ck_assert(numa_alloc(h, 0, NUMA_MEM_STRICT, 0, out));
    ck_assert_uint_eq(out[0] + out[1], 0);
    check_accounting(h, "strict");
    numa_free(h);
}
END_TEST

START_TEST(alloc_preferred_spill_order)
{
    /* From node 1: node 1 (10), then nodes 0 and 3 (both 20, lower index
     * first), then node 2 (30). */
    int d[16] = {10, 20, 30, 20, 20, 10, 30, 20, 30, 30, 10, 30, 20, 20, 30, 10};
    NumaHost *h = make(4, 1, 4 * PG, d, 0, 0);
    uint64_t out[4];
    ck_assert(numa_alloc(h, 13 * PG, NUMA_MEM_PREFERRED, 1, out));
    ck_assert_uint_eq(out[1], 4 * PG);
    ck_assert_uint_eq(out[0], 4 * PG);
    ck_assert_uint_eq(out[3], 4 * PG);
    ck_assert_uint_eq(out[2], 1 * PG);
    numa_release(h, out);

    /* The tie between nodes 0 and 3 goes to node 0. */
    ck_assert(numa_alloc(h, 6 * PG, NUMA_MEM_PREFERRED, 1, out));
    ck_assert_uint_eq(out[1], 4 * PG);
    ck_assert_uint_eq(out[0], 2 * PG);
    ck_assert_uint_eq(out[3], 0);
    ck_assert_uint_eq(out[2], 0);
    numa_release(h, out);

    /* With room on the preferred node nothing spills. */
    ck_assert(numa_alloc(h, 3 * PG + 5, NUMA_MEM_PREFERRED, 2, out));
    ck_assert_uint_eq(out[2], 4 * PG);
    ck_assert_uint_eq(out[0] + out[1] + out[3], 0);

    /* 12 pages free in all: 13 fail and change nothing. */
    uint64_t before[4];
    for (int n = 0; n < 4; n++)
        before[n] = numa_used_bytes(h, n);
    ck_assert(!numa_alloc(h, 12 * PG + 1, NUMA_MEM_PREFERRED, 0, out));
    for (int n = 0; n < 4; n++)
        ck_assert_uint_eq(numa_used_bytes(h, n), before[n]);
    ck_assert(numa_alloc(h, 12 * PG, NUMA_MEM_PREFERRED, 0, out));
    ck_assert_uint_eq(out[0], 4 * PG);
    ck_assert_uint_eq(out[1], 4 * PG);
    ck_assert_uint_eq(out[3], 4 * PG);
    ck_assert_uint_eq(out[2], 0);
    check_accounting(h, "preferred");
    numa_free(h);
}
END_TEST

START_TEST(alloc_interleave)
{
    NumaHost *h = make(3, 1, 10 * PG, NULL, 0, 0);
    uint64_t out[3];
    /* Equal split, remainder to the lower nodes; `node` is ignored. */
    ck_assert(numa_alloc(h, 10 * PG, NUMA_MEM_INTERLEAVE, 2, out));
    ck_assert_uint_eq(out[0], 4 * PG);
    ck_assert_uint_eq(out[1], 3 * PG);
    ck_assert_uint_eq(out[2], 3 * PG);
    numa_release(h, out);

    /* Leave node 0 one free page: its share spills round-robin. */
    uint64_t fill[3];
    ck_assert(numa_alloc(h, 9 * PG, NUMA_MEM_STRICT, 0, fill));
    ck_assert(numa_alloc(h, 9 * PG, NUMA_MEM_INTERLEAVE, 0, out));
    ck_assert_uint_eq(out[0], 1 * PG);
    ck_assert_uint_eq(out[1], 4 * PG);
    ck_assert_uint_eq(out[2], 4 * PG);
    numa_release(h, out);
    ck_assert(numa_alloc(h, 10 * PG, NUMA_MEM_INTERLEAVE, 0, out));
    ck_assert_uint_eq(out[0], 1 * PG);
    ck_assert_uint_eq(out[1], 5 * PG);
    ck_assert_uint_eq(out[2], 4 * PG);
    numa_release(h, out);

    /* Exactly all free memory fits; one page more fails and changes nothing. */
    uint64_t sentinel[3] = {1, 2, 3};
    ck_assert(!numa_alloc(h, 21 * PG + 1, NUMA_MEM_INTERLEAVE, 0, sentinel));
    ck_assert_uint_eq(sentinel[0], 1);
    ck_assert_uint_eq(numa_used_bytes(h, 0), 9 * PG);
    ck_assert_uint_eq(numa_used_bytes(h, 1) + numa_used_bytes(h, 2), 0);
    ck_assert(numa_alloc(h, 21 * PG, NUMA_MEM_INTERLEAVE, 0, out));
    ck_assert_uint_eq(out[0], 1 * PG);
    ck_assert_uint_eq(out[1], 10 * PG);
    ck_assert_uint_eq(out[2], 10 * PG);
    check_accounting(h, "interleave");
    numa_free(h);
}
END_TEST

START_TEST(release_partial_and_over_release)
{
    NumaHost *h = make(2, 1, 8 * PG, NULL, 0, 0);
    uint64_t out[2];
    ck_assert(numa_alloc(h, 6 * PG, NUMA_MEM_INTERLEAVE, 0, out));
    uint64_t part[2] = {PG + 100, 0};
    numa_release(h, part);
    ck_assert_uint_eq(numa_used_bytes(h, 0), 2 * PG - 100);
    /* 100 bytes short of two pages free is less than two whole pages. */
    ck_assert_uint_eq(numa_free_bytes(h, 0), 6 * PG + 100);
    ck_assert(!numa_alloc(h, 7 * PG, NUMA_MEM_STRICT, 0, out));
    ck_assert(numa_alloc(h, 6 * PG, NUMA_MEM_STRICT, 0, out));
    check_accounting(h, "partial");

    catch_criticals();
    uint64_t too_much[2] = {100 * PG, 3 * PG};
    numa_release(h, too_much);
    ck_assert_int_eq(n_criticals, 1);
    ck_assert_uint_eq(numa_used_bytes(h, 0), 0);
    ck_assert_uint_eq(numa_used_bytes(h, 1), 0);
    check_accounting(h, "over-release");
    numa_free(h);
}
END_TEST

START_TEST(main_node_and_pick_node)
{
    NumaHost *h = make(3, 1, 10 * PG, NULL, 0, 0);
    uint64_t a[3] = {1, 5, 5}, z[3] = {0, 0, 0};
    ck_assert_int_eq(numa_main_node(h, a), 1);
    ck_assert_int_eq(numa_main_node(h, z), 0);
    ck_assert_int_eq(numa_main_node(h, NULL), 0);

    /* All empty: tie, lowest index. */
    ck_assert_int_eq(numa_pick_node(h, 3 * PG), 0);
    uint64_t out[3];
    ck_assert(numa_alloc(h, 4 * PG, NUMA_MEM_STRICT, 0, out));
    ck_assert(numa_alloc(h, 2 * PG, NUMA_MEM_STRICT, 1, out));
    ck_assert_int_eq(numa_pick_node(h, PG), 2);
    ck_assert(numa_alloc(h, 3 * PG, NUMA_MEM_STRICT, 2, out));
    /* Free: 6, 8, 7 pages. */
    ck_assert_int_eq(numa_pick_node(h, 8 * PG), 1);
    ck_assert_int_eq(numa_pick_node(h, 8 * PG + 1), -1); /* rounds up to 9 pages */
    ck_assert_int_eq(numa_pick_node(h, 0), 1);
    numa_free(h);
}
END_TEST

/* One live allocation in the randomized test. */
typedef struct {
    uint64_t b[4];
} Alloc;

START_TEST(random_conservation)
{
    enum { NODES = 4, OPS = 10000, MAXLIVE = 64 };
    NumaHost *h = make(NODES, 2, 256 * PG, NULL, 0, 0);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20240601);
    Alloc live[MAXLIVE];
    int n_live = 0, n_ok = 0, n_fail = 0;
    uint64_t model_used[NODES] = {0};

    for (int op = 0; op < OPS; op++) {
        gboolean do_alloc = n_live == 0 || (n_live < MAXLIVE && gsl_rng_uniform(r) < 0.55);
        if (do_alloc) {
            /* Sizes up to about one and a half nodes, page-aligned or not. */
            uint64_t bytes = gsl_rng_uniform_int(r, 384 * PG);
            NumaMemPolicy pol = (NumaMemPolicy)gsl_rng_uniform_int(r, 3);
            int node = (int)gsl_rng_uniform_int(r, NODES);
            uint64_t before[NODES], out[NODES];
            for (int n = 0; n < NODES; n++)
                before[n] = numa_used_bytes(h, n);
            if (numa_alloc(h, bytes, pol, node, out)) {
                uint64_t pages = (bytes + PG - 1) / PG, sum = 0;
                for (int n = 0; n < NODES; n++) {
                    ck_assert_uint_eq(out[n] % PG, 0);
                    ck_assert_uint_eq(numa_used_bytes(h, n), before[n] + out[n]);
                    if (pol == NUMA_MEM_STRICT && n != node)
                        ck_assert_uint_eq(out[n], 0);
                    sum += out[n];
                    model_used[n] += out[n];
                }
                ck_assert_uint_eq(sum, pages * PG);
                memcpy(live[n_live++].b, out, sizeof out);
                n_ok++;
            } else {
                for (int n = 0; n < NODES; n++)
                    ck_assert_uint_eq(numa_used_bytes(h, n), before[n]);
                n_fail++;
            }
        } else {
            int k = (int)gsl_rng_uniform_int(r, (unsigned long)n_live);
            Alloc *a = &live[k];
            if (gsl_rng_uniform(r) < 0.3) {
                /* Return an arbitrary part and keep the rest live. */
                uint64_t part[NODES];
                for (int n = 0; n < NODES; n++) {
                    part[n] = a->b[n] ? gsl_rng_uniform_int(r, a->b[n] + 1) : 0;
                    a->b[n] -= part[n];
                    model_used[n] -= part[n];
                }
                numa_release(h, part);
            } else {
                numa_release(h, a->b);
                for (int n = 0; n < NODES; n++)
                    model_used[n] -= a->b[n];
                live[k] = live[--n_live];
            }
        }
        for (int n = 0; n < NODES; n++)
            ck_assert_msg(numa_used_bytes(h, n) == model_used[n],
                          "op %d node %d: used %" G_GUINT64_FORMAT " != model %" G_GUINT64_FORMAT,
                          op, n, numa_used_bytes(h, n), model_used[n]);
        check_accounting(h, "random");
    }
    /* Both outcomes must have been exercised for the test to mean anything. */
    ck_assert_int_gt(n_ok, 1000);
    ck_assert_int_gt(n_fail, 100);
    for (int k = 0; k < n_live; k++)
        numa_release(h, live[k].b);
    for (int n = 0; n < NODES; n++)
        ck_assert_uint_eq(numa_used_bytes(h, n), 0);
    gsl_rng_free(r);
    numa_free(h);
}
END_TEST

static Suite *numa_suite(void)
{
    Suite *s = suite_create("numa");
    TCase *tc = tcase_create("topology");
    tcase_add_test(tc, topology_two_sockets);
    tcase_add_test(tc, topology_masks_partition_pcpus);
    tcase_add_test(tc, topology_out_of_range_is_critical);
    tcase_add_test(tc, distance_default);
    tcase_add_test(tc, distance_custom_is_copied);
    suite_add_tcase(s, tc);

    tc = tcase_create("validation");
    tcase_add_loop_test(tc, validation_errors, 0, (int)G_N_ELEMENTS(bad_cases));
    tcase_add_test(tc, validation_accepts_edges);
    suite_add_tcase(s, tc);

    tc = tcase_create("factors");
    tcase_add_test(tc, factors_default);
    tcase_add_test(tc, factors_linear_in_distance);
    tcase_add_test(tc, bandwidth_floor);
    tcase_add_test(tc, work_factor_closed_forms);
    suite_add_tcase(s, tc);

    tc = tcase_create("memory");
    tcase_add_test(tc, alloc_strict);
    tcase_add_test(tc, alloc_preferred_spill_order);
    tcase_add_test(tc, alloc_interleave);
    tcase_add_test(tc, release_partial_and_over_release);
    tcase_add_test(tc, main_node_and_pick_node);
    tcase_add_test(tc, random_conservation);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(numa_suite());
}
