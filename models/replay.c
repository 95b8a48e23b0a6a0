#include "models/replay.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/gtrace.h"
#include "sim/sim_error.h"

#define MAX_SOCKETS 64
#define DIMS 2 /* milli-cores, MiB */

typedef struct {
    uint64_t job;
    uint64_t index;
} TaskKey;

typedef struct RHost RHost;

typedef struct {
    TaskKey key;
    RHost *host;
    int socket;
    bool charged;         /* req[] is counted in the host's used[] */
    uint64_t req[DIMS];   /* requested milli-cores and MiB */
    double req_mem_gib;   /* for lifecycle costs */
    double cpu;           /* cores used now */
    double io;            /* disk I/O time now, s/s */
    double d;             /* dom0 cores it causes now (reference, local) */
    int64_t usage_end_us; /* end of the usage row in force */
} RTask;

/* One host's contribution to the cluster's figures at an instant. */
typedef ReplayFigures Fig;

struct RHost {
    uint64_t machine_id;
    int index;
    bool online;
    int cores_per_socket;
    uint64_t mem_per_socket_mb;
    PolicyDom0Size dom0;
    PolicyRatePlacement io_place, own_place, op_place;
    uint64_t cap[MAX_SOCKETS * DIMS];
    uint64_t used[MAX_SOCKETS * DIMS];
    int nf_open; /* next fit's open socket */
    bool dirty;  /* changed since last evaluated */
    int n_tasks;
    int n_backends_main; /* guests whose back ends the main container holds */
    double main_io;      /* guest work in the main container, NUMA-weighted */
    double main_io_raw;  /* the same at reference cost (what the guests asked for) */
    double sec_io;       /* guest work on the guests' sockets */
    double ops_main;     /* lifecycle operations running in the main container */
    double ops_sec;
    double guest_cpu;
    Fig last; /* what it adds to the cluster's sums now */
    /* The main container's size now: the policy's boot size, or for a
     * resizing policy (elastic) what it last decided, carried out. */
    int vcpus_now, vcpus_target;
    uint64_t mem_now, mem_target;           /* bytes */
    SimTime last_vcpu_resize, last_balloon; /* decisions; -1: none */
    double demand_area;                     /* main demand since the last period, cores x ns */
    SimTime demand_since;                   /* up to when demand_area is integrated */
};

typedef struct {
    int64_t end_us;
    GArray *keys; /* TaskKey */
    struct Replay *r;
} Expiry;

/* Something under way on a host: dom0 CPU work (one core busy until it
 * ends), or a resize that takes effect when it ends. */
typedef enum { OP_WORK, OP_PLUG, OP_BALLOON } OpKind;

typedef struct {
    RHost *host;
    OpKind kind;
    double cores;       /* OP_WORK */
    bool main;          /* OP_WORK: in the main container */
    int vcpus;          /* OP_PLUG: online when it ends */
    uint64_t mem_bytes; /* OP_BALLOON: memory when it ends */
    struct Replay *r;
} Op;

struct Replay {
    Sim *sim;
    ReplayConfig cfg;
    HostConfig tmpl;
    char *dir;
    NumaHost *numa; /* the template's distances */
    int sockets;
    double tmpl_cores;                       /* all sockets */
    double tmpl_mem_mb;                      /* all sockets */
    double factor[MAX_SOCKETS][MAX_SOCKETS]; /* dom0 socket x guest socket */
    double agent_cores;
    double smallest_cores, smallest_mb; /* NAN: unknown */

    GtraceReader *rd[GTRACE_N_TABLES];
    GtraceRow peek[GTRACE_N_TABLES];
    bool has_peek[GTRACE_N_TABLES];
    GError *error;

    GPtrArray *hosts;       /* RHost * (owned) */
    GHashTable *host_by_id; /* machine id -> RHost */
    GHashTable *tasks;      /* TaskKey -> RTask (owned) */
    GHashTable *expiries;   /* end_us -> Expiry */
    Expiry *last_expiry;    /* the one the previous usage row joined */
    GPtrArray *dirty;       /* RHost * changed at this instant */
    GHashTable *ops;        /* Op * under way (owned: freed when done or with the replay) */
    int64_t end_us;         /* trace time of the horizon */

    Fig sum;  /* now */
    Fig area; /* since 0, unit x ns */
    Fig bin;  /* since the last sample, unit x ns */
    SimTime last_t, bin_start;
    double bin_min_smallest, bin_max_smallest;
    int n_bins;

    /* counters */
    uint64_t rows[GTRACE_N_TABLES];
    uint64_t machines_ignored, machines_without_capacity, rows_unknown_machine;
    uint64_t rows_after_window, schedule_without_machine, usage_without_schedule;
    uint64_t usage_moves, overcommitted, tasks_scheduled, tasks_ended;
    int max_tasks;

    /* Resizing policies (PolicyOps.resize_rate). */
    void *resizer;
    SimTime resize_period;
    uint64_t vcpu_ups, vcpu_downs, balloons;
};

static void resize_host(Replay *r, RHost *h, double cpus, double memory);

/* ---- figures ----------------------------------------------------------- */

#define FIG_N (sizeof(Fig) / sizeof(double))

static inline double *fig_v(Fig *f)
{
    return (double *)f;
}

static void fig_axpy(Fig *y, double a, const Fig *x)
{
    double *yv = fig_v(y);
    const double *xv = (const double *)x;
    for (size_t i = 0; i < FIG_N; i++)
        yv[i] += a * xv[i];
}

