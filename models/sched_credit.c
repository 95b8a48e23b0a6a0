/* SCHED_MODE_CREDIT: Xen's credit scheduler (credit1) at request level.
 *
 * The code follows xen/common/sched/credit.c function by function; the Xen
 * names are given in the comments so that each rule can be checked against
 * the source:
 *   burn_credits        the running vCPU is debited CSCHED_CREDITS_PER_MSEC
 *                       credits per ms it ran, with Xen's integer residual
 *                       arithmetic (including its quirk that the fraction
 *                       left over is carried both in `residual` and in
 *                       `start_time`);
 *   csched_tick         every tick (10 ms) the running vCPU is debited, loses
 *                       BOOST, joins its domain's active set if it was not
 *                       in it, and is moved to an idle pCPU if
 *                       _csched_cpu_pick finds a better one; the runqueue is
 *                       re-sorted once after each accounting;
 *   csched_acct         every ticks_per_acct ticks (30 ms) n_pcpus x
 *                       credits-per-period credits are shared among the
 *                       active domains by weight x active vCPUs, clipped by
 *                       cap and by the per-vCPU peak, redistributing the
 *                       unused part, then equally among a domain's active
 *                       vCPUs; credit < 0 -> OVER (park a capped vCPU below
 *                       -its cap share; floor at -credits per period),
 *                       credit >= 0 -> UNDER (unpark; above credits per
 *                       period the vCPU leaves the active set and its credit
 *                       is halved);
 *   csched_schedule     rate limit (a vCPU that ran less than ratelimit keeps
 *                       the pCPU for the rest of it), current vCPU to the
 *                       tail of its priority, the head runs if BOOST/UNDER,
 *                       otherwise csched_load_balance steals the first
 *                       higher-priority vCPU from the other pCPUs' queues
 *                       (soft-affine work first, then hard), time slice
 *                       tslice (30 ms);
 *   csched_unit_wake    a blocked vCPU whose priority is UNDER is BOOSTed
 *                       (not after a migration or an unpark), queued on its
 *                       pCPU, and __runq_tickle wakes an idle pCPU in its
 *                       affinity (soft first) or preempts a lower-priority
 *                       current vCPU.
 *
 * Simplifications (none changes long-run shares):
 * - No topology: _csched_cpu_pick's preference for idle cores/sockets over
 *   idle SMT siblings, and csched_load_balance's node-by-node walk, treat
 *   the host as one node of single-thread cores.  The balance bias and
 *   last-tickled pCPU are therefore single values, not per node or per CPU.
 * - Scheduling softirqs are zero-delay events, so a tickled pCPU reschedules
 *   at the same simulated instant; there are no IPI or context-switch costs.
 * - A vCPU that blocks or is descheduled by an affinity change or a park
 *   leaves its pCPU at once (Xen raises the softirq and switches within
 *   microseconds).
 * - The tick and the slice timer of a pCPU share one event; they fire in
 *   that order when they coincide.  Ticks are aligned to multiples of the
 *   tick period (Xen aligns them when a pCPU leaves idle).
 * - Yield, tasklets, cpupools, vcpu_migration_delay (0 by default) and the
 *   unreachable "kick cur away" branch of __runq_tickle are not modelled.
 * - Accounting runs every tick x ticks_per_acct and hands out
 *   CSCHED_CREDITS_PER_MSEC x that period; the credit clip bounds use the
 *   same figure (Xen's credits_per_tslice, 300 with the defaults; Xen ties
 *   the accounting period to tslice, here the two are separate parameters
 *   and equal by default).
 * - Credit arithmetic is done in 64-bit integers, so it cannot overflow the
 *   way Xen's uint32_t products could on very large hosts.
 * - Payers: see sched.c. */
#include <string.h>

#include "models/sched_internal.h"

/* Credits per ms of CPU: CSCHED_CREDITS_PER_MSEC, xen/common/sched/credit.c. */
#define CREDITS_PER_MSEC 10
/* The shortest continuation Xen sets for a rate-limited vCPU:
 * CSCHED_MIN_TIMER = XEN_SYSCTL_SCHED_RATELIMIT_MIN, 100 us
 * (xen/include/public/sysctl.h). */
