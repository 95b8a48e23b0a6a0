/* A synthetic clusterdata-2011-2 trace.
 *
 * Format: the three tables of "Google cluster-usage traces: format + schema"
 * (Reiss and Wilkes, 2011.10.27) with the 20-column task_usage of version
 * 2.1, in the trace's layout TABLE/part-NNNNN-of-MMMMM.csv.gz, each shard
 * covering one slice of the window and sorted by time.  Quirks of the real
 * trace are kept: machines and the tasks already running when the trace
 * starts have events at time 0 ("before the window"), the window starts at
 * 600 s, a SUBMIT has no machine ID and missing info is empty, job IDs are
 * above 2^32, resources are normalised to the largest machine.
 *
 * Shapes (docs/TRACES.md has the same table):
 *  - Machine capacity classes: the ten (platform, CPUs, memory) classes of
 *    the 2011 trace and their machine counts, Reiss et al., "Heterogeneity
 *    and dynamicity of clouds at scale: Google trace analysis", SoCC 2012,
 *    table 1 (53% of machines 0.5 CPU / 0.5 memory, 31% 0.5 / 0.25, ...).
 *  - Heterogeneous, heavy-tailed task durations: most jobs are short batch
 *    jobs, while a few long-running (mostly production-priority) jobs run
 *    through the whole trace and hold most of the resources (Reiss et al.
 *    2012, job durations).  We use lognormals whose medians and spreads are our
 *    estimates, not fitted values.
 *  - Priority bands free (0-1), middle (2-8), production (9-11) with
 *    production jobs few but long (Reiss et al. 2012; the band
 *    names from ClusterData2011_2.md).  Per-priority shares: our estimate.
 *  - Usage far below request: CPU usage is a small fraction of the CPU
 *    request for most tasks, memory usage closer to its request (Reiss et
 *    al. 2012, requests vs usage).  Fractions: our estimate.
 *  - Load: TASKS_PER_MACHINE running tasks per machine on average, our
 *    estimate of the trace's density (from our recollection of the
 *    task_usage table's size, about 1.2 billion rows over 29 days, 8,352
 *    periods of 300 s and 12.5k machines: ~12 rows per machine per period;
 *    not verified here).
 *  - One task_usage row per running task per 300 s measurement period
 *    (schema document, "Resource usage"), cut at the task's start and end.
 * Not modelled (cut for time): machine removals and updates during the
 * window, evicted tasks being resubmitted, placement constraints,
 * job_events / machine_attributes / task_constraints tables. */
#include "sim/gtrace_gen.h"

#include <errno.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "sim/sim_error.h"
#include "sim/sim_rng.h"

#define US_PER_S INT64_C(1000000)
#define TASKS_PER_MACHINE 10.0
/* Share of the running tasks that already run when the trace starts. */
#define INITIAL_SHARE 0.4
/* Distinct users (the 2011 trace has about 930; our round number). */
#define N_USERS 1000
/* First job ID: the trace's job IDs are 64-bit values above 2^32. */
#define FIRST_JOB_ID UINT64_C(6000000000)
/* deflate level 1: about 3x faster than the default 6 for 10-15% more
 * bytes; any level reads the same. */
#define GZIP_MODE "wb1"
#define OUT_BUFFER_BYTES (256u << 10)

/* Reiss et al. 2012, table 1: machines by platform, CPUs and memory
 * (normalised to the largest machine). */
static const struct {
    char platform;
    double cpus, memory;
    double machines;
} machine_classes[] = {
    {'B', 0.50, 0.50, 6732}, {'B', 0.50, 0.25, 3863}, {'B', 0.50, 0.75, 1001},
    {'C', 1.00, 1.00, 795},  {'A', 0.25, 0.25, 126},  {'B', 0.50, 0.12, 52},
    {'B', 0.50, 0.03, 5},    {'B', 0.50, 0.97, 5},    {'C', 1.00, 0.50, 3},
    {'B', 0.50, 0.06, 1},
};

/* Job shares by priority 0..11 (bands: Reiss et al. 2012; shares: our
 * estimate, batch-heavy with few production jobs). */
static const double priority_share[12] = {0.25, 0.05, 0.10, 0.02, 0.40, 0.03,
                                          0.02, 0.01, 0.02, 0.07, 0.02, 0.01};

typedef struct {
    uint64_t id;
    double cpus, memory;
    double alloc_cpu; /* requested CPU of the tasks placed here */
    int cls;
} GMachine;

