/* A set of pCPUs (up to CPUMASK_MAX), for hard and soft affinity. */
#ifndef DOM0SIM_CPUMASK_H
#define DOM0SIM_CPUMASK_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CPUMASK_MAX 1024
#define CPUMASK_WORDS (CPUMASK_MAX / 64)

typedef struct {
    uint64_t w[CPUMASK_WORDS];
} CpuMask;

static inline void cpumask_clear(CpuMask *m)
{
    memset(m, 0, sizeof *m);
}

static inline void cpumask_set(CpuMask *m, int cpu)
{
    m->w[cpu >> 6] |= (uint64_t)1 << (cpu & 63);
}

static inline bool cpumask_test(const CpuMask *m, int cpu)
{
    return (m->w[cpu >> 6] >> (cpu & 63)) & 1;
}

/* All pCPUs in [first, first + n). */
static inline void cpumask_set_range(CpuMask *m, int first, int n)
{
    for (int c = first; c < first + n; c++)
        cpumask_set(m, c);
}

static inline int cpumask_count(const CpuMask *m)
{
    int n = 0;
    for (int i = 0; i < CPUMASK_WORDS; i++)
        n += __builtin_popcountll(m->w[i]);
    return n;
}

static inline bool cpumask_empty(const CpuMask *m)
{
    for (int i = 0; i < CPUMASK_WORDS; i++)
        if (m->w[i])
            return false;
    return true;
}

/* The lowest pCPU in m at or after `from`, or -1. */
static inline int cpumask_next(const CpuMask *m, int from)
{
    for (int c = from; c < CPUMASK_MAX; c++) {
        uint64_t word = m->w[c >> 6] >> (c & 63);
        if (word)
            return c + __builtin_ctzll(word);
        c |= 63;
    }
    return -1;
}

static inline void cpumask_and(CpuMask *out, const CpuMask *a, const CpuMask *b)
{
    for (int i = 0; i < CPUMASK_WORDS; i++)
        out->w[i] = a->w[i] & b->w[i];
}

static inline bool cpumask_equal(const CpuMask *a, const CpuMask *b)
{
    return memcmp(a, b, sizeof *a) == 0;
}

#endif
