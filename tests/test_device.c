/* The device models against their closed forms: a disk's service time, its
 * bandwidth sharing, queue depth and saturated IOPS; a NIC's wire time,
 * framing and full duplex; and conservation of bytes and time in both. */
#include "tests/check_main.h"
#include <check.h>
#include <gsl/gsl_randist.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "models/device.h"
#include "sim/sim.h"
#include "sim/sim_error.h"

#define KIB ((uint64_t)1024)
#define MIB (KIB * KIB)

static DiskParams preset(const char *name)
{
    DiskParams p;
    ck_assert_msg(disk_preset(name, &p), "preset '%s' missing", name);
    return p;
}

static Disk *make_disk(Sim *sim, const DiskParams *p)
{
    GError *err = NULL;
    Disk *d = disk_new(sim, p, &err);
    ck_assert_msg(d != NULL, "disk_new failed: %s", err ? err->message : "(no error)");
    return d;
}

/* Nanoseconds the model gives a transfer of `bytes` alone at `bw` bytes/s. */
static SimTime xfer_ns(uint64_t bytes, double bw)
{
    return sim_time_from_s((double)bytes / bw);
}

static double rel_err(double got, double want)
{
    return fabs(got - want) / fabs(want);
}

/* ------------------------------------------------------------ recorders */

#define MAX_OPS 256

/* Remembers every completion, in completion order, with the caller's tag. */
typedef struct {
    int n;
    int tag[MAX_OPS];
    DiskOpTimes t[MAX_OPS];
    int max_in_device_seen;
} Log;

typedef struct {
    Log *log;
    int tag;
} Tagged;

static void log_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    (void)op;
    Tagged *tg = data;
    Log *log = tg->log;
    ck_assert_int_lt(log->n, MAX_OPS);
    log->tag[log->n] = tg->tag;
    log->t[log->n] = *t;
    log->n++;
    DiskStats st;
    disk_stats(d, &st);
    log->max_in_device_seen = MAX(log->max_in_device_seen, st.in_device);
}

/* -------------------------------------------------------------- disk */

START_TEST(disk_single_op_closed_form)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("hdd");
    g_autoptr(Disk) d = make_disk(sim, &p);
    Log log = {0};
    Tagged tg[2] = {{&log, 0}, {&log, 1}};

    /* A random 4 KiB read alone on an idle disk: latency + bytes / bw. */
    disk_submit(d, (DiskOp){.bytes = 4 * KIB}, log_done, &tg[0]);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 1);
    SimTime want = sim_time_from_s(p.random_read_latency_s) + xfer_ns(4 * KIB, p.read_bytes_per_s);
    ck_assert_msg(log.t[0].completed == want,
                  "4 KiB random read done at %" PRId64 " ns, want %" PRId64, log.t[0].completed,
                  want);
    /* 8.2 ms seek + 4.1667 ms half turn + 31.75 us transfer at 129 MB/s. */
    ck_assert_msg(want == 12398419, "hdd 4 KiB random read takes %" PRId64 " ns, want 12398419",
                  want);
    ck_assert_int_eq(log.t[0].submitted, 0);
    ck_assert_int_eq(log.t[0].admitted, 0);
    ck_assert_int_eq(log.t[0].started, 0);

    /* A 1 MiB random write submitted later, on the idle disk again. */
    SimTime t0 = sim_now(sim);
    disk_submit(d, (DiskOp){.bytes = MIB, .is_write = true}, log_done, &tg[1]);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 2);
    want = t0 + sim_time_from_s(p.random_write_latency_s) + xfer_ns(MIB, p.write_bytes_per_s);
    ck_assert_msg(log.t[1].completed == want,
                  "1 MiB random write done at %" PRId64 " ns, want %" PRId64, log.t[1].completed,
                  want);
    ck_assert_int_eq(log.t[1].started, t0);
}
END_TEST

START_TEST(disk_zero_byte_op_costs_latency_only)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("ssd");
    g_autoptr(Disk) d = make_disk(sim, &p);
    Log log = {0};
    Tagged tg = {&log, 0};
    disk_submit(d, (DiskOp){.bytes = 0, .is_write = true, .sequential = true}, log_done, &tg);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 1);
    SimTime want = sim_time_from_s(p.seq_write_latency_s);
    ck_assert_msg(log.t[0].completed == want, "flush done at %" PRId64 " ns, want %" PRId64,
                  log.t[0].completed, want);
}
END_TEST

/* A closed loop: each completion submits the next op until `total` were
 * submitted, keeping `depth` outstanding. */
typedef struct {
    Disk *d;
    DiskOp op;
    uint64_t total, submitted, completed;
    SimTime first, last;              /* first and last completion */
    SimTime min_service, max_service; /* completed - started */
} Loop;

static void loop_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    (void)op;
    Loop *l = data;
    SimTime service = t->completed - t->started;
    if (l->completed++ == 0) {
        l->first = t->completed;
        l->min_service = l->max_service = service;
    }
    l->min_service = MIN(l->min_service, service);
    l->max_service = MAX(l->max_service, service);
    l->last = t->completed;
    if (l->submitted < l->total) {
        l->submitted++;
        disk_submit(d, l->op, loop_done, l);
    }
}

static void loop_run(Sim *sim, Loop *l, int depth)
{
    for (int i = 0; i < depth && l->submitted < l->total; i++) {
        l->submitted++;
        disk_submit(l->d, l->op, loop_done, l);
    }
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l->completed, l->total);
}

static void loop_submit_fn(Sim *sim, void *data)
{
    (void)sim;
    Loop *l = data;
    if (l->submitted < l->total) {
        l->submitted++;
        disk_submit(l->d, l->op, loop_done, l);
    }
}

/* The same closed loop with its phases staggered, as a steady workload
 * arriving through a driver stack has them: the first `parallelism` ops are
 * submitted `spacing` apart (so each starts service on arrival), the rest of
 * the depth with the last of them (they wait in the device queue).  Every
 * completion then starts the next op at once, so the offsets last. */