typedef struct {
    uint64_t job_id;
    uint32_t index;
    uint32_t machine;
    uint32_t user;
    uint32_t run_pos;
    int64_t sched_us;
    int64_t end_us; /* INT64_MAX: runs past the window */
    float cpu_req, mem_req, disk_req;
    float cpu_frac, mem_frac, cpi, mai;
    uint8_t priority, sched_class, end_type, diff_machines;
    bool ended;
} GTask;

typedef struct {
    int64_t time;
    uint64_t seq;
    uint32_t task;
    uint8_t type; /* a GTRACE_TASK_* event type */
} GEvent;

typedef struct {
    int64_t start, end;
    uint64_t job_id;
    uint32_t index;
    uint32_t task;
} GUsage;

/* One table's shards, written one at a time in time order. */
typedef struct {
    GtraceTable table;
    char *dir;
    unsigned n;
    int cur; /* open shard, -1 before the first */
    gzFile gz;
    char *tmp_path, *final_path;
    char *buf;
    size_t len;
    bool gzip;
} TableOut;

typedef struct {
    const GtraceGenOptions *o;
    gsl_rng *rng_machines, *rng_jobs, *rng_usage;
    GMachine *machines;
    size_t n_machines;
    char platform_hash[3][48];
    char (*user_hash)[48];
    GTask *tasks;
    size_t n_tasks, cap_tasks;
    uint32_t *free_ids;
    size_t n_free, cap_free;
    uint32_t *running;
    size_t n_running, cap_running;
    GEvent *heap; /* future SCHEDULE and END events */
    size_t heap_len, heap_cap;
    GEvent *win;
    size_t win_len, win_cap;
    GUsage *usage;
    size_t usage_cap;
    uint64_t seq;
    uint64_t next_job_id;
    int64_t t0, t_end, span;
    TableOut out[GTRACE_N_TABLES];
    GtraceCounts *counts;
    GError *err;
} Gen;

/* ---- Output ------------------------------------------------------------- */

static char *shard_name(unsigned k, unsigned n, bool gzip)
{
    return g_strdup_printf("part-%05u-of-%05u.csv%s", k, n, gzip ? ".gz" : "");
}

static bool out_flush(Gen *g, TableOut *t)
{
    if (t->len == 0 || g->err)
        return !g->err;
    if (gzwrite(t->gz, t->buf, (unsigned)t->len) != (int)t->len) {
        int zerr;
        const char *msg = gzerror(t->gz, &zerr);
        g_set_error(&g->err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: write failed: %s", t->tmp_path,
                    zerr == Z_ERRNO ? g_strerror(errno) : msg);
        return false;
    }
    t->len = 0;
    return true;
}

static bool out_close_shard(Gen *g, TableOut *t)
{
    if (t->cur < 0 || !t->gz)
        return !g->err;
    bool ok = out_flush(g, t);
    if (gzclose(t->gz) != Z_OK && ok) {
        g_set_error(&g->err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: cannot finish writing: %s",
                    t->tmp_path, g_strerror(errno));
        ok = false;
    }
    t->gz = NULL;
    if (ok && rename(t->tmp_path, t->final_path) != 0) {
        g_set_error(&g->err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot rename %s to %s: %s",
                    t->tmp_path, t->final_path, g_strerror(errno));
        ok = false;
    }
    if (!ok)
        remove(t->tmp_path);
    g_clear_pointer(&t->tmp_path, g_free);
    g_clear_pointer(&t->final_path, g_free);
    return ok;
}

static bool out_open_shard(Gen *g, TableOut *t, unsigned k)
{
    g_autofree char *name = shard_name(k, t->n, t->gzip);
    t->final_path = g_build_filename(t->dir, name, NULL);
    t->tmp_path = g_strconcat(t->final_path, ".tmp.gen", NULL);
    t->gz = gzopen(t->tmp_path, t->gzip ? GZIP_MODE : "wbT");
    if (!t->gz) {
        g_set_error(&g->err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "%s: cannot create: %s", t->tmp_path,
                    g_strerror(errno));
        return false;
    }
    gzbuffer(t->gz, 1u << 20);
    t->cur = (int)k;
    return true;
}

/* Moves to shard k (never backwards), creating the empty shards between. */
static bool out_seek_shard(Gen *g, TableOut *t, unsigned k)
{
    while (t->cur < (int)k) {
        if (!out_close_shard(g, t) || !out_open_shard(g, t, (unsigned)(t->cur + 1)))
            return false;
    }
    return true;
}

/* The shard of a row at time us: equal slices of the window, time 0 in the
 * first. */
