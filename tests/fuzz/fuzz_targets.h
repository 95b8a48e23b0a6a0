/* The fuzz targets' entry points (docs/ROBUSTNESS.md, "Fuzzing").
 *
 * Each target's work is a plain function, so that libFuzzer drives it in the
 * fuzz build (-DDOM0SIM_FUZZ=ON, clang) and the normal test suite replays the
 * seed corpora and every input that once failed through the very same code
 * (tests/test_fuzz_regressions.c), with gcc and without libFuzzer. */
#ifndef DOM0SIM_TESTS_FUZZ_TARGETS_H
#define DOM0SIM_TESTS_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* A scenario document, then NUL-separated --set assignments: loaded,
 * overridden, validated against the built-in schema and built into a world. */
int fuzz_scenario_one(const uint8_t *data, size_t size);
/* Byte 0 chooses the table and options; the rest is one or two plain CSV
 * shards, optionally gzip-compressed with zlib first, read to the end. */
int fuzz_gtrace_one(const uint8_t *data, size_t size);
/* Byte 0 chooses the table; the rest is a gzip file as it lies on disk
 * (ISA-L inflate, truncation and corruption handling), read to the end. */
int fuzz_gtrace_gz_one(const uint8_t *data, size_t size);
/* A CSV for `dom0sim-trace fit`: parsed and fitted. */
int fuzz_fit_one(const uint8_t *data, size_t size);

/* Writes data to the file `name` in this process's scratch directory
 * (created on first use, removed at exit) and returns its path (g_free it). */
char *fuzz_write_file(const char *name, const uint8_t *data, size_t size);

/* libFuzzer's entry point; each fuzz_*.c defines it in the fuzz build. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
