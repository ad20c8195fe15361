//! The stock state a visible text states, in the shop languages: pre-order,
//! out of stock, back order and in stock, asked in that order.

use super::Availability;
use crate::price::words::WordList;

/// Stock state from visible text; negative phrases are checked first
/// (`nicht auf Lager` contains `auf Lager`).
pub fn availability_from_text(text: &str) -> Availability {
    let lower = text.to_lowercase();
    // All four lists in one pass, then asked in order.
    let found = STOCK_WORDS.mask(&lower);
    let more = MORE_STOCK_WORDS.mask(&lower);
    if found & PRE_ORDER_BITS != 0 {
        Availability::PreOrder
    } else if found & OUT_OF_STOCK_BITS != 0 || more & MORE_OUT_BITS != 0 {
        Availability::OutOfStock
    } else if found & BACK_ORDER_BITS != 0 {
        Availability::BackOrder
    } else if found & IN_STOCK_BITS != 0 || more & MORE_IN_BITS != 0 {
        Availability::InStock
    } else {
        Availability::Unknown
    }
}

const OUT_OF_STOCK: &[&str] = &[
    "out of stock",
    "sold out",
    "currently unavailable",
    "not available",
    "unavailable",
    "no longer available",
    "notify me",
    "email me when",
    "nicht auf lager",
    "nicht verfügbar",
    "nicht lieferbar",
    "ausverkauft",
    "vergriffen",
    "derzeit nicht",
    "rupture de stock",
    "épuisé",
    "epuise",
    "indisponible",
    "non disponible",
    "plus disponible",
    "agotado",
    "sin stock",
    "no disponible",
    "esaurito",
    "non disponibile",
    "esgotado",
    "indisponível",
    "uitverkocht",
    "niet op voorraad",
    "niet leverbaar",
    "brak w magazynie",
    "niedostępny",
    "wyprzedany",
    "vyprodáno",
    "není skladem",
    "nedostupné",
    "нет в наличии",
    "закончился",
    "немає в наявності",
    "slutsåld",
    "ej i lager",
    "utsolgt",
    "ikke på lager",
    "udsolgt",
    "在庫切れ",
    "品切れ",
    "缺货",
    "tükendi",
    "stokta yok",
    "ناموجود",
    "غير متوفر",
    "স্টকে নেই",
    "স্টক শেষ",
    "स्टॉक में नहीं",
    "उपलब्ध नहीं",
];
const PRE_ORDER: &[&str] = &[
    "pre-order",
    "preorder",
    "pre order",
    "vorbestellen",
    "vorbestellung",
    "précommande",
    "precommande",
    "précommander",
    "reserva",
    "preordina",
    "przedsprzedaż",
    "předobjednávka",
    "предзаказ",
    "förbeställ",
    "予約",
];
const BACK_ORDER: &[&str] = &[
    "backorder",
    "back-order",
    "back order",
    "nachbestellt",
    "en réapprovisionnement",
];
const IN_STOCK: &[&str] = &[
    "in stock",
    "available",
    "add to cart",
    "add to basket",
    "add to bag",
    "buy now",
    "auf lager",
    "lieferbar",
    "sofort verfügbar",
    "verfügbar",
    "in den warenkorb",
    "en stock",
    "disponible",
    "ajouter au panier",
    "añadir al carrito",
    "en existencia",
    "disponibile",
    "aggiungi al carrello",
    "em estoque",
    "op voorraad",
    "in winkelwagen",
    "w magazynie",
    "dostępny",
    "do koszyka",
    "skladem",
    "do košíku",
    "в наличии",
    "в корзину",
    "є в наявності",
    "i lager",
    "på lager",
    "lägg i varukorgen",
    "在庫あり",
    "有货",
    "stokta",
    "موجود",
    "متوفر",
    "স্টকে আছে",
    "स्टॉक में है",
    "उपलब्ध",
];

/// Phrases of the shop languages beyond the first lists (a word list holds at
/// most 128 words): sold out first, then in stock.
const MORE_OUT_OF_STOCK: &[&str] = &[
    "notify me when",
    "when back in stock",
    "temporarily out",
    "currently out",
    "no stock",
    "me prévenir",
    "m'alerter",
    "m'avertir",
    "en rupture",
    "benachrichtigen",
    "nicht vorrätig",
    "zur zeit nicht",
    "avísame",
    "fuera de stock",
    "sin existencias",
    "agotados",
    "avvisami",
    "non è disponibile",
    "esauriti",
    "niet beschikbaar",
    "tijdelijk niet",
    "houd me op de hoogte",
    "chwilowo niedostępny",
    "powiadom mnie",
    "produkt niedostępny",
    "brak towaru",
    "avise-me",
    "fora de estoque",
    "sem estoque",
    "sem stock",
    "indisponivel",
];
const MORE_IN_STOCK: &[&str] = &[
    "back in stock",
    "ships in",
    "ready to ship",
    "add to shopping cart",
    "en existencias",
    "añadir a la cesta",
    "añadir al carro",
    "disponibilità immediata",
    "metti nel carrello",
    "in winkelmand",
    "leverbaar",
    "dodaj do koszyka",
    "na stanie",
    "disponível",
    "em stock",
    "adicionar ao carrinho",
    "comprar agora",
];
const MORE_STOCK_ALL: [&str; MORE_OUT_OF_STOCK.len() + MORE_IN_STOCK.len()] = {
    let mut out = [""; MORE_OUT_OF_STOCK.len() + MORE_IN_STOCK.len()];
    let mut i = 0;
    while i < MORE_OUT_OF_STOCK.len() {
        out[i] = MORE_OUT_OF_STOCK[i];
        i += 1;
    }
    let mut j = 0;
    while j < MORE_IN_STOCK.len() {
        out[i + j] = MORE_IN_STOCK[j];
        j += 1;
    }
    out
};
static MORE_STOCK_WORDS: WordList = WordList::new(&MORE_STOCK_ALL);
const MORE_OUT_BITS: u128 = span(0, MORE_OUT_OF_STOCK.len());
const MORE_IN_BITS: u128 = span(MORE_OUT_OF_STOCK.len(), MORE_IN_STOCK.len());

