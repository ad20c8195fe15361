# PriceWatch, français : l’application web et les e-mails. Chaque message doit
# aussi être dans en/main.ftl (un test de crates/i18n le vérifie).

skip-to-content = Aller au contenu
nav-label = Principal
nav-watches = Mes suivis
nav-alerts = Alertes envoyées
nav-settings = Réglages
sign-out = Se déconnecter
footer-api = API REST et sa documentation

field-email = E-mail
field-password = Mot de passe
field-new-password = Nouveau mot de passe
field-current-password = Mot de passe actuel
password-hint = De 8 à 128 caractères, avec au moins une lettre et un caractère qui n’est pas une lettre.
too-many-attempts = Trop de tentatives depuis votre adresse. Réessayez dans { $seconds } s.
email-invalid = Ce n’est pas une adresse e-mail.

login-title = Se connecter
login-submit = Se connecter
login-forgot = Mot de passe oublié ?
login-no-account = Pas encore de compte ?
login-wrong = E-mail ou mot de passe incorrect.
register-title = Créer un compte
register-submit = Créer le compte
register-have-account = Vous avez déjà un compte ?
register-taken = Un compte existe déjà avec cet e-mail. Connectez-vous, ou réinitialisez son mot de passe.

forgot-title = Réinitialiser le mot de passe
forgot-intro = Saisissez l’e-mail de votre compte : nous vous enverrons un lien pour choisir un nouveau mot de passe. Il ne sert qu’une fois, pendant une heure.
forgot-submit = Envoyer le lien
forgot-sent = Si un compte a cet e-mail, un lien pour réinitialiser son mot de passe est en route. Regardez votre boîte de réception.
reset-title = Choisir un nouveau mot de passe
reset-submit = Enregistrer le nouveau mot de passe
reset-invalid = Ce lien a expiré ou a déjà servi. Demandez-en un nouveau.
reset-done = Votre mot de passe a changé. Connectez-vous avec le nouveau.
unsubscribe-title = Arrêter les alertes de ce produit
unsubscribe-intro = Vous recevez un e-mail quand le prix de ce produit baisse. Arrêter ces alertes ? Le suivi est mis en pause : rien n’est supprimé, et vous pouvez le reprendre à tout moment.
unsubscribe-submit = Arrêter ces alertes
unsubscribe-done = C’est fait : le suivi est en pause. Vous ne recevrez plus d’alertes pour ce produit.
unsubscribe-already = Ce suivi est en pause : aucune alerte n’est envoyée.
unsubscribe-resume = Pour le reprendre, connectez-vous et ouvrez le produit.
reset-email-subject = Réinitialiser votre mot de passe PriceWatch
reset-email-body =
    Quelqu’un (vous, espérons-le) a demandé à réinitialiser le mot de passe de votre compte PriceWatch.

    Choisissez un nouveau mot de passe ici (le lien ne sert qu’une fois, pendant une heure) :
    { $link }

    Si ce n’était pas vous, ignorez cet e-mail : votre mot de passe ne change pas.

error-home = Retour à mes suivis
error-404-title = Page introuvable
error-404-detail = Il n’y a rien ici, ou ce n’est pas à vous.
error-403-title = Ce formulaire a expiré
error-403-detail = Pour votre sécurité, le formulaire n’a pas pu être envoyé. Revenez en arrière, rechargez la page et réessayez.
error-429-title = Doucement
error-429-detail = Trop de requêtes en peu de temps. Attendez une minute et réessayez.
error-503-title = De retour dans un instant
error-503-detail = Une partie de PriceWatch est indisponible pour le moment. Réessayez dans une minute.
error-500-title = Un problème est survenu
error-500-detail = L’erreur a été enregistrée. Réessayez et, si elle se répète, prévenez les personnes qui gèrent ce PriceWatch.

time-now = à l’instant
time-minutes = { $n } min
time-hours = { $n } h
time-days = { $n ->
    [one] { $n } jour
   *[other] { $n } jours
}
time-in = dans { $span }
time-ago = il y a { $span }

