/* dom0 policies: one static table of operations per policy, found by name.
 *
 * A policy decides how dom0 is sized and where it sits at boot.  Later
 * models call further hooks (placement of each piece of dom0 work, VM
 * lifecycle events, a periodic tick); each hook is optional and a NULL entry
 * means "the policy has nothing to do here". */
#ifndef DOM0SIM_POLICY_H
#define DOM0SIM_POLICY_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdint.h>

#include "sim/sim_json.h"

/* What a host offers dom0 at boot. */
typedef struct {
    int sockets;
    int cores_per_socket;
    uint64_t memory_bytes; /* all nodes together */
} PolicyHostInfo;

/* dom0 as the policy sizes it on one host. */
typedef struct {
    int vcpus;             /* dom0 vCPUs */
    uint64_t memory_bytes; /* dom0 memory */
    int socket;            /* NUMA node holding dom0's vCPUs and memory */
    gboolean pinned;       /* vCPUs hard-pinned to pCPUs of `socket` */
} PolicyDom0Size;

typedef struct PolicyOps {
    const char *name;
    const char *description; /* one line, for --list-policies */
    /* Checks the policy's parameter block (already schema-validated, defaults
     * filled) against the hosts; `where` prefixes messages. */
    gboolean (*validate)(const cJSON *params, const PolicyHostInfo *host, const char *where,
                         GError **err);
    /* Boot-time sizing of dom0 on a host. */
    void (*size_dom0)(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out);
} PolicyOps;

/* The registered policies, in registration order; *n receives their count. */
const PolicyOps *const *policy_all(size_t *n);
/* The policy named `name`, or NULL. */
const PolicyOps *policy_find(const char *name);

static inline gboolean policy_validate(const PolicyOps *p, const cJSON *params,
                                       const PolicyHostInfo *host, const char *where, GError **err)
{
    return p->validate ? p->validate(params, host, where, err) : TRUE;
}

static inline void policy_size_dom0(const PolicyOps *p, const cJSON *params,
                                    const PolicyHostInfo *host, PolicyDom0Size *out)
{
    p->size_dom0(params, host, out);
}

/* A `validate` for policies whose only cross-check is that their "socket"
 * parameter exists on the host. */
gboolean policy__check_socket(const cJSON *params, const PolicyHostInfo *host, const char *where,
                              GError **err);

#endif
