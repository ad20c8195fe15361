//! Words that find the main product area: the buy button drawn as an image or
//! an input, and the headings of rails that show other products.

use crate::price::words::WordList;

/// Headings of the rails that show other products than the page's own
/// ("Customers also bought"), in the shop languages.
static RAIL_HEADINGS: WordList = WordList::new(&[
    "also bought",
    "also viewed",
    "also purchased",
    "customers who",
    "you may also",
    "you might also",
    "related products",
    "related items",
    "similar products",
    "similar items",
    "recommended",
    "recommendations",
    "sponsored",
    "recently viewed",
    "frequently bought",
    "vous aimerez",
    "produits similaires",
    "articles similaires",
    "produits associés",
    "ont aussi acheté",
    "ont également acheté",
    "sponsorisé",
    "récemment consultés",
    "kunden kauften",
    "kunden, die",
    "ähnliche produkte",
    "ähnliche artikel",
    "könnte ihnen auch",
    "passende artikel",
    "passendes zubehör",
    "zuletzt angesehen",
    "gesponsert",
    "auch interessant",
    "empfehlungen",
    "también te puede",
    "te puede interesar",
    "productos relacionados",
    "productos similares",
    "clientes también",
    "patrocinado",
    "vistos recientemente",
    "potrebbe interessarti",
    "ti potrebbe",
    "prodotti correlati",
    "prodotti simili",
    "hanno acquistato anche",
    "sponsorizzat",
    "visti di recente",
    "kochten ook",
    "gerelateerde producten",
    "vergelijkbare producten",
    "gesponsord",
    "recent bekeken",
    "ook interessant",
    "kupili również",
    "kupili także",
    "podobne produkty",
    "produkty powiązane",
    "polecane produkty",
    "sponsorowane",
    "ostatnio oglądane",
    "może ci się spodobać",
    "também pode gostar",
    "produtos relacionados",
    "produtos semelhantes",
    "também compraram",
    "quem comprou",
]);

/// The words of a buy button drawn as an image or an input (`alt="Add to cart"`).
static BUY_TEXTS: WordList = WordList::new(&[
    "add to cart",
    "add to basket",
    "add to bag",
    "buy now",
    "in den warenkorb",
    "ajouter au panier",
    "añadir al carrito",
    "añadir a la cesta",
    "aggiungi al carrello",
    "in winkelwagen",
    "in winkelmand",
    "do koszyka",
    "adicionar ao carrinho",
    "do košíka",
    "do košíku",
    "в корзину",
]);

pub(crate) fn is_buy_text(text: &str) -> bool {
    text.len() <= 80 && BUY_TEXTS.any_in(&text.to_lowercase())
}

/// A heading that opens a rail of other products.
pub(crate) fn is_rail_heading(text: &str) -> bool {
    text.len() <= 200 && RAIL_HEADINGS.any_in(&text.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rail_headings_are_read_in_the_shop_languages() {
        for heading in [
            "Customers also bought",
            "Sponsored products related to this item",
            "Vous aimerez aussi",
            "Andere Kunden kauften auch",
            "También te puede interesar",
            "Potrebbe interessarti anche",
            "Anderen kochten ook",
            "Klienci kupili również",
            "Quem comprou também comprou",
            "Recommended Products",
        ] {
            assert!(is_rail_heading(heading), "{heading}");
        }
        for heading in [
            "Description",
            "Product details",
            "Beschreibung",
            "Avis clients",
        ] {
            assert!(!is_rail_heading(heading), "{heading}");
        }
    }

    #[test]
    fn buy_buttons_are_read_from_their_text() {
        assert!(is_buy_text("Add to Cart"));
        assert!(is_buy_text("Dodaj do koszyka"));
        assert!(is_buy_text("In den Warenkorb"));
        assert!(!is_buy_text("Available colours"));
    }
}
