/* SCHED_MODE_FLUID: credit1's long-run shares of the pCPUs.
 *
 * Credit1 decides in two places (xen/common/sched/credit.c):
 * - csched_acct hands every active vCPU its entitlement e_v: the credit of
 *   all n pCPUs shared by weight, at most a pCPU per vCPU (credit_peak),
 *   within caps, without looking at affinity (entitle() below: weighted
 *   progressive filling of n pCPUs with phi_v the weight rule of sched.c, a
 *   domain's share weight x max(1, own runnable members) split equally among
 *   its runnable members, own and paid);
 * - on the pCPUs, a vCPU that has run less than e_v is UNDER and the UNDER
 *   vCPUs sharing pCPUs take 30 ms slices in turn: equal rates, whatever
 *   their weights, each up to its e_v; one that reaches e_v goes OVER and
 *   runs only on what the UNDER ones leave, shared equally by the OVER ones.
 * So rates come from two passes of progressive filling with equal weights
 * under hard affinity: the first from 0 with bound e_v, the second from the
 * first's rates with bound 1 (the pCPUs left idle).  Where affinity does not
 * bind, the first pass gives e_v itself, the weighted max-min allocation;
 * where vCPUs pinned together are entitled to more than their pCPUs hold
 * (three vCPUs of weights 1:2:4 on one pCPU of two: e = 1/3, 2/3, 1), they
 * split the pCPUs equally (1/3 each), as the credit mode does.  Not
 * modelled: csched_acct's one-pass, list-ordered redistribution of clipped
 * credit (docs/MODEL.md; tests/test_sched.c, the list-order exception).
 *
 * A pass: all unfrozen vCPUs grow together, r_v = base_v + phi_v x lambda,
 * until a constraint stops some of them; those are frozen and the others
 * keep growing.  The constraints are
 *   r_v <= bound_v                            (e_v or 1)
 *   sum of r over a domain's members <= cap   (cap in pCPUs, when capped)
 *   a fractional assignment of the rates to pCPUs exists that respects hard
 *   affinity and gives no pCPU more than 1    (Hall's condition for every
 *                                              set of pCPUs).
 *
 * The affinity constraint is handled exactly, for any masks, with max-flow:
 * vCPUs with the same hard mask form a class, pCPUs that belong to exactly
 * the same classes form a group, and the network source -> class (demand)
 * -> group (unbounded, when the group lies in the class's mask) -> sink
 * (group size) is feasible iff the rates can be placed.  The largest lambda
 * of a round is found by Newton's method on the min cut (each infeasible
 * max-flow yields the violated pCPU set S and the lambda that makes S
 * exactly full); the classes that can no longer grow are those from which
 * the sink is unreachable in the residual network at that lambda.  With a
 * single class (every vCPU may run anywhere) the network has three nodes;
 * pins, sockets and ranges give a few classes and groups.
 *
 * The final max-flow is a feasible assignment; it is split into per-vCPU,
 * per-pCPU pieces (classes to groups in order, then McNaughton's
 * wrap-around within a group), so each pCPU carries at most 1 and each
 * vCPU's pieces add up to its rate.  set_rate reports the pCPU carrying the
 * largest piece (the current one on a tie).
 *
 * Recomputation happens only when the runnable set, a weight, a cap, a hard
 * affinity or the payer of a runnable vCPU changes, through one zero-delay
 * event, so that all changes of one instant cost one recomputation.  A vCPU
 * that sleeps stops at once (its rate drops to 0 before the event).
 * Floating-point tolerances: flows are compared with 1e-9 (pCPU units). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/sched_internal.h"

/* Residual capacities below this are treated as zero by the max-flow. */
#define FLOW_EPS 1e-12
/* A constraint within this of its bound is tight (pCPU units). */
#define TIGHT 1e-9
/* Rates closer than this to the previous value are not reported again. */
#define RATE_SAME 1e-12
/* Capacity of the class -> group edges: effectively unbounded. */
#define FLOW_INF 1e18
/* Newton steps per filling round; it converges in a handful. */
#define MAX_NEWTON 64

typedef struct {
    SchedVcpu *v;
    int where; /* group, then pCPU */
    double amt;
} Piece;

typedef struct {
    /* vCPUs ordered by class, then index. */
    SchedVcpu **order;
    int cap_order;
    int *class_of_mask;
    int cap_masks;
    /* Classes (cls_mask grows as classes are found, the rest together). */
    int *cls_mask;
    int cap_cls_mask;
    int *cls_first, *cls_count, *cls_sedge, *cls_e0, *cls_e1;
    double *cls_fixed, *cls_phi, *demand;
    int cap_cls;
    /* pCPU groups (n entries each). */
    int *gid, *remap, *grp_size, *grp_first, *grp_pcpus, *grp_fill;
    /* Flow network. */
    int *head, *it, *level, *queue;
    char *mark;
    int cap_nodes;
    int *nxt, *to;
    double *res, *cap0;
    int cap_edges;
    int nnodes, nedges, src, sink;
    /* Pieces. */
    Piece *t1, *t2;
    int cap_t;
    double *prate;
    GPtrArray *changed;
} Fluid;

