/* Unit tests for JSON loading with positions (sim/sim_json.h) and schema
 * validation, defaults and --set overrides (sim/sim_schema.h). */
#include "tests/check_main.h"
#include <check.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim_error.h"
#include "sim/sim_json.h"
#include "sim/sim_schema.h"

/* ---- Helpers ---------------------------------------------------------- */

static SimJsonDoc *load_ok(const char *text)
{
    GError *err = NULL;
    SimJsonDoc *doc = sim_json_load_text(text, strlen(text), "s.json", &err);
    ck_assert_msg(doc != NULL, "unexpected parse error: %s", err ? err->message : "?");
    return doc;
}

/* Parses `text` as "t.json" and checks that it fails with exactly `want`. */
static void expect_parse_error(const char *text, size_t len, const char *want)
{
    GError *err = NULL;
    SimJsonDoc *doc = sim_json_load_text(text, len, "t.json", &err);
    ck_assert_msg(doc == NULL, "expected a parse error for <%s>", text);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_INPUT),
                  "wrong error code %d for <%s>", err->code, text);
    ck_assert_str_eq(err->message, want);
    g_error_free(err);
}

static void expect_parse_error_str(const char *text, const char *want)
{
    expect_parse_error(text, strlen(text), want);
}

static void expect_position(const SimJsonDoc *doc, const char *path, int want_line, int want_col)
{
    int line = 0, col = 0;
    ck_assert_msg(sim_json_doc_position(doc, path, &line, &col), "no position for '%s'", path);
    ck_assert_msg(line == want_line && col == want_col, "'%s' at %d:%d, expected %d:%d", path, line,
                  col, want_line, want_col);
}

/* A schema exercising every supported feature. */
static const char *const test_schema =
    "{\n"
    "  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",\n"
    "  \"title\": \"test\",\n"
    "  \"type\": \"object\",\n"
    "  \"additionalProperties\": false,\n"
    "  \"required\": [\"hosts\"],\n"
    "  \"properties\": {\n"
    "    \"duration_s\": {\"type\": \"number\", \"exclusiveMinimum\": 0, \"default\": 60,\n"
    "                   \"x-unit\": \"s\", \"description\": \"simulated time\"},\n"
    "    \"seed\": {\"type\": \"integer\", \"default\": 1},\n"
    "    \"ratio\": {\"type\": \"number\", \"minimum\": 0, \"maximum\": 1, \"default\": 0.5},\n"
    "    \"mode\": {\"enum\": [\"native\", \"closer\"], \"default\": \"native\"},\n"
    "    \"label\": {\"type\": \"string\", \"minLength\": 1, \"maxLength\": 8},\n"
    "    \"flag\": {\"type\": \"boolean\"},\n"
    "    \"version\": {\"const\": 1},\n"
    "    \"hosts\": {\"type\": \"array\", \"minItems\": 1, \"maxItems\": 3,\n"
    "              \"items\": {\"$ref\": \"#/$defs/host\"}},\n"
    "    \"io\": {\"type\": \"object\", \"additionalProperties\": false, \"default\": {},\n"
    "           \"properties\": {\n"
    "             \"queue_depth\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 32},\n"
    "             \"ring\": {\"type\": \"object\", \"default\": {}, \"properties\": {\n"
    "               \"slots\": {\"type\": \"integer\", \"default\": 256}}}}},\n"
    "    \"policy\": {\"$ref\": \"#/$defs/policy\", \"default\": {\"type\": \"native\"}},\n"
    "    \"tags\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}\n"
    "  },\n"
    "  \"$defs\": {\n"
    "    \"host\": {\"type\": \"object\", \"additionalProperties\": false,\n"
    "             \"required\": [\"name\"], \"properties\": {\n"
    "               \"name\": {\"type\": \"string\"},\n"
    "               \"sockets\": {\"type\": \"integer\", \"minimum\": 1, \"maximum\": 64,\n"
    "                           \"default\": 2},\n"
    "               \"memory_mb\": {\"type\": \"integer\", \"minimum\": 1}}},\n"
    "    \"policy\": {\"type\": \"object\", \"oneOf\": [\n"
    "      {\"$ref\": \"#/$defs/native\"},\n"
    "      {\"type\": \"object\", \"additionalProperties\": false, \"required\": [\"type\"],\n"
    "       \"properties\": {\"type\": {\"const\": \"closer\"},\n"
    "                      \"socket\": {\"type\": \"integer\", \"minimum\": 0, \"default\": 0}}}\n"
    "    ]},\n"
    "    \"native\": {\"type\": \"object\", \"additionalProperties\": false, \"properties\": {\n"
    "      \"type\": {\"const\": \"native\"},\n"
    "      \"vcpus\": {\"type\": \"integer\", \"minimum\": 1, \"default\": 4}}}\n"
    "  }\n"
    "}\n";

static SimSchema *schema_ok(const char *text)
{
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_from_text(text, &err);
    ck_assert_msg(schema != NULL, "unexpected schema error: %s", err ? err->message : "?");
    return schema;
}

/* Loading the schema `text` must fail with a message containing every one
 * of the NULL-terminated fragments. */
static void expect_schema_error(const char *text, ...)
{
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_from_text(text, &err);
    ck_assert_msg(schema == NULL, "schema unexpectedly loaded: %s", text);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_INPUT);
    va_list ap;
    va_start(ap, text);
    for (const char *frag = va_arg(ap, const char *); frag; frag = va_arg(ap, const char *))
        ck_assert_msg(strstr(err->message, frag) != NULL, "message <%s> lacks <%s>", err->message,
                      frag);
    va_end(ap);
    g_error_free(err);
}

