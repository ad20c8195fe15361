//! The streaming scanner: what each token does to the element stack, the
//! open captures, the candidates, JSON-LD, microdata and meta tags.

use super::*;

impl<'s> Scanner<'s> {
    pub(super) fn flags(&self) -> u16 {
        self.frames.last().map_or(0, |f| f.flags & INHERITED)
    }

    pub(super) fn open(&mut self, kind: CaptureKind) {
        if self.captures.len() < MAX_OPEN_CAPTURES {
            self.captures.push(Capture {
                depth: self.frames.len(),
                kind,
                buf: String::new(),
                hidden_buf: String::new(),
                pending_fraction: false,
            });
        }
    }

    pub(super) fn pop_frame(&mut self) {
        self.frames.pop();
        let depth = self.frames.len();
        while self.captures.last().is_some_and(|c| c.depth > depth) {
            if let Some(capture) = self.captures.pop() {
                self.finish(capture);
            }
        }
    }

    pub(super) fn finish(&mut self, capture: Capture) {
        let text = if digits::has_digit(&capture.buf) || capture.hidden_buf.is_empty() {
            capture.buf.trim().to_owned()
        } else {
            capture.hidden_buf.trim().to_owned()
        };
        match capture.kind {
            CaptureKind::Price(mut candidate) => {
                if digits::has_digit(&text) && self.page.candidates.len() < MAX_CANDIDATES {
                    candidate.text = text;
                    self.page.candidates.push(candidate);
                }
            }
            CaptureKind::ItemProp { item, name, decoy } => {
                self.add_prop(Some(item), &name, &text, decoy)
            }
            CaptureKind::Stock => {
                if !text.is_empty() && self.page.stock_texts.len() < 64 {
                    self.page.stock_texts.push(text);
                }
            }
            CaptureKind::Selector(path) => {
                if self.page.selector_hits.len() < 16 {
                    self.page.selector_hits.push((text, path));
                }
            }
            CaptureKind::Fraction => {
                let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
                if let Some(last) = self.page.candidates.last_mut()
                    && !digits.is_empty()
                    && digits.len() <= 2
                    && last.text.ends_with(|c: char| c.is_ascii_digit())
                    && !last.text.contains(['.', ','])
                {
                    last.text.push('.');
                    last.text.push_str(&digits);
                }
            }
            CaptureKind::Heading => {
                // The heading's frame is gone: its parent is at `depth - 2`.
                if signals::is_rail_heading(&text)
                    && let Some(at) = capture.depth.checked_sub(2)
                    && at >= 2
                    && let Some(frame) = self.frames.get_mut(at)
                    && !matches!(&*frame.name, "body" | "main" | "html" | "form")
                {
                    frame.flags |= ELSEWHERE;
                }
            }
            CaptureKind::H1 => {
                self.seen_h1 = true;
                if self.page.h1.is_none() && !text.is_empty() {
                    self.page.h1 = Some(text);
                }
            }
        }
    }

    pub(super) fn text(&mut self, text: &str) {
        match self.raw {
            Raw::JsonLd => {
                if self.jsonld_bytes + text.len() <= MAX_JSONLD_BYTES {
                    self.jsonld_bytes += text.len();
                    self.raw_buf.push_str(text);
                }
                return;
            }
            Raw::Title => {
                push_bounded(&mut self.raw_buf, text, 1024);
                return;
            }
            Raw::Ignore => return,
            Raw::No => {}
        }
        if self.page.visible_head.len() < VISIBLE_HEAD_BYTES && !text.trim().is_empty() {
            push_bounded(&mut self.page.visible_head, text, VISIBLE_HEAD_BYTES);
            self.page.visible_head.push(' ');
        }
        let mut in_price = false;
        let here = self.flags();
        // A price capture's text is dropped at its end once the list is full.
        let full = self.page.candidates.len() >= MAX_CANDIDATES;
        for capture in &mut self.captures {
            if let CaptureKind::Price(c) = &capture.kind {
                in_price = true;
                if full {
                    continue;
                }
                // `<div class=price><s>$99</s> $79</div>`: the struck part is not this price.
                if here & (DECOY | STRUCK) != 0 && !c.decoy && !c.struck {
                    continue;
                }
                // `<span class=sr-only>$15</span><span aria-hidden=true>$15</span>`:
                // the hidden copy is kept apart, never joined into `15.15`.
                if here & HIDDEN != 0 && !c.hidden {
                    push_bounded(&mut capture.hidden_buf, text, MAX_CAPTURE_CHARS);
                    continue;
                }
            }
            if capture.pending_fraction {
                capture.pending_fraction = false;
                let trimmed = text.trim_start();
                if capture.buf.ends_with(|c: char| c.is_ascii_digit())
                    && trimmed.starts_with(|c: char| c.is_ascii_digit())
                {
                    capture.buf.push('.');
                    push_bounded(&mut capture.buf, trimmed, MAX_CAPTURE_CHARS);
                    continue;
                }
            }
            push_bounded(&mut capture.buf, text, MAX_CAPTURE_CHARS);
        }
        if !in_price && !self.text_run_long {
            if self.text_run.len() + text.len() <= MAX_TEXT_RUN {
                self.text_run.push_str(text);
            } else {
                self.text_run_long = true;
            }
        }
    }