/* The capacity to allocate for `need` elements: doubling from 16. */
static int grown(int cap, int need)
{
    int ncap = cap > 0 ? cap : 16;
    while (ncap < need)
        ncap *= 2;
    return ncap;
}

static void ensure_classes(Fluid *f, int k)
{
    if (k <= f->cap_cls)
        return;
    int c = grown(f->cap_cls, k);
    f->cls_first = g_renew(int, f->cls_first, c);
    f->cls_count = g_renew(int, f->cls_count, c);
    f->cls_sedge = g_renew(int, f->cls_sedge, c);
    f->cls_e0 = g_renew(int, f->cls_e0, c);
    f->cls_e1 = g_renew(int, f->cls_e1, c);
    f->cls_fixed = g_renew(double, f->cls_fixed, c);
    f->cls_phi = g_renew(double, f->cls_phi, c);
    f->demand = g_renew(double, f->demand, c);
    f->cap_cls = c;
}

static void ensure_nodes(Fluid *f, int nodes)
{
    if (nodes <= f->cap_nodes)
        return;
    int c = grown(f->cap_nodes, nodes);
    f->head = g_renew(int, f->head, c);
    f->it = g_renew(int, f->it, c);
    f->level = g_renew(int, f->level, c);
    f->queue = g_renew(int, f->queue, c);
    f->mark = g_renew(char, f->mark, c);
    f->cap_nodes = c;
}

static void ensure_edges(Fluid *f, int edges)
{
    if (edges <= f->cap_edges)
        return;
    int c = grown(f->cap_edges, edges);
    f->nxt = g_renew(int, f->nxt, c);
    f->to = g_renew(int, f->to, c);
    f->res = g_renew(double, f->res, c);
    f->cap0 = g_renew(double, f->cap0, c);
    f->cap_edges = c;
}

static void ensure_pieces(Fluid *f, int n)
{
    if (n <= f->cap_t)
        return;
    int c = grown(f->cap_t, n);
    f->t1 = g_renew(Piece, f->t1, c);
    f->t2 = g_renew(Piece, f->t2, c);
    f->cap_t = c;
}

/* ---- mask interning --------------------------------------------------- */

static guint mask_hash(gconstpointer p)
{
    const CpuMask *m = p;
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < CPUMASK_WORDS; i++)
        h = (h ^ m->w[i]) * 1099511628211ULL;
    return (guint)(h ^ (h >> 32));
}

static gboolean mask_equal(gconstpointer a, gconstpointer b)
{
    return cpumask_equal(a, b);
}

static int intern_mask(Sched *s, const CpuMask *m)
{
    gpointer id = g_hash_table_lookup(s->mask_ids, m);
    if (id)
        return GPOINTER_TO_INT(id) - 1;
    CpuMask *copy = g_new(CpuMask, 1);
    *copy = *m;
    int nid = (int)s->masks->len;
    g_ptr_array_add(s->masks, copy);
    g_hash_table_insert(s->mask_ids, copy, GINT_TO_POINTER(nid + 1));
    return nid;
}

/* ---- max-flow (Dinic) -------------------------------------------------- */

static int add_edge(Fluid *f, int u, int v, double cap)
{
    int e = f->nedges;
    f->to[e] = v;
    f->res[e] = f->cap0[e] = cap;
    f->nxt[e] = f->head[u];
    f->head[u] = e;
    f->to[e + 1] = u;
    f->res[e + 1] = f->cap0[e + 1] = 0.0;
    f->nxt[e + 1] = f->head[v];
    f->head[v] = e + 1;
    f->nedges += 2;
    return e;
}

static bool bfs_levels(Fluid *f)
{
    for (int i = 0; i < f->nnodes; i++)
        f->level[i] = -1;
    int qh = 0, qt = 0;
    f->queue[qt++] = f->src;
    f->level[f->src] = 0;
    while (qh < qt) {
        int u = f->queue[qh++];
        for (int e = f->head[u]; e >= 0; e = f->nxt[e]) {
            int v = f->to[e];
            if (f->level[v] < 0 && f->res[e] > FLOW_EPS) {
                f->level[v] = f->level[u] + 1;
                f->queue[qt++] = v;
            }
        }
    }
    return f->level[f->sink] >= 0;
}

static double dfs_push(Fluid *f, int u, double pushed)
{
    if (u == f->sink)
        return pushed;
    for (; f->it[u] >= 0; f->it[u] = f->nxt[f->it[u]]) {
        int e = f->it[u];
        int v = f->to[e];
        if (f->res[e] > FLOW_EPS && f->level[v] == f->level[u] + 1) {
            double d = dfs_push(f, v, pushed < f->res[e] ? pushed : f->res[e]);
            if (d > FLOW_EPS) {
                f->res[e] -= d;
                f->res[e ^ 1] += d;
                return d;
            }
        }
    }
    return 0.0;
}

/* Resets the network with the given class demands and returns the max
 * flow. */
