/* The CPU scheduler's common part: parameters, domains, vCPUs, affinity,
 * payers and CPU accounting.  The two resolutions live in sched_credit.c
 * (request level, Xen's credit scheduler) and sched_fluid.c (rate level,
 * weighted max-min fair sharing); each file's top comment lists where it
 * departs from Xen.
 *
 * Shares: weight is per active vCPU, as in Xen.
 *   Xen's csched_acct() gives an active domain
 *   credit_total x weight x active_unit_count / sum of (weight x active
 *   units), then splits that equally among its active vCPUs: the weight
 *   applies to each active vCPU, so a domain with two busy vCPUs gets twice
 *   the share of a domain of equal weight with one ("Make weight per-unit"
 *   in __csched_unit_acct_start).  Both modes follow this rule.  The
 *   credit is handed out without regard to affinity, so vCPUs pinned
 *   together can be entitled to more than their pCPUs hold; they then all
 *   stay UNDER and share those pCPUs equally, whatever their weights.  The
 *   fluid mode computes that outcome (sched_fluid.c).
 *
 * Payers (sched_vcpu_set_payer).  A vCPU v with payer P is accounted as a
 * member of P's accounting set instead of its own domain's: it earns its
 * credit from P's share, P's cap parks it, and its CPU shows in
 * sched_dom_paid(P).  It does not add weight to P: P's share is
 *   weight(P) x max(1, P's own active vCPUs without another payer)
 * split equally among all of P's members, own and paid, so whatever a paid
 * vCPU consumes is taken out of what P's own vCPUs could have had.  This is
 * Closer's rule (dom0 work done for a guest is billed to that guest, whose
 * weight-based share then bounds its own vCPUs plus the dom0 work together).
 * v's own domain D is neither debited nor credited for v while P pays: D's
 * share is computed over D's other members.  v keeps a single credit
 * balance across payer changes (Xen's credit is per vCPU); a vCPU that
 * switches payers often carries its debt from one payer to the next.
 *
 * Accounting: every vCPU, domain (run and paid) and pCPU keeps
 * acc + rate x (now - since), updated at each rate change with dt in integer
 * ns (SchedAcc).  In credit mode the rates are 0 or 1 and the figures are
 * exact integers; in fluid mode they are exact up to double rounding of the
 * rates (relative 1e-15). */
#include "models/sched.h"

#include <math.h>
#include <string.h>

#include "models/sched_internal.h"
#include "sim/sim_invariant.h"

/* Xen's defaults.  Sources (see docs/CALIBRATION.md):
 * - tslice 30 ms: CSCHED_DEFAULT_TSLICE_MS, xen/common/sched/credit.c;
 *   xen-command-line sched_credit_tslice_ms ("The default is 30ms").
 * - tick 10 ms: CSCHED_MSECS_PER_TICK (Xen <= 4.1 xen/common/sched_credit.c);
 *   today tick_period_us = tslice / CSCHED_TICKS_PER_TSLICE = 30 ms / 3.
 * - 3 ticks per accounting: CSCHED_TICKS_PER_ACCT (Xen <= 4.1); today the
 *   accounting timer runs every tslice = 3 ticks.
 * - ratelimit 1000 us: SCHED_DEFAULT_RATELIMIT_US,
 *   xen/common/sched/private.h; xen-command-line sched_ratelimit_us.
 * - boost on: csched_unit_wake() always boosts an UNDER wakee. */
void sched_params_default(SchedParams *p)
{
    memset(p, 0, sizeof *p);
    p->mode = SCHED_MODE_CREDIT;
    p->tslice = 30 * SIM_MS;
    p->tick = 10 * SIM_MS;
    p->ticks_per_acct = 3;
    p->ratelimit = 1000 * SIM_US;
    p->boost = true;
}

/* Largest weight Xen accepts: the domctl field is a uint16_t. */
#define SCHED_MAX_WEIGHT 65535

static void free_dom(gpointer p)
{
    SchedDom *d = p;
    g_free(d->name);
    g_free(d);
}