check-pending = Pas encore vérifié
check-ok = Prix lu
check-unchanged = Inchangé depuis la dernière vérification
check-no-price = Aucun prix trouvé sur la page
check-blocked = La boutique a bloqué la vérification
check-http-error = La boutique a répondu par une erreur
check-refused = Cette adresse ne peut pas être vérifiée
check-fetch-error = La page n’a pas pu être atteinte

method-selector = votre sélecteur CSS
method-json-ld = les données structurées de la page (JSON-LD)
method-microdata = les microdonnées de la page
method-meta = les balises meta de la page
method-heuristic = le prix affiché sur la page

frequency-every = toutes les { $hours } h
frequency-option = toutes les { $value }

watches-title = Mes suivis
watches-count = { $count ->
    [one] { $count } suivi
   *[other] { $count } suivis
}
add-title = Suivre un produit
field-url = Adresse de la page du produit
field-target = Prix cible
field-frequency = Vérifier
field-selector = Sélecteur CSS du prix (facultatif)
selector-hint = Seulement si PriceWatch lit le mauvais prix, par ex. .price > span
field-paused = L’ajouter en pause
field-fetch-mode = Lire la page
fetch-mode-auto = automatiquement
fetch-mode-http = HTTP simple seulement
fetch-mode-browser = toujours dans un navigateur
fetch-mode-hint = Automatiquement : un navigateur seulement pour les pages qui en ont besoin (construites par des scripts).
add-submit = Suivre
add-exists = Vous suivez déjà ce produit ; modifiez plutôt ce suivi.
add-limit = Un compte peut avoir au plus { $limit } suivis ; supprimez-en un d’abord.

filter-label = Filtrer et trier
filter-state = Afficher
filter-any = Tous les suivis
filter-active = Actifs
filter-paused = En pause
filter-failing = Vérifications en échec
filter-shop = Boutique
filter-any-shop = Toutes les boutiques
filter-below = Au prix cible ou en dessous
filter-apply = Appliquer
filter-clear = Afficher tous les suivis
sort-label = Trier par
sort-newest = Plus récents
sort-title = Titre
sort-price = Prix
sort-target = Plus près de la cible
empty-title = Aucun suivi pour l’instant
empty-body = Collez ci-dessus l’adresse d’une page produit, avec le prix que vous paieriez : PriceWatch la vérifie et vous écrit quand le prix y descend.
empty-filtered = Aucun suivi ne correspond à ces filtres.

price-checking = Vérification…
target = Cible
lowest = Plus bas
next-check = prochaine vérification
watch-paused = En pause
sparkline-label = Prix des 30 derniers jours
pager-label = Pages
pager-prev = Précédente
pager-next = Suivante
pager-of = Page { $page }

history-title = Historique des prix
range-label = Période
range-7d = 7 jours
range-30d = 30 jours
range-90d = 90 jours
range-all = Tout
history-empty = Aucun prix relevé sur cette période pour l’instant.
chart-title = Historique des prix
chart-desc = Graphique en escalier de { $count } prix, avec la cible en pointillés et les changements de stock en points.
stat-lowest = Plus bas
stat-highest = Plus haut
stat-average = Moyenne
stat-readings = Relevés
stock-in = En stock
stock-out = En rupture
stock-back = De retour en stock

check-title = Vérifications
check-state = Dernière vérification
found-by = Prix trouvé dans
last-check = Vérifié
check-now = Vérifier maintenant
pause = Mettre en pause
resume = Reprendre
delete = Supprimer ce suivi
delete-confirm = Supprimer ce suivi et ne plus vérifier ce produit pour vous ?
edit-title = Modifier le suivi
save = Enregistrer
readings-title = Relevés
col-when = Quand
col-price = Prix
col-stock = Stock
col-product = Produit
col-old = Avant
col-new = Maintenant
col-status = État

