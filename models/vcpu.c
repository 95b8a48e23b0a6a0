#include "models/vcpu.h"

#include <glib.h>
#include <math.h>

typedef struct {
    WorkItem *head, *tail;
} WorkQueue;

struct Vcpu {
    Sim *sim;
    Sched *sched;
    SchedVcpu *sv;
    const NumaHost *numa;
    struct Domain *dom;
    int index;

    WorkQueue q[WORK_N_CLASSES];
    unsigned n_queued; /* waiting items (not counting cur) */
    double backlog;    /* nominal ns of waiting finite items */
    WorkItem *cur;     /* the item the vCPU works on, if any */
    double rate;       /* current execution rate granted by the scheduler */
    int pcpu;          /* where it runs now (-1 when not running) */
    int last_pcpu;
    double factor; /* NUMA time multiplier of cur on pcpu */
    SimTime last;  /* time progress was last credited */
    SimEventId done_ev;

    VcpuChargeFn charge;
    void *charge_data;
    VcpuPayerFn payer_map;
    void *payer_data;
};

static void queue_push_tail(WorkQueue *q, WorkItem *w)
{
    w->next = NULL;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
}

static void queue_push_head(WorkQueue *q, WorkItem *w)
{
    w->next = q->head;
    q->head = w;
    if (!q->tail)
        q->tail = w;
}

static WorkItem *queue_pop(WorkQueue *q)
{
    WorkItem *w = q->head;
    if (w) {
        q->head = w->next;
        if (!q->head)
            q->tail = NULL;
        w->next = NULL;
    }
    return w;
}

static double finite_or_zero(double x)
{
    return isfinite(x) ? x : 0.0;
}

/* Credits the current item with the CPU it got since the last update. */
static void advance(Vcpu *v)
{
    SimTime now = sim_now(v->sim);
    SimTime dt = now - v->last;
    v->last = now;
    if (!v->cur || v->rate <= 0.0 || dt <= 0)
        return;
    double cpu = v->rate * (double)dt;
    v->cur->consumed_ns += cpu;
    if (isfinite(v->cur->remaining))
        v->cur->remaining = fmax(0.0, v->cur->remaining - cpu / v->factor);
    if (v->charge)
        v->charge(v, v->cur, cpu, v->charge_data);
}

static void complete(Sim *sim, void *data);

/* Recomputes the NUMA factor and the completion event of the current item. */
static void reschedule(Vcpu *v)
{
    if (v->done_ev) {
        sim_cancel(v->sim, v->done_ev);
        v->done_ev = SIM_EVENT_NONE;
    }
    if (!v->cur || v->rate <= 0.0 || v->pcpu < 0)
        return;
    v->factor = numa_work_factor(v->numa, numa_pcpu_node(v->numa, v->pcpu), v->cur->mem,
                                 v->cur->mem_fraction);
    if (!isfinite(v->cur->remaining))
        return;
    /* Round up: the item is not done before its last nanosecond of work. */
    double ns = ceil(v->cur->remaining * v->factor / v->rate);
    v->done_ev = sim_after(v->sim, (SimTime)ns, complete, v);
}

static int best_class(const Vcpu *v)
{
    for (int c = 0; c < WORK_N_CLASSES; c++)
        if (v->q[c].head)
            return c;
    return WORK_N_CLASSES;
}

static void start_item(Vcpu *v, WorkItem *w)
{
    v->cur = w;
    if (w->started < 0)
        w->started = sim_now(v->sim);
    SchedDom *payer = w->payer && v->payer_map ? v->payer_map(w->payer, v->payer_data) : NULL;
    sched_vcpu_set_payer(v->sv, payer);
}

/* Picks the item to work on: the current one unless a higher class waits. */
static void reselect(Vcpu *v)
{
    int c = best_class(v);
    if (v->cur && (int)v->cur->cls <= c)
        return;
    if (c == WORK_N_CLASSES)
        return;
    if (v->cur) {
        /* Preempted: it goes back to the front of its class, remaining
         * work intact. */
        queue_push_head(&v->q[v->cur->cls], v->cur);
        v->n_queued++;
        v->backlog += finite_or_zero(v->cur->remaining);
        v->cur = NULL;
    }
    WorkItem *w = queue_pop(&v->q[c]);
    v->n_queued--;
    v->backlog -= finite_or_zero(w->remaining);
    if (v->backlog < 0)
        v->backlog = 0;
    start_item(v, w);
}

