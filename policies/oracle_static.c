/* `oracle-static`: Oracle VM's sizing rule for dom0 memory,
 *   dom0_mem = 502 + int(physical_mem_MB * 0.0205) MB,
 * quoted by the thesis (section 2.1) as the only published recommendation;
 * vCPUs are fixed by the scenario.  Otherwise it behaves as `native`. */
#include "policies/policy.h"

#include "policies/oracle_static.h"

uint64_t oracle_static_dom0_mem_mb(uint64_t physical_mem_mb)
{
    /* Integer arithmetic: 0.0205 = 41/2000, and int() truncates. */
    return 502 + physical_mem_mb * 41 / 2000;
}

static void oracle_size(const cJSON *params, const PolicyHostInfo *host, PolicyDom0Size *out)
{
    out->vcpus = cJSON_GetObjectItemCaseSensitive(params, "vcpus")->valueint;
    out->memory_bytes = oracle_static_dom0_mem_mb(host->memory_bytes >> 20) << 20;
    out->socket = cJSON_GetObjectItemCaseSensitive(params, "socket")->valueint;
    out->pinned = TRUE;
}

const PolicyOps policy_oracle_static_ops = {
    .name = "oracle-static",
    .description = "Oracle VM rule: dom0_mem = 502 + int(0.0205 x host MB) MB, fixed vCPUs, "
                   "otherwise as native",
    .validate = policy__check_socket,
    .place = policy__place_main,
    .size_dom0 = oracle_size,
};
