/* cart.discounts: 10 % off the order when the subtotal is 100.00 or more. */
#include "lumora_plugin.h"

EXPORT("run") long long run(const char *input, int length) {
    const char *end = input + length;
    const char *subtotal = json_find(input, end, "subtotal");
    out_begin(128);
    out_text("{\"discounts\":[");
    if (subtotal && json_long(subtotal) >= 10000) {
        out_text("{\"title\":\"10% off orders over 100\",\"amount\":");
        out_long(json_long(subtotal) / 10);
        out_char('}');
        lumora_log("10% off applied", 15);
    }
    out_text("]}");
    return out_finish();
}