/* Validating `doc_text` against the test schema must fail with exactly
 * `want`. */
static void expect_invalid(const char *doc_text, const char *want)
{
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc = load_ok(doc_text);
    GError *err = NULL;
    ck_assert_msg(!sim_schema_validate(schema, doc, &err), "document unexpectedly valid: %s",
                  doc_text);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_INPUT);
    ck_assert_str_eq(err->message, want);
    g_error_free(err);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}

static const cJSON *at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    ck_assert_msg(v != NULL, "missing key '%s'", key);
    return v;
}

/* Applies `assignment` and expects success. */
static void set_ok(const SimSchema *schema, SimJsonDoc *doc, const char *assignment)
{
    GError *err = NULL;
    ck_assert_msg(sim_schema_apply_set(schema, doc, assignment, &err), "--set %s failed: %s",
                  assignment, err ? err->message : "?");
    ck_assert_ptr_null(err);
}

/* Applies `assignment` and expects a usage error with exactly `want`; the
 * document must be unchanged. */
static void set_fails(const SimSchema *schema, SimJsonDoc *doc, const char *assignment,
                      const char *want)
{
    char *before = cJSON_PrintUnformatted(sim_json_doc_root(doc));
    GError *err = NULL;
    ck_assert_msg(!sim_schema_apply_set(schema, doc, assignment, &err),
                  "--set %s unexpectedly succeeded", assignment);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(g_error_matches(err, DOM0SIM_ERROR, DOM0SIM_ERROR_USAGE),
                  "--set %s: wrong error code %d", assignment, err->code);
    ck_assert_str_eq(err->message, want);
    char *after = cJSON_PrintUnformatted(sim_json_doc_root(doc));
    ck_assert_str_eq(after, before);
    cJSON_free(after);
    cJSON_free(before);
    g_error_free(err);
}

/* ---- Parsing ---------------------------------------------------------- */

