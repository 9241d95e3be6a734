/* What a Lumora plugin written in C needs: the ABI's alloc, an output buffer, and a tiny
 * scanner for the input JSON (docs/PLUGINS.md). No libc: build with
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -o plugin.wasm plugin.c
 * (build.sh beside this file does it for every example). */
#ifndef LUMORA_PLUGIN_H
#define LUMORA_PLUGIN_H

#define EXPORT(name) __attribute__((export_name(name)))

extern unsigned char __heap_base;
static unsigned long lp_next;

/* A bump allocator that grows memory as needed; every call gets a fresh instance, so nothing is
 * ever freed. Answers 0 when the host's memory limit refuses growth. */
EXPORT("alloc") int alloc(int length) {
    if (!lp_next) lp_next = (unsigned long)&__heap_base;
    unsigned long start = (lp_next + 7) & ~7UL, end = start + (unsigned long)length;
    unsigned long have = __builtin_wasm_memory_size(0) * 65536UL;
    if (end > have) {
        unsigned long pages = (end - have + 65535) / 65536;
        if (__builtin_wasm_memory_grow(0, pages) == (unsigned long)-1) return 0;
    }
    lp_next = end;
    return (int)start;
}

__attribute__((import_module("lumora"), import_name("log"))) void lumora_log(const char *text, int length);

/* The answer is written here and handed back as (pointer << 32) | length. */
static char *lp_out;
static int lp_len, lp_cap;

static void out_begin(int capacity) { lp_out = (char *)alloc(capacity); lp_cap = capacity; lp_len = 0; }
static void out_char(char c) { if (lp_len < lp_cap) lp_out[lp_len++] = c; }
static void out_text(const char *s) { while (*s) out_char(*s++); }
static void out_long(long long v) {
    char digits[24]; int n = 0;
    if (v < 0) { out_char('-'); v = -v; }
    do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n) out_char(digits[--n]);
}
/* Copies a JSON string's raw bytes (escapes included, so the output stays valid JSON). */
static void out_json_string(const char *start, const char *end) {
    out_char('"'); while (start < end) out_char(*start++); out_char('"');
}
static long long out_finish(void) { return ((long long)(unsigned long)lp_out << 32) | (unsigned)lp_len; }

/* Finds `"key":` at or after `from` (before `end`) and answers a pointer to its value. */
static const char *json_find(const char *from, const char *end, const char *key) {
    int k = 0; while (key[k]) k++;
    for (const char *p = from; p + k + 3 <= end; p++) {
        if (p[0] != '"') continue;
        int i = 0; while (i < k && p[1 + i] == key[i]) i++;
        if (i == k && p[1 + k] == '"') {
            const char *v = p + k + 2;
            while (v < end && (*v == ' ' || *v == ':')) v++;
            return v;
        }
    }
    return 0;
}
static long long json_long(const char *v) {
    long long sign = 1, n = 0;
    if (*v == '-') { sign = -1; v++; }
    while (*v >= '0' && *v <= '9') n = n * 10 + (*v++ - '0');
    return sign * n;
}
/* The end of the JSON string whose opening quote is at `v` (escapes skipped). */
static const char *json_string_end(const char *v, const char *end) {
    for (const char *p = v + 1; p < end; p++) {
        if (*p == '\\') { p++; continue; }
        if (*p == '"') return p;
    }
    return end;
}

#endif
