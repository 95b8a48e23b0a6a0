#include "models/world.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "models/dirty.h"
#include "models/host.h"
#include "models/lifecycle.h"
#include "models/migration.h"
#include "models/migxfer.h"
#include "models/objective.h"
#include "models/placement.h"
#include "models/replay.h"
#include "models/workload.h"
#include "sim/sim_error.h"
#include "sim/sim_jget.h"

typedef struct MigOrder MigOrder;

typedef struct {
    char *name;
    int index;
    Host *host;  /* where it runs now */
    Host *home;  /* where the scenario placed it */
    Domain *dom; /* its domain there */
    GuestSpec spec;
    Workload *wl;
    MigOrder *active;   /* migration under way, if any */
    GQueue waiting;     /* MigOrder * due but held until the active one ends */
    int n_migrations;   /* migrations begun so far */
    SimTime create_at;  /* -1: running from the start */
    SimTime destroy_at; /* -1: never destroyed */
    SimTime op_started; /* when the create or destroy under way was asked for */
    World *world;
} Vm;

typedef struct {
    Vm *vm;
    SimTime at;
    uint64_t bytes;
} Resize;

struct MigOrder {
    int index; /* position in the scenario's migrations[] */
    Vm *vm;
    Host *from; /* set when it begins */
    Host *to;
    SimTime at;
    MigStopRule rule;
    SimTime resume;
    double link_Bps; /* 0: as fast as the two NICs carry it */
    bool framing;    /* false: the stream crosses the NICs without Ethernet framing */
    MigRateLimit rate_limit;
    int ordinal; /* 1 for the VM's first migration, 2 for its second, ... */
    Migration *mig;
    MigXfer *xfer;
    World *world;
};

struct World {
    Sim *sim;
    char *name;
    char *policy_name;
    const PolicyOps *policy;
    SimTime duration;
    SimTime ts_interval;
    SimTime warmup;     /* output.warmup_s; -1: MSER-5 chooses (sim_stats.h) */
    GPtrArray *hosts;   /* Host * (owned) */
    GPtrArray *vms;     /* Vm * (owned) */
    GPtrArray *orders;  /* MigOrder * (owned) */
    GPtrArray *resizes; /* Resize * (owned) */
    GHashTable *host_by_name;
    GHashTable *vm_by_name;
    GHashTable *counted; /* base name of a vms[] entry with a count -> its index + 1 */
    Replay *replay;      /* a trace scenario: hosts and guests come from it */
    ObjectiveWeights objective;
};

/* ---- construction ------------------------------------------------------ */

static gboolean input_error(GError **err, SimJsonDoc *doc, const char *path, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);

static gboolean input_error(GError **err, SimJsonDoc *doc, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *what = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_autofree char *where = sim_json_doc_where(doc, path);
    g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT, "%s: %s", where, what);
    return FALSE;
}

/* Names become metric prefixes and file names, so they are restricted to
 * characters that need no quoting anywhere; '.' is excluded from entity
 * names because it separates the parts of a metric name. */
static gboolean check_name(SimJsonDoc *doc, const char *path, const char *name, gboolean allow_dot,
                           GError **err)
{
    for (const char *p = name; *p; p++) {
        if (g_ascii_isalnum(*p) || *p == '_' || *p == '-' || (allow_dot && *p == '.'))
            continue;
        return input_error(err, doc, path,
                           "'%s' contains '%c'; names may use letters, digits, '_', '-'%s", name,
                           *p, allow_dot ? " and '.'" : "");
    }
    return TRUE;
}

static char *known_names(GPtrArray *items, size_t name_offset)
{
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < items->len && i < 8; i++) {
        const char *n = *(const char *const *)((const char *)items->pdata[i] + name_offset);
        g_string_append_printf(s, "%s'%s'", i ? ", " : "", n);
    }
    if (items->len > 8)
        g_string_append(s, ", ...");
    return g_string_free(s, FALSE);
}

static void vm_free(gpointer p)
{
    Vm *v = p;
    g_queue_clear(&v->waiting);
    workload_free(v->wl);
    g_free(v->name);
    g_free(v);
}

static void order_free(gpointer p)
{
    MigOrder *o = p;
    migration_free(o->mig);
    migxfer_free(o->xfer);
    g_free(o);
}

static void scheduler_params(const cJSON *root, SchedParams *p)
{
    const cJSON *s = jget(root, "scheduler");
    sched_params_default(p);
    p->mode = strcmp(jget_str(s, "mode"), "fluid") == 0 ? SCHED_MODE_FLUID : SCHED_MODE_CREDIT;
    p->tslice = sim_time_from_s(jget_num(s, "tslice_ms") / 1e3);
    p->tick = sim_time_from_s(jget_num(s, "tick_ms") / 1e3);
    p->ticks_per_acct = (int)jget_int(s, "ticks_per_acct");
    p->ratelimit = sim_time_from_s(jget_num(s, "ratelimit_us") / 1e6);
    p->boost = jget_bool(s, "boost");
}

/* A host's disk: its preset with any figure the scenario overrides; the
 * result must still make sense (queue depth at least the parallelism). */
static gboolean disk_config(SimJsonDoc *doc, const cJSON *jd, int i, DiskParams *p, GError **err)
{
    disk_preset(jget_str(jd, "preset"), p);
    double x;
    if (jget_num_opt(jd, "read_MBps", &x))
        p->read_bytes_per_s = x * 1e6;
    if (jget_num_opt(jd, "write_MBps", &x))
        p->write_bytes_per_s = x * 1e6;
    if (jget_num_opt(jd, "random_read_latency_ms", &x))
        p->random_read_latency_s = x / 1e3;
    if (jget_num_opt(jd, "random_write_latency_ms", &x))
        p->random_write_latency_s = x / 1e3;
    if (jget_num_opt(jd, "seq_read_latency_ms", &x))
        p->seq_read_latency_s = x / 1e3;
    if (jget_num_opt(jd, "seq_write_latency_ms", &x))
        p->seq_write_latency_s = x / 1e3;
    if (jget_num_opt(jd, "parallelism", &x))
        p->parallelism = (int)x;
    if (jget_num_opt(jd, "queue_depth", &x))
        p->queue_depth = (int)x;
    if (jget_num_opt(jd, "rotation_ms", &x))
        p->rotation_s = x / 1e3;
    if (jget_num_opt(jd, "latency_cov", &x))
        p->latency_cov = x;
    GError *derr = NULL;
    if (!disk_params_validate(p, &derr)) {
        g_autofree char *path = g_strdup_printf("hosts[%d].disk", i);
        input_error(err, doc, path, "%s", derr->message);
        g_error_free(derr);
        return FALSE;
    }
    return TRUE;
}

/* Reads a host's configuration; the distance matrix must be square and
 * match the socket count (its values are checked by the NUMA model). */