static void loop_run_staggered(Sim *sim, Loop *l, int parallelism, int depth, SimTime spacing)
{
    SimTime t0 = sim_now(sim);
    for (int i = 0; i < depth; i++)
        sim_at(sim, t0 + (SimTime)MIN(i, parallelism - 1) * spacing, loop_submit_fn, l);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_uint_eq(l->completed, l->total);
}

/* Completions per second between the first and the last completion: in a
 * staggered steady state each op ends one period after the one before it. */
static double loop_rate(const Loop *l)
{
    return (double)(l->completed - 1) / sim_time_to_s(l->last - l->first);
}

START_TEST(disk_sequential_stream_qd1)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("hdd");
    g_autoptr(Disk) d = make_disk(sim, &p);
    const uint64_t size = MIB, n = 200;
    Loop l = {.d = d, .op = {.bytes = size, .sequential = true}, .total = n};
    loop_run(sim, &l, 1);

    /* Each op pays the sequential latency, then moves its bytes alone. */
    SimTime per_op = sim_time_from_s(p.seq_read_latency_s) + xfer_ns(size, p.read_bytes_per_s);
    ck_assert_msg(l.last == (SimTime)n * per_op, "stream ends at %" PRId64 " ns, want %" PRId64,
                  l.last, (SimTime)n * per_op);
    double got = (double)(n * size) / sim_time_to_s(l.last);
    double bw = p.read_bytes_per_s;
    double want = bw * (double)size / ((double)size + bw * p.seq_read_latency_s);
    ck_assert_msg(rel_err(got, want) < 1e-6, "stream throughput %.3f B/s, closed form %.3f B/s",
                  got, want);
    ck_assert_msg(got < bw, "throughput %.0f B/s above the bandwidth %.0f", got, bw);
}
END_TEST

/* Saturated random 4 KiB IOPS of each preset at its queue depth against the
 * model's closed forms and the datasheet.  With L the random latency and T =
 * 4096 / W the transfer, both as the model rounds them to ns:
 *   staggered (steady state)  min(P / (L + T), W / 4096)
 *   burst (started together)  P / (L + P * T)
 * The presets are calibrated on the staggered figure. */
typedef struct {
    const char *preset;
    bool is_write;
    double datasheet_iops; /* 0: no datasheet figure */
} IopsCase;

static const IopsCase iops_cases[] = {
    {"ssd", false, 75000},                           /* Intel DC S3700, QD32 */
    {"ssd", true, 36000},   {"nvme", false, 460000}, /* Intel DC P3700 */
    {"nvme", true, 175000}, {"hdd", false, 0},
};

/* The 4 KiB random op's latency and lone transfer time in the model, ns. */
static void iops_case_times(const IopsCase *c, const DiskParams *p, SimTime *lat, SimTime *xfer)
{
    *lat = sim_time_from_s(c->is_write ? p->random_write_latency_s : p->random_read_latency_s);
    *xfer = xfer_ns(4 * KIB, c->is_write ? p->write_bytes_per_s : p->read_bytes_per_s);
}

START_TEST(disk_steady_iops_match_datasheet)
{
    const IopsCase *c = &iops_cases[_i];
    const char *dir = c->is_write ? "write" : "read";
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset(c->preset);
    g_autoptr(Disk) d = make_disk(sim, &p);
    int P = p.parallelism;
    SimTime lat, xfer;
    iops_case_times(c, &p, &lat, &xfer);
    SimTime cycle = lat + xfer;
    /* Transfers one spacing apart never meet: the data path is not the bound. */
    SimTime spacing = cycle / P;
    ck_assert_msg(xfer <= spacing, "%s %s: 4 KiB transfer %" PRId64 " ns > spacing %" PRId64,
                  c->preset, dir, xfer, spacing);
    uint64_t per_slot = c->datasheet_iops > 0 ? 4000 : 100;
    Loop l = {.d = d, .op = {.bytes = 4 * KIB, .is_write = c->is_write}, .total = per_slot * P};
    loop_run_staggered(sim, &l, P, p.queue_depth, spacing);

    /* The phases stayed apart: every op took exactly what it takes alone. */
    ck_assert_msg(l.min_service == cycle && l.max_service == cycle,
                  "%s %s: service %" PRId64 "..%" PRId64 " ns, want %" PRId64 " (alone)", c->preset,
                  dir, l.min_service, l.max_service, cycle);
    double bw = c->is_write ? p.write_bytes_per_s : p.read_bytes_per_s;
    double want = fmin(P / sim_time_to_s(cycle), bw / 4096.0);
    double got = loop_rate(&l);
    ck_assert_msg(rel_err(got, want) < 1e-4, "%s %s: %.1f IOPS, staggered closed form %.1f",
                  c->preset, dir, got, want);
    if (c->datasheet_iops > 0) {
        ck_assert_msg(want <= c->datasheet_iops, "%s %s: closed form %.1f above datasheet %.0f",
                      c->preset, dir, want, c->datasheet_iops);
        ck_assert_msg(got <= c->datasheet_iops && got >= 0.99 * c->datasheet_iops,
                      "%s %s: %.1f IOPS, datasheet %.0f", c->preset, dir, got, c->datasheet_iops);
    }
    DiskStats st;
    disk_stats(d, &st);
    ck_assert_int_eq(st.max_in_device, p.queue_depth);
    ck_assert_int_eq(st.max_host_queue, 0);
}
END_TEST

