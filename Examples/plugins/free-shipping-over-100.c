/* shipping.rates: orders of 100.00 or more ship free on every rate (renamed to say so);
 * smaller orders are not offered rates over 10.00. */
#include "lumora_plugin.h"

EXPORT("run") long long run(const char *input, int length) {
    const char *end = input + length;
    const char *subtotal = json_find(input, end, "subtotal");
    int free = subtotal && json_long(subtotal) >= 10000;
    const char *rates = json_find(input, end, "rates");
    out_begin(8192);
    out_text("{\"rates\":[");
    int written = 0;
    /* Each rate is {"amount":…,"id":"…","name":"…"}: find its id, then its object's fields. */
    for (const char *p = rates; p && (p = json_find(p, end, "id")); p++) {
        const char *open = p; while (open > rates && *open != '{') open--;
        const char *amount = json_find(open, end, "amount");
        const char *name = json_find(open, end, "name");
        if (!amount || !name || *p != '"' || *name != '"') continue;
        long long price = json_long(amount);
        if (!free && price > 1000) continue; /* hidden */
        if (written++) out_char(',');
        out_text("{\"id\":");
        out_json_string(p + 1, json_string_end(p, end));
        if (free) {
            out_text(",\"amount\":0,\"name\":\"");
            const char *name_end = json_string_end(name, end);
            for (const char *c = name + 1; c < name_end; c++) out_char(*c);
            out_text(" (free over 100)\"");
        }
        out_char('}');
    }
    out_text("]}");
    return out_finish();
}
