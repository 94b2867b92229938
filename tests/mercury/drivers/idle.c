/* idle.c: a test driver with nothing to do, for manifests that must be refused. */
#include "mercury/helios.h"

int main(void)
{
	mercury_log("FAIL: a refused driver runs");
	return 1;
}
