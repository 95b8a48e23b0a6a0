#include "models/host.h"

#include "sim/sim_invariant.h"

#include <inttypes.h>
#include <math.h>

#include "sim/sim_error.h"
#include "sim/sim_invariant.h"

/* ---- accounting hooks ----------------------------------------------------- */

static SchedDom *payer_to_sd(Domain *payer, void *data)
{
    (void)data;
    return payer->sd;
}

/* Every slice of CPU a dom0 vCPU spends is booked by thesis group and, when
 * the work was for a guest, against that guest: the CPU it caused, and the
 * part it paid for itself. */
static void dom0_charge(Vcpu *v, const WorkItem *w, double cpu_ns, void *data)
{
    Host *h = data;
    h->dom0->cpu_by_group[w->group] += cpu_ns;
    /* For the objective: CPU burnt on remote memory, and, on an item's
     * first slice (consumed_ns was 0 before it), how long it waited. */
    h->obj_numa_ns += cpu_ns * (1.0 - 1.0 / vcpu_numa_factor(v));
    if (w->consumed_ns == cpu_ns)
        h->obj_wait_ns += (double)(w->started - w->submitted);
    Domain *g = w->for_dom, *payer = w->payer;
    if (g) {
        g->dom0_work_ns += cpu_ns;
        g->dom0_work_by_group[w->group] += cpu_ns;
        if (w->rx_demux)
            g->rx_demux_ns += cpu_ns;
    }
    /* The payer need not be the guest the work was for: a received packet's
     * demultiplexing may be billed to another guest (closer, closer-rx). */
    if (payer) {
        payer->dom0_charged_ns += cpu_ns;
        if (payer->dom0_charged_by_vcpu_ns)
            payer->dom0_charged_by_vcpu_ns[vcpu_index(v)] += cpu_ns;
        if (w->rx_demux)
            payer->rx_demux_paid_ns += cpu_ns;
    }
}

/* ---- construction ----------------------------------------------------------- */

static Domain *domain_new(Host *h, const char *name, DomainKind kind, int weight, int cap)
{
    Domain *d = g_new0(Domain, 1);
    d->name = g_strdup(name);
    d->kind = kind;
    d->state = DOMAIN_RUNNING;
    d->host = h;
    d->sd = sched_dom_new(h->sched, name, weight, cap);
    d->vcpus = g_ptr_array_new_with_free_func((GDestroyNotify)vcpu_free);
    d->mem = g_new0(uint64_t, numa_nodes(h->numa));
    g_hash_table_insert(h->sd_to_domain, d->sd, d);
    return d;
}

static void domain_free(Domain *d)
{
    vbd_free(d->vbd);
    vif_free(d->vif);
    g_ptr_array_free(d->vcpus, TRUE);
    g_free(d->dom0_charged_by_vcpu_ns);
    g_free(d->mem_lent_at);
    g_free(d->mem);
    g_free(d->name);
    g_free(d);
}

static Vcpu *add_vcpu(Host *h, Domain *d, const CpuMask *hard, const CpuMask *soft)
{
    Vcpu *v = vcpu_new(h->sim, h->sched, d->sd, h->numa, d, (int)d->vcpus->len);
    sched_vcpu_set_affinity(vcpu_sched(v), hard, soft);
    vcpu_set_payer_map(v, payer_to_sd, NULL);
    if (d->kind == DOMAIN_DOM0)
        vcpu_set_charge_hook(v, dom0_charge, h);
    g_ptr_array_add(d->vcpus, v);
    return v;
}

static gboolean alloc_on(Host *h, Domain *d, uint64_t bytes, NumaMemPolicy pol, int node)
{
    int n = numa_nodes(h->numa);
    g_autofree uint64_t *got = g_new0(uint64_t, n);
    if (!numa_alloc(h->numa, bytes, pol, node, got))
        return FALSE;
    for (int i = 0; i < n; i++)
        d->mem[i] += got[i];
    d->mem_total += bytes;
    return TRUE;
}

static void mgmt_run(Sim *sim, void *data);
static void arm_deadline(Host *h);

static void policy_tick(Sim *sim, void *data)
{
    Host *h = data;
    h->policy->tick(h);
    sim_after(sim, h->policy->tick_period, policy_tick, h);
}

/* Builds dom0: the main container's vCPUs (pinned one per pCPU of its socket,
 * wrapping onto the next sockets if it has more vCPUs than the socket has
 * cores, or floating with a soft preference for the socket), and for closer
 * one secondary container per socket with a vCPU pinned to every pCPU the
 * main container does not hold. */