static void host_eval(const Replay *r, const RHost *h, Fig *f)
{
    memset(f, 0, sizeof *f);
    if (!h->online)
        return;
    double c = h->vcpus_now;
    double d = h->ops_main + h->main_io + (h->own_place.on_guest_socket ? 0.0 : r->agent_cores);
    /* The same work at reference cost: what dom0 usefully does. */
    double useful = d - h->main_io + h->main_io_raw;
    double tm = r->tmpl.dom0_base_used / 1048576.0 +
                h->n_backends_main * (r->tmpl.backend_mem_per_guest / 1048576.0);
    f->memory_mb = (double)(h->mem_now >> 20);
    PolicyNeed need = {.cores = d, .memory_mb = tm}, given;
    if (policy_size_offline(r->cfg.policy, &need, &given)) {
        c = given.cores;
        f->memory_mb = given.memory_mb;
    }
    double served = MIN(d, c);
    double share = d > c ? c / d : 1.0;
    f->capacity_cores = c;
    f->demand_cores = d;
    f->unused_cores = c - served;
    f->cpu_waste_cores = MAX(0.0, c - share * useful);
    f->cpu_shortfall_cores = (1.0 - share) * useful;
    f->saturated_hosts = d > c ? 1.0 : 0.0;
    f->memory_used_mb = MIN(tm, f->memory_mb);
    f->unused_memory_mb = f->memory_mb - f->memory_used_mb;
    f->memory_shortfall_mb = tm - f->memory_used_mb;
    if (!isnan(r->smallest_cores) && r->smallest_cores > 0 && r->smallest_mb > 0)
        f->smallest_tasks =
            floor(MIN(f->unused_cores / r->smallest_cores, f->unused_memory_mb / r->smallest_mb));
    f->guest_io_demand = h->main_io_raw + h->sec_io;
    f->guest_io_served = (d > c ? h->main_io_raw * c / d : h->main_io_raw) + h->sec_io;
    f->guest_paid_cores =
        (h->io_place.guest_pays ? h->sec_io : 0.0) + (h->op_place.guest_pays ? h->ops_sec : 0.0);
    f->guest_cpu_cores = h->guest_cpu;
    f->tasks = h->n_tasks;
}

/* Integrates the cluster's sums up to now. */
static void advance(Replay *r)
{
    SimTime now = sim_now(r->sim);
    if (now <= r->last_t)
        return;
    /* In unit x ns: whole nanoseconds are exact in a double, so integrals
     * of whole-number figures (capacities, counts) stay exact. */
    double dt = (double)(now - r->last_t);
    fig_axpy(&r->area, dt, &r->sum);
    fig_axpy(&r->bin, dt, &r->sum);
    r->last_t = now;
}

/* Re-evaluates h now. */
static void host_eval_now(Replay *r, RHost *h)
{
    Fig f;
    SimTime now = sim_now(r->sim);
    h->demand_area += h->last.demand_cores * (double)(now - h->demand_since);
    h->demand_since = now;
    host_eval(r, h, &f);
    fig_axpy(&r->sum, -1.0, &h->last);
    fig_axpy(&r->sum, 1.0, &f);
    h->last = f;
    h->dirty = false;
}

/* Notes a change to h at the current time (already advanced); the host is
 * re-evaluated once, by flush(), however many rows change it at this
 * instant. */
static void host_update(Replay *r, RHost *h)
{
    if (!h->dirty) {
        h->dirty = true;
        g_ptr_array_add(r->dirty, h);
    }
}

/* Re-evaluates the hosts changed at this instant; every handler calls it
 * before returning, so the sums are current when time next advances. */
static void flush(Replay *r)
{
    for (guint i = 0; i < r->dirty->len; i++)
        host_eval_now(r, r->dirty->pdata[i]);
    g_ptr_array_set_size(r->dirty, 0);
}

/* ---- hosts ------------------------------------------------------------- */

static void host_size(Replay *r, RHost *h, double cpus, double memory)
{
    const NumaConfig *n = &r->tmpl.numa;
    h->cores_per_socket = MAX(1, (int)lround(cpus * n->cores_per_socket));
    h->mem_per_socket_mb = MAX(1, (uint64_t)llround(memory * (double)(n->memory_per_node >> 20)));
    PolicyHostInfo info = {
        .sockets = r->sockets,
        .cores_per_socket = h->cores_per_socket,
        .memory_bytes = h->mem_per_socket_mb * (uint64_t)r->sockets << 20,
    };
    /* What the main container takes off its socket before any task. */
    for (int s = 0; s < r->sockets; s++) {
        if (h->dom0.pinned && h->dom0.socket == s) {
            h->used[s * DIMS] -= MIN(h->used[s * DIMS], (uint64_t)h->dom0.vcpus * 1000);
            h->used[s * DIMS + 1] -= MIN(h->used[s * DIMS + 1], h->dom0.memory_bytes >> 20);
        }
    }
    policy_size_dom0(r->cfg.policy, r->cfg.policy_params, &info, &h->dom0);
    h->dom0.vcpus = MIN(h->dom0.vcpus, r->sockets * h->cores_per_socket);
    if (h->dom0.socket >= r->sockets)
        h->dom0.socket = 0;
    for (int s = 0; s < r->sockets; s++) {
        h->cap[s * DIMS] = (uint64_t)h->cores_per_socket * 1000;
        h->cap[s * DIMS + 1] = h->mem_per_socket_mb;
        if (h->dom0.pinned && h->dom0.socket == s) {
            h->used[s * DIMS] += (uint64_t)h->dom0.vcpus * 1000;
            h->used[s * DIMS + 1] += h->dom0.memory_bytes >> 20;
        }
    }
    /* Hot-pluggable vCPUs boot with the online ones; a machine UPDATE
     * restarts the resizing from there. */
    h->vcpus_now = h->vcpus_target =
        h->dom0.vcpus_online > 0 ? MIN(h->dom0.vcpus_online, h->dom0.vcpus) : h->dom0.vcpus;
    h->mem_now = h->mem_target = h->dom0.memory_bytes;
    h->last_vcpu_resize = h->last_balloon = -1;
    policy_place_rate(r->cfg.policy, &h->dom0, DOM0_WORK_IO_GUEST, &h->io_place);
    policy_place_rate(r->cfg.policy, &h->dom0, DOM0_WORK_OWN, &h->own_place);
    policy_place_rate(r->cfg.policy, &h->dom0, DOM0_WORK_GUEST_OP, &h->op_place);
}

