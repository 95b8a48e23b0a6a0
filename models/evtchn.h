/* Xen event channels between domains, with the 2-level ABI's semantics
 * (xen/common/event_channel.c, xen/common/event_2l.c).
 *
 * One table per host.  Each domain, named by its domid (dom0 = 0), has its
 * own port space: port 0 is reserved (evtchn_init), ports 1..max_ports-1 are
 * allocated lowest first (get_free_port).  An interdomain channel is made as
 * in Xen: one end allocates an unbound port naming the peer domain
 * (EVTCHNOP_alloc_unbound), the peer binds to it (EVTCHNOP_bind_interdomain).
 *
 * Each port has a pending and a mask bit.  evtchn_send on one end sets the
 * REMOTE port pending; if that port was neither pending nor masked, the
 * remote end's upcall runs (evtchn_2l_set_pending).  A send that finds the
 * port already pending is merged into the one upcall: the handler calls
 * evtchn_clear_pending before it processes the work, so it sees every send
 * made before the clear.  Unmasking a pending port delivers its upcall then
 * (evtchn_2l_unmask).
 *
 * Upcalls are plain function calls made after the table is updated, so a
 * handler may call back into the table (clear, send, close).  The simulator
 * uses them to wake the vCPU its policy picks.
 *
 * Every guest-facing call (alloc, bind, close, send, mask, unmask, clear)
 * with a bad domid, port or state is refused with a negative EvtchnError and
 * counted, never a crash: a guest may pass garbage.  Domain add/remove are
 * the toolstack's and return errors uncounted. */
#ifndef DOM0SIM_EVTCHN_H
#define DOM0SIM_EVTCHN_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* Bits per word of the 2-level pending/mask bitmaps for a 64-bit guest:
 * BITS_PER_EVTCHN_WORD(d) = BITS_PER_XEN_ULONG (xen/include/xen/sched.h). */
#define EVTCHN_2L_BITS_PER_WORD 64u
/* Ports of a 64-bit guest under the 2-level ABI, port 0 included:
 * max_evtchns = BITS_PER_EVTCHN_WORD^2 (evtchn_2l_init, xen/common/event_2l.c;
 * EVTCHN_2L_NR_CHANNELS in xen/include/public/event_channel.h). */
#define EVTCHN_2L_NR_CHANNELS (EVTCHN_2L_BITS_PER_WORD * EVTCHN_2L_BITS_PER_WORD)
/* Domids from here up are reserved for special domains (DOMID_FIRST_RESERVED
 * in xen/include/public/xen.h); real domains use 0..0x7FEF. */
#define EVTCHN_DOMID_LIMIT 0x7FF0

/* Negative results; the comment names Xen's errno for the same case. */
typedef enum {
    EVTCHN_OK = 0,
    EVTCHN_ERR_BAD_PORT = -1,   /* -EINVAL: port out of range, reserved, free, or wrong state */
    EVTCHN_ERR_BAD_DOMAIN = -2, /* -ESRCH: no such domain (or domid out of range) */
    EVTCHN_ERR_NO_SPACE = -3,   /* -ENOSPC: every port of the domain is in use */
    EVTCHN_ERR_EXISTS = -4,     /* -EEXIST: evtchn_domain_add of a domid already present */
    EVTCHN_ERR_BAD_LIMIT = -5,  /* -EINVAL: max_ports out of 2..EVTCHN_2L_NR_CHANNELS */
} EvtchnError;

typedef struct EvtchnTable EvtchnTable;

/* Called when port `port` of domain `domid` raises an upcall; `data` is what
 * that end's owner registered at alloc/bind time. */
typedef void (*EvtchnUpcallFn)(EvtchnTable *t, int domid, uint32_t port, void *data);

/* Counters.  Per domain, the sender-side ones count calls made by that
 * domain and the receiver-side ones count what arrived at its ports; the
 * table totals add them up, plus sends with a domid that names no domain. */
typedef struct {
    /* Sender side. */
    uint64_t sends;     /* sends accepted (returned EVTCHN_OK), including dropped ones */
    uint64_t dropped;   /* ... of which from an unbound port (peer closed or not yet bound):
                           Xen drops these silently and returns 0 */
    uint64_t bad_sends; /* sends refused: bad domid or port */
    uint64_t bad_ops;   /* other calls refused: alloc, bind, close, mask, unmask, clear */
    /* Receiver side. */
    uint64_t upcalls; /* upcalls delivered (on send or on unmask) */
    uint64_t merged;  /* sends that found the port already pending */
    uint64_t masked;  /* sends that set a masked port pending (upcall deferred to unmask) */
} EvtchnStats;