/// The four stock lists one after the other: pre-order, out of stock, back
/// order, in stock.
const STOCK_ALL: [&str; STOCK_LEN] = {
    let lists = [PRE_ORDER, OUT_OF_STOCK, BACK_ORDER, IN_STOCK];
    let mut out = [""; STOCK_LEN];
    let mut n = 0;
    let mut l = 0;
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            out[n] = lists[l][i];
            n += 1;
            i += 1;
        }
        l += 1;
    }
    out
};
const STOCK_LEN: usize = PRE_ORDER.len() + OUT_OF_STOCK.len() + BACK_ORDER.len() + IN_STOCK.len();
static STOCK_WORDS: WordList = WordList::new(&STOCK_ALL);
/// Bits of `STOCK_WORDS.mask` for each list.
const fn span(from: usize, len: usize) -> u128 {
    let mut bits = 0u128;
    let mut i = from;
    while i < from + len {
        bits |= 1u128 << i;
        i += 1;
    }
    bits
}
const PRE_ORDER_BITS: u128 = span(0, PRE_ORDER.len());
const OUT_OF_STOCK_BITS: u128 = span(PRE_ORDER.len(), OUT_OF_STOCK.len());
const BACK_ORDER_BITS: u128 = span(PRE_ORDER.len() + OUT_OF_STOCK.len(), BACK_ORDER.len());
const IN_STOCK_BITS: u128 = span(
    PRE_ORDER.len() + OUT_OF_STOCK.len() + BACK_ORDER.len(),
    IN_STOCK.len(),
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_reads_schema_values_and_text() {
        assert_eq!(
            Availability::from_schema("https://schema.org/InStock"),
            Availability::InStock
        );
        assert_eq!(
            Availability::from_schema("http://schema.org/OutOfStock"),
            Availability::OutOfStock
        );
        assert_eq!(
            Availability::from_schema("PreOrder"),
            Availability::PreOrder
        );
        assert_eq!(Availability::from_schema("oos"), Availability::OutOfStock);
        assert_eq!(
            availability_from_text("Nicht auf Lager"),
            Availability::OutOfStock
        );
        assert_eq!(
            availability_from_text("Auf Lager, Lieferung 1-2 Tage"),
            Availability::InStock
        );
        assert_eq!(
            availability_from_text("Rupture de stock"),
            Availability::OutOfStock
        );
        assert_eq!(availability_from_text("В наличии"), Availability::InStock);
        for (text, want) in [
            ("موجود در انبار", Availability::InStock),
            ("ناموجود", Availability::OutOfStock),
            ("المنتج غير متوفر حاليا", Availability::OutOfStock),
            ("متوفر", Availability::InStock),
            ("স্টকে আছে", Availability::InStock),
            ("স্টক শেষ", Availability::OutOfStock),
            ("स्टॉक में नहीं है", Availability::OutOfStock),
            ("स्टॉक में है", Availability::InStock),
        ] {
            assert_eq!(availability_from_text(text), want, "{text}");
        }
        assert_eq!(
            availability_from_text("Jetzt vorbestellen"),
            Availability::PreOrder
        );
    }

    #[test]
    fn stock_text_reads_like_the_four_lists_in_turn() {
        let reference = |text: &str| {
            let lower = text.to_lowercase();
            let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
            if has(PRE_ORDER) {
                Availability::PreOrder
            } else if has(OUT_OF_STOCK) || has(MORE_OUT_OF_STOCK) {
                Availability::OutOfStock
            } else if has(BACK_ORDER) {
                Availability::BackOrder
            } else if has(IN_STOCK) || has(MORE_IN_STOCK) {
                Availability::InStock
            } else {
                Availability::Unknown
            }
        };
        let mut texts: Vec<String> = STOCK_ALL.iter().map(|w| w.to_uppercase()).collect();
        texts.extend(STOCK_ALL.iter().map(|w| format!("x {w} y")));
        texts.extend(MORE_STOCK_ALL.iter().map(|w| format!("x {w} y")));
        texts.extend(
            [
                "",
                "Add to cart · Sold out",
                "Pre-order, in stock soon",
                "nothing",
            ]
            .map(String::from),
        );
        for text in &texts {
            assert_eq!(availability_from_text(text), reference(text), "{text:?}");
        }
        assert_eq!(
            PRE_ORDER_BITS | OUT_OF_STOCK_BITS | BACK_ORDER_BITS | IN_STOCK_BITS,
            span(0, STOCK_LEN)
        );
    }
}