static RHost *host_add(Replay *r, uint64_t id, double cpus, double memory)
{
    RHost *h = g_new0(RHost, 1);
    h->machine_id = id;
    h->index = (int)r->hosts->len;
    h->online = true;
    h->demand_since = sim_now(r->sim);
    host_size(r, h, cpus, memory);
    g_ptr_array_add(r->hosts, h);
    g_hash_table_insert(r->host_by_id, &h->machine_id, h);
    return h;
}

/* ---- tasks ------------------------------------------------------------- */

static guint key_hash(gconstpointer p)
{
    const TaskKey *k = p;
    uint64_t x = k->job * UINT64_C(0x9E3779B97F4A7C15) ^ (k->index + UINT64_C(0x632BE59BD9B4E019));
    x ^= x >> 29;
    x *= UINT64_C(0xBF58476D1CE4E5B9);
    return (guint)(x ^ (x >> 32));
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const TaskKey *x = a, *y = b;
    return x->job == y->job && x->index == y->index;
}

static double task_dom0(const Replay *r, double cpu, double io)
{
    return MAX(0.0, r->cfg.intercept_cores + r->cfg.per_cpu_core * cpu + r->cfg.per_disk_io * io);
}

/* Adds (sign +1) or removes (-1) the task's use and dom0 work to its host. */
static void task_account(Replay *r, RTask *t, double sign)
{
    RHost *h = t->host;
    h->guest_cpu += sign * t->cpu;
    if (h->io_place.on_guest_socket) {
        h->sec_io += sign * t->d;
    } else {
        h->main_io += sign * t->d * r->factor[h->dom0.socket][t->socket];
        h->main_io_raw += sign * t->d;
    }
    /* Sums drift by rounding; a host without tasks has none. */
    if (sign < 0 && h->n_tasks == 0)
        h->guest_cpu = h->sec_io = h->main_io = h->main_io_raw = 0.0;
}

static void op_done(Sim *sim, void *data)
{
    (void)sim;
    Op *op = data;
    Replay *r = op->r;
    RHost *h = op->host;
    advance(r);
    switch (op->kind) {
    case OP_WORK:
        if (op->main)
            h->ops_main = MAX(0.0, h->ops_main - op->cores);
        else
            h->ops_sec = MAX(0.0, h->ops_sec - op->cores);
        break;
    case OP_PLUG:
        /* Unless a machine UPDATE resized dom0 anew meanwhile. */
        if (h->vcpus_target == op->vcpus)
            h->vcpus_now = op->vcpus;
        break;
    case OP_BALLOON:
        if (h->mem_target == op->mem_bytes)
            h->mem_now = op->mem_bytes;
        break;
    }
    host_update(r, h);
    flush(r);
    g_hash_table_remove(r->ops, op);
}

/* Starts op, which ends after `ns`. */
static void op_start(Replay *r, const Op *proto, SimTime ns)
{
    Op *op = g_new(Op, 1);
    *op = *proto;
    op->r = r;
    g_hash_table_add(r->ops, op);
    if (op->kind == OP_WORK) {
        if (op->main)
            op->host->ops_main += op->cores;
        else
            op->host->ops_sec += op->cores;
    }
    sim_after(r->sim, ns, op_done, op);
}

/* dom0 work of `ns` reference CPU on h: one core busy that long. */
static void start_work(Replay *r, RHost *h, bool main, double ns)
{
    if (ns > 0)
        op_start(r, &(Op){.host = h, .kind = OP_WORK, .cores = 1.0, .main = main},
                 (SimTime)llround(ns));
}

/* A lifecycle operation: one core for `ns` of reference CPU, the per-GiB
 * part NUMA-weighted when it runs off the guest's socket. */
static void start_op(Replay *r, RTask *t, const PolicyRatePlacement *pl, double fixed_ns,
                     double per_gib_ns)
{
    RHost *h = t->host;
    double lat =
        pl->on_guest_socket ? 1.0 : numa_latency_factor(r->numa, h->dom0.socket, t->socket);
    start_work(r, h, !pl->on_guest_socket, fixed_ns + per_gib_ns * t->req_mem_gib * lat);
}

/* ---- resizing ---------------------------------------------------------- */

static SimTime since(SimTime last, SimTime now)
{
    return last < 0 ? INT64_MAX : now - last;
}

/* One host's resize period: its mean main-container demand since the last
 * one goes to the policy, whose decision is carried out with its cost (dom0
 * CPU in the main container) and delay (plugged vCPUs and ballooned memory
 * count when done; parked vCPUs at once, their work re-spread). */
