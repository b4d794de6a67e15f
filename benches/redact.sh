#!/usr/bin/env bash
# Times `baomi redact` on a generated 20,001-paragraph list of benefit
# recipients (every 10th line with a mobile number, an ID number and an
# address: 6,000 masks), as .txt and as .docx (LibreOffice Writer's own
# .docx writer), with and without --db. See benches/README.md.
# Usage: BAOMI_BIN=target/release/baomi benches/redact.sh
set -euo pipefail
bin="${BAOMI_BIN:-target/release/baomi}"
bin="$(realpath "$bin")"
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
cd "$dir"
python3 - <<'PY'
lines = ["关于2026年度临时救助对象的公示"]
for i in range(20000):
    if i % 10 == 0:
        lines.append(f"{i}号 张某{i}，联系电话13812{i:06d}，身份证号11010519491231002X，住址：新华街道团结社区{i % 90 + 1}号。")
    else:
        lines.append(f"第{i}段：根据有关规定，现将第{i}批救助资金发放情况予以公示，公示期为七天。")
open("big.txt", "w").write("\n".join(lines) + "\n")
PY
soffice -env:UserInstallation="file://$dir/lo" --headless --convert-to docx big.txt >/dev/null 2>&1
ls -l big.txt big.docx
for f in big.txt big.docx; do
  /usr/bin/time -f "$f: %e s, %M KiB max RSS" "$bin" redact "$f" -o "out-$f" --format json >/dev/null
done
/usr/bin/time -o db.time -f "big.docx --db: %e s, %M KiB max RSS" "$bin" redact big.docx -o out2.docx --db b.db >/dev/null 2>&1
cat db.time
