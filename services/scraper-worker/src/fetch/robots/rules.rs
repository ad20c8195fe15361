//! robots.txt rules as RFC 9309 reads them: the group for our product token (else `*`),
//! the longest matching rule wins, `allow` wins a tie, `*` and `$` in patterns.

/// The rules of the group that applies to one user agent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RobotsRules {
    rules: Vec<Rule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    allow: bool,
    pattern: Vec<u8>,
}

impl RobotsRules {
    /// Parses `text` and keeps the rules for `product_token` (case-insensitive), or those
    /// of the `*` groups when no group names it. Matching groups are merged (RFC 9309 §2.2.1).
    pub fn parse(text: &str, product_token: &str) -> Self {
        let mut own = Vec::new();
        let mut star = Vec::new();
        let mut named_us = false;
        // The current group: whether it names us / `*`, and whether its rules started.
        let (mut group_us, mut group_star, mut in_rules) = (false, false, false);
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default().trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let (key, value) = (key.trim(), value.trim());
            if key.eq_ignore_ascii_case("user-agent") {
                if in_rules {
                    (group_us, group_star, in_rules) = (false, false, false);
                }
                if value == "*" {
                    group_star = true;
                } else if !value.is_empty() && token_of(value).eq_ignore_ascii_case(product_token) {
                    group_us = true;
                    named_us = true;
                }
                continue;
            }
            let allow = if key.eq_ignore_ascii_case("allow") {
                true
            } else if key.eq_ignore_ascii_case("disallow") {
                false
            } else {
                continue; // sitemap, crawl-delay, …: not group members here
            };
            in_rules = true;
            if value.is_empty() {
                continue; // `Disallow:` with no path disallows nothing
            }
            let rule = Rule {
                allow,
                pattern: normalize(value),
            };
            if group_us {
                own.push(rule.clone());
            }
            if group_star {
                star.push(rule);
            }
        }
        RobotsRules {
            rules: if named_us { own } else { star },
        }
    }

    /// Whether `path_and_query` (e.g. `/p/1?color=red`, percent-encoded) may be fetched.
    pub fn is_allowed(&self, path_and_query: &str) -> bool {
        if path_and_query == "/robots.txt" {
            return true;
        }
        let path = normalize(path_and_query);
        let mut best: Option<(usize, bool)> = None;
        for rule in &self.rules {
            if matches(&rule.pattern, &path) {
                let len = rule.pattern.len();
                best = match best {
                    Some((best_len, best_allow))
                        if best_len > len || (best_len == len && best_allow) =>
                    {
                        Some((best_len, best_allow))
                    }
                    _ => Some((len, rule.allow)),
                };
            }
        }
        best.is_none_or(|(_, allow)| allow)
    }

    /// A policy that disallows nothing (no robots.txt, or a 4xx for it).
    pub fn allow_all() -> Self {
        RobotsRules::default()
    }
}

/// The product token of a user-agent string: `PriceWatch` in `PriceWatch/1.0 (+url)`.
pub fn token_of(user_agent: &str) -> &str {
    let end = user_agent
        .find(|c: char| !(c.is_ascii_alphabetic() || c == '_' || c == '-'))
        .unwrap_or(user_agent.len());
    &user_agent[..end]
}

/// Percent-encodes what is not ASCII and upper-cases existing escapes, so that rule and
/// path compare octet by octet (RFC 9309 §2.2.2).
fn normalize(raw: &str) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.extend_from_slice(&[
                b'%',
                bytes[i + 1].to_ascii_uppercase(),
                bytes[i + 2].to_ascii_uppercase(),
            ]);
            i += 3;
            continue;
        }
        if b.is_ascii() && !b.is_ascii_control() && b != b' ' {
            out.push(b);
        } else {
            out.extend_from_slice(format!("%{b:02X}").as_bytes());
        }
        i += 1;
    }
    out
}

