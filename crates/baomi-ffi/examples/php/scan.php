<?php
// Calling libbaomi_ffi.so from PHP (7.4+) through FFI. FFI::cdef needs
// ffi.enable=true (or "preload" for the CLI, PHP's default there).
//
//   php -d ffi.enable=1 scan.php target/release/libbaomi_ffi.so FILE...
$lib = $argv[1];
$ffi = FFI::cdef(<<<'C'
typedef struct BaomiScanner BaomiScanner;
int baomi_scanner_new(BaomiScanner **out);
void baomi_scanner_free(BaomiScanner *scanner);
int baomi_scan_text(const BaomiScanner *scanner, const char *text, size_t len,
                    const char *name, int *verdict_out, char **json_out);
int baomi_review_file(const BaomiScanner *scanner, const char *path,
                      int *verdict_out, char **json_out);
void baomi_string_free(char *s);
const char *baomi_last_error(void);
C, $lib);

$scanner = $ffi->new('BaomiScanner*');
if ($ffi->baomi_scanner_new(FFI::addr($scanner)) !== 0) {
    fwrite(STDERR, $ffi->baomi_last_error() . "\n");
    exit(2);
}
$verdict = $ffi->new('int');
$json = $ffi->new('char*');
$take = function () use ($ffi, $json) {
    $s = FFI::string($json);
    $ffi->baomi_string_free($json);
    return $s;
};
$text = "关于报送材料的通知\n本件机密★5年，请妥善保管。\n";
if ($ffi->baomi_scan_text($scanner, $text, strlen($text), 'draft.txt', FFI::addr($verdict), FFI::addr($json)) !== 0) {
    fwrite(STDERR, $ffi->baomi_last_error() . "\n");
    exit(2);
}
echo "text: verdict {$verdict->cdata}\n", $take(), "\n";
foreach (array_slice($argv, 2) as $path) {
    if ($ffi->baomi_review_file($scanner, $path, FFI::addr($verdict), FFI::addr($json)) !== 0) {
        fwrite(STDERR, $ffi->baomi_last_error() . "\n");
        exit(2);
    }
    echo "$path: verdict {$verdict->cdata}\n", $take(), "\n";
}
$ffi->baomi_scanner_free($scanner);