START_TEST(disk_burst_iops_match_synchronized_closed_form)
{
    const IopsCase *c = &iops_cases[_i];
    const char *dir = c->is_write ? "write" : "read";
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset(c->preset);
    g_autoptr(Disk) d = make_disk(sim, &p);
    int P = p.parallelism;
    SimTime lat, xfer;
    iops_case_times(c, &p, &lat, &xfer);
    /* Whole batches, so that the run ends on a batch boundary. */
    uint64_t batches = c->datasheet_iops > 0 ? 4000 : 100;
    Loop l = {.d = d, .op = {.bytes = 4 * KIB, .is_write = c->is_write}, .total = batches * P};
    loop_run(sim, &l, p.queue_depth);

    /* A deterministic burst never desynchronizes: all P ops share the data
     * path in every batch, to the last one. */
    double bw = c->is_write ? p.write_bytes_per_s : p.read_bytes_per_s;
    SimTime shared = lat + xfer_ns((uint64_t)P * 4 * KIB, bw);
    ck_assert_msg(llabs(l.min_service - shared) <= 1 && llabs(l.max_service - shared) <= 1,
                  "%s %s: service %" PRId64 "..%" PRId64 " ns, want %" PRId64 " (shared)",
                  c->preset, dir, l.min_service, l.max_service, shared);
    double want = P / (sim_time_to_s(lat) + P * 4096.0 / bw);
    double got = (double)l.total / sim_time_to_s(l.last);
    ck_assert_msg(rel_err(got, want) < 1e-4, "%s %s: %.1f IOPS, burst closed form %.1f", c->preset,
                  dir, got, want);
    /* Below the staggered steady state, equal to it only with P = 1. */
    double steady = P / sim_time_to_s(lat + xfer);
    if (P == 1)
        ck_assert_msg(rel_err(got, steady) < 1e-4, "%s %s: burst %.1f, steady %.1f IOPS", c->preset,
                      dir, got, steady);
    else
        ck_assert_msg(got < steady, "%s %s: burst %.1f not below steady %.1f IOPS", c->preset, dir,
                      got, steady);
    DiskStats st;
    disk_stats(d, &st);
    ck_assert_int_eq(st.max_in_device, p.queue_depth);
    ck_assert_int_eq(st.max_host_queue, 0);
    ck_assert_msg(fabs(st.mean_in_service - P) < 1e-9, "mean in service %.12f, want %d",
                  st.mean_in_service, P);
}
END_TEST

/* Large sequential ops (128 KiB, the block size of the SSDs' datasheet
 * bandwidths) at the queue depth, staggered: the data path never idles, so
 * the throughput is the datasheet bandwidth. */
typedef struct {
    const char *preset;
    bool is_write;
    double datasheet_bytes_per_s;
} SeqCase;

static const SeqCase seq_cases[] = {
    {"ssd", false, 500e6},
    {"ssd", true, 460e6}, /* Intel DC S3700 */
    {"nvme", false, 2800e6},
    {"nvme", true, 2000e6}, /* Intel DC P3700 */
};

START_TEST(disk_sequential_large_blocks_reach_bandwidth)
{
    const SeqCase *c = &seq_cases[_i];
    const char *dir = c->is_write ? "write" : "read";
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset(c->preset);
    g_autoptr(Disk) d = make_disk(sim, &p);
    int P = p.parallelism;
    const uint64_t size = 128 * KIB;
    double bw = c->is_write ? p.write_bytes_per_s : p.read_bytes_per_s;
    ck_assert(bw == c->datasheet_bytes_per_s);
    SimTime lat = sim_time_from_s(c->is_write ? p.seq_write_latency_s : p.seq_read_latency_s);
    /* The other P - 1 ops' transfers cover an op's latency. */
    ck_assert_msg((P - 1) * xfer_ns(size, bw) > lat, "%s %s: latency %" PRId64 " ns not covered",
                  c->preset, dir, lat);
    Loop l = {.d = d,
              .op = {.bytes = size, .is_write = c->is_write, .sequential = true},
              .total = 500 * (uint64_t)P};
    loop_run_staggered(sim, &l, P, p.queue_depth, (lat + xfer_ns(size, bw)) / P);
    /* From the first transfer on, the data path never idled... */
    DiskStats st;
    disk_stats(d, &st);
    ck_assert_msg(st.transfer_busy == l.last - lat,
                  "%s %s: data path busy %" PRId64 " ns of the %" PRId64 " after the first latency",
                  c->preset, dir, st.transfer_busy, l.last - lat);
    /* ...so the whole run, latency of the first op included, moves the bytes
     * at the bandwidth. */
    double got = (double)(l.total * size) / sim_time_to_s(l.last);
    ck_assert_msg(got >= 0.99 * bw && got <= bw, "%s %s: %.6g B/s, datasheet bandwidth %.6g",
                  c->preset, dir, got, bw);
}
END_TEST

START_TEST(disk_bandwidth_sharing)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("ssd");
    g_autoptr(Disk) d = make_disk(sim, &p);
    Log log = {0};
    Tagged tg[2] = {{&log, 0}, {&log, 1}};
    const uint64_t size = 64 * MIB;
    DiskOp op = {.bytes = size, .sequential = true};
    SimTime lat = sim_time_from_s(p.seq_read_latency_s);
    double bw = p.read_bytes_per_s;

    /* Started together: latencies overlap, then each gets half the bandwidth,
     * so both finish together at L + 2 size / W. */
    disk_submit(d, op, log_done, &tg[0]);
    disk_submit(d, op, log_done, &tg[1]);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 2);
    SimTime want = lat + xfer_ns(2 * size, bw);
    for (int i = 0; i < 2; i++)
        ck_assert_msg(llabs(log.t[i].completed - want) <= 1,
                      "transfer %d done at %" PRId64 " ns, want %" PRId64, i, log.t[i].completed,
                      want);
    ck_assert_int_eq(log.tag[0], 0);

    /* Staggered by delta: the first runs alone for delta, then shares, and
     * finishes at L + 2 size / W - delta; the second then runs alone again
     * and finishes at t0 + L + 2 size / W, the data path never idle. */
    SimTime t0 = sim_now(sim), delta = 10 * SIM_MS;
    log.n = 0;
    disk_submit(d, op, log_done, &tg[0]);
    sim_run(sim, t0 + delta);
    disk_submit(d, op, log_done, &tg[1]);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 2);
    SimTime want0 = t0 + lat + xfer_ns(2 * size, bw) - delta;
    SimTime want1 = t0 + lat + xfer_ns(2 * size, bw);
    ck_assert_msg(log.tag[0] == 0 && llabs(log.t[0].completed - want0) <= 1,
                  "first done at %" PRId64 " ns, want %" PRId64, log.t[0].completed, want0);
    ck_assert_msg(log.tag[1] == 1 && llabs(log.t[1].completed - want1) <= 1,
                  "second done at %" PRId64 " ns, want %" PRId64, log.t[1].completed, want1);
}
END_TEST