#define MIN_TIMER (100 * SIM_US)

static SchedVcpu *runq_entry(SchedList *e)
{
    return SCHED_CONTAINER(e, SchedVcpu, runq_elem);
}

static SchedVcpu *active_entry(SchedList *e)
{
    return SCHED_CONTAINER(e, SchedVcpu, active_elem);
}

static SchedDom *dom_entry(SchedList *e)
{
    return SCHED_CONTAINER(e, SchedDom, active_elem);
}

/* Runnable in Xen's sense: has work and is not paused by the cap. */
static bool can_run(const SchedVcpu *v)
{
    return v->runnable && !v->parked;
}

static void notify(SchedVcpu *v, double rate, int pcpu)
{
    if (v->ops.set_rate)
        v->ops.set_rate(v->owner, rate, pcpu);
}

/* Keeps the two stealing masks right for pCPU pc: csched_load_balance only
 * looks at non-idle pCPUs with more than one runnable vCPU, and
 * csched_runq_steal stops at the first queued vCPU whose priority is not
 * above the stealer's, so a peer is worth visiting only if its queue head
 * beats the stealer.  Visiting just those peers, in Xen's order, is exactly
 * Xen's walk without the useless visits. */
static void update_steal(Sched *s, SchedPcpu *pc)
{
    bool any = pc->curr != NULL && !slist_empty(&pc->runq);
    bool under = any && runq_entry(pc->runq.next)->pri >= SCHED_PRI_UNDER;
    uint64_t bit = (uint64_t)1 << (pc->id & 63);
    int w = pc->id >> 6;
    s->steal_any.w[w] = any ? (s->steal_any.w[w] | bit) : (s->steal_any.w[w] & ~bit);
    s->steal_under.w[w] = under ? (s->steal_under.w[w] | bit) : (s->steal_under.w[w] & ~bit);
}

static void set_idler(Sched *s, int cpu, bool idle)
{
    if (cpumask_test(&s->idlers, cpu) == idle)
        return;
    s->idlers.w[cpu >> 6] ^= (uint64_t)1 << (cpu & 63);
    s->n_idlers += idle ? 1 : -1;
}

/* __runq_insert: after every queued vCPU of equal or higher priority. */
static void runq_insert(SchedPcpu *pc, SchedVcpu *v)
{
    SchedList *iter;
    for (iter = pc->runq.next; iter != &pc->runq; iter = iter->next)
        if (v->pri > runq_entry(iter)->pri)
            break;
    slist_insert_before(&v->runq_elem, iter);
    v->on_runq = true;
}

static void runq_remove(SchedVcpu *v)
{
    slist_del_init(&v->runq_elem);
    v->on_runq = false;
}

/* burn_credits, statement for statement. */
static void burn_credits(SchedVcpu *v, SimTime now)
{
    SimTime delta = now - v->start_time;
    if (delta <= 0)
        return;
    uint64_t val = (uint64_t)delta * CREDITS_PER_MSEC + v->residual;
    v->residual = (unsigned)(val % (uint64_t)SIM_MS);
    uint64_t credits = val / (uint64_t)SIM_MS;
    v->credit -= (int)credits;
    v->start_time += (SimTime)(credits * (uint64_t)SIM_MS / CREDITS_PER_MSEC);
}

/* ---- timers and softirqs ---------------------------------------------- */

static void pcpu_timer_fn(Sim *sim, void *data);
static void softirq_fn(Sim *sim, void *data);

static void arm_timer(SchedPcpu *pc)
{
    Sim *sim = pc->s->sim;
    SimTime t = pc->next_tick < pc->slice_end ? pc->next_tick : pc->slice_end;
    if (t == pc->timer_at)
        return;
    if (pc->timer_ev)
        sim_cancel(sim, pc->timer_ev);
    pc->timer_ev = SIM_EVENT_NONE;
    pc->timer_at = t;
    if (t != SIM_TIME_MAX)
        pc->timer_ev = sim_at(sim, t, pcpu_timer_fn, pc);
}

