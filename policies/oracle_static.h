#ifndef DOM0SIM_ORACLE_STATIC_H
#define DOM0SIM_ORACLE_STATIC_H

#include <stdint.h>

/* Oracle VM's dom0 memory in MB for a host with `physical_mem_mb` MB. */
uint64_t oracle_static_dom0_mem_mb(uint64_t physical_mem_mb);

#endif
