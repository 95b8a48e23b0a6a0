/* Validation of scenario documents against scenarios/schema.json.
 *
 * The schema file is both the user documentation of every key (unit, range,
 * default) and the validator's input, so the two cannot disagree.  It uses a
 * subset of JSON Schema (draft 2020-12):
 *   type (object, array, string, number, integer, boolean), properties,
 *   required, additionalProperties (false, or a schema for every other key),
 *   default, minimum, maximum, exclusiveMinimum, exclusiveMaximum, enum,
 *   const, items, minItems, maxItems, minLength, maxLength, $ref to
 *   "#/$defs/NAME", description, and the annotation "x-unit"; plus oneOf where
 *   every branch is an object with a "const" discriminator property of the
 *   same name (a tagged union: the tag picks the branch, so the error can name
 *   the expected keys of that branch instead of "matched no branch"). */
#ifndef DOM0SIM_SIM_SCHEMA_H
#define DOM0SIM_SIM_SCHEMA_H

#include <cjson/cJSON.h>
#include <glib.h>

#include "sim/sim_json.h"

typedef struct SimSchema SimSchema;

/* The schema compiled into the binary (scenarios/schema.json). */
SimSchema *sim_schema_new_builtin(GError **err);
/* A schema from text (tests use small ones). */
SimSchema *sim_schema_new_from_text(const char *text, GError **err);
void sim_schema_free(SimSchema *schema);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SimSchema, sim_schema_free)

/* Checks the whole document and fills in every absent key that has a
 * default.  Fails with DOM0SIM_ERROR_INPUT on the first problem, with a
 * message that names the place (file:line:col when known, and always the key
 * path) and what was expected, e.g.
 *   "s.json:4:18: hosts[0].sockets: expected an integer in [1, 64], got 0"
 *   "s.json:9:5: vms[1]: unknown key 'memroy_mb' (did you mean 'memory_mb'?)"
 *   "s.json: hosts[0]: missing required key 'name'"
 *   "s.json:3:12: duration_s: expected a finite number, got 1e999"  */
gboolean sim_schema_validate(const SimSchema *schema, SimJsonDoc *doc, GError **err);

/* Applies one command-line override "PATH=VALUE" before validation.  PATH is
 * dotted with [i] indices ("hosts[0].sockets"); every component must exist in
 * the document or be a key the schema allows at that place (then it is
 * created); an index must exist.  VALUE is parsed as JSON; a bare word that
 * is not JSON (e.g. native) is taken as a string.  An unknown path fails
 * with DOM0SIM_ERROR_USAGE and names the component that is unknown. */
gboolean sim_schema_apply_set(const SimSchema *schema, SimJsonDoc *doc, const char *assignment,
                              GError **err);

/* The closest of `candidates` to `word` by edit distance, if close enough to
 * be a plausible typo (else NULL).  Exposed for reuse and tests. */
const char *sim_schema_suggest(const char *word, const char *const *candidates, size_t n);

#endif