static void resize_one(Replay *r, RHost *h, SimTime now)
{
    double span = (double)r->resize_period;
    double demand =
        (h->demand_area + h->last.demand_cores * (double)(now - h->demand_since)) / span;
    h->demand_area = 0.0;
    h->demand_since = now;
    if (!h->online)
        return;
    PolicyRateLoad load = {
        .vcpus = h->vcpus_target,
        .demand_cores = demand,
        .memory_bytes = h->mem_target,
        .memory_used_bytes = (uint64_t)llround(h->last.memory_used_mb * 1048576.0 +
                                               h->last.memory_shortfall_mb * 1048576.0),
        .since_vcpu_resize = since(h->last_vcpu_resize, now),
        .since_balloon = since(h->last_balloon, now),
    };
    PolicyRateResize out;
    r->cfg.policy->resize_rate(r->resizer, &load, &out);
    out.vcpus = CLAMP(out.vcpus, 1, h->dom0.vcpus);
    if (out.vcpus != h->vcpus_target) {
        int n = abs(out.vcpus - h->vcpus_target);
        start_work(r, h, true, out.vcpu_cpu_ns * n);
        if (out.vcpus > h->vcpus_target) {
            r->vcpu_ups++;
            op_start(r, &(Op){.host = h, .kind = OP_PLUG, .vcpus = out.vcpus}, out.vcpu_delay);
        } else {
            r->vcpu_downs++;
            h->vcpus_now = out.vcpus;
        }
        h->vcpus_target = out.vcpus;
        h->last_vcpu_resize = now;
        host_update(r, h);
    }
    if (out.memory_bytes != h->mem_target) {
        /* xl mem-set, then the balloon driver per GiB moved (as
         * lifecycle_resize charges it); the memory counts when done. */
        uint64_t moved = out.memory_bytes > h->mem_target ? out.memory_bytes - h->mem_target
                                                          : h->mem_target - out.memory_bytes;
        double ns = r->tmpl.life.resize_fixed_ns +
                    r->tmpl.life.balloon_ns_per_gb * (double)moved / 1073741824.0;
        start_work(r, h, true, ns);
        op_start(r, &(Op){.host = h, .kind = OP_BALLOON, .mem_bytes = out.memory_bytes},
                 (SimTime)llround(ns));
        h->mem_target = out.memory_bytes;
        h->last_balloon = now;
        r->balloons++;
        host_update(r, h);
    }
}

static void resize_tick(Sim *sim, void *data)
{
    Replay *r = data;
    advance(r);
    SimTime now = sim_now(sim);
    for (guint i = 0; i < r->hosts->len; i++)
        resize_one(r, r->hosts->pdata[i], now);
    flush(r);
    if (now + r->resize_period <= r->cfg.duration)
        sim_after(sim, r->resize_period, resize_tick, r);
}

static int most_free_socket(const Replay *r, const RHost *h)
{
    int best = 0;
    int64_t best_free = INT64_MIN;
    for (int s = 0; s < r->sockets; s++) {
        int64_t f = (int64_t)h->cap[s * DIMS] - (int64_t)h->used[s * DIMS];
        if (f > best_free) {
            best = s;
            best_free = f;
        }
    }
    return best;
}

/* Puts t on h: picks its socket and charges its request there. */
static void task_place(Replay *r, RTask *t, RHost *h)
{
    t->host = h;
    int s =
        placement_choose(r->cfg.socket_algo, DIMS, r->sockets, h->cap, h->used, t->req, h->nf_open);
    t->charged = s >= 0;
    if (s < 0) {
        s = most_free_socket(r, h);
        r->overcommitted++;
    } else {
        for (int d = 0; d < DIMS; d++)
            h->used[s * DIMS + d] += t->req[d];
        if (r->cfg.socket_algo == PLACEMENT_NEXT_FIT)
            h->nf_open = s;
    }
    t->socket = s;
    h->n_tasks++;
    if (!h->io_place.on_guest_socket)
        h->n_backends_main++;
    task_account(r, t, 1.0);
}

static void task_unplace(Replay *r, RTask *t)
{
    RHost *h = t->host;
    if (t->charged)
        for (int d = 0; d < DIMS; d++)
            h->used[t->socket * DIMS + d] -= MIN(h->used[t->socket * DIMS + d], t->req[d]);
    h->n_tasks--;
    if (!h->io_place.on_guest_socket)
        h->n_backends_main--;
    task_account(r, t, -1.0);
    t->host = NULL;
}

static void set_request(Replay *r, RTask *t, double cpu, double memory)
{
    double cores = isnan(cpu) ? 0.0 : MAX(0.0, cpu) * r->tmpl_cores;
    double mb = isnan(memory) ? 0.0 : MAX(0.0, memory) * r->tmpl_mem_mb;
    t->req[0] = (uint64_t)ceil(cores * 1000.0);
    t->req[1] = (uint64_t)ceil(mb);
    t->req_mem_gib = mb / 1024.0;
}

static RTask *task_new(Replay *r, uint64_t job, uint64_t index)
{
    RTask *t = g_new0(RTask, 1);
    t->key = (TaskKey){job, index};
    t->usage_end_us = -1;
    g_hash_table_insert(r->tasks, &t->key, t);
    return t;
}

static RHost *live_host(Replay *r, uint64_t machine)
{
    RHost *h = g_hash_table_lookup(r->host_by_id, &machine);
    if (!h || !h->online) {
        r->rows_unknown_machine++;
        return NULL;
    }
    return h;
}

/* ---- rows -------------------------------------------------------------- */

static bool in_past(const Replay *r, int64_t t_us)
{
    return t_us < r->cfg.start_us;
}

static void machine_event(Replay *r, const GtraceMachineEvent *e)
{
    RHost *h = g_hash_table_lookup(r->host_by_id, &e->machine_id);
    switch (e->event_type) {
    case GTRACE_MACHINE_ADD:
    case GTRACE_MACHINE_UPDATE:
        if (!h) {
            if (r->cfg.max_machines > 0 && (int)r->hosts->len >= r->cfg.max_machines) {
                r->machines_ignored++;
                return;
            }
            if (isnan(e->cpus) || isnan(e->memory) || e->cpus <= 0 || e->memory <= 0) {
                r->machines_without_capacity++;
                return;
            }
            h = host_add(r, e->machine_id, e->cpus, e->memory);
        } else {
            if (e->event_type == GTRACE_MACHINE_ADD)
                h->online = true;
            if (!isnan(e->cpus) && !isnan(e->memory) && e->cpus > 0 && e->memory > 0)
                resize_host(r, h, e->cpus, e->memory);
        }
        break;
    case GTRACE_MACHINE_REMOVE:
        if (h)
            h->online = false;
        break;
    }
    if (h)
        host_update(r, h);
}

/* A machine UPDATE: new capacity, dom0 sized anew.  The tasks' dom0 work
 * was weighted by the old dom0 socket; re-weighing it means a walk over all
 * tasks, needed only if the socket moved. */