static double max_flow(Fluid *f, int k, const double *demand)
{
    memcpy(f->res, f->cap0, (size_t)f->nedges * sizeof *f->res);
    for (int c = 0; c < k; c++)
        f->res[f->cls_sedge[c]] = demand[c];
    double flow = 0.0;
    while (bfs_levels(f)) {
        for (int i = 0; i < f->nnodes; i++)
            f->it[i] = f->head[i];
        double d;
        while ((d = dfs_push(f, f->src, FLOW_INF)) > FLOW_EPS)
            flow += d;
    }
    return flow;
}

/* Marks the nodes reachable from the source in the residual network. */
static void reach_from_source(Fluid *f)
{
    memset(f->mark, 0, (size_t)f->nnodes);
    int qh = 0, qt = 0;
    f->queue[qt++] = f->src;
    f->mark[f->src] = 1;
    while (qh < qt) {
        int u = f->queue[qh++];
        for (int e = f->head[u]; e >= 0; e = f->nxt[e]) {
            int v = f->to[e];
            if (!f->mark[v] && f->res[e] > TIGHT) {
                f->mark[v] = 1;
                f->queue[qt++] = v;
            }
        }
    }
}

/* Marks the nodes from which the sink is reachable in the residual
 * network: the classes whose demand could still grow. */
static void reach_to_sink(Fluid *f)
{
    memset(f->mark, 0, (size_t)f->nnodes);
    int qh = 0, qt = 0;
    f->queue[qt++] = f->sink;
    f->mark[f->sink] = 1;
    while (qh < qt) {
        int w = f->queue[qh++];
        for (int e = f->head[w]; e >= 0; e = f->nxt[e]) {
            int u = f->to[e];
            /* Edge e ^ 1 runs u -> w. */
            if (!f->mark[u] && f->res[e ^ 1] > TIGHT) {
                f->mark[u] = 1;
                f->queue[qt++] = u;
            }
        }
    }
}

/* ---- the recomputation ------------------------------------------------ */

static int cmp_order(const void *a, const void *b)
{
    const SchedVcpu *x = *(SchedVcpu *const *)a;
    const SchedVcpu *y = *(SchedVcpu *const *)b;
    if (x->f_cls != y->f_cls)
        return x->f_cls < y->f_cls ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static void notify(SchedVcpu *v)
{
    if (v->ops.set_rate)
        v->ops.set_rate(v->owner, v->rate, v->pcpu);
}

/* Domain weights and per-vCPU phi (see sched.c for the rule). */
static void prepare_weights(Sched *s, SchedVcpu **vs, int nv)
{
    for (guint i = 0; i < s->doms->len; i++) {
        SchedDom *d = s->doms->pdata[i];
        d->f_members = d->f_own = 0;
    }
    for (int i = 0; i < nv; i++) {
        SchedDom *b = sched_vcpu_billing(vs[i]);
        b->f_members++;
        if (vs[i]->dom == b)
            b->f_own++;
    }
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = vs[i];
        SchedDom *b = sched_vcpu_billing(v);
        double mass = (double)b->weight * (double)(b->f_own > 0 ? b->f_own : 1);
        v->f_phi = mass / (double)b->f_members;
        v->f_frozen = false;
        v->f_rate = 0.0;
    }
}

/* credit1's entitlement of every runnable vCPU (f_entitled), in pCPUs:
 * csched_acct shares the credit of all n pCPUs among the active domains by
 * weight, each clipped at a full pCPU per active vCPU (credit_peak) and by
 * its cap, the clipped part going to the others, then equally among a
 * domain's vCPUs.  That is weighted progressive filling of n pCPUs with
 * r_v <= 1 and the caps, and no affinity: csched_acct does not look at
 * where a vCPU may run. */
static void entitle(Sched *s, SchedVcpu **vs, int nv)
{
    for (int i = 0; i < nv; i++)
        vs[i]->f_frozen = false;
    double fixed = 0.0;
    int unfrozen = nv;
    while (unfrozen > 0) {
        double phi = 0.0;
        for (guint i = 0; i < s->doms->len; i++) {
            SchedDom *d = s->doms->pdata[i];
            d->f_fixed = d->f_phi = 0.0;
        }
        for (int i = 0; i < nv; i++) {
            SchedDom *b = sched_vcpu_billing(vs[i]);
            if (vs[i]->f_frozen) {
                b->f_fixed += vs[i]->f_entitled;
            } else {
                b->f_phi += vs[i]->f_phi;
                phi += vs[i]->f_phi;
            }
        }
        double lambda = ((double)s->n - fixed) / phi;
        for (int i = 0; i < nv; i++)
            if (!vs[i]->f_frozen && 1.0 / vs[i]->f_phi < lambda)
                lambda = 1.0 / vs[i]->f_phi;
        for (guint i = 0; i < s->doms->len; i++) {
            SchedDom *d = s->doms->pdata[i];
            if (d->cap > 0 && d->f_phi > 0.0 && (d->cap / 100.0 - d->f_fixed) / d->f_phi < lambda)
                lambda = (d->cap / 100.0 - d->f_fixed) / d->f_phi;
        }
        if (lambda < 0.0)
            lambda = 0.0;
        bool full = fixed + lambda * phi >= (double)s->n - TIGHT;
        int frozen_now = 0;
        for (int i = 0; i < nv; i++) {
            SchedVcpu *v = vs[i];
            if (v->f_frozen)
                continue;
            SchedDom *b = sched_vcpu_billing(v);
            v->f_entitled = v->f_phi * lambda;
            bool stop = full || v->f_entitled >= 1.0 - TIGHT ||
                        (b->cap > 0 && b->f_fixed + lambda * b->f_phi >= b->cap / 100.0 - TIGHT);
            /* Rounding alone could leave a round without a freeze: the
             * last unfrozen vCPU then stops it. */
            if (stop || (frozen_now == 0 && i == nv - 1)) {
                if (v->f_entitled > 1.0)
                    v->f_entitled = 1.0;
                v->f_frozen = true;
                fixed += v->f_entitled;
                frozen_now++;
            }
        }
        unfrozen -= frozen_now;
    }
}

