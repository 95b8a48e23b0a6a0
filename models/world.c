#include "models/world.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "models/dirty.h"
#include "models/migration.h"
#include "sim/sim_error.h"
#include "sim/sim_jget.h"

typedef struct {
    char *name;
    int index;
    int sockets;
    int cores_per_socket;
    uint64_t memory_per_socket; /* bytes */
    double nic_Bps;             /* bytes/s */
    PolicyDom0Size dom0;
    uint64_t guest_memory; /* bytes held by resident or arriving guests */
    int resident;          /* guests running here */
} Host;

typedef struct MigOrder MigOrder;

typedef struct {
    char *name;
    int index;
    Host *host;
    int vcpus;
    uint64_t memory; /* bytes */
    uint64_t pages;
    DirtyModel dirty;
    MigOrder *active; /* migration under way, if any */
    GQueue waiting;   /* MigOrder * due but held until the active one ends */
    int n_migrations; /* migrations begun so far */
} Vm;

struct MigOrder {
    int index; /* position in the scenario's migrations[] */
    Vm *vm;
    Host *from; /* set when it begins */
    Host *to;
    SimTime at;
    MigStopRule rule;
    SimTime resume;
    double link_Bps; /* 0: the slower of the two NICs */
    int ordinal;     /* 1 for the VM's first migration, 2 for its second, ... */
    Migration *mig;
    World *world;
};