static gboolean host_config(SimJsonDoc *doc, const cJSON *root, const cJSON *jh, int i,
                            HostConfig *cfg, GError **err)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->numa.sockets = (int)jget_int(jh, "sockets");
    cfg->numa.cores_per_socket = (int)jget_int(jh, "cores_per_socket");
    cfg->numa.memory_per_node = (uint64_t)jget_int(jh, "memory_per_socket_mb") << 20;
    const cJSON *numa = jget(jh, "numa");
    cfg->numa.remote_latency_factor = jget_num(numa, "remote_latency_factor");
    cfg->numa.remote_bandwidth_factor = jget_num(numa, "remote_bandwidth_factor");
    const cJSON *dist = jget(numa, "distance");
    if (dist) {
        int n = cfg->numa.sockets;
        g_autofree char *path = g_strdup_printf("hosts[%d].numa.distance", i);
        if (cJSON_GetArraySize(dist) != n)
            return input_error(err, doc, path, "expected %d rows (one per socket), got %d", n,
                               cJSON_GetArraySize(dist));
        for (int r = 0; r < n; r++) {
            const cJSON *row = cJSON_GetArrayItem(dist, r);
            if (cJSON_GetArraySize(row) != n) {
                g_autofree char *rpath = g_strdup_printf("%s[%d]", path, r);
                return input_error(err, doc, rpath, "expected %d entries, got %d", n,
                                   cJSON_GetArraySize(row));
            }
            for (int c = 0; c < n; c++)
                cfg->distance[r * n + c] = cJSON_GetArrayItem(row, c)->valueint;
        }
        cfg->has_distance = TRUE;
    }
    scheduler_params(root, &cfg->sched);
    cfg->nic_Bps = jget_num(jh, "nic_Gbps") * 1e9 / 8.0;
    cfg->dom0_base_used = (uint64_t)(jget_num(jh, "dom0_base_mb") * 1048576.0);
    cfg->backend_mem_per_guest = (uint64_t)(jget_num(jh, "backend_mb_per_guest") * 1048576.0);
    const cJSON *mgmt = jget(jh, "management");
    cfg->mgmt_period = sim_time_from_s(jget_num(mgmt, "period_s"));
    cfg->mgmt_cpu_ns = jget_num(mgmt, "cpu_ms") * 1e6;
    cfg->heartbeat_timeout = sim_time_from_s(jget_num(mgmt, "heartbeat_timeout_s"));
    if (!disk_config(doc, jget(jh, "disk"), i, &cfg->disk, err))
        return FALSE;
    const cJSON *blk = jget(jh, "blk");
    cfg->blk_grant_mode =
        strcmp(jget_str(blk, "grant_mode"), "copy") == 0 ? BLK_GRANT_COPY : BLK_GRANT_MAP;
    cfg->blk_costs = (BlkCosts){
        .back_request_ns = jget_num(blk, "back_request_us") * 1e3,
        .back_segment_ns = jget_num(blk, "back_segment_us") * 1e3,
        .copy_ns_per_byte = jget_num(blk, "copy_ns_per_byte"),
        .front_request_ns = jget_num(blk, "front_request_us") * 1e3,
        .mem_fraction = jget_num(blk, "mem_fraction"),
    };
    cfg->grant_frames = (uint32_t)jget_int(jh, "grant_frames");
    const cJSON *life = jget(jh, "lifecycle");
    cfg->life = (LifeCosts){
        .create_fixed_ns = jget_num(life, "create_ms") * 1e6,
        .create_ns_per_gb = jget_num(life, "create_ms_per_gb") * 1e6,
        .destroy_fixed_ns = jget_num(life, "destroy_ms") * 1e6,
        .scrub_ns_per_gb = jget_num(life, "scrub_ms_per_gb") * 1e6,
        .resize_fixed_ns = jget_num(life, "resize_ms") * 1e6,
        .balloon_ns_per_gb = jget_num(life, "balloon_ms_per_gb") * 1e6,
    };
    const cJSON *mig = jget(jh, "migration");
    cfg->mig = (MigCosts){
        .send_page_ns = jget_num(mig, "send_page_us") * 1e3,
        .receive_page_ns = jget_num(mig, "receive_page_us") * 1e3,
        .scan_ns_per_page = jget_num(mig, "scan_ns_per_page"),
        .mem_fraction = jget_num(mig, "mem_fraction"),
    };
    const cJSON *net = jget(jh, "net");
    cfg->net = (VifConfig){
        .gso = jget_bool(net, "gso"),
        .rx_queue_packets = (unsigned)jget_int(net, "rx_queue_packets"),
        .costs =
            {
                .back_packet_ns = jget_num(net, "back_packet_us") * 1e3,
                .back_packet_cov = jget_num(net, "back_packet_cov"),
                .copy_ns_per_byte = jget_num(net, "copy_ns_per_byte"),
                .nic_packet_ns = jget_num(net, "nic_packet_us") * 1e3,
                .front_packet_ns = jget_num(net, "front_packet_us") * 1e3,
                .mem_fraction = jget_num(net, "mem_fraction"),
            },
    };
    return TRUE;
}

/* Whether the policy's parameters suit host `cfg` (hosts[i] at `path`,
 * called `name`) and the dom0 it sizes there fits in it. */
static gboolean check_dom0_fits(World *w, SimJsonDoc *doc, const cJSON *params,
                                const HostConfig *cfg, const char *path, const char *name,
                                GError **err)
{
    PolicyHostInfo info = {
        .sockets = cfg->numa.sockets,
        .cores_per_socket = cfg->numa.cores_per_socket,
        .memory_bytes = cfg->numa.memory_per_node * (uint64_t)cfg->numa.sockets,
    };
    g_autofree char *ppath = g_strdup_printf("policy_params.%s", w->policy->name);
    g_autofree char *pwhere = sim_json_doc_where(doc, ppath);
    GError *perr = NULL;
    if (!policy_validate(w->policy, params, &info, pwhere, &perr)) {
        g_set_error(err, perr->domain, perr->code, "%s (host '%s')", perr->message, name);
        g_error_free(perr);
        return FALSE;
    }
    PolicyDom0Size size;
    policy_size_dom0(w->policy, params, &info, &size);
    if (size.vcpus > info.sockets * info.cores_per_socket)
        return input_error(err, doc, path,
                           "policy '%s' gives dom0 %d vCPUs, more than the host's %d pCPUs",
                           w->policy->name, size.vcpus, info.sockets * info.cores_per_socket);
    if (size.memory_bytes >= info.memory_bytes)
        return input_error(err, doc, path,
                           "policy '%s' gives dom0 %" PRIu64 " MiB, all of the host's %" PRIu64
                           " MiB",
                           w->policy->name, size.memory_bytes >> 20, info.memory_bytes >> 20);
    return TRUE;
}

static gboolean build_hosts(World *w, SimJsonDoc *doc, const cJSON *root, const cJSON *params,
                            GError **err)
{
    int i = 0;
    const cJSON *jh;
    cJSON_ArrayForEach(jh, jget(root, "hosts"))
    {
        g_autofree char *path = g_strdup_printf("hosts[%d]", i);
        g_autofree char *name_path = g_strdup_printf("hosts[%d].name", i);
        const char *name = jget_str(jh, "name");
        if (!check_name(doc, name_path, name, FALSE, err))
            return FALSE;
        if (g_hash_table_contains(w->host_by_name, name))
            return input_error(err, doc, name_path, "a host named '%s' is already defined", name);
        HostConfig cfg;
        if (!host_config(doc, root, jh, i, &cfg, err))
            return FALSE;
        if (cfg.numa.sockets * cfg.numa.cores_per_socket > CPUMASK_MAX)
            return input_error(err, doc, path, "%d pCPUs exceed the simulator's limit of %d",
                               cfg.numa.sockets * cfg.numa.cores_per_socket, CPUMASK_MAX);

        if (!check_dom0_fits(w, doc, params, &cfg, path, name, err))
            return FALSE;
        g_autofree char *where = sim_json_doc_where(doc, path);
        Host *h = host_new(w->sim, name, i, &cfg, w->policy, params, where, err);
        if (!h)
            return FALSE;
        g_ptr_array_add(w->hosts, h);
        g_hash_table_insert(w->host_by_name, h->name, h);
        i++;
    }
    return TRUE;
}

/* How many guests the vms[] entry `jv` stands for: its count, or one. */
static int vm_copies(const cJSON *jv)
{
    return jget(jv, "count") ? (int)jget_int(jv, "count") : 1;
}

