#include "sim/sim_rng.h"

#include <gsl/gsl_randist.h>

struct SimRngSet {
    uint64_t seed;
    GHashTable *streams; /* component name (owned) -> gsl_rng * (owned) */
};

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t fnv1a64(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    return h;
}

uint64_t sim_rng_derive_seed(uint64_t seed, const char *component)
{
    /* Two rounds of mixing so that nearby seeds and similar names still land
     * far apart. */
    return splitmix64(splitmix64(seed) ^ fnv1a64(component));
}

static void free_rng(gpointer p)
{
    gsl_rng_free(p);
}

SimRngSet *sim_rng_set_new(uint64_t seed)
{
    SimRngSet *set = g_new0(SimRngSet, 1);
    set->seed = seed;
    set->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_rng);
    return set;
}

void sim_rng_set_free(SimRngSet *set)
{
    if (!set)
        return;
    g_hash_table_destroy(set->streams);
    g_free(set);
}

gsl_rng *sim_rng_stream(SimRngSet *set, const char *component)
{
    gsl_rng *r = g_hash_table_lookup(set->streams, component);
    if (r)
        return r;
    /* MT19937 takes a 32-bit seed; fold the derived 64 bits rather than
     * truncate so both halves matter.  GSL treats seed 0 as its default
     * seed, which would alias another stream, so 0 maps to 1. */
    uint64_t s = sim_rng_derive_seed(set->seed, component);
    unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffUL);
    r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, s32 ? s32 : 1);
    g_hash_table_insert(set->streams, g_strdup(component), r);
    return r;
}

double sim_rng_gamma_mean_cov(gsl_rng *r, double mean, double cov)
{
    if (!r || !(cov > 0.0) || !(mean > 0.0))
        return mean;
    double shape = 1.0 / (cov * cov);
    return gsl_ran_gamma(r, shape, mean / shape);
}