static void resize_host(Replay *r, RHost *h, double cpus, double memory)
{
    int old_socket = h->dom0.socket;
    host_size(r, h, cpus, memory);
    if (h->dom0.socket == old_socket)
        return;
    int new_socket = h->dom0.socket;
    GHashTableIter it;
    gpointer v;
    for (int pass = 0; pass < 2; pass++) {
        h->dom0.socket = pass == 0 ? old_socket : new_socket;
        g_hash_table_iter_init(&it, r->tasks);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            RTask *t = v;
            if (t->host == h)
                task_account(r, t, pass == 0 ? -1.0 : 1.0);
        }
    }
}

static void task_end(Replay *r, RTask *t, bool with_op)
{
    RHost *h = t->host;
    if (h) {
        if (with_op)
            start_op(r, t, &h->op_place, r->tmpl.life.destroy_fixed_ns,
                     r->tmpl.life.scrub_ns_per_gb);
        task_unplace(r, t);
        host_update(r, h);
    }
    g_hash_table_remove(r->tasks, &t->key);
}

static void task_event(Replay *r, const GtraceTaskEvent *e)
{
    TaskKey k = {e->job_id, e->task_index};
    RTask *t = g_hash_table_lookup(r->tasks, &k);
    bool ops = !in_past(r, e->time_us);
    switch (e->event_type) {
    case GTRACE_TASK_SCHEDULE: {
        if (!e->has_machine_id) {
            r->schedule_without_machine++;
            return;
        }
        RHost *h = live_host(r, e->machine_id);
        if (!h)
            return;
        if (t && t->host)
            task_end(r, t, false), t = NULL;
        if (!t)
            t = task_new(r, e->job_id, e->task_index);
        set_request(r, t, e->cpu_request, e->memory_request);
        t->d = task_dom0(r, 0.0, 0.0);
        task_place(r, t, h);
        r->tasks_scheduled++;
        r->max_tasks = MAX(r->max_tasks, (int)g_hash_table_size(r->tasks));
        if (ops)
            start_op(r, t, &h->own_place, r->tmpl.life.create_fixed_ns,
                     r->tmpl.life.create_ns_per_gb);
        host_update(r, h);
        break;
    }
    case GTRACE_TASK_EVICT:
    case GTRACE_TASK_FAIL:
    case GTRACE_TASK_FINISH:
    case GTRACE_TASK_KILL:
    case GTRACE_TASK_LOST:
        if (t) {
            r->tasks_ended++;
            task_end(r, t, ops);
        }
        break;
    case GTRACE_TASK_UPDATE_RUNNING:
        if (t && t->host) {
            RHost *h = t->host;
            /* Re-placed with its new request, on the socket the heuristic
             * now picks: a resize that may move its memory. */
            task_unplace(r, t);
            set_request(r, t, e->cpu_request, e->memory_request);
            task_place(r, t, h);
            host_update(r, h);
        }
        break;
    default:
        break;
    }
}

static void expire(Sim *sim, void *data)
{
    (void)sim;
    Expiry *x = data;
    Replay *r = x->r;
    advance(r);
    for (guint i = 0; i < x->keys->len; i++) {
        RTask *t = g_hash_table_lookup(r->tasks, &g_array_index(x->keys, TaskKey, i));
        if (!t || !t->host || t->usage_end_us != x->end_us)
            continue;
        task_account(r, t, -1.0);
        t->cpu = t->io = 0.0;
        t->d = task_dom0(r, 0.0, 0.0);
        task_account(r, t, 1.0);
        host_update(r, t->host);
    }
    flush(r);
    if (r->last_expiry == x)
        r->last_expiry = NULL;
    g_hash_table_remove(r->expiries, &x->end_us);
}

static void expiry_free(gpointer p)
{
    Expiry *x = p;
    g_array_free(x->keys, TRUE);
    g_free(x);
}

static SimTime sim_time_of(const Replay *r, int64_t t_us)
{
    return t_us <= r->cfg.start_us ? 0 : (SimTime)(t_us - r->cfg.start_us) * SIM_US;
}

static void task_usage(Replay *r, const GtraceTaskUsage *u)
{
    TaskKey k = {u->job_id, u->task_index};
    RTask *t = g_hash_table_lookup(r->tasks, &k);
    if (!t || !t->host || t->host->machine_id != u->machine_id) {
        RHost *h = live_host(r, u->machine_id);
        if (!h)
            return;
        if (t && t->host) {
            r->usage_moves++;
            task_end(r, t, false);
            t = NULL;
        } else {
            r->usage_without_schedule++;
        }
        if (!t)
            t = task_new(r, u->job_id, u->task_index);
        /* No SCHEDULE seen: what it uses stands for what it asked. */
        set_request(r, t, u->cpu_rate, u->canonical_memory);
        task_place(r, t, h);
        r->max_tasks = MAX(r->max_tasks, (int)g_hash_table_size(r->tasks));
    }
    task_account(r, t, -1.0);
    t->cpu = isnan(u->cpu_rate) ? 0.0 : MAX(0.0, u->cpu_rate) * r->tmpl_cores;
    t->io = isnan(u->disk_io_time) ? 0.0 : MAX(0.0, u->disk_io_time);
    t->d = task_dom0(r, t->cpu, t->io);
    task_account(r, t, 1.0);
    host_update(r, t->host);
    t->usage_end_us = u->end_us;
    if (u->end_us >= r->end_us || u->end_us == GTRACE_TIME_AFTER_WINDOW)
        return;
    Expiry *x = r->last_expiry && r->last_expiry->end_us == u->end_us
                    ? r->last_expiry
                    : g_hash_table_lookup(r->expiries, &u->end_us);
    if (!x) {
        x = g_new(Expiry, 1);
        *x = (Expiry){
            .end_us = u->end_us, .keys = g_array_new(FALSE, FALSE, sizeof(TaskKey)), .r = r};
        g_hash_table_insert(r->expiries, &x->end_us, x);
        SimTime at = MAX(sim_time_of(r, u->end_us), sim_now(r->sim));
        sim_at(r->sim, at, expire, x);
    }
    g_array_append_val(x->keys, k);
    r->last_expiry = x;
}

