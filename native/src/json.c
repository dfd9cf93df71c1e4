/* A tiny, strict parser for the flat JSON objects the engine sends
 * (PROTOCOL.md: string, number, boolean or null values only). The input is
 * untrusted: every byte is checked, nesting is refused, and strings are
 * decoded in place (a decoded string is never longer than its source). */
#include "helper.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v * 16 + (unsigned)h;
    }
    *out = v;
    return 0;
}

/* Decodes the string starting after the opening quote at *pp into dst (which
 * may alias the source). Returns 0 and advances *pp past the closing quote. */
static int parse_string(char **pp, char **dst_out)
{
    char *p = *pp, *d = p;
    *dst_out = d;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == 0) return -1;
        if (c < 0x20) return -1;
        if (c == '"') { p++; break; }
        if (c != '\\') { *d++ = (char)c; p++; continue; }
        p++;
        switch (*p) {
        case '"': *d++ = '"'; p++; break;
        case '\\': *d++ = '\\'; p++; break;
        case '/': *d++ = '/'; p++; break;
        case 'b': *d++ = '\b'; p++; break;
        case 'f': *d++ = '\f'; p++; break;
        case 'n': *d++ = '\n'; p++; break;
        case 'r': *d++ = '\r'; p++; break;
        case 't': *d++ = '\t'; p++; break;
        case 'u': {
            unsigned cp;
            if (read_hex4(p + 1, &cp)) return -1;
            p += 5;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (p[0] != '\\' || p[1] != 'u' || read_hex4(p + 2, &lo) || lo < 0xDC00 || lo > 0xDFFF) return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            if (cp == 0) return -1; /* keep C strings intact */
            /* 6 or 12 source bytes always cover the <= 4 UTF-8 bytes written */
            if (cp < 0x80) *d++ = (char)cp;
            else if (cp < 0x800) { *d++ = (char)(0xC0 | (cp >> 6)); *d++ = (char)(0x80 | (cp & 0x3F)); }
            else if (cp < 0x10000) { *d++ = (char)(0xE0 | (cp >> 12)); *d++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *d++ = (char)(0x80 | (cp & 0x3F)); }
            else { *d++ = (char)(0xF0 | (cp >> 18)); *d++ = (char)(0x80 | ((cp >> 12) & 0x3F)); *d++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *d++ = (char)(0x80 | (cp & 0x3F)); }
            break;
        }
        default: return -1;
        }
    }
    *d = 0; /* d < p always holds here, so this never clobbers unread input */
    *pp = p;
    return 0;
}

/* JSON number grammar, checked strictly before strtod. */
static int parse_number(char **pp, double *out)
{
    char *p = *pp, *start = p;
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') { while (*p >= '0' && *p <= '9') p++; }
    else return -1;
    if (*p == '.') { p++; if (!(*p >= '0' && *p <= '9')) return -1; while (*p >= '0' && *p <= '9') p++; }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return -1;
        while (*p >= '0' && *p <= '9') p++;
    }
    char save = *p;
    *p = 0;
    double v = strtod(start, NULL);
    *p = save;
    if (!isfinite(v)) return -1;
    *out = v;
    *pp = p;
    return 0;
}

int json_parse_flat(char *buf, struct jfield *out, int max, const char **err)
{
    char *p = (char *)ws(buf);
    int n = 0;
    if (*p != '{') { *err = "expected a JSON object"; return -1; }
    p = (char *)ws(p + 1);
    if (*p == '}') { p = (char *)ws(p + 1); if (*p) { *err = "trailing data"; return -1; } return 0; }
    for (;;) {
        if (*p != '"') { *err = "expected a key"; return -1; }
        p++;
        char *key;
        if (parse_string(&p, &key)) { *err = "bad string"; return -1; }
        p = (char *)ws(p);
        if (*p != ':') { *err = "expected ':'"; return -1; }
        p = (char *)ws(p + 1);
        if (n >= max) { *err = "too many fields"; return -1; }
        struct jfield *f = &out[n];
        f->key = key;
        f->str = NULL;
        f->num = 0;
        f->b = false;
        /* Keys are decoded in place; they end before the value starts, so a
         * value that follows can be decoded in place too. */
        if (*p == '"') {
            p++;
            char *s;
            if (parse_string(&p, &s)) { *err = "bad string"; return -1; }
            f->type = J_STR;
            f->str = s;
        } else if (*p == '-' || (*p >= '0' && *p <= '9')) {
            if (parse_number(&p, &f->num)) { *err = "bad number"; return -1; }
            f->type = J_NUM;
        } else if (!strncmp(p, "true", 4)) { f->type = J_BOOL; f->b = true; p += 4; }
        else if (!strncmp(p, "false", 5)) { f->type = J_BOOL; f->b = false; p += 5; }
        else if (!strncmp(p, "null", 4)) { f->type = J_NULL; p += 4; }
        else if (*p == '{' || *p == '[') { *err = "nested values are not accepted"; return -1; }
        else { *err = "bad value"; return -1; }
        for (int i = 0; i < n; i++)
            if (!strcmp(out[i].key, key)) { *err = "duplicate key"; return -1; }
        n++;
        p = (char *)ws(p);
        if (*p == ',') { p = (char *)ws(p + 1); continue; }
        if (*p == '}') { p = (char *)ws(p + 1); break; }
        *err = "expected ',' or '}'";
        return -1;
    }
    if (*p) { *err = "trailing data"; return -1; }
    return n;
}