/* The two passes of the filling (see recompute): `first` starts every
 * vCPU from 0 with its entitlement as bound, the second starts from the
 * first's rates with a whole pCPU as bound.  Weights are equal. */
static void set_pass(SchedVcpu **vs, int nv, bool first)
{
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = vs[i];
        v->f_phi = 1.0;
        v->f_frozen = false;
        v->f_base = first ? 0.0 : v->f_rate;
        v->f_bound = first ? fmin(1.0, v->f_entitled) : 1.0;
        v->f_rate = v->f_base;
    }
}

/* Classes of equal hard masks; returns their number.  f->order holds the
 * vCPUs sorted by class, then index. */
static int build_classes(Sched *s, Fluid *f, SchedVcpu **vs, int nv)
{
    int nm = (int)s->masks->len;
    if (nm > f->cap_masks) {
        int c = grown(f->cap_masks, nm);
        f->class_of_mask = g_renew(int, f->class_of_mask, c);
        for (int i = f->cap_masks; i < c; i++)
            f->class_of_mask[i] = -1;
        f->cap_masks = c;
    }
    if (nv > f->cap_order) {
        f->cap_order = grown(f->cap_order, nv);
        f->order = g_renew(SchedVcpu *, f->order, f->cap_order);
    }
    if (nv == 0)
        return 0; /* nothing runnable: no class (and no array to sort) */
    /* Classes numbered by their lowest vCPU index, for determinism. */
    memcpy(f->order, vs, (size_t)nv * sizeof *vs);
    for (int i = 0; i < nv; i++)
        f->order[i]->f_cls = f->order[i]->index;
    qsort(f->order, (size_t)nv, sizeof *f->order, cmp_order);
    int k = 0;
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = f->order[i];
        if (f->class_of_mask[v->mask_id] < 0) {
            if (k + 1 > f->cap_cls_mask) {
                f->cap_cls_mask = grown(f->cap_cls_mask, k + 1);
                f->cls_mask = g_renew(int, f->cls_mask, f->cap_cls_mask);
            }
            f->cls_mask[k] = v->mask_id;
            f->class_of_mask[v->mask_id] = k++;
        }
        v->f_cls = f->class_of_mask[v->mask_id];
    }
    for (int c = 0; c < k; c++)
        f->class_of_mask[f->cls_mask[c]] = -1;
    qsort(f->order, (size_t)nv, sizeof *f->order, cmp_order);

    ensure_classes(f, k);
    for (int c = 0; c < k; c++)
        f->cls_count[c] = 0;
    for (int i = nv - 1; i >= 0; i--) {
        f->cls_first[f->order[i]->f_cls] = i;
        f->cls_count[f->order[i]->f_cls]++;
    }
    return k;
}

/* pCPU groups by partition refinement: pCPUs in exactly the same classes'
 * masks share a group.  Returns the number of groups. */
static int build_groups(Sched *s, Fluid *f, int k)
{
    int n = s->n;
    for (int p = 0; p < n; p++)
        f->gid[p] = 0;
    int ng = 1;
    for (int c = 0; c < k; c++) {
        const CpuMask *m = s->masks->pdata[f->cls_mask[c]];
        /* Split every group into its part inside m and the rest: pCPUs in m
         * move to a new id per old group. */
        for (int g = 0; g < ng; g++)
            f->remap[g] = -1;
        int next = ng;
        for (int p = cpumask_next(m, 0); p >= 0 && p < n; p = cpumask_next(m, p + 1)) {
            int g = f->gid[p];
            if (f->remap[g] < 0)
                f->remap[g] = next++;
            f->gid[p] = f->remap[g];
        }
        /* Renumber densely by first pCPU so ids stay below n. */
        for (int g = 0; g < next; g++)
            f->remap[g] = -1;
        ng = 0;
        for (int p = 0; p < n; p++) {
            int g = f->gid[p];
            if (f->remap[g] < 0)
                f->remap[g] = ng++;
            f->gid[p] = f->remap[g];
        }
    }
    for (int g = 0; g < ng; g++)
        f->grp_size[g] = 0;
    for (int p = 0; p < n; p++)
        f->grp_size[f->gid[p]]++;
    int at = 0;
    for (int g = 0; g < ng; g++) {
        f->grp_first[g] = at;
        at += f->grp_size[g];
        f->grp_fill[g] = f->grp_first[g];
    }
    for (int p = 0; p < n; p++)
        f->grp_pcpus[f->grp_fill[f->gid[p]]++] = p;
    return ng;
}

