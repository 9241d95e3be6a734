/* checkout.validate: no more than two of any one product per order. */
#include "lumora_plugin.h"

EXPORT("run") long long run(const char *input, int length) {
    const char *end = input + length;
    const char *lines = json_find(input, end, "lines");
    out_begin(4096);
    out_text("{\"errors\":[");
    int errors = 0;
    for (const char *p = lines; p && (p = json_find(p, end, "quantity")); ) {
        long long quantity = json_long(p);
        /* Each line object carries its title; find the one in this object (before "quantity"
         * or after it) by searching back to the object's opening brace. */
        const char *open = p; while (open > input && *open != '{') open--;
        const char *title = json_find(open, end, "title");
        if (quantity > 2 && title && *title == '"' && errors < 20) {
            if (errors++) out_char(',');
            out_text("{\"message\":");
            out_text("\"At most 2 of ");
            const char *title_end = json_string_end(title, end);
            for (const char *c = title + 1; c < title_end; c++) out_char(*c);
            out_text(" per order\"}");
        }
        p++;
    }
    out_text("]}");
    return out_finish();
}
