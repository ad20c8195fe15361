//! Microdata while scanning: the item an element belongs to, and the
//! properties read into it.

use super::*;

impl Scanner<'_> {
    pub(super) fn nearest_item(&self) -> Option<usize> {
        // Each frame carries its nearest item: no walk down the stack.
        self.frames.last().and_then(|f| f.item)
    }

    pub(super) fn loose_item(&mut self) -> usize {
        if let Some(i) = self.page.micro.iter().position(|m| {
            m.kind == MicroKind::Other
                && m.parent.is_none()
                && m.props.iter().all(|p| p.name != "__scope")
        }) {
            return i;
        }
        self.page.micro.push(MicroItem {
            kind: MicroKind::Other,
            parent: None,
            props: Vec::new(),
        });
        self.page.micro.len() - 1
    }

    pub(super) fn add_prop(&mut self, item: Option<usize>, name: &str, value: &str, decoy: bool) {
        if self.micro_props >= MAX_MICRO_PROPS || value.trim().is_empty() {
            return;
        }
        let item = item.unwrap_or_else(|| self.loose_item());
        if let Some(it) = self.page.micro.get_mut(item) {
            it.props.push(MicroProp {
                name: name.to_owned(),
                value: value.trim().to_owned(),
                decoy,
            });
            self.micro_props += 1;
        }
    }
}
