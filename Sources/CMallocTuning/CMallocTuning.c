#include "CMallocTuning.h"

#include <stdlib.h>  // defines __GLIBC__ with glibc

#if defined(__GLIBC__)
#include <malloc.h>
#endif

static int heap_step = 0;

__attribute__((constructor)) static void malloctuning_at_load(void) {
#if defined(__GLIBC__)
    const int step = 64 << 20;
    if (mallopt(M_TOP_PAD, step) == 1) {
        heap_step = step;
    }
#endif
}

int malloctuning_heap_step(void) {
    return heap_step;
}