static void raise_softirq(SchedPcpu *pc)
{
    if (pc->softirq_ev == SIM_EVENT_NONE)
        pc->softirq_ev = sim_after(pc->s->sim, 0, softirq_fn, pc);
}

/* ---- active sets (__csched_unit_acct_start / _stop) ------------------- */

static int64_t dom_mass(const SchedDom *d)
{
    /* Weight per active vCPU as in Xen; vCPUs another domain pays for do not
     * add weight to their payer (see sched.c). */
    int own = d->n_own_active > 0 ? d->n_own_active : 1;
    return (int64_t)d->weight * own;
}

static void acct_start(Sched *s, SchedVcpu *v)
{
    SchedDom *d = sched_vcpu_billing(v);
    v->active = true;
    v->acct_dom = d;
    slist_insert_after(&v->active_elem, &d->active_vcpus);
    d->n_active++;
    if (v->dom == d)
        d->n_own_active++;
    if (slist_empty(&d->active_elem))
        slist_insert_after(&d->active_elem, &s->active_doms);
}

static void acct_stop(SchedVcpu *v)
{
    SchedDom *d = v->acct_dom;
    v->active = false;
    v->acct_dom = NULL;
    slist_del_init(&v->active_elem);
    d->n_active--;
    if (v->dom == d)
        d->n_own_active--;
    if (slist_empty(&d->active_vcpus))
        slist_del_init(&d->active_elem);
}

/* ---- placement (_csched_cpu_pick without topology) -------------------- */

static int cpu_pick(Sched *s, const SchedVcpu *v)
{
    int master = v->processor;
    /* With no idle pCPU the soft step never stops and the hard step keeps
     * the current pCPU if allowed: the common case on a loaded host. */
    if (s->n_idlers == 0)
        return cpumask_test(&v->hard, master) ? master : smask_cycle(&v->hard, master, s->n);
    int cpu = master;
    for (int step = 0; step < 2; step++) {
        bool soft = step == 0;
        if (soft && !v->has_soft)
            continue;
        const CpuMask *cpus = soft ? &v->soft_eff : &v->hard;
        cpu = cpumask_test(cpus, master) ? master : smask_cycle(cpus, master, s->n);
        CpuMask idl = s->idlers;
        /* The vCPU's own pCPU counts as idle if nothing else waits there. */
        if (cpu == master && slist_empty(&s->pcpus[master].runq))
            cpumask_set(&idl, cpu);
        bool idle = cpumask_test(&idl, cpu);
        if (!idle) {
            CpuMask cand;
            cpumask_and(&cand, &idl, cpus);
            int nx = smask_cycle(&cand, cpu, s->n);
            if (nx >= 0) {
                cpu = nx;
                idle = true;
            }
        }
        if (idle)
            break;
    }
    return cpu;
}

/* ---- tickling (__runq_tickle) ----------------------------------------- */

static void tickle_cpu(Sched *s, int cpu)
{
    set_idler(s, cpu, false);
    raise_softirq(&s->pcpus[cpu]);
}

static void runq_tickle(Sched *s, SchedVcpu *v)
{
    int cpu = v->processor;
    SchedVcpu *cur = s->pcpus[cpu].curr;
    int cur_pri = cur ? cur->pri : SCHED_PRI_IDLE;

    if (v->pinned && cpumask_test(&s->idlers, cpu)) {
        tickle_cpu(s, cpu);
        return;
    }
    if (cur == NULL || (s->n_idlers == 0 && v->pri > cur_pri)) {
        tickle_cpu(s, cpu);
        return;
    }
    if (s->n_idlers == 0)
        return;
    for (int step = 0; step < 2; step++) {
        bool soft = step == 0;
        if (soft && !v->has_soft)
            continue;
        CpuMask mask;
        cpumask_and(&mask, soft ? &v->soft_eff : &v->hard, &s->idlers);
        bool none = smask_empty(&mask, s->words);
        if (none && soft)
            continue;
        if (none && v->pri > cur_pri) {
            tickle_cpu(s, cpu);
            return;
        }
        if (!none) {
            /* tickle_one_idle_cpu (default true): one idler, round robin. */
            s->last_tickle_cpu = smask_cycle(&mask, s->last_tickle_cpu, s->n);
            tickle_cpu(s, s->last_tickle_cpu);
            return;
        }
    }
}