static void build_network(Sched *s, Fluid *f, int k, int ng)
{
    int nodes = k + ng + 2;
    ensure_nodes(f, nodes);
    int edges = 2 * (k + ng);
    for (int c = 0; c < k; c++) {
        const CpuMask *m = s->masks->pdata[f->cls_mask[c]];
        for (int g = 0; g < ng; g++)
            if (cpumask_test(m, f->grp_pcpus[f->grp_first[g]]))
                edges += 2;
    }
    ensure_edges(f, edges);

    f->nnodes = nodes;
    f->nedges = 0;
    f->src = 0;
    f->sink = nodes - 1;
    for (int i = 0; i < nodes; i++)
        f->head[i] = -1;
    for (int g = 0; g < ng; g++)
        add_edge(f, 1 + k + g, f->sink, (double)f->grp_size[g]);
    for (int c = 0; c < k; c++) {
        const CpuMask *m = s->masks->pdata[f->cls_mask[c]];
        f->cls_e0[c] = f->nedges;
        for (int g = 0; g < ng; g++)
            if (cpumask_test(m, f->grp_pcpus[f->grp_first[g]]))
                add_edge(f, 1 + c, 1 + k + g, FLOW_INF);
        f->cls_e1[c] = f->nedges;
        f->cls_sedge[c] = add_edge(f, f->src, 1 + c, 0.0);
    }
}

/* Sums the fixed rates and the unfrozen weights per class and domain. */
static void round_sums(Sched *s, Fluid *f, int nv, int k)
{
    for (int c = 0; c < k; c++)
        f->cls_fixed[c] = f->cls_phi[c] = 0.0;
    for (guint i = 0; i < s->doms->len; i++) {
        SchedDom *d = s->doms->pdata[i];
        d->f_fixed = d->f_phi = 0.0;
    }
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = f->order[i];
        SchedDom *b = sched_vcpu_billing(v);
        if (v->f_frozen) {
            f->cls_fixed[v->f_cls] += v->f_rate;
            b->f_fixed += v->f_rate;
        } else {
            f->cls_fixed[v->f_cls] += v->f_base;
            b->f_fixed += v->f_base;
            f->cls_phi[v->f_cls] += v->f_phi;
            b->f_phi += v->f_phi;
        }
    }
}

static double demand_at(const Fluid *f, int k, double lambda, double *out)
{
    double total = 0.0;
    for (int c = 0; c < k; c++) {
        out[c] = f->cls_fixed[c] + lambda * f->cls_phi[c];
        total += out[c];
    }
    return total;
}

/* Progressive filling: sets f_rate of every runnable vCPU. */
static void fill(Sched *s, Fluid *f, int nv, int k, int ng)
{
    double *demand = f->demand;
    int unfrozen = nv;
    double lambda_prev = 0.0;
    while (unfrozen > 0) {
        round_sums(s, f, nv, k);
        double lambda = INFINITY;
        for (int i = 0; i < nv; i++) {
            SchedVcpu *v = f->order[i];
            if (!v->f_frozen && (v->f_bound - v->f_base) / v->f_phi < lambda)
                lambda = (v->f_bound - v->f_base) / v->f_phi;
        }
        for (guint i = 0; i < s->doms->len; i++) {
            SchedDom *d = s->doms->pdata[i];
            if (d->cap > 0 && d->f_phi > 0.0) {
                double l = ((double)d->cap / 100.0 - d->f_fixed) / d->f_phi;
                if (l < lambda)
                    lambda = l;
            }
        }
        if (lambda < lambda_prev)
            lambda = lambda_prev;

        /* Newton on the min cut: each infeasible flow names a pCPU set S
         * that the demand overflows; lambda drops to where S is full. */
        for (int it = 0;; it++) {
            double total = demand_at(f, k, lambda, demand);
            double flow = max_flow(f, k, demand);
            if (flow >= total - TIGHT * (total > 1.0 ? total : 1.0) || it == MAX_NEWTON)
                break;
            reach_from_source(f);
            double size_s = 0.0, fixed_s = 0.0, phi_s = 0.0;
            for (int g = 0; g < ng; g++)
                if (f->mark[1 + k + g])
                    size_s += f->grp_size[g];
            for (int c = 0; c < k; c++) {
                bool inside = true;
                for (int e = f->cls_e0[c]; e < f->cls_e1[c] && inside; e += 2)
                    inside = f->mark[f->to[e]] != 0;
                if (inside) {
                    fixed_s += f->cls_fixed[c];
                    phi_s += f->cls_phi[c];
                }
            }
            if (phi_s <= 0.0)
                break;
            double next = (size_s - fixed_s) / phi_s;
            if (!(next < lambda))
                break;
            if (next <= lambda_prev) {
                /* Full already at the previous level (rounding): the
                 * residual network below finds who must stop. */
                lambda = lambda_prev;
                demand_at(f, k, lambda, demand);
                max_flow(f, k, demand);
                break;
            }
            lambda = next;
        }
        /* The residual network of the last flow (at lambda) tells which
         * classes sit in a full pCPU set. */
        reach_to_sink(f);

        int frozen_now = 0;
        for (int i = 0; i < nv; i++) {
            SchedVcpu *v = f->order[i];
            if (v->f_frozen)
                continue;
            v->f_rate = v->f_base + v->f_phi * lambda;
            SchedDom *b = sched_vcpu_billing(v);
            bool stop = v->f_rate >= v->f_bound - TIGHT || !f->mark[1 + v->f_cls];
            if (!stop && b->cap > 0)
                stop = b->f_fixed + lambda * b->f_phi >= (double)b->cap / 100.0 - TIGHT;
            if (stop) {
                if (v->f_rate > v->f_bound)
                    v->f_rate = v->f_bound;
                v->f_frozen = true;
                frozen_now++;
            }
        }
        if (frozen_now == 0) {
            /* Only rounding can get here; stop rather than loop. */
            for (int i = 0; i < nv; i++)
                if (!f->order[i]->f_frozen) {
                    f->order[i]->f_frozen = true;
                    frozen_now++;
                }
        }
        unfrozen -= frozen_now;
        lambda_prev = lambda;
    }
}

