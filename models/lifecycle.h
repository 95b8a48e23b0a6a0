/* Creating and destroying guests through dom0.
 *
 * Create (xl create): the toolstack's fixed work (configuration, xenstore,
 * device back ends and their hotplug scripts) plus building the domain,
 * whose cost grows with its memory (populating and clearing it).  It is
 * dom0's own T2 work in user space, which closer keeps in the main
 * container.  The guest runs when it is done.
 *
 * Destroy (xl destroy / shutdown): the guest is paused at once; dom0 then
 * tears it down (a fixed cost) and its memory is scrubbed before Xen can
 * hand it out again, a cost per GiB that is all memory traffic on the
 * guest's nodes, so slower from a remote socket.  It is T2 work on the
 * guest, which closer runs in the secondary container next to the guest's
 * memory and bills to it.  The memory is free when it is done.
 *
 * Resize (xl mem-set): the toolstack writes the balloon target (a fixed
 * cost in dom0's main container), then the guest's balloon driver hands
 * pages to Xen or takes them back, a cost per GiB on the guest's own vCPU;
 * pages it gives back are scrubbed as for a destroy.  The guest's memory
 * changes when the driver is done. */
#ifndef DOM0SIM_LIFECYCLE_H
#define DOM0SIM_LIFECYCLE_H

#include "models/host.h"

/* Pages the balloon driver moves per batch before it yields the CPU: its
 * frame list is one page of xen_pfn_t, 512 entries, and balloon_process()
 * calls cond_resched() between batches (drivers/xen/balloon.c). */
#define BALLOON_BATCH_BYTES (512ull * 4096ull)

/* Called when the operation is over: the new domain (NULL if its memory did
 * not fit) for a create, the destroyed one for a destroy. */
typedef void (*LifeDoneFn)(Domain *g, void *data);

void lifecycle_create(Host *h, const GuestSpec *spec, LifeDoneFn done, void *data);
void lifecycle_destroy(Host *h, Domain *g, LifeDoneFn done, void *data);
/* done(g) when the new size is in place, done(NULL) if growing did not fit. */
void lifecycle_resize(Host *h, Domain *g, uint64_t bytes, LifeDoneFn done, void *data);

#endif
