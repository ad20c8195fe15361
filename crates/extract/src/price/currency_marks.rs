//! The signs, codes and words that shops print for a currency, mapped to ISO 4217.

use std::collections::HashMap;
use std::sync::OnceLock;

use pricewatch_domain::money::Currency;

/// Signs shared by several currencies; a hint (declared currency, language,
/// domain) picks the right one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    Dollar,
    Krona,
    Yen,
    Rupee,
    Pound,
}

impl Family {
    pub(crate) fn members(self) -> &'static [&'static str] {
        match self {
            Family::Dollar => &[
                "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "TWD", "MXN", "ARS", "CLP", "COP", "UYU",
                "DOP", "JMD", "TTD", "BSD", "BBD", "BZD", "BMD", "BND", "FJD", "GYD", "KYD", "LRD",
                "NAD", "SBD", "SRD", "XCD", "CUP",
            ],
            Family::Krona => &["SEK", "NOK", "DKK", "ISK"],
            Family::Yen => &["JPY", "CNY"],
            Family::Rupee => &["INR", "PKR", "LKR", "NPR", "MUR", "SCR"],
            Family::Pound => &["GBP", "EGP", "LBP", "SYP", "GIP", "FKP", "SHP"],
        }
    }

    /// The usual meaning when nothing says otherwise (`kr` has none).
    pub(crate) fn default_code(self) -> Option<&'static str> {
        match self {
            Family::Dollar => Some("USD"),
            Family::Krona => None,
            Family::Yen => Some("JPY"),
            Family::Rupee => Some("INR"),
            Family::Pound => Some("GBP"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Iso(&'static str),
    Family(Family),
    /// A money word with no ISO code (the Iranian toman, cents).
    NoCode,
}

impl Mark {
    pub(crate) fn currency(self) -> Option<Currency> {
        match self {
            Mark::Iso(code) => Currency::parse(code).ok(),
            Mark::Family(_) | Mark::NoCode => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Case {
    Exact,
    Any,
    /// A single letter that only counts right before digits (`R299`, `Q200`).
    GluedBeforeDigits,
}

struct Entry {
    chars: Vec<char>,
    lower: Vec<char>,
    mark: Mark,
    case: Case,
}

use Case::{Any, Exact, GluedBeforeDigits as Glued};
use Family::{Dollar, Krona, Pound, Rupee, Yen};
use Mark::{Family as F, Iso, NoCode};

#[rustfmt::skip]
const SIGNS: &[(&str, Mark, Case)] = &[
    ("€", Iso("EUR"), Exact), ("euro", Iso("EUR"), Any), ("euros", Iso("EUR"), Any), ("евро", Iso("EUR"), Any),
    ("$", F(Dollar), Exact), ("dollar", F(Dollar), Any), ("dollars", F(Dollar), Any),
    ("US$", Iso("USD"), Exact), ("US $", Iso("USD"), Exact), ("U$S", Iso("USD"), Exact),
    ("A$", Iso("AUD"), Exact), ("AU$", Iso("AUD"), Exact), ("AU $", Iso("AUD"), Exact),
    ("C$", Iso("CAD"), Exact), ("CA$", Iso("CAD"), Exact), ("CAN$", Iso("CAD"), Exact),
    ("CA $", Iso("CAD"), Exact), ("CDN$", Iso("CAD"), Exact), ("CND", Iso("CAD"), Exact),
    ("NZ$", Iso("NZD"), Exact), ("NZ $", Iso("NZD"), Exact), ("HK$", Iso("HKD"), Exact),
    ("S$", Iso("SGD"), Exact), ("SG$", Iso("SGD"), Exact), ("NT$", Iso("TWD"), Exact),
    ("MX$", Iso("MXN"), Exact), ("Mex$", Iso("MXN"), Exact), ("R$", Iso("BRL"), Exact),
    ("RD$", Iso("DOP"), Exact), ("$U", Iso("UYU"), Exact), ("J$", Iso("JMD"), Exact),
    ("TT$", Iso("TTD"), Exact), ("G$", Iso("GYD"), Exact), ("GY$", Iso("GYD"), Exact),
    ("EC$", Iso("XCD"), Exact), ("FJ$", Iso("FJD"), Exact), ("N$", Iso("NAD"), Exact),
    ("$b", Iso("BOB"), Exact), ("Bs.", Iso("BOB"), Exact),
    ("£", F(Pound), Exact), ("￡", F(Pound), Exact), ("₤", F(Pound), Exact), ("E£", Iso("EGP"), Exact),
    ("L£", Iso("LBP"), Exact), ("stg", Iso("GBP"), Any), ("pound", Iso("GBP"), Any), ("pounds", Iso("GBP"), Any),
    ("GBp", NoCode, Exact),
    ("¥", F(Yen), Exact), ("￥", F(Yen), Exact), ("円", Iso("JPY"), Exact), ("yen", Iso("JPY"), Any),
    ("JP¥", Iso("JPY"), Exact), ("CN¥", Iso("CNY"), Exact), ("元", Iso("CNY"), Exact),
    ("RMB", Iso("CNY"), Exact), ("人民币", Iso("CNY"), Exact), ("圆", Iso("CNY"), Exact),
    ("yuan", Iso("CNY"), Any), ("юань", Iso("CNY"), Any),
    ("₹", Iso("INR"), Exact), ("र", Iso("INR"), Exact), ("Rs", F(Rupee), Exact), ("Rs.", F(Rupee), Exact),
    ("RS", F(Rupee), Exact), ("₨", F(Rupee), Exact), ("Re", F(Rupee), Exact), ("rupees", F(Rupee), Any),
    ("ரூ", F(Rupee), Exact), ("රු", Iso("LKR"), Exact), ("रु", Iso("NPR"), Exact),
    ("₩", Iso("KRW"), Exact), ("원", Iso("KRW"), Exact),
    ("₪", Iso("ILS"), Exact), ("ש״ח", Iso("ILS"), Exact), ("ש\"ח", Iso("ILS"), Exact), ("ש'ח", Iso("ILS"), Exact),
    ("nis", Iso("ILS"), Any), ("ש.ח", Iso("ILS"), Exact), ("ش.ج", Iso("ILS"), Exact),
    ("฿", Iso("THB"), Exact), ("บาท", Iso("THB"), Exact),
    ("₫", Iso("VND"), Exact), ("đ", Iso("VND"), Exact), ("VNĐ", Iso("VND"), Any), ("đồng", Iso("VND"), Any),
    ("₺", Iso("TRY"), Exact), ("TL", Iso("TRY"), Exact),
    ("₽", Iso("RUB"), Exact), ("руб", Iso("RUB"), Any), ("руб.", Iso("RUB"), Any), ("рублей", Iso("RUB"), Any),
    ("рубля", Iso("RUB"), Any), ("рубль", Iso("RUB"), Any), ("р.", Iso("RUB"), Exact), ("Р", Iso("RUB"), Exact),
    ("Rbl", Iso("RUB"), Exact),
    ("₴", Iso("UAH"), Exact), ("грн", Iso("UAH"), Any), ("грн.", Iso("UAH"), Any), ("гривен", Iso("UAH"), Any),
    ("гривня", Iso("UAH"), Any), ("hrn", Iso("UAH"), Any),
    ("zł", Iso("PLN"), Any), ("zl", Iso("PLN"), Exact), ("złotych", Iso("PLN"), Any),
    ("Kč", Iso("CZK"), Any), ("Ft", Iso("HUF"), Exact), ("lei", Iso("RON"), Any), ("leu", Iso("RON"), Any),
    ("лв", Iso("BGN"), Any), ("лв.", Iso("BGN"), Any), ("kn", Iso("HRK"), Exact),
    ("Fr.", Iso("CHF"), Exact), ("fr.", Iso("CHF"), Exact), ("SFr", Iso("CHF"), Exact), ("SFr.", Iso("CHF"), Exact),
    ("CHf", Iso("CHF"), Exact),
    ("kr", F(Krona), Any), ("kr.", F(Krona), Any), ("kn.", Iso("HRK"), Exact),
    ("Rp", Iso("IDR"), Exact), ("Rp.", Iso("IDR"), Exact), ("RM", Iso("MYR"), Exact),
    ("₱", Iso("PHP"), Exact), ("₦", Iso("NGN"), Exact), ("₲", Iso("PYG"), Exact), ("₡", Iso("CRC"), Exact),
    ("₸", Iso("KZT"), Exact), ("тг", Iso("KZT"), Any), ("₾", Iso("GEL"), Exact), ("ლ", Iso("GEL"), Exact),
    ("lari", Iso("GEL"), Any), ("ლარი", Iso("GEL"), Exact), ("₼", Iso("AZN"), Exact), ("₭", Iso("LAK"), Exact),
    ("₮", Iso("MNT"), Exact), ("៛", Iso("KHR"), Exact), ("৳", Iso("BDT"), Exact), ("টাকা", Iso("BDT"), Exact), ("₵", Iso("GHS"), Exact),
    ("GH₵", Iso("GHS"), Exact),
    ("﷼", Iso("IRR"), Exact), ("ریال", Iso("IRR"), Exact), ("تومان", NoCode, Exact),
    ("ر.س", Iso("SAR"), Exact), ("ر.ق", Iso("QAR"), Exact), ("ر.ع", Iso("OMR"), Exact), ("ر.ي", Iso("YER"), Exact),
    ("د.إ", Iso("AED"), Exact), ("Dhs", Iso("AED"), Exact), ("د.ك", Iso("KWD"), Exact), ("KD", Iso("KWD"), Exact),
    ("د.ب", Iso("BHD"), Exact), (".د.ب", Iso("BHD"), Exact), ("د.ت", Iso("TND"), Exact), ("ل.د", Iso("LYD"), Exact),
    ("د.ج", Iso("DZD"), Exact), ("دج", Iso("DZD"), Exact), ("د.م", Iso("MAD"), Exact), ("DH", Iso("MAD"), Exact),
    ("ج.م", Iso("EGP"), Exact), ("ل.ل", Iso("LBP"), Exact), ("ل.س", Iso("SYP"), Exact), ("ع.د", Iso("IQD"), Exact),
    ("د.أ", Iso("JOD"), Exact), ("د.ا", Iso("JOD"), Exact), ("ج.س", Iso("SDG"), Exact), ("ج.س.", Iso("SDG"), Exact),
    ("دينار", NoCode, Exact),
    ("ден", Iso("MKD"), Any), ("дин", Iso("RSD"), Any), ("дин.", Iso("RSD"), Any), ("din", Iso("RSD"), Any),
    ("din.", Iso("RSD"), Any), ("dinara", Iso("RSD"), Any), ("Br", Iso("BYN"), Exact), ("сом", Iso("KGS"), Any),
    ("so'm", Iso("UZS"), Any), ("soʻm", Iso("UZS"), Any), ("сўм", Iso("UZS"), Any), ("Ks", Iso("MMK"), Exact),
    ("Nu", Iso("BTN"), Exact), ("MT", Iso("MZN"), Exact), ("Ar", Iso("MGA"), Exact), ("Vt", Iso("VUV"), Exact),
    ("FRw", Iso("RWF"), Exact), ("R₣", Iso("RWF"), Exact), ("KSh", Iso("KES"), Exact), ("KShs", Iso("KES"), Exact),
    ("Ksh", Iso("KES"), Exact), ("TSh", Iso("TZS"), Exact), ("USh", Iso("UGX"), Exact), ("S/", Iso("PEN"), Exact),
    ("S/.", Iso("PEN"), Exact), ("ብር", Iso("ETB"), Exact), ("ናቕፋ", Iso("ERN"), Exact), ("₣", NoCode, Exact),
    ("¢", NoCode, Exact),
    ("₶", NoCode, Exact), ("₿", NoCode, Exact), ("جنيه", Iso("EGP"), Exact), ("درهم", Iso("AED"), Exact),
    ("ريال", Iso("SAR"), Exact), ("؋", Iso("AFN"), Exact), ("Lek", Iso("ALL"), Exact), ("֏", Iso("AMD"), Exact),
    ("ƒ", Iso("ANG"), Exact), ("BZ$", Iso("BZD"), Exact), ("FBu", Iso("BIF"), Exact), ("BD", Iso("BHD"), Exact),
    ("CFA", Iso("XOF"), Exact), ("FCFA", Iso("XAF"), Exact), ("CUC$", Iso("CUC"), Exact), ("Fdj", Iso("DJF"), Exact),
    ("Nfk", Iso("ERN"), Exact), ("LD", Iso("LYD"), Exact), ("MOP$", Iso("MOP"), Exact), ("MK", Iso("MWK"), Exact),
    ("Rf", Iso("MVR"), Exact), ("UM", Iso("MRU"), Exact), ("B/.", Iso("PAB"), Exact), ("Db", Iso("STN"), Exact),
    ("T$", Iso("TOP"), Exact), ("DT", Iso("TND"), Exact), ("VT", Iso("VUV"), Exact), ("Bs", Iso("VES"), Exact),
    ("ZK", Iso("ZMW"), Exact), ("Z$", Iso("ZWL"), Exact), ("FG", Iso("GNF"), Exact),
    ("KM", Iso("BAM"), Exact), ("км", Iso("BAM"), Exact),
    ("R", Iso("ZAR"), Glued), ("\\", F(Yen), Glued), ("Q", Iso("GTQ"), Glued),
];

/// Active ISO 4217 codes and a few recent historic ones that old pages still print.
const ISO_CODES: &str = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL \
BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP \
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW \
KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO \
NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS \
SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD \
XOF XPF YER ZAR ZMW ZWL DEM FRF ITL ESP PTE NLG BEF ATS FIM IEP GRD HRK LTL LVL EEK SKK SIT CYP MTL VEF \
BYR RUR TRL";

/// Codes also written in lower case by shops.
const LOWERCASE_CODES: &str = "eur usd gbp pln chf sek nok dkk czk huf rub uah ron bgn inr jpy cny aud cad \
nzd brl mxn try zar mkd";

/// Currencies with three minor digits: `1.250 KD` is one and a quarter dinars.
pub(crate) fn has_three_decimals(currency: Option<Currency>) -> bool {
    currency.is_some_and(|c| {
        matches!(
            c.as_str(),
            "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND"
        )
    })
}

struct Table {
    entries: Vec<Entry>,
    /// Entry indexes by first char (and its lower case), longest first.
    by_first: HashMap<char, Vec<usize>>,
    /// Which ASCII chars are keys of `by_first`: most chars of a text are ASCII
    /// and start no sign, and this answers without hashing.
    ascii_keys: [bool; 128],
}

impl Table {
    fn starting_with(&self, c: char) -> &[usize] {
        if c.is_ascii() && !self.ascii_keys.get(c as usize).copied().unwrap_or(true) {
            return &[];
        }
        self.by_first.get(&c).map_or(&[][..], Vec::as_slice)
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut entries: Vec<Entry> = SIGNS
            .iter()
            .map(|(text, mark, case)| Entry {
                chars: text.chars().collect(),
                lower: text.chars().flat_map(char::to_lowercase).collect(),
                mark: *mark,
                case: *case,
            })
            .collect();
        entries.sort_by_key(|e| std::cmp::Reverse(e.chars.len()));
        let mut by_first: HashMap<char, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            let firsts = [
                e.chars.first().copied(),
                if e.case == Case::Any {
                    e.lower.first().copied()
                } else {
                    None
                },
            ];
            for c in firsts.into_iter().flatten() {
                let list = by_first.entry(c).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
        }
        let mut ascii_keys = [false; 128];
        for c in by_first.keys().filter(|c| c.is_ascii()) {
            if let Some(slot) = ascii_keys.get_mut(*c as usize) {
                *slot = true;
            }
        }
        Table {
            entries,
            by_first,
            ascii_keys,
        }
    })
}

fn iso_code(code: &str) -> Option<&'static str> {
    ISO_CODES.split(' ').find(|c| *c == code)
}

/// A currency sign found in a text: char range, the sign as written, its meaning.
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub start: usize,
    pub end: usize,
    pub raw: String,
    pub mark: Mark,
    /// Written with letters (`EUR`, `kr`): counts only beside a number, since
    /// `ALL`, `TOP` or `CUP` are also words.
    pub alphabetic: bool,
}

fn letter(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphabetic())
}

/// The currency sign that starts at char `i`, if any (longest match wins).
pub(crate) fn mark_at(chars: &[char], i: usize) -> Option<Found> {
    let first = *chars.get(i)?;
    if first.is_ascii_digit() || first.is_whitespace() {
        return None;
    }
    let before = if i == 0 { None } else { chars.get(i - 1) };
    if first.is_ascii_uppercase()
        && !letter(before)
        && let Some(found) = code_at(chars, i)
    {
        return Some(found);
    }
    let table = table();
    let lower_first = first.to_lowercase().next().unwrap_or(first);
    let own = table.starting_with(first);
    let lower = if lower_first == first {
        &[][..]
    } else {
        table.starting_with(lower_first)
    };
    // Both lists are longest first; the longest match over both wins.
    let mut best: Option<Found> = None;
    for entry in own
        .iter()
        .chain(lower)
        .filter_map(|i| table.entries.get(*i))
    {
        let len = entry.chars.len();
        if best.as_ref().is_some_and(|b| b.end - b.start >= len) {
            continue;
        }
        let Some(window) = chars.get(i..i + len) else {
            continue;
        };
        let matched = match entry.case {
            Case::Exact | Case::GluedBeforeDigits => window == entry.chars.as_slice(),
            Case::Any => window
                .iter()
                .zip(&entry.lower)
                .all(|(c, l)| c.to_lowercase().eq(std::iter::once(*l))),
        };
        if !matched {
            continue;
        }
        let after = chars.get(i + len);
        if entry.chars.first().is_some_and(|c| c.is_alphabetic()) && letter(before) {
            continue;
        }
        if entry.chars.last().is_some_and(|c| c.is_alphabetic()) && letter(after) {
            continue;
        }
        if entry.case == Case::GluedBeforeDigits && !after.is_some_and(char::is_ascii_digit) {
            continue;
        }
        best = Some(Found {
            start: i,
            end: i + len,
            raw: window.iter().collect(),
            mark: entry.mark,
            alphabetic: entry.chars.iter().all(|c| c.is_alphabetic() || *c == '.'),
        });
    }
    best
}

fn code_at(chars: &[char], i: usize) -> Option<Found> {
    let window = chars.get(i..i + 3)?;
    if letter(chars.get(i + 3)) {
        return None;
    }
    let text: String = window.iter().collect();
    let code = if window.iter().all(char::is_ascii_uppercase) {
        iso_code(&text)?
    } else {
        return None;
    };
    Some(Found {
        start: i,
        end: i + 3,
        raw: text,
        mark: Mark::Iso(code),
        alphabetic: true,
    })
}

fn lowercase_code_at(chars: &[char], i: usize) -> Option<Found> {
    let window = chars.get(i..i + 3)?;
    if letter(chars.get(i + 3)) || (i > 0 && letter(chars.get(i - 1))) {
        return None;
    }
    let text: String = window.iter().collect();
    let found = LOWERCASE_CODES.split(' ').find(|c| *c == text)?;
    let code = iso_code(&found.to_ascii_uppercase())?;
    Some(Found {
        start: i,
        end: i + 3,
        raw: text,
        mark: Mark::Iso(code),
        alphabetic: true,
    })
}

/// Every currency sign in `chars`, left to right, not overlapping.
pub(crate) fn find_all(chars: &[char]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let found = mark_at(chars, i).or_else(|| {
            chars
                .get(i)
                .filter(|c| c.is_ascii_lowercase())
                .and_then(|_| lowercase_code_at(chars, i))
        });
        match found {
            Some(f) => {
                i = f.end;
                out.push(f);
            }
            None => i += 1,
        }
    }
    out
}

