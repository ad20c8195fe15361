# PriceWatch, English: the web app and the emails. Every message here must
# also be in each other language's main.ftl (a test of crates/i18n checks it).

skip-to-content = Skip to the content
nav-label = Main
nav-watches = My watches
nav-alerts = Alerts sent
nav-settings = Settings
sign-out = Sign out
footer-api = REST API and its documentation

field-email = Email
field-password = Password
field-new-password = New password
field-current-password = Current password
password-hint = 8 to 128 characters, with at least one letter and one character that is not a letter.
too-many-attempts = Too many attempts from your address. Try again in { $seconds } s.
email-invalid = This is not an email address.

login-title = Sign in
login-submit = Sign in
login-forgot = Forgot your password?
login-no-account = No account yet?
login-wrong = Wrong email or password.
register-title = Create an account
register-submit = Create the account
register-have-account = Already have an account?
register-taken = An account with this email already exists. Sign in instead, or reset its password.

forgot-title = Reset your password
forgot-intro = Type your account's email: we will send you a link to choose a new password. It works once, for an hour.
forgot-submit = Send the link
forgot-sent = If an account has this email, a link to reset its password is on its way. Check your inbox.
reset-title = Choose a new password
reset-submit = Save the new password
reset-invalid = This link has expired or was already used. Ask for a new one.
reset-done = Your password has changed. Sign in with the new one.
unsubscribe-title = Stop the alerts for this product
unsubscribe-intro = You get an email when this product's price drops. Stop these alerts? The watch is paused: nothing is deleted, and you can resume it at any time.
unsubscribe-submit = Stop these alerts
unsubscribe-done = Done: the watch is paused. No more alerts will come for this product.
unsubscribe-already = This watch is paused: no alerts come for it.
unsubscribe-resume = To resume it, sign in and open the product.
reset-email-subject = Reset your PriceWatch password
reset-email-body =
    Someone (hopefully you) asked to reset the password of your PriceWatch account.

    Choose a new password here (the link works once, for an hour):
    { $link }

    If you did not ask, ignore this email: your password stays as it is.

error-home = Back to my watches
error-404-title = Page not found
error-404-detail = There is nothing here, or it is not yours to see.
error-403-title = This form has expired
error-403-detail = For your safety the form could not be sent. Go back, reload the page and try again.
error-429-title = Slow down
error-429-detail = Too many requests in a short time. Wait a minute and try again.
error-503-title = Back in a moment
error-503-detail = Part of PriceWatch is unavailable right now. Try again in a minute.
error-500-title = Something went wrong
error-500-detail = The error has been recorded. Try again, and if it keeps happening, tell the people who run this PriceWatch.

time-now = just now
time-minutes = { $n } min
time-hours = { $n } h
time-days = { $n ->
    [one] { $n } day
   *[other] { $n } days
}
time-in = in { $span }
time-ago = { $span } ago

check-pending = Not checked yet
check-ok = Price read
check-unchanged = Unchanged since the last check
check-no-price = No price found on the page
check-blocked = The shop blocked the check
check-http-error = The shop answered with an error
check-refused = This address cannot be checked
check-fetch-error = The page could not be reached

method-selector = your CSS selector
method-json-ld = the page's structured data (JSON-LD)
method-microdata = the page's microdata
method-meta = the page's meta tags
method-heuristic = the price shown on the page

frequency-every = every { $hours } h
frequency-option = every { $value }

watches-title = My watches
watches-count = { $count ->
    [one] { $count } watch
   *[other] { $count } watches
}
add-title = Watch a product
field-url = Product page address
field-target = Target price
field-frequency = Check
field-selector = CSS selector of the price (optional)
selector-hint = Only if PriceWatch reads the wrong price, e.g. .price > span
field-paused = Add it paused
field-fetch-mode = Fetch the page
fetch-mode-auto = automatically
fetch-mode-http = plain HTTP only
fetch-mode-browser = always in a browser
fetch-mode-hint = Automatically: a browser only for pages that need one (built by scripts).
add-submit = Watch it
add-exists = You already watch this product; change that watch instead.
add-limit = An account can have at most { $limit } watches; delete one first.

