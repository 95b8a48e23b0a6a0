/* `elastic`: dom0 sized from measured load (policies/elastic.h has the
 * rules).  At event level the main container boots with min_vcpus of its
 * max_vcpus online (Xen's dom0_max_vcpus=max with the dom0 kernel's
 * maxcpus=min; later `xl vcpu-set 0 N`, which Linux's Xen vCPU hotplug
 * watch turns into cpu_up/cpu_down); a
 * tick every second measures the main container's load over the window and
 * dom0's memory use, and resizes:
 * - plugging vCPUs costs dom0 hotplug_cpu_ms each (toolstack, xenstore and
 *   the kernel's cpu_up, as dom0's own kernel work), and they take work
 *   hotplug_delay_ms after the decision;
 * - parking one costs the same CPU (cpu_down); it takes no new work at once
 *   and drains what it holds;
 * - ballooning is models/lifecycle.c's resize applied to dom0 itself
 *   (toolstack write, then the balloon driver per GiB moved, scrubbing what
 *   it gives back): the memory changes when that work is done.
 * Every piece of dom0 work runs on an online main vCPU, as under native. */
#include "policies/elastic.h"

#include <math.h>

#include "models/host.h"
#include "models/lifecycle.h"
#include "policies/policy.h"
#include "sim/sim_error.h"
#include "sim/sim_jget.h"

#define ELASTIC_TICK SIM_S /* the measurement tick, 1 s */

void elastic_params_read(const cJSON *params, ElasticParams *out)
{
    out->min_vcpus = (int)jget_int(params, "min_vcpus");
    out->max_vcpus = (int)jget_int(params, "max_vcpus");
    out->up_load = jget_num(params, "up_load");
    out->down_load = jget_num(params, "down_load");
    out->window_ticks = (int)jget_int(params, "window_s");
    out->cooldown = sim_time_from_s(jget_num(params, "cooldown_s"));
    out->hotplug_cpu_ns = jget_num(params, "hotplug_cpu_ms") * 1e6;
    out->hotplug_delay = sim_time_from_s(jget_num(params, "hotplug_delay_ms") / 1e3);
    out->memory = (uint64_t)jget_int(params, "memory_mb") << 20;
    out->min_memory = (uint64_t)jget_int(params, "min_memory_mb") << 20;
    out->max_memory = (uint64_t)jget_int(params, "max_memory_mb") << 20;
    out->headroom = (uint64_t)jget_int(params, "headroom_mb") << 20;
    out->balloon_step = (uint64_t)jget_int(params, "balloon_step_mb") << 20;
    out->rate_period = sim_time_from_s(jget_num(params, "rate_period_s"));
}

int elastic_vcpus_target(const ElasticParams *p, int vcpus, double load)
{
    int t = vcpus;
    if (load > p->up_load) {
        /* Enough vCPUs to bring the busy cores to the middle of the band,
         * but never so many that the load would fall under down_load and
         * call for parking them again; at least one more. */
        double busy = load * vcpus;
        double mid = 0.5 * (p->up_load + p->down_load);
        double want = ceil(busy / mid), most = floor(busy / p->down_load);
        t = MAX(vcpus + 1, (int)MIN(MIN(want, most), (double)p->max_vcpus));
    } else if (load < p->down_load) {
        t = vcpus - 1;
    }
    return CLAMP(t, p->min_vcpus, p->max_vcpus);
}

uint64_t elastic_memory_target(const ElasticParams *p, uint64_t allocated, uint64_t used)
{
    uint64_t step = MAX(p->balloon_step, (uint64_t)1);
    uint64_t want = (used + p->headroom + step - 1) / step * step;
    want = CLAMP(want, p->min_memory, p->max_memory);
    if (allocated < used + p->headroom / 2 || allocated > want + p->balloon_step)
        return want;
    return allocated;
}

/* ---- the policy's boot size and checks ------------------------------------- */

static void elastic_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    (void)host;
    ElasticParams p;
    elastic_params_read(params, &p);
    out->vcpus = p.max_vcpus;
    out->vcpus_online = p.min_vcpus;
    out->memory_bytes = p.memory;
    out->socket = (int)jget_int(params, "socket");
    out->pinned = jget_bool(params, "pinned");
}