START_TEST(disk_queue_depth_fifo)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("hdd");
    ck_assert_int_eq(p.queue_depth, 32);
    g_autoptr(Disk) d = make_disk(sim, &p);
    enum { N = 100 };
    Log log = {0};
    Tagged tg[N];
    for (int i = 0; i < N; i++) {
        tg[i] = (Tagged){&log, i};
        disk_submit(d, (DiskOp){.bytes = 4 * KIB}, log_done, &tg[i]);
    }
    DiskStats st;
    disk_stats(d, &st);
    ck_assert_int_eq(st.in_device, 32);
    ck_assert_int_eq(st.in_service, 1);
    ck_assert_int_eq(st.host_queued, N - 32);
    sim_run(sim, SIM_TIME_MAX);

    ck_assert_int_eq(log.n, N);
    ck_assert_int_le(log.max_in_device_seen, 32);
    SimTime per_op =
        sim_time_from_s(p.random_read_latency_s) + xfer_ns(4 * KIB, p.read_bytes_per_s);
    for (int i = 0; i < N; i++) {
        const DiskOpTimes *t = &log.t[i];
        /* Completion order is submission order, one op at a time. */
        ck_assert_msg(log.tag[i] == i, "completion %d is op %d", i, log.tag[i]);
        ck_assert_msg(t->completed == (SimTime)(i + 1) * per_op,
                      "op %d done at %" PRId64 " ns, want %" PRId64, i, t->completed,
                      (SimTime)(i + 1) * per_op);
        ck_assert_int_eq(t->started, i == 0 ? 0 : log.t[i - 1].completed);
        /* Op i enters the device when op i - 32 leaves it. */
        ck_assert_int_eq(t->admitted, i < 32 ? 0 : log.t[i - 32].completed);
    }
    disk_stats(d, &st);
    ck_assert_int_eq(st.max_in_device, 32);
    ck_assert_int_eq(st.max_host_queue, N - 32);
    ck_assert_uint_eq(st.read_ops, N);
    ck_assert_int_eq(st.in_device, 0);
}
END_TEST

/* A mixed workload arriving over time: every submitted byte completes, the
 * busy clocks never exceed the elapsed time, and the time averages agree
 * with the per-op waits (Little's law holds exactly for a finished run). */
typedef struct {
    Disk *d;
    DiskOp op;
    double *wait_ns, *service_ns;
} Arrival;

static void arrival_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    (void)d;
    (void)op;
    Arrival *a = data;
    ck_assert(t->submitted <= t->admitted && t->admitted <= t->started &&
              t->started <= t->completed);
    *a->wait_ns += (double)(t->started - t->submitted);
    *a->service_ns += (double)(t->completed - t->started);
}

static void arrival_fn(Sim *sim, void *data)
{
    (void)sim;
    Arrival *a = data;
    disk_submit(a->d, a->op, arrival_done, a);
}

START_TEST(disk_conservation_and_littles_law)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("ssd");
    p.queue_depth = 16; /* small enough for the host FIFO to fill */
    g_autoptr(Disk) d = make_disk(sim, &p);
    enum { N = 600 };
    static Arrival arr[N];
    double wait_ns = 0, service_ns = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < N; i++) {
        /* Bursts of ten every 150 us, sizes 512 B..128 KiB, a third writes. */
        arr[i] = (Arrival){
            .d = d,
            .op = {.bytes = 512u * (1u + (uint64_t)(i * 7919) % 256u),
                   .is_write = i % 3 == 0,
                   .sequential = i % 5 == 0},
            .wait_ns = &wait_ns,
            .service_ns = &service_ns,
        };
        bytes += arr[i].op.bytes;
        sim_at(sim, (SimTime)(i / 10) * 150 * SIM_US, arrival_fn, &arr[i]);
    }
    sim_run(sim, SIM_TIME_MAX);
    SimTime elapsed = sim_now(sim);
    DiskStats st;
    disk_stats(d, &st);
    ck_assert_uint_eq(st.submitted_ops, N);
    ck_assert_uint_eq(st.read_ops + st.write_ops, N);
    ck_assert_msg(st.submitted_bytes == bytes && st.read_bytes + st.write_bytes == bytes,
                  "bytes: %" PRIu64 " submitted, %" PRIu64 " completed, %" PRIu64 " sent", bytes,
                  st.read_bytes + st.write_bytes, st.submitted_bytes);
    ck_assert_msg(st.busy <= elapsed && st.transfer_busy <= st.busy && st.transfer_busy > 0,
                  "busy %" PRId64 " ns, transfer busy %" PRId64 " ns, elapsed %" PRId64 " ns",
                  st.busy, st.transfer_busy, elapsed);
    ck_assert_int_gt(st.max_host_queue, 0);
    ck_assert_int_le(st.max_in_device, p.queue_depth);
    double e = (double)elapsed;
    ck_assert_msg(rel_err(st.mean_waiting * e, wait_ns) < 1e-9,
                  "waiting integral %.1f op*ns, sum of waits %.1f ns", st.mean_waiting * e,
                  wait_ns);
    ck_assert_msg(rel_err(st.mean_in_service * e, service_ns) < 1e-9,
                  "in-service integral %.1f op*ns, sum of services %.1f ns", st.mean_in_service * e,
                  service_ns);
}
END_TEST

static int callbacks;

static void count_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    (void)d;
    (void)op;
    (void)t;
    (void)data;
    callbacks++;
}

/* ROTATIONAL LATENCY (device.h): with a stream, an hdd's random op waits
 * a uniform share of a revolution, so one after another on the idle disk
 * (QD1) each 4 KiB random read takes L - T/2 + U(0, T) + 31.75 us, T =
 * 8.333 ms: mean 12.398 ms as without the stream, standard deviation T /
 * sqrt(12) = 2.4056 ms (CoV 0.194), never outside L +- T/2.  Sequential
 * ops and flash keep their one latency; another seed gives other times. */
typedef struct {
    Disk *d;
    int left;
    bool sequential;
    double sum, sum2, min, max;
    SimTime last;
} QdOne;

static void qd1_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    QdOne *q = data;
    (void)op;
    double s = sim_time_to_s(t->completed - t->started);
    q->sum += s;
    q->sum2 += s * s;
    q->min = fmin(q->min, s);
    q->max = fmax(q->max, s);
    if (--q->left > 0)
        disk_submit(d, (DiskOp){.bytes = 4 * KIB, .sequential = q->sequential}, qd1_done, q);
    else
        q->last = t->completed;
}