/* The name of copy k (from 0) of the vms[] entry `jv`: its name without a
 * count, <name><k + 1> with one. */
static char *vm_copy_name(const cJSON *jv, int k)
{
    const char *name = jget_str(jv, "name");
    return jget(jv, "count") ? g_strdup_printf("%s%d", name, k + 1) : g_strdup(name);
}

/* Guests over all vms[] entries, each counted as many times as it stands
 * for. */
static int vm_total(const cJSON *root)
{
    int n = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, jget(root, "vms")) n += vm_copies(jv);
    return n;
}

/* Looks up a guest named at `path` (migrations[i].vm, resizes[i].vm);
 * the base name of a counted vms[] entry is no guest and is reported as
 * such rather than as an unknown name. */
static Vm *vm_lookup(World *w, SimJsonDoc *doc, const char *path, const char *name, GError **err)
{
    Vm *v = g_hash_table_lookup(w->vm_by_name, name);
    if (v)
        return v;
    int entry = GPOINTER_TO_INT(g_hash_table_lookup(w->counted, name)) - 1;
    if (entry >= 0) {
        const cJSON *jv = cJSON_GetArrayItem(jget(sim_json_doc_root(doc), "vms"), entry);
        int n = vm_copies(jv);
        if (n == 0)
            input_error(err, doc, path, "'%s' is vms[%d], whose count is 0: it stands for no guest",
                        name, entry);
        else if (n == 1)
            input_error(err, doc, path,
                        "'%s' is vms[%d], which stands for one guest by vms[%d].count: name "
                        "it '%s1'",
                        name, entry, entry, name);
        else
            input_error(err, doc, path,
                        "'%s' is vms[%d], which stands for %d guests by vms[%d].count: name "
                        "one of them, '%s1' to '%s%d'",
                        name, entry, n, entry, name, name, n);
        return NULL;
    }
    g_autofree char *known = known_names(w->vms, G_STRUCT_OFFSET(Vm, name));
    input_error(err, doc, path, "no guest named '%s' (guests: %s)", name,
                w->vms->len ? known : "none");
    return NULL;
}

/* Packs the guests listed without a host onto the hosts: demand (vCPUs in
 * thousandths, memory in MiB) against what each host has beside dom0's main
 * container and the guests named on it.  Fills host_of[g] with a host
 * index for each such guest, g counting the copies of counted entries (-1
 * for the others). */
static gboolean place_hostless(World *w, SimJsonDoc *doc, const cJSON *root, int *host_of,
                               GError **err)
{
    const cJSON *jp = jget(root, "placement");
    PlacementAlgo algo;
    if (!placement_algo_from_name(jget_str(jp, "hosts"), &algo, err))
        return FALSE;
    double overcommit = jget_num(jp, "cpu_overcommit");
    int nh = (int)w->hosts->len;
    g_autofree uint64_t *cap = g_new0(uint64_t, 2 * (size_t)nh);
    g_autofree uint64_t *used = g_new0(uint64_t, 2 * (size_t)nh);
    for (int k = 0; k < nh; k++) {
        Host *h = w->hosts->pdata[k];
        cap[2 * k] = (uint64_t)(host_pcpus(h) * 1000.0 * overcommit);
        cap[2 * k + 1] = host_memory(h) >> 20;
        used[2 * k] = MIN((uint64_t)h->dom0_size.vcpus * 1000, cap[2 * k]);
        used[2 * k + 1] = host_dom0_allocated(h) >> 20;
    }
    g_autoptr(GArray) demands = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    g_autoptr(GArray) who = g_array_new(FALSE, FALSE, sizeof(int));
    g_autoptr(GArray) entry_of = g_array_new(FALSE, FALSE, sizeof(int));
    int i = 0, g = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, jget(root, "vms"))
    {
        uint64_t d[2] = {(uint64_t)jget_int(jv, "vcpus") * 1000,
                         (uint64_t)jget_int(jv, "memory_mb")};
        Host *h =
            jget(jv, "host") ? g_hash_table_lookup(w->host_by_name, jget_str(jv, "host")) : NULL;
        for (int k = vm_copies(jv); k > 0; k--, g++) {
            host_of[g] = -1;
            if (h) {
                used[2 * h->index] = MIN(used[2 * h->index] + d[0], cap[2 * h->index]);
                used[2 * h->index + 1] = MIN(used[2 * h->index + 1] + d[1], cap[2 * h->index + 1]);
            } else if (!jget(jv, "host")) {
                g_array_append_vals(demands, d, 2);
                g_array_append_val(who, g);
                g_array_append_val(entry_of, i);
            }
        }
        i++;
    }
    if (who->len == 0)
        return TRUE;
    Packer *p = placement_new(2, nh, cap, used, algo, err);
    if (!p)
        return FALSE;
    g_autofree int *bin = g_new(int, who->len);
    placement_place_batch(p, (int)who->len, (const uint64_t *)demands->data, bin, NULL);
    placement_free(p);
    for (guint k = 0; k < who->len; k++) {
        int gi = g_array_index(who, int, k);
        if (bin[k] < 0) {
            g_autofree char *path = g_strdup_printf("vms[%d]", g_array_index(entry_of, int, k));
            return input_error(err, doc, path,
                               "no host has room for this guest (%s packing of its vCPUs and "
                               "memory beside the guests before it)",
                               jget_str(jp, "hosts"));
        }
        host_of[gi] = bin[k];
    }
    return TRUE;
}

/* Builds copy k (from 0) of vms[i], `jv`, on host index `host` when it
 * names none. */
