#include "models/evtchn.h"

#include <string.h>

/* Port states, as Xen's ECS_* (only those the model needs). */
typedef enum {
    PORT_FREE = 0, /* zeroed memory is a free port */
    PORT_RESERVED, /* port 0 */
    PORT_UNBOUND,  /* allocated, offered to remote_dom, no peer yet (or peer closed) */
    PORT_INTERDOMAIN,
} PortState;

typedef struct {
    PortState state;
    bool pending, masked;
    int remote_dom;       /* UNBOUND: who may bind; INTERDOMAIN: the peer domain */
    uint32_t remote_port; /* INTERDOMAIN: the peer port */
    EvtchnUpcallFn fn;    /* this end's upcall */
    void *data;
} Port;

typedef struct {
    int domid;
    unsigned max_ports; /* ports 0..max_ports-1 */
    unsigned cap;       /* ports[] length; grows on demand up to max_ports, as Xen's buckets */
    unsigned in_use;    /* allocated ports, port 0 excluded */
    unsigned free_hint; /* no free port lies below this one */
    Port *ports;
    EvtchnStats stats;
} Domain;

struct EvtchnTable {
    GHashTable *domains; /* domid -> Domain*, owned */
    EvtchnStats total;
};

/* Every counter is kept per domain and in the table total; calls naming no
 * domain reach only the total. */
#define COUNT(t, d, field)                                                                         \
    do {                                                                                           \
        (t)->total.field++;                                                                        \
        if (d)                                                                                     \
            (d)->stats.field++;                                                                    \
    } while (0)

/* The first allocation; enough for a typical guest's handful of devices. */
#define INITIAL_PORTS 64u

static void domain_free(gpointer p)
{
    Domain *d = p;
    g_free(d->ports);
    g_free(d);
}

EvtchnTable *evtchn_table_new(void)
{
    EvtchnTable *t = g_new0(EvtchnTable, 1);
    t->domains = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, domain_free);
    return t;
}

void evtchn_table_free(EvtchnTable *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->domains);
    g_free(t);
}

static Domain *domain_get(const EvtchnTable *t, int domid)
{
    if (domid < 0 || domid >= EVTCHN_DOMID_LIMIT)
        return NULL;
    return g_hash_table_lookup(t->domains, GINT_TO_POINTER(domid));
}

/* The port, or NULL when out of range or never allocated.  The pointer is
 * valid only until the domain's next allocation (which may grow ports[]). */
static Port *port_get(const Domain *d, uint32_t port)
{
    if (!d || port >= d->cap)
        return NULL;
    return &d->ports[port];
}

/* A port a guest may use: allocated, not reserved. */
static Port *port_live(const Domain *d, uint32_t port)
{
    Port *p = port_get(d, port);
    return p && (p->state == PORT_UNBOUND || p->state == PORT_INTERDOMAIN) ? p : NULL;
}

int evtchn_domain_add(EvtchnTable *t, int domid, unsigned max_ports)
{
    if (domid < 0 || domid >= EVTCHN_DOMID_LIMIT)
        return EVTCHN_ERR_BAD_DOMAIN;
    if (domain_get(t, domid))
        return EVTCHN_ERR_EXISTS;
    if (max_ports == 0)
        max_ports = EVTCHN_2L_NR_CHANNELS;
    /* Port 0 is reserved, so fewer than 2 ports leaves nothing to use. */
    if (max_ports < 2 || max_ports > EVTCHN_2L_NR_CHANNELS)
        return EVTCHN_ERR_BAD_LIMIT;
    Domain *d = g_new0(Domain, 1);
    d->domid = domid;
    d->max_ports = max_ports;
    d->cap = MIN(INITIAL_PORTS, max_ports);
    d->ports = g_new0(Port, d->cap);
    /* Xen reserves port 0 in evtchn_init: guests treat 0 as "no channel". */
    d->ports[0].state = PORT_RESERVED;
    d->free_hint = 1;
    g_hash_table_insert(t->domains, GINT_TO_POINTER(domid), d);
    return EVTCHN_OK;
}

/* Lowest free port (get_free_port), growing ports[] if needed; the new port
 * is UNBOUND, unmasked, not pending.  Returns the port or
 * EVTCHN_ERR_NO_SPACE. */