notice-saved = Enregistré.
notice-paused = En pause : aucune vérification jusqu’à la reprise.
notice-resumed = Repris.
notice-checking = Une vérification est en route ; rechargez dans un instant.
notice-too-soon = Ce produit vient d’être vérifié à la demande ; réessayez dans quelques minutes.
notice-preferences = Préférences enregistrées.
notice-password = Mot de passe changé. Toutes les autres sessions et tous les jetons d’accès ont pris fin.

alerts-title = Alertes envoyées
alerts-empty = Aucune alerte pour l’instant. Vous en recevez une quand un prix descend à sa cible.
alert-pending = En attente d’envoi
alert-sending = En cours d’envoi
alert-sent = Envoyée
alert-failed = N’a pas pu être envoyée
alert-delivering = En route vers vos canaux

settings-title = Réglages
settings-account = Compte
settings-password = Mot de passe
settings-password-note = Le changer vous déconnecte partout ailleurs et met fin à tous les jetons d’accès.
settings-password-submit = Changer le mot de passe
settings-preferences = Langue et fuseau horaire
field-language = Langue
field-timezone = Fuseau horaire
settings-bad-lang = Choisissez une des langues de la liste.
settings-bad-tz = Ce n’est pas un nom de fuseau horaire, comme Europe/Paris.
settings-more = Plus
settings-tokens = Jetons d’API personnels pour les scripts :
settings-channels = Canaux de notification (ntfy, Telegram, webhooks…) :
settings-see-api = via l’API

# Le nom de la langue dans la langue même, pour la liste des réglages.
language-name = Français
settings-lang-browser = Comme le dit mon navigateur
settings-tz-browser = Laissez vide pour suivre le fuseau de ce navigateur.

# Mois abrégés, pour des dates comme 4 déc. 2026.
month-1 = janv.
month-2 = févr.
month-3 = mars
month-4 = avr.
month-5 = mai
month-6 = juin
month-7 = juil.
month-8 = août
month-9 = sept.
month-10 = oct.
month-11 = nov.
month-12 = déc.

# L’e-mail d’alerte. $title est le produit, les prix arrivent écrits à la
# française (19,99 €), $when avec son fuseau : 4 déc. 2026, 17:05 (Europe/Paris).
email-subject = Baisse de prix : { $title } est à { $price }
email-intro = Bonne nouvelle : { $title } est maintenant à { $price }.
email-intro-html = Bonne nouvelle : <strong>{ $title }</strong> est maintenant à <strong>{ $price }</strong>.
email-untitled = Votre produit suivi
email-previous = Prix précédent
email-new = Nouveau prix
email-target = Votre prix cible
email-seen = Relevé
# Une ligne de l’e-mail en texte : « Votre prix cible : 20,00 € ».
email-line = { $label } : { $value }
email-chart = { $days } derniers jours : au plus bas { $lowest }, au plus haut { $highest }, dernier prix { $latest }.
email-chart-alt = Graphique des prix. { $words } La ligne en pointillés est votre prix cible.
email-chart-legend = Ligne en pointillés
email-chart-legend-target = votre prix cible.
email-see-product = Voir le produit
email-product = Produit
email-footer =
    Vous recevez cet e-mail parce que vous suivez ce produit sur PriceWatch.
    Pour arrêter ces alertes, mettez le suivi en pause : { $unsubscribe }
    ou avec l’API : PATCH { $watch } avec { $body }
    (ou supprimez-le) ; voir { $docs } pour l’API.
email-footer-html = Vous recevez cet e-mail parce que vous suivez ce produit sur PriceWatch. <a href="{ $unsubscribe }">Arrêter ces alertes</a> (le suivi est mis en pause), ou mettez-le en pause avec l’API : <code>PATCH { $watch }</code> avec <code>{ $body }</code> (ou supprimez-le) ; voir <a href="{ $docs }">la documentation de l’API</a>.