static gboolean build_vm(World *w, SimJsonDoc *doc, const cJSON *jv, int i, int k, int host,
                         GError **err)
{
    g_autofree char *path = g_strdup_printf("vms[%d]", i);
    g_autofree char *name_path = g_strdup_printf("vms[%d].name", i);
    g_autofree char *host_path = g_strdup_printf("vms[%d].host", i);
    g_autofree char *name = vm_copy_name(jv, k);
    if (g_hash_table_contains(w->vm_by_name, name) || g_hash_table_contains(w->host_by_name, name))
        return input_error(err, doc, name_path,
                           "'%s' already names a %s; guest and host names share one "
                           "namespace because both prefix metrics",
                           name, g_hash_table_contains(w->vm_by_name, name) ? "guest" : "host");
    Host *h = jget(jv, "host") ? g_hash_table_lookup(w->host_by_name, jget_str(jv, "host"))
                               : w->hosts->pdata[host];
    if (!h) {
        g_autofree char *known = known_names(w->hosts, G_STRUCT_OFFSET(Host, name));
        return input_error(err, doc, host_path, "no host named '%s' (hosts: %s)",
                           jget_str(jv, "host"), known);
    }
    Vm *v = g_new0(Vm, 1);
    v->name = g_steal_pointer(&name);
    v->index = i;
    g_queue_init(&v->waiting);
    g_ptr_array_add(w->vms, v);
    g_hash_table_insert(w->vm_by_name, v->name, v);
    double socket = -1;
    jget_num_opt(jv, "socket", &socket);
    v->spec = (GuestSpec){
        .name = v->name,
        .vcpus = (int)jget_int(jv, "vcpus"),
        .memory = (uint64_t)jget_int(jv, "memory_mb") << 20,
        .weight = (int)jget_int(jv, "weight"),
        .cap = (int)jget_int(jv, "cap"),
        .socket = (int)socket,
        .pin = jget_bool(jv, "pin"),
        .ring_pages = (unsigned)jget_int(jv, "ring_pages"),
        .indirect_segments = (unsigned)jget_int(jv, "indirect_segments"),
    };
    if (v->spec.indirect_segments > 0 && v->spec.indirect_segments <= BLKIF_MAX_SEGMENTS) {
        g_autofree char *ipath = g_strdup_printf("vms[%d].indirect_segments", i);
        return input_error(
            err, doc, ipath, "expected 0 (no indirect descriptors) or %u..%u, got %u",
            BLKIF_MAX_SEGMENTS + 1, BLKIF_MAX_INDIRECT_SEGMENTS, v->spec.indirect_segments);
    }
    if (v->spec.socket >= h->cfg.numa.sockets) {
        g_autofree char *spath = g_strdup_printf("vms[%d].socket", i);
        return input_error(err, doc, spath, "host '%s' has no socket %d (it has %d)", h->name,
                           v->spec.socket, h->cfg.numa.sockets);
    }

    const cJSON *wl = jget(jv, "workload");
    double wws_mb;
    if (jget_num_opt(wl, "wws_mb", &wws_mb) && wws_mb > (double)(v->spec.memory >> 20)) {
        g_autofree char *wpath = g_strdup_printf("vms[%d].workload.wws_mb", i);
        return input_error(err, doc, wpath,
                           "writable working set %g MiB exceeds the guest's memory "
                           "(%" PRIu64 " MiB)",
                           wws_mb, v->spec.memory >> 20);
    }
    if (strcmp(jget_str(wl, "type"), "web") == 0 &&
        (jget(wl, "rate_per_s") != NULL) == (jget(wl, "clients") != NULL)) {
        g_autofree char *wpath = g_strdup_printf("vms[%d].workload", i);
        return input_error(err, doc, wpath,
                           "a web workload needs exactly one of 'rate_per_s' (open clients) "
                           "and 'clients' (closed clients)");
    }
    v->wl = workload_new(w->sim, v->name, wl);
    workload_set_warmup(v->wl, w->warmup);

    v->world = w;
    double at;
    v->create_at = jget_num_opt(jv, "create_at_s", &at) ? sim_time_from_s(at) : -1;
    v->destroy_at = jget_num_opt(jv, "destroy_at_s", &at) ? sim_time_from_s(at) : -1;
    if (v->destroy_at >= 0 && v->destroy_at < MAX(v->create_at, 0)) {
        g_autofree char *dpath = g_strdup_printf("vms[%d].destroy_at_s", i);
        return input_error(err, doc, dpath, "the guest is destroyed before it is created");
    }
    if (v->create_at >= 0) {
        /* Created during the run, through dom0. */
        v->host = h;
        v->home = h;
        return TRUE;
    }
    /* A guest must fit beside dom0 in its host's memory: the simulator
     * does not overcommit memory, as Xen does not by default. */
    GError *gerr = NULL;
    v->dom = host_start_guest(h, &v->spec, &gerr);
    if (!v->dom) {
        input_error(err, doc, path, "%s", gerr->message);
        g_error_free(gerr);
        return FALSE;
    }
    v->host = h;
    v->home = h;
    return TRUE;
}

static gboolean build_vms(World *w, SimJsonDoc *doc, const cJSON *root, GError **err)
{
    g_autofree int *host_of = g_new0(int, (size_t)vm_total(root) + 1);
    if (!place_hostless(w, doc, root, host_of, err))
        return FALSE;
    int i = 0, g = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, jget(root, "vms"))
    {
        g_autofree char *name_path = g_strdup_printf("vms[%d].name", i);
        const char *base = jget_str(jv, "name");
        if (!check_name(doc, name_path, base, FALSE, err))
            return FALSE;
        /* A counted entry's base name stays reserved, so that a migration
         * naming it is reported as such, never taken for another guest. */
        if (g_hash_table_contains(w->counted, base))
            return input_error(err, doc, name_path,
                               "'%s' is already the base name of the guests of vms[%d] (count)",
                               base, GPOINTER_TO_INT(g_hash_table_lookup(w->counted, base)) - 1);
        if (jget(jv, "count")) {
            if (g_hash_table_contains(w->vm_by_name, base))
                return input_error(err, doc, name_path,
                                   "'%s' already names a guest; the base name of counted guests "
                                   "must name none",
                                   base);
            g_hash_table_insert(w->counted, g_strdup(base), GINT_TO_POINTER(i + 1));
        }
        for (int k = 0; k < vm_copies(jv); k++, g++)
            if (!build_vm(w, doc, jv, i, k, host_of[g], err))
                return FALSE;
        i++;
    }
    return TRUE;
}

static gint order_by_time(gconstpointer a, gconstpointer b)
{
    const MigOrder *x = *(MigOrder *const *)a, *y = *(MigOrder *const *)b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->index - y->index;
}

static gboolean build_migrations(World *w, SimJsonDoc *doc, const cJSON *root, GError **err)
{
    int i = 0;
    const cJSON *jm;
    cJSON_ArrayForEach(jm, jget(root, "migrations"))
    {
        g_autofree char *vm_path = g_strdup_printf("migrations[%d].vm", i);
        g_autofree char *to_path = g_strdup_printf("migrations[%d].to", i);
        Vm *v = vm_lookup(w, doc, vm_path, jget_str(jm, "vm"), err);
        if (!v)
            return FALSE;
        Host *to = g_hash_table_lookup(w->host_by_name, jget_str(jm, "to"));
        if (!to) {
            g_autofree char *known = known_names(w->hosts, G_STRUCT_OFFSET(Host, name));
            return input_error(err, doc, to_path, "no host named '%s' (hosts: %s)",
                               jget_str(jm, "to"), known);
        }
        MigOrder *o = g_new0(MigOrder, 1);
        o->index = i;
        o->vm = v;
        o->to = to;
        o->world = w;
        o->at = sim_time_from_s(jget_num(jm, "at_s"));
        mig_stop_rule_parse(jget_str(jm, "stop_rule"), &o->rule);
        o->resume = sim_time_from_s(jget_num(jm, "resume_ms") / 1e3);
        double gbps;
        if (jget_num_opt(jm, "link_Gbps", &gbps))
            o->link_Bps = gbps * 1e9 / 8.0;
        o->framing = jget_bool(jm, "framing");
        if (strcmp(jget_str(jm, "rate_limit"), "adaptive") == 0)
            o->rate_limit = (MigRateLimit){
                .on = true,
                .floor_Bps = MIG_RATE_FLOOR_Mbps * 1e6 / 8.0,
                .increment_Bps = MIG_RATE_INCREMENT_Mbps * 1e6 / 8.0,
                .ceiling_Bps = MIG_RATE_CEILING_Mbps * 1e6 / 8.0,
            };
        g_ptr_array_add(w->orders, o);
        i++;
    }

    /* Walk each guest's migrations in the order they will begin: a guest
     * cannot be migrated to the host it will be on. */
    /* Not g_ptr_array_copy: the copy would inherit the free function and
     * free the orders with it. */
    g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new(w->orders->len);
    for (guint k = 0; k < w->orders->len; k++)
        g_ptr_array_add(sorted, w->orders->pdata[k]);
    g_ptr_array_sort(sorted, order_by_time);
    g_autoptr(GHashTable) where = g_hash_table_new(g_direct_hash, g_direct_equal);
    for (guint k = 0; k < sorted->len; k++) {
        MigOrder *o = sorted->pdata[k];
        Host *cur = g_hash_table_lookup(where, o->vm);
        if (!cur)
            cur = o->vm->host;
        if (cur == o->to) {
            g_autofree char *to_path = g_strdup_printf("migrations[%d].to", o->index);
            return input_error(err, doc, to_path,
                               "guest '%s' will already be on host '%s' when this migration "
                               "starts",
                               o->vm->name, cur->name);
        }
        g_hash_table_insert(where, o->vm, o->to);
    }
    return TRUE;
}