struct World {
    Sim *sim;
    char *name;
    char *policy_name;
    const PolicyOps *policy;
    SimTime duration;
    SimTime ts_interval;
    GPtrArray *hosts;  /* Host * (owned) */
    GPtrArray *vms;    /* Vm * (owned) */
    GPtrArray *orders; /* MigOrder * (owned) */
    GHashTable *host_by_name;
    GHashTable *vm_by_name;
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

static void host_free(gpointer p)
{
    Host *h = p;
    g_free(h->name);
    g_free(h);
}

static void vm_free(gpointer p)
{
    Vm *v = p;
    g_queue_clear(&v->waiting);
    g_free(v->name);
    g_free(v);
}

static void order_free(gpointer p)
{
    MigOrder *o = p;
    migration_free(o->mig);
    g_free(o);
}

static gboolean build_hosts(World *w, SimJsonDoc *doc, const cJSON *root, const cJSON *params,
                            GError **err)
{
    const cJSON *hosts = jget(root, "hosts");
    int i = 0;
    const cJSON *jh;
    cJSON_ArrayForEach(jh, hosts)
    {
        g_autofree char *path = g_strdup_printf("hosts[%d]", i);
        g_autofree char *name_path = g_strdup_printf("hosts[%d].name", i);
        const char *name = jget_str(jh, "name");
        if (!check_name(doc, name_path, name, FALSE, err))
            return FALSE;
        if (g_hash_table_contains(w->host_by_name, name))
            return input_error(err, doc, name_path, "a host named '%s' is already defined", name);
        Host *h = g_new0(Host, 1);
        h->name = g_strdup(name);
        h->index = i;
        h->sockets = (int)jget_int(jh, "sockets");
        h->cores_per_socket = (int)jget_int(jh, "cores_per_socket");
        h->memory_per_socket = (uint64_t)jget_int(jh, "memory_per_socket_mb") << 20;
        h->nic_Bps = jget_num(jh, "nic_Gbps") * 1e9 / 8.0;
        g_ptr_array_add(w->hosts, h);
        g_hash_table_insert(w->host_by_name, h->name, h);

        PolicyHostInfo info = {
            .sockets = h->sockets,
            .cores_per_socket = h->cores_per_socket,
            .memory_bytes = h->memory_per_socket * (uint64_t)h->sockets,
        };
        g_autofree char *ppath = g_strdup_printf("policy_params.%s", w->policy->name);
        g_autofree char *where = sim_json_doc_where(doc, ppath);
        GError *perr = NULL;
        if (!policy_validate(w->policy, params, &info, where, &perr)) {
            g_set_error(err, perr->domain, perr->code, "%s (host '%s')", perr->message, h->name);
            g_error_free(perr);
            return FALSE;
        }
        policy_size_dom0(w->policy, params, &info, &h->dom0);
        if (h->dom0.vcpus > h->sockets * h->cores_per_socket)
            return input_error(err, doc, path,
                               "policy '%s' gives dom0 %d vCPUs, more than the host's %d pCPUs",
                               w->policy->name, h->dom0.vcpus, h->sockets * h->cores_per_socket);
        if (h->dom0.memory_bytes >= info.memory_bytes)
            return input_error(
                err, doc, path,
                "policy '%s' gives dom0 %" PRIu64 " MiB, all of the host's %" PRIu64 " MiB",
                w->policy->name, h->dom0.memory_bytes >> 20, info.memory_bytes >> 20);
        i++;
    }
    return TRUE;
}

static uint64_t host_memory(const Host *h)
{
    return h->memory_per_socket * (uint64_t)h->sockets;
}

static gboolean build_vms(World *w, SimJsonDoc *doc, const cJSON *root, GError **err)
{
    int i = 0;
    const cJSON *jv;
    cJSON_ArrayForEach(jv, jget(root, "vms"))
    {
        g_autofree char *path = g_strdup_printf("vms[%d]", i);
        g_autofree char *name_path = g_strdup_printf("vms[%d].name", i);
        g_autofree char *host_path = g_strdup_printf("vms[%d].host", i);
        const char *name = jget_str(jv, "name");
        if (!check_name(doc, name_path, name, FALSE, err))
            return FALSE;
        if (g_hash_table_contains(w->vm_by_name, name) ||
            g_hash_table_contains(w->host_by_name, name))
            return input_error(err, doc, name_path,
                               "'%s' already names a %s; guest and host names share one "
                               "namespace because both prefix metrics",
                               name, g_hash_table_contains(w->vm_by_name, name) ? "guest" : "host");
        Host *h = g_hash_table_lookup(w->host_by_name, jget_str(jv, "host"));
        if (!h) {
            g_autofree char *known = known_names(w->hosts, G_STRUCT_OFFSET(Host, name));
            return input_error(err, doc, host_path, "no host named '%s' (hosts: %s)",
                               jget_str(jv, "host"), known);
        }
        Vm *v = g_new0(Vm, 1);
        v->name = g_strdup(name);
        v->index = i;
        v->host = h;
        v->vcpus = (int)jget_int(jv, "vcpus");
        v->memory = (uint64_t)jget_int(jv, "memory_mb") << 20;
        v->pages = v->memory / PAGE_SIZE_BYTES;
        g_queue_init(&v->waiting);
        g_ptr_array_add(w->vms, v);
        g_hash_table_insert(w->vm_by_name, v->name, v);

        const cJSON *wl = jget(jv, "workload");
        if (strcmp(jget_str(wl, "type"), "memory-dirtier") == 0) {
            v->dirty.rate_pages_s = jget_num(wl, "dirty_rate_pages_s");
            double wws_mb;
            if (jget_num_opt(wl, "wws_mb", &wws_mb)) {
                if (wws_mb > (double)(v->memory >> 20)) {
                    g_autofree char *wpath = g_strdup_printf("vms[%d].workload.wws_mb", i);
                    return input_error(err, doc, wpath,
                                       "writable working set %g MiB exceeds the guest's memory "
                                       "(%" PRIu64 " MiB)",
                                       wws_mb, v->memory >> 20);
                }
                v->dirty.wws_pages = wws_mb * 1048576.0 / PAGE_SIZE_BYTES;
            }
        }

        /* A guest must fit beside dom0 in its host's memory: the simulator
         * does not overcommit memory, as Xen does not by default. */
        h->guest_memory += v->memory;
        h->resident++;
        if (h->guest_memory + h->dom0.memory_bytes > host_memory(h))
            return input_error(err, doc, path,
                               "host '%s' is out of memory: dom0 %" PRIu64 " MiB + guests %" PRIu64
                               " MiB > %" PRIu64 " MiB",
                               h->name, h->dom0.memory_bytes >> 20, h->guest_memory >> 20,
                               host_memory(h) >> 20);
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
        Vm *v = g_hash_table_lookup(w->vm_by_name, jget_str(jm, "vm"));
        if (!v) {
            g_autofree char *known = known_names(w->vms, G_STRUCT_OFFSET(Vm, name));
            return input_error(err, doc, vm_path, "no guest named '%s' (guests: %s)",
                               jget_str(jm, "vm"), w->vms->len ? known : "none");
        }
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

World *world_build(Sim *sim, SimJsonDoc *doc, GError **err)
{
    const cJSON *root = sim_json_doc_root(doc);
    g_autoptr(World) w = g_new0(World, 1);
    w->sim = sim;
    w->hosts = g_ptr_array_new_with_free_func(host_free);
    w->vms = g_ptr_array_new_with_free_func(vm_free);
    w->orders = g_ptr_array_new_with_free_func(order_free);
    w->host_by_name = g_hash_table_new(g_str_hash, g_str_equal);
    w->vm_by_name = g_hash_table_new(g_str_hash, g_str_equal);

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
    w->policy_name = g_strdup(jget_str(root, "policy"));
    w->policy = policy_find(w->policy_name);
    if (!w->policy)
        return input_error(err, doc, "policy", "unknown policy '%s'", w->policy_name), NULL;
    const cJSON *params = jget(jget(root, "policy_params"), w->policy->name);

    if (!build_hosts(w, doc, root, params, err) || !build_vms(w, doc, root, err) ||
        !build_migrations(w, doc, root, err))
        return NULL;
    return g_steal_pointer(&w);
}

void world_free(World *w)
{
    if (!w)
        return;
    if (w->orders)
        g_ptr_array_free(w->orders, TRUE);
    if (w->vms)
        g_ptr_array_free(w->vms, TRUE);
    if (w->hosts)
        g_ptr_array_free(w->hosts, TRUE);
    if (w->host_by_name)
        g_hash_table_destroy(w->host_by_name);
    if (w->vm_by_name)
        g_hash_table_destroy(w->vm_by_name);
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

static void migration_done(Migration *m, void *data)
{
    MigOrder *o = data;
    World *w = o->world;
    Vm *v = o->vm;
    (void)m;
    o->from->guest_memory -= v->memory;
    o->from->resident--;
    o->to->resident++;
    v->host = o->to;
    v->active = NULL;
    g_autofree char *prefix = mig_prefix(o);
    g_autofree char *metric = g_strdup_printf("%s.total_s", prefix + strlen(v->name) + 1);
    sim_ts_record(w->sim, v->name, metric, sim_time_to_s(migration_total(o->mig)));
    MigOrder *next = g_queue_pop_head(&v->waiting);
    if (next)
        begin_migration(w, next);
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
    o->from = v->host;
    o->ordinal = ++v->n_migrations;
    /* The destination reserves the guest's memory for the whole migration. */
    if (o->to->guest_memory + v->memory + o->to->dom0.memory_bytes > host_memory(o->to)) {
        g_autofree char *prefix = mig_prefix(o);
        sim_metric_setf(w->sim, 1.0, "%s.refused_no_memory", prefix);
        MigOrder *next = g_queue_pop_head(&v->waiting);
        if (next)
            begin_migration(w, next);
        return;
    }
    o->to->guest_memory += v->memory;
    MigSpec spec = {
        .n_pages = v->pages,
        .dirty = v->dirty,
        .link_Bps = o->link_Bps > 0 ? o->link_Bps : fmin(o->from->nic_Bps, o->to->nic_Bps),
        .stop_rule = o->rule,
        .resume = o->resume,
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
    for (guint i = 0; i < w->hosts->len; i++) {
        Host *h = w->hosts->pdata[i];
        sim_ts_record(sim, h->name, "guests", h->resident);
        sim_ts_record(sim, h->name, "memory_used_mb",
                      (double)((h->guest_memory + h->dom0.memory_bytes) >> 20));
    }
    for (guint i = 0; i < w->vms->len; i++) {
        Vm *v = w->vms->pdata[i];
        if (!v->active)
            continue;
        /* Bytes on the wire so far: finished rounds plus the elapsed share
         * of the current one. */
        const Migration *m = v->active->mig;
        const MigRound *r = migration_round(m, migration_n_rounds(m) - 1);
        double sent = migration_pages_sent(m);
        if (r->duration > 0)
            sent += r->pages * (double)(sim_now(sim) - r->start) / (double)r->duration;
        sim_ts_record(sim, v->name, "migration.sent_mb", sent * PAGE_SIZE_BYTES / 1048576.0);
        sim_ts_record(sim, v->name, "migration.round", r->index);
    }
    if (sim_now(sim) + w->ts_interval <= w->duration)
        sim_after(sim, w->ts_interval, sample, w);
}

void world_start(World *w)
{
    for (guint i = 0; i < w->orders->len; i++) {
        MigOrder *o = w->orders->pdata[i];
        if (o->at <= w->duration)
            sim_at(w->sim, o->at, migration_due, o);
    }
    sim_at(w->sim, sim_now(w->sim), sample, w);
}

void world_finish(World *w)
{
    Sim *sim = w->sim;
    for (guint i = 0; i < w->hosts->len; i++) {
        Host *h = w->hosts->pdata[i];
        sim_metric_setf(sim, h->dom0.vcpus, "%s.dom0.vcpus", h->name);
        sim_metric_setf(sim, (double)(h->dom0.memory_bytes >> 20), "%s.dom0.memory_mb", h->name);
        sim_metric_setf(sim, h->dom0.socket, "%s.dom0.socket", h->name);
        sim_metric_setf(sim, h->resident, "%s.guests", h->name);
    }
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
    }
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

void world_print_summary(const World *w, FILE *fp)
{
    for (guint i = 0; i < w->hosts->len; i++) {
        const Host *h = w->hosts->pdata[i];
        fprintf(fp,
                "  host %-10s %d x %d pCPUs, %" PRIu64 " GiB; dom0 %d vCPUs, %" PRIu64
                " MiB on socket %d; %d guest%s\n",
                h->name, h->sockets, h->cores_per_socket, host_memory(h) >> 30, h->dom0.vcpus,
                h->dom0.memory_bytes >> 20, h->dom0.socket, h->resident,
                h->resident == 1 ? "" : "s");
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
                    "%.3f GiB sent\n",
                    o->vm->name, o->from->name, o->to->name, mig_stop_rule_name(o->rule),
                    sim_time_to_s(migration_total(o->mig)),
                    sim_time_to_s(migration_downtime(o->mig)), migration_n_rounds(o->mig), gib);
        else
            fprintf(fp, "  migrate %-8s %s -> %s: unfinished at the horizon (%u rounds so far)\n",
                    o->vm->name, o->from->name, o->to->name, migration_n_rounds(o->mig));
    }
}