START_TEST(test_parse_errors)
{
    expect_parse_error_str("{\n  \"a\": 1\n  \"b\": 2\n}",
                           "t.json:3:3: expected ',' or '}' after an object member (missing ','?)");
    expect_parse_error_str("[1 2]", "t.json:1:4: expected ',' or ']' after an array element "
                                    "(missing ','?)");
    expect_parse_error_str("{\"a\": 1,\n}", "t.json:1:8: trailing comma before '}'");
    expect_parse_error_str("[1, 2, ]", "t.json:1:6: trailing comma before ']'");
    expect_parse_error_str("{\"a\": \"abc", "t.json:1:7: unterminated string");
    expect_parse_error_str("{\"a\": \"abc\n}", "t.json:1:7: unterminated string (a string cannot "
                                               "span lines; write \\n for a line break)");
    expect_parse_error_str("{\"a\": tru}", "t.json:1:7: invalid literal 'tru' (expected a value: "
                                           "a string in double quotes, a number, true, false, "
                                           "null, an object or an array)");
    expect_parse_error_str("{\"a\": True}", "t.json:1:7: invalid literal 'True' (the literals are "
                                            "true, false and null, in lower case)");
    expect_parse_error_str("[NaN]", "t.json:1:2: invalid literal 'NaN': JSON has no NaN or "
                                    "Infinity");
    expect_parse_error_str("[1, -Infinity]", "t.json:1:5: invalid literal '-Infinity': JSON has "
                                             "no NaN or Infinity");
    expect_parse_error_str("[nan]", "t.json:1:2: invalid literal 'nan': JSON has no NaN or "
                                    "Infinity");
    expect_parse_error_str("{\"x\": 1e999}",
                           "t.json:1:7: number 1e999 is out of range (too large for a double)");
    expect_parse_error_str("{} x", "t.json:1:4: trailing characters after the document");
    expect_parse_error_str("{}\n\n  {}", "t.json:3:3: trailing characters after the document");
    expect_parse_error_str("", "t.json:1:1: empty file (expected a JSON value)");
    expect_parse_error_str("  \n\t ", "t.json:1:1: empty file (expected a JSON value)");
    expect_parse_error_str("{\"a\": 1,\n \"a\": 2}",
                           "t.json:2:2: duplicate key 'a' (first at 1:2)");
    expect_parse_error_str("{\"a\": [1,\n2", "t.json:2:2: unexpected end of file: the '[' at 1:7 "
                                             "is never closed");
    expect_parse_error_str("[01]", "t.json:1:2: invalid number: leading zeros are not allowed");
    expect_parse_error_str("[1.]", "t.json:1:4: invalid number: expected a digit after '.'");
    expect_parse_error_str("[1e+]", "t.json:1:5: invalid number: expected a digit in the exponent");
    expect_parse_error_str("[1.2.3]", "t.json:1:2: invalid number '1.2.3'");
    expect_parse_error_str("[+1]", "t.json:1:2: invalid number: a leading '+' is not allowed");
    expect_parse_error_str("{'a': 1}",
                           "t.json:1:2: keys must be strings in double quotes, not single quotes");
    expect_parse_error_str("{a: 1}", "t.json:1:2: expected a key in double quotes");
    expect_parse_error_str("{\"a\" 1}", "t.json:1:6: expected ':' after the key 'a'");
    expect_parse_error_str("[\"a\\x\"]", "t.json:1:4: invalid escape \\x in a string (valid: \\\" "
                                         "\\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
    expect_parse_error_str("[\"\\uD800x\"]", "t.json:1:3: invalid \\u escape: \\uD800 is a high "
                                             "surrogate without a low surrogate after it");
    expect_parse_error_str("[\"\\u00\"]",
                           "t.json:1:3: invalid \\u escape: expected four hex digits after \\u");
    expect_parse_error_str("[\"\\u0000\"]", "t.json:1:3: \\u0000 is not supported in strings");
    expect_parse_error_str("[\"a\tb\"]",
                           "t.json:1:4: control character U+0009 in a string must be escaped");
    expect_parse_error_str("// c\n{}", "t.json:1:1: comments are not allowed in JSON");
    expect_parse_error_str("[1,,2]", "t.json:1:4: expected a value, got ','");
    /* Columns count characters, not bytes: 'é' is two bytes. */
    expect_parse_error_str("{\"é\": 1, x}", "t.json:1:10: expected a key in double quotes");
    /* A byte order mark is skipped and does not count as a column. */
    expect_parse_error_str("\xEF\xBB\xBF{\"a\": x}",
                           "t.json:1:7: invalid literal 'x' (expected a value: a string in double "
                           "quotes, a number, true, false, null, an object or an array)");
    expect_parse_error_str("[\"\xFF\"]", "t.json:1:3: invalid UTF-8 (byte 0xFF)");
    expect_parse_error("[1]\0", 4, "t.json:1:4: NUL byte in the text");
}
END_TEST

START_TEST(test_parse_depth_limit)
{
    GString *deep = g_string_new(NULL);
    for (int i = 0; i < 600; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < 600; i++)
        g_string_append_c(deep, ']');
    expect_parse_error_str(deep->str, "t.json:1:513: nested more than 512 levels deep");
    g_string_free(deep, TRUE);
}
END_TEST

START_TEST(test_parse_values)
{
    SimJsonDoc *doc = load_ok("{\"s\": \"a\\u00e9\\ud83d\\ude00\\n\", \"n\": -0.5e1, \"t\": true,"
                              " \"f\": false, \"z\": null, \"big\": 12345678901234567890,"
                              " \"tiny\": 1e-400}");
    const cJSON *root = sim_json_doc_root(doc);
    ck_assert_str_eq(at(root, "s")->valuestring, "a\xC3\xA9\xF0\x9F\x98\x80\n");
    ck_assert_double_eq(at(root, "n")->valuedouble, -5.0);
    ck_assert(cJSON_IsTrue(at(root, "t")));
    ck_assert(cJSON_IsFalse(at(root, "f")));
    ck_assert(cJSON_IsNull(at(root, "z")));
    ck_assert_double_eq(at(root, "big")->valuedouble, 12345678901234567890.0);
    ck_assert_double_eq(at(root, "tiny")->valuedouble, 0.0);
    ck_assert_str_eq(sim_json_doc_name(doc), "s.json");
    sim_json_doc_free(doc);

    /* Scalars are documents too. */
    doc = load_ok(" 42 ");
    ck_assert_double_eq(sim_json_doc_root(doc)->valuedouble, 42.0);
    expect_position(doc, "", 1, 2);
    sim_json_doc_free(doc);
}
END_TEST

START_TEST(test_positions)
{
    SimJsonDoc *doc = load_ok("{\n"
                              "  \"name\": \"x\",\n"
                              "  \"hosts\": [\n"
                              "    {\"sockets\": 2, \"cores\": [4, 8]},\n"
                              "    {\"sockets\": 4}\n"
                              "  ],\n"
                              "  \"a.b\": {\"c\": null},\n"
                              "  \"é\": {\"k\": [[1], [2, 3]]}\n"
                              "}\n");
    expect_position(doc, "", 1, 1);
    expect_position(doc, "name", 2, 11);
    expect_position(doc, "hosts", 3, 12);
    expect_position(doc, "hosts[0]", 4, 5);
    expect_position(doc, "hosts[0].sockets", 4, 17);
    expect_position(doc, "hosts[0].cores", 4, 29);
    expect_position(doc, "hosts[0].cores[1]", 4, 33);
    expect_position(doc, "hosts[1]", 5, 5);
    expect_position(doc, "hosts[1].sockets", 5, 17);
    expect_position(doc, "a.b.c", 7, 16);
    expect_position(doc, "é.k", 8, 14);
    expect_position(doc, "é.k[1][1]", 8, 24);
    ck_assert(!sim_json_doc_position(doc, "nope", NULL, NULL));
    ck_assert(!sim_json_doc_position(doc, "hosts[2]", NULL, NULL));

    char *w = sim_json_doc_where(doc, "hosts[0].sockets");
    ck_assert_str_eq(w, "s.json:4:17: hosts[0].sockets");
    g_free(w);
    w = sim_json_doc_where(doc, "");
    ck_assert_str_eq(w, "s.json:1:1: (root)");
    g_free(w);
    w = sim_json_doc_where(doc, "hosts[0].memory_mb");
    ck_assert_str_eq(w, "s.json: hosts[0].memory_mb");
    g_free(w);

    /* A value replaced after loading (as --set does) has no source
     * position any more, nor do values inside it; the rest keep theirs. */
    cJSON *host0 = cJSON_GetArrayItem(cJSON_GetObjectItem(sim_json_doc_root(doc), "hosts"), 0);
    cJSON_ReplaceItemInObjectCaseSensitive(host0, "sockets", cJSON_CreateNumber(3));
    ck_assert(!sim_json_doc_position(doc, "hosts[0].sockets", NULL, NULL));
    expect_position(doc, "hosts[0].cores[1]", 4, 33);
    expect_position(doc, "hosts[0]", 4, 5);
    cJSON_ReplaceItemInObjectCaseSensitive(sim_json_doc_root(doc), "é",
                                           cJSON_Parse("{\"k\": [[1], [2, 3]]}"));
    ck_assert(!sim_json_doc_position(doc, "é", NULL, NULL));
    ck_assert(!sim_json_doc_position(doc, "é.k[1][1]", NULL, NULL));
    expect_position(doc, "a.b.c", 7, 16);
    expect_position(doc, "", 1, 1);
    sim_json_doc_free(doc);
}
END_TEST

START_TEST(test_load_file)
{
    GError *err = NULL;
    char *dir = g_dir_make_tmp("dom0sim-test-XXXXXX", &err);
    ck_assert_ptr_nonnull(dir);
    char *path = g_build_filename(dir, "s.json", NULL);
    ck_assert(g_file_set_contents(path, "{\n  \"a\": [1, 2]\n}\n", -1, &err));
    SimJsonDoc *doc = sim_json_load_file(path, &err);
    ck_assert_msg(doc != NULL, "%s", err ? err->message : "?");
    ck_assert_str_eq(sim_json_doc_name(doc), path);
    expect_position(doc, "a[1]", 2, 12);
    sim_json_doc_free(doc);

    ck_assert(g_file_set_contents(path, "{\n  \"a\": [1, 2]\n", -1, &err));
    ck_assert_ptr_null(sim_json_load_file(path, &err));
    char *want =
        g_strdup_printf("%s:3:1: unexpected end of file: the '{' at 1:1 is never closed", path);
    ck_assert_str_eq(err->message, want);
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_INPUT);
    g_clear_error(&err);
    g_free(want);

    g_unlink(path);
    ck_assert_ptr_null(sim_json_load_file(path, &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, DOM0SIM_ERROR_IO);
    ck_assert_int_eq(dom0sim_error_exit_status(err), 1);
    g_clear_error(&err);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}
END_TEST

/* ---- Suggestions ------------------------------------------------------ */

START_TEST(test_suggest)
{
    const char *const keys[] = {"sockets", "memory_mb", "name", "cores_per_socket"};
    ck_assert_str_eq(sim_schema_suggest("memroy_mb", keys, 4), "memory_mb");
    ck_assert_str_eq(sim_schema_suggest("sokets", keys, 4), "sockets");
    ck_assert_str_eq(sim_schema_suggest("MEMORY_MB", keys, 4), "memory_mb");
    ck_assert_str_eq(sim_schema_suggest("nmae", keys, 4), "name");
    ck_assert_str_eq(sim_schema_suggest("cores_per_sockt", keys, 4), "cores_per_socket");
    ck_assert_ptr_null(sim_schema_suggest("duration", keys, 4));
    ck_assert_ptr_null(sim_schema_suggest("xyz", keys, 4));
    ck_assert_ptr_null(sim_schema_suggest("name", keys, 0));
    /* Ties go to the first candidate; closer beats earlier. */
    const char *const ab[] = {"cat", "bat", "car"};
    ck_assert_str_eq(sim_schema_suggest("cbt", ab, 3), "cat");
    ck_assert_str_eq(sim_schema_suggest("bar", ab, 3), "bat");
    const char *const modes[] = {"native", "closer"};
    ck_assert_str_eq(sim_schema_suggest("nativ", modes, 2), "native");
    ck_assert_str_eq(sim_schema_suggest("closr", modes, 2), "closer");
}
END_TEST

/* ---- Schema loading --------------------------------------------------- */

START_TEST(test_schema_builtin_loads)
{
    GError *err = NULL;
    SimSchema *schema = sim_schema_new_builtin(&err);
    ck_assert_msg(schema != NULL, "built-in schema: %s", err ? err->message : "?");
    sim_schema_free(schema);
}
END_TEST

START_TEST(test_schema_rejected)
{
    expect_schema_error("{\"type\": \"object\", \"properties\": {\"x\": {\"type\": \"integer\", "
                        "\"multipleOf\": 2}}}",
                        "schema:1:74: properties.x.multipleOf: unsupported schema keyword "
                        "'multipleOf'",
                        NULL);
    expect_schema_error("{\"patternProperties\": {}}", "patternProperties", "unsupported", NULL);
    expect_schema_error("{\"type\": \"string\", \"pattern\": \"^a\"}", "'pattern'", NULL);
    expect_schema_error("{\"type\": \"string\", \"minimum\": 1}",
                        "minimum: 'minimum' does not apply to type \"string\"", NULL);
    expect_schema_error("{\"type\": \"null\"}", "type: unsupported type", NULL);
    expect_schema_error("{\"type\": [\"string\", \"number\"]}", "unsupported type", NULL);
    expect_schema_error("{\"$ref\": \"#/$defs/nope\"}", "$ref: unresolved reference", NULL);
    expect_schema_error("{\"$ref\": \"other.json#/x\"}", "only references of the form", NULL);
    expect_schema_error("{\"$defs\": {\"a\": {\"$ref\": \"#/$defs/b\"}, \"b\": {\"$ref\": "
                        "\"#/$defs/a\"}}, \"$ref\": \"#/$defs/a\"}",
                        "circular reference", NULL);
    expect_schema_error("{\"$defs\": {\"a\": {\"type\": \"integer\"}}, \"$ref\": \"#/$defs/a\", "
                        "\"minimum\": 3}",
                        "'minimum' next to '$ref' is not supported", NULL);
    expect_schema_error("{\"properties\": {\"x\": {\"$defs\": {}}}}",
                        "only supported at the top level", NULL);
    expect_schema_error("{\"oneOf\": [{\"type\": \"object\", \"properties\": {\"a\": {\"type\": "
                        "\"string\"}}}, {\"type\": \"object\", \"properties\": {\"b\": {}}}]}",
                        "oneOf: oneOf is supported only as a tagged union", NULL);
    expect_schema_error("{\"oneOf\": [{\"type\": \"integer\"}]}",
                        "oneOf[0]: every oneOf branch must be an object schema", NULL);
    expect_schema_error("{\"oneOf\": [{\"properties\": {\"k\": {\"const\": \"a\"}}}, "
                        "{\"properties\": {\"k\": {\"const\": \"a\"}}}]}",
                        "oneOf[1]: two branches have the same 'k' \"a\"", NULL);
    expect_schema_error("{\"type\": \"object\", \"additionalProperties\": false, \"required\": "
                        "[\"x\"], \"properties\": {\"y\": {}}}",
                        "required[0]: required key 'x' is not among the properties", NULL);
    expect_schema_error("{\"type\": \"integer\", \"minimum\": 5, \"maximum\": 4}",
                        "the range is empty", NULL);
    expect_schema_error("{\"type\": \"array\", \"minItems\": -1}",
                        "minItems: expected a non-negative integer", NULL);
    expect_schema_error("{\"enum\": []}", "'enum' must be a non-empty array", NULL);
    expect_schema_error("{\"properties\": {\"x\": 5}}", "properties.x: a schema must be an object",
                        NULL);
    expect_schema_error("{\"type\": \"object\", \"properties\": {\"n\": {\"type\": \"integer\", "
                        "\"minimum\": 1, \"default\": 0}}}",
                        "schema:1:85: properties.n.default: invalid default: expected an integer "
                        ">= 1, got 0",
                        NULL);
    expect_schema_error("{\"type\": \"object\", \"properties\": {\"o\": {\"type\": \"object\", "
                        "\"default\": {\"n\": \"x\"}, \"properties\": {\"n\": {\"type\": "
                        "\"integer\"}}}}}",
                        "properties.o.default: invalid default: n: expected an integer, got a "
                        "string (\"x\")",
                        NULL);
    /* A default that contains itself through a recursive schema. */
    expect_schema_error("{\"$defs\": {\"t\": {\"type\": \"object\", \"properties\": {\"c\": "
                        "{\"$ref\": \"#/$defs/t\", \"default\": {}}}}}, \"$ref\": \"#/$defs/t\"}",
                        "nested too deeply", NULL);
    expect_schema_error("{\"type\": ", "schema:1:10: unexpected end of file, expected a value",
                        NULL);
}
END_TEST

/* ---- Validation ------------------------------------------------------- */

START_TEST(test_validate_defaults)
{
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc =
        load_ok("{\"hosts\": [{\"name\": \"h0\"}, {\"name\": \"h1\", \"sockets\": 8}],"
                " \"io\": {\"ring\": {}}, \"tags\": {\"a\": \"b\"}}");
    GError *err = NULL;
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "%s", err ? err->message : "?");
    const cJSON *root = sim_json_doc_root(doc);
    ck_assert_double_eq(at(root, "duration_s")->valuedouble, 60);
    ck_assert_double_eq(at(root, "seed")->valuedouble, 1);
    ck_assert_double_eq(at(root, "ratio")->valuedouble, 0.5);
    ck_assert_str_eq(at(root, "mode")->valuestring, "native");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(root, "label"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(root, "flag"));
    const cJSON *hosts = at(root, "hosts");
    ck_assert_double_eq(at(cJSON_GetArrayItem(hosts, 0), "sockets")->valuedouble, 2);
    ck_assert_double_eq(at(cJSON_GetArrayItem(hosts, 1), "sockets")->valuedouble, 8);
    /* Nested defaults: io exists, so its absent keys fill; ring exists but
     * is empty, so slots fills. */
    const cJSON *io = at(root, "io");
    ck_assert_double_eq(at(io, "queue_depth")->valuedouble, 32);
    ck_assert_double_eq(at(at(io, "ring"), "slots")->valuedouble, 256);
    /* An object default through $ref and oneOf fills the chosen branch. */
    const cJSON *policy = at(root, "policy");
    ck_assert_str_eq(at(policy, "type")->valuestring, "native");
    ck_assert_double_eq(at(policy, "vcpus")->valuedouble, 4);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(policy, "socket"));
    /* Validating again changes nothing and still passes. */
    char *once = cJSON_PrintUnformatted(root);
    ck_assert(sim_schema_validate(schema, doc, &err));
    char *twice = cJSON_PrintUnformatted(root);
    ck_assert_str_eq(once, twice);
    cJSON_free(once);
    cJSON_free(twice);
    sim_json_doc_free(doc);

    /* A whole absent object default fills its nested defaults. */
    doc = load_ok("{\"hosts\": [{\"name\": \"h0\"}]}");
    ck_assert(sim_schema_validate(schema, doc, &err));
    io = at(sim_json_doc_root(doc), "io");
    ck_assert_double_eq(at(io, "queue_depth")->valuedouble, 32);
    ck_assert_double_eq(at(at(io, "ring"), "slots")->valuedouble, 256);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