static gboolean build_dom0(Host *h, const char *where, GError **err)
{
    const PolicyDom0Size *s = &h->dom0_size;
    int n_pcpus = numa_pcpus(h->numa);
    int cores = h->cfg.numa.cores_per_socket;
    h->dom0 = domain_new(h, "dom0", DOMAIN_DOM0, SCHED_DEFAULT_WEIGHT, 0);
    h->dom0->domid = 0;
    grant_space_add_domain(h->grants, 0, h->cfg.grant_frames, 0, NULL);
    evtchn_domain_add(h->evtchn, 0, 0);

    if (!alloc_on(h, h->dom0, s->memory_bytes, NUMA_MEM_PREFERRED, s->socket)) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s: dom0's %" PRIu64 " MiB do not fit on host '%s'", where,
                    s->memory_bytes >> 20, h->name);
        return FALSE;
    }
    h->main.name = "main";
    h->main.socket = s->socket;
    h->main.memory = s->memory_bytes;
    h->main.vcpus = g_ptr_array_new();
    CpuMask socket_mask, all, none;
    numa_node_cpumask(h->numa, s->socket, &socket_mask);
    cpumask_clear(&all);
    cpumask_set_range(&all, 0, n_pcpus);
    cpumask_clear(&none);
    g_autofree gboolean *main_pinned_at = g_new0(gboolean, n_pcpus);
    for (int i = 0; i < s->vcpus; i++) {
        Vcpu *v;
        if (s->pinned) {
            int p = (s->socket * cores + i) % n_pcpus;
            CpuMask one;
            cpumask_clear(&one);
            cpumask_set(&one, p);
            main_pinned_at[p] = TRUE;
            v = add_vcpu(h, h->dom0, &one, &none);
            vcpu_set_initial_pcpu(v, p);
        } else {
            v = add_vcpu(h, h->dom0, &all, &socket_mask);
            vcpu_set_initial_pcpu(v, s->socket * cores + i % cores);
        }
        g_ptr_array_add(h->main.vcpus, v);
    }
    h->main_online = s->vcpus_online > 0 ? MIN(s->vcpus_online, s->vcpus) : s->vcpus;

    if (!s->secondary)
        return TRUE;
    int sockets = numa_nodes(h->numa);
    h->secondary = g_new0(Dom0Container, sockets);
    h->secondary_at = g_new0(Vcpu *, n_pcpus);
    for (int k = 0; k < sockets; k++) {
        Dom0Container *c = &h->secondary[k];
        c->name = "secondary";
        c->socket = k;
        c->vcpus = g_ptr_array_new();
        if (!alloc_on(h, h->dom0, s->secondary_memory_bytes, NUMA_MEM_STRICT, k)) {
            g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                        "%s: the secondary container of socket %d does not fit on host '%s'", where,
                        k, h->name);
            return FALSE;
        }
        c->memory = s->secondary_memory_bytes;
        for (int p = k * cores; p < (k + 1) * cores; p++) {
            if (main_pinned_at[p])
                continue;
            CpuMask one;
            cpumask_clear(&one);
            cpumask_set(&one, p);
            Vcpu *v = add_vcpu(h, h->dom0, &one, &none);
            vcpu_set_initial_pcpu(v, p);
            g_ptr_array_add(c->vcpus, v);
            h->secondary_at[p] = v;
        }
    }
    return TRUE;
}

Host *host_new(Sim *sim, const char *name, int index, const HostConfig *cfg,
               const PolicyOps *policy, const cJSON *params, const char *where, GError **err)
{
    Host *h = g_new0(Host, 1);
    h->name = g_strdup(name);
    h->index = index;
    h->sim = sim;
    h->cfg = *cfg;
    if (cfg->has_distance)
        h->cfg.numa.distance = h->cfg.distance;
    h->policy = policy;
    h->policy_params = params;
    h->guests = g_ptr_array_new_with_free_func((GDestroyNotify)domain_free);
    h->sd_to_domain = g_hash_table_new(g_direct_hash, g_direct_equal);
    h->next_pcpu = g_new0(int, MAX(cfg->numa.sockets, 1));

    GError *nerr = NULL;
    h->numa = numa_new(&h->cfg.numa, &nerr);
    if (!h->numa) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: %s", where, nerr->message);
        g_error_free(nerr);
        host_free(h);
        return NULL;
    }
    h->sched = sched_new(sim, numa_pcpus(h->numa), &h->cfg.sched);
    h->grants = grant_space_new();
    h->evtchn = evtchn_table_new();
    h->disk = disk_new(sim, &cfg->disk, &nerr);
    if (!h->disk) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s.disk: %s", where, nerr->message);
        g_error_free(nerr);
        host_free(h);
        return NULL;
    }
    /* A spinning disk's rotational positions come from the seed. */
    g_autofree char *disk_stream = g_strdup_printf("%s.disk", name);
    disk_set_rng(h->disk, sim_rng(sim, disk_stream));
    NicParams np = {.rate_bps = cfg->nic_Bps * 8.0, .mtu = 0};
    h->nic = nic_new(sim, &np, &nerr);
    if (!h->nic) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s.nic_Gbps: %s", where,
                    nerr->message);
        g_error_free(nerr);
        host_free(h);
        return NULL;
    }

    PolicyHostInfo info = {
        .sockets = cfg->numa.sockets,
        .cores_per_socket = cfg->numa.cores_per_socket,
        .memory_bytes = numa_total_bytes(h->numa),
    };
    policy_size_dom0(policy, params, &info, &h->dom0_size);
    if (!build_dom0(h, where, err)) {
        host_free(h);
        return NULL;
    }
    sim_tavg_init(&h->main_load, sim_now(sim), 0.0);
    h->online_since = h->mem_since = h->last_sample = sim_now(sim);
    h->declared_failed_at = -1;
    if (cfg->mgmt_period > 0 && cfg->mgmt_cpu_ns > 0) {
        sim_after(sim, cfg->mgmt_period, mgmt_run, h);
        arm_deadline(h);
    }
    if (policy->tick && policy->tick_period > 0)
        sim_after(sim, policy->tick_period, policy_tick, h);
    if (policy->size_offline)
        h->offline_record = g_array_new(FALSE, FALSE, sizeof(PolicyNeed));
    return h;
}