static QdOne qd1_run(const char *name, uint64_t seed, int n, bool sequential)
{
    g_autoptr(Sim) sim = sim_new(seed);
    DiskParams p = preset(name);
    g_autoptr(Disk) d = make_disk(sim, &p);
    disk_set_rng(d, sim_rng(sim, "h0.disk"));
    QdOne q = {.d = d, .left = n, .sequential = sequential, .min = INFINITY, .max = -INFINITY};
    disk_submit(d, (DiskOp){.bytes = 4 * KIB, .sequential = sequential}, qd1_done, &q);
    sim_run(sim, SIM_TIME_MAX);
    return q;
}

START_TEST(disk_rotational_latency_uniform)
{
    const int n = 40000;
    DiskParams p = preset("hdd");
    double turn = 60.0 / 7200.0;
    ck_assert_double_eq_tol(p.rotation_s, turn, 1e-12);
    QdOne q = qd1_run("hdd", 1, n, false);
    double mean = q.sum / n, sd = sqrt((q.sum2 - q.sum * q.sum / n) / (n - 1));
    double want = 12398419e-9;
    /* The mean's standard error is 2.4 ms / sqrt(40000) = 12 us. */
    ck_assert_msg(fabs(mean - want) < 4 * 12.1e-6, "mean %.6f ms, want %.6f", mean * 1e3,
                  want * 1e3);
    ck_assert_msg(fabs(sd - turn / sqrt(12.0)) < 0.02 * turn / sqrt(12.0),
                  "sd %.4f ms, want %.4f (T / sqrt 12)", sd * 1e3, turn / sqrt(12.0) * 1e3);
    ck_assert_double_ge(q.min, want - turn / 2 - 1e-9);
    ck_assert_double_lt(q.max, want + turn / 2 + 1e-9);
    QdOne other = qd1_run("hdd", 2, n, false);
    ck_assert(other.last != q.last);
    /* Sequential ops and flash: one latency. */
    QdOne seq = qd1_run("hdd", 1, 1000, true);
    ck_assert_double_eq_tol(seq.max - seq.min, 0.0, 1e-12);
    QdOne ssd = qd1_run("ssd", 1, 1000, false);
    ck_assert_double_eq_tol(ssd.max - ssd.min, 0.0, 1e-12);
    ck_assert_int_eq(qd1_run("ssd", 2, 1000, false).last, ssd.last);
}
END_TEST

/* LATENCY VARIATION (device.h): with latency_cov = c and a stream, each
 * op's access latency is gamma of mean L and CoV c.  Zero-byte ops one after
 * another (QD1) take exactly their drawn latency.  Over n ops the sample
 * mean has standard error c L / sqrt n, and the sample standard deviation s
 * has standard error sigma sqrt((kappa - 1) / (4 n)) (delta method on s^2,
 * whose variance is sigma^4 (kappa - 1) / n), kappa = 3 + 6 c^2 the gamma's
 * kurtosis.  Both are held to 4 standard errors (a false failure once in
 * ~16,000 seeds; the seed is fixed, so the test is deterministic). */
typedef struct {
    bool is_write, sequential;
    double cov;
} CovCase;

static const CovCase cov_cases[] = {
    {false, false, 0.25}, /* nvme random read, L = 18.103 us */
    {true, true, 1.0},    /* nvme sequential write, L = 17.952 us: exponential */
};

typedef struct {
    DiskOp op;
    int left;
    double sum, sum2;
    uint64_t hash; /* FNV-1a over the completion times */
} Zero;

static void zero_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    Zero *z = data;
    (void)op;
    double s = sim_time_to_s(t->completed - t->started);
    z->sum += s;
    z->sum2 += s * s;
    z->hash = (z->hash ^ (uint64_t)t->completed) * 0x100000001b3ULL;
    if (--z->left > 0)
        disk_submit(d, z->op, zero_done, z);
}

static Zero zero_run(double cov, bool with_rng, DiskOp op, uint64_t seed, int n)
{
    g_autoptr(Sim) sim = sim_new(seed);
    DiskParams p = preset("nvme");
    p.latency_cov = cov;
    g_autoptr(Disk) d = make_disk(sim, &p);
    if (with_rng)
        disk_set_rng(d, sim_rng(sim, "h0.disk"));
    Zero z = {.op = op, .left = n, .hash = 0xcbf29ce484222325ULL};
    disk_submit(d, op, zero_done, &z);
    sim_run(sim, SIM_TIME_MAX);
    return z;
}

START_TEST(disk_latency_gamma_mean_and_cov)
{
    const CovCase *c = &cov_cases[_i];
    const int n = 100000;
    DiskParams p = preset("nvme");
    double L = c->is_write ? (c->sequential ? p.seq_write_latency_s : p.random_write_latency_s)
                           : (c->sequential ? p.seq_read_latency_s : p.random_read_latency_s);
    L = sim_time_to_s(sim_time_from_s(L)); /* the model keeps whole ns */
    DiskOp op = {.bytes = 0, .is_write = c->is_write, .sequential = c->sequential};
    Zero z = zero_run(c->cov, true, op, 7, n);
    double mean = z.sum / n, sd = sqrt((z.sum2 - z.sum * z.sum / n) / (n - 1));
    double sigma = c->cov * L, kappa = 3.0 + 6.0 * c->cov * c->cov;
    double se_mean = sigma / sqrt(n), se_sd = sigma * sqrt((kappa - 1.0) / (4.0 * n));
    ck_assert_msg(fabs(mean - L) < 4.0 * se_mean, "mean %.4f us, want %.4f +- %.4f", mean * 1e6,
                  L * 1e6, 4.0 * se_mean * 1e6);
    ck_assert_msg(fabs(sd - sigma) < 4.0 * se_sd, "sd %.4f us, want %.4f +- %.4f", sd * 1e6,
                  sigma * 1e6, 4.0 * se_sd * 1e6);
}
END_TEST