START_TEST(test_validate_one_of)
{
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc =
        load_ok("{\"hosts\": [{\"name\": \"h0\"}], \"policy\": {\"type\": \"closer\"}}");
    GError *err = NULL;
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "%s", err ? err->message : "?");
    const cJSON *policy = at(sim_json_doc_root(doc), "policy");
    ck_assert_double_eq(at(policy, "socket")->valuedouble, 0);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(policy, "vcpus"));
    sim_json_doc_free(doc);
    sim_schema_free(schema);

    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": {\"type\": \"closer\", "
                   "\"vcpus\": 2}}",
                   "s.json:2:40: policy: unknown key 'vcpus' (allowed keys: 'type', 'socket')");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": {\"vcpus\": 2}}",
                   "s.json:2:12: policy: missing required key 'type' (one of \"native\", "
                   "\"closer\")");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": {\"type\": \"closr\"}}",
                   "s.json:2:21: policy.type: expected one of \"native\", \"closer\", got "
                   "\"closr\" (did you mean \"closer\"?)");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": {\"type\": 3}}",
                   "s.json:2:21: policy.type: expected one of \"native\", \"closer\", got 3");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": 5}",
                   "s.json:2:12: policy: expected an object, got a number (5)");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}],\n \"policy\": {\"type\": \"native\", "
                   "\"vcpus\": 0}}",
                   "s.json:2:40: policy.vcpus: expected an integer >= 1, got 0");
}
END_TEST

