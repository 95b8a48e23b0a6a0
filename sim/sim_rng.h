/* Random streams: one GSL generator per component, derived from the scenario
 * seed and the component's name.
 *
 * Deriving by name (not by creation order) means adding a component, or
 * creating streams in another order, leaves every other stream's numbers
 * unchanged, so a change to one model does not reshuffle another's noise. */
#ifndef DOM0SIM_SIM_RNG_H
#define DOM0SIM_SIM_RNG_H

#include <glib.h>
#include <gsl/gsl_rng.h>
#include <stdint.h>

typedef struct SimRngSet SimRngSet;

SimRngSet *sim_rng_set_new(uint64_t seed);
void sim_rng_set_free(SimRngSet *set);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimRngSet, sim_rng_set_free)

/* The stream named `component` (e.g. "vm1.workload"), created on first use
 * and owned by the set.  The same seed and name always give the same
 * sequence. */
gsl_rng *sim_rng_stream(SimRngSet *set, const char *component);

/* The 64-bit seed a component's stream is started from (SplitMix64 of the
 * scenario seed mixed with the FNV-1a hash of the name). */
uint64_t sim_rng_derive_seed(uint64_t seed, const char *component);

/* A gamma draw of the given mean and coefficient of variation (shape
 * 1 / cov^2, scale mean cov^2): one generator call; `mean` itself when cov
 * <= 0, mean <= 0 or r is NULL (the deterministic model). */
double sim_rng_gamma_mean_cov(gsl_rng *r, double mean, double cov);

#endif