static void drop_domain_work(Domain *d)
{
    for (guint i = 0; i < d->vcpus->len; i++)
        vcpu_drop_all(d->vcpus->pdata[i]);
}

void host_drop_work(Host *h)
{
    if (h->dom0)
        drop_domain_work(h->dom0);
    for (guint i = 0; h->guests && i < h->guests->len; i++)
        drop_domain_work(h->guests->pdata[i]);
}

void host_free(Host *h)
{
    if (!h)
        return;
    if (h->guests)
        g_ptr_array_free(h->guests, TRUE);
    if (h->dom0)
        domain_free(h->dom0);
    if (h->main.vcpus)
        g_ptr_array_free(h->main.vcpus, TRUE);
    if (h->secondary) {
        for (int k = 0; k < numa_nodes(h->numa); k++)
            if (h->secondary[k].vcpus)
                g_ptr_array_free(h->secondary[k].vcpus, TRUE);
        g_free(h->secondary);
    }
    g_free(h->secondary_at);
    g_free(h->next_pcpu);
    if (h->sched)
        sched_free(h->sched);
    disk_free(h->disk);
    nic_free(h->nic);
    grant_space_free(h->grants);
    evtchn_table_free(h->evtchn);
    if (h->numa)
        numa_free(h->numa);
    if (h->sd_to_domain)
        g_hash_table_destroy(h->sd_to_domain);
    if (h->offline_record)
        g_array_unref(h->offline_record);
    if (h->offline_plan)
        g_array_unref(h->offline_plan);
    g_free(h->policy_state);
    g_free(h->name);
    g_free(h);
}

int host_pcpus(const Host *h)
{
    return numa_pcpus(h->numa);
}

uint64_t host_memory(const Host *h)
{
    return numa_total_bytes(h->numa);
}

/* ---- dom0 size over time ----------------------------------------------------- */

/* Integrates dom0's unused memory up to now; called before anything changes
 * what dom0 holds or uses, so the integral is exact. */
static void mem_advance(Host *h)
{
    SimTime now = sim_now(h->sim);
    if (now <= h->mem_since)
        return;
    uint64_t alloc = host_dom0_allocated(h), used = host_dom0_used(h);
    h->mem_waste_area += (double)(alloc - used) / 1048576.0 * (double)(now - h->mem_since);
    h->mem_since = now;
}

double host_main_online_ns(const Host *h)
{
    return h->online_area + (double)h->main_online * (double)(sim_now(h->sim) - h->online_since);
}

void host_set_main_online(Host *h, int n)
{
    n = CLAMP(n, 1, (int)h->main.vcpus->len);
    if (n == h->main_online)
        return;
    h->online_area = host_main_online_ns(h);
    h->online_since = sim_now(h->sim);
    if (n > h->main_online)
        h->vcpus_up++;
    else
        h->vcpus_down++;
    h->main_online = n;
}

/* ---- guests ---------------------------------------------------------------- */