/* Queues a runnable vCPU on its pCPU and tickles (the tail of
 * csched_unit_wake). */
static void insert_and_tickle(Sched *s, SchedVcpu *v)
{
    SchedPcpu *pc = &s->pcpus[v->processor];
    runq_insert(pc, v);
    pc->nr_runnable++;
    update_steal(s, pc);
    runq_tickle(s, v);
}

/* vcpu_migrate: a new pCPU from _csched_cpu_pick, then a wake that does not
 * boost (CSCHED_FLAG_UNIT_MIGRATING). */
static void migrate(Sched *s, SchedVcpu *v)
{
    v->migrating = true;
    v->processor = cpu_pick(s, v);
    if (can_run(v)) {
        v->migrating = false;
        insert_and_tickle(s, v);
    }
}

/* Takes a running vCPU off its pCPU now (it blocked, was parked or lost its
 * affinity) and lets the pCPU choose another at once. */
static void deschedule_now(Sched *s, SchedVcpu *v)
{
    SchedPcpu *pc = &s->pcpus[v->pcpu];
    SimTime now = sim_now(s->sim);
    burn_credits(v, now);
    v->start_time -= now;
    pc->curr = NULL;
    pc->nr_runnable--;
    v->kicked = false;
    sched_account_stop(v);
    update_steal(s, pc);
    raise_softirq(pc);
    notify(v, 0.0, -1);
}

/* ---- stealing (csched_runq_steal, csched_load_balance) ---------------- */

static SchedVcpu *runq_steal(Sched *s, SchedPcpu *peer, SchedPcpu *pc, int pri, bool soft)
{
    for (SchedList *it = peer->runq.next; it != &peer->runq; it = it->next) {
        SchedVcpu *v = runq_entry(it);
        if (v->pri <= pri)
            break;
        if (soft && !v->has_soft)
            continue;
        if (cpumask_test(soft ? &v->soft_eff : &v->hard, pc->id)) {
            runq_remove(v);
            peer->nr_runnable--;
            update_steal(s, peer);
            v->processor = pc->id;
            pc->nr_runnable++;
            return v;
        }
    }
    return NULL;
}

static SchedVcpu *load_balance(Sched *s, SchedPcpu *pc, SchedVcpu *snext)
{
    int pri = snext ? snext->pri : SCHED_PRI_IDLE;
    const CpuMask *cand = pri == SCHED_PRI_IDLE ? &s->steal_any : &s->steal_under;
    for (int step = 0; step < 2; step++) {
        bool soft = step == 0;
        /* No vCPU has a useful soft affinity: the soft step finds nothing. */
        if (soft && s->n_soft == 0)
            continue;
        int first = smask_cycle(cand, s->balance_bias, s->n);
        if (first < 0)
            continue;
        int peer = first;
        do {
            if (peer != pc->id) {
                SchedVcpu *v = runq_steal(s, &s->pcpus[peer], pc, pri, soft);
                if (v) {
                    s->balance_bias = peer;
                    return v;
                }
            }
            peer = smask_cycle(cand, peer, s->n);
        } while (peer != first && peer >= 0);
    }
    if (snext)
        runq_remove(snext);
    return snext;
}

/* ---- csched_schedule -------------------------------------------------- */