/* Splits the final flow into per-vCPU, per-pCPU pieces in s->pieces. */
static void place(Sched *s, Fluid *f, int nv, int k, int ng)
{
    double *demand = f->demand;
    for (int c = 0; c < k; c++)
        demand[c] = 0.0;
    for (int i = 0; i < nv; i++)
        demand[f->order[i]->f_cls] += f->order[i]->f_rate;
    max_flow(f, k, demand);

    /* Classes to groups: vCPUs and edges walked in step.  Each vCPU gets
     * at most one piece per group. */
    ensure_pieces(f, 2 * (nv + f->nedges) + 2 * s->n + 4);
    int n1 = 0;
    for (int c = 0; c < k; c++) {
        double fsum = 0.0;
        for (int e = f->cls_e0[c]; e < f->cls_e1[c]; e += 2)
            fsum += f->res[e ^ 1];
        double scale = fsum > 0.0 ? demand[c] / fsum : 0.0;
        int e = f->cls_e0[c];
        double avail = e < f->cls_e1[c] ? f->res[e ^ 1] * scale : 0.0;
        for (int i = f->cls_first[c]; i < f->cls_first[c] + f->cls_count[c]; i++) {
            SchedVcpu *v = f->order[i];
            double want = v->f_rate;
            int last = -1;
            while (want > FLOW_EPS && e < f->cls_e1[c]) {
                double take = want < avail ? want : avail;
                if (take > FLOW_EPS) {
                    int g = f->to[e] - 1 - k;
                    if (last >= 0 && f->t1[last].where == g) {
                        f->t1[last].amt += take;
                    } else {
                        f->t1[n1] = (Piece){v, g, take};
                        last = n1++;
                    }
                    want -= take;
                    avail -= take;
                }
                if (avail <= FLOW_EPS) {
                    e += 2;
                    avail = e < f->cls_e1[c] ? f->res[e ^ 1] * scale : 0.0;
                }
            }
            /* Rounding leftovers stay with the vCPU's last group. */
            if (want > 0.0 && last >= 0)
                f->t1[last].amt += want;
            else if (want > FLOW_EPS)
                f->t1[n1++] = (Piece){v, f->to[f->cls_e1[c] - 2] - 1 - k, want};
        }
    }

    /* Within a group, McNaughton's wrap-around fills its pCPUs in order. */
    for (int g = 0; g < ng; g++)
        f->grp_fill[g] = 0;
    /* Counting sort of t1 by group, stable. */
    int *cnt = g_new0(int, ng + 1);
    for (int i = 0; i < n1; i++)
        cnt[f->t1[i].where + 1]++;
    for (int g = 0; g < ng; g++)
        cnt[g + 1] += cnt[g];
    Piece *byg = g_new(Piece, n1 > 0 ? n1 : 1);
    for (int i = 0; i < n1; i++)
        byg[cnt[f->t1[i].where]++] = f->t1[i];
    g_free(cnt);

    int n2 = 0;
    int gi = -1, slot = 0;
    double room = 0.0;
    for (int i = 0; i < n1; i++) {
        Piece pc = byg[i];
        if (pc.where != gi) {
            gi = pc.where;
            slot = 0;
            room = 1.0;
        }
        int size = f->grp_size[gi];
        while (pc.amt > FLOW_EPS) {
            if (room <= FLOW_EPS && slot + 1 < size) {
                slot++;
                room = 1.0;
            }
            /* The group's last pCPU takes any rounding excess. */
            double take = (pc.amt < room || slot + 1 >= size) ? pc.amt : room;
            int p = f->grp_pcpus[f->grp_first[gi] + slot];
            f->t2[n2++] = (Piece){pc.v, p, take};
            pc.amt -= take;
            room -= take;
        }
    }
    g_free(byg);

    /* Pieces by vCPU (position in f->order), pCPU order kept. */
    if (n2 > s->cap_pieces) {
        s->cap_pieces = grown(s->cap_pieces, n2);
        s->pieces = g_renew(SchedPiece, s->pieces, s->cap_pieces);
    }
    for (int i = 0; i < nv; i++)
        f->order[i]->f_npieces = 0;
    for (int i = 0; i < n2; i++)
        f->t2[i].v->f_npieces++;
    int at = 0;
    for (int i = 0; i < nv; i++) {
        f->order[i]->f_piece0 = at;
        at += f->order[i]->f_npieces;
        f->order[i]->f_npieces = 0;
    }
    for (int i = 0; i < n2; i++) {
        SchedVcpu *v = f->t2[i].v;
        s->pieces[v->f_piece0 + v->f_npieces++] = (SchedPiece){f->t2[i].where, f->t2[i].amt};
    }
    s->n_pieces = n2;
}

