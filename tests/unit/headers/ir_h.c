#include "ir/ir.h"

int ir_h_compiles;
int ir_h_compiles = 1;
