//! Server-rendered pages (maud: every interpolated value is HTML-escaped,
//! so document text — untrusted — can only ever render as text). No page
//! uses JavaScript; the server also sends a Content-Security-Policy that
//! forbids scripts outright.
//!
//! Escaping stops markup, not deception: every displayed field (titles,
//! paths, opinions, reasons, signer names, messages) also goes through
//! [`visible`], so a right-to-left override or an escape character shows as
//! `⟨U+202E⟩` instead of reordering what the reviewer reads. Values posted
//! back (hidden form fields) are left exact. Every date and time is the
//! office's ([`format_datetime`], [`format_date`]).

use crate::review::{Conclusion, ReviewPath, Status};
use crate::view::{
    confidence_label, location_label, part_label, role_label, severity_label, verdict_label,
    DocDetail, DocSummary, FindingSource, FindingView,
};
use baomi_core::display::visible;
use baomi_core::time::{format_date, format_datetime, office_zone};
use baomi_core::{Severity, Verdict};
use maud::{html, Markup, DOCTYPE};

/// A displayed field with its invisible characters made visible (maud
/// escapes the markup).
fn v(s: &str) -> String {
    visible(s)
}

/// A multi-line field (an opinion): each line [`v`], the line breaks kept.
fn lines(s: &str) -> Markup {
    html! { @for (i, l) in s.lines().enumerate() { @if i > 0 { br; } (visible(l)) } }
}

/// A message for a page: the first line is what the reader is told; what
/// follows it (the technical message, see [`crate::view::message_zh`]) is
/// shown smaller as 技术信息.
fn message(m: &str) -> Markup {
    match m.split_once('\n') {
        Some((said, tech)) => html! {
            (visible(said))
            br; span.tech { "技术信息：" (visible(tech)) }
        },
        None => html! { (visible(m)) },
    }
}

/// The signing script (browser-key mode), served at `/assets/baomi.js`.
pub const SCRIPT: &str = include_str!("baomi.js");

/// The stylesheet, served at `/assets/style.css` (not inline, so the CSP
/// needs no `unsafe-inline`).
pub const STYLE: &str = include_str!("style.css");

/// Who the server signs as, shown on every page.
#[derive(Debug, Clone)]
pub struct Me {
    pub key_id: String,
    pub name: Option<String>,
    pub roles: Vec<String>,
    /// The server's running verification of the ledger: every page shows
    /// a red banner while it has found a problem.
    pub integrity: Option<std::sync::Arc<baomi_ledger::Integrity>>,
    /// Browser-key mode: pages load the signing script, and the header
    /// offers log-in and enrolment.
    pub browser: bool,
}

impl Me {
    fn ledger_problem(&self) -> Option<String> {
        self.integrity.as_ref().and_then(|i| i.problem())
    }
}

/// A page without the queue's links (log-in and enrolment).
pub(crate) fn plain_layout(title: &str, me: &Me, body: Markup) -> Markup {
    layout(title, me, body)
}

fn layout(title: &str, me: &Me, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (v(title)) " — baomi 保密审查" }
                link rel="stylesheet" href="/assets/style.css";
                @if me.browser { script src="/assets/baomi.js" defer {} }
            }
            body {
                header.top.no-print {
                    a.brand href="/" { "baomi 保密审查" }
                    nav {
                        a href="/" { "审查队列" }
                        a href="/ledger" { "账本状态" }
                        a href="/api/v1/openapi.json" { "接口说明" }
                    }
                    span.me {
                        "签名密钥："
                        @match &me.name { Some(n) => { (v(n)) } None => { "未登记" } }
                        " " code { (v(&me.key_id)) }
                        @if !me.roles.is_empty() {
                            " · 角色：" (me.roles.iter().map(|r| role_label(r)).collect::<Vec<_>>().join("、"))
                        }
                        @if me.browser {
                            " · " a href="/login" { "登录" } " · " a href="/enrol" { "登记密钥" }
                        }
                    }
                }
                @if let Some(p) = me.ledger_problem() {
                    div.alarm role="alert" {
                        strong { "账本核验未通过。" }
                        "在账本恢复（从备份还原）并重新核验通过之前，本服务不接受审查意见和豁免。请联系保密管理员，运行 "
                        code { "baomi ledger verify" } " 查看详情。"
                        br; span.tech { "技术信息：" (v(&p)) }
                    }
                }
                main { (body) }
            }
        }
    }
}

