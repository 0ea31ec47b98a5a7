/* PLACEHOLDER: filled by its owner before the image work merges. */
#include "image-error.h"