static gboolean build_resizes(World *w, SimJsonDoc *doc, const cJSON *root, GError **err)
{
    int i = 0;
    const cJSON *jr;
    cJSON_ArrayForEach(jr, jget(root, "resizes"))
    {
        g_autofree char *path = g_strdup_printf("resizes[%d].vm", i);
        Vm *v = vm_lookup(w, doc, path, jget_str(jr, "vm"), err);
        if (!v)
            return FALSE;
        Resize *r = g_new0(Resize, 1);
        r->vm = v;
        r->at = sim_time_from_s(jget_num(jr, "at_s"));
        r->bytes = (uint64_t)jget_int(jr, "memory_mb") << 20;
        g_ptr_array_add(w->resizes, r);
        i++;
    }
    return TRUE;
}

/* A trace scenario: hosts[0] is the template every machine is scaled from;
 * nothing else may be listed. */
static gboolean build_replay(World *w, SimJsonDoc *doc, const cJSON *root, const cJSON *params,
                             GError **err)
{
    const cJSON *tr = jget(root, "trace");
    const cJSON *hosts = jget(root, "hosts");
    if (cJSON_GetArraySize(hosts) != 1)
        return input_error(err, doc, "hosts",
                           "a trace scenario takes its hosts from the trace: list exactly one, "
                           "the machine the trace's capacities are normalised to (got %d)",
                           cJSON_GetArraySize(hosts));
    static const char *const listed[] = {"vms", "migrations", "resizes"};
    for (size_t i = 0; i < G_N_ELEMENTS(listed); i++)
        if (cJSON_GetArraySize(jget(root, listed[i])) > 0)
            return input_error(err, doc, listed[i],
                               "a trace scenario takes its guests from the trace: leave %s empty",
                               listed[i]);
    const cJSON *jh = cJSON_GetArrayItem(hosts, 0);
    HostConfig cfg;
    if (!host_config(doc, root, jh, 0, &cfg, err))
        return FALSE;
    if (!check_dom0_fits(w, doc, params, &cfg, "hosts[0]", jget_str(jh, "name"), err))
        return FALSE;

    const char *path = jget_str(tr, "path");
    g_autofree char *dir = NULL;
    if (g_path_is_absolute(path)) {
        dir = g_strdup(path);
    } else {
        g_autofree char *base = g_path_get_dirname(sim_json_doc_name(doc));
        dir = g_build_filename(base, path, NULL);
    }
    if (!g_file_test(dir, G_FILE_TEST_IS_DIR))
        return input_error(err, doc, "trace.path", "%s is not a directory", dir);
    const cJSON *work = jget(tr, "dom0_work");
    const cJSON *small = jget(tr, "smallest_task");
    PlacementAlgo algo;
    if (!placement_algo_from_name(jget_str(jget(root, "placement"), "sockets"), &algo, err))
        return FALSE;
    ReplayConfig rc = {
        .template_host = &cfg,
        .policy = w->policy,
        .policy_params = params,
        .socket_algo = algo,
        .dir = dir,
        .start_us = (int64_t)llround(jget_num(tr, "start_s") * 1e6),
        .duration = w->duration,
        .max_machines = (int)jget_int(tr, "machines"),
        .skip_bad_rows = jget_bool(tr, "skip_bad_rows"),
        .intercept_cores = jget_num(work, "intercept_cores"),
        .per_cpu_core = jget_num(work, "per_cpu_core"),
        .per_disk_io = jget_num(work, "per_disk_io"),
        .memory_bound_fraction = jget_num(work, "memory_bound_fraction"),
        .smallest_cpu = small ? jget_num(small, "cpu") : NAN,
        .smallest_memory = small ? jget_num(small, "memory") : NAN,
        .sample_interval = w->ts_interval,
        .objective = w->objective,
    };
    GError *rerr = NULL;
    w->replay = replay_new(w->sim, &rc, &rerr);
    if (!w->replay) {
        g_autofree char *where = sim_json_doc_where(doc, "trace");
        g_set_error(err, rerr->domain, rerr->code, "%s: %s", where, rerr->message);
        g_error_free(rerr);
        return FALSE;
    }
    return TRUE;
}

World *world_build(Sim *sim, SimJsonDoc *doc, GError **err)
{
    const cJSON *root = sim_json_doc_root(doc);
    g_autoptr(World) w = g_new0(World, 1);
    w->sim = sim;
    w->hosts = g_ptr_array_new_with_free_func((GDestroyNotify)host_free);
    w->vms = g_ptr_array_new_with_free_func(vm_free);
    w->orders = g_ptr_array_new_with_free_func(order_free);
    w->resizes = g_ptr_array_new_with_free_func(g_free);
    w->host_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    w->vm_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    w->counted = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    w->name = g_strdup(jget_str(root, "name"));
    if (!check_name(doc, "name", w->name, TRUE, err))
        return NULL;
    if (w->name[0] == '.')
        return input_error(err, doc, "name", "'%s' may not start with '.'", w->name), NULL;
    w->duration = sim_time_from_s(jget_num(root, "duration_s"));
    w->ts_interval = sim_time_from_s(jget_num(jget(root, "output"), "timeseries_interval_s"));
    if (w->ts_interval < SIM_US)
        return input_error(err, doc, "output.timeseries_interval_s",
                           "expected at least 1e-06 s, got %g",
                           jget_num(jget(root, "output"), "timeseries_interval_s")),
               NULL;
    double warmup_s;
    w->warmup =
        jget_num_opt(jget(root, "output"), "warmup_s", &warmup_s) ? sim_time_from_s(warmup_s) : -1;
    /* A warm-up as long as the run would delete every observation. */
    if (w->warmup >= w->duration && w->duration > 0)
        return input_error(err, doc, "output.warmup_s",
                           "%g s deletes the whole run (duration_s %g s); expected less", warmup_s,
                           sim_time_to_s(w->duration)),
               NULL;
    w->policy_name = g_strdup(jget_str(root, "policy"));
    w->policy = policy_find(w->policy_name);
    if (!w->policy)
        return input_error(err, doc, "policy", "unknown policy '%s'", w->policy_name), NULL;
    const cJSON *params = jget(jget(root, "policy_params"), w->policy->name);
    objective_weights_from_json(jget(root, "objective"), &w->objective);

    if (jget(root, "trace"))
        return build_replay(w, doc, root, params, err) ? g_steal_pointer(&w) : NULL;
    if (!build_hosts(w, doc, root, params, err) || !build_vms(w, doc, root, err) ||
        !build_migrations(w, doc, root, err) || !build_resizes(w, doc, root, err))
        return NULL;
    return g_steal_pointer(&w);
}

void world_free(World *w)
{
    if (!w)
        return;
    /* Work still in flight belongs to workloads and migrations: hand it
     * back to them while they exist. */
    for (guint i = 0; w->hosts && i < w->hosts->len; i++)
        host_drop_work(w->hosts->pdata[i]);
    replay_free(w->replay);
    if (w->orders)
        g_ptr_array_free(w->orders, TRUE);
    if (w->resizes)
        g_ptr_array_free(w->resizes, TRUE);
    if (w->vms)
        g_ptr_array_free(w->vms, TRUE);
    if (w->hosts)
        g_ptr_array_free(w->hosts, TRUE);
    if (w->host_by_name)
        g_hash_table_destroy(w->host_by_name);
    if (w->vm_by_name)
        g_hash_table_destroy(w->vm_by_name);
    if (w->counted)
        g_hash_table_destroy(w->counted);
    g_free(w->name);
    g_free(w->policy_name);
    g_free(w);
}