fn verdict_badge(v: Verdict) -> Markup {
    html! { span class={"badge verdict-" (v.as_str())} { (verdict_label(v)) } }
}

fn status_badge(s: &DocSummary) -> Markup {
    html! { span class={"badge status-" (s.status_key)} { (v(&s.status_label)) } }
}

fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The title, else the path, made [`visible`].
fn doc_name(s: &DocSummary) -> String {
    visible(s.title.as_deref().unwrap_or(&s.path))
}

/// Filters of the queue (all optional; GET query parameters).
#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct QueueFilter {
    pub stage: Option<String>,
    pub status: Option<String>,
    pub verdict: Option<String>,
    pub all: Option<String>,
    /// Paging: documents scanned before this scan entry.
    pub before: Option<u64>,
}

pub fn queue(me: &Me, path: &ReviewPath, docs: &[DocSummary], f: &QueueFilter) -> Markup {
    let sel = |cur: &Option<String>, v: &str| cur.as_deref() == Some(v);
    layout(
        "审查队列",
        me,
        html! {
            h1 { "审查队列" }
            form.filters method="get" action="/" {
                label { "阶段 "
                    select name="stage" {
                        option value="" { "全部" }
                        @for s in &path.stages {
                            option value=(s.id) selected[sel(&f.stage, &s.id)] { "待" (v(&s.label)) }
                        }
                    }
                }
                label { "状态 "
                    select name="status" {
                        option value="" { "全部" }
                        option value="pending" selected[sel(&f.status, "pending")] { "审查中" }
                        option value="withheld" selected[sel(&f.status, "withheld")] { "不予公开" }
                        option value="approved" selected[sel(&f.status, "approved")] { "已公开存档" }
                    }
                }
                label { "机器结论 "
                    select name="verdict" {
                        option value="" { "全部" }
                        @for v in [Verdict::Withhold, Verdict::Review, Verdict::Error, Verdict::Clear] {
                            option value=(v.as_str()) selected[sel(&f.verdict, v.as_str())] { (verdict_label(v)) }
                        }
                    }
                }
                label { input type="checkbox" name="all" value="1" checked[f.all.is_some()]; " 含旧版本" }
                button type="submit" { "筛选" }
            }
            @if docs.is_empty() {
                p.empty { "没有符合条件的文档。用 " code { "baomi scan --db …" } " 扫描文稿后，它们会出现在这里。" }
            } @else {
                table.queue {
                    thead { tr { th { "扫描时间" } th { "标题 / 文号" } th { "文件" } th { "机器结论" } th { "发现（未豁免/全部）" } th { "审查状态" } } }
                    tbody {
                        @for d in docs {
                            tr class={ @if d.superseded_by.is_some() { "superseded" } } {
                                td.nowrap { (format_datetime(&d.scanned_at)) }
                                td {
                                    a href={"/documents/" (d.sha256)} { (doc_name(d)) }
                                    @if let Some(n) = &d.doc_number { br; span.docno { (v(n)) } }
                                }
                                td.path.location { (v(&d.location)) }
                                td { (verdict_badge(d.verdict)) }
                                td.num {
                                    (d.open_findings) " / " (d.findings)
                                    @if d.open_block > 0 { " " span.badge.sev-block { (d.open_block) " 项不得公开" } }
                                }
                                td {
                                    (status_badge(d))
                                    @if d.superseded_by.is_some() { " " span.badge.old { "已有新版本" } }
                                    @if let Some(p) = &d.problem { br; span.problem { "账本记录未通过核验：" (v(p)) } }
                                }
                            }
                        }
                    }
                }
                @if docs.len() >= crate::store::DEFAULT_PAGE {
                    @if let Some(last) = docs.last() {
                        p.more { a href=(next_page(f, last.scan_seq)) { "下一页（更早扫描的文档）" } }
                    }
                }
            }
        },
    )
}

/// The queue URL of the page after the one ending with scan entry `last`,
/// with the same filters.
fn next_page(f: &QueueFilter, last: u64) -> String {
    let mut q = vec![format!("before={last}")];
    for (k, v) in [
        ("stage", &f.stage),
        ("status", &f.status),
        ("verdict", &f.verdict),
        ("all", &f.all),
    ] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            let enc: String = v
                .bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            q.push(format!("{k}={enc}"));
        }
    }
    format!("/?{}", q.join("&"))
}

