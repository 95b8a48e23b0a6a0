/* Typed reads from a schema-validated document.  Validation has already
 * checked types and filled defaults, so these never fail for keys the schema
 * requires or defaults; for optional keys, use the *_opt forms. */
#ifndef DOM0SIM_SIM_JGET_H
#define DOM0SIM_SIM_JGET_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>

static inline const cJSON *jget(const cJSON *obj, const char *key)
{
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static inline double jget_num(const cJSON *obj, const char *key)
{
    return cJSON_GetNumberValue(jget(obj, key));
}

static inline int64_t jget_int(const cJSON *obj, const char *key)
{
    return (int64_t)cJSON_GetNumberValue(jget(obj, key));
}

static inline const char *jget_str(const cJSON *obj, const char *key)
{
    return cJSON_GetStringValue(jget(obj, key));
}

static inline bool jget_bool(const cJSON *obj, const char *key)
{
    return cJSON_IsTrue(jget(obj, key));
}

/* True and *out set when the optional number `key` is present. */
static inline bool jget_num_opt(const cJSON *obj, const char *key, double *out)
{
    const cJSON *v = jget(obj, key);
    if (!cJSON_IsNumber(v))
        return false;
    *out = v->valuedouble;
    return true;
}

#endif
