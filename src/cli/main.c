// SPDX-License-Identifier: MIT
// placeholder until the command lands
#include <stdio.h>
int main(void) { puts("meshlog"); return 0; }