/// `can_waive`: the page's key holds the waiver role and the document is
/// still on its path (a waiver after the last decision changes nothing).
fn finding_card(f: &FindingView, sha: &str, csrf: &str, can_waive: bool) -> Markup {
    let hidden = f.location.part.is_hidden();
    html! {
        article class={"finding sev-" (f.severity.as_str()) @if hidden { " in-hidden" } @if f.waived.is_some() { " waived" }} {
            div.fhead {
                span class={"badge sev-" (f.severity.as_str())} { (severity_label(f.severity)) }
                " " strong { (v(&f.title)) } " " code.rule { (v(&f.rule)) }
                span.loc { (part_label(f.location.part)) " · " (location_label(&f.location)) }
                @if let Some(c) = f.confidence { span.conf { "置信度：" (confidence_label(c)) } }
            }
            @if hidden {
                p.hidden-warning { "⚠ 位于" (part_label(f.location.part)) "：阅读时看不到，但发布的文件中仍包含这段文字" }
            }
            @match &f.context {
                Some(c) => { p.context { span.before { (c.before) } mark.hit { (c.matched) } span.after { (c.after) } } }
                None => { p.context.masked { "遮蔽预览：" mark.hit { (v(&f.preview)) } } }
            }
            p.basis { "依据：" (v(&f.basis)) }
            @if let Some(w) = &f.waived {
                p.waiver {
                    "已豁免（误报）：" (v(&w.waiver.reason)) " — " (w.signer.display()) "，" (format_datetime(&w.recorded_at))
                    @if w.doc_sha256 != sha { "（沿用旧版本的豁免，匹配文字未变）" }
                }
            } @else if can_waive {
                form.waive method="post" action={"/documents/" (sha) "/waive"} {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="rule" value=(f.rule);
                    input type="hidden" name="matched_sha256" value=(f.matched_sha256);
                    input type="text" name="reason" required placeholder="误报理由" aria-label="豁免理由";
                    button type="submit" { "豁免此项" }
                }
            }
        }
    }
}

fn progress_bar(path: &ReviewPath, d: &DocDetail) -> Markup {
    html! {
        ol.stages {
            @for (i, s) in path.stages.iter().enumerate() {
                @let step = d.decisions.iter().find(|x| x.decision.stage == s.id);
                @let class = match (step, &d.progress.status) {
                    (Some(x), _) if x.decision.conclusion == Conclusion::Withhold => "stage no",
                    (Some(_), _) => "stage done",
                    (None, Status::Pending { stage }) if *stage == i => "stage current",
                    _ => "stage todo",
                };
                li class=(class) {
                    span.slabel { (v(&s.label)) }
                    @if let Some(x) = step { br; span.small { (x.decision.conclusion.label_zh()) " · " (x.signer.display()) } }
                }
            }
            li class={ "stage " @if matches!(d.progress.status, Status::Approved { .. }) { "done" } @else { "todo" } } {
                span.slabel { "办理存档" }
            }
        }
    }
}

/// The outcome of a POST, shown at the top of the document page.
#[derive(Debug, Clone)]
pub enum Notice {
    Ok(String),
    Refused(String),
}