    /// A price-like text between two tags becomes a candidate; called before
    /// every tag, so the flags are those the text was read under.
    pub(super) fn flush_text_run(&mut self) {
        let long = std::mem::take(&mut self.text_run_long);
        if self.text_run.is_empty() {
            return;
        }
        let run = std::mem::take(&mut self.text_run);
        let text = run.as_str();
        if !long
            && self.opened_h1
            && self.page.after_title_text.len() + text.len() < AFTER_TITLE_BYTES
            && self.flags() & (HIDDEN | ELSEWHERE) == 0
        {
            let trimmed = text.trim();
            if !trimmed.is_empty() {
                self.page.after_title_text.push_str(trimmed);
                self.page.after_title_text.push('\n');
            }
        }
        if !long && self.page.candidates.len() < MAX_CANDIDATES && has_price_cue(text) {
            let flags = self.flags();
            self.order += 1;
            let label = self
                .frames
                .last()
                .map(|f| f.name.to_string())
                .unwrap_or_default();
            self.page.candidates.push(Candidate {
                text: text.trim().to_owned(),
                path: format!("{label} (text)"),
                order: self.order,
                decoy: flags & DECOY != 0,
                struck: flags & STRUCK != 0,
                hidden: flags & HIDDEN != 0,
                elsewhere: flags & ELSEWHERE != 0,
                current: flags & CURRENT != 0,
                after_h1: self.seen_h1,
                before_h1: !self.opened_h1,
                ..Candidate::default()
            });
        }
        // The buffer is kept for the next run.
        self.text_run = run;
        self.text_run.clear();
    }

    pub(super) fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        self.flush_text_run();
        let name: &str = &tag.name;
        if self.overflow > 0 || self.frames.len() >= MAX_DEPTH {
            if !is_void(name) && !tag.self_closing {
                self.overflow += 1;
            }
            return TokenSinkResult::Continue;
        }
        if matches!(
            name,
            "p" | "li" | "option" | "tr" | "td" | "th" | "dd" | "dt"
        ) && self.frames.last().is_some_and(|f| f.name == tag.name)
        {
            self.pop_frame();
        }
        let attrs = Attrs::read(tag);
        let class = attrs.class.unwrap_or("");
        let id = attrs.id.unwrap_or("");
        let itemprop = attrs.itemprop;
        let style = attrs.style.unwrap_or("");
        let mut result = TokenSinkResult::Continue;