const char *world_name(const World *w)
{
    return w->name;
}

const char *world_policy_name(const World *w)
{
    return w->policy_name;
}

SimTime world_duration(const World *w)
{
    return w->duration;
}

/* ---- running ----------------------------------------------------------- */

static char *mig_prefix(const MigOrder *o)
{
    /* The contract names a guest's migration "<vm>.migration.*"; a guest
     * migrated more than once numbers the later ones from 2. */
    if (o->ordinal <= 1)
        return g_strdup_printf("%s.migration", o->vm->name);
    return g_strdup_printf("%s.migration.%d", o->vm->name, o->ordinal);
}

static void begin_migration(World *w, MigOrder *o);

static uint64_t host_free_memory(const Host *h)
{
    uint64_t free = 0;
    for (int n = 0; n < numa_nodes(h->numa); n++)
        free += numa_free_bytes(h->numa, n);
    return free > h->guest_memory_reserved ? free - h->guest_memory_reserved : 0;
}

static void next_of(World *w, Vm *v)
{
    MigOrder *next = g_queue_pop_head(&v->waiting);
    if (next)
        begin_migration(w, next);
}

/* The guest resumes on the destination: its domain there is built (memory
 * on a node, vCPUs), the source domain is torn down, and its workload
 * follows it. */
static void migration_done(Migration *m, void *data)
{
    MigOrder *o = data;
    World *w = o->world;
    Vm *v = o->vm;
    (void)m;
    workload_detach(v->wl);
    host_stop_guest(o->from, v->dom);
    o->to->guest_memory_reserved -= v->spec.memory;
    GuestSpec spec = v->spec;
    if (spec.socket >= o->to->cfg.numa.sockets)
        spec.socket = -1;
    GError *err = NULL;
    Domain *d = host_start_guest(o->to, &spec, &err);
    if (!d && spec.socket >= 0) {
        /* Its socket is full there: let automatic placement choose. */
        g_clear_error(&err);
        spec.socket = -1;
        d = host_start_guest(o->to, &spec, &err);
    }
    g_autofree char *prefix = mig_prefix(o);
    if (!d) {
        sim_metric_setf(w->sim, 1.0, "%s.failed_at_destination", prefix);
        g_clear_error(&err);
        v->dom = NULL;
        v->host = NULL;
        v->active = NULL;
        return;
    }
    v->dom = d;
    v->host = o->to;
    v->active = NULL;
    workload_attach(v->wl, o->to, d);
    g_autofree char *metric = g_strdup_printf("%s.total_s", prefix + strlen(v->name) + 1);
    sim_ts_record(w->sim, v->name, metric, sim_time_to_s(migration_total(o->mig)));
    next_of(w, v);
}

static void begin_migration(World *w, MigOrder *o)
{
    Vm *v = o->vm;
    if (v->active) {
        /* Like xl, one operation at a time per domain: hold it until the
         * current migration ends. */
        g_queue_push_tail(&v->waiting, o);
        return;
    }
    if (!v->host || !v->dom || v->dom->state != DOMAIN_RUNNING) {
        /* Not created yet, or destroyed: nothing to migrate. */
        g_autofree char *prefix = g_strdup_printf("%s.migration", v->name);
        sim_metric_setf(w->sim, 1.0, "%s.refused_no_guest", prefix);
        next_of(w, v);
        return;
    }
    o->from = v->host;
    o->ordinal = ++v->n_migrations;
    /* The destination reserves the guest's memory for the whole migration. */
    if (host_free_memory(o->to) < v->spec.memory) {
        g_autofree char *prefix = mig_prefix(o);
        sim_metric_setf(w->sim, 1.0, "%s.refused_no_memory", prefix);
        next_of(w, v);
        return;
    }
    o->to->guest_memory_reserved += v->spec.memory;
    o->xfer = migxfer_new(o->from, o->to, v->dom);
    migxfer_set_framing(o->xfer, o->framing);
    MigSpec spec = {
        /* The pages it holds now: not what it lent dom0 (closer). */
        .n_pages = v->dom->mem_total / PAGE_SIZE_BYTES,
        .dirty = workload_dirty(v->wl),
        .link_Bps = o->link_Bps,
        .stop_rule = o->rule,
        .resume = o->resume,
        .rate_limit = o->rate_limit,
        .transport = migxfer_transport(o->xfer),
        .done = migration_done,
        .done_data = o,
    };
    v->active = o;
    o->mig = migration_start(w->sim, &spec);
}

static void migration_due(Sim *sim, void *data)
{
    MigOrder *o = data;
    (void)sim;
    begin_migration(o->world, o);
}

static void sample(Sim *sim, void *data)
{
    World *w = data;
    for (guint i = 0; i < w->hosts->len; i++)
        host_sample(w->hosts->pdata[i]);
    for (guint i = 0; i < w->vms->len; i++) {
        Vm *v = w->vms->pdata[i];
        if (!v->active || !v->active->mig)
            continue;
        const Migration *m = v->active->mig;
        const MigRound *r = migration_round(m, migration_n_rounds(m) - 1);
        sim_ts_record(sim, v->name, "migration.sent_mb",
                      migration_pages_delivered(m) * PAGE_SIZE_BYTES / 1048576.0);
        sim_ts_record(sim, v->name, "migration.round", r->index);
    }
    if (sim_now(sim) + w->ts_interval <= w->duration)
        sim_after(sim, w->ts_interval, sample, w);
}

/* ---- creating and destroying guests ----------------------------------- */

static void guest_created(Domain *g, void *data)
{
    Vm *v = data;
    Sim *sim = v->world->sim;
    if (!g) {
        sim_metric_setf(sim, 1.0, "%s.create_failed", v->name);
        v->host = NULL;
        return;
    }
    v->dom = g;
    sim_metric_setf(sim, sim_time_to_s(sim_now(sim) - v->op_started), "%s.create_s", v->name);
    workload_attach(v->wl, v->host, g);
}

static void create_due(Sim *sim, void *data)
{
    Vm *v = data;
    v->op_started = sim_now(sim);
    lifecycle_create(v->host, &v->spec, guest_created, v);
}

static void guest_destroyed(Domain *g, void *data)
{
    Vm *v = data;
    Sim *sim = v->world->sim;
    (void)g;
    sim_metric_setf(sim, sim_time_to_s(sim_now(sim) - v->op_started), "%s.destroy_s", v->name);
    v->dom = NULL;
    v->host = NULL;
}

static void destroy_due(Sim *sim, void *data)
{
    Vm *v = data;
    /* Like xl, one operation at a time: a guest still being created or
     * migrated, or gone, is not destroyed. */
    if (!v->dom || v->active || v->dom->state != DOMAIN_RUNNING) {
        sim_metric_setf(sim, 1.0, "%s.destroy_refused", v->name);
        return;
    }
    v->op_started = sim_now(sim);
    workload_detach(v->wl);
    lifecycle_destroy(v->host, v->dom, guest_destroyed, v);
}

static void resized(Domain *g, void *data)
{
    Resize *r = data;
    Vm *v = r->vm;
    Sim *sim = v->world->sim;
    if (!g) {
        sim_metric_setf(sim, 1.0, "%s.resize_refused", v->name);
        return;
    }
    v->spec.memory = r->bytes;
    sim_metric_setf(sim, sim_time_to_s(sim_now(sim) - v->op_started), "%s.resize_s", v->name);
    sim_metric_setf(sim, (double)(r->bytes >> 20), "%s.memory_mb", v->name);
}

