#include "policies/policy.h"

#include <string.h>

#include "sim/sim_error.h"

extern const PolicyOps policy_native_ops;
extern const PolicyOps policy_oracle_static_ops;

/* Registration order is the order --list-policies prints. */
static const PolicyOps *const registry[] = {
    &policy_native_ops,
    &policy_oracle_static_ops,
};

const PolicyOps *const *policy_all(size_t *n)
{
    *n = G_N_ELEMENTS(registry);
    return registry;
}

const PolicyOps *policy_find(const char *name)
{
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

gboolean policy__check_socket(const cJSON *params, const PolicyHostInfo *host, const char *where,
                              GError **err)
{
    int socket = cJSON_GetObjectItemCaseSensitive(params, "socket")->valueint;
    if (socket >= host->sockets) {
        g_set_error(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT,
                    "%s.socket: dom0 socket %d does not exist on a host with %d socket%s", where,
                    socket, host->sockets, host->sockets == 1 ? "" : "s");
        return FALSE;
    }
    return TRUE;
}