static void recompute(Sched *s)
{
    Fluid *f = s->fluid_scratch;
    SimTime now = sim_now(s->sim);
    s->events++;
    int nv = (int)s->runnable->len;
    SchedVcpu **vs = (SchedVcpu **)s->runnable->pdata;

    prepare_weights(s, vs, nv);
    int k = build_classes(s, f, vs, nv);
    int ng = build_groups(s, f, k);
    build_network(s, f, k, ng);
    entitle(s, f->order, nv);
    set_pass(f->order, nv, true);
    fill(s, f, nv, k, ng);
    set_pass(f->order, nv, false);
    fill(s, f, nv, k, ng);
    place(s, f, nv, k, ng);

    /* The runnable array takes the sorted order (run_idx follows). */
    for (int i = 0; i < nv; i++) {
        s->runnable->pdata[i] = f->order[i];
        f->order[i]->run_idx = i;
    }

    /* New rates and pCPUs. */
    g_ptr_array_set_size(f->changed, 0);
    for (int p = 0; p < s->n; p++)
        f->prate[p] = 0.0;
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = f->order[i];
        const SchedPiece *pc = sched_vcpu_pieces(v, s->pieces);
        int best = -1;
        double best_rate = -1.0;
        for (int j = 0; j < v->f_npieces; j++) {
            f->prate[pc[j].pcpu] += pc[j].rate;
            double r = pc[j].rate;
            bool better = r > best_rate + RATE_SAME ||
                          (fabs(r - best_rate) <= RATE_SAME && pc[j].pcpu == v->pcpu);
            if (better) {
                best = pc[j].pcpu;
                best_rate = r;
            }
        }
        double rate = v->f_rate > 1.0 ? 1.0 : v->f_rate;
        if (rate <= 0.0) {
            rate = 0.0;
            best = -1;
        }
        if (fabs(rate - v->rate) > RATE_SAME || best != v->pcpu) {
            sacc_set(&v->busy, now, rate);
            v->rate = rate;
            v->pcpu = best;
            g_ptr_array_add(f->changed, v);
        }
    }
    for (int p = 0; p < s->n; p++) {
        double r = f->prate[p] > 1.0 ? 1.0 : f->prate[p];
        if (r != s->pcpus[p].busy.rate)
            sacc_set(&s->pcpus[p].busy, now, r);
    }
    for (guint i = 0; i < s->doms->len; i++) {
        SchedDom *d = s->doms->pdata[i];
        d->f_run_rate = d->f_paid_rate = 0.0;
    }
    for (int i = 0; i < nv; i++) {
        SchedVcpu *v = f->order[i];
        v->dom->f_run_rate += v->rate;
        sched_vcpu_billing(v)->f_paid_rate += v->rate;
    }
    for (guint i = 0; i < s->doms->len; i++) {
        SchedDom *d = s->doms->pdata[i];
        if (d->f_run_rate != d->run.rate)
            sacc_set(&d->run, now, d->f_run_rate);
        if (d->f_paid_rate != d->paid.rate)
            sacc_set(&d->paid, now, d->f_paid_rate);
    }
    s->f_short = 0;
    for (int i = 0; i < nv; i++)
        if (f->order[i]->rate < 1.0 - TIGHT)
            s->f_short++;
    sched_check(s, "fluid recompute");
    /* Owners last, once every structure is consistent. */
    for (guint i = 0; i < f->changed->len; i++)
        notify(f->changed->pdata[i]);
}

static void recompute_fn(Sim *sim, void *data)
{
    Sched *s = data;
    (void)sim;
    s->fluid_ev = SIM_EVENT_NONE;
    recompute(s);
}

/* ---- entry points ----------------------------------------------------- */

void sched_fluid_init(Sched *s)
{
    Fluid *f = g_new0(Fluid, 1);
    int n = s->n;
    f->gid = g_new(int, n);
    f->remap = g_new(int, 2 * n + 1);
    f->grp_size = g_new(int, n);
    f->grp_first = g_new(int, n);
    f->grp_pcpus = g_new(int, n);
    f->grp_fill = g_new(int, n);
    f->prate = g_new(double, n);
    f->changed = g_ptr_array_new();
    s->fluid_scratch = f;
    s->runnable = g_ptr_array_new();
    s->masks = g_ptr_array_new_with_free_func(g_free);
    s->mask_ids = g_hash_table_new(mask_hash, mask_equal);
}

