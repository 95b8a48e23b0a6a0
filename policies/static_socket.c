/* `static-socket`: dom0 statically owns one whole socket, all its pCPUs and
 * all the memory attached to it.  This is how the thesis sized dom0 for its
 * over-provisioning estimate on Google's trace (section 2.1.2: dom0 was
 * statically allocated one socket of each machine), the generous static
 * choice an operator makes when dom0 must never be the bottleneck.  All dom0
 * work runs there, paid by dom0, as under native. */
#include "policies/policy.h"

static void static_socket_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    out->vcpus = host->cores_per_socket;
    out->memory_bytes = host->memory_bytes / (uint64_t)host->sockets;
    out->socket = cJSON_GetObjectItemCaseSensitive(params, "socket")->valueint;
    out->pinned = TRUE;
}

const PolicyOps policy_static_socket_ops = {
    .name = "static-socket",
    .description = "dom0 owns one whole socket (all its pCPUs and memory), as the thesis's "
                   "over-provisioning estimate assumed; otherwise as native",
    .validate = policy__check_socket,
    .size_dom0 = static_socket_size,
    .place = policy__place_main,
};