        match name {
            "html" => self.page.lang = attrs.lang.map(str::to_owned),
            "meta" => {
                let key = attrs.property.or(attrs.name).or(attrs.http_equiv);
                if let (Some(key), Some(content)) = (key, attrs.content)
                    && self.page.metas.len() < MAX_METAS
                {
                    self.page
                        .metas
                        .push((key.trim().to_ascii_lowercase(), content.trim().to_owned()));
                }
            }
            "link"
                if attrs
                    .rel
                    .is_some_and(|r| r.eq_ignore_ascii_case("canonical")) =>
            {
                self.page.canonical = attrs.href.map(str::to_owned);
            }
            "script" => {
                let is_ld = attrs
                    .kind
                    .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"));
                if let Some(src) = attrs.src {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(src));
                }
                self.raw = if is_ld { Raw::JsonLd } else { Raw::Ignore };
                self.raw_buf.clear();
                result = TokenSinkResult::RawData(RawKind::ScriptData);
            }
            "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
                if let Some(src) = attrs.src {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(src));
                }
                self.raw = Raw::Ignore;
                result = TokenSinkResult::RawData(RawKind::Rawtext);
            }
            "title" | "textarea" => {
                let first_title = name == "title" && self.page.title.is_none();
                self.raw = if first_title { Raw::Title } else { Raw::Ignore };
                self.raw_buf.clear();
                result = TokenSinkResult::RawData(RawKind::Rcdata);
            }
            "form" => {
                if let Some(action) = attrs.action {
                    self.page.wall = self.page.wall.max(signals::wall_from_markup(action));
                }
            }
            _ => {}
        }
        let names = self.class_cache.classify(class, &mut self.lower_buf)
            | signals::classify(id, &mut self.lower_buf);
        if names & signals::WALL != 0 {
            let wall = signals::wall_from_markup(id).max(signals::wall_from_markup(class));
            self.page.wall = self.page.wall.max(wall);
        }

        let decoy_attr = attrs
            .data_price_type
            .is_some_and(|t| signals::is_decoy_name(t) || t.to_ascii_lowercase().contains("old"));
        let mut own = 0u16;
        if matches!(name, "s" | "del" | "strike") || signals::is_struck_style(style) {
            own |= STRUCK;
        }
        if attrs.hidden.is_some()
            || names & signals::SR_ONLY != 0
            || (!style.is_empty() && signals::is_hidden_style(style))
        {
            own |= HIDDEN;
        }
        if names & signals::DECOY != 0 || decoy_attr {
            own |= DECOY;
        }
        // `add-to-cart` says "cart" but is the product's own buy box.
        if matches!(name, "header" | "nav" | "footer" | "aside")
            || (names & signals::ELSEWHERE != 0 && names & signals::BUY == 0)
        {
            own |= ELSEWHERE;
        }
        if names & signals::CURRENT != 0 {
            own |= CURRENT;
        }
        let flags = self.flags() | own;
        if flags & (HIDDEN | ELSEWHERE) == 0
            && (names & signals::BUY != 0
                || (matches!(name, "img" | "input")
                    && attrs.alt.or(attrs.value).is_some_and(signals::is_buy_text)))
        {
            self.page.buy_button = true;
        }

        // Microdata.
        let mut item = None;
        let scope_parent = self.nearest_item();
        if attrs.itemscope.is_some() {
            let itemtype = attrs.itemtype.unwrap_or("");
            let kind = if itemtype.contains("Product") {
                MicroKind::Product
            } else if itemtype.contains("Offer") {
                MicroKind::Offer
            } else {
                MicroKind::Other
            };
            if self.page.micro.len() < 256 {
                self.page.micro.push(MicroItem {
                    kind,
                    parent: scope_parent,
                    props: vec![MicroProp {
                        name: "__scope".into(),
                        value: String::new(),
                        decoy: false,
                    }],
                });
                item = Some(self.page.micro.len() - 1);
            }
        } else if let Some(props) = itemprop {
            let value = attrs
                .content
                .or(attrs.href)
                .or(attrs.src)
                .or(attrs.value)
                .or(attrs.datetime);
            let decoy = flags & (DECOY | STRUCK) != 0;
            for prop in props.split_ascii_whitespace().take(4) {
                match value {
                    Some(v) => self.add_prop(scope_parent, prop, v, decoy),
                    None if !is_void(name) && !tag.self_closing => {
                        let target = match scope_parent {
                            Some(i) => i,
                            None => self.loose_item(),
                        };
                        self.frames_push_pending(name, tag, flags, item);
                        self.open(CaptureKind::ItemProp {
                            item: target,
                            name: prop.to_owned(),
                            decoy,
                        });
                        self.after_push(name, tag, class, id, flags, names);
                        return result;
                    }
                    None => {}
                }
            }
        }

        if is_void(name) || tag.self_closing {
            if is_block(name) {
                self.captures
                    .iter_mut()
                    .for_each(|c| push_bounded(&mut c.buf, " ", MAX_CAPTURE_CHARS));
            }
            if name == "input"
                && flags & (HIDDEN | ELSEWHERE) == 0
                && attrs.kind.is_some_and(|t| t.eq_ignore_ascii_case("submit"))
                && let Some(v) = attrs.value
            {
                self.page.stock_texts.push(v.to_owned());
            }
            return result;
        }
        self.frames_push_pending(name, tag, flags, item);
        self.after_push(name, tag, class, id, flags, names);
        result
    }

    pub(super) fn frames_push_pending(
        &mut self,
        name: &str,
        tag: &Tag,
        flags: u16,
        item: Option<usize>,
    ) {
        let info = self.selector.map(|_| ElementInfo {
            name: name.to_ascii_lowercase(),
            attrs: tag
                .attrs
                .iter()
                .map(|a| (a.name.local.to_string(), a.value.to_string()))
                .collect(),
        });
        let item = item.or_else(|| self.nearest_item());
        self.frames.push(Frame {
            name: tag.name.clone(),
            flags,
            item,
            info,
        });
    }

    /// Opens the captures that the element just pushed starts.
    pub(super) fn after_push(
        &mut self,
        name: &str,
        tag: &Tag,
        class: &str,
        id: &str,
        flags: u16,
        names: u16,
    ) {
        if is_block(name) {
            self.captures
                .iter_mut()
                .for_each(|c| push_bounded(&mut c.buf, " ", MAX_CAPTURE_CHARS));
        }
        let attr = |key: &str| {
            tag.attrs
                .iter()
                .find(|a| &*a.name.local == key)
                .map(|a| &*a.value)
        };
        if let Some(selector) = self.selector {
            let chain: Vec<ElementInfo> =
                self.frames.iter().filter_map(|f| f.info.clone()).collect();
            if selector.matches(&chain) {
                let path = format!(
                    "{name}{}{}",
                    if id.is_empty() {
                        String::new()
                    } else {
                        format!("#{id}")
                    },
                    class
                        .split_ascii_whitespace()
                        .map(|c| format!(".{c}"))
                        .collect::<String>()
                );
                match attr("content")
                    .or_else(|| attr("data-price"))
                    .or_else(|| attr("value"))
                {
                    Some(v) if self.page.selector_hits.len() < 16 => {
                        self.page.selector_hits.push((v.to_owned(), path))
                    }
                    _ => self.open(CaptureKind::Selector(path)),
                }
            }
        }
        if name == "h1" && !self.seen_h1 {
            self.opened_h1 = true;
            self.open(CaptureKind::H1);
        }
        // Hidden templates and other products' badges say nothing of this one's stock.
        if (names & signals::STOCK != 0 || name == "button") && flags & (HIDDEN | ELSEWHERE) == 0 {
            self.open(CaptureKind::Stock);
        }
        if matches!(name, "h2" | "h3" | "h4" | "h5" | "h6") {
            self.open(CaptureKind::Heading);
        }
        let fraction = names & signals::FRACTION != 0 || name == "sup";
        if fraction {
            let mut open_price = false;
            for capture in &mut self.captures {
                if matches!(capture.kind, CaptureKind::Price(_)) {
                    capture.pending_fraction = true;
                    open_price = true;
                }
            }
            if !open_price && names & signals::FRACTION != 0 {
                self.open(CaptureKind::Fraction);
            }
        }
        let data_price = tag.attrs.iter().find(|a| {
            let n: &str = &a.name.local;
            matches!(
                n,
                "data-price" | "data-price-amount" | "data-product-price" | "data-sale-price"
            )
        });
        let price_named = names & signals::PRICE != 0;
        if !(price_named || data_price.is_some()) || fraction {
            return;
        }
        self.order += 1;
        // Candidates are only ever added: once the list is full, this one can
        // never be kept, so its path is not written (on big pages most are not).
        let room = self.page.candidates.len() < MAX_CANDIDATES;
        let candidate = Candidate {
            path: if room {
                element_path(name, id, class)
            } else {
                String::new()
            },
            order: self.order,
            price_named: true,
            decoy: flags & DECOY != 0,
            struck: flags & STRUCK != 0,
            hidden: flags & HIDDEN != 0,
            elsewhere: flags & ELSEWHERE != 0,
            current: flags & CURRENT != 0,
            after_h1: self.seen_h1,
            before_h1: !self.opened_h1,
            ..Candidate::default()
        };
        if let Some(a) = data_price
            && room
        {
            let path = format!("{}[{}]", candidate.path, &*a.name.local);
            self.page.candidates.push(Candidate {
                text: a.value.to_string(),
                path,
                from_attribute: true,
                ..candidate.clone()
            });
        }
        let open_prices = self
            .captures
            .iter()
            .filter(|c| matches!(c.kind, CaptureKind::Price(_)))
            .count();
        if price_named && open_prices < 4 {
            self.open(CaptureKind::Price(candidate));
        }
    }

    pub(super) fn end(&mut self, tag: &Tag) {
        self.flush_text_run();
        match std::mem::take(&mut self.raw) {
            Raw::JsonLd => {
                let body = std::mem::take(&mut self.raw_buf);
                self.page.jsonld.push(body);
            }
            Raw::Title => {
                let title = std::mem::take(&mut self.raw_buf);
                self.page.wall = self.page.wall.max(signals::wall_from_title(&title));
                self.page.title = Some(title.trim().to_owned());
            }
            Raw::Ignore | Raw::No => {}
        }
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let found = self
            .frames
            .iter()
            .rev()
            .take(CLOSE_SEARCH)
            .position(|f| f.name == tag.name);
        if let Some(from_top) = found {
            for _ in 0..=from_top {
                self.pop_frame();
            }
        }
    }

    pub(super) fn finish_page(mut self) -> PageScan {
        self.flush_text_run();
        while !self.frames.is_empty() {
            self.pop_frame();
        }
        while let Some(capture) = self.captures.pop() {
            self.finish(capture);
        }
        if self.raw == Raw::JsonLd {
            self.page.jsonld.push(std::mem::take(&mut self.raw_buf));
        }
        self.page
    }
}
