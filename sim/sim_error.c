#include "sim/sim_error.h"

G_DEFINE_QUARK(dom0sim - error - quark, dom0sim_error)

int dom0sim_error_exit_status(const GError *err)
{
    if (!err)
        return 0;
    if (err->domain == DOM0SIM_ERROR &&
        (err->code == DOM0SIM_ERROR_INPUT || err->code == DOM0SIM_ERROR_USAGE))
        return 2;
    return 1;
}