EvtchnTable *evtchn_table_new(void);
void evtchn_table_free(EvtchnTable *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(EvtchnTable, evtchn_table_free)

/* Registers domain `domid` (0..EVTCHN_DOMID_LIMIT-1) with ports 0..max_ports-1
 * (0 selects EVTCHN_2L_NR_CHANNELS; at most that).  0 or a negative EvtchnError. */
int evtchn_domain_add(EvtchnTable *t, int domid, unsigned max_ports);
/* Closes every port of the domain (their peers become unbound) and forgets
 * it, as domain destruction does.  0 or EVTCHN_ERR_BAD_DOMAIN. */
int evtchn_domain_remove(EvtchnTable *t, int domid);

/* EVTCHNOP_alloc_unbound: allocates the lowest free port of `domid`, to be
 * bound by `remote_domid`, with this end's upcall.  The new port is unmasked
 * and not pending.  Returns the port (> 0) or a negative EvtchnError. */
int evtchn_alloc_unbound(EvtchnTable *t, int domid, int remote_domid, EvtchnUpcallFn fn,
                         void *data);
/* EVTCHNOP_bind_interdomain: allocates a port of `domid` connected to
 * (remote_domid, remote_port), which must be unbound and offered to `domid`.
 * As Xen does, the new port is then set pending, raising its upcall once:
 * sends made while the other end was unbound were dropped.  Returns the
 * local port (> 0) or a negative EvtchnError. */
int evtchn_bind_interdomain(EvtchnTable *t, int domid, int remote_domid, uint32_t remote_port,
                            EvtchnUpcallFn fn, void *data);
/* Both steps: dom_a allocates, dom_b binds (and gets the one bind-time
 * upcall), as a guest front end and dom0's back end do.
 * On success returns 0 and sets *port_a and *port_b; on failure allocates
 * nothing and returns a negative EvtchnError. */
int evtchn_bind_pair(EvtchnTable *t, int dom_a, EvtchnUpcallFn fn_a, void *data_a, int dom_b,
                     EvtchnUpcallFn fn_b, void *data_b, uint32_t *port_a, uint32_t *port_b);
/* EVTCHNOP_close: frees the port (pending and mask forgotten); an
 * interdomain peer becomes unbound (offered to this domain again), so its
 * sends are dropped.  0 or a negative EvtchnError. */
int evtchn_close(EvtchnTable *t, int domid, uint32_t port);

/* EVTCHNOP_send from (domid, port): marks the peer port pending and raises
 * its upcall if it was neither pending nor masked.  From an unbound port the
 * send is dropped and 0 returned, as in Xen.  0 or a negative EvtchnError. */
int evtchn_send(EvtchnTable *t, int domid, uint32_t port);

/* The guest's own bits.  Masking holds upcalls back; unmasking a pending
 * port delivers its upcall.  0 or a negative EvtchnError. */
int evtchn_mask(EvtchnTable *t, int domid, uint32_t port);
int evtchn_unmask(EvtchnTable *t, int domid, uint32_t port);
/* The handler clears pending before it processes the work, so that a send
 * arriving meanwhile raises a new upcall. */
int evtchn_clear_pending(EvtchnTable *t, int domid, uint32_t port);
/* False for a bad domid or port. */
bool evtchn_is_pending(const EvtchnTable *t, int domid, uint32_t port);
bool evtchn_is_masked(const EvtchnTable *t, int domid, uint32_t port);
/* True if the port is bound to a peer, setting *remote_domid and *remote_port
 * (either may be NULL). */
bool evtchn_peer(const EvtchnTable *t, int domid, uint32_t port, int *remote_domid,
                 uint32_t *remote_port);
/* Ports of the domain in use (port 0 excluded); -1 for a bad domid. */
int evtchn_ports_in_use(const EvtchnTable *t, int domid);

/* Counters of one domain; false (and *out zeroed) for a bad domid. */
bool evtchn_domain_stats(const EvtchnTable *t, int domid, EvtchnStats *out);
/* Totals over the table's lifetime (removed domains included). */
void evtchn_stats(const EvtchnTable *t, EvtchnStats *out);

#endif