filter-label = Filter and sort
filter-state = Show
filter-any = All watches
filter-active = Active
filter-paused = Paused
filter-failing = Failing checks
filter-shop = Shop
filter-any-shop = Every shop
filter-below = At or below target only
filter-apply = Apply
filter-clear = Show every watch
sort-label = Sort by
sort-newest = Newest first
sort-title = Title
sort-price = Price
sort-target = Closest to target
empty-title = No watches yet
empty-body = Paste the address of a product page above, with the price you would pay: PriceWatch checks it and emails you when the price falls to it.
empty-filtered = No watch matches these filters.

price-checking = Checking…
target = Target
lowest = Lowest
next-check = next check
watch-paused = Paused
sparkline-label = Price over the last 30 days
pager-label = Pages
pager-prev = Previous
pager-next = Next
pager-of = Page { $page }

history-title = Price history
range-label = Period
range-7d = 7 days
range-30d = 30 days
range-90d = 90 days
range-all = All
history-empty = No price recorded in this period yet.
chart-title = Price history
chart-desc = Step chart of { $count } prices, with the target as a dashed line and stock changes as dots.
stat-lowest = Lowest
stat-highest = Highest
stat-average = Average
stat-readings = Readings
stock-in = In stock
stock-out = Out of stock
stock-back = Back in stock

check-title = Checks
check-state = Last check
found-by = Price found in
last-check = Checked
check-now = Check now
pause = Pause
resume = Resume
delete = Delete this watch
delete-confirm = Delete this watch and stop checking the product for you?
edit-title = Change the watch
save = Save
readings-title = Readings
col-when = When
col-price = Price
col-stock = Stock
col-product = Product
col-old = Before
col-new = Now
col-status = Status

notice-saved = Saved.
notice-paused = Paused: no checks until you resume it.
notice-resumed = Resumed.
notice-checking = A check is on its way; reload in a moment.
notice-too-soon = This product was checked on request a moment ago; try again in a few minutes.
notice-preferences = Preferences saved.
notice-password = Password changed. Every other session and access token has ended.

alerts-title = Alerts sent
alerts-empty = No alert yet. You get one when a price falls to its target.
alert-pending = Waiting to be sent
alert-sending = Sending
alert-sent = Sent
alert-failed = Could not be sent
alert-delivering = Going to your channels

settings-title = Settings
settings-account = Account
settings-password = Password
settings-password-note = Changing it signs you out everywhere else and ends every access token.
settings-password-submit = Change the password
settings-preferences = Language and time zone
field-language = Language
field-timezone = Time zone
settings-bad-lang = Choose one of the languages in the list.
settings-bad-tz = This is not a time zone name, such as Europe/Paris.
settings-more = More
settings-tokens = Personal API tokens for scripts:
settings-channels = Notification channels (ntfy, Telegram, webhooks…):
settings-see-api = through the API

# The language's own name, in the settings page's list.
language-name = English
settings-lang-browser = As my browser says
settings-tz-browser = Leave empty to follow this browser’s zone.

# Short month names, for dates such as 4 Dec 2026.
month-1 = Jan
month-2 = Feb
month-3 = Mar
month-4 = Apr
month-5 = May
month-6 = Jun
month-7 = Jul
month-8 = Aug
month-9 = Sep
month-10 = Oct
month-11 = Nov
month-12 = Dec

# The alert email. $title is the product, prices come written in this
# language's way (€19.99), $when with its zone: 4 Dec 2026, 17:05 (UTC).
email-subject = Price drop: { $title } is now { $price }
email-intro = Good news: { $title } is now { $price }.
email-intro-html = Good news: <strong>{ $title }</strong> is now <strong>{ $price }</strong>.
email-untitled = Your watched product
email-previous = Previous price
email-new = New price
email-target = Your target
email-seen = Seen
# One line of the plain-text email: "Your target: €20.00".
email-line = { $label }: { $value }
email-chart = Last { $days } days: lowest { $lowest }, highest { $highest }, latest { $latest }.
email-chart-alt = Price chart. { $words } The dashed line is your target.
email-chart-legend = Dashed line
email-chart-legend-target = your target.
email-see-product = See the product
email-product = Product
email-footer =
    You get this email because you watch this product on PriceWatch.
    To stop these alerts, pause the watch: { $unsubscribe }
    or with the API: PATCH { $watch } with { $body }
    (or delete it); see { $docs } for the API.
email-footer-html = You get this email because you watch this product on PriceWatch. <a href="{ $unsubscribe }">Stop these alerts</a> (it pauses the watch), or pause it with the API: <code>PATCH { $watch }</code> with <code>{ $body }</code> (or delete it); see <a href="{ $docs }">the API documentation</a>.
