// The glibc-only symbols that Debian's libstdc++.so.6 and
// libgcc_s.so.1 (built against glibc) need beyond what musl provides, so
// that Bun's musl build can run on Debian's musl (the gcompat approach):
// test/emulated-prebuilds.test.ts builds this with musl-gcc and preloads it.
// Only Bun's C++ runtime goes through it; the addon and libc are musl's.
#define _GNU_SOURCE
#include <locale.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/random.h>
#include <time.h>

char __libc_single_threaded = 0;
struct { unsigned int vendor, type, subtype, features[1]; } __cpu_model;
int __cpu_indicator_init(void) { return 0; }
unsigned long __getauxval(unsigned long type) { return getauxval(type); }  // aarch64's libstdc++
// libgcc's unwinder falls back to dl_iterate_phdr when this fails.
int _dl_find_object(void *pc, void *result) { (void)pc; (void)result; return -1; }
size_t __strftime_l(char *s, size_t n, const char *f, const struct tm *tm, locale_t l) { return strftime_l(s, n, f, tm, l); }
uint32_t arc4random(void) {
  uint32_t v = 0;
  while (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v) {}
  return v;
}
// Thread-local destructors of C++ objects are not run (the test's threads
// end with the process).
int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso) { (void)fn; (void)obj; (void)dso; return 0; }