static unsigned shard_of(const Gen *g, const TableOut *t, int64_t us)
{
    if (us < g->t0 || t->n == 1)
        return 0;
    int64_t k = (us - g->t0) / ((g->span + t->n - 1) / t->n);
    return (unsigned)MIN(k, (int64_t)t->n - 1);
}

static void out_row(Gen *g, TableOut *t, int64_t time, const char *line, size_t len)
{
    if (g->err)
        return;
    unsigned k = shard_of(g, t, time);
    if ((int)k != t->cur) {
        if (!out_flush(g, t) || !out_seek_shard(g, t, k))
            return;
    }
    if (t->len + len > OUT_BUFFER_BYTES && !out_flush(g, t))
        return;
    memcpy(t->buf + t->len, line, len);
    t->len += len;
    g->counts->rows[t->table]++;
    gtrace_counts_note_time(g->counts, time);
}

/* ---- Fast formatting (printf costs more than the rest of a row) --------- */

static char *fmt_u64(char *p, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* p10[i] = 10^(i - 6) */
static const double p10[] = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1e0, 1e1,
                             1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8, 1e9};

/* v with 4 significant digits as printf's %.4g writes it, which is how the
 * trace's values look ("0.06787", "2.445", "2.861e-06"); values below 1e-6
 * print as 0. */
static char *fmt_g4(char *p, double v)
{
    if (!(v >= 1e-6)) {
        *p++ = '0';
        return p;
    }
    if (v >= 1e5)
        return p + sprintf(p, "%.0f", v);
    int e = -6; /* 10^e <= v < 10^(e+1) */
    while (e < 4 && v >= p10[e + 7])
        e++;
    /* m in [1000, 9999]: v = m * 10^(e-3) */
    uint32_t m = (uint32_t)(v * p10[3 - e + 6] + 0.5);
    if (m >= 10000) {
        m = (m + 5) / 10;
        e++;
    }
    char d[4] = {(char)('0' + m / 1000), (char)('0' + m / 100 % 10), (char)('0' + m / 10 % 10),
                 (char)('0' + m % 10)};
    int last = 3;
    if (e >= 0) {
        int ip = e + 1; /* integer digits */
        for (int i = 0; i < ip; i++)
            *p++ = i < 4 ? d[i] : '0';
        while (last >= ip && d[last] == '0')
            last--;
        if (last >= ip) {
            *p++ = '.';
            for (int i = ip; i <= last; i++)
                *p++ = d[i];
        }
    } else if (e < -4) {
        /* %g's exponent form, as the trace prints 2.861e-06. */
        while (last > 0 && d[last] == '0')
            last--;
        *p++ = d[0];
        if (last > 0) {
            *p++ = '.';
            for (int i = 1; i <= last; i++)
                *p++ = d[i];
        }
        *p++ = 'e';
        *p++ = '-';
        *p++ = '0';
        *p++ = (char)('0' - e);
    } else {
        *p++ = '0';
        *p++ = '.';
        for (int i = 0; i < -e - 1; i++)
            *p++ = '0';
        while (last > 0 && d[last] == '0')
            last--;
        for (int i = 0; i <= last; i++)
            *p++ = d[i];
    }
    return p;
}

/* ---- Model -------------------------------------------------------------- */

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static double lognormal_median(gsl_rng *r, double median, double sigma)
{
    return median * exp(sigma * gsl_ran_gaussian_ziggurat(r, 1.0));
}

static int pick_weighted(gsl_rng *r, const double *w, int n, size_t stride)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += *(const double *)((const char *)w + i * stride);
    double u = gsl_rng_uniform(r) * total;
    for (int i = 0; i < n; i++) {
        u -= *(const double *)((const char *)w + i * stride);
        if (u < 0)
            return i;
    }
    return n - 1;
}

typedef struct {
    int priority, sched_class, n_tasks, diff_machines;
    uint32_t user;
    double duration_s; /* median of the job's task durations; INFINITY: service */
    double cpu_req, mem_req, disk_req, cpu_frac, mem_frac;
} JobDraw;

/* One job.  production forces a production priority (the jobs already
 * running when the trace starts). */