Domain *host_start_guest(Host *h, const GuestSpec *spec, GError **err)
{
    mem_advance(h);
    int node = spec->socket;
    NumaMemPolicy pol = NUMA_MEM_STRICT;
    if (node < 0) {
        /* Xen's automatic placement: one node that holds the whole guest,
         * else spread. */
        node = numa_pick_node(h->numa, spec->memory);
        pol = node >= 0 ? NUMA_MEM_STRICT : NUMA_MEM_INTERLEAVE;
    }
    Domain *g = domain_new(h, spec->name, DOMAIN_GUEST, spec->weight, spec->cap);
    g->dom0_charged_by_vcpu_ns = g_new0(double, h->dom0->vcpus->len);
    g->mem_lent_at = g_new0(uint64_t, numa_nodes(h->numa));
    if (!alloc_on(h, g, spec->memory, pol, node < 0 ? 0 : node)) {
        uint64_t free = 0;
        for (int n = 0; n < numa_nodes(h->numa); n++)
            if (spec->socket < 0 || n == spec->socket)
                free += numa_free_bytes(h->numa, n);
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "host '%s' is out of memory: guest '%s' needs %" PRIu64 " MiB, %" PRIu64
                    " MiB are free%s (dom0 holds %" PRIu64 " MiB)",
                    h->name, spec->name, spec->memory >> 20, free >> 20,
                    spec->socket >= 0 ? " on its socket" : "", h->dom0->mem_total >> 20);
        g_hash_table_remove(h->sd_to_domain, g->sd);
        domain_free(g);
        return NULL;
    }
    CpuMask all, home, none;
    cpumask_clear(&all);
    cpumask_set_range(&all, 0, host_pcpus(h));
    cpumask_clear(&none);
    int home_node = numa_main_node(h->numa, g->mem);
    numa_node_cpumask(h->numa, home_node, &home);
    int cores = h->cfg.numa.cores_per_socket;
    for (int i = 0; i < spec->vcpus; i++) {
        Vcpu *v = spec->socket >= 0 && spec->pin ? add_vcpu(h, g, &home, &none)
                                                 : add_vcpu(h, g, &all, &home);
        /* Associate new vCPUs with the home node's pCPUs in turn, as Xen
         * cycles v->processor through the allowed pCPUs. */
        int p = home_node * cores + h->next_pcpu[home_node];
        h->next_pcpu[home_node] = (h->next_pcpu[home_node] + 1) % cores;
        vcpu_set_initial_pcpu(v, p);
    }
    /* Every guest gets a grant table, event channels and a block device
     * served by dom0, as a PV guest booted from a virtual disk does. */
    g->domid = ++h->next_domid;
    grant_space_add_domain(h->grants, g->domid, h->cfg.grant_frames, 0, NULL);
    evtchn_domain_add(h->evtchn, g->domid, 0);
    VbdConfig vc = {
        .ring_pages = spec->ring_pages ? spec->ring_pages : 1,
        .indirect_segments = spec->indirect_segments,
        .grant_mode = h->cfg.blk_grant_mode,
        .costs = h->cfg.blk_costs,
    };
    g_ptr_array_add(h->guests, g);
    g->vbd = vbd_new(h, g, &vc, err);
    if (g->vbd)
        g->vif = vif_new(h, g, &h->cfg.net, err);
    if (!g->vbd || !g->vif) {
        numa_release(h->numa, g->mem);
        g_hash_table_remove(h->sd_to_domain, g->sd);
        g_ptr_array_remove_index(h->guests, h->guests->len - 1);
        return NULL;
    }
    h->n_resident++;
    if (h->policy->guest_started)
        h->policy->guest_started(h, g);
    return g;
}

static gboolean resize_domain(Host *h, Domain *g, uint64_t bytes);

void host_lend_to_secondary(Host *h, Domain *g, int node, int64_t bytes)
{
    mem_advance(h);
    g_assert(bytes >= 0 ? (uint64_t)bytes <= g->mem[node]
                        : (uint64_t)-bytes <= g->mem_lent_at[node]);
    g->mem[node] = (uint64_t)((int64_t)g->mem[node] - bytes);
    g->mem_total = (uint64_t)((int64_t)g->mem_total - bytes);
    g->mem_lent_at[node] = (uint64_t)((int64_t)g->mem_lent_at[node] + bytes);
    g->mem_lent = (uint64_t)((int64_t)g->mem_lent + bytes);
    Domain *d = h->dom0;
    d->mem[node] = (uint64_t)((int64_t)d->mem[node] + bytes);
    d->mem_total = (uint64_t)((int64_t)d->mem_total + bytes);
    h->secondary[node].memory = (uint64_t)((int64_t)h->secondary[node].memory + bytes);
}

gboolean host_resize_guest(Host *h, Domain *g, uint64_t bytes)
{
    mem_advance(h);
    if (g == h->dom0 && bytes != g->mem_total) {
        /* dom0 ballooning itself: only its main container has memory of
         * its own to give (closer's secondaries hold the guests'). */
        uint64_t main = h->main.memory + bytes - g->mem_total;
        if (!resize_domain(h, g, bytes))
            return FALSE;
        h->main.memory = main;
        h->balloons++;
        return TRUE;
    }
    /* A guest's size counts what it lent dom0 (closer): still its quota. */
    return resize_domain(h, g, bytes > g->mem_lent ? bytes - g->mem_lent : 0);
}