void sched_fluid_fini(Sched *s)
{
    Fluid *f = s->fluid_scratch;
    sim_cancel(s->sim, s->fluid_ev);
    g_free(f->order);
    g_free(f->class_of_mask);
    g_free(f->cls_mask);
    g_free(f->cls_first);
    g_free(f->cls_count);
    g_free(f->cls_sedge);
    g_free(f->cls_e0);
    g_free(f->cls_e1);
    g_free(f->cls_fixed);
    g_free(f->cls_phi);
    g_free(f->demand);
    g_free(f->gid);
    g_free(f->remap);
    g_free(f->grp_size);
    g_free(f->grp_first);
    g_free(f->grp_pcpus);
    g_free(f->grp_fill);
    g_free(f->head);
    g_free(f->it);
    g_free(f->level);
    g_free(f->queue);
    g_free(f->mark);
    g_free(f->nxt);
    g_free(f->to);
    g_free(f->res);
    g_free(f->cap0);
    g_free(f->t1);
    g_free(f->t2);
    g_free(f->prate);
    g_ptr_array_free(f->changed, TRUE);
    g_free(f);
    g_free(s->pieces);
    g_hash_table_destroy(s->mask_ids);
    g_ptr_array_free(s->masks, TRUE);
    g_ptr_array_free(s->runnable, TRUE);
}

void sched_fluid_changed(Sched *s)
{
    if (s->fluid_ev == SIM_EVENT_NONE)
        s->fluid_ev = sim_after(s->sim, 0, recompute_fn, s);
}

void sched_fluid_vcpu_init(SchedVcpu *v)
{
    v->mask_id = intern_mask(v->s, &v->hard);
}

/* An idle pCPU v may run on: its soft affinity first, the lowest index. */
static int idle_pcpu_for(const Sched *s, const SchedVcpu *v)
{
    const CpuMask *masks[2] = {v->has_soft ? &v->soft_eff : NULL, &v->hard};
    for (int k = 0; k < 2; k++) {
        if (!masks[k])
            continue;
        for (int p = cpumask_next(masks[k], 0); p >= 0 && p < s->n;
             p = cpumask_next(masks[k], p + 1))
            if (s->pcpus[p].busy.rate <= 0.0)
                return p;
    }
    return -1;
}

/* The common case of a host with more pCPUs than work: when every runnable
 * vCPU already runs at a whole pCPU, a vCPU that wakes with an idle pCPU in
 * its hard affinity takes that pCPU and nobody else's rate changes, which is
 * what the full computation would find; no recomputation is needed. */
static bool fast_wake(SchedVcpu *v)
{
    Sched *s = v->s;
    SchedDom *payer = sched_vcpu_billing(v);
    if (s->fluid_ev != SIM_EVENT_NONE || s->f_short != 0 || v->dom->cap > 0 || payer->cap > 0)
        return false;
    int p = idle_pcpu_for(s, v);
    if (p < 0)
        return false;
    SimTime now = sim_now(s->sim);
    s->events++;
    sacc_set(&s->pcpus[p].busy, now, 1.0);
    sacc_set(&v->busy, now, 1.0);
    sacc_add(&v->dom->run, now, 1.0);
    sacc_add(&payer->paid, now, 1.0);
    v->rate = 1.0;
    v->pcpu = p;
    v->f_piece0 = -1;
    v->f_npieces = 1;
    v->f_solo = (SchedPiece){p, 1.0};
    notify(v);
    return true;
}

void sched_fluid_wake(SchedVcpu *v)
{
    Sched *s = v->s;
    v->run_idx = (int)s->runnable->len;
    g_ptr_array_add(s->runnable, v);
    if (!fast_wake(v))
        sched_fluid_changed(s);
}

void sched_fluid_sleep(SchedVcpu *v)
{
    Sched *s = v->s;
    SimTime now = sim_now(s->sim);
    int i = v->run_idx;
    SchedVcpu *last = s->runnable->pdata[s->runnable->len - 1];
    s->runnable->pdata[i] = last;
    last->run_idx = i;
    g_ptr_array_set_size(s->runnable, s->runnable->len - 1);
    v->run_idx = -1;
    if (v->rate > 0.0) {
        /* It stops now; the others' new rates follow at this instant. */
        const SchedPiece *pc = sched_vcpu_pieces(v, s->pieces);
        for (int j = 0; j < v->f_npieces; j++) {
            SchedAcc *a = &s->pcpus[pc[j].pcpu].busy;
            double r = a->rate - pc[j].rate;
            sacc_set(a, now, r > 0.0 ? r : 0.0);
        }
        sacc_add(&v->dom->run, now, -v->rate);
        sacc_add(&sched_vcpu_billing(v)->paid, now, -v->rate);
        sacc_set(&v->busy, now, 0.0);
        v->rate = 0.0;
        v->pcpu = -1;
        v->f_npieces = 0;
        notify(v);
    }
    /* When every other runnable vCPU already has a whole pCPU, none of
     * them can gain from the freed one. */
    if (s->f_short == 0 && s->fluid_ev == SIM_EVENT_NONE) {
        s->events++;
        return;
    }
    sched_fluid_changed(s);
}

void sched_fluid_affinity(SchedVcpu *v)
{
    int id = intern_mask(v->s, &v->hard);
    if (id == v->mask_id)
        return;
    v->mask_id = id;
    if (v->runnable)
        sched_fluid_changed(v->s);
}
