#include "frontend/onnx.h"

int onnx_h_compiles;
int onnx_h_compiles = 1;