static gboolean elastic_validate(const cJSON *params, const PolicyHostInfo *host, const char *where,
                                 GError **err)
{
    if (!policy__check_socket(params, host, where, err))
        return FALSE;
    ElasticParams p;
    elastic_params_read(params, &p);
    const char *bad = NULL;
    g_autofree char *why = NULL;
    if (p.min_vcpus > p.max_vcpus) {
        bad = "min_vcpus";
        why = g_strdup_printf("%d is more than max_vcpus %d", p.min_vcpus, p.max_vcpus);
    } else if (p.up_load < 2.0 * p.down_load) {
        bad = "up_load";
        why = g_strdup_printf("%g is under twice down_load (%g): one vCPU step could cross the "
                              "band and oscillate",
                              p.up_load, p.down_load);
    } else if (p.memory < p.min_memory || p.memory > p.max_memory) {
        bad = "memory_mb";
        why =
            g_strdup_printf("%" G_GUINT64_FORMAT " MiB is outside [min_memory_mb %" G_GUINT64_FORMAT
                            ", max_memory_mb %" G_GUINT64_FORMAT "]",
                            p.memory >> 20, p.min_memory >> 20, p.max_memory >> 20);
    } else if (p.cooldown < p.hotplug_delay) {
        bad = "cooldown_s";
        why = g_strdup_printf("%g s is shorter than hotplug_delay_ms (%g ms)",
                              sim_time_to_s(p.cooldown), sim_time_to_s(p.hotplug_delay) * 1e3);
    } else if (p.max_memory >= host->memory_bytes) {
        bad = "max_memory_mb";
        why = g_strdup_printf("%" G_GUINT64_FORMAT " MiB is all of the host's %" G_GUINT64_FORMAT
                              " MiB",
                              p.max_memory >> 20, host->memory_bytes >> 20);
    }
    if (!bad)
        return TRUE;
    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s.%s: %s", where, bad, why);
    return FALSE;
}

/* ---- event level ------------------------------------------------------------ */

typedef struct {
    ElasticParams p;
    long ticks;           /* ticks seen */
    long since_vcpu;      /* ticks since the last vCPU decision (or the start) */
    int target;           /* main vCPUs decided (online or coming online) */
    SimTime last_vcpu;    /* last vCPU decision (-1: none) */
    SimTime last_balloon; /* last balloon decision (-1: none) */
    gboolean ballooning;  /* a balloon is under way */
    int n_ring;           /* window_ticks + 1 samples */
    double ring[];        /* per tick: busy ns, arrived ns, online vCPU x ns */
} ElasticState;

static ElasticState *state_of(Host *h)
{
    if (!h->policy_state) {
        ElasticParams p;
        elastic_params_read(h->policy_params, &p);
        int n = p.window_ticks + 1;
        ElasticState *st = g_malloc0(sizeof *st + sizeof(double) * 3 * (size_t)n);
        st->p = p;
        st->n_ring = n;
        st->target = h->main_online;
        st->last_vcpu = st->last_balloon = -1;
        /* Ring slot 0, all zeros, is the sample at time 0, when the host was
         * built: nothing run, no online time yet. */
        h->policy_state = st;
    }
    return h->policy_state;
}

static gboolean cooled(SimTime last, SimTime now, SimTime cooldown)
{
    return last < 0 || now - last >= cooldown;
}

static void hotplug_done(WorkItem *w, void *data)
{
    (void)data;
    g_free(w);
}

/* The CPU of plugging or parking n vCPUs: dom0's own kernel work. */
static void charge_hotplug(Host *h, const ElasticParams *p, int n)
{
    for (int i = 0; i < n && p->hotplug_cpu_ns > 0; i++) {
        WorkItem *w = g_new(WorkItem, 1);
        work_item_init(w, p->hotplug_cpu_ns, 0.0, h->dom0->mem, WORK_T0, hotplug_done, NULL);
        host_dom0_submit(h, DOM0_WORK_OWN, w, NULL, NULL);
    }
}

static void plugged(Sim *sim, void *data)
{
    (void)sim;
    Host *h = data;
    host_set_main_online(h, state_of(h)->target);
}

static void ballooned(Domain *g, void *data)
{
    (void)g;
    Host *h = data;
    state_of(h)->ballooning = FALSE;
}