static void draw_job(gsl_rng *r, bool production, double horizon_s, JobDraw *j)
{
    j->priority = production ? 9 + pick_weighted(r, priority_share + 9, 3, sizeof(double))
                             : pick_weighted(r, priority_share, 12, sizeof(double));
    bool prod = j->priority >= 9;
    j->sched_class = prod ? (gsl_rng_uniform(r) < 0.6 ? 2 : 3) : (gsl_rng_uniform(r) < 0.6 ? 0 : 1);
    /* Tasks per job: three quarters single-task, the rest a Pareto tail
     * (alpha 1.1) capped at 1000 tasks; our estimate of the shape of Reiss
     * et al. 2012's job-size CDF. */
    if (gsl_rng_uniform(r) < 0.75)
        j->n_tasks = 1;
    else
        j->n_tasks = 1 + (int)MIN(999.0, gsl_ran_pareto(r, 1.1, 1.0));
    j->user = (uint32_t)(N_USERS * pow(gsl_rng_uniform(r), 3.0));
    j->diff_machines = gsl_rng_uniform(r) < 0.05;
    /* Durations: services run through the window; other production jobs
     * last hours; batch jobs minutes, with a heavy tail (lognormal sigma
     * 1.8: 1% of batch jobs run 60x the median). */
    if (prod && gsl_rng_uniform(r) < 0.6)
        j->duration_s = INFINITY;
    else if (prod)
        j->duration_s = lognormal_median(r, 2 * 3600.0, 1.5);
    else
        j->duration_s = lognormal_median(r, 360.0, 1.8);
    if (isfinite(j->duration_s))
        j->duration_s = clamp(j->duration_s, 5.0, horizon_s * 2);
    /* Requests, normalised to the largest machine: small (a few percent of
     * it), lognormal; our estimate. */
    j->cpu_req = clamp(lognormal_median(r, 0.025, 0.9), 0.0005, 0.5);
    j->mem_req = clamp(lognormal_median(r, 0.015, 1.0), 0.0002, 0.5);
    j->disk_req = clamp(lognormal_median(r, 0.0003, 1.0), 0.00001, 0.05);
    /* Mean usage as a fraction of the request: CPU mostly far below it
     * (mean 0.29), memory closer (mean 0.6); Reiss et al. 2012 (requests vs usage). */
    j->cpu_frac = gsl_ran_beta(r, 1.2, 3.0);
    j->mem_frac = gsl_ran_beta(r, 3.0, 2.0);
}

static double task_duration_s(gsl_rng *r, const JobDraw *j)
{
    if (!isfinite(j->duration_s))
        return INFINITY;
    return MAX(1.0, j->duration_s * exp(0.3 * gsl_ran_gaussian_ziggurat(r, 1.0)));
}

/* Mean task-seconds a new job adds inside a window of horizon_s, by Monte
 * Carlo on its own stream, to set the arrival rate by Little's law. */
static double mean_task_seconds(uint64_t seed, double horizon_s)
{
    g_autoptr(SimRngSet) set = sim_rng_set_new(seed);
    gsl_rng *r = sim_rng_stream(set, "gtrace.calibration");
    const int n = 20000;
    double total = 0;
    for (int i = 0; i < n; i++) {
        JobDraw j;
        draw_job(r, false, horizon_s, &j);
        double d = isfinite(j.duration_s) ? MIN(j.duration_s, horizon_s / 2) : horizon_s / 2;
        total += d * j.n_tasks;
    }
    return total / n;
}

/* ---- Tasks and events --------------------------------------------------- */

static uint32_t task_alloc(Gen *g)
{
    if (g->n_free)
        return g->free_ids[--g->n_free];
    if (g->n_tasks == g->cap_tasks) {
        g->cap_tasks = MAX(1024, g->cap_tasks * 2);
        g->tasks = g_renew(GTask, g->tasks, g->cap_tasks);
    }
    return (uint32_t)g->n_tasks++;
}

static void task_free(Gen *g, uint32_t id)
{
    if (g->n_free == g->cap_free) {
        g->cap_free = MAX(1024, g->cap_free * 2);
        g->free_ids = g_renew(uint32_t, g->free_ids, g->cap_free);
    }
    g->free_ids[g->n_free++] = id;
}

