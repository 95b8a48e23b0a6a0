/* One GError domain for the whole program.  The code decides the exit
 * status: bad input or usage exits 2, anything else (I/O, internal) 1. */
#ifndef DOM0SIM_SIM_ERROR_H
#define DOM0SIM_SIM_ERROR_H

#include <glib.h>

#define DOM0SIM_ERROR (dom0sim_error_quark())
GQuark dom0sim_error_quark(void);

typedef enum {
    DOM0SIM_ERROR_INPUT, /* malformed or invalid scenario, trace or option value: exit 2 */
    DOM0SIM_ERROR_USAGE, /* bad command line: exit 2 */
    DOM0SIM_ERROR_IO,    /* a file could not be read or written: exit 1 */
    DOM0SIM_ERROR_MODEL, /* the model reached a state it cannot continue from: exit 1 */
} Dom0simError;

/* The process exit status that reports err (0 when err is NULL). */
int dom0sim_error_exit_status(const GError *err);

#endif