static void do_schedule(Sched *s, SchedPcpu *pc)
{
    SimTime now = sim_now(s->sim);
    s->events++;
    /* One schedule serves every softirq raised so far on this pCPU. */
    if (pc->softirq_ev) {
        sim_cancel(s->sim, pc->softirq_ev);
        pc->softirq_ev = SIM_EVENT_NONE;
    }
    SchedVcpu *scurr = pc->curr;
    if (scurr) {
        SimTime runtime = now - scurr->state_entry;
        burn_credits(scurr, now);
        scurr->start_time -= now;
        bool runnable = can_run(scurr) && !scurr->kicked;
        if (s->p.ratelimit > 0 && runnable && runtime < s->p.ratelimit) {
            /* Rate limited: keep running until it has run `ratelimit`. */
            scurr->start_time += now;
            SimTime slice = runtime < MIN_TIMER ? MIN_TIMER : s->p.ratelimit - runtime;
            pc->slice_end = now + slice;
            arm_timer(pc);
            return;
        }
        if (runnable)
            runq_insert(pc, scurr);
        else
            pc->nr_runnable--;
    }

    SchedVcpu *head = slist_empty(&pc->runq) ? NULL : runq_entry(pc->runq.next);
    SchedVcpu *snext;
    if (head && head->pri > SCHED_PRI_OVER) {
        runq_remove(head);
        snext = head;
    } else {
        snext = load_balance(s, pc, head);
    }
    set_idler(s, pc->id, snext == NULL);
    if (snext)
        snext->start_time += now;

    bool switched = snext != scurr;
    if (switched) {
        if (scurr)
            sched_account_stop(scurr);
        pc->curr = snext;
        if (snext) {
            snext->state_entry = now;
            sched_account_start(snext, pc->id);
        }
    }
    /* The tick runs only while the pCPU is busy. */
    if (!snext)
        pc->next_tick = SIM_TIME_MAX;
    else if (pc->next_tick == SIM_TIME_MAX)
        pc->next_tick = now + s->p.tick - now % s->p.tick;
    pc->slice_end = snext ? now + s->p.tslice : SIM_TIME_MAX;
    arm_timer(pc);
    update_steal(s, pc);

    if (scurr && switched && scurr->kicked) {
        scurr->kicked = false;
        migrate(s, scurr);
    }
    /* Owners hear of the switch last, once every structure is consistent:
     * the one leaving first, so no pCPU ever reports two vCPUs. */
    if (switched) {
        if (scurr)
            notify(scurr, 0.0, -1);
        if (snext)
            notify(snext, 1.0, pc->id);
    }
}

/* ---- csched_tick and csched_unit_acct --------------------------------- */

static void runq_sort(Sched *s, SchedPcpu *pc)
{
    if (pc->runq_sort_last == s->runq_sort)
        return;
    pc->runq_sort_last = s->runq_sort;
    SchedList *runq = &pc->runq;
    SchedList *last_under = runq;
    SchedList *elem = runq->next;
    while (elem != runq) {
        SchedList *next = elem->next;
        if (runq_entry(elem)->pri >= SCHED_PRI_UNDER) {
            if (elem->prev != last_under) {
                elem->prev->next = elem->next;
                elem->next->prev = elem->prev;
                slist_insert_after(elem, last_under);
            }
            last_under = elem;
        }
        elem = next;
    }
    update_steal(s, pc);
}

static void do_tick(Sched *s, SchedPcpu *pc)
{
    s->events++;
    SchedVcpu *v = pc->curr;
    if (v) {
        /* Found running at a tick: it uses real CPU, boost ends. */
        if (v->pri == SCHED_PRI_BOOST)
            v->pri = SCHED_PRI_UNDER;
        burn_credits(v, sim_now(s->sim));
        if (!v->active) {
            acct_start(s, v);
        } else if (!v->kicked && cpu_pick(s, v) != pc->id) {
            /* A better (idle) pCPU exists: move there at once. */
            v->kicked = true;
            raise_softirq(pc);
        }
    }
    runq_sort(s, pc);
}

static void pcpu_timer_fn(Sim *sim, void *data)
{
    SchedPcpu *pc = data;
    Sched *s = pc->s;
    SimTime now = sim_now(sim);
    pc->timer_ev = SIM_EVENT_NONE;
    pc->timer_at = SIM_TIME_MAX;
    if (pc->next_tick <= now) {
        pc->next_tick = now + s->p.tick;
        do_tick(s, pc);
    }
    if (pc->slice_end <= now) {
        pc->slice_end = SIM_TIME_MAX;
        do_schedule(s, pc);
    }
    arm_timer(pc);
}

