//! Person scope: whether a span of text is about an identifiable person.
//!
//! A disease, a religion or a criminal record is personal information when
//! it is said of someone — a list row with a name, a gender or an age, or a
//! role such as 户主, 申请人, 该生 — and policy vocabulary otherwise
//! ("完善重特大疾病医疗保障和救助制度"). Rules with `person = true` report a
//! match only when such an anchor stands in the same line (a table row of a
//! spreadsheet, a list item, a paragraph), within [`PERSON_WINDOW`]
//! characters.
//!
//! A masked name (`张*`, `李**`) marks a row as de-identified, the approved
//! way to publish: a row holding one has no anchor at all.

use crate::excerpt::{back_chars, forward_chars};
use regex::Regex;
use std::sync::OnceLock;

/// Characters either side of a match searched for a person anchor.
pub const PERSON_WINDOW: usize = 100;

/// Common single and compound surnames (the most frequent ~150, covering
/// the large majority of the population).
const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
const COMPOUND: &str =
    "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|宇文|司徒|夏侯|端木|独孤";

/// Surnames that are also everyday function words or verbs (于, 向, 和,
/// 查, 应 …): after a role word without a colon (信访人查询) they do not
/// start a name.
const AMBIGUOUS: &str = "严于向和时明全应查解申成安方文易路常华单关连车项宁尚齐司管商师农古吉简麦景党宫费卜冷席卫米宗桂佟边和商沙荣桑甄仲巩池查麻苑迟温康施牛葛邢乔伍庞颜庄章鲁岳翟殷詹欧耿兰焦左柳甘祝包符舒柯纪梅童凌毕季霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍喻祁蒲房滕屈饶牟艾尤阳穆卓缪褚娄窦戚岑晏柏瞿臧闵苟邬卞姬仇栾隋刁巫寇郎丛虞敖佘";

/// Role words that describe a person only when a name follows them
/// (申请人张三); alone they are the vocabulary of laws (申请人应当…).
const ROLES: &str = "户主|申请人|患者|病人|当事人|服刑人员|刑满释放人员|社区矫正对象|矫正对象|救助对象|低保对象|供养对象|特困人员|受助人|举报人|信访人|投诉人|控告人|检举人|来信人|来访人|监护人|死者|学生|幼儿|儿童|困境儿童|留守儿童|老人|村民|居民|职工|员工|群众|男孩|女孩|男童|女童|本人|收款人|户名|姓名|病例";

/// Roles that may be followed directly by a name, without a colon.
const DIRECT: &str = "户主|申请人|患者|病人|学生|幼儿|儿童|困境儿童|留守儿童|老人|村民|居民|职工|收款人|低保对象|救助对象|矫正对象|社区矫正对象|服刑人员|刑满释放人员";

fn anchors() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let s = format!("(?:{COMPOUND}|[{SURNAMES}])");
        let strict: String = SURNAMES.chars().filter(|c| !AMBIGUOUS.contains(*c)).collect();
        let st = format!("(?:{COMPOUND}|[{strict}])");
        // Words that point at one person by themselves; the class after
        // each keeps 该生产, 其子女, 其父母, 该户籍 out.
        let pointing = r"该生(?:[^产效活态命]|$)|该同志|该户(?:[^籍口]|$)|该患者|该村民|该居民|该员|该学生|该儿童|其子(?:[^女]|$)|其女(?:[^婿]|$)|之子|之女|其妻|其夫|其父(?:[^母]|$)|其母(?:[^亲]|$)|其孙";
        let name = format!(r"(?:{s}某{{1,2}}|{s}[\p{{Han}}]{{1,2}})");
        let pattern = [
            pointing.to_string(),
            // A role with a colon, then a name: 户主：李四, 申请人: 王某.
            format!(r"(?:{ROLES})[:：]\s*{name}"),
            // A role directly followed by a name (申请人张伟, 患者陈某); only
            // roles that laws do not follow with a verb (当事人陈述,
            // 监护人严加看管 need the colon form).
            format!(r"(?:{DIRECT})\s?(?:{st}某{{1,2}}|{st}[\p{{Han}}]{{1,2}})"),
            // Numbered cases of epidemiological notices.
            r"(?:确诊病例|无症状感染者|密切接触者|病例|感染者|密接者?)[0-9一二三四五六七八九十]{1,3}[:：，,]".to_string(),
            // 王某, 李某某: the usual pseudonym still points at one person.
            format!(r"{s}某{{1,2}}"),
            // A name followed by gender or a form of address.
            format!(r"{s}[\p{{Han}}]{{1,2}}(?:[，,、]\s*[男女][，,、）)\s]|[（(][男女]|\s*(?:同志|先生|女士))"),
            // A gender cell or clause: \t男\t, ，女，
            r"(?:^|[\t|，,、（(：:])\s*(?:男|女)\s*(?:$|[\t|，,、）)；;。])".to_string(),
            // An age cell or clause: ，52岁，
            r"(?:^|[\t|，,、（(])\s*[0-9]{1,3}\s*(?:岁|周岁)\s*(?:$|[\t|，,、）)；;。])".to_string(),
            // A cell that holds just a name.
            format!(r"(?:^|[\t|])\s*{s}[\p{{Han}}]{{1,2}}\s*(?:$|[\t|])"),
        ]
        .join("|");
        Regex::new(&format!("(?m){pattern}")).expect("valid person regex")
    })
}