static bool ev_less(const GEvent *a, const GEvent *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void heap_push(Gen *g, int64_t time, uint32_t task, uint8_t type)
{
    if (g->heap_len == g->heap_cap) {
        g->heap_cap = MAX(1024, g->heap_cap * 2);
        g->heap = g_renew(GEvent, g->heap, g->heap_cap);
    }
    GEvent e = {time, g->seq++, task, type};
    size_t i = g->heap_len++;
    while (i > 0 && ev_less(&e, &g->heap[(i - 1) / 2])) {
        g->heap[i] = g->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    g->heap[i] = e;
}

static GEvent heap_pop(Gen *g)
{
    GEvent top = g->heap[0];
    GEvent last = g->heap[--g->heap_len];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = l;
        if (l >= g->heap_len)
            break;
        if (l + 1 < g->heap_len && ev_less(&g->heap[l + 1], &g->heap[l]))
            m = l + 1;
        if (!ev_less(&g->heap[m], &last))
            break;
        g->heap[i] = g->heap[m];
        i = m;
    }
    if (g->heap_len)
        g->heap[i] = last;
    return top;
}

static void win_add(Gen *g, int64_t time, uint32_t task, uint8_t type)
{
    if (g->win_len == g->win_cap) {
        g->win_cap = MAX(1024, g->win_cap * 2);
        g->win = g_renew(GEvent, g->win, g->win_cap);
    }
    g->win[g->win_len++] = (GEvent){time, g->seq++, task, type};
}

/* Power of two choices on requested CPU relative to capacity: close to the
 * balance of a packing scheduler at a fraction of the cost. */
static uint32_t place(Gen *g, double cpu_req)
{
    uint32_t a = (uint32_t)gsl_rng_uniform_int(g->rng_machines, g->n_machines);
    uint32_t b = (uint32_t)gsl_rng_uniform_int(g->rng_machines, g->n_machines);
    GMachine *ma = &g->machines[a], *mb = &g->machines[b];
    uint32_t m = ma->alloc_cpu / ma->cpus <= mb->alloc_cpu / mb->cpus ? a : b;
    g->machines[m].alloc_cpu += cpu_req;
    return m;
}

/* Creates a job's tasks submitted at t; schedules go to the heap, or run at
 * once for the jobs already running at time 0. */
static void add_job(Gen *g, int64_t t, bool initial, size_t *tasks_left)
{
    JobDraw j;
    draw_job(g->rng_jobs, initial, (double)g->span / US_PER_S, &j);
    if (initial && tasks_left)
        j.n_tasks = (int)MIN((size_t)j.n_tasks, *tasks_left);
    uint64_t job_id = g->next_job_id;
    g->next_job_id += 1 + gsl_rng_uniform_int(g->rng_jobs, 64);
    g->counts->jobs++;
    for (int i = 0; i < j.n_tasks; i++) {
        uint32_t id = task_alloc(g);
        GTask *k = &g->tasks[id];
        memset(k, 0, sizeof *k);
        k->job_id = job_id;
        k->index = (uint32_t)i;
        k->user = j.user;
        k->priority = (uint8_t)j.priority;
        k->sched_class = (uint8_t)j.sched_class;
        k->diff_machines = (uint8_t)j.diff_machines;
        k->cpu_req = (float)j.cpu_req;
        k->mem_req = (float)j.mem_req;
        k->disk_req = (float)j.disk_req;
        k->cpu_frac = (float)j.cpu_frac;
        k->mem_frac = (float)j.mem_frac;
        k->cpi = (float)lognormal_median(g->rng_jobs, 1.5, 0.3);
        k->mai = (float)lognormal_median(g->rng_jobs, 0.008, 0.5);
        double d = task_duration_s(g->rng_jobs, &j);
        /* Ends: our estimate of the mix of normal and abnormal ends. */
        double u = gsl_rng_uniform(g->rng_jobs);
        k->end_type = u < 0.60   ? GTRACE_TASK_FINISH
                      : u < 0.80 ? GTRACE_TASK_KILL
                      : u < 0.95 ? GTRACE_TASK_FAIL
                                 : GTRACE_TASK_EVICT;
        g->counts->tasks++;
        win_add(g, t, id, GTRACE_TASK_SUBMIT);
        if (initial) {
            /* Running since before the window: the remaining time is drawn
             * from the window start. */
            k->sched_us = 0;
            k->end_us = isfinite(d) ? g->t0 + (int64_t)(d * US_PER_S) : INT64_MAX;
            win_add(g, 0, id, GTRACE_TASK_SCHEDULE);
            k->machine = place(g, k->cpu_req);
            k->run_pos = (uint32_t)g->n_running;
            if (g->n_running == g->cap_running) {
                g->cap_running = MAX(1024, g->cap_running * 2);
                g->running = g_renew(uint32_t, g->running, g->cap_running);
            }
            g->running[g->n_running++] = id;
            if (k->end_us < g->t_end)
                heap_push(g, k->end_us, id, k->end_type);
        } else {
            /* Scheduling delay: seconds for most tasks, our estimate. */
            int64_t delay = (int64_t)(lognormal_median(g->rng_jobs, 2.0, 1.2) * US_PER_S) + 1;
            k->sched_us = t + delay;
            k->end_us = isfinite(d) ? k->sched_us + (int64_t)(d * US_PER_S) : INT64_MAX;
            heap_push(g, k->sched_us, id, GTRACE_TASK_SCHEDULE);
        }
    }
    if (tasks_left)
        *tasks_left -= (size_t)j.n_tasks;
}

static int cmp_event(const void *a, const void *b)
{
    const GEvent *x = a, *y = b;
    return ev_less(x, y) ? -1 : ev_less(y, x) ? 1 : 0;
}

static void write_task_event(Gen *g, const GEvent *e)
{
    const GTask *k = &g->tasks[e->task];
    char line[256], *p = line;
    p = fmt_u64(p, (uint64_t)e->time);
    *p++ = ',';
    *p++ = ','; /* missing info: empty (the record is not synthesised) */
    p = fmt_u64(p, k->job_id);
    *p++ = ',';
    p = fmt_u64(p, k->index);
    *p++ = ',';
    if (e->type != GTRACE_TASK_SUBMIT)
        p = fmt_u64(p, g->machines[k->machine].id);
    *p++ = ',';
    p = fmt_u64(p, e->type);
    *p++ = ',';
    memcpy(p, g->user_hash[k->user], 44);
    p += 44;
    *p++ = ',';
    p = fmt_u64(p, k->sched_class);
    *p++ = ',';
    p = fmt_u64(p, k->priority);
    *p++ = ',';
    p = fmt_g4(p, k->cpu_req);
    *p++ = ',';
    p = fmt_g4(p, k->mem_req);
    *p++ = ',';
    p = fmt_g4(p, k->disk_req);
    *p++ = ',';
    p = fmt_u64(p, k->diff_machines);
    *p++ = '\n';
    out_row(g, &g->out[GTRACE_TASK_EVENTS], e->time, line, (size_t)(p - line));
}

static int cmp_usage(const void *a, const void *b)
{
    const GUsage *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->job_id != y->job_id)
        return x->job_id < y->job_id ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void write_usage(Gen *g, const GUsage *u)
{
    const GTask *k = &g->tasks[u->task];
    gsl_rng *r = g->rng_usage;
    double cpu = k->cpu_req * k->cpu_frac * exp(0.3 * gsl_ran_gaussian_ziggurat(r, 1.0));
    double mem = k->mem_req * k->mem_frac * exp(0.05 * gsl_ran_gaussian_ziggurat(r, 1.0));
    double assigned = MAX(mem, k->mem_req * MIN(1.0, k->mem_frac * 1.15));
    double disk_io = cpu * 0.005;
    char line[320], *p = line;
    p = fmt_u64(p, (uint64_t)u->start);
    *p++ = ',';
    p = fmt_u64(p, (uint64_t)u->end);
    *p++ = ',';
    p = fmt_u64(p, k->job_id);
    *p++ = ',';
    p = fmt_u64(p, k->index);
    *p++ = ',';
    p = fmt_u64(p, g->machines[k->machine].id);
    const double vals[] = {
        cpu,                                                 /* CPU rate */
        mem,                                                 /* canonical memory */
        assigned,                                            /* assigned memory */
        mem * 0.01,                                          /* unmapped page cache */
        mem * 0.08,                                          /* total page cache */
        mem * 1.08,                                          /* maximum memory */
        disk_io,                                             /* disk I/O time */
        k->disk_req * 0.4,                                   /* local disk space */
        cpu * (1.2 + 1.5 * gsl_rng_uniform(r)),              /* maximum CPU rate */
        disk_io * 4,                                         /* maximum disk IO time */
        k->cpi * exp(0.1 * gsl_ran_gaussian_ziggurat(r, 1)), /* CPI */
        k->mai * exp(0.1 * gsl_ran_gaussian_ziggurat(r, 1)), /* MAI */
        1.0,                                                 /* sample portion */
    };
    for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
        *p++ = ',';
        p = fmt_g4(p, vals[i]);
    }
    *p++ = ',';
    *p++ = '0'; /* aggregation type */
    *p++ = ',';
    p = fmt_g4(p, cpu * exp(0.5 * gsl_ran_gaussian_ziggurat(r, 1.0))); /* sampled CPU */
    *p++ = '\n';
    out_row(g, &g->out[GTRACE_TASK_USAGE], u->start, line, (size_t)(p - line));
    gtrace_counts_note_end(g->counts, u->end);
}

