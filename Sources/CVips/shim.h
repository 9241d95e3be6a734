// libvips, from Debian's libvips-dev (found through pkg-config). Swift code does not use it
// directly: its API is variadic, so CLumoraImaging wraps the calls Lumora makes.
#include <vips/vips.h>