static int port_alloc(Domain *d, int remote_dom, EvtchnUpcallFn fn, void *data)
{
    if (d->in_use >= d->max_ports - 1)
        return EVTCHN_ERR_NO_SPACE;
    unsigned p = d->free_hint;
    while (p < d->cap && d->ports[p].state != PORT_FREE)
        p++;
    if (p == d->cap) {
        /* in_use < max_ports - 1 guarantees room below max_ports. */
        unsigned cap = MIN(d->cap * 2, d->max_ports);
        d->ports = g_renew(Port, d->ports, cap);
        memset(&d->ports[d->cap], 0, (cap - d->cap) * sizeof(Port));
        d->cap = cap;
    }
    /* Xen leaves the mask bit to the guest, which unmasks a port when it
     * attaches a handler; the model starts every new port unmasked. */
    d->ports[p] = (Port){.state = PORT_UNBOUND, .remote_dom = remote_dom, .fn = fn, .data = data};
    d->in_use++;
    d->free_hint = p + 1;
    return (int)p;
}

static void port_release(Domain *d, uint32_t port)
{
    d->ports[port] = (Port){.state = PORT_FREE};
    d->in_use--;
    if (port < d->free_hint)
        d->free_hint = port;
}

/* Runs the port's upcall.  The handler is copied out first: it may call
 * back into the table and grow or free the very array the port lives in. */
static void upcall(EvtchnTable *t, Domain *d, uint32_t port)
{
    const Port *p = &d->ports[port];
    EvtchnUpcallFn fn = p->fn;
    void *data = p->data;
    int domid = d->domid;
    COUNT(t, d, upcalls);
    if (fn)
        fn(t, domid, port, data);
}

/* evtchn_2l_set_pending: a port already pending absorbs the event; a masked
 * one keeps it for evtchn_unmask. */
static void set_pending(EvtchnTable *t, Domain *d, uint32_t port)
{
    Port *p = &d->ports[port];
    if (p->pending) {
        COUNT(t, d, merged);
        return;
    }
    p->pending = true;
    if (p->masked) {
        COUNT(t, d, masked);
        return;
    }
    upcall(t, d, port);
}

int evtchn_alloc_unbound(EvtchnTable *t, int domid, int remote_domid, EvtchnUpcallFn fn, void *data)
{
    Domain *d = domain_get(t, domid);
    if (!d || !domain_get(t, remote_domid)) {
        COUNT(t, d, bad_ops);
        return EVTCHN_ERR_BAD_DOMAIN;
    }
    int port = port_alloc(d, remote_domid, fn, data);
    if (port < 0)
        COUNT(t, d, bad_ops);
    return port;
}

int evtchn_bind_interdomain(EvtchnTable *t, int domid, int remote_domid, uint32_t remote_port,
                            EvtchnUpcallFn fn, void *data)
{
    Domain *d = domain_get(t, domid), *rd = domain_get(t, remote_domid);
    if (!d || !rd) {
        COUNT(t, d, bad_ops);
        return EVTCHN_ERR_BAD_DOMAIN;
    }
    const Port *rp = port_get(rd, remote_port);
    if (!rp || rp->state != PORT_UNBOUND || rp->remote_dom != domid) {
        COUNT(t, d, bad_ops);
        return EVTCHN_ERR_BAD_PORT;
    }
    int lport = port_alloc(d, remote_domid, fn, data);
    if (lport < 0) {
        COUNT(t, d, bad_ops);
        return lport;
    }
    /* Looked up again: when a domain binds to itself the allocation above
     * may have moved the remote port. */
    Port *l = &d->ports[lport], *r = &rd->ports[remote_port];
    l->state = r->state = PORT_INTERDOMAIN;
    l->remote_dom = remote_domid;
    l->remote_port = remote_port;
    r->remote_dom = domid;
    r->remote_port = (uint32_t)lport;
    /* As Xen does: sends made to the unbound port were dropped, so the new
     * end is conservatively notified once. */
    set_pending(t, d, (uint32_t)lport);
    return lport;
}

int evtchn_bind_pair(EvtchnTable *t, int dom_a, EvtchnUpcallFn fn_a, void *data_a, int dom_b,
                     EvtchnUpcallFn fn_b, void *data_b, uint32_t *port_a, uint32_t *port_b)
{
    int a = evtchn_alloc_unbound(t, dom_a, dom_b, fn_a, data_a);
    if (a < 0)
        return a;
    int b = evtchn_bind_interdomain(t, dom_b, dom_a, (uint32_t)a, fn_b, data_b);
    if (b < 0) {
        /* Nothing may stay allocated on failure. */
        port_release(domain_get(t, dom_a), (uint32_t)a);
        return b;
    }
    *port_a = (uint32_t)a;
    *port_b = (uint32_t)b;
    return EVTCHN_OK;
}