static void resize_due(Sim *sim, void *data)
{
    Resize *r = data;
    Vm *v = r->vm;
    if (!v->dom || v->active || v->dom->state != DOMAIN_RUNNING) {
        sim_metric_setf(sim, 1.0, "%s.resize_refused", v->name);
        return;
    }
    v->op_started = sim_now(sim);
    lifecycle_resize(v->host, v->dom, r->bytes, resized, r);
}

void world_start(World *w)
{
    if (w->replay) {
        replay_start(w->replay);
        return;
    }
    for (guint i = 0; i < w->resizes->len; i++) {
        Resize *r = w->resizes->pdata[i];
        if (r->at <= w->duration)
            sim_at(w->sim, r->at, resize_due, r);
    }
    for (guint i = 0; i < w->vms->len; i++) {
        Vm *v = w->vms->pdata[i];
        if (v->dom)
            workload_attach(v->wl, v->host, v->dom);
        if (v->create_at >= 0 && v->create_at <= w->duration)
            sim_at(w->sim, v->create_at, create_due, v);
        if (v->destroy_at >= 0 && v->destroy_at <= w->duration)
            sim_at(w->sim, v->destroy_at, destroy_due, v);
    }
    for (guint i = 0; i < w->orders->len; i++) {
        MigOrder *o = w->orders->pdata[i];
        if (o->at <= w->duration)
            sim_at(w->sim, o->at, migration_due, o);
    }
    sim_at(w->sim, sim_now(w->sim), sample, w);
}

gboolean world_ok(const World *w, GError **err)
{
    return !w->replay || replay_ok(w->replay, err);
}

/* Sums over the guests, for figures whose x axis is how many there are
 * (vms[].count): total IOzone throughput, and the dom0 CPU the guests
 * caused and paid. */
static void guest_totals(World *w)
{
    double kBps = 0.0, caused = 0.0, charged = 0.0;
    int n_iozone = 0;
    for (guint i = 0; i < w->vms->len; i++) {
        const char *name = ((Vm *)w->vms->pdata[i])->name;
        double x;
        g_autofree char *k = g_strdup_printf("%s.iozone.kBps", name);
        g_autofree char *c = g_strdup_printf("%s.cpu.dom0_work_s", name);
        g_autofree char *p = g_strdup_printf("%s.cpu.charged_dom0_s", name);
        if (sim_metric_get(w->sim, k, &x)) {
            kBps += x;
            n_iozone++;
        }
        if (sim_metric_get(w->sim, c, &x))
            caused += x;
        if (sim_metric_get(w->sim, p, &x))
            charged += x;
    }
    if (n_iozone > 0) {
        sim_metric_set(w->sim, "guests.iozone.kBps", kBps);
        sim_metric_set(w->sim, "guests.iozone.count", n_iozone);
    }
    sim_metric_set(w->sim, "guests.cpu.dom0_work_s", caused);
    sim_metric_set(w->sim, "guests.cpu.charged_dom0_s", charged);
}

/* How the migrated guest fared while it was being copied (models/migxfer.h). */
static void guest_lot_metrics(Sim *sim, const MigOrder *o, const char *p)
{
    MigGuestLot lot;
    migxfer_guest_lot(o->xfer, &lot);
    sim_metric_setf(sim, lot.guest_cpu_share, "%s.guest_cpu_share", p);
    sim_metric_setf(sim, lot.degraded_s, "%s.degraded_s", p);
    sim_metric_setf(sim, lot.live_s, "%s.live_s", p);
    sim_metric_setf(sim, lot.base_cores, "%s.guest_base_cores", p);
}

/* guests.billing_error: sum over guests of |paid - caused| over the sum of
 * caused (docs/MODEL.md, "Billing error"), each guest's figures summed over
 * every host it lived on, so that a migrated guest is one guest. */
static void billing_error(World *w)
{
    g_autoptr(GHashTable) by_name = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    GPtrArray *names = g_ptr_array_new();
    for (guint i = 0; i < w->hosts->len; i++) {
        const Host *h = w->hosts->pdata[i];
        for (guint j = 0; j < h->guests->len; j++) {
            const Domain *g = h->guests->pdata[j];
            double *acc = g_hash_table_lookup(by_name, g->name);
            if (!acc) {
                acc = g_new0(double, 2);
                g_hash_table_insert(by_name, g->name, acc);
                g_ptr_array_add(names, g->name);
            }
            acc[0] += g->dom0_work_ns;
            acc[1] += g->dom0_charged_ns;
        }
    }
    /* In first-seen order, so the floating sums repeat exactly. */
    double caused = 0.0, misbilled = 0.0;
    for (guint i = 0; i < names->len; i++) {
        const double *acc = g_hash_table_lookup(by_name, names->pdata[i]);
        caused += acc[0];
        misbilled += fabs(acc[1] - acc[0]);
    }
    g_ptr_array_free(names, TRUE);
    if (caused > 0.0)
        sim_metric_set(w->sim, "guests.billing_error", misbilled / caused);
}

/* guests.performance and guests.performance_cv (models/multiobj.h): each
 * guest compared with the guests running the same workload on the host the
 * scenario placed it on (a destroyed guest has no host at the end, and a
 * migrated one is judged with the guests it was placed beside). */
static void guest_performance(World *w)
{
    g_autofree MultiobjGuest *g = g_new0(MultiobjGuest, MAX(1u, w->vms->len));
    GPtrArray *groups = g_ptr_array_new_with_free_func(g_free);
    size_t n = 0;
    for (guint i = 0; i < w->vms->len; i++) {
        const Vm *v = w->vms->pdata[i];
        MultiobjSample s = {0};
        double p, disk = 0.0;
        g_autofree char *key = g_strdup_printf("%s.blk.disk_io_s", v->name);
        sim_metric_get(w->sim, key, &disk);
        if (!workload_sample(v->wl, disk, &s) || !multiobj_normalised(&s, &p))
            continue;
        char *group = g_strdup_printf("%s %s", v->home->name, workload_spec_key(v->wl));
        g_ptr_array_add(groups, group);
        g[n++] = (MultiobjGuest){.group = group, .p = p};
    }
    MultiobjSummary sum;
    multiobj_summarise(g, n, &sum);
    multiobj_write(w->sim, &sum);
    g_ptr_array_free(groups, TRUE);
}