static gboolean resize_domain(Host *h, Domain *g, uint64_t bytes)
{
    if (bytes >= g->mem_total)
        return bytes == g->mem_total || alloc_on(h, g, bytes - g->mem_total, NUMA_MEM_PREFERRED,
                                                 numa_main_node(h->numa, g->mem));
    int n = numa_nodes(h->numa);
    g_autofree uint64_t *give = g_new0(uint64_t, n);
    uint64_t left = g->mem_total - bytes;
    while (left > 0) {
        int big = 0;
        for (int i = 1; i < n; i++)
            if (g->mem[i] - give[i] > g->mem[big] - give[big])
                big = i;
        uint64_t take = MIN(left, g->mem[big] - give[big]);
        give[big] += take;
        left -= take;
    }
    numa_release(h->numa, give);
    for (int i = 0; i < n; i++)
        g->mem[i] -= give[i];
    g->mem_total = bytes;
    return TRUE;
}

void host_stop_guest(Host *h, Domain *g)
{
    if (g->state == DOMAIN_GONE)
        return;
    mem_advance(h);
    vbd_disconnect(g->vbd);
    vif_disconnect(g->vif);
    for (guint i = 0; i < g->vcpus->len; i++)
        vcpu_drop_all(g->vcpus->pdata[i]);
    if (h->policy->guest_stopped)
        h->policy->guest_stopped(h, g);
    numa_release(h->numa, g->mem);
    g->state = DOMAIN_GONE;
    h->n_resident--;
}

/* ---- dom0 work -------------------------------------------------------------- */

/* Places pw with the policy and queues it; `cause` is the guest the work is
 * done for, which the policy may not have been told. */
static void submit_placed(Host *h, const PolicyWork *pw, WorkItem *w, Domain *cause)
{
    PolicyPlacement where;
    policy_place(h->policy, h, pw, &where);
    w->for_dom = cause;
    w->payer = where.payer;
    if (cause && w->group == WORK_T3)
        cause->io_requests++;
    vcpu_submit(where.vcpu, w);
}

void host_dom0_submit(Host *h, Dom0WorkKind kind, WorkItem *w, Domain *guest, Vcpu *raiser)
{
    PolicyWork pw = {
        .kind = kind, .work = w, .guest = guest, .raiser = raiser, .offline_guest = guest};
    submit_placed(h, &pw, w, guest);
}

void host_dom0_submit_rx_demux(Host *h, WorkItem *w, Domain *dest, uint32_t flow_hash)
{
    PolicyWork pw = {
        .kind = DOM0_WORK_IO_RX_DEMUX, .work = w, .flow_hash = flow_hash, .offline_guest = dest};
    w->rx_demux = 1;
    submit_placed(h, &pw, w, dest);
}

void host_rx_demuxed(Host *h, Domain *dest, uint64_t frames)
{
    if (h->policy->rx_demuxed && dest->state != DOMAIN_GONE)
        h->policy->rx_demuxed(h, dest, frames);
}

/* The data-centre agent (e.g. nova-compute): every period it runs its
 * periodic tasks and reports to the controller, a fixed CPU cost of
 * user-space T1 work in dom0.  It is one thread: a report still running
 * when the next is due makes that one late (a missed beat).  The
 * controller declares the node failed when no report arrived for
 * `heartbeat_timeout` (nova's service_down_time). */
static void mgmt_deadline(Sim *sim, void *data)
{
    Host *h = data;
    h->mgmt_deadline = SIM_EVENT_NONE;
    if (h->declared_failed_at < 0)
        h->declared_failed_at = sim_now(sim);
}

static void arm_deadline(Host *h)
{
    if (h->cfg.heartbeat_timeout <= 0)
        return;
    if (h->mgmt_deadline)
        sim_cancel(h->sim, h->mgmt_deadline);
    h->mgmt_deadline = sim_after(h->sim, h->cfg.heartbeat_timeout, mgmt_deadline, h);
}

static void mgmt_reported(WorkItem *w, void *data)
{
    Host *h = data;
    h->mgmt_running = false;
    if (w->dropped)
        return;
    SimTime delay = sim_now(h->sim) - w->submitted;
    if (delay > h->mgmt_max_delay)
        h->mgmt_max_delay = delay;
    h->mgmt_delay_sum_s += sim_time_to_s(delay);
    h->mgmt_reports++;
    arm_deadline(h);
}

static void mgmt_run(Sim *sim, void *data)
{
    Host *h = data;
    sim_after(sim, h->cfg.mgmt_period, mgmt_run, h);
    if (h->mgmt_running) {
        h->mgmt_missed++;
        return;
    }
    WorkItem *w = &h->mgmt_item;
    work_item_init(w, h->cfg.mgmt_cpu_ns, 0.0, h->dom0->mem, WORK_T1, mgmt_reported, h);
    w->cls = WORK_USER;
    h->mgmt_running = true;
    host_dom0_submit(h, DOM0_WORK_OWN, w, NULL, NULL);
}

/* ---- measurement ------------------------------------------------------------ */

static double busy_of(const GPtrArray *vcpus)
{
    double s = 0.0;
    for (guint i = 0; i < vcpus->len; i++)
        s += (double)sched_vcpu_busy(vcpu_sched(vcpus->pdata[i]));
    return s;
}