/* CoV 0 is the deterministic model: with a stream and latency_cov 0, a mixed
 * sequence of ops completes at the very same ns as without a stream (and
 * every op takes its one latency); a CoV > 0 changes them. */
START_TEST(disk_latency_cov_zero_is_deterministic)
{
    DiskOp op = {.bytes = 4 * KIB, .is_write = true};
    Zero a = zero_run(0.0, true, op, 3, 2000), b = zero_run(0.0, false, op, 3, 2000);
    ck_assert_uint_eq(a.hash, b.hash);
    ck_assert_double_eq_tol(a.sum2 / 2000 - (a.sum / 2000) * (a.sum / 2000), 0.0, 1e-18);
    Zero c = zero_run(0.3, true, op, 3, 2000);
    ck_assert_uint_ne(c.hash, b.hash);
}
END_TEST

/* An M/G/1 queue: one server (parallelism 1), Poisson arrivals at rate lambda,
 * zero-byte ops whose service is the gamma latency of mean L and CoV c.  The
 * Pollaczek-Khinchine mean wait is W = lambda E[S^2] / (2 (1 - rho)), E[S^2]
 * = L^2 (1 + c^2), rho = lambda L.  Over R independent replications (seeds)
 * of n arrivals, each replication's mean wait (the first n / 20 ops deleted
 * as warm-up from the empty start) is one observation; the Student-t 95% CI
 * of their mean, t(0.975, R - 1) = 2.093 for R = 20, must cover W. */
typedef struct {
    Sim *sim;
    Disk *d;
    gsl_rng *arr;
    double lambda;
    int left, done, skip;
    double wait_sum;
} Mg1;

static void mg1_done(Disk *d, const DiskOp *op, const DiskOpTimes *t, void *data)
{
    (void)d;
    (void)op;
    Mg1 *m = data;
    if (m->done++ >= m->skip)
        m->wait_sum += sim_time_to_s(t->started - t->submitted);
}

static void mg1_arrive(Sim *sim, void *data)
{
    Mg1 *m = data;
    disk_submit(m->d, (DiskOp){.bytes = 0}, mg1_done, m);
    if (--m->left > 0)
        sim_after(sim, sim_time_from_s(gsl_ran_exponential(m->arr, 1.0 / m->lambda)), mg1_arrive,
                  m);
}

START_TEST(disk_latency_mg1_pollaczek_khinchine)
{
    const int R = 20, n = 40000;
    const double L = 100e-6, c = 0.5, lambda = 7000.0, rho = lambda * L;
    const double W = lambda * L * L * (1.0 + c * c) / (2.0 * (1.0 - rho)); /* 145.83 us */
    double sum = 0.0, sum2 = 0.0;
    for (int r = 0; r < R; r++) {
        g_autoptr(Sim) sim = sim_new(100 + (uint64_t)r);
        DiskParams p = {.read_bytes_per_s = 1e9,
                        .write_bytes_per_s = 1e9,
                        .random_read_latency_s = L,
                        .random_write_latency_s = L,
                        .seq_read_latency_s = L,
                        .seq_write_latency_s = L,
                        .parallelism = 1,
                        .queue_depth = 1,
                        .latency_cov = c};
        g_autoptr(Disk) d = make_disk(sim, &p);
        disk_set_rng(d, sim_rng(sim, "h0.disk"));
        Mg1 m = {.sim = sim,
                 .d = d,
                 .arr = sim_rng(sim, "arrivals"),
                 .lambda = lambda,
                 .left = n,
                 .skip = n / 20};
        sim_after(sim, 0, mg1_arrive, &m);
        sim_run(sim, SIM_TIME_MAX);
        ck_assert_int_eq(m.done, n);
        double w = m.wait_sum / (n - m.skip);
        sum += w;
        sum2 += w * w;
    }
    double mean = sum / R, se = sqrt((sum2 - sum * sum / R) / (R - 1) / R);
    ck_assert_msg(fabs(mean - W) < 2.093 * se, "mean wait %.3f us +- %.3f, P-K %.3f us", mean * 1e6,
                  2.093 * se * 1e6, W * 1e6);
}
END_TEST

START_TEST(disk_free_with_pending_ops)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("ssd");
    Disk *d = make_disk(sim, &p);
    callbacks = 0;
    for (int i = 0; i < 50; i++)
        disk_submit(d, (DiskOp){.bytes = MIB}, count_done, NULL);
    /* The first batch of 4 finishes after 41.8 us + 4 MiB at 500 MB/s,
     * 8.43 ms, the second at 16.86 ms. */
    ck_assert_int_eq(p.parallelism, 4);
    sim_run(sim, 10 * SIM_MS);
    int before = callbacks;
    ck_assert_int_eq(before, p.parallelism);
    disk_free(d);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(callbacks, before);
}
END_TEST

typedef struct {
    void (*mutate)(DiskParams *p);
    const char *expect;
} BadDisk;

static void bad_read_bw(DiskParams *p)
{
    p->read_bytes_per_s = 0;
}
static void bad_write_bw(DiskParams *p)
{
    p->write_bytes_per_s = INFINITY;
}
static void bad_latency(DiskParams *p)
{
    p->random_read_latency_s = -1e-3;
}
static void nan_latency(DiskParams *p)
{
    p->seq_write_latency_s = NAN;
}
static void bad_parallelism(DiskParams *p)
{
    p->parallelism = 0;
}
static void parallelism_over_depth(DiskParams *p)
{
    p->parallelism = 33;
}
static void bad_depth(DiskParams *p)
{
    p->queue_depth = 0;
}

/* (on the ssd preset: a spin of 8 ms around a 102 us random write) */
static void rotation_too_long(DiskParams *p)
{
    p->rotation_s = 8e-3;
}

static void cov_negative(DiskParams *p)
{
    p->latency_cov = -0.1;
}
static void cov_on_spinning_disk(DiskParams *p)
{
    p->rotation_s = 50e-6;
    p->latency_cov = 0.5;
}