static void softirq_fn(Sim *sim, void *data)
{
    SchedPcpu *pc = data;
    (void)sim;
    pc->softirq_ev = SIM_EVENT_NONE;
    do_schedule(pc->s, pc);
}

/* ---- csched_acct ------------------------------------------------------ */

static void park(Sched *s, SchedVcpu *v)
{
    if (v->pcpu >= 0) {
        deschedule_now(s, v);
    } else if (v->on_runq) {
        SchedPcpu *pc = &s->pcpus[v->processor];
        runq_remove(v);
        pc->nr_runnable--;
        update_steal(s, pc);
    }
}

static void acct_fn(Sim *sim, void *data)
{
    Sched *s = data;
    s->events++;
    s->acct_ev = sim_after(sim, s->acct_period, acct_fn, s);
    sched_check(s, "credit accounting");

    const int64_t cpa = s->credits_per_acct;
    int64_t weight_total = 0;
    for (SchedList *it = s->active_doms.next; it != &s->active_doms; it = it->next)
        weight_total += dom_mass(dom_entry(it));
    int64_t credit_total = s->credit;
    /* Converge the balance towards 0 when it drops negative. */
    if (s->credit_balance < 0)
        credit_total -= s->credit_balance;
    if (weight_total == 0) {
        s->credit_balance = 0;
        return;
    }

    int64_t weight_left = weight_total;
    int64_t credit_balance = 0;
    bool credit_xtra = false;
    int64_t credit_cap = 0;
    g_ptr_array_set_size(s->acct_park, 0);
    g_ptr_array_set_size(s->acct_unpark, 0);

    SchedList *next_d;
    for (SchedList *it = s->active_doms.next; it != &s->active_doms; it = next_d) {
        next_d = it->next;
        SchedDom *d = dom_entry(it);
        int64_t n = d->n_active;
        int64_t mass = dom_mass(d);
        weight_left -= mass;

        /* At most a full period for each active vCPU, more only while the
         * system-wide balance is negative. */
        int64_t credit_peak = n * cpa;
        if (s->credit_balance < 0)
            credit_peak += (-(int64_t)s->credit_balance * mass + (weight_total - 1)) / weight_total;
        if (d->cap != 0) {
            credit_cap = ((int64_t)d->cap * cpa + 99) / 100;
            if (credit_cap < credit_peak)
                credit_peak = credit_cap;
            credit_cap = (credit_cap + (n - 1)) / n;
        }
        int64_t credit_fair = (credit_total * mass + (weight_total - 1)) / weight_total;
        if (credit_fair < credit_peak) {
            credit_xtra = true;
        } else {
            /* Give the other domains a chance at the unused credit. */
            if (weight_left != 0)
                credit_total +=
                    ((credit_fair - credit_peak) * weight_total + (weight_left - 1)) / weight_left;
            if (credit_xtra) {
                slist_del_init(&d->active_elem);
                slist_insert_after(&d->active_elem, &s->active_doms);
            }
            credit_fair = credit_peak;
        }
        credit_fair = (credit_fair + (n - 1)) / n;

        SchedList *next_v;
        for (SchedList *iv = d->active_vcpus.next; iv != &d->active_vcpus; iv = next_v) {
            next_v = iv->next;
            SchedVcpu *v = active_entry(iv);
            v->credit += (int)credit_fair;
            int64_t credit = v->credit;
            if (credit < 0) {
                v->pri = SCHED_PRI_OVER;
                if (d->cap != 0 && credit < -credit_cap && !v->parked) {
                    v->parked = true;
                    g_ptr_array_add(s->acct_park, v);
                }
                if (credit < -cpa) {
                    credit = -cpa;
                    v->credit = (int)credit;
                }
            } else {
                v->pri = SCHED_PRI_UNDER;
                if (v->parked)
                    g_ptr_array_add(s->acct_unpark, v);
                if (credit > cpa) {
                    acct_stop(v);
                    /* Restart a little ahead when it becomes active again. */
                    credit /= 2;
                    v->credit = (int)credit;
                }
            }
            credit_balance += credit;
        }
    }
    s->credit_balance = (int)credit_balance;
    s->runq_sort++;

    /* Priorities of queued vCPUs changed: the stealing masks follow. */
    for (int i = 0; i < s->n; i++)
        update_steal(s, &s->pcpus[i]);
    /* Pauses and unpauses take effect once the accounting is complete. */
    for (guint i = 0; i < s->acct_park->len; i++)
        park(s, s->acct_park->pdata[i]);
    for (guint i = 0; i < s->acct_unpark->len; i++) {
        SchedVcpu *v = s->acct_unpark->pdata[i];
        /* Cleared after the unpause so that it is not boosted. */
        v->parked = false;
        if (can_run(v))
            insert_and_tickle(s, v);
    }
}

