#include "models/web.h"

#include <gsl/gsl_randist.h>
#include <math.h>

#include "models/netif.h"
#include "sim/sim_jget.h"
#include "sim/sim_stats.h"

struct Web {
    Sim *sim;
    char *vm;
    gsl_rng *rng;
    double rate_per_s; /* open clients (0: closed) */
    int clients;       /* closed clients */
    double think_s;
    double cpu_ns;
    uint64_t request_bytes, response_bytes;

    Host *host;
    Domain *dom;
    uint64_t gen; /* bumped at every detach: stale requests are ignored */
    unsigned next_vcpu;
    SimEventId next_arrival;
    GHashTable *live; /* Request * in flight */

    GArray *latencies; /* double s, one per completed response */
    SimTally latency;
    SimBatchMeans *steady; /* the latencies after the warm-up, in batches */
    uint64_t requests, completed;
    SimTime attached_at, active_ns;
};

typedef struct {
    Web *w;
    uint64_t gen;
    SimTime arrived;
    Vcpu *vcpu;
    WorkItem item;
    SimEventId think_ev;
} Request;

Web *web_new(Sim *sim, const char *vm, const cJSON *spec)
{
    Web *w = g_new0(Web, 1);
    w->sim = sim;
    w->vm = g_strdup(vm);
    g_autofree char *stream = g_strdup_printf("%s.web", vm);
    w->rng = sim_rng(sim, stream);
    double x;
    if (jget_num_opt(spec, "rate_per_s", &x))
        w->rate_per_s = x;
    if (jget_num_opt(spec, "clients", &x))
        w->clients = (int)x;
    w->think_s = jget_num(spec, "think_ms") / 1e3;
    w->cpu_ns = jget_num(spec, "cpu_us") * 1e3;
    w->request_bytes = (uint64_t)jget_num(spec, "request_bytes");
    w->response_bytes = (uint64_t)(jget_num(spec, "response_kb") * 1024.0);
    w->live = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
    w->latencies = g_array_new(FALSE, FALSE, sizeof(double));
    sim_tally_init(&w->latency);
    w->steady = g_new(SimBatchMeans, 1);
    sim_bm_init(w->steady, -1);
    return w;
}

void web_free(Web *w)
{
    if (!w)
        return;
    g_hash_table_destroy(w->live);
    g_array_free(w->latencies, TRUE);
    g_free(w->steady);
    g_free(w->vm);
    g_free(w);
}

void web_set_warmup(Web *w, SimTime warmup)
{
    sim_bm_init(w->steady, warmup);
}

static void send_request(Web *w);

static void think_over(Sim *sim, void *data)
{
    Request *r = data;
    Web *w = r->w;
    (void)sim;
    bool current = r->gen == w->gen && w->dom;
    g_hash_table_remove(w->live, r);
    if (current)
        send_request(w);
}

static void response_sent(void *data)
{
    Request *r = data;
    Web *w = r->w;
    if (r->gen != w->gen || !w->dom) {
        g_hash_table_remove(w->live, r);
        return;
    }
    double lat = sim_time_to_s(sim_now(w->sim) - r->arrived);
    g_array_append_val(w->latencies, lat);
    sim_tally_add(&w->latency, lat);
    sim_bm_add(w->steady, sim_now(w->sim), lat);
    w->completed++;
    if (w->clients > 0) {
        /* The same client thinks, then sends again. */
        double think = w->think_s > 0 ? gsl_ran_exponential(w->rng, w->think_s) : 0.0;
        r->think_ev = sim_after(w->sim, sim_time_from_s(think), think_over, r);
        return;
    }
    g_hash_table_remove(w->live, r);
}

static void served(WorkItem *item, void *data)
{
    Request *r = data;
    Web *w = r->w;
    if (item->dropped || r->gen != w->gen || !w->dom) {
        g_hash_table_remove(w->live, r);
        return;
    }
    vif_send(w->dom->vif, w->response_bytes, r->vcpu, response_sent, r);
}

