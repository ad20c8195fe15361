//! Decimal digits of every script (Unicode category Nd), read as ASCII digits.
//!
//! Shops and locale formatters print prices in their script's digits: Persian
//! `۱۲۳٫۴۵`, Bengali `১,২৩৪.৫৬`, Devanagari `१,२३४.५६`, Burmese, N'Ko, Adlam…
//! Unicode lays out each script's digits as ten consecutive code points, so the
//! code point of each script's zero is enough to read them.

/// The zero of every block of ten decimal digits (Unicode 15), sorted, ASCII excluded.
const ZEROS: [u32; 67] = [
    0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
    0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
    0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10,
    0x104A0, 0x10D30, 0x11066, 0x110F0, 0x11136, 0x111D0, 0x112F0, 0x11450, 0x114D0, 0x11650,
    0x116C0, 0x11730, 0x118E0, 0x11950, 0x11C50, 0x11D50, 0x11DA0, 0x11F50, 0x16A60, 0x16AC0,
    0x16B50, 0x1D7CE, 0x1D7D8, 0x1D7E2, 0x1D7EC, 0x1D7F6, 0x1E140, 0x1E2F0, 0x1E4F0, 0x1E950,
    0x1FBF0,
];

/// The ASCII digit a decimal digit of any script stands for.
pub(crate) fn to_ascii(c: char) -> Option<char> {
    if c.is_ascii_digit() {
        return Some(c);
    }
    let code = u32::from(c);
    if code < 0x0660 {
        return None;
    }
    let at = ZEROS.partition_point(|zero| *zero <= code).checked_sub(1)?;
    let value = code - ZEROS.get(at)?;
    u8::try_from(value)
        .ok()
        .filter(|v| *v < 10)
        .map(|v| char::from(b'0' + v))
}

/// Whether `c` is a decimal digit in any script.
pub(crate) fn is_digit(c: char) -> bool {
    to_ascii(c).is_some()
}

/// Whether `text` holds a decimal digit of any script (ASCII looked at first).
pub(crate) fn has_digit(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_digit()) || (!text.is_ascii() && text.chars().any(is_digit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_block_reads_zero_to_nine() {
        assert!(ZEROS.is_sorted());
        for zero in ZEROS {
            for value in 0..10u32 {
                let c = char::from_u32(zero + value).unwrap();
                assert!(c.is_numeric(), "{c:?} is not numeric");
                assert_eq!(to_ascii(c), char::from_digit(value, 10), "{c:?}");
            }
        }
    }

    #[test]
    fn scripts_read_as_ascii() {
        let read = |s: &str| {
            s.chars()
                .map(|c| to_ascii(c).unwrap_or('?'))
                .collect::<String>()
        };
        assert_eq!(read("۱۲۳٤"), "1234"); // Persian digits, then an Arabic-Indic four
        assert_eq!(read("১২৩৪"), "1234");
        assert_eq!(read("१२३४"), "1234");
        assert_eq!(read("߁߂߃"), "123");
        assert_eq!(read("𞥑𞥒𞥓"), "123");
        assert_eq!(read("၁၂၃"), "123");
        assert_eq!(read("๑๒๓"), "123");
        assert_eq!(read("0159"), "0159");
    }

    #[test]
    fn other_characters_are_no_digits() {
        for c in [
            'a', '.', ',', '٫', '٬', '€', '½', '²', 'Ⅳ', '一', '\u{065F}', '\u{066A}',
        ] {
            assert_eq!(to_ascii(c), None, "{c:?}");
        }
    }
}