static void run_remove(Gen *g, uint32_t id)
{
    GTask *k = &g->tasks[id];
    uint32_t last = g->running[--g->n_running];
    g->running[k->run_pos] = last;
    g->tasks[last].run_pos = k->run_pos;
    g->machines[k->machine].alloc_cpu -= k->cpu_req;
}

/* One measurement period [w, w_end): arrivals, events, usage rows. */
static void step_window(Gen *g, int64_t w, int64_t w_end, int64_t *next_arrival, double mean_gap_us)
{
    while (*next_arrival < w_end) {
        add_job(g, *next_arrival, false, NULL);
        *next_arrival += 1 + (int64_t)gsl_ran_exponential(g->rng_jobs, mean_gap_us);
    }
    while (g->heap_len && g->heap[0].time < w_end) {
        GEvent e = heap_pop(g);
        GTask *k = &g->tasks[e.task];
        if (e.type == GTRACE_TASK_SCHEDULE) {
            k->machine = place(g, k->cpu_req);
            k->run_pos = (uint32_t)g->n_running;
            if (g->n_running == g->cap_running) {
                g->cap_running = MAX(1024, g->cap_running * 2);
                g->running = g_renew(uint32_t, g->running, g->cap_running);
            }
            g->running[g->n_running++] = e.task;
            if (k->end_us < g->t_end)
                heap_push(g, k->end_us, e.task, k->end_type);
        } else {
            k->ended = true;
        }
        win_add(g, e.time, e.task, e.type);
    }
    qsort(g->win, g->win_len, sizeof *g->win, cmp_event);
    for (size_t i = 0; i < g->win_len; i++)
        write_task_event(g, &g->win[i]);
    g->win_len = 0;

    if (g->usage_cap < g->n_running) {
        g->usage_cap = g->n_running * 2;
        g->usage = g_renew(GUsage, g->usage, g->usage_cap);
    }
    size_t n = 0;
    for (size_t i = 0; i < g->n_running; i++) {
        const GTask *k = &g->tasks[g->running[i]];
        int64_t s = MAX(w, k->sched_us), e = MIN(w_end, k->end_us);
        if (e > s)
            g->usage[n++] = (GUsage){s, e, k->job_id, k->index, g->running[i]};
    }
    qsort(g->usage, n, sizeof *g->usage, cmp_usage);
    for (size_t i = 0; i < n; i++)
        write_usage(g, &g->usage[i]);
    for (size_t i = 0; i < g->n_running;) {
        uint32_t id = g->running[i];
        if (g->tasks[id].ended) {
            run_remove(g, id);
            task_free(g, id);
        } else {
            i++;
        }
    }
}

