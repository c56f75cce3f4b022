/* html_assets.h — the stylesheet and script of the interactive page
 * (write_html.c), kept as src/html/page.css and src/html/page.js and built
 * into the library by make as src/html_assets.c (xxd -i). */
#ifndef SA_HTML_ASSETS_H
#define SA_HTML_ASSETS_H

#include <stddef.h>

extern const char sa_html_css[];        /* (sa_html_css_len) bytes, then a NUL */
extern const size_t sa_html_css_len;
extern const char sa_html_js[];         /* (sa_html_js_len) bytes, then a NUL */
extern const size_t sa_html_js_len;
extern const char sa_html_js_sha256[];  /* the script's SHA-256 in base64 */

#endif
