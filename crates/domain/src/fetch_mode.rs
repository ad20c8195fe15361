//! How a product page is fetched: over plain HTTP, or rendered in a headless
//! browser for shops that build their pages with JavaScript.

use std::fmt;

/// A watch's choice, and the product's (the strongest of its active watches').
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchMode {
    /// HTTP first; the browser only when the page has no price and looks
    /// built by scripts (then remembered for the product).
    #[default]
    Auto,
    /// HTTP only.
    Http,
    /// Always rendered in the browser.
    Browser,
}

impl FetchMode {
    pub const ALL: [FetchMode; 3] = [FetchMode::Auto, FetchMode::Http, FetchMode::Browser];

    pub fn as_str(self) -> &'static str {
        match self {
            FetchMode::Auto => "auto",
            FetchMode::Http => "http",
            FetchMode::Browser => "browser",
        }
    }

    /// `auto`, `http` or `browser`, in any case.
    pub fn parse(raw: &str) -> Result<FetchMode, String> {
        let raw = raw.trim();
        FetchMode::ALL
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| format!("{raw:?} is not a fetch mode: use auto, http or browser"))
    }
}

impl fmt::Display for FetchMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the last check got the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchedWith {
    Http,
    Browser,
}

impl FetchedWith {
    pub fn as_str(self) -> &'static str {
        match self {
            FetchedWith::Http => "http",
            FetchedWith::Browser => "browser",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_back() {
        for mode in FetchMode::ALL {
            assert_eq!(FetchMode::parse(mode.as_str()), Ok(mode));
        }
        assert_eq!(FetchMode::parse(" Browser "), Ok(FetchMode::Browser));
        assert!(FetchMode::parse("chrome").is_err());
        assert_eq!(FetchMode::default(), FetchMode::Auto);
    }
}
