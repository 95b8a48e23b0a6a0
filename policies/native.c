/* `native`: dom0 as Xen ships it.  Its size and place are fixed at boot by
 * the administrator (dom0_max_vcpus, dom0_mem, dom0_vcpus_pin), and every
 * piece of dom0 work runs on dom0's own vCPUs wherever they are. */
#include "policies/policy.h"

static void native_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    (void)host;
    out->vcpus = cJSON_GetObjectItemCaseSensitive(params, "vcpus")->valueint;
    out->memory_bytes = (uint64_t)cJSON_GetObjectItemCaseSensitive(params, "memory_mb")->valueint
                        << 20;
    out->socket = cJSON_GetObjectItemCaseSensitive(params, "socket")->valueint;
    out->pinned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(params, "pinned"));
}

const PolicyOps policy_native_ops = {
    .name = "native",
    .description = "today's Xen: static dom0 (vCPUs, memory, socket, pinning set by the "
                   "scenario); all dom0 work on dom0's own vCPUs",
    .validate = policy__check_socket,
    .place = policy__place_main,
    .size_dom0 = native_size,
};