/* ---- reading ----------------------------------------------------------- */

static bool refill(Replay *r, int t)
{
    GError *e = NULL;
    int rc = gtrace_next(r->rd[t], &r->peek[t], &e);
    if (rc < 0) {
        r->error = e;
        r->has_peek[t] = false;
        return false;
    }
    r->has_peek[t] = rc > 0;
    return true;
}

/* The table whose next row comes first (machine events before task events
 * before usage at equal times), or -1. */
static int next_table(const Replay *r, int64_t *time)
{
    int best = -1;
    int64_t bt = 0;
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        if (!r->has_peek[t])
            continue;
        int64_t tt = gtrace_row_time(&r->peek[t]);
        if (best < 0 || tt < bt) {
            best = t;
            bt = tt;
        }
    }
    *time = bt;
    return best;
}

static void pump(Sim *sim, void *data)
{
    Replay *r = data;
    advance(r);
    SimTime now = sim_now(sim);
    for (;;) {
        int64_t t_us;
        int t = next_table(r, &t_us);
        if (t < 0)
            break;
        if (t_us == GTRACE_TIME_AFTER_WINDOW || t_us > r->end_us) {
            /* Everything later lies beyond the horizon. */
            r->rows_after_window += t_us == GTRACE_TIME_AFTER_WINDOW;
            r->has_peek[t] = false;
            continue;
        }
        SimTime at = sim_time_of(r, t_us);
        if (at > now) {
            sim_at(sim, at, pump, r);
            break;
        }
        GtraceRow *row = &r->peek[t];
        r->rows[t]++;
        switch (row->table) {
        case GTRACE_MACHINE_EVENTS:
            machine_event(r, &row->machine_event);
            break;
        case GTRACE_TASK_EVENTS:
            task_event(r, &row->task_event);
            break;
        case GTRACE_TASK_USAGE:
            task_usage(r, &row->task_usage);
            break;
        default:
            break;
        }
        if (!refill(r, t)) {
            sim_stop(sim);
            break;
        }
    }
    flush(r);
}

static void sample(Sim *sim, void *data)
{
    Replay *r = data;
    advance(r);
    double span = (double)(sim_now(sim) - r->bin_start);
    if (span > 0) {
        Fig m = {0};
        fig_axpy(&m, 1.0 / span, &r->bin);
        sim_ts_record(sim, "cluster", "dom0.capacity_cores", m.capacity_cores);
        sim_ts_record(sim, "cluster", "dom0.demand_cores", m.demand_cores);
        sim_ts_record(sim, "cluster", "dom0.unused_cores", m.unused_cores);
        sim_ts_record(sim, "cluster", "dom0.unused_memory_mb", m.unused_memory_mb);
        sim_ts_record(sim, "cluster", "dom0.unused_smallest_tasks", m.smallest_tasks);
        sim_ts_record(sim, "cluster", "dom0.saturated_hosts", m.saturated_hosts);
        sim_ts_record(sim, "cluster", "guests.cpu_cores", m.guest_cpu_cores);
        sim_ts_record(sim, "cluster", "guests.dom0_paid_cores", m.guest_paid_cores);
        sim_ts_record(sim, "cluster", "guests.io_served_fraction",
                      m.guest_io_demand > 0 ? m.guest_io_served / m.guest_io_demand : 1.0);
        sim_ts_record(sim, "cluster", "tasks.running", m.tasks);
        if (r->n_bins == 0 || m.smallest_tasks < r->bin_min_smallest)
            r->bin_min_smallest = m.smallest_tasks;
        if (r->n_bins == 0 || m.smallest_tasks > r->bin_max_smallest)
            r->bin_max_smallest = m.smallest_tasks;
        r->n_bins++;
    }
    memset(&r->bin, 0, sizeof r->bin);
    r->bin_start = sim_now(sim);
    /* Recompute the sums from the hosts so rounding cannot accumulate. */
    memset(&r->sum, 0, sizeof r->sum);
    for (guint i = 0; i < r->hosts->len; i++)
        fig_axpy(&r->sum, 1.0, &((RHost *)r->hosts->pdata[i])->last);
    if (sim_now(sim) + r->cfg.sample_interval <= r->cfg.duration)
        sim_after(sim, r->cfg.sample_interval, sample, r);
}

/* ---- construction ------------------------------------------------------ */

static GtraceReader *open_table(const char *dir, GtraceTable t, bool skip, GError **err)
{
    g_autofree char *sub = g_build_filename(dir, gtrace_table_name(t), NULL);
    if (!g_file_test(sub, G_FILE_TEST_IS_DIR)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: no %s directory in the trace",
                    sub, gtrace_table_name(t));
        return NULL;
    }
    const char *paths[] = {sub};
    GtraceOptions o = {.skip_bad_rows = skip};
    return gtrace_open(t, paths, 1, &o, err);
}

/* The smallest non-zero CPU and memory requests of the tasks submitted up to
 * the horizon. */
static gboolean find_smallest(Replay *r, GError **err)
{
    g_autoptr(GtraceReader) rd = open_table(r->dir, GTRACE_TASK_EVENTS, r->cfg.skip_bad_rows, err);
    if (!rd)
        return FALSE;
    double cpu = INFINITY, mem = INFINITY;
    GtraceRow row;
    int rc;
    while ((rc = gtrace_next(rd, &row, err)) > 0) {
        const GtraceTaskEvent *e = &row.task_event;
        if (e->time_us > r->end_us)
            break;
        if (e->event_type != GTRACE_TASK_SUBMIT)
            continue;
        if (e->cpu_request > 0 && e->cpu_request < cpu)
            cpu = e->cpu_request;
        if (e->memory_request > 0 && e->memory_request < mem)
            mem = e->memory_request;
    }
    if (rc < 0)
        return FALSE;
    r->smallest_cores = isinf(cpu) ? NAN : cpu * r->tmpl_cores;
    r->smallest_mb = isinf(mem) ? NAN : mem * r->tmpl_mem_mb;
    return TRUE;
}

