/* A C program calling baomi: scans a text, then reviews each file named on
 * the command line, printing each JSON report (the same JSON as
 * `baomi scan --format json`). Exit code as the CLI: 0 all clear, 1 review
 * or withhold, 2 error.
 *
 *   cc -I crates/baomi-ffi/include crates/baomi-ffi/examples/scan.c \
 *      target/release/libbaomi_ffi.a -lpthread -ldl -lm -o baomi-scan-c
 *   ./baomi-scan-c examples/flagged-notice.txt
 */
#include <stdio.h>
#include <string.h>
#include "baomi.h"

static int worst = 0;

static void note(BaomiVerdict v) {
    int code = v == BAOMI_VERDICT_CLEAR ? 0 : v == BAOMI_VERDICT_ERROR ? 2 : 1;
    if (code > worst) worst = code;
}

int main(int argc, char **argv) {
    BaomiScanner *scanner = NULL;
    if (baomi_scanner_new(&scanner) != BAOMI_STATUS_OK) {
        fprintf(stderr, "baomi: %s\n", baomi_last_error());
        return 2;
    }
    const char *draft = "关于报送材料的通知\n本件机密★5年，请妥善保管。\n";
    BaomiVerdict verdict;
    char *json = NULL;
    if (baomi_scan_text(scanner, (const uint8_t *)draft, strlen(draft), "draft.txt", &verdict,
                        &json) != BAOMI_STATUS_OK) {
        fprintf(stderr, "baomi: %s\n", baomi_last_error());
        baomi_scanner_free(scanner);
        return 2;
    }
    printf("text: verdict %d\n%s\n", (int)verdict, json);
    baomi_string_free(json);
    note(verdict);

    /* Invalid UTF-8 is a failed call with a message, not a report. */
    const uint8_t bad[] = {0xff, 0xfe, 0x00};
    if (baomi_scan_text(scanner, bad, 2, NULL, &verdict, &json) != BAOMI_STATUS_INVALID_UTF8) {
        fprintf(stderr, "invalid UTF-8 was accepted\n");
        return 3;
    }
    printf("bad text: %s\n", baomi_last_error());

    for (int i = 1; i < argc; i++) {
        if (baomi_review_file(scanner, argv[i], &verdict, &json) != BAOMI_STATUS_OK) {
            fprintf(stderr, "baomi: %s\n", baomi_last_error());
            baomi_scanner_free(scanner);
            return 2;
        }
        printf("%s: verdict %d\n%s\n", argv[i], (int)verdict, json);
        baomi_string_free(json);
        note(verdict);
    }
    baomi_scanner_free(scanner);
    return worst;
}