START_TEST(test_validate_errors)
{
    /* Ranges. */
    expect_invalid("{\"hosts\": [\n  {\"name\": \"h0\", \"sockets\": 0}]}",
                   "s.json:2:29: hosts[0].sockets: expected an integer in [1, 64], got 0");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"duration_s\": -1}",
                   "s.json:1:43: duration_s: expected a number > 0, got -1");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"duration_s\": 0}",
                   "s.json:1:43: duration_s: expected a number > 0, got 0");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"ratio\": 1.5}",
                   "s.json:1:38: ratio: expected a number in [0, 1], got 1.5");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"ratio\": 1.0000000000000002}",
                   "s.json:1:38: ratio: expected a number in [0, 1], got 1.0000000000000002");
    /* Integers. */
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"seed\": 1.5}",
                   "s.json:1:37: seed: expected an integer, got 1.5");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"seed\": 1e300}",
                   "s.json:1:37: seed: expected an integer, got 1e+300");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"seed\": 9007199254740994}",
                   "s.json:1:37: seed: expected an integer, got 9007199254740994");
    /* Types. */
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"duration_s\": \"12\"}",
                   "s.json:1:43: duration_s: expected a number > 0, got a string (\"12\")");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"seed\": \"7\"}",
                   "s.json:1:37: seed: expected an integer, got a string (\"7\")");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"flag\": 1}",
                   "s.json:1:37: flag: expected a boolean, got a number (1)");
    expect_invalid("{\"hosts\": [{\"name\": 7}]}",
                   "s.json:1:21: hosts[0].name: expected a string, got a number (7)");
    expect_invalid("{\"hosts\": {}}", "s.json:1:11: hosts: expected an array, got an object");
    expect_invalid("[]", "s.json:1:1: (root): expected an object, got an array");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"tags\": {\"a\": null}}",
                   "s.json:1:43: tags.a: expected a string, got null");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"label\": "
                   "\"0123456789012345678901234567890123456789xyz\"}",
                   "s.json:1:38: label: expected a string of at most 8 characters, got "
                   "\"0123456789012345678901234567890123456789\"...");
    /* Enum and const. */
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"mode\": \"nativ\"}",
                   "s.json:1:37: mode: expected one of \"native\", \"closer\", got \"nativ\" "
                   "(did you mean \"native\"?)");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"mode\": \"zzz\"}",
                   "s.json:1:37: mode: expected one of \"native\", \"closer\", got \"zzz\"");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"version\": 2}",
                   "s.json:1:40: version: expected 1, got 2");
    /* Lengths and counts. */
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"label\": \"\"}",
                   "s.json:1:38: label: expected a string of at least 1 character, got \"\"");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"label\": \"ééééééééé\"}",
                   "s.json:1:38: label: expected a string of at most 8 characters, got "
                   "\"ééééééééé\"");
    expect_invalid("{\"hosts\": []}", "s.json:1:11: hosts: expected at least 1 item, got 0");
    expect_invalid("{\"hosts\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}, "
                   "{\"name\": \"d\"}]}",
                   "s.json:1:11: hosts: expected at most 3 items, got 4");
    /* Keys. */
    expect_invalid("{\"hosts\": [{\"name\": \"h0\",\n   \"memroy_mb\": 4096}]}",
                   "s.json:2:17: hosts[0]: unknown key 'memroy_mb' (did you mean 'memory_mb'?)");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"zzzzzz\": 1}",
                   "s.json:1:39: (root): unknown key 'zzzzzz' (allowed keys: 'duration_s', "
                   "'seed', 'ratio', 'mode', 'label', 'flag', 'version', 'hosts', ...)");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"io\": {\"ring\": 1, \"qd\": 1}}",
                   "s.json:1:53: io: unknown key 'qd' (allowed keys: 'queue_depth', 'ring')");
    expect_invalid("{\"hosts\": [{\"name\": \"h0\"}], \"io\": {\"ring\": 1}}",
                   "s.json:1:44: io.ring: expected an object, got a number (1)");
    expect_invalid("{\"hosts\": [\n  {\"sockets\": 2}]}",
                   "s.json:2:3: hosts[0]: missing required key 'name'");
    expect_invalid("{\"seed\": 2}", "s.json:1:1: (root): missing required key 'hosts'");
}
END_TEST