Replay *replay_new(Sim *sim, const ReplayConfig *cfg, GError **err)
{
    g_autoptr(Replay) r = g_new0(Replay, 1);
    r->sim = sim;
    r->cfg = *cfg;
    r->tmpl = *cfg->template_host;
    r->tmpl.numa.distance = r->tmpl.has_distance ? r->tmpl.distance : NULL;
    r->dir = g_strdup(cfg->dir);
    r->cfg.dir = r->dir;
    r->sockets = r->tmpl.numa.sockets;
    r->tmpl_cores = (double)r->tmpl.numa.sockets * r->tmpl.numa.cores_per_socket;
    r->tmpl_mem_mb = (double)r->tmpl.numa.sockets * (double)(r->tmpl.numa.memory_per_node >> 20);
    r->end_us = cfg->start_us + (int64_t)(cfg->duration / SIM_US);
    r->hosts = g_ptr_array_new_with_free_func(g_free);
    r->host_by_id = g_hash_table_new(g_int64_hash, g_int64_equal);
    r->tasks = g_hash_table_new_full(key_hash, key_equal, NULL, g_free);
    r->expiries = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, expiry_free);
    r->dirty = g_ptr_array_new();
    r->ops = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
    if (r->sockets > MAX_SOCKETS) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "a trace replay supports at most %d sockets per host, got %d", MAX_SOCKETS,
                    r->sockets);
        return NULL;
    }
    r->numa = numa_new(&r->tmpl.numa, err);
    if (!r->numa)
        return NULL;
    for (int s = 0; s < r->sockets; s++)
        for (int g = 0; g < r->sockets; g++)
            r->factor[s][g] =
                1.0 + cfg->memory_bound_fraction * (numa_latency_factor(r->numa, s, g) - 1.0);
    if (r->tmpl.mgmt_period > 0)
        r->agent_cores = r->tmpl.mgmt_cpu_ns / (double)r->tmpl.mgmt_period;

    if (cfg->policy->rate_resizer && cfg->policy->resize_rate)
        r->resizer = cfg->policy->rate_resizer(cfg->policy_params, &r->resize_period);
    r->smallest_cores = r->smallest_mb = NAN;
    if (!isnan(cfg->smallest_cpu) && !isnan(cfg->smallest_memory)) {
        r->smallest_cores = cfg->smallest_cpu * r->tmpl_cores;
        r->smallest_mb = cfg->smallest_memory * r->tmpl_mem_mb;
    }
    for (int t = 0; t < GTRACE_N_TABLES; t++) {
        r->rd[t] = open_table(r->dir, (GtraceTable)t, cfg->skip_bad_rows, err);
        if (!r->rd[t])
            return NULL;
    }
    return g_steal_pointer(&r);
}

void replay_free(Replay *r)
{
    if (!r)
        return;
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        gtrace_close(r->rd[t]);
    if (r->error)
        g_error_free(r->error);
    if (r->tasks)
        g_hash_table_destroy(r->tasks);
    if (r->expiries)
        g_hash_table_destroy(r->expiries);
    if (r->host_by_id)
        g_hash_table_destroy(r->host_by_id);
    if (r->dirty)
        g_ptr_array_free(r->dirty, TRUE);
    if (r->ops)
        g_hash_table_destroy(r->ops);
    if (r->hosts)
        g_ptr_array_free(r->hosts, TRUE);
    numa_free(r->numa);
    g_free(r->resizer);
    g_free(r->dir);
    g_free(r);
}

void replay_start(Replay *r)
{
    /* Finding the smallest task reads task_events once: done here, not when
     * the scenario is built, so that --validate stays quick. */
    if (isnan(r->smallest_cores)) {
        GError *e = NULL;
        if (!find_smallest(r, &e)) {
            r->error = e;
            sim_stop(r->sim);
            return;
        }
    }
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        if (!refill(r, t)) {
            sim_stop(r->sim);
            return;
        }
    r->last_t = r->bin_start = sim_now(r->sim);
    sim_at(r->sim, sim_now(r->sim), pump, r);
    if (r->cfg.sample_interval > 0 && r->cfg.sample_interval <= r->cfg.duration)
        sim_after(r->sim, r->cfg.sample_interval, sample, r);
    if (r->resizer && r->resize_period > 0 && r->resize_period <= r->cfg.duration)
        sim_after(r->sim, r->resize_period, resize_tick, r);
}

gboolean replay_ok(const Replay *r, GError **err)
{
    if (!r->error)
        return TRUE;
    g_propagate_error(err, g_error_copy(r->error));
    return FALSE;
}

void replay_integrals(const Replay *r, ReplayFigures *out)
{
    memset(out, 0, sizeof *out);
    fig_axpy(out, 1e-9, &r->area);
}

uint64_t replay_rows(const Replay *r)
{
    uint64_t n = 0;
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        n += r->rows[t];
    return n;
}

int replay_hosts(const Replay *r)
{
    return (int)r->hosts->len;
}