static const BadDisk bad_disks[] = {
    {cov_negative, "latency_cov = -0.1: must be 0..10"},
    {cov_on_spinning_disk, "latency_cov = 0.5: needs rotation_s = 0"},
    {rotation_too_long, "rotation_s = 0.008 s: must be at most twice the random latencies"},
    {bad_read_bw, "read_bytes_per_s = 0: must be > 0 and finite"},
    {bad_write_bw, "write_bytes_per_s = inf: must be > 0 and finite"},
    {bad_latency, "random_read_latency_s = -0.001 s: must be >= 0 and finite"},
    {nan_latency, "seq_write_latency_s = nan s"},
    {bad_parallelism, "parallelism = 0: must be 1..queue_depth (32)"},
    {parallelism_over_depth, "parallelism = 33: must be 1..queue_depth (32)"},
    {bad_depth, "queue_depth = 0: must be 1..65536"},
};

START_TEST(disk_validation_errors)
{
    g_autoptr(Sim) sim = sim_new(1);
    DiskParams p = preset("ssd");
    bad_disks[_i].mutate(&p);
    GError *err = NULL;
    Disk *d = disk_new(sim, &p, &err);
    ck_assert_msg(d == NULL, "case %d accepted, expected \"%s\"", _i, bad_disks[_i].expect);
    ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
    ck_assert_msg(strstr(err->message, bad_disks[_i].expect) != NULL,
                  "case %d: message \"%s\" lacks \"%s\"", _i, err->message, bad_disks[_i].expect);
    g_error_free(err);
    ck_assert(!disk_params_validate(&p, NULL));
}
END_TEST

START_TEST(disk_presets_known_and_unknown)
{
    int n = 0;
    for (const char *const *name = disk_preset_names(); *name; name++, n++) {
        DiskParams p;
        ck_assert_msg(disk_preset(*name, &p), "listed preset '%s' unknown", *name);
        GError *err = NULL;
        ck_assert_msg(disk_params_validate(&p, &err), "preset '%s' invalid: %s", *name,
                      err ? err->message : "");
    }
    ck_assert_int_eq(n, 3);
    DiskParams p = {.parallelism = -7};
    ck_assert(!disk_preset("floppy", &p));
    ck_assert(!disk_preset(NULL, &p));
    ck_assert_int_eq(p.parallelism, -7);
    /* Edges that are valid: zero latency, parallelism equal to the depth. */
    p = preset("hdd");
    p.seq_read_latency_s = 0;
    p.parallelism = p.queue_depth;
    ck_assert(disk_params_validate(&p, NULL));
}
END_TEST

/* --------------------------------------------------------------- NIC */

static Nic *make_nic(Sim *sim, double rate_bps, unsigned mtu)
{
    NicParams np = {.rate_bps = rate_bps, .mtu = mtu};
    GError *err = NULL;
    Nic *n = nic_new(sim, &np, &err);
    ck_assert_msg(n != NULL, "nic_new failed: %s", err ? err->message : "(no error)");
    return n;
}

typedef struct {
    int n;
    NicXfer last;
    SimTime prev_completed;
    bool fifo_ok;
} NicLog;

static void nic_log(Nic *nic, NicDir dir, const NicXfer *x, void *data)
{
    (void)nic;
    (void)dir;
    NicLog *l = data;
    /* Back to back: each message starts when the one before it ended. */
    if (l->n > 0 && x->started != MAX(x->submitted, l->prev_completed))
        l->fifo_ok = false;
    l->prev_completed = x->completed;
    l->last = *x;
    l->n++;
}

START_TEST(nic_back_to_back_goodput)
{
    const double rates[] = {1e9, 10e9};
    for (gsize r = 0; r < G_N_ELEMENTS(rates); r++) {
        g_autoptr(Sim) sim = sim_new(1);
        g_autoptr(Nic) nic = make_nic(sim, rates[r], 0);
        enum { N = 1000 };
        NicLog log = {.fifo_ok = true};
        for (int i = 0; i < N; i++)
            nic_tx(nic, 1500, nic_log, &log);
        sim_run(sim, SIM_TIME_MAX);
        ck_assert_int_eq(log.n, N);
        ck_assert(log.fifo_ok);
        /* 1538 bytes = 12304 bits per frame; at 10 Gb/s that is 1230.4 ns,
         * which per-frame rounding would turn into 1230 or 1231. */
        SimTime want = (SimTime)llround(N * 12304.0 * 1e9 / rates[r]);
        ck_assert_msg(log.last.completed == want,
                      "%g b/s: last frame at %" PRId64 " ns, want %" PRId64, rates[r],
                      log.last.completed, want);
        double got = N * 1500.0 * 8.0 / sim_time_to_s(log.last.completed);
        double closed = rates[r] * 1500.0 / 1538.0;
        ck_assert_msg(rel_err(got, closed) < 1e-12, "goodput %.3f b/s, closed form %.3f b/s", got,
                      closed);
        NicParams np = {.rate_bps = rates[r]};
        ck_assert_msg(rel_err(nic_max_goodput_bps(&np, 1500), closed) < 1e-15,
                      "helper gives %.3f b/s, want %.3f", nic_max_goodput_bps(&np, 1500), closed);
        NicStats st;
        nic_stats(nic, NIC_TX, &st);
        ck_assert_uint_eq(st.frames, N);
        ck_assert_uint_eq(st.payload_bytes, (uint64_t)N * 1500);
        ck_assert_uint_eq(st.wire_bytes, (uint64_t)N * 1538);
        ck_assert_int_eq(st.busy, log.last.completed);
        ck_assert_int_eq(st.queued, 0);
    }
}
END_TEST

START_TEST(nic_framing_64k)
{
    g_autoptr(Sim) sim = sim_new(1);
    g_autoptr(Nic) nic = make_nic(sim, 1e9, 0);
    NicLog log = {.fifo_ok = true};
    nic_tx(nic, 64 * KIB, nic_log, &log);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 1);
    /* 65536 = 43 * 1500 + 1036: 43 * 1538 + (1036 + 38) = 67208 wire bytes,
     * 537664 bits, 537664 ns at 1 Gb/s. */
    ck_assert_uint_eq(log.last.frames, 44);
    ck_assert_uint_eq(log.last.wire_bytes, 67208);
    ck_assert_msg(log.last.completed == 537664, "64 KiB on the wire at %" PRId64 " ns, want 537664",
                  log.last.completed);

    uint64_t frames;
    ck_assert_uint_eq(nic_wire_bytes(0, 0, &frames), 84); /* one padded minimum frame */
    ck_assert_uint_eq(frames, 1);
    ck_assert_uint_eq(nic_wire_bytes(0, 46, NULL), 84);
    ck_assert_uint_eq(nic_wire_bytes(0, 47, NULL), 85);
    ck_assert_uint_eq(nic_wire_bytes(0, 1500, &frames), 1538);
    ck_assert_uint_eq(frames, 1);
    ck_assert_uint_eq(nic_wire_bytes(0, 1501, &frames), 1538 + 84);
    ck_assert_uint_eq(frames, 2);
    ck_assert_uint_eq(nic_wire_bytes(9000, 9000, NULL), 9038);
}
END_TEST