/// Whether `pattern` matches a prefix of `path` (all of it when the pattern ends in `$`).
fn matches(pattern: &[u8], path: &[u8]) -> bool {
    let (pattern, anchored) = match pattern.strip_suffix(b"$") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    // Classic wildcard matching with one backtrack point: O(len(pattern) * len(path)).
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() && (!anchored || s == path.len()) {
            return true;
        }
        if p < pattern.len() && pattern[p] == b'*' {
            star = Some((p, s));
            p += 1;
        } else if p < pattern.len() && s < path.len() && pattern[p] == path[s] {
            p += 1;
            s += 1;
        } else if let Some((star_p, star_s)) = star.filter(|&(_, star_s)| star_s < path.len()) {
            star = Some((star_p, star_s + 1));
            p = star_p + 1;
            s = star_s + 1;
        } else {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROBOTS: &str = "\
# a comment
User-agent: *
Disallow: /private
Allow: /private/ok

User-Agent: pricewatch
User-agent: otherbot
Disallow: /cart
Allow: /cart/public$
Disallow: /*.pdf$
Disallow: /search*sort=
Sitemap: https://shop.test/sitemap.xml

user-agent: PriceWatch
disallow: /checkout
";

    #[test]
    fn our_groups_are_merged_and_replace_the_star_group() {
        let rules = RobotsRules::parse(ROBOTS, "PriceWatch");
        assert!(
            rules.is_allowed("/private/page"),
            "the * group does not apply to us"
        );
        assert!(!rules.is_allowed("/cart/1"));
        assert!(
            !rules.is_allowed("/checkout"),
            "second matching group is merged"
        );
        assert!(rules.is_allowed("/products/1"));
    }

    #[test]
    fn other_agents_fall_back_to_star_and_longest_match_wins() {
        let rules = RobotsRules::parse(ROBOTS, "SomeBot");
        assert!(!rules.is_allowed("/private/x"));
        assert!(
            rules.is_allowed("/private/ok/1"),
            "longer allow beats shorter disallow"
        );
        assert!(rules.is_allowed("/products/1"));
    }

    #[test]
    fn wildcards_and_end_anchor() {
        let rules = RobotsRules::parse(ROBOTS, "pricewatch");
        assert!(!rules.is_allowed("/docs/manual.pdf"));
        assert!(
            rules.is_allowed("/docs/manual.pdf?download=1"),
            "$ anchors the end"
        );
        assert!(!rules.is_allowed("/search?q=tv&sort=price"));
        assert!(rules.is_allowed("/search?q=tv"));
        assert!(
            rules.is_allowed("/cart/public"),
            "allow$ is longer than disallow /cart"
        );
        assert!(!rules.is_allowed("/cart/public/more"));
    }

    #[test]
    fn allow_wins_a_tie_and_robots_txt_is_always_allowed() {
        let rules = RobotsRules::parse(
            "User-agent: *\nDisallow: /page\nAllow: /page\nDisallow: /\n",
            "x",
        );
        assert!(rules.is_allowed("/page"));
        assert!(!rules.is_allowed("/other"));
        assert!(rules.is_allowed("/robots.txt"));
    }

    #[test]
    fn empty_disallow_and_no_group_allow_everything() {
        assert!(RobotsRules::parse("User-agent: *\nDisallow:\n", "x").is_allowed("/a"));
        assert!(RobotsRules::parse("", "x").is_allowed("/a"));
        assert!(
            RobotsRules::parse("Disallow: /\n", "x").is_allowed("/a"),
            "rules before any user-agent"
        );
    }

    #[test]
    fn percent_encoding_is_normalised() {
        let rules = RobotsRules::parse(
            "User-agent: *\nDisallow: /caf\u{e9}\nDisallow: /a%2fb\n",
            "x",
        );
        assert!(!rules.is_allowed("/caf%C3%A9/menu"));
        assert!(!rules.is_allowed("/a%2Fb"));
    }

    #[test]
    fn product_token() {
        assert_eq!(
            token_of("PriceWatch/0.1 (+https://example.org)"),
            "PriceWatch"
        );
        assert_eq!(token_of("my_bot-2"), "my_bot-");
    }
}