/* The load between samples b and a (busy, arrived, online): the larger of
 * the CPU done and the work that arrived, per online capacity.  The
 * arrivals (CPU done + growth of the queued work) are what a saturated
 * dom0 is asked for, beyond the 100% it can show, as the rate level's
 * demand is; the CPU done covers a queue that drains. */
static double window_load(const double *a, const double *b)
{
    double cap = a[2] - b[2];
    return cap > 0 ? MAX(a[0] - b[0], a[1] - b[1]) / cap : 0.0;
}

static void elastic_tick(Host *h)
{
    ElasticState *st = state_of(h);
    const ElasticParams *p = &st->p;
    SimTime now = sim_now(h->sim);
    st->ticks++;
    st->since_vcpu++;
    long n = st->n_ring, slot = st->ticks % n;
    double *cur = &st->ring[3 * slot];
    cur[0] = host_main_busy_ns(h);
    cur[1] = cur[0] + host_main_backlog_ns(h);
    cur[2] = host_main_online_ns(h);
    /* Decide on a full window measured since the last vCPU decision, and
     * only when every second of it was above the band (or every second
     * below): a load that swings across the band within the window, a
     * square wave faster than it, moves nothing. */
    if (st->since_vcpu >= p->window_ticks && cooled(st->last_vcpu, now, p->cooldown)) {
        double lo = INFINITY, hi = -INFINITY;
        for (long k = 0; k < p->window_ticks; k++) {
            const double *a = &st->ring[3 * ((st->ticks - k + n) % n)];
            const double *b = &st->ring[3 * ((st->ticks - k - 1 + n) % n)];
            double l = window_load(a, b);
            lo = MIN(lo, l);
            hi = MAX(hi, l);
        }
        double load = window_load(cur, &st->ring[3 * ((st->ticks + 1) % n)]);
        gboolean stays = lo > p->up_load || hi < p->down_load;
        int t = stays ? elastic_vcpus_target(p, st->target, load) : st->target;
        if (t > st->target) {
            charge_hotplug(h, p, t - st->target);
            st->target = t;
            st->last_vcpu = now;
            st->since_vcpu = 0;
            sim_after(h->sim, p->hotplug_delay, plugged, h);
        } else if (t < st->target) {
            host_set_main_online(h, t);
            charge_hotplug(h, p, st->target - t);
            st->target = t;
            st->last_vcpu = now;
            st->since_vcpu = 0;
        }
    }
    if (!st->ballooning && cooled(st->last_balloon, now, p->cooldown)) {
        uint64_t alloc = host_dom0_allocated(h);
        uint64_t want = elastic_memory_target(p, alloc, host_dom0_used(h));
        if (want != alloc) {
            st->ballooning = TRUE;
            st->last_balloon = now;
            lifecycle_resize(h, h->dom0, want, ballooned, h);
        }
    }
}

/* ---- rate level ------------------------------------------------------------- */

static void *elastic_rate_resizer(const cJSON *params, SimTime *period)
{
    ElasticParams *p = g_new(ElasticParams, 1);
    elastic_params_read(params, p);
    *period = p->rate_period;
    return p;
}

static void elastic_resize_rate(const void *resizer, const PolicyRateLoad *load,
                                PolicyRateResize *out)
{
    const ElasticParams *p = resizer;
    out->vcpus = load->vcpus;
    out->memory_bytes = load->memory_bytes;
    out->vcpu_cpu_ns = p->hotplug_cpu_ns;
    out->vcpu_delay = p->hotplug_delay;
    if (load->since_vcpu_resize >= p->cooldown && load->vcpus > 0)
        out->vcpus = elastic_vcpus_target(p, load->vcpus, load->demand_cores / load->vcpus);
    if (load->since_balloon >= p->cooldown)
        out->memory_bytes = elastic_memory_target(p, load->memory_bytes, load->memory_used_bytes);
}

const PolicyOps policy_elastic_ops = {
    .name = "elastic",
    .description = "dom0 resizes itself from measured load: vCPUs hot-plugged or parked and "
                   "memory ballooned, with hysteresis, a cool-down and the cost and delay of "
                   "each resize; otherwise as native",
    .validate = elastic_validate,
    .size_dom0 = elastic_size,
    .place = policy__place_main,
    .tick = elastic_tick,
    .tick_period = ELASTIC_TICK,
    .rate_resizer = elastic_rate_resizer,
    .resize_rate = elastic_resize_rate,
};