static void complete(Sim *sim, void *data)
{
    Vcpu *v = data;
    (void)sim;
    v->done_ev = SIM_EVENT_NONE;
    advance(v);
    WorkItem *w = v->cur;
    w->remaining = 0.0;
    v->cur = NULL;
    reselect(v);
    if (v->cur) {
        reschedule(v);
        /* Last: the callback may submit more work to this vCPU or free w. */
        if (w->done)
            w->done(w, w->data);
        return;
    }
    /* The queue is empty, but the callback may hand the vCPU its next item
     * at this very instant (the save process maps its next batch as soon as
     * one is copied): a vCPU with work does not block, so it blocks only if
     * the callback left it idle.  Blocking and waking at the same instant
     * would make it a fresh wakee each time, BOOSTed in credit mode
     * (csched_unit_wake), which a process that never waits is not. */
    if (w->done)
        w->done(w, w->data);
    if (!v->cur) {
        sched_vcpu_set_payer(v->sv, NULL);
        sched_vcpu_sleep(v->sv);
    }
}

static void on_set_rate(void *owner, double rate, int pcpu)
{
    Vcpu *v = owner;
    advance(v);
    v->rate = rate;
    v->pcpu = rate > 0.0 ? pcpu : -1;
    if (v->pcpu >= 0)
        v->last_pcpu = v->pcpu;
    reschedule(v);
}

static const SchedVcpuOps vcpu_ops = {.set_rate = on_set_rate};

Vcpu *vcpu_new(Sim *sim, Sched *sched, SchedDom *sd, const NumaHost *numa, struct Domain *dom,
               int index)
{
    Vcpu *v = g_new0(Vcpu, 1);
    v->sim = sim;
    v->sched = sched;
    v->numa = numa;
    v->dom = dom;
    v->index = index;
    v->pcpu = v->last_pcpu = -1;
    v->factor = 1.0;
    v->last = sim_now(sim);
    v->sv = sched_vcpu_new(sched, sd, &vcpu_ops, v);
    return v;
}

void vcpu_free(Vcpu *v)
{
    g_free(v);
}

SchedVcpu *vcpu_sched(Vcpu *v)
{
    return v->sv;
}

struct Domain *vcpu_domain(const Vcpu *v)
{
    return v->dom;
}

int vcpu_index(const Vcpu *v)
{
    return v->index;
}

double vcpu_numa_factor(const Vcpu *v)
{
    return v->factor;
}

double vcpu_unstarted_wait_ns(const Vcpu *v)
{
    SimTime now = sim_now(v->sim);
    double ns = 0.0;
    for (int c = 0; c < WORK_N_CLASSES; c++)
        for (const WorkItem *w = v->q[c].head; w; w = w->next)
            if (w->started < 0)
                ns += (double)(now - w->submitted);
    return ns;
}

void vcpu_set_charge_hook(Vcpu *v, VcpuChargeFn fn, void *data)
{
    v->charge = fn;
    v->charge_data = data;
}

void vcpu_set_payer_map(Vcpu *v, VcpuPayerFn fn, void *data)
{
    v->payer_map = fn;
    v->payer_data = data;
}

void vcpu_submit(Vcpu *v, WorkItem *w)
{
    w->remaining = w->cpu_ns;
    w->submitted = sim_now(v->sim);
    w->started = -1;
    w->consumed_ns = 0.0;
    w->dropped = 0;
    queue_push_tail(&v->q[w->cls], w);
    v->n_queued++;
    v->backlog += finite_or_zero(w->remaining);
    advance(v);
    WorkItem *before = v->cur;
    reselect(v);
    if (v->cur != before)
        reschedule(v);
    /* Waking may run on_set_rate at once, which schedules the completion. */
    sched_vcpu_wake(v->sv);
}

void vcpu_drop_all(Vcpu *v)
{
    advance(v);
    if (v->done_ev) {
        sim_cancel(v->sim, v->done_ev);
        v->done_ev = SIM_EVENT_NONE;
    }
    GPtrArray *dropped = g_ptr_array_new();
    if (v->cur)
        g_ptr_array_add(dropped, v->cur);
    v->cur = NULL;
    for (int c = 0; c < WORK_N_CLASSES; c++) {
        WorkItem *w;
        while ((w = queue_pop(&v->q[c])))
            g_ptr_array_add(dropped, w);
    }
    v->n_queued = 0;
    v->backlog = 0.0;
    sched_vcpu_set_payer(v->sv, NULL);
    sched_vcpu_sleep(v->sv);
    /* Callbacks last, once the vCPU is consistent: they may free the items. */
    for (guint i = 0; i < dropped->len; i++) {
        WorkItem *w = dropped->pdata[i];
        w->dropped = 1;
        if (w->done)
            w->done(w, w->data);
    }
    g_ptr_array_free(dropped, TRUE);
}

unsigned vcpu_queued(const Vcpu *v)
{
    return v->n_queued + (v->cur ? 1u : 0u);
}

double vcpu_backlog_ns(const Vcpu *v)
{
    return v->backlog + (v->cur ? finite_or_zero(v->cur->remaining) : 0.0);
}

int vcpu_last_pcpu(const Vcpu *v)
{
    return v->last_pcpu;
}

void vcpu_set_initial_pcpu(Vcpu *v, int pcpu)
{
    if (v->last_pcpu < 0)
        v->last_pcpu = pcpu;
}