fn masked_name() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(&format!(
            r"(?:{COMPOUND}|[{SURNAMES}])[*＊×][*＊×]?(?:$|[^\p{{Han}}*＊×])"
        ))
        .expect("valid masked-name regex")
    })
}

/// Whether a person anchor stands near `start..end` of `text` in the same
/// line; the anchor must not be the match itself.
pub(crate) fn person_near(text: &str, start: usize, end: usize) -> bool {
    let bytes = text.as_bytes();
    let line_start = memchr::memrchr(b'\n', &bytes[..start]).map_or(0, |i| i + 1);
    let line_end = memchr::memchr(b'\n', &bytes[end..]).map_or(text.len(), |i| end + i);
    let lo = back_chars(text, start, PERSON_WINDOW).max(line_start);
    let hi = forward_chars(text, end, PERSON_WINDOW).min(line_end);
    let unit = &text[lo..hi];
    if masked_name().is_match(unit) {
        return false;
    }
    anchors().find_iter(unit).any(|m| {
        // The match is not its own anchor (an age cell, a disease cell that
        // looks like a name); an anchor that merely touches it (该生 plus
        // the character its class consumed) still counts.
        let (s, e) = (lo + m.start(), lo + m.end());
        let inside = (start..end).contains(&s);
        let covers = s <= start && e >= end;
        !inside && !covers
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn near(text: &str, word: &str) -> bool {
        let s = text.find(word).unwrap();
        person_near(text, s, s + word.len())
    }

    #[test]
    fn anchors_in_rows_and_sentences() {
        assert!(near("张三，男，52岁，患尿毒症", "尿毒症"));
        assert!(near("3\t李四\t女\t67\t尿毒症", "尿毒症"));
        assert!(near("户主王某某，因病致贫（尿毒症）", "尿毒症"));
        assert!(near("该生患有癫痫", "癫痫"));
        assert!(near("申请人：赵六 病情：肺癌", "肺癌"));
    }

    #[test]
    fn policy_prose_and_other_lines_have_no_anchor() {
        assert!(!near("精神病人在不能辨认或者不能控制自己行为的时候违反治安管理的，不予处罚，但是应当责令其监护人严加看管和治疗。", "精神病"));
        assert!(!near(
            "听取当事人陈述、申辩，当事人患有严重疾病的",
            "严重疾病"
        ));
        assert!(!near(
            "完善重特大疾病医疗保障和救助制度，做好尿毒症患者透析保障",
            "尿毒症"
        ));
        assert!(!near(
            "户主：张三\n\n第二段：尿毒症透析纳入门诊慢特病",
            "尿毒症"
        ));
        assert!(!near("60岁以上老年人高血压健康管理", "高血压"));
        assert!(!near("高血压\t门诊慢特病\t70%", "高血压"));
    }

    #[test]
    fn masked_names_deidentify_the_row() {
        assert!(!near("张*，男，52岁，尿毒症", "尿毒症"));
        assert!(!near("3\t李**\t女\t67\t尿毒症", "尿毒症"));
        assert!(!near("户主张*，其子患尿毒症", "尿毒症"));
    }
}