START_TEST(test_validate_open_objects)
{
    /* Without additionalProperties, other keys are allowed (as in JSON
     * Schema) and left alone. */
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc = load_ok("{\"hosts\": [{\"name\": \"h0\"}], \"io\": {\"ring\": {\"x\": 1}}}");
    GError *err = NULL;
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "%s", err ? err->message : "?");
    const cJSON *ring = at(at(sim_json_doc_root(doc), "io"), "ring");
    ck_assert_double_eq(at(ring, "x")->valuedouble, 1);
    ck_assert_double_eq(at(ring, "slots")->valuedouble, 256);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

START_TEST(test_validate_non_finite)
{
    /* The parser refuses non-finite numbers, but a program may put one into
     * the tree; validation must not let it through. */
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc = load_ok("{\"hosts\": [{\"name\": \"h0\"}]}");
    cJSON_AddNumberToObject(sim_json_doc_root(doc), "duration_s", INFINITY);
    GError *err = NULL;
    ck_assert(!sim_schema_validate(schema, doc, &err));
    ck_assert_str_eq(err->message, "s.json: duration_s: expected a finite number, got inf");
    g_error_free(err);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

/* ---- --set ------------------------------------------------------------ */

static const char *const set_doc = "{\"hosts\": [{\"name\": \"h0\", \"sockets\": 2}],\n"
                                   " \"policy\": {\"type\": \"closer\"}}";

START_TEST(test_set_values)
{
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc = load_ok(set_doc);
    cJSON *root = sim_json_doc_root(doc);
    /* Replace an existing value. */
    set_ok(schema, doc, "hosts[0].sockets=4");
    ck_assert_double_eq(at(cJSON_GetArrayItem(at(root, "hosts"), 0), "sockets")->valuedouble, 4);
    /* Create keys the schema allows, including a missing parent object. */
    set_ok(schema, doc, "duration_s=5.5");
    ck_assert_double_eq(at(root, "duration_s")->valuedouble, 5.5);
    set_ok(schema, doc, "io.ring.slots=64");
    ck_assert_double_eq(at(at(at(root, "io"), "ring"), "slots")->valuedouble, 64);
    set_ok(schema, doc, "hosts[0].memory_mb=1024");
    ck_assert_double_eq(at(cJSON_GetArrayItem(at(root, "hosts"), 0), "memory_mb")->valuedouble,
                        1024);
    /* Bare words are strings; JSON values are JSON. */
    set_ok(schema, doc, "mode=closer");
    ck_assert_str_eq(at(root, "mode")->valuestring, "closer");
    set_ok(schema, doc, "label=a-b_c.d:e/f+1");
    ck_assert_str_eq(at(root, "label")->valuestring, "a-b_c.d:e/f+1");
    set_ok(schema, doc, "label=\"two words\"");
    ck_assert_str_eq(at(root, "label")->valuestring, "two words");
    set_ok(schema, doc, "label=12");
    ck_assert(cJSON_IsNumber(at(root, "label")));
    set_ok(schema, doc, "label=\"12\"");
    ck_assert_str_eq(at(root, "label")->valuestring, "12");
    set_ok(schema, doc, "flag=true");
    ck_assert(cJSON_IsTrue(at(root, "flag")));
    set_ok(schema, doc, "tags={\"k\": \"v\"}");
    ck_assert_str_eq(at(at(root, "tags"), "k")->valuestring, "v");
    /* additionalProperties with a schema allows any new key. */
    set_ok(schema, doc, "tags.other=w");
    ck_assert_str_eq(at(at(root, "tags"), "other")->valuestring, "w");
    /* A whole array element. */
    set_ok(schema, doc, "hosts[0]={\"name\": \"new\"}");
    ck_assert_str_eq(at(cJSON_GetArrayItem(at(root, "hosts"), 0), "name")->valuestring, "new");
    /* Tagged unions: keys of the branch the document's tag selects. */
    set_ok(schema, doc, "policy.socket=1");
    ck_assert_double_eq(at(at(root, "policy"), "socket")->valuedouble, 1);
    set_ok(schema, doc, "policy={\"type\": \"native\"}");
    set_ok(schema, doc, "policy.vcpus=2");
    ck_assert_double_eq(at(at(root, "policy"), "vcpus")->valuedouble, 2);

    /* The document, overrides included, still validates; a set value has no
     * source position, so errors about it name the key only. */
    GError *err = NULL;
    set_ok(schema, doc, "label=abc");
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "%s", err ? err->message : "?");
    set_ok(schema, doc, "label=123456789x");
    ck_assert(!sim_schema_validate(schema, doc, &err));
    ck_assert_str_eq(err->message, "s.json: label: expected a string of at most 8 characters, "
                                   "got \"123456789x\"");
    g_clear_error(&err);
    sim_json_doc_free(doc);

    /* Overriding a value that is in the file: the message must not point
     * at the file's (different) value. */
    doc = load_ok(set_doc);
    set_ok(schema, doc, "hosts[0].sockets=0");
    ck_assert(!sim_schema_validate(schema, doc, &err));
    ck_assert_str_eq(err->message,
                     "s.json: hosts[0].sockets: expected an integer in [1, 64], got 0");
    g_clear_error(&err);
    set_ok(schema, doc, "hosts[0].sockets=2");
    set_ok(schema, doc, "hosts[0].name=5");
    ck_assert(!sim_schema_validate(schema, doc, &err));
    ck_assert_str_eq(err->message, "s.json: hosts[0].name: expected a string, got a number (5)");
    g_clear_error(&err);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

START_TEST(test_set_errors)
{
    SimSchema *schema = schema_ok(test_schema);
    SimJsonDoc *doc = load_ok(set_doc);
    set_fails(schema, doc, "hosts[0].sokets=4",
              "--set hosts[0].sokets=4: unknown key 'sokets' at hosts[0] (did you mean "
              "'sockets'?)");
    set_fails(schema, doc, "duraton_s=5",
              "--set duraton_s=5: unknown key 'duraton_s' (did you mean 'duration_s'?)");
    set_fails(schema, doc, "io.queue.x=5",
              "--set io.queue.x=5: unknown key 'queue' at io (allowed keys: 'queue_depth', "
              "'ring')");
    set_fails(schema, doc, "hosts[1].sockets=4",
              "--set hosts[1].sockets=4: index [1] is out of range at hosts (it has 1 item)");
    set_fails(schema, doc, "hosts[0].name.x=1",
              "--set hosts[0].name.x=1: hosts[0].name is a string (\"h0\"), not an object, so it "
              "has no key 'x'");
    set_fails(schema, doc, "hosts.x=1",
              "--set hosts.x=1: hosts is an array, not an object, so it has no key 'x'");
    set_fails(schema, doc, "policy[0]=1",
              "--set policy[0]=1: policy is an object, not an array, so it has no item [0]");
    set_fails(schema, doc, "seed.x=1", "--set seed.x=1: seed is an integer, so it has no key 'x'");
    set_fails(schema, doc, "tags[0]=1",
              "--set tags[0]=1: tags does not exist, so it has no item "
              "[0]");
    set_fails(schema, doc, "policy.vcpus=2",
              "--set policy.vcpus=2: unknown key 'vcpus' at policy (allowed keys: 'type', "
              "'socket')");
    /* Syntax. */
    set_fails(schema, doc, "seed", "--set seed: expected PATH=VALUE");
    set_fails(schema, doc, "=5", "--set =5: invalid path: the path is empty");
    set_fails(schema, doc, "hosts..x=1",
              "--set hosts..x=1: invalid path: expected a key at character 7 of the path");
    set_fails(schema, doc, "hosts[0.x=1",
              "--set hosts[0.x=1: invalid path: expected a small index and ']' after '[' at "
              "character 6 of the path");
    set_fails(schema, doc, "hosts[-1].x=1",
              "--set hosts[-1].x=1: invalid path: expected a non-negative index after '[' at "
              "character 6 of the path");
    set_fails(schema, doc, "hosts]=1",
              "--set hosts]=1: invalid path: unexpected ']' at character 6 of the path");
    set_fails(schema, doc, "hosts[0]x=1",
              "--set hosts[0]x=1: invalid path: unexpected 'x' at character 9 of the path");
    set_fails(schema, doc, "seed.=1",
              "--set seed.=1: invalid path: expected a key at character 6 of the path");
    set_fails(schema, doc,
              "seed=", "--set seed=: missing value after '=' (write \"\" for an empty string)");
    set_fails(schema, doc, "seed=[1,",
              "--set seed=[1,: the value is neither JSON nor a bare word (value:1:4: unexpected "
              "end of file: the '[' at 1:1 is never closed)");
    set_fails(schema, doc, "seed=two words",
              "--set seed=two words: the value is neither JSON nor a bare word (value:1:1: "
              "invalid literal 'two' (expected a value: a string in double quotes, a number, "
              "true, false, null, an object or an array))");
    set_fails(schema, doc, "seed=1e999",
              "--set seed=1e999: the value 1e999 is not a finite number");
    sim_json_doc_free(doc);

    /* Without a tag, a union's other keys cannot be checked; nothing is
     * created on failure. */
    doc = load_ok("{\"hosts\": [{\"name\": \"h0\"}]}");
    set_fails(schema, doc, "policy.vcpus=2",
              "--set policy.vcpus=2: cannot tell which keys policy takes: set its 'type' first "
              "(one of \"native\", \"closer\")");
    set_ok(schema, doc, "policy.type=native");
    set_ok(schema, doc, "policy.vcpus=2");
    GError *err = NULL;
    ck_assert_msg(sim_schema_validate(schema, doc, &err), "%s", err ? err->message : "?");
    ck_assert_double_eq(at(at(sim_json_doc_root(doc), "policy"), "vcpus")->valuedouble, 2);
    sim_json_doc_free(doc);
    sim_schema_free(schema);
}
END_TEST

static Suite *json_schema_suite(void)
{
    Suite *s = suite_create("json_schema");
    TCase *tc = tcase_create("json");
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_parse_depth_limit);
    tcase_add_test(tc, test_parse_values);
    tcase_add_test(tc, test_positions);
    tcase_add_test(tc, test_load_file);
    suite_add_tcase(s, tc);
    tc = tcase_create("schema");
    tcase_add_test(tc, test_suggest);
    tcase_add_test(tc, test_schema_builtin_loads);
    tcase_add_test(tc, test_schema_rejected);
    tcase_add_test(tc, test_validate_defaults);
    tcase_add_test(tc, test_validate_one_of);
    tcase_add_test(tc, test_validate_errors);
    tcase_add_test(tc, test_validate_open_objects);
    tcase_add_test(tc, test_validate_non_finite);
    tcase_add_test(tc, test_set_values);
    tcase_add_test(tc, test_set_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_run_suite(json_schema_suite());
}