/// The currency that a country uses, for the ambiguous signs only.
pub(crate) fn country_currency(country: &str) -> Option<&'static str> {
    let code = match country.to_ascii_uppercase().as_str() {
        "US" | "EC" | "SV" | "PA" | "PR" => "USD",
        "CA" => "CAD",
        "AU" => "AUD",
        "NZ" => "NZD",
        "SG" => "SGD",
        "HK" => "HKD",
        "TW" => "TWD",
        "MX" => "MXN",
        "AR" => "ARS",
        "CL" => "CLP",
        "CO" => "COP",
        "UY" => "UYU",
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" | "FO" | "GL" => "DKK",
        "IS" => "ISK",
        "JP" => "JPY",
        "CN" => "CNY",
        "IN" => "INR",
        "PK" => "PKR",
        "LK" => "LKR",
        "NP" => "NPR",
        "MU" => "MUR",
        "GB" | "UK" => "GBP",
        "EG" => "EGP",
        "LB" => "LBP",
        _ => return None,
    };
    Some(code)
}

/// The country a bare language subtag most likely means, for the ambiguous signs.
pub(crate) fn language_country(language: &str) -> Option<&'static str> {
    let country = match language.to_ascii_lowercase().as_str() {
        "sv" => "SE",
        "nb" | "nn" | "no" => "NO",
        "da" => "DK",
        "is" => "IS",
        "ja" => "JP",
        "zh" => "CN",
        "hi" => "IN",
        "ur" => "PK",
        "si" => "LK",
        "ne" => "NP",
        "ar" => "EG",
        _ => return None,
    };
    Some(country)
}