pub fn document(
    me: &Me,
    path: &ReviewPath,
    d: &DocDetail,
    csrf: &str,
    notice: Option<&Notice>,
) -> Markup {
    let s = &d.summary;
    let waiting = s.waiting_for.as_deref();
    let can_waive = waiting.is_some()
        && s.superseded_by.is_none()
        && me
            .roles
            .iter()
            .any(|r| r == crate::store::WAIVER_ROLE.as_str());
    layout(
        &doc_name(s),
        me,
        html! {
            @if let Some(n) = notice {
                @match n {
                    Notice::Ok(m) => { p.notice.ok role="status" { (message(m)) } }
                    Notice::Refused(m) => { p.notice.refused role="alert" { "未记录：" (message(m)) } }
                }
            }
            h1 { (doc_name(s)) }
            dl.meta {
                dt { "文号" } dd { (v(s.doc_number.as_deref().unwrap_or("（无）"))) }
                dt { "文件" } dd.path { (v(&s.path)) }
                dt { "现在位置" } dd.path.location { (v(&s.location)) }
                dt { "内容指纹" } dd { "SHA-256 " code { (v(&s.sha256)) } }
                dt { "机器扫描" } dd { (verdict_badge(s.verdict)) " " (format_datetime(&s.scanned_at)) "（账本 #" (s.scan_seq) "，" (d.scanner.display()) "）" }
                dt { "审查状态" } dd { (status_badge(s)) }
                @if let Some(new) = &s.superseded_by {
                    dt { "新版本" } dd { a href={"/documents/" (new)} { "此文件已有新版本，审查从新版本重新开始" } }
                }
            }
            @if let Some(e) = &d.error { p.notice.refused { "读取错误：" (v(e)) } }
            @for n in &d.coverage.notes { p.note { "说明：" (v(n)) } }
            (progress_bar(path, d))
            @if let Some(orig) = &d.redacted_from {
                p.redacted { "本文件是原稿 " a href={"/documents/" (orig)} { code { (orig.get(..12).unwrap_or(orig)) } } " 的去标识化公开版（baomi redact，账本中有签名的去标识化记录）。" }
            }
            p.links { a.button href={"/documents/" (s.sha256) "/form"} { "打印审查表" } }
            form.redact method="post" action={"/documents/" (s.sha256) "/redact"} {
                input type="hidden" name="csrf" value=(csrf);
                label { "删除含以下规则发现的段落（可选，规则编号以逗号分隔）："
                    input type="text" name="remove_paragraphs_with" placeholder="marking.classification"; }
                button type="submit" { "生成去标识化公开版" }
            }
            @if !d.revisions.is_empty() {
                details.revisions {
                    summary { "同一文件的其他版本（" (d.revisions.len()) "）" }
                    ul { @for (sha, at) in &d.revisions { li { a href={"/documents/" (sha)} { code { (sha.get(..12).unwrap_or(sha)) } } " 扫描于 " (format_datetime(at)) } } }
                }
            }

            h2 { "发现（" (d.findings.len()) "）" }
            @match &d.source {
                FindingSource::Rescanned => { p.source { "上下文取自原文件（SHA-256 与账本记录一致，已重新扫描）。" } }
                FindingSource::Recorded(why) => { p.source.warn { (v(why)) "；仅显示账本中的遮蔽预览。" } }
            }
            @if d.findings.is_empty() { p.empty { "未发现问题。" } }
            @for (part, items) in d.by_part() {
                section class={"part" @if part.is_hidden() { " hidden-part" }} {
                    h3 { (part_label(part)) "（" (items.len()) " 项）"
                        @if part.is_hidden() { " " span.badge.sev-block { "隐藏内容" } } }
                    @for f in items { (finding_card(f, &s.sha256, csrf, can_waive)) }
                }
            }

            h2 { "审查记录" }
            @if d.decisions.is_empty() { p.empty { "尚无审查意见。" } }
            @else {
                table.decisions {
                    thead { tr { th { "阶段" } th { "结论" } th { "意见" } th { "签章" } th { "时间" } th { "账本" } } }
                    tbody {
                        @for x in &d.decisions {
                            tr {
                                td { (v(&x.stage_label)) }
                                td { span class={"badge concl-" (x.decision.conclusion.as_str())} { (x.decision.conclusion.label_zh()) } }
                                td.opinion {
                                    (lines(&x.decision.opinion))
                                    @if let Some(c) = &x.decision.changes { br; "修改要求：" (lines(c)) }
                                    @if let Some(b) = &x.decision.basis { br; "依据：" (lines(b)) }
                                }
                                td { (x.signer.display()) }
                                td.nowrap { (format_datetime(&x.recorded_at)) }
                                td { "#" (x.seq) }
                            }
                        }
                    }
                }
            }
            @if !d.ignored.is_empty() {
                details.ignored {
                    summary { "账本中另有 " (d.ignored.len()) " 条无效的审查记录（不计入状态）" }
                    ul { @for (x, why) in &d.ignored { li { "#" (x.seq) " " (v(&x.stage_label)) " " (x.signer.display()) "：" span.tech { (v(why)) } } } }
                }
            }

            @if let Some(stage) = path.stages.iter().find(|st| Some(st.id.as_str()) == waiting) {
                h2 { "提交审查意见" }
                form.decide method="post" action={"/documents/" (s.sha256) "/decide"} {
                    input type="hidden" name="csrf" value=(csrf);
                    p { label { "阶段 "
                        select name="stage" {
                            @for st in &path.stages { option value=(st.id) selected[st.id == stage.id] { (v(&st.label)) } }
                        }
                    } }
                    @if !me.roles.contains(&stage.role) {
                        p.warn { "当前签名密钥没有“" (role_label(&stage.role)) "”角色，提交会被拒绝。" }
                    }
                    fieldset {
                        legend { "审查结论" }
                        @for c in Conclusion::ALL {
                            label.radio { input type="radio" name="conclusion" value=(c.as_str()) required checked[c == Conclusion::PublishAfterChanges && s.open_block > 0]; " " (c.label_zh()) }
                        }
                    }
                    p { label { "审查结论或处理意见" br; textarea name="opinion" rows="3" required {} } }
                    p { label { "修改要求（修改后公开时必填）" br; textarea name="changes" rows="2" {} } }
                    p { label { "不公开的依据或理由（不予公开时必填）" br; textarea name="basis" rows="2" {} } }
                    button type="submit" { "签名并提交" }
                }
            } @else if s.superseded_by.is_none() {
                p.ended { "审查流程已结束：" (v(&s.status_label)) }
            }
        },
    )
}