double host_main_busy_ns(const Host *h)
{
    return busy_of(h->main.vcpus);
}

double host_main_backlog_ns(const Host *h)
{
    double s = 0.0;
    for (guint i = 0; i < h->main.vcpus->len; i++)
        s += vcpu_backlog_ns(h->main.vcpus->pdata[i]);
    return s;
}

double host_secondary_busy_ns(const Host *h)
{
    double s = 0.0;
    if (h->secondary)
        for (int k = 0; k < numa_nodes(h->numa); k++)
            s += busy_of(h->secondary[k].vcpus);
    return s;
}

uint64_t host_dom0_allocated(const Host *h)
{
    return h->dom0->mem_total;
}

uint64_t host_dom0_used(const Host *h)
{
    /* dom0 cannot use more than it was given; what it lacks shows as zero
     * waste, not as negative waste. */
    return MIN(host_dom0_needed(h), host_dom0_allocated(h));
}

uint64_t host_dom0_needed(const Host *h)
{
    uint64_t used = h->cfg.dom0_base_used;
    int nodes = numa_nodes(h->numa);
    for (guint i = 0; i < h->guests->len; i++) {
        const Domain *g = h->guests->pdata[i];
        if (g->state == DOMAIN_GONE)
            continue;
        for (int n = 0; n < nodes; n++)
            if (g->mem[n])
                used += h->cfg.backend_mem_per_guest;
    }
    return used;
}

/* Closes the objective's window [obj_last, now): dom0's reservation there
 * against what it used.  A static container reserves its vCPUs; a
 * secondary container runs on demand, so it reserves what it used; an
 * offline policy is handed what it used in the window (size_offline).
 * Memory is taken at the window's end. */
static void objective_window(Host *h)
{
    SimTime now = sim_now(h->sim);
    if (now <= h->obj_last)
        return;
    double dt = sim_time_to_s(now - h->obj_last);
    double main_b = host_main_busy_ns(h), sec_b = host_secondary_busy_ns(h);
    double online = host_main_online_ns(h);
    double used_main = (main_b - h->obj_main_busy) / 1e9;
    double used_sec = (sec_b - h->obj_sec_busy) / 1e9;
    double used = used_main + used_sec; /* core-s */
    double need_mb = (double)host_dom0_needed(h) / 1048576.0;
    PolicyNeed need = {.cores = used / dt, .memory_mb = need_mb}, given;
    double reserved, mem_mb;
    /* An offline policy sizes this window from what the first pass needed
     * in it (its plan), else from the window's own need. */
    PolicyNeed planned = need;
    if (h->policy->size_offline) {
        guint k = h->offline_record->len;
        if (h->offline_plan && k < h->offline_plan->len) {
            planned = g_array_index(h->offline_plan, PolicyNeed, k);
            h->offline_planned++;
        }
        g_array_append_val(h->offline_record, need);
    }
    if (policy_size_offline(h->policy, &planned, &given)) {
        reserved = given.cores * dt;
        mem_mb = given.memory_mb;
    } else {
        /* The main vCPUs online in the window (all of them but under a
         * resizing dom0), the secondary containers' what they used. */
        reserved = (online - h->obj_online) / 1e9 + used_sec;
        mem_mb = (double)host_dom0_allocated(h) / 1048576.0;
    }
    h->obj.cpu_waste_core_s += MAX(0.0, reserved - used);
    h->obj.cpu_shortfall_core_s += MAX(0.0, used - reserved);
    h->obj.memory_waste_mib_s += MAX(0.0, mem_mb - need_mb) * dt;
    h->obj.memory_shortfall_mib_s += MAX(0.0, need_mb - mem_mb) * dt;
    h->obj_last = now;
    h->obj_main_busy = main_b;
    h->obj_sec_busy = sec_b;
    h->obj_online = online;
}

void host_set_plan(Host *h, GArray *plan)
{
    if (h->offline_plan)
        g_array_unref(h->offline_plan);
    h->offline_plan = plan;
}

GArray *host_take_record(Host *h)
{
    return g_steal_pointer(&h->offline_record);
}

void host_objective(const Host *h, ObjectiveParts *out)
{
    *out = h->obj;
    out->cpu_waste_core_s += h->obj_numa_ns / 1e9;
    /* Items still waiting count too: a dom0 that never starts them must
     * not look prompt. */
    double pending = 0.0;
    for (guint i = 0; i < h->dom0->vcpus->len; i++)
        pending += vcpu_unstarted_wait_ns(h->dom0->vcpus->pdata[i]);
    out->delay_core_s = (h->obj_wait_ns + pending) / 1e9;
}

