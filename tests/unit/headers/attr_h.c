#include "ir/attr.h"

int attr_h_compiles;
int attr_h_compiles = 1;
