#include "ir/opkind.h"

int opkind_h_compiles;
int opkind_h_compiles = 1;