static void hash_name(const char *name, char out[48])
{
    /* STRING_HASH values in the trace are base64 SHA-256 digests (44
     * characters); ours hash a made-up name the same way. */
    guint8 digest[32];
    gsize len = sizeof digest;
    g_autoptr(GChecksum) c = g_checksum_new(G_CHECKSUM_SHA256);
    g_checksum_update(c, (const guchar *)name, strlen(name));
    g_checksum_get_digest(c, digest, &len);
    g_autofree char *b64 = g_base64_encode(digest, len);
    g_strlcpy(out, b64, 48);
}

static void write_machines(Gen *g)
{
    TableOut *t = &g->out[GTRACE_MACHINE_EVENTS];
    for (size_t i = 0; i < g->n_machines; i++) {
        const GMachine *m = &g->machines[i];
        char line[160], *p = line;
        *p++ = '0'; /* present when the trace starts */
        *p++ = ',';
        p = fmt_u64(p, m->id);
        *p++ = ',';
        *p++ = '0' + GTRACE_MACHINE_ADD;
        *p++ = ',';
        memcpy(p, g->platform_hash[machine_classes[m->cls].platform - 'A'], 44);
        p += 44;
        *p++ = ',';
        p = fmt_g4(p, m->cpus);
        *p++ = ',';
        p = fmt_g4(p, m->memory);
        *p++ = '\n';
        out_row(g, t, 0, line, (size_t)(p - line));
    }
}

static bool make_dirs(Gen *g)
{
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        TableOut *o = &g->out[t];
        o->table = (GtraceTable)t;
        o->dir = g_build_filename(g->o->out_dir, gtrace_table_name((GtraceTable)t), NULL);
        o->n = t == GTRACE_MACHINE_EVENTS ? 1 : g->o->shards;
        o->cur = -1;
        o->gzip = g->o->gzip;
        o->buf = g_malloc(OUT_BUFFER_BYTES);
        if (g_mkdir_with_parents(o->dir, 0755) != 0) {
            g_set_error(&g->err, DOM0SIM_ERROR, DOM0SIM_ERROR_IO, "cannot create %s: %s", o->dir,
                        g_strerror(errno));
            return false;
        }
        g->counts->present[t] = true;
        g->counts->files[t] = o->n;
    }
    return true;
}