void host_sample(Host *h)
{
    SimTime now = sim_now(h->sim);
    double busy = host_main_busy_ns(h);
    objective_window(h);
    double online = host_main_online_ns(h);
    /* (The oracle has no main container: no load to speak of.) */
    if (now > h->last_sample && online > h->last_online_area) {
        /* Load of the vCPUs that were online (a parked vCPU's draining
         * counts as work, its time not as capacity). */
        double load = (busy - h->last_main_busy) / (online - h->last_online_area);
        sim_ts_record(h->sim, h->name, "dom0.main.cpu_load", load);
        sim_tavg_set(&h->main_load, now, load);
    }
    if (h->dom0_size.vcpus_online > 0)
        sim_ts_record(h->sim, h->name, "dom0.vcpus_online", h->main_online);
    h->last_sample = now;
    h->last_main_busy = busy;
    h->last_online_area = online;
    host_check(h, "sample");
    if (h->secondary)
        sim_ts_record(h->sim, h->name, "dom0.secondary.cpu_s", host_secondary_busy_ns(h) / 1e9);
    sim_ts_record(h->sim, h->name, "guests", h->n_resident);
}

void host_check(const Host *h, const char *where)
{
#ifdef DOM0SIM_CHECKS
    /* Memory conserved: what the NUMA nodes count as used is exactly what
     * dom0 and the guests still on the host hold. */
    int n = numa_nodes(h->numa);
    for (int node = 0; node < n; node++) {
        uint64_t held = h->dom0->mem[node];
        for (guint i = 0; i < h->guests->len; i++) {
            const Domain *g = h->guests->pdata[i];
            if (g->state != DOMAIN_GONE)
                held += g->mem[node];
        }
        uint64_t used = numa_used_bytes(h->numa, node);
        SIM_INVARIANT(held == used, "memory conserved",
                      "host '%s' at %s: node %d has %" G_GUINT64_FORMAT
                      " bytes in use but its domains hold %" G_GUINT64_FORMAT,
                      h->name, where, node, used, held);
    }
    sched_check(h->sched, where);
    grant_space_check_or_abort(h->grants, h->name, where);
#else
    (void)h;
    (void)where;
#endif
}

