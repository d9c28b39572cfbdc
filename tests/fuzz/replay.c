/* The fuzz corpora without a fuzzer: linked with one tests/fuzz/fuzz_NAME.c
 * in the plain build (gcc, no libFuzzer, no clang build needed), it feeds
 * each file named, and each file of each directory named (in name order),
 * to LLVMFuzzerTestOneInput once. The check tier replays every seed and every
 * kept crash this way; `make test` also runs it under ASan+UBSan.
 *
 *   fuzz_replay_NAME FILE|DIR...
 *
 * An input that crashes the target kills the process as it would kill the
 * fuzzer (abort, a sanitizer's report); the input's path is said first. No
 * input at all is an error: a replay of nothing proves nothing. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define REPLAY_MAX (16 * 1024 * 1024) /* far above the fuzzers' -max_len */

static char current[4096]; /* the input being run, for the crash handler */
static const int crash_signals[] = {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL};

static void on_crash(int sig)
{
	static const char pre[] = "replay: crashed on ";

	/* async-signal-safe: write(2) only, then die of the same signal */
	if (write(STDERR_FILENO, pre, sizeof(pre) - 1) > 0 && write(STDERR_FILENO, current, strlen(current)) > 0)
		(void)!write(STDERR_FILENO, "\n", 1);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The file's bytes in a buffer of exactly its size, so that a read past the
 * end is a sanitizer's error here as it is under the fuzzer. */
static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rbe");
	uint8_t *data = NULL;
	long len;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0 || len > REPLAY_MAX || fseek(f, 0, SEEK_SET) < 0 ||
	    !(data = malloc(len ? (size_t)len : 1)) || fread(data, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: %s: cannot read it (%s)\n", path,
		        len > REPLAY_MAX ? "larger than 16 MiB" : strerror(errno ? errno : EIO));
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(current, sizeof(current), "%s", path);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	free(data);
	return 0;
}

static int skip_entry(const struct dirent *de)
{
	return de->d_name[0] != '.';
}

static int replay_dir(const char *dir, unsigned *n)
{
	struct dirent **v;
	int m = scandir(dir, &v, skip_entry, alphasort), r = 0;

	if (m < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < m; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", dir, v[i]->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(path) < 0)
				r = -1;
			else
				(*n)++;
		}
		free(v[i]);
	}
	free(v);
	return r;
}

int main(int argc, char **argv)
{
	unsigned n = 0;
	int r = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(*crash_signals); i++) {
		struct sigaction old;
		/* a sanitizer's own handler (its report) stays: it ends in abort() */
		if (sigaction(crash_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL)
			signal(crash_signals[i], on_crash);
	}
	for (int i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			r = -1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &n) < 0)
				r = -1;
		} else if (replay_file(argv[i]) < 0) {
			r = -1;
		} else {
			n++;
		}
	}
	if (r == 0 && n == 0) {
		fprintf(stderr, "replay: no input in");
		for (int i = 1; i < argc; i++)
			fprintf(stderr, " %s", argv[i]);
		fprintf(stderr, "\n");
		return 1;
	}
	printf("replay: %u inputs ran clean\n", n);
	return r < 0 ? 1 : 0;
}