static void gen_free(Gen *g)
{
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        TableOut *o = &g->out[t];
        if (o->gz) {
            gzclose(o->gz);
            remove(o->tmp_path);
        }
        g_free(o->tmp_path);
        g_free(o->final_path);
        g_free(o->dir);
        g_free(o->buf);
    }
    g_free(g->machines);
    g_free(g->user_hash);
    g_free(g->tasks);
    g_free(g->free_ids);
    g_free(g->running);
    g_free(g->heap);
    g_free(g->win);
    g_free(g->usage);
}

gboolean gtrace_gen(const GtraceGenOptions *o, GtraceCounts *counts, GError **err)
{
    g_return_val_if_fail(o->machines >= 1 && o->days > 0 && o->shards >= 1, FALSE);
    memset(counts, 0, sizeof *counts);
    g_autoptr(SimRngSet) rngs = sim_rng_set_new(o->seed);
    Gen g = {0};
    g.o = o;
    g.counts = counts;
    g.rng_machines = sim_rng_stream(rngs, "gtrace.machines");
    g.rng_jobs = sim_rng_stream(rngs, "gtrace.jobs");
    g.rng_usage = sim_rng_stream(rngs, "gtrace.usage");
    g.t0 = GTRACE_WINDOW_START_US;
    g.span = MAX((int64_t)1, (int64_t)llround(o->days * 86400.0 * US_PER_S));
    g.t_end = g.t0 + g.span;
    g.next_job_id = FIRST_JOB_ID;
    if (!make_dirs(&g))
        goto out;

    for (int p = 0; p < 3; p++) {
        char name[32];
        snprintf(name, sizeof name, "dom0sim-platform-%c", 'A' + p);
        hash_name(name, g.platform_hash[p]);
    }
    g.user_hash = g_malloc(sizeof(char[48]) * N_USERS);
    for (int u = 0; u < N_USERS; u++) {
        char name[32];
        snprintf(name, sizeof name, "dom0sim-user-%d", u);
        hash_name(name, g.user_hash[u]);
    }

    /* Machines: IDs increasing with random gaps, like the trace's sparse
     * 64-bit IDs; classes drawn by table 1's machine counts. */
    g.n_machines = o->machines;
    g.machines = g_new0(GMachine, g.n_machines);
    uint64_t id = 1000000;
    for (size_t i = 0; i < g.n_machines; i++) {
        id += 1 + gsl_rng_uniform_int(g.rng_machines, 500000);
        int c = pick_weighted(g.rng_machines, &machine_classes[0].machines,
                              (int)G_N_ELEMENTS(machine_classes), sizeof machine_classes[0]);
        g.machines[i] = (GMachine){id, machine_classes[c].cpus, machine_classes[c].memory, 0, c};
    }
    write_machines(&g);

    /* The jobs running when the trace starts: their events are at time 0. */
    size_t initial = (size_t)llround(INITIAL_SHARE * TASKS_PER_MACHINE * (double)g.n_machines);
    while (initial > 0)
        add_job(&g, 0, true, &initial);
    qsort(g.win, g.win_len, sizeof *g.win, cmp_event);
    for (size_t i = 0; i < g.win_len; i++)
        write_task_event(&g, &g.win[i]);
    g.win_len = 0;

    /* New jobs: a Poisson process whose rate keeps the other (1 -
     * INITIAL_SHARE) of TASKS_PER_MACHINE running (Little's law). */
    double horizon_s = (double)g.span / US_PER_S;
    double jobs_per_s = (1 - INITIAL_SHARE) * TASKS_PER_MACHINE * (double)g.n_machines /
                        mean_task_seconds(o->seed, horizon_s);
    double mean_gap_us = 1e6 / jobs_per_s;
    int64_t next_arrival = g.t0 + (int64_t)gsl_ran_exponential(g.rng_jobs, mean_gap_us);
    for (int64_t w = g.t0; w < g.t_end && !g.err; w += GTRACE_USAGE_PERIOD_US)
        step_window(&g, w, MIN(w + GTRACE_USAGE_PERIOD_US, g.t_end), &next_arrival, mean_gap_us);

    /* Every shard exists, even a slice without rows. */
    for (int t = 0; t < GTRACE_N_TABLES && !g.err; t++) {
        TableOut *to = &g.out[t];
        if (out_flush(&g, to) && out_seek_shard(&g, to, to->n - 1))
            out_close_shard(&g, to);
    }
    counts->machines = g.n_machines;
out:;
    gboolean ok = g.err == NULL;
    if (!ok)
        g_propagate_error(err, g.err);
    gen_free(&g);
    return ok;
}
