//! Korean and English. Every label, explanation and event message is written in both, side
//! by side where it is used (`lang.pick(en, ko)`, or a `match` for sentences with values),
//! so a missing translation is a compile error, not a runtime gap. Kafka's own identifiers
//! (property names, error codes, metric names, class names) stay as Kafka spells them in
//! both languages.

/// The language on screen. The choice is remembered in `localStorage`; the first visit
/// follows the browser's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Ko,
}

const STORAGE_KEY: &str = "kafka-lab.lang";

impl Lang {
    /// The text for this language.
    pub fn pick<'a>(self, en: &'a str, ko: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Ko => ko,
        }
    }

    /// The BCP 47 tag, for `<html lang>` and `localStorage`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "en" => Some(Lang::En),
            "ko" => Some(Lang::Ko),
            _ => None,
        }
    }

    /// The other language: what the switch offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::En => Lang::Ko,
            Lang::Ko => Lang::En,
        }
    }

    /// The remembered choice, else the browser's language (Korean for `ko-*`).
    pub fn load() -> Lang {
        let window = web_sys::window();
        let stored = window
            .as_ref()
            .and_then(|w| w.local_storage().ok().flatten())
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .and_then(|c| Lang::parse(&c));
        stored.unwrap_or_else(|| {
            let browser = window.and_then(|w| w.navigator().language());
            match browser {
                Some(l) if l.starts_with("ko") => Lang::Ko,
                _ => Lang::En,
            }
        })
    }

    /// Remembers the choice and tells the page (screen readers, fonts, hyphenation).
    pub fn save(self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        if let Some(storage) = window.local_storage().ok().flatten() {
            // Private windows may refuse storage; the switch still works for this visit.
            let _ = storage.set_item(STORAGE_KEY, self.code());
        }
        self.apply_to_document();
    }

    /// Sets `<html lang>` and the page title to this language.
    pub fn apply_to_document(self) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(root) = document.document_element() {
            let _ = root.set_attribute("lang", self.code());
        }
        document.set_title(self.pick(
            "Kafka Lab — watch a Kafka producer send",
            "Kafka Lab — 카프카 프로듀서 내부를 눈으로",
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in [Lang::En, Lang::Ko] {
            assert_eq!(Lang::parse(lang.code()), Some(lang));
            assert_eq!(lang.other().other(), lang);
        }
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Ko.pick("send", "전송"), "전송");
    }
}