/// The printable review form (信息公开保密审查表), one A4 page per document.
pub fn review_form(path: &ReviewPath, d: &DocDetail) -> Markup {
    let s = &d.summary;
    let open: Vec<&FindingView> = d.findings.iter().filter(|f| f.waived.is_none()).collect();
    let mut reasons: Vec<(String, String, String)> = Vec::new();
    for f in &open {
        let row = (f.title.clone(), f.rule.clone(), f.basis.clone());
        if !reasons.contains(&row) {
            reasons.push(row);
        }
    }
    html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                title { "信息公开保密审查表 — " (doc_name(s)) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body.print-form {
                p.no-print.links { a href={"/documents/" (s.sha256)} { "← 返回文档" } " · 用浏览器“打印”即可输出 A4 审查表" }
                h1.form-title { "信息公开保密审查表" }
                table.review-form {
                    tr { th { "标题" } td {
                        @match &s.title {
                            Some(t) => { (v(t)) }
                            // The form asks for a content summary where there is no title.
                            None => { (v(file_name(&s.path))) "（未识别标题，以文件名代）" }
                        }
                    } }
                    tr { th { "文号" } td { (v(s.doc_number.as_deref().unwrap_or("（无文号）"))) } }
                    tr { th { "文件" } td.small { (v(&s.path)) br; "内容指纹 SHA-256：" code { (v(&s.sha256)) } } }
                    tr {
                        th { "机器扫描" }
                        td { (verdict_label(s.verdict)) "；发现 " (d.findings.len()) " 项，其中未豁免 " (open.len()) " 项（"
                            (open.iter().filter(|f| f.severity == Severity::Block).count()) " 项不得公开）。"
                            (d.scanner.display()) "，" (format_date(&s.scanned_at)) }
                    }
                    tr {
                        th { "不公开的依据或理由" }
                        td {
                            @if reasons.is_empty() && d.decisions.iter().all(|x| x.decision.basis.is_none()) { "（无）" }
                            ol.reasons {
                                @for (title, rule, basis) in &reasons { li { (v(title)) "（" (v(rule)) "）：" (v(basis)) } }
                                @for x in &d.decisions { @if let Some(b) = &x.decision.basis { li { (v(&x.stage_label)) "：" (lines(b)) } } }
                            }
                        }
                    }
                    tr {
                        th { "审查结论或处理意见" }
                        td {
                            @for st in &path.stages {
                                @let x = d.decisions.iter().find(|x| x.decision.stage == st.id);
                                div.stage-row {
                                    strong { (v(&st.label)) "：" }
                                    @match x {
                                        Some(x) => {
                                            (x.decision.conclusion.label_zh()) "。" (lines(&x.decision.opinion))
                                            @if let Some(c) = &x.decision.changes { " 修改要求：" (lines(c)) }
                                        }
                                        None => { span.blank { "（未审查）" } }
                                    }
                                }
                            }
                            div.stage-row { strong { "办理存档：" } (v(&d.summary.status_label)) }
                        }
                    }
                    tr {
                        th { "审查责任人签章和日期" br; span.small { "（" (office_zone().label()) "）" } }
                        td {
                            table.signatures {
                                @for st in &path.stages {
                                    @let x = d.decisions.iter().find(|x| x.decision.stage == st.id);
                                    tr {
                                        td { (v(&st.label)) }
                                        @match x {
                                            Some(x) => {
                                                td { (v(x.signer.name.as_deref().unwrap_or("未登记"))) br; span.small { "密钥 " (v(&x.signer.key_id)) } }
                                                td { (format_date(&x.recorded_at)) }
                                                td.small { "电子签名 " (v(x.signature.get(..16).unwrap_or(&x.signature))) "…（账本 #" (x.seq) "）" }
                                            }
                                            None => { td {} td {} td {} }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                p.small.form-foot { "本表由 baomi 依据签名账本生成；日期为" (office_zone().label()) "；签名可用 baomi ledger verify 核验。" }
            }
        }
    }
}

/// Ledger status: the verify result and the head checkpoint.
pub fn ledger(
    me: &Me,
    db: &str,
    entries: u64,
    verify: Result<String, String>,
    checkpoint: Option<&str>,
) -> Markup {
    layout(
        "账本状态",
        me,
        html! {
            h1 { "账本状态" }
            dl.meta {
                dt { "账本文件" } dd.path { (v(db)) }
                dt { "条目数" } dd { (entries) }
                dt { "核验" }
                dd {
                    @match &verify {
                        Ok(m) => { span.badge.verify-ok { "通过" } " " (v(m)) }
                        Err(m) => { span.badge.verify-bad { "失败" } " " span.tech { "技术信息：" (v(m)) } }
                    }
                }
            }
            h2 { "最新检查点" }
            @match checkpoint {
                Some(c) => { pre.checkpoint { (c) } }
                None => { p.empty { "（账本为空）" } }
            }
        },
    )
}

/// A page for errors (404, refused requests) that is still a page.
pub fn error_page(me: &Me, title: &str, message: &str) -> Markup {
    layout(
        title,
        me,
        html! {
            h1 { (v(title)) }
            p.notice.refused { (self::message(message)) }
            p { a href="/" { "返回审查队列" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::InContext;
    use crate::review::{progress, Decision, Roles};
    use crate::view::{DecisionView, DocDetail, FindingView, Signer};
    use baomi_core::{Coverage, Location, Part};

    struct NoRoles;
    impl Roles for NoRoles {
        fn has_role(&self, _: &str, _: &str) -> bool {
            true
        }
        fn name(&self, _: &str) -> String {
            String::new()
        }
    }

    const EVIL: &str = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&";

    fn detail() -> DocDetail {
        let path = ReviewPath::default();
        let summary = DocSummary {
            sha256: "a".repeat(64),
            path: format!("drafts/{EVIL}.txt"),
            title: Some(EVIL.into()),
            doc_number: Some(EVIL.into()),
            verdict: Verdict::Withhold,
            scan_seq: 1,
            scanned_at: "2026-11-27T10:00:00Z".into(),
            findings: 1,
            open_findings: 1,
            open_block: 1,
            status: Status::Pending { stage: 1 },
            status_key: "pending",
            status_label: "待工作部审核".into(),
            waiting_for: Some("work-department".into()),
            superseded_by: None,
            problem: None,
            location: format!("drafts/{EVIL}.txt"),
        };
        let finding = FindingView {
            rule: EVIL.into(),
            title: EVIL.into(),
            category: None,
            severity: Severity::Block,
            basis: EVIL.into(),
            confidence: None,
            location: Location {
                part: Part::TrackedDeletion,
                line: 1,
                column: 1,
                page: None,
                paragraph: None,
                cell: None,
                author: Some(EVIL.into()),
                detail: None,
                bbox: None,
            },
            matched_sha256: "b".repeat(64),
            text_key: None,
            preview: EVIL.into(),
            context: Some(InContext {
                before: EVIL.into(),
                matched: EVIL.into(),
                after: EVIL.into(),
            }),
            waived: None,
        };
        let decision = Decision {
            stage: "department".into(),
            role: "department".into(),
            conclusion: Conclusion::Withhold,
            opinion: EVIL.into(),
            changes: None,
            basis: Some(EVIL.into()),
            title: None,
            doc_number: None,
            follows: None,
            scan_seq: None,
            path: None,
        };
        DocDetail {
            summary,
            coverage: Coverage::default(),
            error: Some(EVIL.into()),
            findings: vec![finding],
            source: crate::view::FindingSource::Rescanned,
            progress: progress(&path, &[], &NoRoles),
            decisions: vec![DecisionView {
                seq: 2,
                recorded_at: "2026-11-27T10:01:00Z".into(),
                signer: Signer {
                    key_id: "0123456789abcdef".into(),
                    name: Some(EVIL.into()),
                },
                stage_label: "部门申请".into(),
                decision,
                signature: "c".repeat(128),
            }],
            ignored: vec![],
            waivers: vec![],
            scanner: Signer {
                key_id: "fedcba9876543210".into(),
                name: None,
            },
            revisions: vec![],
            redacted_from: None,
        }
    }

    #[test]
    fn untrusted_text_is_escaped_everywhere() {
        // A failed verification whose text is hostile, too: the banner.
        let me = Me {
            key_id: "0123456789abcdef".into(),
            name: Some(EVIL.into()),
            roles: vec![],
            integrity: Some(baomi_ledger::Integrity::fixed(baomi_ledger::Health::Bad(
                EVIL.into(),
            ))),
            browser: false,
        };
        let path = ReviewPath::default();
        let d = detail();
        let pages = [
            document(&me, &path, &d, "tok", Some(&Notice::Refused(EVIL.into()))).into_string(),
            review_form(&path, &d).into_string(),
            queue(
                &me,
                &path,
                std::slice::from_ref(&d.summary),
                &QueueFilter::default(),
            )
            .into_string(),
            error_page(&me, EVIL, EVIL).into_string(),
        ];
        for (i, page) in pages.iter().enumerate() {
            assert!(!page.contains("<script"), "{page}");
            assert!(!page.contains("<img"), "{page}");
            assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
            // Every page with the layout (not the printable form) warns.
            assert_eq!(page.contains("账本核验未通过"), i != 1, "{page}");
        }
    }

    #[test]
    fn hidden_parts_are_marked() {
        let me = Me {
            key_id: "k".into(),
            name: None,
            roles: vec!["work-department".into()],
            integrity: None,
            browser: false,
        };
        let page = document(&me, &ReviewPath::default(), &detail(), "tok", None).into_string();
        assert!(page.contains("section class=\"part hidden-part\""));
        assert!(page.contains("位于修订删除"));
        assert!(page.contains("name=\"csrf\" value=\"tok\""));
        assert!(page.contains("method=\"post\""));
        // Only a secrecy-committee key gets waive buttons.
        assert!(!page.contains("/waive"));
        let committee = Me {
            roles: vec!["secrecy-committee".into()],
            ..me
        };
        let page =
            document(&committee, &ReviewPath::default(), &detail(), "tok", None).into_string();
        assert!(page.contains("/waive"));
    }

    /// The office clock is process-wide: these tests use Beijing time.
    fn beijing() {
        let zone = baomi_core::time::Zone::beijing();
        let _ = baomi_core::time::set_office_zone(zone.clone());
        assert_eq!(
            office_zone(),
            &zone,
            "BAOMI_TIMEZONE is set for this test run"
        );
    }

    /// Scanned and decided at 23:30 UTC — 07:30 the next morning in
    /// Beijing — with a file name, title, opinion and signer holding a
    /// right-to-left override and an escape character.
    fn late_night_detail() -> DocDetail {
        let mut d = detail();
        d.summary.path = "drafts/rtl-\u{202e}txt.exe".into();
        d.summary.location = d.summary.path.clone();
        d.summary.title = Some("关于\u{1b}[31m通知\u{202e}".into());
        d.summary.doc_number = Some("办发\u{202e}〔2026〕1号".into());
        d.summary.scanned_at = "2026-12-01T23:30:00Z".into();
        d.decisions[0].recorded_at = "2026-12-01T23:31:00Z".into();
        d.decisions[0].decision.opinion = "第一行\n第二行\u{202e}".into();
        d.decisions[0].signer.name = Some("张\u{202e}三".into());
        d.findings[0].rule = "internal.marking".into();
        d.findings[0].title = "内部\u{200b}资料".into();
        d.findings[0].confidence = Some(baomi_core::Confidence::High);
        d.findings[0].location.author = Some("李\u{202e}四".into());
        d.findings[0].location.paragraph = Some(3);
        d.error = None;
        d
    }

    fn committee() -> Me {
        Me {
            key_id: "0123456789abcdef".into(),
            name: Some("王\u{202e}五".into()),
            roles: vec!["secrecy-committee".into(), "department".into()],
            integrity: None,
            browser: false,
        }
    }

    #[test]
    fn dates_are_the_office_date_and_labelled() {
        beijing();
        let path = ReviewPath::default();
        let d = late_night_detail();
        let form = review_form(&path, &d).into_string();
        // The signature date on the printable form is the local date.
        assert!(form.contains("<td>2026-12-02</td>"), "{form}");
        assert!(!form.contains("2026-12-01"), "{form}");
        assert!(form.contains("（北京时间）") && form.contains("日期为北京时间"));
        let page = document(&committee(), &path, &d, "tok", None).into_string();
        assert!(page.contains("2026-12-02 07:30 北京时间"), "{page}");
        assert!(page.contains("2026-12-02 07:31 北京时间"), "{page}");
        assert!(!page.contains("2026-12-01"), "{page}");
        let q = queue(
            &committee(),
            &path,
            std::slice::from_ref(&d.summary),
            &QueueFilter::default(),
        )
        .into_string();
        assert!(
            q.contains("2026-12-02 07:30 北京时间") && !q.contains("2026-12-01"),
            "{q}"
        );
    }

    #[test]
    fn invisible_characters_show_as_escapes_on_every_page() {
        beijing();
        let path = ReviewPath::default();
        let d = late_night_detail();
        let pages = [
            (
                "queue",
                queue(
                    &committee(),
                    &path,
                    std::slice::from_ref(&d.summary),
                    &QueueFilter::default(),
                )
                .into_string(),
            ),
            (
                "document",
                document(&committee(), &path, &d, "tok", None).into_string(),
            ),
            ("form", review_form(&path, &d).into_string()),
        ];
        for (name, page) in &pages {
            assert!(
                !page.contains('\u{202e}')
                    && !page.contains('\u{1b}')
                    && !page.contains('\u{200b}'),
                "{name} shows a raw control or bidi character: {page}"
            );
            for shown in ["rtl-⟨U+202E⟩txt.exe", "关于⟨U+001B⟩[31m通知⟨U+202E⟩"] {
                assert!(page.contains(shown), "{name} lacks {shown}: {page}");
            }
        }
        let (doc, form) = (&pages[1].1, &pages[2].1);
        for shown in [
            "办发⟨U+202E⟩〔2026〕1号",
            "张⟨U+202E⟩三",
            "王⟨U+202E⟩五",
            "作者 李⟨U+202E⟩四",
            "内部⟨U+200B⟩资料",
            "第一行<br>第二行⟨U+202E⟩",
        ] {
            assert!(doc.contains(shown), "document lacks {shown}: {doc}");
        }
        assert!(form.contains("张⟨U+202E⟩三") && form.contains("第一行<br>第二行⟨U+202E⟩"));
    }

    #[test]
    fn labels_are_chinese() {
        beijing();
        let path = ReviewPath::default();
        let d = late_night_detail();
        let page = document(&committee(), &path, &d, "tok", None).into_string();
        assert!(page.contains("角色：保密委员会、申请部门"), "{page}");
        assert!(page.contains("置信度：高"), "{page}");
        assert!(
            page.contains("修订删除 · 第 3 段 · 作者 李⟨U+202E⟩四 · 第 1 行第 1 列"),
            "{page}"
        );
        assert!(page.contains("修订删除（1 项）"), "{page}");
        for english in [
            "secrecy-committee</",
            "角色：secrecy",
            "置信度 high",
            "<code>tracked-deletion</code>",
            "tracked-deletion ¶",
            ">API<",
        ] {
            assert!(!page.contains(english), "{english} shown: {page}");
        }
        // A refusal: the reason in Chinese, the technical message below it.
        let refusal = crate::store::StoreError::Review(crate::review::ReviewError::OutOfOrder {
            stage: "work-department".into(),
            waiting: "department".into(),
        });
        let m = crate::view::message_zh(&refusal);
        let page =
            document(&committee(), &path, &d, "tok", Some(&Notice::Refused(m))).into_string();
        assert!(
            page.contains("未记录：现在还不能提交“工作部审核”的意见：文档正在等待“部门申请”（各阶段须依次进行）。<br><span class=\"tech\">技术信息：stage `work-department`"),
            "{page}"
        );
        let missing = crate::store::StoreError::Review(crate::review::ReviewError::MissingRole {
            key: "0123456789abcdef".into(),
            name: "王五".into(),
            role: "department".into(),
            stage: "department".into(),
        });
        let m = crate::view::message_zh(&missing);
        assert!(
            m.starts_with("当前签名密钥 0123456789abcdef 没有“部门申请”所需的“申请部门”角色"),
            "{m}"
        );
        let page = error_page(&committee(), "出错了", &m).into_string();
        assert!(
            page.contains("技术信息：key 0123456789abcdef (王五) lacks the role `department`"),
            "{page}"
        );
    }
}
