//! Tags group a user's watches ("kitchen", "black-friday"): lower-case letters
//! and digits of any script, `-`, `_` and `.`, 1 to 40 characters, at most
//! [`MAX_TAGS_PER_WATCH`] on one watch.

pub const MAX_TAG_CHARS: usize = 40;
pub const MAX_TAGS_PER_WATCH: usize = 20;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidTag {
    #[error("a tag must not be empty")]
    Empty,
    #[error("a tag is at most {MAX_TAG_CHARS} characters")]
    TooLong,
    #[error("a tag holds letters, digits, '-', '_' and '.', not {0:?}")]
    Character(char),
    #[error("a watch carries at most {MAX_TAGS_PER_WATCH} tags")]
    TooMany,
}

/// One tag, trimmed and lower-cased.
pub fn parse_tag(raw: &str) -> Result<String, InvalidTag> {
    let tag = raw.trim().to_lowercase();
    if tag.is_empty() {
        return Err(InvalidTag::Empty);
    }
    if tag.chars().count() > MAX_TAG_CHARS {
        return Err(InvalidTag::TooLong);
    }
    if let Some(c) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(InvalidTag::Character(c));
    }
    Ok(tag)
}

/// A watch's tags: each parsed, duplicates dropped, sorted.
pub fn parse_tags<S: AsRef<str>>(raw: &[S]) -> Result<Vec<String>, InvalidTag> {
    let mut tags = raw
        .iter()
        .map(|t| parse_tag(t.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    tags.sort();
    tags.dedup();
    if tags.len() > MAX_TAGS_PER_WATCH {
        return Err(InvalidTag::TooMany);
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_bounded() {
        assert_eq!(parse_tag(" Kitchen ").unwrap(), "kitchen");
        assert_eq!(
            parse_tag("black-friday_2026.v2").unwrap(),
            "black-friday_2026.v2"
        );
        assert_eq!(parse_tag("Küche").unwrap(), "küche");
        assert_eq!(parse_tag(""), Err(InvalidTag::Empty));
        assert_eq!(parse_tag("a b"), Err(InvalidTag::Character(' ')));
        assert_eq!(parse_tag("a,b"), Err(InvalidTag::Character(',')));
        assert_eq!(parse_tag(&"x".repeat(41)), Err(InvalidTag::TooLong));
        assert_eq!(
            parse_tags(&["b", "A", "a"]).unwrap(),
            vec!["a".to_owned(), "b".to_owned()]
        );
        let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(parse_tags(&many), Err(InvalidTag::TooMany));
    }
}