Sched *sched_new(Sim *sim, int n_pcpus, const SchedParams *params)
{
    g_return_val_if_fail(n_pcpus >= 1 && n_pcpus <= CPUMASK_MAX, NULL);
    Sched *s = g_new0(Sched, 1);
    s->sim = sim;
    if (params)
        s->p = *params;
    else
        sched_params_default(&s->p);
    /* Keep the timers meaningful whatever the caller passed: a zero tick or
     * slice would schedule events at the same instant forever. */
    if (s->p.tick <= 0)
        s->p.tick = 10 * SIM_MS;
    if (s->p.ticks_per_acct <= 0)
        s->p.ticks_per_acct = 3;
    if (s->p.tslice <= 0)
        s->p.tslice = 30 * SIM_MS;
    if (s->p.ratelimit < 0)
        s->p.ratelimit = 0;
    s->n = n_pcpus;
    s->words = (n_pcpus + 63) / 64;
    cpumask_clear(&s->all);
    cpumask_set_range(&s->all, 0, n_pcpus);
    s->doms = g_ptr_array_new_with_free_func(free_dom);
    s->vcpus = g_ptr_array_new_with_free_func(g_free);
    s->pcpus = g_new0(SchedPcpu, n_pcpus);
    SimTime now = sim_now(sim);
    s->born = now;
    for (int i = 0; i < n_pcpus; i++) {
        SchedPcpu *pc = &s->pcpus[i];
        pc->s = s;
        pc->id = i;
        pc->busy.since = now;
    }
    if (s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_init(s);
    else
        sched_credit_init(s);
    return s;
}

void sched_free(Sched *s)
{
    if (!s)
        return;
    if (s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_fini(s);
    else
        sched_credit_fini(s);
    g_ptr_array_free(s->vcpus, TRUE);
    g_ptr_array_free(s->doms, TRUE);
    g_free(s->pcpus);
    g_free(s);
}

int sched_n_pcpus(const Sched *s)
{
    return s->n;
}

SchedMode sched_mode(const Sched *s)
{
    return s->p.mode;
}

static int clamp_weight(int weight)
{
    if (weight < 1)
        return 1;
    return weight > SCHED_MAX_WEIGHT ? SCHED_MAX_WEIGHT : weight;
}

SchedDom *sched_dom_new(Sched *s, const char *name, int weight, int cap)
{
    SchedDom *d = g_new0(SchedDom, 1);
    SimTime now = sim_now(s->sim);
    d->s = s;
    d->name = g_strdup(name ? name : "");
    d->index = (int)s->doms->len;
    d->weight = clamp_weight(weight);
    d->cap = cap > 0 ? cap : 0;
    d->created = now;
    d->run.since = d->paid.since = now;
    slist_init(&d->active_elem);
    slist_init(&d->active_vcpus);
    g_ptr_array_add(s->doms, d);
    return d;
}

void sched_dom_set_weight(SchedDom *d, int weight)
{
    weight = clamp_weight(weight);
    if (weight == d->weight)
        return;
    /* Credit mode reads weights at the next accounting, as Xen does. */
    d->weight = weight;
    if (d->s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_changed(d->s);
}

void sched_dom_set_cap(SchedDom *d, int cap)
{
    cap = cap > 0 ? cap : 0;
    if (cap == d->cap)
        return;
    d->cap = cap;
    if (d->s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_changed(d->s);
}

const char *sched_dom_name(const SchedDom *d)
{
    return d->name;
}

SimTime sched_dom_created(const SchedDom *d)
{
    return d->created;
}

SchedDom *sched_vcpu_billing(const SchedVcpu *v)
{
    return v->payer ? v->payer : v->dom;
}

/* Records hard and soft affinity and the flags derived from them. */
static void store_affinity(SchedVcpu *v, const CpuMask *hard, const CpuMask *soft)
{
    Sched *s = v->s;
    bool had_soft = v->has_soft;
    cpumask_and(&v->hard, hard, &s->all);
    if (soft)
        v->soft = *soft;
    else
        cpumask_clear(&v->soft);
    cpumask_and(&v->soft_eff, &v->soft, &v->hard);
    /* Xen: soft_aff_effective = !subset(hard, soft) && intersects(soft,
     * hard) (sched_set_affinity in xen/common/sched/core.c). */
    v->has_soft =
        !smask_empty(&v->soft_eff, s->words) && !smask_subset(&v->hard, &v->soft, s->words);
    v->pinned = cpumask_count(&v->hard) == 1;
    s->n_soft += (int)v->has_soft - (int)had_soft;
}

SchedVcpu *sched_vcpu_new(Sched *s, SchedDom *d, const SchedVcpuOps *ops, void *owner)
{
    SchedVcpu *v = g_new0(SchedVcpu, 1);
    v->s = s;
    v->dom = d;
    if (ops)
        v->ops = *ops;
    v->owner = owner;
    v->index = (int)s->vcpus->len;
    v->pcpu = -1;
    v->busy.since = sim_now(s->sim);
    v->run_idx = -1;
    slist_init(&v->runq_elem);
    slist_init(&v->active_elem);
    store_affinity(v, &s->all, NULL);
    g_ptr_array_add(s->vcpus, v);
    if (s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_vcpu_init(v);
    else
        sched_credit_vcpu_init(v);
    return v;
}

void sched_vcpu_set_affinity(SchedVcpu *v, const CpuMask *hard, const CpuMask *soft)
{
    g_return_if_fail(hard != NULL);
    g_return_if_fail(smask_intersects(hard, &v->s->all, v->s->words));
    store_affinity(v, hard, soft);
    if (v->s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_affinity(v);
    else
        sched_credit_affinity(v);
}

void sched_vcpu_wake(SchedVcpu *v)
{
    if (v->runnable)
        return;
    v->runnable = true;
    if (v->s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_wake(v);
    else
        sched_credit_wake(v);
}

void sched_vcpu_sleep(SchedVcpu *v)
{
    if (!v->runnable)
        return;
    v->runnable = false;
    if (v->s->p.mode == SCHED_MODE_FLUID)
        sched_fluid_sleep(v);
    else
        sched_credit_sleep(v);
}

bool sched_vcpu_runnable(const SchedVcpu *v)
{
    return v->runnable;
}

int sched_vcpu_pcpu(const SchedVcpu *v)
{
    return v->pcpu;
}

double sched_vcpu_rate(const SchedVcpu *v)
{
    return v->rate;
}

void sched_vcpu_set_payer(SchedVcpu *v, SchedDom *payer)
{
    /* Paying for one's own vCPU is the default, not a payer. */
    if (payer == v->dom)
        payer = NULL;
    if (payer == v->payer)
        return;
    Sched *s = v->s;
    SimTime now = sim_now(s->sim);
    SchedDom *old = sched_vcpu_billing(v);
    v->payer = payer;
    SchedDom *cur = sched_vcpu_billing(v);
    /* The CPU it consumes from now on is debited to the new payer. */
    if (v->rate > 0.0) {
        sacc_add(&old->paid, now, -v->rate);
        sacc_add(&cur->paid, now, v->rate);
    }
    if (s->p.mode == SCHED_MODE_CREDIT)
        sched_credit_payer(v, old);
    else if (v->runnable)
        sched_fluid_changed(s); /* shares move from one domain to another */
}

void sched_account_start(SchedVcpu *v, int p)
{
    Sched *s = v->s;
    SimTime now = sim_now(s->sim);
    v->pcpu = p;
    v->rate = 1.0;
    sacc_set(&v->busy, now, 1.0);
    sacc_add(&v->dom->run, now, 1.0);
    sacc_add(&sched_vcpu_billing(v)->paid, now, 1.0);
    sacc_set(&s->pcpus[p].busy, now, 1.0);
}

void sched_account_stop(SchedVcpu *v)
{
    Sched *s = v->s;
    SimTime now = sim_now(s->sim);
    sacc_set(&s->pcpus[v->pcpu].busy, now, 0.0);
    sacc_set(&v->busy, now, 0.0);
    sacc_add(&v->dom->run, now, -1.0);
    sacc_add(&sched_vcpu_billing(v)->paid, now, -1.0);
    v->pcpu = -1;
    v->rate = 0.0;
}

SimTime sched_vcpu_busy(const SchedVcpu *v)
{
    return sacc_value(&v->busy, sim_now(v->s->sim));
}

SimTime sched_dom_busy(const SchedDom *d)
{
    return sacc_value(&d->run, sim_now(d->s->sim));
}

SimTime sched_dom_paid(const SchedDom *d)
{
    return sacc_value(&d->paid, sim_now(d->s->sim));
}

SimTime sched_pcpu_busy(const Sched *s, int pcpu)
{
    g_return_val_if_fail(pcpu >= 0 && pcpu < s->n, 0);
    return sacc_value(&s->pcpus[pcpu].busy, sim_now(s->sim));
}

double sched_pcpu_rate(const Sched *s, int pcpu)
{
    g_return_val_if_fail(pcpu >= 0 && pcpu < s->n, 0.0);
    return s->pcpus[pcpu].busy.rate;
}

int sched_vcpu_placement(const SchedVcpu *v, int *pcpus, double *rates, int max)
{
    if (v->rate <= 0.0)
        return 0;
    if (v->s->p.mode == SCHED_MODE_CREDIT) {
        if (max >= 1) {
            pcpus[0] = v->pcpu;
            rates[0] = v->rate;
        }
        return 1;
    }
    const SchedPiece *pc = sched_vcpu_pieces(v, v->s->pieces);
    for (int i = 0; i < v->f_npieces && i < max; i++) {
        pcpus[i] = pc[i].pcpu;
        rates[i] = pc[i].rate;
    }
    return v->f_npieces;
}

uint64_t sched_events(const Sched *s)
{
    return s->events;
}

#ifdef DOM0SIM_CHECKS
/* CPU time in an accumulator up to `now`, unrounded. */
static double sacc_exact(const SchedAcc *a, SimTime now)
{
    return a->acc + a->rate * (double)(now - a->since);
}

/* Sums of the four books agree to within rounding: exact in credit mode,
 * where every rate is 0 or 1; in fluid mode each recompute may leave a few
 * ulps, hence a relative slack far below anything a model bug would show. */
static bool books_agree(double a, double b)
{
    return fabs(a - b) <= 1.0 + 1e-9 * fmax(fabs(a), fabs(b));
}
#endif

void sched_check(const Sched *s, const char *where)
{
#ifdef DOM0SIM_CHECKS
    SimTime now = sim_now(s->sim);
    double elapsed = (double)(now - s->born);
    double pcpu_sum = 0.0, vcpu_sum = 0.0, run_sum = 0.0, paid_sum = 0.0;
    for (int p = 0; p < s->n; p++)
        pcpu_sum += sacc_exact(&s->pcpus[p].busy, now);
    for (guint i = 0; i < s->vcpus->len; i++)
        vcpu_sum += sacc_exact(&((const SchedVcpu *)s->vcpus->pdata[i])->busy, now);
    for (guint i = 0; i < s->doms->len; i++) {
        const SchedDom *d = s->doms->pdata[i];
        run_sum += sacc_exact(&d->run, now);
        paid_sum += sacc_exact(&d->paid, now);
    }
    SIM_INVARIANT(books_agree(pcpu_sum, vcpu_sum), "CPU time conserved",
                  "%s: pCPUs busy %.0f ns in all but vCPUs ran %.0f ns (%u vCPUs, %d pCPUs)", where,
                  pcpu_sum, vcpu_sum, s->vcpus->len, s->n);
    SIM_INVARIANT(books_agree(vcpu_sum, run_sum), "CPU time conserved",
                  "%s: vCPUs ran %.0f ns but their domains ran %.0f ns (%u domains)", where,
                  vcpu_sum, run_sum, s->doms->len);
    SIM_INVARIANT(books_agree(run_sum, paid_sum), "CPU time conserved",
                  "%s: domains ran %.0f ns but paid for %.0f ns (%u domains)", where, run_sum,
                  paid_sum, s->doms->len);
    /* Then each pCPU on its own (the books agreeing, a pCPU busier than
     * the elapsed time means the vCPUs ran faster than real time). */
    for (int p = 0; p < s->n; p++) {
        const SchedPcpu *pc = &s->pcpus[p];
        double busy = sacc_exact(&pc->busy, now);
        SIM_INVARIANT(busy <= elapsed + 1.0 + 1e-9 * elapsed && pc->busy.rate <= 1.0 + 1e-9,
                      "CPU time conserved",
                      "%s: pCPU %d of %d busy %.0f ns in %.0f ns elapsed (rate now %.12g)", where,
                      p, s->n, busy, elapsed, pc->busy.rate);
    }
#else
    (void)s;
    (void)where;
#endif
}

#ifdef DOM0SIM_CHECKS
void sched_debug_skew(Sched *s, int pcpu, SchedVcpu *v, SchedDom *paid_by, double ns)
{
    if (pcpu >= 0 && pcpu < s->n)
        s->pcpus[pcpu].busy.acc += ns;
    if (v) {
        v->busy.acc += ns;
        v->dom->run.acc += ns;
    }
    if (paid_by)
        paid_by->paid.acc += ns;
}
#endif