void replay_finish(Replay *r)
{
    advance(r);
    Sim *sim = r->sim;
    double T = (double)sim_now(sim);
    Fig m = {0};
    if (T > 0)
        fig_axpy(&m, 1.0 / T, &r->area);
    sim_metric_set(sim, "trace.machines", r->hosts->len);
    sim_metric_set(sim, "trace.machines_ignored", (double)r->machines_ignored);
    sim_metric_set(sim, "trace.machines_without_capacity", (double)r->machines_without_capacity);
    sim_metric_set(sim, "trace.machine_event_rows", (double)r->rows[GTRACE_MACHINE_EVENTS]);
    sim_metric_set(sim, "trace.task_event_rows", (double)r->rows[GTRACE_TASK_EVENTS]);
    sim_metric_set(sim, "trace.usage_rows", (double)r->rows[GTRACE_TASK_USAGE]);
    uint64_t skipped = 0;
    for (int t = 0; t < GTRACE_N_TABLES; t++)
        skipped += gtrace_skipped(r->rd[t]);
    sim_metric_set(sim, "trace.skipped_rows", (double)skipped);
    sim_metric_set(sim, "trace.rows_unknown_machine", (double)r->rows_unknown_machine);
    sim_metric_set(sim, "trace.schedule_without_machine", (double)r->schedule_without_machine);
    sim_metric_set(sim, "trace.usage_without_schedule", (double)r->usage_without_schedule);
    sim_metric_set(sim, "trace.usage_machine_moves", (double)r->usage_moves);
    sim_metric_set(sim, "trace.tasks_scheduled", (double)r->tasks_scheduled);
    sim_metric_set(sim, "trace.tasks_ended", (double)r->tasks_ended);
    sim_metric_set(sim, "trace.tasks_max_live", r->max_tasks);
    sim_metric_set(sim, "trace.overcommitted_placements", (double)r->overcommitted);
    if (!isnan(r->smallest_cores)) {
        sim_metric_set(sim, "trace.smallest_task.cpu_cores", r->smallest_cores);
        sim_metric_set(sim, "trace.smallest_task.memory_mb", r->smallest_mb);
    }
    sim_metric_set(sim, "dom0.capacity_cores", m.capacity_cores);
    sim_metric_set(sim, "dom0.demand_cores", m.demand_cores);
    sim_metric_set(sim, "dom0.used_cores", m.capacity_cores - m.unused_cores);
    sim_metric_set(sim, "dom0.unused_cores", m.unused_cores);
    sim_metric_set(sim, "dom0.unused_fraction",
                   m.capacity_cores > 0 ? m.unused_cores / m.capacity_cores : 0.0);
    sim_metric_set(sim, "dom0.unused_core_hours", r->area.unused_cores / 3600e9);
    sim_metric_set(sim, "dom0.memory_mb", m.memory_mb);
    sim_metric_set(sim, "dom0.memory_used_mb", m.memory_used_mb);
    sim_metric_set(sim, "dom0.unused_memory_mb", m.unused_memory_mb);
    sim_metric_set(sim, "dom0.memory_shortfall_mb", m.memory_shortfall_mb);
    sim_metric_set(sim, "dom0.saturated_hosts", m.saturated_hosts);
    if (!isnan(r->smallest_cores)) {
        sim_metric_set(sim, "dom0.unused_smallest_tasks", m.smallest_tasks);
        if (r->n_bins > 0) {
            sim_metric_set(sim, "dom0.unused_smallest_tasks_min", r->bin_min_smallest);
            sim_metric_set(sim, "dom0.unused_smallest_tasks_max", r->bin_max_smallest);
        }
    }
    sim_metric_set(sim, "guests.cpu_cores", m.guest_cpu_cores);
    sim_metric_set(sim, "guests.dom0_demand_cores", m.guest_io_demand);
    sim_metric_set(sim, "guests.io_served_fraction",
                   m.guest_io_demand > 0 ? m.guest_io_served / m.guest_io_demand : 1.0);
    sim_metric_set(sim, "guests.dom0_paid_cores", m.guest_paid_cores);
    sim_metric_set(sim, "tasks.running", m.tasks);
    ObjectiveParts obj = {
        .cpu_waste_core_s = r->area.cpu_waste_cores / 1e9,
        .cpu_shortfall_core_s = r->area.cpu_shortfall_cores / 1e9,
        .memory_waste_mib_s = r->area.unused_memory_mb / 1e9,
        .memory_shortfall_mib_s = r->area.memory_shortfall_mb / 1e9,
    };
    objective_write(sim, &obj, &r->cfg.objective);
    if (r->resizer) {
        sim_metric_set(sim, "dom0.resizes.vcpu_up", (double)r->vcpu_ups);
        sim_metric_set(sim, "dom0.resizes.vcpu_down", (double)r->vcpu_downs);
        sim_metric_set(sim, "dom0.resizes.balloon", (double)r->balloons);
    }
}

void replay_print_summary(const Replay *r, FILE *fp)
{
    double T = (double)sim_now(r->sim);
    Fig m = {0};
    if (T > 0)
        fig_axpy(&m, 1.0 / T, &r->area);
    fprintf(fp,
            "  trace    %u machines, %" PRIu64 " tasks scheduled, %" PRIu64
            " usage rows; %.0f tasks running on average\n",
            r->hosts->len, r->tasks_scheduled, r->rows[GTRACE_TASK_USAGE], m.tasks);
    fprintf(fp,
            "  dom0     %.1f cores and %.0f MiB on average over all hosts; demand %.1f cores; "
            "unused %.1f cores (%.1f%%) and %.0f MiB\n",
            m.capacity_cores, m.memory_mb, m.demand_cores, m.unused_cores,
            m.capacity_cores > 0 ? 100.0 * m.unused_cores / m.capacity_cores : 0.0,
            m.unused_memory_mb);
    if (!isnan(r->smallest_cores))
        fprintf(fp,
                "  waste    room for %.0f more of the smallest task (%.3f cores, %.0f MiB) on "
                "average\n",
                m.smallest_tasks, r->smallest_cores, r->smallest_mb);
    fprintf(fp,
            "  guests   %.1f cores used; dom0 work they caused served at %.1f%%; %.2f cores of it "
            "paid by the guests\n",
            m.guest_cpu_cores,
            m.guest_io_demand > 0 ? 100.0 * m.guest_io_served / m.guest_io_demand : 100.0,
            m.guest_paid_cores);
}