/* ---- entry points ----------------------------------------------------- */

void sched_credit_init(Sched *s)
{
    s->acct_period = s->p.tick * s->p.ticks_per_acct;
    s->credits_per_acct = (unsigned)((s->acct_period * CREDITS_PER_MSEC + SIM_MS / 2) / SIM_MS);
    if (s->credits_per_acct == 0)
        s->credits_per_acct = 1;
    s->credit = s->credits_per_acct * (unsigned)s->n;
    slist_init(&s->active_doms);
    s->acct_park = g_ptr_array_new();
    s->acct_unpark = g_ptr_array_new();
    cpumask_clear(&s->idlers);
    cpumask_clear(&s->steal_any);
    cpumask_clear(&s->steal_under);
    for (int i = 0; i < s->n; i++) {
        SchedPcpu *pc = &s->pcpus[i];
        slist_init(&pc->runq);
        pc->next_tick = pc->slice_end = pc->timer_at = SIM_TIME_MAX;
        set_idler(s, i, true);
    }
    s->acct_ev = sim_after(s->sim, s->acct_period, acct_fn, s);
}

void sched_credit_fini(Sched *s)
{
    sim_cancel(s->sim, s->acct_ev);
    for (int i = 0; i < s->n; i++) {
        sim_cancel(s->sim, s->pcpus[i].timer_ev);
        sim_cancel(s->sim, s->pcpus[i].softirq_ev);
    }
    g_ptr_array_free(s->acct_park, TRUE);
    g_ptr_array_free(s->acct_unpark, TRUE);
}

void sched_credit_vcpu_init(SchedVcpu *v)
{
    Sched *s = v->s;
    v->pri = SCHED_PRI_UNDER;
    v->processor = v->index % s->n;
    v->processor = cpu_pick(s, v);
}

void sched_credit_wake(SchedVcpu *v)
{
    Sched *s = v->s;
    if (v->parked)
        return; /* paused by its cap: queued when unparked */
    bool migrating = v->migrating;
    v->migrating = false;
    if (s->p.boost && !migrating && v->pri == SCHED_PRI_UNDER)
        v->pri = SCHED_PRI_BOOST;
    insert_and_tickle(s, v);
}

void sched_credit_sleep(SchedVcpu *v)
{
    Sched *s = v->s;
    v->kicked = false;
    if (v->parked)
        return;
    park(s, v);
}

void sched_credit_affinity(SchedVcpu *v)
{
    Sched *s = v->s;
    if (cpumask_test(&v->hard, v->processor))
        return;
    if (v->pcpu >= 0) {
        deschedule_now(s, v);
        migrate(s, v);
    } else if (v->on_runq) {
        SchedPcpu *pc = &s->pcpus[v->processor];
        runq_remove(v);
        pc->nr_runnable--;
        update_steal(s, pc);
        migrate(s, v);
    } else {
        /* Blocked or parked: placed now, queued when it can run. */
        v->processor = cpu_pick(s, v);
    }
}

void sched_credit_payer(SchedVcpu *v, SchedDom *old_billing)
{
    (void)old_billing;
    if (v->active) {
        acct_stop(v);
        acct_start(v->s, v);
    }
}