int evtchn_close(EvtchnTable *t, int domid, uint32_t port)
{
    Domain *d = domain_get(t, domid);
    if (!d) {
        COUNT(t, d, bad_ops);
        return EVTCHN_ERR_BAD_DOMAIN;
    }
    Port *p = port_live(d, port);
    if (!p) {
        COUNT(t, d, bad_ops);
        return EVTCHN_ERR_BAD_PORT;
    }
    if (p->state == PORT_INTERDOMAIN) {
        /* Xen's evtchn_close: the peer falls back to unbound, offered to
         * the closing domain, so it could be bound again. */
        Domain *rd = domain_get(t, p->remote_dom);
        Port *r = &rd->ports[p->remote_port];
        r->state = PORT_UNBOUND;
        r->remote_dom = domid;
        r->remote_port = 0;
    }
    port_release(d, port);
    return EVTCHN_OK;
}

int evtchn_domain_remove(EvtchnTable *t, int domid)
{
    Domain *d = domain_get(t, domid);
    if (!d)
        return EVTCHN_ERR_BAD_DOMAIN;
    for (uint32_t p = 1; p < d->cap; p++)
        if (port_live(d, p))
            evtchn_close(t, domid, p);
    /* Unbound ports elsewhere offered to this domain stay unbound, as in
     * Xen: nobody can bind them any more, and their sends are dropped. */
    g_hash_table_remove(t->domains, GINT_TO_POINTER(domid));
    return EVTCHN_OK;
}

int evtchn_send(EvtchnTable *t, int domid, uint32_t port)
{
    Domain *d = domain_get(t, domid);
    if (!d) {
        COUNT(t, d, bad_sends);
        return EVTCHN_ERR_BAD_DOMAIN;
    }
    const Port *p = port_live(d, port);
    if (!p) {
        COUNT(t, d, bad_sends);
        return EVTCHN_ERR_BAD_PORT;
    }
    COUNT(t, d, sends);
    if (p->state == PORT_UNBOUND) {
        COUNT(t, d, dropped);
        return EVTCHN_OK;
    }
    /* An interdomain port always names a live interdomain peer: close and
     * domain removal unbind both ends together. */
    set_pending(t, domain_get(t, p->remote_dom), p->remote_port);
    return EVTCHN_OK;
}

int evtchn_mask(EvtchnTable *t, int domid, uint32_t port)
{
    Domain *d = domain_get(t, domid);
    Port *p = port_live(d, port);
    if (!p) {
        COUNT(t, d, bad_ops);
        return d ? EVTCHN_ERR_BAD_PORT : EVTCHN_ERR_BAD_DOMAIN;
    }
    p->masked = true;
    return EVTCHN_OK;
}

int evtchn_unmask(EvtchnTable *t, int domid, uint32_t port)
{
    Domain *d = domain_get(t, domid);
    Port *p = port_live(d, port);
    if (!p) {
        COUNT(t, d, bad_ops);
        return d ? EVTCHN_ERR_BAD_PORT : EVTCHN_ERR_BAD_DOMAIN;
    }
    /* evtchn_2l_unmask: only a port that WAS masked and is pending raises
     * the upcall it held back; unmasking an unmasked port does nothing. */
    bool was_masked = p->masked;
    p->masked = false;
    if (was_masked && p->pending)
        upcall(t, d, port);
    return EVTCHN_OK;
}

int evtchn_clear_pending(EvtchnTable *t, int domid, uint32_t port)
{
    Domain *d = domain_get(t, domid);
    Port *p = port_live(d, port);
    if (!p) {
        COUNT(t, d, bad_ops);
        return d ? EVTCHN_ERR_BAD_PORT : EVTCHN_ERR_BAD_DOMAIN;
    }
    p->pending = false;
    return EVTCHN_OK;
}

bool evtchn_is_pending(const EvtchnTable *t, int domid, uint32_t port)
{
    const Port *p = port_live(domain_get(t, domid), port);
    return p && p->pending;
}

bool evtchn_is_masked(const EvtchnTable *t, int domid, uint32_t port)
{
    const Port *p = port_live(domain_get(t, domid), port);
    return p && p->masked;
}

bool evtchn_peer(const EvtchnTable *t, int domid, uint32_t port, int *remote_domid,
                 uint32_t *remote_port)
{
    const Port *p = port_live(domain_get(t, domid), port);
    if (!p || p->state != PORT_INTERDOMAIN)
        return false;
    if (remote_domid)
        *remote_domid = p->remote_dom;
    if (remote_port)
        *remote_port = p->remote_port;
    return true;
}

int evtchn_ports_in_use(const EvtchnTable *t, int domid)
{
    const Domain *d = domain_get(t, domid);
    return d ? (int)d->in_use : -1;
}

bool evtchn_domain_stats(const EvtchnTable *t, int domid, EvtchnStats *out)
{
    const Domain *d = domain_get(t, domid);
    *out = d ? d->stats : (EvtchnStats){0};
    return d != NULL;
}

void evtchn_stats(const EvtchnTable *t, EvtchnStats *out)
{
    *out = t->total;
}