static void request_received(void *data)
{
    Request *r = data;
    Web *w = r->w;
    if (r->gen != w->gen || !w->dom) {
        g_hash_table_remove(w->live, r);
        return;
    }
    /* The server's worker runs on the guest's vCPUs in turn. */
    Domain *g = w->dom;
    r->vcpu = g->vcpus->pdata[w->next_vcpu++ % g->vcpus->len];
    r->item = (WorkItem){0};
    r->item.cpu_ns = w->cpu_ns;
    r->item.mem = g->mem;
    r->item.group = WORK_GUEST;
    r->item.cls = WORK_USER;
    r->item.done = served;
    r->item.data = r;
    vcpu_submit(r->vcpu, &r->item);
}

static void send_request(Web *w)
{
    Request *r = g_new0(Request, 1);
    r->w = w;
    r->gen = w->gen;
    r->arrived = sim_now(w->sim);
    g_hash_table_add(w->live, r);
    w->requests++;
    vif_receive(w->dom->vif, w->request_bytes, request_received, r);
}

static void open_arrival(Sim *sim, void *data)
{
    Web *w = data;
    (void)sim;
    w->next_arrival = SIM_EVENT_NONE;
    send_request(w);
    double gap = gsl_ran_exponential(w->rng, 1.0 / w->rate_per_s);
    w->next_arrival = sim_after(w->sim, sim_time_from_s(gap), open_arrival, w);
}

void web_attach(Web *w, Host *h, Domain *g)
{
    w->host = h;
    w->dom = g;
    w->attached_at = sim_now(w->sim);
    if (w->rate_per_s > 0) {
        double gap = gsl_ran_exponential(w->rng, 1.0 / w->rate_per_s);
        w->next_arrival = sim_after(w->sim, sim_time_from_s(gap), open_arrival, w);
    }
    for (int i = 0; i < w->clients; i++)
        send_request(w);
}

void web_detach(Web *w)
{
    if (!w->dom)
        return;
    if (w->next_arrival) {
        sim_cancel(w->sim, w->next_arrival);
        w->next_arrival = SIM_EVENT_NONE;
    }
    w->active_ns += sim_now(w->sim) - w->attached_at;
    w->gen++;
    w->dom = NULL;
    w->host = NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void web_sample(const Web *w, MultiobjSample *s)
{
    s->issued = w->requests;
    s->completed = w->completed;
    s->service_s = w->cpu_ns / 1e9;
    s->mean_s = w->latency.n ? w->latency.mean : 0.0;
}

void web_finish(Web *w)
{
    Sim *sim = w->sim;
    double active = sim_time_to_s(w->active_ns + (w->dom ? sim_now(sim) - w->attached_at : 0));
    sim_metric_setf(sim, (double)w->requests, "%s.web.requests", w->vm);
    sim_metric_setf(sim, (double)w->completed, "%s.web.completed", w->vm);
    sim_metric_setf(sim, active > 0 ? (double)w->completed / active : 0.0, "%s.web.throughput_rps",
                    w->vm);
    sim_metric_setf(sim, w->latency.n ? w->latency.mean : 0.0, "%s.web.latency_mean_s", w->vm);
    /* latency_mean_s is the whole run's (the objective's, multiobj.h); the
     * steady-state mean after the warm-up and its batch-means interval, as
     * io.response_* (sim_stats.h), are latency_steady_*. */
    sim_bm_publish(sim, w->steady, w->vm, "web.latency_steady", "web");
    double p99 = 0.0;
    if (w->latencies->len > 0) {
        g_array_sort(w->latencies, cmp_double);
        /* The smallest latency at or above 99% of the responses. */
        guint k = (guint)ceil(0.99 * w->latencies->len) - 1;
        p99 = g_array_index(w->latencies, double, k);
    }
    sim_metric_setf(sim, p99, "%s.web.latency_p99_s", w->vm);
}