void world_finish(World *w)
{
    Sim *sim = w->sim;
    if (w->replay) {
        replay_finish(w->replay);
        return;
    }
    double load = 0.0, secondary = 0.0;
    for (guint i = 0; i < w->hosts->len; i++) {
        Host *h = w->hosts->pdata[i];
        host_finish(h);
        double l = 0.0;
        g_autofree char *name = g_strdup_printf("%s.dom0.main.cpu_load", h->name);
        sim_metric_get(sim, name, &l);
        load += l;
        secondary += host_secondary_busy_ns(h) / 1e9;
    }
    /* The contract's unprefixed dom0 figures: the mean main-container load
     * over hosts and the total secondary-container CPU. */
    sim_metric_set(sim, "dom0.main.cpu_load", w->hosts->len ? load / w->hosts->len : 0.0);
    sim_metric_set(sim, "dom0.secondary.cpu_s", secondary);
    ObjectiveParts obj = {0};
    for (guint i = 0; i < w->hosts->len; i++) {
        ObjectiveParts part;
        host_objective(w->hosts->pdata[i], &part);
        objective_add(&obj, &part);
    }
    objective_write(sim, &obj, &w->objective);
    for (guint i = 0; i < w->vms->len; i++)
        workload_finish(((Vm *)w->vms->pdata[i])->wl);
    double secs = sim_time_to_s(w->duration);
    sim_metric_set(sim, "dom0.secondary.cores", secs > 0 ? secondary / secs : 0.0);
    guest_totals(w);
    billing_error(w);
    guest_performance(w);
    for (guint i = 0; i < w->orders->len; i++) {
        MigOrder *o = w->orders->pdata[i];
        if (!o->mig)
            continue;
        g_autofree char *p = mig_prefix(o);
        bool done = migration_finished(o->mig);
        sim_metric_setf(sim, done ? 1.0 : 0.0, "%s.finished", p);
        sim_metric_setf(sim, sim_time_to_s(migration_started_at(o->mig)), "%s.start_s", p);
        sim_metric_setf(sim, migration_n_rounds(o->mig), "%s.rounds", p);
        sim_metric_setf(sim, round(migration_pages_sent(o->mig)), "%s.pages", p);
        sim_metric_setf(sim, round(migration_pages_sent(o->mig) * PAGE_SIZE_BYTES), "%s.bytes", p);
        if (done) {
            sim_metric_setf(sim, sim_time_to_s(migration_total(o->mig)), "%s.total_s", p);
            sim_metric_setf(sim, sim_time_to_s(migration_downtime(o->mig)), "%s.downtime_s", p);
        }
        sim_metric_setf(sim, migxfer_source_cpu_ns(o->xfer) / 1e9, "%s.dom0_cpu_source_s", p);
        sim_metric_setf(sim, migxfer_dest_cpu_ns(o->xfer) / 1e9, "%s.dom0_cpu_dest_s", p);
        sim_metric_setf(sim, migxfer_charged_guest_ns(o->xfer) / 1e9, "%s.charged_guest_s", p);
        guest_lot_metrics(sim, o, p);
    }
}

/* One record per host, in the hosts' order (a second build of the same
 * scenario has the same hosts in the same order). */
struct WorldPlan {
    GPtrArray *per_host; /* GArray * of PolicyNeed, or NULL */
};

gboolean world_wants_plan(const World *w)
{
    return !w->replay && w->policy->size_offline != NULL;
}

static void record_free(gpointer a)
{
    if (a)
        g_array_unref(a);
}

WorldPlan *world_take_plan(World *w)
{
    WorldPlan *p = g_new0(WorldPlan, 1);
    p->per_host = g_ptr_array_new_with_free_func(record_free);
    for (guint i = 0; i < w->hosts->len; i++)
        g_ptr_array_add(p->per_host, host_take_record(w->hosts->pdata[i]));
    return p;
}

void world_set_plan(World *w, WorldPlan *plan)
{
    for (guint i = 0; i < w->hosts->len && i < plan->per_host->len; i++)
        host_set_plan(w->hosts->pdata[i], g_steal_pointer(&plan->per_host->pdata[i]));
    world_plan_free(plan);
}

void world_plan_free(WorldPlan *plan)
{
    if (!plan)
        return;
    g_ptr_array_free(plan->per_host, TRUE);
    g_free(plan);
}

gboolean world_write_rounds(const World *w, FILE *fp, GError **err)
{
    (void)err;
    fputs("vm,migration,from,to,round,start_s,duration_s,pages,bytes,dirtied_pages,final\n", fp);
    for (guint i = 0; i < w->orders->len; i++) {
        const MigOrder *o = w->orders->pdata[i];
        if (!o->mig)
            continue;
        for (unsigned k = 0; k < migration_n_rounds(o->mig); k++) {
            const MigRound *r = migration_round(o->mig, k);
            fprintf(fp, "%s,%d,%s,%s,%d,%.9f,%.9f,%.0f,%.0f,%.0f,%d\n", o->vm->name, o->ordinal,
                    o->from->name, o->to->name, r->index, sim_time_to_s(r->start),
                    sim_time_to_s(r->duration), r->pages, r->pages * PAGE_SIZE_BYTES, r->dirtied,
                    r->final ? 1 : 0);
        }
    }
    return TRUE;
}

static GPtrArray *iozone_runs(const World *w)
{
    GPtrArray *runs = g_ptr_array_new();
    for (guint i = 0; i < w->vms->len; i++) {
        Iozone *z = workload_iozone(((Vm *)w->vms->pdata[i])->wl);
        if (z)
            g_ptr_array_add(runs, z);
    }
    return runs;
}

gboolean world_has_iozone(const World *w)
{
    g_autoptr(GPtrArray) runs = iozone_runs(w);
    return runs->len > 0;
}

void world_write_iozone_report(const World *w, FILE *fp)
{
    g_autoptr(GPtrArray) runs = iozone_runs(w);
    iozone_write_report(runs, fp);
}

void world_print_summary(const World *w, FILE *fp)
{
    if (w->replay)
        replay_print_summary(w->replay, fp);
    for (guint i = 0; i < w->hosts->len; i++) {
        const Host *h = w->hosts->pdata[i];
        double main_busy = host_main_busy_ns(h);
        double now = (double)sim_now(w->sim), online = host_main_online_ns(h);
        /* A resizing dom0: its range, the mean online and the memory now. */
        g_autofree char *vcpus =
            h->dom0_size.vcpus_online > 0
                ? g_strdup_printf("%d-%d vCPUs (%.2f online on average)", h->dom0_size.vcpus_online,
                                  h->dom0_size.vcpus, now > 0 ? online / now : 0.0)
                : g_strdup_printf("%d vCPUs", h->dom0_size.vcpus);
        uint64_t mem = h->dom0_size.vcpus_online > 0 ? h->main.memory : h->dom0_size.memory_bytes;
        fprintf(fp,
                "  host %-10s %d x %d pCPUs, %" PRIu64 " GiB; dom0 %s, %" PRIu64
                " MiB%s on socket %d%s; main load %.1f%%; %d guest%s\n",
                h->name, h->cfg.numa.sockets, h->cfg.numa.cores_per_socket, host_memory(h) >> 30,
                vcpus, mem >> 20, h->dom0_size.vcpus_online > 0 ? " now" : "", h->dom0_size.socket,
                h->secondary ? " + secondary containers" : "",
                online > 0 ? 100.0 * main_busy / online : 0.0, h->n_resident,
                h->n_resident == 1 ? "" : "s");
    }
    for (guint i = 0; i < w->orders->len; i++) {
        const MigOrder *o = w->orders->pdata[i];
        if (!o->mig) {
            fprintf(fp, "  migrate %-8s not started (due at %.3f s)\n", o->vm->name,
                    sim_time_to_s(o->at));
            continue;
        }
        double gib = migration_pages_sent(o->mig) * PAGE_SIZE_BYTES / 1073741824.0;
        if (migration_finished(o->mig))
            fprintf(fp,
                    "  migrate %-8s %s -> %s (%s): total %.3f s, downtime %.3f s, %u rounds, "
                    "%.3f GiB sent; dom0 CPU %.2f s at the source (%.2f s paid by the guest), "
                    "%.2f s at the destination\n",
                    o->vm->name, o->from->name, o->to->name, mig_stop_rule_name(o->rule),
                    sim_time_to_s(migration_total(o->mig)),
                    sim_time_to_s(migration_downtime(o->mig)), migration_n_rounds(o->mig), gib,
                    migxfer_source_cpu_ns(o->xfer) / 1e9, migxfer_charged_guest_ns(o->xfer) / 1e9,
                    migxfer_dest_cpu_ns(o->xfer) / 1e9);
        else
            fprintf(fp, "  migrate %-8s %s -> %s: unfinished at the horizon (%u rounds so far)\n",
                    o->vm->name, o->from->name, o->to->name, migration_n_rounds(o->mig));
    }
}