START_TEST(nic_full_duplex)
{
    g_autoptr(Sim) sim = sim_new(1);
    g_autoptr(Nic) nic = make_nic(sim, 1e9, 0);
    enum { N = 100 };
    NicLog tx = {.fifo_ok = true}, rx = {.fifo_ok = true};
    for (int i = 0; i < N; i++) {
        nic_tx(nic, 1500, nic_log, &tx);
        nic_rx(nic, 1500, nic_log, &rx);
    }
    sim_run(sim, SIM_TIME_MAX);
    /* Each direction takes exactly what it would alone. */
    ck_assert_int_eq(tx.last.completed, N * 12304);
    ck_assert_int_eq(rx.last.completed, N * 12304);
    NicStats st[2];
    nic_stats(nic, NIC_TX, &st[0]);
    nic_stats(nic, NIC_RX, &st[1]);
    for (int dir = 0; dir < 2; dir++) {
        ck_assert_uint_eq(st[dir].frames, N);
        ck_assert_int_eq(st[dir].busy, N * 12304);
    }

    /* An idle gap is not busy time, and a frame sent after it starts then. */
    SimTime t1 = sim_now(sim) + SIM_MS;
    sim_run(sim, t1);
    nic_tx(nic, 1500, nic_log, &tx);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(tx.last.started, t1);
    ck_assert_int_eq(tx.last.completed, t1 + 12304);
    nic_stats(nic, NIC_TX, &st[0]);
    ck_assert_msg(st[0].busy == (N + 1) * 12304, "tx busy %" PRId64 " ns, want %d", st[0].busy,
                  (N + 1) * 12304);
    ck_assert_msg(st[0].busy <= sim_now(sim), "busy %" PRId64 " > elapsed %" PRId64, st[0].busy,
                  sim_now(sim));
}
END_TEST

START_TEST(nic_validation)
{
    g_autoptr(Sim) sim = sim_new(1);
    const struct {
        NicParams p;
        const char *expect;
    } bad[] = {
        {{.rate_bps = 0}, "rate_bps = 0: must be > 0 and finite"},
        {{.rate_bps = NAN}, "rate_bps = nan"},
        {{.rate_bps = 1e9, .mtu = 45}, "mtu = 45 bytes: must be 46..65535"},
        {{.rate_bps = 1e9, .mtu = 70000}, "mtu = 70000 bytes"},
    };
    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        GError *err = NULL;
        ck_assert_ptr_null(nic_new(sim, &bad[i].p, &err));
        ck_assert(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT));
        ck_assert_msg(strstr(err->message, bad[i].expect) != NULL, "message \"%s\" lacks \"%s\"",
                      err->message, bad[i].expect);
        g_error_free(err);
    }
    g_autoptr(Nic) nic = make_nic(sim, 1e9, 0);
    ck_assert_uint_eq(nic_mtu(nic), NIC_DEFAULT_MTU);
}
END_TEST

START_TEST(nic_free_with_pending)
{
    g_autoptr(Sim) sim = sim_new(1);
    Nic *nic = make_nic(sim, 1e9, 0);
    NicLog log = {.fifo_ok = true};
    for (int i = 0; i < 10; i++)
        nic_rx(nic, 1500, nic_log, &log);
    sim_run(sim, 3 * 12304);
    ck_assert_int_eq(log.n, 3);
    nic_free(nic);
    sim_run(sim, SIM_TIME_MAX);
    ck_assert_int_eq(log.n, 3);
}
END_TEST

static Suite *device_suite(void)
{
    Suite *s = suite_create("device");
    TCase *tc = tcase_create("disk");
    tcase_add_test(tc, disk_single_op_closed_form);
    tcase_add_test(tc, disk_zero_byte_op_costs_latency_only);
    tcase_add_test(tc, disk_sequential_stream_qd1);
    tcase_add_loop_test(tc, disk_steady_iops_match_datasheet, 0, (int)G_N_ELEMENTS(iops_cases));
    tcase_add_loop_test(tc, disk_burst_iops_match_synchronized_closed_form, 0,
                        (int)G_N_ELEMENTS(iops_cases));
    tcase_add_loop_test(tc, disk_sequential_large_blocks_reach_bandwidth, 0,
                        (int)G_N_ELEMENTS(seq_cases));
    tcase_add_test(tc, disk_bandwidth_sharing);
    tcase_add_test(tc, disk_queue_depth_fifo);
    tcase_add_test(tc, disk_conservation_and_littles_law);
    tcase_add_test(tc, disk_free_with_pending_ops);
    tcase_add_test(tc, disk_rotational_latency_uniform);
    tcase_add_loop_test(tc, disk_latency_gamma_mean_and_cov, 0, (int)G_N_ELEMENTS(cov_cases));
    tcase_add_test(tc, disk_latency_cov_zero_is_deterministic);
    tcase_add_test(tc, disk_latency_mg1_pollaczek_khinchine);
    tcase_add_loop_test(tc, disk_validation_errors, 0, (int)G_N_ELEMENTS(bad_disks));
    tcase_add_test(tc, disk_presets_known_and_unknown);
    suite_add_tcase(s, tc);

    tc = tcase_create("nic");
    tcase_add_test(tc, nic_back_to_back_goodput);
    tcase_add_test(tc, nic_framing_64k);
    tcase_add_test(tc, nic_full_duplex);
    tcase_add_test(tc, nic_validation);
    tcase_add_test(tc, nic_free_with_pending);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(device_suite());
}
