/* lwIP includes <string.h>; in the kernel that is lib/string. */
#include <lib/string.h>
