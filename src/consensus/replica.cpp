#include "consensus/replica.h"
