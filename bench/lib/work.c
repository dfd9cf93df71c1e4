/* Fig. 5 workload: a CPU-bound program (the paper's EMAP instance / owner hog).
 * usage: work THREADS ITERATIONS_PER_THREAD   (0 = run forever)
 * Does a fixed amount of arithmetic per thread, then prints on stdout one JSON line
 * with its own CPU time (all threads) and wall time, and exits. No I/O meanwhile. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long iters;
static volatile uint64_t sink;

static void *spin(void *arg) {
  uint64_t x = (uint64_t)(uintptr_t)arg * 2654435761u + 1;
  for (unsigned long long i = 0; iters == 0 || i < iters; i++) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    x ^= x >> 29;
  }
  sink += x;
  return NULL;
}

static double ns(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: work THREADS ITERATIONS_PER_THREAD\n");
    return 2;
  }
  int threads = atoi(argv[1]);
  iters = strtoull(argv[2], NULL, 10);
  if (threads < 1 || threads > 256) return 2;
  double w0 = ns(CLOCK_MONOTONIC);
  pthread_t t[256];
  for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, spin, (void *)(uintptr_t)(i + 1));
  for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
  printf("{\"cpuNs\":%.0f,\"wallNs\":%.0f}\n", ns(CLOCK_PROCESS_CPUTIME_ID), ns(CLOCK_MONOTONIC) - w0);
  fflush(stdout);
  return 0;
}