void host_finish(Host *h)
{
    host_check(h, "end of run");
    objective_window(h);
    Sim *sim = h->sim;
    SimTime now = sim_now(sim);
    double elapsed = (double)now;
    const char *n = h->name;
    sim_metric_setf(sim, h->dom0_size.vcpus, "%s.dom0.vcpus", n);
    sim_metric_setf(sim, (double)(h->dom0_size.memory_bytes >> 20), "%s.dom0.memory_mb", n);
    sim_metric_setf(sim, h->dom0_size.socket, "%s.dom0.socket", n);
    sim_metric_setf(sim, h->n_resident, "%s.guests", n);
    if (h->policy->size_offline)
        sim_metric_setf(sim, h->offline_planned, "%s.dom0.offline_planned_windows", n);
    double main_busy = host_main_busy_ns(h);
    double online = host_main_online_ns(h);
    sim_metric_setf(sim, online > 0 ? main_busy / online : 0.0, "%s.dom0.main.cpu_load", n);
    /* What dom0's size cost over the run: vCPUs online on average, the
     * part of them left idle (allocated-but-idle cores), unused memory. */
    mem_advance(h);
    sim_metric_setf(sim, elapsed > 0 ? online / elapsed : 0.0, "%s.dom0.vcpus_online_mean", n);
    sim_metric_setf(sim, elapsed > 0 ? MAX(0.0, online - main_busy) / elapsed : 0.0,
                    "%s.dom0.main.idle_cores", n);
    sim_metric_setf(sim, elapsed > 0 ? h->mem_waste_area / elapsed : 0.0,
                    "%s.dom0.memory_waste_mean_mb", n);
    sim_metric_setf(sim, (double)h->vcpus_up, "%s.dom0.resizes.vcpu_up", n);
    sim_metric_setf(sim, (double)h->vcpus_down, "%s.dom0.resizes.vcpu_down", n);
    sim_metric_setf(sim, (double)h->balloons, "%s.dom0.resizes.balloon", n);
    sim_metric_setf(sim, main_busy / 1e9, "%s.dom0.main.cpu_s", n);
    sim_metric_setf(sim, host_secondary_busy_ns(h) / 1e9, "%s.dom0.secondary.cpu_s", n);
    static const char *const groups[] = {"T0", "T1", "T2", "T3"};
    for (int k = 0; k < 4; k++)
        sim_metric_setf(sim, h->dom0->cpu_by_group[k] / 1e9, "%s.dom0.cpu_s.%s", n, groups[k]);
    uint64_t alloc = host_dom0_allocated(h), used = host_dom0_used(h);
    sim_metric_setf(sim, (double)(alloc >> 20), "%s.dom0.memory_allocated_mb", n);
    sim_metric_setf(sim, (double)used / 1048576.0, "%s.dom0.memory_used_mb", n);
    sim_metric_setf(sim, (double)(alloc - MIN(alloc, used)) / 1048576.0, "%s.dom0.memory_waste_mb",
                    n);
    double pbusy = 0.0;
    for (int p = 0; p < host_pcpus(h); p++)
        pbusy += (double)sched_pcpu_busy(h->sched, p);
    sim_metric_setf(sim, elapsed > 0 ? pbusy / (elapsed * host_pcpus(h)) : 0.0,
                    "%s.pcpu.utilization", n);
    double caused = 0.0, misbilled = 0.0;
    for (guint i = 0; i < h->guests->len; i++) {
        const Domain *g = h->guests->pdata[i];
        /* A guest that migrated has a domain on every host it lived on:
         * its seconds are summed over them, as its cores below. */
        sim_metric_addf(sim, g->dom0_charged_ns / 1e9, "%s.cpu.charged_dom0_s", g->name);
        sim_metric_addf(sim, g->dom0_work_ns / 1e9, "%s.cpu.dom0_work_s", g->name);
        caused += g->dom0_work_ns;
        misbilled += fabs(g->dom0_charged_ns - g->dom0_work_ns);
        if (g->rx_demux_ns > 0.0 || g->rx_demux_paid_ns > 0.0) {
            sim_metric_addf(sim, g->rx_demux_ns / 1e9, "%s.cpu.rx_demux_s", g->name);
            sim_metric_addf(sim, g->rx_demux_paid_ns / 1e9, "%s.cpu.paid_rx_demux_s", g->name);
        }
        sim_metric_addf(sim, (double)sched_dom_busy(g->sd) / 1e9, "%s.cpu.busy_s", g->name);
        /* What it lends at the end: a departed domain has had it back. */
        sim_metric_addf(sim, (double)(g->mem_lent >> 20), "%s.memory.lent_to_dom0_mb", g->name);
        /* Rates over the simulated time, the units of a Google task_usage
         * row: summed over the hosts the guest lived on. */
        if (elapsed > 0) {
            sim_metric_addf(sim, (double)sched_dom_busy(g->sd) / elapsed, "%s.cpu.cores", g->name);
            sim_metric_addf(sim, g->dom0_work_ns / elapsed, "%s.cpu.dom0_work_cores", g->name);
            sim_metric_addf(sim, (double)vbd_disk_service_ns(g->vbd) / elapsed,
                            "%s.blk.disk_io_time", g->name);
        }
        vbd_finish(g->vbd);
        vif_finish(g->vif);
    }
    /* How far the bills are from the work caused (docs/MODEL.md, "Billing
     * error"); nothing to bill, no figure. */
    if (caused > 0.0)
        sim_metric_setf(sim, misbilled / caused, "%s.guests.billing_error", n);
    if (h->cfg.mgmt_period > 0 && h->cfg.mgmt_cpu_ns > 0) {
        sim_metric_setf(sim, (double)h->mgmt_reports, "%s.heartbeat.reports", n);
        sim_metric_setf(sim, (double)h->mgmt_missed, "%s.heartbeat.missed", n);
        /* A report still running at the end has been late for its age so
         * far: without it a node whose agent never reported again would
         * read a maximum delay of 0. */
        SimTime max_delay = h->mgmt_max_delay;
        if (h->mgmt_running && sim_now(sim) - h->mgmt_item.submitted > max_delay)
            max_delay = sim_now(sim) - h->mgmt_item.submitted;
        sim_metric_setf(sim, sim_time_to_s(max_delay), "%s.heartbeat.max_delay_s", n);
        /* A report's time from being due to done (docs/MODEL.md, "the
         * management agent": c / (1 - rho) behind back-end work of load rho). */
        if (h->mgmt_reports > 0)
            sim_metric_setf(sim, h->mgmt_delay_sum_s / (double)h->mgmt_reports,
                            "%s.heartbeat.mean_delay_s", n);
        sim_metric_setf(sim, h->declared_failed_at >= 0 ? 1.0 : 0.0, "%s.declared_failed", n);
        if (h->declared_failed_at >= 0)
            sim_metric_setf(sim, sim_time_to_s(h->declared_failed_at), "%s.declared_failed_at_s",
                            n);
    }
    DiskStats ds;
    disk_stats(h->disk, &ds);
    if (ds.submitted_ops > 0 && elapsed > 0) {
        double secs = elapsed / 1e9;
        sim_metric_setf(sim, (double)ds.read_bytes / secs, "%s.disk.read_Bps", n);
        sim_metric_setf(sim, (double)ds.write_bytes / secs, "%s.disk.write_Bps", n);
        sim_metric_setf(sim, (double)(ds.read_ops + ds.write_ops) / secs, "%s.disk.iops", n);
        sim_metric_setf(sim, (double)ds.busy / elapsed, "%s.disk.utilization", n);
        sim_metric_setf(sim, ds.mean_waiting, "%s.disk.mean_waiting_ops", n);
    }
}
